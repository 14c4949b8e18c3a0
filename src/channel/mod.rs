//! The Channel: one call leg's state, variables, caller id, language and hangup cause, as
//! Asterisk's `struct ast_channel` keeps them for the dialplan. The PBX loop that runs the
//! dialplan on a channel is [`pbx`]; Local channels are [`local`].
//!
//! A channel is owned by the task that runs it (no lock on the hot path). What other tasks
//! need — `core show channels`, hangup requests — goes through its [`ChannelHandle`].

pub mod bridge;
pub mod local;
pub mod media;
pub mod parking;
pub mod pbx;
pub mod playback;
pub mod rtppool;
pub mod transfer;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::Notify;

/// `ast_channel_state`, with the names `core show channels` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChannelState {
    Down,
    Reserved,
    OffHook,
    Dialing,
    Ring,
    Ringing,
    Up,
    Busy,
}

impl ChannelState {
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelState::Down => "Down",
            ChannelState::Reserved => "Rsrvd",
            ChannelState::OffHook => "OffHook",
            ChannelState::Dialing => "Dialing",
            ChannelState::Ring => "Ring",
            ChannelState::Ringing => "Ringing",
            ChannelState::Up => "Up",
            ChannelState::Busy => "Busy",
        }
    }
}

/// The caller's party id (`CALLERID(...)`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallerId {
    pub num: Option<String>,
    pub name: Option<String>,
    pub ani: Option<String>,
    pub rdnis: Option<String>,
    pub dnid: Option<String>,
}

/// Channel variables in Asterisk's order: newest first. Names keep their `_`/`__`
/// inheritance prefix but are found without it.
#[derive(Clone, Debug, Default)]
pub struct Vars(Vec<(String, String)>);

/// The name without the inheritance prefix.
pub fn var_base(name: &str) -> &str {
    let n = name.strip_prefix('_').unwrap_or(name);
    n.strip_prefix('_').unwrap_or(n)
}

impl Vars {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| var_base(n) == name)
            .map(|(_, v)| v.as_str())
    }
    /// Set (replacing any variable with the same base name); `None` removes it.
    pub fn set(&mut self, name: &str, value: Option<&str>) {
        let base = var_base(name);
        let found = self.0.iter().position(|(n, _)| var_base(n) == base);
        match (found, value) {
            // Replace in place (no allocation) and move to the front: newest first.
            (Some(i), Some(v)) => {
                let e = &mut self.0[i];
                if e.0 != name {
                    e.0.clear();
                    e.0.push_str(name);
                }
                e.1.clear();
                e.1.push_str(v);
                self.0[..=i].rotate_right(1);
            }
            (Some(i), None) => {
                self.0.remove(i);
            }
            (None, Some(v)) => self.0.insert(0, (name.to_string(), v.to_string())),
            (None, None) => {}
        }
    }
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// The variables a new channel inherits: `_X` becomes `X` (not passed further), `__X`
    /// stays `__X`.
    pub fn inherited(&self) -> Vars {
        let mut out = Vec::new();
        for (n, v) in self.0.iter().rev() {
            if let Some(rest) = n.strip_prefix("__") {
                let _ = rest;
                out.insert(0, (n.clone(), v.clone()));
            } else if let Some(rest) = n.strip_prefix('_') {
                out.insert(0, (rest.to_string(), v.clone()));
            }
        }
        Vars(out)
    }
}

/// What other tasks see of a channel: its name, where it is, and a way to hang it up.
#[derive(Debug)]
pub struct ChannelHandle {
    pub name: String,
    pub uniqueid: String,
    pub created: Instant,
    pub snapshot: Mutex<Snapshot>,
    hangup: AtomicBool,
    notify: Notify,
}

/// The part of a channel `core show channels` prints.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub context: String,
    pub exten: String,
    pub priority: i32,
    pub state: ChannelState,
    pub app: String,
    pub data: String,
    pub caller: String,
}

impl ChannelHandle {
    /// `ast_softhangup`: ask the channel to hang up; whoever waits on it wakes.
    pub fn softhangup(&self) {
        self.hangup.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }
    pub fn is_hungup(&self) -> bool {
        self.hangup.load(Ordering::SeqCst)
    }
    /// Resolves when the channel is asked to hang up.
    pub async fn hungup(&self) {
        loop {
            let n = self.notify.notified();
            if self.is_hungup() {
                return;
            }
            n.await;
        }
    }
}

/// A Gosub return address and the variables to restore on Return (LOCAL, ARGn).
#[derive(Clone, Debug, Default)]
pub struct GosubFrame {
    pub context: String,
    pub exten: String,
    pub priority: i32,
    pub saved: Vec<(String, Option<String>)>,
    pub argc: usize,
    pub is_special: bool,
}

/// What the dialplan asks of the technology under a channel (the SIP dialog, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Indication {
    Ringing,
    Progress,
    Busy,
    Congestion,
}

