//! chan_sip's regcontext/regexten (an extension exists while its peer is registered) and
//! device state (`DEVICE_STATE(SIP/x)`: RINGING while a call to it rings, BUSY at
//! `busylevel`, UNAVAILABLE when not registered). Real UDP on 127.0.0.1.

mod support;

use std::time::Duration;
use support::phone::Phone;
use support::{free_port, Server};

fn office(port: u16) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let sip = format!(
        "[general]\nbindaddr=127.0.0.1\nbindport={port}\nallowguest=no\nregcontext=sipregs\n\
         [1001]\ntype=friend\nhost=dynamic\nsecret=1234\ncontext=office\nregexten=501&1001@office\n\
         [1002]\ntype=friend\nhost=dynamic\nsecret=1234\ncontext=office\ncall-limit=2\nbusylevel=1\n"
    );
    std::fs::write(d.path().join("sip.conf"), sip).unwrap();
    // 1001@office is written in the file: regexten leaves it alone.
    std::fs::write(
        d.path().join("extensions.conf"),
        "[office]\nexten => 1001,1,NoOp(written)\n\
         exten => 2000,1,Dial(SIP/1002,10)\n\
         exten => 600,1,Verbose(0,state=${DEVICE_STATE(SIP/1002)})\nsame => n,Hangup()\n",
    )
    .unwrap();
    d
}

/// Call 600 as 1001 on its own Call-ID and return the state it logged.
fn state_seen(s: &Server, a: &Phone, call: &str, before: usize) -> String {
    let (_, r) = a.call("600", call, "1234");
    // 600 hangs up unanswered: the final response ends it.
    assert!(r.code().is_some_and(|c| c >= 400), "{r:?}");
    a.ack(&r, "600", call, 2, true);
    assert!(s.wait_line("state=", 5));
    let t0 = std::time::Instant::now();
    loop {
        let lines = s.lines.lock().unwrap().clone();
        let seen: Vec<&String> = lines
            .iter()
            .filter(|l| l.contains("state=") && !l.contains("Executing"))
            .collect();
        if seen.len() > before {
            return seen[before]
                .split("state=")
                .nth(1)
                .unwrap()
                .trim()
                .to_string();
        }
        assert!(t0.elapsed() < Duration::from_secs(5), "no new state line");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The console's answer to `cmd` once `ok` holds (or after 3 s).
fn shown(s: &Server, cmd: &str, ok: impl Fn(&str) -> bool) -> String {
    let t0 = std::time::Instant::now();
    loop {
        let out = s.rx(cmd);
        if ok(&out) || t0.elapsed() > Duration::from_secs(3) {
            return out;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn regexten_follows_registration() {
    let port = free_port();
    let dir = office(port);
    let s = Server::start(dir.path());
    // The context exists from the start, empty, made by SIP.
    let show = s.rx("dialplan show sipregs");
    assert!(
        show.contains("[ Context 'sipregs' created by 'SIP' ]"),
        "{show}"
    );
    assert!(!show.contains("Noop"), "{show}");
    let a = Phone::new(port);
    assert_eq!(a.register("1001", "1234").code(), Some(200));
    // The dialplan is rebuilt a moment after the registration.
    let show = shown(&s, "dialplan show sipregs", |t| t.contains("'501' =>"));
    assert!(show.contains("'501' =>"), "{show}");
    assert!(show.contains("1. Noop(1001)"), "{show}");
    assert!(show.contains("[SIP]"), "{show}");
    let office = s.rx("dialplan show 1001@office");
    assert!(office.contains("NoOp(written)"), "{office}");
    assert!(!office.contains("Noop(1001)"), "{office}");
    // `sip show peer` prints the line only with regcontext set.
    let peer = s.rx("sip show peer 1001");
    assert!(
        peer.contains("  Reg. exten   : 501&1001@office\n"),
        "{peer}"
    );
    // Unregistered: gone.
    assert_eq!(a.register_expires("1001", "1234", 0).code(), Some(200));
    let show = shown(&s, "dialplan show sipregs", |t| !t.contains("'501'"));
    assert!(!show.contains("'501'"), "{show}");
    assert!(
        show.contains("[ Context 'sipregs' created by 'SIP' ]"),
        "{show}"
    );
}

#[test]
fn device_state_ringing_busy_level_and_unavailable() {
    let port = free_port();
    let dir = office(port);
    let s = Server::start(dir.path());
    let a = Phone::new(port);
    assert_eq!(a.register("1001", "1234").code(), Some(200));
    // Not registered yet: no address.
    assert_eq!(state_seen(&s, &a, "ds0", 0), "UNAVAILABLE");
    let b = Phone::new(port);
    assert_eq!(b.register("1002", "1234").code(), Some(200));
    assert_eq!(state_seen(&s, &a, "ds1", 1), "NOT_INUSE");
    let peer = s.rx("sip show peer 1002");
    assert!(
        peer.contains("  Max forwards : 0\n  Busy level   : 1\n"),
        "{peer}"
    );
    // 1002 rings for a while, then answers.
    let callee = b.callee(
        &[180, 200],
        Duration::from_millis(1500),
        Duration::from_secs(8),
    );
    let caller = {
        let a2 = Phone::new(port);
        std::thread::spawn(move || {
            let (seen, ok) = a2.call("2000", "ring", "1234");
            (a2, seen, ok)
        })
    };
    assert!(s.wait_line("is ringing", 5));
    assert_eq!(state_seen(&s, &a, "ds2", 2), "RINGING");
    let (a2, seen, ok) = caller.join().unwrap();
    assert_eq!(ok.code(), Some(200), "{seen:?}");
    a2.ack(&ok, "2000", "ring", 2, false);
    // One call up, busylevel=1: busy before the call-limit of 2.
    assert_eq!(state_seen(&s, &a, "ds3", 3), "BUSY");
    a2.bye(&ok, "2000", "ring");
    assert_eq!(callee.join().unwrap(), vec!["INVITE", "ACK", "BYE"]);
    s.wait_idle();
    assert_eq!(state_seen(&s, &a, "ds4", 4), "NOT_INUSE");
}
