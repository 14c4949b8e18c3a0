//! Gosub: jump to a subroutine and come back with Return (apps/app_stack.c).
//! `Gosub([[context,]exten,]priority[(arg1,...)])`: the arguments become ARG1..ARGn and
//! ARGC, local to the subroutine; LOCAL() variables are restored on Return.

use super::{App, AppResult, Exec};
use crate::channel::{Channel, GosubFrame};
use crate::pbx::Pbx;
use std::sync::Arc;

pub static APP: App = App {
    name: "Gosub",
    synopsis: "Jump to label, saving return address.",
    provided_by: "app_stack",
    syntax: "Gosub([[context,]exten,]priority[(arg1[,...][,argN])])",
    description: "Jumps to the label specified, saving the return address.",
    exec: Exec::Sync(exec),
};

/// Set a variable for the top frame, remembering the old value for Return (`frame_set_var`).
pub fn frame_set_var(chan: &mut Channel, name: &str, value: &str) {
    let old = chan.vars.get(name).map(str::to_string);
    if let Some(frame) = chan.stack.last_mut() {
        if !frame.saved.iter().any(|(n, _)| n == name) {
            frame.saved.push((name.to_string(), old));
        }
    }
    chan.vars.set(name, Some(value));
}

/// `label(args)` → ("label", args).
pub fn split_label_args(s: &str) -> (&str, Vec<String>) {
    match s.find('(') {
        Some(i) => {
            let inner = &s[i + 1..];
            let inner = inner.strip_suffix(')').unwrap_or(inner);
            (&s[..i], super::standard_args(inner))
        }
        None => (s, Vec::new()),
    }
}

/// Push a frame, set the arguments and jump. `Hangup` when the target does not exist.
pub fn gosub(chan: &mut Channel, pbx: &Pbx, data: &str) -> AppResult {
    if data.is_empty() {
        crate::logger::warning(
            "app_stack.c",
            "Gosub requires an argument: Gosub([[context,]exten,]priority[(arg1[,...][,argN])])",
        );
        return AppResult::Hangup;
    }
    let (label, args) = split_label_args(data);
    let prev_argc = chan.stack.last().map(|f| f.argc).unwrap_or(0);
    let (octx, oext, oprio) = (chan.context.clone(), chan.exten.clone(), chan.priority);
    if super::parseable_goto(chan, pbx, label).is_err() {
        crate::logger::error(
            "app_stack.c",
            &format!("Gosub address is invalid: '{data}'"),
        );
        return AppResult::Hangup;
    }
    let dp = pbx.dialplan();
    if !dp.exists(
        &chan.context,
        &chan.exten,
        chan.priority + 1,
        chan.caller.num.as_deref(),
    ) {
        crate::logger::warning(
            "app_stack.c",
            &format!(
                "Attempt to reach a non-existent destination for Gosub: (Context:{}, Extension:{}, Priority:{})",
                chan.context,
                chan.exten,
                chan.priority + 1
            ),
        );
        chan.context = octx;
        chan.exten = oext;
        chan.priority = oprio;
        return AppResult::Hangup;
    }
    chan.stack.push(GosubFrame {
        context: octx,
        exten: oext,
        priority: oprio + 1,
        saved: Vec::new(),
        argc: args.len(),
        is_special: false,
    });
    for (i, a) in args.iter().enumerate() {
        frame_set_var(chan, &format!("ARG{}", i + 1), a);
    }
    for i in args.len()..prev_argc {
        frame_set_var(chan, &format!("ARG{}", i + 1), "");
    }
    frame_set_var(chan, "ARGC", &args.len().to_string());
    AppResult::Continue
}

fn exec(chan: &mut Channel, pbx: &Arc<Pbx>, data: &str) -> AppResult {
    gosub(chan, pbx, data)
}
