//! SendDTMF: send digits on the channel (apps/app_senddtmf.c + main/app.c's `dtmf_stream`):
//! a 100 ms pause first, then each digit for `duration_ms` (at least 100, Asterisk's
//! `AST_DEFAULT_EMULATE_DTMF_DURATION`) followed by `timeout_ms` (default 250) of quiet;
//! `w` waits half a second, `W` a second, `f`/`F` (hook flash) is skipped on SIP. How a
//! digit goes out is the channel's `dtmfmode`: RFC 4733 events, a SIP INFO (after the
//! digit's duration, as chan_sip's `send_digit_end` sends it) or the tone pair in the audio.
//! Option `a` answers first. Another channel (`channel` argument) is not reachable yet.

use super::{App, AppFuture, AppResult, Exec};
use crate::channel::media::DtmfOut;
use crate::channel::playback::idle;
use crate::channel::{Channel, ChannelState};
use crate::pbx::Pbx;
use std::sync::Arc;
use std::time::Duration;

pub static APP: App = App {
    name: "SendDTMF",
    synopsis: "Sends arbitrary DTMF digits",
    provided_by: "app_senddtmf",
    syntax: "SendDTMF(digits,[timeout_ms,[duration_ms,[channel,[options]]]])",
    description: "It will send all digits or terminate if it encounters an error.",
    exec: Exec::Async(exec),
};

/// The shortest digit Asterisk sends (`AST_DEFAULT_EMULATE_DTMF_DURATION`).
const MIN_DURATION_MS: u32 = 100;

/// `ast_app_parse_timelen(.., TIMELEN_MILLISECONDS)`: a number with an optional unit (`ms`,
/// `s`, `m` minutes, `h`); None when unreadable or negative.
pub fn parse_timelen_ms(s: &str) -> Option<u64> {
    let s = s.trim();
    let end = s
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || c == '.' || (i == 0 && (c == '-' || c == '+'))))
        .map(|(i, _)| i)
        .unwrap_or(s.len());
    let amount: f64 = s[..end].parse().ok()?;
    let factor = match s[end..].trim().to_ascii_lowercase().as_str() {
        "" | "ms" => 1.0,
        "s" => 1000.0,
        "m" => 60_000.0,
        "h" => 3_600_000.0,
        _ => return None,
    };
    let ms = amount * factor;
    (ms.is_finite() && ms >= 0.0).then(|| ms.round() as u64)
}

fn exec<'a>(chan: &'a mut Channel, _pbx: &'a Arc<Pbx>, data: String) -> AppFuture<'a> {
    Box::pin(async move {
        if data.trim().is_empty() {
            crate::logger::warning("app_senddtmf.c", "SendDTMF requires an argument");
            return AppResult::Continue;
        }
        let args = super::standard_args(&data);
        let arg = |i: usize| args.get(i).map(|s| s.trim()).unwrap_or("");
        let digits = arg(0).to_string();
        if digits.is_empty() {
            crate::logger::warning(
                "app_senddtmf.c",
                "The digits argument is required (0-9,*#,a-d,A-D,wfF)",
            );
            return AppResult::Continue;
        }
        let between = parse_timelen_ms(arg(1)).filter(|v| *v > 0).unwrap_or(250);
        let duration = (parse_timelen_ms(arg(2)).unwrap_or(0) as u32).max(MIN_DURATION_MS);
        let target = arg(3);
        if !target.is_empty() && target != chan.name {
            crate::logger::warning("app_senddtmf.c", &format!("No such channel: {target}"));
            return AppResult::Continue;
        }
        if arg(4).contains('a') && chan.state != ChannelState::Up {
            chan.answer();
        }
        if send_digits(chan, &digits, between, duration).await {
            AppResult::Continue
        } else {
            AppResult::Hangup
        }
    })
}

/// `dtmf_stream`: false when the channel hung up.
async fn send_digits(chan: &mut Channel, digits: &str, between: u64, duration: u32) -> bool {
    // A quiet time before the digits.
    if !idle(chan, 100).await {
        return false;
    }
    for c in digits.chars() {
        match c {
            'w' => {
                if !idle(chan, 500).await {
                    return false;
                }
            }
            'W' => {
                if !idle(chan, 1000).await {
                    return false;
                }
            }
            '0'..='9' | '*' | '#' | 'a'..='d' | 'A'..='D' | 'f' | 'F' => {
                if !matches!(c, 'f' | 'F') && !send_digit(chan, c, duration).await {
                    return false;
                }
                if !idle(chan, between).await {
                    return false;
                }
            }
            _ => crate::logger::warning(
                "app.c",
                &format!("Illegal DTMF character '{c}' in string. (0-9*#aAbBcCdD allowed)"),
            ),
        }
    }
    true
}

/// `ast_senddigit`: the digit for `ms`; false on hangup.
async fn send_digit(chan: &mut Channel, digit: char, ms: u32) -> bool {
    let handle = chan.handle.clone();
    let Some(out) = chan.media.as_deref().map(|m| m.dtmf_out()) else {
        // No audio path (a Local channel): the time passes all the same.
        return idle(chan, u64::from(ms)).await;
    };
    if out == DtmfOut::Info {
        // chan_sip sends the INFO at the digit's end.
        if !idle(chan, u64::from(ms)).await {
            return false;
        }
        if let Some(m) = chan.media.as_deref_mut() {
            m.queue_digit(digit, ms);
        }
        return true;
    }
    let Some(m) = chan.media.as_deref_mut() else {
        return true;
    };
    m.queue_digit(digit, ms);
    tokio::select! {
        _ = m.flush_digits() => true,
        _ = tokio::time::sleep(Duration::from_millis(u64::from(ms) + 2000)) => true,
        _ = handle.hungup() => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timelen() {
        assert_eq!(parse_timelen_ms("250"), Some(250));
        assert_eq!(parse_timelen_ms("1.5s"), Some(1500));
        assert_eq!(parse_timelen_ms("80ms"), Some(80));
        assert_eq!(parse_timelen_ms("2m"), Some(120_000));
        assert_eq!(parse_timelen_ms(""), None);
        assert_eq!(parse_timelen_ms("x"), None);
        assert_eq!(parse_timelen_ms("-5"), None);
        assert_eq!(parse_timelen_ms("5 q"), None);
    }
}