/// The channel driver side of a channel (`ast_channel_tech`): SIP answers with 200 OK, rings
/// with 180, ends the call with a final response or BYE.
pub trait Tech: Send + Sync + std::fmt::Debug {
    fn answer(&self);
    fn indicate(&self, ind: Indication);
    /// The call is over on our side (the PBX loop ended), with this hangup cause.
    fn hangup(&self, cause: i32);
}

/// One call leg.
#[derive(Debug)]
pub struct Channel {
    pub name: String,
    pub uniqueid: String,
    pub linkedid: String,
    pub context: String,
    pub exten: String,
    pub priority: i32,
    pub state: ChannelState,
    pub caller: CallerId,
    pub language: String,
    pub musicclass: String,
    pub accountcode: String,
    pub hangupcause: i32,
    pub vars: Vars,
    pub stack: Vec<GosubFrame>,
    /// The While loops the channel is in (context, extension, priority of the While).
    pub loops: Vec<(String, String, i32)>,
    pub handle: Arc<ChannelHandle>,
    /// Set by the `Answer` application; Local channels watch it to answer their other half.
    pub on_answer: Option<tokio::sync::watch::Sender<bool>>,
    /// The application running now (`core show channels`).
    pub app: &'static str,
    /// The driver (None for Local channels and tests).
    pub tech: Option<Arc<dyn Tech>>,
    /// The audio (an RTP stream for SIP channels; None for Local channels).
    pub media: Option<Box<media::RtpStream>>,
    /// What plays to the channel while nothing else does (music on hold, Playtones): pumped
    /// every 20 ms by the applications that wait ([`playback::idle`], WaitExten, Dial).
    pub generator: Option<Box<dyn playback::Generator>>,
    /// Where music on hold was in its class (resumed when it starts again): see [`crate::moh`].
    pub music_state: Option<Arc<Mutex<crate::moh::MohState>>>,
    /// Music on hold is what the generator plays (`Stopped music on hold` is printed).
    pub moh_active: bool,
    /// `CHANNEL(tonezone)`: the indications.conf zone for Playtones (empty: the default zone).
    pub tonezone: String,
}

impl Channel {
    pub fn new(name: String, uniqueid: String, context: &str, exten: &str) -> Channel {
        let handle = Arc::new(ChannelHandle {
            name: name.clone(),
            uniqueid: uniqueid.clone(),
            created: Instant::now(),
            snapshot: Mutex::new(Snapshot {
                context: context.to_string(),
                exten: exten.to_string(),
                priority: 1,
                state: ChannelState::Down,
                app: String::new(),
                data: String::new(),
                caller: String::new(),
            }),
            hangup: AtomicBool::new(false),
            notify: Notify::new(),
        });
        Channel {
            name,
            linkedid: uniqueid.clone(),
            uniqueid,
            context: context.to_string(),
            exten: exten.to_string(),
            priority: 1,
            state: ChannelState::Down,
            caller: CallerId::default(),
            language: "en".into(),
            musicclass: String::new(),
            accountcode: String::new(),
            hangupcause: 0,
            vars: Vars::default(),
            stack: Vec::new(),
            loops: Vec::new(),
            handle,
            on_answer: None,
            app: "",
            tech: None,
            media: None,
            generator: None,
            music_state: None,
            moh_active: false,
            tonezone: String::new(),
        }
    }

    pub fn check_hangup(&self) -> bool {
        self.handle.is_hungup()
    }

    /// `ast_setstate`.
    pub fn set_state(&mut self, state: ChannelState) {
        self.state = state;
        if let Ok(mut s) = self.handle.snapshot.lock() {
            s.state = state;
        }
    }

    /// `ast_answer`: Up, and tell whoever waits for it (a Local channel's other half).
    pub fn answer(&mut self) {
        if self.state != ChannelState::Up {
            self.set_state(ChannelState::Up);
            if let Some(tx) = &self.on_answer {
                let _ = tx.send(true);
            }
            if let Some(t) = &self.tech {
                t.answer();
            }
        }
    }

    /// `ast_indicate`: tell the far end (ringing, progress, busy, congestion).
    pub fn indicate(&self, ind: Indication) {
        if let Some(t) = &self.tech {
            t.indicate(ind);
        }
    }

    /// Sleep, waking early on hangup. Returns false when the channel was hung up.
    pub async fn safe_sleep(&self, ms: u64) -> bool {
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_millis(ms)) => !self.check_hangup(),
            _ = self.handle.hungup() => false,
        }
    }

    /// `CALLERID(all)` form: `"name" <num>`.
    pub fn callerid_all(&self) -> String {
        let name = self.caller.name.as_deref().unwrap_or("");
        let num = self.caller.num.as_deref().unwrap_or("");
        match (name.is_empty(), num.is_empty()) {
            (true, true) => String::new(),
            (true, false) => format!("<{num}>"),
            (false, true) => format!("\"{name}\""),
            (false, false) => format!("\"{name}\" <{num}>"),
        }
    }
}
