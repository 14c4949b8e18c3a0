//! INC and DEC: add or take one from a numeric variable, store it and return it
//! (funcs/func_math.c).

use super::util::{getvar, scan_int, setvar};
use super::Function;
use crate::channel::Channel;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "INC",
    synopsis: "Increments the value of a variable, while returning the updated value to the dialplan",
    syntax: "INC(variable)",
    provided_by: "func_math",
    description: "Increments the value of a variable, while returning the updated value to the dialplan. Example: INC(MyVAR) - Increments MyVar. Note: INC(${MyVAR}) - Is wrong, as INC expects the variable name, not its value",
    read: Some(inc),
    write: None,
};

pub static DEC: Function = Function {
    name: "DEC",
    synopsis: "Decrements the value of a variable, while returning the updated value to the dialplan",
    syntax: "DEC(variable)",
    provided_by: "func_math",
    description: "Decrements the value of a variable, while returning the updated value to the dialplan. Example: DEC(MyVAR) - Decrements MyVar. Note: DEC(${MyVAR}) - Is wrong, as DEC expects the variable name, not its value",
    read: Some(dec),
    write: None,
};

fn inc(chan: &mut Channel, pbx: &Pbx, args: &str) -> Option<String> {
    crement(chan, pbx, args, "INC", 1)
}

fn dec(chan: &mut Channel, pbx: &Pbx, args: &str) -> Option<String> {
    crement(chan, pbx, args, "DEC", -1)
}

fn crement(chan: &mut Channel, pbx: &Pbx, args: &str, cmd: &str, by: i32) -> Option<String> {
    let notice = |m: &str| crate::logger::notice("func_math.c", m);
    if args.is_empty() {
        crate::logger::warning(
            "func_math.c",
            &format!("Syntax: {cmd}(<data>) - missing argument!"),
        );
        return None;
    }
    let Some(var) = getvar(chan, pbx, args) else {
        notice(&format!("Failed to obtain variable {args}, bailing out"));
        return None;
    };
    if var.is_empty() {
        notice(&format!(
            "Variable {args} doesn't exist - are you sure you wrote it correctly?"
        ));
        return None;
    }
    let v = match scan_int(&var) {
        Some((v, "")) => v as i32,
        _ => {
            notice(&format!(
                "The content of ${{{args}}} is not a numeric value - bailing out!"
            ));
            return None;
        }
    };
    let n = v.wrapping_add(by).to_string();
    setvar(chan, pbx, args, &n);
    Some(n)
}

#[cfg(test)]
mod tests {
    use crate::funcs::util::{sub, test_env};

    #[test]
    fn crement() {
        let (mut c, p) = test_env();
        c.vars.set("N", Some("41"));
        assert_eq!(sub(&mut c, &p, "${INC(N)}"), "42");
        assert_eq!(c.vars.get("N"), Some("42"));
        assert_eq!(sub(&mut c, &p, "${DEC(N)}${DEC(N)}"), "4140");
        c.vars.set("S", Some("4x"));
        assert_eq!(sub(&mut c, &p, "[${INC(S)}][${INC(NOPE)}]"), "[][]");
    }
}
