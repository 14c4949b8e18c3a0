//! GROUP_COUNT: how many channels are in a group (default: this channel's group)
//! (funcs/func_groupcount.c).

use super::group::split_group;
use super::Function;
use crate::channel::Channel;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "GROUP_COUNT",
    synopsis: "Counts the number of channels in the specified group.",
    syntax: "GROUP_COUNT([groupname][@category])",
    provided_by: "func_groupcount",
    description: "Calculates the group count for the specified group, or uses the channel's current group if not specified (and non-empty).",
    read: Some(read),
    write: None,
};

fn read(chan: &mut Channel, pbx: &Pbx, args: &str) -> Option<String> {
    let (mut group, mut category) = split_group(args);
    let groups = pbx.groups.lock().unwrap();
    if group.is_empty() {
        if let Some(g) = groups.iter().find(|g| {
            g.channel == chan.name
                && (category.is_empty()
                    || (!g.category.is_empty() && g.category.eq_ignore_ascii_case(&category)))
        }) {
            group = g.group.clone();
            if !g.category.is_empty() {
                category = g.category.clone();
            }
        }
    }
    if group.is_empty() {
        return Some("0".into());
    }
    let n = groups
        .iter()
        .filter(|g| {
            g.group.eq_ignore_ascii_case(&group)
                && (category.is_empty()
                    || (!g.category.is_empty() && g.category.eq_ignore_ascii_case(&category)))
        })
        .count();
    Some(n.to_string())
}

#[cfg(test)]
mod tests {
    use crate::funcs::group::set_channel;
    use crate::funcs::util::{sub, test_env};

    #[test]
    fn counts() {
        let (mut c, p) = test_env();
        assert_eq!(sub(&mut c, &p, "${GROUP_COUNT()}"), "0");
        set_channel(&p, "SIP/a-1", "trunk1@out");
        set_channel(&p, "SIP/b-2", "TRUNK1@out");
        set_channel(&p, "SIP/c-3", "trunk1");
        assert_eq!(sub(&mut c, &p, "${GROUP_COUNT(trunk1)}"), "3");
        assert_eq!(sub(&mut c, &p, "${GROUP_COUNT(trunk1@out)}"), "2");
        set_channel(&p, &c.name.clone(), "trunk1@out");
        assert_eq!(sub(&mut c, &p, "${GROUP_COUNT()}"), "3");
        assert_eq!(sub(&mut c, &p, "${GROUP_COUNT(@out)}"), "3");
    }
}
