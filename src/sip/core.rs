//! The SIP core for UDP: one task that owns the transaction layer and the calls, fed with
//! datagrams, timer ticks and what the dialplan does on SIP channels (answer, ring, hang up).
//! Incoming INVITEs are handled as chan_sip handles them: the caller is the peer named in
//! From (or a static peer matched by source address, or a guest), authenticated with a
//! challenge unless `insecure=invite`; the number is the Request-URI user, looked up in the
//! peer's context (`484 Address Incomplete` when more digits could match, `404 Not Found`
//! otherwise); then `100 Trying` and the dialplan runs on a `SIP/<peer>-<n>` channel.
//! Answer sends `200 OK` with SDP (retransmitted until the ACK), Ringing `180`, Progress
//! `183`, Busy `486`, Congestion `503`; the end of the dialplan sends the final response for
//! the hangup cause (chan_sip's `hangup_cause2sip`, `603 Declined` by default) or a BYE.
//! An RTP port is reserved per call; the audio itself comes with the media work.

use super::dialog::{Check, Dialog, Timer as DialogTimer};
use super::message::{param, Message, StartLine, Uri};
use super::registrar::response;
use super::transaction::{Key, Layer, Output, Transport, T1};
use crate::channel::rtppool::Sock;
use crate::channel::{pbx as pbxloop, Channel, ChannelHandle, ChannelState, Indication, Tech};
use crate::logger::Level;
use crate::pbx::Pbx;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

/// What reaches the core.
#[derive(Debug)]
pub enum CoreEvent {
    /// A message from a TCP connection; answers to that address go back through `writer`.
    TcpPacket(Vec<u8>, SocketAddr, mpsc::UnboundedSender<Vec<u8>>),
    Answer(String),
    Indicate(String, Indication),
    Hangup(String, i32),
    /// Dial: call `uri` at `to` for peer `peer`; progress comes back on `reply`, tagged `idx`.
    Dial {
        peer: String,
        to: SocketAddr,
        uri: String,
        caller_num: Option<String>,
        caller_name: Option<String>,
        idx: usize,
        reply: mpsc::UnboundedSender<(usize, DialEvent)>,
    },
    /// Dial gives up on (CANCEL) or ends (BYE) an outgoing call.
    DialHangup(String),
    /// Send a DTMF digit (ms long) as a SIP INFO in the dialog (`dtmfmode=info`), as
    /// chan_sip's transmit_info_with_digit; `short`: `application/dtmf` (shortinfo).
    InfoDtmf {
        call_id: String,
        digit: char,
        ms: u32,
        short: bool,
    },
}

/// What an outgoing call reports to Dial.
#[derive(Debug)]
pub enum DialEvent {
    /// The channel exists: its Call-ID and name (`SIP/1002-00000007`).
    Created(String, String),
    /// The outgoing leg's audio (sent right after `Created`; its far address comes with the
    /// answer's SDP).
    Stream(Box<crate::channel::media::RtpStream>),
    Ringing,
    Progress,
    Answered,
    /// A final failure response (or 408 for timer B).
    Failed(u16),
    /// The callee hung up after answering.
    Hangup,
}

/// One `register =>` line's state, shown by `sip show registry`.
#[derive(Clone, Debug)]
pub struct RegStatus {
    pub host: String,
    pub port: u16,
    pub user: String,
    /// Seconds granted (or asked for before the first answer).
    pub refresh: u32,
    /// chan_sip's words: Unregistered, Request Sent, Registered, Rejected, No Authentication,
    /// Timeout.
    pub state: &'static str,
    pub regtime: Option<SystemTime>,
}

struct OutReg {
    idx: usize,
    cfg: crate::config::sip::Register,
    to: Option<SocketAddr>,
    call_id: String,
    tag: String,
    cseq: u32,
    key: Option<Key>,
    next: Instant,
    /// Authorization sent with the current request (so a second 401 means rejected).
    authed: bool,
}

struct OutCall {
    key: Key,
    invite: Message,
    to: SocketAddr,
    idx: usize,
    reply: mpsc::UnboundedSender<(usize, DialEvent)>,
    state: State,
    /// Their tag, the remote target and our CSeqs (sans-IO, see `dialog.rs`).
    dialog: Dialog,
    /// The leg's RTP stream, told of the far end's SDP.
    media: Option<crate::channel::media::MediaCtlTx>,
    /// The peer's credentials, for a provider that challenges the INVITE.
    peer: String,
    authed: bool,
    /// A provisional response came (a CANCEL may be sent only after one, RFC 3261 §9.1).
    provisional: bool,
    /// Dial gave up before any provisional: CANCEL when one comes, else let it time out.
    abandoned: bool,
    /// When the INVITE (the latest, after a challenge) went out.
    sent: Instant,
    /// Counted in the peer's ringing calls (device state) until answered or gone.
    ringing: bool,
}

/// The `Tech` of a SIP channel: events to the core, by Call-ID.
#[derive(Debug)]
struct SipTech {
    call_id: String,
    tx: mpsc::UnboundedSender<CoreEvent>,
}

