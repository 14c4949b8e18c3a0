//! VARIABLE_EXISTS: 1 when the channel variable (or global) is set, even to nothing
//! (funcs/func_logic.c).

use super::util::getvar;
use super::Function;
use crate::channel::Channel;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "VARIABLE_EXISTS",
    synopsis: "Check if a dialplan variable exists or not.",
    syntax: "VARIABLE_EXISTS(varname)",
    provided_by: "func_logic",
    description: "Returns 1 if variable exists or 0 otherwise.",
    read: Some(read),
    write: None,
};

fn read(chan: &mut Channel, pbx: &Pbx, args: &str) -> Option<String> {
    Some(
        if getvar(chan, pbx, args).is_some() {
            "1"
        } else {
            "0"
        }
        .into(),
    )
}

#[cfg(test)]
mod tests {
    use crate::funcs::util::{sub, test_env};

    #[test]
    fn exists() {
        let (mut c, p) = test_env();
        c.vars.set("E", Some(""));
        assert_eq!(
            sub(&mut c, &p, "${VARIABLE_EXISTS(E)}${VARIABLE_EXISTS(NOPE)}"),
            "10"
        );
    }
}
