//! REGEX: `REGEX("regular expression" string)` is 1 when the extended regular expression
//! matches somewhere in the string, else 0 (funcs/func_strings.c).

use super::Function;
use crate::apps::nonstandard_args;
use crate::channel::Channel;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "REGEX",
    synopsis: "Check string against a regular expression.",
    syntax: "REGEX(\"regular expression\" string)",
    provided_by: "func_strings",
    description: "Return 1 on regular expression match or 0 otherwise. Please note that the space following the double quotes separating the regex from the data is optional and if present, is skipped. If a space is desired at the beginning of the data, then put two spaces there; the second will not be skipped.",
    read: Some(read),
    write: None,
};

/// A POSIX extended regular expression as the `regex` crate reads it: inside a bracket
/// expression POSIX keeps `\\` and `[` literal and `]` first is a member, so those are
/// escaped for the crate (as are `&` and `~`, its set operators).
pub fn compile_ere(re: &str) -> Result<::regex::Regex, ::regex::Error> {
    let c: Vec<char> = re.chars().collect();
    let mut out = String::with_capacity(re.len() + 8);
    let mut i = 0;
    while i < c.len() {
        match c[i] {
            '[' => {
                out.push('[');
                i += 1;
                if c.get(i) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                if c.get(i) == Some(&']') {
                    out.push_str("\\]");
                    i += 1;
                }
                while i < c.len() && c[i] != ']' {
                    let ch = c[i];
                    if ch == '[' && matches!(c.get(i + 1), Some(':' | '.' | '=')) {
                        // [:class:] passes through whole.
                        let kind = c[i + 1];
                        let mut j = i + 2;
                        while j + 1 < c.len() && !(c[j] == kind && c[j + 1] == ']') {
                            j += 1;
                        }
                        let stop = (j + 2).min(c.len());
                        out.extend(&c[i..stop]);
                        i = stop;
                        continue;
                    }
                    if matches!(ch, '\\' | '[' | '&' | '~') {
                        out.push('\\');
                    }
                    out.push(ch);
                    i += 1;
                }
                if i < c.len() {
                    out.push(']');
                    i += 1;
                }
            }
            '\\' => {
                out.push('\\');
                if let Some(&n) = c.get(i + 1) {
                    out.push(n);
                }
                i += 2;
            }
            ch => {
                out.push(ch);
                i += 1;
            }
        }
    }
    ::regex::Regex::new(&out)
}

fn read(_chan: &mut Channel, _pbx: &Pbx, args: &str) -> Option<String> {
    let a = nonstandard_args(args, '"', 3);
    if a.len() != 3 {
        crate::logger::error(
            "func_strings.c",
            "Unexpected arguments: should have been in the form '\"<regex>\" <string>'",
        );
        return None;
    }
    let s = a[2]
        .strip_prefix(' ')
        .or_else(|| a[2].strip_prefix('\t'))
        .unwrap_or(&a[2]);
    match compile_ere(&a[1]) {
        Ok(re) => Some(if re.is_match(s) { "1" } else { "0" }.into()),
        Err(e) => {
            crate::logger::warning(
                "func_strings.c",
                &format!("Malformed input REGEX({args}): {e}"),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::compile_ere;
    use crate::funcs::util::{sub, test_env};

    #[test]
    fn matching() {
        let (mut c, p) = test_env();
        assert_eq!(sub(&mut c, &p, "${REGEX(\"^ab\" abcdefgh)}"), "1");
        assert_eq!(sub(&mut c, &p, "${REGEX(\"^zz\" abcdefgh)}"), "0");
        assert_eq!(sub(&mut c, &p, "${REGEX(\"^[0-9]{3}$\" 123)}"), "1");
        assert_eq!(sub(&mut c, &p, "${REGEX(\"^ x\"  x)}"), "1");
        assert_eq!(sub(&mut c, &p, "${REGEX(\"^8(495|499)\"84951234567)}"), "1");
        assert_eq!(sub(&mut c, &p, "[${REGEX(abc)}]"), "[]");
        assert_eq!(sub(&mut c, &p, "[${REGEX(\"(\" x)}]"), "[]");
    }

    #[test]
    fn posix_brackets() {
        assert!(compile_ere("^[[:digit:]]+$").unwrap().is_match("123"));
        assert!(compile_ere("a[\\]b").unwrap().is_match("a\\b"));
        assert!(compile_ere("[]a]").unwrap().is_match("]"));
        assert!(compile_ere("[^]a]").unwrap().is_match("b"));
        assert!(!compile_ere("[^]a]").unwrap().is_match("]"));
        assert!(compile_ere("[a-c]").unwrap().is_match("b"));
    }
}
