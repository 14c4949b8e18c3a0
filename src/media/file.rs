//! Recordings written crash-safely (Record, MixMonitor, voicemail messages). Asterisk writes
//! straight to the final name, so a crash leaves a truncated file where a message is expected;
//! zvezda writes to a hidden temporary name in the same folder (`.<name>.tmp-<pid>-<n>`) and
//! [`RecordingWriter::finish`] flushes, patches the WAV header, fsyncs the file, renames it to
//! the final name and fsyncs the folder. A writer dropped without `finish` (hang-up before
//! the end, an error) removes its temporary file; after a kill -9 only a hidden temporary
//! file can be left, never a half-written file under the final name.
//!
//! The format comes from the extension, as Record(`name.format`) gives it: `wav` (8 kHz mono
//! 16-bit PCM), `ulaw`/`ul`/`pcm`, `alaw`/`al`, `sln`/`raw`. Record's `a` option (append) is
//! [`RecordingWriter::append`]: the old audio is copied into the new file first, so the old
//! recording stays whole until the new one is complete.
//!
//! [`mix_into`] / [`mix`] sum two signed-linear streams with saturation (MixMonitor's both
//! directions into one file).

use super::g711;
use super::sound::{self, Format};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

const WAV_HEADER: usize = 44;

fn wav_header(data_bytes: u32) -> [u8; WAV_HEADER] {
    let mut h = [0u8; WAV_HEADER];
    h[0..4].copy_from_slice(b"RIFF");
    h[4..8].copy_from_slice(&(36u32.wrapping_add(data_bytes)).to_le_bytes());
    h[8..12].copy_from_slice(b"WAVE");
    h[12..16].copy_from_slice(b"fmt ");
    h[16..20].copy_from_slice(&16u32.to_le_bytes());
    h[20..22].copy_from_slice(&1u16.to_le_bytes()); // PCM
    h[22..24].copy_from_slice(&1u16.to_le_bytes()); // mono
    h[24..28].copy_from_slice(&8000u32.to_le_bytes());
    h[28..32].copy_from_slice(&16000u32.to_le_bytes()); // byte rate
    h[32..34].copy_from_slice(&2u16.to_le_bytes()); // block align
    h[34..36].copy_from_slice(&16u16.to_le_bytes());
    h[36..40].copy_from_slice(b"data");
    h[40..44].copy_from_slice(&data_bytes.to_le_bytes());
    h
}

/// A recording being written under a temporary name.
#[derive(Debug)]
pub struct RecordingWriter {
    final_path: PathBuf,
    tmp_path: PathBuf,
    file: Option<BufWriter<File>>,
    format: Format,
    data_bytes: u64,
    scratch: Vec<u8>,
}

impl RecordingWriter {
    /// Start a new recording that will be `path` (replacing any file there on `finish`).
    pub fn create(path: &Path) -> io::Result<Self> {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        let format = Format::from_extension(ext)
            .filter(|f| *f != Format::Slin16)
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("cannot record in format '{ext}'"),
                )
            })?;
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = path
            .file_name()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?
            .to_string_lossy();
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp_path = dir.join(format!(".{name}.tmp-{}-{n}", std::process::id()));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp_path)?;
        let mut w = RecordingWriter {
            final_path: path.to_path_buf(),
            tmp_path,
            file: Some(BufWriter::new(file)),
            format,
            data_bytes: 0,
            scratch: Vec::new(),
        };
        if format == Format::Wav {
            w.out().write_all(&wav_header(0))?;
        }
        Ok(w)
    }

    /// Continue the recording at `path` (Record's `a`): its audio is copied first. A missing
    /// file starts empty.
    pub fn append(path: &Path) -> io::Result<Self> {
        let mut w = Self::create(path)?;
        if path.is_file() {
            if w.format == Format::Wav {
                let old = sound::load_path(path)?;
                w.write(&old)?;
            } else {
                let old = fs::read(path)?;
                let whole = old.len() - old.len() % if w.format == Format::Slin { 2 } else { 1 };
                w.out().write_all(&old[..whole])?;
                w.data_bytes += whole as u64;
            }
        }
        Ok(w)
    }

    fn out(&mut self) -> &mut BufWriter<File> {
        self.file.as_mut().expect("writer used after finish")
    }

    pub fn format(&self) -> Format {
        self.format
    }

    /// The temporary file being written.
    pub fn tmp_path(&self) -> &Path {
        &self.tmp_path
    }

    pub fn final_path(&self) -> &Path {
        &self.final_path
    }

    /// Samples written so far (including appended ones).
    pub fn samples(&self) -> u64 {
        match self.format {
            Format::Wav | Format::Slin | Format::Slin16 => self.data_bytes / 2,
            Format::Ulaw | Format::Alaw => self.data_bytes,
        }
    }

    /// Append 8 kHz samples.
    pub fn write(&mut self, samples: &[i16]) -> io::Result<()> {
        let mut buf = std::mem::take(&mut self.scratch);
        buf.clear();
        match self.format {
            Format::Wav | Format::Slin | Format::Slin16 => {
                buf.extend(samples.iter().flat_map(|s| s.to_le_bytes()))
            }
            Format::Ulaw => buf.extend(samples.iter().map(|&s| g711::linear_to_ulaw(s))),
            Format::Alaw => buf.extend(samples.iter().map(|&s| g711::linear_to_alaw(s))),
        }
        let r = self.out().write_all(&buf);
        self.data_bytes += buf.len() as u64;
        self.scratch = buf;
        r
    }

    /// Complete the recording: flush, fix the WAV header, fsync, rename to the final name,
    /// fsync the folder. Returns the final path.
    pub fn finish(mut self) -> io::Result<PathBuf> {
        let mut w = self.file.take().expect("finish called once");
        w.flush()?;
        let mut f = w.into_inner().map_err(|e| e.into_error())?;
        if self.format == Format::Wav {
            let len = u32::try_from(self.data_bytes).unwrap_or(u32::MAX - 36);
            f.seek(SeekFrom::Start(0))?;
            f.write_all(&wav_header(len))?;
        }
        f.sync_all()?;
        drop(f);
        if let Err(e) = fs::rename(&self.tmp_path, &self.final_path) {
            let _ = fs::remove_file(&self.tmp_path);
            return Err(e);
        }
        // The temporary file is gone; nothing for Drop to remove.
        self.tmp_path = PathBuf::new();
        let dir = self
            .final_path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        File::open(dir)?.sync_all()?;
        Ok(self.final_path.clone())
    }
}

