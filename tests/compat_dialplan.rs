//! The dialplan compat runner: for every case of a suite under compat-tests/ (a folder
//! with extensions.conf, sip.conf, cases.tsv and expected/<id>.trace recorded from a real
//! Asterisk 20), start the real binary in the foreground, originate
//! `Local/<exten>@<context>/n application Wait 3` through the control socket
//! (`zvezda -rx`), take the verbose trace it printed, normalise the channel sequence
//! numbers, and diff against the expected trace with `similar`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_zvezda");

struct Server {
    child: Child,
    conf: PathBuf,
    lines: Arc<Mutex<Vec<String>>>,
    _dir: tempfile::TempDir,
}

impl Server {
    fn start(etc: &Path) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("asterisk.conf");
        std::fs::write(
            &conf,
            format!(
                "[directories]\nastetcdir => {}\nastrundir => {}/run\nastdbdir => {}/db\n",
                etc.display(),
                dir.path().display(),
                dir.path().display()
            ),
        )
        .unwrap();
        let mut child = Command::new(BIN)
            .args(["-f", "-c", "-n", "-vvv", "-C"])
            .arg(&conf)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start zvezda");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let out = child.stdout.take().unwrap();
        let l2 = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                l2.lock().unwrap().push(line);
            }
        });
        let s = Server {
            child,
            conf,
            lines,
            _dir: dir,
        };
        let t0 = Instant::now();
        while !s
            .lines
            .lock()
            .unwrap()
            .iter()
            .any(|l| l == "Asterisk Ready.")
        {
            assert!(
                t0.elapsed() < Duration::from_secs(20),
                "zvezda did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        s
    }

    fn rx(&self, cmd: &str) -> String {
        let out = Command::new(BIN)
            .arg("-C")
            .arg(&self.conf)
            .arg("-rx")
            .arg(cmd)
            .output()
            .expect("zvezda -rx");
        assert!(out.status.success(), "-rx {cmd}: {out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Wait until no channel is left (the case is over).
    fn wait_idle(&self) {
        let t0 = Instant::now();
        loop {
            let out = self.rx("core show channels count");
            if out.contains("\n0 active channels") || out.starts_with("0 active channels") {
                return;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(15),
                "calls did not end: {out}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.rx("core stop now");
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(3) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
    }
}

/// Keep the dialplan trace lines (verbose levels 2 and 3) and hide the sequence numbers.
fn normalise(lines: &[String]) -> String {
    let mut out = String::new();
    for l in lines {
        if !(l.starts_with("    -- ") || l.starts_with("  == ")) {
            continue;
        }
        out.push_str(&hide_seq(l));
        out.push('\n');
    }
    out
}

/// `-0000002a;2` → `-XXXXXXXX;2`.
fn hide_seq(l: &str) -> String {
    let mut out = String::with_capacity(l.len());
    let mut rest = l;
    while let Some(i) = rest.find(';') {
        let (head, tail) = rest.split_at(i);
        let cut = head.len().saturating_sub(9);
        if head.len() >= 9
            && head.is_char_boundary(cut)
            && head[cut..].starts_with('-')
            && head[cut + 1..].bytes().all(|c| c.is_ascii_hexdigit())
        {
            out.push_str(&head[..cut]);
            out.push_str("-XXXXXXXX");
        } else {
            out.push_str(head);
        }
        out.push(';');
        rest = &tail[1..];
    }
    out.push_str(rest);
    out
}

/// Run every case of a suite; returns the failures as (id, diff).
fn run_suite(suite: &Path) -> (usize, Vec<(String, String)>) {
    let server = Server::start(suite);
    let cases = std::fs::read_to_string(suite.join("cases.tsv")).unwrap();
    let mut failures = Vec::new();
    let mut n = 0;
    for row in cases.lines().skip(1) {
        let mut f = row.split('\t');
        let (Some(id), Some(target)) = (f.next(), f.next()) else {
            continue;
        };
        n += 1;
        let expected =
            std::fs::read_to_string(suite.join("expected").join(format!("{id}.trace"))).unwrap();
        let start = server.lines.lock().unwrap().len();
        server.rx(&format!("channel originate {target} application Wait 3"));
        server.wait_idle();
        // Lines may still be in the pipe: give the reader a moment.
        std::thread::sleep(Duration::from_millis(50));
        let got = normalise(&server.lines.lock().unwrap()[start..]);
        if got != expected {
            let diff = similar::TextDiff::from_lines(&expected, &got)
                .unified_diff()
                .header("expected (Asterisk 20)", "zvezda")
                .to_string();
            failures.push((id.to_string(), diff));
        }
    }
    (n, failures)
}

fn check(suite: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("compat-tests")
        .join(suite);
    let (n, failures) = run_suite(&dir);
    assert!(n > 0, "no cases in {suite}");
    for (id, diff) in &failures {
        eprintln!("--- case {id} differs:\n{diff}");
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ: {:?}",
        failures.len(),
        n,
        failures.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
}

#[test]
fn golden_dialplan_traces() {
    check("dialplan");
}

#[test]
fn normalising_hides_only_the_sequence() {
    assert_eq!(
        hide_seq("    -- Executing [1@x:1] NoOp(\"Local/1@x-0000002a;2\", \"\") in new stack"),
        "    -- Executing [1@x:1] NoOp(\"Local/1@x-XXXXXXXX;2\", \"\") in new stack"
    );
    assert_eq!(
        hide_seq("NoOp(\"Local/1@x-0000002a;2\", \"Иван\")"),
        "NoOp(\"Local/1@x-XXXXXXXX;2\", \"Иван\")"
    );
}
