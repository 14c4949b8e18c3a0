//! RTP (RFC 3550) for one media stream, as res_rtp_asterisk keeps it: a sender that stamps
//! packets with its SSRC, a sequence number that goes up by one per packet and a timestamp
//! that goes up by the samples sent (160 per 20 ms frame at 8 kHz), with the marker bit on
//! the first packet of a talkspurt; and a receiver that follows the remote source: a new SSRC
//! resets the state (Asterisk treats it as a new source and marks the next frame), sequence
//! numbers are extended to 32 bits and counted for loss, duplicates and reordering (RFC 3550
//! A.1), and interarrival jitter is kept as RFC 3550 A.8 computes it, from arrival times the
//! caller gives in timestamp units. [`SymmetricRtp`] is the comedia rule (`nat=yes`): send to
//! where the peer's packets come from. [`StrictRtp`] is rtp.conf's `strictrtp` source
//! learning, and [`RtpTimeout`] sip.conf's `rtptimeout`/`rtpholdtimeout`.
//!
//! Headers are read and written with the `rtp-rs` crate (zero-copy reader, builder that writes
//! into a caller buffer): it fits the per-packet path without allocating. RTCP is small enough
//! to do here: SR/RR with report blocks, SDES CNAME and BYE, enough for RTCP reports and
//! `rtptimeout`-style liveness.

use rtp_rs::{RtpPacketBuilder, RtpReader, Seq};
use std::net::SocketAddr;

/// Smallest RTP header (no CSRC, no extension).
pub const HEADER_LEN: usize = 12;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RtpError {
    /// Not an RTP version 2 packet, or shorter than its header says.
    Malformed,
    /// The output buffer is too small.
    BufferTooSmall,
}

impl std::fmt::Display for RtpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RtpError::Malformed => write!(f, "malformed RTP packet"),
            RtpError::BufferTooSmall => write!(f, "buffer too small for the RTP packet"),
        }
    }
}

impl std::error::Error for RtpError {}

/// The header fields zvezda uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RtpHeader {
    pub payload_type: u8,
    pub marker: bool,
    pub sequence: u16,
    pub timestamp: u32,
    pub ssrc: u32,
}

/// A parsed packet: header and payload (padding, CSRCs and extension skipped), borrowing the
/// datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RtpPacket<'a> {
    pub header: RtpHeader,
    pub payload: &'a [u8],
}

/// Parse one RTP datagram.
pub fn parse(buf: &[u8]) -> Result<RtpPacket<'_>, RtpError> {
    let r = RtpReader::new(buf).map_err(|_| RtpError::Malformed)?;
    Ok(RtpPacket {
        header: RtpHeader {
            payload_type: r.payload_type(),
            marker: r.mark(),
            sequence: r.sequence_number().into(),
            timestamp: r.timestamp(),
            ssrc: r.ssrc(),
        },
        payload: r.payload(),
    })
}

/// Write a packet with `header` and `payload` into `out`; returns its length.
pub fn write(header: &RtpHeader, payload: &[u8], out: &mut [u8]) -> Result<usize, RtpError> {
    if header.payload_type > 127 {
        return Err(RtpError::Malformed);
    }
    RtpPacketBuilder::new()
        .payload_type(header.payload_type)
        .marked(header.marker)
        .sequence(Seq::from(header.sequence))
        .timestamp(header.timestamp)
        .ssrc(header.ssrc)
        .payload(payload)
        .build_into(out)
        .map_err(|e| match e {
            rtp_rs::RtpPacketBuildError::BufferTooSmall => RtpError::BufferTooSmall,
            _ => RtpError::Malformed,
        })
}

/// The sending side of a stream: SSRC, next sequence number, next timestamp.
#[derive(Clone, Debug)]
pub struct RtpSender {
    pub ssrc: u32,
    pub payload_type: u8,
    seq: u16,
    ts: u32,
    talkspurt: bool,
    packets: u32,
    octets: u32,
}

impl RtpSender {
    /// `seq` and `ts` are the first sequence number and timestamp (random in real use, RFC 3550
    /// 5.1). The first packet carries the marker bit.
    /// RTP packets sent so far.
    pub fn packets_sent(&self) -> u32 {
        self.packets
    }

    pub fn new(ssrc: u32, payload_type: u8, seq: u16, ts: u32) -> Self {
        RtpSender {
            ssrc,
            payload_type,
            seq,
            ts,
            talkspurt: true,
            packets: 0,
            octets: 0,
        }
    }

    /// The sequence number the next packet gets.
    pub fn next_sequence(&self) -> u16 {
        self.seq
    }

    /// The timestamp the next media packet gets.
    pub fn timestamp(&self) -> u32 {
        self.ts
    }

    /// Packets and payload octets sent (for an RTCP SR).
    pub fn counts(&self) -> (u32, u32) {
        (self.packets, self.octets)
    }

    /// The next media packet starts a talkspurt (marker bit set), as after silence or a
    /// source change.
    pub fn start_talkspurt(&mut self) {
        self.talkspurt = true;
    }

    /// Advance the timestamp without sending (silence suppression, a gap): the next packet
    /// starts a talkspurt.
    pub fn skip(&mut self, samples: u32) {
        self.ts = self.ts.wrapping_add(samples);
        self.talkspurt = true;
    }

    /// Write the next media packet (`samples` samples of `payload`) into `out`; the timestamp
    /// then advances by `samples`. Returns the packet length.
    pub fn write_media(
        &mut self,
        payload: &[u8],
        samples: u32,
        out: &mut [u8],
    ) -> Result<usize, RtpError> {
        let h = RtpHeader {
            payload_type: self.payload_type,
            marker: self.talkspurt,
            sequence: self.seq,
            timestamp: self.ts,
            ssrc: self.ssrc,
        };
        let n = write(&h, payload, out)?;
        self.talkspurt = false;
        self.ts = self.ts.wrapping_add(samples);
        self.sent(payload.len());
        Ok(n)
    }

    /// Write a packet with its own payload type, marker and timestamp (RFC 4733 events keep
    /// the timestamp of the event start); only the sequence number advances.
    pub fn write_event(
        &mut self,
        payload_type: u8,
        marker: bool,
        timestamp: u32,
        payload: &[u8],
        out: &mut [u8],
    ) -> Result<usize, RtpError> {
        let h = RtpHeader {
            payload_type,
            marker,
            sequence: self.seq,
            timestamp,
            ssrc: self.ssrc,
        };
        let n = write(&h, payload, out)?;
        self.sent(payload.len());
        Ok(n)
    }

    fn sent(&mut self, len: usize) {
        self.seq = self.seq.wrapping_add(1);
        self.packets = self.packets.wrapping_add(1);
        self.octets = self.octets.wrapping_add(len as u32);
    }
}

/// What the receiver made of one packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arrival {
    /// The first packet of a source.
    First,
    /// A new SSRC replaced the previous source; the state was reset (as for `First`).
    SsrcChanged {
        old: u32,
    },
    /// The next expected packet, or a later one: `gap` packets were skipped (0 = in order).
    InOrder {
        gap: u32,
    },
    /// An older packet not seen before (reordered).
    Late,
    /// A packet already received.
    Duplicate,
    /// A large jump in sequence numbers: the first such packet is dropped (it may be stray);
    /// if the next one follows it, the source restarted (RFC 3550 A.1) and that is `Restart`.
    Jump,
    Restart,
}

impl Arrival {
    /// Whether the packet should be played (not a duplicate or a stray jump).
    pub fn is_usable(self) -> bool {
        !matches!(self, Arrival::Duplicate | Arrival::Jump)
    }
}