impl Drop for RecordingWriter {
    fn drop(&mut self) {
        if !self.tmp_path.as_os_str().is_empty() {
            self.file = None;
            let _ = fs::remove_file(&self.tmp_path);
        }
    }
}

/// Add `src` into `dst` sample by sample with saturation (over the shorter length).
pub fn mix_into(dst: &mut [i16], src: &[i16]) {
    for (d, &s) in dst.iter_mut().zip(src) {
        *d = d.saturating_add(s);
    }
}

/// The saturated sum of two streams; the shorter one is padded with silence.
pub fn mix(a: &[i16], b: &[i16]) -> Vec<i16> {
    let (long, short) = if a.len() >= b.len() { (a, b) } else { (b, a) };
    let mut out = long.to_vec();
    mix_into(&mut out, short);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hidden_files(dir: &Path) -> Vec<String> {
        fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with('.'))
            .collect()
    }

    #[test]
    fn wav_written_only_on_finish() {
        let t = tempfile::tempdir().unwrap();
        let path = t.path().join("msg0000.wav");
        let pcm: Vec<i16> = (0..1600)
            .map(|i| ((i * 37) % 20000 - 10000) as i16)
            .collect();
        let mut w = RecordingWriter::create(&path).unwrap();
        w.write(&pcm[..800]).unwrap();
        w.write(&pcm[800..]).unwrap();
        assert!(!path.exists());
        assert!(w.tmp_path().exists());
        assert!(w
            .tmp_path()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with(".msg0000.wav.tmp-"));
        assert_eq!(w.samples(), 1600);
        assert_eq!(w.finish().unwrap(), path);
        assert!(hidden_files(t.path()).is_empty());
        // hound reads it back as 8 kHz mono 16-bit with the same samples.
        let r = hound::WavReader::open(&path).unwrap();
        let spec = r.spec();
        assert_eq!(
            (spec.sample_rate, spec.channels, spec.bits_per_sample),
            (8000, 1, 16)
        );
        assert_eq!(
            r.into_samples::<i16>()
                .map(|s| s.unwrap())
                .collect::<Vec<_>>(),
            pcm
        );
        assert_eq!(fs::metadata(&path).unwrap().len(), 44 + 3200);
    }

    #[test]
    fn drop_leaves_nothing_and_keeps_old_file() {
        let t = tempfile::tempdir().unwrap();
        let path = t.path().join("rec.ulaw");
        fs::write(&path, b"old").unwrap();
        {
            let mut w = RecordingWriter::create(&path).unwrap();
            w.write(&[1000; 160]).unwrap();
        }
        assert_eq!(fs::read(&path).unwrap(), b"old");
        assert!(hidden_files(t.path()).is_empty());
        // A writer that is "killed" (leaked, never dropped) leaves only its hidden file.
        let w = RecordingWriter::create(&t.path().join("new.wav")).unwrap();
        let tmp = w.tmp_path().to_path_buf();
        std::mem::forget(w);
        assert!(tmp.exists() && !t.path().join("new.wav").exists());
    }

    #[test]
    fn raw_formats_and_append() {
        let t = tempfile::tempdir().unwrap();
        let pcm: Vec<i16> = (0..320).map(|i| (i * 50 - 8000) as i16).collect();
        for ext in ["ulaw", "alaw", "sln", "wav"] {
            let path = t.path().join(format!("r.{ext}"));
            let mut w = RecordingWriter::create(&path).unwrap();
            w.write(&pcm[..160]).unwrap();
            w.finish().unwrap();
            let mut w = RecordingWriter::append(&path).unwrap();
            assert_eq!(w.samples(), 160, "{ext}");
            w.write(&pcm[160..]).unwrap();
            w.finish().unwrap();
            let back = sound::load_path(&path).unwrap();
            assert_eq!(back.len(), 320, "{ext}");
            let tol = if ext == "sln" || ext == "wav" { 0 } else { 300 };
            assert!(
                back.iter()
                    .zip(&pcm)
                    .all(|(a, b)| (*a as i32 - *b as i32).abs() <= tol),
                "{ext}"
            );
        }
        assert_eq!(fs::metadata(t.path().join("r.ulaw")).unwrap().len(), 320);
        assert!(RecordingWriter::create(&t.path().join("x.gsm")).is_err());
        // Appending to a file that does not exist starts empty.
        let w = RecordingWriter::append(&t.path().join("fresh.sln")).unwrap();
        assert_eq!(w.samples(), 0);
    }

    #[test]
    fn mixing_saturates() {
        let mut a = vec![30000i16, -30000, 100, 5];
        mix_into(&mut a, &[10000, -10000, -50]);
        assert_eq!(a, vec![32767, -32768, 50, 5]);
        assert_eq!(mix(&[1, 2], &[10, 20, 30]), vec![11, 22, 30]);
        assert_eq!(mix(&[], &[]), Vec::<i16>::new());
    }
}
