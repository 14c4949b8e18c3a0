//! DTMF the three ways Asterisk carries it (`dtmfmode=rfc2833|inband|info`):
//!
//! * RFC 4733 telephone-events: [`EventPayload`] reads and writes the 4-byte payload;
//!   [`DtmfReceiver`] turns the packet stream into digit begin/end events exactly once (all
//!   packets of one event share its start timestamp, the end bit closes it and is sent three
//!   times, a new timestamp while a digit is open ends it, a lost start still gives a begin);
//!   [`DtmfSender`] produces the packets as res_rtp_asterisk sends them: two packets at the
//!   start (the first with the marker bit, durations 160 and 320), one update per 20 ms, and
//!   three end packets carrying the final duration, volume 10.
//! * In-band: [`DtmfDetector`] is a Goertzel detector over 8 kHz linear audio in blocks of 102
//!   samples (as Asterisk's dsp.c): the strongest row and column tone must both be loud
//!   enough, within the twist limits (row up to 8 dB above column, column up to 4 dB above
//!   row), 8 dB above the other tones of their group, and carry most of the block's energy; a
//!   digit begins after two hit blocks in a row (about 25 ms, so a 40 ms tone always counts)
//!   and ends after three misses, and is reported once per press. [`generate`] makes the
//!   tones (for inband sending and tests).
//! * SIP INFO (`application/dtmf-relay` `Signal=5`, `Duration=160`): [`parse_dtmf_relay`].

use std::f64::consts::PI;

/// RFC 4733 event code for a DTMF character: 0-9, `*` = 10, `#` = 11, A-D = 12-15.
pub fn digit_to_event(c: char) -> Option<u8> {
    match c.to_ascii_uppercase() {
        d @ '0'..='9' => Some(d as u8 - b'0'),
        '*' => Some(10),
        '#' => Some(11),
        d @ 'A'..='D' => Some(d as u8 - b'A' + 12),
        _ => None,
    }
}

/// The DTMF character of an event code (0-15).
pub fn event_to_digit(e: u8) -> Option<char> {
    match e {
        0..=9 => Some((b'0' + e) as char),
        10 => Some('*'),
        11 => Some('#'),
        12..=15 => Some((b'A' + e - 12) as char),
        _ => None,
    }
}

/// The 4-byte RFC 4733 payload: event, end bit, volume (0-63, -dBm0), duration (samples).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventPayload {
    pub event: u8,
    pub end: bool,
    pub volume: u8,
    pub duration: u16,
}

impl EventPayload {
    pub fn parse(b: &[u8]) -> Option<EventPayload> {
        if b.len() < 4 {
            return None;
        }
        Some(EventPayload {
            event: b[0],
            end: b[1] & 0x80 != 0,
            volume: b[1] & 0x3F,
            duration: u16::from_be_bytes([b[2], b[3]]),
        })
    }

    pub fn to_bytes(self) -> [u8; 4] {
        let d = self.duration.to_be_bytes();
        [
            self.event,
            (if self.end { 0x80 } else { 0 }) | (self.volume & 0x3F),
            d[0],
            d[1],
        ]
    }
}

/// A digit starting or ending; `duration` in samples (8 kHz: ms * 8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DtmfEvent {
    Begin { digit: char },
    End { digit: char, duration: u32 },
}

/// Up to three events from one packet (end of the previous digit, begin and end of a new one).
#[derive(Clone, Copy, Debug, Default)]
pub struct DtmfEvents {
    items: [Option<DtmfEvent>; 3],
    next: usize,
}

impl DtmfEvents {
    fn push(&mut self, e: DtmfEvent) {
        if let Some(slot) = self.items.iter_mut().find(|s| s.is_none()) {
            *slot = Some(e);
        }
    }
}

impl Iterator for DtmfEvents {
    type Item = DtmfEvent;
    fn next(&mut self) -> Option<DtmfEvent> {
        let e = self.items.get(self.next).copied().flatten();
        self.next += 1;
        e
    }
}

#[derive(Clone, Copy, Debug)]
struct Open {
    ts: u32,
    event: u8,
    duration: u16,
}

/// Receive side of RFC 4733: feed every telephone-event packet (its RTP timestamp and
/// payload), get each digit's begin and end once.
#[derive(Clone, Debug, Default)]
pub struct DtmfReceiver {
    open: Option<Open>,
    /// The last finished event (timestamp), to drop its redundant end packets.
    last_end: Option<u32>,
}

impl DtmfReceiver {
    pub fn new() -> Self {
        Self::default()
    }

