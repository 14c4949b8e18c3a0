//! STRFTIME: an epoch formatted in a time zone (funcs/func_strings.c). The format is C's
//! `strftime` in the C locale Asterisk runs in, plus Asterisk's `%[n]q`: the fraction of
//! the second to n digits (3 when n is left out).

use super::util::scan_float;
use super::Function;
use crate::apps::standard_args;
use crate::channel::Channel;
use crate::pbx::Pbx;
use jiff::tz::TimeZone;
use jiff::Timestamp;

pub static FUNC: Function = Function {
    name: "STRFTIME",
    synopsis: "Returns the current date/time in the specified format.",
    syntax: "STRFTIME([epoch][,timezone[,format]])",
    provided_by: "func_strings",
    description: "STRFTIME supports all of the same formats as the underlying C function strftime(3). It also supports the following format: %[n]q - fractions of a second, with leading zeros. Example: %3q will give milliseconds and %1q will give tenths of a second. The default is set at milliseconds (n=3). The common case is to use it in combination with %S, as in \"%S.%3q\".",
    read: Some(read),
    write: None,
};

/// Broken-down time, as `struct ast_tm` holds it.
pub struct Tm {
    pub year: i64,
    /// 1-12.
    pub month: i64,
    pub day: i64,
    pub hour: i64,
    pub minute: i64,
    pub second: i64,
    pub usec: i64,
    /// 0 = Sunday.
    pub wday: i64,
    /// 0-365.
    pub yday: i64,
    pub offset: i64,
    pub zone: String,
    pub epoch: i64,
    pub iso_year: i64,
    pub iso_week: i64,
}

/// The zone a name means: empty is the system's, an unknown name is UTC (as
/// `ast_localtime` falls back to GMT).
pub fn zone(name: &str) -> TimeZone {
    if name.is_empty() {
        TimeZone::system()
    } else {
        TimeZone::get(name).unwrap_or(TimeZone::UTC)
    }
}

/// `ast_localtime`.
pub fn localtime(ts: Timestamp, tz: &TimeZone) -> Tm {
    let z = ts.to_zoned_datetime(tz.clone());
    let info = tz.to_offset_info(ts);
    let iso = z.iso_week_date();
    Tm {
        year: i64::from(z.year()),
        month: i64::from(z.month()),
        day: i64::from(z.day()),
        hour: i64::from(z.hour()),
        minute: i64::from(z.minute()),
        second: i64::from(z.second()),
        usec: i64::from(ts.subsec_microsecond()).rem_euclid(1_000_000),
        wday: i64::from(z.weekday().to_sunday_zero_offset()),
        yday: i64::from(z.day_of_year()) - 1,
        offset: i64::from(info.offset().seconds()),
        zone: info.abbreviation().to_string(),
        epoch: ts.as_second(),
        iso_year: i64::from(iso.year()),
        iso_week: i64::from(iso.week()),
    }
}

const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// `ast_strftime`: first `%[n]q` becomes the digits, then C `strftime` runs.
pub fn ast_strftime(fmt: &str, tm: &Tm) -> String {
    let b = fmt.as_bytes();
    let mut pre = String::with_capacity(fmt.len() + 8);
    let mut i = 0;
    let mut lit = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let n = b.get(i + 1).copied();
            let (digits, skip) = match n {
                Some(d @ b'1'..=b'6') if b.get(i + 2) == Some(&b'q') => {
                    (Some(usize::from(d - b'0')), 3)
                }
                Some(b'q') => (Some(3), 2),
                _ => (None, 0),
            };
            if let Some(d) = digits {
                pre.push_str(&fmt[lit..i]);
                let frac = tm.usec / 10i64.pow(6 - d as u32);
                pre.push_str(&format!("{frac:0d$}"));
                i += skip;
                lit = i;
                continue;
            }
        }
        i += 1;
    }
    pre.push_str(&fmt[lit..]);
    strftime(&pre, tm)
}

/// A number padded as glibc pads it: to the explicit width or the conversion's own, with
/// `0`, `_` (space) or `-` (no padding unless a width is given) overriding the default.
fn pad(v: i64, width: Option<usize>, flag: Option<char>, w: usize, default: char) -> String {
    let padc = match flag {
        Some('0') => Some('0'),
        Some('_') => Some(' '),
        Some('-') if width.is_none() => None,
        Some('-') => Some(' '),
        _ => Some(default),
    };
    let digits = v.unsigned_abs().to_string();
    let mut out = String::new();
    if v < 0 {
        out.push('-');
    }
    if let Some(c) = padc {
        let w = width.unwrap_or(w);
        for _ in digits.len() + out.len()..w {
            out.push(c);
        }
    }
    out.push_str(&digits);
    out
}

