//! The dialplan compat runner: for every case of a suite under compat-tests/ (a folder
//! with extensions.conf, sip.conf, cases.tsv and expected/<id>.trace recorded from a real
//! Asterisk 20), start the real binary in the foreground, originate
//! `Local/<exten>@<context>/n application Wait 3` through the control socket
//! (`zvezda -rx`), take the verbose trace it printed, normalise the channel sequence
//! numbers, and diff against the expected trace with `similar`.

mod support;

use std::path::Path;
use std::time::Duration;
use support::Server;

/// Keep the dialplan trace lines (verbose levels 2 and 3) and hide the sequence numbers.
fn normalise(lines: &[String]) -> String {
    let mut out = String::new();
    for l in lines {
        if !(l.starts_with("    -- ") || l.starts_with("  == ")) {
            continue;
        }
        out.push_str(&hide_bridge(&hide_seq(l)));
        out.push('\n');
    }
    out
}

/// A bridge's UUID is new each call: `basic-bridge <...>` → `basic-bridge <UUID>`.
fn hide_bridge(l: &str) -> String {
    match l.find("basic-bridge <") {
        Some(i) => format!("{}basic-bridge <UUID>", &l[..i]),
        None => l.to_string(),
    }
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

/// The levels of the log lines (`[date] WARNING[pid]: ...`).
fn log_levels(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .filter(|l| l.starts_with('['))
        .filter_map(|l| {
            let rest = l.split_once("] ")?.1;
            let level = rest.split(['[', ':']).next()?;
            matches!(level, "WARNING" | "NOTICE" | "ERROR").then(|| level.to_string())
        })
        .collect()
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
        let expected = std::fs::read_to_string(suite.join("expected").join(format!("{id}.trace")))
            .unwrap_or_default();
        let start = server.lines.lock().unwrap().len();
        server.rx(&format!("channel originate {target} application Wait 3"));
        server.wait_idle();
        // Lines may still be in the pipe: give the reader a moment.
        std::thread::sleep(Duration::from_millis(50));
        let window = server.lines.lock().unwrap()[start..].to_vec();
        let got = normalise(&window);
        // Where Asterisk logged warnings, zvezda logs them too, at the same levels and in
        // the same order (in its own words).
        let log_path = suite.join("expected").join(format!("{id}.log"));
        let want_levels: Vec<String> = std::fs::read_to_string(&log_path)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split_once(':').map(|(lv, _)| lv.to_string()))
            .collect();
        if !want_levels.is_empty() {
            let got_levels = log_levels(&window);
            if got_levels != want_levels {
                failures.push((
                    format!("{id}.log"),
                    format!("log levels: Asterisk {want_levels:?}, zvezda {got_levels:?}\n"),
                ));
            }
        }
        // Writing a new suite's traces for review: ZVEZDA_WRITE_TRACES=1.
        if std::env::var_os("ZVEZDA_WRITE_TRACES").is_some() {
            std::fs::write(suite.join("expected").join(format!("{id}.trace")), &got).unwrap();
            continue;
        }
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
fn own_dialplan_cases() {
    check("dialplan-zvezda");
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
