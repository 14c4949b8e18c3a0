//! DTMF transfers from Dial's two-party bridge, as Asterisk 20 does them (main/bridge_basic.c,
//! features.conf's `blindxfer` and `atxfer`).
//!
//! * **Blind** (`#`): the transferer hears `pbx-transfer` and dials a number (each digit
//!   within `transferdigittimeout`; `#` ends it; up to `transferdialattempts` tries, with
//!   `pbx-invalid` between them), while the transferee hears music on hold. The transferee then
//!   goes to that extension in the transferer's context (`TRANSFER_CONTEXT` first), and the
//!   transferer is hung up.
//! * **Attended** (`atxfer`): the same number is called through `Local/<exten>@<context>`
//!   (its `;2` half runs the dialplan, with audio over a loopback RTP pair) and the transferer
//!   talks to it while the transferee waits on hold. Asterisk's state machine, without the
//!   swap and three-way states: the transferer hanging up (or `atxfercomplete`) after the
//!   answer completes the transfer (`xfersound` to the target); before the answer it is a
//!   "blond" transfer: the transferee waits for the ringing target, hearing ringback; with
//!   `atxferdropcall=no` (the default) a target that does not answer within
//!   `atxfernoanswertimeout` is given up and the transferer is called back, then the target
//!   again after `atxferloopdelay`, until `atxfercallbackretries` recalls failed (then the
//!   transferee is hung up). The target failing (busy, no answer
//!   within `atxfernoanswertimeout`, hang-up) or `atxferabort` takes the transferer back to
//!   the transferee (`xferfailsound`). The transferee hanging up leaves the transferer with
//!   the target.
//!
//! The callee leg of a Dial is not a channel of its own: when it must go on without the
//! caller's channel (the caller transferred it away), [`run_leg`] makes it one that runs the
//! dialplan, and [`spawn_bridge`] keeps two such legs talking.

use crate::channel::bridge::Side;
use crate::channel::media::{Input, RtpStream, FRAME};
use crate::channel::{CallerId, Channel, ChannelHandle, Vars};
use crate::pbx::Pbx;
use crate::sip::core::{CoreEvent, DialEvent};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

mod attended;
mod legs;
pub use attended::{attended, Attended, ConsultLeg, Parties};
pub use legs::{call_sip, run_leg, spawn_bridge, Peer};

/// The SIP core's queue (None when SIP is not running).
pub type CoreTx = Option<UnboundedSender<CoreEvent>>;
/// A Dial's leg events.
pub type Events = UnboundedReceiver<(usize, DialEvent)>;

/// The index the consultation call's events carry.
pub const CONSULT_IDX: usize = usize::MAX - 1;

/// Give up on (or end) one outgoing leg: CANCEL/BYE for SIP, a hangup for a Local `;2`.
pub fn hang_leg(pbx: &Pbx, core: &CoreTx, id: &str) {
    if let Some(name) = id.strip_prefix("local:") {
        if let Some(h) = pbx.find_channel(name) {
            h.softhangup();
        }
    } else if let Some(core) = core {
        let _ = core.send(CoreEvent::DialHangup(id.to_string()));
    }
}

/// A bridge's id, a random UUID as Asterisk's bridges have.
pub fn bridge_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0x2545_F491_4F6C_DD1D);
    let mut x = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1)
        ^ N.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
        | 1;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let (a, b) = (next(), next());
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | ((b >> 48) & 0x3fff),
        b & 0xffff_ffff_ffff
    )
}

pub fn joined(chan: &str, bridge: &str) {
    crate::verb!(
        3,
        "Channel {} joined 'simple_bridge' basic-bridge <{}>",
        chan,
        bridge
    );
}

pub fn left(chan: &str, bridge: &str) {
    crate::verb!(
        3,
        "Channel {} left 'simple_bridge' basic-bridge <{}>",
        chan,
        bridge
    );
}

/// features.conf's transfer settings (features_config.c defaults).
#[derive(Clone, Debug)]
pub struct XferConfig {
    pub digit_ms: u64,
    /// featuredigittimeout: a code's start that goes no further is passed on after it.
    pub feature_digit_ms: u64,
    pub noanswer_ms: u64,
    pub dropcall: bool,
    pub loop_delay_ms: u64,
    pub callback_retries: u32,
    pub abort: String,
    pub complete: String,
    pub threeway: String,
    pub swap: String,
    pub xfersound: String,
    pub xferfailsound: String,
    pub dial_attempts: u32,
    pub retry_sound: String,
    pub invalid_sound: String,
    pub announce_sound: String,
}

