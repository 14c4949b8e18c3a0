//! DTMF transfers in the two-party bridge (features.conf `blindxfer` and `atxfer`, armed by
//! Dial's `t`/`T`), as Asterisk 20 does them: the caller blind-transfers the called party
//! (`T`); the called party makes an attended transfer that completes when it hangs up after
//! the target answered (then the transferee and the target hear each other); the target is
//! busy or does not answer (the transferer is back with the transferee). Real SIP and RTP.

mod support;

use std::net::SocketAddr;
use std::time::Duration;
use support::calls::*;
use support::phone::{sdp_for, Phone};
use support::rtp::RtpPeer;
use support::{free_port, Server};
use zvezda::sip::message::Message;

/// 1001, 1002 and 6666 in context `office`; features.conf as the reference recordings had it
/// (plus `extra` lines in `[general]`).
fn office(port: u16, extensions: &str, extra: &str) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let mut sip = format!("[general]\nbindaddr=127.0.0.1\nbindport={port}\nallowguest=no\n");
    for p in ["1001", "1002", "6666"] {
        sip.push_str(&format!(
            "[{p}]\ntype=friend\nhost=dynamic\nsecret=1234\ncontext=office\n"
        ));
    }
    std::fs::write(d.path().join("sip.conf"), sip).unwrap();
    std::fs::write(d.path().join("extensions.conf"), extensions).unwrap();
    std::fs::write(
        d.path().join("features.conf"),
        format!(
            "[general]\ntransferdigittimeout=>3\n{extra}[featuremap]\nblindxfer=>#\natxfer=>*2\n"
        ),
    )
    .unwrap();
    d
}

/// The called phone hangs up the call it answered (`inv`): BYE in its dialog.
fn callee_bye(p: &Phone, inv: &Message) {
    let me = p.sock.local_addr().unwrap();
    p.send(&format!(
        "BYE sip:{}@127.0.0.1:{} SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch=z9hG4bK-cb{};rport\r\n\
         From: {};tag={}t\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: 7 BYE\r\nContent-Length: 0\r\n\r\n",
        p.user,
        p.port,
        p.user,
        inv.header("To").unwrap(),
        p.user,
        inv.header("From").unwrap(),
        inv.call_id().unwrap()
    ));
}

/// 1001 calls 1002 (answered at once); returns the phones, their RTP, and the addresses
/// zvezda takes their audio on.
struct Call {
    a: Phone,
    a_rtp: RtpPeer,
    a_to: SocketAddr,
    ok: Message,
    b: Phone,
    b_rtp: RtpPeer,
    b_to: SocketAddr,
    b_inv: Message,
}

fn call_1002(port: u16, call: &str) -> Call {
    let (b, b_rtp) = phone(port, "1002");
    let a_rtp = RtpPeer::new();
    let mut a = Phone::new(port);
    a.sdp = sdp_for(a_rtp.port(), &[8]);
    let callee = std::thread::spawn(move || {
        let inv = next_request(&b, "INVITE");
        b.send(&respond(&b, &inv, 200, "OK"));
        (b, inv)
    });
    let (seen, ok) = a.call("1002", call, "1234");
    assert_eq!(ok.code(), Some(200), "{seen:?}");
    a.ack(&ok, "1002", call, 2, false);
    let (b, b_inv) = callee.join().unwrap();
    assert_eq!(next_request(&b, "ACK").method(), Some("ACK"));
    let a_to = rtp_target(&ok.body);
    let b_to = rtp_target(&b_inv.body);
    Call {
        a,
        a_rtp,
        a_to,
        ok,
        b,
        b_rtp,
        b_to,
        b_inv,
    }
}

/// 1001 called 1002 (`Dial(SIP/1002,,t)`), 1002 pressed `*2` and 6666, and 6666 (a phone
/// that answers) answered the consultation call.
struct Consult {
    _dir: tempfile::TempDir,
    s: Server,
    c: Phone,
    c_rtp: RtpPeer,
    target: std::thread::JoinHandle<Vec<String>>,
    call: Call,
}

fn consult_6666(name: &str) -> Consult {
    let port = free_port();
    let dir = office(
        port,
        "[office]\nexten => 1002,1,Dial(SIP/1002,,t)\nsame => n,Hangup()\n\
         exten => 6666,1,Dial(SIP/6666)\nsame => n,Hangup()\n",
        "",
    );
    let s = Server::start(dir.path());
    let (c, c_rtp) = phone(port, "6666");
    let target = c.callee(&[200], Duration::from_millis(100), Duration::from_secs(20));
    let mut call = call_1002(port, name);
    std::thread::sleep(Duration::from_millis(300));
    press(&mut call.b_rtp, call.b_to, "*2");
    assert!(s.wait_line("Started DTMF attended transfer.", 3));
    press(&mut call.b_rtp, call.b_to, "6666");
    assert!(
        s.wait_line("answered Local/6666@office-00000000;2", 6),
        "{}",
        trace(&s)
    );
    Consult {
        _dir: dir,
        s,
        c,
        c_rtp,
        target,
        call,
    }
}

