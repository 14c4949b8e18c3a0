//! MusicOnHold, StartMusicOnHold, StopMusicOnHold (res/res_musiconhold.c): music on hold as a
//! channel generator, see [`crate::moh`]. Like Asterisk, MusicOnHold does not answer the
//! channel.

use super::{App, AppFuture, AppResult, Exec};
use crate::channel::Channel;
use crate::pbx::Pbx;
use std::sync::Arc;

pub static APP: App = App {
    name: "MusicOnHold",
    synopsis: "Play Music On Hold indefinitely.",
    provided_by: "res_musiconhold",
    syntax: "MusicOnHold([class,[duration]])",
    description: "Plays hold music of the given class (or the channel's class, or default) until the caller hangs up, or for duration seconds when given.",
    exec: Exec::Async(exec_play),
};

pub static START_APP: App = App {
    name: "StartMusicOnHold",
    synopsis: "Play Music On Hold.",
    provided_by: "res_musiconhold",
    syntax: "StartMusicOnHold([class])",
    description: "Starts hold music of the given class (or the channel's class, or default) in the background; the dialplan goes on while it plays.",
    exec: Exec::Sync(exec_start),
};

pub static STOP_APP: App = App {
    name: "StopMusicOnHold",
    synopsis: "Stop playing Music On Hold.",
    provided_by: "res_musiconhold",
    syntax: "StopMusicOnHold()",
    description: "Stops the hold music started by StartMusicOnHold.",
    exec: Exec::Sync(exec_stop),
};

/// `sscanf("%d")`: optional blanks and sign, then digits.
fn scan_int(s: &str) -> Option<i64> {
    let t = s.trim_start();
    let (neg, t) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let end = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let v: i64 = t[..end].parse().ok()?;
    Some(if neg { -v } else { v })
}

fn unable(class: Option<&str>, chan: &Channel) {
    crate::logger::warning(
        "res_musiconhold.c",
        &format!(
            "Unable to start music on hold class '{}' on channel {}",
            class.unwrap_or("(null)"),
            chan.name
        ),
    );
}

fn exec_play<'a>(chan: &'a mut Channel, pbx: &'a Arc<Pbx>, data: String) -> AppFuture<'a> {
    Box::pin(async move {
        let args = super::standard_args(&data);
        let class = args.first().map(String::as_str).filter(|c| !c.is_empty());
        let mut timeout_ms: i64 = -1;
        if let Some(d) = args.get(1).filter(|d| !d.is_empty()) {
            match scan_int(d) {
                Some(v) => timeout_ms = v.saturating_mul(1000),
                None => crate::logger::warning(
                    "res_musiconhold.c",
                    &format!("Invalid MusicOnHold duration '{d}'. Will wait indefinitely."),
                ),
            }
        }
        if !crate::moh::start(chan, pbx, class) {
            unable(class, chan);
            return AppResult::Continue;
        }
        let alive = if timeout_ms > 0 {
            crate::channel::playback::idle(chan, timeout_ms as u64).await
        } else {
            loop {
                if !crate::channel::playback::idle(chan, 10_000).await {
                    break false;
                }
            }
        };
        crate::moh::stop(chan);
        if alive {
            AppResult::Continue
        } else {
            AppResult::Hangup
        }
    })
}

fn exec_start(chan: &mut Channel, pbx: &Arc<Pbx>, data: &str) -> AppResult {
    let args = super::standard_args(data);
    let class = args.first().map(String::as_str).filter(|c| !c.is_empty());
    if !crate::moh::start(chan, pbx, class) {
        unable(class, chan);
    }
    AppResult::Continue
}

fn exec_stop(chan: &mut Channel, _pbx: &Arc<Pbx>, _data: &str) -> AppResult {
    crate::moh::stop(chan);
    AppResult::Continue
}

#[cfg(test)]
mod tests {
    use super::scan_int;

    #[test]
    fn durations() {
        assert_eq!(scan_int("2"), Some(2));
        assert_eq!(scan_int(" 2.5"), Some(2));
        assert_eq!(scan_int("-3"), Some(-3));
        assert_eq!(scan_int("x"), None);
    }
}
