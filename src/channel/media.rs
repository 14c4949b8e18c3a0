//! A channel's audio: one RTP stream (res_rtp_asterisk's instance plus what main/channel.c's
//! `ast_read`/`ast_write` do with it). The socket was bound in rtp.conf's range by the SIP
//! core; the far address and codec come from SDP and may change (re-INVITE), pushed here as
//! [`MediaCtl`]. Applications read [`Input`]s (20 ms of decoded audio, or a DTMF digit) and
//! write 8 kHz linear audio; the bridge relays packets between two streams without decoding
//! when both legs use the same codec.
//!
//! Symmetric RTP (`nat=comedia`, or `yes`/`force_rport,comedia`): the media goes back to where
//! the far end's media comes from. DTMF arrives as RFC 4733 events (`dtmfmode=rfc2833`, the
//! default), SIP INFO (through the core), or in-band tones (`dtmfmode=inband`, a Goertzel
//! detector); it is sent the way the stream's own `dtmfmode` says ([`RtpStream::queue_digit`]):
//! RFC 4733 events, a SIP INFO (through the core), or the tone pair in the audio, so the
//! bridge converts between legs of different modes as Asterisk does.
//!
//! RTCP (RFC 3550) runs on the port above the RTP port: a report every `rtcpinterval` (SR
//! when we sent media since the last one, else RR, with SDES CNAME), a BYE when the stream
//! ends, and the far end's reports read into [`RtcpStats`] (`sip show channelstats`). The
//! rtptimeout check, the RTCP schedule and the pacing of a digit being sent share one timer.

use crate::media::dtmf::{DigitFrame, DigitPlayer, DtmfDetector, DtmfEvent, DtmfReceiver};
use crate::media::g711::Law;
use crate::media::rtp::{self, RtcpSession, RtcpStats, RtpReceiver, RtpSender, SymmetricRtp};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Samples in one 20 ms frame at 8 kHz.
pub const FRAME: usize = 160;

/// What the SIP core tells a stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MediaCtl {
    /// The far end's SDP (offer or answer): where to send, in which codec, DTMF's payload type.
    Remote {
        addr: Option<SocketAddr>,
        law: Law,
        dtmf_pt: Option<u8>,
    },
    /// The far end put the call on hold (sendonly/inactive) or took it off.
    Hold(bool),
    /// A digit from a SIP INFO.
    Dtmf(char),
}

impl MediaCtl {
    /// The address of a `Remote`.
    pub fn remote_addr(&self) -> Option<SocketAddr> {
        match self {
            MediaCtl::Remote { addr, .. } => *addr,
            _ => None,
        }
    }
}

/// What reading a stream gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    /// 20 ms (or whatever the packet held) of audio, decoded in [`RtpStream::frame`].
    Voice,
    /// A DTMF digit ended (the way Asterisk's applications see it).
    Dtmf(char),
    /// Hold state changed.
    Hold(bool),
    /// No RTP for `rtptimeout` (or `rtpholdtimeout` on hold) seconds: the call is over.
    RtpTimeout,
}

/// Which way audio went through a channel, for a recording tap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    /// Heard from the far end (what the caller says).
    Read,
    /// Sent to the far end (what the caller hears).
    Write,
}

/// A recording's ear on a channel (MixMonitor): every frame read and written is copied to it.
pub type Tap = mpsc::UnboundedSender<(Dir, Vec<i16>)>;

/// How DTMF is detected on this stream (`dtmfmode`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DtmfMode {
    #[default]
    Rfc2833,
    Info,
    Inband,
    /// RFC 4733 when the far end offered telephone-event, else in-band.
    Auto,
}

/// How a digit leaves a stream: its `dtmfmode`, and for `auto` whether the far end offered
/// telephone-event (chan_sip settles `auto` to RFC 2833 or in-band the same way).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DtmfOut {
    /// RFC 4733 telephone-events.
    Events,
    /// A SIP INFO (`application/dtmf-relay`), sent by the SIP core.
    Info,
    /// The tone pair in the audio.
    Inband,
    /// No way (rfc2833 mode but the far end has no telephone-event).
    Nothing,
}

/// How a stream asks its SIP dialog to send a digit as an INFO: digit, duration (ms).
pub type InfoSender = Box<dyn Fn(char, u32) + Send + Sync>;

/// A stream's RTCP: the socket on the RTP port + 1 and the session state.
struct Rtcp {
    sock: Option<tokio::net::UdpSocket>,
    std_sock: Option<std::net::UdpSocket>,
    /// Where to bind the socket when RTP first flows, if the stream came without one (a
    /// call that never carries audio costs one descriptor, not two).
    bind_at: Option<SocketAddr>,
    /// Made when RTCP starts (a call without RTP never needs it).
    buf: Vec<u8>,
    session: RtcpSession,
    cname: String,
    /// Where the far end's RTCP comes from (with symmetric RTP, reports go there).
    learned: Option<SocketAddr>,
}

