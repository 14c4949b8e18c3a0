//! Milliwatt: a 1004 Hz tone at 0 dBm0 until the caller hangs up (apps/app_milliwatt.c, the
//! digital milliwatt). Answers first. With `o` the old 1000 Hz tone.

use super::{App, AppFuture, AppResult, Exec};
use crate::channel::playback::{play_samples, Played};
use crate::channel::{Channel, ChannelState};
use crate::pbx::Pbx;
use std::sync::Arc;

pub static APP: App = App {
    name: "Milliwatt",
    synopsis: "Generates a 1004 Hz test tone at 0dbm (mu-law).",
    provided_by: "app_milliwatt",
    syntax: "Milliwatt([options])",
    description: "Previous versions of this application generated the tone at 1000Hz.  If for some reason you would prefer that behavior, supply the 'o' option to get the old behavior.",
    exec: Exec::Async(exec),
};

fn exec<'a>(chan: &'a mut Channel, _pbx: &'a Arc<Pbx>, data: String) -> AppFuture<'a> {
    Box::pin(async move {
        if chan.state != ChannelState::Up {
            chan.answer();
        }
        let hz = if data.contains('o') { 1000.0 } else { 1004.0 };
        // 0 dBm0 in G.711 is a sine of peak about 22,700 (3.14 dB below full scale).
        let second: Vec<i16> = (0..8000)
            .map(|i| {
                (22_700.0 * (2.0 * std::f64::consts::PI * hz * i as f64 / 8000.0).sin()) as i16
            })
            .collect();
        loop {
            if play_samples(chan, &second, "").await == Played::Hangup {
                return AppResult::Hangup;
            }
        }
    })
}
