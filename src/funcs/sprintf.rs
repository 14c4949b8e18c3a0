//! SPRINTF: C `printf` formatting of dialplan values (funcs/func_sprintf.c). Integer
//! (`d i o u x X c`), floating point (`e E f F g G a A`) and string (`s`) conversions,
//! with flags, width, precision and length modifiers.

use super::util::{scan_float, scan_int};
use super::Function;
use crate::apps::standard_args;
use crate::channel::Channel;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "SPRINTF",
    synopsis: "Format a variable according to a format string.",
    syntax: "SPRINTF(format,arg1[,arg2[,...][,argN]])",
    provided_by: "func_sprintf",
    description: "Parses the format string specified and returns a string matching that format. Supports most options found in sprintf(3). Returns a shortened string if a format specifier is not recognized.",
    read: Some(read),
    write: None,
};

#[derive(Default, Clone, Copy)]
struct Spec {
    left: bool,
    zero: bool,
    plus: bool,
    space: bool,
    alt: bool,
    width: usize,
    prec: Option<usize>,
}

/// Pad `body` (after `prefix`, the sign or 0x) to the width.
fn pad(spec: &Spec, prefix: &str, body: &str, zero_ok: bool) -> String {
    let len = prefix.chars().count() + body.chars().count();
    if len >= spec.width {
        return format!("{prefix}{body}");
    }
    let fill = spec.width - len;
    if spec.left {
        format!("{prefix}{body}{}", " ".repeat(fill))
    } else if spec.zero && zero_ok {
        format!("{prefix}{}{body}", "0".repeat(fill))
    } else {
        format!("{}{prefix}{body}", " ".repeat(fill))
    }
}

fn sign(spec: &Spec, neg: bool) -> &'static str {
    if neg {
        "-"
    } else if spec.plus {
        "+"
    } else if spec.space {
        " "
    } else {
        ""
    }
}

fn fmt_int(spec: &Spec, conv: char, v: i32) -> String {
    let u = v as u32;
    let (neg, mut digits, mut prefix) = match conv {
        'd' | 'i' => (v < 0, v.unsigned_abs().to_string(), String::new()),
        'u' => (false, u.to_string(), String::new()),
        'o' => (false, format!("{u:o}"), String::new()),
        'x' => (
            false,
            format!("{u:x}"),
            if spec.alt && u != 0 {
                "0x".into()
            } else {
                String::new()
            },
        ),
        'X' => (
            false,
            format!("{u:X}"),
            if spec.alt && u != 0 {
                "0X".into()
            } else {
                String::new()
            },
        ),
        _ => (false, String::new(), String::new()),
    };
    if let Some(p) = spec.prec {
        if p == 0 && v == 0 {
            digits.clear();
        }
        while digits.len() < p {
            digits.insert(0, '0');
        }
    }
    if conv == 'o' && spec.alt && !digits.starts_with('0') {
        digits.insert(0, '0');
    }
    if matches!(conv, 'd' | 'i') {
        prefix = sign(spec, neg).to_string();
    }
    pad(spec, &prefix, &digits, spec.prec.is_none())
}

/// C's `%e` body: mantissa, `e`, sign and at least two exponent digits.
fn exp_form(a: f64, p: usize, upper: bool, alt: bool) -> String {
    let s = format!("{a:.p$e}");
    let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
    let e: i32 = e.parse().unwrap_or(0);
    let mut m = m.to_string();
    if alt && p == 0 {
        m.push('.');
    }
    let out = format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs());
    if upper {
        out.to_uppercase()
    } else {
        out
    }
}

