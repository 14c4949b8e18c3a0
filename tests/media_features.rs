//! Feature codes in the bridge (features.conf, armed by Dial's options): the called party
//! blind-transfers the caller with `#` (option `t`), the caller hangs up the other side with
//! `*` (option `H`); digits of a side without features pass through. Real SIP and RTP.

mod support;

use std::net::SocketAddr;
use std::time::Duration;
use support::phone::{sdp_for, Phone};
use support::rtp::RtpPeer;
use support::{free_port, Server};

fn rtp_target(sdp: &[u8]) -> SocketAddr {
    let o = zvezda::sip::sdp::parse(sdp).expect("an SDP");
    SocketAddr::new(o.addr.unwrap(), o.port)
}

fn office(port: u16, extensions: &str) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("sip.conf"),
        format!(
            "[general]\nbindaddr=127.0.0.1\nbindport={port}\nallowguest=no\n\
             [1001]\ntype=friend\nhost=dynamic\nsecret=1234\ncontext=office\n\
             [1002]\ntype=friend\nhost=dynamic\nsecret=1234\ncontext=office\n"
        ),
    )
    .unwrap();
    std::fs::write(d.path().join("extensions.conf"), extensions).unwrap();
    d
}

/// 1002's response to `inv` with its SDP (To tag `b2`).
fn answer(b: &Phone, inv: &zvezda::sip::message::Message, code: u16, reason: &str) -> String {
    format!(
        "SIP/2.0 {code} {reason}\r\nVia: {}\r\nFrom: {}\r\nTo: {};tag=b2\r\nCall-ID: {}\r\nCSeq: {}\r\n\
         Contact: <sip:1002@{}>\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{}",
        inv.header("Via").unwrap(),
        inv.header("From").unwrap(),
        inv.header("To").unwrap(),
        inv.call_id().unwrap(),
        inv.header("CSeq").unwrap(),
        b.sock.local_addr().unwrap(),
        b.sdp.len(),
        b.sdp
    )
}

/// 1002 answers with its own RTP; returns (its RTP, the INVITE it got, the thread's phone).
fn answering_1002(
    port: u16,
) -> (
    RtpPeer,
    std::thread::JoinHandle<(Phone, zvezda::sip::message::Message)>,
) {
    let rtp = RtpPeer::new();
    let mut b = Phone::new(port);
    b.sdp = sdp_for(rtp.port(), &[8]);
    assert_eq!(b.register("1002", "1234").code(), Some(200));
    let t = std::thread::spawn(move || {
        let inv = b.recv();
        assert_eq!(inv.method(), Some("INVITE"));
        b.send(&answer(&b, &inv, 200, "OK"));
        (b, inv)
    });
    (rtp, t)
}

#[test]
fn callee_blind_transfers_the_caller() {
    let port = free_port();
    let dir = office(
        port,
        "[office]\nexten => 1002,1,Dial(SIP/1002,,t)\nsame => n,Hangup()\n\
         exten => 6666,1,Answer()\nsame => n,NoOp(transferred ${CALLERID(num)})\nsame => n,Hangup()\n",
    );
    let s = Server::start(dir.path());
    let (mut b_rtp, callee) = answering_1002(port);
    let a_rtp = RtpPeer::new();
    let mut a = Phone::new(port);
    a.sdp = sdp_for(a_rtp.port(), &[8]);
    let (seen, ok) = a.call("1002", "xfer", "1234");
    assert_eq!(ok.code(), Some(200), "{seen:?}");
    a.ack(&ok, "1002", "xfer", 2, false);
    let (b, inv) = callee.join().unwrap();
    assert_eq!(b.recv().method(), Some("ACK"));
    let zv_b = rtp_target(&inv.body);
    std::thread::sleep(Duration::from_millis(300));
    // The caller's '#' is just a digit (no `T`): 1002 gets it as an event.
    let mut a_rtp = a_rtp;
    a_rtp.send_dtmf(rtp_target(&ok.body), '#', 60);
    let got = b_rtp.collect(Duration::from_millis(500), |g| {
        g.iter().any(|x| x.pt == 101)
    });
    assert!(
        got.iter().any(|x| x.pt == 101),
        "the caller's # did not pass through"
    );
    // 1002 presses # then 6666: the caller goes to 6666, 1002 is hung up.
    b_rtp.send_dtmf(zv_b, '#', 60);
    std::thread::sleep(Duration::from_millis(300));
    for d in "6666".chars() {
        b_rtp.send_dtmf(zv_b, d, 60);
        std::thread::sleep(Duration::from_millis(100));
    }
    let bye = b.recv();
    assert_eq!(
        bye.method(),
        Some("BYE"),
        "1002 is released after the transfer"
    );
    // 6666 ran for the caller and hung up: the caller gets a BYE.
    let bye_a = a.recv();
    assert_eq!(bye_a.method(), Some("BYE"));
    s.wait_idle();
    let t = s.lines.lock().unwrap().join("\n");
    for want in [
        "Channel SIP/1002-00000001: Started DTMF blind transfer.",
        "Executing [6666@office:1] Answer(\"SIP/1001-00000000\", \"\") in new stack",
        "NoOp(\"SIP/1001-00000000\", \"transferred 1001\")",
    ] {
        assert!(t.contains(want), "missing {want:?} in\n{t}");
    }
    assert!(
        !t.contains("Spawn extension (office, 1002, 1) exited non-zero"),
        "{t}"
    );
}