impl XferConfig {
    pub fn load(pbx: &Pbx) -> XferConfig {
        let cfg = pbx.config.read().unwrap();
        let g = cfg.features.as_ref().map(|f| &f.general);
        let opt = |n: &str, d: &str| {
            g.and_then(|g| g.option(n))
                .map(str::to_string)
                .unwrap_or_else(|| d.to_string())
        };
        let secs = |v: Option<i64>, d: u64| v.map(|s| s.max(1) as u64).unwrap_or(d) * 1000;
        XferConfig {
            digit_ms: secs(
                g.and_then(|g| g.transferdigittimeout.as_ref().map(|t| t.value)),
                3,
            ),
            feature_digit_ms: g
                .and_then(|g| {
                    g.featuredigittimeout
                        .as_ref()
                        .map(|t| t.value.max(1) as u64)
                })
                .unwrap_or(1000),
            noanswer_ms: secs(
                g.and_then(|g| g.atxfernoanswertimeout.as_ref().map(|t| t.value)),
                15,
            ),
            dropcall: crate::config::ast_true(&opt("atxferdropcall", "no")),
            loop_delay_ms: opt("atxferloopdelay", "10").parse::<u64>().unwrap_or(10) * 1000,
            callback_retries: opt("atxfercallbackretries", "2")
                .parse::<u32>()
                .unwrap_or(2),
            abort: opt("atxferabort", "*1"),
            complete: opt("atxfercomplete", "*2"),
            threeway: opt("atxferthreeway", "*3"),
            swap: opt("atxferswap", "*4"),
            xfersound: opt("xfersound", "beep"),
            xferfailsound: opt("xferfailsound", "beeperr"),
            dial_attempts: opt("transferdialattempts", "3")
                .parse::<u32>()
                .unwrap_or(3)
                .clamp(1, 10),
            retry_sound: opt("transferretrysound", "pbx-invalid"),
            invalid_sound: opt("transferinvalidsound", "privacy-incorrect"),
            announce_sound: opt("transferannouncesound", "pbx-transfer"),
        }
    }
}

/// The party that pressed the transfer code: its channel name, language, the context its
/// number is dialled in, and what a consultation call inherits from it.
#[derive(Clone, Debug)]
pub struct Transferer {
    pub side: Side,
    pub name: String,
    pub language: String,
    pub context: String,
    pub caller: CallerId,
    pub vars: Vars,
}

impl Transferer {
    /// The caller (`T`) or the called leg `leg` (`t`) of the Dial running on `chan`.
    pub fn of(pbx: &Pbx, chan: &Channel, side: Side, leg: &str) -> Transferer {
        let transfer_context = chan.vars.get("TRANSFER_CONTEXT").map(str::to_string);
        match side {
            Side::Caller => Transferer {
                side,
                name: chan.name.clone(),
                language: chan.language.clone(),
                context: transfer_context.unwrap_or_else(|| chan.context.clone()),
                caller: chan.caller.clone(),
                vars: chan.vars.inherited(),
            },
            Side::Callee => {
                let peer = leg
                    .strip_prefix("SIP/")
                    .and_then(|n| n.rsplit_once('-'))
                    .map(|(p, _)| p.to_string())
                    .unwrap_or_default();
                let cfg = pbx.config.read().unwrap();
                let p = cfg.sip.peer(&peer);
                let language = p
                    .and_then(|p| p.language.as_ref().map(|l| l.value.clone()))
                    .unwrap_or_else(|| pbx.default_language.clone());
                let peer_context = p.map(|p| p.context(&cfg.sip.general).to_string());
                Transferer {
                    side,
                    name: leg.to_string(),
                    language,
                    context: transfer_context
                        .or(peer_context)
                        .unwrap_or_else(|| chan.context.clone()),
                    // The called leg's caller id is the number the caller dialled.
                    caller: CallerId {
                        num: Some(chan.exten.clone()),
                        ..Default::default()
                    },
                    vars: chan.vars.inherited(),
                }
            }
        }
    }
}

/// Hang-ups of the two parties of the Dial: the caller's channel, and leg `w` on `rx`.
pub struct Watch<'a> {
    pub caller: Arc<ChannelHandle>,
    pub rx: &'a mut Events,
    pub w: usize,
}