    /// The digit currently held down, if any.
    pub fn current(&self) -> Option<char> {
        self.open.and_then(|o| event_to_digit(o.event))
    }

    pub fn on_packet(&mut self, timestamp: u32, payload: &[u8]) -> DtmfEvents {
        let mut out = DtmfEvents::default();
        let Some(p) = EventPayload::parse(payload) else {
            return out;
        };
        let Some(digit) = event_to_digit(p.event) else {
            return out;
        };
        if let Some(last) = self.last_end {
            // Redundant end packets, or stragglers from an event already finished.
            if (timestamp.wrapping_sub(last) as i32) <= 0
                && self.open.map(|o| o.ts != timestamp).unwrap_or(true)
            {
                return out;
            }
        }
        match self.open {
            Some(o) if o.ts == timestamp && o.event == p.event => {
                let dur = o.duration.max(p.duration);
                if p.end {
                    self.finish(&mut out, timestamp, digit, dur);
                } else {
                    self.open = Some(Open { duration: dur, ..o });
                }
                return out;
            }
            Some(o) => {
                // A new event while one is open: the open one ended without its end packets.
                if let Some(d) = event_to_digit(o.event) {
                    out.push(DtmfEvent::End {
                        digit: d,
                        duration: o.duration as u32,
                    });
                }
                self.open = None;
                self.last_end = Some(o.ts);
            }
            None => {}
        }
        out.push(DtmfEvent::Begin { digit });
        if p.end {
            self.finish(&mut out, timestamp, digit, p.duration);
        } else {
            self.open = Some(Open {
                ts: timestamp,
                event: p.event,
                duration: p.duration,
            });
        }
        out
    }

    fn finish(&mut self, out: &mut DtmfEvents, ts: u32, digit: char, duration: u16) {
        out.push(DtmfEvent::End {
            digit,
            duration: duration as u32,
        });
        self.open = None;
        self.last_end = Some(ts);
    }

    /// No event packet for the DTMF timeout (rtp.conf `dtmftimeout`, 3 s): end the open digit.
    pub fn timeout(&mut self) -> Option<DtmfEvent> {
        let o = self.open.take()?;
        self.last_end = Some(o.ts);
        Some(DtmfEvent::End {
            digit: event_to_digit(o.event)?,
            duration: o.duration as u32,
        })
    }
}

/// One telephone-event packet to send: marker, RTP timestamp, payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventPacket {
    pub marker: bool,
    pub timestamp: u32,
    pub payload: [u8; 4],
}

/// Send side of RFC 4733 for one digit, as res_rtp_asterisk does it.
#[derive(Clone, Debug)]
pub struct DtmfSender {
    event: u8,
    timestamp: u32,
    duration: u32,
}

/// Samples per 20 ms update at 8 kHz.
const STEP: u32 = 160;
/// Volume Asterisk sends (-10 dBm0).
const VOLUME: u8 = 10;

impl DtmfSender {
    /// Start sending `digit`; the event timestamp is `timestamp` (Asterisk uses the last audio
    /// timestamp plus 160). Returns the sender and the two start packets.
    pub fn begin(digit: char, timestamp: u32) -> Option<(DtmfSender, [EventPacket; 2])> {
        let event = digit_to_event(digit)?;
        let mut s = DtmfSender {
            event,
            timestamp,
            duration: STEP,
        };
        let a = s.packet(true, false);
        s.duration += STEP;
        let b = s.packet(false, false);
        s.duration += STEP;
        Some((s, [a, b]))
    }

    /// The event timestamp (the caller's audio timestamp should move past the event's length).
    pub fn timestamp(&self) -> u32 {
        self.timestamp
    }

    fn packet(&self, marker: bool, end: bool) -> EventPacket {
        EventPacket {
            marker,
            timestamp: self.timestamp,
            payload: EventPayload {
                event: self.event,
                end,
                volume: VOLUME,
                duration: self.duration.min(0xFFFF) as u16,
            }
            .to_bytes(),
        }
    }

    /// The update sent every 20 ms while the digit is held.
    pub fn continuation(&mut self) -> EventPacket {
        let p = self.packet(false, false);
        self.duration += STEP;
        p
    }

    /// The three end packets; the duration is the longer of what was sent and `duration_ms`.
    pub fn end(mut self, duration_ms: u32) -> [EventPacket; 3] {
        self.duration = self.duration.max(duration_ms * 8);
        let p = self.packet(false, true);
        [p, p, p]
    }

