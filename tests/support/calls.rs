//! What the transfer and parking tests share: a phone that registers and answers with its
//! own RTP, the SIP answers it sends by hand, digits pressed as RFC 4733 events, a tone
//! heard through zvezda, and the console trace in order.

use super::phone::{sdp_for, Phone};
use super::rtp::RtpPeer;
use super::Server;
use std::net::SocketAddr;
use std::time::Duration;
use zvezda::media::g711::Law;
use zvezda::sip::message::Message;

pub fn rtp_target(sdp: &[u8]) -> SocketAddr {
    let o = zvezda::sip::sdp::parse(sdp).expect("an SDP");
    SocketAddr::new(o.addr.unwrap(), o.port)
}

/// A phone registered as `user`, its audio on its own RTP socket.
pub fn phone(port: u16, user: &str) -> (Phone, RtpPeer) {
    let rtp = RtpPeer::new();
    let mut p = Phone::new(port);
    p.sdp = sdp_for(rtp.port(), &[8]);
    p.user = user.into();
    assert_eq!(p.register(user, "1234").code(), Some(200));
    (p, rtp)
}

/// The response of a registered phone to `inv` (To tag `<user>t`), with its SDP for 200.
pub fn respond(p: &Phone, inv: &Message, code: u16, reason: &str) -> String {
    let body = if code == 200 { p.sdp.as_str() } else { "" };
    format!(
        "SIP/2.0 {code} {reason}\r\nVia: {}\r\nFrom: {}\r\nTo: {};tag={}t\r\nCall-ID: {}\r\nCSeq: {}\r\n\
         Contact: <sip:{}@{}>\r\n{}Content-Length: {}\r\n\r\n{body}",
        inv.header("Via").unwrap(),
        inv.header("From").unwrap(),
        inv.header("To").unwrap(),
        p.user,
        inv.call_id().unwrap(),
        inv.header("CSeq").unwrap(),
        p.user,
        p.sock.local_addr().unwrap(),
        if body.is_empty() { "" } else { "Content-Type: application/sdp\r\n" },
        body.len()
    )
}

/// The next request (responses and retransmissions of others skipped) within the phone's
/// read timeout.
pub fn next_request(p: &Phone, method: &str) -> Message {
    loop {
        let m = p.recv();
        if m.method() == Some(method) {
            return m;
        }
    }
}

/// Answer a 200 to a request from zvezda (a BYE).
pub fn ok_to(p: &Phone, req: &Message) {
    p.send(&format!(
        "SIP/2.0 200 OK\r\nVia: {}\r\nFrom: {}\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: {}\r\nContent-Length: 0\r\n\r\n",
        req.header("Via").unwrap(),
        req.header("From").unwrap(),
        req.header("To").unwrap(),
        req.call_id().unwrap(),
        req.header("CSeq").unwrap()
    ));
}

/// Press `keys` on `rtp` towards `to`, 160 ms each, 240 ms apart (the recorded phones' pace).
pub fn press(rtp: &mut RtpPeer, to: SocketAddr, keys: &str) {
    for k in keys.chars() {
        rtp.send_dtmf(to, k, 160);
        std::thread::sleep(Duration::from_millis(240));
    }
}

/// `from` plays 1 s of `hz` to zvezda at `to` while `ear` listens: the share of `hz` in
/// what `ear` heard (and `from` back).
pub fn tone_heard(from: RtpPeer, to: SocketAddr, ear: &RtpPeer, hz: f64) -> (RtpPeer, f64) {
    let t = std::thread::spawn(move || {
        let mut from = from;
        from.send_pcm(to, Law::Alaw, &super::rtp::tone(hz, 1000, 9000.0), true);
        from
    });
    std::thread::sleep(Duration::from_millis(200));
    let got = ear.collect(Duration::from_millis(600), |_| false);
    let from = t.join().unwrap();
    let pcm = super::rtp::decode(&got);
    (from, super::rtp::energy_at(&pcm, hz))
}

/// Drop what has arrived on an RTP socket so far.
pub fn drain(rtp: &RtpPeer) {
    let _ = rtp.collect(Duration::from_millis(60), |_| false);
}

/// Everything the server printed so far.
pub fn trace(s: &Server) -> String {
    s.lines.lock().unwrap().join("\n")
}

/// Each of `want` appears in `t`, in this order.
pub fn in_order(t: &str, want: &[&str]) {
    let mut at = 0;
    for w in want {
        let i = t[at..]
            .find(w)
            .unwrap_or_else(|| panic!("missing {w:?} (in order) in\n{t}"));
        at += i + w.len();
    }
}
