//! GROUP_LIST: every group the channel is in, `group@category` separated by spaces
//! (funcs/func_groupcount.c).

use super::Function;
use crate::channel::Channel;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "GROUP_LIST",
    synopsis: "Gets a list of the groups set on a channel.",
    syntax: "GROUP_LIST()",
    provided_by: "func_groupcount",
    description: "Gets a list of the groups set on a channel.",
    read: Some(read),
    write: None,
};

fn read(chan: &mut Channel, pbx: &Pbx, _args: &str) -> Option<String> {
    let groups = pbx.groups.lock().unwrap();
    let list: Vec<String> = groups
        .iter()
        .filter(|g| g.channel == chan.name)
        .map(|g| {
            if g.category.is_empty() {
                g.group.clone()
            } else {
                format!("{}@{}", g.group, g.category)
            }
        })
        .collect();
    Some(list.join(" "))
}
