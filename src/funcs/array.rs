//! ARRAY: set several variables at once, `Set(ARRAY(a,b)=1,2)` (funcs/func_strings.c).

use super::util::setvar;
use super::Function;
use crate::apps::standard_args;
use crate::channel::Channel;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "ARRAY",
    synopsis: "Allows setting multiple variables at once.",
    syntax: "ARRAY(var1[,var2[,...][,varN]])",
    provided_by: "func_strings",
    description: "The comma-delimited list passed as a value to which the function is set will be interpreted as a set of values to which the comma-delimited list of variable names in the argument should be set. Example: Set(ARRAY(var1,var2)=1,2) will set var1 to 1 and var2 to 2",
    read: None,
    write: Some(write),
};

fn write(chan: &mut Channel, pbx: &Pbx, args: &str, value: &str) {
    let names = standard_args(args);
    let values = standard_args(value);
    for (i, name) in names.iter().enumerate().take(100) {
        let v = values.get(i).map(String::as_str).unwrap_or("");
        setvar(chan, pbx, name, v);
    }
}

#[cfg(test)]
mod tests {
    use crate::apps::set::setvar;
    use crate::funcs::util::test_env;

    #[test]
    fn several() {
        let (mut c, p) = test_env();
        setvar(&mut c, &p, "ARRAY(a,b,c)", "1,2");
        assert_eq!(c.vars.get("a"), Some("1"));
        assert_eq!(c.vars.get("b"), Some("2"));
        assert_eq!(c.vars.get("c"), Some(""));
        setvar(&mut c, &p, "ARRAY(x,y)", "\"1,5\",z");
        assert_eq!(c.vars.get("x"), Some("1,5"));
    }
}
