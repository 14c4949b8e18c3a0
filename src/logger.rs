//! Verbose and log output, the way Asterisk's logger prints it to consoles.
//!
//! `verb(level, text)` is `ast_verb`: the text gets the level's prefix (`  == ` for 2,
//! `    -- ` for 3, ...) and goes to every console whose verbosity is at least `level`.
//! `log(Level::Warning, module, text)` is `ast_log`: `[Mon dd hh:mm:ss] WARNING[pid]: module: text`.
//! Consoles are sinks: the foreground console (stdout) and each remote console connection.

use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// Where console output goes: a closure that takes one finished line (with its newline).
pub type SinkFn = Arc<dyn Fn(&str) + Send + Sync>;

struct Sink {
    id: u64,
    verbose: Arc<AtomicI32>,
    /// Which log levels (bits of [`Level::bit`]) this sink takes.
    logs: u8,
    out: SinkFn,
}

#[derive(Default)]
struct Hub {
    sinks: Mutex<Vec<Sink>>,
    /// The highest verbosity of any sink: `verbosity_atleast` is one atomic load.
    max: AtomicI32,
    next: AtomicU64,
}

fn hub() -> &'static Hub {
    static HUB: OnceLock<Hub> = OnceLock::new();
    HUB.get_or_init(Hub::default)
}

/// A registered console; dropping it unregisters.
pub struct SinkGuard {
    id: u64,
    pub verbose: Arc<AtomicI32>,
}

impl SinkGuard {
    pub fn set_verbose(&self, level: i32) {
        self.verbose.store(level, Ordering::Relaxed);
        recompute_max();
    }
}

impl Drop for SinkGuard {
    fn drop(&mut self) {
        let h = hub();
        h.sinks.lock().unwrap().retain(|s| s.id != self.id);
        recompute_max();
    }
}

fn recompute_max() {
    let h = hub();
    let m = h
        .sinks
        .lock()
        .unwrap()
        .iter()
        .map(|s| s.verbose.load(Ordering::Relaxed))
        .max()
        .unwrap_or(0);
    h.max.store(m, Ordering::Relaxed);
}

/// Register a console that receives verbose lines up to `verbose`, and log lines if `logs`.
pub fn add_sink(verbose: i32, logs: bool, out: SinkFn) -> SinkGuard {
    add_sink_levels(verbose, if logs { 0xff } else { 0 }, out)
}

/// Register a sink for some log levels (a mask of [`Level::bit`]) and verbose up to `verbose`.
pub fn add_sink_levels(verbose: i32, logs: u8, out: SinkFn) -> SinkGuard {
    let h = hub();
    let id = h.next.fetch_add(1, Ordering::Relaxed);
    let v = Arc::new(AtomicI32::new(verbose));
    h.sinks.lock().unwrap().push(Sink {
        id,
        verbose: v.clone(),
        logs,
        out,
    });
    recompute_max();
    SinkGuard { id, verbose: v }
}

/// Is any console listening at this verbosity? Check before formatting a trace line.
#[inline]
pub fn verbosity_atleast(level: i32) -> bool {
    hub().max.load(Ordering::Relaxed) >= level
}

/// The prefix Asterisk puts before a verbose message of this level.
pub fn verbose_prefix(level: i32) -> &'static str {
    match level {
        i32::MIN..=0 => "",
        1 => " ",
        2 => "  == ",
        3 => "    -- ",
        _ => "       > ",
    }
}

/// `ast_verb!(level, "fmt", args...)`: formats only when a console listens at that level.
#[macro_export]
macro_rules! verb {
    ($level:expr, $($arg:tt)*) => {
        if $crate::logger::verbosity_atleast($level) {
            $crate::logger::verb_args($level, format_args!($($arg)*));
        }
    };
}

/// `ast_verb(level, ...)`: one line to every console at that verbosity or above.
pub fn verb(level: i32, text: &str) {
    verb_args(level, format_args!("{text}"));
}

