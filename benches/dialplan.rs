//! Dialplan engine figures for the issue notes (`cargo bench --bench dialplan`):
//! - lookup of a 6-digit number in a context of 100,000 patterns (median per lookup);
//! - dialplan steps per second of a Set/GotoIf loop on one core.

use std::sync::Arc;
use std::time::Instant;
use zvezda::astdb::AstDb;
use zvezda::channel::{pbx, Channel};
use zvezda::config::ConfigSet;
use zvezda::dialplan::index::{Compiled, Want};

fn load(ext: &str) -> ConfigSet {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("extensions.conf"), ext).unwrap();
    ConfigSet::load(dir.path())
}

/// A tiny xorshift, so the numbers are the same every run.
fn rng(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

fn lookup() {
    // 100,000 patterns: every 5-digit prefix followed by X, plus catch-alls Asterisk
    // configs have (`_X.`, `_NXXXXX`, `_8XXXXXXXXXX`).
    let mut ext = String::from("[general]\nautofallthrough=yes\n[big]\n");
    for p in 0..99_997u32 {
        ext.push_str(&format!("exten => _{p:05}X,1,NoOp(p{p})\n"));
    }
    ext.push_str("exten => _X.,1,NoOp(any)\nexten => _NXXXXX,1,NoOp(six)\nexten => _8XXXXXXXXXX,1,NoOp(trunk)\n");
    let set = load(&ext);
    let n = set
        .extensions
        .context("big")
        .map(|c| c.extensions.len())
        .unwrap_or(0);
    let dp = Compiled::new(Arc::new(set.extensions));
    let mut seed = 0x2545F4914F6CDD1Du64;
    let numbers: Vec<String> = (0..10_000)
        .map(|_| format!("{:06}", rng(&mut seed) % 1_000_000))
        .collect();
    // Warm up and check the answers are real.
    let mut found = 0;
    for num in &numbers {
        if dp.find("big", num, Want::Priority(1), None).is_ok() {
            found += 1;
        }
    }
    assert_eq!(found, numbers.len());
    let mut per_lookup = Vec::new();
    for _ in 0..30 {
        let t = Instant::now();
        for num in &numbers {
            std::hint::black_box(dp.find("big", num, Want::Priority(1), None).ok());
        }
        per_lookup.push(t.elapsed().as_nanos() as f64 / numbers.len() as f64);
    }
    per_lookup.sort_by(|a, b| a.partial_cmp(b).unwrap());
    // The same number again and again: the cost with everything in cache.
    let t = Instant::now();
    for _ in 0..100_000 {
        std::hint::black_box(dp.find("big", "123456", Want::Priority(1), None).ok());
    }
    let hot = t.elapsed().as_nanos() as f64 / 100_000.0;
    println!("pattern lookup, one number repeated (all in cache): {hot:.0} ns/lookup");
    println!(
        "pattern lookup: {} patterns in one context, 6-digit numbers: median {:.0} ns/lookup (min {:.0}, max {:.0})",
        n,
        per_lookup[per_lookup.len() / 2],
        per_lookup[0],
        per_lookup[per_lookup.len() - 1]
    );
}

fn steps() {
    let iterations = 500_000;
    let ext = format!(
        "[general]\nautofallthrough=yes\n[loop]\nexten => 1,1,Set(I=0)\nsame => n(top),Set(I=$[${{I}} + 1])\nsame => n,GotoIf($[${{I}} < {iterations}]?top)\nsame => n,Hangup()\n"
    );
    let set = load(&ext);
    let pbx = zvezda::pbx::Pbx::with_db("bench".into(), set, AstDb::memory());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut rates = Vec::new();
    for _ in 0..5 {
        let mut chan = Channel::new("Local/1@loop-00000000;2".into(), "1.1".into(), "loop", "1");
        let t = Instant::now();
        rt.block_on(pbx::run(&mut chan, &pbx));
        let secs = t.elapsed().as_secs_f64();
        assert_eq!(chan.vars.get("I"), Some(iterations.to_string().as_str()));
        let steps = 2.0 * iterations as f64 + 2.0;
        rates.push(steps / secs);
    }
    rates.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "dialplan steps: Set/GotoIf loop, {} steps per run, one core: median {:.0} steps/s (min {:.0}, max {:.0})",
        2 * iterations + 2,
        rates[rates.len() / 2],
        rates[0],
        rates[rates.len() - 1]
    );
}

fn main() {
    // `cargo bench --bench dialplan -- lookup` runs one part.
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let run = |name: &str| only.is_empty() || only.iter().any(|o| o == name);
    if run("lookup") {
        lookup();
    }
    if run("steps") {
        steps();
    }
}