#[test]
fn caller_disconnects_with_star() {
    let port = free_port();
    let dir = office(
        port,
        "[office]\nexten => 1002,1,Dial(SIP/1002,,H)\nsame => n,NoOp(not reached)\n",
    );
    let s = Server::start(dir.path());
    let (b_rtp, callee) = answering_1002(port);
    let mut a_rtp = RtpPeer::new();
    let mut a = Phone::new(port);
    a.sdp = sdp_for(a_rtp.port(), &[8]);
    let (seen, ok) = a.call("1002", "disc", "1234");
    assert_eq!(ok.code(), Some(200), "{seen:?}");
    a.ack(&ok, "1002", "disc", 2, false);
    let (b, _inv) = callee.join().unwrap();
    assert_eq!(b.recv().method(), Some("ACK"));
    std::thread::sleep(Duration::from_millis(300));
    a_rtp.send_dtmf(rtp_target(&ok.body), '*', 60);
    assert_eq!(b.recv().method(), Some("BYE"));
    assert_eq!(a.recv().method(), Some("BYE"));
    // The '*' was a feature code: 1002 never got it.
    let got = b_rtp.collect(Duration::from_millis(200), |_| false);
    assert!(
        !got.iter().any(|x| x.pt == 101),
        "the feature code leaked to 1002"
    );
    s.wait_idle();
    let t = s.lines.lock().unwrap().join("\n");
    assert!(!t.contains("not reached"), "{t}");
}

/// Dial's `m`: the caller hears music on hold while 1002 rings (183 first); when the caller
/// puts 1002 on hold (re-INVITE sendonly), 1002 hears music until the caller resumes.
#[test]
fn music_while_ringing_and_on_hold() {
    let port = free_port();
    let dir = office(port, "[office]\nexten => 1002,1,Dial(SIP/1002,,m)\n");
    let s = Server::start(dir.path());
    let b_rtp = RtpPeer::new();
    let mut b = Phone::new(port);
    b.sdp = sdp_for(b_rtp.port(), &[8]);
    assert_eq!(b.register("1002", "1234").code(), Some(200));
    let callee = b.callee(
        &[180, 200],
        Duration::from_millis(1200),
        Duration::from_secs(10),
    );
    let a_rtp = RtpPeer::new();
    let mut a = Phone::new(port);
    a.sdp = sdp_for(a_rtp.port(), &[8]);
    let caller = std::thread::spawn(move || {
        let (seen, ok) = a.call("1002", "moh", "1234");
        (a, seen, ok)
    });
    // While it rings: music (the bundled track, never silence all through).
    let ringing = a_rtp.collect(Duration::from_millis(1000), |_| false);
    let audible = ringing.iter().filter(|g| support::rtp::loud(g)).count();
    assert!(
        ringing.len() >= 35,
        "only {} packets while ringing",
        ringing.len()
    );
    assert!(
        audible >= 10,
        "music on hold was silent ({audible} audible packets)"
    );
    let (a, seen, ok) = caller.join().unwrap();
    assert_eq!(ok.code(), Some(200), "{seen:?}");
    assert_eq!(seen[..2], [100, 183], "183 for the music, as chan_sip");
    a.ack(&ok, "1002", "moh", 2, false);
    std::thread::sleep(Duration::from_millis(200));
    // Hold from the caller: 1002 hears music.
    let me = a.sock.local_addr().unwrap();
    let hold = a.sdp.clone() + "a=sendonly\r\n";
    a.send(&format!(
        "INVITE sip:1002@127.0.0.1:{port} SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch=z9hG4bK-moh-9;rport\r\n\
         From: \"Ivan\" <sip:1001@127.0.0.1:{port}>;tag=mohF\r\nTo: {}\r\nCall-ID: moh\r\nCSeq: 9 INVITE\r\n\
         Contact: <sip:1001@{me}>\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{hold}",
        ok.header("To").unwrap(),
        hold.len()
    ));
    let r = a.recv();
    assert_eq!(r.code(), Some(200));
    a.ack(&r, "1002", "moh", 9, false);
    let held = b_rtp.collect(Duration::from_millis(600), |_| false);
    assert!(
        held.iter().filter(|g| support::rtp::loud(g)).count() >= 10,
        "1002 heard no music on hold ({} packets)",
        held.len()
    );
    a.bye_cseq(&ok, "1002", "moh", 10);
    let _ = a.recv();
    assert_eq!(callee.join().unwrap(), vec!["INVITE", "ACK", "BYE"]);
    s.wait_idle();
    let t = s.lines.lock().unwrap().join("\n");
    let order = [
        "    -- Called SIP/1002",
        "    -- Started music on hold, class 'default', on channel 'SIP/1001-00000000'",
        "    -- SIP/1002-00000001 answered SIP/1001-00000000",
        "    -- Stopped music on hold on SIP/1001-00000000",
        "joined 'simple_bridge'",
        "    -- Started music on hold, class 'default', on channel 'SIP/1002-00000001'",
    ];
    let mut at = 0;
    for want in order {
        let i = t[at..]
            .find(want)
            .unwrap_or_else(|| panic!("missing {want:?} (in order) in\n{t}"));
        at += i + want.len();
    }
}

