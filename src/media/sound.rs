//! Finding and loading sound files as Asterisk's main/file.c does (`ast_fileexists`,
//! `ast_streamfile`):
//!
//! * A name is given without extension. An absolute name (`/usr/share/asterisk/sounds/x`) is
//!   used as it is; a relative one is looked up under `<astdatadir>/sounds/`.
//! * Languages are tried in this order: the channel's language, the same with its `_dialect`
//!   suffixes removed one by one (`ru_RU` then `ru`), no language, and finally the default
//!   language (`en`) unless already tried.
//! * With `languageprefix=yes` (asterisk.conf, the default) a language goes in front of a
//!   relative name (`ru/digits/1`); with `no`, and always for absolute names, it goes before
//!   the last path component (`digits/ru/1`, `/x/ru/voicemenu`).
//! * The formats zvezda plays are tried in preference order: `wav` (16-bit PCM, any rate or
//!   channel count: downmixed and resampled to 8 kHz), `ulaw`/`ul`/`pcm`, `alaw`/`al`,
//!   `sln`/`raw` (8 kHz), `sln16` (16 kHz). A file found only as `gsm`, `WAV` (wav49), `g722`
//!   or `g729` is reported as unsupported rather than missing.
//!
//! zvezda's additions: Debian's asterisk-core-sounds packages install the prompts as
//! `sounds/en_US_f_Allison/` and `sounds/ru_RU_f_IvrvoiceRU/` with no `en`/`ru` link, so a
//! language folder that does not exist is mapped to those ([`DEBIAN_FOLDERS`]). And zvezda
//! ships its own prompts (`sounds/en`, `sounds/ru` in the repository): that folder is tried
//! after the data directory for every language step, so a fresh install speaks. The folder is
//! found by [`bundled_sounds_dir`]: `sounds/` next to the executable, then
//! `../share/zvezda/sounds` from it, then the source tree the binary was built from
//! (`CARGO_MANIFEST_DIR/sounds`).

use super::g711;
use std::io;
use std::path::{Path, PathBuf};

/// Language folder → the folder Debian's sound packages install it as.
pub const DEBIAN_FOLDERS: &[(&str, &str)] =
    &[("en", "en_US_f_Allison"), ("ru", "ru_RU_f_IvrvoiceRU")];

/// A format zvezda can play.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Wav,
    Ulaw,
    Alaw,
    /// Signed linear 16-bit little-endian, 8 kHz.
    Slin,
    /// Signed linear 16-bit little-endian, 16 kHz.
    Slin16,
}

/// File extensions in preference order.
pub const EXTENSIONS: &[(&str, Format)] = &[
    ("wav", Format::Wav),
    ("ulaw", Format::Ulaw),
    ("ul", Format::Ulaw),
    ("pcm", Format::Ulaw),
    ("alaw", Format::Alaw),
    ("al", Format::Alaw),
    ("sln", Format::Slin),
    ("raw", Format::Slin),
    ("sln16", Format::Slin16),
];

/// Formats Asterisk may have that zvezda does not decode.
pub const UNSUPPORTED: &[&str] = &["gsm", "WAV", "g722", "g729", "siren7", "siren14"];

impl Format {
    /// The format of a file extension (as written by Record/MixMonitor too).
    pub fn from_extension(ext: &str) -> Option<Format> {
        let e = ext.to_ascii_lowercase();
        if ext == "WAV" {
            return None; // wav49 (GSM in WAV)
        }
        EXTENSIONS.iter().find(|(x, _)| *x == e).map(|(_, f)| *f)
    }
}

/// A file found for a sound name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SoundFile {
    pub path: PathBuf,
    pub format: Format,
}

#[derive(Debug, PartialEq, Eq)]
pub enum FindError {
    NotFound,
    /// Only a format zvezda cannot play exists (the first such file).
    Unsupported(PathBuf),
}

