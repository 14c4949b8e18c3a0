//! Music on hold (Asterisk's res/res_musiconhold.c): the classes of musiconhold.conf, the
//! files of a `mode=files` class, and [`MohPlayer`], the channel generator that loops over them.
//!
//! As Asterisk does:
//! * A class needs `mode=`; `files` classes need `directory=` (relative to asterisk.conf's
//!   `astdatadir`, or absolute). The directory is scanned when the classes are loaded (and on
//!   `moh reload` / `core reload`): files starting with a dot or without an extension of two
//!   characters or more are skipped, a name present in several formats is listed once (the
//!   path without extension). `sort=alpha` sorts the list (case-insensitively), `sort=random`
//!   (or the old `random=yes`) plays a random file each time, `sort=randstart` sorts and starts
//!   at a random file; otherwise the directory's order is kept. `loop_last=yes` repeats the
//!   last file. `answeredonly=yes` ignores requests on channels not answered yet.
//! * A `files` class whose directory has no files is not registered (`Files not found in ...`),
//!   so starting it says `Music on Hold class '...' not found in memory`.
//! * The class used by [`start`]: the one asked for, the channel's `CHANNEL(musicclass)`, then
//!   `default`, the first that exists (with `preferchannelclass=yes`, the default, the channel's
//!   class goes first).
//! * Per channel, stopping and starting the same class again resumes the file where it was
//!   (Asterisk's saved position), unless the class's file count changed.
//!
//! zvezda's differences:
//! * Only the formats zvezda plays are listed (see `media::sound`); a class whose files are
//!   all in other formats (gsm, mp3...) counts as having none, and a warning names them.
//! * `mode=custom`, `mp3`, `quietmp3`, `mp3nb`, `quietmp3nb`, `httpmp3` need an external player
//!   zvezda does not run: the class is not registered, with a warning. `playlist` classes play
//!   their `entry =>` files (absolute paths; URLs are skipped).
//! * With no musiconhold.conf Asterisk disables music on hold; zvezda registers Asterisk's
//!   sample class `default` (`mode=files`, `directory=moh`).
//! * When the `default` class has no playable files, zvezda plays its own bundled track
//!   (`sounds/moh/` next to the prompts, see `tools/gen-sounds`) instead of dropping the class.

use crate::channel::playback::Generator;
use crate::channel::Channel;
use crate::config::musiconhold::MusicOnHoldConf;
use crate::config::ConfigSet;
use crate::media::sound::{self, Format, EXTENSIONS};
use crate::pbx::Pbx;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};

const MODULE: &str = "res_musiconhold.c";

/// Asterisk warns about `random=` once per run.
static RANDOM_WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// How a class orders its files (`sort=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sort {
    /// Directory order.
    None,
    Alpha,
    Random,
    RandStart,
}

/// A registered class.
#[derive(Clone, Debug)]
pub struct MohClass {
    pub name: String,
    pub mode: String,
    /// `directory=` as written (`<none>` classes have "nodir", as Asterisk shows them).
    pub directory: String,
    pub sort: Sort,
    pub loop_last: bool,
    pub answered_only: bool,
    pub announcement: Option<String>,
    /// The files: full paths without extension, in playing order.
    pub files: Arc<Vec<PathBuf>>,
}

/// The classes in force.
#[derive(Debug, Default)]
pub struct Registry {
    pub classes: Vec<MohClass>,
    pub prefer_channel_class: bool,
}

impl Registry {
    /// The class called `name` (case-insensitive).
    pub fn class(&self, name: &str) -> Option<&MohClass> {
        self.classes
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }

    /// The classes in the order Asterisk lists them (its hash container's: by bucket of the
    /// case-insensitive djb2 hash of the name over 53 buckets, then in load order).
    pub fn listing(&self) -> Vec<&MohClass> {
        let bucket = |name: &str| {
            let mut h: u32 = 5381;
            for b in name.bytes() {
                h = h.wrapping_mul(33) ^ b.to_ascii_lowercase() as u32;
            }
            (h & i32::MAX as u32) % 53
        };
        let mut v: Vec<&MohClass> = self.classes.iter().collect();
        v.sort_by_key(|c| bucket(&c.name));
        v
    }

