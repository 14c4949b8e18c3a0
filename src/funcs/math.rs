//! MATH: one operation on two numbers, `MATH(3*4,int)` (funcs/func_math.c). Operators,
//! found in this order: `*` `/` `%` `^` `AND` `XOR` `OR` `>` `>=` `>>` `<` `<=` `<<`
//! `==` `+` `-`. The result is `%f` unless the type says `int`, `hex` or `char`;
//! comparisons give `TRUE` or `FALSE`.

use super::util::{c_int, fmt_f, scan_float};
use super::Function;
use crate::apps::standard_args;
use crate::channel::Channel;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "MATH",
    synopsis: "Performs Mathematical Functions.",
    syntax: "MATH(expression[,type])",
    provided_by: "func_math",
    description: "Performs mathematical functions based on two parameters and an operator. The returned value type is type. Example: Set(i=${MATH(123%16,int)}) - sets var i=11. Operators: +, -, /, *, %, <<, >>, ^, AND, OR, XOR, <, >, <=, >=, ==. Types: f, float (default), i, int, h, hex, c, char.",
    read: Some(read),
    write: None,
};

#[derive(Clone, Copy, PartialEq)]
enum Op {
    Add,
    Div,
    Mul,
    Sub,
    Mod,
    Pow,
    Shl,
    Shr,
    And,
    Xor,
    Or,
    Gt,
    Lt,
    Ge,
    Le,
    Eq,
}

#[derive(Clone, Copy)]
enum Kind {
    Float,
    Int,
    Hex,
    Char,
}

/// Split `a<op>b`: the operator and where each operand starts and ends.
fn split(e: &str) -> Option<(Op, &str, &str)> {
    let find = |pat: &str| e.find(pat);
    let simple = |c: char, op: Op| e.find(c).map(|i| (op, &e[..i], &e[i + 1..]));
    if let Some(r) = simple('*', Op::Mul)
        .or_else(|| simple('/', Op::Div))
        .or_else(|| simple('%', Op::Mod))
        .or_else(|| simple('^', Op::Pow))
    {
        return Some(r);
    }
    if let Some(i) = find("AND") {
        return Some((Op::And, &e[..i], &e[i + 3..]));
    }
    if let Some(i) = find("XOR") {
        return Some((Op::Xor, &e[..i], &e[i + 3..]));
    }
    if let Some(i) = find("OR") {
        return Some((Op::Or, &e[..i], &e[i + 2..]));
    }
    if let Some(i) = find(">") {
        return Some(match e[i + 1..].chars().next() {
            Some('=') => (Op::Ge, &e[..i], &e[i + 2..]),
            Some('>') => (Op::Shr, &e[..i], &e[i + 2..]),
            _ => (Op::Gt, &e[..i], &e[i + 1..]),
        });
    }
    if let Some(i) = find("<") {
        return Some(match e[i + 1..].chars().next() {
            Some('=') => (Op::Le, &e[..i], &e[i + 2..]),
            Some('<') => (Op::Shl, &e[..i], &e[i + 2..]),
            _ => (Op::Lt, &e[..i], &e[i + 1..]),
        });
    }
    if let Some(i) = find("=") {
        // A single '=' is no operator.
        return (e[i + 1..].starts_with('=')).then(|| (Op::Eq, &e[..i], &e[i + 2..]));
    }
    simple('+', Op::Add).or_else(|| simple('-', Op::Sub))
}