const SEQ_MOD: u32 = 1 << 16;
const MAX_DROPOUT: u32 = 3000;
const MAX_MISORDER: u32 = 100;

/// The receiving side of a stream: the remote source and its statistics.
#[derive(Clone, Debug, Default)]
pub struct RtpReceiver {
    ssrc: Option<u32>,
    base_seq: u32,
    max_seq: u16,
    cycles: u32,
    bad_seq: u32,
    received: u64,
    duplicates: u64,
    /// Bit i set: extended sequence number max - i was received.
    window: u64,
    expected_prior: u64,
    received_prior: u64,
    transit: Option<i64>,
    /// Jitter times 16 (RFC 3550 A.8 integer form).
    jitter16: u32,
    last_arrival: Option<u32>,
}

impl RtpReceiver {
    pub fn new() -> Self {
        Self::default()
    }

    /// The SSRC being followed.
    pub fn ssrc(&self) -> Option<u32> {
        self.ssrc
    }

    fn init(&mut self, ssrc: u32, seq: u16) {
        *self = RtpReceiver {
            ssrc: Some(ssrc),
            base_seq: seq as u32,
            max_seq: seq,
            bad_seq: SEQ_MOD + 1,
            received: 1,
            window: 1,
            ..Default::default()
        };
    }

    /// Account for one packet; `arrival` is the arrival time in timestamp units (at 8 kHz,
    /// milliseconds * 8) on any clock that does not jump.
    pub fn on_packet(&mut self, h: &RtpHeader, arrival: u32) -> Arrival {
        let kind = match self.ssrc {
            None => {
                self.init(h.ssrc, h.sequence);
                Arrival::First
            }
            Some(old) if old != h.ssrc => {
                self.init(h.ssrc, h.sequence);
                Arrival::SsrcChanged { old }
            }
            Some(_) => self.update_seq(h.sequence),
        };
        if kind.is_usable() {
            self.jitter_update(h.timestamp, arrival);
        }
        self.last_arrival = Some(arrival);
        kind
    }

    fn update_seq(&mut self, seq: u16) -> Arrival {
        let udelta = seq.wrapping_sub(self.max_seq) as u32;
        if udelta == 0 {
            self.duplicates += 1;
            return Arrival::Duplicate;
        }
        if udelta < MAX_DROPOUT {
            if seq < self.max_seq {
                self.cycles += SEQ_MOD;
            }
            self.max_seq = seq;
            self.window = if udelta >= 64 {
                1
            } else {
                (self.window << udelta) | 1
            };
            self.received += 1;
            return Arrival::InOrder { gap: udelta - 1 };
        }
        if udelta <= SEQ_MOD - MAX_MISORDER {
            if seq as u32 == self.bad_seq {
                let ssrc = self.ssrc.unwrap_or(0);
                let (jitter, transit) = (self.jitter16, self.transit);
                self.init(ssrc, seq);
                self.jitter16 = jitter;
                self.transit = transit;
                return Arrival::Restart;
            }
            self.bad_seq = (seq as u32 + 1) & (SEQ_MOD - 1);
            return Arrival::Jump;
        }
        // Behind max_seq by less than MAX_MISORDER: reordered or duplicated.
        let back = SEQ_MOD - udelta;
        if back < 64 {
            let bit = 1u64 << back;
            if self.window & bit != 0 {
                self.duplicates += 1;
                return Arrival::Duplicate;
            }
            self.window |= bit;
        }
        self.received += 1;
        Arrival::Late
    }

    fn jitter_update(&mut self, ts: u32, arrival: u32) {
        let transit = arrival.wrapping_sub(ts) as i32 as i64;
        if let Some(prev) = self.transit {
            let d = (transit - prev).unsigned_abs() as u32;
            // J += (|D| - J) / 16, kept as 16 J.
            self.jitter16 = self
                .jitter16
                .wrapping_add(d)
                .wrapping_sub((self.jitter16 + 8) >> 4);
        }
        self.transit = Some(transit);
    }

    /// The highest sequence number received, extended with the wrap count.
    pub fn extended_max_seq(&self) -> u32 {
        self.cycles.wrapping_add(self.max_seq as u32)
    }

    /// Packets expected from the first to the highest sequence number.
    pub fn expected(&self) -> u64 {
        if self.ssrc.is_none() {
            return 0;
        }
        (self.extended_max_seq() as u64 + 1).saturating_sub(self.base_seq as u64)
    }

    /// Packets received (duplicates not counted).
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Cumulative packets lost (expected minus received, never below 0).
    pub fn lost(&self) -> u64 {
        self.expected().saturating_sub(self.received)
    }

    pub fn duplicates(&self) -> u64 {
        self.duplicates
    }

    /// Interarrival jitter in timestamp units.
    pub fn jitter(&self) -> u32 {
        self.jitter16 >> 4
    }

    /// Arrival time of the last packet (for `rtptimeout`).
    pub fn last_arrival(&self) -> Option<u32> {
        self.last_arrival
    }

    /// A report block for an RTCP SR/RR about this source; starts a new interval for the
    /// fraction lost. `lsr`/`dlsr` come from the last SR received (0 when none).
    pub fn report_block(&mut self, lsr: u32, dlsr: u32) -> Option<ReportBlock> {
        let ssrc = self.ssrc?;
        let expected = self.expected();
        let exp_int = expected - self.expected_prior;
        let rec_int = self.received - self.received_prior;
        self.expected_prior = expected;
        self.received_prior = self.received;
        let lost_int = exp_int.saturating_sub(rec_int);
        let fraction = (lost_int << 8).checked_div(exp_int).unwrap_or(0).min(255) as u8;
        Some(ReportBlock {
            ssrc,
            fraction_lost: fraction,
            cumulative_lost: self.lost().min(0x7F_FFFF) as i32,
            highest_seq: self.extended_max_seq(),
            jitter: self.jitter(),
            lsr,
            dlsr,
        })
    }
}

/// Symmetric RTP (comedia, `nat=yes`): the media goes where the peer's media comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SymmetricRtp {
    /// Where to send: the SDP address at first, then the learned one.
    pub remote: Option<SocketAddr>,
    pub symmetric: bool,
}

impl SymmetricRtp {
    pub fn new(sdp_remote: Option<SocketAddr>, symmetric: bool) -> Self {
        SymmetricRtp {
            remote: sdp_remote,
            symmetric,
        }
    }

    /// A packet came from `from`: returns true when the send address changed.
    pub fn on_packet(&mut self, from: SocketAddr) -> bool {
        if self.symmetric && self.remote != Some(from) {
            self.remote = Some(from);
            return true;
        }
        false
    }
}

/// The RTP ports to try binding, in order, as res_rtp_asterisk picks them from rtp.conf's
/// `rtpstart`..`rtpend`: an even port at a random place in the range (`random` is the
/// caller's random number), then every even port after it, wrapping to the start, each once.
/// RTCP uses the port above.
pub fn rtp_port_candidates(start: u16, end: u16, random: u32) -> impl Iterator<Item = u16> {
    let (start, end) = if start <= end {
        (start, end)
    } else {
        (end, start)
    };
    let first_even = (start as u32 + 1) & !1;
    let span = (end - start) as u32;
    let mut x = if span == 0 {
        start as u32
    } else {
        random % span + start as u32
    } & !1;
    if x < first_even {
        x = first_even;
    }
    let count = if end as u32 >= first_even {
        (end as u32 - first_even) / 2 + 1
    } else {
        0
    };
    (0..count).map(move |_| {
        let port = x;
        x += 2;
        if x > end as u32 {
            x = first_even;
        }
        port as u16
    })
}

