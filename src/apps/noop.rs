//! NoOp: do nothing; its arguments show in the trace (main/pbx_builtins.c).

use super::{App, AppResult, Exec};
use crate::channel::Channel;
use crate::pbx::Pbx;
use std::sync::Arc;

pub static APP: App = App {
    name: "NoOp",
    synopsis: "Do Nothing (No Operation).",
    provided_by: "pbx_builtins",
    syntax: "NoOp([text])",
    description: "This application does nothing. However, it is useful for debugging purposes.",
    exec: Exec::Sync(exec),
};

fn exec(_chan: &mut Channel, _pbx: &Arc<Pbx>, _data: &str) -> AppResult {
    AppResult::Continue
}
