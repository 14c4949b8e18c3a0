//! Answer: answer the channel if it is ringing (main/pbx_builtins.c).

use super::{App, AppResult, Exec};
use crate::channel::Channel;
use crate::pbx::Pbx;
use std::sync::Arc;

pub static APP: App = App {
    name: "Answer",
    synopsis: "Answer a channel if ringing.",
    provided_by: "pbx_builtins",
    syntax: "Answer([delay,[options]])",
    description: "If the call has not been answered, this application will answer it. Otherwise, it has no effect on the call.",
    exec: Exec::Sync(exec),
};

fn exec(chan: &mut Channel, _pbx: &Arc<Pbx>, _data: &str) -> AppResult {
    if chan.check_hangup() {
        return AppResult::Hangup;
    }
    chan.answer();
    AppResult::Continue
}
