//! EXISTS: 1 when the argument is not empty, else 0 (funcs/func_logic.c).

use super::Function;
use crate::channel::Channel;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "EXISTS",
    synopsis: "Test the existence of a value.",
    syntax: "EXISTS(data)",
    provided_by: "func_logic",
    description: "Returns 1 if exists, 0 otherwise.",
    read: Some(read),
    write: None,
};

fn read(_chan: &mut Channel, _pbx: &Pbx, args: &str) -> Option<String> {
    Some(if args.is_empty() { "0" } else { "1" }.into())
}

#[cfg(test)]
mod tests {
    use crate::funcs::util::{sub, test_env};

    #[test]
    fn exists() {
        let (mut c, p) = test_env();
        assert_eq!(sub(&mut c, &p, "${EXISTS(abc)}"), "1");
        assert_eq!(sub(&mut c, &p, "${EXISTS(${NOPE})}"), "0");
    }
}
