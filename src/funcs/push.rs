//! PUSH and UNSHIFT: add a value at the end or the start of a variable holding a
//! delimited list (funcs/func_strings.c).

use super::util::{encoded_char, setvar, text, var_value};
use super::Function;
use crate::apps::standard_args;
use crate::channel::Channel;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "PUSH",
    synopsis: "Appends one or more values to the end of a variable containing delimited text",
    syntax: "PUSH(varname[,delimiter])",
    provided_by: "func_strings",
    description: "Example: Set(PUSH(array)=one,two,three) would append one, two, and three to the end of the values stored in the variable \"array\".",
    read: None,
    write: Some(push),
};

pub static UNSHIFT: Function = Function {
    name: "UNSHIFT",
    synopsis: "Inserts one or more values to the beginning of a variable containing delimited text",
    syntax: "UNSHIFT(varname[,delimiter])",
    provided_by: "func_strings",
    description: "Example: Set(UNSHIFT(array)=one,two,three) would insert one, two, and three before the values stored in the variable \"array\".",
    read: None,
    write: Some(unshift),
};

fn push(chan: &mut Channel, pbx: &Pbx, args: &str, value: &str) {
    unshift_push(chan, pbx, args, value, "PUSH")
}

fn unshift(chan: &mut Channel, pbx: &Pbx, args: &str, value: &str) {
    unshift_push(chan, pbx, args, value, "UNSHIFT")
}

fn unshift_push(chan: &mut Channel, pbx: &Pbx, args: &str, value: &str, cmd: &str) {
    let a = standard_args(args);
    let var = a.first().map(String::as_str).unwrap_or("");
    if var.is_empty() {
        crate::logger::warning("func_strings.c", &format!("{cmd} requires a variable name"));
        return;
    }
    let delim = a
        .get(1)
        .filter(|d| !d.is_empty())
        .and_then(|d| encoded_char(d.as_bytes()))
        .map(|(c, _)| c)
        .unwrap_or(b',');
    // Up to two leading underscores are the inheritance mark, not the name.
    let skip = var.bytes().take(2).take_while(|&b| b == b'_').count();
    let previous = var_value(chan, pbx, &var[skip..]);
    let new = if previous.is_empty() {
        value.to_string()
    } else {
        let mut v = Vec::new();
        let (first, second) = if cmd == "UNSHIFT" {
            (value, previous.as_str())
        } else {
            (previous.as_str(), value)
        };
        v.extend_from_slice(first.as_bytes());
        v.push(delim);
        v.extend_from_slice(second.as_bytes());
        text(&v)
    };
    setvar(chan, pbx, var, &new);
}

#[cfg(test)]
mod tests {
    use crate::apps::set::setvar;
    use crate::funcs::util::{sub, test_env};

    #[test]
    fn push_and_unshift() {
        let (mut c, p) = test_env();
        setvar(&mut c, &p, "PUSH(array)", "one");
        setvar(&mut c, &p, "PUSH(array)", "two,three");
        assert_eq!(c.vars.get("array"), Some("one,two,three"));
        setvar(&mut c, &p, "UNSHIFT(array)", "zero");
        assert_eq!(sub(&mut c, &p, "${array}"), "zero,one,two,three");
        setvar(&mut c, &p, "PUSH(__inh,-)", "a");
        setvar(&mut c, &p, "PUSH(__inh,-)", "b");
        assert_eq!(c.vars.get("inh"), Some("a-b"));
        assert!(c.vars.iter().any(|(n, _)| n == "__inh"));
    }
}
