//! G.711 A-law and μ-law (ITU-T G.711), the two codecs zvezda speaks on the wire, as
//! Asterisk's `codec_alaw`/`codec_ulaw` do: every sample is decoded to signed linear (8 kHz,
//! 16-bit) where audio is processed, and legs with different laws are transcoded byte by byte.
//!
//! The encoders follow the ITU reference algorithm (13-bit A-law after dropping 3 bits, 14-bit
//! μ-law after dropping 2 bits, with the μ-law bias of 0x84 and clip at 8159). All tables are
//! built at compile time: decoding is one 256-entry lookup, encoding one lookup in a 16384-entry
//! table indexed by the top 14 bits of the sample, transcoding one 256-entry lookup.

const fn alaw_encode_ref(sample: i16) -> u8 {
    let mut pcm = (sample as i32) >> 3;
    let mask: i32 = if pcm >= 0 {
        0xD5
    } else {
        pcm = -pcm - 1;
        0x55
    };
    // Segment: the position of the highest set bit above the 5-bit mantissa window.
    let ends = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF];
    let mut seg = 0;
    while seg < 8 && pcm > ends[seg] {
        seg += 1;
    }
    if seg >= 8 {
        return (0x7F ^ mask) as u8;
    }
    let mut a = (seg as i32) << 4;
    if seg < 2 {
        a |= (pcm >> 1) & 0x0F;
    } else {
        a |= (pcm >> seg) & 0x0F;
    }
    (a ^ mask) as u8
}

const fn alaw_decode_ref(code: u8) -> i16 {
    let a = (code ^ 0x55) as i32;
    let mut t = (a & 0x0F) << 4;
    let seg = (a & 0x70) >> 4;
    if seg == 0 {
        t += 8;
    } else {
        t += 0x108;
        t <<= seg - 1;
    }
    (if a & 0x80 != 0 { t } else { -t }) as i16
}

const ULAW_BIAS: i32 = 0x84;
const ULAW_CLIP: i32 = 8159;

const fn ulaw_encode_ref(sample: i16) -> u8 {
    let mut pcm = (sample as i32) >> 2;
    let mask: i32 = if pcm < 0 {
        pcm = -pcm;
        0x7F
    } else {
        0xFF
    };
    if pcm > ULAW_CLIP {
        pcm = ULAW_CLIP;
    }
    pcm += ULAW_BIAS >> 2;
    let ends = [0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF];
    let mut seg = 0;
    while seg < 8 && pcm > ends[seg] {
        seg += 1;
    }
    if seg >= 8 {
        return (0x7F ^ mask) as u8;
    }
    let u = ((seg as i32) << 4) | ((pcm >> (seg + 1)) & 0x0F);
    (u ^ mask) as u8
}

const fn ulaw_decode_ref(code: u8) -> i16 {
    let u = (!code) as i32;
    let mut t = ((u & 0x0F) << 3) + ULAW_BIAS;
    t <<= (u & 0x70) >> 4;
    (if u & 0x80 != 0 {
        ULAW_BIAS - t
    } else {
        t - ULAW_BIAS
    }) as i16
}

const fn decode_table(alaw: bool) -> [i16; 256] {
    let mut t = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = if alaw {
            alaw_decode_ref(i as u8)
        } else {
            ulaw_decode_ref(i as u8)
        };
        i += 1;
    }
    t
}

/// Index of a sample in the encode tables: its top 14 bits, as an unsigned 0..16384.
#[inline]
fn enc_index(sample: i16) -> usize {
    ((sample as u16) >> 2) as usize
}

const fn encode_table(alaw: bool) -> [u8; 16384] {
    let mut t = [0u8; 16384];
    let mut i = 0;
    while i < 16384 {
        // The sample whose top 14 bits are i (low 2 bits do not change either encoder).
        let s = ((i as u16) << 2) as i16;
        t[i] = if alaw {
            alaw_encode_ref(s)
        } else {
            ulaw_encode_ref(s)
        };
        i += 1;
    }
    t
}

const fn transcode_table(from_alaw: bool) -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = if from_alaw {
            ulaw_encode_ref(alaw_decode_ref(i as u8))
        } else {
            alaw_encode_ref(ulaw_decode_ref(i as u8))
        };
        i += 1;
    }
    t
}

