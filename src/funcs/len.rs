//! LEN: the length of a string in bytes, as `strlen` counts it (funcs/func_strings.c).

use super::Function;
use crate::channel::Channel;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "LEN",
    synopsis: "Return the length of the string given.",
    syntax: "LEN(string)",
    provided_by: "func_strings",
    description:
        "Returns the length of the string given. Multi-byte characters count once per byte.",
    read: Some(read),
    write: None,
};

fn read(_chan: &mut Channel, _pbx: &Pbx, args: &str) -> Option<String> {
    Some(args.len().to_string())
}

#[cfg(test)]
mod tests {
    use crate::funcs::util::{sub, test_env};

    #[test]
    fn lengths() {
        let (mut c, p) = test_env();
        c.vars.set("X", Some("abcdefgh"));
        assert_eq!(sub(&mut c, &p, "${LEN(${X})}"), "8");
        assert_eq!(sub(&mut c, &p, "${LEN()}"), "0");
        assert_eq!(sub(&mut c, &p, "${LEN(x y)}"), "3");
        assert_eq!(sub(&mut c, &p, "${LEN(Иван Петров)}"), "21");
    }
}
