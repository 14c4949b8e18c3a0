//! The UDP side of SIP (the tokio driver around the sans-IO parts): receive, parse, answer
//! retransmissions from a cache (RFC 3261 §17.2.2 for the non-INVITE requests handled so far),
//! hand REGISTER to the registrar, answer OPTIONS, and refuse what this build does not do yet.
//! Malformed input is dropped or answered 400, never a panic.

use super::message::{Message, StartLine};
use super::registrar::{response, Event};
use crate::pbx::Pbx;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

/// Responses kept to answer retransmissions (timer J: 64*T1 = 32 s on UDP).
#[derive(Default)]
pub struct ResponseCache {
    map: HashMap<(String, String), (Vec<u8>, Instant)>,
}

impl ResponseCache {
    fn get(&self, key: &(String, String)) -> Option<&Vec<u8>> {
        self.map.get(key).map(|(b, _)| b)
    }
    fn put(&mut self, key: (String, String), bytes: Vec<u8>, now: Instant) {
        self.map.insert(key, (bytes, now));
    }
    fn expire(&mut self, now: Instant) {
        self.map
            .retain(|_, (_, t)| now.duration_since(*t) < Duration::from_secs(32));
    }
}

/// RFC 3261 §8.1.1: a request without From, To, Call-ID or a readable CSeq gets a 400.
pub fn lacks_mandatory(msg: &Message) -> bool {
    ["From", "To", "Call-ID", "CSeq"]
        .iter()
        .any(|h| msg.header(h).is_none())
        || msg.cseq().is_none()
}

/// Handle one datagram; the bytes to send back to `src`, if any.
pub fn handle_datagram(pbx: &Arc<Pbx>, buf: &[u8], src: SocketAddr) -> Option<Vec<u8>> {
    let msg = match Message::parse(buf, false) {
        Ok((m, _)) => m,
        Err(_) => return None,
    };
    let StartLine::Request { method, .. } = &msg.start else {
        // Responses: no client transactions in this build yet.
        return None;
    };
    let method = method.to_ascii_uppercase();
    let sip = &pbx.sip;
    let server = sip.registrar.lock().unwrap().server.clone();
    // RFC 3261 §8.1.1: the mandatory headers. Without a Via we cannot answer at all.
    msg.header("Via")?;
    if lacks_mandatory(&msg) {
        return Some(response(&msg, 400, "Bad Request", None, src, &server).to_bytes());
    }
    if method == "ACK" {
        return None;
    }
    let key = (
        msg.branch().unwrap_or_else(|| {
            format!(
                "{}|{}",
                msg.call_id().unwrap_or(""),
                msg.header("CSeq").unwrap_or("")
            )
        }),
        method.clone(),
    );
    let now = Instant::now();
    if let Some(b) = sip.cache.lock().unwrap().get(&key) {
        return Some(b.clone());
    }
    let resp = match method.as_str() {
        "REGISTER" | "OPTIONS" => non_invite_response(pbx, &msg, src, &method),
        "BYE" | "CANCEL" => response(
            &msg,
            481,
            "Call leg/transaction does not exist",
            None,
            src,
            &server,
        ),
        // Calls over TCP come later; UDP takes them (see `core`).
        _ => response(&msg, 501, "Not Implemented", None, src, &server),
    };
    let bytes = resp.to_bytes();
    sip.cache.lock().unwrap().put(key, bytes.clone(), now);
    Some(bytes)
}

