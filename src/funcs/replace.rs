//! REPLACE: every one of a set of characters in a variable's value replaced by one
//! character, or removed (funcs/func_strings.c).

use super::util::{encoded_char, encoded_str, text, var_value};
use super::Function;
use crate::apps::standard_args;
use crate::channel::Channel;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "REPLACE",
    synopsis: "Replace a set of characters in a given string with another character.",
    syntax: "REPLACE(varname,find-chars[,replace-char])",
    provided_by: "func_strings",
    description: "Iterates through a string replacing all the find-chars with replace-char. replace-char may be either empty or contain one character. If empty, all find-chars will be deleted from the output.",
    read: Some(read),
    write: None,
};

fn read(chan: &mut Channel, pbx: &Pbx, args: &str) -> Option<String> {
    let a = standard_args(args);
    if a.len() < 2 {
        crate::logger::error(
            "func_strings.c",
            "Usage: REPLACE(<varname>,<search-chars>[,<replace-char>])",
        );
        return None;
    }
    let find = encoded_str(&a[1]);
    let replace = a
        .get(2)
        .and_then(|r| encoded_char(r.as_bytes()))
        .map(|(c, _)| c)
        .filter(|&c| c != 0);
    if find.is_empty() || a[0].is_empty() {
        crate::logger::error(
            "func_strings.c",
            "The characters to search for and the variable name must not be empty.",
        );
        return None;
    }
    let value = var_value(chan, pbx, &a[0]);
    if value.is_empty() {
        return None;
    }
    let mut out = Vec::with_capacity(value.len());
    for b in value.bytes() {
        if find.contains(&b) {
            if let Some(r) = replace {
                out.push(r);
            }
        } else {
            out.push(b);
        }
    }
    Some(text(&out))
}

#[cfg(test)]
mod tests {
    use crate::funcs::util::{sub, test_env};

    #[test]
    fn asterisk_table() {
        let (mut c, p) = test_env();
        for (s, find, rep, want) in [
            ("abc,def", "\\,", "-", "abc-def"),
            ("abc,abc", "bc", "a", "aaa,aaa"),
            ("abc,def", "x", "?", "abc,def"),
            ("abc,def", "\\,", "", "abcdef"),
        ] {
            c.vars.set("TEST_STRING", Some(s));
            let t = format!("${{REPLACE(TEST_STRING,{find},{rep})}}");
            assert_eq!(sub(&mut c, &p, &t), want, "{t}");
        }
        c.vars.set("N", Some("+7 (495) 123"));
        assert_eq!(sub(&mut c, &p, "${REPLACE(N,+() )}"), "7495123");
    }
}
