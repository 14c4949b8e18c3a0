//! DELETE: `Set(DELETE(var)=)` removes a channel variable (funcs/func_logic.c).

use super::Function;
use crate::channel::Channel;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "DELETE",
    synopsis: "Deletes a specified channel variable.",
    syntax: "DELETE(varname)",
    provided_by: "func_logic",
    description: "Delete the channel variable named varname. Returns nothing.",
    read: None,
    write: Some(write),
};

fn write(chan: &mut Channel, _pbx: &Pbx, args: &str, _value: &str) {
    chan.vars.set(args, None);
}

#[cfg(test)]
mod tests {
    use crate::apps::set::setvar;
    use crate::funcs::util::test_env;

    #[test]
    fn delete() {
        let (mut c, p) = test_env();
        c.vars.set("_X", Some("1"));
        setvar(&mut c, &p, "DELETE(X)", "");
        assert_eq!(c.vars.get("X"), None);
    }
}
