//! SIP dialogs (RFC 3261 §12, §13.3.1.4, §14) as a sans-IO state machine.
//!
//! A [`Dialog`] is what both ends of an INVITE share once it is established: the Call-ID, the
//! two tags (inside the From/To values kept here), the remote target (the far end's
//! Contact), the route set (Record-Route), and the two CSeq spaces. It builds the in-dialog
//! requests zvezda sends (BYE, ACK, INFO, re-INVITE) and checks the ones it receives; the
//! UAS side also keeps the schedule on which its 2xx is re-sent until the ACK comes.
//!
//! It owns no socket and reads no clock: the SIP core passes `now` and asks
//! [`Dialog::deadline`] when to call [`Dialog::poll`] again; the tests below drive it with
//! a virtual clock.
//!
//! | state      | entered by                                                   |
//! |------------|--------------------------------------------------------------|
//! | Early      | UAC: a 1xx with a To tag; UAS: our first provisional/answer  |
//! | Confirmed  | a 2xx (sent or received)                                      |
//! | Terminated | BYE either way, a final non-2xx, no ACK within 64·T1          |

use super::message::{param, Message, StartLine, Uri};
use super::transaction::{T1, T2};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Which end of the INVITE we are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// We sent the INVITE (Dial's outgoing leg).
    Uac,
    /// We received it (a phone calling in).
    Uas,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Early,
    Confirmed,
    Terminated,
}

/// What a received in-dialog request is, by its CSeq (RFC 3261 §12.2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// Next in order: handle it.
    InOrder,
    /// The same CSeq as the last one: a retransmission (the transaction layer usually
    /// absorbs these; a re-sent INVITE after our 2xx gets the 2xx again).
    Repeat,
    /// Lower than the last one: answer `500 Server error` (chan_sip adds Retry-After to an
    /// INVITE) and do nothing else.
    TooOld,
}

/// What a timer asks of the core.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    /// Send the 2xx again (same bytes).
    Resend2xx,
    /// 64·T1 without an ACK: the dialog is over, the core hangs the call up (RFC 3261
    /// §13.3.1.4: "the UAS core SHOULD ... send a BYE").
    NoAck,
}

/// The UAS 2xx schedule: T1, doubling, capped at T2, given up at 64·T1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Resend {
    next: Instant,
    interval: Duration,
    deadline: Instant,
    /// The CSeq of the INVITE the 2xx answers: only its ACK stops the resends.
    cseq: u32,
}

#[derive(Clone, Debug)]
pub struct Dialog {
    pub call_id: String,
    pub role: Role,
    pub state: State,
    /// Our From value on requests we send (our URI with our tag).
    pub local: String,
    /// Our To value on requests we send (their URI, with their tag once known).
    pub remote: String,
    /// Request-URI of in-dialog requests: the far end's Contact (its source address when
    /// it sent none).
    pub remote_target: String,
    /// Route headers of in-dialog requests, in the order they are sent.
    pub route_set: Vec<String>,
    /// The CSeq of the last request we sent in this dialog.
    pub local_cseq: u32,
    /// The CSeq of the last request the far end sent (None until one came).
    pub remote_cseq: Option<u32>,
    /// The CSeq number of the INVITE that set the dialog up (ACK and CANCEL reuse it).
    pub invite_cseq: u32,
    resend: Option<Resend>,
}

/// chan_sip's first CSeq on a dialog it did not start (`INITIAL_CSEQ`).
pub const INITIAL_CSEQ: u32 = 101;

impl Dialog {
    /// The UAS side of `invite`, received from `src`, with our tag `local_tag`.
    pub fn uas(invite: &Message, local_tag: &str, src: SocketAddr) -> Dialog {
        let mut local = invite.header("To").unwrap_or("").to_string();
        if param(&local, "tag").is_none() {
            local.push_str(";tag=");
            local.push_str(local_tag);
        }
        let remote_target = invite
            .header("Contact")
            .and_then(Uri::parse)
            .map(|u| u.to_string())
            .unwrap_or_else(|| format!("sip:{src}"));
        let cseq = invite.cseq().map(|c| c.0).unwrap_or(0);
        Dialog {
            call_id: invite.call_id().unwrap_or("").to_string(),
            role: Role::Uas,
            state: State::Early,
            local,
            remote: invite.header("From").unwrap_or("").to_string(),
            remote_target,
            // RFC 3261 §12.1.1: the UAS keeps Record-Route in order.
            route_set: invite
                .headers_named("Record-Route")
                .map(str::to_string)
                .collect(),
            local_cseq: INITIAL_CSEQ,
            remote_cseq: Some(cseq),
            invite_cseq: cseq,
            resend: None,
        }
    }

