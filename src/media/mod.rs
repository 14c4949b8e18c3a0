//! Media building blocks (issue 5), sans-IO: codecs, RTP/RTCP state, DTMF, tones, sound files,
//! crash-safe recordings and the Say* file lists. Nothing here opens a socket or spawns a task;
//! the call layer feeds bytes and clock readings in and takes bytes and events out.
//!
//! * [`g711`]: A-law/μ-law tables, encode/decode/transcode.
//! * [`rtp`]: RTP header read/write, [`rtp::RtpSender`], [`rtp::RtpReceiver`] (loss, jitter,
//!   SSRC changes), symmetric and strict RTP, port choice, RTCP SR/RR/SDES/BYE, rtptimeout.
//! * [`dtmf`]: RFC 4733 receive/send, SIP INFO bodies, Goertzel in-band detector, tone
//!   generator.
//! * [`tones`]: indications.conf tone lists and their generator (Playtones, ringback, busy).
//! * [`sound`]: finding sound files as Asterisk does and loading them to 8 kHz samples.
//! * [`file`]: crash-safe recording writer, saturating mixer (MixMonitor).
//! * [`say`]: the file lists of SayDigits/SayNumber/SayAlpha and counted words (en, ru).
//!
//! Audio is 8 kHz signed 16-bit linear ([`RATE`]) in 20 ms frames ([`FRAME_SAMPLES`]).

pub mod dtmf;
pub mod file;
pub mod g711;
pub mod rtp;
pub mod say;
pub mod sound;
pub mod tones;

/// Sample rate of everything here (narrowband telephony).
pub const RATE: u32 = 8000;
/// Samples in one 20 ms frame, the packetisation zvezda sends (`ptime` 20).
pub const FRAME_SAMPLES: usize = 160;

/// Split audio into 20 ms frames; the last one is padded with silence.
pub fn frames(samples: &[i16]) -> impl Iterator<Item = [i16; FRAME_SAMPLES]> + '_ {
    samples.chunks(FRAME_SAMPLES).map(|c| {
        let mut f = [0i16; FRAME_SAMPLES];
        f[..c.len()].copy_from_slice(c);
        f
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn framing() {
        let audio: Vec<i16> = (1..=400).collect();
        let f: Vec<_> = super::frames(&audio).collect();
        assert_eq!(f.len(), 3);
        assert_eq!((f[1][0], f[2][79], f[2][80]), (161, 400, 0));
    }
}
