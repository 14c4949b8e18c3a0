//! STRPTIME: a date/time string read with a `strptime` format, as an epoch in a time zone
//! (funcs/func_strings.c).

use super::strftime::zone;
use super::Function;
use crate::apps::standard_args;
use crate::channel::Channel;
use crate::pbx::Pbx;
use jiff::civil::DateTime;

pub static FUNC: Function = Function {
    name: "STRPTIME",
    synopsis: "Returns the epoch of the arbitrary date/time string structured as described by the format.",
    syntax: "STRPTIME(datetime,timezone,format)",
    provided_by: "func_strings",
    description: "This is useful for converting a date into EPOCH time, possibly to pass to an application like SayUnixTime or to calculate the difference between the two date strings. Example: ${STRPTIME(2006-03-01 07:30:35,America/Chicago,%Y-%m-%d %H:%M:%S)} returns 1141219835",
    read: Some(read),
    write: None,
};

/// `struct tm` as `strptime` fills it (all zero to begin with).
#[derive(Default, Debug)]
struct Tm {
    year: i64, // since 1900
    mon: i64,  // 0-11
    mday: i64,
    hour: i64,
    min: i64,
    sec: i64,
    pm: Option<bool>,
    century: Option<i64>,
    epoch: Option<i64>,
}

const DAYS: [&str; 7] = [
    "sunday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
];
const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

struct Input<'a> {
    s: &'a [u8],
    i: usize,
}

impl Input<'_> {
    fn skip_space(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }
    /// Up to `max` digits, within [lo, hi].
    fn num(&mut self, max: usize, lo: i64, hi: i64) -> Option<i64> {
        self.skip_space();
        let mut neg = false;
        if lo < 0 && matches!(self.s.get(self.i), Some(b'-' | b'+')) {
            neg = self.s[self.i] == b'-';
            self.i += 1;
        }
        let start = self.i;
        let mut v: i64 = 0;
        while self.i < self.s.len() && self.i - start < max && self.s[self.i].is_ascii_digit() {
            v = v * 10 + i64::from(self.s[self.i] - b'0');
            self.i += 1;
        }
        if self.i == start {
            return None;
        }
        let v = if neg { -v } else { v };
        (lo..=hi).contains(&v).then_some(v)
    }
    /// A full or three-letter name from the list; its index.
    fn name(&mut self, names: &[&str]) -> Option<usize> {
        self.skip_space();
        let rest = &self.s[self.i..];
        for (k, n) in names.iter().enumerate() {
            let nb = n.as_bytes();
            if rest.len() >= nb.len() && rest[..nb.len()].eq_ignore_ascii_case(nb) {
                self.i += nb.len();
                return Some(k);
            }
        }
        for (k, n) in names.iter().enumerate() {
            let nb = &n.as_bytes()[..3];
            if rest.len() >= 3 && rest[..3].eq_ignore_ascii_case(nb) {
                self.i += 3;
                return Some(k);
            }
        }
        None
    }
}

/// glibc `strptime` in the C locale, reading from `inp` on: None when the string does not
/// fit the format. What follows the format in the string is left.
fn strptime(inp: &mut Input<'_>, fmt: &str, tm: &mut Tm) -> Option<()> {
    let f = fmt.as_bytes();
    let mut k = 0;
    while k < f.len() {
        let c = f[k];
        if c.is_ascii_whitespace() {
            inp.skip_space();
            k += 1;
            continue;
        }
        if c != b'%' {
            if inp.s.get(inp.i) != Some(&c) {
                return None;
            }
            inp.i += 1;
            k += 1;
            continue;
        }
        k += 1;
        while matches!(
            f.get(k),
            Some(b'E' | b'O' | b'-' | b'_' | b'0' | b'^' | b'#')
        ) {
            k += 1;
        }
        let conv = *f.get(k)?;
        k += 1;
        match conv {
            b'%' => {
                inp.skip_space();
                if inp.s.get(inp.i) != Some(&b'%') {
                    return None;
                }
                inp.i += 1;
            }
            b'a' | b'A' => {
                inp.name(&DAYS)?;
            }
            b'b' | b'B' | b'h' => tm.mon = inp.name(&MONTHS)? as i64,
            b'c' => strptime(inp, "%a %b %e %H:%M:%S %Y", tm)?,
            b'C' => tm.century = Some(inp.num(2, 0, 99)?),
            b'd' | b'e' => tm.mday = inp.num(2, 1, 31)?,
            b'D' | b'x' => strptime(inp, "%m/%d/%y", tm)?,
            b'F' => strptime(inp, "%Y-%m-%d", tm)?,
            b'H' | b'k' => tm.hour = inp.num(2, 0, 23)?,
            b'I' | b'l' => tm.hour = inp.num(2, 1, 12)? % 12,
            b'j' => {
                inp.num(3, 1, 366)?;
            }
            b'm' => tm.mon = inp.num(2, 1, 12)? - 1,
            b'M' => tm.min = inp.num(2, 0, 59)?,
            b'n' | b't' => inp.skip_space(),
            b'p' | b'P' => {
                inp.skip_space();
                let r = &inp.s[inp.i..];
                if r.len() >= 2 && r[..2].eq_ignore_ascii_case(b"AM") {
                    tm.pm = Some(false);
                } else if r.len() >= 2 && r[..2].eq_ignore_ascii_case(b"PM") {
                    tm.pm = Some(true);
                } else {
                    return None;
                }
                inp.i += 2;
            }
            b'r' => strptime(inp, "%I:%M:%S %p", tm)?,
            b'R' => strptime(inp, "%H:%M", tm)?,
            b's' => tm.epoch = Some(inp.num(19, i64::MIN + 1, i64::MAX)?),
            b'S' => tm.sec = inp.num(2, 0, 61)?,
            b'T' | b'X' => strptime(inp, "%H:%M:%S", tm)?,
            b'u' => {
                inp.num(1, 1, 7)?;
            }
            b'w' => {
                inp.num(1, 0, 6)?;
            }
            b'U' | b'V' | b'W' => {
                inp.num(2, 0, 53)?;
            }
            b'g' => {
                inp.num(2, 0, 99)?;
            }
            b'G' => {
                inp.num(4, 0, 9999)?;
            }
            b'y' => {
                let y = inp.num(2, 0, 99)?;
                tm.year = if y < 69 { y + 100 } else { y };
                if let Some(cent) = tm.century {
                    tm.year = cent * 100 + y - 1900;
                }
            }
            b'Y' => tm.year = inp.num(4, -9999, 9999)? - 1900,
            b'z' => {
                // Read and ignored: mktime uses the zone given.
                inp.skip_space();
                if matches!(inp.s.get(inp.i), Some(b'Z')) {
                    inp.i += 1;
                } else {
                    if !matches!(inp.s.get(inp.i), Some(b'+' | b'-')) {
                        return None;
                    }
                    inp.i += 1;
                    let st = inp.i;
                    while inp.i < inp.s.len()
                        && (inp.s[inp.i].is_ascii_digit() || inp.s[inp.i] == b':')
                    {
                        inp.i += 1;
                    }
                    if inp.i == st {
                        return None;
                    }
                }
            }
            b'Z' => {
                while inp.i < inp.s.len() && inp.s[inp.i].is_ascii_alphabetic() {
                    inp.i += 1;
                }
            }
            _ => return None,
        }
    }
    if let Some(pm) = tm.pm {
        tm.hour = tm.hour % 12 + if pm { 12 } else { 0 };
    }
    Some(())
}

