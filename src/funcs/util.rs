//! Helpers the function files share: Asterisk's argument and escape conventions
//! (`ast_get_encoded_char`, `ast_strip`, `ast_strip_quoted`), `sscanf`-style number
//! reading, and reading or setting a variable by name as the C functions do.

use crate::channel::Channel;
use crate::pbx::Pbx;

/// C `isspace` in the C locale.
pub fn is_c_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r')
}

/// `ast_strip`: whitespace off both ends.
pub fn strip(s: &str) -> &str {
    s.trim_matches(is_c_space)
}

/// `ast_strip_quoted(s, "\"", "\"")`: strip, then drop one pair of surrounding quotes.
pub fn strip_quoted(s: &str) -> &str {
    let s = strip(s);
    if s.starts_with('"') {
        if s.len() == 1 {
            return "";
        }
        if s.ends_with('"') {
            return &s[1..s.len() - 1];
        }
    }
    s
}

/// `ast_get_encoded_char`: one (possibly escaped) byte from the front of `s` and how many
/// bytes it took. `\n`, `\r`, `\t`, `\xHH`, `\0ooo` and `\<c>` are understood. None on
/// an empty string or a bad hexadecimal escape.
pub fn encoded_char(s: &[u8]) -> Option<(u8, usize)> {
    let first = *s.first()?;
    if first != b'\\' {
        return Some((first, 1));
    }
    let at = |i: usize| s.get(i).copied().unwrap_or(0);
    match at(1) {
        b'n' => Some((b'\n', 2)),
        b'r' => Some((b'\r', 2)),
        b't' => Some((b'\t', 2)),
        b'x' => {
            let h1 = (at(2) as char).to_digit(16);
            let Some(h1) = h1 else {
                crate::logger::error(
                    "app.c",
                    &format!(
                        "Illegal character '{}' in hexadecimal string",
                        at(2) as char
                    ),
                );
                return None;
            };
            match (at(3) as char).to_digit(16) {
                Some(h2) => Some(((h1 * 16 + h2) as u8, 4)),
                None => Some((h1 as u8, 3)),
            }
        }
        b'0' => {
            let mut v: u8 = 0;
            let mut n = 2;
            while matches!(at(n), b'0'..=b'7') {
                v = v.wrapping_shl(3).wrapping_add(at(n) - b'0');
                n += 1;
            }
            Some((v, n))
        }
        // A lone backslash at the end gives a NUL, as C reads the terminator.
        c => Some((c, 2)),
    }
}

/// `ast_get_encoded_str`: the whole string with its escapes decoded.
pub fn encoded_str(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match encoded_char(&b[i..]) {
            Some((0, _)) | None => break,
            Some((c, n)) => {
                out.push(c);
                i += n;
            }
        }
    }
    out
}

/// Bytes back to text (invalid UTF-8 is replaced, which only escapes can produce).
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `sscanf(s, "%d")`: the leading integer (after whitespace) and what follows it.
pub fn scan_int(s: &str) -> Option<(i64, &str)> {
    let t = s.trim_start_matches(is_c_space);
    let b = t.as_bytes();
    let mut end = usize::from(matches!(b.first(), Some(b'-' | b'+')));
    let digits = b[end..].iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 {
        return None;
    }
    end += digits;
    // C's int conversion of a long: keep the low 32 bits.
    let v = t[..end]
        .parse::<i128>()
        .map(|v| v as i64 as i32 as i64)
        .unwrap_or(if b[0] == b'-' { i64::MIN } else { -1 });
    Some((v, &t[end..]))
}

/// `atoi`: the leading integer or 0.
pub fn atoi(s: &str) -> i64 {
    scan_int(s).map(|(v, _)| v).unwrap_or(0)
}

/// `sscanf(s, "%lf")` / `strtod`: the leading floating point number and what follows.
pub fn scan_float(s: &str) -> Option<(f64, &str)> {
    let t = s.trim_start_matches(is_c_space);
    let b = t.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'-' | b'+')));
    let neg = b.first() == Some(&b'-');
    let rest = &t[i..];
    let lower = rest.get(..8).unwrap_or(rest).to_ascii_lowercase();
    if lower.starts_with("inf") {
        let n = if lower.starts_with("infinity") { 8 } else { 3 };
        let v = if neg {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
        return Some((v, &rest[n..]));
    }
    if lower.starts_with("nan") {
        return Some((f64::NAN, &rest[3..]));
    }
    if lower.starts_with("0x") {
        let h = &rest[2..];
        let hb = h.as_bytes();
        let mut j = 0;
        let mut v = 0f64;
        while j < hb.len() && hb[j].is_ascii_hexdigit() {
            v = v * 16.0 + f64::from((hb[j] as char).to_digit(16).unwrap_or(0));
            j += 1;
        }
        let mut any = j > 0;
        if j < hb.len() && hb[j] == b'.' {
            j += 1;
            let mut scale = 1.0 / 16.0;
            while j < hb.len() && hb[j].is_ascii_hexdigit() {
                v += f64::from((hb[j] as char).to_digit(16).unwrap_or(0)) * scale;
                scale /= 16.0;
                j += 1;
                any = true;
            }
        }
        if !any {
            // "0x" with nothing after reads as 0 followed by "x".
            return Some((0.0, &rest[1..]));
        }
        let v = if neg { -v } else { v };
        return Some((v, &h[j..]));
    }
    let start = i;
    let digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    i += digits;
    let mut frac = 0;
    if b.get(i) == Some(&b'.') {
        frac = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits + frac > 0 {
            i += 1 + frac;
        }
    }
    if digits + frac == 0 {
        return None;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(b.get(j), Some(b'-' | b'+')) {
            j += 1;
        }
        let ed = b[j..].iter().take_while(|c| c.is_ascii_digit()).count();
        if ed > 0 {
            i = j + ed;
        }
    }
    let _ = start;
    t[..i].parse::<f64>().ok().map(|v| (v, &t[i..]))
}

