//! IFTIME: `IFTIME(timespec?iftrue:iffalse)`, chosen by the time window (funcs/func_logic.c).

use super::util::strip_quoted;
use super::Function;
use crate::channel::Channel;
use crate::dialplan::timing::TimeSpec;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "IFTIME",
    synopsis: "Temporal Conditional.",
    syntax: "IFTIME(timespec?[true][:false])",
    provided_by: "func_logic",
    description: "Returns the data following '?' if true, else the data following ':'. The timespec is <times>,<weekdays>,<mdays>,<months>[,<timezone>] as GotoIfTime takes it.",
    read: Some(read),
    write: None,
};

fn read(_chan: &mut Channel, _pbx: &Pbx, args: &str) -> Option<String> {
    let data = strip_quoted(args);
    let (expr, rest) = match data.split_once('?') {
        Some((e, r)) => (e, Some(r)),
        None => (data, None),
    };
    let (iftrue, iffalse) = match rest {
        Some(r) => match r.split_once(':') {
            Some((t, f)) => (Some(t), Some(f)),
            None => (Some(r), None),
        },
        None => (None, None),
    };
    if expr.is_empty() || (iftrue.is_none() && iffalse.is_none()) {
        crate::logger::warning(
            "func_logic.c",
            "Syntax IFTIME(<timespec>?[<true>][:<false>])",
        );
        return None;
    }
    let pick = if TimeSpec::parse(expr).matches_now() {
        iftrue
    } else {
        iffalse
    };
    Some(pick.map(strip_quoted).unwrap_or("").to_string())
}

#[cfg(test)]
mod tests {
    use crate::funcs::util::{sub, test_env};

    #[test]
    fn windows() {
        let (mut c, p) = test_env();
        assert_eq!(
            sub(&mut c, &p, "${IFTIME(00:00-23:59,*,*,*?always:never)}"),
            "always"
        );
        assert_eq!(sub(&mut c, &p, "${IFTIME(*,*,*,*?\"a b\":c)}"), "a b");
        assert_eq!(sub(&mut c, &p, "${IFTIME(00:00-23:59,*,*,*?:never)}"), "");
        assert_eq!(sub(&mut c, &p, "[${IFTIME(*,*,*,*)}]"), "[]");
    }
}
