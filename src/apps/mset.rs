//! MSet: set several variables at once (main/pbx_variables.c). `MSet(a=1,b=2)`; quotes
//! around values are removed, as in Asterisk.

use super::{App, AppResult, Exec};
use crate::channel::Channel;
use crate::pbx::Pbx;
use std::sync::Arc;

pub static APP: App = App {
    name: "MSet",
    synopsis: "Set channel variable(s) or function value(s).",
    provided_by: "pbx_variables",
    syntax: "MSet(name1=value1,[name2=value2,[...]])",
    description: "This function can be used to set the value of channel variables or dialplan functions. When setting variables, if the variable name is prefixed with _, the variable will be inherited into channels created from the current channel. If the variable name is prefixed with __, the variable will be inherited into channels created from the current channel and all children channels. MSet behaves in a similar fashion to the way Set worked in 1.2/1.4 and is thus prone to doing things that you may not expect.",
    exec: Exec::Sync(exec),
};

fn exec(chan: &mut Channel, pbx: &Arc<Pbx>, data: &str) -> AppResult {
    if data.is_empty() {
        crate::logger::warning(
            "pbx_variables.c",
            "MSet requires at least one variable name/value pair.",
        );
        return AppResult::Continue;
    }
    for pair in super::standard_args(data).into_iter().take(99) {
        let kv = super::nonstandard_args(&pair, '=', 2);
        if kv.len() == 2 {
            super::set::setvar(chan, pbx, &kv[0], &kv[1]);
            if kv[0].contains(' ') {
                crate::logger::warning("pbx_variables.c", &format!("Please avoid unnecessary spaces on variables as it may lead to unexpected results ('{}' set to '{}').", kv[0], kv[1]));
            }
        } else {
            crate::logger::warning(
                "pbx_variables.c",
                &format!(
                    "MSet: ignoring entry '{}' with no '=' (in {}@{}:{}",
                    pair, chan.exten, chan.context, chan.priority
                ),
            );
        }
    }
    AppResult::Continue
}
