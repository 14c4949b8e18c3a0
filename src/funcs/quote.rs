//! QUOTE: wrap in double quotes, escaping `\` and `"` with a backslash
//! (funcs/func_strings.c).

use super::Function;
use crate::channel::Channel;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "QUOTE",
    synopsis: "Quotes a given string, escaping embedded quotes as necessary",
    syntax: "QUOTE(string)",
    provided_by: "func_strings",
    description: "Example: ${QUOTE(ab\"c\"de)} will return \"ab\\\"c\\\"de\"",
    read: Some(read),
    write: None,
};

fn read(_chan: &mut Channel, _pbx: &Pbx, args: &str) -> Option<String> {
    if args.is_empty() {
        crate::logger::warning("func_strings.c", "No argument specified!");
        return Some("\"\"".into());
    }
    let mut out = String::with_capacity(args.len() + 2);
    out.push('"');
    for c in args.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            _ => out.push(c),
        }
    }
    out.push('"');
    Some(out)
}

#[cfg(test)]
mod tests {
    use crate::funcs::util::{sub, test_env};

    #[test]
    fn quoting() {
        let (mut c, p) = test_env();
        c.vars.set("S", Some("ab\"c\"d\\e"));
        assert_eq!(sub(&mut c, &p, "${QUOTE(${S})}"), "\"ab\\\"c\\\"d\\\\e\"");
        assert_eq!(sub(&mut c, &p, "${QUOTE()}"), "\"\"");
    }
}
