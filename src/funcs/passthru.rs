//! PASSTHRU: the argument as it is, so functions that take a variable name can take a
//! literal (`CUT(PASSTHRU(...),...)`) (funcs/func_strings.c).

use super::Function;
use crate::channel::Channel;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "PASSTHRU",
    synopsis: "Pass the given argument back as a value.",
    syntax: "PASSTHRU([string])",
    provided_by: "func_strings",
    description: "Literally returns the given string. The intent is to permit other dialplan functions which take a variable name as an argument to be able to take a literal string, instead.",
    read: Some(read),
    write: None,
};

fn read(_chan: &mut Channel, _pbx: &Pbx, args: &str) -> Option<String> {
    Some(args.to_string())
}

#[cfg(test)]
mod tests {
    use crate::funcs::util::{sub, test_env};

    #[test]
    fn passthru() {
        let (mut c, p) = test_env();
        assert_eq!(sub(&mut c, &p, "${CUT(PASSTHRU(SIP/321-1),/,2)}"), "321-1");
        assert_eq!(sub(&mut c, &p, "${PASSTHRU(a b)}"), "a b");
    }
}
