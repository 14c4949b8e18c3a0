//! Dial to SIP phones beyond the plain call: options `r`, `g`, `L`; chan_sip's `call-limit`
//! (incoming 480, outgoing "Couldn't call"); `sip show channels` during a call and
//! `sip set debug` printing the messages as chan_sip does. Real UDP on 127.0.0.1.

mod support;

use std::time::Duration;
use support::phone::Phone;
use support::{free_port, Server};

/// Phones 1001, 1002, 1003 (secret 1234) in `office`, 1001 and 1002 with `call-limit=1`.
fn office(port: u16, extensions: &str) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let mut sip = format!("[general]\nbindaddr=127.0.0.1\nbindport={port}\nallowguest=no\n");
    for (p, limit) in [
        ("1001", "call-limit=1\n"),
        ("1002", "call-limit=1\n"),
        ("1003", ""),
    ] {
        sip.push_str(&format!(
            "[{p}]\ntype=friend\nhost=dynamic\nsecret=1234\ncontext=office\ndisallow=all\nallow=alaw\n{limit}"
        ));
    }
    std::fs::write(d.path().join("sip.conf"), sip).unwrap();
    std::fs::write(d.path().join("extensions.conf"), extensions).unwrap();
    d
}

fn trace(s: &Server) -> String {
    std::thread::sleep(Duration::from_millis(150));
    s.lines.lock().unwrap().join("\n")
}

#[test]
fn ringing_at_once_go_on_after_the_time_limit() {
    let port = free_port();
    let dir = office(
        port,
        "[office]\nexten => 2000,1,Dial(SIP/1002,10,rgL(1000))\n\
         same => n,NoOp(after ${DIALSTATUS})\nsame => n,Hangup()\n",
    );
    let s = Server::start(dir.path());
    let b = Phone::new(port);
    assert_eq!(b.register("1002", "1234").code(), Some(200));
    // 1002 rings for 300 ms, then answers.
    let callee = b.callee(
        &[180, 200],
        Duration::from_millis(300),
        Duration::from_secs(5),
    );
    let a = Phone::new(port);
    let (seen, ok) = a.call("2000", "rg", "1234");
    assert_eq!(ok.code(), Some(200), "{seen:?}");
    assert_eq!(seen, vec![100, 180, 200], "`r` rings the caller at once");
    a.ack(&ok, "2000", "rg", 2, false);
    // L(1000): a second later 1002 gets the BYE; `g` goes on, then Hangup() sends the caller a BYE.
    let t0 = std::time::Instant::now();
    let got = callee.join().unwrap();
    assert_eq!(got, vec!["INVITE", "ACK", "BYE"]);
    assert!(
        t0.elapsed() >= Duration::from_millis(700),
        "{:?}",
        t0.elapsed()
    );
    let bye = a.recv();
    assert_eq!(bye.method(), Some("BYE"));
    s.wait_idle();
    let t = trace(&s);
    assert!(
        t.contains("Executing [2000@office:2] NoOp(\"SIP/1001-00000000\", \"after ANSWER\")"),
        "{t}"
    );
}