/// C `strftime` in the C locale.
pub fn strftime(fmt: &str, tm: &Tm) -> String {
    let mut out = String::with_capacity(fmt.len() + 16);
    let mut chars = fmt.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        // Flags, width and the E/O modifiers glibc accepts.
        let mut flag = None;
        let mut upper = false;
        let mut swap = false;
        while let Some(&(_, f)) = chars.peek() {
            match f {
                '-' | '_' | '0' => flag = Some(f),
                '^' => upper = true,
                '#' => swap = true,
                _ => break,
            }
            chars.next();
        }
        let mut width: Option<usize> = None;
        while let Some(&(_, d)) = chars.peek() {
            if let Some(v) = d.to_digit(10) {
                width = Some(width.unwrap_or(0) * 10 + v as usize);
                chars.next();
            } else {
                break;
            }
        }
        if let Some(&(_, 'E' | 'O')) = chars.peek() {
            chars.next();
        }
        let Some((end, conv)) = chars.next() else {
            out.push_str(&fmt[start..]);
            break;
        };
        let h12 = if tm.hour % 12 == 0 { 12 } else { tm.hour % 12 };
        let num = |v: i64, w: usize, d: char| Some(pad(v, width, flag, w, d));
        let number: Option<String> = match conv {
            'C' => num(tm.year.div_euclid(100), 2, '0'),
            'd' => num(tm.day, 2, '0'),
            'e' => num(tm.day, 2, ' '),
            'g' => num(tm.iso_year.rem_euclid(100), 2, '0'),
            'G' => num(tm.iso_year, 1, '0'),
            'H' => num(tm.hour, 2, '0'),
            'I' => num(h12, 2, '0'),
            'j' => num(tm.yday + 1, 3, '0'),
            'k' => num(tm.hour, 2, ' '),
            'l' => num(h12, 2, ' '),
            'm' => num(tm.month, 2, '0'),
            'M' => num(tm.minute, 2, '0'),
            's' => num(tm.epoch, 1, '0'),
            'S' => num(tm.second, 2, '0'),
            'u' => num(if tm.wday == 0 { 7 } else { tm.wday }, 1, '0'),
            'U' => num((tm.yday + 7 - tm.wday) / 7, 2, '0'),
            'V' => num(tm.iso_week, 2, '0'),
            'w' => num(tm.wday, 1, '0'),
            'W' => num((tm.yday + 7 - (tm.wday + 6) % 7) / 7, 2, '0'),
            'y' => num(tm.year.rem_euclid(100), 2, '0'),
            'Y' => num(tm.year, 1, '0'),
            _ => None,
        };
        if let Some(n) = number {
            out.push_str(&n);
            continue;
        }
        let mut piece = match conv {
            'a' => DAYS[tm.wday as usize][..3].to_string(),
            'A' => DAYS[tm.wday as usize].to_string(),
            'b' | 'h' => MONTHS[tm.month as usize - 1][..3].to_string(),
            'B' => MONTHS[tm.month as usize - 1].to_string(),
            'c' => strftime("%a %b %e %H:%M:%S %Y", tm),
            'D' | 'x' => strftime("%m/%d/%y", tm),
            'F' => strftime("%Y-%m-%d", tm),
            'n' => "\n".to_string(),
            'p' => if tm.hour < 12 { "AM" } else { "PM" }.to_string(),
            'P' => if tm.hour < 12 { "am" } else { "pm" }.to_string(),
            'r' => strftime("%I:%M:%S %p", tm),
            'R' => strftime("%H:%M", tm),
            't' => "\t".to_string(),
            'T' | 'X' => strftime("%H:%M:%S", tm),
            'z' => {
                let o = tm.offset.abs();
                let sign = if tm.offset < 0 { '-' } else { '+' };
                format!("{sign}{:02}{:02}", o / 3600, o % 3600 / 60)
            }
            'Z' => tm.zone.clone(),
            '%' => "%".to_string(),
            // Unknown conversions are copied as written.
            _ => fmt[start..end + conv.len_utf8()].to_string(),
        };
        if swap {
            piece = match conv {
                'p' | 'Z' => piece.to_ascii_lowercase(),
                'a' | 'A' | 'b' | 'B' | 'h' => piece.to_ascii_uppercase(),
                _ => piece,
            };
        }
        if upper {
            piece = piece.to_ascii_uppercase();
        }
        if let Some(w) = width {
            let len = piece.chars().count();
            if len < w {
                let padc = if flag == Some('0') { '0' } else { ' ' };
                out.extend(std::iter::repeat_n(padc, w - len));
            }
        }
        out.push_str(&piece);
    }
    out
}

/// `ast_get_timeval`: `epoch[.fraction]`, or now when empty or unreadable.
pub fn parse_epoch(s: &str) -> Timestamp {
    if !s.is_empty() {
        if let Some((v, _)) = scan_float(s) {
            if v.is_finite() {
                let secs = v.trunc() as i64;
                let usec = ((v - v.trunc()) * 1_000_000.0) as i64;
                if let Ok(t) = Timestamp::from_microsecond(secs.saturating_mul(1_000_000) + usec) {
                    return t;
                }
            }
        }
    }
    Timestamp::now()
}