fn strip_zeros(s: &str) -> String {
    if let Some((m, e)) = s.split_once(['e', 'E']) {
        let sep = if s.contains('E') { 'E' } else { 'e' };
        let m = if m.contains('.') {
            m.trim_end_matches('0').trim_end_matches('.')
        } else {
            m
        };
        format!("{m}{sep}{e}")
    } else if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

fn hex_float(a: f64, prec: Option<usize>, upper: bool) -> String {
    let bits = a.to_bits();
    let raw_exp = ((bits >> 52) & 0x7ff) as i64;
    let mant = bits & ((1u64 << 52) - 1);
    let (lead, exp) = if a == 0.0 {
        (0, 0)
    } else if raw_exp == 0 {
        (0, -1022)
    } else {
        (1, raw_exp - 1023)
    };
    let mut frac = format!("{mant:013x}");
    match prec {
        Some(p) => {
            frac.truncate(p);
            while frac.len() < p {
                frac.push('0');
            }
        }
        None => frac = frac.trim_end_matches('0').to_string(),
    }
    let dot = if frac.is_empty() { "" } else { "." };
    let s = format!(
        "0x{lead}{dot}{frac}p{}{}",
        if exp < 0 { '-' } else { '+' },
        exp.abs()
    );
    if upper {
        s.to_uppercase()
    } else {
        s
    }
}

fn fmt_float(spec: &Spec, conv: char, v: f64) -> String {
    let neg = v.is_sign_negative() && !v.is_nan();
    let a = v.abs();
    let upper = conv.is_ascii_uppercase();
    let pre = sign(spec, neg);
    if !a.is_finite() {
        let s = if a.is_nan() { "nan" } else { "inf" };
        let s = if upper {
            s.to_uppercase()
        } else {
            s.to_string()
        };
        return pad(spec, pre, &s, false);
    }
    let p = spec.prec.unwrap_or(6);
    let body = match conv.to_ascii_lowercase() {
        'f' => {
            let mut s = format!("{a:.p$}");
            if spec.alt && p == 0 {
                s.push('.');
            }
            s
        }
        'e' => exp_form(a, p, upper, spec.alt),
        'g' => {
            let p = if p == 0 { 1 } else { p };
            // The exponent the %e form would have, after rounding.
            let e = if a == 0.0 {
                0
            } else {
                let s = format!("{a:.*e}", p - 1);
                s.split_once('e')
                    .and_then(|(_, e)| e.parse::<i32>().ok())
                    .unwrap_or(0)
            };
            let s = if e < -4 || e >= p as i32 {
                exp_form(a, p - 1, upper, spec.alt)
            } else {
                let d = (p as i32 - 1 - e).max(0) as usize;
                format!("{a:.d$}")
            };
            if spec.alt {
                s
            } else {
                strip_zeros(&s)
            }
        }
        _ => {
            let s = hex_float(a, spec.prec, upper);
            let (px, rest) = s.split_at(2);
            return pad(spec, &format!("{pre}{px}"), rest, true);
        }
    };
    pad(spec, pre, &body, true)
}

fn read(_chan: &mut Channel, _pbx: &Pbx, args: &str) -> Option<String> {
    let a = standard_args(args);
    let fmt = a.first().map(String::as_str).unwrap_or("");
    let mut vals = a.iter().skip(1).take(100);
    let mut out = String::new();
    let mut chars = fmt.char_indices().peekable();
    let err = |m: String| {
        crate::logger::error("func_sprintf.c", &m);
    };
    while let Some((start, c)) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = Spec::default();
        while let Some(&(_, f)) = chars.peek() {
            match f {
                '-' => spec.left = true,
                '0' => spec.zero = true,
                '+' => spec.plus = true,
                ' ' => spec.space = true,
                '#' => spec.alt = true,
                '\'' | 'I' => {}
                _ => break,
            }
            chars.next();
        }
        while let Some(&(_, d)) = chars.peek() {
            match d.to_digit(10) {
                Some(v) => {
                    spec.width = spec.width * 10 + v as usize;
                    chars.next();
                }
                None => break,
            }
        }
        if let Some(&(_, '.')) = chars.peek() {
            chars.next();
            let mut p = 0;
            while let Some(&(_, d)) = chars.peek() {
                match d.to_digit(10) {
                    Some(v) => {
                        p = p * 10 + v as usize;
                        chars.next();
                    }
                    None => break,
                }
            }
            spec.prec = Some(p);
        }
        while let Some(&(_, l)) = chars.peek() {
            if "hlLqjzt".contains(l) {
                chars.next();
            } else {
                break;
            }
        }
        let Some((end, conv)) = chars.next() else {
            break;
        };
        let this = &fmt[start..end + conv.len_utf8()];
        match conv {
            'd' | 'i' | 'o' | 'u' | 'x' | 'X' | 'c' => {
                let Some(arg) = vals.next() else {
                    err("SPRINTF() has more format specifiers than arguments!".into());
                    return None;
                };
                let Some((v, _)) = scan_int(arg) else {
                    err(format!(
                        "Argument '{arg}' is not an integer number for format '{this}'"
                    ));
                    return None;
                };
                let v = v as i32;
                if conv == 'c' {
                    let b = [v as u8];
                    let s = String::from_utf8_lossy(&b).into_owned();
                    out.push_str(&pad(&spec, "", &s, false));
                } else {
                    out.push_str(&fmt_int(&spec, conv, v));
                }
            }
            'e' | 'E' | 'f' | 'F' | 'g' | 'G' | 'a' | 'A' => {
                let Some(arg) = vals.next() else {
                    err("SPRINTF() has more format specifiers than arguments!".into());
                    return None;
                };
                let Some((v, _)) = scan_float(arg) else {
                    err(format!(
                        "Argument '{arg}' is not a floating point number for format '{this}'"
                    ));
                    return None;
                };
                out.push_str(&fmt_float(&spec, conv, v));
            }
            's' => {
                let s = vals.next().map(String::as_str).unwrap_or("(null)");
                let s = match spec.prec {
                    Some(p) => {
                        let mut cut = p.min(s.len());
                        while !s.is_char_boundary(cut) {
                            cut -= 1;
                        }
                        &s[..cut]
                    }
                    None => s,
                };
                out.push_str(&pad(&spec, "", s, false));
            }
            '%' => out.push('%'),
            _ => {
                let arg = vals.next().map(String::as_str).unwrap_or("(null)");
                err(format!(
                    "Format type not supported: '{this}' with argument '{arg}'"
                ));
                return None;
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use crate::funcs::util::{sub, test_env};

    #[test]
    fn formats() {
        let (mut c, p) = test_env();
        let cases = [
            ("%05d,42", "00042"),
            ("%-5d|,42", "42   |"),
            ("%+d %+d,5,-5", "+5 -5"),
            ("% d,5", " 5"),
            ("%x %X %#x %o %#o,255,255,255,8,8", "ff FF 0xff 10 010"),
            ("%u,-1", "4294967295"),
            ("%.3d,7", "007"),
            ("%c,65", "A"),
            ("%.2f,3.14159", "3.14"),
            ("%8.3f|,-3.14159", "  -3.142|"),
            ("%e,12345.678", "1.234568e+04"),
            ("%E,0.000123", "1.230000E-04"),
            (
                "%g %g %g %g,100000,1000000,0.0001,0.00001",
                "100000 1e+06 0.0001 1e-05",
            ),
            ("%g,3.14159", "3.14159"),
            ("%G,0.000001234", "1.234E-06"),
            ("%#g,1", "1.00000"),
            ("%a %a,1,10", "0x1p+0 0x1.4p+3"),
            ("%s-%5s-%-5s-%.2s,a,b,c,xyz", "a-    b-c    -xy"),
            ("100%%,x", "100%"),
            ("%3d%%,50", " 50%"),
            ("%ld %lld %hd,1,2,3", "1 2 3"),
            ("no args", "no args"),
        ];
        for (args, want) in cases {
            assert_eq!(
                sub(&mut c, &p, &format!("${{SPRINTF({args})}}")),
                want,
                "{args}"
            );
        }
        assert_eq!(sub(&mut c, &p, "[${SPRINTF(%d,abc)}]"), "[]");
        assert_eq!(sub(&mut c, &p, "[${SPRINTF(%d %d,1)}]"), "[]");
        assert_eq!(sub(&mut c, &p, "[${SPRINTF(%k,1)}]"), "[]");
        assert_eq!(sub(&mut c, &p, "[${SPRINTF(%s)}]"), "[(null)]");
    }
}
