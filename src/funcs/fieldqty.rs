//! FIELDQTY: how many fields a variable's value has (funcs/func_strings.c).

use super::util::{encoded_char, var_value};
use super::Function;
use crate::apps::standard_args;
use crate::channel::Channel;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "FIELDQTY",
    synopsis: "Count the fields with an arbitrary delimiter",
    syntax: "FIELDQTY(varname,delim)",
    provided_by: "func_strings",
    description: "The delimiter may be specified as a special or extended ASCII character, by encoding it. The characters \\n, \\r, and \\t are all recognized as the newline, carriage return, and tab characters, respectively. Also, octal and hexadecimal specifications are recognized by the patterns \\0nnn and \\xHH, respectively.",
    read: Some(read),
    write: None,
};

fn read(chan: &mut Channel, pbx: &Pbx, args: &str) -> Option<String> {
    let a = standard_args(args);
    let Some(delim) = a.get(1) else {
        return Some("1".into());
    };
    let value = var_value(chan, pbx, a.first().map(String::as_str).unwrap_or(""));
    if value.is_empty() {
        return Some("0".into());
    }
    // An empty delimiter is the NUL byte: one field.
    let d = encoded_char(delim.as_bytes()).map(|(c, _)| c).unwrap_or(0);
    let n = if d == 0 {
        1
    } else {
        value.bytes().filter(|&b| b == d).count() + 1
    };
    Some(n.to_string())
}

#[cfg(test)]
mod tests {
    use crate::funcs::util::{sub, test_env};

    #[test]
    fn counts() {
        let (mut c, p) = test_env();
        c.vars.set("LIST", Some("a-b-c-d"));
        assert_eq!(sub(&mut c, &p, "${FIELDQTY(LIST,-)}"), "4");
        assert_eq!(sub(&mut c, &p, "${FIELDQTY(LIST,/)}"), "1");
        assert_eq!(sub(&mut c, &p, "${FIELDQTY(NOPE,-)}"), "0");
        assert_eq!(sub(&mut c, &p, "${FIELDQTY(LIST)}"), "1");
        c.vars.set("E", Some("ex-amp-le"));
        assert_eq!(sub(&mut c, &p, "${FIELDQTY(E,-)}"), "3");
        c.vars.set("S", Some("a/b/"));
        assert_eq!(sub(&mut c, &p, "${FIELDQTY(S,\\\\x2f)}"), "3");
    }
}
