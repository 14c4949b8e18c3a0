//! CALLERID: the caller's party id, read and written by field (funcs/func_callerid.c).
//! `name`, `num`/`number`, `all` (`"name" <num>`), `ani`, `rdnis`, `dnid`, with the
//! `-valid`, `-pres`, `-plan`, `-charset` sub-fields Asterisk has. `CALLERID(field,cid)`
//! reads a field of the given caller id text instead of the channel's.
//!
//! The channel keeps the name and number themselves; presentation, plan, char-set, tag
//! and the private/subaddress parts have no place in it yet, so writes to those are
//! checked (with Asterisk's errors) and their reads give Asterisk's defaults.

use super::util::{is_c_space, strip, strip_quoted};
use super::Function;
use crate::apps::{nonstandard_args, standard_args};
use crate::channel::Channel;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "CALLERID",
    synopsis: "Gets or sets Caller*ID data on the channel.",
    syntax: "CALLERID(datatype[,CID])",
    provided_by: "func_callerid",
    description: "Gets or sets Caller*ID data on the channel. Uses channel callerid by default or optional callerid, if specified. Data types: all, name, name-valid, name-charset, name-pres, num (number), num-valid, num-plan, num-pres, subaddr, tag, ton, ani, ani-name, ani-num, ani2, rdnis, dnid, dnid-num, dnid-num-plan, pres, priv...",
    read: Some(read),
    write: Some(write),
};

/// `ast_shrink_phone_number`: drop `(`, `)`, spaces, and `-` outside brackets.
pub fn shrink_phone_number(n: &str) -> String {
    let mut out = String::with_capacity(n.len());
    let mut bracketed = 0i32;
    let mut it = n.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '[' => {
                bracketed += 1;
                out.push(c)
            }
            ']' => {
                bracketed -= 1;
                out.push(c)
            }
            '-' => {
                if bracketed != 0 {
                    out.push(c)
                }
            }
            '.' => {
                if it.peek().is_none() {
                    out.push(c)
                }
            }
            '(' | ' ' | ')' => {}
            _ => out.push(c),
        }
    }
    out
}

fn unescape_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c == '\\' {
            if let Some(n) = it.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// `ast_callerid_split`: `"name" <num>`, `name <num>`, a bare number or a bare name.
pub fn split_callerid(input: &str) -> (String, String) {
    let s = strip(input);
    let instr = strip_quoted(s);
    let quotes_stripped = instr.len() != s.len();
    let (name, num) = if let Some(ls) = instr.rfind('<') {
        let loc = &instr[ls + 1..];
        let loc = match loc.rfind('>') {
            Some(le) => &loc[..le],
            None => loc,
        };
        (Some(strip_quoted(&instr[..ls])), Some(loc.to_string()))
    } else {
        let tmp = shrink_phone_number(instr);
        let is_phone = !tmp.is_empty() && tmp.chars().all(|c| "0123456789*#+".contains(c));
        if !quotes_stripped && is_phone {
            (None, Some(tmp))
        } else {
            (Some(strip_quoted(instr)), None)
        }
    };
    (
        name.map(unescape_quoted).unwrap_or_default(),
        num.map(|n| shrink_phone_number(&n)).unwrap_or_default(),
    )
}

/// Asterisk's presentation names, by value.
const PRES: &[(i32, &str)] = &[
    (0x00, "allowed_not_screened"),
    (0x01, "allowed_passed_screen"),
    (0x02, "allowed_failed_screen"),
    (0x03, "allowed"),
    (0x20, "prohib_not_screened"),
    (0x21, "prohib_passed_screen"),
    (0x22, "prohib_failed_screen"),
    (0x23, "prohib"),
    (0x43, "unavailable"),
];

/// `ast_parse_caller_presentation` (or a number): None when unknown.
fn parse_pres(v: &str) -> Option<i32> {
    let v = v.trim_end_matches(is_c_space);
    if v.starts_with(|c: char| c.is_ascii_digit()) {
        return Some(super::util::atoi(v) as i32);
    }
    PRES.iter()
        .find(|(_, n)| n.eq_ignore_ascii_case(v))
        .map(|(p, _)| *p)
}

const CHARSETS: &[&str] = &[
    "unknown",
    "iso8859-1",
    "withdrawn",
    "iso8859-2",
    "iso8859-3",
    "iso8859-4",
    "iso8859-5",
    "iso8859-7",
    "bmp",
    "utf8",
];

fn unknown(data: &str) {
    crate::logger::error(
        "func_callerid.c",
        &format!("Unknown callerid data type '{data}'."),
    );
}

/// A party's name and number as the channel keeps them.
struct Party<'a> {
    name: Option<&'a str>,
    num: Option<&'a str>,
}

