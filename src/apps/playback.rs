//! Playback: play one or more files (`a&b`), not interruptible (apps/app_playback.c).
//! Answers the channel first unless `noanswer`; with `skip`, does nothing when the channel
//! is not up. PLAYBACKSTATUS is SUCCESS, or FAILED when a file could not be played.

use super::{App, AppFuture, AppResult, Exec};
use crate::channel::playback::{play_file, Played};
use crate::channel::{Channel, ChannelState};
use crate::pbx::Pbx;
use std::sync::Arc;

pub static APP: App = App {
    name: "Playback",
    synopsis: "Play a file.",
    provided_by: "app_playback",
    syntax: "Playback(filename[&filename2[&...]],[options])",
    description: "Plays back given filenames (do not put extension of wav/alaw etc). The playback command answer the channel if no options are specified. If the file is non-existant it will fail.",
    exec: Exec::Async(exec),
};

fn exec<'a>(chan: &'a mut Channel, pbx: &'a Arc<Pbx>, data: String) -> AppFuture<'a> {
    Box::pin(async move {
        let args = super::standard_args(&data);
        let Some(files) = args.first().filter(|f| !f.is_empty()).cloned() else {
            crate::logger::warning("app_playback.c", "Playback requires an argument (filename)");
            return AppResult::Hangup;
        };
        let opts = args
            .get(1)
            .map(|o| o.to_ascii_lowercase())
            .unwrap_or_default();
        let mut failed = false;
        if chan.state != ChannelState::Up {
            if opts.contains("skip") {
                chan.vars.set("PLAYBACKSTATUS", Some("SUCCESS"));
                return AppResult::Continue;
            }
            if !opts.contains("noanswer") {
                chan.answer();
            }
        }
        for f in files.split('&').map(str::trim).filter(|f| !f.is_empty()) {
            match play_file(chan, pbx, f, "").await {
                Played::Hangup => {
                    chan.vars.set("PLAYBACKSTATUS", Some("SUCCESS"));
                    return AppResult::Hangup;
                }
                Played::NotFound => {
                    if !chan.check_hangup() {
                        crate::logger::warning(
                            "app_playback.c",
                            &format!("Playback failed on {} for {}", chan.name, data),
                        );
                    }
                    failed = true;
                }
                _ => {}
            }
        }
        chan.vars.set(
            "PLAYBACKSTATUS",
            Some(if failed { "FAILED" } else { "SUCCESS" }),
        );
        AppResult::Continue
    })
}
