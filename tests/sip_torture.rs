//! RFC 4475's torture messages (tests/fixtures/torture/*.dat, CRLF, byte for byte as the
//! RFC prints them) sent over UDP to the real server on 127.0.0.1: the valid ones are
//! understood, the malformed ones get the answer the RFC asks for (400, 505, 501) or are
//! dropped, and the server is never hurt: it answers an OPTIONS after every one of them.
//! The parser's view of the valid ones is checked field by field too.

mod support;

use std::net::UdpSocket;
use std::time::Duration;
use support::{free_port, Server};
use zvezda::sip::message::Message;

fn dat(name: &str) -> Vec<u8> {
    let p = format!(
        "{}/tests/fixtures/torture/{name}.dat",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

/// What the RFC asks of an element receiving the message.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Want {
    /// A well-formed request: anything but 400/505 (how it is answered is the PBX's
    /// business: 401, 404, 501 ...).
    Understood,
    /// Exactly this code.
    Code(u16),
    /// One of these codes.
    OneOf(&'static [u16]),
    /// 400, or understood: the RFC leaves it to the element.
    RejectOrAccept,
    /// A response we never asked for, or garbage: nothing goes back.
    Nothing,
    /// An error response or nothing.
    ErrorOrNothing,
}

const CASES: &[(&str, Want)] = &[
    // 3.1.1 valid messages
    ("wsinv", Want::Understood),
    ("intmeth", Want::Code(501)),
    ("esc01", Want::Understood),
    ("escnull", Want::Understood),
    ("esc02", Want::Code(501)),
    ("lwsdisp", Want::Understood),
    ("longreq", Want::Understood),
    ("dblreq", Want::Understood),
    ("semiuri", Want::Understood),
    ("transports", Want::Understood),
    ("unreason", Want::Nothing),
    ("noreason", Want::Nothing),
    // 3.1.2 invalid messages
    ("badinv01", Want::Code(400)),
    ("clerr", Want::Code(400)),
    ("ncl", Want::ErrorOrNothing),
    ("scalar02", Want::Code(400)),
    ("scalarlg", Want::Nothing),
    ("quotbal", Want::Code(400)),
    ("ltgtruri", Want::Code(400)),
    ("lwsruri", Want::Code(400)),
    ("lwsstart", Want::RejectOrAccept),
    ("trws", Want::RejectOrAccept),
    ("escruri", Want::RejectOrAccept),
    ("baddate", Want::RejectOrAccept),
    ("regbadct", Want::RejectOrAccept),
    ("badaspec", Want::RejectOrAccept),
    ("baddn", Want::RejectOrAccept),
    ("badvers", Want::Code(505)),
    ("mismatch01", Want::Code(400)),
    ("mismatch02", Want::OneOf(&[400, 501])),
    ("bigcode", Want::Nothing),
    // 3.2 transaction layer
    ("badbranch", Want::RejectOrAccept),
    // 3.3 application layer: well-formed, the PBX answers as it sees fit
    ("insuf", Want::ErrorOrNothing),
    ("unkscm", Want::ErrorOrNothing),
    ("novelsc", Want::ErrorOrNothing),
    ("unksm2", Want::ErrorOrNothing),
    ("bext01", Want::Understood),
    ("invut", Want::Understood),
    ("regaut01", Want::Understood),
    ("multi01", Want::RejectOrAccept),
    ("mcl01", Want::RejectOrAccept),
    ("bcast", Want::Nothing),
    ("zeromf", Want::Understood),
    ("cparam01", Want::Understood),
    ("cparam02", Want::Understood),
    ("regescrt", Want::Understood),
    ("sdp01", Want::Understood),
    ("inv2543", Want::RejectOrAccept),
];

fn answers(sock: &UdpSocket, wait: Duration) -> Vec<Message> {
    sock.set_read_timeout(Some(wait)).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 65536];
    while let Ok((n, _)) = sock.recv_from(&mut buf) {
        if let Ok((m, _)) = Message::parse(&buf[..n], false) {
            out.push(m);
        }
        sock.set_read_timeout(Some(Duration::from_millis(150)))
            .unwrap();
    }
    out
}

fn options(port: u16, sock: &UdpSocket, n: usize) -> Option<u16> {
    let me = sock.local_addr().unwrap();
    let m = format!(
        "OPTIONS sip:127.0.0.1:{port} SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch=z9hG4bK-probe{n};rport\r\n\
         From: <sip:probe@127.0.0.1>;tag=p{n}\r\nTo: <sip:127.0.0.1:{port}>\r\nCall-ID: probe-{n}\r\n\
         CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    );
    sock.send_to(m.as_bytes(), ("127.0.0.1", port)).unwrap();
    answers(sock, Duration::from_secs(3))
        .iter()
        .find(|r| r.call_id() == Some(&format!("probe-{n}")))
        .and_then(Message::code)
}

#[test]
fn torture_messages_over_udp() {
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("sip.conf"),
        format!(
            "[general]\nbindaddr=127.0.0.1\nbindport={port}\ncontext=guests\n\
             [1001]\ntype=friend\nhost=dynamic\nsecret=s3cret-Pass\ncontext=office\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("extensions.conf"),
        "[guests]\nexten => 5551234,1,Busy()\nexten => _X.,1,Hangup()\n[office]\nexten => _X.,1,Hangup()\n",
    )
    .unwrap();
    let s = Server::start(dir.path());
    let mut wrong = Vec::new();
    for (i, (name, want)) in CASES.iter().enumerate() {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        sock.send_to(&dat(name), ("127.0.0.1", port)).unwrap();
        let got = answers(&sock, Duration::from_millis(700));
        // Only the final answer counts (a 100 Trying may come first).
        let codes: Vec<u16> = got.iter().filter_map(Message::code).collect();
        let last = codes.iter().copied().rfind(|c| *c >= 200);
        let ok = match want {
            Want::Understood => last.is_some_and(|c| c != 400 && c != 505),
            Want::Code(c) => last == Some(*c),
            Want::OneOf(cs) => last.is_some_and(|c| cs.contains(&c)),
            Want::RejectOrAccept => last.is_some_and(|c| c != 505),
            Want::Nothing => codes.is_empty(),
            Want::ErrorOrNothing => last.is_none_or(|c| c >= 400),
        };
        if !ok {
            wrong.push(format!("{name}: want {want:?}, got {codes:?}"));
        }
        // Still alive and answering.
        assert_eq!(
            options(port, &sock, i),
            Some(200),
            "no answer to OPTIONS after {name}"
        );
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // A tel: Request-URI reaches the number's extension (5551234 answers Busy).
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let me = sock.local_addr().unwrap();
    let inv = format!(
        "INVITE tel:5551234;phone-context=example.com SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch=z9hG4bK-tel1;rport\r\n\
         From: <sip:guest@127.0.0.1>;tag=t1\r\nTo: <tel:5551234>\r\nCall-ID: tel-1\r\nCSeq: 1 INVITE\r\n\
         Contact: <sip:guest@{me}>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    );
    sock.send_to(inv.as_bytes(), ("127.0.0.1", port)).unwrap();
    let codes: Vec<u16> = answers(&sock, Duration::from_secs(2))
        .iter()
        .filter_map(Message::code)
        .collect();
    assert_eq!(codes.last(), Some(&486), "{codes:?}");
    drop(s);
}

#[test]
fn the_parser_reads_the_valid_ones() {
    let (m, _) = Message::parse(&dat("wsinv"), false).unwrap();
    assert_eq!(m.method(), Some("INVITE"));
    assert_eq!(m.call_id(), Some("wsinv.ndaksdj@192.0.2.1"));
    assert_eq!(m.cseq(), Some((9, "INVITE".to_string())));
    assert_eq!(m.headers_named("Via").count(), 3);
    assert_eq!(m.branch().as_deref(), Some("390skdjuw"));
    assert_eq!(
        zvezda::sip::message::param(m.header("To").unwrap(), "tag").as_deref(),
        Some("1918181833n")
    );
    assert_eq!(
        zvezda::sip::message::param(m.header("f").unwrap(), "tag").as_deref(),
        Some("98asjd8")
    );
    assert_eq!(m.header("Max-Forwards"), Some("0068"));
    assert_eq!(m.body.len(), 150);
    assert_eq!(m.header("Subject"), Some(""));
    assert_eq!(m.header("UnknownHeaderWithUnusualValue"), Some(";;,,;;,;"));
    let (m, _) = Message::parse(&dat("intmeth"), false).unwrap();
    assert_eq!(
        m.method(),
        Some("!interesting-Method0123456789_*+`.%indeed'~")
    );
    assert_eq!(m.cseq().map(|c| c.0), Some(139122385));
    let (m, _) = Message::parse(&dat("escnull"), false).unwrap();
    assert_eq!(m.headers_named("Contact").count(), 2);
    let (m, _) = Message::parse(&dat("longreq"), false).unwrap();
    // 34 Via values, in 22 header lines, some comma-joined.
    assert_eq!(m.headers_named("Via").count(), 34);
    let (m, _) = Message::parse(&dat("unreason"), false).unwrap();
    assert_eq!(m.code(), Some(200));
    let (m, _) = Message::parse(&dat("noreason"), false).unwrap();
    assert_eq!(m.code(), Some(100));
    for name in ["clerr", "lwsruri", "lwsstart"] {
        let v = zvezda::sip::validate::unparsable(&dat(name));
        assert_eq!(v.map(|v| v.1), Some(400), "{name}");
    }
    // Every fixture parses or is refused without a panic.
    for (name, _) in CASES {
        let _ = Message::parse(&dat(name), false);
        let _ = Message::parse(&dat(name), true);
    }
}
