//! Calls into zvezda over UDP on 127.0.0.1, as chan_sip answers them on the recordings:
//! INVITE challenged (401, no qop) then accepted with the right password, 403 with a wrong one;
//! `484 Address Incomplete` when more digits could match, `404 Not Found` when nothing can;
//! 100 Trying, the dialplan on a `SIP/<peer>-<n>` channel, `603 Declined` after an auto
//! fallthrough, 200 OK with SDP on Answer (re-sent until the ACK), BYE when the dialplan hangs
//! up, and the caller's BYE and CANCEL ending the channel.

mod support;

use std::net::UdpSocket;
use std::time::{Duration, Instant};
use support::phone::{Phone, SDP};
use support::{digest_answer, free_port, Server};
use zvezda::sip::message::{param, Message};

fn etc(port: u16) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("sip.conf"),
        format!(
            "[general]\nbindaddr=127.0.0.1\nbindport={port}\ncontext=nowhere\nallowguest=no\n\
             [1001]\ntype=friend\nhost=dynamic\nsecret=1234\ncontext=office\ndisallow=all\nallow=alaw\n"
        ),
    )
    .unwrap();
    std::fs::write(
        d.path().join("rtp.conf"),
        "[general]\nrtpstart=21000\nrtpend=21100\n",
    )
    .unwrap();
    std::fs::write(
        d.path().join("extensions.conf"),
        "[general]\nautofallthrough=yes\n[office]\n\
         exten => _X.,1,NoOp(caller ${CALLERID(num)} to ${EXTEN})\nsame => n,NoOp(falls through)\n\
         exten => 7000,1,Answer()\nsame => n,Wait(1)\nsame => n,Hangup()\n\
         exten => 7001,1,Answer()\nsame => n,Wait(20)\n\
         exten => 7002,1,Ringing()\nsame => n,Wait(20)\n\
         exten => 7003,1,Busy(1)\n",
    )
    .unwrap();
    d
}

/// A config folder: SIP on 127.0.0.1:`port` with the phone 1001 (secret 1234, context
/// `ctx`), more sip.conf sections, and an extensions.conf.
fn conf(port: u16, ctx: &str, more_sip: &str, extensions: &str) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("sip.conf"),
        format!(
            "[general]\nbindaddr=127.0.0.1\nbindport={port}\nallowguest=no\n\
             [1001]\ntype=friend\nhost=dynamic\nsecret=1234\ncontext={ctx}\n{more_sip}"
        ),
    )
    .unwrap();
    std::fs::write(d.path().join("extensions.conf"), extensions).unwrap();
    d
}

fn trace(s: &Server) -> String {
    std::thread::sleep(Duration::from_millis(150));
    s.lines.lock().unwrap().join("\n")
}

#[test]
fn address_incomplete_not_found_declined_and_wrong_password() {
    let port = free_port();
    let dir = etc(port);
    let s = Server::start(dir.path());
    let phone = Phone::new(port);
    // One digit: `_X.` needs two, so more digits could match.
    let (_, r) = phone.call("5", "c5", "1234");
    assert_eq!(r.code(), Some(484));
    phone.ack(&r, "5", "c5", 2, true);
    // Nothing can match `*99`.
    let (_, r) = phone.call("*99", "c99", "1234");
    assert_eq!(r.code(), Some(404));
    phone.ack(&r, "*99", "c99", 2, true);
    // `_X.` runs two NoOps and falls through: 100 Trying, then 603 Declined.
    let (seen, r) = phone.call("12345", "c12", "1234");
    assert_eq!(seen, vec![100, 603]);
    assert_eq!(r.code(), Some(603));
    phone.ack(&r, "12345", "c12", 2, true);
    let t = trace(&s);
    assert!(t.contains("    -- Executing [12345@office:1] NoOp(\"SIP/1001-00000000\", \"caller 1001 to 12345\") in new stack"), "{t}");
    assert!(
        t.contains("    -- Auto fallthrough, channel 'SIP/1001-00000000' status is 'UNKNOWN'"),
        "{t}"
    );
    assert!(t.contains("Call from '1001' (127.0.0.1:"), "{t}");
    // Wrong password: 403 and the NOTICE.
    let (_, r) = phone.call("7000", "cw", "nope");
    assert_eq!(r.code(), Some(403));
    phone.ack(&r, "7000", "cw", 2, true);
    let t = trace(&s);
    assert!(
        t.contains("NOTICE[")
            && t.contains("Failed to authenticate device \"Ivan\" <sip:1001@127.0.0.1:"),
        "{t}"
    );
}

