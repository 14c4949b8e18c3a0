//! Tone lists as indications.conf writes them and Playtones plays them (Asterisk's
//! main/indications.c): a list of parts separated by `,` (or `|` when the string has one),
//! read up to the first empty part, each `[!]f1[+f2|*f2][/ms]` or with MIDI notes
//! `[!]Mn[+Mn|*Mn][/ms]`. `f1+f2` mixes two frequencies, `f1*f2` modulates f1 by f2 (90%
//! depth), frequency 0 is silence, a part without `/ms` lasts for ever. Parts written with
//! `!` play once; when the list ends, playing goes back to the first part written without `!`,
//! and a list whose parts all have `!` stops (e.g. `!950/330,!1400/330,!1800/330`). Parts that
//! do not parse are skipped, as Asterisk does (logging an error).
//!
//! [`TonePlayer`] generates the list as 8 kHz signed-linear samples, each frequency at
//! Asterisk's default level (7219 peak, about -8 dBFS) unless a volume is given.

use std::f64::consts::PI;

/// One part of a tone list.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TonePart {
    pub freq1: f64,
    /// 0 when the part has one frequency.
    pub freq2: f64,
    /// `f1*f2`: f1 amplitude-modulated by f2.
    pub modulate: bool,
    /// Milliseconds; 0 = for ever.
    pub ms: u32,
    /// Written with `!`: not repeated.
    pub once: bool,
}

/// A parsed tone list.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ToneList {
    pub parts: Vec<TonePart>,
    /// Where playing resumes after the last part: the first part without `!`; None = stop.
    pub repeat_from: Option<usize>,
    /// Parts that did not parse (skipped).
    pub bad_parts: Vec<String>,
}

impl ToneList {
    /// Total length in ms when the list is finite (plays once and stops), None otherwise.
    pub fn finite_ms(&self) -> Option<u64> {
        if self.repeat_from.is_some() || self.parts.iter().any(|p| p.ms == 0) {
            return None;
        }
        Some(self.parts.iter().map(|p| p.ms as u64).sum())
    }
}

/// The frequency of a MIDI note (69 = A4 = 440 Hz); notes above 127 are silence, as in
/// Asterisk.
pub fn midi_to_hz(note: u32) -> f64 {
    if note > 127 {
        return 0.0;
    }
    (440.0 * 2f64.powf((note as f64 - 69.0) / 12.0)).round()
}

/// `sscanf("%u")`-like: the leading unsigned number and the rest.
fn number(s: &str) -> Option<(u32, &str)> {
    let t = s.trim_start();
    let end = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    if end == 0 {
        return None;
    }
    Some((t[..end].parse().ok()?, &t[end..]))
}

/// Parse one part (without the `!`).
fn parse_part(s: &str) -> Option<TonePart> {
    let (midi, s) = match s.strip_prefix('M') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let (f1, rest) = number(s)?;
    let mut part = TonePart {
        freq1: f1 as f64,
        freq2: 0.0,
        modulate: false,
        ms: 0,
        once: false,
    };
    let mut f2 = None;
    let mut rest = rest;
    if let Some(op) = rest.chars().next().filter(|c| *c == '+' || *c == '*') {
        let after = &rest[1..];
        let after = if midi {
            after.strip_prefix('M').unwrap_or("x")
        } else {
            after
        };
        if let Some((n, r)) = number(after) {
            f2 = Some(n);
            part.modulate = op == '*';
            rest = r;
        }
    }
    if let Some(r) = rest.strip_prefix('/') {
        if let Some((ms, _)) = number(r) {
            part.ms = ms;
        }
    }
    if midi {
        part.freq1 = midi_to_hz(f1);
        part.freq2 = f2.map(midi_to_hz).unwrap_or(0.0);
    } else {
        part.freq2 = f2.unwrap_or(0) as f64;
    }
    Some(part)
}

