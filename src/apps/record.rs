//! Record: record what the caller says to a file (apps/app_record.c).
//!
//! `Record(filename.format,[silence[,maxduration[,options]]])`: answers the channel unless
//! told not to, plays a beep, then writes the audio it reads until `#` (or `*` with `t`, any
//! digit with `y`, `0` with `o`), `silence` seconds of silence, `maxduration` seconds, or
//! hangup. `%d` in the name becomes the first number that gives a file not yet there.
//! Sets `RECORDED_FILE` (the name without the format) and `RECORD_STATUS` (`DTMF`,
//! `OPERATOR`, `SILENCE`, `SKIP`, `TIMEOUT`, `HANGUP`, `ERROR`).
//!
//! As Asterisk does, the end of the recording is cut: down to one second of the closing
//! silence, or the last quarter second (the terminating key's tone) when a digit ended it;
//! on hangup the recording is discarded unless `k` (or the name had `%d`: Asterisk deletes
//! by the name as given, which is not the file's). The file is written through
//! [`RecordingWriter`] (temporary name, fsync, rename at the end), so a crash never leaves a
//! half-written recording under the final name. The cut is done by holding back the tail
//! that could be cut, so nothing is rewritten.

use super::{App, AppFuture, AppResult, Exec};
use crate::channel::media::Input;
use crate::channel::playback::{self, Played};
use crate::channel::{Channel, ChannelState};
use crate::media::file::RecordingWriter;
use crate::pbx::Pbx;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub static APP: App = App {
    name: "Record",
    synopsis: "Record the caller's audio to a file.",
    provided_by: "app_record",
    syntax: "Record(filename.format,[silence,[maxduration,[options]]])",
    description: "Records what the channel says to filename in the given format, after a beep, until the terminating key (#), silence seconds of silence, maxduration seconds (0 or none: no limit) or hangup. %d in the name is replaced with the first number giving a new file. Options: a (append), n (do not answer), q (no beep), s (skip if not answered), t (* terminates instead of #), x (no terminating key), y (any key terminates), o (0 exits with OPERATOR), k (keep the recording on hangup), u (do not cut the closing silence). Sets RECORDED_FILE and RECORD_STATUS (DTMF, OPERATOR, SILENCE, SKIP, TIMEOUT, HANGUP, ERROR).",
    exec: Exec::Async(exec),
};

/// Asterisk 20's option letters (none takes an argument).
const OPTIONS: &[(char, bool)] = &[
    ('a', false),
    ('k', false),
    ('n', false),
    ('o', false),
    ('q', false),
    ('s', false),
    ('t', false),
    ('u', false),
    ('y', false),
    ('x', false),
];

/// The letters of a Record options string Asterisk 20 does not know.
pub fn unknown_options(opts: &str) -> Vec<char> {
    super::unknown_app_options(opts, OPTIONS)
}

/// dsp.conf's `silencethreshold` default: a frame whose mean absolute amplitude is below it
/// is silence.
pub const SILENCE_THRESHOLD: u32 = 256;

/// `ast_dsp_silence`'s test for one frame.
pub fn is_silent(frame: &[i16], threshold: u32) -> bool {
    if frame.is_empty() {
        return true;
    }
    let sum: u64 = frame
        .iter()
        .map(|&s| (s as i32).unsigned_abs() as u64)
        .sum();
    (sum / frame.len() as u64) < threshold as u64
}

/// `sscanf("%30d")` with the value > -1.
fn seconds_arg(s: &str) -> Option<u64> {
    let t = s.trim_start();
    let (neg, digits) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let d: String = digits.chars().take_while(|c| c.is_ascii_digit()).collect();
    let v: i64 = d.parse().ok()?;
    if neg && v != 0 {
        None
    } else {
        Some(v as u64)
    }
}

/// Where a name given to Record is written: absolute as it is, relative under the sounds
/// folder of the data directory.
fn full_path(pbx: &Pbx, name: &str) -> PathBuf {
    if name.starts_with('/') {
        PathBuf::from(name)
    } else {
        let cfg = pbx.config.read().unwrap();
        let data = cfg
            .asterisk
            .dir("astdatadir")
            .unwrap_or("/var/lib/asterisk")
            .to_string();
        PathBuf::from(format!("{data}/sounds/{name}"))
    }
}

