//! FIELDNUM: the 1-based position of a field in a variable's value, 0 when absent
//! (funcs/func_strings.c). Fields compare without regard to case.

use super::util::{encoded_char, var_value};
use super::Function;
use crate::apps::standard_args;
use crate::channel::Channel;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "FIELDNUM",
    synopsis: "Return the 1-based offset of a field in a list",
    syntax: "FIELDNUM(varname,delim,value)",
    provided_by: "func_strings",
    description: "Search the variable named varname for the string value delimited by delim and return a 1-based offset as to its location. If not found or an error occured, return 0.",
    read: Some(read),
    write: None,
};

fn read(chan: &mut Channel, pbx: &Pbx, args: &str) -> Option<String> {
    let a = standard_args(args);
    if a.len() < 3 {
        crate::logger::error(
            "func_strings.c",
            "Usage: FIELDNUM(<listname>,<delimiter>,<fieldvalue>)",
        );
        return None;
    }
    let value = var_value(chan, pbx, &a[0]);
    if value.is_empty() || a[1].is_empty() {
        return Some("0".into());
    }
    let (d, _) = encoded_char(a[1].as_bytes())?;
    let want = a[2].as_bytes();
    let pos = value
        .as_bytes()
        .split(|&b| b == d)
        .position(|f| f.eq_ignore_ascii_case(want))
        .map(|i| i + 1)
        .unwrap_or(0);
    Some(pos.to_string())
}

#[cfg(test)]
mod tests {
    use crate::funcs::util::{sub, test_env};

    #[test]
    fn asterisk_table() {
        let (mut c, p) = test_env();
        for (fields, delim, field, want) in [
            ("abc,def,ghi,jkl", "\\,", "ghi", "3"),
            ("abc def ghi jkl", " ", "abc", "1"),
            ("abc/def/ghi/jkl", "\\\\x2f", "def", "2"),
            ("abc$def$ghi$jkl", "", "ghi", "0"),
            ("abc,def,ghi,jkl", "-", "", "0"),
            ("abc-def-ghi-jkl", "-", "mno", "0"),
        ] {
            c.vars.set("FIELDS", Some(fields));
            let t = format!("${{FIELDNUM(FIELDS,{delim},{field})}}");
            assert_eq!(sub(&mut c, &p, &t), want, "{t}");
        }
        c.vars.set("E", Some("ex-amp-le"));
        assert_eq!(sub(&mut c, &p, "${FIELDNUM(E,-,AMP)}"), "2");
    }
}