impl Tech for SipTech {
    fn answer(&self) {
        let _ = self.tx.send(CoreEvent::Answer(self.call_id.clone()));
    }
    fn indicate(&self, ind: Indication) {
        let _ = self.tx.send(CoreEvent::Indicate(self.call_id.clone(), ind));
    }
    fn hangup(&self, cause: i32) {
        let _ = self.tx.send(CoreEvent::Hangup(self.call_id.clone(), cause));
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Early,
    Answered,
    Ended,
}

struct Call {
    key: Key,
    invite: Message,
    src: SocketAddr,
    tag: String,
    state: State,
    /// The 2xx, re-sent until the ACK arrives (when: the dialog's timers).
    ok: Option<Message>,
    /// Tags, targets, CSeqs and the 2xx schedule (sans-IO, see `dialog.rs`).
    dialog: Dialog,
    handle: Arc<ChannelHandle>,
    local_sdp: Vec<u8>,
    contact: String,
    media: Option<crate::channel::media::MediaCtlTx>,
    /// The peer whose call-limit counter this call holds.
    limited: Option<String>,
}

/// chan_sip's `hangup_cause2sip`; None means `603 Declined`.
pub fn cause_to_sip(cause: i32) -> Option<(u16, &'static str)> {
    Some(match cause {
        1..=3 => (404, "Not Found"),
        34 | 42 => (503, "Service Unavailable"),
        18 => (408, "Request Timeout"),
        19 | 20 | 31 => (480, "Temporarily Unavailable"),
        21 => (403, "Forbidden"),
        22 => (410, "Gone"),
        28 => (484, "Address Incomplete"),
        17 => (486, "Busy Here"),
        38 => (500, "Server Internal Failure"),
        29 | 66 => (501, "Not Implemented"),
        27 => (502, "Bad Gateway"),
        58 => (488, "Not Acceptable Here"),
        127 => (500, "Network error"),
        _ => return None,
    })
}

pub struct Core {
    pbx: Arc<Pbx>,
    sock: Arc<UdpSocket>,
    /// The socket's own address, asked once (not a `getsockname` per message).
    bound: SocketAddr,
    tx: mpsc::UnboundedSender<CoreEvent>,
    layer: Layer,
    calls: HashMap<String, Call>,
    /// Per Call-ID: our To tag and nonce for INVITE challenges.
    auth: HashMap<String, (String, String, Instant)>,
    seq: u32,
    rng: u64,
    out: HashMap<String, OutCall>,
    out_keys: HashMap<Key, String>,
    /// Calls whose 2xx is still being re-sent (waiting for the ACK).
    unacked: std::collections::HashSet<String>,
    swept: Instant,
    regs: Vec<OutReg>,
    /// qualify: the OPTIONS in flight per peer (key, when sent) and when the next one is due.
    pokes: HashMap<String, (Option<(Key, Instant)>, Instant)>,
    last_qualify: Option<Instant>,
    /// Our address as seen from each far address (wildcard binds only).
    routes: std::sync::Mutex<HashMap<IpAddr, IpAddr>>,
    /// TCP connections by the far address: what we send there goes on the connection.
    tcp: HashMap<SocketAddr, mpsc::UnboundedSender<Vec<u8>>>,
    /// Far addresses whose Via asked for rport (only kept while `sip set debug` is on).
    rport_seen: std::collections::HashSet<SocketAddr>,
    /// Dialogs begun, for `sip show channels` order.
    dialog_order: u64,
    /// REGISTER Call-IDs of the last 32 s (chan_sip's lingering registration dialogs).
    recent_regs: HashMap<String, Instant>,
}

impl Core {
    pub fn new(pbx: Arc<Pbx>, sock: Arc<UdpSocket>, tx: mpsc::UnboundedSender<CoreEvent>) -> Core {
        let seed = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(7);
        let bound = sock
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 5060)));
        Core {
            pbx,
            sock,
            bound,
            tx,
            layer: Layer::new(T1),
            calls: HashMap::new(),
            auth: HashMap::new(),
            seq: 0,
            rng: seed | 1,
            out: HashMap::new(),
            out_keys: HashMap::new(),
            unacked: std::collections::HashSet::new(),
            swept: Instant::now(),
            regs: Vec::new(),
            pokes: HashMap::new(),
            last_qualify: None,
            routes: std::sync::Mutex::new(HashMap::new()),
            tcp: HashMap::new(),
            rport_seen: std::collections::HashSet::new(),
            dialog_order: 0,
            recent_regs: HashMap::new(),
        }
    }

    fn rand32(&mut self) -> u32 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        (self.rng >> 16) as u32
    }

    /// A call begins: a row of `sip show channels`.
    fn dialog_begin(
        &mut self,
        id: &str,
        addr: IpAddr,
        user: &str,
        payloads: &[u8],
        last: &str,
        peer: &str,
    ) {
        self.dialog_order += 1;
        let names: Vec<&str> = payloads
            .iter()
            .filter_map(|p| match p {
                0 => Some("ulaw"),
                8 => Some("alaw"),
                _ => None,
            })
            .collect();
        let format = if names.is_empty() {
            "(nothing)".to_string()
        } else {
            format!("({})", names.join("|"))
        };
        self.pbx.sip.dialogs.lock().unwrap().insert(
            id.to_string(),
            super::transport::DialogRow {
                order: self.dialog_order,
                addr,
                user: user.to_string(),
                format,
                hold: false,
                last: last.to_string(),
                peer: peer.to_string(),
                started: std::time::Instant::now(),
                stats: None,
            },
        );
    }

    fn dialog_end(&self, id: &str) {
        self.pbx.sip.dialogs.lock().unwrap().remove(id);
    }

    /// A call put on hold (or taken off) by its far end: `sip show channels` shows it.
    fn set_hold(&self, id: &str, hold: bool) {
        if let Some(d) = self.pbx.sip.dialogs.lock().unwrap().get_mut(id) {
            d.hold = hold;
        }
    }

    /// An outgoing call is over for us: its transaction key, its `sip show channels` row and
    /// its place in the peer's call counter go with it.
    fn out_remove(&mut self, id: &str) -> Option<OutCall> {
        let o = self.out.remove(id)?;
        self.out_keys.remove(&o.key);
        if o.ringing {
            self.pbx.sip.set_ringing(&o.peer, false);
        }
        self.dialog_end(id);
        self.pbx.sip.call_ended(&o.peer);
        Some(o)
    }

    /// Run until the event channel closes. The core reads the UDP socket itself (a datagram
    /// is handled where it was read: no queue hop, no wake-up of another thread, and under a
    /// flood the kernel's buffer fills rather than our memory); TCP messages and the PBX's
    /// requests come from their tasks on the event queue.
    pub async fn run(mut self, mut rx: mpsc::UnboundedReceiver<CoreEvent>) {
        self.setup_registrations();
        // One timer, moved when the next deadline changes (not a new one per message).
        let timer = tokio::time::sleep_until(self.next_deadline().into());
        tokio::pin!(timer);
        let sock = self.sock.clone();
        let mut buf = vec![0u8; 65_535];
        loop {
            let next: tokio::time::Instant = self.next_deadline().into();
            if timer.deadline() != next {
                timer.as_mut().reset(next);
            }
            tokio::select! {
                r = sock.recv_from(&mut buf) => {
                    if let Ok((n, src)) = r {
                        self.on_packet(&buf[..n], src, Transport::Udp).await;
                    }
                    // Whatever else has arrived, before the timer is armed again.
                    for _ in 0..64 {
                        match sock.try_recv_from(&mut buf) {
                            Ok((n, src)) => self.on_packet(&buf[..n], src, Transport::Udp).await,
                            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                            Err(_) => {}
                        }
                    }
                }
                ev = rx.recv() => match ev {
                    Some(e) => {
                        self.on_event(e).await;
                        // Whatever else is queued, before the timer is armed again.
                        for _ in 0..64 {
                            match rx.try_recv() {
                                Ok(e) => self.on_event(e).await,
                                Err(_) => break,
                            }
                        }
                    }
                    None => return,
                },
                _ = &mut timer => self.on_timers().await,
            }
        }
    }

    fn next_deadline(&self) -> Instant {
        let far = Instant::now() + Duration::from_secs(1);
        let mut d = self.layer.next_timer().unwrap_or(far).min(far);
        for r in &self.regs {
            if r.key.is_none() {
                d = d.min(r.next);
            }
        }
        // Only the calls whose 2xx awaits its ACK: a few, however many calls are up.
        for id in &self.unacked {
            if let Some(at) = self
                .calls
                .get(id)
                .filter(|c| c.ok.is_some())
                .and_then(|c| c.dialog.deadline())
            {
                d = d.min(at);
            }
        }
        d
    }

    async fn on_timers(&mut self) {
        let now = Instant::now();
        let out = self.layer.on_timer(now);
        self.process(out).await;
        if self
            .last_qualify
            .is_none_or(|t| now.duration_since(t) >= Duration::from_secs(1))
        {
            self.last_qualify = Some(now);
            self.qualify(now).await;
        }
        // Outbound registrations that are due.
        for i in 0..self.regs.len() {
            if self.regs[i].key.is_none() && now >= self.regs[i].next {
                self.send_register(i, None).await;
            }
        }
        // 2xx retransmissions (RFC 3261 §13.3.1.4): T1 doubling to T2, give up at 64*T1.
        let mut resend = Vec::new();
        let mut give_up = Vec::new();
        let ids: Vec<String> = self.unacked.iter().cloned().collect();
        for id in ids {
            let Some(c) = self.calls.get_mut(&id) else {
                self.unacked.remove(&id);
                continue;
            };
            let Some(ok) = &c.ok else {
                self.unacked.remove(&id);
                continue;
            };
            match c.dialog.poll(now) {
                Some(DialogTimer::Resend2xx) => resend.push((ok.to_bytes(), c.src)),
                Some(DialogTimer::NoAck) => give_up.push(id.clone()),
                None if !c.dialog.awaiting_ack() => {
                    // Sent over a reliable transport: once is enough.
                    c.ok = None;
                    self.unacked.remove(&id);
                }
                None => {}
            }
        }
        for (b, to) in resend {
            let _ = self.sock.send_to(&b, to).await;
        }
        for id in give_up {
            // No ACK: the call is over (a BYE follows, as chan_sip does).
            if let Some(c) = self.calls.get_mut(&id) {
                c.ok = None;
                c.handle.softhangup();
            }
        }
        // Challenges nobody answered: swept once a second, not on every timer.
        if now.duration_since(self.swept) >= Duration::from_secs(1) {
            self.swept = now;
            self.auth
                .retain(|_, (_, _, at)| now.duration_since(*at) < Duration::from_secs(32));
            self.recent_regs
                .retain(|_, at| now.duration_since(*at) < Duration::from_secs(32));
        }
    }

    async fn send(&mut self, msg: &Message, to: SocketAddr) {
        let bytes = msg.to_bytes();
        if self.pbx.sip.debug_for(to) {
            self.trace_out(msg, &bytes, to);
        }
        if let Some(w) = self.tcp.get(&to) {
            if w.send(bytes.clone()).is_ok() {
                return;
            }
            self.tcp.remove(&to);
        }
        let _ = self.sock.send_to(&bytes, to).await;
    }

    /// `sip set debug`: what goes out, as chan_sip prints it (responses framed with
    /// `<--- Transmitting ... --->`, requests as `Transmitting ... to addr:`).
    fn trace_out(&self, msg: &Message, bytes: &[u8], to: SocketAddr) {
        let nat = if self.rport_seen.contains(&to)
            || self
                .pbx
                .config
                .read()
                .unwrap()
                .sip
                .general
                .nat()
                .force_rport
        {
            "NAT"
        } else {
            "no NAT"
        };
        let text = String::from_utf8_lossy(bytes);
        match &msg.start {
            StartLine::Response { .. } => {
                let reliable = msg.code().is_some_and(|c| c >= 200)
                    && msg
                        .cseq()
                        .is_some_and(|c| c.1.eq_ignore_ascii_case("INVITE"));
                crate::logger::verb(
                    0,
                    &format!(
                        "\n<--- {}Transmitting ({nat}) to {to} --->\n{text}\n<------------>",
                        if reliable { "Reliably " } else { "" }
                    ),
                );
            }
            StartLine::Request { method, .. } => {
                let reliable = !method.eq_ignore_ascii_case("ACK");
                crate::logger::verb(
                    0,
                    &format!(
                        "{}Transmitting ({nat}) to {to}:\n{text}\n---",
                        if reliable { "Reliably " } else { "" }
                    ),
                );
            }
        }
    }

    async fn process(&mut self, outs: Vec<Output>) {
        for o in outs {
            match o {
                Output::Send { to, msg, .. } => self.send(&msg, to).await,
                Output::Request { key, msg, from, .. } => {
                    Box::pin(self.on_request(key, msg, from)).await
                }
                Output::Response { key, msg } => {
                    if msg.code().is_some_and(|c| c >= 200) {
                        if let Some(peer) = self.poked(&key) {
                            let sent = self
                                .pokes
                                .get(&peer)
                                .and_then(|p| p.0.as_ref())
                                .map(|x| x.1);
                            let ms = sent.map(|t| t.elapsed().as_millis() as u32).unwrap_or(0);
                            if let Some(p) = self.pokes.get_mut(&peer) {
                                p.0 = None;
                            }
                            self.pbx
                                .sip
                                .qualify
                                .lock()
                                .unwrap()
                                .insert(peer.clone(), Some(ms));
                            self.regexten_on_qualify(&peer, true);
                            continue;
                        }
                    }
                    if let Some(i) = self.regs.iter().position(|r| r.key.as_ref() == Some(&key)) {
                        Box::pin(self.on_register_response(i, msg)).await;
                        continue;
                    }
                    if let Some(id) = self.out_keys.get(&key).cloned() {
                        Box::pin(self.on_out_response(&id, msg)).await;
                    }
                }
                Output::Timeout { key } => {
                    if let Some(peer) = self.poked(&key) {
                        if let Some(p) = self.pokes.get_mut(&peer) {
                            p.0 = None;
                        }
                        self.unreachable(&peer);
                        continue;
                    }
                    if let Some(i) = self.regs.iter().position(|r| r.key.as_ref() == Some(&key)) {
                        let timeout = self.register_timeout();
                        let r = &mut self.regs[i];
                        r.key = None;
                        r.next = Instant::now() + timeout;
                        self.set_reg_state(i, "Timeout", None, None);
                        continue;
                    }
                    if let Some(id) = self.out_keys.remove(&key) {
                        if let Some(o) = self.out.get(&id) {
                            // chan_sip's retrans_pkt on a critical request (the INVITE).
                            let n = o.invite.cseq().map(|c| c.0).unwrap_or(102);
                            crate::logger::warning(
                                "chan_sip.c",
                                &format!(
                                    "Retransmission timeout reached on transmission {id} for seqno {n} (Critical Request) -- See https://wiki.asterisk.org/wiki/display/AST/SIP+Retransmissions\nPacket timed out after {}ms with no response",
                                    o.sent.elapsed().as_millis()
                                ),
                            );
                        }
                        if let Some(o) = self.out_remove(&id) {
                            let _ = o.reply.send((o.idx, DialEvent::Failed(408)));
                        }
                    }
                }
                Output::Stray { msg, .. } => {
                    if msg.method() == Some("ACK") {
                        if let Some(id) = msg.call_id() {
                            self.pbx.sip.dialog_last(id, "Rx", "ACK");
                            let n = msg.cseq().map(|x| x.0).unwrap_or(0);
                            let done = match self.calls.get_mut(id) {
                                Some(c) => {
                                    c.dialog.acked(n);
                                    let done = !c.dialog.awaiting_ack();
                                    if done {
                                        c.ok = None;
                                    }
                                    done
                                }
                                None => true,
                            };
                            if done {
                                self.unacked.remove(id);
                            }
                        }
                    } else if msg.code().is_some_and(|c| (200..300).contains(&c)) {
                        // A retransmitted 2xx of an outgoing call: ACK it again.
                        if let Some(id) = msg.call_id().map(str::to_string) {
                            if self.out.contains_key(&id) {
                                self.send_ack(&id, &msg).await;
                            }
                        }
                    }
                }
            }
        }
    }

    async fn respond(&mut self, key: &Key, resp: Message) {
        let out = self.layer.respond(key, resp, Instant::now());
        Box::pin(self.process(out)).await;
    }

    async fn on_event(&mut self, e: CoreEvent) {
        match e {
            CoreEvent::TcpPacket(bytes, src, writer) => {
                self.tcp.insert(src, writer);
                self.on_packet(&bytes, src, Transport::Tcp).await;
            }
            CoreEvent::Answer(id) => self.answer(&id).await,
            CoreEvent::Indicate(id, ind) => self.indicate(&id, ind).await,
            CoreEvent::Hangup(id, cause) => self.hangup(&id, cause).await,
            CoreEvent::Dial {
                peer,
                to,
                uri,
                caller_num,
                caller_name,
                idx,
                reply,
            } => {
                self.dial(peer, to, uri, caller_num, caller_name, idx, reply)
                    .await
            }
            CoreEvent::DialHangup(id) => self.dial_hangup(&id).await,
            CoreEvent::InfoDtmf {
                call_id,
                digit,
                ms,
                short,
            } => self.info_dtmf(&call_id, digit, ms, short).await,
        }
    }

    /// A qualified peer did not answer: UNREACHABLE, with chan_sip's NOTICE on the change.
    fn unreachable(&self, peer: &str) {
        let was = self
            .pbx
            .sip
            .qualify
            .lock()
            .unwrap()
            .insert(peer.to_string(), None);
        if !matches!(was, Some(None)) {
            crate::logger::notice(
                "chan_sip.c",
                &format!("Peer '{peer}' is now UNREACHABLE!  Last qualify: 0"),
            );
        }
        self.regexten_on_qualify(peer, false);
    }

    /// `regextenonqualify=yes`: the peer's regexten follows its reachability too.
    fn regexten_on_qualify(&self, peer: &str, reachable: bool) {
        let cfg = self.pbx.config.read().unwrap().clone();
        if !super::regexten::on_qualify(&cfg.sip.general) {
            return;
        }
        let registered = self
            .pbx
            .sip
            .registrar
            .lock()
            .unwrap()
            .regs
            .contains_key(peer);
        super::regexten::set(&self.pbx, peer, reachable && registered);
    }

    /// The peer whose qualify OPTIONS has this transaction key.
    fn poked(&self, key: &Key) -> Option<String> {
        self.pokes
            .iter()
            .find(|(_, (k, _))| k.as_ref().is_some_and(|(k, _)| k == key))
            .map(|(p, _)| p.clone())
    }

    /// chan_sip's qualify: every `qualifyfreq` seconds an OPTIONS to each peer with
    /// `qualify=yes|N` and an address; the round trip is the peer's status.
    async fn qualify(&mut self, now: Instant) {
        let cfg = self.pbx.config.read().unwrap().clone();
        let g = &cfg.sip.general;
        let freq = Duration::from_secs(g.qualifyfreq().max(1) as u64);
        let regs = self.pbx.sip.registrar.lock().unwrap().regs.clone();
        for p in &cfg.sip.peers {
            let q = p
                .qualify
                .as_ref()
                .or(g.qualify.as_ref())
                .map(|q| q.value.maxms())
                .unwrap_or(0);
            if q <= 0 || matches!(p.kind.value, crate::config::sip::PeerKind::User) {
                continue;
            }
            let name = p.name.value.clone();
            let addr = match (regs.get(&name), p.host.as_ref().map(|h| &h.value)) {
                (Some(r), _) => Some((r.addr, r.contact.clone())),
                (None, Some(crate::config::sip::Host::Static(h))) => {
                    let port = p.port.as_ref().map(|x| x.value).unwrap_or(5060);
                    std::net::ToSocketAddrs::to_socket_addrs(&(h.as_str(), port))
                        .ok()
                        .and_then(|mut a| a.next())
                        .map(|a| (a, format!("sip:{name}@{h}:{port}")))
                }
                _ => None,
            };
            let Some((to, uri)) = addr else { continue };
            let entry = self.pokes.entry(name.clone()).or_insert((None, now));
            // chan_sip gives an answer 2 x maxms before calling the peer UNREACHABLE.
            if let Some((_, sent)) = entry.0 {
                if now.duration_since(sent) >= Duration::from_millis(2 * q as u64) {
                    entry.0 = None;
                    self.unreachable(&name);
                }
                continue;
            }
            if now < entry.1 {
                continue;
            }
            entry.1 = now + freq;
            let ip = self.local_ip(to);
            let port = self.bound.port();
            let via = self.via(to);
            let tag = format!("as{:08x}", self.rand32());
            let call_id = format!("{:08x}{:08x}@zvezda", self.rand32(), self.rand32());
            let mut m = Message {
                start: StartLine::Request {
                    method: "OPTIONS".into(),
                    uri: uri.clone(),
                },
                headers: Vec::new(),
                body: Vec::new(),
            };
            m.add_header("Via", via);
            m.add_header("Max-Forwards", "70");
            m.add_header(
                "From",
                format!(
                    "\"asterisk\" <sip:asterisk@{}>;tag={tag}",
                    SocketAddr::new(ip, port)
                ),
            );
            m.add_header("To", format!("<{uri}>"));
            m.add_header(
                "Contact",
                format!("<sip:asterisk@{}>", SocketAddr::new(ip, port)),
            );
            m.add_header("Call-ID", call_id);
            m.add_header("CSeq", "102 OPTIONS");
            m.add_header("User-Agent", self.server());
            let t = self.transport_to(to);
            let (key, out) = self.layer.request(m, to, t, now);
            if let Some(e) = self.pokes.get_mut(&name) {
                e.0 = Some((key, now));
            }
            self.process(out).await;
        }
    }

    fn register_timeout(&self) -> Duration {
        let cfg = self.pbx.config.read().unwrap();
        let t = cfg
            .sip
            .general
            .options
            .iter()
            .find(|v| v.name.eq_ignore_ascii_case("registertimeout"))
            .and_then(|v| v.value.trim().parse::<u64>().ok())
            .unwrap_or(20);
        Duration::from_secs(t.max(1))
    }

    /// The `register =>` lines of sip.conf, each registered at start.
    fn setup_registrations(&mut self) {
        let cfg = self.pbx.config.read().unwrap().clone();
        let mut status = Vec::new();
        for (idx, r) in cfg.sip.general.registers.iter().enumerate() {
            let to =
                std::net::ToSocketAddrs::to_socket_addrs(&(r.host.value.as_str(), r.port.value))
                    .ok()
                    .and_then(|mut a| a.next());
            if to.is_none() {
                crate::logger::warning(
                    "chan_sip.c",
                    &format!("Probably a DNS error for registration to {}@{}, trying REGISTER again (after 20 seconds)", r.user.value, r.host.value),
                );
            }
            let call_id = format!("{:08x}{:08x}@zvezda", self.rand32(), self.rand32());
            let tag = format!("as{:08x}", self.rand32());
            status.push(RegStatus {
                host: r.host.value.clone(),
                port: r.port.value,
                user: r.user.value.clone(),
                refresh: r.expiry.value.max(0) as u32,
                state: "Unregistered",
                regtime: None,
            });
            self.regs.push(OutReg {
                idx,
                cfg: r.clone(),
                to,
                call_id,
                tag,
                cseq: 100,
                key: None,
                next: Instant::now(),
                authed: false,
            });
        }
        *self.pbx.sip.registry.lock().unwrap() = status;
    }

    fn set_reg_state(
        &self,
        i: usize,
        state: &'static str,
        refresh: Option<u32>,
        at: Option<SystemTime>,
    ) {
        let idx = self.regs[i].idx;
        if let Some(s) = self.pbx.sip.registry.lock().unwrap().get_mut(idx) {
            s.state = state;
            if let Some(r) = refresh {
                s.refresh = r;
            }
            if at.is_some() {
                s.regtime = at;
            }
        }
    }

    /// Send (or re-send with credentials) the REGISTER of registration `i`.
    async fn send_register(&mut self, i: usize, challenge: Option<&Message>) {
        let Some(to) = self.regs[i].to else {
            let t = self.register_timeout();
            self.regs[i].next = Instant::now() + t;
            return;
        };
        let ip = self.local_ip(to);
        let port = self.bound.port();
        let via = self.via(to);
        let server = self.server();
        let r = &mut self.regs[i];
        r.cseq += 1;
        let c = &r.cfg;
        let domain = c
            .domain
            .as_ref()
            .map(|d| d.value.clone())
            .unwrap_or_else(|| c.host.value.clone());
        let uri = if c.port.value == 5060 {
            format!("sip:{}", c.host.value)
        } else {
            format!("sip:{}:{}", c.host.value, c.port.value)
        };
        let aor = format!("<sip:{}@{}>", c.user.value, domain);
        let mut m = Message {
            start: StartLine::Request {
                method: "REGISTER".into(),
                uri: uri.clone(),
            },
            headers: Vec::new(),
            body: Vec::new(),
        };
        m.add_header("Via", via);
        m.add_header("Max-Forwards", "70");
        m.add_header("From", format!("{aor};tag={}", r.tag));
        m.add_header("To", aor);
        m.add_header("Call-ID", r.call_id.clone());
        m.add_header("CSeq", format!("{} REGISTER", r.cseq));
        m.add_header("User-Agent", server);
        m.add_header("Expires", c.expiry.value.max(0).to_string());
        m.add_header(
            "Contact",
            format!("<sip:{}@{}>", c.extension.value, SocketAddr::new(ip, port)),
        );
        r.authed = false;
        if let Some(ch) = challenge {
            let (hname, aname) = if ch.code() == Some(407) {
                ("Proxy-Authenticate", "Proxy-Authorization")
            } else {
                ("WWW-Authenticate", "Authorization")
            };
            if let Some(h) = ch.header(hname) {
                let user = c
                    .authuser
                    .as_ref()
                    .map(|a| a.value.clone())
                    .unwrap_or_else(|| c.user.value.clone());
                let secret = c
                    .secret
                    .as_ref()
                    .map(|s| s.value.clone())
                    .unwrap_or_default();
                let cnonce = format!("{:08x}", self.rng as u32);
                m.add_header(
                    aname,
                    super::digest::authorization(h, &user, &secret, "REGISTER", &uri, &cnonce),
                );
                self.regs[i].authed = true;
            }
        }
        let (key, out) = self.layer.request(m, to, Transport::Udp, Instant::now());
        self.regs[i].key = Some(key);
        if challenge.is_none() {
            self.set_reg_state(i, "Request Sent", None, None);
        }
        self.process(out).await;
    }

    async fn on_register_response(&mut self, i: usize, msg: Message) {
        let Some(code) = msg.code() else { return };
        if code < 200 {
            return;
        }
        self.regs[i].key = None;
        let timeout = self.register_timeout();
        match code {
            200..=299 => {
                let asked = self.regs[i].cfg.expiry.value.max(1) as u32;
                let granted = msg
                    .header("Expires")
                    .and_then(|e| e.trim().parse::<u32>().ok())
                    .or_else(|| {
                        msg.header("Contact")
                            .and_then(|c| param(c, "expires"))
                            .and_then(|e| e.parse().ok())
                    })
                    .unwrap_or(asked)
                    .max(1);
                // Refresh a little before the registration runs out, as chan_sip does.
                let margin = if granted > 20 { 10 } else { granted / 2 };
                self.regs[i].next =
                    Instant::now() + Duration::from_secs(u64::from(granted - margin));
                self.set_reg_state(i, "Registered", Some(granted), Some(SystemTime::now()));
                let c = &self.regs[i].cfg;
                crate::verb!(3, "Registered to {}@{}", c.user.value, c.host.value);
            }
            401 | 407 if !self.regs[i].authed => {
                self.send_register(i, Some(&msg)).await;
            }
            401 | 407 | 403 => {
                let c = &self.regs[i].cfg;
                crate::logger::warning(
                    "chan_sip.c",
                    &format!("Forbidden - wrong password on authentication for REGISTER for '{}' to '{}'", c.user.value, c.host.value),
                );
                self.regs[i].next = Instant::now() + timeout;
                self.set_reg_state(i, "Rejected", None, None);
            }
            _ => {
                self.regs[i].next = Instant::now() + timeout;
                self.set_reg_state(i, "Rejected", None, None);
            }
        }
    }

    /// TCP when a connection to `to` is open, UDP otherwise.
    fn transport_to(&self, to: SocketAddr) -> Transport {
        if self.tcp.contains_key(&to) {
            Transport::Tcp
        } else {
            Transport::Udp
        }
    }

    fn via(&mut self, to: SocketAddr) -> String {
        let ip = self.local_ip(to);
        let port = self.bound.port();
        let branch = self.layer.new_branch();
        let t = if self.tcp.contains_key(&to) {
            "TCP"
        } else {
            "UDP"
        };
        format!(
            "SIP/2.0/{t} {};branch={branch};rport",
            SocketAddr::new(ip, port)
        )
    }

    #[allow(clippy::too_many_arguments)]
    async fn dial(
        &mut self,
        peer: String,
        to: SocketAddr,
        uri: String,
        caller_num: Option<String>,
        caller_name: Option<String>,
        idx: usize,
        reply: mpsc::UnboundedSender<(usize, DialEvent)>,
    ) {
        let cfg = self.pbx.config.read().unwrap().clone();
        let ip = self.local_ip(to);
        let port = self.bound.port();
        let name = format!("SIP/{}-{:08x}", peer, self.seq);
        self.seq = self.seq.wrapping_add(1);
        let call_id = format!("{:08x}{:08x}@{}", self.rand32(), self.rand32(), ip);
        let tag = format!("as{:08x}", self.rand32());
        let (rtp, rtp_port) = reserve_rtp(&cfg, ip);
        let allowed = cfg
            .sip
            .peer(&peer)
            .map(|p| super::sdp::payloads_for(&p.codec_list(&cfg.sip.general)))
            .filter(|a| !a.is_empty())
            .unwrap_or(vec![8, 0]);
        // telephone-event only for rfc2833/auto peers, as chan_sip's noncodeccapability.
        let te = takes_events(dtmf_mode_of(&cfg, &peer)).then_some(101);
        let sdp = super::sdp::build(ip, rtp_port, u64::from(self.rand32()), &allowed, te);
        let num = caller_num.unwrap_or_else(|| "anonymous".into());
        let from = match caller_name.filter(|n| !n.is_empty()) {
            Some(n) => format!(
                "\"{n}\" <sip:{num}@{}>;tag={tag}",
                SocketAddr::new(ip, port)
            ),
            None => format!("<sip:{num}@{}>;tag={tag}", SocketAddr::new(ip, port)),
        };
        let mut inv = Message {
            start: StartLine::Request {
                method: "INVITE".into(),
                uri: uri.clone(),
            },
            headers: Vec::new(),
            body: sdp,
        };
        let via = self.via(to);
        inv.add_header("Via", via);
        inv.add_header("Max-Forwards", "70");
        inv.add_header("From", from);
        inv.add_header("To", format!("<{uri}>"));
        inv.add_header(
            "Contact",
            format!("<sip:{num}@{}>", SocketAddr::new(ip, port)),
        );
        inv.add_header("Call-ID", call_id.clone());
        inv.add_header("CSeq", "102 INVITE");
        inv.add_header("User-Agent", self.server());
        inv.add_header("Allow", super::registrar::ALLOW);
        inv.add_header("Supported", super::registrar::SUPPORTED);
        inv.add_header("Content-Type", "application/sdp");
        self.dialog_begin(&call_id, to.ip(), &peer, &allowed, "Init: INVITE", &peer);
        let _ = reply.send((idx, DialEvent::Created(call_id.clone(), name.clone())));
        let media = rtp.map(|(sock, rtcp)| {
            let (mut stream, ctl) = crate::channel::media::RtpStream::new(
                sock,
                SocketAddr::new(ip, rtp_port),
                None,
                law_of(allowed[0]),
                te,
                cfg.sip
                    .peer(&peer)
                    .is_some_and(|p| p.nat(&cfg.sip.general).comedia),
                dtmf_mode_of(&cfg, &peer),
            );
            let (rt, hold) = rtp_timeouts(&cfg.sip.general);
            stream.set_rtp_timeouts(rt, hold, &name, None);
            let stats = self.media_extras(&mut stream, rtcp, &cfg, &call_id, Some(&peer));
            self.dialog_stats(&call_id, stats);
            let _ = reply.send((idx, DialEvent::Stream(Box::new(stream))));
            ctl
        });
        let (key, outs) =
            self.layer
                .request(inv.clone(), to, self.transport_to(to), Instant::now());
        self.pbx.sip.set_ringing(&peer, true);
        self.out_keys.insert(key.clone(), call_id.clone());
        self.out.insert(
            call_id,
            OutCall {
                key,
                dialog: Dialog::uac(&inv),
                invite: inv,
                to,
                idx,
                reply,
                state: State::Early,
                media,
                peer,
                authed: false,
                provisional: false,
                abandoned: false,
                sent: Instant::now(),
                ringing: true,
            },
        );
        self.process(outs).await;
    }

    async fn on_out_response(&mut self, id: &str, msg: Message) {
        let Some(code) = msg.code() else { return };
        let Some(o) = self.out.get_mut(id) else {
            return;
        };
        o.dialog.on_response(&msg);
        if !msg.body.is_empty() {
            if let (Some(sdp), Some(ctl)) = (super::sdp::parse(&msg.body), &o.media) {
                let _ = ctl.send(remote_of(&sdp));
            }
        }
        if (100..200).contains(&code) {
            o.provisional = true;
            if o.abandoned {
                // Dial gave up before this: now the CANCEL may go.
                o.abandoned = false;
                o.state = State::Early;
                self.dial_hangup(id).await;
                return;
            }
        }
        if o.abandoned && code >= 200 {
            let answered = (200..300).contains(&code);
            if answered {
                // Answered after all: ACK it and end it at once.
                o.state = State::Answered;
                self.send_ack(id, &msg).await;
                if let Some(o) = self.out.get_mut(id) {
                    o.abandoned = false;
                }
                self.dial_hangup(id).await;
            } else {
                self.out_remove(id);
            }
            return;
        }
        if code >= 300
            && ![
                400, 401, 403, 404, 405, 407, 408, 414, 415, 422, 423, 428, 480, 481, 487, 488,
                491, 493, 501, 606,
            ]
            .contains(&code)
        {
            let reason = match &msg.start {
                StartLine::Response { reason, .. } => reason.clone(),
                _ => String::new(),
            };
            crate::verb!(
                3,
                "Got SIP response {} \"{}\" back from {}",
                code,
                reason,
                o.to
            );
        }
        match code {
            180 => {
                let _ = o.reply.send((o.idx, DialEvent::Ringing));
            }
            181..=199 => {
                let _ = o.reply.send((o.idx, DialEvent::Progress));
            }
            100 => {}
            200..=299 => {
                if o.ringing {
                    o.ringing = false;
                    self.pbx.sip.set_ringing(&o.peer, false);
                }
                if o.state == State::Early {
                    o.state = State::Answered;
                    let _ = o.reply.send((o.idx, DialEvent::Answered));
                }
                self.send_ack(id, &msg).await;
            }
            401 | 407 if !o.authed => {
                // The provider wants credentials: the same INVITE again (CSeq + 1, new branch)
                // with the peer's secret, as chan_sip does for trunks.
                let hname = if code == 407 {
                    "Proxy-Authenticate"
                } else {
                    "WWW-Authenticate"
                };
                let aname = if code == 407 {
                    "Proxy-Authorization"
                } else {
                    "Authorization"
                };
                let Some(challenge) = msg.header(hname).map(str::to_string) else {
                    let o = self.out_remove(id).unwrap();
                    let _ = o.reply.send((o.idx, DialEvent::Failed(code)));
                    return;
                };
                let cfg = self.pbx.config.read().unwrap().clone();
                let (user, secret) = match cfg.sip.peer(&o.peer) {
                    Some(p) => (
                        p.defaultuser
                            .as_ref()
                            .or(p.fromuser.as_ref())
                            .map(|u| u.value.clone())
                            .unwrap_or_else(|| o.peer.clone()),
                        p.secret
                            .as_ref()
                            .map(|s| s.value.clone())
                            .unwrap_or_default(),
                    ),
                    None => (o.peer.clone(), String::new()),
                };
                let mut inv = o.invite.clone();
                let to = o.to;
                let old_key = o.key.clone();
                let uri = match &inv.start {
                    StartLine::Request { uri, .. } => uri.clone(),
                    _ => String::new(),
                };
                let n = inv.cseq().map(|c| c.0).unwrap_or(102) + 1;
                inv.set_header("CSeq", format!("{n} INVITE"));
                let cnonce = format!("{:08x}", self.rand32());
                inv.set_header(
                    aname,
                    super::digest::authorization(
                        &challenge, &user, &secret, "INVITE", &uri, &cnonce,
                    ),
                );
                let via = self.via(to);
                inv.set_header("Via", via);
                let (key, outs) =
                    self.layer
                        .request(inv.clone(), to, self.transport_to(to), Instant::now());
                self.out_keys.remove(&old_key);
                self.out_keys.insert(key.clone(), id.to_string());
                if let Some(o) = self.out.get_mut(id) {
                    o.key = key;
                    o.dialog.reinvited(&inv);
                    o.invite = inv;
                    o.authed = true;
                    o.sent = Instant::now();
                }
                self.process(outs).await;
            }
            _ => {
                let o = self.out_remove(id).unwrap();
                let _ = o.reply.send((o.idx, DialEvent::Failed(code)));
            }
        }
    }

    /// The ACK for a 2xx: a new transaction-less request to the remote target.
    async fn send_ack(&mut self, id: &str, resp: &Message) {
        let Some(o) = self.out.get(id) else { return };
        let to = o.to;
        let cseq = resp.cseq().map(|c| c.0).unwrap_or(o.dialog.invite_cseq);
        let mut ack = o.dialog.ack(cseq);
        // The To of the 2xx being acknowledged (another fork's tag would be its own).
        if let Some(t) = resp.header("To") {
            ack.set_header("To", t);
        }
        let via = self.via(to);
        with_via(&mut ack, via);
        self.pbx.sip.dialog_last(id, "Tx", "ACK");
        self.send(&ack, to).await;
    }

    /// A digit as an in-dialog INFO (chan_sip's transmit_info_with_digit/add_digit), on an
    /// answered call either way.
    async fn info_dtmf(&mut self, id: &str, digit: char, ms: u32, short: bool) {
        let (ctype, body) = if short {
            let event = crate::media::dtmf::digit_to_event(digit).unwrap_or(0);
            ("application/dtmf", format!("{event}\r\n"))
        } else {
            (
                "application/dtmf-relay",
                format!("Signal={digit}\r\nDuration={ms}\r\n"),
            )
        };
        let server = self.server();
        // The dialog numbers and addresses it (dialog.rs).
        let (mut req, dest) = if let Some(c) = self.calls.get_mut(id) {
            if c.state != State::Answered {
                return;
            }
            (c.dialog.request("INFO"), c.src)
        } else if let Some(o) = self.out.get_mut(id) {
            if o.state != State::Answered {
                return;
            }
            (o.dialog.request("INFO"), o.to)
        } else {
            return;
        };
        req.body = body.into_bytes();
        let via = self.via(dest);
        with_via(&mut req, via);
        req.add_header("User-Agent", server);
        req.add_header("Content-Type", ctype);
        self.pbx.sip.dialog_last(id, "Tx", "INFO");
        let (_, outs) = self
            .layer
            .request(req, dest, self.transport_to(dest), Instant::now());
        self.process(outs).await;
    }

    /// A stream's RTCP and INFO digits; returns the figures for `sip show channelstats`.
    fn media_extras(
        &self,
        stream: &mut crate::channel::media::RtpStream,
        rtcp: Option<crate::channel::rtppool::Sock>,
        cfg: &crate::config::ConfigSet,
        call_id: &str,
        peer: Option<&str>,
    ) -> Arc<std::sync::Mutex<crate::media::rtp::RtcpStats>> {
        let interval =
            crate::media::rtp::rtcp_interval(cfg.rtp.as_ref().and_then(|r| r.rtcpinterval()));
        stream.set_rtcp(rtcp, interval);
        stream.set_pooled();
        let tx = self.tx.clone();
        let id = call_id.to_string();
        let short = peer.is_some_and(|p| dtmf_shortinfo(cfg, p));
        stream.set_info_sender(Box::new(move |digit, ms| {
            let _ = tx.send(CoreEvent::InfoDtmf {
                call_id: id.clone(),
                digit,
                ms,
                short,
            });
        }));
        stream.stats_handle()
    }

    /// The stream figures a `sip show channelstats` row shows.
    fn dialog_stats(&self, id: &str, stats: Arc<std::sync::Mutex<crate::media::rtp::RtcpStats>>) {
        if let Some(d) = self.pbx.sip.dialogs.lock().unwrap().get_mut(id) {
            d.stats = Some(stats);
        }
    }

    async fn dial_hangup(&mut self, id: &str) {
        if let Some(o) = self.out.get_mut(id) {
            if o.state == State::Early && !o.provisional {
                // Nothing provisional yet: no CANCEL (RFC 3261 §9.1, as chan_sip); it goes
                // when a provisional comes, or the INVITE times out.
                o.abandoned = true;
                return;
            }
        }
        let Some(o) = self.out_remove(id) else { return };
        let mut req = Message {
            start: StartLine::Request {
                method: String::new(),
                uri: String::new(),
            },
            headers: Vec::new(),
            body: Vec::new(),
        };
        match o.state {
            State::Early => {
                // CANCEL: same Request-URI, Via (branch), From, To, Call-ID, CSeq number.
                req.start = StartLine::Request {
                    method: "CANCEL".into(),
                    uri: match &o.invite.start {
                        StartLine::Request { uri, .. } => uri.clone(),
                        _ => o.dialog.remote_target.clone(),
                    },
                };
                req.add_header("Via", o.invite.header("Via").unwrap_or(""));
                req.add_header("Max-Forwards", "70");
                req.add_header("From", o.invite.header("From").unwrap_or(""));
                req.add_header("To", o.invite.header("To").unwrap_or(""));
                req.add_header("Call-ID", id);
                let n = o.invite.cseq().map(|c| c.0).unwrap_or(102);
                req.add_header("CSeq", format!("{n} CANCEL"));
            }
            State::Answered => {
                let mut dialog = o.dialog;
                req = dialog.request("BYE");
                let via = self.via(o.to);
                with_via(&mut req, via);
            }
            State::Ended => return,
        }
        let (_, outs) = self
            .layer
            .request(req, o.to, self.transport_to(o.to), Instant::now());
        self.process(outs).await;
    }

    /// `481 Call leg/transaction does not exist`.
    async fn no_such_call(&mut self, key: &Key, msg: &Message, from: SocketAddr) {
        let server = self.server();
        let r = response(
            msg,
            481,
            "Call leg/transaction does not exist",
            None,
            from,
            &server,
        );
        self.respond(key, r).await;
    }

    async fn on_packet(&mut self, bytes: &[u8], src: SocketAddr, transport: Transport) {
        if self.pbx.sip.debug_for(src) {
            crate::logger::verb(
                0,
                &format!(
                    "\n<--- SIP read from {}:{src} --->\n{}\n<------------->",
                    if transport == Transport::Tcp {
                        "TCP"
                    } else {
                        "UDP"
                    },
                    String::from_utf8_lossy(bytes)
                ),
            );
        }
        let Ok((msg, _)) = Message::parse(bytes, false) else {
            // Unreadable: answered 400/505 when the headers allow it, else dropped.
            if let Some((head, code, reason)) = super::validate::unparsable(bytes) {
                let server = self.server();
                self.send(&response(&head, code, reason, None, src, &server), src)
                    .await;
            }
            return;
        };
        if self
            .pbx
            .sip
            .debug_any
            .load(std::sync::atomic::Ordering::Relaxed)
            && msg.header("Via").is_some_and(|v| {
                v.split(';').any(|p| {
                    p.trim().eq_ignore_ascii_case("rport")
                        || p.trim().to_ascii_lowercase().starts_with("rport=")
                })
            })
        {
            if self.rport_seen.len() > 10_000 {
                self.rport_seen.clear();
            }
            self.rport_seen.insert(src);
        }
        if let StartLine::Request { .. } = msg.start {
            if msg.header("Via").is_none() {
                return;
            }
            if super::transport::lacks_mandatory(&msg) {
                let server = self.server();
                self.send(&response(&msg, 400, "Bad Request", None, src, &server), src)
                    .await;
                return;
            }
            if let Some((code, reason)) = super::validate::check(&msg) {
                let server = self.server();
                self.send(&response(&msg, code, reason, None, src, &server), src)
                    .await;
                return;
            }
        }
        let out = self.layer.on_message(msg, src, transport, Instant::now());
        self.process(out).await;
    }

    fn server(&self) -> String {
        self.pbx.sip.registrar.lock().unwrap().server.clone()
    }

    async fn on_request(&mut self, key: Key, msg: Message, from: SocketAddr) {
        let method = msg.method().unwrap_or("").to_ascii_uppercase();
        let server = self.server();
        if let Some(id) = msg.call_id() {
            self.pbx.sip.dialog_last(id, "Rx", &method);
        }
        match method.as_str() {
            "REGISTER" | "OPTIONS" => {
                if method == "REGISTER" {
                    if let Some(id) = msg.call_id() {
                        if !self.recent_regs.contains_key(id) {
                            self.recent_regs.insert(id.to_string(), Instant::now());
                        }
                    }
                }
                let resp = super::transport::non_invite_response(&self.pbx, &msg, from, &method);
                self.respond(&key, resp).await;
            }
            "INVITE" => self.on_invite(key, msg, from).await,
            "BYE" => {
                let id = msg.call_id().unwrap_or("").to_string();
                if let Some(o) = self.out_remove(&id) {
                    let _ = o.reply.send((o.idx, DialEvent::Hangup));
                    let r = response(&msg, 200, "OK", None, from, &server);
                    self.respond(&key, r).await;
                    return;
                }
                if !self.calls.contains_key(&id) && self.recent_regs.contains_key(&id) {
                    // chan_sip keeps a REGISTER's dialog for a while; a BYE on its Call-ID
                    // finds it and is answered 200.
                    let r = response(&msg, 200, "OK", None, from, &server);
                    self.respond(&key, r).await;
                    return;
                }
                let check = self.calls.get_mut(&id).map(|c| c.dialog.on_request(&msg));
                match self.calls.get_mut(&id) {
                    Some(_) if check == Some(Check::TooOld) => {
                        let r = response(&msg, 500, "Server error", None, from, &server);
                        self.respond(&key, r).await;
                    }
                    Some(c) => {
                        c.state = State::Ended;
                        c.ok = None;
                        c.handle.softhangup();
                        let r = response(&msg, 200, "OK", None, from, &server);
                        self.respond(&key, r).await;
                    }
                    None => {
                        self.no_such_call(&key, &msg, from).await;
                    }
                }
            }
            "CANCEL" => {
                let target = self.layer.cancel_target(&msg);
                let id = msg.call_id().unwrap_or("").to_string();
                let early = self.calls.get(&id).is_some_and(|c| c.state == State::Early);
                if target.is_some() && early {
                    // chan_sip ends the INVITE (487) before it answers the CANCEL.
                    let (ikey, invite, tag, handle) = {
                        let c = self.calls.get_mut(&id).unwrap();
                        c.state = State::Ended;
                        (
                            c.key.clone(),
                            c.invite.clone(),
                            c.tag.clone(),
                            c.handle.clone(),
                        )
                    };
                    let r = response(
                        &invite,
                        487,
                        "Request Terminated",
                        Some(&tag),
                        from,
                        &server,
                    );
                    self.respond(&ikey, r).await;
                    let r = response(&msg, 200, "OK", None, from, &server);
                    self.respond(&key, r).await;
                    handle.softhangup();
                } else {
                    self.no_such_call(&key, &msg, from).await;
                }
            }
            "ACK" => {}
            "INFO" => {
                // In-dialog INFO (DTMF with dtmfmode=info, picture updates): accepted.
                let id = msg.call_id().unwrap_or("").to_string();
                let id = id.as_str();
                let old = self
                    .calls
                    .get_mut(id)
                    .map(|c| c.dialog.on_request(&msg) == Check::TooOld)
                    .unwrap_or(false);
                if old {
                    let r = response(&msg, 500, "Server error", None, from, &server);
                    self.respond(&key, r).await;
                } else if self.calls.contains_key(id) || self.out.contains_key(id) {
                    // DTMF as `application/dtmf-relay` (or `application/dtmf`): to the stream.
                    let digit =
                        crate::media::dtmf::parse_dtmf_relay(&String::from_utf8_lossy(&msg.body));
                    let ctl = self
                        .calls
                        .get(id)
                        .and_then(|c| c.media.as_ref())
                        .or(self.out.get(id).and_then(|o| o.media.as_ref()));
                    if let (Some((d, _)), Some(ctl)) = (digit, ctl) {
                        let _ = ctl.send(crate::channel::media::MediaCtl::Dtmf(d));
                    }
                    let r = response(&msg, 200, "OK", None, from, &server);
                    self.respond(&key, r).await;
                } else {
                    self.no_such_call(&key, &msg, from).await;
                }
            }
            _ => {
                let r = response(&msg, 501, "Not Implemented", None, from, &server);
                self.respond(&key, r).await;
            }
        }
    }

    /// Our address as the far end should see it.
    /// An INVITE refused after its peer's call-limit counted it: the count goes back.
    fn release(&self, limited: &Option<String>) {
        if let Some(p) = limited {
            self.pbx.sip.call_ended(p);
        }
    }

    /// Bound to a wildcard address, the kernel's route to `to` says which of ours it sees;
    /// asked once per far address, not per call.
    fn local_ip(&self, to: SocketAddr) -> IpAddr {
        let ip = self.bound.ip();
        if !ip.is_unspecified() {
            return ip;
        }
        if let Some(known) = self.routes.lock().unwrap().get(&to.ip()) {
            return *known;
        }
        let mine = std::net::UdpSocket::bind((ip, 0))
            .and_then(|s| {
                s.connect(to)?;
                s.local_addr()
            })
            .map(|a| a.ip())
            .unwrap_or(ip);
        let mut routes = self.routes.lock().unwrap();
        if routes.len() > 10_000 {
            routes.clear();
        }
        routes.insert(to.ip(), mine);
        mine
    }

    async fn on_invite(&mut self, key: Key, msg: Message, src: SocketAddr) {
        let server = self.server();
        let call_id = msg.call_id().unwrap_or("").to_string();
        let to_has_tag = msg.header("To").and_then(|t| param(t, "tag")).is_some();
        if let Some(c) = self.calls.get_mut(&call_id) {
            let check = if to_has_tag {
                c.dialog.on_request(&msg)
            } else {
                Check::Repeat
            };
            let r = if check == Check::TooOld {
                // Older than the last request: chan_sip's 500 with a Retry-After of 1-10 s.
                let mut r = response(&msg, 500, "Server error", Some(&c.tag), src, &server);
                let secs = 1 + self.rng % 10;
                r.add_header("Retry-After", secs.to_string());
                r
            } else if check == Check::InOrder && c.state == State::Answered {
                // A re-INVITE in the dialog (hold, resume, a new address): answered here, the
                // media stays anchored on us; the hold state is the call's.
                let offer = super::sdp::parse(&msg.body);
                let dir = offer.as_ref().map(|o| o.direction).unwrap_or_default();
                let hold = offer.as_ref().is_some_and(|o| o.is_hold());
                c.local_sdp = super::sdp::reanswer(&c.local_sdp, dir);
                let mut r = response(&msg, 200, "OK", Some(&c.tag), src, &server);
                r.add_header("Contact", c.contact.clone());
                r.add_header("Content-Type", "application/sdp");
                r.body = c.local_sdp.clone();
                // Re-sent until its ACK, like the first 2xx.
                c.ok = Some(r.clone());
                let n = msg.cseq().map(|x| x.0).unwrap_or(0);
                c.dialog
                    .sent_2xx(Instant::now(), self.tcp.contains_key(&src), n);
                self.unacked.insert(call_id.clone());
                if let (Some(o), Some(ctl)) = (&offer, &c.media) {
                    let _ = ctl.send(remote_of(o));
                    let _ = ctl.send(crate::channel::media::MediaCtl::Hold(hold));
                }
                self.set_hold(&call_id, hold);
                r
            } else if check == Check::Repeat && (to_has_tag || c.state == State::Answered) {
                // The first INVITE again after our 2xx.
                let mut r = c.ok.clone().unwrap_or_else(|| {
                    let mut r = response(&msg, 200, "OK", Some(&c.tag), src, &server);
                    r.add_header("Contact", c.contact.clone());
                    r.add_header("Content-Type", "application/sdp");
                    r.body = c.local_sdp.clone();
                    r
                });
                if let Some((n, _)) = msg.cseq() {
                    r.set_header("CSeq", format!("{n} INVITE"));
                }
                r
            } else {
                response(&msg, 491, "Request Pending", Some(&c.tag), src, &server)
            };
            self.respond(&key, r).await;
            return;
        }
        if let Some(o) = self
            .out
            .get_mut(&call_id)
            .filter(|o| o.state == State::Answered)
        {
            // The callee re-INVITEs (hold/resume): answered with our SDP, version + 1.
            let offer = super::sdp::parse(&msg.body);
            let dir = offer.as_ref().map(|x| x.direction).unwrap_or_default();
            let hold = offer.as_ref().is_some_and(|x| x.is_hold());
            o.invite.body = super::sdp::reanswer(&o.invite.body, dir);
            if let (Some(x), Some(ctl)) = (&offer, &o.media) {
                let _ = ctl.send(remote_of(x));
                let _ = ctl.send(crate::channel::media::MediaCtl::Hold(hold));
            }
            // Their From is our To: the tag we gave is in our From.
            let our_tag = o
                .invite
                .header("From")
                .and_then(|f| param(f, "tag"))
                .unwrap_or_default()
                .to_string();
            let mut r = response(&msg, 200, "OK", Some(&our_tag), src, &server);
            if let Some(c) = o.invite.header("Contact") {
                r.add_header("Contact", c.to_string());
            }
            r.add_header("Content-Type", "application/sdp");
            r.body = o.invite.body.clone();
            self.set_hold(&call_id, hold);
            self.respond(&key, r).await;
            return;
        }
        if to_has_tag {
            let r = response(
                &msg,
                481,
                "Call leg/transaction does not exist",
                None,
                src,
                &server,
            );
            self.respond(&key, r).await;
            return;
        }
        let cfg = self.pbx.config.read().unwrap().clone();
        let sip = &cfg.sip;
        let g = &sip.general;
        let from_hdr = msg.header("From").unwrap_or("").to_string();
        let from_uri = Uri::parse(&from_hdr);
        let from_user = from_uri
            .as_ref()
            .and_then(|u| u.user.clone())
            .unwrap_or_default();
        let (tag, nonce) = match self.auth.get(&call_id) {
            Some((t, n, _)) => (t.clone(), n.clone()),
            None => {
                let t = format!("as{:08x}", self.rand32());
                let n = format!("{:08x}", self.rand32());
                self.auth
                    .insert(call_id.clone(), (t.clone(), n.clone(), Instant::now()));
                (t, n)
            }
        };
        // Who is calling: the peer named in From, else a static peer at that address.
        let by_name = sip
            .peers
            .iter()
            .find(|p| p.name.value == from_user && p.is_user());
        let by_ip = sip.peers.iter().find(|p| {
            matches!(p.host.as_ref().map(|h| &h.value), Some(crate::config::sip::Host::Static(h))
                if h.parse::<IpAddr>().ok() == Some(src.ip()))
        });
        let peer = by_name.or(by_ip);
        let context;
        let peer_name;
        // The peer whose call counter this call holds (call-limit).
        let mut limited: Option<String> = None;
        match peer {
            Some(p) => {
                let insecure = p.insecure(g);
                let secret = p
                    .secret
                    .as_ref()
                    .map(|s| s.value.as_str())
                    .filter(|s| !s.is_empty());
                let md5 = p
                    .md5secret
                    .as_ref()
                    .map(|s| s.value.as_str())
                    .filter(|s| !s.is_empty());
                let needs_auth = (secret.is_some() || md5.is_some()) && !insecure.invite;
                if needs_auth {
                    match msg
                        .header("Authorization")
                        .or(msg.header("Proxy-Authorization"))
                    {
                        Some(a) if super::digest::Answer::parse(a).nonce == nonce => {
                            let ans = super::digest::Answer::parse(a);
                            let realm = g.realm().to_string();
                            if !ans.verify("INVITE", secret, md5, &realm) {
                                crate::logger::log(
                                    Level::Notice,
                                    "chan_sip.c",
                                    &format!("Failed to authenticate device {from_hdr} for INVITE, code = -1"),
                                );
                                let r = response(&msg, 403, "Forbidden", Some(&tag), src, &server);
                                self.respond(&key, r).await;
                                return;
                            }
                        }
                        _ => {
                            let mut r =
                                response(&msg, 401, "Unauthorized", Some(&tag), src, &server);
                            r.add_header(
                                "WWW-Authenticate",
                                super::digest::challenge(g.realm(), &nonce),
                            );
                            self.respond(&key, r).await;
                            return;
                        }
                    }
                }
                context = p.context(g).to_string();
                peer_name = p.name.value.clone();
                let limit = p.call_limit.as_ref().map(|l| l.value).unwrap_or(0);
                if limit > 0 {
                    if !self.pbx.sip.call_started(&peer_name, limit as u32) {
                        crate::logger::notice(
                            "chan_sip.c",
                            &format!("Call from peer '{peer_name}' rejected due to usage limit of {limit}"),
                        );
                        crate::logger::notice(
                            "chan_sip.c",
                            &format!("Failed to place call for device {peer_name}, too many calls"),
                        );
                        let r = response(
                            &msg,
                            480,
                            "Temporarily Unavailable (Call limit) ",
                            Some(&tag),
                            src,
                            &server,
                        );
                        self.respond(&key, r).await;
                        return;
                    }
                    limited = Some(peer_name.clone());
                }
            }
            None => {
                crate::verb!(3, "No matching peer for '{}' from '{}'", from_user, src);
                if !g.allowguest() {
                    let r = if g.alwaysauthreject() && msg.header("Authorization").is_none() {
                        let mut r = response(&msg, 401, "Unauthorized", Some(&tag), src, &server);
                        r.add_header(
                            "WWW-Authenticate",
                            super::digest::challenge(g.realm(), &nonce),
                        );
                        r
                    } else {
                        crate::logger::log(
                            Level::Notice,
                            "chan_sip.c",
                            &format!(
                                "Failed to authenticate device {from_hdr} for INVITE, code = -1"
                            ),
                        );
                        response(&msg, 403, "Forbidden", Some(&tag), src, &server)
                    };
                    self.respond(&key, r).await;
                    return;
                }
                context = g.context().to_string();
                peer_name = src.ip().to_string();
            }
        }
        // Where to: the Request-URI's user in the caller's context.
        let exten = match &msg.start {
            // `tel:+74951234567;phone-context=...`: the number, as chan_sip takes it.
            StartLine::Request { uri, .. }
                if uri.len() > 4 && uri[..4].eq_ignore_ascii_case("tel:") =>
            {
                uri[4..].split(';').next().unwrap_or("").to_string()
            }
            StartLine::Request { uri, .. } => Uri::parse(uri)
                .and_then(|u| u.user)
                .unwrap_or_else(|| "s".into()),
            _ => "s".into(),
        };
        let exten = if exten.is_empty() {
            "s".to_string()
        } else {
            exten
        };
        let dp = self.pbx.dialplan();
        let cid_num = from_user.clone();
        if !dp.exists(&context, &exten, 1, Some(&cid_num)) {
            let r = if dp.can_match(&context, &exten, Some(&cid_num)) {
                response(&msg, 484, "Address Incomplete", Some(&tag), src, &server)
            } else {
                crate::logger::log(
                    Level::Notice,
                    "chan_sip.c",
                    &format!(
                        "Call from '{}' ({}) to extension '{}' rejected because extension not found in context '{}'.",
                        if peer.is_some() { peer_name.as_str() } else { "" }, src, exten, context
                    ),
                );
                response(&msg, 404, "Not Found", Some(&tag), src, &server)
            };
            self.respond(&key, r).await;
            self.release(&limited);
            return;
        }
        // Media: the offer, our codec and an RTP port of our own.
        let allowed: Vec<u8> = match peer {
            Some(p) => super::sdp::payloads_for(&p.codec_list(g)),
            None => super::sdp::payloads_for(&g.codecs().list),
        };
        let allowed = if allowed.is_empty() {
            vec![0, 8]
        } else {
            allowed
        };
        let offer = super::sdp::parse(&msg.body);
        let payloads = match &offer {
            Some(o) => match super::sdp::answer(o, &allowed) {
                Some(p) => vec![p],
                None => {
                    let r = response(&msg, 488, "Not Acceptable Here", Some(&tag), src, &server);
                    self.respond(&key, r).await;
                    self.release(&limited);
                    return;
                }
            },
            None => allowed.clone(),
        };
        let ip = self.local_ip(src);
        let (rtp, rtp_port) = reserve_rtp(&cfg, ip);
        if rtp.is_none() {
            // No port left in rtp.conf's range (or no descriptor): chan_sip's RTP init
            // failure, 503 rather than a call without audio.
            crate::logger::log(
                Level::Notice,
                "chan_sip.c",
                &format!("RTP init failure for device {from_hdr} for INVITE, code = -9"),
            );
            let r = response(&msg, 503, "Service Unavailable", Some(&tag), src, &server);
            self.respond(&key, r).await;
            self.release(&limited);
            return;
        }
        let session = u64::from(self.rand32());
        let dtmf = offer.as_ref().map_or(Some(101), |o| o.dtmf).filter(|_| {
            // telephone-event only for rfc2833/auto peers, as chan_sip's
            // noncodeccapability.
            peer.is_none_or(|p| takes_events(dtmf_mode_of(&cfg, &p.name.value)))
        });
        let local_sdp = super::sdp::build(ip, rtp_port, session, &payloads, dtmf);
        let trying = response(&msg, 100, "Trying", None, src, &server);
        self.respond(&key, trying).await;
        // The channel.
        let name = format!("SIP/{}-{:08x}", peer_name, self.seq);
        self.seq = self.seq.wrapping_add(1);
        let mut chan = Channel::new(name, self.pbx.next_uniqueid(), &context, &exten);
        chan.caller.num = Some(cid_num).filter(|s| !s.is_empty());
        let display = from_hdr
            .split('<')
            .next()
            .map(|d| d.trim().trim_matches('"').to_string())
            .filter(|d| !d.is_empty());
        chan.caller.name = display;
        if let Some(p) = peer {
            if let Some(l) = &p.language {
                chan.language = l.value.clone();
            } else {
                chan.language = self.pbx.default_language.clone();
            }
            if let Some(cid) = &p.callerid {
                let v = cid.value.clone();
                if let Some((n, rest)) = v.split_once('<') {
                    let n = n.trim().trim_matches('"');
                    if !n.is_empty() {
                        chan.caller.name = Some(n.to_string());
                    }
                    chan.caller.num = Some(rest.trim_end_matches('>').trim().to_string());
                }
            }
        }
        // The audio: the reserved socket, sending where the offer says (or, with
        // `nat=comedia`, where the caller's audio comes from).
        let comedia = peer.map(|p| p.nat(g).comedia).unwrap_or(g.nat().comedia);
        let mut stats = None;
        let media = rtp.map(|(sock, rtcp)| {
            let remote = offer.as_ref().and_then(|o| remote_of(o).remote_addr());
            let dmode = peer
                .map(|p| dtmf_mode_of(&cfg, &p.name.value))
                .unwrap_or_default();
            let (mut stream, ctl) = crate::channel::media::RtpStream::new(
                sock,
                SocketAddr::new(ip, rtp_port),
                remote,
                law_of(payloads[0]),
                dtmf,
                comedia,
                dmode,
            );
            let (rt, hold) = rtp_timeouts(g);
            stream.set_rtp_timeouts(rt, hold, &chan.name, Some(chan.handle.clone()));
            stats = Some(self.media_extras(
                &mut stream,
                rtcp,
                &cfg,
                &call_id,
                peer.map(|p| p.name.value.as_str()),
            ));
            chan.media = Some(Box::new(stream));
            ctl
        });
        chan.set_state(ChannelState::Ring);
        chan.tech = Some(Arc::new(SipTech {
            call_id: call_id.clone(),
            tx: self.tx.clone(),
        }));
        let handle = chan.handle.clone();
        self.pbx.register(handle.clone());
        let contact = format!("<sip:{}@{}>", exten, SocketAddr::new(ip, self.bound.port()));
        // The call keeps the tag; the challenge state is done with.
        self.auth.remove(&call_id);
        self.calls.insert(
            call_id.clone(),
            Call {
                key,
                dialog: Dialog::uas(&msg, &tag, src),
                invite: msg,
                src,
                tag,
                state: State::Early,
                ok: None,
                handle,
                local_sdp,
                contact,
                media,
                limited: limited.clone(),
            },
        );
        let guest = peer.is_none();
        self.dialog_begin(
            &call_id,
            src.ip(),
            &from_user,
            &payloads,
            "Rx: INVITE",
            if guest { "<guest>" } else { &peer_name },
        );
        if let Some(st) = stats {
            self.dialog_stats(&call_id, st);
        }
        let pbx = self.pbx.clone();
        tokio::spawn(async move {
            crate::verb!(2, "Using SIP RTP CoS mark 5");
            pbxloop::run(&mut chan, &pbx).await;
            let cause = chan.hangupcause;
            pbx.unregister(&chan.name);
            if let Some(t) = &chan.tech {
                t.hangup(cause);
            }
        });
    }

    async fn answer(&mut self, id: &str) {
        let server = self.server();
        let Some(c) = self.calls.get_mut(id) else {
            return;
        };
        if c.state != State::Early {
            return;
        }
        let mut ok = response(&c.invite, 200, "OK", Some(&c.tag), c.src, &server);
        ok.add_header("Contact", c.contact.clone());
        ok.add_header("Content-Type", "application/sdp");
        ok.body = c.local_sdp.clone();
        c.state = State::Answered;
        c.ok = Some(ok.clone());
        let n = c.dialog.invite_cseq;
        c.dialog
            .sent_2xx(Instant::now(), self.tcp.contains_key(&c.src), n);
        self.unacked.insert(id.to_string());
        let key = c.key.clone();
        self.respond(&key, ok).await;
    }

    async fn indicate(&mut self, id: &str, ind: Indication) {
        let server = self.server();
        let Some(c) = self.calls.get_mut(id) else {
            return;
        };
        if c.state != State::Early {
            return;
        }
        let (code, reason, sdp) = match ind {
            Indication::Ringing => (180, "Ringing", false),
            Indication::Progress => (183, "Session Progress", true),
            Indication::Busy => (486, "Busy Here", false),
            Indication::Congestion => (503, "Service Unavailable", false),
        };
        let mut r = response(&c.invite, code, reason, Some(&c.tag), c.src, &server);
        if code < 200 {
            r.add_header("Contact", c.contact.clone());
        }
        if sdp {
            r.add_header("Content-Type", "application/sdp");
            r.body = c.local_sdp.clone();
        }
        if code >= 200 {
            c.state = State::Ended;
        }
        let key = c.key.clone();
        self.respond(&key, r).await;
    }

    async fn hangup(&mut self, id: &str, cause: i32) {
        let server = self.server();
        let Some(c) = self.calls.remove(id) else {
            return;
        };
        self.dialog_end(id);
        if let Some(p) = &c.limited {
            self.pbx.sip.call_ended(p);
        }
        match c.state {
            State::Early => {
                let (code, reason) = cause_to_sip(cause).unwrap_or((603, "Declined"));
                let r = response(&c.invite, code, reason, Some(&c.tag), c.src, &server);
                self.respond(&c.key, r).await;
            }
            State::Answered => {
                // BYE to the caller: our From is their To (with our tag), our To their From.
                let mut dialog = c.dialog;
                let mut bye = dialog.request("BYE");
                let via = self.via(c.src);
                with_via(&mut bye, via);
                bye.add_header("User-Agent", server.clone());
                let (_, out) =
                    self.layer
                        .request(bye, c.src, self.transport_to(c.src), Instant::now());
                self.process(out).await;
            }
            State::Ended => {}
        }
    }
}