/// `ast_mktime`: the broken-down local time in the zone as an epoch (fields out of range
/// roll over, as `mktime` normalises them).
fn mktime(tm: &Tm, tzname: &str) -> Option<i64> {
    if let Some(e) = tm.epoch {
        return Some(e);
    }
    let tz = zone(tzname);
    let year = 1900 + tm.year + tm.mon.div_euclid(12);
    let mon = tm.mon.rem_euclid(12) + 1;
    let base = DateTime::new(i16::try_from(year).ok()?, mon as i8, 1, 0, 0, 0, 0).ok()?;
    let span = jiff::Span::new()
        .try_days(tm.mday - 1)
        .ok()?
        .try_hours(tm.hour)
        .ok()?
        .try_minutes(tm.min)
        .ok()?
        .try_seconds(tm.sec)
        .ok()?;
    let dt = base.checked_add(span).ok()?;
    let ts = tz.to_ambiguous_timestamp(dt).compatible().ok()?;
    Some(ts.as_second())
}

fn read(_chan: &mut Channel, _pbx: &Pbx, args: &str) -> Option<String> {
    let a = standard_args(args);
    let fmt = a.get(2).map(String::as_str).unwrap_or("");
    if fmt.is_empty() {
        crate::logger::error(
            "func_strings.c",
            "No format supplied to STRPTIME(<timestring>,<timezone>,<format>)",
        );
        return None;
    }
    let s = a.first().map(String::as_str).unwrap_or("");
    let mut tm = Tm::default();
    let mut inp = Input {
        s: s.as_bytes(),
        i: 0,
    };
    if strptime(&mut inp, fmt, &mut tm).is_none() {
        crate::logger::warning(
            "func_strings.c",
            "STRPTIME() found no time specified within the string",
        );
        return Some(String::new());
    }
    let tz = a.get(1).map(String::as_str).unwrap_or("");
    Some(match mktime(&tm, tz) {
        // Printed as a C int.
        Some(e) => (e as i32).to_string(),
        None => String::new(),
    })
}

#[cfg(test)]
mod tests {
    use crate::funcs::util::{sub, test_env};

    #[test]
    fn recorded() {
        let (mut c, p) = test_env();
        assert_eq!(
            sub(
                &mut c,
                &p,
                "${STRPTIME(2023-11-14 22:13:20,UTC,%Y-%m-%d %H:%M:%S)}"
            ),
            "1700000000"
        );
        assert_eq!(
            sub(
                &mut c,
                &p,
                "${STRPTIME(2006-03-01 07:30:35,America/Chicago,%Y-%m-%d %H:%M:%S)}"
            ),
            "1141219835"
        );
    }

    #[test]
    fn formats() {
        let (mut c, p) = test_env();
        assert_eq!(
            sub(
                &mut c,
                &p,
                "${STRPTIME(14 Nov 2023 10:13:20 PM,UTC,%d %b %Y %I:%M:%S %p)}"
            ),
            "1700000000"
        );
        assert_eq!(
            sub(
                &mut c,
                &p,
                "${STRPTIME(2023-11-15 01:13,Europe/Moscow,%F %R)}"
            ),
            "1699999980"
        );
        assert_eq!(
            sub(&mut c, &p, "${STRPTIME(20231114 trailing,UTC,%Y%m%d)}"),
            "1699920000"
        );
        assert_eq!(
            sub(&mut c, &p, "${STRPTIME(11/14/23,UTC,%D)}"),
            "1699920000"
        );
        assert_eq!(sub(&mut c, &p, "[${STRPTIME(garbage,UTC,%Y-%m-%d)}]"), "[]");
        assert_eq!(sub(&mut c, &p, "[${STRPTIME(2023,UTC)}]"), "[]");
    }
}