/// `T`: the caller presses `#` and 6666; it is released (BYE), the called leg hears music
/// on hold meanwhile, then runs 6666@office with CALLERID(num) = the number the caller
/// dialled, Dials 6666 (INVITE From 1002) and talks to it.
#[test]
fn caller_blind_transfers_the_called_party() {
    let port = free_port();
    let dir = office(
        port,
        "[office]\nexten => 1002,1,Dial(SIP/1002,,T)\nsame => n,Hangup()\n\
         exten => 6666,1,NoOp(from ${CALLERID(num)} by ${BLINDTRANSFER})\nsame => n,Dial(SIP/6666)\nsame => n,Hangup()\n",
        "",
    );
    let s = Server::start(dir.path());
    let (c, c_rtp) = phone(port, "6666");
    let target = c.callee(
        &[180, 200],
        Duration::from_millis(300),
        Duration::from_secs(15),
    );
    let Call {
        a,
        mut a_rtp,
        a_to,
        b,
        b_rtp,
        b_to,
        b_inv,
        ..
    } = call_1002(port, "tblind");
    std::thread::sleep(Duration::from_millis(300));
    press(&mut a_rtp, a_to, "#");
    assert!(s.wait_line("Channel SIP/1001-00000000: Started DTMF blind transfer.", 3));
    // The called party hears music while the caller dials.
    let held = b_rtp.collect(Duration::from_millis(800), |_| false);
    assert!(
        held.iter().filter(|g| support::rtp::loud(g)).count() >= 10,
        "1002 heard no music on hold ({} packets)",
        held.len()
    );
    // After the announcement the caller hears dial tone (the `us` zone's 350+440 Hz).
    drain(&a_rtp);
    let pcm = support::rtp::decode(&a_rtp.collect(Duration::from_millis(400), |_| false));
    let dialtone = support::rtp::energy_at(&pcm, 350.0) + support::rtp::energy_at(&pcm, 440.0);
    assert!(
        dialtone > 0.5,
        "no dial tone ({dialtone}, {} samples)",
        pcm.len()
    );
    press(&mut a_rtp, a_to, "6666");
    // 6666 is unique in the context: no wait for the digit timeout.
    let bye = next_request(&a, "BYE");
    assert_eq!(bye.call_id(), Some("tblind"));
    ok_to(&a, &bye);
    assert!(s.wait_line("SIP/6666-00000002 answered SIP/1002-00000001", 5));
    std::thread::sleep(Duration::from_millis(300));
    drain(&c_rtp);
    let c_to = rtp_target(c.offers.lock().unwrap()[0].as_bytes());
    let (b_rtp, heard) = tone_heard(b_rtp, b_to, &c_rtp, 700.0);
    assert!(heard > 0.5, "6666 did not hear 1002 ({heard})");
    drain(&b_rtp);
    let (_c_rtp, heard) = tone_heard(c_rtp, c_to, &b_rtp, 1100.0);
    assert!(heard > 0.5, "1002 did not hear 6666 ({heard})");
    // 1002 hangs up: 6666 gets the BYE.
    callee_bye(&b, &b_inv);
    assert_eq!(target.join().unwrap(), vec!["INVITE", "ACK", "BYE"]);
    s.wait_idle();
    let offers = c.offers.lock().unwrap().clone();
    assert_eq!(offers.len(), 1);
    let t = trace(&s);
    in_order(
        &t,
        &[
            "    -- Channel SIP/1001-00000000: Started DTMF blind transfer.",
            "    -- Started music on hold, class 'default', on channel 'SIP/1002-00000001'",
            "    -- <SIP/1001-00000000> Playing 'pbx-transfer.slin' (language 'en')",
            "    -- Stopped music on hold on SIP/1002-00000001",
            "    -- Channel SIP/1001-00000000 left 'simple_bridge' basic-bridge <",
            "    -- Channel SIP/1002-00000001 left 'simple_bridge' basic-bridge <",
            "    -- Executing [6666@office:1] NoOp(\"SIP/1002-00000001\", \"from 1002 by SIP/1001-00000000\") in new stack",
            "    -- Executing [6666@office:2] Dial(\"SIP/1002-00000001\", \"SIP/6666\") in new stack",
            "    -- SIP/6666-00000002 answered SIP/1002-00000001",
        ],
    );
    assert!(!t.contains("not supported"), "{t}");
}

/// `t` + `atxfer`: 1002 presses `*2` and 6666 while 1001 hears music; Local/6666@office
/// calls 6666 (From 1002); 1002 talks to 6666, then hangs up: the transfer completes
/// (`beep` to the target) and 1001 and 6666 hear each other until 1001 hangs up.
#[test]
fn attended_transfer_completes_when_the_transferer_hangs_up() {
    let port = free_port();
    let dir = office(
        port,
        "[office]\nexten => 1002,1,Dial(SIP/1002,,t)\nsame => n,Hangup()\n\
         exten => 6666,1,NoOp(consult for ${CALLERID(num)} by ${TRANSFERERNAME})\nsame => n,Dial(SIP/6666)\nsame => n,Hangup()\n",
        "",
    );
    let s = Server::start(dir.path());
    let (c, c_rtp) = phone(port, "6666");
    let target = c.callee(
        &[180, 200],
        Duration::from_millis(500),
        Duration::from_secs(20),
    );
    let Call {
        a,
        a_rtp,
        a_to,
        ok,
        b,
        mut b_rtp,
        b_to,
        b_inv,
    } = call_1002(port, "atx");
    std::thread::sleep(Duration::from_millis(300));
    press(&mut b_rtp, b_to, "*2");
    assert!(s.wait_line(
        "Channel SIP/1002-00000001: Started DTMF attended transfer.",
        3
    ));
    let held = a_rtp.collect(Duration::from_millis(800), |_| false);
    assert!(
        held.iter().filter(|g| support::rtp::loud(g)).count() >= 10,
        "1001 heard no music on hold ({} packets)",
        held.len()
    );
    press(&mut b_rtp, b_to, "6666");
    assert!(
        s.wait_line("answered Local/6666@office-00000000;2", 6),
        "{}",
        trace(&s)
    );
    std::thread::sleep(Duration::from_millis(300));
    // The consultation: 1002 and 6666 hear each other; 1001 still hears music.
    let c_to = rtp_target(c.offers.lock().unwrap()[0].as_bytes());
    drain(&c_rtp);
    let (b_rtp, heard) = tone_heard(b_rtp, b_to, &c_rtp, 700.0);
    assert!(heard > 0.5, "6666 did not hear the transferer ({heard})");
    drain(&b_rtp);
    let (c_rtp, heard) = tone_heard(c_rtp, c_to, &b_rtp, 1100.0);
    assert!(heard > 0.5, "the transferer did not hear 6666 ({heard})");
    let pcm = support::rtp::decode(&a_rtp.collect(Duration::from_millis(300), |_| false));
    assert!(
        support::rtp::energy_at(&pcm, 1100.0) < 0.2,
        "the transferee heard the consultation"
    );
    // 1002 hangs up: 1001 and 6666 are bridged.
    callee_bye(&b, &b_inv);
    assert!(s.wait_line("Playing 'beep.", 3), "{}", trace(&s));
    std::thread::sleep(Duration::from_millis(800));
    drain(&c_rtp);
    let (a_rtp, heard) = tone_heard(a_rtp, a_to, &c_rtp, 900.0);
    assert!(heard > 0.5, "6666 did not hear 1001 ({heard})");
    drain(&a_rtp);
    let (mut c_rtp, heard) = tone_heard(c_rtp, c_to, &a_rtp, 1300.0);
    assert!(heard > 0.5, "1001 did not hear 6666 ({heard})");
    // The transferer's `t` does not pass to the target: its '#' is a digit for 1001.
    drain(&a_rtp);
    c_rtp.send_dtmf(c_to, '#', 160);
    let got = a_rtp.collect(Duration::from_millis(500), |g| {
        g.iter().any(|x| x.pt == 101)
    });
    assert!(
        got.iter().any(|x| x.pt == 101),
        "6666's # did not reach 1001"
    );
    a.bye(&ok, "1002", "atx");
    assert_eq!(target.join().unwrap(), vec!["INVITE", "ACK", "BYE"]);
    s.wait_idle();
    let offer = c.offers.lock().unwrap()[0].clone();
    assert!(!offer.is_empty());
    let t = trace(&s);
    in_order(
        &t,
        &[
            "    -- Channel SIP/1002-00000001: Started DTMF attended transfer.",
            "    -- Started music on hold, class 'default', on channel 'SIP/1001-00000000'",
            "    -- <SIP/1002-00000001> Playing 'pbx-transfer.slin' (language 'en')",
            "    -- Channel Local/6666@office-00000000;1 joined 'simple_bridge' basic-bridge <",
            "    -- Channel SIP/1002-00000001 joined 'simple_bridge' basic-bridge <",
            "    -- SIP/6666-00000002 answered Local/6666@office-00000000;2",
            "    -- Channel Local/6666@office-00000000;1 left 'simple_bridge' basic-bridge <",
            "    -- Stopped music on hold on SIP/1001-00000000",
            "    -- Channel Local/6666@office-00000000;1 joined 'simple_bridge' basic-bridge <",
            "    -- <Local/6666@office-00000000;1> Playing 'beep.slin' (language 'en')",
            "    -- Channel SIP/1001-00000000 left 'simple_bridge' basic-bridge <",
        ],
    );
    assert!(
        t.contains(
            "NoOp(\"Local/6666@office-00000000;2\", \"consult for 1002 by SIP/1002-00000001\")"
        ),
        "{t}"
    );
}

