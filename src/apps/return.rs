//! Return: back from a Gosub, restoring its local variables (apps/app_stack.c).
//! `Return([value])` sets GOSUB_RETVAL.

use super::{App, AppResult, Exec};
use crate::channel::Channel;
use crate::pbx::Pbx;
use std::sync::Arc;

pub static APP: App = App {
    name: "Return",
    synopsis: "Return from gosub routine.",
    provided_by: "app_stack",
    syntax: "Return([value])",
    description: "Jumps to the last label on the stack, removing it. The return value, if any, is saved in the channel variable GOSUB_RETVAL.",
    exec: Exec::Sync(exec),
};

fn exec(chan: &mut Channel, _pbx: &Arc<Pbx>, data: &str) -> AppResult {
    let Some(frame) = chan.stack.pop() else {
        crate::logger::error("app_stack.c", "Return without Gosub: stack is empty");
        return AppResult::Hangup;
    };
    for (name, old) in frame.saved.iter().rev() {
        chan.vars.set(name, old.as_deref());
    }
    super::explicit_goto(
        chan,
        Some(&frame.context),
        Some(&frame.exten),
        frame.priority,
    );
    chan.vars.set("GOSUB_RETVAL", Some(data));
    AppResult::Continue
}