impl Watch<'_> {
    /// The first of the two to hang up.
    pub async fn hangup(&mut self) -> Side {
        let caller = self.caller.clone();
        tokio::select! {
            _ = caller.hungup() => Side::Caller,
            _ = leg_ended(self.rx, self.w) => Side::Callee,
        }
    }

    /// `side` hanging up.
    pub async fn hangup_of(&mut self, side: Side) {
        match side {
            Side::Caller => self.caller.hungup().await,
            Side::Callee => leg_ended(self.rx, self.w).await,
        }
    }
}

/// Resolves when leg `idx` on `rx` hangs up or fails (or nobody can tell any more).
async fn leg_ended(rx: &mut Events, idx: usize) {
    loop {
        match rx.recv().await {
            Some((i, DialEvent::Hangup | DialEvent::Failed(_))) if i == idx => return,
            None => return,
            _ => {}
        }
    }
}

/// Play a prompt to a stream with Asterisk's `<chan> Playing` line; `stop_on` digits end
/// it. None when the file is missing.
pub async fn play(
    pbx: &Pbx,
    stream: &mut RtpStream,
    chan: &str,
    language: &str,
    sound: &str,
    stop_on: &str,
) -> Option<super::playback::Played> {
    let (samples, fmt) = super::playback::load_quiet(pbx, sound, language)?;
    crate::verb!(
        3,
        "<{}> Playing '{}.{}' (language '{}')",
        chan,
        sound,
        fmt,
        language
    );
    Some(super::playback::play_to_stream(stream, &samples, stop_on).await)
}

