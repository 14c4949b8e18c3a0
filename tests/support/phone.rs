//! A scripted SIP phone for tests: UDP on 127.0.0.1, the requests the recorded SIPp phones
//! send (INVITE with SDP, digest answer without qop, ACK, BYE, REGISTER), and a callee that
//! rings and answers whatever INVITE comes.

use super::digest_answer;
use std::net::UdpSocket;
use std::time::Duration;
use zvezda::sip::message::Message;

pub const SDP: &str = "v=0\r\no=uac 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 16182 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n";

pub struct Phone {
    pub sock: UdpSocket,
    pub server: String,
    pub port: u16,
    /// The SDP this phone offers and answers with ([`SDP`] unless it has RTP of its own).
    pub sdp: String,
    /// The peer it calls as (From user, digest username): 1001 unless set.
    pub user: String,
    /// The phone's own RTP socket ([`Phone::with_rtp`]): its port is offered in the SDP
    /// instead of 16182, so a test can read the audio zvezda sends.
    pub rtp: Option<UdpSocket>,
    /// The bodies of the INVITEs the callee thread received (zvezda's offers).
    pub offers: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    /// REGISTERs sent so far (each uses the next CSeq pair).
    pub regs: std::sync::atomic::AtomicU32,
}

/// An SDP for a phone whose audio is at 127.0.0.1:`rtp_port`, offering `pts` (0, 8) and
/// telephone-event 101.
pub fn sdp_for(rtp_port: u16, pts: &[u8]) -> String {
    let list: Vec<String> = pts.iter().map(|p| p.to_string()).collect();
    let mut s = format!(
        "v=0\r\no=uac 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio {rtp_port} RTP/AVP {} 101\r\n",
        list.join(" ")
    );
    for p in pts {
        s.push_str(&format!(
            "a=rtpmap:{p} {}/8000\r\n",
            if *p == 0 { "PCMU" } else { "PCMA" }
        ));
    }
    s.push_str("a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n");
    s
}

/// An RTP packet as a phone receives it: payload type and the payload decoded to samples.
pub struct RtpIn {
    pub pt: u8,
    pub seq: u16,
    pub samples: Vec<i16>,
}

impl Phone {
    pub fn new(port: u16) -> Phone {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        Phone {
            sock,
            server: format!("127.0.0.1:{port}"),
            port,
            sdp: SDP.to_string(),
            user: "1001".into(),
            rtp: None,
            offers: Default::default(),
            regs: Default::default(),
        }
    }

    /// A phone with its own RTP socket on 127.0.0.1, offered in its SDP.
    pub fn with_rtp(port: u16) -> Phone {
        let mut p = Phone::new(port);
        let rtp = UdpSocket::bind("127.0.0.1:0").unwrap();
        rtp.set_read_timeout(Some(Duration::from_millis(500)))
            .unwrap();
        p.sdp = SDP.replace(
            "m=audio 16182 ",
            &format!("m=audio {} ", rtp.local_addr().unwrap().port()),
        );
        p.rtp = Some(rtp);
        p
    }

    /// Read RTP packets (G.711 decoded) on the phone's own socket for `dur`, or until none
    /// comes for 500 ms after the first one.
    pub fn read_rtp(&self, dur: Duration) -> Vec<RtpIn> {
        let sock = self.rtp.as_ref().expect("a phone made with_rtp");
        let t0 = std::time::Instant::now();
        let mut out = Vec::new();
        let mut buf = [0u8; 2048];
        while t0.elapsed() < dur {
            let Ok(n) = sock.recv(&mut buf) else {
                if out.is_empty() {
                    continue;
                }
                break;
            };
            let Ok(p) = zvezda::media::rtp::parse(&buf[..n]) else {
                continue;
            };
            let pt = p.header.payload_type;
            let Some(law) = zvezda::media::g711::Law::from_payload_type(pt) else {
                continue;
            };
            let mut samples = vec![0i16; p.payload.len()];
            law.decode(p.payload, &mut samples);
            out.push(RtpIn {
                pt,
                seq: p.header.sequence,
                samples,
            });
        }
        out
    }

    /// This phone offers/answers `sdp` (e.g. an `RtpPeer`'s, to carry real audio).
    pub fn with_sdp(mut self, sdp: String) -> Phone {
        self.sdp = sdp;
        self
    }

