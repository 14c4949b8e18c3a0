//! IF: `IF(condition?iftrue:iffalse)` (funcs/func_logic.c). The condition is true when it
//! is a non-zero number or any other non-empty text (`pbx_checkcondition`).

use super::util::strip;
use super::Function;
use crate::apps::{check_condition, nonstandard_args};
use crate::channel::Channel;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "IF",
    synopsis: "Check for an expression.",
    syntax: "IF(expression?[true][:false])",
    provided_by: "func_logic",
    description: "Returns the data following '?' if true, else the data following ':'.",
    read: Some(read),
    write: None,
};

fn read(_chan: &mut Channel, _pbx: &Pbx, args: &str) -> Option<String> {
    let a1 = nonstandard_args(args, '?', 2);
    let expr = a1.first().map(String::as_str).unwrap_or("");
    let a2 = match a1.get(1) {
        Some(r) => nonstandard_args(r, ':', 2),
        None => Vec::new(),
    };
    if expr.is_empty() || a2.is_empty() {
        return None;
    }
    let iftrue = a2.first().map(|s| strip(s)).unwrap_or("");
    let iffalse = a2.get(1).map(|s| strip(s)).unwrap_or("");
    Some(
        if check_condition(strip(expr)) {
            iftrue
        } else {
            iffalse
        }
        .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use crate::funcs::util::{sub, test_env};

    #[test]
    fn branches() {
        let (mut c, p) = test_env();
        assert_eq!(sub(&mut c, &p, "${IF(1?long:short)}"), "long");
        assert_eq!(sub(&mut c, &p, "${IF(0?a:b)}"), "b");
        assert_eq!(sub(&mut c, &p, "${IF(0?a)}"), "");
        assert_eq!(sub(&mut c, &p, "${IF(1?:b)}"), "");
        assert_eq!(sub(&mut c, &p, "${IF( abc ? yes : no )}"), "yes");
        assert_eq!(sub(&mut c, &p, "${IF(?a:b)}"), "");
        assert_eq!(sub(&mut c, &p, "${IF(1)}"), "");
        assert_eq!(sub(&mut c, &p, "${IF(1?a:b:c)}"), "a");
        assert_eq!(sub(&mut c, &p, "${IF(0?a:b:c)}"), "b:c");
        assert_eq!(sub(&mut c, &p, "${IF(1?\"x:y\":z)}"), "\"x:y\"");
    }
}
