//! Progress: indicate call progress (early media) to the caller (main/pbx_builtins.c).

use super::{App, AppResult, Exec};
use crate::channel::Channel;
use crate::pbx::Pbx;
use std::sync::Arc;

pub static APP: App = App {
    name: "Progress",
    synopsis: "Indicate progress.",
    provided_by: "pbx_builtins",
    syntax: "Progress()",
    description: "This application will request that in-band progress information be provided to the calling channel.",
    exec: Exec::Sync(exec),
};

fn exec(chan: &mut Channel, _pbx: &Arc<Pbx>, _data: &str) -> AppResult {
    if chan.check_hangup() {
        return AppResult::Hangup;
    }
    chan.indicate(crate::channel::Indication::Progress);
    AppResult::Continue
}
