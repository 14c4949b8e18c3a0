//! GotoIf: conditional Goto (main/pbx_builtins.c). `GotoIf(cond?[true]:[false])`.

use super::{App, AppResult, Exec};
use crate::channel::Channel;
use crate::pbx::Pbx;
use std::sync::Arc;

pub static APP: App = App {
    name: "GotoIf",
    synopsis: "Conditional goto.",
    provided_by: "pbx_builtins",
    syntax: "GotoIf(condition?[labeliftrue]:[labeliffalse])",
    description: "This application will set the current context, extension, and priority in the channel structure based on the evaluation of the given condition. After this application completes, the pbx engine will continue dialplan execution at the specified location in the dialplan.",
    exec: Exec::Sync(exec),
};

fn exec(chan: &mut Channel, pbx: &Arc<Pbx>, data: &str) -> AppResult {
    if data.is_empty() {
        crate::logger::warning(
            "pbx_builtins.c",
            "Ignoring, since there is no variable to check",
        );
        return AppResult::Continue;
    }
    let (cond, rest) = data.split_once('?').unwrap_or((data, ""));
    let (t, f) = rest.split_once(':').unwrap_or((rest, ""));
    let branch = if super::check_condition(cond) { t } else { f };
    if branch.is_empty() {
        return AppResult::Continue;
    }
    super::goto::goto(chan, pbx, branch)
}