/// Bind an even RTP port in rtp.conf's range, as res_rtp_asterisk picks them
/// (`rtp_port_candidates`: a random even port, then the next ones, wrapping), or take a
/// pair a finished call left. RTCP goes on the port above: the pooled pair's socket, or
/// bound by the stream when RTP first flows (None here).
#[allow(clippy::type_complexity)]
fn reserve_rtp(cfg: &crate::config::ConfigSet, ip: IpAddr) -> (Option<(Sock, Option<Sock>)>, u16) {
    use crate::channel::rtppool;
    let (start, end) = cfg
        .rtp
        .as_ref()
        .map(|r| (r.rtpstart(), r.rtpend()))
        .unwrap_or((10000, 20000));
    let (start, end) = (
        start.clamp(1024, 65534) as u16,
        end.clamp(1024, 65534) as u16,
    );
    // A pair a finished call left (bind and close are a good part of a short call's cost).
    // The pool keeps at most half the range's pairs, so binding still finds free ports.
    let pairs = usize::from(end.saturating_sub(start)) / 2 + 1;
    rtppool::set_limit(pairs / 2);
    if let Some((rtp, rtcp, port)) = rtppool::take(ip, start, end) {
        return (Some((rtp, rtcp)), port);
    }
    let seed = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() ^ (d.as_secs() as u32).wrapping_mul(2_654_435_761))
        .unwrap_or(0);
    // A few random places first: the ports taken (calls and resting pairs) sit in runs,
    // where a sweep from one random place would try many in turn, each a failed bind. Then
    // res_rtp_asterisk's sweep over the whole range.
    let mut x = seed | 1;
    let random = (0..8).filter_map(move |_| {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        crate::media::rtp::rtp_port_candidates(start, end, x).next()
    });
    let sweep = crate::media::rtp::rtp_port_candidates(start, end, seed);
    for (tried, port) in random.chain(sweep).enumerate() {
        if tried == 32 {
            // A crowded range: a pooled pair (resting or not) before a long search.
            if let Some((rtp, rtcp, port)) = rtppool::take_any(ip, start, end) {
                return (Some((rtp, rtcp)), port);
            }
        }
        match std::net::UdpSocket::bind((ip, port)) {
            Ok(s) => match Sock::plain(s) {
                Some(s) => return (Some((s, None)), port),
                None => continue,
            },
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => continue,
            // Out of descriptors, or not our address: no other port would do better.
            Err(_) => break,
        }
    }
    match rtppool::take_any(ip, start, end) {
        Some((rtp, rtcp, port)) => (Some((rtp, rtcp)), port),
        None => (None, 0),
    }
}

