//! Ringing: indicate ringing to the caller (main/pbx_builtins.c).

use super::{App, AppResult, Exec};
use crate::channel::{Channel, ChannelState};
use crate::pbx::Pbx;
use std::sync::Arc;

pub static APP: App = App {
    name: "Ringing",
    synopsis: "Indicate ringing tone.",
    provided_by: "pbx_builtins",
    syntax: "Ringing()",
    description:
        "This application will request that the channel indicate a ringing tone to the user.",
    exec: Exec::Sync(exec),
};

fn exec(chan: &mut Channel, _pbx: &Arc<Pbx>, _data: &str) -> AppResult {
    if chan.check_hangup() {
        return AppResult::Hangup;
    }
    chan.indicate(crate::channel::Indication::Ringing);
    if chan.state != ChannelState::Up {
        chan.set_state(ChannelState::Ringing);
    }
    AppResult::Continue
}