impl Rtcp {
    fn socket(&mut self) -> Option<&tokio::net::UdpSocket> {
        if self.sock.is_none() {
            let s = match self.std_sock.take() {
                Some(s) => super::rtppool::Sock::Plain(s),
                None => {
                    let at = self.bind_at.take()?;
                    let s = std::net::UdpSocket::bind(at).ok()?;
                    super::rtppool::Sock::plain(s)?
                }
            };
            self.sock = s.registered();
        }
        self.sock.as_ref()
    }

    fn send(&self, b: &[u8], to: SocketAddr) {
        if let Some(s) = self.sock.as_ref() {
            let _ = s.try_send_to(b, to);
        } else if let Some(s) = self.std_sock.as_ref() {
            let _ = s.send_to(b, to);
        }
    }
}

/// What woke [`RtpStream::next_packet`].
enum Woke {
    Ctl(Option<MediaCtl>),
    Rtp(std::io::Result<(usize, SocketAddr)>),
    Rtcp(std::io::Result<(usize, SocketAddr)>),
    Timer,
}

/// The wall clock as an NTP timestamp.
fn ntp_now() -> u64 {
    rtp::ntp_from_unix(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default(),
    )
}

/// A packet as it arrived, for the bridge (payload in [`RtpStream::payload`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Packet {
    /// Audio in this codec.
    Voice(Law),
    /// A telephone-event packet: marker, the event's timestamp; payload in `payload()`.
    Event { marker: bool, timestamp: u32 },
    /// Something the stream consumed itself (a control message, RTCP, a stray packet).
    Other,
    /// A control message that matters to the bridge.
    Ctl(Input),
}

pub struct RtpStream {
    sock: Option<tokio::net::UdpSocket>,
    /// The socket until first use (registering with the reactor costs two syscalls a call
    /// that never carries audio would not need).
    std_sock: Option<std::net::UdpSocket>,
    pub local_port: u16,
    local_ip: std::net::IpAddr,
    /// The sockets go back to the port pool at the end (rtp.conf's pairs, not a Local
    /// channel's loopback sockets).
    pooled: bool,
    /// Some RTP (any payload) came from the far end.
    rtp_seen: bool,
    /// The runtime whose reactor the sockets are registered with (once they are).
    rt: Option<tokio::runtime::Id>,
    sym: SymmetricRtp,
    /// The codec we send (and expect).
    pub law: Law,
    pub dtmf_pt: Option<u8>,
    pub dtmf_mode: DtmfMode,
    sender: RtpSender,
    receiver: RtpReceiver,
    dtmf: DtmfReceiver,
    inband: Option<DtmfDetector>,
    ctl: mpsc::UnboundedReceiver<MediaCtl>,
    /// The last audio read, decoded.
    pub frame: Vec<i16>,
    rx: Box<[u8]>,
    rx_len: usize,
    rx_payload: (usize, usize),
    /// What is sent is written here (made at the first packet sent).
    tx: Vec<u8>,
    epoch: Instant,
    pub on_hold: bool,
    /// Recordings listening to this channel.
    pub taps: Vec<Tap>,
    /// True while the two-party bridge relays this stream (it receives through
    /// [`recv_packet`](Self::recv_packet)), false once an application reads or writes it
    /// again: MixMonitor's `b` option records only while it is set.
    pub bridged: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// Digits found by the in-band detector, not yet returned.
    pending_digits: std::collections::VecDeque<char>,
    /// The last event (far timestamp) relayed, and the timestamp it has on our side.
    relay_event: Option<(u32, u32)>,
    /// The SIP side stopped sending control messages (the call left the core).
    ctl_closed: bool,
    /// When the last packet came (or the stream began).
    last_rx: std::time::Instant,
    /// (rtptimeout, rtpholdtimeout) in seconds, 0 = off.
    rtp_timeouts: (u32, u32),
    /// The stream's one timer (made when first needed): the rtptimeout check, the next RTCP
    /// report or the next step of a digit being sent, whichever comes first.
    rtp_timer: Option<std::pin::Pin<Box<tokio::time::Sleep>>>,
    /// The channel this stream belongs to, hung up on an RTP timeout.
    owner_name: String,
    owner: Option<std::sync::Arc<super::ChannelHandle>>,
    /// When the rtptimeout is next looked at (the stream's one timer is set to the earliest
    /// of this, the next RTCP report and the next step of a digit being sent).
    rtp_check: Option<Instant>,
    /// RTCP on the port above (None: not bound).
    rtcp: Option<Box<Rtcp>>,
    /// What `sip show channelstats` reads, published at every report sent or received.
    stats: Arc<Mutex<RtcpStats>>,
    /// The digit being sent (events or tone), the ones queued after it, and when its next
    /// 20 ms step is due.
    digit_now: Option<DigitPlayer>,
    digits_out: std::collections::VecDeque<(char, u32)>,
    digit_due: Option<Instant>,
    /// dtmfmode=info: the SIP dialog's way of sending a digit.
    info_tx: Option<InfoSender>,
}

