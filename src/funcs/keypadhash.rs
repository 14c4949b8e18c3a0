//! KEYPADHASH: letters to the digits of a phone keypad (funcs/func_strings.c).

use super::Function;
use crate::channel::Channel;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "KEYPADHASH",
    synopsis: "Hash the letters in string into equivalent keypad numbers.",
    syntax: "KEYPADHASH(string)",
    provided_by: "func_strings",
    description: "Example: ${KEYPADHASH(Les)} returns \"537\"",
    read: Some(read),
    write: None,
};

fn digit(c: char) -> Option<char> {
    let d = match c.to_ascii_lowercase() {
        '0' => '0',
        '1' => '1',
        'a'..='c' | '2' => '2',
        'd'..='f' | '3' => '3',
        'g'..='i' | '4' => '4',
        'j'..='l' | '5' => '5',
        'm'..='o' | '6' => '6',
        'p'..='s' | '7' => '7',
        't'..='v' | '8' => '8',
        'w'..='z' | '9' => '9',
        _ => return None,
    };
    Some(d)
}

fn read(_chan: &mut Channel, _pbx: &Pbx, args: &str) -> Option<String> {
    Some(args.chars().filter_map(digit).collect())
}

#[cfg(test)]
mod tests {
    use crate::funcs::util::{sub, test_env};

    #[test]
    fn keypad() {
        let (mut c, p) = test_env();
        assert_eq!(sub(&mut c, &p, "${KEYPADHASH(Les)}"), "537");
        assert_eq!(
            sub(&mut c, &p, "${KEYPADHASH(1-800-FLOWERS)}"),
            "18003569377"
        );
    }
}
