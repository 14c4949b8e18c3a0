//! LOCAL: a variable local to the running Gosub; its old value comes back on Return
//! (apps/app_stack.c).

use super::Function;
use crate::channel::Channel;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "LOCAL",
    synopsis: "Manage variables local to the gosub stack frame.",
    syntax: "LOCAL(varname)",
    provided_by: "app_stack",
    description: "Read and write a variable local to the gosub stack frame, once we Return() it will be lost (or it will go back to whatever value it had before the Gosub()).",
    read: Some(read),
    write: Some(write),
};

fn read(chan: &mut Channel, _pbx: &Pbx, args: &str) -> Option<String> {
    Some(chan.vars.get(args).unwrap_or("").to_string())
}

fn write(chan: &mut Channel, _pbx: &Pbx, args: &str, value: &str) {
    if chan.stack.is_empty() {
        crate::logger::error(
            "app_stack.c",
            "Tried to set LOCAL(), but we aren't within a Gosub routine",
        );
        return;
    }
    crate::apps::gosub::frame_set_var(chan, args, value);
}
