//! BASE64_ENCODE and BASE64_DECODE (funcs/func_base64.c). Decoding stops at `=` and reads
//! characters outside the alphabet as 63, as Asterisk's decoder does; the result ends at
//! the first NUL byte.

use super::util::text;
use super::Function;
use crate::channel::Channel;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "BASE64_ENCODE",
    synopsis: "Encode a string in base64.",
    syntax: "BASE64_ENCODE(string)",
    provided_by: "func_base64",
    description: "Returns the base64 string.",
    read: Some(encode_read),
    write: None,
};

pub static DECODE: Function = Function {
    name: "BASE64_DECODE",
    synopsis: "Decode a base64 string.",
    syntax: "BASE64_DECODE(string)",
    provided_by: "func_base64",
    description: "Returns the plain text string.",
    read: Some(decode_read),
    write: None,
};

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub fn encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(ALPHABET[(n >> 18) as usize & 63] as char);
        out.push(ALPHABET[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 {
            ALPHABET[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            ALPHABET[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

pub fn decode(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        if c == b'=' {
            break;
        }
        let v = ALPHABET.iter().position(|&a| a == c).unwrap_or(63) as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

fn encode_read(_chan: &mut Channel, _pbx: &Pbx, args: &str) -> Option<String> {
    if args.is_empty() {
        crate::logger::warning(
            "func_base64.c",
            "Syntax: BASE64_ENCODE(<data>) - missing argument!",
        );
        return None;
    }
    Some(encode(args.as_bytes()))
}

fn decode_read(_chan: &mut Channel, _pbx: &Pbx, args: &str) -> Option<String> {
    if args.is_empty() {
        crate::logger::warning(
            "func_base64.c",
            "Syntax: BASE64_DECODE(<data>) - missing argument!",
        );
        return None;
    }
    let d = decode(args);
    let end = d.iter().position(|&b| b == 0).unwrap_or(d.len());
    Some(text(&d[..end]))
}

#[cfg(test)]
mod tests {
    use super::{decode, encode};
    use crate::funcs::util::{sub, test_env};

    #[test]
    fn roundtrip() {
        assert_eq!(encode(b""), "");
        assert_eq!(encode(b"f"), "Zg==");
        assert_eq!(encode(b"fo"), "Zm8=");
        assert_eq!(encode(b"foo"), "Zm9v");
        assert_eq!(encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(decode("Zm9vYmE="), b"fooba");
        assert_eq!(decode("Zm9vYg"), b"foob");
        let (mut c, p) = test_env();
        assert_eq!(
            sub(&mut c, &p, "${BASE64_ENCODE(user:pass)}"),
            "dXNlcjpwYXNz"
        );
        assert_eq!(
            sub(&mut c, &p, "${BASE64_DECODE(dXNlcjpwYXNz)}"),
            "user:pass"
        );
        assert_eq!(
            sub(&mut c, &p, "${BASE64_DECODE(${BASE64_ENCODE(Иван)})}"),
            "Иван"
        );
        assert_eq!(sub(&mut c, &p, "[${BASE64_ENCODE()}]"), "[]");
    }
}
