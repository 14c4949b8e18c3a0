//! Shared helpers for the typed config modules: reading a [`Variable`] the way Asterisk's
//! option parsers do (`atoi`, `ast_true`, port numbers) and reporting unknown options and
//! bad values with the line they came from.

use super::{ast_false, ast_true, Spanned, Variable};
use crate::diag::Diagnostic;

/// The value of `v`, with its span.
pub fn text(v: &Variable) -> Spanned<String> {
    Spanned::new(v.value.clone(), v.span.clone())
}

/// `Some(text(v))`, for the many optional string fields.
pub fn some_text(v: &Variable) -> Option<Spanned<String>> {
    Some(text(v))
}

/// Whether `name` is in `names` or starts with one of `prefixes` (case-insensitive).
pub fn is_known(names: &[&str], prefixes: &[&str], name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    names.iter().any(|k| k.eq_ignore_ascii_case(&n))
        || prefixes
            .iter()
            .any(|p| n.starts_with(&p.to_ascii_lowercase()))
}

/// Keep an option the module does not know and report it (see [`unknown`]).
pub fn report_unknown(
    rule: &'static str,
    file: &str,
    section: &str,
    v: &Variable,
    warn: bool,
    diags: &mut Vec<Diagnostic>,
    kept: &mut Vec<Variable>,
) {
    diags.push(unknown(rule, file, section, v, warn));
    kept.push(v.clone());
}

/// A section kept as plain lines (`[general]` of musiconhold.conf, queues.conf): every line
/// goes to `lines`, and the ones not in `known` are reported and kept in `kept` too.
#[allow(clippy::too_many_arguments)]
pub fn plain_section(
    cat: &crate::config::Category,
    known: &[&str],
    rule: &'static str,
    file: &str,
    lines: &mut Vec<Variable>,
    diags: &mut Vec<Diagnostic>,
    kept: &mut Vec<Variable>,
) {
    for v in &cat.vars {
        if !is_known(known, &[], &v.name) {
            report_unknown(rule, file, &cat.name, v, false, diags, kept);
        }
        lines.push(v.clone());
    }
}

/// An option the module does not know. `ignored` says what Asterisk does with it.
pub fn unknown(
    rule: &'static str,
    file: &str,
    section: &str,
    v: &Variable,
    warn: bool,
) -> Diagnostic {
    let what = if warn {
        "Asterisk rejects unknown options here and fails to load the section"
    } else {
        "Asterisk ignores it"
    };
    let msg = format!(
        "unknown option '{}' in [{}] of {}; {}",
        v.name, section, file, what
    );
    if warn {
        Diagnostic::warning(rule, v.span.clone(), msg)
    } else {
        Diagnostic::info(rule, v.span.clone(), msg)
    }
}

/// C `atoi`: optional blanks, an optional sign, then digits; 0 when there are none.
pub fn atoi(s: &str) -> i64 {
    let t = s.trim_start();
    let (neg, rest) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let digits: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .take(18)
        .collect();
    let n: i64 = digits.parse().unwrap_or(0);
    if neg {
        -n
    } else {
        n
    }
}

/// `sscanf("%d")`: the leading integer, or None when the value does not start with one.
pub fn scan_int(s: &str) -> Option<i64> {
    let t = s.trim_start();
    let rest = t.strip_prefix(['-', '+']).unwrap_or(t);
    if rest.starts_with(|c: char| c.is_ascii_digit()) {
        Some(atoi(t))
    } else {
        None
    }
}

/// Whether the whole (trimmed) value is an integer.
pub fn is_int(s: &str) -> bool {
    let t = s.trim();
    let rest = t.strip_prefix(['-', '+']).unwrap_or(t);
    !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit())
}

/// A number read with `atoi`; a value that is not a whole number gets a warning saying what
/// Asterisk reads instead.
pub fn int(v: &Variable, rule: &'static str, diags: &mut Vec<Diagnostic>) -> Spanned<i64> {
    let n = atoi(&v.value);
    if !is_int(&v.value) {
        diags.push(Diagnostic::warning(
            rule,
            v.span.clone(),
            format!(
                "'{}' needs a number, not '{}'; Asterisk reads it as {}",
                v.name, v.value, n
            ),
        ));
    }
    Spanned::new(n, v.span.clone())
}

