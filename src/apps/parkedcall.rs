//! ParkedCall: answer and take a parked call (res_parking's parking_applications.c).
//! `ParkedCall([parking_lot_name[,parking_space]])`: the call on that space (the lot's
//! first parked call without one) leaves the holding bridge and is bridged with this
//! channel, after the lot's `courtesytone` to whom `parkedplay` says. No such call (or lot):
//! `pbx-invalidpark` and hang up.

use super::{App, AppFuture, AppResult, Exec};
use crate::channel::Channel;
use crate::pbx::Pbx;
use std::sync::Arc;

pub static APP: App = App {
    name: "ParkedCall",
    synopsis: "Retrieve a parked call.",
    provided_by: "res_parking",
    syntax: "ParkedCall([parking_lot_name,[parking_space]])",
    description: "Used to retrieve a parked call from a parking lot.",
    exec: Exec::Async(exec),
};

fn exec<'a>(chan: &'a mut Channel, pbx: &'a Arc<Pbx>, data: String) -> AppFuture<'a> {
    Box::pin(async move {
        if chan.check_hangup() {
            return AppResult::Hangup;
        }
        chan.answer();
        let args = super::standard_args(&data);
        let name = args
            .first()
            .filter(|l| !l.is_empty())
            .cloned()
            .or_else(|| chan.vars.get("PARKINGLOT").map(str::to_string))
            .unwrap_or_else(|| "default".into());
        let invalid = |chan: &'a mut Channel| async move {
            crate::channel::playback::play_file(chan, pbx, "pbx-invalidpark", "").await;
            AppResult::Hangup
        };
        let Some(lot) = crate::channel::parking::lot(pbx, &name) else {
            crate::logger::error(
                "parking_applications.c",
                "Could not find the requested parking lot",
            );
            return invalid(chan).await;
        };
        let space = match args.get(1).map(|s| s.trim()).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => match s.parse::<u32>() {
                Ok(n) => Some(n),
                Err(_) => {
                    crate::logger::error(
                        "parking_applications.c",
                        &format!("value '{s}' for parking_space argument is invalid. Must be an integer greater than 0."),
                    );
                    return invalid(chan).await;
                }
            },
        };
        match crate::channel::parking::retrieve(chan, pbx, &lot, space).await {
            Some(r) => r,
            None => invalid(chan).await,
        }
    })
}
