//! The SIP call-scenario compat suite: every case folder of compat-tests/sip/ is replayed
//! against the real zvezda binary (configs rendered from the case's templates, SIP on
//! 127.0.0.1, free ports for the server and every endpoint), and what each scripted endpoint
//! saw plus zvezda's verbose log (astlogdir/full, from logger.conf) must equal `expected/`,
//! which was recorded from (or written from the behaviour of) a real Asterisk 20 with chan_sip.
//!
//! Cases that cannot pass yet are listed with the reason, in PENDING_APPS (a dialplan
//! application zvezda lacks) or KNOWN_SIP_DIFFERENCES (zvezda's SIP core differs from
//! chan_sip); they still run, and their diff is printed. Every other case must match.

mod support;

#[path = "../tools/sipcompat/runner.rs"]
mod runner;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use support::{free_port, Server};

/// Cases that need a dialplan application zvezda does not have yet. They run and print
/// their diff, but do not fail.
const PENDING_APPS: &[(&str, &str)] = &[];

/// Cases where zvezda behaves differently from the recording (its SIP core from chan_sip, or
/// an application from Asterisk's); reported to whoever owns that part of src/, not changed
/// here. They run and print their diff, but do not fail.
const KNOWN_SIP_DIFFERENCES: &[(&str, &str)] = &[];

fn suite() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("compat-tests/sip")
}

/// Render the case for zvezda on free ports, start it, replay the scenario; the diff.
fn replay(name: &str) -> String {
    let case = runner::Case::load(&suite().join(name)).expect("scenario");
    let server_port = free_port();
    let ports: HashMap<String, u16> = case
        .endpoints
        .iter()
        .map(|e| (e.name.clone(), free_port()))
        .collect();
    let work = tempfile::tempdir().unwrap();
    let dirs = runner::Dirs {
        records: work.path().join("records"),
        sounds: work.path().join("sounds"),
    };
    std::fs::create_dir_all(&dirs.records).unwrap();
    std::fs::create_dir_all(&dirs.sounds).unwrap();
    // The user's two prompts (the recording machine had espeak-made ones): long enough that
    // no scenario outlasts them.
    for (name, hz) in [("voicemenu", 500.0), ("busy", 425.0)] {
        let prompt = support::rtp::tone(hz, 20_000, 3000.0);
        support::rtp::write_wav(&dirs.sounds.join(format!("{name}.wav")), &prompt);
    }
    let etc = work.path().join("etc");
    case.render(&etc, server_port, &ports, &dirs)
        .expect("render");
    let text = std::fs::read_to_string(etc.join("sip.conf")).unwrap();
    assert!(
        !text.contains("register =>") && !text.contains("zadarma.com"),
        "a test config must never reach the real provider"
    );
    let server = Server::start(&etc);
    let opt = runner::RunOptions {
        server: format!("127.0.0.1:{server_port}").parse().unwrap(),
        ports,
        trace_file: Some(server.dir.path().join("log/full")),
        dirs,
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // Every step has its own timeout; this bounds the whole case on top (the longest case,
    // t3b_7777_noanswer, takes about 92 s: two 20 s prompts, Dial's 30 s, Record's 15 s).
    let got = rt
        .block_on(async {
            tokio::time::timeout(
                std::time::Duration::from_secs(150),
                runner::run(&case, &opt),
            )
            .await
        })
        .expect("the case ended in time")
        .expect("the case ran");
    drop(server);
    runner::diff(&case, &got)
}

fn check(name: &str) {
    let diff = replay(name);
    let pending = PENDING_APPS.iter().chain(KNOWN_SIP_DIFFERENCES);
    match pending.clone().find(|(n, _)| *n == name) {
        Some((_, why)) => {
            // A listed case that passes must leave the list (so the lists stay true).
            assert!(
                !diff.is_empty(),
                "{name}: listed as pending ({why}) but passes now: take it off the list"
            );
            {
                eprintln!("{name}: pending ({why}); differs:\n{diff}");
            }
        }
        None => assert!(diff.is_empty(), "{name} differs from Asterisk:\n{diff}"),
    }
}

macro_rules! cases {
    ($($t:ident),* $(,)?) => {
        $( #[test] fn $t() { check(stringify!($t)); } )*
        const CASES: &[&str] = &[$(stringify!($t)),*];
    };
}

cases!(
    t1_register,
    t1c_register_unknown_alwaysauthreject_no,
    t2_call_1001_to_1002,
    t2a_noanswer,
    t2b_busy,
    t2c_cancel,
    t3d_unknown_12345,
    t3d_unknown_5,
    t3d_unknown_star99,
    t3e_guest_9999_default,
    t3f_1001_wrongpass,
    t3g_guest_9999_from_zadarma_ip,
    t3h_guest_allowguest_no_alwaysauthreject_yes,
    t3i_guest_allowguest_no_alwaysauthreject_no,
    t3j_1001_wrongpass_alwaysauthreject_no,
    t3k_11digit_zadarma,
    t3m_1001_self_followme,
    t3a_7777_uas_answers,
    t3b_7777_noanswer,
);

/// Every case folder has its test above, and every pending entry names a case.
#[test]
fn every_case_folder_is_run() {
    let mut dirs: Vec<String> = std::fs::read_dir(suite())
        .unwrap()
        .flatten()
        .filter(|e| e.path().join("scenario").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    dirs.sort();
    let mut listed: Vec<String> = CASES.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(dirs, listed);
    for (p, _) in PENDING_APPS.iter().chain(KNOWN_SIP_DIFFERENCES) {
        assert!(CASES.contains(p), "pending entry {p} is no case");
    }
}

/// The trace normaliser keeps the behaviour lines of both an Asterisk console capture and a
/// zvezda log file, and hides sequence numbers, dates and folders the same way.
#[test]
fn trace_normalisation_reads_console_and_log_file() {
    let console = "  == Using SIP RTP CoS mark 5\n\
        \x20   -- Executing [1002@outcoling:1] Set(\"SIP/1001-00000006\", \"fname=202611270117-1001-1002\") in new stack\n\
        [2026-11-27 01:17:41.976] WARNING[27960][C-00000004]: app.c:3125 parse_options: Unrecognized option: '&'\n\
        \x20   -- SIP/1002-00000007 answered SIP/1001-00000006\n\
        set_destination: set destination to 127.0.0.1:5181\n";
    let file = "[Nov 27 06:34:45] VERBOSE[19697]:     -- Executing [1002@outcoling:1] Set(\"SIP/1001-0000002a\", \"fname=202611270634-1001-1002\") in new stack\n\
        [Nov 27 06:34:45] WARNING[19697]: app.c: Unrecognized option: '&'\n\
        [Nov 27 06:34:45] VERBOSE[19697]:     -- SIP/1002-0000002b answered SIP/1001-0000002a\n\
        [Nov 27 06:34:45] VERBOSE[19697]:   == Using SIP RTP CoS mark 5\n";
    let a = runner::normalise_trace(console, &[]);
    let b = runner::normalise_trace(file, &[]);
    assert_eq!(a, b);
    assert_eq!(
        a,
        "Executing [1002@outcoling:1] Set(\"SIP/1001-<n1>\", \"fname=<time>-1001-1002\") in new stack\n\
         WARNING: Unrecognized option: '&'\n\
         SIP/1002-<n2> answered SIP/1001-<n1>\n"
    );
}