/// C `printf("%f")`: six decimals, with C's names for the special values.
pub fn fmt_f(v: f64, prec: usize) -> String {
    if v.is_nan() {
        if v.is_sign_negative() {
            "-nan".into()
        } else {
            "nan".into()
        }
    } else if v.is_infinite() {
        if v < 0.0 {
            "-inf".into()
        } else {
            "inf".into()
        }
    } else {
        format!("{v:.prec$}")
    }
}

/// A C `(int)` cast of a double as x86 does it: out of range (or NaN) is INT_MIN.
pub fn c_int(v: f64) -> i32 {
    if v.is_nan() || v >= 2147483648.0 || v <= -2147483649.0 {
        i32::MIN
    } else {
        v as i32
    }
}

/// `${name}` substituted: a variable (or `name:offset:length`, or a builtin) by name, as
/// the list functions read their first argument.
pub fn var_value(chan: &mut Channel, pbx: &Pbx, name: &str) -> String {
    crate::pbx::subst::substitute(chan, pbx, &format!("${{{name}}}"))
}

/// `pbx_builtin_getvar_helper`: the channel's variable, else the global.
pub fn getvar(chan: &Channel, pbx: &Pbx, name: &str) -> Option<String> {
    match chan.vars.get(name) {
        Some(v) => Some(v.to_string()),
        None => pbx.global(name),
    }
}

/// `pbx_builtin_setvar_helper` on the channel (a `NAME(...)` writes that function).
pub fn setvar(chan: &mut Channel, pbx: &Pbx, name: &str, value: &str) {
    crate::apps::set::setvar(chan, pbx, name, value);
}

/// A channel and PBX for the unit tests.
#[cfg(test)]
pub fn test_env() -> (Channel, std::sync::Arc<Pbx>) {
    let pbx = Pbx::with_db(
        std::path::PathBuf::from("/nonexistent"),
        crate::config::ConfigSet::default(),
        crate::astdb::AstDb::memory(),
    );
    let chan = Channel::new(
        "SIP/100-00000001".into(),
        "1700000000.1".into(),
        "default",
        "100",
    );
    (chan, pbx)
}

/// A PBX running the given extensions.conf (tests).
#[cfg(test)]
pub fn test_env_with(extensions: &str) -> (Channel, std::sync::Arc<Pbx>) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("extensions.conf"), extensions).unwrap();
    let cfg = crate::config::ConfigSet::load(dir.path());
    let pbx = Pbx::with_db(dir.path().to_path_buf(), cfg, crate::astdb::AstDb::memory());
    let chan = Channel::new(
        "SIP/100-00000001".into(),
        "1700000000.1".into(),
        "default",
        "100",
    );
    (chan, pbx)
}

/// Substitute `templ` on the channel (tests).
#[cfg(test)]
pub fn sub(chan: &mut Channel, pbx: &Pbx, templ: &str) -> String {
    crate::pbx::subst::substitute(chan, pbx, templ)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(encoded_char(b"\\x2f"), Some((b'/', 4)));
        assert_eq!(encoded_char(b"\\x2"), Some((2, 3)));
        assert_eq!(encoded_char(b"\\n"), Some((b'\n', 2)));
        assert_eq!(encoded_char(b"\\054"), Some((b',', 4)));
        assert_eq!(encoded_char(b"-"), Some((b'-', 1)));
        assert_eq!(encoded_char(b""), None);
        assert_eq!(encoded_char(b"\\xg"), None);
        assert_eq!(encoded_str("a\\tb"), b"a\tb");
    }

    #[test]
    fn numbers() {
        assert_eq!(scan_int("  42abc"), Some((42, "abc")));
        assert_eq!(scan_int("-7"), Some((-7, "")));
        assert_eq!(scan_int("x"), None);
        assert_eq!(scan_float("2.5e1x"), Some((25.0, "x")));
        assert_eq!(scan_float(" .5"), Some((0.5, "")));
        assert_eq!(scan_float("0x10"), Some((16.0, "")));
        assert_eq!(scan_float("."), None);
        assert_eq!(fmt_f(2.5, 6), "2.500000");
        assert_eq!(c_int(1e12), i32::MIN);
        assert_eq!(strip_quoted("  \"a b\" "), "a b");
        assert_eq!(strip_quoted("\""), "");
    }
}
