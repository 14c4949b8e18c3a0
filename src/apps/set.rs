//! Set: set a channel variable, a global (`GLOBAL(x)`) or a function's value
//! (main/pbx_variables.c). `Set(name=value)`; the value may hold commas.

use super::{App, AppResult, Exec};
use crate::channel::Channel;
use crate::pbx::Pbx;
use std::sync::Arc;

pub static APP: App = App {
    name: "Set",
    synopsis: "Set channel variable or function value.",
    provided_by: "pbx_variables",
    syntax: "Set(name=value)",
    description: "This function can be used to set the value of channel variables or dialplan functions. When setting variables, if the variable name is prefixed with _, the variable will be inherited into channels created from the current channel. If the variable name is prefixed with __, the variable will be inherited into channels created from the current channel and all children channels.",
    exec: Exec::Sync(exec),
};

/// `pbx_builtin_setvar_helper` on a channel: `NAME(...)` writes a function.
pub fn setvar(chan: &mut Channel, pbx: &Pbx, name: &str, value: &str) {
    if name.ends_with(')') {
        crate::funcs::write(chan, pbx, name, value);
    } else {
        chan.vars.set(name, Some(value));
    }
}

fn exec(chan: &mut Channel, pbx: &Arc<Pbx>, data: &str) -> AppResult {
    if data.is_empty() {
        crate::logger::warning(
            "pbx_variables.c",
            "Set requires one variable name/value pair.",
        );
        return AppResult::Continue;
    }
    let Some((name, value)) = data.split_once('=') else {
        crate::logger::warning(
            "pbx_variables.c",
            "Set requires an '=' to be a valid assignment.",
        );
        return AppResult::Continue;
    };
    if name.contains(' ') {
        crate::logger::warning(
            "pbx_variables.c",
            &format!("Please avoid unnecessary spaces on variables as it may lead to unexpected results ('{name}' set to '{value}')."),
        );
    }
    setvar(chan, pbx, name, value);
    AppResult::Continue
}
