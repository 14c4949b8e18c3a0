//! GROUP: the channel's group in a category, read or set (funcs/func_groupcount.c). A
//! channel is in at most one group per category; setting replaces it, setting nothing
//! leaves the category.

use super::Function;
use crate::channel::Channel;
use crate::pbx::{GroupEntry, Pbx};

pub static FUNC: Function = Function {
    name: "GROUP",
    synopsis: "Gets or sets the channel group.",
    syntax: "GROUP([category])",
    provided_by: "func_groupcount",
    description: "category can be employed for more fine grained group management. Each channel can only be member of exactly one group per category.",
    read: Some(read),
    write: Some(write),
};

/// `ast_app_group_split_group`: `group@category`.
pub fn split_group(data: &str) -> (String, String) {
    match data.split_once('@') {
        Some((g, c)) => (g.to_string(), c.to_string()),
        None => (data.to_string(), String::new()),
    }
}

/// `ast_app_group_set_channel`: replace the channel's membership in the category.
pub fn set_channel(pbx: &Pbx, channel: &str, data: &str) {
    let (group, category) = split_group(data);
    let mut groups = pbx.groups.lock().unwrap();
    if let Some(i) = groups.iter().position(|g| {
        g.channel == channel
            && ((category.is_empty() && g.category.is_empty())
                || (!g.category.is_empty() && g.category.eq_ignore_ascii_case(&category)))
    }) {
        groups.remove(i);
    }
    if !group.is_empty() {
        groups.push(GroupEntry {
            channel: channel.to_string(),
            group,
            category,
        });
    }
}

fn read(chan: &mut Channel, pbx: &Pbx, args: &str) -> Option<String> {
    let groups = pbx.groups.lock().unwrap();
    groups
        .iter()
        .find(|g| {
            g.channel == chan.name
                && (args.is_empty()
                    || (!g.category.is_empty() && g.category.eq_ignore_ascii_case(args)))
        })
        .map(|g| g.group.clone())
}

fn write(chan: &mut Channel, pbx: &Pbx, args: &str, value: &str) {
    let data = if args.is_empty() {
        value.to_string()
    } else {
        format!("{value}@{args}")
    };
    set_channel(pbx, &chan.name, &data);
}

#[cfg(test)]
mod tests {
    use crate::apps::set::setvar;
    use crate::funcs::util::{sub, test_env};

    #[test]
    fn membership() {
        let (mut c, p) = test_env();
        setvar(&mut c, &p, "GROUP()", "trunk1");
        assert_eq!(
            sub(&mut c, &p, "${GROUP_COUNT(trunk1)} ${GROUP()}"),
            "1 trunk1"
        );
        setvar(&mut c, &p, "GROUP()", "trunk2");
        assert_eq!(
            sub(&mut c, &p, "${GROUP_COUNT(trunk1)} ${GROUP()}"),
            "0 trunk2"
        );
        setvar(&mut c, &p, "GROUP(out)", "gw");
        assert_eq!(
            sub(
                &mut c,
                &p,
                "${GROUP(out)} ${GROUP(OUT)} ${GROUP_COUNT(gw@out)}"
            ),
            "gw gw 1"
        );
        assert_eq!(p.groups.lock().unwrap().len(), 2);
        assert_eq!(sub(&mut c, &p, "${GROUP_LIST()}"), "trunk2 gw@out");
        setvar(&mut c, &p, "GROUP(out)", "");
        assert_eq!(sub(&mut c, &p, "[${GROUP(out)}]"), "[]");
        assert_eq!(p.groups.lock().unwrap().len(), 1);
    }
}
