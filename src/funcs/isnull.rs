//! ISNULL: 1 when the argument is empty, else 0 (funcs/func_logic.c).

use super::Function;
use crate::channel::Channel;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "ISNULL",
    synopsis: "Check if a value is NULL.",
    syntax: "ISNULL(data)",
    provided_by: "func_logic",
    description: "Returns 1 if NULL or 0 otherwise.",
    read: Some(read),
    write: None,
};

fn read(_chan: &mut Channel, _pbx: &Pbx, args: &str) -> Option<String> {
    Some(if args.is_empty() { "1" } else { "0" }.into())
}

#[cfg(test)]
mod tests {
    use crate::funcs::util::{sub, test_env};

    #[test]
    fn isnull() {
        let (mut c, p) = test_env();
        assert_eq!(sub(&mut c, &p, "${ISNULL(${NOPE})}"), "1");
        assert_eq!(sub(&mut c, &p, "${ISNULL(x)}"), "0");
        assert_eq!(sub(&mut c, &p, "${ISNULL( )}"), "0");
    }
}
