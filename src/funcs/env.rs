//! ENV: read an environment variable of the PBX process (funcs/func_env.c). Writing is
//! not offered: changing the environment of a running multi-threaded process is unsafe.

use super::Function;
use crate::channel::Channel;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "ENV",
    synopsis: "Gets or sets the environment variable specified.",
    syntax: "ENV(varname)",
    provided_by: "func_env",
    description: "Reads the environment variable specified. (Setting it is not supported.)",
    read: Some(read),
    write: None,
};

fn read(_chan: &mut Channel, _pbx: &Pbx, args: &str) -> Option<String> {
    if args.is_empty() || args.contains('=') || args.contains('\0') {
        return Some(String::new());
    }
    Some(
        std::env::var_os(args)
            .map(|v| v.to_string_lossy().into_owned())
            .unwrap_or_default(),
    )
}

#[cfg(test)]
mod tests {
    use crate::funcs::util::{sub, test_env};

    #[test]
    fn env() {
        let (mut c, p) = test_env();
        let path = std::env::var("PATH").unwrap_or_default();
        assert_eq!(sub(&mut c, &p, "${ENV(PATH)}"), path);
        assert_eq!(sub(&mut c, &p, "[${ENV(ZVEZDA_SURELY_UNSET_VAR)}]"), "[]");
    }
}