    /// Build the classes from musiconhold.conf (None: the file is absent) and scan their
    /// directories. Logs what Asterisk logs while loading.
    pub fn build(conf: Option<&MusicOnHoldConf>, data_dir: &Path) -> Registry {
        let mut reg = Registry {
            classes: Vec::new(),
            prefer_channel_class: true,
        };
        let Some(conf) = conf else {
            // zvezda: Asterisk's sample class when there is no musiconhold.conf.
            if let Some(c) = files_class("default", "files", "moh", Sort::None, data_dir) {
                reg.classes.push(c);
            }
            return reg;
        };
        for v in &conf.general {
            if v.name.eq_ignore_ascii_case("preferchannelclass") {
                reg.prefer_channel_class = crate::config::ast_true(&v.value);
            }
        }
        for c in &conf.classes {
            let name = c.name.value.clone();
            let opt = |key: &str| {
                c.options
                    .iter()
                    .rev()
                    .find(|v| v.name.eq_ignore_ascii_case(key))
                    .map(|v| v.value.clone())
            };
            // Asterisk keeps two flags (random, alpha): randstart sets both, `random=` sets or
            // clears the first, so later lines combine with earlier ones.
            let (mut random, mut alpha) = (false, false);
            for v in &c.options {
                let n = v.name.to_ascii_lowercase();
                if n == "random" {
                    if !RANDOM_WARNED.swap(true, std::sync::atomic::Ordering::Relaxed) {
                        crate::logger::warning(
                            MODULE,
                            "Music on hold 'random' setting is deprecated in 14.  Please use 'sort=random' instead.",
                        );
                    }
                    random = crate::config::ast_true(&v.value);
                } else if n == "sort" {
                    match v.value.to_ascii_lowercase().as_str() {
                        "random" => random = true,
                        "alpha" => alpha = true,
                        "randstart" => (random, alpha) = (true, true),
                        _ => {}
                    }
                }
            }
            let sort = match (random, alpha) {
                (true, true) => Sort::RandStart,
                (true, false) => Sort::Random,
                (false, true) => Sort::Alpha,
                (false, false) => Sort::None,
            };
            let mode = opt("mode").unwrap_or_default();
            let dir = opt("directory").unwrap_or_default();
            let lower = mode.to_ascii_lowercase();
            if dir.is_empty() && lower != "custom" && lower != "playlist" {
                crate::logger::warning(
                    MODULE,
                    &format!("A directory must be specified for class '{name}'!"),
                );
                continue;
            }
            if mode.is_empty() {
                crate::logger::warning(
                    MODULE,
                    &format!("A mode must be specified for class '{name}'!"),
                );
                continue;
            }
            if lower == "custom" && opt("application").unwrap_or_default().is_empty() {
                crate::logger::warning(
                    MODULE,
                    &format!("An application must be specified for class '{name}'!"),
                );
                continue;
            }
            if reg.class(&name).is_some() {
                crate::logger::warning(
                    MODULE,
                    &format!("Music on Hold class '{name}' already exists"),
                );
                continue;
            }
            let mut class = match lower.as_str() {
                "files" => match files_class(&name, &mode, &dir, sort, data_dir) {
                    Some(c) => c,
                    None => continue,
                },
                "playlist" => {
                    let files: Vec<PathBuf> = c
                        .entries
                        .iter()
                        .filter(|e| e.value.starts_with('/'))
                        .map(|e| PathBuf::from(&e.value))
                        .collect();
                    if files.is_empty() {
                        continue;
                    }
                    MohClass {
                        name: name.clone(),
                        mode: mode.clone(),
                        directory: if dir.is_empty() { "nodir".into() } else { dir },
                        sort,
                        loop_last: false,
                        answered_only: false,
                        announcement: None,
                        files: Arc::new(files),
                    }
                }
                "custom" | "mp3" | "quietmp3" | "mp3nb" | "quietmp3nb" | "httpmp3" => {
                    crate::logger::warning(
                        MODULE,
                        &format!(
                            "Music on hold class '{name}': mode '{mode}' needs an external player, which zvezda does not run; the class is not loaded"
                        ),
                    );
                    continue;
                }
                _ => {
                    crate::logger::warning(
                        MODULE,
                        &format!("Don't know how to do a mode '{mode}' music on hold"),
                    );
                    continue;
                }
            };
            class.loop_last = opt("loop_last")
                .map(|v| crate::config::ast_true(&v))
                .unwrap_or(false);
            class.answered_only = opt("answeredonly")
                .map(|v| crate::config::ast_true(&v))
                .unwrap_or(false);
            class.announcement = opt("announcement").filter(|a| !a.is_empty());
            reg.classes.push(class);
        }
        if reg.classes.is_empty() {
            crate::logger::warning(
                MODULE,
                "No music on hold classes configured, disabling music on hold.",
            );
        }
        reg
    }
}