/// The target of an attended transfer is busy, or does not answer within
/// `atxfernoanswertimeout`: the transferer is back with the transferee (music stops, they
/// hear each other again), the target leg is gone.
#[test]
fn attended_transfer_to_a_busy_or_silent_target_returns() {
    for busy in [true, false] {
        let port = free_port();
        let dir = office(
            port,
            "[office]\nexten => 1002,1,Dial(SIP/1002,,t)\nsame => n,Hangup()\n\
             exten => 6666,1,Dial(SIP/6666,20)\nsame => n,Hangup()\n",
            "atxfernoanswertimeout=>2\n",
        );
        let s = Server::start(dir.path());
        let (c, _c_rtp) = phone(port, "6666");
        let codes: &'static [u16] = if busy { &[486] } else { &[180] };
        let target = c.callee(codes, Duration::from_millis(100), Duration::from_secs(8));
        let Call {
            a,
            a_rtp,
            a_to,
            ok,
            b,
            mut b_rtp,
            b_to,
            ..
        } = call_1002(port, "atxb");
        std::thread::sleep(Duration::from_millis(300));
        press(&mut b_rtp, b_to, "*2");
        assert!(s.wait_line("Started DTMF attended transfer.", 3));
        press(&mut b_rtp, b_to, "6666");
        let t0 = std::time::Instant::now();
        assert!(
            s.wait_line("Stopped music on hold on SIP/1001-00000000", 8),
            "{}",
            trace(&s)
        );
        if !busy {
            assert!(
                t0.elapsed() >= Duration::from_millis(1500),
                "back after {:?}, before atxfernoanswertimeout",
                t0.elapsed()
            );
        }
        std::thread::sleep(Duration::from_millis(300));
        drain(&b_rtp);
        let (a_rtp, heard) = tone_heard(a_rtp, a_to, &b_rtp, 900.0);
        assert!(
            heard > 0.5,
            "busy={busy}: 1002 did not hear 1001 again ({heard})"
        );
        drain(&a_rtp);
        let (_b_rtp, heard) = tone_heard(b_rtp, b_to, &a_rtp, 1300.0);
        assert!(
            heard > 0.5,
            "busy={busy}: 1001 did not hear 1002 again ({heard})"
        );
        a.bye(&ok, "1002", "atxb");
        assert_eq!(next_request(&b, "BYE").method(), Some("BYE"));
        let got = target.join().unwrap();
        if busy {
            assert_eq!(got, vec!["INVITE", "ACK"], "busy: {got:?}");
        } else {
            assert_eq!(got, vec!["INVITE", "CANCEL"], "no answer: {got:?}");
        }
        s.wait_idle();
        let t = trace(&s);
        in_order(
            &t,
            &[
                "    -- Channel SIP/1002-00000001: Started DTMF attended transfer.",
                "    -- Channel Local/6666@office-00000000;1 joined 'simple_bridge' basic-bridge <",
                "    -- Channel SIP/1002-00000001 left 'simple_bridge' basic-bridge <",
                "    -- Channel SIP/1002-00000001 joined 'simple_bridge' basic-bridge <",
                "    -- Stopped music on hold on SIP/1001-00000000",
                "    -- Channel SIP/1001-00000000 left 'simple_bridge' basic-bridge <",
            ],
        );
        if busy {
            assert!(t.contains("SIP/6666-00000002 is busy"), "{t}");
        }
        // The failed transfer's xferfailsound (`beeperr`) to the transferer.
        assert!(
            t.contains("    -- <SIP/1002-00000001> Playing 'beeperr.slin' (language 'en')"),
            "{t}"
        );
    }
}

