//! LISTFILTER: a variable's list with every field equal to a value removed
//! (funcs/func_strings.c).

use super::util::{encoded_str, text, var_value};
use super::Function;
use crate::apps::standard_args;
use crate::channel::Channel;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "LISTFILTER",
    synopsis: "Remove an item from a list, by name.",
    syntax: "LISTFILTER(varname,delim,value)",
    provided_by: "func_strings",
    description: "Remove value from the list contained in the varname variable, where the list delimiter is specified by the delim parameter. This is very useful for removing a single channel name from a list of channels, for example.",
    read: Some(read),
    write: None,
};

fn read(chan: &mut Channel, pbx: &Pbx, args: &str) -> Option<String> {
    let a = standard_args(args);
    if a.len() < 3 {
        crate::logger::error(
            "func_strings.c",
            "Usage: LISTFILTER(<listname>,<delimiter>,<fieldvalue>)",
        );
        return None;
    }
    let list = var_value(chan, pbx, &a[0]);
    if list.is_empty() {
        return None;
    }
    let field = a[2].as_bytes();
    if !list.contains(a[2].as_str()) {
        return Some(list);
    }
    let mut delim = encoded_str(&a[1]);
    if delim.is_empty() {
        delim = b",".to_vec();
    }
    let parts = split_on(list.as_bytes(), &delim);
    let kept: Vec<&[u8]> = parts.into_iter().filter(|p| *p != field).collect();
    Some(text(&kept.join(&delim[..])))
}

/// Split on a multi-byte delimiter.
fn split_on<'a>(s: &'a [u8], d: &[u8]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i + d.len() <= s.len() {
        if &s[i..i + d.len()] == d {
            out.push(&s[start..i]);
            i += d.len();
            start = i;
        } else {
            i += 1;
        }
    }
    out.push(&s[start..]);
    out
}

#[cfg(test)]
mod tests {
    use crate::funcs::util::{sub, test_env};

    #[test]
    fn filtering() {
        let (mut c, p) = test_env();
        c.vars.set("L", Some("SIP/1,SIP/2,SIP/3"));
        assert_eq!(sub(&mut c, &p, "${LISTFILTER(L,\\,,SIP/2)}"), "SIP/1,SIP/3");
        assert_eq!(sub(&mut c, &p, "${LISTFILTER(L,,SIP/1)}"), "SIP/2,SIP/3");
        assert_eq!(
            sub(&mut c, &p, "${LISTFILTER(L,\\,,SIP/9)}"),
            "SIP/1,SIP/2,SIP/3"
        );
        c.vars.set("M", Some("a&&b&&a"));
        assert_eq!(sub(&mut c, &p, "${LISTFILTER(M,&&,a)}"), "b");
    }
}
