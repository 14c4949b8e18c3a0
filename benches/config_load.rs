//! Load a generated 100,000-extension dialplan (plus a 2,000-peer sip.conf) the way
//! `zvezda check` does, and report the time. `cargo bench --bench config_load`.

use std::time::Instant;
use zvezda::config::ConfigSet;

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut ext = String::from("[general]\nautofallthrough=yes\n[globals]\nTRUNK=SIP/provider\n");
    // 100 contexts x 1,000 extensions, each with 3 priorities, a mix of literals and patterns.
    for c in 0..100 {
        ext.push_str(&format!("[ctx{c}]\n"));
        for e in 0..1000 {
            if e % 10 == 0 {
                ext.push_str(&format!(
                    "exten => _{c:02}{e:03}XX,1,NoOp(pattern ${{EXTEN}})\n"
                ));
            } else {
                ext.push_str(&format!("exten => {c:02}{e:04},1,Set(fname=${{STRFTIME(${{EPOCH}},,%Y%m%d)}}-${{EXTEN}})\n"));
            }
            ext.push_str("same => n(dial),Dial(SIP/${EXTEN},30,tT)\n");
            ext.push_str("same => n,Hangup()\n");
        }
        ext.push_str(&format!("include => ctx{}\n", (c + 1) % 100));
    }
    std::fs::write(dir.path().join("extensions.conf"), &ext).unwrap();
    let mut sip = String::from(
        "[general]\nbindport=5062\n[phone](!)\ntype=friend\nhost=dynamic\ncontext=ctx0\n",
    );
    for p in 0..2000 {
        sip.push_str(&format!(
            "[{}](phone)\nsecret=s3cr3t-{p}-xyzzy\n",
            10000 + p
        ));
    }
    std::fs::write(dir.path().join("sip.conf"), &sip).unwrap();

    let runs = 5;
    let mut times = Vec::new();
    let mut exts = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let set = ConfigSet::load(dir.path());
        times.push(t.elapsed());
        exts = set
            .extensions
            .contexts
            .iter()
            .map(|c| c.extensions.len())
            .sum::<usize>();
        assert_eq!(set.sip.peers.len(), 2000);
    }
    times.sort();
    let lines = ext.lines().count();
    println!(
        "config_load: {exts} extensions ({lines} lines, {:.1} MB) + 2000 peers: median {:.3} s, min {:.3} s over {runs} runs",
        ext.len() as f64 / 1e6,
        times[runs / 2].as_secs_f64(),
        times[0].as_secs_f64()
    );
}