/// Where sounds are looked for.
#[derive(Clone, Debug)]
pub struct SoundPaths {
    /// asterisk.conf `astdatadir` (`/var/lib/asterisk`); sounds are in its `sounds/`.
    pub data_dir: PathBuf,
    /// asterisk.conf `languageprefix` (default yes).
    pub language_prefix: bool,
    /// The last language tried (main/file.c's DEFAULT_LANGUAGE, `en`).
    pub default_language: String,
    /// zvezda's own prompts, tried after the data directory.
    pub bundled: Option<PathBuf>,
}

/// zvezda's bundled `sounds/` folder: next to the executable, in `../share/zvezda/sounds`
/// from it, or in the source tree the binary was built from.
pub fn bundled_sounds_dir() -> Option<PathBuf> {
    let mut candidates = Vec::new();
    if let Ok(exe) = std::env::current_exe() {
        if let Some(dir) = exe.parent() {
            candidates.push(dir.join("sounds"));
            candidates.push(dir.join("../share/zvezda/sounds"));
        }
    }
    candidates.push(PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/sounds"
    )));
    candidates
        .into_iter()
        .find(|d| d.join("en").is_dir() || d.join("ru").is_dir())
}

impl SoundPaths {
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        SoundPaths {
            data_dir: data_dir.into(),
            language_prefix: true,
            default_language: "en".to_string(),
            bundled: None,
        }
    }

    /// From asterisk.conf (`astdatadir`, `languageprefix`), with the bundled folder found by
    /// [`bundled_sounds_dir`].
    pub fn from_asterisk(conf: &crate::config::asterisk::AsteriskConf) -> Self {
        let mut p = SoundPaths::new(conf.dir("astdatadir").unwrap_or("/var/lib/asterisk"));
        p.language_prefix = conf
            .languageprefix
            .as_ref()
            .map(|v| v.value)
            .unwrap_or(true);
        p.bundled = bundled_sounds_dir();
        p
    }

    pub fn sounds_dir(&self) -> PathBuf {
        self.data_dir.join("sounds")
    }

    /// The languages to try for `preflang`, in order (None = no language).
    fn languages(&self, preflang: &str) -> Vec<Option<String>> {
        let mut out = Vec::new();
        let mut lang = preflang.to_string();
        while !lang.is_empty() {
            out.push(Some(lang.clone()));
            match lang.rfind('_') {
                Some(i) => lang.truncate(i),
                None => break,
            }
        }
        out.push(None);
        let d = &self.default_language;
        if !d.is_empty() && preflang != d && lang != *d {
            out.push(Some(d.clone()));
        }
        out
    }

    /// The language folder under `root`: `lang` itself, or Debian's folder for it when only
    /// that exists.
    fn lang_folder(root: &Path, lang: &str) -> PathBuf {
        let direct = root.join(lang);
        if !direct.is_dir() {
            if let Some((_, deb)) = DEBIAN_FOLDERS.iter().find(|(l, _)| *l == lang) {
                let d = root.join(deb);
                if d.is_dir() {
                    return d;
                }
            }
        }
        direct
    }

    /// Insert `lang` before the last component of `name` (the old layout).
    fn old_layout(base: &Path, name: &str, lang: &str) -> PathBuf {
        match name.rfind('/') {
            Some(i) => base.join(format!("{}/{}/{}", &name[..i], lang, &name[i + 1..])),
            None => base.join(lang).join(name),
        }
    }

    /// Candidate paths (without extension), in order.
    pub fn candidates(&self, name: &str, preflang: &str) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let absolute = name.starts_with('/');
        let mut roots = vec![self.sounds_dir()];
        if let Some(b) = &self.bundled {
            roots.push(b.clone());
        }
        for lang in self.languages(preflang) {
            if absolute {
                out.push(match &lang {
                    Some(l) => Self::old_layout(Path::new("/"), name, l),
                    None => PathBuf::from(name),
                });
                continue;
            }
            for root in &roots {
                out.push(match &lang {
                    None => root.join(name),
                    Some(l) if self.language_prefix => Self::lang_folder(root, l).join(name),
                    Some(l) => Self::old_layout(root, name, l),
                });
            }
        }
        out.dedup();
        out
    }

    /// The file Asterisk would play for `name` in language `preflang`.
    pub fn find(&self, name: &str, preflang: &str) -> Result<SoundFile, FindError> {
        let mut unsupported = None;
        for base in self.candidates(name, preflang) {
            for (ext, format) in EXTENSIONS {
                let p = with_ext(&base, ext);
                if p.is_file() {
                    return Ok(SoundFile {
                        path: p,
                        format: *format,
                    });
                }
            }
            if unsupported.is_none() {
                unsupported = UNSUPPORTED
                    .iter()
                    .map(|e| with_ext(&base, e))
                    .find(|p| p.is_file());
            }
        }
        Err(unsupported
            .map(FindError::Unsupported)
            .unwrap_or(FindError::NotFound))
    }

    /// The files for a list of names (a Say* list, `Playback(a&b)`), skipping the missing
    /// ones as say.c and Playback do; the names not found come back separately.
    pub fn find_all<S: AsRef<str>>(
        &self,
        names: &[S],
        preflang: &str,
    ) -> (Vec<SoundFile>, Vec<String>) {
        let mut found = Vec::new();
        let mut missing = Vec::new();
        for n in names {
            match self.find(n.as_ref(), preflang) {
                Ok(f) => found.push(f),
                Err(_) => missing.push(n.as_ref().to_string()),
            }
        }
        (found, missing)
    }

    /// `ast_fileexists` for the formats zvezda plays.
    pub fn exists(&self, name: &str, preflang: &str) -> bool {
        self.find(name, preflang).is_ok()
    }
}

