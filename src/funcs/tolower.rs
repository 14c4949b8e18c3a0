//! TOLOWER: ASCII letters to lower case; other bytes unchanged (funcs/func_strings.c, C
//! locale `tolower`).

use super::Function;
use crate::channel::Channel;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "TOLOWER",
    synopsis: "Convert string to all lowercase letters.",
    syntax: "TOLOWER(string)",
    provided_by: "func_strings",
    description: "Example: ${TOLOWER(Example)} returns \"example\"",
    read: Some(read),
    write: None,
};

fn read(_chan: &mut Channel, _pbx: &Pbx, args: &str) -> Option<String> {
    Some(args.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use crate::funcs::util::{sub, test_env};

    #[test]
    fn lower() {
        let (mut c, p) = test_env();
        assert_eq!(sub(&mut c, &p, "${TOLOWER(ABC)}"), "abc");
        assert_eq!(sub(&mut c, &p, "${TOLOWER(ABCЖ)}"), "abcЖ");
    }
}
