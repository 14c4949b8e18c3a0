//! SET: set a variable and return its value, inside an expression (funcs/func_logic.c).

use super::util::{setvar, strip};
use super::Function;
use crate::channel::Channel;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "SET",
    synopsis: "SET assigns a value to a channel variable.",
    syntax: "SET(varname=[value])",
    provided_by: "func_logic",
    description: "Sets the variable (both name and value are stripped of surrounding whitespace) and returns the value.",
    read: Some(read),
    write: None,
};

fn read(chan: &mut Channel, pbx: &Pbx, args: &str) -> Option<String> {
    let (name, value) = match args.split_once('=') {
        Some((n, v)) if !n.is_empty() => (strip(n), strip(v)),
        _ => {
            crate::logger::warning("func_logic.c", "Syntax SET(<varname>=[<value>])");
            return None;
        }
    };
    let value = value.to_string();
    setvar(chan, pbx, name, &value);
    Some(value)
}

#[cfg(test)]
mod tests {
    use crate::funcs::util::{sub, test_env};

    #[test]
    fn set() {
        let (mut c, p) = test_env();
        assert_eq!(sub(&mut c, &p, "${SET(Z=zz)} ${Z}"), "zz zz");
        assert_eq!(sub(&mut c, &p, "${SET( A = 1 2 )}[${A}]"), "1 2[1 2]");
        assert_eq!(sub(&mut c, &p, "${SET(E=)}[${E}]"), "[]");
        assert_eq!(sub(&mut c, &p, "[${SET(novalue)}]"), "[]");
        assert_eq!(sub(&mut c, &p, "${SET(GLOBAL(G)=g)}"), "g");
        assert_eq!(p.global("G").as_deref(), Some("g"));
    }
}