/// `T` + `atxfer`: the caller consults 6666 and hangs up after it answered: the called
/// party and 6666 hear each other (without the caller's channel) until 1002 hangs up.
#[test]
fn caller_attended_transfer_leaves_the_called_party_with_the_target() {
    let port = free_port();
    let dir = office(
        port,
        "[office]\nexten => 1002,1,Dial(SIP/1002,,T)\nsame => n,Hangup()\n\
         exten => 6666,1,Dial(SIP/6666)\nsame => n,Hangup()\n",
        "",
    );
    let s = Server::start(dir.path());
    let (c, c_rtp) = phone(port, "6666");
    let target = c.callee(
        &[180, 200],
        Duration::from_millis(300),
        Duration::from_secs(20),
    );
    let Call {
        a,
        mut a_rtp,
        a_to,
        ok,
        b,
        b_rtp,
        b_to,
        b_inv,
    } = call_1002(port, "tatx");
    std::thread::sleep(Duration::from_millis(300));
    press(&mut a_rtp, a_to, "*2");
    assert!(s.wait_line(
        "Channel SIP/1001-00000000: Started DTMF attended transfer.",
        3
    ));
    press(&mut a_rtp, a_to, "6666");
    assert!(
        s.wait_line("answered Local/6666@office-00000000;2", 6),
        "{}",
        trace(&s)
    );
    // The caller hangs up: 1002 and 6666 are bridged.
    a.bye(&ok, "1002", "tatx");
    assert_eq!(a.recv().code(), Some(200));
    assert!(s.wait_line("Playing 'beep.", 3), "{}", trace(&s));
    std::thread::sleep(Duration::from_millis(800));
    let c_to = rtp_target(c.offers.lock().unwrap()[0].as_bytes());
    drain(&c_rtp);
    let (b_rtp, heard) = tone_heard(b_rtp, b_to, &c_rtp, 700.0);
    assert!(heard > 0.5, "6666 did not hear 1002 ({heard})");
    drain(&b_rtp);
    let (_c_rtp, heard) = tone_heard(c_rtp, c_to, &b_rtp, 1100.0);
    assert!(heard > 0.5, "1002 did not hear 6666 ({heard})");
    callee_bye(&b, &b_inv);
    assert_eq!(target.join().unwrap(), vec!["INVITE", "ACK", "BYE"]);
    s.wait_idle();
    let t = trace(&s);
    in_order(
        &t,
        &[
            "    -- Channel SIP/1001-00000000: Started DTMF attended transfer.",
            "    -- Started music on hold, class 'default', on channel 'SIP/1002-00000001'",
            "    -- Channel SIP/1001-00000000 joined 'simple_bridge' basic-bridge <",
            "    -- Stopped music on hold on SIP/1002-00000001",
            "    -- Channel Local/6666@office-00000000;1 joined 'simple_bridge' basic-bridge <",
            "    -- <Local/6666@office-00000000;1> Playing 'beep.slin' (language 'en')",
            "  == Spawn extension (office, 1002, 1) exited non-zero on 'SIP/1001-00000000'",
            "    -- Channel SIP/1002-00000001 left 'simple_bridge' basic-bridge <",
        ],
    );
}

/// The transferer hangs up while the target still rings (a "blond" transfer,
/// `atxferdropcall=no`): the transferee waits for it and talks to it once it answers.
#[test]
fn blond_transfer_connects_when_the_target_answers() {
    let port = free_port();
    let dir = office(
        port,
        "[office]\nexten => 1002,1,Dial(SIP/1002,,t)\nsame => n,Hangup()\n\
         exten => 6666,1,Dial(SIP/6666)\nsame => n,Hangup()\n",
        "",
    );
    let s = Server::start(dir.path());
    let (c, c_rtp) = phone(port, "6666");
    let target = c.callee(
        &[180, 200],
        Duration::from_millis(2500),
        Duration::from_secs(20),
    );
    let Call {
        a,
        a_rtp,
        a_to,
        ok,
        b,
        mut b_rtp,
        b_to,
        b_inv,
    } = call_1002(port, "blond");
    std::thread::sleep(Duration::from_millis(300));
    press(&mut b_rtp, b_to, "*2");
    assert!(s.wait_line("Started DTMF attended transfer.", 3));
    press(&mut b_rtp, b_to, "6666");
    assert!(
        s.wait_line("SIP/6666-00000002 is ringing", 4),
        "{}",
        trace(&s)
    );
    // The transferer hears ringback (the `us` zone's 440+480 Hz) while the target rings.
    drain(&b_rtp);
    let pcm = support::rtp::decode(&b_rtp.collect(Duration::from_millis(600), |_| false));
    let ringback = support::rtp::energy_at(&pcm, 440.0) + support::rtp::energy_at(&pcm, 480.0);
    assert!(
        pcm.len() >= 2400 && ringback > 0.5,
        "no ringback ({ringback}, {} samples)",
        pcm.len()
    );
    callee_bye(&b, &b_inv);
    assert!(s.wait_line("Stopped music on hold on SIP/1001-00000000", 3));
    assert!(
        s.wait_line("answered Local/6666@office-00000000;2", 6),
        "{}",
        trace(&s)
    );
    std::thread::sleep(Duration::from_millis(300));
    let c_to = rtp_target(c.offers.lock().unwrap()[0].as_bytes());
    drain(&c_rtp);
    let (a_rtp, heard) = tone_heard(a_rtp, a_to, &c_rtp, 900.0);
    assert!(heard > 0.5, "6666 did not hear 1001 ({heard})");
    drain(&a_rtp);
    let (_c_rtp, heard) = tone_heard(c_rtp, c_to, &a_rtp, 1300.0);
    assert!(heard > 0.5, "1001 did not hear 6666 ({heard})");
    a.bye(&ok, "1002", "blond");
    assert_eq!(target.join().unwrap(), vec!["INVITE", "ACK", "BYE"]);
    s.wait_idle();
}

