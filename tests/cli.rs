//! The `zvezda` binary on the user's seed config: `check`, `lint` (text, JSON, diff) and
//! `dialplan show` against what a real Asterisk 20 printed.

use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn seed() -> PathBuf {
    root().join("compat-tests/seed/etc")
}

fn zvezda(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_zvezda"))
        .args(args)
        .output()
        .expect("run zvezda");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn expected(name: &str) -> String {
    std::fs::read_to_string(root().join("compat-tests/seed/expected").join(name)).unwrap()
}

#[test]
fn check_succeeds_on_seed() {
    let (code, out, err) = zvezda(&["check", seed().to_str().unwrap()]);
    assert_eq!(code, 0, "stdout: {out}\nstderr: {err}");
    assert!(
        out.contains("4 contexts") || out.contains("5 contexts"),
        "{out}"
    );
    assert!(out.contains("5 SIP peers"), "{out}");
}

#[test]
fn check_fails_on_broken_config() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("extensions.conf"),
        "[ctx\nexten => 1,1,NoOp\n",
    )
    .unwrap();
    let (code, _out, err) = zvezda(&["check", dir.path().to_str().unwrap()]);
    assert_ne!(code, 0);
    assert!(err.contains("extensions.conf:1:"), "{err}");
    assert!(err.contains("conf-section-unclosed"), "{err}");
}

#[test]
fn dialplan_show_matches_asterisk() {
    let conf = seed().join("asterisk.conf");
    let c = conf.to_str().unwrap();
    let (code, out, _) = zvezda(&["-C", c, "dialplan", "show", "outcoling"]);
    assert_eq!(code, 0);
    similar_asserts(&expected("seed-dialplan-show-outcoling.txt"), &out);
    let (_, out, _) = zvezda(&["-C", c, "dialplan", "show", "1002@outcoling"]);
    similar_asserts(&expected("seed-dialplan-show-1002-at-outcoling.txt"), &out);
    // The full listing: the recording dropped the summary line (its count included the
    // build's sample contexts); everything else must be equal.
    let (_, out, _) = zvezda(&["-C", c, "dialplan", "show"]);
    let body = out
        .rsplit_once("\n\n-= ")
        .map(|(b, _)| format!("{b}\n"))
        .unwrap();
    similar_asserts(&expected("seed-dialplan-show.txt"), &body);
    assert!(
        out.ends_with("-= 34 extensions (49 priorities) in 5 contexts. =-\n"),
        "{out}"
    );
    let (code, out, _) = zvezda(&["-C", c, "dialplan", "show", "nosuch"]);
    assert_eq!(code, 1);
    assert_eq!(out, "There is no existence of 'nosuch' context\n");
}

fn similar_asserts(expected: &str, actual: &str) {
    if expected != actual {
        let d = similar::TextDiff::from_lines(expected, actual);
        panic!(
            "output differs from Asterisk's:\n{}",
            d.unified_diff().header("asterisk", "zvezda")
        );
    }
}

#[test]
fn lint_reports_the_seed_findings() {
    let (code, out, _) = zvezda(&["lint", seed().to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 1, "warnings only: {out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["version"], 1);
    let findings = v["findings"].as_array().unwrap();
    let has = |rule: &str, file: &str, line: u64| {
        findings.iter().any(|f| {
            f["rule"] == rule && f["file"].as_str().unwrap().ends_with(file) && f["line"] == line
        })
    };
    // The 4-argument Goto at extensions.conf:16, with a fix that drops the 4th argument.
    assert!(has("app-args", "extensions.conf", 16));
    let goto = findings
        .iter()
        .find(|f| f["rule"] == "app-args" && f["line"] == 16)
        .unwrap();
    assert_eq!(goto["fix"], "exten => 7777,3,Goto(menu,s,1)");
    // Weak secrets of 1001, 1002, 6666, 7777 (sip.conf lines of their secret=).
    for line in [22, 44, 54, 65] {
        assert!(
            has("sip-weak-secret", "sip.conf", line),
            "weak secret at sip.conf:{line}"
        );
    }
    assert!(!findings
        .iter()
        .any(|f| f["rule"] == "sip-weak-secret"
            && f["message"].as_str().unwrap().contains("zadarma")));
    // insecure=invite on the dynamic peers 1002, 6666, 7777 but not on the zadarma trunk.
    for line in [42, 52, 63] {
        assert!(
            has("sip-insecure-invite-dynamic", "sip.conf", line),
            "insecure at sip.conf:{line}"
        );
    }
    assert_eq!(
        findings
            .iter()
            .filter(|f| f["rule"] == "sip-insecure-invite-dynamic")
            .count(),
        3
    );
    // The unrestricted trunk pattern, international prefixes included.
    let fraud = findings
        .iter()
        .find(|f| f["rule"] == "toll-fraud-pattern")
        .unwrap();
    assert_eq!(fraud["line"], 14);
    assert!(fraud["message"].as_str().unwrap().contains("810"));
    // 700 against the parking lot, and _X. against its spaces.
    assert!(has("include-shadowed", "extensions.conf", 17));
    assert!(has("include-shadowed", "extensions.conf", 12));
    // Unknown Dial option '&'.
    assert!(has("dial-unknown-option", "extensions.conf", 8));
    // Priorities that only work through pattern fall-through.
    assert!(has("priority-fallthrough", "extensions.conf", 16));
    assert_eq!(v["summary"]["errors"], 0);
}

#[test]
fn lint_text_and_diff() {
    let (code, out, _) = zvezda(&["lint", seed().to_str().unwrap(), "--diff"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("extensions.conf:16: warning [app-args]"),
        "{out}"
    );
    assert!(
        out.contains("\n-exten => 7777,3,Goto(menu,s,1,t&m)\n"),
        "{out}"
    );
    assert!(out.contains("\n+exten => 7777,3,Goto(menu,s,1)\n"), "{out}");
    assert!(
        out.contains("+exten => _1001,n,Dial(SIP/1001,10,tm)\n"),
        "{out}"
    );
}

#[test]
fn lint_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("extensions.conf"),
        "[a]\nexten => 1,1,Answer()\nsame => n,Hangup()\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("sip.conf"),
        "[general]\nbindport=5062\nallowguest=no\n",
    )
    .unwrap();
    let (code, out, _) = zvezda(&["lint", dir.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    std::fs::write(
        dir.path().join("extensions.conf"),
        "[a]\nexten => 1,1,NoSuchApp()\nsame => n,Goto(nowhere,1,1)\n",
    )
    .unwrap();
    let (code, out, _) = zvezda(&["lint", dir.path().to_str().unwrap()]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("extensions.conf:2: error [app-unknown]"),
        "{out}"
    );
    assert!(
        out.contains("extensions.conf:3: error [goto-target]"),
        "{out}"
    );
}

#[test]
fn bundled_default_config_runs_and_lints_clean() {
    let conf = root().join("src/default-config/asterisk.conf");
    let mut child = Command::new(env!("CARGO_BIN_EXE_zvezda"))
        .args(["-c", "-C", conf.to_str().unwrap()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"dialplan show office\ncore show version\ncore stop now\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("3 contexts, 2 SIP peers"), "{text}");
    assert!(text.contains("'_100X' =>        1. NoOp("), "{text}");
    assert!(text.contains("zvezda 0.1.0"), "{text}");
    let (code, out, _) = zvezda(&["lint", root().join("src/default-config").to_str().unwrap()]);
    assert_eq!(
        code, 0,
        "the bundled config is the example of a safe one: {out}"
    );
}