/// A party waiting on hold is still in the bridge, as Asterisk sees it: its recordings with
/// MixMonitor's `b` go on (writing to the stream cleared the flag).
pub fn in_bridge(s: &RtpStream) {
    s.bridged.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Read a party that is in the bridge but heard by nobody (on hold): as the bridge reads
/// (it stays bridged), its audio decoded only for its recordings. A control input (an RTP
/// timeout) comes back.
pub async fn drain(s: &mut RtpStream) -> Option<Input> {
    use crate::channel::media::Packet;
    match s.recv_packet().await {
        Packet::Voice(law) => {
            if !s.taps.is_empty() {
                s.decode(law);
            }
            None
        }
        Packet::Ctl(i) => Some(i),
        _ => None,
    }
}

/// Read a party of a mixed call: its audio decoded into `frame` (Some(true)), a control
/// input that ends it (None), or nothing to mix (Some(false)). It stays bridged.
pub async fn hear(s: &mut RtpStream) -> Option<bool> {
    use crate::channel::media::Packet;
    match s.recv_packet().await {
        Packet::Voice(law) => {
            s.decode(law);
            Some(true)
        }
        Packet::Ctl(Input::RtpTimeout) => None,
        _ => Some(false),
    }
}

/// Music on hold for a party that waits (not the Dial's channel generator: either party).
struct Hold {
    name: String,
    player: Option<crate::moh::MohPlayer>,
}

impl Hold {
    fn start(pbx: &Pbx, name: &str) -> Hold {
        let player = crate::moh::player(pbx, None).map(|(class, p)| {
            crate::verb!(
                3,
                "Started music on hold, class '{}', on channel '{}'",
                class,
                name
            );
            p
        });
        Hold {
            name: name.to_string(),
            player,
        }
    }

    fn play(&mut self, to: &mut RtpStream) {
        use super::playback::Generator;
        let mut frame = [0i16; FRAME];
        if let Some(p) = self.player.as_mut() {
            if p.fill(&mut frame) {
                to.write(&frame);
                in_bridge(to);
            }
        }
    }

    fn stop(&mut self) {
        if self.player.take().is_some() {
            crate::verb!(3, "Stopped music on hold on {}", self.name);
        }
    }
}

/// Run `op` while `held` hears music (its input read and dropped); Err with the side that
/// hung up first.
async fn while_held<T>(
    hold: &mut Hold,
    held: &mut RtpStream,
    watch: &mut Watch<'_>,
    op: impl std::future::Future<Output = T>,
) -> Result<T, Side> {
    tokio::pin!(op);
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    loop {
        tokio::select! {
            r = &mut op => return Ok(r),
            s = watch.hangup() => return Err(s),
            _ = tick.tick() => hold.play(held),
            _ = drain(held) => {}
        }
    }
}

/// bridge_basic.c's `grab_transfer`: the announcement, then a number that exists in the
/// transferer's context (`ast_app_dtget`: a digit within the digit timeout each, `#` ends
/// it, no more once nothing longer can match), up to `transferdialattempts` tries.
async fn grab(pbx: &Pbx, cfg: &XferConfig, who: &Transferer, s: &mut RtpStream) -> Option<String> {
    use super::playback::{Played, ALL_DIGITS};
    let mut dialled = String::new();
    if let Some(Played::Digit(d)) = play(
        pbx,
        s,
        &who.name,
        &who.language,
        &cfg.announce_sound,
        ALL_DIGITS,
    )
    .await
    {
        dialled.push(d);
    }
    let dp = pbx.dialplan();
    let cid = who.caller.num.clone();
    for attempt in 1..=cfg.dial_attempts {
        if dialled == "#" {
            dialled.clear();
        }
        // ast_app_dtget: the zone's dial tone until a digit comes.
        let mut dialtone = zone_tone(pbx, "dial");
        loop {
            if !dialled.is_empty() && !dp.match_more(&who.context, &dialled, cid.as_deref()) {
                break;
            }
            let next = tokio::time::timeout(Duration::from_millis(cfg.digit_ms), async {
                let mut tick = tokio::time::interval(Duration::from_millis(20));
                loop {
                    tokio::select! {
                        i = s.read() => {
                            if let Input::Dtmf(d) = i {
                                return d;
                            }
                        }
                        _ = tick.tick(), if dialtone.is_some() => {
                            if let Some(t) = dialtone.as_mut() {
                                let mut frame = [0i16; FRAME];
                                let n = t.fill(&mut frame);
                                frame[n..].fill(0);
                                s.write(&frame);
                            }
                        }
                    }
                }
            })
            .await;
            dialtone = None;
            match next {
                Ok('#') | Err(_) => break,
                Ok(d) => dialled.push(d),
            }
        }
        if !dialled.is_empty() && dp.exists(&who.context, &dialled, 1, cid.as_deref()) {
            return Some(dialled);
        }
        if dialled.is_empty() {
            crate::verb!(3, "Channel {}: Dialed no digits.", who.name);
        } else {
            crate::verb!(
                3,
                "Channel {}: Dialed '{}@{}' does not exist.",
                who.name,
                dialled,
                who.context
            );
        }
        let sound = if attempt < cfg.dial_attempts {
            &cfg.retry_sound
        } else {
            &cfg.invalid_sound
        };
        play(pbx, s, &who.name, &who.language, sound, "").await;
        dialled.clear();
    }
    None
}

/// A tone of the default zone (indications.conf: `dial`, `ring`...), as a generator.
pub fn zone_tone(pbx: &Pbx, name: &str) -> Option<crate::media::tones::TonePlayer> {
    use crate::media::tones::{parse_tone_list, TonePlayer};
    let cfg = pbx.config.read().unwrap();
    let builtin;
    let ind = match cfg.indications.as_ref() {
        Some(i) => i,
        None => {
            builtin = crate::config::indications::IndicationsConf::builtin();
            &builtin
        }
    };
    let list = parse_tone_list(ind.tone(None, name)?);
    (!list.parts.is_empty()).then(|| TonePlayer::new(list, None))
}

/// How a blind transfer ended.
pub enum Blind {
    /// No valid number: back to the call.
    Back,
    /// The transferee goes to (context, extension) (a called transferer has left the
    /// bridge: its line is printed).
    To(String, String),
    /// This side hung up meanwhile.
    Hangup(Side),
}

/// The blind transfer (`blindxfer`): `transferer`'s number, while `transferee` (named
/// `transferee_name`) hears music on hold.
pub async fn blind(
    pbx: &Pbx,
    bridge: &str,
    who: &Transferer,
    transferer: &mut RtpStream,
    transferee: &mut RtpStream,
    transferee_name: &str,
    watch: &mut Watch<'_>,
) -> Blind {
    let cfg = XferConfig::load(pbx);
    crate::verb!(3, "Channel {}: Started DTMF blind transfer.", who.name);
    let mut hold = Hold::start(pbx, transferee_name);
    let got = while_held(
        &mut hold,
        transferee,
        watch,
        grab(pbx, &cfg, who, transferer),
    )
    .await;
    if let (Ok(Some(exten)), Side::Callee) = (&got, who.side) {
        // The called transferer leaves first (after the space's announcement when the caller
        // is parked); then the caller is taken off hold.
        if crate::channel::parking::park_exten(pbx, &who.context, exten).is_none() {
            left(&who.name, bridge);
        }
    }
    hold.stop();
    match got {
        Ok(Some(exten)) => Blind::To(who.context.clone(), exten),
        Ok(None) => Blind::Back,
        Err(side) => Blind::Hangup(side),
    }
}