impl std::fmt::Debug for RtpStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RtpStream")
            .field("local_port", &self.local_port)
            .field("remote", &self.sym.remote)
            .field("law", &self.law)
            .finish()
    }
}

/// The control side of a stream, kept by the SIP core.
pub type MediaCtlTx = mpsc::UnboundedSender<MediaCtl>;

impl RtpStream {
    /// A stream on a bound socket; `remote`/`law`/`dtmf_pt` from the offer if there was one.
    pub fn new(
        sock: super::rtppool::Sock,
        local: SocketAddr,
        remote: Option<SocketAddr>,
        law: Law,
        dtmf_pt: Option<u8>,
        symmetric: bool,
        dtmf_mode: DtmfMode,
    ) -> (RtpStream, MediaCtlTx) {
        let (tx, rx) = mpsc::unbounded_channel();
        let (sock, std_sock) = sock.into_parts();
        // A registered socket comes from the pool, which hands out only the current
        // runtime's.
        let rt = sock.as_ref().and_then(|_| current_runtime());
        let seed = random_u64();
        let inband = matches!(dtmf_mode, DtmfMode::Inband)
            || (dtmf_mode == DtmfMode::Auto && dtmf_pt.is_none());
        (
            RtpStream {
                sock,
                std_sock,
                local_port: local.port(),
                local_ip: local.ip(),
                pooled: false,
                rtp_seen: false,
                rt,
                sym: SymmetricRtp::new(remote, symmetric),
                law,
                dtmf_pt,
                dtmf_mode,
                sender: RtpSender::new(
                    seed as u32,
                    law.payload_type(),
                    (seed >> 32) as u16,
                    (seed >> 16) as u32,
                ),
                receiver: RtpReceiver::new(),
                dtmf: DtmfReceiver::new(),
                inband: inband.then(DtmfDetector::new),
                ctl: rx,
                frame: Vec::with_capacity(FRAME * 2),
                rx: vec![0u8; 2048].into_boxed_slice(),
                rx_len: 0,
                rx_payload: (0, 0),
                tx: Vec::new(),
                epoch: Instant::now(),
                on_hold: false,
                taps: Vec::new(),
                bridged: Default::default(),
                pending_digits: Default::default(),
                relay_event: None,
                ctl_closed: false,
                last_rx: std::time::Instant::now(),
                rtp_timeouts: (0, 0),
                rtp_timer: None,
                owner_name: String::new(),
                owner: None,
                rtp_check: None,
                rtcp: None,
                stats: Default::default(),
                digit_now: None,
                digits_out: Default::default(),
                digit_due: None,
                info_tx: None,
            },
            tx,
        )
    }

