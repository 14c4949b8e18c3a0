//! CSV_QUOTE: wrap in double quotes, doubling embedded quotes (funcs/func_strings.c).

use super::Function;
use crate::channel::Channel;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "CSV_QUOTE",
    synopsis: "Quotes a given string for use in a CSV file, escaping embedded quotes as necessary",
    syntax: "CSV_QUOTE(string)",
    provided_by: "func_strings",
    description: "Example: ${CSV_QUOTE(\"a,b\" 123)} will return \"\"\"a,b\"\" 123\"",
    read: Some(read),
    write: None,
};

fn read(_chan: &mut Channel, _pbx: &Pbx, args: &str) -> Option<String> {
    Some(format!("\"{}\"", args.replace('"', "\"\"")))
}

#[cfg(test)]
mod tests {
    use crate::funcs::util::{sub, test_env};

    #[test]
    fn quoting() {
        let (mut c, p) = test_env();
        c.vars.set("S", Some("\"a,b\" 123"));
        assert_eq!(sub(&mut c, &p, "${CSV_QUOTE(${S})}"), "\"\"\"a,b\"\" 123\"");
        assert_eq!(sub(&mut c, &p, "${CSV_QUOTE()}"), "\"\"");
    }
}
