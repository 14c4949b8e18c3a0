//! The PBX loop: `__ast_pbx_run` of main/pbx.c. Runs priority after priority of the
//! channel's context/extension, with Asterisk's handling of the end of an extension
//! (autofallthrough), invalid extensions (`i`), timeouts (`t`), errors (`e`) and the
//! hangup extension (`h`), and its verbose lines.

use super::Channel;
use crate::apps::{self, AppResult, Exec};
use crate::dialplan::index::{Compiled, Want};
use crate::logger::{self, verbosity_atleast};
use crate::pbx::{subst, Pbx};
use std::sync::Arc;

/// What one `ast_spawn_extension` did.
enum Spawn {
    Ran(AppResult),
    /// No such context/extension/priority.
    NotFound,
}

fn cid(chan: &Channel) -> Option<String> {
    chan.caller.num.clone()
}

/// One priority as Macro's own loop runs it: None when there is no such priority.
pub async fn spawn_step(chan: &mut Channel, pbx: &Arc<Pbx>, dp: &Compiled) -> Option<AppResult> {
    match spawn(chan, pbx, dp).await {
        Spawn::Ran(r) => Some(r),
        Spawn::NotFound => None,
    }
}

/// The extensions matching the channel's context/extension/caller id, kept while those
/// stay the same: the next priority is then a binary search.
#[derive(Default)]
pub struct Lookup {
    key: Option<(String, String, Option<String>)>,
    cands: Vec<(u32, u32)>,
}

impl Lookup {
    fn find<'a>(
        &mut self,
        dp: &'a Compiled,
        chan: &Channel,
    ) -> Option<crate::dialplan::index::Found<'a>> {
        let same = matches!(&self.key, Some((c, e, id))
            if *c == chan.context && *e == chan.exten && *id == chan.caller.num);
        if !same {
            let (cands, stable) =
                dp.candidates(&chan.context, &chan.exten, chan.caller.num.as_deref());
            self.cands = cands;
            self.key = stable.then(|| {
                (
                    chan.context.clone(),
                    chan.exten.clone(),
                    chan.caller.num.clone(),
                )
            });
        }
        dp.step_in(&self.cands, Want::Priority(chan.priority))
    }
}

/// Run one priority: find it, substitute its data, trace it, run the application.
async fn spawn(chan: &mut Channel, pbx: &Arc<Pbx>, dp: &Compiled) -> Spawn {
    let mut lookup = Lookup::default();
    spawn_with(chan, pbx, dp, &mut lookup).await
}

async fn spawn_with(
    chan: &mut Channel,
    pbx: &Arc<Pbx>,
    dp: &Compiled,
    lookup: &mut Lookup,
) -> Spawn {
    let Some(found) = lookup.find(dp, chan) else {
        return Spawn::NotFound;
    };
    let step = found.step;
    let Some(app) = step.app_ref else {
        // What Asterisk does for an application it does not have: warn and hang up. Say
        // too when it is an Asterisk application that a later zvezda build brings.
        let why = match crate::lint::catalog::app_support(&step.app) {
            crate::lint::catalog::Support::Planned(issue) => {
                format!(" (not in this zvezda build yet: {issue})")
            }
            _ if crate::lint::catalog::app_name(&step.app).is_some() => {
                " (an Asterisk application zvezda does not provide)".to_string()
            }
            _ => String::new(),
        };
        logger::warning(
            "pbx.c",
            &format!(
                "No application '{}' for extension ({}, {}, {}){}",
                step.app, chan.context, chan.exten, chan.priority, why
            ),
        );
        return Spawn::Ran(AppResult::Hangup);
    };
    let data = if step.needs_subst {
        subst::substitute(chan, pbx, &step.data)
    } else {
        step.data.clone()
    };
    run_app(chan, pbx, app, data).await
}