/// sip.conf `rtptimeout=2`: a call whose phone sends no RTP is hung up after 2 s with
/// chan_sip's NOTICE; one that talks is not, until it falls silent.
#[test]
fn rtptimeout_hangs_up_a_silent_call() {
    let port = free_port();
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("sip.conf"),
        format!(
            "[general]\nbindaddr=127.0.0.1\nbindport={port}\nrtptimeout=2\n\
             [1001]\ntype=friend\nhost=dynamic\nsecret=1234\ncontext=office\n"
        ),
    )
    .unwrap();
    std::fs::write(
        d.path().join("extensions.conf"),
        "[office]\nexten => 5000,1,Answer()\nsame => n,Wait(20)\n",
    )
    .unwrap();
    let s = Server::start(d.path());
    let a = Phone::new(port);
    let (_, ok) = a.call("5000", "quiet", "1234");
    assert_eq!(ok.code(), Some(200));
    a.ack(&ok, "5000", "quiet", 2, false);
    let t0 = std::time::Instant::now();
    let bye = a.recv();
    assert_eq!(bye.method(), Some("BYE"));
    let took = t0.elapsed();
    assert!(
        took >= Duration::from_millis(1800) && took < Duration::from_secs(4),
        "BYE after {took:?}"
    );
    s.wait_idle();
    // A call that talks for 3 s keeps going past the timeout, then ends 2 s after its audio.
    let mut rtp = RtpPeer::new();
    let mut b = Phone::new(port);
    b.sdp = sdp_for(rtp.port(), &[8]);
    let (_, ok2) = b.call("5000", "talks", "1234");
    assert_eq!(ok2.code(), Some(200));
    b.ack(&ok2, "5000", "talks", 2, false);
    rtp.send_pcm(
        rtp_target(&ok2.body),
        zvezda::media::g711::Law::Alaw,
        &support::rtp::tone(500.0, 3000, 8000.0),
        true,
    );
    let t1 = std::time::Instant::now();
    let bye2 = b.recv();
    assert_eq!(bye2.method(), Some("BYE"));
    let quiet = t1.elapsed();
    assert!(
        quiet >= Duration::from_millis(1500) && quiet < Duration::from_secs(4),
        "BYE {quiet:?} after the audio stopped"
    );
    s.wait_idle();
    let t = s.lines.lock().unwrap().join("\n");
    assert!(
        t.contains("NOTICE[")
            && t.contains(
                "Disconnecting call 'SIP/1001-00000000' for lack of RTP activity in 2 seconds"
            ),
        "{t}"
    );
}

/// Early media: without `m`, what the callee sends after its 183 (an announcement, the
/// provider's ringback) reaches the caller before the answer.
#[test]
fn early_media_from_the_callee_reaches_the_caller() {
    let port = free_port();
    let dir = office(port, "[office]\nexten => 1002,1,Dial(SIP/1002,10)\n");
    let s = Server::start(dir.path());
    let mut b_rtp = RtpPeer::new();
    let mut b = Phone::new(port);
    b.sdp = sdp_for(b_rtp.port(), &[8]);
    assert_eq!(b.register("1002", "1234").code(), Some(200));
    let a_rtp = RtpPeer::new();
    let mut a = Phone::new(port);
    a.sdp = sdp_for(a_rtp.port(), &[8]);
    let caller = std::thread::spawn(move || {
        let (seen, ok) = a.call("1002", "early", "1234");
        (a, seen, ok)
    });
    let inv = b.recv();
    assert_eq!(inv.method(), Some("INVITE"));
    b.send(&answer(&b, &inv, 183, "Session Progress"));
    // The announcement: 1 s of 700 Hz, in real time.
    b_rtp.send_pcm(
        rtp_target(&inv.body),
        zvezda::media::g711::Law::Alaw,
        &support::rtp::tone(700.0, 1000, 9000.0),
        true,
    );
    let heard = a_rtp.collect(Duration::from_millis(300), |_| false);
    b.send(&answer(&b, &inv, 200, "OK"));
    let (a, seen, ok) = caller.join().unwrap();
    assert_eq!(ok.code(), Some(200), "{seen:?}");
    assert!(seen.contains(&183), "{seen:?}");
    a.ack(&ok, "1002", "early", 2, false);
    let pcm = support::rtp::decode(&heard);
    assert!(
        pcm.len() >= 800 && support::rtp::energy_at(&pcm, 700.0) > 0.5,
        "the caller did not hear the early media ({} samples)",
        pcm.len()
    );
    assert_eq!(b.recv().method(), Some("ACK"));
    a.bye(&ok, "1002", "early");
    let _ = a.recv();
    assert_eq!(b.recv().method(), Some("BYE"));
    s.wait_idle();
}