static ALAW_DECODE: [i16; 256] = decode_table(true);
static ULAW_DECODE: [i16; 256] = decode_table(false);
static ALAW_ENCODE: [u8; 16384] = encode_table(true);
static ULAW_ENCODE: [u8; 16384] = encode_table(false);
static ALAW_TO_ULAW: [u8; 256] = transcode_table(true);
static ULAW_TO_ALAW: [u8; 256] = transcode_table(false);

/// The two G.711 laws, as RTP knows them (PCMA is payload type 8, PCMU 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Law {
    Alaw,
    Ulaw,
}

impl Law {
    /// The static RTP payload type (RFC 3551): 0 for PCMU, 8 for PCMA.
    /// Asterisk's name for the codec (`alaw`, `ulaw`).
    pub fn name(self) -> &'static str {
        match self {
            Law::Alaw => "alaw",
            Law::Ulaw => "ulaw",
        }
    }

    pub fn payload_type(self) -> u8 {
        match self {
            Law::Ulaw => 0,
            Law::Alaw => 8,
        }
    }

    pub fn from_payload_type(pt: u8) -> Option<Law> {
        match pt {
            0 => Some(Law::Ulaw),
            8 => Some(Law::Alaw),
            _ => None,
        }
    }

    /// Decode `src` into `dst` (which must be at least as long).
    pub fn decode(self, src: &[u8], dst: &mut [i16]) {
        match self {
            Law::Alaw => alaw_decode(src, dst),
            Law::Ulaw => ulaw_decode(src, dst),
        }
    }

    /// Encode `src` into `dst` (which must be at least as long).
    pub fn encode(self, src: &[i16], dst: &mut [u8]) {
        match self {
            Law::Alaw => alaw_encode(src, dst),
            Law::Ulaw => ulaw_encode(src, dst),
        }
    }
}

#[inline]
pub fn alaw_to_linear(code: u8) -> i16 {
    ALAW_DECODE[code as usize]
}

#[inline]
pub fn ulaw_to_linear(code: u8) -> i16 {
    ULAW_DECODE[code as usize]
}

#[inline]
pub fn linear_to_alaw(sample: i16) -> u8 {
    ALAW_ENCODE[enc_index(sample)]
}

#[inline]
pub fn linear_to_ulaw(sample: i16) -> u8 {
    ULAW_ENCODE[enc_index(sample)]
}

#[inline]
pub fn alaw_to_ulaw(code: u8) -> u8 {
    ALAW_TO_ULAW[code as usize]
}

#[inline]
pub fn ulaw_to_alaw(code: u8) -> u8 {
    ULAW_TO_ALAW[code as usize]
}

pub fn alaw_decode(src: &[u8], dst: &mut [i16]) {
    for (d, &s) in dst.iter_mut().zip(src) {
        *d = alaw_to_linear(s);
    }
}

pub fn ulaw_decode(src: &[u8], dst: &mut [i16]) {
    for (d, &s) in dst.iter_mut().zip(src) {
        *d = ulaw_to_linear(s);
    }
}

pub fn alaw_encode(src: &[i16], dst: &mut [u8]) {
    for (d, &s) in dst.iter_mut().zip(src) {
        *d = linear_to_alaw(s);
    }
}

pub fn ulaw_encode(src: &[i16], dst: &mut [u8]) {
    for (d, &s) in dst.iter_mut().zip(src) {
        *d = linear_to_ulaw(s);
    }
}