#[test]
fn answered_call_with_sdp_then_bye_from_zvezda() {
    let port = free_port();
    let dir = etc(port);
    let s = Server::start(dir.path());
    let phone = Phone::new(port);
    let (seen, ok) = phone.call("7000", "ca", "1234");
    assert_eq!(seen, vec![100, 200]);
    assert_eq!(ok.header("Content-Type"), Some("application/sdp"));
    let sdp = String::from_utf8_lossy(&ok.body).to_string();
    // The peer allows only alaw: PCMA chosen from the offer, DTMF kept.
    assert!(
        sdp.contains("m=audio ") && sdp.contains(" RTP/AVP 8 101\r\n"),
        "{sdp}"
    );
    let port_rtp: u16 = sdp
        .lines()
        .find_map(|l| l.strip_prefix("m=audio "))
        .and_then(|m| m.split_whitespace().next())
        .and_then(|p| p.parse().ok())
        .unwrap();
    assert!(
        (21000..=21100).contains(&port_rtp) && port_rtp.is_multiple_of(2),
        "{sdp}"
    );
    assert!(param(ok.header("To").unwrap(), "tag")
        .unwrap()
        .starts_with("as"));
    // Without our ACK zvezda re-sends the 200 OK.
    let again = phone.recv();
    assert_eq!(again.code(), Some(200));
    phone.ack(&ok, "7000", "ca", 2, false);
    // Wait(1) then Hangup(): a BYE to the phone, which we answer.
    let t0 = Instant::now();
    let bye = loop {
        let m = phone.recv();
        if m.method() == Some("BYE") {
            break m;
        }
        assert!(t0.elapsed() < Duration::from_secs(5));
    };
    assert_eq!(bye.call_id(), Some("ca"));
    assert_eq!(
        param(bye.header("From").unwrap(), "tag"),
        param(ok.header("To").unwrap(), "tag")
    );
    let me = phone.sock.local_addr().unwrap();
    phone.send(&format!(
        "SIP/2.0 200 OK\r\nVia: {}\r\nFrom: {}\r\nTo: {}\r\nCall-ID: ca\r\nCSeq: {}\r\nContent-Length: 0\r\n\r\n",
        bye.header("Via").unwrap(),
        bye.header("From").unwrap(),
        bye.header("To").unwrap(),
        bye.header("CSeq").unwrap()
    ));
    let _ = me;
    s.wait_idle();
    let t = trace(&s);
    assert!(
        t.contains(
            "    -- Executing [7000@office:1] Answer(\"SIP/1001-00000000\", \"\") in new stack"
        ),
        "{t}"
    );
    assert!(
        t.contains("  == Spawn extension (office, 7000, 3) exited non-zero on 'SIP/1001-00000000'"),
        "{t}"
    );
}