    /// RTCP on `sock` (bound on the RTP port + 1; None: bound there when RTP first flows):
    /// reports every `interval_ms` (rtp.conf `rtcpinterval`) from the first RTP sent or
    /// received on, as res_rtp_asterisk schedules them.
    pub fn set_rtcp(&mut self, sock: Option<super::rtppool::Sock>, interval_ms: u32) {
        let a = random_u64();
        let b = random_u64();
        // A random CNAME in UUID form, as res_rtp_asterisk makes one per instance.
        let cname = format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xFFFF,
            a & 0xFFF,
            0x8000 | ((b >> 48) & 0x3FFF),
            b & 0xFFFF_FFFF_FFFF
        );
        let (sock, std_sock) = sock.map_or((None, None), super::rtppool::Sock::into_parts);
        let unbound = sock.is_none() && std_sock.is_none();
        let above = self.local_port.checked_add(1).filter(|_| unbound);
        let bind_at = above.map(|port| SocketAddr::new(self.local_ip, port));
        self.rtcp = Some(Box::new(Rtcp {
            sock,
            std_sock,
            bind_at,
            buf: Vec::new(),
            session: RtcpSession::new(interval_ms),
            cname,
            learned: None,
        }));
        self.stats.lock().unwrap().local_ssrc = self.sender.ssrc;
    }

    /// At the end, give the sockets back to the port pool (an RTP pair of rtp.conf's range).
    pub fn set_pooled(&mut self) {
        self.pooled = true;
    }

    /// The figures `sip show channelstats` prints, shared (updated at every RTCP report).
    pub fn stats_handle(&self) -> Arc<Mutex<RtcpStats>> {
        self.stats.clone()
    }

    /// The stream's figures now (`CHANNEL(rtpqos)`): the far end's last report and our
    /// counts as they stand.
    pub fn quality(&self) -> RtcpStats {
        let mut st = self
            .rtcp
            .as_ref()
            .map(|r| r.session.stats)
            .unwrap_or_default();
        st.update_counts(&self.sender, &self.receiver);
        st
    }

    /// The RTCP CNAME this stream sends (None without RTCP).
    pub fn cname(&self) -> Option<&str> {
        self.rtcp.as_ref().map(|r| r.cname.as_str())
    }

    /// Where RTCP goes: where the far end's RTCP comes from (symmetric RTP), else the RTP
    /// address's port + 1.
    fn rtcp_remote(&self) -> Option<SocketAddr> {
        let r = self.rtcp.as_ref()?;
        if self.sym.symmetric {
            if let Some(a) = r.learned {
                return Some(a);
            }
        }
        let mut a = self.sym.remote?;
        a.set_port(a.port().checked_add(1)?);
        Some(a)
    }

    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// Send the RTCP report (and with `bye`, the BYE) now.
    fn send_rtcp(&mut self, bye: bool) {
        // Without a destination (port+1 out of range, no address) the report is made
        // anyway, unsent: the schedule moves on instead of firing again at once.
        let to = self.rtcp_remote();
        let now_ms = self.now_ms();
        let Some(r) = self.rtcp.as_mut() else { return };
        let mut out = [0u8; 512];
        let now = rtp::RtcpTime {
            ms: now_ms,
            ntp: ntp_now(),
        };
        let Ok(n) = r.session.report(
            now,
            &self.sender,
            &mut self.receiver,
            &r.cname,
            bye,
            &mut out,
        ) else {
            return;
        };
        if let Some(to) = to {
            r.send(&out[..n], to);
        }
        *self.stats.lock().unwrap() = r.session.stats;
    }

    /// RTCP from the far end (on the RTCP port, or muxed on the RTP port).
    fn on_rtcp(&mut self, n: usize, from: SocketAddr, muxed: bool) {
        let now_ms = self.now_ms();
        let our = self.sender.ssrc;
        let Some(r) = self.rtcp.as_mut() else { return };
        let buf = if muxed { &self.rx[..n] } else { &r.buf[..n] };
        let now = rtp::RtcpTime {
            ms: now_ms,
            ntp: ntp_now(),
        };
        r.session.on_rtcp(buf, now, our);
        if self.sym.symmetric && !muxed {
            r.learned = Some(from);
        }
        r.session.refresh(&self.sender, &self.receiver);
        *self.stats.lock().unwrap() = r.session.stats;
    }

    /// When the next RTCP report is due.
    fn rtcp_due(&self) -> Option<Instant> {
        let at = self.rtcp.as_ref()?.session.next_due()?;
        Some(self.epoch + Duration::from_millis(at))
    }

    /// Set dtmfmode=info's way of sending a digit (the SIP core's INFO in this dialog).
    pub fn set_info_sender(&mut self, f: InfoSender) {
        self.info_tx = Some(f);
    }

    /// How a digit leaves this stream now.
    pub fn dtmf_out(&self) -> DtmfOut {
        match self.dtmf_mode {
            DtmfMode::Info if self.info_tx.is_some() => DtmfOut::Info,
            DtmfMode::Info => DtmfOut::Nothing,
            DtmfMode::Inband => DtmfOut::Inband,
            DtmfMode::Auto if self.dtmf_pt.is_none() => DtmfOut::Inband,
            DtmfMode::Auto | DtmfMode::Rfc2833 if self.dtmf_pt.is_some() => DtmfOut::Events,
            _ => DtmfOut::Nothing,
        }
    }

    /// Send `digit` (`ms` long) the stream's way: an INFO at once; events or the tone pair
    /// queued and paced by the stream's timer while the stream is read (by the bridge or an
    /// application). Relayed audio is held back while a digit is being sent, as Asterisk
    /// does.
    pub fn queue_digit(&mut self, digit: char, ms: u32) {
        if crate::media::dtmf::digit_to_event(digit).is_none() {
            return;
        }
        let ms = ms.max(40);
        match self.dtmf_out() {
            DtmfOut::Info => {
                if let Some(f) = &self.info_tx {
                    f(digit, ms);
                }
            }
            DtmfOut::Events | DtmfOut::Inband => {
                self.digits_out.push_back((digit, ms));
                if self.digit_due.is_none() {
                    self.digit_due = Some(Instant::now());
                }
            }
            DtmfOut::Nothing => {}
        }
    }

    /// A digit is being sent or waits to be.
    pub fn sending_digit(&self) -> bool {
        self.digit_now.is_some() || !self.digits_out.is_empty()
    }

    /// Read the stream until the queued digits are sent (what arrives meanwhile is dropped,
    /// as `ast_safe_sleep` does).
    pub async fn flush_digits(&mut self) {
        self.set_bridged(false);
        if self.socket().is_none() {
            self.digits_out.clear();
            self.digit_now = None;
            self.digit_due = None;
            return;
        }
        while self.sending_digit() {
            self.next_packet().await;
        }
    }

    /// The next 20 ms of the digit being sent.
    fn digit_step(&mut self, now: Instant) {
        let Some(due) = self.digit_due else { return };
        let mut pcm = [0i16; FRAME];
        loop {
            let Some(p) = self.digit_now.as_mut() else {
                let Some((d, ms)) = self.digits_out.pop_front() else {
                    self.digit_due = None;
                    return;
                };
                self.digit_now = match self.dtmf_out() {
                    DtmfOut::Events => DigitPlayer::events(d, ms, self.sender.timestamp()),
                    DtmfOut::Inband => DigitPlayer::tone(d, ms),
                    _ => None,
                };
                continue;
            };
            match p.next(&mut pcm) {
                DigitFrame::Events(pk, n) => {
                    for e in &pk[..n] {
                        self.send_event(e);
                    }
                }
                DigitFrame::Audio => {
                    if !self.taps.is_empty() {
                        self.tap(Dir::Write, pcm.to_vec());
                    }
                    let mut enc = [0u8; FRAME];
                    self.law.encode(&pcm, &mut enc);
                    self.send_payload(&enc, FRAME as u32);
                }
                DigitFrame::Done => {
                    if !p.is_tone() {
                        // The media timestamps go on after the event.
                        self.sender.skip(p.ms() * 8);
                    }
                    self.digit_now = None;
                    if self.digits_out.is_empty() {
                        self.digit_due = None;
                        return;
                    }
                }
            }
            break;
        }
        let next = due + Duration::from_millis(20);
        self.digit_due = Some(if next + Duration::from_millis(100) < now {
            now + Duration::from_millis(20)
        } else {
            next
        });
    }

    /// Send one telephone-event packet of a digit of ours.
    fn send_event(&mut self, e: &crate::media::dtmf::EventPacket) {
        let (Some(pt), Some(to)) = (self.dtmf_pt, self.sym.remote) else {
            return;
        };
        let Ok(n) =
            self.sender
                .write_event(pt, e.marker, e.timestamp, &e.payload, tx_buf(&mut self.tx))
        else {
            return;
        };
        if let Some(s) = self.sock.as_ref() {
            let _ = s.try_send_to(&self.tx[..n], to);
        }
    }

    /// Where audio goes now.
    pub fn remote(&self) -> Option<SocketAddr> {
        self.sym.remote
    }

    fn socket(&mut self) -> Option<&tokio::net::UdpSocket> {
        if self.sock.is_none() {
            let s = self.std_sock.take()?;
            self.sock = super::rtppool::Sock::Plain(s).registered();
            self.rt = self.rt.or_else(current_runtime);
        }
        self.sock.as_ref()
    }

    fn apply(&mut self, c: MediaCtl) -> Option<Input> {
        match c {
            MediaCtl::Remote { addr, law, dtmf_pt } => {
                if addr.is_some() && !(self.sym.symmetric && self.sym.remote.is_some()) {
                    self.sym.remote = addr;
                }
                if law != self.law {
                    self.law = law;
                    self.sender.payload_type = law.payload_type();
                }
                self.dtmf_pt = dtmf_pt;
                if self.dtmf_mode == DtmfMode::Auto {
                    self.inband = dtmf_pt.is_none().then(DtmfDetector::new);
                }
                None
            }
            MediaCtl::Hold(h) => {
                self.on_hold = h;
                self.rtp_check = None;
                Some(Input::Hold(h))
            }
            MediaCtl::Dtmf(d) => Some(Input::Dtmf(d)),
        }
    }

    /// The payload of the last packet received.
    pub fn payload(&self) -> &[u8] {
        &self.rx[self.rx_payload.0..self.rx_payload.1]
    }

    /// Receive one packet (or a control message) without decoding audio: the bridge's way
    /// of reading (the stream counts as bridged).
    pub async fn recv_packet(&mut self) -> Packet {
        self.set_bridged(true);
        self.next_packet().await
    }

    fn set_bridged(&self, on: bool) {
        use std::sync::atomic::Ordering;
        if self.bridged.load(Ordering::Relaxed) != on {
            self.bridged.store(on, Ordering::Relaxed);
        }
    }

    async fn next_packet(&mut self) -> Packet {
        if self.socket().is_none() {
            // No socket (none could be bound): only control messages.
            return match self.ctl.recv().await {
                Some(c) => self.apply(c).map(Packet::Ctl).unwrap_or(Packet::Other),
                None => std::future::pending().await,
            };
        }
        // RTCP starts with the first RTP sent or received (res_rtp_asterisk schedules its
        // first report then), on its socket, bound now if the stream came without one.
        let flowing = self.sender.packets_sent() > 0 || self.rtp_seen;
        if let Some(r) = self.rtcp.as_mut().filter(|_| flowing) {
            if r.socket().is_some() && r.buf.is_empty() {
                r.buf.resize(1500, 0);
                self.rt = self.rt.or_else(current_runtime);
            }
        }
        // rtptimeout / rtpholdtimeout: no packet for that long ends the call. One timer per
        // stream, moved on only when it fires (not re-armed for every packet); RTCP reports
        // and the steps of a digit being sent use the same timer.
        let limit = if self.on_hold {
            self.rtp_timeouts.1
        } else {
            self.rtp_timeouts.0
        };
        let span = std::time::Duration::from_secs(u64::from(limit));
        if limit == 0 {
            self.rtp_check = None;
        } else if self.rtp_check.is_none() {
            self.rtp_check = Some(self.last_rx + span);
        }
        if self.sym.remote.is_some() && flowing {
            if let Some(r) = self
                .rtcp
                .as_mut()
                .filter(|r| r.session.next_due().is_none())
            {
                r.session.start(self.epoch.elapsed().as_millis() as u64);
            }
        }
        let deadline = [self.rtp_check, self.rtcp_due(), self.digit_due]
            .into_iter()
            .flatten()
            .min()
            .map(tokio::time::Instant::from_std);
        if let Some(at) = deadline {
            match self.rtp_timer.as_mut() {
                Some(t) => {
                    if t.deadline() != at {
                        t.as_mut().reset(at);
                    }
                }
                None => self.rtp_timer = Some(Box::pin(tokio::time::sleep_until(at))),
            }
        }
        let got = {
            let Some(sock) = self.sock.as_ref() else {
                return Packet::Other;
            };
            let ctl_open = !self.ctl_closed;
            let timer = self.rtp_timer.as_mut().filter(|_| deadline.is_some());
            let rtcp = self
                .rtcp
                .as_mut()
                .filter(|r| !r.buf.is_empty())
                .and_then(|r| r.sock.as_ref().map(|s| (s, &mut r.buf)));
            tokio::select! {
                c = self.ctl.recv(), if ctl_open => Woke::Ctl(c),
                r = sock.recv_from(&mut self.rx) => Woke::Rtp(r),
                r = async {
                    match rtcp {
                        Some((s, buf)) => s.recv_from(buf).await,
                        None => std::future::pending().await,
                    }
                } => Woke::Rtcp(r),
                _ = async {
                    match timer {
                        Some(t) => t.as_mut().await,
                        None => std::future::pending().await,
                    }
                } => Woke::Timer,
            }
        };
        match got {
            Woke::Ctl(Some(c)) => self.apply(c).map(Packet::Ctl).unwrap_or(Packet::Other),
            Woke::Ctl(None) => {
                // The SIP side of the call is gone: go on with the socket alone.
                self.ctl_closed = true;
                Packet::Other
            }
            Woke::Rtp(Err(_)) | Woke::Rtcp(Err(_)) => Packet::Other,
            Woke::Rtp(Ok((n, from))) => {
                self.rx_len = n;
                self.last_rx = std::time::Instant::now();
                self.on_datagram(from)
            }
            Woke::Rtcp(Ok((n, from))) => {
                self.on_rtcp(n, from, false);
                Packet::Other
            }
            Woke::Timer => self.on_timer(limit, span),
        }
    }

    /// The stream's timer fired: a digit's next step, an RTCP report, the rtptimeout check,
    /// whichever are due.
    fn on_timer(&mut self, limit: u32, span: Duration) -> Packet {
        let now = Instant::now();
        if self.digit_due.is_some_and(|t| t <= now) {
            self.digit_step(now);
        }
        if self.rtcp_due().is_some_and(|t| t <= now) {
            self.send_rtcp(false);
        }
        if self.rtp_check.is_some_and(|t| t <= now) {
            // Packets came since it was set: the check moves to the last one's time.
            let due = self.last_rx + span;
            if due > now {
                self.rtp_check = Some(due);
            } else {
                self.rtp_check = None;
                return self.rtp_timed_out(limit);
            }
        }
        Packet::Other
    }

    /// chan_sip's check_rtp_timeout: the NOTICE, and the channel is hung up.
    fn rtp_timed_out(&mut self, secs: u32) -> Packet {
        crate::logger::notice(
            "chan_sip.c",
            &format!(
                "Disconnecting call '{}' for lack of RTP activity in {} seconds",
                self.owner_name, secs
            ),
        );
        self.last_rx = std::time::Instant::now();
        if let Some(h) = &self.owner {
            h.softhangup();
        }
        Packet::Ctl(Input::RtpTimeout)
    }

    /// Set rtptimeout/rtpholdtimeout (seconds; 0 = off) and who hangs up when they pass.
    pub fn set_rtp_timeouts(
        &mut self,
        rtptimeout: u32,
        holdtimeout: u32,
        owner_name: &str,
        owner: Option<std::sync::Arc<super::ChannelHandle>>,
    ) {
        self.rtp_timeouts = (rtptimeout, holdtimeout);
        self.owner_name = owner_name.to_string();
        self.owner = owner;
    }

    fn on_datagram(&mut self, from: SocketAddr) -> Packet {
        let Ok(p) = rtp::parse(&self.rx[..self.rx_len]) else {
            return Packet::Other;
        };
        if p.header.payload_type >= 72 && p.header.payload_type <= 76 {
            // RTCP on the RTP port (rtcp-mux style): not audio, but its reports count.
            self.on_rtcp(self.rx_len, from, true);
            return Packet::Other;
        }
        self.sym.on_packet(from);
        self.rtp_seen = true;
        let arrival = self.epoch.elapsed().as_micros() as u64 * 8 / 1000;
        let start = self.rx_len - p.payload.len();
        self.rx_payload = (start, self.rx_len);
        let h = p.header;
        if Some(h.payload_type) == self.dtmf_pt {
            return Packet::Event {
                marker: h.marker,
                timestamp: h.timestamp,
            };
        }
        let Some(law) = Law::from_payload_type(h.payload_type) else {
            return Packet::Other;
        };
        if !self.receiver.on_packet(&h, arrival as u32).is_usable() {
            return Packet::Other;
        }
        Packet::Voice(law)
    }

    /// Read the next thing that matters to an application: audio (decoded into
    /// [`frame`](Self::frame)), a finished DTMF digit, a hold change.
    pub async fn read(&mut self) -> Input {
        self.set_bridged(false);
        loop {
            if let Some(d) = self.pending_digits.pop_front() {
                return Input::Dtmf(d);
            }
            match self.next_packet().await {
                Packet::Voice(law) => {
                    self.decode(law);
                    if let Some(det) = self.inband.as_mut() {
                        let mut found = Vec::new();
                        det.process(&self.frame, |e| {
                            if let DtmfEvent::End { digit, .. } = e {
                                found.push(digit);
                            }
                        });
                        self.pending_digits.extend(found);
                    }
                    return Input::Voice;
                }
                Packet::Event { timestamp, .. } => {
                    if self.dtmf_mode == DtmfMode::Inband || self.dtmf_mode == DtmfMode::Info {
                        continue;
                    }
                    let (s, e) = self.rx_payload;
                    let evs = self.dtmf.on_packet(timestamp, &self.rx[s..e]);
                    for ev in evs {
                        if let DtmfEvent::End { digit, .. } = ev {
                            self.pending_digits.push_back(digit);
                        }
                    }
                }
                Packet::Ctl(i) => return i,
                Packet::Other => {}
            }
        }
    }

    /// Run the last telephone-event packet (with `timestamp`) through the RFC 4733 receiver:
    /// the digit, when this packet ended one.
    pub fn event_digit(&mut self, timestamp: u32) -> Option<char> {
        let (s, e) = self.rx_payload;
        let mut out = None;
        for ev in self.dtmf.on_packet(timestamp, &self.rx[s..e]) {
            if let DtmfEvent::End { digit, .. } = ev {
                out = Some(digit);
            }
        }
        out
    }

    /// Like [`event_digit`](Self::event_digit), with the digit's length in ms.
    pub fn event_end(&mut self, timestamp: u32) -> Option<(char, u32)> {
        let (s, e) = self.rx_payload;
        let mut out = None;
        for ev in self.dtmf.on_packet(timestamp, &self.rx[s..e]) {
            if let DtmfEvent::End { digit, duration } = ev {
                out = Some((digit, duration / 8));
            }
        }
        out
    }

    /// In-band DTMF is listened for on this stream (dtmfmode=inband, or auto without
    /// telephone-event).
    pub fn detects_inband(&self) -> bool {
        self.inband.is_some()
    }

    /// Decode the last packet's audio (in `law`, copied to the taps) and run it through the
    /// in-band detector: the digit whose tone just ended, with its length in ms.
    pub fn inband_digit(&mut self, law: Law) -> Option<(char, u32)> {
        self.decode(law);
        let det = self.inband.as_mut()?;
        let mut found = None;
        det.process(&self.frame, |e| {
            if let DtmfEvent::End { digit, duration } = e {
                found = Some((digit, duration / 8));
            }
        });
        found
    }

    /// Whether telephone-events relayed from another leg can go out here as they are.
    pub fn takes_events(&self) -> bool {
        self.dtmf_out() == DtmfOut::Events
    }

    /// Decode the last packet's audio into `frame` and copy it to the taps.
    pub fn decode(&mut self, law: Law) {
        let (s, e) = self.rx_payload;
        self.frame.clear();
        self.frame.resize(e - s, 0);
        law.decode(&self.rx[s..e], &mut self.frame);
        if !self.taps.is_empty() {
            let f = self.frame.clone();
            self.tap(Dir::Read, f);
        }
    }

    fn tap(&mut self, dir: Dir, samples: Vec<i16>) {
        self.taps.retain(|t| !t.is_closed());
        for t in &self.taps {
            let _ = t.send((dir, samples.clone()));
        }
    }

    /// Send linear audio (any number of samples; one packet).
    pub fn write(&mut self, samples: &[i16]) {
        self.set_bridged(false);
        if self.digit_now.is_some() {
            // A digit of ours has the stream.
            return;
        }
        if !self.taps.is_empty() {
            self.tap(Dir::Write, samples.to_vec());
        }
        let mut payload = [0u8; 1024];
        let n = samples.len().min(payload.len());
        self.law.encode(&samples[..n], &mut payload[..n]);
        self.send_payload(&payload[..n], n as u32);
    }

    /// Send a payload already in this stream's codec (`samples` long).
    pub fn send_payload(&mut self, payload: &[u8], samples: u32) {
        let Some(to) = self.sym.remote else { return };
        if self.on_hold && payload.is_empty() {
            return;
        }
        let Ok(n) = self
            .sender
            .write_media(payload, samples, tx_buf(&mut self.tx))
        else {
            return;
        };
        if self.socket().is_none() {
            return;
        }
        if let Some(s) = self.sock.as_ref() {
            let _ = s.try_send_to(&self.tx[..n], to);
        }
    }

    /// Relay audio that arrived on another stream in `law`: as it is when the codecs agree,
    /// transcoded otherwise; copied to this stream's taps (as heard by its far end).
    pub fn relay_voice(&mut self, law: Law, payload: &[u8]) {
        if self.digit_now.is_some() {
            // A digit of ours is being sent: it has the stream (as res_rtp_asterisk's
            // `sending_digit`).
            return;
        }
        if !self.taps.is_empty() {
            let mut pcm = vec![0i16; payload.len()];
            law.decode(payload, &mut pcm);
            self.tap(Dir::Write, pcm);
        }
        if law == self.law {
            self.send_payload(payload, payload.len() as u32);
        } else {
            let mut buf = [0u8; 1024];
            let n = payload.len().min(buf.len());
            buf[..n].copy_from_slice(&payload[..n]);
            crate::media::g711::transcode_in_place(law, self.law, &mut buf[..n]);
            self.send_payload(&buf[..n], n as u32);
        }
    }

    /// Relay a telephone-event packet from another stream: same event, our payload type, our
    /// timeline (an event keeps one timestamp from start to end).
    pub fn relay_event(&mut self, marker: bool, far_ts: u32, payload: &[u8]) {
        let (Some(pt), Some(to)) = (self.dtmf_pt, self.sym.remote) else {
            return;
        };
        let ts = match self.relay_event {
            Some((f, ours)) if f == far_ts => ours,
            _ => {
                let ours = self.sender.timestamp();
                self.relay_event = Some((far_ts, ours));
                ours
            }
        };
        let Ok(n) = self
            .sender
            .write_event(pt, marker, ts, payload, tx_buf(&mut self.tx))
        else {
            return;
        };
        if self.socket().is_none() {
            return;
        }
        if let Some(s) = self.sock.as_ref() {
            let _ = s.try_send_to(&self.tx[..n], to);
        }
    }

    /// Send a DTMF digit as RFC 4733 events (`ms` long), paced in real time.
    pub async fn send_dtmf(&mut self, digit: char, ms: u32) {
        let (Some(pt), Some(to)) = (self.dtmf_pt, self.sym.remote) else {
            return;
        };
        let start = self.sender.timestamp();
        let packets = crate::media::dtmf::DtmfSender::packets_for(digit, ms, start);
        let mut tick = tokio::time::interval(std::time::Duration::from_millis(20));
        let mut last_offset = 0;
        for (offset, p) in packets {
            if offset > last_offset {
                tick.tick().await;
                last_offset = offset;
            }
            if let Ok(n) =
                self.sender
                    .write_event(pt, p.marker, p.timestamp, &p.payload, tx_buf(&mut self.tx))
            {
                if self.socket().is_some() {
                    if let Some(s) = self.sock.as_ref() {
                        let _ = s.try_send_to(&self.tx[..n], to);
                    }
                }
            }
        }
        // The media timestamps go on after the event.
        self.sender.skip(ms * 8);
    }
}

