//! EVAL: substitute the argument once more, so a variable that holds `${...}` is expanded
//! (funcs/func_strings.c).

use super::Function;
use crate::channel::Channel;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "EVAL",
    synopsis: "Evaluate stored variables",
    syntax: "EVAL(variable)",
    provided_by: "func_strings",
    description: "Using EVAL basically causes a string to be evaluated twice. When a variable or expression is in the dialplan, it will be evaluated at runtime. However, if the results of the evaluation is in fact another variable or expression, using EVAL will have it evaluated a second time.",
    read: Some(read),
    write: None,
};

fn read(chan: &mut Channel, pbx: &Pbx, args: &str) -> Option<String> {
    if args.is_empty() {
        crate::logger::warning(
            "func_strings.c",
            "EVAL requires an argument: EVAL(<string>)",
        );
        return None;
    }
    Some(crate::pbx::subst::substitute(chan, pbx, args))
}

#[cfg(test)]
mod tests {
    use crate::funcs::util::{sub, test_env};

    #[test]
    fn twice() {
        let (mut c, p) = test_env();
        c.vars.set("A", Some("${B}"));
        c.vars.set("B", Some("bee"));
        assert_eq!(sub(&mut c, &p, "${A}"), "${B}");
        assert_eq!(sub(&mut c, &p, "${EVAL(${A})}"), "bee");
        assert_eq!(sub(&mut c, &p, "[${EVAL()}]"), "[]");
    }
}