/// Trace and execute an application on the channel (`pbx_exec`).
async fn run_app(
    chan: &mut Channel,
    pbx: &Arc<Pbx>,
    app: &'static apps::App,
    data: String,
) -> Spawn {
    if let Ok(mut s) = chan.handle.snapshot.lock() {
        s.context.clone_from(&chan.context);
        s.exten.clone_from(&chan.exten);
        s.priority = chan.priority;
        s.app.clear();
        s.app.push_str(app.name);
        s.data.clone_from(&data);
    }
    if verbosity_atleast(3) {
        crate::verb!(
            3,
            "Executing [{}@{}:{}] {}(\"{}\", \"{}\") in new stack",
            chan.exten,
            chan.context,
            chan.priority,
            app.name,
            chan.name,
            data
        );
    }
    chan.app = app.name;
    let r = match &app.exec {
        Exec::Sync(f) => f(chan, pbx, &data),
        Exec::Async(f) => f(chan, pbx, data).await,
    };
    Spawn::Ran(r)
}

/// Execute an application by name with already-substituted data (ExecIf, Macro...).
/// Unknown names warn and hang up, as `pbx_exec` callers do.
pub async fn exec_app(chan: &mut Channel, pbx: &Arc<Pbx>, name: &str, data: String) -> AppResult {
    match apps::find(name) {
        Some(app) => match &app.exec {
            Exec::Sync(f) => f(chan, pbx, &data),
            Exec::Async(f) => f(chan, pbx, data).await,
        },
        None => {
            logger::warning("pbx.c", &format!("Could not find application ({name})"));
            AppResult::Hangup
        }
    }
}

/// `__ast_pbx_run`, then the `h` extension, as for a channel the PBX owns.
pub async fn run(chan: &mut Channel, pbx: &Arc<Pbx>) {
    let dp = pbx.dialplan();
    pbx.processed
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    pbx.calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    run_loop(chan, pbx, &dp).await;
    // The channel is hanging up: run `h` in the context it ended in.
    let callerid = cid(chan);
    if dp.exists(&chan.context, "h", 1, callerid.as_deref()) {
        run_h(chan, pbx, &dp).await;
    }
    // ast_hangup releases the channel's generator: music still playing says it stopped.
    if chan.moh_active {
        crate::moh::stop(chan);
    }
    chan.generator = None;
    pbx.calls.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
}

/// The main loop, without the `h` extension. Returns when the call is done.
pub async fn run_loop(chan: &mut Channel, pbx: &Arc<Pbx>, dp: &Compiled) {
    if chan.exten.is_empty() {
        crate::verb!(
            2,
            "Starting {} at {},{},{} failed so falling back to exten 's'",
            chan.name,
            chan.context,
            chan.exten,
            chan.priority
        );
        chan.exten = "s".into();
        chan.priority = 1;
    }
    let mut lookup = Lookup::default();
    loop {
        // Priorities of this extension, one after another.
        let res = loop {
            match spawn_with(chan, pbx, dp, &mut lookup).await {
                Spawn::Ran(AppResult::Continue) => {
                    if chan.check_hangup() {
                        return;
                    }
                    chan.priority += 1;
                }
                Spawn::Ran(r) => break Some(r),
                Spawn::NotFound => break None,
            }
        };
        match res {
            Some(AppResult::Digit(d)) => {
                if !collect_digits(chan, dp, d).await {
                    return;
                }
                continue;
            }
            Some(_) => {
                spawn_exited(chan);
                return;
            }
            None => {}
        }
        if chan.check_hangup() {
            return;
        }
        let callerid = cid(chan);
        let cid = callerid.as_deref();
        if !dp.exists(&chan.context, &chan.exten, 1, cid) {
            // Not a valid extension any more: `i`, then `e`, or give up.
            if dp.exists(&chan.context, "i", 1, cid) {
                crate::verb!(
                    3,
                    "Channel '{}' sent to invalid extension: context,exten,priority={},{},{}",
                    chan.name,
                    chan.context,
                    chan.exten,
                    chan.priority
                );
                let ext = chan.exten.clone();
                chan.vars.set("INVALID_EXTEN", Some(&ext));
                chan.exten = "i".into();
                chan.priority = 1;
            } else if dp.exists(&chan.context, "e", 1, cid) {
                raise_exception(chan, "INVALID");
            } else {
                logger::warning(
                    "pbx.c",
                    &format!(
                        "Channel '{}' sent to invalid extension but no invalid handler: context,exten,priority={},{},{}",
                        chan.name, chan.context, chan.exten, chan.priority
                    ),
                );
                return;
            }
            continue;
        }
        // The extension exists but the priority does not: the end of the extension.
        if dp.autofallthrough {
            let status = chan
                .vars
                .get("DIALSTATUS")
                .map(str::to_string)
                .unwrap_or_else(|| "UNKNOWN".into());
            crate::verb!(
                3,
                "Auto fallthrough, channel '{}' status is '{}'",
                chan.name,
                status
            );
            match status.to_ascii_uppercase().as_str() {
                "CONGESTION" | "CHANUNAVAIL" => {
                    apps::congestion::indicate(chan, "10").await;
                }
                "BUSY" => {
                    apps::busy::indicate(chan, "10").await;
                }
                _ => {}
            }
            return;
        }
        // autofallthrough=no: wait for digits (response timeout), then `t`.
        let wait = crate::funcs::timeout::response_ms(chan);
        match crate::channel::playback::wait_digit(chan, wait, "").await {
            Err(()) => return,
            Ok(Some(d)) => {
                if !collect_digits(chan, dp, d).await {
                    return;
                }
                continue;
            }
            Ok(None) => {}
        }
        if dp.exists(&chan.context, "t", 1, cid) {
            crate::verb!(3, "Timeout on {}", chan.name);
            chan.exten = "t".into();
            chan.priority = 1;
        } else if dp.exists(&chan.context, "e", 1, cid) {
            raise_exception(chan, "RESPONSETIMEOUT");
        } else {
            logger::warning(
                "pbx.c",
                &format!(
                    "Timeout, but no rule 't' or 'e' in context '{}'",
                    chan.context
                ),
            );
            return;
        }
    }
}