    /// Every packet for a digit of `ms` milliseconds, with the time (ms from the start) it is
    /// sent at.
    pub fn packets_for(digit: char, ms: u32, timestamp: u32) -> Vec<(u32, EventPacket)> {
        let Some((mut s, start)) = DtmfSender::begin(digit, timestamp) else {
            return Vec::new();
        };
        let mut out: Vec<(u32, EventPacket)> = start.iter().map(|p| (0, *p)).collect();
        let mut t = 20;
        while t < ms {
            out.push((t, s.continuation()));
            t += 20;
        }
        out.extend(s.end(ms).iter().map(|p| (ms, *p)));
        out
    }
}

/// The digit and duration (ms) of a SIP INFO body: `application/dtmf-relay`
/// (`Signal=5\r\nDuration=160`) or `application/dtmf` (just the digit).
pub fn parse_dtmf_relay(body: &str) -> Option<(char, Option<u32>)> {
    let mut signal = None;
    let mut duration = None;
    for line in body.lines() {
        let Some((k, v)) = line.split_once('=') else {
            let t = line.trim();
            if t.len() == 1 && signal.is_none() {
                signal = t.chars().next().filter(|c| digit_to_event(*c).is_some());
            }
            continue;
        };
        match k.trim().to_ascii_lowercase().as_str() {
            "signal" => {
                let v = v.trim();
                // `Signal=10`/`11` are sometimes used for `*`/`#`.
                signal = match v {
                    "10" => Some('*'),
                    "11" => Some('#'),
                    _ => v.chars().next().filter(|c| digit_to_event(*c).is_some()),
                }
                .map(|c| c.to_ascii_uppercase());
            }
            "duration" => duration = v.trim().parse().ok(),
            _ => {}
        }
    }
    signal.map(|s| (s, duration))
}

// ---- in-band ----

