//! Variable and expression substitution: `${VAR}`, `${VAR:offset:length}`, `${FUNC(args)}`
//! and `$[expression]`, nested, as Asterisk's `pbx_substitute_variables_helper` does it
//! (main/pbx_variables.c): find the matching close brace, substitute inside first when
//! the inside holds more `${`/`$[`, then look the name up (builtins, channel variables,
//! globals) or call the function, and cut the substring.

use super::Pbx;
use crate::channel::Channel;

/// Substitute everything in `templ`.
pub fn substitute(chan: &mut Channel, pbx: &Pbx, templ: &str) -> String {
    if !templ.contains('$') {
        return templ.to_string();
    }
    let mut out = String::with_capacity(templ.len() + 16);
    substitute_into(chan, pbx, templ, &mut out);
    out
}

fn substitute_into(chan: &mut Channel, pbx: &Pbx, templ: &str, out: &mut String) {
    let b = templ.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let Some(off) = templ[i..].find('$') else {
            out.push_str(&templ[i..]);
            return;
        };
        let at = i + off;
        out.push_str(&templ[i..at]);
        match b.get(at + 1) {
            Some(b'{') => {
                let (inner, needsub, next) = scan(templ, at + 2, b'{', b'}');
                i = next;
                let name = if needsub {
                    substitute(chan, pbx, inner)
                } else {
                    inner.to_string()
                };
                let (base, offset, length, isfunc) = split_name(&name);
                let value = if isfunc {
                    crate::funcs::read(chan, pbx, base)
                } else {
                    retrieve(chan, pbx, base)
                };
                if let Some(v) = value {
                    out.push_str(&substring(&v, offset, length));
                }
            }
            Some(b'[') => {
                let (inner, needsub, next) = scan(templ, at + 2, b'[', b']');
                i = next;
                let expr = if needsub {
                    substitute(chan, pbx, inner)
                } else {
                    inner.to_string()
                };
                match crate::dialplan::expr::evaluate(&expr) {
                    Ok(v) => out.push_str(&v),
                    Err(e) => {
                        crate::logger::warning("ast_expr2.fl", &e.message);
                        crate::logger::warning(
                            "ast_expr2.fl",
                            "If you have questions, please refer to https://docs.asterisk.org/Configuration/Dialplan/Variables/Channel-Variables/",
                        );
                    }
                }
            }
            _ => {
                out.push('$');
                i = at + 1;
            }
        }
    }
}

/// From just after `${` (or `$[`), find the closing bracket. Returns the inside, whether
/// it holds nested substitutions, and where to continue.
fn scan(s: &str, start: usize, open: u8, close: u8) -> (&str, bool, usize) {
    let b = s.as_bytes();
    let mut depth = 1;
    let mut needsub = false;
    let mut j = start;
    while j < b.len() {
        let c = b[j];
        if c == b'$' && b.get(j + 1) == Some(&open) {
            needsub = true;
            depth += 1;
            j += 2;
            continue;
        }
        if c == b'$' && matches!(b.get(j + 1), Some(b'{') | Some(b'[')) {
            needsub = true;
            j += 1;
            continue;
        }
        if c == open {
            depth += 1;
        } else if c == close {
            depth -= 1;
            if depth == 0 {
                return (&s[start..j], needsub, j + 1);
            }
        }
        j += 1;
    }
    crate::logger::warning(
        "pbx_variables.c",
        &format!(
            "Error in extension logic (missing '{}')",
            if close == b'}' { '}' } else { ']' }
        ),
    );
    (&s[start..], needsub, b.len())
}

/// `parse_variable_name`: `NAME:offset:length` (a `:` inside parentheses does not count).
pub fn split_name(name: &str) -> (&str, i64, i64, bool) {
    let mut parens = 0i32;
    let mut isfunc = false;
    for (k, c) in name.bytes().enumerate() {
        match c {
            b'(' => {
                isfunc = true;
                parens += 1;
            }
            b')' => parens -= 1,
            b':' if parens == 0 => {
                let rest = &name[k + 1..];
                let (o, l) = match rest.split_once(':') {
                    Some((o, l)) => (leading_int(o), leading_int_or(l, i64::from(i32::MAX))),
                    None => (leading_int(rest), i64::from(i32::MAX)),
                };
                return (&name[..k], o, l, isfunc);
            }
            _ => {}
        }
    }
    (name, 0, i64::from(i32::MAX), isfunc)
}