/// `party_id_read`: Some(value), or None for an unknown field.
fn party_read(p: &Party<'_>, sub: &[String]) -> Option<String> {
    let first = sub.first()?;
    let f = first.to_ascii_lowercase();
    let rest = &sub[1..];
    let valid = |o: Option<&str>| if o.is_some() { "1" } else { "0" }.to_string();
    if sub.len() == 1 && f == "all" {
        return Some(format!(
            "\"{}\" <{}>",
            p.name.unwrap_or(""),
            p.num.unwrap_or("")
        ));
    }
    if f == "name" {
        return match rest.first().map(|s| s.to_ascii_lowercase()) {
            None => Some(p.name.unwrap_or("").to_string()),
            Some(s) if rest.len() == 1 && s == "valid" => Some(valid(p.name)),
            Some(s) if rest.len() == 1 && s == "charset" => Some("iso8859-1".into()),
            Some(s) if rest.len() == 1 && s.starts_with("pres") => {
                Some("allowed_not_screened".into())
            }
            _ => None,
        };
    }
    if f.starts_with("num") {
        return match rest.first().map(|s| s.to_ascii_lowercase()) {
            None => Some(p.num.unwrap_or("").to_string()),
            Some(s) if rest.len() == 1 && s == "valid" => Some(valid(p.num)),
            Some(s) if rest.len() == 1 && s == "plan" => Some("0".into()),
            Some(s) if rest.len() == 1 && s.starts_with("pres") => {
                Some("allowed_not_screened".into())
            }
            _ => None,
        };
    }
    if f.starts_with("subaddr") {
        return match rest.first().map(|s| s.to_ascii_lowercase()) {
            None => Some(String::new()),
            Some(s) if rest.len() == 1 && matches!(s.as_str(), "valid" | "type" | "odd") => {
                Some("0".into())
            }
            _ => None,
        };
    }
    if sub.len() == 1 && f == "tag" {
        return Some(String::new());
    }
    if sub.len() == 1 && f == "ton" {
        return Some("0".into());
    }
    if sub.len() == 1 && f.starts_with("pres") {
        let pres = if p.name.is_some() || p.num.is_some() {
            "allowed_not_screened"
        } else {
            "unavailable"
        };
        return Some(pres.into());
    }
    None
}

fn read(chan: &mut Channel, _pbx: &Pbx, args: &str) -> Option<String> {
    let a = standard_args(args);
    let member = a.first()?;
    let sub = nonstandard_args(member, '-', usize::MAX);
    if sub.is_empty() || sub.len() >= 10 {
        return None;
    }
    let first = sub[0].to_ascii_lowercase();
    if a.len() == 2 {
        let (name, num) = split_callerid(&a[1]);
        return Some(if sub.len() == 1 && first == "all" {
            format!("\"{name}\" <{num}>")
        } else if sub.len() == 1 && first == "name" {
            name
        } else if sub.len() == 1 && first.starts_with("num") {
            num
        } else {
            unknown(args);
            String::new()
        });
    }
    let c = &chan.caller;
    let out = if sub.len() == 1 && first == "rdnis" {
        Some(c.rdnis.clone().unwrap_or_default())
    } else if first == "dnid" {
        let second = sub.get(1).map(|s| s.to_ascii_lowercase());
        match second.as_deref() {
            None => Some(c.dnid.clone().unwrap_or_default()),
            Some(s) if s.starts_with("num") => match sub.get(2).map(|s| s.to_ascii_lowercase()) {
                None => Some(c.dnid.clone().unwrap_or_default()),
                Some(p) if sub.len() == 3 && p == "plan" => Some("0".into()),
                _ => None,
            },
            Some(s) if s.starts_with("subaddr") => party_read(
                &Party {
                    name: None,
                    num: None,
                },
                &["subaddr".to_string()]
                    .into_iter()
                    .chain(sub[2..].iter().cloned())
                    .collect::<Vec<_>>(),
            ),
            _ => None,
        }
    } else if sub.len() == 1 && first == "ani2" {
        Some("0".into())
    } else if first == "ani" {
        let rest: Vec<String> = if sub.len() == 1 {
            vec!["num".into()]
        } else {
            sub[1..].to_vec()
        };
        party_read(
            &Party {
                name: None,
                num: c.ani.as_deref(),
            },
            &rest,
        )
    } else if first == "priv" {
        party_read(
            &Party {
                name: None,
                num: None,
            },
            &sub[1..],
        )
    } else {
        party_read(
            &Party {
                name: c.name.as_deref(),
                num: c.num.as_deref(),
            },
            &sub,
        )
    };
    match out {
        Some(v) => Some(v),
        None => {
            unknown(args);
            Some(String::new())
        }
    }
}

