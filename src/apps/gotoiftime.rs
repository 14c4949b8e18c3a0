//! GotoIfTime: Goto when the time is in a window (main/pbx_builtins.c).
//! `GotoIfTime(times,weekdays,mdays,months[,tz]?[true]:[false])`.

use super::{App, AppResult, Exec};
use crate::channel::Channel;
use crate::dialplan::timing::TimeSpec;
use crate::pbx::Pbx;
use std::sync::Arc;

pub static APP: App = App {
    name: "GotoIfTime",
    synopsis: "Conditional Goto based on the current time.",
    provided_by: "pbx_builtins",
    syntax: "GotoIfTime(times,weekdays,mdays,months,[timezone]?[labeliftrue]:[labeliffalse])",
    description: "This application will set the context, extension, and priority in the channel structure based on the evaluation of the given time specification. After this application completes, the pbx engine will continue dialplan execution at the specified location in the dialplan.",
    exec: Exec::Sync(exec),
};

fn exec(chan: &mut Channel, pbx: &Arc<Pbx>, data: &str) -> AppResult {
    let Some((spec, rest)) = data.split_once('?') else {
        crate::logger::warning(
            "pbx_builtins.c",
            "GotoIfTime requires an argument:\n  <time range>,<days of week>,<days of month>,<months>[,<timezone>]?'labeliftrue':'labeliffalse'",
        );
        return AppResult::Continue;
    };
    let (t, f) = rest.split_once(':').unwrap_or((rest, ""));
    let branch = if TimeSpec::parse(spec.trim()).matches_now() {
        t
    } else {
        f
    };
    if branch.is_empty() {
        return AppResult::Continue;
    }
    super::goto::goto(chan, pbx, branch)
}