/// The directory of a class: relative to the data directory, or absolute.
pub fn class_dir(dir: &str, data_dir: &Path) -> PathBuf {
    if dir.starts_with('/') {
        PathBuf::from(dir)
    } else {
        data_dir.join(dir)
    }
}

/// zvezda's bundled music: `moh/` in the bundled sounds folder.
pub fn bundled_moh_dir() -> Option<PathBuf> {
    sound::bundled_sounds_dir()
        .map(|d| d.join("moh"))
        .filter(|d| d.is_dir())
}

/// The playable files of `dir` (paths without extension, each once), in directory order,
/// and the names of files skipped for their format.
pub fn scan_dir(dir: &Path) -> std::io::Result<(Vec<PathBuf>, Vec<String>)> {
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    for e in std::fs::read_dir(dir)? {
        let Ok(e) = e else { continue };
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let Some(dot) = name.rfind('.') else { continue };
        let ext = &name[dot + 1..];
        if ext.len() < 2 {
            continue;
        }
        if Format::from_extension(ext).is_none() {
            skipped.push(name);
            continue;
        }
        let base = dir.join(&name[..dot]);
        if !files.contains(&base) {
            files.push(base);
        }
    }
    // A name skipped in one format but playable in another is not reported.
    skipped.retain(|s| {
        let stem = &s[..s.rfind('.').unwrap_or(s.len())];
        !files
            .iter()
            .any(|f| f.file_name().is_some_and(|n| n == stem))
    });
    Ok((files, skipped))
}

fn files_class(name: &str, mode: &str, dir: &str, sort: Sort, data_dir: &Path) -> Option<MohClass> {
    let path = class_dir(dir, data_dir);
    let (mut files, skipped) = scan_dir(&path).unwrap_or_default();
    if !skipped.is_empty() {
        crate::logger::warning(
            MODULE,
            &format!(
                "Music on hold class '{name}': zvezda cannot play {} in {} (formats it plays: wav, ulaw, alaw, sln, sln16)",
                skipped.join(", "),
                path.display()
            ),
        );
    }
    if files.is_empty() && name.eq_ignore_ascii_case("default") {
        if let Some(b) = bundled_moh_dir() {
            if let Ok((f, _)) = scan_dir(&b) {
                if !f.is_empty() {
                    crate::verb!(
                        3,
                        "Files not found in {} for moh class:{}, using zvezda's bundled music in {}",
                        dir,
                        name,
                        b.display()
                    );
                    files = f;
                    files.sort();
                }
            }
        }
    }
    if files.is_empty() {
        crate::verb!(3, "Files not found in {} for moh class:{}", dir, name);
        return None;
    }
    if matches!(sort, Sort::Alpha | Sort::RandStart) {
        files.sort_by_key(|p| p.to_string_lossy().to_lowercase());
    }
    Some(MohClass {
        name: name.to_string(),
        mode: mode.to_string(),
        directory: dir.to_string(),
        sort,
        loop_last: false,
        answered_only: false,
        announcement: None,
        files: Arc::new(files),
    })
}

