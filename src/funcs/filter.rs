//! FILTER: keep only the allowed characters (funcs/func_strings.c). The allowed set may
//! hold ranges (`0-9`) and escapes (`\x41`, `\-`); it works on bytes.

use super::util::{encoded_char, text};
use super::Function;
use crate::apps::separate_args;
use crate::channel::Channel;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "FILTER",
    synopsis: "Filter the string to include only the allowed characters",
    syntax: "FILTER(allowed-chars,string)",
    provided_by: "func_strings",
    description: "Permits all characters listed in allowed-chars, filtering all others out. In addition to literally listing the characters, you may also use ranges of characters (delimited by a '-'), as well as hexadecimal characters started with a '\\x' (i.e. \\x20) and octal characters started with '\\0' (i.e. \\040). Also '\\t', '\\n' and '\\r' are recognized.",
    read: Some(read),
    write: None,
};

fn read(_chan: &mut Channel, _pbx: &Pbx, args: &str) -> Option<String> {
    // AST_STANDARD_RAW_ARGS: quotes and backslashes stay.
    let a = separate_args(args, ',', false, 2);
    let (Some(allowed), Some(string)) = (a.first(), a.get(1)) else {
        crate::logger::error("func_strings.c", "Usage: FILTER(<allowed-chars>,<string>)");
        return None;
    };
    if allowed.starts_with('"') {
        crate::logger::warning(
            "func_strings.c",
            "FILTER allowed characters includes the quote (\") character.  This may not be what you want.",
        );
    }
    let mut set = [false; 256];
    let b = allowed.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let (c1, n) = encoded_char(&b[i..])?;
        i += n;
        if b.get(i) == Some(&b'-') {
            let (c2, n2) = match encoded_char(&b[i + 1..]) {
                Some(x) => x,
                None => (c1, 0),
            };
            i += n2 + 1;
            if c2 < c1 {
                crate::logger::warning(
                    "func_strings.c",
                    &format!("Range wrapping in FILTER({args},{string}).  This may not be what you want."),
                );
            }
            let mut ac = c1;
            while ac != c2 {
                set[ac as usize] = true;
                ac = ac.wrapping_add(1);
            }
            set[ac as usize] = true;
        } else {
            set[c1 as usize] = true;
        }
    }
    // NUL never matches (strchr on the allowed list finds the terminator otherwise).
    set[0] = false;
    let out: Vec<u8> = string.bytes().filter(|&c| set[c as usize]).collect();
    Some(text(&out))
}

#[cfg(test)]
mod tests {
    use crate::funcs::util::{sub, test_env};

    #[test]
    fn filters() {
        let (mut c, p) = test_env();
        c.vars.set("N", Some("0049-123 456"));
        assert_eq!(sub(&mut c, &p, "${FILTER(0-9,${N})}"), "0049123456");
        assert_eq!(sub(&mut c, &p, "${FILTER(0-9-,${N})}"), "0049-123456");
        // Asterisk's own test table.
        for (allowed, want) in [
            ("A-R", "DAHDI"),
            ("A\\-R", "A"),
            ("\\x41-R", "DAHDI"),
            ("0-9A-Ca-c", "0042133333A12212"),
            ("0-9a-cA-C_+\\-", "0042133333A12212"),
        ] {
            let t = format!("${{FILTER({allowed},0042133333&DAHDI/g1/2212)}}");
            assert_eq!(sub(&mut c, &p, &t), want, "{allowed}");
        }
        assert_eq!(sub(&mut c, &p, "[${FILTER(0-9)}]"), "[]");
    }
}
