//! Hangup: hang up the channel, with an optional cause (main/pbx_builtins.c).

use super::{App, AppResult, Exec};
use crate::channel::Channel;
use crate::pbx::Pbx;
use std::sync::Arc;

pub static APP: App = App {
    name: "Hangup",
    synopsis: "Hang up the calling channel.",
    provided_by: "pbx_builtins",
    syntax: "Hangup([causecode])",
    description: "This application will hang up the calling channel.",
    exec: Exec::Sync(exec),
};

/// Cause names `ast_str2cause` knows (the common ones).
const CAUSES: &[(&str, i32)] = &[
    ("UNALLOCATED", 1),
    ("NO_ROUTE_DESTINATION", 3),
    ("NORMAL_CLEARING", 16),
    ("USER_BUSY", 17),
    ("NO_USER_RESPONSE", 18),
    ("NO_ANSWER", 19),
    ("SUBSCRIBER_ABSENT", 20),
    ("CALL_REJECTED", 21),
    ("NUMBER_CHANGED", 22),
    ("DESTINATION_OUT_OF_ORDER", 27),
    ("INVALID_NUMBER_FORMAT", 28),
    ("NORMAL_UNSPECIFIED", 31),
    ("NORMAL_CIRCUIT_CONGESTION", 34),
    ("CONGESTION", 34),
    ("NETWORK_OUT_OF_ORDER", 38),
    ("SWITCH_CONGESTION", 42),
    ("REQUESTED_CHAN_UNAVAIL", 44),
    ("BEARERCAPABILITY_NOTAUTH", 57),
    ("INTERWORKING", 127),
];

fn exec(chan: &mut Channel, _pbx: &Arc<Pbx>, data: &str) -> AppResult {
    let mut cause = 0;
    if !data.is_empty() {
        cause = CAUSES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(data.trim()))
            .map(|(_, c)| *c)
            .unwrap_or_else(|| data.trim().parse().unwrap_or(0));
        if cause <= 0 {
            crate::logger::warning(
                "pbx_builtins.c",
                &format!("Invalid cause given to Hangup(): \"{data}\""),
            );
            cause = 0;
        }
    }
    if cause <= 0 {
        cause = if chan.hangupcause > 0 {
            chan.hangupcause
        } else {
            16
        };
    }
    chan.hangupcause = cause;
    chan.handle.softhangup();
    AppResult::Hangup
}