    /// The UAC side of the `invite` we send.
    pub fn uac(invite: &Message) -> Dialog {
        let target = match &invite.start {
            StartLine::Request { uri, .. } => uri.clone(),
            _ => String::new(),
        };
        let cseq = invite.cseq().map(|c| c.0).unwrap_or(INITIAL_CSEQ);
        Dialog {
            call_id: invite.call_id().unwrap_or("").to_string(),
            role: Role::Uac,
            state: State::Early,
            local: invite.header("From").unwrap_or("").to_string(),
            remote: invite.header("To").unwrap_or("").to_string(),
            remote_target: target,
            route_set: Vec::new(),
            local_cseq: cseq,
            remote_cseq: None,
            invite_cseq: cseq,
            resend: None,
        }
    }

    /// Our tag.
    pub fn local_tag(&self) -> Option<String> {
        param(&self.local, "tag")
    }

    /// Their tag (None on a UAC dialog before a response carried one).
    pub fn remote_tag(&self) -> Option<String> {
        param(&self.remote, "tag")
    }

    /// The INVITE went again with a new CSeq (answering a 401/407 challenge): the
    /// challenge's tag, target and state are forgotten, the dialog starts over.
    pub fn reinvited(&mut self, invite: &Message) {
        let fresh = Dialog::uac(invite);
        let resend = self.resend.take();
        *self = Dialog { resend, ..fresh };
    }

    /// UAC: a response to our INVITE. A To tag fixes the far end; a Contact moves the
    /// remote target; 2xx confirms the dialog, a final error ends it.
    pub fn on_response(&mut self, resp: &Message) {
        let Some(code) = resp.code() else { return };
        if self.state == State::Terminated {
            return;
        }
        if let Some(to) = resp.header("To") {
            if param(to, "tag").is_some() {
                self.remote = to.to_string();
            }
        }
        if code > 100 {
            if let Some(c) = resp.header("Contact").and_then(Uri::parse) {
                self.remote_target = c.to_string();
            }
            // §12.1.2: the UAC's route set is the Record-Route in reverse order, from the
            // response that makes (or confirms) the dialog: a 2xx sets it even when empty.
            let rr: Vec<String> = resp
                .headers_named("Record-Route")
                .map(str::to_string)
                .collect();
            let confirming = (200..300).contains(&code);
            if self.state == State::Early && (confirming || !rr.is_empty()) {
                self.route_set = rr.into_iter().rev().collect();
            }
        }
        match code {
            200..=299 => self.state = State::Confirmed,
            300.. if self.state == State::Early => self.state = State::Terminated,
            _ => {}
        }
    }

    /// A request from the far end in this dialog: is it in order? BYE ends the dialog, an
    /// ACK stops the 2xx resends.
    pub fn on_request(&mut self, req: &Message) -> Check {
        let method = req.method().unwrap_or("");
        if method.eq_ignore_ascii_case("ACK") {
            if let Some((n, _)) = req.cseq() {
                self.acked(n);
            }
            return Check::InOrder;
        }
        let Some((n, _)) = req.cseq() else {
            return Check::InOrder;
        };
        if method.eq_ignore_ascii_case("CANCEL") {
            // CANCEL carries the INVITE's number.
            return Check::InOrder;
        }
        match self.remote_cseq {
            Some(last) if n < last => return Check::TooOld,
            Some(last) if n == last => return Check::Repeat,
            _ => {}
        }
        self.remote_cseq = Some(n);
        if method.eq_ignore_ascii_case("BYE") {
            self.end();
        }
        // Target refresh (§12.2.2): a re-INVITE's or UPDATE's Contact is the new target.
        if method.eq_ignore_ascii_case("INVITE") || method.eq_ignore_ascii_case("UPDATE") {
            if let Some(c) = req.header("Contact").and_then(Uri::parse) {
                self.remote_target = c.to_string();
            }
        }
        Check::InOrder
    }

    /// UAS: the first provisional with our tag went out.
    pub fn provisional(&mut self) {
        if self.state != State::Terminated {
            self.state = State::Early;
        }
    }

    /// UAS: a 2xx to the INVITE numbered `cseq` went out at `now` (the answer, or the
    /// answer to a re-INVITE). Over an unreliable transport it is re-sent until its ACK.
    pub fn sent_2xx(&mut self, now: Instant, reliable: bool, cseq: u32) {
        self.state = State::Confirmed;
        self.resend = (!reliable).then_some(Resend {
            next: now + T1,
            interval: T1,
            deadline: now + T1 * 64,
            cseq,
        });
    }

