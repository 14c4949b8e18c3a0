//! RTP for test phones: a socket on 127.0.0.1 that a phone's SDP offers, sending a tone (or
//! silence) in 20 ms A-law packets in real time while collecting what arrives, and the
//! signal checks tests make on recordings (Goertzel power at a frequency).
#![allow(dead_code)]

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use zvezda::media::g711::Law;

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

pub struct RtpPeer {
    pub sock: UdpSocket,
}

impl RtpPeer {
    pub fn bind() -> RtpPeer {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        sock.set_read_timeout(Some(Duration::from_millis(5)))
            .unwrap();
        RtpPeer { sock }
    }

    pub fn port(&self) -> u16 {
        self.sock.local_addr().unwrap().port()
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
