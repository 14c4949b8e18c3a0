//! GosubIf: conditional Gosub (apps/app_stack.c).
//! `GosubIf(cond?labeliftrue[(args)][:labeliffalse[(args)]])`.

use super::{App, AppResult, Exec};
use crate::channel::Channel;
use crate::pbx::Pbx;
use std::sync::Arc;

pub static APP: App = App {
    name: "GosubIf",
    synopsis: "Conditionally jump to label, saving return address.",
    provided_by: "app_stack",
    syntax: "GosubIf(condition?labeliftrue[(arg1[,...])][:labeliffalse[(arg1[,...])]])",
    description: "If the condition is true, then jump to labeliftrue. If false, jumps to labeliffalse, if specified. In either case, a jump saves the return point in the dialplan, to be returned to with a Return.",
    exec: Exec::Sync(exec),
};

fn exec(chan: &mut Channel, pbx: &Arc<Pbx>, data: &str) -> AppResult {
    let Some((cond, labels)) = data.split_once('?') else {
        crate::logger::warning(
            "app_stack.c",
            "GosubIf requires an argument: GosubIf(cond?label1(args):label2(args)",
        );
        return AppResult::Continue;
    };
    let parts = super::nonstandard_args(labels, ':', 2);
    let t = parts.first().map(String::as_str).unwrap_or("");
    let f = parts.get(1).map(String::as_str).unwrap_or("");
    let branch = if super::check_condition(cond) { t } else { f };
    if branch.is_empty() {
        return AppResult::Continue;
    }
    super::gosub::gosub(chan, pbx, branch)
}
