//! Wait: wait a number of seconds (fractions allowed) (main/pbx_builtins.c).

use super::{App, AppFuture, AppResult, Exec};
use crate::channel::Channel;
use crate::pbx::Pbx;
use std::sync::Arc;

pub static APP: App = App {
    name: "Wait",
    synopsis: "Waits for some time.",
    provided_by: "pbx_builtins",
    syntax: "Wait(seconds)",
    description: "This application waits for a specified number of seconds.",
    exec: Exec::Async(exec),
};

fn exec<'a>(chan: &'a mut Channel, _pbx: &'a Arc<Pbx>, data: String) -> AppFuture<'a> {
    Box::pin(async move {
        let ms = super::parse_seconds_ms(&data).unwrap_or(0);
        if ms == 0 {
            return if chan.check_hangup() {
                AppResult::Hangup
            } else {
                AppResult::Continue
            };
        }
        // The channel's audio is read meanwhile (recordings hear it) and its generator
        // (music on hold, Playtones) plays.
        if crate::channel::playback::idle(chan, ms).await {
            AppResult::Continue
        } else {
            AppResult::Hangup
        }
    })
}