/// [`verb`] with the text still to format: the line (prefix, text, newline) is made once.
pub fn verb_args(level: i32, text: std::fmt::Arguments) {
    use std::fmt::Write;
    if !verbosity_atleast(level) {
        return;
    }
    let mut line = String::with_capacity(128);
    line.push_str(verbose_prefix(level));
    let _ = line.write_fmt(text);
    line.push('\n');
    // The consoles are called outside the lock (one may print in turn); a few are kept on
    // the stack rather than in a list made for every line.
    let mut few: [Option<SinkFn>; 4] = Default::default();
    let mut more = Vec::new();
    for (i, s) in hub()
        .sinks
        .lock()
        .unwrap()
        .iter()
        .filter(|s| s.verbose.load(Ordering::Relaxed) >= level)
        .enumerate()
    {
        match few.get_mut(i) {
            Some(slot) => *slot = Some(s.out.clone()),
            None => more.push(s.out.clone()),
        }
    }
    for s in few.iter().flatten().chain(more.iter()) {
        s(&line);
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Error,
    Warning,
    Notice,
    Security,
}

impl Level {
    pub fn bit(self) -> u8 {
        match self {
            Level::Error => 1,
            Level::Warning => 2,
            Level::Notice => 4,
            Level::Security => 8,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "ERROR",
            Level::Warning => "WARNING",
            Level::Notice => "NOTICE",
            Level::Security => "SECURITY",
        }
    }
}

/// `ast_log(level, ...)`: `[Nov 27 03:59:01] WARNING[1234]: pbx: text` to every console.
pub fn log(level: Level, module: &str, text: &str) {
    let line = format!(
        "[{}] {}[{}]: {}: {}\n",
        now_formatted(),
        level.as_str(),
        std::process::id(),
        module,
        text
    );
    let sinks: Vec<SinkFn> = hub()
        .sinks
        .lock()
        .unwrap()
        .iter()
        .filter(|s| s.logs & level.bit() != 0)
        .map(|s| s.out.clone())
        .collect();
    for s in sinks {
        s(&line);
    }
}

/// logger.conf's `dateformat` (Asterisk's default `%b %e %T`).
static DATEFORMAT: std::sync::RwLock<Option<String>> = std::sync::RwLock::new(None);

pub fn set_dateformat(fmt: Option<String>) {
    *DATEFORMAT.write().unwrap() = fmt;
}

fn now_formatted() -> String {
    let fmt = DATEFORMAT
        .read()
        .unwrap()
        .clone()
        .unwrap_or_else(|| "%b %e %H:%M:%S".to_string());
    let now = jiff::ZonedDateTime::now();
    // `%q` (milliseconds in Asterisk) is not strftime's: give it the milliseconds.
    let fmt = fmt
        .replace("%3q", &format!("{:03}", now.millisecond()))
        .replace("%q", &format!("{:03}", now.millisecond()));
    now.strftime(&fmt).to_string()
}

/// The log files of logger.conf (`messages => notice,warning,error`): every channel that is
/// not the console or syslog is a file under `logdir` (or an absolute path). Without a
/// logger.conf, Asterisk's default: `messages => notice,warning,error`. Returns the sinks,
/// which must be kept alive.
pub fn open_log_files(
    conf: Option<&crate::config::logger::LoggerConf>,
    logdir: &std::path::Path,
) -> Vec<SinkGuard> {
    let default;
    let channels: Vec<(String, Vec<String>)> = match conf {
        Some(c) => {
            set_dateformat(c.dateformat.as_ref().map(|d| d.value.clone()));
            c.channels
                .iter()
                .map(|ch| (ch.name.clone(), ch.levels.clone()))
                .collect()
        }
        None => {
            default = vec![(
                "messages".to_string(),
                vec![
                    "notice".to_string(),
                    "warning".to_string(),
                    "error".to_string(),
                ],
            )];
            default
        }
    };
    let mut out = Vec::new();
    for (name, levels) in channels {
        if name == "console" || name.starts_with("syslog") {
            continue;
        }
        let has = |l: &str| {
            levels
                .iter()
                .any(|x| x == "*" || x == l || x.starts_with(&format!("{l}(")))
        };
        let mut mask = 0u8;
        for (l, lv) in [
            ("error", Level::Error),
            ("warning", Level::Warning),
            ("notice", Level::Notice),
            ("security", Level::Security),
        ] {
            if has(l) {
                mask |= lv.bit();
            }
        }
        let verbose = levels
            .iter()
            .find_map(|l| {
                if l == "verbose" || l == "*" {
                    Some(i32::MAX)
                } else {
                    l.strip_prefix("verbose(")
                        .and_then(|r| r.strip_suffix(')'))
                        .and_then(|n| n.parse().ok())
                }
            })
            .unwrap_or(0);
        let path = if name.starts_with('/') {
            std::path::PathBuf::from(&name)
        } else {
            logdir.join(&name)
        };
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        match std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
        {
            Ok(f) => {
                let w = batched(f);
                out.push(add_sink_levels(
                    verbose,
                    mask,
                    Arc::new(move |line: &str| {
                        // Verbose lines in a file get the date too, as Asterisk writes them.
                        if line.starts_with('[') {
                            w(line);
                        } else {
                            w(&format!(
                                "[{}] VERBOSE[{}]: {}",
                                now_formatted(),
                                std::process::id(),
                                line
                            ));
                        }
                    }),
                ));
            }
            Err(e) => eprintln!("Unable to open log file {}: {e}", path.display()),
        }
    }
    out
}

pub fn warning(module: &str, text: &str) {
    log(Level::Warning, module, text)
}
pub fn notice(module: &str, text: &str) {
    log(Level::Notice, module, text)
}
pub fn error(module: &str, text: &str) {
    log(Level::Error, module, text)
}

/// Output written by a thread of its own: a sink appends the line to a buffer and the
/// writer thread puts everything gathered since its last write out in one `write` — under
/// load, hundreds of trace lines a syscall instead of one each. [`flush`] waits for it.
struct Batch {
    buf: Mutex<Vec<u8>>,
    ready: std::sync::Condvar,
    /// Bytes handed to the sink and not yet written.
    pending: std::sync::atomic::AtomicUsize,
    /// The writer sleeps until woken (nothing came for a while); while it is busy it looks
    /// every few milliseconds by itself, and writers do not pay for waking it.
    idle: AtomicBool,
}

fn batches() -> &'static Mutex<Vec<Arc<Batch>>> {
    static B: std::sync::OnceLock<Mutex<Vec<Arc<Batch>>>> = std::sync::OnceLock::new();
    B.get_or_init(|| Mutex::new(Vec::new()))
}