#[test]
fn call_limit_refuses_in_and_out_and_channels_lists_the_call() {
    let port = free_port();
    let dir = office(
        port,
        "[office]\nexten => _100X,1,Dial(SIP/${EXTEN},10)\n\
         same => n,NoOp(status ${DIALSTATUS} cause ${HANGUPCAUSE})\nsame => n,Hangup()\n",
    );
    let s = Server::start(dir.path());
    let b = Phone::new(port);
    assert_eq!(b.register("1002", "1234").code(), Some(200));
    let callee = b.callee(&[200], Duration::ZERO, Duration::from_secs(8));
    // 1001 -> 1002, answered and held.
    let a = Phone::new(port);
    let (seen, ok) = a.call("1002", "first", "1234");
    assert_eq!(ok.code(), Some(200), "{seen:?}");
    a.ack(&ok, "1002", "first", 2, false);
    std::thread::sleep(Duration::from_millis(200));
    let chans = s.rx("sip show channels");
    let lines: Vec<&str> = chans.lines().collect();
    assert_eq!(lines.len(), 4, "{chans}");
    assert!(
        lines[1].starts_with("127.0.0.1        1001             first            (alaw)           No       Rx: ACK                    1001"),
        "{chans}"
    );
    assert!(
        lines[2].contains("(alaw)") && lines[2].ends_with("1002      "),
        "{chans}"
    );
    assert!(lines[2].contains("Tx: ACK"), "{chans}");
    assert_eq!(lines[3], "2 active SIP dialogs");
    // 1001 again while its call is up: call-limit=1 refuses it.
    let (seen, r) = a.call("1003", "second", "1234");
    assert_eq!(r.code(), Some(480), "{seen:?}");
    assert!(
        matches!(&r.start, zvezda::sip::message::StartLine::Response { reason, .. } if reason.starts_with("Temporarily Unavailable (Call limit)")),
        "{:?}",
        r.start
    );
    a.bye(&ok, "1002", "first");
    assert_eq!(callee.join().unwrap(), vec!["INVITE", "ACK", "BYE"]);
    s.wait_idle();
    let t = trace(&s);
    assert!(
        t.contains("NOTICE[")
            && t.contains("Call from peer '1001' rejected due to usage limit of 1"),
        "{t}"
    );
    assert!(
        t.contains("Failed to place call for device 1001, too many calls"),
        "{t}"
    );
    assert_eq!(
        s.rx("sip show channels").lines().last(),
        Some("0 active SIP dialogs")
    );
}

#[test]
fn outgoing_call_limit_and_sip_debug() {
    let port = free_port();
    let dir = office(
        port,
        "[office]\nexten => 1002,1,Dial(SIP/1002,10)\nsame => n,Hangup()\n\
         exten => 2002,1,Dial(SIP/1002,10)\n\
         same => n,NoOp(status ${DIALSTATUS} cause ${HANGUPCAUSE})\nsame => n,Hangup()\n",
    );
    let s = Server::start(dir.path());
    let b = Phone::new(port);
    assert_eq!(b.register("1002", "1234").code(), Some(200));
    assert_eq!(s.rx("sip set debug on"), "SIP Debugging enabled\n");
    assert_eq!(s.rx("sip set debug on"), "SIP Debugging re-enabled\n");
    let callee = b.callee(&[200], Duration::ZERO, Duration::from_secs(8));
    let a = Phone::new(port);
    let (_, ok) = a.call("1002", "held", "1234");
    assert_eq!(ok.code(), Some(200));
    a.ack(&ok, "1002", "held", 2, false);
    assert_eq!(s.rx("sip set debug off"), "SIP Debugging Disabled\n");
    std::thread::sleep(Duration::from_millis(100));
    // 1003 (no limit) dials 1002 (limit 1, in a call): refused before any INVITE.
    let c = Phone::new(port);
    let uri = format!("sip:2002@127.0.0.1:{port}");
    let inv = c
        .invite("2002", "busy", 1, None)
        .replace("sip:1001@", "sip:1003@");
    c.send(&inv);
    let mut seen = Vec::new();
    let ch = c.final_response(&mut seen);
    c.ack(&ch, "2002", "busy", 1, true);
    let auth = support::digest_answer(&ch, "1003", "1234", "INVITE", &uri);
    c.send(
        &c.invite("2002", "busy", 2, Some(&auth))
            .replace("sip:1001@", "sip:1003@"),
    );
    let mut seen = Vec::new();
    let f = c.final_response(&mut seen);
    // Hangup() after a failed Dial keeps its cause (17): 486, as chan_sip answers.
    assert_eq!(f.code(), Some(486), "{seen:?}");
    a.bye(&ok, "1002", "held");
    assert_eq!(callee.join().unwrap(), vec!["INVITE", "ACK", "BYE"]);
    s.wait_idle();
    let t = trace(&s);
    for want in [
        "Call to peer '1002' rejected due to usage limit of 1",
        "    -- Couldn't call SIP/1002",
        "  == Everyone is busy/congested at this time (0:0/0/0)",
        "NoOp(\"SIP/1003-00000002\", \"status CHANUNAVAIL cause 17\")",
        // The debug trace while it was on: what came in and what went out.
        "<--- SIP read from UDP:127.0.0.1:",
        "<------------->",
        "<--- Transmitting (NAT) to 127.0.0.1:",
        "<------------>",
        "Reliably Transmitting (NAT) to 127.0.0.1:",
        "INVITE sip:1002@127.0.0.1:",
    ] {
        assert!(t.contains(want), "missing {want:?} in\n{t}");
    }
    // Off means off: the BYE of the end of the call is not printed.
    let after = t.rsplit("<------------").next().unwrap_or("");
    assert!(!after.contains("BYE sip:"), "{after}");
}

