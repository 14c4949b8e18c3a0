//! One crafted config that trips every lint rule the seed does not: each finding is asserted
//! by rule id and line, so a rule that stops firing (or fires elsewhere) fails here.

use std::process::Command;

const EXTENSIONS: &str = "\
[general]
[globals]
[phones]
exten => 1,1,Dial,SIP/1001
exten => 2,1,Dial(SIP/1001|20)
exten => 3,1,NoOp(${NOSUCHFUNC(x)})
exten => 4,1,NoOp(${strftime(,,%Y)})
exten => 5,1,Macro(foo)
exten => 6,1,Festival(hello)
exten => 7,1,GotoIf($[1=1]?nowhere,1,1)
exten => 8,1,NoOp(one)
exten => 8,3,NoOp(three)
exten => _0.,1,Dial(SIP/trunk/${EXTEN})
exten => 9,1,Wait(soon)
exten => 10,1,Set(novalue)
include => nosuchcontext
";

const SIP: &str = "\
[general]
alwaysauthreject=no
allowguest=no
bindport=5060
[trunk]
type=peer
host=192.0.2.1
context=phones
[1001]
type=friend
host=dynamic
context=phones
secret=Str0ng-enough-Pass
canreinvite=yes
[1002]
type=friend
host=dynamic
context=nowhere
";

#[test]
fn every_rule_fires_where_expected() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("extensions.conf"), EXTENSIONS).unwrap();
    std::fs::write(dir.path().join("sip.conf"), SIP).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_zvezda"))
        .args(["lint", dir.path().to_str().unwrap(), "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = v["findings"].as_array().unwrap().clone();
    let has = |rule: &str, file: &str, line: u64| {
        findings.iter().any(|f| {
            f["rule"] == rule && f["file"].as_str().unwrap().ends_with(file) && f["line"] == line
        })
    };
    let want = [
        ("app-legacy-syntax", "extensions.conf", 4),
        ("app-pipe-separator", "extensions.conf", 5),
        ("func-unknown", "extensions.conf", 6),
        ("func-case", "extensions.conf", 7),
        ("app-deprecated", "extensions.conf", 8),
        ("app-unsupported", "extensions.conf", 9),
        ("goto-target", "extensions.conf", 10),
        ("priority-gap", "extensions.conf", 11),
        ("dial-injection", "extensions.conf", 13),
        ("toll-fraud-pattern", "extensions.conf", 13),
        ("app-args", "extensions.conf", 14),
        ("app-args", "extensions.conf", 15),
        ("include-undefined", "extensions.conf", 16),
        ("sip-alwaysauthreject", "sip.conf", 2),
        ("sip-default-port", "sip.conf", 4),
        ("sip-not-honoured", "sip.conf", 14),
        ("sip-no-secret", "sip.conf", 15),
        ("sip-peer-context-missing", "sip.conf", 18),
        ("sip-no-acl", "sip.conf", 9),
    ];
    let missing: Vec<_> = want.iter().filter(|(r, f, l)| !has(r, f, *l)).collect();
    assert!(
        missing.is_empty(),
        "missing {missing:?} in {}",
        serde_json::to_string_pretty(&findings).unwrap()
    );
    // allowguest=no: no guest finding; the strong secret is not called weak.
    assert!(!findings
        .iter()
        .any(|f| f["rule"] == "sip-allowguest" || f["rule"] == "sip-weak-secret"));
    // The legacy line has a fix in the new syntax.
    let legacy = findings
        .iter()
        .find(|f| f["rule"] == "app-legacy-syntax")
        .unwrap();
    assert_eq!(legacy["fix"], "exten => 1,1,Dial(SIP/1001)");
}