type Cache = Option<(Weak<ConfigSet>, Arc<Registry>)>;
static CACHE: Mutex<Cache> = Mutex::new(None);

fn data_dir(cfg: &ConfigSet) -> PathBuf {
    PathBuf::from(
        cfg.asterisk
            .dir("astdatadir")
            .unwrap_or("/var/lib/asterisk"),
    )
}

/// The classes for the PBX's configuration (built on first use and again after a reload).
pub fn registry(pbx: &Pbx) -> Arc<Registry> {
    let cfg = pbx.config.read().unwrap().clone();
    let mut cache = CACHE.lock().unwrap();
    if let Some((w, r)) = cache.as_ref() {
        if w.upgrade().is_some_and(|c| Arc::ptr_eq(&c, &cfg)) {
            return r.clone();
        }
    }
    let r = Arc::new(Registry::build(cfg.musiconhold.as_ref(), &data_dir(&cfg)));
    *cache = Some((Arc::downgrade(&cfg), r.clone()));
    r
}

/// `moh reload`: read musiconhold.conf again and rescan the directories.
pub fn reload(pbx: &Pbx) -> Arc<Registry> {
    let cfg = pbx.config.read().unwrap().clone();
    let opts = crate::config::conf::LoadOptions {
        exec_includes: cfg.asterisk.execincludes,
    };
    let file = crate::config::conf::load(&cfg.dir, "musiconhold.conf", &opts);
    let conf = (!file.missing).then(|| MusicOnHoldConf::from_conf(&file));
    let r = Arc::new(Registry::build(conf.as_ref(), &data_dir(&cfg)));
    *CACHE.lock().unwrap() = Some((Arc::downgrade(&cfg), r.clone()));
    r
}

/// A small random number source (no crate needed for picking a file).
fn random_below(n: usize) -> usize {
    use std::hash::{BuildHasher, Hasher};
    if n == 0 {
        return 0;
    }
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    (h.finish() % n as u64) as usize
}

/// Where a channel is in a class (Asterisk's `moh_files_state`): kept on the channel so that
/// music started again resumes.
#[derive(Clone, Debug, Default)]
pub struct MohState {
    pub class: String,
    /// The class's file count when it started (a change restarts from scratch).
    pub total: usize,
    pub pos: usize,
    /// Samples played of the file at `pos`.
    pub samples: usize,
    /// The file at `pos` when it was opened (None: nothing played yet).
    pub file: Option<PathBuf>,
}

/// The generator playing a class's files to a channel.
#[derive(Debug)]
pub struct MohPlayer {
    class: MohClass,
    state: Arc<Mutex<MohState>>,
    current: Option<Arc<Vec<i16>>>,
    /// The last file loaded, kept so a one-file class does not read it again each loop.
    cached: Option<(PathBuf, Arc<Vec<i16>>)>,
    /// The next open is the first of this start (resume the saved position).
    resume: bool,
    failed: bool,
}

/// Load the file `base` (a path without extension) in the first format zvezda plays.
fn load_base(base: &Path) -> std::io::Result<Vec<i16>> {
    let s = base.to_string_lossy();
    for (ext, _) in EXTENSIONS {
        let p = PathBuf::from(format!("{s}.{ext}"));
        if p.is_file() {
            return sound::load_path(&p);
        }
    }
    // A playlist entry may be written with its extension.
    if base.is_file() {
        return sound::load_path(base);
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::NotFound,
        "No such file or directory",
    ))
}

impl MohPlayer {
    /// Start `class` with the channel's saved state (reset unless it is the same class with
    /// the same number of files).
    pub fn new(class: MohClass, state: Arc<Mutex<MohState>>) -> MohPlayer {
        {
            let mut s = state.lock().unwrap();
            let n = class.files.len();
            if s.total != n || !s.class.eq_ignore_ascii_case(&class.name) {
                *s = MohState {
                    class: class.name.clone(),
                    total: n,
                    ..Default::default()
                };
                if matches!(class.sort, Sort::Random | Sort::RandStart) {
                    s.pos = random_below(n);
                }
            }
        }
        MohPlayer {
            class,
            state,
            current: None,
            cached: None,
            resume: true,
            failed: false,
        }
    }