/// The answer to a REGISTER or OPTIONS (the registrar's events carried out).
pub fn non_invite_response(
    pbx: &Arc<Pbx>,
    msg: &Message,
    src: SocketAddr,
    method: &str,
) -> Message {
    let sip = &pbx.sip;
    let server = sip.registrar.lock().unwrap().server.clone();
    let now = Instant::now();
    match method {
        "REGISTER" => {
            let cfg = pbx.config.read().unwrap().clone();
            let (resp, events) =
                sip.registrar
                    .lock()
                    .unwrap()
                    .register(msg, src, &cfg.sip, SystemTime::now(), now);
            for e in events {
                match e {
                    Event::Log(level, text) => crate::logger::log(level, "chan_sip.c", &text),
                    Event::Registered(r) => {
                        pbx.astdb.put("SIP/Registry", &r.peer, &r.to_db());
                        super::regexten::set(pbx, &r.peer, true);
                    }
                    Event::Unregistered(p) => {
                        pbx.astdb.del("SIP/Registry", &p);
                        super::regexten::set(pbx, &p, false);
                    }
                }
            }
            resp
        }
        _ => {
            let mut r = response(msg, 200, "OK", Some("as0p7i0n5"), src, &server);
            r.add_header("Accept", "application/sdp");
            r
        }
    }
}

/// Bind UDP and serve until the process stops. Binding errors are logged (as chan_sip does)
/// and returned.
/// A UDP socket for SIP: a large receive buffer (a burst of thousands of INVITEs must not be
/// dropped by the kernel while the core is busy), dual-stack when bound to `[::]`.
pub fn bind_udp(addr: SocketAddr) -> std::io::Result<UdpSocket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let s = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    if addr.is_ipv6() {
        let _ = s.set_only_v6(false);
    }
    // The kernel caps these at net.core.rmem_max / wmem_max; asking is free.
    let _ = s.set_recv_buffer_size(RCVBUF);
    let _ = s.set_send_buffer_size(RCVBUF / 2);
    s.bind(&addr.into())?;
    s.set_nonblocking(true)?;
    UdpSocket::from_std(s.into())
}

/// The receive buffer asked for SIP sockets.
pub const RCVBUF: usize = 8 << 20;

pub async fn run_udp(pbx: Arc<Pbx>, addr: SocketAddr) -> std::io::Result<()> {
    let sock = match bind_udp(addr) {
        Ok(s) => s,
        Err(e) => {
            crate::logger::error("chan_sip.c", &format!("Failed to bind to {addr}: {e}"));
            return Err(e);
        }
    };
    pbx.sip.bound.lock().unwrap().push(sock.local_addr()?);
    crate::verb!(2, "SIP Listening on {}", sock.local_addr()?);
    let sock = Arc::new(sock);
    // Housekeeping: expire registrations, challenges and cached responses.
    {
        let pbx = pbx.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tick.tick().await;
                let now = Instant::now();
                pbx.sip.cache.lock().unwrap().expire(now);
                let gone = {
                    let mut r = pbx.sip.registrar.lock().unwrap();
                    r.expire_pending(now);
                    r.expire(SystemTime::now())
                };
                for p in gone {
                    pbx.astdb.del("SIP/Registry", &p);
                    super::regexten::set(&pbx, &p, false);
                }
            }
        });
    }
    // The SIP core (transactions, registrar, calls) reads the socket itself: a datagram is
    // parsed and answered where it was read, without a hop through a queue and a wake-up
    // of another thread. TCP connections and the channels reach it through its queue.
    let (tx, rx) = mpsc::unbounded_channel();
    *pbx.sip.core.lock().unwrap() = Some(tx.clone());
    super::core::Core::new(pbx.clone(), sock, tx).run(rx).await;
    Ok(())
}

/// The SIP state the rest of the PBX and the console see.
/// A qualified peer's last answer to OPTIONS: the round trip in ms, or None (UNREACHABLE).
pub type PeerLatency = Option<u32>;