fn with_ext(base: &Path, ext: &str) -> PathBuf {
    let mut s = base.as_os_str().to_owned();
    s.push(".");
    s.push(ext);
    PathBuf::from(s)
}

fn invalid(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

/// Load a found file as 8 kHz mono samples.
pub fn load(file: &SoundFile) -> io::Result<Vec<i16>> {
    load_as(&file.path, file.format)
}

/// Load a file by its extension.
pub fn load_path(path: &Path) -> io::Result<Vec<i16>> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let f = Format::from_extension(ext)
        .ok_or_else(|| invalid(format!("unsupported sound format '{ext}'")))?;
    load_as(path, f)
}

fn load_as(path: &Path, format: Format) -> io::Result<Vec<i16>> {
    if format == Format::Wav {
        return decode_wav(io::BufReader::new(std::fs::File::open(path)?));
    }
    decode_raw(&std::fs::read(path)?, format)
}

/// Decode headerless audio (`ulaw`, `alaw`, `sln`, `sln16`) to 8 kHz samples.
pub fn decode_raw(bytes: &[u8], format: Format) -> io::Result<Vec<i16>> {
    Ok(match format {
        Format::Ulaw => bytes.iter().map(|&b| g711::ulaw_to_linear(b)).collect(),
        Format::Alaw => bytes.iter().map(|&b| g711::alaw_to_linear(b)).collect(),
        Format::Slin | Format::Slin16 => {
            let s: Vec<i16> = bytes
                .chunks_exact(2)
                .map(|c| i16::from_le_bytes([c[0], c[1]]))
                .collect();
            if format == Format::Slin16 {
                resample_to_8k(&s, 16000)
            } else {
                s
            }
        }
        Format::Wav => return decode_wav(bytes),
    })
}