impl Drop for RtpStream {
    /// The stream ends: a last report with a BYE (RFC 3550 §6.6) — only from a participant
    /// that sent RTP or RTCP (§6.3.7: one that never did must not send a BYE).
    fn drop(&mut self) {
        if self.rtcp.as_ref().is_some_and(|r| {
            r.session.next_due().is_some()
                && (r.session.stats.reports_sent > 0 || self.sender.packets_sent() > 0)
        }) {
            self.send_rtcp(true);
        }
        // The port pair goes back to the pool for a later call.
        use super::rtppool::Sock;
        let rtp = self.sock.take().map(Sock::Reg);
        let rtp = rtp.or_else(|| self.std_sock.take().map(Sock::Plain));
        let rtcp = self.rtcp.as_mut().and_then(|r| {
            let s = r.sock.take().map(Sock::Reg);
            s.or_else(|| r.std_sock.take().map(Sock::Plain))
        });
        match rtp {
            Some(rtp) if self.pooled => {
                super::rtppool::give(rtp, rtcp, self.local_ip, self.local_port, self.rt)
            }
            _ => {}
        }
    }
}

fn current_runtime() -> Option<tokio::runtime::Id> {
    tokio::runtime::Handle::try_current().ok().map(|h| h.id())
}

/// The send buffer, made at the first packet sent.
fn tx_buf(tx: &mut Vec<u8>) -> &mut [u8] {
    if tx.is_empty() {
        tx.resize(2048, 0);
    }
    tx
}

/// SSRC, first sequence number and timestamp: random (RFC 3550 §5.1), from the clock and a
/// counter (no cryptographic need).
fn random_u64() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0x9E37_79B9_7F4A_7C15);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1);
    let mut x = t ^ N.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed);
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x
}
