//! TOUPPER: ASCII letters to upper case; other bytes unchanged (funcs/func_strings.c, C
//! locale `toupper`).

use super::Function;
use crate::channel::Channel;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "TOUPPER",
    synopsis: "Convert string to all uppercase letters.",
    syntax: "TOUPPER(string)",
    provided_by: "func_strings",
    description: "Example: ${TOUPPER(Example)} returns \"EXAMPLE\"",
    read: Some(read),
    write: None,
};

fn read(_chan: &mut Channel, _pbx: &Pbx, args: &str) -> Option<String> {
    Some(args.to_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use crate::funcs::util::{sub, test_env};

    #[test]
    fn upper() {
        let (mut c, p) = test_env();
        c.vars.set("X", Some("abcdefgh"));
        assert_eq!(sub(&mut c, &p, "${TOUPPER(${X})}"), "ABCDEFGH");
        assert_eq!(sub(&mut c, &p, "${TOUPPER(abcж)}"), "ABCж");
    }
}