/// rtp.conf `strictrtp`: `no`, `yes` (sequence and timing checks while learning) or `seqno`
/// (sequence only).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StrictMode {
    No,
    Yes,
    Seqno,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StrictState {
    /// Every source accepted (`strictrtp=no`).
    Open,
    /// Learning which address the media comes from.
    Learn,
    /// Only the learned address is accepted.
    Closed,
}

/// How long learning lasts once a source is known (res_rtp_asterisk: 5 s).
pub const STRICT_LEARN_MS: u64 = 5000;

/// Strict RTP as res_rtp_asterisk does it: when the remote address is set (from SDP),
/// learning starts; a packet from the learned source or from the SDP address is accepted at
/// once, another address must send `probation` (rtp.conf, default 4) packets in sequence
/// after its first one before it becomes the source (with `yes`, not faster than a flood
/// would: `(probation - 1) * 9 - 5` ms); five seconds after learning started with a source
/// known, the source is locked and every other address is dropped.
#[derive(Clone, Debug)]
pub struct StrictRtp {
    mode: StrictMode,
    state: StrictState,
    probation: u32,
    source: Option<SocketAddr>,
    target: Option<SocketAddr>,
    proposed: Option<SocketAddr>,
    learn_start: u64,
    packets: u32,
    max_seq: u16,
    first_in_row: Option<u64>,
}

impl StrictRtp {
    pub fn new(mode: StrictMode, probation: u32) -> Self {
        StrictRtp {
            mode,
            state: if mode == StrictMode::No {
                StrictState::Open
            } else {
                StrictState::Closed
            },
            probation: if probation > 1 { probation } else { 4 },
            source: None,
            target: None,
            proposed: None,
            learn_start: 0,
            packets: 0,
            max_seq: 0,
            first_in_row: None,
        }
    }

    pub fn state(&self) -> StrictState {
        self.state
    }

    /// The address media is accepted from.
    pub fn source(&self) -> Option<SocketAddr> {
        self.source
    }

    /// The remote address from SDP was set (call setup, re-INVITE): learn again if it changed.
    pub fn set_remote(&mut self, addr: SocketAddr, now_ms: u64) {
        self.target = Some(addr);
        if self.mode != StrictMode::No && self.source != Some(addr) {
            self.state = StrictState::Learn;
            self.proposed = None;
            self.learn_start = now_ms;
            self.seq_init(self.max_seq);
        }
    }

    fn seq_init(&mut self, seq: u16) {
        self.max_seq = seq;
        self.packets = self.probation;
        self.first_in_row = None;
    }

    /// Returns the packets still needed (0 = accept the candidate).
    fn seq_update(&mut self, seq: u16, now_ms: u64) -> u32 {
        if seq == self.max_seq.wrapping_add(1) {
            self.packets = self.packets.saturating_sub(1);
        } else {
            self.packets = self.probation - 1;
            self.first_in_row = Some(now_ms);
        }
        if self.mode == StrictMode::Yes {
            let min = ((self.probation as u64 - 1) * 9).saturating_sub(5);
            match self.first_in_row {
                None => self.first_in_row = Some(now_ms),
                Some(t) if self.packets == 0 && now_ms.saturating_sub(t) < min => {
                    self.packets = self.probation - 1;
                    self.first_in_row = Some(now_ms);
                }
                _ => {}
            }
        }
        self.max_seq = seq;
        self.packets
    }

    /// Whether a packet from `from` with sequence number `seq`, arriving at `now_ms`, is
    /// accepted.
    pub fn accept(&mut self, from: SocketAddr, seq: u16, now_ms: u64) -> bool {
        if self.state == StrictState::Learn {
            if self.source.is_some() && now_ms.saturating_sub(self.learn_start) > STRICT_LEARN_MS {
                self.state = StrictState::Closed;
            } else {
                if self.source == Some(from) || self.target == Some(from) {
                    self.source = Some(from);
                    self.seq_init(seq);
                    return true;
                }
                if self.proposed == Some(from) {
                    if self.seq_update(seq, now_ms) == 0 {
                        self.source = Some(from);
                        self.seq_init(seq);
                        return true;
                    }
                } else {
                    self.proposed = Some(from);
                    self.seq_init(seq);
                }
                return false;
            }
        }
        match self.state {
            StrictState::Open => true,
            _ => self.source == Some(from),
        }
    }
}

/// sip.conf `rtptimeout` / `rtpholdtimeout`: hang up when no RTP arrived for that many
/// seconds (0 = never); the hold value applies while the call is on hold.
#[derive(Clone, Copy, Debug, Default)]
pub struct RtpTimeout {
    last_ms: Option<u64>,
}

impl RtpTimeout {
    /// Start counting (media set up) or record a packet.
    pub fn touch(&mut self, now_ms: u64) {
        self.last_ms = Some(now_ms);
    }

    pub fn timed_out(
        &self,
        now_ms: u64,
        rtptimeout_s: u32,
        holdtimeout_s: u32,
        on_hold: bool,
    ) -> bool {
        let limit = if on_hold { holdtimeout_s } else { rtptimeout_s };
        match self.last_ms {
            Some(last) if limit > 0 => now_ms.saturating_sub(last) > limit as u64 * 1000,
            _ => false,
        }
    }
}

// ---- RTCP ----

pub const RTCP_SR: u8 = 200;
pub const RTCP_RR: u8 = 201;
pub const RTCP_SDES: u8 = 202;
pub const RTCP_BYE: u8 = 203;

/// One reception report block (RFC 3550 6.4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ReportBlock {
    pub ssrc: u32,
    pub fraction_lost: u8,
    /// 24-bit signed.
    pub cumulative_lost: i32,
    pub highest_seq: u32,
    pub jitter: u32,
    pub lsr: u32,
    pub dlsr: u32,
}

/// The sender info of an SR.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct SenderInfo {
    pub ssrc: u32,
    /// NTP timestamp, 32.32 fixed point.
    pub ntp: u64,
    pub rtp_ts: u32,
    pub packets: u32,
    pub octets: u32,
}

impl SenderInfo {
    /// The middle 32 bits of the NTP timestamp: what a report's LSR field carries.
    pub fn lsr(&self) -> u32 {
        (self.ntp >> 16) as u32
    }
}

fn put32(out: &mut [u8], at: usize, v: u32) {
    out[at..at + 4].copy_from_slice(&v.to_be_bytes());
}

fn get32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn rtcp_header(out: &mut [u8], count: u8, pt: u8, len_bytes: usize) {
    out[0] = 0x80 | (count & 0x1F);
    out[1] = pt;
    let words = (len_bytes / 4 - 1) as u16;
    out[2..4].copy_from_slice(&words.to_be_bytes());
}

fn write_blocks(out: &mut [u8], mut at: usize, blocks: &[ReportBlock]) {
    for b in blocks {
        put32(out, at, b.ssrc);
        let lost = (b.cumulative_lost.clamp(-0x80_0000, 0x7F_FFFF) as u32) & 0xFF_FFFF;
        put32(out, at + 4, ((b.fraction_lost as u32) << 24) | lost);
        put32(out, at + 8, b.highest_seq);
        put32(out, at + 12, b.jitter);
        put32(out, at + 16, b.lsr);
        put32(out, at + 20, b.dlsr);
        at += 24;
    }
}