    /// Open the next file (Asterisk's moh_files_next).
    fn next_file(&mut self) -> bool {
        let files = self.class.files.clone();
        let n = files.len();
        if n == 0 {
            crate::logger::warning(
                MODULE,
                &format!("No files available for class '{}'", self.class.name),
            );
            return false;
        }
        let mut s = self.state.lock().unwrap();
        let resume = std::mem::take(&mut self.resume);
        if s.file.is_none() {
            // First time: play the file at pos (0, or random for random classes).
            s.samples = 0;
        } else if resume && s.pos < n && s.file.as_deref() == Some(files[s.pos].as_path()) {
            // Resume where this channel stopped.
        } else if self.class.sort == Sort::Random {
            s.pos = random_below(n);
            s.samples = 0;
        } else {
            s.pos += 1;
            s.pos = if self.class.loop_last {
                s.pos.min(n - 1)
            } else {
                s.pos % n
            };
            s.samples = 0;
        }
        for _ in 0..n {
            let f = &files[s.pos];
            let loaded = match &self.cached {
                Some((p, samples)) if p == f => Ok(samples.clone()),
                _ => load_base(f).map(Arc::new),
            };
            match loaded {
                Ok(samples) if !samples.is_empty() => {
                    self.cached = Some((f.clone(), samples.clone()));
                    if s.samples >= samples.len() {
                        s.samples = samples.len() - 1;
                    }
                    s.file = Some(f.clone());
                    self.current = Some(samples);
                    return true;
                }
                Ok(_) => {}
                Err(e) => crate::logger::warning(
                    MODULE,
                    &format!("Unable to open file '{}': {}", f.display(), e),
                ),
            }
            s.pos = (s.pos + 1) % n;
            s.samples = 0;
        }
        false
    }
}

impl Generator for MohPlayer {
    fn fill(&mut self, out: &mut [i16]) -> bool {
        if self.failed {
            return false;
        }
        let mut n = 0;
        let mut opened_empty = 0;
        while n < out.len() {
            if self.current.is_none() && !self.next_file() {
                self.failed = true;
                out[n..].fill(0);
                return n > 0;
            }
            let cur = self.current.as_ref().unwrap();
            let mut s = self.state.lock().unwrap();
            let avail = cur.len().saturating_sub(s.samples);
            let take = avail.min(out.len() - n);
            out[n..n + take].copy_from_slice(&cur[s.samples..s.samples + take]);
            s.samples += take;
            n += take;
            if s.samples >= cur.len() {
                drop(s);
                self.current = None;
                if take == 0 {
                    opened_empty += 1;
                    if opened_empty > self.class.files.len() + 1 {
                        self.failed = true;
                        out[n..].fill(0);
                        return n > 0;
                    }
                }
            }
        }
        true
    }
}

/// The channel's music state, created on first use.
fn channel_state(chan: &mut Channel) -> Arc<Mutex<MohState>> {
    chan.music_state
        .get_or_insert_with(|| Arc::new(Mutex::new(MohState::default())))
        .clone()
}