/// A sink function writing to `w` through a writer thread.
pub fn batched<W: std::io::Write + Send + 'static>(mut w: W) -> SinkFn {
    let b = Arc::new(Batch {
        buf: Mutex::new(Vec::new()),
        ready: std::sync::Condvar::new(),
        pending: std::sync::atomic::AtomicUsize::new(0),
        idle: AtomicBool::new(true),
    });
    batches().lock().unwrap().push(b.clone());
    let t = b.clone();
    let spawned = std::thread::Builder::new()
        .name("logger".into())
        .spawn(move || {
            let mut local = Vec::new();
            let mut quiet = 0u32;
            loop {
                {
                    let mut g = t.buf.lock().unwrap();
                    while g.is_empty() {
                        if quiet >= 20 {
                            // Nothing for a while: sleep until a line comes.
                            t.idle.store(true, Ordering::Release);
                            g = t.ready.wait(g).unwrap();
                            quiet = 0;
                        } else {
                            g = t
                                .ready
                                .wait_timeout(g, std::time::Duration::from_millis(5))
                                .unwrap()
                                .0;
                            quiet += 1;
                        }
                    }
                    quiet = 0;
                    std::mem::swap(&mut *g, &mut local);
                }
                let _ = w.write_all(&local);
                let _ = w.flush();
                t.pending.fetch_sub(local.len(), Ordering::AcqRel);
                local.clear();
            }
        });
    if spawned.is_err() {
        // No thread: nothing would ever be written; say so where someone may see it.
        eprintln!("logger: cannot start the writer thread");
    }
    Arc::new(move |line: &str| {
        let mut g = b.buf.lock().unwrap();
        b.pending.fetch_add(line.len(), Ordering::AcqRel);
        g.extend_from_slice(line.as_bytes());
        // Wake the writer only when it sleeps deeply (or the buffer grows large).
        if b.idle.swap(false, Ordering::AcqRel) || g.len() > 1 << 20 {
            b.ready.notify_one();
        }
    })
}

/// Wait (up to a second) until every batched sink has written what it was given.
pub fn flush() {
    let t0 = std::time::Instant::now();
    let all: Vec<Arc<Batch>> = batches().lock().unwrap().clone();
    for b in all {
        while b.pending.load(Ordering::Acquire) > 0
            && t0.elapsed() < std::time::Duration::from_secs(1)
        {
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
    }
}