pub struct SipState {
    /// `qualify=` peers: how they answered the last OPTIONS (absent until the first answer).
    pub qualify: Mutex<HashMap<String, PeerLatency>>,
    /// The `register =>` lines and how they stand (`sip show registry`).
    pub registry: Mutex<Vec<super::core::RegStatus>>,
    /// The UDP core's event queue (None until SIP is listening): Dial places calls here.
    pub core: Mutex<Option<mpsc::UnboundedSender<super::core::CoreEvent>>>,
    pub registrar: Mutex<super::registrar::Registrar>,
    pub cache: Mutex<ResponseCache>,
    pub bound: Mutex<Vec<SocketAddr>>,
    /// The calls in progress, as `sip show channels` lists them (by Call-ID).
    pub dialogs: Mutex<HashMap<String, DialogRow>>,
    /// `sip set debug`: off, on for everyone, or on for one address.
    pub debug: Mutex<SipDebug>,
    /// A lock-free look at `debug` for every message.
    pub debug_any: std::sync::atomic::AtomicBool,
    /// Calls in use per peer (`call-limit`), in and out.
    pub inuse: Mutex<HashMap<String, u32>>,
    /// Outgoing calls ringing per peer (chan_sip's `ringing` counter, for device state).
    pub ringing: Mutex<HashMap<String, u32>>,
    /// chan_sip's regexten extensions in force: (context, extension, peer).
    pub regextens: Mutex<Vec<(String, String, String)>>,
}

/// One row of `sip show channels`.
#[derive(Clone, Debug)]
pub struct DialogRow {
    /// Creation order (the table lists dialogs in the order they began).
    pub order: u64,
    pub addr: std::net::IpAddr,
    /// The user (peer name or caller number).
    pub user: String,
    /// The channel's formats, `(alaw)`.
    pub format: String,
    pub hold: bool,
    /// `Rx: INVITE`, `Tx: BYE`, `Init: INVITE`.
    pub last: String,
    /// The peer, or `<guest>`.
    pub peer: String,
    /// When the call began (`sip show channelstats`' duration).
    pub started: std::time::Instant,
    /// The call's RTP figures (`sip show channelstats`), once it has a stream.
    pub stats: Option<std::sync::Arc<Mutex<crate::media::rtp::RtcpStats>>>,
}

/// What `sip set debug` asked for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SipDebug {
    #[default]
    Off,
    On,
    Ip(std::net::IpAddr, Option<u16>),
}

impl SipState {
    /// Is SIP debugging on for messages to or from `addr`?
    pub fn debug_for(&self, addr: SocketAddr) -> bool {
        if !self.debug_any.load(std::sync::atomic::Ordering::Relaxed) {
            return false;
        }
        match *self.debug.lock().unwrap() {
            SipDebug::Off => false,
            SipDebug::On => true,
            SipDebug::Ip(ip, port) => ip == addr.ip() && port.is_none_or(|p| p == addr.port()),
        }
    }
    pub fn set_debug(&self, d: SipDebug) {
        *self.debug.lock().unwrap() = d;
        self.debug_any
            .store(d != SipDebug::Off, std::sync::atomic::Ordering::Relaxed);
    }
    /// A call to or from `peer` begins: false (and nothing counted) when the peer already
    /// has `limit` calls (`call-limit`; 0 = no limit, counted all the same).
    pub fn call_started(&self, peer: &str, limit: u32) -> bool {
        let mut m = self.inuse.lock().unwrap();
        let n = m.entry(peer.to_string()).or_insert(0);
        if limit > 0 && *n >= limit {
            return false;
        }
        *n += 1;
        true
    }
    /// A call counted by [`call_started`](Self::call_started) ended.
    pub fn call_ended(&self, peer: &str) {
        let mut m = self.inuse.lock().unwrap();
        if let Some(n) = m.get_mut(peer) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                m.remove(peer);
            }
        }
    }
    /// A call to `peer` starts (`true`) or stops (`false`) ringing.
    pub fn set_ringing(&self, peer: &str, on: bool) {
        let mut m = self.ringing.lock().unwrap();
        if on {
            *m.entry(peer.to_string()).or_insert(0) += 1;
        } else if let Some(n) = m.get_mut(peer) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                m.remove(peer);
            }
        }
    }
    /// Outgoing calls to `peer` ringing now.
    pub fn ringing_of(&self, peer: &str) -> u32 {
        self.ringing.lock().unwrap().get(peer).copied().unwrap_or(0)
    }
    /// Calls in progress to or from `peer`.
    pub fn calls_of(&self, peer: &str) -> u32 {
        self.inuse.lock().unwrap().get(peer).copied().unwrap_or(0)
    }

    /// Note the last message of a dialog (`sip show channels`).
    pub fn dialog_last(&self, call_id: &str, dir: &str, method: &str) {
        if let Some(d) = self.dialogs.lock().unwrap().get_mut(call_id) {
            d.last.clear();
            d.last.push_str(dir);
            d.last.push_str(": ");
            d.last.push_str(method);
        }
    }
}

