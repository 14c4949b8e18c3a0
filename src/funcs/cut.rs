//! CUT: fields of a variable's value, split on one character (funcs/func_cut.c). The
//! field spec is a `&`-list of `N`, `N-M`, `-M` and `N-`.

use super::util::{encoded_char, scan_int, text, var_value};
use super::Function;
use crate::apps::standard_args;
use crate::channel::Channel;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "CUT",
    synopsis: "Slices and dices strings, based upon a named delimiter.",
    syntax: "CUT(varname,char-delim,range-spec)",
    provided_by: "func_cut",
    description: "Cut out information from a string (varname), based upon a named delimiter. range-spec is the number of the field you want (1-based offset), may also be specified as a range (with -) or group of ranges and fields (with &).",
    read: Some(read),
    write: None,
};

/// One range of the spec: (start, stop), or None when it cannot be read.
fn range(spec: &str) -> Option<(i64, i64)> {
    // "%d-%d"
    if let Some((a, rest)) = scan_int(spec) {
        if let Some(r) = rest.strip_prefix('-') {
            if let Some((b, _)) = scan_int(r) {
                return Some((a, b));
            }
        }
    }
    // "-%d"
    if let Some(r) = spec.strip_prefix('-') {
        if let Some((b, _)) = scan_int(r) {
            return Some((1, b));
        }
    }
    // "%d%c" with '-', then "%d"
    if let Some((a, rest)) = scan_int(spec) {
        if rest.starts_with('-') {
            return Some((a, i64::from(i32::MAX)));
        }
        return Some((a, a));
    }
    None
}

fn read(chan: &mut Channel, pbx: &Pbx, args: &str) -> Option<String> {
    let a = standard_args(args);
    if a.len() < 3 {
        crate::logger::error(
            "func_cut.c",
            "Syntax: CUT(<varname>,<char-delim>,<range-spec>) - missing argument!",
        );
        return None;
    }
    let value = var_value(chan, pbx, &a[0]);
    let ds = match encoded_char(a[1].as_bytes()) {
        Some((c, _)) => c,
        None => b'-',
    };
    let mut out: Vec<u8> = Vec::new();
    if value.is_empty() {
        return Some(String::new());
    }
    let fields: Vec<&[u8]> = value.as_bytes().split(|&b| b == ds).collect();
    // The next field to read (1-based); past the end when all are used.
    let mut cur: i64 = 1;
    let mut count = 0;
    let total = fields.len() as i64;
    for spec in a[2].split('&') {
        if cur > total {
            break;
        }
        let Some((start, stop)) = range(spec) else {
            crate::logger::error(
                "func_cut.c",
                "Usage: CUT(<varname>,<char-delim>,<range-spec>)",
            );
            return None;
        };
        while cur <= total && cur < start {
            cur += 1;
        }
        if cur > start {
            crate::logger::warning("func_cut.c", "We're already past the field you wanted?");
        }
        while cur <= total && cur <= stop {
            if count > 0 {
                out.push(ds);
            }
            out.extend_from_slice(fields[(cur - 1) as usize]);
            count += 1;
            cur += 1;
        }
    }
    Some(text(&out))
}

#[cfg(test)]
mod tests {
    use crate::funcs::util::{sub, test_env};

    #[test]
    fn fields() {
        let (mut c, p) = test_env();
        c.vars.set("LIST", Some("a-b-c-d"));
        assert_eq!(sub(&mut c, &p, "${CUT(LIST,-,2)}"), "b");
        assert_eq!(sub(&mut c, &p, "${CUT(LIST,-,2-3)}"), "b-c");
        assert_eq!(sub(&mut c, &p, "${CUT(LIST,-,-2)}"), "a-b");
        assert_eq!(sub(&mut c, &p, "${CUT(LIST,-,3-)}"), "c-d");
        assert_eq!(sub(&mut c, &p, "${CUT(LIST,-,1&3)}"), "a-c");
        assert_eq!(sub(&mut c, &p, "${CUT(LIST,-,9)}"), "");
        assert_eq!(sub(&mut c, &p, "[${CUT(LIST,-,x)}]"), "[]");
        assert_eq!(sub(&mut c, &p, "[${CUT(LIST,-)}]"), "[]");
        c.vars.set("CH", Some("SIP/100-0000001"));
        assert_eq!(sub(&mut c, &p, "${CUT(CH,/,2)}"), "100-0000001");
        assert_eq!(sub(&mut c, &p, "${CUT(CUT(CH,/,2),-,1)}"), "100");
        c.vars.set("C", Some("a,b,c"));
        assert_eq!(sub(&mut c, &p, "${CUT(C,\\,,2)}"), "b");
        assert_eq!(sub(&mut c, &p, "${CUT(C,,,2)}"), "");
        // An empty delimiter is '-'.
        assert_eq!(sub(&mut c, &p, "${CUT(LIST,,4)}"), "d");
    }
}
