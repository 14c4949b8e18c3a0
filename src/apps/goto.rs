//! Goto: jump to a priority, extension and context (main/pbx_builtins.c).
//! `Goto([[context,]extension,]priority)`; a fourth argument is ignored, as in Asterisk.

use super::{App, AppResult, Exec};
use crate::channel::Channel;
use crate::pbx::Pbx;
use std::sync::Arc;

pub static APP: App = App {
    name: "Goto",
    synopsis: "Jump to a particular priority, extension, or context.",
    provided_by: "pbx_builtins",
    syntax: "Goto([[context,]extensions,]priority)",
    description: "This application will set the current context, extension, and priority in the channel structure. After it completes, the pbx engine will continue dialplan execution at the specified location.",
    exec: Exec::Sync(exec),
};

/// `pbx_builtin_goto`: jump and print `Goto (ctx,exten,prio)`.
pub fn goto(chan: &mut Channel, pbx: &Pbx, target: &str) -> AppResult {
    match super::parseable_goto(chan, pbx, target) {
        Ok(()) => {
            crate::verb!(
                3,
                "Goto ({},{},{})",
                chan.context,
                chan.exten,
                chan.priority + 1
            );
            AppResult::Continue
        }
        Err(_) => AppResult::Hangup,
    }
}

fn exec(chan: &mut Channel, pbx: &Arc<Pbx>, data: &str) -> AppResult {
    goto(chan, pbx, data)
}