/// Decode a PCM WAV (8/16/24/32-bit integer or 32-bit float, any rate and channel count)
/// to 8 kHz mono.
pub fn decode_wav(r: impl io::Read) -> io::Result<Vec<i16>> {
    let mut reader = hound::WavReader::new(r).map_err(|e| invalid(format!("WAV: {e}")))?;
    let spec = reader.spec();
    let to16: Vec<i16> = match (spec.sample_format, spec.bits_per_sample) {
        (hound::SampleFormat::Int, 16) => reader
            .samples::<i16>()
            .collect::<Result<_, _>>()
            .map_err(|e| invalid(format!("WAV: {e}")))?,
        (hound::SampleFormat::Int, bits) if bits <= 32 => {
            let shift = bits as i32 - 16;
            reader
                .samples::<i32>()
                .map(|s| {
                    s.map(|v| {
                        if shift >= 0 {
                            (v >> shift) as i16
                        } else {
                            (v << -shift) as i16
                        }
                    })
                })
                .collect::<Result<_, _>>()
                .map_err(|e| invalid(format!("WAV: {e}")))?
        }
        (hound::SampleFormat::Float, 32) => reader
            .samples::<f32>()
            .map(|s| s.map(|v| (v * 32767.0).round().clamp(-32768.0, 32767.0) as i16))
            .collect::<Result<_, _>>()
            .map_err(|e| invalid(format!("WAV: {e}")))?,
        _ => return Err(invalid("WAV: unsupported sample format")),
    };
    let mono = downmix(&to16, spec.channels as usize);
    Ok(resample_to_8k(&mono, spec.sample_rate))
}

/// Average interleaved channels into one.
pub fn downmix(samples: &[i16], channels: usize) -> Vec<i16> {
    if channels <= 1 {
        return samples.to_vec();
    }
    samples
        .chunks_exact(channels)
        .map(|c| (c.iter().map(|&s| s as i32).sum::<i32>() / channels as i32) as i16)
        .collect()
}