    pub fn send(&self, s: &str) {
        self.sock.send_to(s.as_bytes(), &self.server).unwrap();
    }

    pub fn recv(&self) -> Message {
        let mut buf = [0u8; 8192];
        let (n, _) = self
            .sock
            .recv_from(&mut buf)
            .expect("a message from zvezda");
        Message::parse(&buf[..n], false).unwrap().0
    }

    /// The next final response (provisionals collected).
    pub fn final_response(&self, seen: &mut Vec<u16>) -> Message {
        loop {
            let m = self.recv();
            let c = m.code().expect("a response");
            seen.push(c);
            if c >= 200 {
                return m;
            }
        }
    }

    pub fn invite(&self, to: &str, call: &str, cseq: u32, auth: Option<&str>) -> String {
        let me = self.sock.local_addr().unwrap();
        let mut s = format!(
            "INVITE sip:{to}@127.0.0.1:{p} SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch=z9hG4bK-{call}-{cseq};rport\r\nMax-Forwards: 70\r\n\
             From: \"Ivan\" <sip:{u}@127.0.0.1:{p}>;tag={call}F\r\nTo: <sip:{to}@127.0.0.1:{p}>\r\nCall-ID: {call}\r\nCSeq: {cseq} INVITE\r\n\
             Contact: <sip:{u}@{me}>\r\nContent-Type: application/sdp\r\n",
            p = self.port,
            u = self.user
        );
        if let Some(a) = auth {
            s.push_str(&format!("Authorization: {a}\r\n"));
        }
        s.push_str(&format!(
            "Content-Length: {}\r\n\r\n{}",
            self.sdp.len(),
            self.sdp
        ));
        s
    }

    pub fn ack(&self, resp: &Message, to: &str, call: &str, cseq: u32, branch_of_invite: bool) {
        let me = self.sock.local_addr().unwrap();
        let branch = if branch_of_invite {
            format!("z9hG4bK-{call}-{cseq}")
        } else {
            format!("z9hG4bK-{call}-{cseq}-ack")
        };
        self.send(&format!(
            "ACK sip:{to}@127.0.0.1:{p} SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch={branch};rport\r\nMax-Forwards: 70\r\n\
             From: \"Ivan\" <sip:{u}@127.0.0.1:{p}>;tag={call}F\r\nTo: {}\r\nCall-ID: {call}\r\nCSeq: {cseq} ACK\r\nContent-Length: 0\r\n\r\n",
            resp.header("To").unwrap(),
            p = self.port,
            u = self.user
        ));
    }

    /// The caller hangs up call `call` (answered with `ok`) to `to`: BYE, CSeq 3.
    pub fn bye(&self, ok: &Message, to: &str, call: &str) {
        self.bye_cseq(ok, to, call, 3)
    }

    /// BYE with CSeq `cseq` (after re-INVITEs the dialog's numbers have moved on).
    pub fn bye_cseq(&self, ok: &Message, to: &str, call: &str, cseq: u32) {
        let me = self.sock.local_addr().unwrap();
        self.send(&format!(
            "BYE sip:{to}@127.0.0.1:{p} SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch=z9hG4bK-{call}-bye;rport\r\nFrom: \"Ivan\" <sip:{u}@127.0.0.1:{p}>;tag={call}F\r\n\
             To: {}\r\nCall-ID: {call}\r\nCSeq: {cseq} BYE\r\nContent-Length: 0\r\n\r\n",
            ok.header("To").unwrap(),
            p = self.port,
            u = self.user
        ));
    }

    pub fn answer_challenge(&self, challenge: &Message, to: &str, pass: &str) -> String {
        let uri = format!("sip:{to}@127.0.0.1:{}", self.port);
        digest_answer(challenge, &self.user, pass, "INVITE", &uri)
    }

    /// INVITE, 401, ACK, INVITE with auth: returns the codes seen and the final response.
    pub fn call(&self, to: &str, call: &str, pass: &str) -> (Vec<u16>, Message) {
        self.send(&self.invite(to, call, 1, None));
        let mut seen = Vec::new();
        let c = self.final_response(&mut seen);
        assert_eq!(c.code(), Some(401), "the first INVITE is challenged");
        assert!(!c.header("WWW-Authenticate").unwrap().contains("qop"));
        self.ack(&c, to, call, 1, true);
        let auth = self.answer_challenge(&c, to, pass);
        self.send(&self.invite(to, call, 2, Some(&auth)));
        let mut seen = Vec::new();
        let f = self.final_response(&mut seen);
        (seen, f)
    }
}