#[test]
fn caller_bye_cancel_ringing_and_busy() {
    let port = free_port();
    let dir = etc(port);
    let s = Server::start(dir.path());
    let phone = Phone::new(port);
    // Answered, then the caller hangs up with BYE.
    let (_, ok) = phone.call("7001", "cb", "1234");
    assert_eq!(ok.code(), Some(200));
    phone.ack(&ok, "7001", "cb", 2, false);
    std::thread::sleep(Duration::from_millis(200));
    assert!(s
        .rx("core show channels count")
        .starts_with("1 active channel"));
    phone.bye(&ok, "7001", "cb");
    let r = loop {
        let m = phone.recv();
        if m.cseq().map(|c| c.1) == Some("BYE".into()) {
            break m;
        }
    };
    assert_eq!(r.code(), Some(200));
    s.wait_idle();
    // Ringing: 180, then the caller cancels: 200 for the CANCEL, 487 for the INVITE.
    phone.send(&phone.invite("7002", "cc", 1, None));
    let mut seen = Vec::new();
    let c = phone.final_response(&mut seen);
    phone.ack(&c, "7002", "cc", 1, true);
    let auth = phone.answer_challenge(&c, "7002", "1234");
    phone.send(&phone.invite("7002", "cc", 2, Some(&auth)));
    let ring = loop {
        let m = phone.recv();
        if m.code() == Some(180) {
            break m;
        }
    };
    assert!(param(ring.header("To").unwrap(), "tag").is_some());
    let me = phone.sock.local_addr().unwrap();
    phone.send(&format!(
        "CANCEL sip:7002@127.0.0.1:{port} SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch=z9hG4bK-cc-2;rport\r\nFrom: \"Ivan\" <sip:1001@127.0.0.1:{port}>;tag=ccF\r\n\
         To: <sip:7002@127.0.0.1:{port}>\r\nCall-ID: cc\r\nCSeq: 2 CANCEL\r\nContent-Length: 0\r\n\r\n"
    ));
    let mut codes = Vec::new();
    while codes.len() < 2 {
        let m = phone.recv();
        codes.push((m.code().unwrap(), m.cseq().unwrap().1));
    }
    codes.sort();
    assert_eq!(
        codes,
        vec![(200, "CANCEL".to_string()), (487, "INVITE".to_string())]
    );
    s.wait_idle();
    // Busy(): 486 Busy Here.
    let (seen, r) = phone.call("7003", "cd", "1234");
    assert_eq!(seen, vec![100, 486]);
    assert_eq!(r.code(), Some(486));
}