/// A digit ended the extension: read more while more digits could match (each within
/// `TIMEOUT(digit)`), then go to the number dialled, or `i` / `e` (pbx.c's collect_digits
/// and what follows it). False when the call should end.
async fn collect_digits(chan: &mut Channel, dp: &Compiled, first: char) -> bool {
    let mut dst = first.to_string();
    let callerid = cid(chan);
    while dp.match_more(&chan.context, &dst, callerid.as_deref()) {
        let wait = crate::funcs::timeout::digit_ms(chan);
        match crate::channel::playback::wait_digit(chan, wait, "").await {
            Ok(Some(d)) => dst.push(d),
            Ok(None) => break,
            Err(()) => return false,
        }
    }
    let cid = callerid.as_deref();
    if dp.exists(&chan.context, &dst, 1, cid) {
        chan.exten = dst;
        chan.priority = 1;
    } else if dp.exists(&chan.context, "i", 1, cid) {
        crate::verb!(
            3,
            "Invalid extension '{}' in context '{}' on {}",
            dst,
            chan.context,
            chan.name
        );
        chan.vars.set("INVALID_EXTEN", Some(&dst));
        chan.exten = "i".into();
        chan.priority = 1;
    } else if dp.exists(&chan.context, "e", 1, cid) {
        raise_exception(chan, "INVALID");
    } else {
        logger::warning(
            "pbx.c",
            &format!(
                "Invalid extension '{}', but no rule 'i' or 'e' in context '{}'",
                dst, chan.context
            ),
        );
        return false;
    }
    true
}

/// The line Asterisk prints when an application ends the extension (hangup, error).
fn spawn_exited(chan: &Channel) {
    crate::verb!(
        2,
        "Spawn extension ({}, {}, {}) exited non-zero on '{}'",
        chan.context,
        chan.exten,
        chan.priority,
        chan.name
    );
}

/// `raise_exception`: set EXCEPTION and go to `e`.
pub fn raise_exception(chan: &mut Channel, reason: &str) {
    chan.vars.set("EXCEPTION", Some(reason));
    chan.exten = "e".into();
    chan.priority = 1;
}

/// `ast_pbx_h_exten_run`: the `h` extension, priority after priority, until it ends.
async fn run_h(chan: &mut Channel, pbx: &Arc<Pbx>, dp: &Compiled) {
    chan.exten = "h".into();
    chan.priority = 1;
    loop {
        match spawn(chan, pbx, dp).await {
            Spawn::Ran(AppResult::Continue) => chan.priority += 1,
            Spawn::Ran(_) => {
                spawn_exited(chan);
                return;
            }
            Spawn::NotFound => return,
        }
    }
}