/// Check a write to a field the channel does not keep; false (after Asterisk's error)
/// when the value is bad, and None when the field is unknown.
fn check_unkept(field: &str, sub: Option<&str>, value: &str) -> Option<bool> {
    let v = value.trim_end_matches(is_c_space);
    let err = |m: String| {
        crate::logger::error("func_callerid.c", &m);
        false
    };
    Some(match sub {
        Some(s) if s.starts_with("pres") => match parse_pres(v) {
            Some(_) => true,
            None => err(format!(
                "Unknown {field} presentation '{v}', value unchanged"
            )),
        },
        Some("charset") if field == "name" => {
            if v.starts_with(|c: char| c.is_ascii_digit())
                || CHARSETS.iter().any(|c| c.eq_ignore_ascii_case(v))
            {
                true
            } else {
                err(format!("Unknown name char-set '{v}', value unchanged"))
            }
        }
        Some("plan") if field == "number" => {
            if v.starts_with(|c: char| c.is_ascii_digit()) {
                true
            } else {
                err(format!(
                    "Unknown type-of-number/numbering-plan '{v}', value unchanged"
                ))
            }
        }
        _ => return None,
    })
}

/// `party_id_write` on a name/number pair.
fn party_write(
    name: &mut Option<String>,
    num: &mut Option<String>,
    sub: &[String],
    value: &str,
) -> bool {
    let Some(first) = sub.first() else {
        return false;
    };
    let f = first.to_ascii_lowercase();
    let rest: Vec<String> = sub[1..].iter().map(|s| s.to_ascii_lowercase()).collect();
    let trimmed = value.trim_end_matches(is_c_space).to_string();
    if sub.len() == 1 && f == "all" {
        let (n, l) = split_callerid(value);
        *name = Some(n);
        *num = Some(l);
        return true;
    }
    let (target, field) = if f == "name" {
        (name, "name")
    } else if f.starts_with("num") {
        (num, "number")
    } else if f.starts_with("subaddr") {
        return rest.is_empty()
            || (rest.len() == 1 && matches!(rest[0].as_str(), "valid" | "type" | "odd"));
    } else if sub.len() == 1 && f == "tag" {
        return true;
    } else if sub.len() == 1 && f == "ton" {
        return check_unkept("number", Some("plan"), value).is_some();
    } else if sub.len() == 1 && f.starts_with("pres") {
        return check_unkept("combined", Some("pres"), value).is_some();
    } else {
        return false;
    };
    match rest.first().map(String::as_str) {
        None => *target = Some(trimmed),
        Some("valid") if rest.len() == 1 => {
            if super::util::atoi(value) != 0 {
                target.get_or_insert_with(String::new);
            } else {
                *target = None;
            }
        }
        Some(s) if rest.len() == 1 => return check_unkept(field, Some(s), value).is_some(),
        _ => return false,
    }
    true
}

fn write(chan: &mut Channel, _pbx: &Pbx, args: &str, value: &str) {
    let a = standard_args(args);
    let Some(member) = a.first() else { return };
    let sub = nonstandard_args(member, '-', usize::MAX);
    if sub.is_empty() || sub.len() >= 10 {
        return;
    }
    let value = value.trim_start_matches(is_c_space);
    let first = sub[0].to_ascii_lowercase();
    let c = &mut chan.caller;
    let ok = if sub.len() == 1 && first == "rdnis" {
        c.rdnis = Some(value.to_string());
        true
    } else if first == "dnid" {
        let second = sub.get(1).map(|s| s.to_ascii_lowercase());
        match second.as_deref() {
            None => {
                c.dnid = Some(value.trim_end_matches(is_c_space).to_string());
                true
            }
            Some(s) if s.starts_with("num") => match sub.get(2).map(|s| s.to_ascii_lowercase()) {
                None if sub.len() == 2 => {
                    c.dnid = Some(value.trim_end_matches(is_c_space).to_string());
                    true
                }
                Some(p) if sub.len() == 3 && p == "plan" => {
                    check_unkept("number", Some("plan"), value);
                    true
                }
                _ => false,
            },
            Some(s) if s.starts_with("subaddr") => {
                let rest: Vec<String> = sub[2..].iter().map(|s| s.to_ascii_lowercase()).collect();
                rest.is_empty()
                    || (rest.len() == 1 && matches!(rest[0].as_str(), "valid" | "type" | "odd"))
            }
            _ => false,
        }
    } else if sub.len() == 1 && first == "ani2" {
        let v = value.trim_end_matches(is_c_space);
        if !v.starts_with(|c: char| c.is_ascii_digit()) {
            crate::logger::error(
                "func_callerid.c",
                &format!("Unknown callerid ani2 '{v}', value unchanged"),
            );
        }
        true
    } else if first == "ani" {
        let rest: Vec<String> = if sub.len() == 1 {
            vec!["num".into()]
        } else {
            sub[1..].to_vec()
        };
        let mut name = None;
        party_write(&mut name, &mut c.ani, &rest, value)
    } else if first == "priv" {
        let (mut n, mut l) = (None, None);
        party_write(&mut n, &mut l, &sub[1..], value)
    } else {
        party_write(&mut c.name, &mut c.num, &sub, value)
    };
    if !ok {
        unknown(args);
    }
}

