//! TIMEOUT: the channel's absolute, digit and response timeouts (funcs/func_timeout.c).
//! The channel has no fields for them yet, so they are kept in channel variables the PBX
//! loop can read through [`response_ms`], [`digit_ms`] and [`hangup_at_ms`].

use super::util::scan_int;
use super::Function;
use crate::channel::Channel;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "TIMEOUT",
    synopsis: "Gets or sets timeouts on the channel. Timeout values are in seconds.",
    syntax: "TIMEOUT(timeouttype)",
    provided_by: "func_timeout",
    description: "The timeouts that can be manipulated are: absolute: The absolute maximum amount of time permitted for a call. Setting of 0 disables the timeout. digit: The maximum amount of time permitted between digits when the user is typing in an extension. response: The maximum amount of time permitted after falling through a series of priorities for a channel in which the user may begin typing an extension.",
    read: Some(read),
    write: Some(write),
};

/// The variables the timeouts live in.
pub const RESPONSE_VAR: &str = "~TIMEOUT~response~";
pub const DIGIT_VAR: &str = "~TIMEOUT~digit~";
pub const ABSOLUTE_VAR: &str = "~TIMEOUT~absolute~";

/// Asterisk's defaults while the PBX runs the channel.
pub const DEFAULT_RESPONSE_MS: u64 = 10_000;
pub const DEFAULT_DIGIT_MS: u64 = 5_000;

fn var_ms(chan: &Channel, name: &str) -> Option<u64> {
    chan.vars.get(name).and_then(|v| v.parse().ok())
}

/// The response timeout in milliseconds.
pub fn response_ms(chan: &Channel) -> u64 {
    var_ms(chan, RESPONSE_VAR).unwrap_or(DEFAULT_RESPONSE_MS)
}

/// The digit timeout in milliseconds.
pub fn digit_ms(chan: &Channel) -> u64 {
    var_ms(chan, DIGIT_VAR).unwrap_or(DEFAULT_DIGIT_MS)
}

/// When the channel must hang up (milliseconds since the epoch), if an absolute timeout
/// is set.
pub fn hangup_at_ms(chan: &Channel) -> Option<u64> {
    var_ms(chan, ABSOLUTE_VAR)
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn read(chan: &mut Channel, _pbx: &Pbx, args: &str) -> Option<String> {
    let secs = |ms: u64| format!("{:.3}", ms as f64 / 1000.0);
    match args.bytes().next() {
        Some(b'a' | b'A') => Some(match hangup_at_ms(chan) {
            None => "0".into(),
            Some(at) => format!("{:.3}", (at as f64 - now_ms() as f64) / 1000.0),
        }),
        Some(b'r' | b'R') => Some(secs(response_ms(chan))),
        Some(b'd' | b'D') => Some(secs(digit_ms(chan))),
        _ => {
            crate::logger::error("func_timeout.c", "Unknown timeout type specified.");
            None
        }
    }
}

/// `sscanf("%ld%lf")`: whole seconds, then an optional fraction such as `.5`.
fn parse_ms(value: &str) -> u64 {
    match scan_int(value) {
        Some((s, _)) if s < 0 => 0,
        Some((s, rest)) => {
            let frac = super::util::scan_float(rest).map(|(f, _)| f).unwrap_or(0.0);
            (s as u64) * 1000 + (frac * 1_000_000.0) as i64 as u64 / 1000
        }
        None => 0,
    }
}

fn write(chan: &mut Channel, _pbx: &Pbx, args: &str, value: &str) {
    let ms = parse_ms(value);
    match args.bytes().next() {
        Some(b'a' | b'A') => {
            if ms == 0 {
                chan.vars.set(ABSOLUTE_VAR, None);
                crate::logger::verb(3, "Channel hangup cancelled.");
            } else {
                let at = now_ms() + ms;
                chan.vars.set(ABSOLUTE_VAR, Some(&at.to_string()));
                if crate::logger::verbosity_atleast(3) {
                    let when = jiff::Timestamp::from_millisecond(at as i64)
                        .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
                    let tm = super::strftime::localtime(when, &jiff::tz::TimeZone::system());
                    let s = super::strftime::ast_strftime("%Y-%m-%d %H:%M:%S.%3q %Z", &tm);
                    crate::verb!(3, "Channel will hangup at {s}.");
                }
            }
        }
        Some(b'r' | b'R') => {
            chan.vars.set(RESPONSE_VAR, Some(&ms.to_string()));
            crate::verb!(3, "Response timeout set to {:.3}", ms as f64 / 1000.0);
        }
        Some(b'd' | b'D') => {
            chan.vars.set(DIGIT_VAR, Some(&ms.to_string()));
            crate::verb!(3, "Digit timeout set to {:.3}", ms as f64 / 1000.0);
        }
        _ => crate::logger::error("func_timeout.c", "Unknown timeout type specified."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apps::set::setvar;
    use crate::funcs::util::{sub, test_env};

    #[test]
    fn timeouts() {
        let (mut c, p) = test_env();
        assert_eq!(
            sub(
                &mut c,
                &p,
                "${TIMEOUT(response)} ${TIMEOUT(digit)} ${TIMEOUT(absolute)}"
            ),
            "10.000 5.000 0"
        );
        setvar(&mut c, &p, "TIMEOUT(response)", "7");
        setvar(&mut c, &p, "TIMEOUT(digit)", "2.5");
        assert_eq!(response_ms(&c), 7000);
        assert_eq!(digit_ms(&c), 2500);
        assert_eq!(
            sub(&mut c, &p, "${TIMEOUT(r)} ${TIMEOUT(DIGIT)}"),
            "7.000 2.500"
        );
        setvar(&mut c, &p, "TIMEOUT(absolute)", "60");
        let left: f64 = sub(&mut c, &p, "${TIMEOUT(absolute)}").parse().unwrap();
        assert!((59.0..=60.0).contains(&left));
        setvar(&mut c, &p, "TIMEOUT(absolute)", "0");
        assert_eq!(hangup_at_ms(&c), None);
        assert_eq!(sub(&mut c, &p, "[${TIMEOUT(bogus)}]"), "[]");
    }
}
