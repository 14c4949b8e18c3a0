//! The running PBX: the dialplan in force (swapped whole on reload), global variables,
//! AstDB, groups, the channel list and the counters the console shows. One `Arc<Pbx>` is
//! shared by every channel task and the console.

pub mod subst;

use crate::astdb::AstDb;
use crate::channel::{ChannelHandle, Vars};
use crate::config::ConfigSet;
use crate::dialplan::index::Compiled;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Instant, SystemTime};

/// `GROUP()` membership: channel, group, category.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupEntry {
    pub channel: String,
    pub group: String,
    pub category: String,
}

pub struct Pbx {
    dialplan: RwLock<Arc<Compiled>>,
    /// Held while the dialplan in force is rebuilt (reload, regexten).
    rebuild_lock: Mutex<()>,
    /// A regexten rebuild is queued (registrations in a burst share one).
    pub rebuild_pending: AtomicBool,
    pub globals: RwLock<Vars>,
    pub config: RwLock<Arc<ConfigSet>>,
    /// What `-C` named (asterisk.conf or a folder): what `core reload` reads again.
    pub config_path: PathBuf,
    pub astdb: AstDb,
    pub groups: Mutex<Vec<GroupEntry>>,
    pub channels: Mutex<BTreeMap<String, Arc<ChannelHandle>>>,
    pub started: (Instant, SystemTime),
    pub last_reload: Mutex<(Instant, SystemTime)>,
    /// Calls that ran (`core show channels`: "N calls processed").
    pub processed: AtomicU64,
    /// Channels running the PBX loop now.
    pub calls: AtomicU64,
    local_seq: AtomicU32,
    uid_seq: AtomicU64,
    pub shutting_down: AtomicBool,
    pub shutdown: tokio::sync::Notify,
    pub systemname: String,
    pub default_language: String,
    /// SIP: registrations, the response cache, bound sockets.
    pub sip: crate::sip::transport::SipState,
}

impl Pbx {
    /// Build the PBX from a loaded config. The AstDB goes in `astdbdir` (in memory if that
    /// folder cannot be written).
    pub fn new(config_path: PathBuf, config: ConfigSet) -> Arc<Pbx> {
        let dbdir = config
            .asterisk
            .dir("astdbdir")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/var/lib/asterisk"));
        let astdb = match AstDb::open(&dbdir) {
            Ok(db) => db,
            Err(e) => {
                crate::logger::warning(
                    "db",
                    &format!(
                        "Unable to open Asterisk database '{}': {e}; using memory",
                        dbdir.join("astdb.sqlite3").display()
                    ),
                );
                AstDb::memory()
            }
        };
        Self::with_db(config_path, config, astdb)
    }

    pub fn with_db(config_path: PathBuf, config: ConfigSet, astdb: AstDb) -> Arc<Pbx> {
        let compiled = crate::sip::regexten::compile(&config.extensions, &config.sip.general, &[]);
        let mut globals = Vars::default();
        for (n, v) in &compiled.globals {
            globals.set(n, Some(v));
        }
        let now = (Instant::now(), SystemTime::now());
        let systemname = config
            .asterisk
            .systemname
            .as_ref()
            .map(|s| s.value.clone())
            .unwrap_or_default();
        let default_language = config.asterisk.default_language().to_string();
        let useragent = config
            .sip
            .general
            .useragent
            .as_ref()
            .map(|u| u.value.clone())
            .unwrap_or_else(|| format!("zvezda PBX {}", env!("CARGO_PKG_VERSION")));
        let sip = crate::sip::transport::SipState::new(&useragent);
        // Registrations survive a restart: chan_sip's own AstDB entries (`/SIP/Registry/x`).
        {
            let now = SystemTime::now();
            let mut r = sip.registrar.lock().unwrap();
            for (key, value) in astdb.tree("SIP", "Registry") {
                let peer = key.rsplit('/').next().unwrap_or("").to_string();
                if config.sip.peer(&peer).is_some() {
                    if let Some(reg) =
                        crate::sip::registrar::Registration::from_db(&peer, &value, now)
                    {
                        r.regs.insert(peer, reg);
                    }
                }
            }
        }
        let restored: Vec<String> = sip.registrar.lock().unwrap().regs.keys().cloned().collect();
        let pbx = Arc::new(Pbx {
            dialplan: RwLock::new(Arc::new(compiled)),
            rebuild_lock: Mutex::new(()),
            rebuild_pending: AtomicBool::new(false),
            globals: RwLock::new(globals),
            config: RwLock::new(Arc::new(config)),
            config_path,
            astdb,
            groups: Mutex::new(Vec::new()),
            channels: Mutex::new(BTreeMap::new()),
            started: now,
            last_reload: Mutex::new(now),
            processed: AtomicU64::new(0),
            calls: AtomicU64::new(0),
            local_seq: AtomicU32::new(0),
            uid_seq: AtomicU64::new(0),
            shutting_down: AtomicBool::new(false),
            shutdown: tokio::sync::Notify::new(),
            systemname,
            default_language,
            sip,
        });
        crate::sip::regexten::restore(&pbx, &restored);
        pbx
    }