/// `ast_moh_start`: start music on hold on the channel: the class `class`, else the channel's
/// `CHANNEL(musicclass)`, else `default` (the channel's class first with
/// `preferchannelclass=yes`). Sets `chan.generator` and prints Asterisk's `Started music on
/// hold` line. False (with Asterisk's warnings) when no class can be used.
pub fn start(chan: &mut Channel, pbx: &Pbx, class: Option<&str>) -> bool {
    let reg = registry(pbx);
    let mclass = class.filter(|c| !c.is_empty());
    let chanclass = Some(chan.musicclass.as_str()).filter(|c| !c.is_empty());
    let order = if reg.prefer_channel_class {
        [chanclass, mclass, Some("default")]
    } else {
        [mclass, chanclass, Some("default")]
    };
    let mut found = None;
    for name in order.into_iter().flatten() {
        match reg.class(name) {
            Some(c) => {
                found = Some(c.clone());
                break;
            }
            None => crate::logger::warning(
                MODULE,
                &format!(
                    "Music on Hold class '{name}' not found in memory. Verify your configuration."
                ),
            ),
        }
    }
    let Some(c) = found else {
        return false;
    };
    if c.answered_only && chan.state != crate::channel::ChannelState::Up {
        crate::verb!(
            3,
            "The channel '{}' is not answered yet. Ignore the moh request.",
            chan.name
        );
        return false;
    }
    let state = channel_state(chan);
    if chan.moh_active && chan.generator.is_some() {
        // Already playing: the same class goes on; another replaces it (the old generator's
        // release prints the Stopped line).
        if state.lock().unwrap().class.eq_ignore_ascii_case(&c.name) {
            return true;
        }
        stop(chan);
    }
    let name = c.name.clone();
    chan.generator = Some(Box::new(MohPlayer::new(c, state)));
    chan.moh_active = true;
    crate::verb!(
        3,
        "Started music on hold, class '{}', on channel '{}'",
        name,
        chan.name
    );
    true
}

/// Music for a leg that is not a channel of its own (a Dial leg put on hold by the other
/// side): the class `class`, else `default`, playing from its start.
pub fn player(pbx: &Pbx, class: Option<&str>) -> Option<(String, MohPlayer)> {
    let reg = registry(pbx);
    let c = class
        .filter(|c| !c.is_empty())
        .and_then(|c| reg.class(c))
        .or_else(|| reg.class("default"))?
        .clone();
    let name = c.name.clone();
    Some((
        name,
        MohPlayer::new(c, Arc::new(Mutex::new(MohState::default()))),
    ))
}

