//! Congestion: indicate congestion, then wait for the caller to hang up
//! (main/pbx_builtins.c).

use super::{App, AppFuture, AppResult, Exec};
use crate::channel::Channel;
use crate::pbx::Pbx;
use std::sync::Arc;

pub static APP: App = App {
    name: "Congestion",
    synopsis: "Indicate the Congestion condition.",
    provided_by: "pbx_builtins",
    syntax: "Congestion([timeout])",
    description: "This application will indicate the congestion condition to the calling channel.",
    exec: Exec::Async(exec),
};

/// `indicate_congestion`.
pub async fn indicate(chan: &mut Channel, timeout: &str) -> AppResult {
    chan.indicate(crate::channel::Indication::Congestion);
    if chan.state != crate::channel::ChannelState::Up {
        chan.hangupcause = 34;
        chan.set_state(crate::channel::ChannelState::Busy);
    }
    super::busy::wait_timeout(chan, timeout).await;
    AppResult::Hangup
}

fn exec<'a>(chan: &'a mut Channel, _pbx: &'a Arc<Pbx>, data: String) -> AppFuture<'a> {
    Box::pin(async move { indicate(chan, &data).await })
}