fn read(_chan: &mut Channel, _pbx: &Pbx, args: &str) -> Option<String> {
    let a = standard_args(args);
    let ts = parse_epoch(a.first().map(String::as_str).unwrap_or(""));
    let tz = zone(a.get(1).map(String::as_str).unwrap_or(""));
    let fmt = a.get(2).map(String::as_str).unwrap_or("%c");
    let tm = localtime(ts, &tz);
    let out = ast_strftime(fmt, &tm);
    if out.is_empty() {
        crate::logger::warning("func_strings.c", "C function strftime() output nothing?!!");
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::funcs::util::{sub, test_env};

    #[test]
    fn recorded() {
        let (mut c, p) = test_env();
        assert_eq!(
            sub(&mut c, &p, "${STRFTIME(1700000000,UTC,%Y-%m-%d %H:%M:%S)}"),
            "2023-11-14 22:13:20"
        );
        assert_eq!(
            sub(&mut c, &p, "${STRFTIME(1700000000,Europe/Moscow,%H:%M)}"),
            "01:13"
        );
        assert_eq!(
            sub(&mut c, &p, "${STRFTIME(1700000000,UTC,%Y%m%d%H%M)}"),
            "202311142213"
        );
    }

    #[test]
    fn c_locale() {
        let (mut c, p) = test_env();
        assert_eq!(
            sub(&mut c, &p, "${STRFTIME(1700000000,UTC)}"),
            "Tue Nov 14 22:13:20 2023"
        );
        assert_eq!(
            sub(&mut c, &p, "${STRFTIME(1700000000.25,UTC,%S.%q %2q %6q)}"),
            "20.250 25 250000"
        );
        assert_eq!(
            sub(
                &mut c,
                &p,
                "${STRFTIME(1700000000,America/New_York,%a %A %b %B %e %j %I %p %Z %z)}"
            ),
            "Tue Tuesday Nov November 14 318 05 PM EST -0500"
        );
        assert_eq!(
            sub(
                &mut c,
                &p,
                "${STRFTIME(1700000000,UTC,%D %T %u %w %U %W %V %G %C %y %s %%)}"
            ),
            "11/14/23 22:13:20 2 2 46 46 46 2023 20 23 1700000000 %"
        );
        assert_eq!(
            sub(&mut c, &p, "${STRFTIME(1704067200,UTC,%-d.%-m %k|%l)}"),
            "1.1  0|12"
        );
        // An unknown zone is UTC.
        assert_eq!(sub(&mut c, &p, "${STRFTIME(0,Nowhere/Atlantis,%H)}"), "00");
    }

    #[test]
    fn glibc_flags() {
        // Checked against glibc's strftime in the C locale.
        let tm = localtime(Timestamp::from_second(1700000000).unwrap(), &TimeZone::UTC);
        assert_eq!(
            strftime("%-d %_d %05d %^a %10A %-10A %010B %3H %Ey %Ec", &tm),
            "14 14 00014 TUE    Tuesday    Tuesday 00November 022 23 Tue Nov 14 22:13:20 2023"
        );
        assert_eq!(
            strftime("%x %X %r %U %W %V %G %g %C %k %l %P %+ %e", &tm),
            "11/14/23 22:13:20 10:13:20 PM 46 46 46 2023 23 20 22 10 pm %+ 14"
        );
        assert_eq!(strftime("%5%|%#a|%^10b", &tm), "    %|TUE|       NOV");
        assert_eq!(
            strftime("%-5d|%_5d|%-5H|%10D|%-10D|%_10A|%010D|%-Y|%_Y|%08Y|%_3m|%-j|%_j", &tm),
            "   14|   14|   22|  11/14/23|  11/14/23|   Tuesday|0011/14/23|2023|2023|00002023| 11|318|318"
        );
        assert_eq!(
            strftime("%Ou %Od %EY %#p %#b %^p %8p", &tm),
            "2 14 2023 pm NOV PM       PM"
        );
        let tm = localtime(Timestamp::from_second(1704067200).unwrap(), &TimeZone::UTC);
        assert_eq!(
            strftime("%-d.%-m %k|%l|%e|%U|%W|%V|%G|%j", &tm),
            "1.1  0|12| 1|00|01|01|2024|001"
        );
    }

    #[test]
    fn fraction_digits() {
        let tm = localtime(
            Timestamp::from_microsecond(1_123_456).unwrap(),
            &TimeZone::UTC,
        );
        // glibc pads an unknown conversion to its width.
        assert_eq!(
            ast_strftime("%1q|%3q|%q|%6q|%7q", &tm),
            "1|123|123|123456|    %7q"
        );
    }
}
