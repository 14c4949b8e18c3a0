//! Playing audio to a channel as main/file.c's `ast_streamfile` + `ast_waitstream` do: find
//! the file for the channel's language (`media::sound`), say `<chan> Playing 'name.fmt'
//! (language 'xx')`, send it in 20 ms packets in real time, and meanwhile read the channel
//! (so recordings hear both sides and digits are seen); stop early on a digit the caller
//! allows (`Background`, `Read`) or on hangup.

use super::media::{Input, FRAME};
use super::Channel;
use crate::media::sound::{self, Format, SoundPaths};
use crate::pbx::Pbx;
use std::time::Duration;

/// How playing ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Played {
    /// To the end.
    Done,
    /// A digit of `stop_on` was pressed (it is consumed).
    Digit(char),
    /// The channel hung up.
    Hangup,
    /// No such file (the warning was logged).
    NotFound,
}

/// Where sounds are found for this PBX (asterisk.conf's data directory, the bundled prompts).
pub fn paths(pbx: &Pbx) -> SoundPaths {
    let cfg = pbx.config.read().unwrap();
    let mut p = SoundPaths::from_asterisk(&cfg.asterisk);
    p.default_language = "en".into();
    p
}

/// The format name Asterisk prints for a file it plays (the channel's write format: files
/// in WAV are signed linear).
fn format_name(f: Format) -> &'static str {
    match f {
        Format::Wav | Format::Slin => "slin",
        Format::Slin16 => "slin16",
        Format::Ulaw => "ulaw",
        Format::Alaw => "alaw",
    }
}

/// The channel's codecs as Asterisk names them in "Unable to open" (`(alaw)`).
fn native_formats(chan: &Channel) -> String {
    match chan.media.as_deref() {
        Some(m) => format!("({})", m.law.name()),
        None => "(slin)".into(),
    }
}

/// Load `name` for the channel's language, or log Asterisk's warning and give None.
pub fn load(chan: &Channel, pbx: &Pbx, name: &str) -> Option<(Vec<i16>, String)> {
    let p = paths(pbx);
    match p.find(name, &chan.language) {
        Ok(f) => match sound::load(&f) {
            Ok(samples) => Some((samples, format_name(f.format).to_string())),
            Err(e) => {
                crate::logger::warning(
                    "file.c",
                    &format!("Unable to open {} ({e})", f.path.display()),
                );
                None
            }
        },
        Err(_) => {
            crate::logger::warning(
                "file.c",
                &format!(
                    "Unable to open {name} (format {}): No such file or directory",
                    native_formats(chan)
                ),
            );
            None
        }
    }
}

/// `ast_streamfile` + `ast_waitstream(chan, stop_on)`.
pub async fn play_file(chan: &mut Channel, pbx: &Pbx, name: &str, stop_on: &str) -> Played {
    let Some((samples, fmt)) = load(chan, pbx, name) else {
        return Played::NotFound;
    };
    let lang = if chan.language.is_empty() {
        "default".to_string()
    } else {
        chan.language.clone()
    };
    crate::verb!(
        3,
        "<{}> Playing '{}.{}' (language '{}')",
        chan.name,
        name,
        fmt,
        lang
    );
    play_samples(chan, &samples, stop_on).await
}

/// Send `samples` in 20 ms packets, in real time; returns early on a digit of `stop_on` or
/// hangup.
pub async fn play_samples(chan: &mut Channel, samples: &[i16], stop_on: &str) -> Played {
    let handle = chan.handle.clone();
    let Some(media) = chan.media.as_deref_mut() else {
        // No audio path (a Local channel): the time passes all the same.
        let ms = (samples.len() / 8) as u64;
        return if chan_sleep(&handle, ms).await {
            Played::Done
        } else {
            Played::Hangup
        };
    };
    tokio::select! {
        r = play_to_stream(media, samples, stop_on) => r,
        _ = handle.hungup() => Played::Hangup,
    }
}

/// Send `samples` to a stream in 20 ms packets, in real time, reading it meanwhile; ends
/// early on a digit of `stop_on`. (A stream without its channel: a Dial leg.)
pub async fn play_to_stream(
    media: &mut super::media::RtpStream,
    samples: &[i16],
    stop_on: &str,
) -> Played {
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut chunks = samples.chunks(FRAME);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                match chunks.next() {
                    Some(c) => media.write(c),
                    None => return Played::Done,
                }
            }
            i = media.read() => {
                if let Input::Dtmf(d) = i {
                    if stop_on.contains(d) {
                        return Played::Digit(d);
                    }
                }
            }
        }
    }
}

/// Load a sound by name for `language`, quietly (None when missing).
pub fn load_quiet(pbx: &Pbx, name: &str, language: &str) -> Option<(Vec<i16>, &'static str)> {
    let f = paths(pbx).find(name, language).ok()?;
    let samples = sound::load(&f).ok()?;
    Some((samples, format_name(f.format)))
}

/// A source of audio that plays to a channel in the background (Asterisk's channel
/// generators: music on hold, Playtones): asked for 20 ms at a time.
pub trait Generator: Send + Sync + std::fmt::Debug {
    /// Fill `out` (160 samples); false when the generator has finished.
    fn fill(&mut self, out: &mut [i16]) -> bool;
}

/// Wait for a digit (any of `accept`; empty = any) for up to `ms`, reading the channel and
/// playing its generator meanwhile. None on timeout; `Err` on hangup.
pub async fn wait_digit(chan: &mut Channel, ms: u64, accept: &str) -> Result<Option<char>, ()> {
    let handle = chan.handle.clone();
    let deadline = tokio::time::Instant::now() + Duration::from_millis(ms);
    let Some(media) = chan.media.as_deref_mut() else {
        return if chan_sleep(&handle, ms).await {
            Ok(None)
        } else {
            Err(())
        };
    };
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let mut frame = [0i16; FRAME];
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => return Ok(None),
            _ = tick.tick(), if chan.generator.is_some() => {
                if let Some(g) = chan.generator.as_mut() {
                    if g.fill(&mut frame) {
                        media.write(&frame);
                    } else {
                        chan.generator = None;
                    }
                }
            }
            i = media.read() => {
                if let Input::Dtmf(d) = i {
                    if accept.is_empty() || accept.contains(d) {
                        return Ok(Some(d));
                    }
                }
            }
            _ = handle.hungup() => return Err(()),
        }
    }
}

/// Let `ms` pass on the channel (Wait): its generator plays, its audio is read (recordings
/// hear it), digits are ignored. False on hangup.
pub async fn idle(chan: &mut Channel, ms: u64) -> bool {
    wait_digit(chan, ms, "\u{0}").await.is_ok()
}

async fn chan_sleep(handle: &super::ChannelHandle, ms: u64) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(Duration::from_millis(ms)) => !handle.is_hungup(),
        _ = handle.hungup() => false,
    }
}

/// All DTMF digits.
pub const ALL_DIGITS: &str = "0123456789*#ABCD";
