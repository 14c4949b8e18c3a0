//! VALID_EXTEN: 1 when the extension (and priority) exists in the context, by default
//! the channel's (main/pbx.c).

use super::util::atoi;
use super::Function;
use crate::apps::standard_args;
use crate::channel::Channel;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "VALID_EXTEN",
    synopsis: "Determine whether an extension exists or not.",
    syntax: "VALID_EXTEN([context],extension,[priority])",
    provided_by: "func_dialplan",
    description: "Returns a true value if the indicated context, extension, and priority exist. Context defaults to the current context, priority defaults to 1.",
    read: Some(read),
    write: None,
};

fn read(chan: &mut Channel, pbx: &Pbx, args: &str) -> Option<String> {
    let a = standard_args(args);
    let context = match a.first().filter(|c| !c.is_empty()) {
        Some(c) => c.clone(),
        None => chan.context.clone(),
    };
    let Some(exten) = a.get(1).filter(|e| !e.is_empty()) else {
        crate::logger::warning(
            "func_dialplan.c",
            "Syntax: VALID_EXTEN([<context>],<extension>[,<priority>]) - missing argument <extension>!",
        );
        return None;
    };
    let prio = match a.get(2).filter(|p| !p.is_empty()) {
        Some(p) => atoi(p) as i32,
        None => 1,
    };
    let ok = pbx
        .dialplan()
        .exists(&context, exten, prio, chan.caller.num.as_deref());
    Some(if ok { "1" } else { "0" }.into())
}

#[cfg(test)]
mod tests {
    use crate::funcs::util::{sub, test_env_with};

    #[test]
    fn exists() {
        let (mut c, p) = test_env_with(
            "[default]\nexten => 100,1,NoOp()\n same => n(lbl),NoOp()\nexten => _2XX,1,NoOp()\n[other]\nexten => s,1,NoOp()\n",
        );
        assert_eq!(sub(&mut c, &p, "${VALID_EXTEN(,100)}"), "1");
        assert_eq!(sub(&mut c, &p, "${VALID_EXTEN(,100,2)}"), "1");
        assert_eq!(sub(&mut c, &p, "${VALID_EXTEN(,100,3)}"), "0");
        assert_eq!(sub(&mut c, &p, "${VALID_EXTEN(,250)}"), "1");
        assert_eq!(sub(&mut c, &p, "${VALID_EXTEN(other,s)}"), "1");
        assert_eq!(sub(&mut c, &p, "${VALID_EXTEN(other,100)}"), "0");
        assert_eq!(sub(&mut c, &p, "[${VALID_EXTEN(100)}]"), "[]");
    }
}