/// `atxferabort` (`*1`, the default) during the consultation: the target is hung up and
/// the transferer is back with the transferee.
#[test]
fn attended_transfer_abort_returns_to_the_transferee() {
    let port = free_port();
    let dir = office(
        port,
        "[office]\nexten => 1002,1,Dial(SIP/1002,,t)\nsame => n,Hangup()\n\
         exten => 6666,1,Dial(SIP/6666)\nsame => n,Hangup()\n",
        "",
    );
    let s = Server::start(dir.path());
    let (c, c_rtp) = phone(port, "6666");
    let target = c.callee(&[200], Duration::from_millis(100), Duration::from_secs(20));
    let Call {
        a,
        a_rtp,
        a_to,
        ok,
        b,
        mut b_rtp,
        b_to,
        ..
    } = call_1002(port, "abort");
    std::thread::sleep(Duration::from_millis(300));
    press(&mut b_rtp, b_to, "*2");
    assert!(s.wait_line("Started DTMF attended transfer.", 3));
    press(&mut b_rtp, b_to, "6666");
    assert!(
        s.wait_line("answered Local/6666@office-00000000;2", 6),
        "{}",
        trace(&s)
    );
    std::thread::sleep(Duration::from_millis(300));
    // A lone '*' (the start of the codes) reaches the target after featuredigittimeout.
    drain(&c_rtp);
    b_rtp.send_dtmf(b_to, '*', 160);
    let got = c_rtp.collect(Duration::from_millis(2500), |g| {
        g.iter().any(|x| x.pt == 101)
    });
    assert!(
        got.iter().any(|x| x.pt == 101),
        "the '*' never reached the target"
    );
    std::thread::sleep(Duration::from_millis(300));
    press(&mut b_rtp, b_to, "*1");
    // The target is released; 1001 and 1002 talk again.
    assert_eq!(target.join().unwrap(), vec!["INVITE", "ACK", "BYE"]);
    assert!(s.wait_line("Stopped music on hold on SIP/1001-00000000", 3));
    std::thread::sleep(Duration::from_millis(300));
    drain(&b_rtp);
    let (a_rtp, heard) = tone_heard(a_rtp, a_to, &b_rtp, 900.0);
    assert!(heard > 0.5, "1002 did not hear 1001 again ({heard})");
    drain(&a_rtp);
    let (_b_rtp, heard) = tone_heard(b_rtp, b_to, &a_rtp, 1300.0);
    assert!(heard > 0.5, "1001 did not hear 1002 again ({heard})");
    a.bye(&ok, "1002", "abort");
    assert_eq!(next_request(&b, "BYE").method(), Some("BYE"));
    s.wait_idle();
}

/// `atxfercomplete` (`*2` by default, the same keys as the reference's `atxfer`): the
/// transferer completes without hanging up; zvezda hangs it up (BYE) and bridges the
/// transferee with the target.
#[test]
fn attended_transfer_completes_with_the_complete_code() {
    let port = free_port();
    let dir = office(
        port,
        "[office]\nexten => 1002,1,Dial(SIP/1002,,t)\nsame => n,Hangup()\n\
         exten => 6666,1,Dial(SIP/6666)\nsame => n,Hangup()\n",
        "",
    );
    let s = Server::start(dir.path());
    let (c, c_rtp) = phone(port, "6666");
    let target = c.callee(&[200], Duration::from_millis(100), Duration::from_secs(20));
    let Call {
        a,
        a_rtp,
        a_to,
        ok,
        b,
        mut b_rtp,
        b_to,
        ..
    } = call_1002(port, "cplt");
    std::thread::sleep(Duration::from_millis(300));
    press(&mut b_rtp, b_to, "*2");
    assert!(s.wait_line("Started DTMF attended transfer.", 3));
    press(&mut b_rtp, b_to, "6666");
    assert!(
        s.wait_line("answered Local/6666@office-00000000;2", 6),
        "{}",
        trace(&s)
    );
    std::thread::sleep(Duration::from_millis(300));
    press(&mut b_rtp, b_to, "*2");
    let bye = next_request(&b, "BYE");
    ok_to(&b, &bye);
    assert!(s.wait_line("Playing 'beep.", 3), "{}", trace(&s));
    std::thread::sleep(Duration::from_millis(800));
    let c_to = rtp_target(c.offers.lock().unwrap()[0].as_bytes());
    drain(&c_rtp);
    let (a_rtp, heard) = tone_heard(a_rtp, a_to, &c_rtp, 900.0);
    assert!(heard > 0.5, "6666 did not hear 1001 ({heard})");
    drain(&a_rtp);
    let (_c_rtp, heard) = tone_heard(c_rtp, c_to, &a_rtp, 1300.0);
    assert!(heard > 0.5, "1001 did not hear 6666 ({heard})");
    a.bye(&ok, "1002", "cplt");
    assert_eq!(target.join().unwrap(), vec!["INVITE", "ACK", "BYE"]);
    s.wait_idle();
}

/// Asterisk's default `atxferdropcall=no`: after a blond transfer whose target does not
/// answer within `atxfernoanswertimeout`, the transferer is called back; when it answers
/// it talks with the transferee again.
#[test]
fn blond_transfer_calls_the_transferer_back() {
    let port = free_port();
    let dir = office(
        port,
        "[office]\nexten => 1002,1,Dial(SIP/1002,,t)\nsame => n,Hangup()\n\
         exten => 6666,1,Dial(SIP/6666)\nsame => n,Hangup()\n",
        "atxfernoanswertimeout=>2\natxferloopdelay=>1\n",
    );
    let s = Server::start(dir.path());
    let (c, _c_rtp) = phone(port, "6666");
    let target = c.callee(&[180], Duration::from_millis(100), Duration::from_secs(6));
    let Call {
        a,
        a_rtp,
        a_to,
        ok,
        b,
        mut b_rtp,
        b_to,
        b_inv,
    } = call_1002(port, "recall");
    std::thread::sleep(Duration::from_millis(300));
    press(&mut b_rtp, b_to, "*2");
    assert!(s.wait_line("Started DTMF attended transfer.", 3));
    press(&mut b_rtp, b_to, "6666");
    assert!(
        s.wait_line("SIP/6666-00000002 is ringing", 4),
        "{}",
        trace(&s)
    );
    callee_bye(&b, &b_inv);
    // The transferee hears ringback while the target rings.
    assert!(s.wait_line("Stopped music on hold on SIP/1001-00000000", 3));
    drain(&a_rtp);
    let pcm = support::rtp::decode(&a_rtp.collect(Duration::from_millis(600), |_| false));
    let ringback = support::rtp::energy_at(&pcm, 440.0) + support::rtp::energy_at(&pcm, 480.0);
    assert!(
        ringback > 0.5,
        "the transferee heard no ringback ({ringback})"
    );
    // 2 s later: the target is given up, 1002 is called back (as itself).
    let inv = next_request(&b, "INVITE");
    assert!(
        inv.header("From").unwrap().contains("<sip:1002@"),
        "{inv:?}"
    );
    b.send(&respond(&b, &inv, 200, "OK"));
    assert_eq!(next_request(&b, "ACK").method(), Some("ACK"));
    assert_eq!(target.join().unwrap(), vec!["INVITE", "CANCEL"]);
    let b_to = rtp_target(&inv.body);
    assert!(
        s.wait_line("SIP/1002-00000003 answered", 3),
        "{}",
        trace(&s)
    );
    std::thread::sleep(Duration::from_millis(300));
    drain(&b_rtp);
    let (a_rtp, heard) = tone_heard(a_rtp, a_to, &b_rtp, 900.0);
    assert!(
        heard > 0.5,
        "1002 did not hear 1001 after the recall ({heard})"
    );
    drain(&a_rtp);
    let (_b_rtp, heard) = tone_heard(b_rtp, b_to, &a_rtp, 1300.0);
    assert!(
        heard > 0.5,
        "1001 did not hear 1002 after the recall ({heard})"
    );
    a.bye(&ok, "1002", "recall");
    let bye = next_request(&b, "BYE");
    assert_eq!(bye.call_id(), inv.call_id());
    ok_to(&b, &bye);
    s.wait_idle();
    in_order(
        &trace(&s),
        &[
            "    -- Called 1002",
            "    -- SIP/1002-00000003 answered",
            "    -- Channel SIP/1002-00000003 joined 'simple_bridge' basic-bridge <",
            "    -- Channel SIP/1001-00000000 left 'simple_bridge' basic-bridge <",
        ],
    );
}