/// Resample to 8 kHz: a moving average over the decimation ratio (a crude low-pass) when
/// going down, then linear interpolation.
pub fn resample_to_8k(samples: &[i16], rate: u32) -> Vec<i16> {
    if rate == 8000 || rate == 0 || samples.is_empty() {
        return samples.to_vec();
    }
    let width = (rate as usize / 8000).max(1);
    let filtered: Vec<i32> = if width > 1 {
        let mut acc: i32 = 0;
        let mut out = Vec::with_capacity(samples.len());
        for (i, &s) in samples.iter().enumerate() {
            acc += s as i32;
            if i >= width {
                acc -= samples[i - width] as i32;
            }
            out.push(acc / (i + 1).min(width) as i32);
        }
        out
    } else {
        samples.iter().map(|&s| s as i32).collect()
    };
    let step = rate as f64 / 8000.0;
    let n_out = ((samples.len() as f64) / step).floor() as usize;
    (0..n_out)
        .map(|k| {
            let pos = k as f64 * step;
            let i = pos as usize;
            let frac = pos - i as f64;
            let a = filtered[i] as f64;
            let b = *filtered.get(i + 1).unwrap_or(&filtered[i]) as f64;
            (a + (b - a) * frac).round() as i16
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn touch(p: &Path) {
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, [0xFFu8; 16]).unwrap();
    }

    fn wav(path: &Path, rate: u32, channels: u16, samples: &[i16]) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        let spec = hound::WavSpec {
            channels,
            sample_rate: rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(path, spec).unwrap();
        for &s in samples {
            w.write_sample(s).unwrap();
        }
        w.finalize().unwrap();
    }

    #[test]
    fn language_order_and_formats() {
        let t = tempfile::tempdir().unwrap();
        let s = t.path().join("sounds");
        touch(&s.join("ru/vm-login.ulaw"));
        touch(&s.join("ru/vm-login.gsm"));
        touch(&s.join("en/vm-login.wav"));
        touch(&s.join("en/only-en.alaw"));
        touch(&s.join("nolang.sln"));
        touch(&s.join("en/digits/1.gsm"));
        let p = SoundPaths::new(t.path());
        let f = p.find("vm-login", "ru_RU").unwrap();
        assert_eq!(
            (f.path, f.format),
            (s.join("ru/vm-login.ulaw"), Format::Ulaw)
        );
        assert_eq!(
            p.find("vm-login", "de").unwrap().path,
            s.join("en/vm-login.wav")
        );
        assert_eq!(p.find("only-en", "ru").unwrap().format, Format::Alaw);
        assert_eq!(p.find("nolang", "ru").unwrap().path, s.join("nolang.sln"));
        assert_eq!(
            p.find("digits/1", "en"),
            Err(FindError::Unsupported(s.join("en/digits/1.gsm")))
        );
        assert_eq!(p.find("missing", "en"), Err(FindError::NotFound));
        assert_eq!(
            p.languages("ru_RU_x"),
            vec![
                Some("ru_RU_x".to_string()),
                Some("ru_RU".to_string()),
                Some("ru".to_string()),
                None,
                Some("en".to_string())
            ]
        );
        assert_eq!(p.languages("en"), vec![Some("en".to_string()), None]);
    }

    #[test]
    fn absolute_paths_and_old_layout() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("custom");
        touch(&d.join("voicemenu.wav"));
        touch(&d.join("ru/greeting.wav"));
        touch(&t.path().join("sounds/digits/ru/5.ulaw"));
        let mut p = SoundPaths::new(t.path());
        let abs = format!("{}/voicemenu", d.display());
        assert_eq!(p.find(&abs, "ru").unwrap().path, d.join("voicemenu.wav"));
        // The language goes before the last component of an absolute name.
        let abs = format!("{}/greeting", d.display());
        assert_eq!(p.find(&abs, "ru").unwrap().path, d.join("ru/greeting.wav"));
        assert!(p.find(&abs, "en").is_err());
        p.language_prefix = false;
        assert_eq!(
            p.find("digits/5", "ru").unwrap().path,
            t.path().join("sounds/digits/ru/5.ulaw")
        );
    }

    #[test]
    fn debian_folders_and_bundled_fallback() {
        let t = tempfile::tempdir().unwrap();
        let s = t.path().join("sounds");
        touch(&s.join("ru_RU_f_IvrvoiceRU/digits/1.ulaw"));
        touch(&s.join("en_US_f_Allison/beep.wav"));
        let b = t.path().join("bundled");
        touch(&b.join("ru/digits/1.wav"));
        touch(&b.join("ru/conf-onlyperson.wav"));
        touch(&b.join("en/conf-onlyperson.wav"));
        let mut p = SoundPaths::new(t.path());
        p.bundled = Some(b.clone());
        // Debian's folder is used for ru and wins over the bundled prompts.
        assert_eq!(
            p.find("digits/1", "ru").unwrap().path,
            s.join("ru_RU_f_IvrvoiceRU/digits/1.ulaw")
        );
        assert_eq!(
            p.find("beep", "ru").unwrap().path,
            s.join("en_US_f_Allison/beep.wav")
        );
        // Missing in the data dir: the bundled Russian prompt, not an English one.
        assert_eq!(
            p.find("conf-onlyperson", "ru").unwrap().path,
            b.join("ru/conf-onlyperson.wav")
        );
        // A real ru folder disables the mapping.
        touch(&s.join("ru/other.wav"));
        assert_eq!(
            p.find("digits/1", "ru").unwrap().path,
            b.join("ru/digits/1.wav")
        );
    }

    #[test]
    fn bundled_prompts_cover_say_and_apps() {
        let bundled = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/sounds"));
        let mut p = SoundPaths::new("/nonexistent-zvezda-data");
        p.bundled = Some(bundled.clone());
        assert!(bundled_sounds_dir().is_some());
        for lang in ["en", "ru"] {
            let mut names = crate::media::say::all_number_files(lang);
            names.extend(crate::media::say::say_digits("*#"));
            names.extend(
                [
                    "vm-login",
                    "vm-password",
                    "vm-goodbye",
                    "conf-onlyperson",
                    "pbx-invalid",
                    "queue-thankyou",
                    "followme/call-from",
                ]
                .map(String::from),
            );
            for n in [0, 1, 2, 5] {
                names.push(crate::media::say::counted_noun(n, "vm-message", lang));
            }
            if lang == "en" {
                names.extend(('a'..='z').map(|c| format!("letters/{c}")));
            }
            for name in &names {
                let f = p
                    .find(name, lang)
                    .unwrap_or_else(|e| panic!("{lang} {name}: {e:?}"));
                assert!(
                    f.path.starts_with(bundled.join(lang)),
                    "{lang} {name}: {:?}",
                    f.path
                );
                let audio = load(&f).unwrap();
                let peak = audio.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0);
                assert!(
                    audio.len() > 800 && peak > 3000,
                    "{lang} {name}: {} samples, peak {peak}",
                    audio.len()
                );
            }
            let say = crate::media::say::say_number(2001, lang, None);
            let (found, missing) = p.find_all(&say, lang);
            assert_eq!((found.len(), missing.len()), (say.len(), 0));
            let (_, missing) = p.find_all(&["digits/1", "no-such-prompt"], lang);
            assert_eq!(missing, ["no-such-prompt"]);
            // Language-free files sit at the top of the bundled folder.
            assert_eq!(p.find("beep", lang).unwrap().path, bundled.join("beep.wav"));
            assert_eq!(
                load(&p.find("silence/2", lang).unwrap()).unwrap().len(),
                16000
            );
        }
    }

    #[test]
    fn load_formats() {
        let t = tempfile::tempdir().unwrap();
        let pcm: Vec<i16> = (0..800).map(|i| ((i % 50) * 300 - 7500) as i16).collect();
        wav(&t.path().join("a.wav"), 8000, 1, &pcm);
        assert_eq!(load_path(&t.path().join("a.wav")).unwrap(), pcm);
        // Stereo 16 kHz: left = x, right = -x/2 → mono at 8 kHz, half the length.
        let st: Vec<i16> = (0..1600)
            .flat_map(|i| {
                let x = (i % 40) as i16 * 100;
                [x, -x / 2]
            })
            .collect();
        wav(&t.path().join("b.wav"), 16000, 2, &st);
        let m = load_path(&t.path().join("b.wav")).unwrap();
        assert_eq!(m.len(), 800);
        let mean: f64 = m.iter().map(|&v| v as f64).sum::<f64>() / m.len() as f64;
        // Mean of x/4 over a 0..3900 ramp: about 487.
        assert!((mean - 487.5).abs() < 30.0, "{mean}");
        // A 1 kHz sine at 16 kHz keeps its level after resampling.
        let sine: Vec<i16> = (0..16000)
            .map(|n| {
                (10000.0 * (2.0 * std::f64::consts::PI * 1000.0 * n as f64 / 16000.0).sin()) as i16
            })
            .collect();
        let r = resample_to_8k(&sine, 16000);
        let peak = r.iter().map(|v| v.unsigned_abs()).max().unwrap();
        assert!((8000..=10000).contains(&peak), "{peak}");
        let enc: Vec<u8> = pcm.iter().map(|&s| g711::linear_to_ulaw(s)).collect();
        fs::write(t.path().join("c.ulaw"), &enc).unwrap();
        let dec = load_path(&t.path().join("c.ulaw")).unwrap();
        assert_eq!(dec.len(), pcm.len());
        assert!(dec
            .iter()
            .zip(&pcm)
            .all(|(a, b)| (*a as i32 - *b as i32).abs() < 300));
        let bytes: Vec<u8> = pcm.iter().flat_map(|s| s.to_le_bytes()).collect();
        fs::write(t.path().join("d.sln"), &bytes).unwrap();
        assert_eq!(load_path(&t.path().join("d.sln")).unwrap(), pcm);
        fs::write(t.path().join("e.sln16"), &bytes).unwrap();
        assert_eq!(load_path(&t.path().join("e.sln16")).unwrap().len(), 400);
        assert!(load_path(&t.path().join("x.gsm")).is_err());
        fs::write(t.path().join("bad.wav"), b"RIFFnonsense").unwrap();
        assert!(load_path(&t.path().join("bad.wav")).is_err());
    }
}
