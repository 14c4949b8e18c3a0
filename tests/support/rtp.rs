//! A test phone's audio: an RTP socket on 127.0.0.1 that sends G.711 (A-law 8 / µ-law 0)
//! and RFC 4733 events and collects what arrives; a Goertzel filter to find a tone in it.

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};
use zvezda::media::g711::Law;

pub struct RtpPeer {
    pub sock: UdpSocket,
    seq: u16,
    ts: u32,
    ssrc: u32,
}

/// A packet received: payload type, marker, timestamp, payload, when.
#[derive(Clone, Debug)]
pub struct Got {
    pub pt: u8,
    pub marker: bool,
    pub ts: u32,
    pub payload: Vec<u8>,
    pub at: Instant,
    pub from: SocketAddr,
}

impl Default for RtpPeer {
    fn default() -> Self {
        Self::new()
    }
}

impl RtpPeer {
    pub fn new() -> RtpPeer {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        sock.set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        RtpPeer {
            sock,
            seq: 1000,
            ts: 8000,
            ssrc: 0x1234_5678,
        }
    }

    /// The same socket, for another thread (one sends while the other collects).
    pub fn try_clone(&self) -> RtpPeer {
        RtpPeer {
            sock: self.sock.try_clone().unwrap(),
            seq: self.seq.wrapping_add(30000),
            ts: self.ts,
            ssrc: self.ssrc,
        }
    }

    pub fn port(&self) -> u16 {
        self.sock.local_addr().unwrap().port()
    }

    fn packet(&mut self, pt: u8, marker: bool, ts: u32, payload: &[u8]) -> Vec<u8> {
        let mut p = vec![0x80, pt | if marker { 0x80 } else { 0 }];
        p.extend_from_slice(&self.seq.to_be_bytes());
        p.extend_from_slice(&ts.to_be_bytes());
        p.extend_from_slice(&self.ssrc.to_be_bytes());
        p.extend_from_slice(payload);
        self.seq = self.seq.wrapping_add(1);
        p
    }

    /// Send `samples` as 20 ms packets in `law`, paced in real time when `paced`.
    pub fn send_pcm(&mut self, to: SocketAddr, law: Law, samples: &[i16], paced: bool) {
        let t0 = Instant::now();
        for (i, chunk) in samples.chunks(160).enumerate() {
            let mut enc = vec![0u8; chunk.len()];
            law.encode(chunk, &mut enc);
            let ts = self.ts;
            let p = self.packet(law.payload_type(), i == 0, ts, &enc);
            self.ts = self.ts.wrapping_add(chunk.len() as u32);
            self.sock.send_to(&p, to).unwrap();
            if paced {
                let due = t0 + Duration::from_millis(20 * (i as u64 + 1));
                if let Some(d) = due.checked_duration_since(Instant::now()) {
                    std::thread::sleep(d);
                }
            }
        }
    }

    /// A DTMF digit as RFC 4733 events (payload type 101): start, updates, three ends.
    pub fn send_dtmf(&mut self, to: SocketAddr, digit: char, ms: u32) {
        let ev = zvezda::media::dtmf::digit_to_event(digit).unwrap();
        let ts = self.ts;
        let mut dur = 160u32;
        let mut first = true;
        while dur < ms * 8 {
            let payload = [ev, 10, (dur >> 8) as u8, dur as u8];
            let p = self.packet(101, first, ts, &payload);
            self.sock.send_to(&p, to).unwrap();
            first = false;
            dur += 160;
            std::thread::sleep(Duration::from_millis(20));
        }
        let d = ms * 8;
        for _ in 0..3 {
            let payload = [ev, 0x80 | 10, (d >> 8) as u8, d as u8];
            let p = self.packet(101, false, ts, &payload);
            self.sock.send_to(&p, to).unwrap();
        }
        self.ts = self.ts.wrapping_add(d);
    }

    /// Everything that arrives for `dur` (or until `stop` says so).
    pub fn collect(&self, dur: Duration, mut stop: impl FnMut(&[Got]) -> bool) -> Vec<Got> {
        let t0 = Instant::now();
        let mut out = Vec::new();
        let mut buf = [0u8; 2048];
        while t0.elapsed() < dur {
            if let Ok((n, from)) = self.sock.recv_from(&mut buf) {
                if n >= 12 {
                    out.push(Got {
                        pt: buf[1] & 0x7f,
                        marker: buf[1] & 0x80 != 0,
                        ts: u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]),
                        payload: buf[12..n].to_vec(),
                        at: Instant::now(),
                        from,
                    });
                    if stop(&out) {
                        break;
                    }
                }
            }
        }
        out
    }
}

/// Decode the audio packets (payload types 0 and 8) to linear samples.
pub fn decode(got: &[Got]) -> Vec<i16> {
    let mut out = Vec::new();
    for g in got {
        if let Some(law) = Law::from_payload_type(g.pt) {
            let mut pcm = vec![0i16; g.payload.len()];
            law.decode(&g.payload, &mut pcm);
            out.extend(pcm);
        }
    }
    out
}

/// A sine of `hz` at `amp`, `ms` long, at 8 kHz.
pub fn tone(hz: f64, ms: u32, amp: f64) -> Vec<i16> {
    (0..ms * 8)
        .map(|i| (amp * (2.0 * std::f64::consts::PI * hz * i as f64 / 8000.0).sin()) as i16)
        .collect()
}

/// The share of the signal's energy at `hz` (Goertzel power over total power, 0..1-ish).
pub fn energy_at(samples: &[i16], hz: f64) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let n = samples.len() as f64;
    let k = (0.5 + n * hz / 8000.0).floor();
    let w = 2.0 * std::f64::consts::PI * k / n;
    let coeff = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    let mut total = 0.0;
    for &x in samples {
        let x = x as f64;
        total += x * x;
        let s0 = x + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    if total == 0.0 {
        0.0
    } else {
        power / (total * n / 2.0)
    }
}

/// Is a G.711 payload more than silence?
pub fn loud(g: &Got) -> bool {
    let Some(law) = Law::from_payload_type(g.pt) else {
        return false;
    };
    let mut pcm = vec![0i16; g.payload.len()];
    law.decode(&g.payload, &mut pcm);
    pcm.iter().map(|x| (*x as i32).abs()).max().unwrap_or(0) > 500
}