/// Transcode a payload in place from one law to the other (no-op when they are equal).
pub fn transcode_in_place(from: Law, to: Law, buf: &mut [u8]) {
    let table = match (from, to) {
        (Law::Alaw, Law::Ulaw) => &ALAW_TO_ULAW,
        (Law::Ulaw, Law::Alaw) => &ULAW_TO_ALAW,
        _ => return,
    };
    for b in buf {
        *b = table[*b as usize];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_pairs() {
        // Silence: A-law 0xD5 decodes to +8, μ-law 0xFF to 0.
        assert_eq!(linear_to_alaw(0), 0xD5);
        assert_eq!(alaw_to_linear(0xD5), 8);
        assert_eq!(alaw_to_linear(0x55), -8);
        assert_eq!(linear_to_ulaw(0), 0xFF);
        assert_eq!(ulaw_to_linear(0xFF), 0);
        assert_eq!(ulaw_to_linear(0x7F), 0);
        // Full scale: A-law ±32256, μ-law ±32124.
        assert_eq!(alaw_to_linear(0xAA), 32256);
        assert_eq!(alaw_to_linear(0x2A), -32256);
        assert_eq!(ulaw_to_linear(0x80), 32124);
        assert_eq!(ulaw_to_linear(0x00), -32124);
        assert_eq!(linear_to_alaw(i16::MAX), 0xAA);
        assert_eq!(linear_to_alaw(i16::MIN), 0x2A);
        assert_eq!(linear_to_ulaw(i16::MAX), 0x80);
        assert_eq!(linear_to_ulaw(i16::MIN), 0x00);
        // A small negative value: μ-law -1 lands in the first negative step.
        assert_eq!(linear_to_ulaw(-1), 0x7E);
        assert_eq!(Law::from_payload_type(8), Some(Law::Alaw));
        assert_eq!(Law::Ulaw.payload_type(), 0);
    }

    #[test]
    fn tables_match_reference_for_every_sample() {
        for s in i16::MIN..=i16::MAX {
            assert_eq!(linear_to_alaw(s), alaw_encode_ref(s), "alaw {s}");
            assert_eq!(linear_to_ulaw(s), ulaw_encode_ref(s), "ulaw {s}");
        }
    }

    #[test]
    fn decode_encode_round_trip() {
        for c in 0..=255u8 {
            assert_eq!(linear_to_alaw(alaw_to_linear(c)), c, "alaw {c:#x}");
            // μ-law has two zeros (0x7F and 0xFF); both decode to 0, which encodes to 0xFF.
            let back = linear_to_ulaw(ulaw_to_linear(c));
            if c == 0x7F {
                assert_eq!(back, 0xFF);
            } else {
                assert_eq!(back, c, "ulaw {c:#x}");
            }
        }
    }

    #[test]
    fn quantisation_error_is_bounded() {
        // The error of encode-then-decode is below half of the largest step (1024 A-law,
        // 1024 μ-law at the top segment) and tiny near zero.
        for s in (i16::MIN..=i16::MAX).step_by(7) {
            let a = alaw_to_linear(linear_to_alaw(s)) as i32 - s as i32;
            let u = ulaw_to_linear(linear_to_ulaw(s)) as i32 - s as i32;
            assert!(a.abs() <= 1024, "alaw {s} err {a}");
            assert!(
                u.abs() <= 1024 || s.unsigned_abs() > 32124,
                "ulaw {s} err {u}"
            );
            if s.unsigned_abs() < 64 {
                assert!(a.abs() <= 8 && u.abs() <= 8, "{s}: {a} {u}");
            }
        }
    }

    #[test]
    fn decode_is_monotonic_in_magnitude() {
        // Within one sign, a higher code magnitude means a higher level.
        let mags: Vec<i16> = (0..128u8).map(|m| ulaw_to_linear(0xFF - m)).collect();
        assert!(mags.windows(2).all(|w| w[0] < w[1]));
        let mags: Vec<i16> = (0..128u8).map(|m| alaw_to_linear((m) ^ 0xD5)).collect();
        assert!(mags.windows(2).all(|w| w[0] < w[1]), "{mags:?}");
    }

    #[test]
    fn transcoding_keeps_levels() {
        let mut buf: Vec<u8> = (0..=255u8).collect();
        transcode_in_place(Law::Alaw, Law::Ulaw, &mut buf);
        for (c, &u) in buf.iter().enumerate() {
            let a = alaw_to_linear(c as u8) as i32;
            let d = ulaw_to_linear(u) as i32;
            assert!(
                (a - d).abs() <= 1024.max(a.abs() / 16),
                "{c:#x}: {a} vs {d}"
            );
        }
        let mut buf: Vec<u8> = (0..=255u8).collect();
        transcode_in_place(Law::Ulaw, Law::Alaw, &mut buf);
        assert_eq!(buf[0xFF], 0xD5);
        let mut same: Vec<u8> = vec![1, 2, 3];
        transcode_in_place(Law::Alaw, Law::Alaw, &mut same);
        assert_eq!(same, [1, 2, 3]);
    }

    #[test]
    fn slices() {
        let pcm = [0i16, 1000, -1000, 32000];
        let mut enc = [0u8; 4];
        let mut dec = [0i16; 4];
        Law::Alaw.encode(&pcm, &mut enc);
        Law::Alaw.decode(&enc, &mut dec);
        for (a, b) in pcm.iter().zip(dec) {
            assert!((*a as i32 - b as i32).abs() <= 1024);
        }
        Law::Ulaw.encode(&pcm, &mut enc);
        assert_eq!(enc[0], 0xFF);
    }
}