/// `ast_moh_stop`: stop the channel's generator and print `Stopped music on hold on <chan>`
/// (Asterisk prints it only when music was playing).
pub fn stop(chan: &mut Channel) {
    chan.generator = None;
    if std::mem::take(&mut chan.moh_active) {
        crate::verb!(3, "Stopped music on hold on {}", chan.name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_wav(path: &Path, samples: &[i16]) {
        let mut w = crate::media::file::RecordingWriter::create(path).unwrap();
        w.write(samples).unwrap();
        w.finish().unwrap();
    }

    #[test]
    fn scan_skips_dots_short_and_foreign_formats() {
        let d = tempfile::tempdir().unwrap();
        for f in [
            "b.wav",
            "b.ulaw",
            "a.wav",
            ".hidden.wav",
            "noext",
            "x.w",
            "c.gsm",
            "b.gsm",
        ] {
            std::fs::write(d.path().join(f), b"").unwrap();
        }
        let (mut files, skipped) = scan_dir(d.path()).unwrap();
        files.sort();
        assert_eq!(files, vec![d.path().join("a"), d.path().join("b")]);
        assert_eq!(skipped, vec!["c.gsm".to_string()]);
    }

    fn class_with(files: Vec<PathBuf>, sort: Sort) -> MohClass {
        MohClass {
            name: "t".into(),
            mode: "files".into(),
            directory: "x".into(),
            sort,
            loop_last: false,
            answered_only: false,
            announcement: None,
            files: Arc::new(files),
        }
    }

    #[test]
    fn loops_over_files_and_resumes() {
        let d = tempfile::tempdir().unwrap();
        write_wav(&d.path().join("a.wav"), &[1i16; 200]);
        write_wav(&d.path().join("b.wav"), &[2i16; 100]);
        let files = vec![d.path().join("a"), d.path().join("b")];
        let state = Arc::new(Mutex::new(MohState::default()));
        let mut p = MohPlayer::new(class_with(files.clone(), Sort::Alpha), state.clone());
        let mut buf = [0i16; 160];
        assert!(p.fill(&mut buf));
        assert!(buf.iter().all(|&s| s == 1));
        assert!(p.fill(&mut buf));
        // 40 more of a, then 100 of b, then 20 of a again.
        assert!(buf[..40].iter().all(|&s| s == 1));
        assert!(buf[40..140].iter().all(|&s| s == 2));
        assert!(buf[140..].iter().all(|&s| s == 1));
        assert_eq!(state.lock().unwrap().samples, 20);
        // Stopped and started again: resumes in a at 20.
        drop(p);
        let mut p = MohPlayer::new(class_with(files.clone(), Sort::Alpha), state.clone());
        assert!(p.fill(&mut buf));
        assert_eq!(state.lock().unwrap().samples, 180);
        assert_eq!(state.lock().unwrap().pos, 0);
        // A different class starts from scratch.
        let mut other = class_with(files, Sort::None);
        other.name = "other".into();
        let _p = MohPlayer::new(other, state.clone());
        assert_eq!(state.lock().unwrap().samples, 0);
        assert!(state.lock().unwrap().file.is_none());
    }

    #[test]
    fn no_playable_file_ends_the_generator() {
        let d = tempfile::tempdir().unwrap();
        let state = Arc::new(Mutex::new(MohState::default()));
        let mut p = MohPlayer::new(class_with(vec![d.path().join("nope")], Sort::None), state);
        let mut buf = [5i16; 160];
        assert!(!p.fill(&mut buf));
        assert!(!p.fill(&mut buf));
    }

    #[test]
    fn registry_from_conf() {
        use crate::config::values::test_util::conf;
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("jazz")).unwrap();
        for f in ["Zed.wav", "alpha.wav", "beta.sln"] {
            std::fs::write(d.path().join("jazz").join(f), b"").unwrap();
        }
        std::fs::create_dir(d.path().join("empty")).unwrap();
        let text =
            "[general]\npreferchannelclass=no\n[jazz]\nmode=files\ndirectory=jazz\nsort=alpha\n\
                    [abs]\nmode=files\ndirectory=DIR/jazz\n[empty]\nmode=files\ndirectory=empty\n\
                    [nomode]\ndirectory=jazz\n[mp3]\nmode=quietmp3\ndirectory=jazz\n"
                .replace("DIR", &d.path().to_string_lossy());
        let m = MusicOnHoldConf::from_conf(&conf("musiconhold.conf", &text));
        let r = Registry::build(Some(&m), d.path());
        let names: Vec<&str> = r.classes.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, vec!["jazz", "abs"]);
        assert!(!r.prefer_channel_class);
        let j = r.class("JAZZ").unwrap();
        let base: Vec<String> = j
            .files
            .iter()
            .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(base, vec!["alpha", "beta", "Zed"]);
        assert_eq!(r.class("abs").unwrap().files.len(), 3);
        // No musiconhold.conf: Asterisk's sample `default` class on <datadir>/moh.
        std::fs::create_dir(d.path().join("moh")).unwrap();
        std::fs::write(d.path().join("moh").join("m.wav"), b"").unwrap();
        let r = Registry::build(None, d.path());
        assert_eq!(r.classes.len(), 1);
        assert_eq!(r.classes[0].name, "default");
        assert_eq!(*r.classes[0].files, vec![d.path().join("moh").join("m")]);
    }

    #[test]
    fn sort_flags_combine_as_in_asterisk() {
        use crate::config::values::test_util::conf;
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("a.wav"), b"").unwrap();
        let dir = d.path().display();
        let text = format!(
            "[a]\nmode=files\ndirectory={dir}\nsort=alpha\nrandom=yes\n\
             [b]\nmode=files\ndirectory={dir}\nsort=randstart\nrandom=no\n\
             [c]\nmode=files\ndirectory={dir}\nsort=random\n[d]\nmode=files\ndirectory={dir}\n"
        );
        let m = MusicOnHoldConf::from_conf(&conf("musiconhold.conf", &text));
        let r = Registry::build(Some(&m), d.path());
        let sorts: Vec<Sort> = r.classes.iter().map(|c| c.sort).collect();
        assert_eq!(
            sorts,
            vec![Sort::RandStart, Sort::Alpha, Sort::Random, Sort::None]
        );
    }
}
