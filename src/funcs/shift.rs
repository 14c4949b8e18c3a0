//! SHIFT and POP: take the first or last item off a variable holding a delimited list,
//! and store the rest back (funcs/func_strings.c).

use super::util::{encoded_char, setvar, text, var_value};
use super::Function;
use crate::apps::standard_args;
use crate::channel::Channel;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "SHIFT",
    synopsis: "Removes and returns the first item off of a variable containing delimited text",
    syntax: "SHIFT(varname[,delimiter])",
    provided_by: "func_strings",
    description: "Example: exten => s,1,Set(array=one,two,three) exten => s,n,While($[\"${SET(var=${SHIFT(array)})}\" != \"\"]) exten => s,n,NoOp(var is ${var}) exten => s,n,EndWhile. This would iterate over each value in array, left to right, and would result in NoOp(var is one), NoOp(var is two), and NoOp(var is three) being executed.",
    read: Some(shift),
    write: None,
};

pub static POP: Function = Function {
    name: "POP",
    synopsis: "Removes and returns the last item off of a variable containing delimited text",
    syntax: "POP(varname[,delimiter])",
    provided_by: "func_strings",
    description: "Example: exten => s,1,Set(array=one,two,three) exten => s,n,While($[\"${SET(var=${POP(array)})}\" != \"\"]) exten => s,n,NoOp(var is ${var}) exten => s,n,EndWhile. This would iterate over each value in array, right to left, and would result in NoOp(var is three), NoOp(var is two), and NoOp(var is one) being executed.",
    read: Some(pop),
    write: None,
};

fn shift(chan: &mut Channel, pbx: &Pbx, args: &str) -> Option<String> {
    shift_pop(chan, pbx, args, "SHIFT")
}

fn pop(chan: &mut Channel, pbx: &Pbx, args: &str) -> Option<String> {
    shift_pop(chan, pbx, args, "POP")
}

fn shift_pop(chan: &mut Channel, pbx: &Pbx, args: &str, cmd: &str) -> Option<String> {
    let a = standard_args(args);
    let var = a.first().map(String::as_str).unwrap_or("");
    if var.is_empty() {
        crate::logger::warning("func_strings.c", &format!("{cmd} requires a variable name"));
        return None;
    }
    let before = var_value(chan, pbx, var);
    let delim = a
        .get(1)
        .filter(|d| !d.is_empty())
        .and_then(|d| encoded_char(d.as_bytes()))
        .map(|(c, _)| c)
        .unwrap_or(b',');
    if before.is_empty() {
        return None;
    }
    let b = before.as_bytes();
    let at = if cmd == "SHIFT" {
        b.iter().position(|&c| c == delim)
    } else {
        b.iter().rposition(|&c| c == delim)
    };
    let (out, rest) = match at {
        None => (before.clone(), String::new()),
        Some(i) => {
            let (head, tail) = (text(&b[..i]), text(&b[i + 1..]));
            if cmd == "SHIFT" {
                (head, tail)
            } else {
                (tail, head)
            }
        }
    };
    setvar(chan, pbx, var, &rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use crate::funcs::util::{sub, test_env};

    #[test]
    fn shift_and_pop() {
        let (mut c, p) = test_env();
        c.vars.set("array", Some("one,two,three"));
        assert_eq!(sub(&mut c, &p, "${SHIFT(array)}"), "one");
        assert_eq!(c.vars.get("array"), Some("two,three"));
        assert_eq!(sub(&mut c, &p, "${POP(array)}"), "three");
        assert_eq!(sub(&mut c, &p, "${POP(array)}"), "two");
        assert_eq!(c.vars.get("array"), Some(""));
        assert_eq!(sub(&mut c, &p, "[${POP(array)}]"), "[]");
        c.vars.set("d", Some("a-b-c"));
        assert_eq!(sub(&mut c, &p, "${SHIFT(d,-)}/${d}"), "a/b-c");
        assert_eq!(sub(&mut c, &p, "[${SHIFT()}]"), "[]");
    }
}