/// Nobody answers after a blond transfer: target, transferer, target again (after
/// `atxferloopdelay` of music), transferer again; after `atxfercallbackretries` (2) calls to
/// the transferer the transferee is hung up.
#[test]
fn blond_transfer_gives_up_after_the_callback_retries() {
    let port = free_port();
    let dir = office(
        port,
        "[office]\nexten => 1002,1,Dial(SIP/1002,,t)\nsame => n,Hangup()\n\
         exten => 6666,1,Dial(SIP/6666)\nsame => n,Hangup()\n",
        "atxfernoanswertimeout=>1\natxferloopdelay=>1\n",
    );
    let s = Server::start(dir.path());
    let (c, _c_rtp) = phone(port, "6666");
    let target = c.callee(&[180], Duration::from_millis(100), Duration::from_secs(8));
    let Call {
        a,
        b,
        mut b_rtp,
        b_to,
        b_inv,
        ..
    } = call_1002(port, "giveup");
    std::thread::sleep(Duration::from_millis(300));
    press(&mut b_rtp, b_to, "*2");
    assert!(s.wait_line("Started DTMF attended transfer.", 3));
    press(&mut b_rtp, b_to, "6666");
    assert!(
        s.wait_line("SIP/6666-00000002 is ringing", 4),
        "{}",
        trace(&s)
    );
    callee_bye(&b, &b_inv);
    // 1002 rings twice and never answers.
    let b2 = b.sock.try_clone().unwrap();
    let transferer = std::thread::spawn(move || {
        let mut got = Vec::new();
        let t0 = std::time::Instant::now();
        let mut buf = [0u8; 8192];
        b2.set_read_timeout(Some(Duration::from_millis(500)))
            .unwrap();
        while t0.elapsed() < Duration::from_secs(12) && got.len() < 4 {
            let Ok((n, from)) = b2.recv_from(&mut buf) else {
                continue;
            };
            let m = Message::parse(&buf[..n], false).unwrap().0;
            match m.method() {
                Some("INVITE") => {
                    got.push("INVITE");
                    let r = format!(
                        "SIP/2.0 180 Ringing\r\nVia: {}\r\nFrom: {}\r\nTo: {};tag=rr\r\nCall-ID: {}\r\nCSeq: {}\r\nContent-Length: 0\r\n\r\n",
                        m.header("Via").unwrap(),
                        m.header("From").unwrap(),
                        m.header("To").unwrap(),
                        m.call_id().unwrap(),
                        m.header("CSeq").unwrap()
                    );
                    b2.send_to(r.as_bytes(), from).unwrap();
                }
                Some("CANCEL") => {
                    got.push("CANCEL");
                    let r = format!(
                        "SIP/2.0 200 OK\r\nVia: {}\r\nFrom: {}\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: {}\r\nContent-Length: 0\r\n\r\n",
                        m.header("Via").unwrap(),
                        m.header("From").unwrap(),
                        m.header("To").unwrap(),
                        m.call_id().unwrap(),
                        m.header("CSeq").unwrap()
                    );
                    b2.send_to(r.as_bytes(), from).unwrap();
                }
                _ => {}
            }
        }
        got
    });
    let t0 = std::time::Instant::now();
    a.sock
        .set_read_timeout(Some(Duration::from_secs(12)))
        .unwrap();
    let bye = next_request(&a, "BYE");
    let took = t0.elapsed();
    assert_eq!(bye.call_id(), Some("giveup"));
    ok_to(&a, &bye);
    assert_eq!(
        transferer.join().unwrap(),
        vec!["INVITE", "CANCEL", "INVITE", "CANCEL"]
    );
    assert_eq!(
        target.join().unwrap(),
        vec!["INVITE", "CANCEL", "INVITE", "CANCEL"]
    );
    // blond 1 s, recall 1 s, wait 1 s, target 1 s, wait 1 s, recall 1 s.
    assert!(
        took >= Duration::from_millis(5000) && took < Duration::from_secs(10),
        "gave up after {took:?}"
    );
    s.wait_idle();
    let t = trace(&s);
    assert!(
        t.matches("Started music on hold, class 'default', on channel 'SIP/1001-00000000'")
            .count()
            >= 3,
        "{t}"
    );
    assert!(
        t.contains("Channel Local/6666@office-00000001;1 joined"),
        "{t}"
    );
}

