//! STRREPLACE: substrings of a variable's value replaced, at most N times
//! (funcs/func_strings.c).

use super::util::{atoi, var_value};
use super::Function;
use crate::apps::standard_args;
use crate::channel::Channel;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "STRREPLACE",
    synopsis: "Replace instances of a substring within a string with another string.",
    syntax: "STRREPLACE(varname,find-string[,replace-string[,max-replacements]])",
    provided_by: "func_strings",
    description: "Searches for all instances of the find-string in provided variable and replaces them with replace-string. If replace-string is an empty string, this will effectively delete that substring. If max-replacements is specified, this function will stop after performing replacements max-replacements times.",
    read: Some(read),
    write: None,
};

fn read(chan: &mut Channel, pbx: &Pbx, args: &str) -> Option<String> {
    let a = standard_args(args);
    if a.len() < 2 {
        crate::logger::error(
            "func_strings.c",
            "Usage: STRREPLACE(<varname>,<find-string>[,<replace-string>,[<max-replacements>]])",
        );
        return None;
    }
    if a[0].is_empty() {
        return None;
    }
    if a[1].is_empty() {
        crate::logger::error("func_strings.c", "No <find-string> specified");
        return None;
    }
    let value = var_value(chan, pbx, &a[0]);
    let max = a.get(3).map(|m| atoi(m)).filter(|&m| m > 0);
    let rep = a.get(2).map(String::as_str).unwrap_or("");
    Some(match max {
        Some(n) => value.replacen(a[1].as_str(), rep, n as usize),
        None => value.replace(a[1].as_str(), rep),
    })
}

#[cfg(test)]
mod tests {
    use crate::funcs::util::{sub, test_env};

    /// String, find, replace, max, expected.
    type Case = (
        &'static str,
        Option<&'static str>,
        Option<&'static str>,
        Option<&'static str>,
        &'static str,
    );

    #[test]
    fn asterisk_table() {
        let (mut c, p) = test_env();
        let cases: [Case; 10] = [
            (
                "Weasels have eaten my telephone system",
                Some("have eaten my"),
                Some("are eating our"),
                Some(""),
                "Weasels are eating our telephone system",
            ),
            (
                "Did you know twenty plus two is twenty-two?",
                Some("twenty"),
                Some("thirty"),
                None,
                "Did you know thirty plus two is thirty-two?",
            ),
            (
                "foofoofoofoofoofoofoo",
                Some("foofoo"),
                Some("bar"),
                None,
                "barbarbarfoo",
            ),
            (
                "My pet dog once ate a dog who sat on a dog while eating a corndog.",
                Some("dog"),
                Some("cat"),
                Some("3"),
                "My pet cat once ate a cat who sat on a cat while eating a corndog.",
            ),
            (
                "One and one and one is three",
                Some("and"),
                Some("plus"),
                Some("1"),
                "One plus one and one is three",
            ),
            ("", Some("fhqwagads"), Some("spelunker"), None, ""),
            (
                "Part of this string is missing.",
                Some("missing"),
                None,
                None,
                "Part of this string is .",
            ),
            (
                "'Accidentally' left off a bunch of stuff.",
                None,
                None,
                None,
                "",
            ),
            (
                "This test will also error.",
                Some(""),
                Some(""),
                Some(""),
                "",
            ),
            (
                "This is an \"escape character\" test.",
                Some("\\\"escape character\\\""),
                Some("evil"),
                None,
                "This is an evil test.",
            ),
        ];
        for (s, f, r, m, want) in cases {
            c.vars.set("test_string", Some(s));
            let t = match (f, r, m) {
                (Some(f), Some(r), Some(m)) => format!("${{STRREPLACE(test_string,{f},{r},{m})}}"),
                (Some(f), Some(r), None) => format!("${{STRREPLACE(test_string,{f},{r})}}"),
                (Some(f), None, _) => format!("${{STRREPLACE(test_string,{f})}}"),
                _ => "${STRREPLACE(test_string)}".to_string(),
            };
            assert_eq!(sub(&mut c, &p, &t), want, "{t}");
        }
    }
}
