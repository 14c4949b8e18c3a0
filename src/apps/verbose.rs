//! Verbose: print a message on the consoles at a verbosity level (apps/app_verbose.c).
//! `Verbose([level,]message)`.

use super::{App, AppResult, Exec};
use crate::channel::Channel;
use crate::pbx::Pbx;
use std::sync::Arc;

pub static APP: App = App {
    name: "Verbose",
    synopsis: "Send arbitrary text to verbose output.",
    provided_by: "app_verbose",
    syntax: "Verbose([level,]message)",
    description: "Sends an arbitrary text message to verbose output.",
    exec: Exec::Sync(exec),
};

fn exec(_chan: &mut Channel, _pbx: &Arc<Pbx>, data: &str) -> AppResult {
    if data.is_empty() {
        return AppResult::Continue;
    }
    let parts = super::separate_args(data, ',', true, 2);
    let (level, msg) = match parts.as_slice() {
        [m] => ("0", m.as_str()),
        [l, m] => (l.as_str(), m.as_str()),
        _ => ("0", ""),
    };
    let n = match level.trim().parse::<i32>() {
        Ok(n) if n >= 0 => n.min(4),
        _ => {
            crate::logger::warning(
                "app_verbose.c",
                &format!("'{level}' is not a verboser number"),
            );
            0
        }
    };
    crate::logger::verb(n, msg);
    AppResult::Continue
}
