//! Echo: send back to the caller everything it sends, until `#` (apps/app_echo.c). Other
//! digits are echoed as RFC 4733 events.

use super::{App, AppFuture, AppResult, Exec};
use crate::channel::media::Input;
use crate::channel::Channel;
use crate::pbx::Pbx;
use std::sync::Arc;

pub static APP: App = App {
    name: "Echo",
    synopsis: "Echo media, DTMF back to the calling party",
    provided_by: "app_echo",
    syntax: "Echo()",
    description: "Echos back any media or DTMF frames read from the calling channel back to itself. This will not echo CONTROL, MODEM, or NULL frames. Note: If '#' detected application exits.",
    exec: Exec::Async(exec),
};

fn exec<'a>(chan: &'a mut Channel, _pbx: &'a Arc<Pbx>, _data: String) -> AppFuture<'a> {
    Box::pin(async move {
        let handle = chan.handle.clone();
        let Some(media) = chan.media.as_deref_mut() else {
            handle.hungup().await;
            return AppResult::Hangup;
        };
        loop {
            tokio::select! {
                i = media.read() => match i {
                    Input::Voice => {
                        let frame = std::mem::take(&mut media.frame);
                        media.write(&frame);
                        media.frame = frame;
                    }
                    Input::Dtmf('#') => return AppResult::Continue,
                    // Back the way the channel sends digits (its dtmfmode).
                    Input::Dtmf(d) => media.queue_digit(d, 100),
                    Input::Hold(_) | Input::RtpTimeout => {}
                },
                _ = handle.hungup() => return AppResult::Hangup,
            }
        }
    })
}