/// Write an SR with up to 31 report blocks; returns its length.
pub fn write_sr(
    info: &SenderInfo,
    blocks: &[ReportBlock],
    out: &mut [u8],
) -> Result<usize, RtpError> {
    let len = 28 + 24 * blocks.len();
    if blocks.len() > 31 || out.len() < len {
        return Err(RtpError::BufferTooSmall);
    }
    rtcp_header(out, blocks.len() as u8, RTCP_SR, len);
    put32(out, 4, info.ssrc);
    put32(out, 8, (info.ntp >> 32) as u32);
    put32(out, 12, info.ntp as u32);
    put32(out, 16, info.rtp_ts);
    put32(out, 20, info.packets);
    put32(out, 24, info.octets);
    write_blocks(out, 28, blocks);
    Ok(len)
}

/// Write an RR from `ssrc` with up to 31 report blocks; returns its length.
pub fn write_rr(ssrc: u32, blocks: &[ReportBlock], out: &mut [u8]) -> Result<usize, RtpError> {
    let len = 8 + 24 * blocks.len();
    if blocks.len() > 31 || out.len() < len {
        return Err(RtpError::BufferTooSmall);
    }
    rtcp_header(out, blocks.len() as u8, RTCP_RR, len);
    put32(out, 4, ssrc);
    write_blocks(out, 8, blocks);
    Ok(len)
}

/// Write an SDES with one CNAME item (every compound packet carries one).
pub fn write_sdes_cname(ssrc: u32, cname: &str, out: &mut [u8]) -> Result<usize, RtpError> {
    let text = &cname.as_bytes()[..cname.len().min(255)];
    // header 4 + ssrc 4 + type 1 + len 1 + text + END 1, padded to 4.
    let len = (4 + 4 + 2 + text.len() + 1).div_ceil(4) * 4;
    if out.len() < len {
        return Err(RtpError::BufferTooSmall);
    }
    rtcp_header(out, 1, RTCP_SDES, len);
    put32(out, 4, ssrc);
    out[8] = 1;
    out[9] = text.len() as u8;
    out[10..10 + text.len()].copy_from_slice(text);
    out[10 + text.len()..len].fill(0);
    Ok(len)
}

/// Write a BYE for `ssrc`.
pub fn write_bye(ssrc: u32, out: &mut [u8]) -> Result<usize, RtpError> {
    if out.len() < 8 {
        return Err(RtpError::BufferTooSmall);
    }
    rtcp_header(out, 1, RTCP_BYE, 8);
    put32(out, 4, ssrc);
    Ok(8)
}

/// One packet of a compound RTCP datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RtcpPacket<'a> {
    SenderReport {
        info: SenderInfo,
        blocks: ReportBlocks<'a>,
    },
    ReceiverReport {
        ssrc: u32,
        blocks: ReportBlocks<'a>,
    },
    /// SDES: the first chunk's SSRC and CNAME, if any.
    SourceDescription {
        ssrc: u32,
        cname: Option<&'a [u8]>,
    },
    Bye {
        ssrc: Option<u32>,
    },
    Other {
        packet_type: u8,
    },
}

/// The report blocks of an SR or RR, read lazily.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReportBlocks<'a> {
    data: &'a [u8],
}

impl Iterator for ReportBlocks<'_> {
    type Item = ReportBlock;
    fn next(&mut self) -> Option<ReportBlock> {
        if self.data.len() < 24 {
            return None;
        }
        let b = self.data;
        let w = get32(b, 4);
        let lost = ((w & 0xFF_FFFF) << 8) as i32 >> 8;
        let rb = ReportBlock {
            ssrc: get32(b, 0),
            fraction_lost: (w >> 24) as u8,
            cumulative_lost: lost,
            highest_seq: get32(b, 8),
            jitter: get32(b, 12),
            lsr: get32(b, 16),
            dlsr: get32(b, 20),
        };
        self.data = &b[24..];
        Some(rb)
    }
}

/// Iterate the packets of a compound RTCP datagram; stops (with an error item) at the first
/// malformed one.
pub fn parse_rtcp(buf: &[u8]) -> RtcpIter<'_> {
    RtcpIter { rest: buf }
}

pub struct RtcpIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for RtcpIter<'a> {
    type Item = Result<RtcpPacket<'a>, RtpError>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let b = self.rest;
        if b.len() < 4 || b[0] >> 6 != 2 {
            self.rest = &[];
            return Some(Err(RtpError::Malformed));
        }
        let len = (u16::from_be_bytes([b[2], b[3]]) as usize + 1) * 4;
        if len > b.len() {
            self.rest = &[];
            return Some(Err(RtpError::Malformed));
        }
        let count = (b[0] & 0x1F) as usize;
        let p = &b[..len];
        self.rest = &b[len..];
        let pkt = match p[1] {
            RTCP_SR if len >= 28 + 24 * count => RtcpPacket::SenderReport {
                info: SenderInfo {
                    ssrc: get32(p, 4),
                    ntp: ((get32(p, 8) as u64) << 32) | get32(p, 12) as u64,
                    rtp_ts: get32(p, 16),
                    packets: get32(p, 20),
                    octets: get32(p, 24),
                },
                blocks: ReportBlocks {
                    data: &p[28..28 + 24 * count],
                },
            },
            RTCP_RR if len >= 8 + 24 * count => RtcpPacket::ReceiverReport {
                ssrc: get32(p, 4),
                blocks: ReportBlocks {
                    data: &p[8..8 + 24 * count],
                },
            },
            RTCP_SDES if len >= 8 => {
                let ssrc = get32(p, 4);
                let mut at = 8;
                let mut cname = None;
                while at + 2 <= len && p[at] != 0 {
                    let l = p[at + 1] as usize;
                    if at + 2 + l > len {
                        break;
                    }
                    if p[at] == 1 {
                        cname = Some(&p[at + 2..at + 2 + l]);
                        break;
                    }
                    at += 2 + l;
                }
                RtcpPacket::SourceDescription { ssrc, cname }
            }
            RTCP_BYE => RtcpPacket::Bye {
                ssrc: (count > 0 && len >= 8).then(|| get32(p, 4)),
            },
            RTCP_SR | RTCP_RR | RTCP_SDES => {
                self.rest = &[];
                return Some(Err(RtpError::Malformed));
            }
            other => RtcpPacket::Other { packet_type: other },
        };
        Some(Ok(pkt))
    }
}

// ---- An RTCP session (res_rtp_asterisk's `ast_rtcp`) ----

/// rtp.conf `rtcpinterval`: default, smallest and largest (milliseconds).
pub const RTCP_DEFAULT_INTERVAL_MS: u32 = 5000;
pub const RTCP_MIN_INTERVAL_MS: u32 = 500;
pub const RTCP_MAX_INTERVAL_MS: u32 = 60000;

/// The report interval for rtp.conf's `rtcpinterval` as res_rtp_asterisk reads it: `atoi`
/// of the text, then held within 500..=60000 (so `0` and garbage give 500); unset is 5000.
pub fn rtcp_interval(configured: Option<&str>) -> u32 {
    let Some(text) = configured else {
        return RTCP_DEFAULT_INTERVAL_MS;
    };
    let t = text.trim();
    let end = t
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || (i == 0 && (c == '-' || c == '+'))))
        .map(|(i, _)| i)
        .unwrap_or(t.len());
    let v: i64 = t[..end].parse().unwrap_or(0);
    v.clamp(RTCP_MIN_INTERVAL_MS as i64, RTCP_MAX_INTERVAL_MS as i64) as u32
}

/// Seconds from 1900 (NTP's epoch) to 1970 (Unix's).
const NTP_UNIX_OFFSET: u64 = 2_208_988_800;