/// A number read with `sscanf("%d")`; when it does not parse, warn and return None (the
/// option keeps its default, as most Asterisk modules do).
pub fn int_or_default(
    v: &Variable,
    rule: &'static str,
    default: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<Spanned<i64>> {
    match scan_int(&v.value) {
        Some(n) if is_int(&v.value) => Some(Spanned::new(n, v.span.clone())),
        Some(n) => {
            diags.push(Diagnostic::warning(
                rule,
                v.span.clone(),
                format!(
                    "'{}' needs a number, not '{}'; Asterisk reads the leading {}",
                    v.name, v.value, n
                ),
            ));
            Some(Spanned::new(n, v.span.clone()))
        }
        None => {
            diags.push(Diagnostic::warning(
                rule,
                v.span.clone(),
                format!(
                    "'{}' needs a number, not '{}'; Asterisk keeps the default ({})",
                    v.name, v.value, default
                ),
            ));
            None
        }
    }
}

/// A boolean read with `ast_true`; a value that is neither true nor false gets a warning
/// (Asterisk treats it as false).
pub fn boolean(v: &Variable, rule: &'static str, diags: &mut Vec<Diagnostic>) -> Spanned<bool> {
    let b = ast_true(&v.value);
    if !b && !ast_false(&v.value) {
        diags.push(Diagnostic::warning(
            rule,
            v.span.clone(),
            format!(
                "'{}' is a yes/no option, not '{}'; Asterisk treats it as no",
                v.name, v.value
            ),
        ));
    }
    Spanned::new(b, v.span.clone())
}

/// A value from a fixed set (case-insensitive). Anything else gets a warning naming what
/// Asterisk does with it, and None.
pub fn choice(
    v: &Variable,
    allowed: &[&str],
    rule: &'static str,
    fallback: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<Spanned<String>> {
    let val = v.value.trim().to_ascii_lowercase();
    if allowed.iter().any(|a| *a == val) {
        Some(Spanned::new(val, v.span.clone()))
    } else {
        diags.push(Diagnostic::warning(
            rule,
            v.span.clone(),
            format!(
                "'{}' must be one of {}, not '{}'; {}",
                v.name,
                allowed.join(", "),
                v.value,
                fallback
            ),
        ));
        None
    }
}

/// `ast_strip_quoted(s, "\"", "\"")` after trimming blanks.
pub fn strip_quoted(s: &str) -> String {
    let t = s.trim();
    if t.len() >= 2 && t.starts_with('"') && t.ends_with('"') {
        t[1..t.len() - 1].to_string()
    } else {
        t.to_string()
    }
}

/// `port_str2int(s, 0)`: a port 1..=65535 read with `sscanf("%d")`, else None.
pub fn port(s: &str) -> Option<u16> {
    scan_int(s)
        .filter(|p| (1..=65535).contains(p))
        .map(|p| p as u16)
}

#[cfg(test)]
pub(crate) mod test_util {
    use crate::config::conf::parse_str;
    use crate::config::ConfFile;
    use std::path::Path;

    /// Parse `text` as if it were `/etc/asterisk/<name>`.
    pub fn conf(name: &str, text: &str) -> ConfFile {
        parse_str(
            Path::new("/nonexistent"),
            &Path::new("/etc/asterisk").join(name),
            text,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atoi_like_c() {
        assert_eq!(atoi("12abc"), 12);
        assert_eq!(atoi("  -7"), -7);
        assert_eq!(atoi("abc"), 0);
        assert_eq!(scan_int("abc"), None);
        assert_eq!(scan_int("30s"), Some(30));
        assert!(is_int(" 42 "));
        assert!(!is_int("4 2"));
    }

    #[test]
    fn ports_and_quotes() {
        assert_eq!(port("5060"), Some(5060));
        assert_eq!(port("0"), None);
        assert_eq!(port("70000"), None);
        assert_eq!(port("x"), None);
        assert_eq!(strip_quoted(" \"abc\" "), "abc");
        assert_eq!(strip_quoted("\"abc"), "\"abc");
    }
}