/// `atxferswap` (`*4`): the transferer goes back to the transferee (the target hears music
/// on hold) and to the target again; then it hangs up and the transfer completes.
#[test]
fn attended_transfer_swap_between_the_parties() {
    let Consult {
        _dir,
        s,
        c,
        c_rtp,
        target,
        call:
            Call {
                a,
                a_rtp,
                a_to,
                ok,
                b,
                mut b_rtp,
                b_to,
                b_inv,
            },
    } = consult_6666("swap");
    std::thread::sleep(Duration::from_millis(300));
    press(&mut b_rtp, b_to, "*4");
    assert!(
        s.wait_line(
            "Started music on hold, class 'default', on channel 'Local/6666@office-00000000;1'",
            3
        ),
        "{}",
        trace(&s)
    );
    std::thread::sleep(Duration::from_millis(300));
    // With the transferee: they hear each other; the target hears music.
    drain(&b_rtp);
    let (a_rtp, heard) = tone_heard(a_rtp, a_to, &b_rtp, 900.0);
    assert!(
        heard > 0.5,
        "1002 did not hear 1001 after the swap ({heard})"
    );
    drain(&c_rtp);
    let held = c_rtp.collect(Duration::from_millis(600), |_| false);
    assert!(
        held.iter().filter(|g| support::rtp::loud(g)).count() >= 10,
        "the target heard no music on hold"
    );
    // Back to the target.
    let mut b_rtp = b_rtp;
    press(&mut b_rtp, b_to, "*4");
    assert!(s.wait_line("Stopped music on hold on Local/6666@office-00000000;1", 3));
    std::thread::sleep(Duration::from_millis(300));
    let c_to = rtp_target(c.offers.lock().unwrap()[0].as_bytes());
    drain(&b_rtp);
    let (c_rtp, heard) = tone_heard(c_rtp, c_to, &b_rtp, 1100.0);
    assert!(
        heard > 0.5,
        "1002 did not hear 6666 after swapping back ({heard})"
    );
    callee_bye(&b, &b_inv);
    assert!(s.wait_line("Playing 'beep.", 3), "{}", trace(&s));
    std::thread::sleep(Duration::from_millis(600));
    drain(&c_rtp);
    let (_a_rtp, heard) = tone_heard(a_rtp, a_to, &c_rtp, 1300.0);
    assert!(heard > 0.5, "6666 did not hear 1001 ({heard})");
    a.bye(&ok, "1002", "swap");
    assert_eq!(target.join().unwrap(), vec!["INVITE", "ACK", "BYE"]);
    s.wait_idle();
}

/// `atxferthreeway` (`*3`): the three talk together (each hears the others); when the
/// transferer hangs up, the transferee and the target go on.
#[test]
fn attended_transfer_threeway_then_the_transferer_leaves() {
    let Consult {
        _dir,
        s,
        c,
        c_rtp,
        target,
        call:
            Call {
                a,
                a_rtp,
                a_to,
                ok,
                b,
                mut b_rtp,
                b_to,
                b_inv,
            },
    } = consult_6666("three");
    std::thread::sleep(Duration::from_millis(300));
    press(&mut b_rtp, b_to, "*3");
    assert!(s.wait_line("Playing 'beep.", 3), "{}", trace(&s));
    std::thread::sleep(Duration::from_millis(600));
    // 1001 speaks: 1002 and 6666 both hear it.
    drain(&b_rtp);
    drain(&c_rtp);
    let c2 = c_rtp.try_clone();
    let other = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        c2.collect(Duration::from_millis(600), |_| false)
    });
    let (a_rtp, heard) = tone_heard(a_rtp, a_to, &b_rtp, 900.0);
    let at_target = support::rtp::energy_at(&support::rtp::decode(&other.join().unwrap()), 900.0);
    assert!(
        heard > 0.5,
        "the transferer did not hear 1001 in the three-way call ({heard})"
    );
    assert!(
        at_target > 0.5,
        "the target did not hear 1001 in the three-way call ({at_target})"
    );
    // The transferer leaves: 1001 and 6666 go on.
    callee_bye(&b, &b_inv);
    std::thread::sleep(Duration::from_millis(500));
    let c_to = rtp_target(c.offers.lock().unwrap()[0].as_bytes());
    drain(&a_rtp);
    let (_c_rtp, heard) = tone_heard(c_rtp, c_to, &a_rtp, 1300.0);
    assert!(
        heard > 0.5,
        "1001 did not hear 6666 after the three-way call ({heard})"
    );
    a.bye(&ok, "1002", "three");
    assert_eq!(target.join().unwrap(), vec!["INVITE", "ACK", "BYE"]);
    s.wait_idle();
}

/// A digit that only starts a feature code (`*` of atxfer's `*2`) is held for
/// `featuredigittimeout` and then passed on to the other side.
#[test]
fn a_lone_feature_prefix_passes_after_featuredigittimeout() {
    let port = free_port();
    let dir = office(
        port,
        "[office]\nexten => 1002,1,Dial(SIP/1002,,t)\nsame => n,Hangup()\n",
        "featuredigittimeout=>600\n",
    );
    let s = Server::start(dir.path());
    let Call {
        a,
        a_rtp,
        ok,
        b,
        mut b_rtp,
        b_to,
        ..
    } = call_1002(port, "prefix");
    std::thread::sleep(Duration::from_millis(300));
    drain(&a_rtp);
    let t0 = std::time::Instant::now();
    b_rtp.send_dtmf(b_to, '*', 160);
    let got = a_rtp.collect(Duration::from_millis(2000), |g| {
        g.iter().any(|x| x.pt == 101)
    });
    let first = got
        .iter()
        .find(|x| x.pt == 101)
        .expect("the '*' never reached 1001");
    let after = first.at.duration_since(t0);
    assert!(
        after >= Duration::from_millis(600) && after < Duration::from_millis(1500),
        "the '*' came {after:?} after it was pressed"
    );
    assert_eq!(first.payload[0], 10, "not the '*' event");
    a.bye(&ok, "1002", "prefix");
    assert_eq!(next_request(&b, "BYE").method(), Some("BYE"));
    s.wait_idle();
}