/// The NTP timestamp (32.32 fixed point) of a time given as a duration since the Unix epoch.
pub fn ntp_from_unix(since_epoch: std::time::Duration) -> u64 {
    let secs = since_epoch.as_secs() + NTP_UNIX_OFFSET;
    let frac = ((since_epoch.subsec_nanos() as u64) << 32) / 1_000_000_000;
    (secs << 32) | frac
}

/// A moment as RTCP needs it: milliseconds on the caller's steady clock (for intervals and
/// DLSR) and the wall clock as NTP (for SRs and round trips).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RtcpTime {
    pub ms: u64,
    pub ntp: u64,
}

/// What is known of a stream's quality: what we measured of the audio we receive and what
/// the far end's reports say of the audio we send. `sip show channelstats` prints it.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RtcpStats {
    pub local_ssrc: u32,
    /// The source we receive (None before its first packet).
    pub remote_ssrc: Option<u32>,
    /// Packets received and lost (expected but not received) of the far end's stream.
    pub rx_packets: u64,
    pub rx_lost: u64,
    /// Interarrival jitter of what we receive, in seconds.
    pub rx_jitter: f64,
    /// Packets we sent.
    pub tx_packets: u32,
    /// The far end's last report about our stream: cumulative lost, fraction lost (of 256)
    /// in its last interval, its jitter (seconds).
    pub tx_lost: u32,
    pub tx_fraction_lost: u8,
    pub tx_jitter: f64,
    /// Round trip from the far end's LSR/DLSR (seconds), once a report answered an SR.
    pub rtt: Option<f64>,
    /// Reports (SR or RR) received from the far end and sent by us.
    pub reports_received: u32,
    pub reports_sent: u32,
    /// The far end said BYE.
    pub bye: bool,
}

impl RtcpStats {
    /// Take our own figures (SSRCs, packets each way, loss and jitter of what we receive)
    /// from the stream's sender and receiver.
    pub fn update_counts(&mut self, sender: &RtpSender, receiver: &RtpReceiver) {
        self.local_ssrc = sender.ssrc;
        self.remote_ssrc = receiver.ssrc();
        self.rx_packets = receiver.received();
        self.rx_lost = receiver.lost();
        self.rx_jitter = receiver.jitter() as f64 / 8000.0;
        self.tx_packets = sender.counts().0;
    }

    /// `CHANNEL(rtpqos,audio,all)`: rtp_engine.c's quality string (`ssrc=..;themssrc=..;lp=..;
    /// rxjitter=..;rxcount=..;txjitter=..;txcount=..;rlp=..;rtt=..;rxmes=..;txmes=..`); zvezda
    /// computes no MES, so those are 0.
    pub fn quality(&self) -> String {
        format!(
            "ssrc={};themssrc={};lp={};rxjitter={:.6};rxcount={};txjitter={:.6};txcount={};rlp={};rtt={:.6};rxmes={:.6};txmes={:.6}",
            self.local_ssrc,
            self.remote_ssrc.unwrap_or(0),
            self.rx_lost as u32,
            self.rx_jitter,
            self.rx_packets as u32,
            self.tx_jitter,
            self.tx_packets,
            self.tx_lost,
            self.rtt.unwrap_or(0.0),
            0.0,
            0.0
        )
    }

    /// One field of `CHANNEL(rtpqos,audio,<field>)` (`%u` or `%f` as chan_sip prints them);
    /// None for a field zvezda does not keep.
    pub fn field(&self, name: &str) -> Option<String> {
        let f = |v: f64| format!("{v:.6}");
        Some(match name.to_ascii_lowercase().as_str() {
            "txcount" | "remote_count" => self.tx_packets.to_string(),
            "rxcount" | "local_count" => (self.rx_packets as u32).to_string(),
            "txjitter" | "remote_jitter" => f(self.tx_jitter),
            "rxjitter" | "local_jitter" => f(self.rx_jitter),
            "txploss" | "remote_lostpackets" => self.tx_lost.to_string(),
            "rxploss" | "local_lostpackets" => (self.rx_lost as u32).to_string(),
            "rtt" => f(self.rtt.unwrap_or(0.0)),
            "local_ssrc" => self.local_ssrc.to_string(),
            "remote_ssrc" => self.remote_ssrc.unwrap_or(0).to_string(),
            _ => return None,
        })
    }
}

/// The RTCP side of a stream, sans-IO: when the next report is due, the report itself (an SR
/// when media was sent since the last report, an RR otherwise, with a block about the source
/// we receive and an SDES CNAME, as res_rtp_asterisk's `ast_rtcp_write`), and what the far
/// end's reports mean (RFC 3550 §6.4: loss, jitter, round trip from LSR/DLSR).
#[derive(Clone, Debug)]
pub struct RtcpSession {
    interval_ms: u32,
    /// When the next report is due (ms on the caller's clock); None until started.
    next_ms: Option<u64>,
    /// Our packet count at the last report (an SR only when it moved).
    packets_at_report: u32,
    /// The middle 32 bits of the far end's last SR and when it came (ms), for LSR/DLSR.
    their_lsr: u32,
    their_sr_at: Option<u64>,
    pub stats: RtcpStats,
}

impl RtcpSession {
    pub fn new(interval_ms: u32) -> Self {
        RtcpSession {
            interval_ms: interval_ms.max(1),
            next_ms: None,
            packets_at_report: 0,
            their_lsr: 0,
            their_sr_at: None,
            stats: RtcpStats::default(),
        }
    }

    pub fn interval_ms(&self) -> u32 {
        self.interval_ms
    }

    /// Start reporting (the far end's address is known): the first report one interval
    /// from `now_ms`. Starting again does not move the schedule.
    pub fn start(&mut self, now_ms: u64) {
        if self.next_ms.is_none() {
            self.next_ms = Some(now_ms + self.interval_ms as u64);
        }
    }

    /// When the next report is due, if reporting has started.
    pub fn next_due(&self) -> Option<u64> {
        self.next_ms
    }

    /// Bring the counters in `stats` up to date.
    pub fn refresh(&mut self, sender: &RtpSender, receiver: &RtpReceiver) {
        self.stats.update_counts(sender, receiver);
    }

    /// Write the compound report due `now` into `out` and schedule the next one; with `bye`,
    /// a BYE ends the compound (the stream is over).
    pub fn report(
        &mut self,
        now: RtcpTime,
        sender: &RtpSender,
        receiver: &mut RtpReceiver,
        cname: &str,
        bye: bool,
        out: &mut [u8],
    ) -> Result<usize, RtpError> {
        let (now_ms, ntp) = (now.ms, now.ntp);
        let (packets, octets) = sender.counts();
        let (lsr, dlsr) = match self.their_sr_at {
            Some(at) => (
                self.their_lsr,
                // Delay since that SR in 1/65536 s.
                ((now_ms.saturating_sub(at) * 65536) / 1000).min(u32::MAX as u64) as u32,
            ),
            None => (0, 0),
        };
        let block = receiver.report_block(lsr, dlsr);
        let blocks: &[ReportBlock] = match &block {
            Some(b) => std::slice::from_ref(b),
            None => &[],
        };
        let mut n = if packets != self.packets_at_report {
            let info = SenderInfo {
                ssrc: sender.ssrc,
                ntp,
                rtp_ts: sender.timestamp(),
                packets,
                octets,
            };
            write_sr(&info, blocks, out)?
        } else {
            write_rr(sender.ssrc, blocks, out)?
        };
        n += write_sdes_cname(sender.ssrc, cname, &mut out[n..])?;
        if bye {
            n += write_bye(sender.ssrc, &mut out[n..])?;
        }
        self.packets_at_report = packets;
        self.stats.reports_sent += 1;
        self.refresh(sender, receiver);
        let next = self.next_ms.unwrap_or(now_ms) + self.interval_ms as u64;
        // Behind by more than an interval (nobody polled the stream): start again from now.
        self.next_ms = Some(if next <= now_ms {
            now_ms + self.interval_ms as u64
        } else {
            next
        });
        Ok(n)
    }

