//! Log: send a message to the log at a level (apps/app_verbose.c). `Log(level,message)`.

use super::{App, AppResult, Exec};
use crate::channel::Channel;
use crate::logger::Level;
use crate::pbx::Pbx;
use std::sync::Arc;

pub static APP: App = App {
    name: "Log",
    synopsis: "Send arbitrary text to a selected log level.",
    provided_by: "app_verbose",
    syntax: "Log(level,message)",
    description: "Sends an arbitrary text message to a selected log level (ERROR, WARNING, NOTICE, DEBUG, VERBOSE, DTMF).",
    exec: Exec::Sync(exec),
};

fn exec(chan: &mut Channel, _pbx: &Arc<Pbx>, data: &str) -> AppResult {
    if data.is_empty() {
        return AppResult::Continue;
    }
    let parts = super::separate_args(data, ',', true, 2);
    let (level, msg) = match parts.as_slice() {
        [l, m] => (l.trim().to_ascii_uppercase(), m.as_str()),
        _ => {
            crate::logger::error("app_verbose.c", "Log requires a level and a message");
            return AppResult::Continue;
        }
    };
    // Asterisk logs it as if from file "Ext. <exten>", line <priority>, function
    // "@ <context>": `NOTICE[pid]: Ext. 100:9 @ apps: text`.
    let origin = format!("Ext. {}:{} @ {}", chan.exten, chan.priority, chan.context);
    match level.as_str() {
        "ERROR" => crate::logger::log(Level::Error, &origin, msg),
        "WARNING" => crate::logger::log(Level::Warning, &origin, msg),
        "NOTICE" => crate::logger::log(Level::Notice, &origin, msg),
        "VERBOSE" => crate::logger::verb(1, msg),
        "DEBUG" | "DTMF" | "SECURITY" => {}
        _ => crate::logger::error("app_verbose.c", &format!("Unknown log level: '{level}'")),
    }
    AppResult::Continue
}