fn exec<'a>(chan: &'a mut Channel, pbx: &'a Arc<Pbx>, data: String) -> AppFuture<'a> {
    Box::pin(async move {
        let (result, status) = record(chan, pbx, &data).await;
        chan.vars.set("RECORD_STATUS", Some(status));
        result
    })
}

/// Why the recording loop ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    Dtmf,
    Operator,
    Silence,
    Timeout,
    Hangup,
    Error,
}

async fn record(chan: &mut Channel, pbx: &Arc<Pbx>, data: &str) -> (AppResult, &'static str) {
    if data.is_empty() {
        crate::logger::warning("app_record.c", "Record requires an argument (filename)");
        return (AppResult::Hangup, "ERROR");
    }
    let args = super::standard_args(data);
    let opts: Vec<char> = if args.len() == 4 {
        super::parse_app_options(&args[3], OPTIONS)
            .into_iter()
            .map(|(c, _)| c)
            .collect()
    } else {
        Vec::new()
    };
    let has = |c: char| opts.contains(&c);
    let given = args.first().cloned().unwrap_or_default();
    let split = given
        .rfind('.')
        .or_else(|| given.find(':'))
        .map(|i| (given[..i].to_string(), given[i + 1..].to_string()));
    let Some((name, ext)) = split.filter(|_| !given.is_empty()) else {
        crate::logger::warning("app_record.c", "No extension specified to filename!");
        return (AppResult::Hangup, "ERROR");
    };
    let mut silence_ms = 0u64;
    if let Some(s) = args.get(1) {
        match seconds_arg(s) {
            Some(v) => silence_ms = v * 1000,
            None if !s.is_empty() => crate::logger::warning(
                "app_record.c",
                &format!("'{s}' is not a valid silence duration"),
            ),
            None => {}
        }
    }
    let mut max_ms = 0u64;
    if let Some(s) = args.get(2) {
        match seconds_arg(s) {
            Some(v) => max_ms = v * 1000,
            None if !s.is_empty() => crate::logger::warning(
                "app_record.c",
                &format!("'{s}' is not a valid maximum duration"),
            ),
            None => {}
        }
    }
    let truncate_silence = !has('u');
    let terminator = if has('x') {
        None
    } else if has('t') {
        Some('*')
    } else {
        Some('#')
    };
    // `%d`: the first number that gives a file not there yet.
    let target = if name.contains('%') {
        let mut n = 0u64;
        loop {
            let candidate = name.replace("%d", &n.to_string());
            let p = full_path(pbx, &format!("{candidate}.{ext}"));
            if !p.exists() || n > 100_000 {
                break candidate;
            }
            n += 1;
        }
    } else {
        name.clone()
    };
    chan.vars.set("RECORDED_FILE", Some(&target));
    if chan.state != ChannelState::Up {
        if has('s') {
            return (AppResult::Continue, "SKIP");
        } else if !has('n') {
            chan.answer();
        }
    }
    if !has('q') {
        // As ast_stream_and_wait: a beep that cannot be played fails like a hangup.
        if let Played::Hangup | Played::NotFound = playback::play_file(chan, pbx, "beep", "").await
        {
            return (AppResult::Hangup, "HANGUP");
        }
    }
    let path = full_path(pbx, &format!("{target}.{ext}"));
    if let Some(dir) = path.parent() {
        if std::fs::create_dir_all(dir).is_err() {
            crate::logger::warning(
                "app_record.c",
                &format!("Could not create directory for file {name}"),
            );
            return (AppResult::Continue, "ERROR");
        }
    }
    let writer = if has('a') {
        RecordingWriter::append(&path)
    } else {
        RecordingWriter::create(&path)
    };
    let Ok(mut writer) = writer else {
        crate::logger::warning("app_record.c", &format!("Could not create file {name}"));
        return (AppResult::Continue, "ERROR");
    };
    // The tail that may be cut at the end is held back.
    let hold = (silence_ms.saturating_sub(1000).max(250) * 8) as usize;
    let mut tail: VecDeque<i16> = VecDeque::new();
    let handle = chan.handle.clone();
    let deadline =
        (max_ms > 0).then(|| tokio::time::Instant::now() + Duration::from_millis(max_ms));
    let until = async move {
        match deadline {
            Some(d) => tokio::time::sleep_until(d).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(until);
    let mut total_silence = 0u64;
    // Asterisk's loop keeps the last frame read: none at all by the time limit counts as a
    // hangup (status HANGUP, the file deleted unless `k`, the call ended).
    let mut got_frame = false;
    let end = match chan.media.as_deref_mut() {
        None => {
            // No audio path: the time passes, nothing is heard.
            tokio::select! {
                _ = &mut until => End::Timeout,
                _ = handle.hungup() => End::Hangup,
            }
        }
        Some(media) => loop {
            tokio::select! {
                _ = &mut until => break End::Timeout,
                _ = handle.hungup() => break End::Hangup,
                i = media.read() => match i {
                    Input::Voice => {
                        got_frame = true;
                        if push(&mut tail, hold, &media.frame, &mut writer).is_err() {
                            crate::logger::warning("app_record.c", "Problem writing frame");
                            break End::Error;
                        }
                        if silence_ms > 0 {
                            if is_silent(&media.frame, SILENCE_THRESHOLD) {
                                total_silence += (media.frame.len() / 8) as u64;
                            } else {
                                total_silence = 0;
                            }
                            if total_silence > silence_ms {
                                break End::Silence;
                            }
                        }
                    }
                    Input::Dtmf(d) => {
                        got_frame = true;
                        if d == '0' && has('o') {
                            break End::Operator;
                        }
                        if Some(d) == terminator || has('y') {
                            break End::Dtmf;
                        }
                    }
                    Input::Hold(_) | Input::RtpTimeout => {}
                },
            }
        },
    };
    let end = if end == End::Timeout && !got_frame {
        End::Hangup
    } else {
        end
    };
    let status = match end {
        End::Dtmf => "DTMF",
        End::Operator => "OPERATOR",
        End::Silence => "SILENCE",
        End::Timeout => "TIMEOUT",
        End::Hangup => "HANGUP",
        End::Error => "ERROR",
    };
    // On hangup Asterisk deletes the recording by the name it was given, unless `k`: a
    // name with `%d` is not the file's, so that recording survives (as it does there).
    if end == End::Hangup && !has('k') && !name.contains('%') {
        // Thrown away (the temporary file goes with the writer), and so is what was there
        // under that name.
        drop(writer);
        let _ = std::fs::remove_file(&path);
        return (AppResult::Hangup, status);
    }
    // The cut, as Asterisk rewinds: down to one second of the closing silence; nothing after
    // a timeout or a hangup; else (a key, an error, silence with `u`) the last 250 ms.
    let cut = match end {
        End::Silence if truncate_silence => (silence_ms.saturating_sub(1000) * 8) as usize,
        End::Timeout | End::Hangup => 0,
        End::Silence | End::Error | End::Dtmf | End::Operator => 2000,
    };
    let keep = tail.len().saturating_sub(cut);
    let rest: Vec<i16> = tail.drain(..keep).collect();
    let _ = writer.write(&rest);
    let finished = tokio::task::spawn_blocking(move || writer.finish()).await;
    if !matches!(finished, Ok(Ok(_))) {
        crate::logger::warning("app_record.c", &format!("Could not create file {name}"));
    }
    let result = if end == End::Hangup {
        AppResult::Hangup
    } else {
        AppResult::Continue
    };
    (result, status)
}

/// Add audio to the held-back tail; what is older than `hold` samples goes to the file.
fn push(
    tail: &mut VecDeque<i16>,
    hold: usize,
    samples: &[i16],
    writer: &mut RecordingWriter,
) -> std::io::Result<()> {
    tail.extend(samples);
    if tail.len() > hold {
        let n = tail.len() - hold;
        let out: Vec<i16> = tail.drain(..n).collect();
        writer.write(&out)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_and_arguments() {
        assert!(is_silent(&[0; 160], SILENCE_THRESHOLD));
        assert!(is_silent(&[200, -200, 250, -100], SILENCE_THRESHOLD));
        assert!(!is_silent(&[3000, -3000], SILENCE_THRESHOLD));
        assert_eq!(seconds_arg("5"), Some(5));
        assert_eq!(seconds_arg("0"), Some(0));
        assert_eq!(seconds_arg("-1"), None);
        assert_eq!(seconds_arg("x"), None);
        assert_eq!(seconds_arg("3s"), Some(3));
    }
}
