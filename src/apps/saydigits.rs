//! SayDigits: say a string digit by digit in the channel's language (main/pbx_builtins.c,
//! main/say.c). Interruptible only when SAY_DTMF_INTERRUPT is true; an interrupting digit
//! goes to the PBX loop as an extension's first digit.

use super::{App, AppFuture, AppResult, Exec};
use crate::channel::Channel;
use crate::pbx::Pbx;
use std::sync::Arc;

pub static APP: App = App {
    name: "SayDigits",
    synopsis: "Say Digits.",
    provided_by: "pbx_builtins",
    syntax: "SayDigits(digits)",
    description:
        "This application will play the sounds that correspond to each digit of the string.",
    exec: Exec::Async(exec),
};

fn exec<'a>(chan: &'a mut Channel, pbx: &'a Arc<Pbx>, data: String) -> AppFuture<'a> {
    Box::pin(async move {
        let files = crate::media::say::say_digits(&data);
        say_files(chan, pbx, &files).await
    })
}

/// `permit_dtmf_interrupt`: SAY_DTMF_INTERRUPT set to a true value.
pub fn interruptible(chan: &Channel) -> bool {
    chan.vars
        .get("SAY_DTMF_INTERRUPT")
        .is_some_and(crate::config::ast_true)
}

/// Play the files of a Say* application, one after another.
pub async fn say_files(chan: &mut Channel, pbx: &Pbx, files: &[String]) -> AppResult {
    use crate::channel::playback::{play_file, Played, ALL_DIGITS};
    let stop = if interruptible(chan) { ALL_DIGITS } else { "" };
    for f in files {
        match play_file(chan, pbx, f, stop).await {
            Played::Digit(d) => return AppResult::Digit(d),
            Played::Hangup => return AppResult::Hangup,
            _ => {}
        }
    }
    AppResult::Continue
}