    /// Read a compound RTCP datagram from the far end, arrived `now`: its SR's
    /// time (for our next LSR/DLSR), the report block about our source `our_ssrc` (loss,
    /// jitter, round trip). Returns the reports (SR/RR) it carried; malformed input is
    /// ignored from the first bad packet on.
    pub fn on_rtcp(&mut self, buf: &[u8], now: RtcpTime, our_ssrc: u32) -> u32 {
        let (now_ms, ntp) = (now.ms, now.ntp);
        let mut reports = 0;
        for p in parse_rtcp(buf) {
            let Ok(p) = p else { break };
            let blocks = match p {
                RtcpPacket::SenderReport { info, blocks } => {
                    self.their_lsr = info.lsr();
                    self.their_sr_at = Some(now_ms);
                    blocks
                }
                RtcpPacket::ReceiverReport { blocks, .. } => blocks,
                RtcpPacket::Bye { .. } => {
                    self.stats.bye = true;
                    continue;
                }
                _ => continue,
            };
            reports += 1;
            for b in blocks.filter(|b| b.ssrc == our_ssrc) {
                self.stats.tx_lost = b.cumulative_lost.max(0) as u32;
                self.stats.tx_fraction_lost = b.fraction_lost;
                self.stats.tx_jitter = b.jitter as f64 / 8000.0;
                if b.lsr != 0 {
                    // RTT = A - LSR - DLSR, in 1/65536 s (RFC 3550 §6.4.1).
                    let a = (ntp >> 16) as u32;
                    let rtt = a.wrapping_sub(b.lsr).wrapping_sub(b.dlsr);
                    if rtt < 0x8000_0000 {
                        self.stats.rtt = Some(rtt as f64 / 65536.0);
                    }
                }
            }
        }
        self.stats.reports_received += reports;
        reports
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hdr(seq: u16, ts: u32, ssrc: u32) -> RtpHeader {
        RtpHeader {
            payload_type: 0,
            marker: false,
            sequence: seq,
            timestamp: ts,
            ssrc,
        }
    }

    #[test]
    fn header_round_trip_and_wire_bytes() {
        let h = RtpHeader {
            payload_type: 8,
            marker: true,
            sequence: 0x1234,
            timestamp: 0xDEADBEEF,
            ssrc: 0x01020304,
        };
        let mut buf = [0u8; 64];
        let n = write(&h, &[0xD5; 4], &mut buf).unwrap();
        assert_eq!(n, 16);
        assert_eq!(
            &buf[..12],
            &[0x80, 0x88, 0x12, 0x34, 0xDE, 0xAD, 0xBE, 0xEF, 1, 2, 3, 4]
        );
        let p = parse(&buf[..n]).unwrap();
        assert_eq!(p.header, h);
        assert_eq!(p.payload, &[0xD5; 4]);
        assert_eq!(write(&h, &[0; 60], &mut buf), Err(RtpError::BufferTooSmall));
        assert_eq!(parse(&buf[..8]), Err(RtpError::Malformed));
        let mut v1 = buf;
        v1[0] = 0x40;
        assert_eq!(parse(&v1[..n]), Err(RtpError::Malformed));
    }

    #[test]
    fn parse_skips_csrc_and_padding() {
        // CC=1, padding: 2 payload bytes then 2 padding bytes (last says 2).
        let mut p = vec![0xA1, 0x00, 0, 1, 0, 0, 0, 160, 0, 0, 0, 9, 0, 0, 0, 7];
        p.extend_from_slice(&[0xAA, 0xBB, 0x00, 0x02]);
        let pkt = parse(&p).unwrap();
        assert_eq!(pkt.payload, &[0xAA, 0xBB]);
        assert_eq!(pkt.header.ssrc, 9);
    }

    #[test]
    fn sender_advances_and_marks_talkspurts() {
        let mut s = RtpSender::new(77, 0, 65534, 1000);
        let mut buf = [0u8; 200];
        let mut seen = Vec::new();
        for _ in 0..3 {
            let n = s.write_media(&[0xFF; 160], 160, &mut buf).unwrap();
            seen.push(parse(&buf[..n]).unwrap().header);
        }
        assert_eq!(
            seen.iter().map(|h| h.sequence).collect::<Vec<_>>(),
            [65534, 65535, 0]
        );
        assert_eq!(
            seen.iter().map(|h| h.timestamp).collect::<Vec<_>>(),
            [1000, 1160, 1320]
        );
        assert_eq!(
            seen.iter().map(|h| h.marker).collect::<Vec<_>>(),
            [true, false, false]
        );
        s.skip(320);
        let n = s.write_media(&[0xFF; 160], 160, &mut buf).unwrap();
        let h = parse(&buf[..n]).unwrap().header;
        assert!(h.marker);
        assert_eq!(h.timestamp, 1800);
        let n = s
            .write_event(101, true, 1960, &[1, 0, 0, 160], &mut buf)
            .unwrap();
        let h = parse(&buf[..n]).unwrap().header;
        assert_eq!((h.payload_type, h.timestamp, h.sequence), (101, 1960, 2));
        assert_eq!(s.timestamp(), 1960);
        assert_eq!(s.counts(), (5, 4 * 160 + 4));
    }

    #[test]
    fn receiver_counts_loss_duplicates_and_wrap() {
        let mut r = RtpReceiver::new();
        assert_eq!(r.on_packet(&hdr(65533, 0, 5), 0), Arrival::First);
        assert_eq!(
            r.on_packet(&hdr(65534, 160, 5), 160),
            Arrival::InOrder { gap: 0 }
        );
        // 65535 and 0 lost; 1 arrives.
        assert_eq!(
            r.on_packet(&hdr(1, 640, 5), 640),
            Arrival::InOrder { gap: 2 }
        );
        assert_eq!(r.extended_max_seq(), 65536 + 1);
        assert_eq!(r.expected(), 5);
        assert_eq!(r.lost(), 2);
        // 0 arrives late, then again as a duplicate.
        assert_eq!(r.on_packet(&hdr(0, 480, 5), 700), Arrival::Late);
        assert_eq!(r.on_packet(&hdr(0, 480, 5), 710), Arrival::Duplicate);
        assert_eq!(r.on_packet(&hdr(1, 640, 5), 720), Arrival::Duplicate);
        assert_eq!((r.lost(), r.duplicates(), r.received()), (1, 2, 4));
        let rb = r.report_block(0, 0).unwrap();
        assert_eq!(rb.fraction_lost, (256u32 / 5) as u8); // 1 of 5 lost
        assert_eq!(rb.cumulative_lost, 1);
        assert_eq!(rb.highest_seq, 65537);
        // Next interval: nothing lost.
        r.on_packet(&hdr(2, 800, 5), 800);
        assert_eq!(r.report_block(0, 0).unwrap().fraction_lost, 0);
    }

    #[test]
    fn receiver_ssrc_change_and_restart() {
        let mut r = RtpReceiver::new();
        r.on_packet(&hdr(10, 0, 1), 0);
        r.on_packet(&hdr(12, 320, 1), 320);
        assert_eq!(r.lost(), 1);
        assert_eq!(
            r.on_packet(&hdr(500, 9000, 2), 480),
            Arrival::SsrcChanged { old: 1 }
        );
        assert_eq!((r.ssrc(), r.lost(), r.expected()), (Some(2), 0, 1));
        // A big jump is dropped once, then accepted as a restart when the next follows it.
        assert_eq!(r.on_packet(&hdr(30000, 0, 2), 500), Arrival::Jump);
        assert_eq!(r.on_packet(&hdr(30001, 160, 2), 660), Arrival::Restart);
        assert_eq!(
            r.on_packet(&hdr(30002, 320, 2), 820),
            Arrival::InOrder { gap: 0 }
        );
        assert_eq!((r.expected(), r.lost()), (2, 0));
    }

    #[test]
    fn jitter_follows_rfc3550_a8() {
        // Packets every 160 timestamp units; arrivals alternate +0 / +80 units late.
        let mut r = RtpReceiver::new();
        let mut j16: u32 = 0;
        let mut prev: Option<i64> = None;
        for i in 0..50u32 {
            let ts = i * 160;
            let arrival = ts + 1000 + if i % 2 == 1 { 80 } else { 0 };
            r.on_packet(&hdr(i as u16, ts, 9), arrival);
            let transit = arrival as i64 - ts as i64;
            if let Some(p) = prev {
                let d = (transit - p).unsigned_abs() as u32;
                j16 = j16 + d - ((j16 + 8) >> 4);
            }
            prev = Some(transit);
        }
        assert_eq!(r.jitter(), j16 >> 4);
        // Converges towards |D| = 80.
        assert!((70..=80).contains(&r.jitter()), "{}", r.jitter());
        let mut steady = RtpReceiver::new();
        for i in 0..20u32 {
            steady.on_packet(&hdr(i as u16, i * 160, 9), i * 160 + 5);
        }
        assert_eq!(steady.jitter(), 0);
    }

    #[test]
    fn symmetric_rtp_learns_source() {
        let sdp: SocketAddr = "10.0.0.1:4000".parse().unwrap();
        let nat: SocketAddr = "1.2.3.4:5555".parse().unwrap();
        let mut s = SymmetricRtp::new(Some(sdp), true);
        assert!(s.on_packet(nat));
        assert!(!s.on_packet(nat));
        assert_eq!(s.remote, Some(nat));
        let mut fixed = SymmetricRtp::new(Some(sdp), false);
        assert!(!fixed.on_packet(nat));
        assert_eq!(fixed.remote, Some(sdp));
    }

    #[test]
    fn strict_rtp_learning() {
        let sdp: SocketAddr = "10.0.0.1:4000".parse().unwrap();
        let nat: SocketAddr = "1.2.3.4:5555".parse().unwrap();
        let evil: SocketAddr = "6.6.6.6:6666".parse().unwrap();
        let mut s = StrictRtp::new(StrictMode::Yes, 4);
        assert_eq!(s.state(), StrictState::Closed);
        assert!(!s.accept(nat, 1, 0));
        s.set_remote(sdp, 0);
        assert_eq!(s.state(), StrictState::Learn);
        // A NATed phone: its first packet proposes it, four more in sequence make it the source.
        let mut accepted = Vec::new();
        for (i, seq) in (100u16..106).enumerate() {
            accepted.push(s.accept(nat, seq, i as u64 * 20));
        }
        assert_eq!(accepted, [false, false, false, false, true, true]);
        assert_eq!(s.source(), Some(nat));
        // An out-of-sequence competitor does not win.
        for seq in [5u16, 9, 13, 17, 21, 25] {
            assert!(!s.accept(evil, seq, 200));
        }
        // After 5 s of learning with a source, the source is locked.
        assert!(s.accept(nat, 106, 5_100));
        assert_eq!(s.state(), StrictState::Closed);
        for seq in 1000u16..1010 {
            assert!(!s.accept(evil, seq, 5_200 + seq as u64 * 20));
        }
        assert!(s.accept(nat, 107, 5_300));
        // The SDP address is accepted at once while learning.
        let mut s = StrictRtp::new(StrictMode::Seqno, 4);
        s.set_remote(sdp, 0);
        assert!(s.accept(sdp, 7, 0));
        // A flood (all packets at once) is not accepted with `yes`, but is with `seqno`.
        let mut y = StrictRtp::new(StrictMode::Yes, 4);
        y.set_remote(sdp, 0);
        let flood: Vec<bool> = (0u16..8).map(|q| y.accept(evil, q, 50)).collect();
        assert!(flood.iter().all(|a| !a), "{flood:?}");
        let mut q = StrictRtp::new(StrictMode::Seqno, 4);
        q.set_remote(sdp, 0);
        assert!((0u16..8).any(|n| q.accept(evil, n, 50)));
        let mut open = StrictRtp::new(StrictMode::No, 4);
        assert!(open.accept(evil, 1, 0));
    }

    #[test]
    fn port_candidates() {
        let ports: Vec<u16> = rtp_port_candidates(10000, 10010, 7).collect();
        assert_eq!(ports, [10006, 10008, 10010, 10000, 10002, 10004]);
        let all: Vec<u16> = rtp_port_candidates(5001, 5009, 123_456).collect();
        let mut sorted = all.clone();
        sorted.sort();
        assert_eq!(sorted, [5002, 5004, 5006, 5008]);
        assert_eq!(
            rtp_port_candidates(6000, 6000, 9).collect::<Vec<_>>(),
            [6000]
        );
        assert!(rtp_port_candidates(5001, 5001, 0).next().is_none());
    }

    #[test]
    fn rtp_timeouts() {
        let mut t = RtpTimeout::default();
        assert!(!t.timed_out(1_000_000, 30, 300, false));
        t.touch(1000);
        assert!(!t.timed_out(31_000, 30, 300, false));
        assert!(t.timed_out(31_001, 30, 300, false));
        assert!(!t.timed_out(31_001, 30, 300, true));
        assert!(t.timed_out(301_001, 30, 300, true));
        assert!(!t.timed_out(10_000_000, 0, 0, false));
    }

    #[test]
    fn rtcp_compound_round_trip() {
        let info = SenderInfo {
            ssrc: 0xAABBCCDD,
            ntp: 0x0102030405060708,
            rtp_ts: 16000,
            packets: 100,
            octets: 16000,
        };
        assert_eq!(info.lsr(), 0x03040506);
        let rb = ReportBlock {
            ssrc: 7,
            fraction_lost: 25,
            cumulative_lost: -3,
            highest_seq: 70000,
            jitter: 12,
            lsr: 0x03040506,
            dlsr: 65536,
        };
        let mut buf = [0u8; 256];
        let mut n = write_sr(&info, &[rb], &mut buf).unwrap();
        assert_eq!(n, 52);
        assert_eq!(&buf[..4], &[0x81, 200, 0, 12]);
        n += write_sdes_cname(0xAABBCCDD, "zvezda@host", &mut buf[n..]).unwrap();
        n += write_rr(9, &[], &mut buf[n..]).unwrap();
        n += write_bye(9, &mut buf[n..]).unwrap();
        assert_eq!(n % 4, 0);
        let pkts: Vec<_> = parse_rtcp(&buf[..n]).collect::<Result<_, _>>().unwrap();
        assert_eq!(pkts.len(), 4);
        match pkts[0] {
            RtcpPacket::SenderReport { info: i, blocks } => {
                assert_eq!(i, info);
                assert_eq!(blocks.collect::<Vec<_>>(), vec![rb]);
            }
            ref p => panic!("{p:?}"),
        }
        assert_eq!(
            pkts[1],
            RtcpPacket::SourceDescription {
                ssrc: 0xAABBCCDD,
                cname: Some(b"zvezda@host")
            }
        );
        assert!(matches!(
            pkts[2],
            RtcpPacket::ReceiverReport { ssrc: 9, .. }
        ));
        assert_eq!(pkts[3], RtcpPacket::Bye { ssrc: Some(9) });
        // A length field pointing past the end is an error.
        let mut bad = buf;
        bad[3] = 200;
        assert!(parse_rtcp(&bad[..52]).next().unwrap().is_err());
        assert_eq!(
            write_sr(&info, &[rb; 3], &mut [0u8; 60]),
            Err(RtpError::BufferTooSmall)
        );
    }
    #[test]
    fn rtcp_interval_as_res_rtp_asterisk_reads_it() {
        assert_eq!(rtcp_interval(None), 5000);
        assert_eq!(rtcp_interval(Some("2000")), 2000);
        assert_eq!(rtcp_interval(Some(" 100")), 500);
        assert_eq!(rtcp_interval(Some("0")), 500);
        assert_eq!(rtcp_interval(Some("junk")), 500);
        assert_eq!(rtcp_interval(Some("99999")), 60000);
        assert_eq!(rtcp_interval(Some("1500ms")), 1500);
    }

    #[test]
    fn ntp_time() {
        let t = std::time::Duration::new(1, 500_000_000);
        assert_eq!(
            ntp_from_unix(t),
            ((NTP_UNIX_OFFSET + 1) << 32) | 0x8000_0000
        );
    }

    fn t(ms: u64, ntp: u64) -> RtcpTime {
        RtcpTime { ms, ntp }
    }

    #[test]
    fn rtcp_session_reports_and_reads_reports() {
        let mut sess = RtcpSession::new(5000);
        assert_eq!(sess.next_due(), None);
        sess.start(1000);
        sess.start(3000);
        assert_eq!(sess.next_due(), Some(6000));
        let mut tx = RtpSender::new(0xABCD, 0, 1, 0);
        let mut rx = RtpReceiver::new();
        let mut buf = [0u8; 256];
        // Nothing sent or received: an RR without blocks, and the CNAME.
        let ntp0 = 0x0000_1000_0000_0000u64;
        let n = sess
            .report(t(6000, ntp0), &tx, &mut rx, "cname@x", false, &mut buf)
            .unwrap();
        let pkts: Vec<_> = parse_rtcp(&buf[..n]).collect::<Result<_, _>>().unwrap();
        assert!(matches!(
            pkts[0],
            RtcpPacket::ReceiverReport { ssrc: 0xABCD, blocks } if blocks.count() == 0
        ));
        assert_eq!(
            pkts[1],
            RtcpPacket::SourceDescription {
                ssrc: 0xABCD,
                cname: Some(b"cname@x")
            }
        );
        assert_eq!(sess.next_due(), Some(11000));
        // 50 packets each way, 2 of theirs lost; their SR came at 10 000 ms.
        let mut out = [0u8; 200];
        for _ in 0..50 {
            tx.write_media(&[0; 160], 160, &mut out).unwrap();
        }
        for i in 0..52u16 {
            if i != 10 && i != 20 {
                rx.on_packet(&hdr(i, i as u32 * 160, 77), i as u32 * 160);
            }
        }
        let their_sr = SenderInfo {
            ssrc: 77,
            ntp: 0x0000_2222_3333_0000,
            ..Default::default()
        };
        let mut sr = [0u8; 64];
        let k = write_sr(&their_sr, &[], &mut sr).unwrap();
        assert_eq!(sess.on_rtcp(&sr[..k], t(10_000, 0), 0xABCD), 1);
        let ntp1 = 0x0000_3000_0000_0000u64;
        let n = sess
            .report(t(11_000, ntp1), &tx, &mut rx, "cname@x", true, &mut buf)
            .unwrap();
        let pkts: Vec<_> = parse_rtcp(&buf[..n]).collect::<Result<_, _>>().unwrap();
        let RtcpPacket::SenderReport { info, blocks } = pkts[0] else {
            panic!("{:?}", pkts[0]);
        };
        assert_eq!(
            (info.ssrc, info.ntp, info.packets, info.octets),
            (0xABCD, ntp1, 50, 8000)
        );
        let b: Vec<_> = blocks.collect();
        assert_eq!(b.len(), 1);
        assert_eq!(
            (b[0].ssrc, b[0].cumulative_lost, b[0].highest_seq),
            (77, 2, 51)
        );
        assert_eq!(b[0].lsr, their_sr.lsr());
        assert_eq!(b[0].dlsr, 65536); // one second after their SR
        assert_eq!(pkts[2], RtcpPacket::Bye { ssrc: Some(0xABCD) });
        assert_eq!(sess.stats.reports_sent, 2);
        assert_eq!(
            (
                sess.stats.rx_packets,
                sess.stats.rx_lost,
                sess.stats.tx_packets
            ),
            (50, 2, 50)
        );
        // Nothing sent since: the next one is an RR again.
        let n = sess
            .report(t(16_000, ntp1), &tx, &mut rx, "c", false, &mut buf)
            .unwrap();
        assert!(matches!(
            parse_rtcp(&buf[..n]).next(),
            Some(Ok(RtcpPacket::ReceiverReport { .. }))
        ));
        // Their RR about us: 3 lost, jitter 80 units (10 ms), and an RTT of 0.25 s: our SR
        // went at NTP ntp1, they held it 0.5 s, it is back 0.75 s after ntp1.
        let lsr = (ntp1 >> 16) as u32;
        let rb = ReportBlock {
            ssrc: 0xABCD,
            fraction_lost: 12,
            cumulative_lost: 3,
            highest_seq: 60,
            jitter: 80,
            lsr,
            dlsr: 32768,
        };
        let mut rr = [0u8; 64];
        let k = write_rr(
            77,
            &[
                rb,
                ReportBlock {
                    ssrc: 5,
                    cumulative_lost: 99,
                    ..rb
                },
            ],
            &mut rr,
        )
        .unwrap();
        let back = ntp1 + (3u64 << 30); // + 0.75 s
        assert_eq!(sess.on_rtcp(&rr[..k], t(17_000, back), 0xABCD), 1);
        let s = sess.stats;
        assert_eq!(
            (s.tx_lost, s.tx_fraction_lost, s.reports_received),
            (3, 12, 2)
        );
        assert!((s.tx_jitter - 0.01).abs() < 1e-9);
        assert!((s.rtt.unwrap() - 0.25).abs() < 1e-4, "{:?}", s.rtt);
        // Garbage is ignored; a BYE is noted.
        assert_eq!(sess.on_rtcp(&[0x12, 0x34], t(18_000, 0), 0xABCD), 0);
        let mut bye = [0u8; 8];
        write_bye(77, &mut bye).unwrap();
        sess.on_rtcp(&bye, t(18_000, 0), 0xABCD);
        assert!(sess.stats.bye);
        let q = s.quality();
        assert!(
            q.starts_with("ssrc=43981;themssrc=77;lp=2;rxjitter=0.000000;rxcount=50;txjitter=0.010000;txcount=50;rlp=3;rtt=0.25"),
            "{q}"
        );
        assert!(q.ends_with(";rxmes=0.000000;txmes=0.000000"), "{q}");
        assert_eq!(s.field("RXCOUNT").as_deref(), Some("50"));
        assert_eq!(s.field("txploss").as_deref(), Some("3"));
        assert_eq!(s.field("remote_ssrc").as_deref(), Some("77"));
        assert_eq!(s.field("stdevrtt"), None);
        // Reports late by more than an interval start again from now.
        sess.report(t(60_000, ntp1), &tx, &mut rx, "c", false, &mut buf)
            .unwrap();
        assert_eq!(sess.next_due(), Some(65_000));
    }
}