    /// An ACK numbered `cseq` came: it stops the resends of the 2xx it acknowledges (a late
    /// ACK of an earlier 2xx does not).
    pub fn acked(&mut self, cseq: u32) {
        if self.resend.is_some_and(|r| r.cseq == cseq) {
            self.resend = None;
        }
    }

    /// Whether a 2xx is still waiting for its ACK.
    pub fn awaiting_ack(&self) -> bool {
        self.resend.is_some()
    }

    /// When [`poll`](Self::poll) has something to do.
    pub fn deadline(&self) -> Option<Instant> {
        self.resend.map(|r| r.next.min(r.deadline))
    }

    /// Run the timers due at `now`.
    pub fn poll(&mut self, now: Instant) -> Option<Timer> {
        let r = self.resend.as_mut()?;
        if now >= r.deadline {
            self.resend = None;
            return Some(Timer::NoAck);
        }
        if now >= r.next {
            r.interval = (r.interval * 2).min(T2);
            r.next = now + r.interval;
            return Some(Timer::Resend2xx);
        }
        None
    }

    /// The dialog is over (BYE sent or received, the call hung up).
    pub fn end(&mut self) {
        self.state = State::Terminated;
        self.resend = None;
    }

    fn base(&self, method: &str, cseq: u32) -> Message {
        let mut m = Message {
            start: StartLine::Request {
                method: method.to_string(),
                uri: self.remote_target.clone(),
            },
            headers: Vec::new(),
            body: Vec::new(),
        };
        m.add_header("Max-Forwards", "70");
        for r in &self.route_set {
            m.add_header("Route", r.clone());
        }
        m.add_header("From", self.local.clone());
        m.add_header("To", self.remote.clone());
        m.add_header("Call-ID", self.call_id.clone());
        m.add_header("CSeq", format!("{cseq} {method}"));
        m
    }

    /// A new request in the dialog (BYE, INFO, re-INVITE): the next CSeq, to the remote
    /// target along the route set. The core puts its Via on top.
    pub fn request(&mut self, method: &str) -> Message {
        self.local_cseq += 1;
        if method.eq_ignore_ascii_case("BYE") {
            self.end();
        }
        self.base(method, self.local_cseq)
    }

