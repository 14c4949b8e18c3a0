//! MIN, MAX and ABS (funcs/func_math.c): whole results print without decimals.

use super::util::{c_int, fmt_f, scan_float};
use super::Function;
use crate::apps::standard_args;
use crate::channel::Channel;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "MIN",
    synopsis: "Returns the minimum of two numbers.",
    syntax: "MIN([num1][,num2])",
    provided_by: "func_math",
    description: "Returns the minimum of two numbers num1 and num2.",
    read: Some(min),
    write: None,
};

pub static MAX: Function = Function {
    name: "MAX",
    synopsis: "Returns the maximum of two numbers.",
    syntax: "MAX([num1][,num2])",
    provided_by: "func_math",
    description: "Returns the maximum of two numbers num1 and num2.",
    read: Some(max),
    write: None,
};

pub static ABS: Function = Function {
    name: "ABS",
    synopsis: "Returns absolute value of a number.",
    syntax: "ABS([num1])",
    provided_by: "func_math",
    description: "Returns the absolute value of a number num1.",
    read: Some(abs),
    write: None,
};

fn show(v: f64) -> String {
    if f64::from(c_int(v)) == v {
        c_int(v).to_string()
    } else {
        fmt_f(v, 6)
    }
}

fn num(s: &str) -> Option<f64> {
    match scan_float(s) {
        Some((v, _)) => Some(v),
        None => {
            crate::logger::warning("func_math.c", &format!("'{s}' is not a valid number"));
            None
        }
    }
}

fn pick(args: &str, want_min: bool) -> Option<String> {
    let a = standard_args(args);
    let s1 = a.first().map(String::as_str).unwrap_or("");
    let s2 = a.get(1).map(String::as_str).unwrap_or("");
    if s1.is_empty() && s2.is_empty() {
        crate::logger::error("func_math.c", "Missing argument for number(s).");
        return None;
    }
    let n1 = if s1.is_empty() { None } else { Some(num(s1)?) };
    let n2 = if s2.is_empty() { n1 } else { Some(num(s2)?) };
    let r = match (n1, n2) {
        (Some(x), Some(y)) => {
            if want_min {
                if x > y {
                    y
                } else {
                    x
                }
            } else if x < y {
                y
            } else {
                x
            }
        }
        (None, Some(y)) => y,
        (Some(x), None) => x,
        (None, None) => return None,
    };
    Some(show(r))
}

fn min(_chan: &mut Channel, _pbx: &Pbx, args: &str) -> Option<String> {
    pick(args, true)
}

fn max(_chan: &mut Channel, _pbx: &Pbx, args: &str) -> Option<String> {
    pick(args, false)
}

fn abs(_chan: &mut Channel, _pbx: &Pbx, args: &str) -> Option<String> {
    let a = standard_args(args);
    let s = a.first().map(String::as_str).unwrap_or("");
    match scan_float(s) {
        Some((v, _)) if !s.is_empty() => Some(show(v.abs())),
        _ => {
            crate::logger::warning(
                "func_math.c",
                &format!("Bad or missing argument for number: {s}"),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::funcs::util::{sub, test_env};

    #[test]
    fn minmax() {
        let (mut c, p) = test_env();
        assert_eq!(
            sub(
                &mut c,
                &p,
                "${MIN(7,4)} ${MAX(7,4)} ${MIN(,3)} ${MAX(2.5,1)}"
            ),
            "4 7 3 2.500000"
        );
        assert_eq!(sub(&mut c, &p, "${ABS(-4)} ${ABS(-1.5)}"), "4 1.500000");
        assert_eq!(sub(&mut c, &p, "[${MIN()}][${ABS(x)}]"), "[][]");
    }
}