/// Parse a tone list string.
pub fn parse_tone_list(s: &str) -> ToneList {
    let sep = if s.contains('|') { '|' } else { ',' };
    let mut list = ToneList::default();
    for raw in s.split(sep) {
        if raw.is_empty() {
            break;
        }
        let t = raw.trim();
        let (once, body) = match t.strip_prefix('!') {
            Some(b) => (true, b),
            None => (false, t),
        };
        if !once && list.repeat_from.is_none() {
            list.repeat_from = Some(list.parts.len());
        }
        match parse_part(body) {
            Some(mut p) => {
                p.once = once;
                list.parts.push(p);
            }
            None => {
                // Asterisk has already noted the repeat position even for a part it skips.
                list.bad_parts.push(t.to_string());
            }
        }
    }
    if let Some(r) = list.repeat_from {
        if r >= list.parts.len() {
            list.repeat_from = if list.parts.is_empty() { None } else { Some(0) };
        }
    }
    list
}

/// Asterisk's default Playtones level per frequency.
pub const DEFAULT_VOLUME: f64 = 7219.0;

/// Plays a [`ToneList`] as 8 kHz samples.
#[derive(Clone, Debug)]
pub struct TonePlayer {
    list: ToneList,
    volume: f64,
    index: usize,
    /// Samples played of the current part.
    pos: u64,
    done: bool,
}

impl TonePlayer {
    /// `volume`: peak per frequency (None = Asterisk's 7219).
    pub fn new(list: ToneList, volume: Option<f64>) -> Self {
        let done = list.parts.is_empty();
        TonePlayer {
            list,
            volume: volume.unwrap_or(DEFAULT_VOLUME),
            index: 0,
            pos: 0,
            done,
        }
    }

    /// Parse and play `s`.
    pub fn parse(s: &str) -> Self {
        Self::new(parse_tone_list(s), None)
    }

    pub fn is_finished(&self) -> bool {
        self.done
    }

