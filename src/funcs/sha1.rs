//! SHA1: the hex SHA-1 digest of a string (funcs/func_sha1.c). FIPS 180-1, written out
//! here.

use super::md5::hex;
use super::Function;
use crate::channel::Channel;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "SHA1",
    synopsis: "Computes a SHA1 digest.",
    syntax: "SHA1(data)",
    provided_by: "func_sha1",
    description: "Generate a SHA1 digest via the SHA1 algorythm. The example sets the variable to the digest: Set(sha1hash=${SHA1(junky)})",
    read: Some(read),
    write: None,
};

pub fn sha1(data: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0];
    let mut msg = data.to_vec();
    let bitlen = (data.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bitlen.to_be_bytes());
    for block in msg.chunks(64) {
        let mut w = [0u32; 80];
        for (i, c) in block.chunks(4).enumerate() {
            w[i] = u32::from_be_bytes([c[0], c[1], c[2], c[3]]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, wi) in w.iter().enumerate() {
            let (f, k) = match i / 20 {
                0 => ((b & c) | (!b & d), 0x5A827999),
                1 => (b ^ c ^ d, 0x6ED9EBA1),
                2 => ((b & c) | (b & d) | (c & d), 0x8F1BBCDC),
                _ => (b ^ c ^ d, 0xCA62C1D6u32),
            };
            let t = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(*wi);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = t;
        }
        for (x, v) in h.iter_mut().zip([a, b, c, d, e]) {
            *x = x.wrapping_add(v);
        }
    }
    let mut out = [0u8; 20];
    for (i, v) in h.iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&v.to_be_bytes());
    }
    out
}

fn read(_chan: &mut Channel, _pbx: &Pbx, args: &str) -> Option<String> {
    if args.is_empty() {
        crate::logger::warning("func_sha1.c", "Syntax: SHA1(<data>) - missing argument!");
        return None;
    }
    Some(hex(&sha1(args.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::sha1;
    use crate::funcs::md5::hex;
    use crate::funcs::util::{sub, test_env};

    #[test]
    fn digests() {
        assert_eq!(hex(&sha1(b"")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(
            hex(&sha1(b"abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        let long = vec![b'a'; 1000];
        assert_eq!(
            hex(&sha1(&long)),
            "291e9a6c66994949b57ba5e650361e98fc36b1ba"
        );
        let (mut c, p) = test_env();
        assert_eq!(
            sub(&mut c, &p, "${SHA1(abc)}"),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
    }
}