    /// UAC: the ACK for a 2xx to the INVITE numbered `cseq` (its own transaction-less
    /// request, §13.2.2.4).
    pub fn ack(&self, cseq: u32) -> Message {
        self.base("ACK", cseq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invite() -> Message {
        let raw = "INVITE sip:1002@10.0.0.1 SIP/2.0\r\n\
            Via: SIP/2.0/UDP 10.0.0.2:5062;branch=z9hG4bK1;rport\r\n\
            Record-Route: <sip:p1.example;lr>\r\n\
            Record-Route: <sip:p2.example;lr>\r\n\
            From: \"A\" <sip:1001@10.0.0.1>;tag=abc\r\n\
            To: <sip:1002@10.0.0.1>\r\n\
            Call-ID: c1@x\r\n\
            CSeq: 20 INVITE\r\n\
            Contact: <sip:1001@10.0.0.2:5062>\r\n\
            Content-Length: 0\r\n\r\n";
        Message::parse(raw.as_bytes(), false).unwrap().0
    }

    fn req(method: &str, cseq: u32) -> Message {
        let raw = format!(
            "{method} sip:1002@10.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.2:5062;branch=z9hG4bK{cseq}\r\n\
             From: <sip:1001@10.0.0.1>;tag=abc\r\nTo: <sip:1002@10.0.0.1>;tag=ours\r\n\
             Call-ID: c1@x\r\nCSeq: {cseq} {method}\r\nContent-Length: 0\r\n\r\n"
        );
        Message::parse(raw.as_bytes(), false).unwrap().0
    }

    fn src() -> SocketAddr {
        "10.0.0.2:5062".parse().unwrap()
    }

    #[test]
    fn uas_bye_swaps_from_and_to_and_follows_the_route_set() {
        let mut d = Dialog::uas(&invite(), "ours", src());
        assert_eq!(d.local_tag().as_deref(), Some("ours"));
        assert_eq!(d.remote_tag().as_deref(), Some("abc"));
        d.sent_2xx(Instant::now(), false, 20);
        let bye = d.request("BYE");
        assert_eq!(d.state, State::Terminated);
        let text = String::from_utf8(bye.to_bytes()).unwrap();
        assert!(
            text.starts_with("BYE sip:1001@10.0.0.2:5062 SIP/2.0\r\n"),
            "{text}"
        );
        assert_eq!(bye.header("From"), Some("<sip:1002@10.0.0.1>;tag=ours"));
        assert_eq!(bye.header("To"), Some("\"A\" <sip:1001@10.0.0.1>;tag=abc"));
        assert_eq!(bye.header("CSeq"), Some("102 BYE"));
        let routes: Vec<&str> = bye.headers_named("Route").collect();
        assert_eq!(routes, ["<sip:p1.example;lr>", "<sip:p2.example;lr>"]);
    }

    #[test]
    fn uas_without_contact_targets_the_source() {
        let mut inv = invite();
        inv.headers
            .retain(|h| !h.name.eq_ignore_ascii_case("Contact"));
        let d = Dialog::uas(&inv, "t", src());
        assert_eq!(d.remote_target, "sip:10.0.0.2:5062");
    }

    #[test]
    fn the_2xx_is_resent_on_t1_doubling_to_t2_until_64_t1() {
        let t0 = Instant::now();
        let mut d = Dialog::uas(&invite(), "ours", src());
        d.sent_2xx(t0, false, 20);
        let mut now = t0;
        let mut resends = Vec::new();
        // Step a virtual clock in 10 ms ticks and note when each resend fires.
        while let Some(at) = d.deadline() {
            assert!(at >= now, "a deadline in the past");
            now = at;
            match d.poll(now) {
                Some(Timer::Resend2xx) => resends.push((now - t0).as_millis()),
                Some(Timer::NoAck) => break,
                None => panic!("deadline with nothing to do at {:?}", now - t0),
            }
        }
        assert_eq!(now - t0, T1 * 64);
        assert_eq!(
            resends,
            [500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]
        );
        assert!(!d.awaiting_ack());
        assert_eq!(d.deadline(), None);
    }

    #[test]
    fn the_ack_stops_the_resends_and_nothing_fires_after() {
        let t0 = Instant::now();
        let mut d = Dialog::uas(&invite(), "ours", src());
        d.sent_2xx(t0, false, 20);
        assert_eq!(d.poll(t0 + Duration::from_millis(499)), None);
        assert_eq!(d.poll(t0 + T1), Some(Timer::Resend2xx));
        assert_eq!(d.on_request(&req("ACK", 20)), Check::InOrder);
        assert_eq!(d.deadline(), None);
        assert_eq!(d.poll(t0 + T1 * 64), None);
        assert_eq!(d.state, State::Confirmed);
    }

    #[test]
    fn a_late_ack_of_an_earlier_2xx_does_not_stop_the_resends() {
        let t0 = Instant::now();
        let mut d = Dialog::uas(&invite(), "ours", src());
        d.sent_2xx(t0, false, 21);
        d.on_request(&req("ACK", 20));
        assert!(d.awaiting_ack());
        d.on_request(&req("ACK", 21));
        assert!(!d.awaiting_ack());
    }

    #[test]
    fn a_reinvite_refreshes_the_target() {
        let mut d = Dialog::uas(&invite(), "ours", src());
        let mut re = req("INVITE", 30);
        re.set_header("Contact", "<sip:1001@10.0.0.7:5070>");
        assert_eq!(d.on_request(&re), Check::InOrder);
        assert_eq!(d.remote_target, "sip:1001@10.0.0.7:5070");
    }

    #[test]
    fn reliable_transport_sends_the_2xx_once() {
        let mut d = Dialog::uas(&invite(), "ours", src());
        d.sent_2xx(Instant::now(), true, 20);
        assert_eq!(d.deadline(), None);
        assert_eq!(d.state, State::Confirmed);
    }

    #[test]
    fn cseq_order_of_requests_from_the_far_end() {
        let mut d = Dialog::uas(&invite(), "ours", src());
        assert_eq!(d.on_request(&req("INVITE", 20)), Check::Repeat);
        assert_eq!(d.on_request(&req("INFO", 21)), Check::InOrder);
        assert_eq!(d.on_request(&req("INFO", 21)), Check::Repeat);
        assert_eq!(d.on_request(&req("INVITE", 19)), Check::TooOld);
        assert_eq!(d.remote_cseq, Some(21));
        assert_eq!(d.on_request(&req("BYE", 25)), Check::InOrder);
        assert_eq!(d.state, State::Terminated);
    }

    #[test]
    fn uac_learns_tag_target_and_reversed_route_set_and_acks() {
        let raw = "INVITE sip:1002@10.0.0.9:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKx\r\n\
            From: <sip:1001@10.0.0.1>;tag=me\r\nTo: <sip:1002@10.0.0.9>\r\nCall-ID: out1\r\n\
            CSeq: 102 INVITE\r\nContent-Length: 0\r\n\r\n";
        let inv = Message::parse(raw.as_bytes(), false).unwrap().0;
        let mut d = Dialog::uac(&inv);
        assert_eq!(d.state, State::Early);
        let resp = |code: u16, extra: &str| {
            let raw = format!(
                "SIP/2.0 {code} X\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKx\r\n\
                 From: <sip:1001@10.0.0.1>;tag=me\r\nTo: <sip:1002@10.0.0.9>;tag=them\r\n\
                 Call-ID: out1\r\nCSeq: 103 INVITE\r\n{extra}Content-Length: 0\r\n\r\n"
            );
            Message::parse(raw.as_bytes(), false).unwrap().0
        };
        d.on_response(&resp(180, "Contact: <sip:1002@10.0.0.9:5070>\r\n"));
        assert_eq!(d.remote_tag().as_deref(), Some("them"));
        assert_eq!(d.remote_target, "sip:1002@10.0.0.9:5070");
        assert_eq!(d.state, State::Early);
        d.on_response(&resp(
            200,
            "Record-Route: <sip:a;lr>\r\nRecord-Route: <sip:b;lr>\r\nContact: <sip:1002@10.0.0.9:5071>\r\n",
        ));
        assert_eq!(d.state, State::Confirmed);
        assert_eq!(d.remote_target, "sip:1002@10.0.0.9:5071");
        assert_eq!(d.route_set, ["<sip:b;lr>", "<sip:a;lr>"]);
        let ack = d.ack(102);
        assert_eq!(ack.header("CSeq"), Some("102 ACK"));
        assert_eq!(ack.header("To"), Some("<sip:1002@10.0.0.9>;tag=them"));
        let bye = d.request("BYE");
        assert_eq!(bye.header("CSeq"), Some("103 BYE"));
        assert_eq!(
            bye.headers_named("Route").collect::<Vec<_>>(),
            ["<sip:b;lr>", "<sip:a;lr>"]
        );
        assert_eq!(d.state, State::Terminated);
    }

    #[test]
    fn a_challenge_does_not_end_the_dialog_the_retry_makes() {
        let raw = "INVITE sip:num@itsp SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKc\r\nFrom: <sip:me@h>;tag=1\r\n\
            To: <sip:num@itsp>\r\nCall-ID: ch1\r\nCSeq: 102 INVITE\r\nContent-Length: 0\r\n\r\n";
        let inv = Message::parse(raw.as_bytes(), false).unwrap().0;
        let r = |code: u16, cseq: u32, tag: &str| {
            let raw = format!(
                "SIP/2.0 {code} X\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKc\r\nFrom: <sip:me@h>;tag=1\r\n\
                 To: <sip:num@itsp>;tag={tag}\r\nCall-ID: ch1\r\nCSeq: {cseq} INVITE\r\n\
                 Contact: <sip:num@10.9.9.9>\r\nContent-Length: 0\r\n\r\n"
            );
            Message::parse(raw.as_bytes(), false).unwrap().0
        };
        let mut d = Dialog::uac(&inv);
        d.on_response(&r(407, 102, "challenge"));
        let mut again = inv.clone();
        again.set_header("CSeq", "103 INVITE");
        d.reinvited(&again);
        assert_eq!(d.state, State::Early);
        d.on_response(&r(200, 103, "real"));
        assert_eq!(d.state, State::Confirmed);
        assert_eq!(d.remote_tag().as_deref(), Some("real"));
        assert_eq!(d.remote_target, "sip:num@10.9.9.9");
        assert_eq!(d.request("BYE").header("CSeq"), Some("104 BYE"));
    }

    #[test]
    fn uac_error_ends_an_early_dialog_but_not_a_confirmed_one() {
        let raw = "INVITE sip:x@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKy\r\nFrom: <sip:a@h>;tag=1\r\n\
            To: <sip:x@h>\r\nCall-ID: e1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
        let inv = Message::parse(raw.as_bytes(), false).unwrap().0;
        let r = |code: u16| {
            let raw = format!(
                "SIP/2.0 {code} X\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKy\r\nFrom: <sip:a@h>;tag=1\r\n\
                 To: <sip:x@h>;tag=2\r\nCall-ID: e1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
            );
            Message::parse(raw.as_bytes(), false).unwrap().0
        };
        let mut d = Dialog::uac(&inv);
        d.on_response(&r(486));
        assert_eq!(d.state, State::Terminated);
        let mut d = Dialog::uac(&inv);
        d.on_response(&r(200));
        d.on_response(&r(500));
        assert_eq!(d.state, State::Confirmed);
    }
}
