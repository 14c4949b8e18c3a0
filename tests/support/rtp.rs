//! A test phone's audio: an RTP socket on 127.0.0.1 that sends G.711 (A-law 8 / µ-law 0)
//! and RFC 4733 events and collects what arrives; a Goertzel filter to find a tone in it.

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
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

/// Write 8 kHz mono 16-bit samples as a WAV file (a prompt, a phone's audio source).
pub fn write_wav(path: &std::path::Path, samples: &[i16]) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 8000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for s in samples {
        w.write_sample(*s).unwrap();
    }
    w.finalize().unwrap();
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

/// What to send for a stretch of time.
#[derive(Clone, Copy, Debug)]
pub enum Sound {
    /// A sine at this frequency (Hz), amplitude 8000.
    Tone(f64),
    /// Digital silence.
    Silence,
    /// A DTMF key as RFC 4733 events (payload type 101) for the stretch's duration; the
    /// end packet is sent three times, as phones do.
    Digit(char),
}

impl RtpPeer {
    /// A peer whose socket times out every 5 ms (for `play`'s pacing loop).
    pub fn bind() -> RtpPeer {
        let p = RtpPeer::new();
        p.sock
            .set_read_timeout(Some(Duration::from_millis(5)))
            .unwrap();
        p
    }

    /// An SDP offering (or answering with) A-law and telephone-event on this socket.
    pub fn sdp(&self) -> String {
        sdp_for_port(self.port())
    }

    /// Send `plan` (each part for its duration) to `to` in 20 ms A-law packets, in real time,
    /// on another thread, stopping early when `stop` is set. The thread returns the audio
    /// that arrived meanwhile, decoded.
    pub fn play(
        &self,
        to: SocketAddr,
        plan: Vec<(Sound, Duration)>,
        stop: Arc<AtomicBool>,
    ) -> std::thread::JoinHandle<Vec<i16>> {
        let sock = self.sock.try_clone().unwrap();
        std::thread::spawn(move || {
            let mut got = Vec::new();
            let mut buf = [0u8; 2048];
            let ssrc = 0x1234_5678u32 ^ to.port() as u32;
            let (mut seq, mut ts) = (1000u16, 160_000u32);
            let mut phase = 0f64;
            let start = Instant::now();
            let mut n = 0u32;
            for (sound, dur) in plan {
                let frames = (dur.as_millis() / 20) as usize;
                for i in 0..frames {
                    if stop.load(Ordering::Relaxed) {
                        return got;
                    }
                    if let Sound::Digit(d) = sound {
                        let event = zvezda::media::dtmf::digit_to_event(d).expect("a DTMF key");
                        let last = i + 1 == frames;
                        let payload = zvezda::media::dtmf::EventPayload {
                            event,
                            end: last,
                            volume: 10,
                            duration: (160 * (i + 1)) as u16,
                        }
                        .to_bytes();
                        for _ in 0..if last { 3 } else { 1 } {
                            let mut pkt = vec![0x80, 101 | if i == 0 { 0x80 } else { 0 }];
                            pkt.extend_from_slice(&seq.to_be_bytes());
                            pkt.extend_from_slice(&ts.to_be_bytes());
                            pkt.extend_from_slice(&ssrc.to_be_bytes());
                            pkt.extend_from_slice(&payload);
                            let _ = sock.send_to(&pkt, to);
                            seq = seq.wrapping_add(1);
                        }
                        if last {
                            ts = ts.wrapping_add(160 * frames as u32);
                        }
                        n += 1;
                        let next = start + Duration::from_millis(20 * n as u64);
                        while Instant::now() < next {
                            let _ = sock.recv_from(&mut buf);
                        }
                        continue;
                    }
                    let mut pcm = [0i16; 160];
                    if let Sound::Tone(f) = sound {
                        for s in pcm.iter_mut() {
                            *s = (8000.0 * phase.sin()) as i16;
                            phase += 2.0 * std::f64::consts::PI * f / 8000.0;
                        }
                        phase %= 2.0 * std::f64::consts::PI;
                    }
                    let mut pkt = vec![0x80, 8];
                    pkt.extend_from_slice(&seq.to_be_bytes());
                    pkt.extend_from_slice(&ts.to_be_bytes());
                    pkt.extend_from_slice(&ssrc.to_be_bytes());
                    let mut law = [0u8; 160];
                    Law::Alaw.encode(&pcm, &mut law);
                    pkt.extend_from_slice(&law);
                    let _ = sock.send_to(&pkt, to);
                    seq = seq.wrapping_add(1);
                    ts = ts.wrapping_add(160);
                    n += 1;
                    // Collect what arrives until this packet's 20 ms are over.
                    let next = start + Duration::from_millis(20 * n as u64);
                    while Instant::now() < next {
                        if let Ok((len, _)) = sock.recv_from(&mut buf) {
                            if len > 12 && buf[1] & 0x7f == 8 {
                                let mut out = vec![0i16; len - 12];
                                Law::Alaw.decode(&buf[12..len], &mut out);
                                got.extend(out);
                            }
                        }
                    }
                }
            }
            got
        })
    }
}

pub fn sdp_for_port(port: u16) -> String {
    format!(
        "v=0\r\no=uac 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio {port} RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
    )
}

/// Where an SDP body says to send audio (`c=` address, `m=audio` port).
pub fn sdp_target(sdp: &str) -> SocketAddr {
    let ip = sdp
        .lines()
        .find_map(|l| l.strip_prefix("c=IN IP4 "))
        .expect("c= line")
        .trim();
    let port: u16 = sdp
        .lines()
        .find_map(|l| l.strip_prefix("m=audio "))
        .and_then(|l| l.split(' ').next())
        .and_then(|p| p.parse().ok())
        .expect("m=audio port");
    format!("{ip}:{port}").parse().unwrap()
}

/// Goertzel power of `freq` over `samples`, normalised by length (a pure tone of amplitude
/// A gives about A²/4).
pub fn power_at(samples: &[i16], freq: f64) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let w = 2.0 * std::f64::consts::PI * freq / 8000.0;
    let c = 2.0 * w.cos();
    let (mut s1, mut s2) = (0f64, 0f64);
    for &x in samples {
        let s0 = x as f64 + c * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let p = s1 * s1 + s2 * s2 - c * s1 * s2;
    p / (samples.len() as f64 * samples.len() as f64)
}

/// Mean absolute amplitude.
pub fn level(samples: &[i16]) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    samples.iter().map(|&s| (s as f64).abs()).sum::<f64>() / samples.len() as f64
}
