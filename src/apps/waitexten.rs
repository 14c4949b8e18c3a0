//! WaitExten: wait for the caller to dial an extension (main/pbx_builtins.c). On timeout
//! it continues with the next priority when there is one, else goes to `t` (then `e`).
//! A digit ends the wait: the PBX loop collects the rest of the number.

use super::{App, AppFuture, AppResult, Exec};
use crate::channel::{pbx::raise_exception, Channel};
use crate::pbx::Pbx;
use std::sync::Arc;

pub static APP: App = App {
    name: "WaitExten",
    synopsis: "Waits for an extension to be entered.",
    provided_by: "pbx_builtins",
    syntax: "WaitExten([seconds,[options]])",
    description: "This application waits for the user to enter a new extension for a specified number of seconds.",
    exec: Exec::Async(exec),
};

fn exec<'a>(chan: &'a mut Channel, p: &'a Arc<Pbx>, data: String) -> AppFuture<'a> {
    Box::pin(async move {
        let args = super::standard_args(&data);
        let ms = args
            .first()
            .and_then(|t| super::parse_seconds_ms(t))
            .filter(|&ms| ms > 0)
            .unwrap_or_else(|| crate::funcs::timeout::response_ms(chan));
        match crate::channel::playback::wait_digit(chan, ms, "").await {
            Err(()) => return AppResult::Hangup,
            // The PBX loop collects the rest of the number.
            Ok(Some(d)) => return AppResult::Digit(d),
            Ok(None) => {}
        }
        let dp = p.dialplan();
        let cid = chan.caller.num.clone();
        let cid = cid.as_deref();
        if dp.exists(&chan.context, &chan.exten, chan.priority + 1, cid) {
            crate::verb!(3, "Timeout on {}, continuing...", chan.name);
        } else if dp.exists(&chan.context, "t", 1, cid) {
            crate::verb!(3, "Timeout on {}, going to 't'", chan.name);
            chan.exten = "t".into();
            chan.priority = 0;
        } else if dp.exists(&chan.context, "e", 1, cid) {
            raise_exception(chan, "RESPONSETIMEOUT");
            chan.priority = 0;
        } else {
            crate::logger::warning(
                "pbx_builtins.c",
                &format!(
                    "Timeout but no rule 't' or 'e' in context '{}'",
                    chan.context
                ),
            );
            return AppResult::Hangup;
        }
        AppResult::Continue
    })
}