impl Phone {
    /// REGISTER as `user` (password `pass`) from this phone's socket: 401, then 200.
    pub fn register(&self, user: &str, pass: &str) -> Message {
        self.register_expires(user, pass, 3600)
    }

    /// REGISTER with `Expires: expires` (0 unregisters), answering the challenge.
    pub fn register_expires(&self, user: &str, pass: &str, expires: u32) -> Message {
        let me = self.sock.local_addr().unwrap();
        let port = self.port;
        let reg = |cseq: u32, auth: Option<String>| {
            let mut m = format!(
                "REGISTER sip:127.0.0.1:{port} SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch=z9hG4bK-r{user}{cseq};rport\r\nFrom: <sip:{user}@127.0.0.1:{port}>;tag=r\r\n\
                 To: <sip:{user}@127.0.0.1:{port}>\r\nCall-ID: reg-{user}-{me}\r\nCSeq: {cseq} REGISTER\r\nContact: <sip:{user}@{me}>\r\nExpires: {expires}\r\n"
            );
            if let Some(a) = auth {
                m.push_str(&format!("Authorization: {a}\r\n"));
            }
            m.push_str("Content-Length: 0\r\n\r\n");
            self.send(&m);
            self.recv()
        };
        // A fresh CSeq pair each time (the registrar's dialog remembers the last one).
        let n = 1 + 2 * self.regs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let c = reg(n, None);
        let uri = format!("sip:127.0.0.1:{port}");
        reg(n + 1, Some(digest_answer(&c, user, pass, "REGISTER", &uri)))
    }

    /// A callee on another thread: every INVITE gets `codes` in order (e.g. `[180, 200]`,
    /// `[486]`), `delay` apart, 200 with SDP; BYE is answered 200 and ends it. Returns the
    /// methods received (until BYE, or `idle` without a message).
    pub fn callee(
        &self,
        codes: &'static [u16],
        delay: Duration,
        idle: Duration,
    ) -> std::thread::JoinHandle<Vec<String>> {
        let bsock = self.sock.try_clone().unwrap();
        bsock.set_read_timeout(Some(idle)).unwrap();
        let sdp = self.sdp.clone();
        let offers = self.offers.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            let mut got = Vec::new();
            loop {
                let Ok((n, from)) = bsock.recv_from(&mut buf) else {
                    return got;
                };
                let m = Message::parse(&buf[..n], false).unwrap().0;
                let Some(method) = m.method().map(str::to_string) else {
                    continue;
                };
                got.push(method.clone());
                let reply = |code: u16, body: &str, to: &str| {
                    let reason = match code {
                        180 => "Ringing",
                        183 => "Session Progress",
                        200 => "OK",
                        486 => "Busy Here",
                        _ => "Whatever",
                    };
                    format!(
                        "SIP/2.0 {code} {reason}\r\nVia: {}\r\nFrom: {}\r\nTo: {to}\r\nCall-ID: {}\r\nCSeq: {}\r\nContact: <sip:callee@{}>\r\n{}Content-Length: {}\r\n\r\n{body}",
                        m.header("Via").unwrap(),
                        m.header("From").unwrap(),
                        m.call_id().unwrap(),
                        m.header("CSeq").unwrap(),
                        bsock.local_addr().unwrap(),
                        if body.is_empty() { "" } else { "Content-Type: application/sdp\r\n" },
                        body.len()
                    )
                };
                match method.as_str() {
                    "INVITE" => {
                        offers
                            .lock()
                            .unwrap()
                            .push(String::from_utf8_lossy(&m.body).into_owned());
                        let to = format!("{};tag=callee", m.header("To").unwrap());
                        for (i, code) in codes.iter().enumerate() {
                            if i > 0 {
                                std::thread::sleep(delay);
                            }
                            let body = if *code == 200 { sdp.as_str() } else { "" };
                            bsock
                                .send_to(reply(*code, body, &to).as_bytes(), from)
                                .unwrap();
                        }
                    }
                    "BYE" | "CANCEL" => {
                        bsock
                            .send_to(reply(200, "", m.header("To").unwrap()).as_bytes(), from)
                            .unwrap();
                        if method == "BYE" {
                            return got;
                        }
                    }
                    _ => {}
                }
            }
        })
    }
}