/// Whether a peer in this dtmfmode is offered telephone-event (rfc2833 and auto).
fn takes_events(m: crate::channel::media::DtmfMode) -> bool {
    use crate::channel::media::DtmfMode as M;
    matches!(m, M::Rfc2833 | M::Auto)
}

/// A peer's `dtmfmode` is `shortinfo` (INFO digits as `application/dtmf`).
fn dtmf_shortinfo(cfg: &crate::config::ConfigSet, peer: &str) -> bool {
    let g = &cfg.sip.general;
    cfg.sip
        .peer(peer)
        .and_then(|p| p.common.dtmfmode.as_ref())
        .or(g.common.dtmfmode.as_ref())
        .is_some_and(|d| d.value == crate::config::sip::DtmfMode::ShortInfo)
}

/// The codec of a G.711 payload type (A-law 8, µ-law 0).
fn law_of(pt: u8) -> crate::media::g711::Law {
    crate::media::g711::Law::from_payload_type(pt).unwrap_or(crate::media::g711::Law::Alaw)
}

/// What a far end's SDP tells its stream.
fn remote_of(o: &super::sdp::Offer) -> crate::channel::media::MediaCtl {
    crate::channel::media::MediaCtl::Remote {
        addr: o
            .addr
            .filter(|a| !a.is_unspecified())
            .map(|a| SocketAddr::new(a, o.port)),
        law: o
            .payloads
            .iter()
            .find_map(|p| crate::media::g711::Law::from_payload_type(*p))
            .unwrap_or(crate::media::g711::Law::Alaw),
        dtmf_pt: o.dtmf,
    }
}