/// Hold and resume by re-INVITE on either leg: zvezda keeps the media and answers each
/// re-INVITE itself (200 with its SDP, version + 1, direction answering the offer), and
/// `sip show channels` shows who is on hold.
#[test]
fn re_invites_on_both_legs_are_answered() {
    use zvezda::sip::message::Message;
    let port = free_port();
    let dir = office(port, "[office]\nexten => 1002,1,Dial(SIP/1002,10)\n");
    let s = Server::start(dir.path());
    let b = Phone::new(port);
    assert_eq!(b.register("1002", "1234").code(), Some(200));
    let a = Phone::new(port);
    let reply = |m: &Message, code: u16, body: &str| {
        format!(
            "SIP/2.0 {code} OK\r\nVia: {}\r\nFrom: {}\r\nTo: {};tag=callee\r\nCall-ID: {}\r\nCSeq: {}\r\n\
             Contact: <sip:1002@{}>\r\n{}Content-Length: {}\r\n\r\n{body}",
            m.header("Via").unwrap(),
            m.header("From").unwrap(),
            m.header("To").unwrap(),
            m.call_id().unwrap(),
            m.header("CSeq").unwrap(),
            b.sock.local_addr().unwrap(),
            if body.is_empty() { "" } else { "Content-Type: application/sdp\r\n" },
            body.len()
        )
    };
    let caller = std::thread::spawn(move || {
        let (seen, ok) = a.call("1002", "hold", "1234");
        assert_eq!(ok.code(), Some(200), "{seen:?}");
        a.ack(&ok, "1002", "hold", 2, false);
        (a, ok)
    });
    // 1002 answers.
    let inv = b.recv();
    assert_eq!(inv.method(), Some("INVITE"));
    b.send(&reply(&inv, 200, support::phone::SDP));
    assert_eq!(b.recv().method(), Some("ACK"));
    let (a, ok) = caller.join().unwrap();
    // 1001 puts 1002 on hold.
    let me = a.sock.local_addr().unwrap();
    let hold_sdp = support::phone::SDP.replace(
        "a=rtpmap:101 telephone-event/8000\r\n",
        "a=rtpmap:101 telephone-event/8000\r\na=sendonly\r\n",
    );
    a.send(&format!(
        "INVITE sip:1002@127.0.0.1:{port} SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch=z9hG4bK-hold-5;rport\r\nMax-Forwards: 70\r\n\
         From: \"Ivan\" <sip:1001@127.0.0.1:{port}>;tag=holdF\r\nTo: {}\r\nCall-ID: hold\r\nCSeq: 5 INVITE\r\n\
         Contact: <sip:1001@{me}>\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{hold_sdp}",
        ok.header("To").unwrap(),
        hold_sdp.len()
    ));
    let r = a.recv();
    assert_eq!(r.code(), Some(200));
    let body = String::from_utf8_lossy(&r.body).into_owned();
    assert!(body.contains("a=recvonly"), "{body}");
    let first = String::from_utf8_lossy(&ok.body).into_owned();
    let version = |sdp: &str| -> u64 {
        sdp.lines()
            .find(|l| l.starts_with("o="))
            .unwrap()
            .split(' ')
            .nth(2)
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    };
    assert_eq!(version(&body), version(&first) + 1);
    a.ack(&r, "1002", "hold", 5, false);
    // An INVITE numbered below the last one is out of order (RFC 3261 §12.2.2): chan_sip's
    // `500 Server error` with a Retry-After, and the call goes on.
    a.send(&format!(
        "INVITE sip:1002@127.0.0.1:{port} SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch=z9hG4bK-hold-4;rport\r\nMax-Forwards: 70\r\n\
         From: \"Ivan\" <sip:1001@127.0.0.1:{port}>;tag=holdF\r\nTo: {}\r\nCall-ID: hold\r\nCSeq: 4 INVITE\r\n\
         Contact: <sip:1001@{me}>\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{hold_sdp}",
        ok.header("To").unwrap(),
        hold_sdp.len()
    ));
    let old = a.recv();
    assert_eq!(old.code(), Some(500), "{old:?}");
    let after: u32 = old.header("Retry-After").unwrap().parse().unwrap();
    assert!((1..=10).contains(&after));
    a.ack(&old, "1002", "hold", 4, true);
    let chans = s.rx("sip show channels");
    let row = chans.lines().find(|l| l.contains(" hold ")).unwrap_or("");
    assert!(row.contains("(alaw)           Yes"), "{chans}");
    // 1002 re-INVITEs too (it was answered with zvezda's From tag in To).
    let bme = b.sock.local_addr().unwrap();
    let their_to = inv.header("From").unwrap();
    b.send(&format!(
        "INVITE {} SIP/2.0\r\nVia: SIP/2.0/UDP {bme};branch=z9hG4bK-b-re;rport\r\nMax-Forwards: 70\r\n\
         From: {};tag=callee\r\nTo: {their_to}\r\nCall-ID: {}\r\nCSeq: 1 INVITE\r\nContact: <sip:1002@{bme}>\r\n\
         Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{}",
        inv.header("Contact").and_then(zvezda::sip::message::Uri::parse).unwrap(),
        inv.header("To").unwrap(),
        inv.call_id().unwrap(),
        support::phone::SDP.len(),
        support::phone::SDP
    ));
    let r2 = b.recv();
    assert_eq!(r2.code(), Some(200), "{r2:?}");
    assert!(String::from_utf8_lossy(&r2.body).contains("a=sendrecv"));
    a.bye_cseq(&ok, "1002", "hold", 6);
    assert_eq!(a.recv().code(), Some(200));
    let bye = b.recv();
    assert_eq!(bye.method(), Some("BYE"));
    s.wait_idle();
}

