//! Busy: indicate busy, then wait for the caller to hang up (main/pbx_builtins.c).

use super::{App, AppFuture, AppResult, Exec};
use crate::channel::{Channel, ChannelState};
use crate::pbx::Pbx;
use std::sync::Arc;

pub static APP: App = App {
    name: "Busy",
    synopsis: "Indicate the Busy condition.",
    provided_by: "pbx_builtins",
    syntax: "Busy([timeout])",
    description: "This application will indicate the busy condition to the calling channel.",
    exec: Exec::Async(exec),
};

/// `indicate_busy`: busy state, then wait `timeout` seconds (0 or empty: until hangup).
pub async fn indicate(chan: &mut Channel, timeout: &str) -> AppResult {
    chan.indicate(crate::channel::Indication::Busy);
    if chan.state != ChannelState::Up {
        chan.hangupcause = 17;
        chan.set_state(ChannelState::Busy);
    }
    wait_timeout(chan, timeout).await;
    AppResult::Hangup
}

/// `wait_for_hangup`: wait the given seconds, or until hangup when none are given.
pub async fn wait_timeout(chan: &Channel, timeout: &str) {
    match super::parse_seconds_ms(timeout) {
        Some(ms) => {
            chan.safe_sleep(ms).await;
        }
        None => chan.handle.hungup().await,
    }
}

fn exec<'a>(chan: &'a mut Channel, _pbx: &'a Arc<Pbx>, data: String) -> AppFuture<'a> {
    Box::pin(async move { indicate(chan, &data).await })
}
