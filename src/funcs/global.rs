//! GLOBAL: read or set a global variable (funcs/func_global.c).

use super::Function;
use crate::channel::Channel;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "GLOBAL",
    synopsis: "Gets or sets the global variable specified.",
    syntax: "GLOBAL(varname)",
    provided_by: "func_global",
    description: "Set or get the value of a global variable specified in varname.",
    read: Some(read),
    write: Some(write),
};

fn read(_chan: &mut Channel, pbx: &Pbx, args: &str) -> Option<String> {
    Some(pbx.global(args).unwrap_or_default())
}

fn write(_chan: &mut Channel, pbx: &Pbx, args: &str, value: &str) {
    pbx.set_global(args, Some(value));
}