/// SIPp (sip-tester) places authenticated calls that are answered and hung up cleanly.
#[test]
fn sipp_calls_are_answered_and_torn_down() {
    let port = free_port();
    let dir = etc(port);
    let s = Server::start(dir.path());
    let scen = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/sipp/call_auth.xml");
    let out = std::process::Command::new("sipp")
        .args([
            "-sf",
            scen.to_str().unwrap(),
            "-i",
            "127.0.0.1",
            "-p",
            &free_port().to_string(),
        ])
        .args(["-mp", &free_port().to_string()])
        .args([
            "-au", "1001", "-ap", "1234", "-s", "7001", "-m", "5", "-r", "5", "-nostdin",
        ])
        .args(["-timeout", "20s", "-timeout_error", "-trace_err"])
        .arg(format!("127.0.0.1:{port}"))
        .current_dir(s.dir.path())
        .output()
        .expect("sipp is installed by tools/test");
    assert!(
        out.status.success(),
        "sipp failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    s.wait_idle();
    let t = s.lines.lock().unwrap().join("\n");
    assert_eq!(
        t.matches("Executing [7001@office:1] Answer(\"SIP/1001-")
            .count(),
        5,
        "{t}"
    );
}

/// Dial(SIP/uas) to a SIPp UAS: the caller hears ringing (180 relayed), both legs answered,
/// the caller's BYE ends the callee leg with a BYE (SIPp checks it and exits cleanly).
#[test]
fn dial_to_a_sipp_uas_and_hang_up() {
    let port = free_port();
    let uas_port = free_port();
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("sip.conf"),
        format!(
            "[general]\nbindaddr=127.0.0.1\nbindport={port}\nallowguest=no\n\
             [1001]\ntype=friend\nhost=dynamic\nsecret=1234\ncontext=office\n\
             [uas]\ntype=peer\nhost=127.0.0.1\nport={uas_port}\ncontext=office\n\
             [silent]\ntype=peer\nhost=127.0.0.1\nport={}\ncontext=office\n",
            silent.local_addr().unwrap().port()
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("extensions.conf"),
        "[office]\nexten => 8000,1,Dial(SIP/uas,10)\nsame => n,Hangup()\n\
         exten => 8001,1,Dial(SIP/silent,1)\nsame => n,NoOp(status ${DIALSTATUS})\nsame => n,Busy(1)\n",
    )
    .unwrap();
    let s = Server::start(dir.path());
    let uas = std::process::Command::new("sipp")
        .args(["-sn", "uas", "-i", "127.0.0.1", "-p", &uas_port.to_string()])
        .args(["-m", "1", "-nostdin", "-timeout", "15s", "-timeout_error"])
        .current_dir(s.dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("sipp is installed by tools/test");
    std::thread::sleep(Duration::from_millis(300));
    let phone = Phone::new(port);
    let (seen, ok) = phone.call("8000", "dd", "1234");
    assert_eq!(ok.code(), Some(200), "{seen:?}");
    assert!(seen.contains(&180), "ringing relayed: {seen:?}");
    phone.ack(&ok, "8000", "dd", 2, false);
    std::thread::sleep(Duration::from_millis(300));
    assert!(s
        .rx("core show channels count")
        .starts_with("2 active channels"));
    phone.bye(&ok, "8000", "dd");
    loop {
        let m = phone.recv();
        if m.cseq().map(|c| c.1) == Some("BYE".into()) {
            assert_eq!(m.code(), Some(200));
            break;
        }
    }
    let out = uas.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "sipp uas: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    s.wait_idle();
    let t = s.lines.lock().unwrap().join("\n");
    assert!(t.contains("    -- Called SIP/uas"), "{t}");
    assert!(t.contains("    -- SIP/uas-00000001 is ringing"), "{t}");
    assert!(
        t.contains("    -- SIP/uas-00000001 answered SIP/1001-00000000"),
        "{t}"
    );

    // Nobody answers: NOANSWER after the timeout, and the dialplan goes on.
    let (seen, r) = phone.call("8001", "dn", "1234");
    assert_eq!(r.code(), Some(486), "{seen:?}");
    // The trace reaches the console a moment after the answer went out.
    assert!(s.wait_line("    -- Nobody picked up in 1000 ms", 5));
    assert!(s.wait_line("NoOp(\"SIP/1001-00000002\", \"status NOANSWER\")", 5));
}

/// The user's main case: 1001 calls 1002, both phones registered, through a seed-style
/// `Dial(SIP/${EXTEN},10,t&m)`: 100 Trying, 183 with SDP (music on hold as early media),
/// 200 OK when 1002 answers; 1001 hangs up and 1002 gets the BYE.
#[test]
fn phone_calls_phone_through_dial() {
    let port = free_port();
    let dir = conf(
        port,
        "outcoling",
        "[1002]\ntype=friend\nhost=dynamic\nsecret=1234\ncontext=outcoling\n",
        "[outcoling]\nexten => _100X,1,Dial(SIP/${EXTEN},10,t&m)\nsame => n,Hangup()\n",
    );
    let s = Server::start(dir.path());
    // 1002 registers from its own socket, rings, answers 200 ms later with SDP, then
    // expects ACK and BYE.
    let b = Phone::new(port);
    assert_eq!(b.register("1002", "1234").code(), Some(200));
    let callee = b.callee(
        &[180, 200],
        Duration::from_millis(200),
        Duration::from_secs(5),
    );
    let a = Phone::new(port);
    let (seen, ok) = a.call("1002", "ab", "1234");
    assert_eq!(ok.code(), Some(200), "{seen:?}");
    assert_eq!(
        seen,
        vec![100, 183, 200],
        "as the recording: 183 for music on hold, no 180"
    );
    a.ack(&ok, "1002", "ab", 2, false);
    std::thread::sleep(Duration::from_millis(300));
    a.bye(&ok, "1002", "ab");
    let got = callee.join().unwrap();
    assert_eq!(got, vec!["INVITE", "ACK", "BYE"], "what 1002 received");
    s.wait_idle();
    let t = s.lines.lock().unwrap().join("\n");
    assert!(
        t.contains("WARNING[") && t.contains("Unrecognized option: '&'"),
        "{t}"
    );
    assert!(
        t.contains("    -- SIP/1002-00000001 answered SIP/1001-00000000"),
        "{t}"
    );
}

/// 1001 calls an 11-digit number through the trunk: the provider (SIPp) challenges the
/// INVITE with 401 (qop=auth) and checks the digest made from the trunk's secret and defaultuser.
#[test]
fn trunk_call_answers_the_providers_challenge() {
    let port = free_port();
    let prov = free_port();
    let dir = conf(
        port,
        "outcoling",
        &format!("[zadarma]\ntype=peer\nhost=127.0.0.1\nport={prov}\nsecret=Mbn9v7s9tD\ndefaultuser=550174\nfromuser=550174\ninsecure=port,invite\ncontext=incoming\n"),
        "[outcoling]\nexten => _8XXXXXXXXXX,1,Dial(SIP/zadarma/${EXTEN},30)\nsame => n,Hangup()\n",
    );
    let s = Server::start(dir.path());
    let scen = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/sipp/uas_auth.xml");
    let provider = std::process::Command::new("sipp")
        .args([
            "-sf",
            scen.to_str().unwrap(),
            "-i",
            "127.0.0.1",
            "-p",
            &prov.to_string(),
        ])
        .args([
            "-mp",
            &free_port().to_string(),
            "-m",
            "1",
            "-nostdin",
            "-timeout",
            "20s",
            "-timeout_error",
        ])
        .current_dir(s.dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("sipp is installed by tools/test");
    std::thread::sleep(Duration::from_millis(300));
    let phone = Phone::new(port);
    let (seen, ok) = phone.call("89161234567", "tk", "1234");
    assert_eq!(ok.code(), Some(200), "{seen:?}");
    assert!(seen.contains(&180), "{seen:?}");
    phone.ack(&ok, "89161234567", "tk", 2, false);
    std::thread::sleep(Duration::from_millis(200));
    phone.bye(&ok, "89161234567", "tk");
    let out = provider.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the provider took the digest and the BYE: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    s.wait_idle();
}

/// qualify=yes: OPTIONS to the peer, its round trip in `sip show peers` (OK), and
/// UNREACHABLE when nothing answers.
#[test]
fn qualify_shows_ok_and_unreachable() {
    let port = free_port();
    let uas_port = free_port();
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("sip.conf"),
        format!(
            "[general]\nbindaddr=127.0.0.1\nbindport={port}\n\
             [alive]\ntype=peer\nhost=127.0.0.1\nport={uas_port}\nqualify=yes\n\
             [dead]\ntype=peer\nhost=127.0.0.1\nport={}\nqualify=yes\n",
            silent.local_addr().unwrap().port()
        ),
    )
    .unwrap();
    std::fs::write(dir.path().join("extensions.conf"), "[default]\n").unwrap();
    // A peer that answers OPTIONS with 200.
    let alive = UdpSocket::bind(("127.0.0.1", uas_port)).unwrap();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok((n, from)) = alive.recv_from(&mut buf) {
            let m = Message::parse(&buf[..n], false).unwrap().0;
            let r = format!(
                "SIP/2.0 200 OK\r\nVia: {}\r\nFrom: {}\r\nTo: {};tag=q\r\nCall-ID: {}\r\nCSeq: {}\r\nContent-Length: 0\r\n\r\n",
                m.header("Via").unwrap(),
                m.header("From").unwrap(),
                m.header("To").unwrap(),
                m.call_id().unwrap(),
                m.header("CSeq").unwrap()
            );
            let _ = alive.send_to(r.as_bytes(), from);
        }
    });
    let s = Server::start(dir.path());
    let t0 = Instant::now();
    let mut out = String::new();
    // OK comes at once.
    while t0.elapsed() < Duration::from_secs(3) {
        out = s.rx("sip show peers");
        if out.contains("OK (") {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let row = out.lines().find(|l| l.starts_with("alive")).unwrap();
    assert!(row.contains("OK (") && row.contains(" ms)"), "{out}");
    assert!(
        out.ends_with(
            "2 sip peers [Monitored: 1 online, 1 offline Unmonitored: 0 online, 0 offline]\n"
        ),
        "{out}"
    );
    // No answer within 2 x maxms (4 s for qualify=yes): UNREACHABLE, and a NOTICE.
    while t0.elapsed() < Duration::from_secs(8) {
        out = s.rx("sip show peers");
        if out.contains("UNREACHABLE") {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let row = out.lines().find(|l| l.starts_with("dead")).unwrap();
    assert!(row.contains("UNREACHABLE"), "{out}");
    assert!(
        s.wait_line("Peer 'dead' is now UNREACHABLE!", 5),
        "{}",
        s.lines.lock().unwrap().join("\n")
    );
}

/// A call over TCP: challenge, answer and zvezda's BYE all on the phone's connection.
#[test]
fn call_over_tcp() {
    use std::io::{Read, Write};
    let port = free_port();
    let dir = etc(port);
    let sip = std::fs::read_to_string(dir.path().join("sip.conf"))
        .unwrap()
        .replace("[general]\n", "[general]\ntcpenable=yes\n");
    std::fs::write(dir.path().join("sip.conf"), sip).unwrap();
    let s = Server::start(dir.path());
    let mut c = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let me = c.local_addr().unwrap();
    let mut pending: Vec<u8> = Vec::new();
    let mut next = |c: &mut std::net::TcpStream| -> Message {
        loop {
            if let Ok((m, used)) = Message::parse(&pending, true) {
                pending.drain(..used);
                return m;
            }
            let mut buf = [0u8; 4096];
            let n = c.read(&mut buf).expect("a message on the connection");
            assert!(n > 0, "connection closed");
            pending.extend_from_slice(&buf[..n]);
        }
    };
    let invite = |cseq: u32, auth: Option<String>| {
        let mut m = format!(
            "INVITE sip:7000@127.0.0.1:{port};transport=tcp SIP/2.0\r\nVia: SIP/2.0/TCP {me};branch=z9hG4bK-tcp-{cseq}\r\nMax-Forwards: 70\r\n\
             From: <sip:1001@127.0.0.1:{port}>;tag=tcpF\r\nTo: <sip:7000@127.0.0.1:{port}>\r\nCall-ID: tcpcall\r\nCSeq: {cseq} INVITE\r\n\
             Contact: <sip:1001@{me};transport=tcp>\r\nContent-Type: application/sdp\r\n"
        );
        if let Some(a) = auth {
            m.push_str(&format!("Authorization: {a}\r\n"));
        }
        m.push_str(&format!("Content-Length: {}\r\n\r\n{SDP}", SDP.len()));
        m
    };
    c.write_all(invite(1, None).as_bytes()).unwrap();
    let ch = next(&mut c);
    assert_eq!(ch.code(), Some(401));
    let uri = format!("sip:7000@127.0.0.1:{port};transport=tcp");
    let auth = digest_answer(&ch, "1001", "1234", "INVITE", &uri);
    c.write_all(invite(2, Some(auth)).as_bytes()).unwrap();
    let mut codes = Vec::new();
    let ok = loop {
        let m = next(&mut c);
        codes.push(m.code().unwrap());
        if m.code().unwrap() >= 200 {
            break m;
        }
    };
    assert_eq!(codes, vec![100, 200]);
    c.write_all(
        format!(
            "ACK sip:7000@127.0.0.1:{port} SIP/2.0\r\nVia: SIP/2.0/TCP {me};branch=z9hG4bK-tcp-ack\r\nFrom: <sip:1001@127.0.0.1:{port}>;tag=tcpF\r\n\
             To: {}\r\nCall-ID: tcpcall\r\nCSeq: 2 ACK\r\nContent-Length: 0\r\n\r\n",
            ok.header("To").unwrap()
        )
        .as_bytes(),
    )
    .unwrap();
    // Wait(1), Hangup(): the BYE comes on the same connection.
    let bye = next(&mut c);
    assert_eq!(bye.method(), Some("BYE"), "{bye:?}");
    assert!(
        bye.header("Via").unwrap().starts_with("SIP/2.0/TCP "),
        "{bye:?}"
    );
    s.wait_idle();
}