    /// The dialplan in force. A channel keeps the one it started with until it ends.
    pub fn dialplan(&self) -> Arc<Compiled> {
        self.dialplan.read().unwrap().clone()
    }

    /// Read the config again and swap the dialplan in whole. On an error nothing changes
    /// and the reason is returned.
    pub fn reload_dialplan(&self) -> Result<usize, String> {
        // One rebuild at a time: a regexten rebuild must not swap in an older dialplan.
        let _one = self.rebuild_lock.lock().unwrap();
        let cfg = ConfigSet::load(&self.config_path);
        let dp = &cfg.extensions;
        if dp.not_loaded {
            let why = cfg
                .diagnostics
                .iter()
                .chain(dp.diagnostics.iter())
                .find(|d| {
                    d.severity == crate::diag::Severity::Error
                        && d.span.file_name().contains("extensions")
                })
                .map(|d| format!("{}:{}: {}", d.span.file_name(), d.span.line, d.message))
                .unwrap_or_else(|| "extensions.conf could not be loaded".into());
            return Err(why);
        }
        // chan_sip's regexten extensions again, by the new sip.conf.
        let regs = crate::sip::regexten::recompute(self, &cfg);
        let compiled = crate::sip::regexten::compile(dp, &cfg.sip.general, &regs);
        let n = compiled.contexts.len();
        {
            // [globals] are set again from the file, as pbx_config does without
            // clearglobalvars: new values replace old ones, others stay.
            let mut g = self.globals.write().unwrap();
            if dp.general.clearglobalvars {
                *g = Vars::default();
            }
            for (name, v) in &compiled.globals {
                g.set(name, Some(v));
            }
        }
        *self.dialplan.write().unwrap() = Arc::new(compiled);
        *self.config.write().unwrap() = Arc::new(cfg);
        *self.last_reload.lock().unwrap() = (Instant::now(), SystemTime::now());
        Ok(n)
    }

    /// Build the dialplan in force again from the loaded extensions.conf and what modules
    /// add at run time (chan_sip's regexten), keeping the globals.
    pub fn rebuild_dialplan(&self) {
        let _one = self.rebuild_lock.lock().unwrap();
        let cfg = self.config.read().unwrap().clone();
        let regs = self.sip.regextens.lock().unwrap().clone();
        let compiled = crate::sip::regexten::compile(&cfg.extensions, &cfg.sip.general, &regs);
        *self.dialplan.write().unwrap() = Arc::new(compiled);
    }

    pub fn global(&self, name: &str) -> Option<String> {
        self.globals.read().unwrap().get(name).map(str::to_string)
    }

    /// `pbx_builtin_setvar_helper(NULL, ...)`: set a global, with Asterisk's verbose line.
    pub fn set_global(&self, name: &str, value: Option<&str>) {
        if let Some(v) = value {
            crate::verb!(2, "Setting global variable '{name}' to '{v}'");
        }
        self.globals.write().unwrap().set(name, value);
    }

    /// The next Local channel pair number (`Local/x@y-0000000a`).
    pub fn next_local_seq(&self) -> u32 {
        self.local_seq.fetch_add(1, Ordering::Relaxed)
    }

    /// A unique id: `<epoch>.<n>` as Asterisk's (`1700000000.12`).
    pub fn next_uniqueid(&self) -> String {
        let n = self.uid_seq.fetch_add(1, Ordering::Relaxed);
        let secs = self
            .started
            .1
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        format!("{secs}.{n}")
    }

    pub fn register(&self, h: Arc<ChannelHandle>) {
        self.channels.lock().unwrap().insert(h.name.clone(), h);
    }

    pub fn unregister(&self, name: &str) {
        self.channels.lock().unwrap().remove(name);
        self.groups.lock().unwrap().retain(|g| g.channel != name);
    }

    pub fn find_channel(&self, name: &str) -> Option<Arc<ChannelHandle>> {
        let chans = self.channels.lock().unwrap();
        chans.get(name).cloned().or_else(|| {
            chans
                .values()
                .find(|h| h.name.eq_ignore_ascii_case(name))
                .cloned()
        })
    }

    pub fn active_calls(&self) -> usize {
        self.calls.load(Ordering::Relaxed) as usize
    }

    pub fn active_channels(&self) -> Vec<Arc<ChannelHandle>> {
        self.channels.lock().unwrap().values().cloned().collect()
    }
}