fn leading_int(s: &str) -> i64 {
    leading_int_or(s, 0)
}

/// `sscanf("%d")`: the leading integer, or `default` when there is none.
fn leading_int_or(s: &str, default: i64) -> i64 {
    let s = s.trim_start();
    let b = s.as_bytes();
    let mut end = 0;
    if matches!(b.first(), Some(b'-') | Some(b'+')) {
        end = 1;
    }
    let digits = b[end..].iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 {
        return default;
    }
    s[..end + digits].parse().unwrap_or(default)
}

/// `ast_str_substring`: byte offsets as Asterisk counts them; negative offset counts from
/// the end, negative length leaves that many off the end.
pub fn substring(value: &str, offset: i64, length: i64) -> std::borrow::Cow<'_, str> {
    let lr = value.len() as i64;
    if offset == 0 && length >= lr {
        return value.into();
    }
    let mut offset = offset;
    if offset < 0 {
        offset = (lr + offset).max(0);
    }
    if offset >= lr {
        return "".into();
    }
    let rest = lr - offset;
    let take = if length >= 0 {
        length.min(rest)
    } else if rest > -length {
        rest + length
    } else {
        0
    };
    let bytes = &value.as_bytes()[offset as usize..(offset + take) as usize];
    match std::str::from_utf8(bytes) {
        Ok(s) => s.into(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned().into(),
    }
}

/// `ast_str_retrieve_variable`: builtins first, then the channel's variables, then globals.
pub fn retrieve(chan: &Channel, pbx: &Pbx, var: &str) -> Option<String> {
    let builtin = match var {
        "EXTEN" => Some(chan.exten.clone()),
        "CONTEXT" => Some(chan.context.clone()),
        "PRIORITY" => Some(chan.priority.to_string()),
        "CHANNEL" => Some(chan.name.clone()),
        "UNIQUEID" => Some(chan.uniqueid.clone()),
        "HANGUPCAUSE" => Some(chan.hangupcause.to_string()),
        "EPOCH" => Some(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0)
                .to_string(),
        ),
        "SYSTEMNAME" => Some(pbx.systemname.clone()),
        "HINT" => {
            return pbx
                .dialplan()
                .hint(&chan.context, &chan.exten)
                .map(str::to_string)
        }
        _ if var.starts_with("AST") && var.ends_with("DIR") => {
            let key = var.to_ascii_lowercase();
            let cfg = pbx.config.read().unwrap();
            cfg.asterisk.dir(&key).map(str::to_string)
        }
        _ => None,
    };
    if builtin.is_some() {
        return builtin;
    }
    if let Some(v) = chan.vars.get(var) {
        return Some(v.to_string());
    }
    pbx.global(var)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substrings() {
        assert_eq!(substring("abcdefgh", 2, i64::from(i32::MAX)), "cdefgh");
        assert_eq!(substring("abcdefgh", 2, 3), "cde");
        assert_eq!(substring("abcdefgh", -3, i64::from(i32::MAX)), "fgh");
        assert_eq!(substring("abcdefgh", -3, 2), "fg");
        assert_eq!(substring("abcdefgh", 0, -2), "abcdef");
        assert_eq!(substring("abcdefgh", 20, 2), "");
        assert_eq!(
            substring("+74951234567", 1, i64::from(i32::MAX)),
            "74951234567"
        );
        assert_eq!(substring("+74951234567", 2, 3), "495");
    }

    #[test]
    fn names() {
        assert_eq!(split_name("X:2:3"), ("X", 2, 3, false));
        assert_eq!(split_name("X:-3"), ("X", -3, i64::from(i32::MAX), false));
        assert_eq!(
            split_name("CUT(a:b,-,1):1"),
            ("CUT(a:b,-,1)", 1, i64::from(i32::MAX), true)
        );
    }
}