fn read(_chan: &mut Channel, _pbx: &Pbx, args: &str) -> Option<String> {
    let warn = |m: &str| crate::logger::warning("func_math.c", m);
    if args.is_empty() {
        warn("Syntax: MATH(<number1><op><number 2>[,<type_of_result>]) - missing argument!");
        return None;
    }
    let a = standard_args(args);
    let expr = a.first().map(String::as_str).unwrap_or("");
    // A leading minus belongs to the first number, not to a subtraction.
    let (neg, e) = match expr.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, expr),
    };
    let parts = split(e);
    let kind = match a.get(1).map(|t| t.to_ascii_lowercase()) {
        None => Kind::Float,
        Some(t) => match t.as_str() {
            "float" | "f" => Kind::Float,
            "int" | "i" => Kind::Int,
            "hex" | "h" => Kind::Hex,
            "char" | "c" => Kind::Char,
            _ => {
                warn(&format!("Unknown type of result requested '{}'.", a[1]));
                return None;
            }
        },
    };
    let Some((op, s1, s2)) = parts else {
        warn("Supply all the parameters - just this once, please");
        return None;
    };
    let Some((mut n1, _)) = scan_float(s1) else {
        warn(&format!("'{s1}' is not a valid number"));
        return None;
    };
    let Some((n2, _)) = scan_float(s2) else {
        warn(&format!("'{s2}' is not a valid number"));
        return None;
    };
    if neg {
        n1 = -n1;
    }
    let (i1, i2) = (c_int(n1), c_int(n2));
    let cmp = |b: bool| Some(if b { "TRUE" } else { "FALSE" }.to_string());
    let v = match op {
        Op::Add => n1 + n2,
        Op::Sub => n1 - n2,
        Op::Mul => n1 * n2,
        Op::Div => {
            if n2 <= 0.0 {
                0.0
            } else {
                n1 / n2
            }
        }
        Op::Mod => {
            if i2 == 0 {
                0.0
            } else {
                f64::from(i1.wrapping_rem(i2))
            }
        }
        Op::Pow => n1.powf(n2),
        Op::Shl => f64::from(i1.wrapping_shl(i2 as u32)),
        Op::Shr => f64::from(i1.wrapping_shr(i2 as u32)),
        Op::And => f64::from(i1 & i2),
        Op::Xor => f64::from(i1 ^ i2),
        Op::Or => f64::from(i1 | i2),
        Op::Gt => return cmp(n1 > n2),
        Op::Lt => return cmp(n1 < n2),
        Op::Ge => return cmp(n1 >= n2),
        Op::Le => return cmp(n1 <= n2),
        Op::Eq => return cmp(n1 == n2),
    };
    Some(match kind {
        Kind::Float => fmt_f(v, 6),
        Kind::Int => c_int(v).to_string(),
        Kind::Hex => format!("{:x}", to_unsigned(v)),
        Kind::Char => {
            let b = to_unsigned(v) as u8;
            String::from_utf8_lossy(&[b]).into_owned()
        }
    })
}

/// `(unsigned int)` of a double as x86-64 converts it.
fn to_unsigned(v: f64) -> u32 {
    if v.is_nan() || !(-9.2e18..9.2e18).contains(&v) {
        0
    } else {
        (v as i64) as u32
    }
}

#[cfg(test)]
mod tests {
    use crate::funcs::util::{sub, test_env};

    #[test]
    fn results() {
        let (mut c, p) = test_env();
        let cases = [
            ("3*4,int", "12"),
            ("10/4", "2.500000"),
            ("123%16,int", "11"),
            ("123%16", "11.000000"),
            ("2^10,i", "1024"),
            ("-5+3", "-2.000000"),
            ("5--3,int", "8"),
            ("1<<4,int", "16"),
            ("256>>4,int", "16"),
            ("12AND10,int", "8"),
            ("12OR3,int", "15"),
            ("12XOR10,int", "6"),
            ("255+0,hex", "ff"),
            ("65+0,c", "A"),
            ("3>2", "TRUE"),
            ("3<2", "FALSE"),
            ("3>=3", "TRUE"),
            ("3<=2", "FALSE"),
            ("3==3.0", "TRUE"),
            ("5/0", "0.000000"),
            ("7/2,int", "3"),
            ("-7/2,int", "-3"),
            (" 3 * 4 ,int", "12"),
        ];
        for (e, want) in cases {
            assert_eq!(sub(&mut c, &p, &format!("${{MATH({e})}}")), want, "{e}");
        }
        for bad in ["", "3", "3=4", "a+1", "3*4,bogus"] {
            assert_eq!(
                sub(&mut c, &p, &format!("[${{MATH({bad})}}]")),
                "[]",
                "{bad}"
            );
        }
    }
}