impl SipState {
    pub fn new(server: &str) -> SipState {
        SipState {
            qualify: Mutex::new(HashMap::new()),
            registry: Mutex::new(Vec::new()),
            core: Mutex::new(None),
            registrar: Mutex::new(super::registrar::Registrar::new(server)),
            cache: Mutex::new(ResponseCache::default()),
            bound: Mutex::new(Vec::new()),
            dialogs: Mutex::new(HashMap::new()),
            debug: Mutex::new(SipDebug::Off),
            debug_any: std::sync::atomic::AtomicBool::new(false),
            inuse: Mutex::new(HashMap::new()),
            regextens: Mutex::new(Vec::new()),
            ringing: Mutex::new(HashMap::new()),
        }
    }
}

/// The largest SIP message accepted on TCP before the connection is dropped.
const MAX_TCP_MESSAGE: usize = 65_535;

/// TCP: messages framed by Content-Length (RFC 3261 §18.3), handed to the SIP core with the
/// connection as the way back (answers and in-dialog requests go out on it).
pub async fn run_tcp(pbx: Arc<Pbx>, addr: SocketAddr) -> std::io::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            crate::logger::error("chan_sip.c", &format!("Failed to bind TCP to {addr}: {e}"));
            return Err(e);
        }
    };
    crate::verb!(2, "SIP Listening on {} (TCP)", listener.local_addr()?);
    loop {
        let (conn, src) = listener.accept().await?;
        let pbx = pbx.clone();
        let (mut rd, mut wr) = conn.into_split();
        // What the core sends to this address goes out on this connection.
        let (wtx, mut wrx) = mpsc::unbounded_channel::<Vec<u8>>();
        tokio::spawn(async move {
            while let Some(b) = wrx.recv().await {
                if wr.write_all(&b).await.is_err() {
                    return;
                }
            }
        });
        tokio::spawn(async move {
            let mut buf: Vec<u8> = Vec::with_capacity(4096);
            let mut chunk = [0u8; 8192];
            loop {
                let n = match rd.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                buf.extend_from_slice(&chunk[..n]);
                // Every complete message in the buffer.
                loop {
                    match Message::parse(&buf, true) {
                        Ok((_, used)) => {
                            let msg: Vec<u8> = buf.drain(..used).collect();
                            // Through the SIP core (transactions, calls) when it runs; the
                            // stateless answers otherwise.
                            let core = pbx.sip.core.lock().unwrap().clone();
                            match core {
                                Some(core) => {
                                    let _ = core.send(super::core::CoreEvent::TcpPacket(
                                        msg,
                                        src,
                                        wtx.clone(),
                                    ));
                                }
                                None => {
                                    if let Some(out) = handle_datagram(&pbx, &msg, src) {
                                        if wtx.send(out).is_err() {
                                            return;
                                        }
                                    }
                                }
                            }
                        }
                        Err(e) if e.0 == "incomplete" => break,
                        Err(_) => {
                            // Not SIP, or a Content-Length that cannot be met: drop what we have
                            // up to the next blank line and go on.
                            match buf.windows(4).position(|w| w == b"\r\n\r\n") {
                                Some(p) => {
                                    buf.drain(..p + 4);
                                }
                                None => buf.clear(),
                            }
                            break;
                        }
                    }
                }
                if buf.len() > MAX_TCP_MESSAGE {
                    return;
                }
            }
        });
    }
}
