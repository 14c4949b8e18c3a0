//! Verbose and log output, the way Asterisk's logger prints it to consoles.
//!
//! `verb(level, text)` is `ast_verb`: the text gets the level's prefix (`  == ` for 2,
//! `    -- ` for 3, ...) and goes to every console whose verbosity is at least `level`.
//! `log(Level::Warning, module, text)` is `ast_log`: `[Mon dd hh:mm:ss] WARNING[pid]: module: text`.
//! Consoles are sinks: the foreground console (stdout) and each remote console connection.

use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// Where console output goes: a closure that takes one finished line (with its newline).
pub type SinkFn = Arc<dyn Fn(&str) + Send + Sync>;

struct Sink {
    id: u64,
    verbose: Arc<AtomicI32>,
    /// Log lines (WARNING, NOTICE, ...) too, or only verbose output.
    logs: bool,
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
            $crate::logger::verb($level, &format!($($arg)*));
        }
    };
}

/// `ast_verb(level, ...)`: one line to every console at that verbosity or above.
pub fn verb(level: i32, text: &str) {
    if !verbosity_atleast(level) {
        return;
    }
    let line = format!("{}{}\n", verbose_prefix(level), text);
    let sinks: Vec<SinkFn> = hub()
        .sinks
        .lock()
        .unwrap()
        .iter()
        .filter(|s| s.verbose.load(Ordering::Relaxed) >= level)
        .map(|s| s.out.clone())
        .collect();
    for s in sinks {
        s(&line);
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Error,
    Warning,
    Notice,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "ERROR",
            Level::Warning => "WARNING",
            Level::Notice => "NOTICE",
        }
    }
}

/// `ast_log(level, ...)`: `[Nov 27 03:59:01] WARNING[1234]: pbx: text` to every console.
pub fn log(level: Level, module: &str, text: &str) {
    let now = jiff::ZonedDateTime::now();
    let line = format!(
        "[{}] {}[{}]: {}: {}\n",
        now.strftime("%b %e %H:%M:%S"),
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
        .filter(|s| s.logs)
        .map(|s| s.out.clone())
        .collect();
    for s in sinks {
        s(&line);
    }
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