/// A peer's `dtmfmode` (else [general]'s, else rfc2833).
fn dtmf_mode_of(cfg: &crate::config::ConfigSet, peer: &str) -> crate::channel::media::DtmfMode {
    use crate::channel::media::DtmfMode as M;
    use crate::config::sip::DtmfMode as C;
    let g = &cfg.sip.general;
    let mode = cfg
        .sip
        .peer(peer)
        .and_then(|p| p.common.dtmfmode.as_ref())
        .or(g.common.dtmfmode.as_ref())
        .map(|d| d.value);
    match mode {
        Some(C::Info) | Some(C::ShortInfo) => M::Info,
        Some(C::Inband) => M::Inband,
        Some(C::Auto) => M::Auto,
        _ => M::Rfc2833,
    }
}

/// sip.conf's `rtptimeout` and `rtpholdtimeout` (seconds, 0 = off).
fn rtp_timeouts(g: &crate::config::sip::SipGeneral) -> (u32, u32) {
    let get = |n: &str| {
        g.options
            .iter()
            .rev()
            .find(|v| v.name.eq_ignore_ascii_case(n))
            .and_then(|v| v.value.trim().parse::<u32>().ok())
            .unwrap_or(0)
    };
    (get("rtptimeout"), get("rtpholdtimeout"))
}

/// Put our Via on top of a request the dialog built.
fn with_via(m: &mut Message, via: String) {
    m.headers.insert(
        0,
        super::message::Header {
            name: "Via".into(),
            value: via,
        },
    );
}