/// The transferee hangs up during the consultation: the transferer hears `beeperr` and
/// stays with the target (a call of their own) until one of them hangs up.
#[test]
fn transferee_hangs_up_during_the_consultation() {
    let port = free_port();
    let dir = office(
        port,
        "[office]\nexten => 1002,1,Dial(SIP/1002,,t)\nsame => n,Hangup()\n\
         exten => 6666,1,Dial(SIP/6666)\nsame => n,Hangup()\n",
        "",
    );
    let s = Server::start(dir.path());
    let (c, c_rtp) = phone(port, "6666");
    let target = c.callee(&[200], Duration::from_millis(100), Duration::from_secs(20));
    let Call {
        a,
        ok,
        b,
        mut b_rtp,
        b_to,
        b_inv,
        ..
    } = call_1002(port, "gone");
    std::thread::sleep(Duration::from_millis(300));
    press(&mut b_rtp, b_to, "*2");
    assert!(s.wait_line("Started DTMF attended transfer.", 3));
    press(&mut b_rtp, b_to, "6666");
    assert!(
        s.wait_line("answered Local/6666@office-00000000;2", 6),
        "{}",
        trace(&s)
    );
    a.bye(&ok, "1002", "gone");
    assert_eq!(a.recv().code(), Some(200));
    assert!(
        s.wait_line("<SIP/1002-00000001> Playing 'beeperr.slin'", 3),
        "{}",
        trace(&s)
    );
    std::thread::sleep(Duration::from_millis(700));
    let c_to = rtp_target(c.offers.lock().unwrap()[0].as_bytes());
    drain(&c_rtp);
    let (b_rtp, heard) = tone_heard(b_rtp, b_to, &c_rtp, 900.0);
    assert!(heard > 0.5, "6666 did not hear 1002 ({heard})");
    drain(&b_rtp);
    let (_c_rtp, heard) = tone_heard(c_rtp, c_to, &b_rtp, 1300.0);
    assert!(heard > 0.5, "1002 did not hear 6666 ({heard})");
    callee_bye(&b, &b_inv);
    assert_eq!(target.join().unwrap(), vec!["INVITE", "ACK", "BYE"]);
    s.wait_idle();
}

/// A number that does not exist: `pbx-invalid` and another try, up to
/// `transferdialattempts` (3); after the last `privacy-incorrect`, and the transferer is back
/// with the transferee.
#[test]
fn attended_transfer_to_an_invalid_number_returns() {
    let port = free_port();
    let dir = office(
        port,
        "[office]\nexten => 1002,1,Dial(SIP/1002,,t)\nsame => n,Hangup()\n",
        "transferdigittimeout=>1\n",
    );
    let s = Server::start(dir.path());
    let Call {
        a,
        a_rtp,
        a_to,
        ok,
        b,
        mut b_rtp,
        b_to,
        ..
    } = call_1002(port, "inval");
    std::thread::sleep(Duration::from_millis(300));
    press(&mut b_rtp, b_to, "*2");
    assert!(s.wait_line("Started DTMF attended transfer.", 3));
    std::thread::sleep(Duration::from_millis(800));
    press(&mut b_rtp, b_to, "9");
    assert!(
        s.wait_line(
            "Channel SIP/1002-00000001: Unable to acquire target extension for attended transfer.",
            12
        ),
        "{}",
        trace(&s)
    );
    assert!(s.wait_line("Stopped music on hold on SIP/1001-00000000", 3));
    std::thread::sleep(Duration::from_millis(300));
    drain(&b_rtp);
    let (_a_rtp, heard) = tone_heard(a_rtp, a_to, &b_rtp, 900.0);
    assert!(heard > 0.5, "1002 did not hear 1001 again ({heard})");
    a.bye(&ok, "1002", "inval");
    assert_eq!(next_request(&b, "BYE").method(), Some("BYE"));
    s.wait_idle();
    in_order(
        &trace(&s),
        &[
            "    -- Channel SIP/1002-00000001: Dialed '9@office' does not exist.",
            "    -- <SIP/1002-00000001> Playing 'pbx-invalid.slin' (language 'en')",
            "    -- Channel SIP/1002-00000001: Dialed no digits.",
            "    -- <SIP/1002-00000001> Playing 'pbx-invalid.slin' (language 'en')",
            "    -- Channel SIP/1002-00000001: Dialed no digits.",
            "    -- <SIP/1002-00000001> Playing 'privacy-incorrect.slin' (language 'en')",
            "    -- Channel SIP/1002-00000001: Unable to acquire target extension for attended transfer.",
            "    -- Stopped music on hold on SIP/1001-00000000",
        ],
    );
}

/// A recording of the transferee with MixMonitor's `b` goes on while it waits on hold
/// during an attended transfer (it stays in the bridge, as in Asterisk): the file lasts the
/// whole call.
#[test]
fn bridged_recording_of_the_transferee_covers_the_transfer() {
    let port = free_port();
    let rec = tempfile::tempdir().unwrap();
    let file = rec.path().join("call.wav");
    let dir = office(
        port,
        &format!(
            "[office]\nexten => 1002,1,MixMonitor({},b)\nsame => n,Dial(SIP/1002,,t)\nsame => n,Hangup()\n\
             exten => 6666,1,Dial(SIP/6666)\nsame => n,Hangup()\n",
            file.display()
        ),
        "",
    );
    let s = Server::start(dir.path());
    let (c, _c_rtp) = phone(port, "6666");
    let target = c.callee(&[200], Duration::from_millis(100), Duration::from_secs(20));
    let Call {
        a,
        ok,
        b,
        mut b_rtp,
        b_to,
        b_inv,
        ..
    } = call_1002(port, "recxfer");
    let t0 = std::time::Instant::now();
    std::thread::sleep(Duration::from_millis(300));
    press(&mut b_rtp, b_to, "*2");
    assert!(s.wait_line("Started DTMF attended transfer.", 3));
    press(&mut b_rtp, b_to, "6666");
    assert!(
        s.wait_line("answered Local/6666@office-00000000;2", 6),
        "{}",
        trace(&s)
    );
    std::thread::sleep(Duration::from_millis(1000));
    callee_bye(&b, &b_inv);
    assert!(s.wait_line("Playing 'beep.", 3), "{}", trace(&s));
    std::thread::sleep(Duration::from_millis(1000));
    a.bye(&ok, "1002", "recxfer");
    let call = t0.elapsed();
    assert_eq!(target.join().unwrap(), vec!["INVITE", "ACK", "BYE"]);
    s.wait_idle();
    assert!(s.wait_line("End MixMonitor Recording SIP/1001-00000000", 5));
    let r = hound::WavReader::open(&file).expect("the recording");
    let secs = r.duration() as f64 / 8000.0;
    let whole = call.as_secs_f64();
    assert!(
        secs > whole - 1.0 && secs < whole + 1.0,
        "{secs:.2} s recorded of a {whole:.2} s call"
    );
}