const ROWS: [f64; 4] = [697.0, 770.0, 852.0, 941.0];
const COLS: [f64; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
const KEYPAD: [[char; 4]; 4] = [
    ['1', '2', '3', 'A'],
    ['4', '5', '6', 'B'],
    ['7', '8', '9', 'C'],
    ['*', '0', '#', 'D'],
];
/// Samples per analysis block (102 at 8 kHz = 12.75 ms).
pub const BLOCK: usize = 102;
const HITS_TO_BEGIN: u32 = 2;
const MISSES_TO_END: u32 = 3;
/// Row may be up to 8 dB above the column; the column up to 4 dB above the row.
const NORMAL_TWIST: f64 = 6.31;
const REVERSE_TWIST: f64 = 2.51;
/// The best tone of a group must be 8 dB above the others of the group.
const RELATIVE_PEAK: f64 = 6.31;
/// Share of the block energy the two tones must carry: with 0.82 a tone must fill 84 of
/// the 102 samples of two blocks in a row, so one of 20 ms (160 samples) never counts.
const TONE_TO_TOTAL: f64 = 0.82;
/// Weakest tone accepted: a sine of this amplitude (about -38 dBFS).
const MIN_AMPLITUDE: f64 = 400.0;

/// The (row, column) frequencies of a DTMF digit.
pub fn frequencies(digit: char) -> Option<(f64, f64)> {
    let d = digit.to_ascii_uppercase();
    for (r, row) in KEYPAD.iter().enumerate() {
        if let Some(c) = row.iter().position(|k| *k == d) {
            return Some((ROWS[r], COLS[c]));
        }
    }
    None
}

/// `ms` milliseconds of the DTMF tone for `digit` at 8 kHz, each frequency at `amplitude`
/// peak (Asterisk's inband DTMF uses about 7000 each).
pub fn generate(digit: char, ms: u32, amplitude: f64) -> Vec<i16> {
    let Some((r, c)) = frequencies(digit) else {
        return Vec::new();
    };
    (0..ms * 8)
        .map(|n| {
            let t = n as f64 / 8000.0;
            let v = amplitude * ((2.0 * PI * r * t).sin() + (2.0 * PI * c * t).sin());
            v.round().clamp(-32768.0, 32767.0) as i16
        })
        .collect()
}

fn goertzel(block: &[f64], coef: f64) -> f64 {
    let (mut s1, mut s2) = (0.0, 0.0);
    for &x in block {
        let s = x + coef * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    s1 * s1 + s2 * s2 - coef * s1 * s2
}

/// In-band DTMF detector; feed 8 kHz linear frames of any length.
#[derive(Clone, Debug)]
pub struct DtmfDetector {
    row_coef: [f64; 4],
    col_coef: [f64; 4],
    block: Vec<f64>,
    /// Digit seen in the previous block.
    last: Option<char>,
    hits: u32,
    /// The digit reported as begun, blocks it has lasted, and misses since.
    current: Option<char>,
    blocks: u32,
    misses: u32,
}

impl Default for DtmfDetector {
    fn default() -> Self {
        Self::new()
    }
}

impl DtmfDetector {
    pub fn new() -> Self {
        let coef = |f: f64| 2.0 * (2.0 * PI * f / 8000.0).cos();
        DtmfDetector {
            row_coef: ROWS.map(coef),
            col_coef: COLS.map(coef),
            block: Vec::with_capacity(BLOCK),
            last: None,
            hits: 0,
            current: None,
            blocks: 0,
            misses: 0,
        }
    }

    /// Feed samples; every begin/end found is passed to `on_event` (durations in samples).
    pub fn process(&mut self, samples: &[i16], mut on_event: impl FnMut(DtmfEvent)) {
        for &s in samples {
            self.block.push(s as f64);
            if self.block.len() == BLOCK {
                let hit = self.analyse();
                self.block.clear();
                self.step(hit, &mut on_event);
            }
        }
    }

    /// Convenience: the events of `samples`, collected.
    pub fn process_collect(&mut self, samples: &[i16]) -> Vec<DtmfEvent> {
        let mut v = Vec::new();
        self.process(samples, |e| v.push(e));
        v
    }

    fn analyse(&self) -> Option<char> {
        let b = &self.block;
        let rows = self.row_coef.map(|c| goertzel(b, c));
        let cols = self.col_coef.map(|c| goertzel(b, c));
        let best = |v: &[f64; 4]| (0..4).fold(0, |bi, i| if v[i] > v[bi] { i } else { bi });
        let (br, bc) = (best(&rows), best(&cols));
        let (r, c) = (rows[br], cols[bc]);
        let n = BLOCK as f64;
        let min_power = (MIN_AMPLITUDE * n / 2.0).powi(2);
        if r < min_power || c < min_power {
            return None;
        }
        if c > r * REVERSE_TWIST || r > c * NORMAL_TWIST {
            return None;
        }
        for (i, &x) in rows.iter().enumerate() {
            if i != br && x * RELATIVE_PEAK > r {
                return None;
            }
        }
        for (i, &x) in cols.iter().enumerate() {
            if i != bc && x * RELATIVE_PEAK > c {
                return None;
            }
        }
        // A sine of amplitude A gives power (A N / 2)^2 and energy A^2 N / 2: the tones'
        // powers over energy * N / 2 is about 1 for clean DTMF.
        let energy: f64 = b.iter().map(|x| x * x).sum();
        if r + c < TONE_TO_TOTAL * energy * n / 2.0 {
            return None;
        }
        Some(KEYPAD[br][bc])
    }

    fn step(&mut self, hit: Option<char>, on_event: &mut impl FnMut(DtmfEvent)) {
        if hit.is_some() && hit == self.last {
            self.hits += 1;
        } else {
            self.hits = u32::from(hit.is_some());
        }
        self.last = hit;
        match self.current {
            Some(d) => {
                if hit == Some(d) {
                    self.blocks += 1 + self.misses;
                    self.misses = 0;
                } else {
                    self.misses += 1;
                    if self.misses >= MISSES_TO_END {
                        on_event(DtmfEvent::End {
                            digit: d,
                            duration: self.blocks * BLOCK as u32,
                        });
                        self.current = None;
                        self.misses = 0;
                    }
                }
            }
            None => {
                if let Some(d) = hit {
                    if self.hits >= HITS_TO_BEGIN {
                        on_event(DtmfEvent::Begin { digit: d });
                        self.current = Some(d);
                        self.blocks = self.hits;
                        self.misses = 0;
                    }
                }
            }
        }
    }
}

// ---- sending a digit, 20 ms at a time ----

/// Peak level of each of the two frequencies of a generated digit (Asterisk's playtones
/// default, as `ast_senddigit_begin` plays them).
pub const TONE_LEVEL: f64 = 7219.0;
/// Silent frames after a generated tone (60 ms), so a detector hears the digit end even
/// when no audio follows.
const TONE_TAIL_FRAMES: u32 = 3;

/// What [`DigitPlayer::next`] gives for the next 20 ms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DigitFrame {
    /// Send these telephone-event packets (the first `n` of the array).
    Events([EventPacket; 3], usize),
    /// Send the 160 samples written into the caller's buffer (the tone, or the silence
    /// after it).
    Audio,
    /// The digit is over.
    Done,
}

#[derive(Clone, Debug)]
enum Style {
    Events(Option<DtmfSender>),
    Tone { row: f64, col: f64, pos: u32 },
}

/// One digit sent over time, one step per 20 ms: as RFC 4733 events (the packets of
/// [`DtmfSender::packets_for`], spread over the digit's length) or as the in-band tone pair
/// (`ms` of tone, then 60 ms of silence). The caller owns the clock and the socket.
#[derive(Clone, Debug)]
pub struct DigitPlayer {
    digit: char,
    ms: u32,
    /// Milliseconds of the digit already sent.
    elapsed: u32,
    style: Style,
}

impl DigitPlayer {
    /// `digit` for `ms` as telephone-events with event timestamp `timestamp`.
    pub fn events(digit: char, ms: u32, timestamp: u32) -> Option<DigitPlayer> {
        let (s, _) = DtmfSender::begin(digit, timestamp)?;
        Some(DigitPlayer {
            digit,
            ms,
            elapsed: 0,
            style: Style::Events(Some(s)),
        })
    }

    /// `digit` for `ms` as its tone pair in the audio.
    pub fn tone(digit: char, ms: u32) -> Option<DigitPlayer> {
        let (row, col) = frequencies(digit)?;
        Some(DigitPlayer {
            digit,
            ms,
            elapsed: 0,
            style: Style::Tone { row, col, pos: 0 },
        })
    }

    pub fn digit(&self) -> char {
        self.digit
    }

    /// The digit's length in milliseconds.
    pub fn ms(&self) -> u32 {
        self.ms
    }

    /// In the audio (not telephone-events).
    pub fn is_tone(&self) -> bool {
        matches!(self.style, Style::Tone { .. })
    }

    /// The next 20 ms: packets to send, audio to send (written into `pcm`, 160 samples), or
    /// the end.
    pub fn next(&mut self, pcm: &mut [i16]) -> DigitFrame {
        let t = self.elapsed;
        match &mut self.style {
            Style::Events(sender) => {
                let Some(s) = sender.as_mut() else {
                    return DigitFrame::Done;
                };
                self.elapsed += 20;
                if t == 0 {
                    // The two start packets (marker on the first), as DtmfSender::begin.
                    let Some((again, start)) = DtmfSender::begin(self.digit, s.timestamp()) else {
                        return DigitFrame::Done;
                    };
                    *s = again;
                    return DigitFrame::Events([start[0], start[1], start[1]], 2);
                }
                if t < self.ms {
                    let p = s.continuation();
                    return DigitFrame::Events([p; 3], 1);
                }
                let end = sender.take().map(|s| s.end(self.ms));
                match end {
                    Some(e) => DigitFrame::Events(e, 3),
                    None => DigitFrame::Done,
                }
            }
            Style::Tone { row, col, pos } => {
                let tail = TONE_TAIL_FRAMES * 20;
                if t >= self.ms + tail {
                    return DigitFrame::Done;
                }
                self.elapsed += 20;
                let n = pcm.len().min(160);
                let tone_samples = self.ms.saturating_sub(t) * 8;
                for (i, out) in pcm[..n].iter_mut().enumerate() {
                    *out = if (i as u32) < tone_samples {
                        let x = *pos as f64 / 8000.0;
                        *pos += 1;
                        let v = TONE_LEVEL
                            * ((2.0 * PI * *row * x).sin() + (2.0 * PI * *col * x).sin());
                        v.round().clamp(-32768.0, 32767.0) as i16
                    } else {
                        0
                    };
                }
                DigitFrame::Audio
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digits(events: &[DtmfEvent]) -> String {
        events
            .iter()
            .filter_map(|e| match e {
                DtmfEvent::Begin { digit } => Some(*digit),
                _ => None,
            })
            .collect()
    }

    /// Deterministic pseudo-random noise (xorshift), uniform in ±amp.
    fn noise(n: usize, amp: f64, seed: u32) -> Vec<f64> {
        let mut x = seed.max(1);
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (x as f64 / u32::MAX as f64 * 2.0 - 1.0) * amp
            })
            .collect()
    }

    #[test]
    fn event_codes() {
        for (c, e) in [
            ('0', 0),
            ('9', 9),
            ('*', 10),
            ('#', 11),
            ('A', 12),
            ('d', 15),
        ] {
            assert_eq!(digit_to_event(c), Some(e));
            assert_eq!(event_to_digit(e), Some(c.to_ascii_uppercase()));
        }
        assert_eq!(digit_to_event('x'), None);
        assert_eq!(event_to_digit(16), None);
    }

    #[test]
    fn payload_wire_format() {
        // RFC 4733 2.3: event 5, end, volume 10, duration 800.
        let p = EventPayload {
            event: 5,
            end: true,
            volume: 10,
            duration: 800,
        };
        assert_eq!(p.to_bytes(), [5, 0x8A, 0x03, 0x20]);
        assert_eq!(EventPayload::parse(&[5, 0x8A, 0x03, 0x20]), Some(p));
        assert_eq!(EventPayload::parse(&[5, 0x8A, 0x03]), None);
    }

    #[test]
    fn sender_matches_asterisk_sequence() {
        let pk = DtmfSender::packets_for('5', 100, 8000);
        let decoded: Vec<(u32, bool, bool, u16)> = pk
            .iter()
            .map(|(t, p)| {
                let e = EventPayload::parse(&p.payload).unwrap();
                assert_eq!((p.timestamp, e.event, e.volume), (8000, 5, 10));
                (*t, p.marker, e.end, e.duration)
            })
            .collect();
        assert_eq!(
            decoded,
            vec![
                (0, true, false, 160),
                (0, false, false, 320),
                (20, false, false, 480),
                (40, false, false, 640),
                (60, false, false, 800),
                (80, false, false, 960),
                (100, false, true, 1120),
                (100, false, true, 1120),
                (100, false, true, 1120),
            ]
        );
        // A long measured duration wins over what was sent.
        let (s, _) = DtmfSender::begin('#', 0).unwrap();
        let end = s.end(500);
        assert_eq!(EventPayload::parse(&end[0].payload).unwrap().duration, 4000);
        assert!(DtmfSender::begin('x', 0).is_none());
    }

    #[test]
    fn receiver_reports_each_digit_once() {
        let mut r = DtmfReceiver::new();
        let mut events = Vec::new();
        // Digit 1 sent by our own sender, with one update duplicated.
        let mut pk = DtmfSender::packets_for('1', 120, 1000);
        pk.insert(3, pk[2]);
        for (_, p) in &pk {
            events.extend(r.on_packet(p.timestamp, &p.payload));
        }
        assert_eq!(
            events,
            vec![
                DtmfEvent::Begin { digit: '1' },
                DtmfEvent::End {
                    digit: '1',
                    duration: 120 * 8 + 320
                }
            ]
        );
        // The same digit pressed again has a new timestamp: a new press.
        events.clear();
        for (_, p) in DtmfSender::packets_for('1', 60, 3000) {
            events.extend(r.on_packet(p.timestamp, &p.payload));
        }
        assert_eq!(digits(&events), "1");
        assert_eq!(events.len(), 2);
        // A late end packet of the old press changes nothing.
        let late = EventPayload {
            event: 1,
            end: true,
            volume: 10,
            duration: 1120,
        };
        assert_eq!(r.on_packet(1000, &late.to_bytes()).count(), 0);
    }

    #[test]
    fn receiver_handles_lost_packets() {
        let mut r = DtmfReceiver::new();
        // Only the end packets of '7' arrive: begin and end at once.
        let end7 = EventPayload {
            event: 7,
            end: true,
            volume: 10,
            duration: 800,
        }
        .to_bytes();
        let ev: Vec<_> = r.on_packet(500, &end7).collect();
        assert_eq!(
            ev,
            vec![
                DtmfEvent::Begin { digit: '7' },
                DtmfEvent::End {
                    digit: '7',
                    duration: 800
                }
            ]
        );
        assert_eq!(r.on_packet(500, &end7).count(), 0);
        // '2' starts, its end is lost, '3' starts: 2 ends, 3 begins.
        let start = |e: u8, d: u16| {
            EventPayload {
                event: e,
                end: false,
                volume: 10,
                duration: d,
            }
            .to_bytes()
        };
        assert_eq!(r.on_packet(2000, &start(2, 160)).count(), 1);
        r.on_packet(2000, &start(2, 480));
        let ev: Vec<_> = r.on_packet(4000, &start(3, 160)).collect();
        assert_eq!(
            ev,
            vec![
                DtmfEvent::End {
                    digit: '2',
                    duration: 480
                },
                DtmfEvent::Begin { digit: '3' }
            ]
        );
        assert_eq!(r.current(), Some('3'));
        assert_eq!(
            r.timeout(),
            Some(DtmfEvent::End {
                digit: '3',
                duration: 160
            })
        );
        assert_eq!(r.timeout(), None);
        // Updates of the timed-out event do not restart it.
        assert_eq!(r.on_packet(4000, &start(3, 320)).count(), 0);
    }

    #[test]
    fn sip_info_bodies() {
        assert_eq!(
            parse_dtmf_relay("Signal=5\r\nDuration=160\r\n"),
            Some(('5', Some(160)))
        );
        assert_eq!(
            parse_dtmf_relay("Signal= #\nDuration= 250"),
            Some(('#', Some(250)))
        );
        assert_eq!(parse_dtmf_relay("Signal=11"), Some(('#', None)));
        assert_eq!(parse_dtmf_relay("*\r\n"), Some(('*', None)));
        assert_eq!(parse_dtmf_relay("Signal=x"), None);
    }

    #[test]
    fn detects_every_digit_once() {
        let keys = "0123456789*#ABCD";
        let mut audio = vec![0i16; 400];
        for k in keys.chars() {
            audio.extend(generate(k, 70, 6000.0));
            audio.extend(vec![0i16; 8 * 60]);
        }
        let mut d = DtmfDetector::new();
        let ev = d.process_collect(&audio);
        assert_eq!(digits(&ev), keys);
        for e in &ev {
            if let DtmfEvent::End { duration, .. } = e {
                // 70 ms = 560 samples, measured in whole blocks.
                assert!((408..=714).contains(duration), "{duration}");
            }
        }
        // Fed in odd frame sizes: same result.
        let mut d = DtmfDetector::new();
        let mut all = Vec::new();
        for chunk in audio.chunks(37) {
            d.process(chunk, |e| all.push(e));
        }
        assert_eq!(all, ev);
    }

    #[test]
    fn detects_with_noise_and_twist() {
        let mut audio: Vec<i16> = Vec::new();
        let n = noise(8 * 1000, 600.0, 7);
        let mut i = 0;
        for (k, (ra, ca)) in [
            ('5', (4000.0, 5000.0)),
            ('9', (5000.0, 2500.0)),
            ('0', (3000.0, 3000.0)),
        ] {
            let (r, c) = frequencies(k).unwrap();
            for s in 0..8 * 80 {
                let t = s as f64 / 8000.0;
                let v = ra * (2.0 * PI * r * t).sin() + ca * (2.0 * PI * c * t).sin() + n[i];
                audio.push(v as i16);
                i += 1;
            }
            for _ in 0..8 * 50 {
                audio.push(n[i] as i16);
                i += 1;
            }
        }
        let ev = DtmfDetector::new().process_collect(&audio);
        assert_eq!(digits(&ev), "590");
    }

    #[test]
    fn no_talk_off_on_bundled_speech() {
        // Every bundled prompt (espeak speech in two languages), one after the other.
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sounds");
        let mut audio = Vec::new();
        let mut files = 0;
        for lang in ["en", "ru"] {
            for dir in [
                root.join(lang),
                root.join(lang).join("digits"),
                root.join(lang).join("letters"),
            ] {
                let Ok(rd) = std::fs::read_dir(&dir) else {
                    continue;
                };
                for e in rd.flatten() {
                    if e.path().extension().is_some_and(|x| x == "wav") {
                        audio.extend(crate::media::sound::load_path(&e.path()).unwrap());
                        files += 1;
                    }
                }
            }
        }
        assert!(files > 200, "{files}");
        let ev = DtmfDetector::new().process_collect(&audio);
        assert!(
            ev.is_empty(),
            "{} false digits: {:?}",
            ev.len(),
            &ev[..ev.len().min(6)]
        );
    }

    #[test]
    fn minimum_duration() {
        for offset in [0usize, 17, 50, 90] {
            let mut a = vec![0i16; offset];
            a.extend(generate('8', 40, 6000.0));
            a.extend(vec![0i16; 800]);
            assert_eq!(
                digits(&DtmfDetector::new().process_collect(&a)),
                "8",
                "{offset}"
            );
            let mut a = vec![0i16; offset];
            a.extend(generate('8', 20, 6000.0));
            a.extend(vec![0i16; 800]);
            assert_eq!(
                digits(&DtmfDetector::new().process_collect(&a)),
                "",
                "{offset}"
            );
        }
    }

    #[test]
    fn no_false_digits() {
        let mut d = DtmfDetector::new();
        // Silence, a 1 kHz tone, white noise, a 440 Hz dial tone, quiet DTMF.
        let mut audio = vec![0i16; 8000];
        audio.extend(
            (0..8000).map(|n| (8000.0 * (2.0 * PI * 1000.0 * n as f64 / 8000.0).sin()) as i16),
        );
        audio.extend(noise(8000, 8000.0, 3).iter().map(|x| *x as i16));
        audio.extend((0..8000).map(|n| {
            let t = n as f64 / 8000.0;
            (5000.0 * ((2.0 * PI * 350.0 * t).sin() + (2.0 * PI * 440.0 * t).sin())) as i16
        }));
        audio.extend(generate('1', 100, 150.0));
        // Speech-like: a 120 Hz voice with harmonics shaped by formants near 700 and 1200 Hz,
        // with the pitch gliding.
        audio.extend((0..16000).map(|n| {
            let t = n as f64 / 8000.0;
            let f0 = 120.0 + 30.0 * (2.0 * PI * 2.0 * t).sin();
            let mut v = 0.0;
            for h in 1..30 {
                let f = f0 * h as f64;
                let w = (-((f - 700.0) / 150.0).powi(2)).exp()
                    + (-((f - 1200.0) / 200.0).powi(2)).exp()
                    + 0.1;
                v += w * (2.0 * PI * f * t + h as f64).sin();
            }
            (v * 2500.0).clamp(-32000.0, 32000.0) as i16
        }));
        let ev = d.process_collect(&audio);
        assert!(ev.is_empty(), "{ev:?}");
        // The detector still works afterwards.
        assert_eq!(digits(&d.process_collect(&generate('#', 60, 5000.0))), "#");
    }
    #[test]
    fn digit_player_events_match_packets_for() {
        let mut p = DigitPlayer::events('5', 100, 4000).unwrap();
        let mut pcm = [0i16; 160];
        let mut got = Vec::new();
        let mut steps = 0;
        loop {
            match p.next(&mut pcm) {
                DigitFrame::Events(e, n) => got.extend_from_slice(&e[..n]),
                DigitFrame::Audio => panic!("no audio for events"),
                DigitFrame::Done => break,
            }
            steps += 1;
        }
        let want: Vec<EventPacket> = DtmfSender::packets_for('5', 100, 4000)
            .into_iter()
            .map(|(_, p)| p)
            .collect();
        assert_eq!(got, want);
        // 0, 20, 40, 60, 80 ms, then the end at 100 ms.
        assert_eq!(steps, 6);
        let mut r = DtmfReceiver::new();
        let ends: Vec<_> = got
            .iter()
            .flat_map(|p| r.on_packet(p.timestamp, &p.payload).collect::<Vec<_>>())
            .filter(|e| matches!(e, DtmfEvent::End { .. }))
            .collect();
        assert_eq!(ends.len(), 1);
        assert!(matches!(ends[0], DtmfEvent::End { digit: '5', .. }));
    }

    #[test]
    fn digit_player_tone_is_detected() {
        for d in "159*#D".chars() {
            let mut p = DigitPlayer::tone(d, 100).unwrap();
            let mut audio = Vec::new();
            let mut pcm = [0i16; 160];
            while p.next(&mut pcm) == DigitFrame::Audio {
                audio.extend_from_slice(&pcm);
            }
            // 100 ms of tone, 60 ms of silence.
            assert_eq!(audio.len(), 160 * 8);
            assert!(audio[..800].iter().any(|&x| x.abs() > 10_000));
            assert!(audio[800..].iter().all(|&x| x == 0));
            let mut det = DtmfDetector::new();
            let ev = det.process_collect(&audio);
            assert_eq!(
                ev.iter()
                    .filter_map(|e| match e {
                        DtmfEvent::End { digit, .. } => Some(*digit),
                        _ => None,
                    })
                    .collect::<String>(),
                d.to_string(),
                "{ev:?}"
            );
            // A-law on the way does not hide it.
            let mut enc = vec![0u8; audio.len()];
            crate::media::g711::Law::Alaw.encode(&audio, &mut enc);
            let mut dec = vec![0i16; audio.len()];
            crate::media::g711::Law::Alaw.decode(&enc, &mut dec);
            assert!(DtmfDetector::new()
                .process_collect(&dec)
                .contains(&DtmfEvent::Begin { digit: d }));
        }
        assert!(DigitPlayer::tone('x', 100).is_none());
        assert!(DigitPlayer::events('x', 100, 0).is_none());
    }
}
