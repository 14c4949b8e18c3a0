//! DIALPLAN_EXISTS: 1 when a context, an extension in it, or a priority or label of that
//! extension exists (funcs/func_dialplan.c).

use super::util::scan_int;
use super::Function;
use crate::apps::standard_args;
use crate::channel::Channel;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "DIALPLAN_EXISTS",
    synopsis: "Checks the existence of a dialplan target.",
    syntax: "DIALPLAN_EXISTS(context[,extension[,priority]])",
    provided_by: "func_dialplan",
    description: "This function returns 1 if the target exits. Otherwise, it returns 0. The priority may be a number or a label.",
    read: Some(read),
    write: None,
};

fn read(chan: &mut Channel, pbx: &Pbx, args: &str) -> Option<String> {
    if args.is_empty() {
        crate::logger::error("func_dialplan.c", "DIALPLAN_EXISTS() requires an argument");
        return None;
    }
    let a = standard_args(args);
    let get = |i: usize| a.get(i).map(String::as_str).unwrap_or("");
    let (context, exten, prio) = (get(0), get(1), get(2));
    let cid = chan.caller.num.as_deref();
    let dp = pbx.dialplan();
    let ok = if !prio.is_empty() {
        match scan_int(prio) {
            Some((n, _)) if n > 0 => dp.exists(context, exten, n as i32, cid),
            _ => dp
                .find_label(context, exten, prio, cid)
                .is_some_and(|p| p > 0),
        }
    } else if !exten.is_empty() {
        dp.exists(context, exten, 1, cid)
    } else if !context.is_empty() {
        dp.context(context).is_some()
    } else {
        crate::logger::error(
            "func_dialplan.c",
            "Invalid arguments provided to DIALPLAN_EXISTS",
        );
        return None;
    };
    Some(if ok { "1" } else { "0" }.into())
}

#[cfg(test)]
mod tests {
    use crate::funcs::util::{sub, test_env_with};

    #[test]
    fn targets() {
        let (mut c, p) = test_env_with(
            "[default]\nexten => 100,1,NoOp()\n same => n(lbl),NoOp()\n[other]\nexten => s,1,NoOp()\n",
        );
        assert_eq!(sub(&mut c, &p, "${DIALPLAN_EXISTS(other)}"), "1");
        assert_eq!(sub(&mut c, &p, "${DIALPLAN_EXISTS(nope)}"), "0");
        assert_eq!(sub(&mut c, &p, "${DIALPLAN_EXISTS(default,100)}"), "1");
        assert_eq!(sub(&mut c, &p, "${DIALPLAN_EXISTS(default,101)}"), "0");
        assert_eq!(sub(&mut c, &p, "${DIALPLAN_EXISTS(default,100,2)}"), "1");
        assert_eq!(sub(&mut c, &p, "${DIALPLAN_EXISTS(default,100,lbl)}"), "1");
        assert_eq!(
            sub(&mut c, &p, "${DIALPLAN_EXISTS(default,100,nolbl)}"),
            "0"
        );
        assert_eq!(sub(&mut c, &p, "[${DIALPLAN_EXISTS()}]"), "[]");
    }
}
