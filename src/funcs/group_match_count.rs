//! GROUP_MATCH_COUNT: how many channels are in groups matching a regular expression
//! (funcs/func_groupcount.c).

use super::group::split_group;
use super::regex_::compile_ere;
use super::Function;
use crate::channel::Channel;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "GROUP_MATCH_COUNT",
    synopsis: "Counts the number of channels in the groups matching the specified pattern.",
    syntax: "GROUP_MATCH_COUNT(groupmatch[@category])",
    provided_by: "func_groupcount",
    description: "Calculates the group count for all groups that match the specified pattern. Note: category matching is applied after matching based on group. Uses standard regular expression matching on both (see regex(7)).",
    read: Some(read),
    write: None,
};

fn read(_chan: &mut Channel, pbx: &Pbx, args: &str) -> Option<String> {
    let (group, category) = split_group(args);
    if group.is_empty() {
        return None;
    }
    let Ok(gre) = compile_ere(&group) else {
        crate::logger::error("app.c", &format!("Regex compile failed on: {group}"));
        return Some("0".into());
    };
    let cre = if category.is_empty() {
        None
    } else {
        match compile_ere(&category) {
            Ok(r) => Some(r),
            Err(_) => {
                crate::logger::error("app.c", &format!("Regex compile failed on: {category}"));
                return Some("0".into());
            }
        }
    };
    let groups = pbx.groups.lock().unwrap();
    let n = groups
        .iter()
        .filter(|g| {
            gre.is_match(&g.group)
                && match &cre {
                    None => true,
                    Some(c) => !g.category.is_empty() && c.is_match(&g.category),
                }
        })
        .count();
    Some(n.to_string())
}

#[cfg(test)]
mod tests {
    use crate::funcs::group::set_channel;
    use crate::funcs::util::{sub, test_env};

    #[test]
    fn matching() {
        let (mut c, p) = test_env();
        set_channel(&p, "SIP/a-1", "trunk1@out");
        set_channel(&p, "SIP/b-2", "trunk2@out");
        set_channel(&p, "SIP/c-3", "local1");
        assert_eq!(sub(&mut c, &p, "${GROUP_MATCH_COUNT(^trunk)}"), "2");
        assert_eq!(sub(&mut c, &p, "${GROUP_MATCH_COUNT(1$)}"), "2");
        assert_eq!(sub(&mut c, &p, "${GROUP_MATCH_COUNT(.*@^o)}"), "2");
        assert_eq!(sub(&mut c, &p, "[${GROUP_MATCH_COUNT()}]"), "[]");
    }
}
