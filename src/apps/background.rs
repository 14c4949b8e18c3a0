//! BackGround: play files while waiting for the caller to dial an extension
//! (main/pbx_builtins.c). Any digit stops the playback; a one-digit extension that nothing
//! longer could match is gone to at once, otherwise the digit goes back to the PBX loop,
//! which collects the rest of the number. Options: `skip`/`s` (not answered: do nothing),
//! `noanswer`/`n`, `p` (plain playback, digits ignored); a language for these files; a
//! context to look the digit up in (default MACRO_CONTEXT, else the channel's).
//! BACKGROUNDSTATUS is SUCCESS or FAILED.

use super::{App, AppFuture, AppResult, Exec};
use crate::channel::playback::{play_file, Played, ALL_DIGITS};
use crate::channel::{Channel, ChannelState};
use crate::pbx::Pbx;
use std::sync::Arc;

pub static APP: App = App {
    name: "BackGround",
    synopsis: "Play an audio file while waiting for digits of an extension to go to.",
    provided_by: "pbx_builtins",
    syntax: "BackGround(filename1[&filename2[&...]],[options,[langoverride,[context]]])",
    description: "This application will play the given list of files (do not put extension) while waiting for an extension to be dialed by the calling channel.",
    exec: Exec::Async(exec),
};

fn exec<'a>(chan: &'a mut Channel, pbx: &'a Arc<Pbx>, data: String) -> AppFuture<'a> {
    Box::pin(async move {
        let args = super::standard_args(&data);
        let Some(files) = args.first().filter(|f| !f.trim().is_empty()).cloned() else {
            crate::logger::warning(
                "pbx_builtins.c",
                "Background requires an argument (filename)",
            );
            return AppResult::Hangup;
        };
        let opts = args.get(1).cloned().unwrap_or_default();
        let (skip, noanswer, playback_only) = match opts.to_ascii_lowercase().as_str() {
            "skip" => (true, false, false),
            "noanswer" => (false, true, false),
            o => (o.contains('s'), o.contains('n'), o.contains('p')),
        };
        let context = args
            .get(3)
            .filter(|c| !c.is_empty())
            .cloned()
            .or_else(|| chan.vars.get("MACRO_CONTEXT").map(str::to_string))
            .unwrap_or_else(|| chan.context.clone());
        let mut failed = false;
        let mut digit = None;
        if chan.state != ChannelState::Up {
            if skip {
                chan.vars.set("BACKGROUNDSTATUS", Some("SUCCESS"));
                return AppResult::Continue;
            }
            if !noanswer {
                chan.answer();
            }
        }
        // A language given here is for these files only.
        let saved = args
            .get(2)
            .filter(|l| !l.is_empty())
            .map(|l| std::mem::replace(&mut chan.language, l.clone()));
        let stop = if playback_only { "" } else { ALL_DIGITS };
        for f in files.split('&').map(str::trim).filter(|f| !f.is_empty()) {
            match play_file(chan, pbx, f, stop).await {
                Played::Digit(d) => {
                    digit = Some(d);
                    break;
                }
                Played::Hangup => break,
                Played::NotFound => {
                    crate::logger::warning(
                        "pbx_builtins.c",
                        &format!("ast_streamfile failed on {} for {}", chan.name, data),
                    );
                    failed = true;
                    break;
                }
                Played::Done => {}
            }
        }
        if let Some(l) = saved {
            chan.language = l;
        }
        chan.vars.set(
            "BACKGROUNDSTATUS",
            Some(if failed { "FAILED" } else { "SUCCESS" }),
        );
        if chan.check_hangup() {
            return AppResult::Hangup;
        }
        let Some(d) = digit else {
            return AppResult::Continue;
        };
        // A one-digit extension that nothing longer could match: go there at once.
        let dp = pbx.dialplan();
        let cid = chan.caller.num.clone();
        let one = d.to_string();
        if dp.can_match(&context, &one, cid.as_deref())
            && !dp.match_more(&context, &one, cid.as_deref())
        {
            chan.exten = one;
            chan.context = context;
            chan.priority = 0;
            return AppResult::Continue;
        }
        AppResult::Digit(d)
    })
}
