//! URIENCODE and URIDECODE: percent-encoding, keeping RFC 2396's unreserved characters
//! (funcs/func_uri.c).

use super::util::text;
use super::Function;
use crate::channel::Channel;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "URIENCODE",
    synopsis: "Encodes a string to URI-safe encoding according to RFC 2396.",
    syntax: "URIENCODE(data)",
    provided_by: "func_uri",
    description: "Returns the encoded string defined in data.",
    read: Some(encode_read),
    write: None,
};

pub static DECODE: Function = Function {
    name: "URIDECODE",
    synopsis: "Decodes a URI-encoded string according to RFC 2396.",
    syntax: "URIDECODE(data)",
    provided_by: "func_uri",
    description: "Returns the decoded URI-encoded data string.",
    read: Some(decode_read),
    write: None,
};

pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub fn decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let h = |c: u8| (c as char).to_digit(16);
            // sscanf("%2x"): one or two hex digits.
            match (h(b[i + 1]), h(b[i + 2])) {
                (Some(x), Some(y)) => {
                    out.push((x * 16 + y) as u8);
                    i += 3;
                    continue;
                }
                (Some(x), None) => {
                    out.push(x as u8);
                    i += 3;
                    continue;
                }
                _ => {}
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

fn encode_read(_chan: &mut Channel, _pbx: &Pbx, args: &str) -> Option<String> {
    Some(encode(args))
}

fn decode_read(_chan: &mut Channel, _pbx: &Pbx, args: &str) -> Option<String> {
    let d = decode(args);
    let end = d.iter().position(|&b| b == 0).unwrap_or(d.len());
    Some(text(&d[..end]))
}

#[cfg(test)]
mod tests {
    use crate::funcs::util::{sub, test_env};

    #[test]
    fn percent() {
        let (mut c, p) = test_env();
        assert_eq!(
            sub(&mut c, &p, "${URIENCODE(a b&c=d/é~)}"),
            "a%20b%26c%3Dd%2F%C3%A9~"
        );
        assert_eq!(
            sub(&mut c, &p, "${URIDECODE(a%20b%26c%3Dd%2F%C3%A9~)}"),
            "a b&c=d/é~"
        );
        assert_eq!(
            sub(
                &mut c,
                &p,
                "${URIDECODE(100%)}|${URIDECODE(%4)}|${URIDECODE(%zz)}|${URIDECODE(%4g1)}"
            ),
            "100%|%4|%zz|\u{4}1"
        );
        assert_eq!(sub(&mut c, &p, "[${URIENCODE()}]"), "[]");
    }
}