/// A phone registered over TCP is called over its connection: the INVITE, the ACK and the
/// BYE go out on it, with `Via: SIP/2.0/TCP`, and nothing is retransmitted.
#[test]
fn dial_reaches_a_phone_registered_over_tcp() {
    use std::io::{Read, Write};
    use zvezda::sip::message::Message;
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("sip.conf"),
        format!(
            "[general]\nbindaddr=127.0.0.1\nbindport={port}\ntcpenable=yes\nallowguest=no\n\
             [1001]\ntype=friend\nhost=dynamic\nsecret=1234\ncontext=office\n\
             [1002]\ntype=friend\nhost=dynamic\nsecret=1234\ncontext=office\ntransport=tcp,udp\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("extensions.conf"),
        "[office]\nexten => 1002,1,Dial(SIP/1002,10)\n",
    )
    .unwrap();
    let s = Server::start(dir.path());
    let mut tcp = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let me = tcp.local_addr().unwrap();
    let mut pending: Vec<u8> = Vec::new();
    let mut read_msg = |tcp: &mut std::net::TcpStream| -> Message {
        loop {
            if let Ok((m, used)) = Message::parse(&pending, true) {
                pending.drain(..used);
                return m;
            }
            let mut chunk = [0u8; 4096];
            let n = tcp.read(&mut chunk).expect("a message on the connection");
            assert!(n > 0, "connection closed");
            pending.extend_from_slice(&chunk[..n]);
        }
    };
    let reg = |cseq: u32, auth: Option<String>| {
        let mut m = format!(
            "REGISTER sip:127.0.0.1:{port};transport=tcp SIP/2.0\r\nVia: SIP/2.0/TCP {me};branch=z9hG4bK-t{cseq};rport\r\n\
             From: <sip:1002@127.0.0.1:{port}>;tag=t\r\nTo: <sip:1002@127.0.0.1:{port}>\r\nCall-ID: tcpreg\r\n\
             CSeq: {cseq} REGISTER\r\nContact: <sip:1002@{me};transport=tcp>\r\nExpires: 600\r\n"
        );
        if let Some(a) = auth {
            m.push_str(&format!("Authorization: {a}\r\n"));
        }
        m.push_str("Content-Length: 0\r\n\r\n");
        m
    };
    tcp.write_all(reg(1, None).as_bytes()).unwrap();
    let c = read_msg(&mut tcp);
    assert_eq!(c.code(), Some(401));
    let uri = format!("sip:127.0.0.1:{port};transport=tcp");
    let a = support::digest_answer(&c, "1002", "1234", "REGISTER", &uri);
    tcp.write_all(reg(2, Some(a)).as_bytes()).unwrap();
    assert_eq!(read_msg(&mut tcp).code(), Some(200));
    // 1001 (UDP) calls 1002.
    let caller = Phone::new(port);
    let t = std::thread::spawn(move || {
        let (seen, ok) = caller.call("1002", "tcpcall", "1234");
        assert_eq!(ok.code(), Some(200), "{seen:?}");
        caller.ack(&ok, "1002", "tcpcall", 2, false);
        std::thread::sleep(Duration::from_millis(300));
        caller.bye(&ok, "1002", "tcpcall");
        caller.recv()
    });
    let inv = read_msg(&mut tcp);
    assert_eq!(inv.method(), Some("INVITE"));
    assert!(
        inv.header("Via").unwrap().starts_with("SIP/2.0/TCP "),
        "{inv:?}"
    );
    let ok = format!(
        "SIP/2.0 200 OK\r\nVia: {}\r\nFrom: {}\r\nTo: {};tag=tcpb\r\nCall-ID: {}\r\nCSeq: {}\r\n\
         Contact: <sip:1002@{me};transport=tcp>\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{}",
        inv.header("Via").unwrap(),
        inv.header("From").unwrap(),
        inv.header("To").unwrap(),
        inv.call_id().unwrap(),
        inv.header("CSeq").unwrap(),
        support::phone::SDP.len(),
        support::phone::SDP
    );
    tcp.write_all(ok.as_bytes()).unwrap();
    assert_eq!(read_msg(&mut tcp).method(), Some("ACK"));
    let bye = read_msg(&mut tcp);
    assert_eq!(bye.method(), Some("BYE"), "{bye:?}");
    assert!(bye.header("Via").unwrap().starts_with("SIP/2.0/TCP "));
    let ok_bye = format!(
        "SIP/2.0 200 OK\r\nVia: {}\r\nFrom: {}\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: {}\r\nContent-Length: 0\r\n\r\n",
        bye.header("Via").unwrap(),
        bye.header("From").unwrap(),
        bye.header("To").unwrap(),
        bye.call_id().unwrap(),
        bye.header("CSeq").unwrap()
    );
    tcp.write_all(ok_bye.as_bytes()).unwrap();
    assert_eq!(
        t.join().unwrap().code(),
        Some(200),
        "the caller's BYE answered"
    );
    s.wait_idle();
    // Nothing more on the connection (no retransmission over TCP).
    tcp.set_read_timeout(Some(Duration::from_millis(700)))
        .unwrap();
    let mut rest = [0u8; 1024];
    assert!(
        tcp.read(&mut rest).is_err(),
        "unexpected data after the call"
    );
}