    /// Fill `out`; returns the samples written, fewer than `out.len()` only when the list has
    /// ended (the rest of `out` is left as it was).
    pub fn fill(&mut self, out: &mut [i16]) -> usize {
        let mut n = 0;
        while n < out.len() && !self.done {
            let p = self.list.parts[self.index];
            let t = self.pos as f64 / 8000.0;
            let s1 = (2.0 * PI * p.freq1 * t).sin();
            let s2 = (2.0 * PI * p.freq2 * t).sin();
            let v = if p.modulate {
                self.volume * s1 * (1.0 + 0.9 * s2) / 1.9
            } else {
                self.volume * (s1 + s2)
            };
            out[n] = v.round().clamp(-32768.0, 32767.0) as i16;
            n += 1;
            self.pos += 1;
            if p.ms != 0 && self.pos >= p.ms as u64 * 8 {
                self.pos = 0;
                self.index += 1;
                if self.index >= self.list.parts.len() {
                    match self.list.repeat_from {
                        Some(r) => self.index = r,
                        None => self.done = true,
                    }
                }
            }
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Power of `f` in `x` (Goertzel), normalised so a sine of amplitude A gives A^2/4 * ...
    fn level(x: &[i16], f: f64) -> f64 {
        let c = 2.0 * (2.0 * PI * f / 8000.0).cos();
        let (mut s1, mut s2) = (0.0, 0.0);
        for &v in x {
            let s = v as f64 + c * s1 - s2;
            s2 = s1;
            s1 = s;
        }
        (s1 * s1 + s2 * s2 - c * s1 * s2).sqrt() * 2.0 / x.len() as f64
    }

    #[test]
    fn parse_forms() {
        let l = parse_tone_list("425/1000,0/4000");
        assert_eq!(l.parts.len(), 2);
        assert_eq!((l.parts[0].freq1, l.parts[0].ms), (425.0, 1000));
        assert_eq!((l.parts[1].freq1, l.parts[1].ms), (0.0, 4000));
        assert_eq!(l.repeat_from, Some(0));
        let l = parse_tone_list("!350+440/100,!0/100,350+440");
        assert_eq!(l.repeat_from, Some(2));
        assert!(l.parts[0].once && !l.parts[2].once);
        assert_eq!((l.parts[2].freq2, l.parts[2].ms), (440.0, 0));
        let l = parse_tone_list("480+620/500,0/500");
        assert_eq!(l.parts[0].freq2, 620.0);
        let l = parse_tone_list("425*25/1000");
        assert!(l.parts[0].modulate && l.parts[0].freq2 == 25.0);
        let l = parse_tone_list("!950/330,!1400/330,!1800/330");
        assert_eq!(l.repeat_from, None);
        assert_eq!(l.finite_ms(), Some(990));
        let l = parse_tone_list("M69+M81/200|M60");
        assert_eq!((l.parts[0].freq1, l.parts[0].freq2), (440.0, 880.0));
        assert_eq!(l.parts[1].freq1, 262.0);
        assert_eq!(l.parts.len(), 2);
        // Spaces, a bad part (skipped), and parsing stops at an empty part. As with sscanf,
        // a blank may come before a number but not before the `/`.
        let l = parse_tone_list(" 400/ 200 ,hello,600 / 100,,700");
        assert_eq!(l.parts.len(), 2);
        assert_eq!(l.parts[0].ms, 200);
        assert_eq!((l.parts[1].freq1, l.parts[1].ms), (600.0, 0));
        assert_eq!(l.bad_parts, vec!["hello".to_string()]);
    }

    #[test]
    fn plays_cadence_and_repeats() {
        // 100 ms of 1000 Hz, 50 ms silence, repeating.
        let mut p = TonePlayer::parse("1000/100,0/50");
        let mut buf = vec![0i16; 8 * 300];
        assert_eq!(p.fill(&mut buf), buf.len());
        let on = &buf[..800];
        let off = &buf[800..1200];
        let again = &buf[1200..2000];
        assert!(
            (level(on, 1000.0) - DEFAULT_VOLUME).abs() < 300.0,
            "{}",
            level(on, 1000.0)
        );
        assert!(off.iter().all(|&s| s == 0));
        assert!(level(again, 1000.0) > 6000.0);
        assert!(!p.is_finished());
    }

    #[test]
    fn once_parts_then_repeat_and_finite_lists() {
        let mut p = TonePlayer::parse("!500/20,700/20");
        let mut buf = vec![0i16; 8 * 100];
        p.fill(&mut buf);
        assert!(level(&buf[..160], 500.0) > 6000.0);
        // After the first part, only the 700 Hz part repeats.
        for k in 1..5 {
            let seg = &buf[160 * k..160 * (k + 1)];
            assert!(
                level(seg, 700.0) > 6000.0 && level(seg, 500.0) < 1500.0,
                "{k}"
            );
        }
        let mut p = TonePlayer::parse("!950/10,!1400/10");
        let mut buf = vec![1i16; 400];
        assert_eq!(p.fill(&mut buf), 160);
        assert!(p.is_finished());
        assert_eq!(buf[200], 1);
        assert_eq!(TonePlayer::parse("").fill(&mut buf), 0);
    }

    #[test]
    fn dual_and_modulated() {
        let mut buf = vec![0i16; 1600];
        TonePlayer::parse("350+440").fill(&mut buf);
        assert!(level(&buf, 350.0) > 6500.0 && level(&buf, 440.0) > 6500.0);
        assert!(level(&buf, 1000.0) < 500.0);
        TonePlayer::new(parse_tone_list("1000*100"), Some(10000.0)).fill(&mut buf);
        // AM: carrier plus sidebands at 900 and 1100 Hz.
        assert!(level(&buf, 1000.0) > 4000.0);
        assert!(level(&buf, 900.0) > 1500.0 && level(&buf, 1100.0) > 1500.0);
        assert!(buf.iter().all(|&s| (s as i32).abs() <= 10000));
    }
}
