//! Macro and MacroExit (apps/app_macro.c): deprecated in Asterisk but everywhere in real
//! configs. `Macro(name,arg1,...)` runs `[macro-name]` from `s,1` in a loop of its own with
//! ARGn and MACRO_EXTEN/CONTEXT/PRIORITY set, then returns to the caller.

use super::{App, AppFuture, AppResult, Exec};
use crate::channel::{pbx, Channel};
use crate::pbx::Pbx;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

pub static APP: App = App {
    name: "Macro",
    synopsis: "Macro Implementation.",
    provided_by: "app_macro",
    syntax: "Macro(name,[arg1,[...]])",
    description: "Executes a macro using the context macro-<name>, jumping to the s extension of that context and executing each step, then returning when the steps end. Deprecated: use Gosub.",
    exec: Exec::Async(exec),
};

pub static EXIT_APP: App = App {
    name: "MacroExit",
    synopsis: "Exit from Macro.",
    provided_by: "app_macro",
    syntax: "MacroExit()",
    description: "Causes the currently running macro to exit as if it had ended normally by running out of priorities to execute.",
    exec: Exec::Sync(exit),
};

static WARNED: AtomicBool = AtomicBool::new(false);
const MAX_DEPTH: i32 = 7;

fn exit(_chan: &mut Channel, _pbx: &Arc<Pbx>, _data: &str) -> AppResult {
    AppResult::MacroExit
}

fn exec<'a>(chan: &'a mut Channel, p: &'a Arc<Pbx>, data: String) -> AppFuture<'a> {
    Box::pin(run(chan, p, data))
}

async fn run(chan: &mut Channel, p: &Arc<Pbx>, data: String) -> AppResult {
    if data.is_empty() {
        crate::logger::warning(
            "app_macro.c",
            "Macro() requires arguments. See \"core show application macro\" for help.",
        );
        return AppResult::Hangup;
    }
    if !WARNED.swap(true, Ordering::Relaxed) {
        crate::logger::warning(
            "app_macro.c",
            "Macro() is deprecated and will be removed from a future version of Asterisk.",
        );
        crate::logger::warning(
            "app_macro.c",
            "Dialplan should be updated to use Gosub instead.",
        );
    }
    let depth: i32 = chan
        .vars
        .get("MACRO_DEPTH")
        .and_then(|d| d.parse().ok())
        .unwrap_or(0);
    if depth >= MAX_DEPTH {
        crate::logger::error(
            "app_macro.c",
            "Macro():  possible infinite loop detected.  Returning early.",
        );
        return AppResult::Continue;
    }
    let mut parts = data.split(',');
    let name = parts.next().unwrap_or("").to_string();
    let args: Vec<String> = parts.map(str::to_string).collect();
    let full = format!("macro-{name}");
    let dp = p.dialplan();
    if dp.context(&full).is_none() {
        crate::logger::warning(
            "app_macro.c",
            &format!(
                "No such context '{full}' for macro '{name}'. Was called by {}@{}",
                chan.exten, chan.context
            ),
        );
        return AppResult::Continue;
    }
    if !dp.exists(&full, "s", 1, chan.caller.num.as_deref()) {
        crate::logger::warning(
            "app_macro.c",
            &format!("Context '{full}' for macro '{name}' lacks 's' extension, priority 1"),
        );
        return AppResult::Continue;
    }
    let (oldctx, oldext, oldprio) = (chan.context.clone(), chan.exten.clone(), chan.priority);
    let get = |c: &Channel, n: &str| c.vars.get(n).map(str::to_string);
    let save_exten = get(chan, "MACRO_EXTEN");
    let save_context = get(chan, "MACRO_CONTEXT");
    let save_priority = get(chan, "MACRO_PRIORITY");
    let save_offset = get(chan, "MACRO_OFFSET");
    chan.vars.set("MACRO_EXTEN", Some(&oldext));
    chan.vars.set("MACRO_CONTEXT", Some(&oldctx));
    chan.vars.set("MACRO_PRIORITY", Some(&oldprio.to_string()));
    chan.vars.set("MACRO_OFFSET", None);
    chan.vars.set("MACRO_DEPTH", Some(&(depth + 1).to_string()));
    let mut oldargs = Vec::new();
    for (i, a) in args.iter().enumerate() {
        let n = format!("ARG{}", i + 1);
        oldargs.push(get(chan, &n));
        chan.vars.set(&n, Some(a));
    }
    chan.context = full.clone();
    chan.exten = "s".into();
    chan.priority = 1;
    let mut result = AppResult::Continue;
    loop {
        let dp = p.dialplan();
        match pbx::spawn_step(chan, p, &dp).await {
            None => break,
            Some(AppResult::MacroExit) => break,
            Some(AppResult::Hangup) => {
                crate::verb!(
                    2,
                    "Spawn extension ({}, {}, {}) exited non-zero on '{}' in macro '{}'",
                    chan.context,
                    chan.exten,
                    chan.priority,
                    chan.name,
                    name
                );
                result = AppResult::Hangup;
                break;
            }
            Some(AppResult::Continue) => {}
            // A keypress ends the macro's extension: the caller's loop collects the number.
            Some(AppResult::Digit(d)) => {
                result = AppResult::Digit(d);
                break;
            }
        }
        if !chan.context.eq_ignore_ascii_case(&full) && chan.stack.is_empty() {
            crate::verb!(2, "Channel '{}' jumping out of macro '{}'", chan.name, name);
            break;
        }
        if chan.check_hangup() {
            break;
        }
        chan.priority += 1;
    }
    chan.vars.set("MACRO_DEPTH", Some(&depth.to_string()));
    for (i, old) in oldargs.iter().enumerate() {
        chan.vars.set(&format!("ARG{}", i + 1), old.as_deref());
    }
    chan.vars.set("MACRO_EXTEN", save_exten.as_deref());
    chan.vars.set("MACRO_CONTEXT", save_context.as_deref());
    chan.vars.set("MACRO_PRIORITY", save_priority.as_deref());
    if chan.context.eq_ignore_ascii_case(&full) {
        chan.priority = oldprio;
        chan.context = oldctx;
        chan.exten = oldext;
        if let Some(off) = chan
            .vars
            .get("MACRO_OFFSET")
            .and_then(|o| o.trim().parse::<i32>().ok())
        {
            if dp.exists(
                &chan.context,
                &chan.exten,
                chan.priority + off + 1,
                chan.caller.num.as_deref(),
            ) {
                chan.priority += off;
            }
        }
    }
    chan.vars.set("MACRO_OFFSET", save_offset.as_deref());
    result
}
