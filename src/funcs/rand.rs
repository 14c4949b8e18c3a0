//! RAND: a random integer between min and max inclusive (funcs/func_rand.c).

use super::util::scan_int;
use super::Function;
use crate::apps::standard_args;
use crate::channel::Channel;
use crate::pbx::Pbx;
use std::sync::atomic::{AtomicU64, Ordering};

pub static FUNC: Function = Function {
    name: "RAND",
    synopsis: "Choose a random number in a range.",
    syntax: "RAND([min][,max])",
    provided_by: "func_rand",
    description: "Choose a random number between min and max. min defaults to 0, if not specified, while max defaults to RAND_MAX (2147483647 on many systems). Example: Set(junky=${RAND(1,8)}); Sets junky to a random number between 1 and 8, inclusive.",
    read: Some(read),
    write: None,
};

const RAND_MAX: i64 = 2147483647;

/// A splitmix64 stream seeded from the clock and a per-process counter.
fn random() -> u64 {
    static STATE: AtomicU64 = AtomicU64::new(0);
    let mut s = STATE.load(Ordering::Relaxed);
    if s == 0 {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1);
        s = now ^ (std::process::id() as u64).rotate_left(32) | 1;
    }
    s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
    STATE.store(s, Ordering::Relaxed);
    let mut z = s;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn arg(a: &[String], i: usize) -> Option<i64> {
    a.get(i)
        .filter(|s| !s.is_empty())
        .and_then(|s| scan_int(s))
        .map(|(v, _)| v)
}

fn read(_chan: &mut Channel, _pbx: &Pbx, args: &str) -> Option<String> {
    let a = standard_args(args);
    let mut min = arg(&a, 0).unwrap_or(0);
    let mut max = arg(&a, 1).unwrap_or(RAND_MAX);
    if max < min {
        std::mem::swap(&mut min, &mut max);
    }
    let span = (max - min + 1) as u64;
    Some((min + (random() % span) as i64).to_string())
}

#[cfg(test)]
mod tests {
    use crate::funcs::util::{sub, test_env};

    #[test]
    fn ranges() {
        let (mut c, p) = test_env();
        for _ in 0..200 {
            let v: i64 = sub(&mut c, &p, "${RAND(1,8)}").parse().unwrap();
            assert!((1..=8).contains(&v));
            let v: i64 = sub(&mut c, &p, "${RAND(5,-5)}").parse().unwrap();
            assert!((-5..=5).contains(&v));
            let v: i64 = sub(&mut c, &p, "${RAND()}").parse().unwrap();
            assert!((0..=2147483647).contains(&v));
        }
        assert_eq!(sub(&mut c, &p, "${RAND(3,3)}"), "3");
    }
}
