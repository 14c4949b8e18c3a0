//! STRBETWEEN: a string inserted between each byte of a variable's value
//! (funcs/func_strings.c).

use super::util::{text, var_value};
use super::Function;
use crate::apps::standard_args;
use crate::channel::Channel;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "STRBETWEEN",
    synopsis: "Inserts a substring between each character in a string.",
    syntax: "STRBETWEEN(varname,insert-string)",
    provided_by: "func_strings",
    description: "Inserts a substring find-string between each character in varname. Note: The replacement only occurs in the output. The original variable is not altered.",
    read: Some(read),
    write: None,
};

fn read(chan: &mut Channel, pbx: &Pbx, args: &str) -> Option<String> {
    let a = standard_args(args);
    if a.len() != 2 || a[0].is_empty() {
        crate::logger::error(
            "func_strings.c",
            "Usage: STRBETWEEN(<varname>,<insert-string>)",
        );
        return None;
    }
    let value = var_value(chan, pbx, &a[0]);
    let mut out = Vec::new();
    for (i, b) in value.bytes().enumerate() {
        if i > 0 {
            out.extend_from_slice(a[1].as_bytes());
        }
        out.push(b);
    }
    Some(text(&out))
}

#[cfg(test)]
mod tests {
    use crate::funcs::util::{sub, test_env};

    #[test]
    fn asterisk_table() {
        let (mut c, p) = test_env();
        for (s, ins, want) in [
            ("0", "w", "0"),
            ("30", "w", "3w0"),
            ("212", "w", "2w1w2"),
            ("212", "55", "2551552"),
            ("212", " ", "2 1 2"),
            ("", "w", ""),
            ("555", "", "555"),
            ("abcdefg", "_", "a_b_c_d_e_f_g"),
            ("A", "A", "A"),
            ("AA", "B", "ABA"),
            ("AAA", "B", "ABABA"),
        ] {
            c.vars.set("test_string", Some(s));
            let t = format!("${{STRBETWEEN(test_string,{ins})}}");
            assert_eq!(sub(&mut c, &p, &t), want, "{t}");
        }
    }
}
