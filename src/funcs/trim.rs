//! TRIM, LTRIM, RTRIM: whitespace off both ends, the start or the end
//! (funcs/func_strings.c).

use super::util::is_c_space;
use super::Function;
use crate::channel::Channel;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "TRIM",
    synopsis: "Trim leading and trailing whitespace in a string",
    syntax: "TRIM(string)",
    provided_by: "func_strings",
    description: "Replaces all leading and trailing whitespace in the provided string.",
    read: Some(trim),
    write: None,
};

pub static LTRIM: Function = Function {
    name: "LTRIM",
    synopsis: "Trim leading whitespace in a string",
    syntax: "LTRIM(string)",
    provided_by: "func_strings",
    description: "Replaces all leading whitespace in the provided string.",
    read: Some(ltrim),
    write: None,
};

pub static RTRIM: Function = Function {
    name: "RTRIM",
    synopsis: "Trim trailing whitespace in a string",
    syntax: "RTRIM(string)",
    provided_by: "func_strings",
    description: "Replaces all trailing whitespace in the provided string.",
    read: Some(rtrim),
    write: None,
};

fn trim(_chan: &mut Channel, _pbx: &Pbx, args: &str) -> Option<String> {
    (!args.is_empty()).then(|| args.trim_matches(is_c_space).to_string())
}

fn ltrim(_chan: &mut Channel, _pbx: &Pbx, args: &str) -> Option<String> {
    (!args.is_empty()).then(|| args.trim_start_matches(is_c_space).to_string())
}

fn rtrim(_chan: &mut Channel, _pbx: &Pbx, args: &str) -> Option<String> {
    (!args.is_empty()).then(|| args.trim_end_matches(is_c_space).to_string())
}

#[cfg(test)]
mod tests {
    use crate::funcs::util::{sub, test_env};

    #[test]
    fn asterisk_table() {
        let (mut c, p) = test_env();
        for (f, s, want) in [
            ("TRIM", "  abcd ", "abcd"),
            ("LTRIM", " abcd ", "abcd "),
            ("RTRIM", " abcd ", " abcd"),
            ("TRIM", "abcd", "abcd"),
            ("TRIM", " a b c d ", "a b c d"),
        ] {
            let t = format!("${{{f}({s})}}");
            assert_eq!(sub(&mut c, &p, &t), want, "{t}");
        }
    }
}