#[cfg(test)]
mod tests {
    use super::split_callerid;
    use crate::apps::set::setvar;
    use crate::funcs::util::{sub, test_env};

    #[test]
    fn recorded() {
        let (mut c, p) = test_env();
        assert_eq!(sub(&mut c, &p, "[${CALLERID(number)}]"), "[]");
        setvar(&mut c, &p, "CALLERID(num)", "5551234");
        setvar(&mut c, &p, "CALLERID(name)", "Ivan Petrov");
        assert_eq!(
            sub(
                &mut c,
                &p,
                "${CALLERID(num)} ${CALLERID(name)} ${CALLERID(all)} ${CALLERID(number)}"
            ),
            "5551234 Ivan Petrov \"Ivan Petrov\" <5551234> 5551234"
        );
    }

    #[test]
    fn fields() {
        let (mut c, p) = test_env();
        assert_eq!(sub(&mut c, &p, "${CALLERID(all)}"), "\"\" <>");
        assert_eq!(sub(&mut c, &p, "${CALLERID(pres)}"), "unavailable");
        setvar(
            &mut c,
            &p,
            "CALLERID(all)",
            "\"Olga \\\"O\\\"\" <+7 (495) 123-45-67>",
        );
        assert_eq!(c.caller.name.as_deref(), Some("Olga \"O\""));
        assert_eq!(c.caller.num.as_deref(), Some("+74951234567"));
        assert_eq!(
            sub(
                &mut c,
                &p,
                "${CALLERID(NUM)}|${CALLERID(name-valid)}|${CALLERID(num-pres)}|${CALLERID(pres)}"
            ),
            "+74951234567|1|allowed_not_screened|allowed_not_screened"
        );
        setvar(&mut c, &p, "CALLERID(num)", "  100  ");
        assert_eq!(c.caller.num.as_deref(), Some("100"));
        setvar(&mut c, &p, "CALLERID(dnid)", "7000");
        setvar(&mut c, &p, "CALLERID(rdnis)", "8000");
        setvar(&mut c, &p, "CALLERID(ani)", "9000");
        assert_eq!(
            sub(&mut c, &p, "${CALLERID(dnid)} ${CALLERID(dnid-num)} ${CALLERID(rdnis)} ${CALLERID(ani)} ${CALLERID(ani-num)} ${CALLERID(ani2)} ${CALLERID(ton)}"),
            "7000 7000 8000 9000 9000 0 0"
        );
        setvar(&mut c, &p, "CALLERID(num-pres)", "prohib");
        setvar(&mut c, &p, "CALLERID(bogus)", "x");
        assert_eq!(sub(&mut c, &p, "[${CALLERID(bogus)}]"), "[]");
        setvar(&mut c, &p, "CALLERID(num-valid)", "0");
        assert_eq!(sub(&mut c, &p, "[${CALLERID(num)}]"), "[]");
        // Parsing a given caller id.
        assert_eq!(
            sub(
                &mut c,
                &p,
                "${CALLERID(name,\"Bob\" <200>)}|${CALLERID(num,\"Bob\" <200>)}"
            ),
            "Bob|200"
        );
        assert_eq!(
            sub(&mut c, &p, "${CALLERID(all,555-1234)}"),
            "\"\" <5551234>"
        );
    }

    #[test]
    fn split() {
        assert_eq!(
            split_callerid("\"Ivan\" <100>"),
            ("Ivan".into(), "100".into())
        );
        assert_eq!(split_callerid("Ivan <100>"), ("Ivan".into(), "100".into()));
        assert_eq!(split_callerid("100"), ("".into(), "100".into()));
        assert_eq!(split_callerid("Ivan"), ("Ivan".into(), "".into()));
        assert_eq!(split_callerid("\"100\""), ("100".into(), "".into()));
        assert_eq!(split_callerid("Ivan <100"), ("Ivan".into(), "100".into()));
    }
}