/// One-touch recording (features.conf `automixmon`, Dial's `X`): the caller presses the code
/// to start MixMonitor on the call and again to stop it; the file is under the spool's
/// `monitor/` with Asterisk's `auto-<time>-<caller>-<peer>.wav` name.
#[test]
fn caller_records_the_call_with_automixmon() {
    caller_one_touch(
        "exten => 1002,1,Dial(SIP/1002,,X)\n",
        "automixmon => *3\n",
        "auto-",
    );
}

/// The same with the older automon (Dial's `W`, features.conf `automon`): Monitor's joined
/// recording, under the spool's `monitor/`, named with `TOUCH_MONITOR_PREFIX`.
#[test]
fn caller_records_the_call_with_automon() {
    caller_one_touch(
        "exten => 1002,1,Set(TOUCH_MONITOR_PREFIX=mon)\nsame => n,Dial(SIP/1002,,W)\n",
        "automon => *3\n",
        "mon-",
    );
}

/// 1001 calls 1002 through `ext`, presses *3 to start a one-touch recording, sends a tone,
/// presses *3 again: the code never reaches 1002 and the file `<prefix><time>-1001-1002.wav`
/// is under the spool's `monitor/`.
fn caller_one_touch(ext: &str, feature: &str, prefix: &str) {
    let port = free_port();
    let dir = office(port, &format!("[office]\n{ext}"));
    std::fs::write(
        dir.path().join("features.conf"),
        format!("[featuremap]\n{feature}"),
    )
    .unwrap();
    let spool = tempfile::tempdir().unwrap();
    let s = Server::start_with_dirs(
        dir.path(),
        &format!("astspooldir => {}\n", spool.path().display()),
    );
    let (b_rtp, callee) = answering_1002(port);
    let mut a_rtp = RtpPeer::new();
    let mut a = Phone::new(port);
    a.sdp = sdp_for(a_rtp.port(), &[8]);
    let (seen, ok) = a.call("1002", "rec", "1234");
    assert_eq!(ok.code(), Some(200), "{seen:?}");
    a.ack(&ok, "1002", "rec", 2, false);
    let (b, _inv) = callee.join().unwrap();
    assert_eq!(b.recv().method(), Some("ACK"));
    let to = rtp_target(&ok.body);
    std::thread::sleep(Duration::from_millis(200));
    a_rtp.send_dtmf(to, '*', 60);
    a_rtp.send_dtmf(to, '3', 60);
    a_rtp.send_pcm(
        to,
        zvezda::media::g711::Law::Alaw,
        &support::rtp::tone(440.0, 800, 9000.0),
        true,
    );
    a_rtp.send_dtmf(to, '*', 60);
    a_rtp.send_dtmf(to, '3', 60);
    std::thread::sleep(Duration::from_millis(200));
    // The code never reached 1002.
    let got = b_rtp.collect(Duration::from_millis(100), |_| false);
    assert!(
        !got.iter().any(|x| x.pt == 101),
        "the feature code leaked to 1002"
    );
    a.bye(&ok, "1002", "rec");
    let _ = a.recv();
    assert_eq!(b.recv().method(), Some("BYE"));
    s.wait_idle();
    let t = s.lines.lock().unwrap().join("\n");
    // (The "AutoMixMonitor used to ..." lines are verbose 4; the test console runs at 3.)
    assert!(
        t.contains("== Begin MixMonitor Recording SIP/1001-00000000"),
        "{t}"
    );
    assert!(
        t.contains("== End MixMonitor Recording SIP/1001-00000000"),
        "{t}"
    );
    let files: Vec<String> = std::fs::read_dir(spool.path().join("monitor"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        files
            .iter()
            .any(|f| f.starts_with(prefix) && f.ends_with("-1001-1002.wav")),
        "{files:?}"
    );
}
