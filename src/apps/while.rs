//! While, EndWhile, ExitWhile, ContinueWhile (apps/app_while.c). A While whose condition
//! is false jumps past its matching EndWhile (nesting counted, in the same extension);
//! EndWhile and ContinueWhile jump back to the While; ExitWhile leaves the loop. The jumps
//! print nothing, as in Asterisk.

use super::{App, AppResult, Exec};
use crate::channel::Channel;
use crate::dialplan::index::Want;
use crate::pbx::Pbx;
use std::sync::Arc;

pub static WHILE: App = App {
    name: "While",
    synopsis: "Start a while loop.",
    provided_by: "app_while",
    syntax: "While(expr)",
    description: "Start a While Loop. Execution will return to this point when EndWhile() is called until expr is no longer true.",
    exec: Exec::Sync(while_exec),
};
pub static END_WHILE: App = App {
    name: "EndWhile",
    synopsis: "End a while loop.",
    provided_by: "app_while",
    syntax: "EndWhile()",
    description: "Return to the previous called While().",
    exec: Exec::Sync(endwhile_exec),
};
pub static EXIT_WHILE: App = App {
    name: "ExitWhile",
    synopsis: "End a While loop.",
    provided_by: "app_while",
    syntax: "ExitWhile()",
    description: "Exits a While() loop, whether or not the conditional has been satisfied.",
    exec: Exec::Sync(exitwhile_exec),
};
pub static CONTINUE_WHILE: App = App {
    name: "ContinueWhile",
    synopsis: "Restart a While loop.",
    provided_by: "app_while",
    syntax: "ContinueWhile()",
    description: "Returns to the top of the while loop and re-evaluates the conditional.",
    exec: Exec::Sync(continuewhile_exec),
};

fn top(chan: &Channel) -> Option<(String, String, i32)> {
    chan.loops.last().cloned()
}

fn push(chan: &mut Channel, ctx: &str, ext: &str, prio: i32) {
    chan.loops.push((ctx.to_string(), ext.to_string(), prio));
}

fn pop(chan: &mut Channel) {
    chan.loops.pop();
}

/// The priority of the EndWhile matching the While at `prio` (nesting counted).
fn find_matching_endwhile(chan: &Channel, pbx: &Pbx, prio: i32) -> Option<i32> {
    let dp = pbx.dialplan();
    let mut depth = 1;
    let mut p = prio + 1;
    let cid = chan.caller.num.as_deref();
    while let Ok(f) = dp.find(&chan.context, &chan.exten, Want::Priority(p), cid) {
        let app = f.step.app.to_ascii_lowercase();
        if app == "while" {
            depth += 1;
        } else if app == "endwhile" {
            depth -= 1;
            if depth == 0 {
                return Some(p);
            }
        }
        p += 1;
    }
    None
}

fn while_exec(chan: &mut Channel, pbx: &Arc<Pbx>, data: &str) -> AppResult {
    let here = (chan.context.clone(), chan.exten.clone(), chan.priority);
    let inside = top(chan).is_some_and(|t| t == here);
    if !inside {
        push(chan, &here.0, &here.1, here.2);
    }
    if super::check_condition(data) {
        return AppResult::Continue;
    }
    pop(chan);
    match find_matching_endwhile(chan, pbx, here.2) {
        Some(end) => {
            chan.priority = end;
            AppResult::Continue
        }
        None => {
            crate::logger::warning("app_while.c", "Couldn't find matching EndWhile");
            AppResult::Hangup
        }
    }
}

fn endwhile_exec(chan: &mut Channel, _pbx: &Arc<Pbx>, _data: &str) -> AppResult {
    match top(chan) {
        Some((ctx, ext, prio)) => {
            super::explicit_goto(chan, Some(&ctx), Some(&ext), prio);
        }
        None => crate::logger::warning("app_while.c", "Could not find matching While"),
    }
    AppResult::Continue
}

fn continuewhile_exec(chan: &mut Channel, pbx: &Arc<Pbx>, data: &str) -> AppResult {
    endwhile_exec(chan, pbx, data)
}

fn exitwhile_exec(chan: &mut Channel, pbx: &Arc<Pbx>, _data: &str) -> AppResult {
    let Some((ctx, ext, prio)) = top(chan) else {
        crate::logger::warning("app_while.c", "ExitWhile without a While");
        return AppResult::Continue;
    };
    pop(chan);
    let saved = (chan.context.clone(), chan.exten.clone());
    chan.context = ctx;
    chan.exten = ext;
    match find_matching_endwhile(chan, pbx, prio) {
        Some(end) => {
            chan.priority = end;
        }
        None => {
            chan.context = saved.0;
            chan.exten = saved.1;
            crate::logger::warning("app_while.c", "Couldn't find matching EndWhile");
        }
    }
    AppResult::Continue
}
