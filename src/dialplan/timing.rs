//! Time windows: `<times>,<weekdays>,<mdays>,<months>[,<timezone>]`, as includes,
//! `GotoIfTime` and `IFTIME` take them (Asterisk's `ast_build_timing`/`ast_check_timing`).
//! `|` is accepted as the separator too, as older configs write it.

use jiff::{tz::TimeZone, Timestamp, ZonedDateTime};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeSpec {
    /// Minute-of-day ranges (inclusive start, exclusive end), empty = all day.
    minutes: Vec<(u32, u32)>,
    /// Bit 0 = Sunday.
    dow: u8,
    /// Bit 0 = day 1.
    mday: u32,
    /// Bit 0 = January.
    month: u16,
    tz: Option<String>,
}

const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

fn parse_list(s: &str, max: u32, names: Option<&[&str]>) -> u32 {
    let s = s.trim();
    if s.is_empty() || s == "*" {
        return if max >= 32 {
            u32::MAX
        } else {
            (1u32 << max) - 1
        };
    }
    let mut bits = 0u32;
    let val = |t: &str| -> Option<u32> {
        let t = t.trim().to_ascii_lowercase();
        if let Some(names) = names {
            if let Some(i) = names.iter().position(|n| t.starts_with(n)) {
                return Some(i as u32);
            }
        }
        let n: u32 = t.parse().ok()?;
        // Days of the month and months count from 1.
        if names == Some(&MONTHS[..]) || names.is_none() {
            n.checked_sub(1)
        } else {
            Some(n)
        }
    };
    for part in s.split('&') {
        let (a, b) = match part.split_once('-') {
            Some((a, b)) => (val(a), val(b)),
            None => (val(part), val(part)),
        };
        let (Some(a), Some(b)) = (a, b) else { continue };
        if a >= max || b >= max {
            continue;
        }
        let mut i = a;
        loop {
            bits |= 1 << i;
            if i == b {
                break;
            }
            i = (i + 1) % max;
        }
    }
    bits
}

fn parse_hm(s: &str) -> Option<u32> {
    let (h, m) = s.trim().split_once(':')?;
    let h: u32 = h.trim().parse().ok()?;
    let m: u32 = m.trim().parse().ok()?;
    (h <= 24 && m < 60).then_some(h * 60 + m)
}

impl TimeSpec {
    /// Parse a time window; what cannot be read matches always, as Asterisk does for `*`.
    pub fn parse(spec: &str) -> TimeSpec {
        let sep = if spec.contains(',') { ',' } else { '|' };
        let parts: Vec<&str> = spec.split(sep).collect();
        let get = |i: usize| parts.get(i).copied().unwrap_or("*");
        let mut minutes = Vec::new();
        let times = get(0).trim();
        if !(times.is_empty() || times == "*") {
            for r in times.split('&') {
                if let Some((a, b)) = r.split_once('-') {
                    if let (Some(a), Some(b)) = (parse_hm(a), parse_hm(b)) {
                        // "00:00-23:59" covers the whole last minute.
                        minutes.push((a, b + 1));
                    }
                } else if let Some(a) = parse_hm(r) {
                    minutes.push((a, a + 1));
                }
            }
        }
        TimeSpec {
            minutes,
            dow: parse_list(get(1), 7, Some(&DAYS)) as u8,
            mday: parse_list(get(2), 31, None),
            month: parse_list(get(3), 12, Some(&MONTHS)) as u16,
            tz: parts
                .get(4)
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty()),
        }
    }

    pub fn matches_now(&self) -> bool {
        self.matches(Timestamp::now())
    }

    pub fn matches(&self, t: Timestamp) -> bool {
        let tz = self
            .tz
            .as_deref()
            .and_then(|n| TimeZone::get(n).ok())
            .unwrap_or_else(TimeZone::system);
        let z: ZonedDateTime = t.to_zoned_datetime(tz);
        let dow = z.weekday().to_sunday_zero_offset() as u32;
        if self.dow & (1 << dow) == 0 {
            return false;
        }
        if self.mday & (1 << (z.day() as u32 - 1)) == 0 {
            return false;
        }
        if self.month & (1 << (z.month() as u32 - 1)) == 0 {
            return false;
        }
        if self.minutes.is_empty() {
            return true;
        }
        let m = z.hour() as u32 * 60 + z.minute() as u32;
        self.minutes.iter().any(|&(a, b)| {
            if a <= b {
                m >= a && m < b
            } else {
                m >= a || m < b
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows() {
        let t: Timestamp = "2023-11-14T22:13:20Z".parse().unwrap(); // a Tuesday
        let utc = |s: &str| TimeSpec::parse(&format!("{s},UTC"));
        assert!(utc("00:00-23:59,*,*,*").matches(t));
        assert!(utc("22:00-23:00,tue,14,nov").matches(t));
        assert!(!utc("09:00-18:00,*,*,*").matches(t));
        assert!(!utc("*,mon-fri&sun,*,*").matches(t) || utc("*,mon-fri,*,*").matches(t));
        assert!(!utc("*,sat-sun,*,*").matches(t));
        assert!(utc("*,*,1-15,*").matches(t));
        assert!(!utc("*,*,*,jan-oct").matches(t));
        assert!(utc("21:00-02:00,*,*,*").matches(t));
        assert!(TimeSpec::parse("*|*|*|*").matches(t));
    }
}
