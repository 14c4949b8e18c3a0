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
//!   "blond" transfer: the transferee waits for the ringing target (`atxferdropcall=no`, the
//!   default, keeps it until `atxfernoanswertimeout`). The target failing (busy, no answer
//!   within `atxfernoanswertimeout`, hang-up) or `atxferabort` takes the transferer back to
//!   the transferee (`xferfailsound`). The transferee hanging up leaves the transferer with
//!   the target.
//!
//! The callee leg of a Dial is not a channel of its own: when it must go on without the
//! caller's channel (the caller transferred it away), [`run_leg`] makes it one that runs the
//! dialplan, and [`spawn_bridge`] keeps two such legs talking.

use super::bridge::{relay, Side};
use super::media::{Input, RtpStream, FRAME};
use super::{CallerId, Channel, ChannelHandle, Vars};
use crate::pbx::Pbx;
use crate::sip::core::{CoreEvent, DialEvent};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

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

fn joined(chan: &str, bridge: &str) {
    crate::verb!(
        3,
        "Channel {} joined 'simple_bridge' basic-bridge <{}>",
        chan,
        bridge
    );
}

fn left(chan: &str, bridge: &str) {
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
    pub noanswer_ms: u64,
    pub dropcall: bool,
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
            noanswer_ms: secs(
                g.and_then(|g| g.atxfernoanswertimeout.as_ref().map(|t| t.value)),
                15,
            ),
            dropcall: crate::config::ast_true(&opt("atxferdropcall", "no")),
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
            _ = held.read() => {}
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
        loop {
            if !dialled.is_empty() && !dp.match_more(&who.context, &dialled, cid.as_deref()) {
                break;
            }
            let next = tokio::time::timeout(Duration::from_millis(cfg.digit_ms), async {
                loop {
                    if let Input::Dtmf(d) = s.read().await {
                        return d;
                    }
                }
            })
            .await;
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

/// How a blind transfer ended.
pub enum Blind {
    /// No valid number: back to the call.
    Back,
    /// The transferee goes to (context, extension).
    To(String, String),
    /// This side hung up meanwhile.
    Hangup(Side),
}

/// The blind transfer (`blindxfer`): `transferer`'s number, while `transferee` (named
/// `transferee_name`) hears music on hold.
pub async fn blind(
    pbx: &Pbx,
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
    hold.stop();
    match got {
        Ok(Some(exten)) => Blind::To(who.context.clone(), exten),
        Ok(None) => Blind::Back,
        Err(side) => Blind::Hangup(side),
    }
}

/// The consultation call once placed.
pub struct ConsultLeg {
    /// Its `;1` name.
    pub name: String,
    /// For [`hang_leg`].
    pub id: String,
    pub stream: Box<RtpStream>,
    /// Its progress, as [`CONSULT_IDX`].
    pub events: Events,
    /// The bridge it is in (the target's bridge, or the transferee's once merged).
    pub bridge: String,
}

/// How an attended transfer ended.
pub enum Attended {
    /// The transferer is back with the transferee (no number, the target failed, abort).
    Back,
    /// The transferee is to be bridged with the target (the transferer is out: it hung up,
    /// or was hung up after `atxfercomplete`).
    Transfer(ConsultLeg),
    /// The transferee hung up: the transferer stays with the target.
    TransfereeGone(ConsultLeg),
    /// `side` hung up and there is nothing to go on with (during the number, or a blond
    /// transfer whose target never answered: then the transferee is to be hung up).
    Hangup(Side),
    /// A blond transfer failed: the transferee is to be hung up.
    Failed,
}

/// What the transferer's digits during the consultation amount to.
enum Code {
    Prefix,
    None,
    Abort,
    Complete,
}

fn code_of(cfg: &XferConfig, buf: &str) -> Code {
    let mut prefix = false;
    for (code, what) in [(&cfg.abort, Code::Abort), (&cfg.complete, Code::Complete)] {
        if code.is_empty() {
            continue;
        }
        if code == buf {
            return what;
        }
        if code.starts_with(buf) {
            prefix = true;
        }
    }
    // The three-way and swap codes are recognised (so their digits are not sent to the
    // target) but do nothing yet.
    for code in [&cfg.threeway, &cfg.swap] {
        if !code.is_empty() && code.starts_with(buf) {
            return if code == buf { Code::None } else { Code::Prefix };
        }
    }
    if prefix {
        Code::Prefix
    } else {
        Code::None
    }
}

/// The parties of an attended transfer, as the Dial's bridge holds them.
pub struct Parties<'a> {
    pub who: Transferer,
    pub transferer: &'a mut RtpStream,
    pub transferee: &'a mut RtpStream,
    pub transferee_name: String,
    /// The bridge the two are in now.
    pub bridge: String,
    /// The callee leg's id (to hang up a called transferer that completes with a code).
    pub transferer_id: String,
}

/// The attended transfer (`atxfer`).
pub async fn attended(pbx: &Arc<Pbx>, p: Parties<'_>, watch: &mut Watch<'_>) -> Attended {
    let cfg = XferConfig::load(pbx);
    let who = &p.who;
    let transferer_side = who.side;
    let transferee_side = match who.side {
        Side::Caller => Side::Callee,
        Side::Callee => Side::Caller,
    };
    crate::verb!(3, "Channel {}: Started DTMF attended transfer.", who.name);
    let mut hold = Hold::start(pbx, &p.transferee_name);
    let got = while_held(
        &mut hold,
        p.transferee,
        watch,
        grab(pbx, &cfg, who, p.transferer),
    )
    .await;
    let exten = match got {
        Ok(Some(e)) => e,
        Ok(None) => {
            crate::verb!(
                3,
                "Channel {}: Unable to acquire target extension for attended transfer.",
                who.name
            );
            hold.stop();
            return Attended::Back;
        }
        Err(side) => {
            hold.stop();
            return Attended::Hangup(side);
        }
    };
    // The consultation call: Local/<exten>@<context>, its ;1 in a bridge of its own.
    let (tx, events) = tokio::sync::mpsc::unbounded_channel();
    let origin = super::local::Origin {
        vars: who.vars.clone(),
        caller: who.caller.clone(),
        language: who.language.clone(),
    };
    let dest = format!("{}@{}", exten, who.context);
    let consult = match super::local::consult_leg(pbx, &dest, origin, &who.name, CONSULT_IDX, tx) {
        Ok(c) => c,
        Err(e) => {
            crate::logger::error(
                "bridge_basic.c",
                &format!(
                    "Channel {}: Unable to request outbound channel for attended transfer target. ({e})",
                    who.name
                ),
            );
            play(
                pbx,
                p.transferer,
                &who.name,
                &who.language,
                &cfg.xferfailsound,
                "",
            )
            .await;
            hold.stop();
            return Attended::Back;
        }
    };
    let target_bridge = bridge_id();
    joined(&consult.one, &target_bridge);
    left(&who.name, &p.bridge);
    joined(&who.name, &target_bridge);
    let mut leg = ConsultLeg {
        name: consult.one,
        id: consult.id,
        stream: consult.stream,
        events,
        bridge: target_bridge.clone(),
    };
    let core = pbx.sip.core.lock().unwrap().clone();
    let mut answered = false;
    let deadline = tokio::time::Instant::now() + Duration::from_millis(cfg.noanswer_ms);
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let mut digits = String::new();
    // Back to the transferee: the transferer leaves the target's bridge.
    let rebridge = |hold: &mut Hold, leg: &ConsultLeg, target_up: bool| {
        if target_up {
            hang_leg(pbx, &core, &leg.id);
            left(&leg.name, &target_bridge);
        }
        left(&who.name, &target_bridge);
        joined(&who.name, &p.bridge);
        hold.stop();
    };
    enum Stim {
        TransfererGone,
        TransfereeGone,
        TargetAnswer,
        TargetGone,
        Timeout,
        Abort,
        Complete,
    }
    let stim = loop {
        let s = tokio::select! {
            r = relay(p.transferer, &mut leg.stream, (true, false)) => {
                match r {
                    (Side::Caller, Input::Dtmf(d)) => {
                        digits.push(d);
                        match code_of(&cfg, &digits) {
                            Code::Prefix => None,
                            Code::Abort => { digits.clear(); Some(Stim::Abort) }
                            Code::Complete => { digits.clear(); Some(Stim::Complete) }
                            Code::None => {
                                for c in std::mem::take(&mut digits).chars() {
                                    leg.stream.send_dtmf(c, 100).await;
                                }
                                None
                            }
                        }
                    }
                    (Side::Caller, Input::RtpTimeout) => Some(Stim::TransfererGone),
                    (Side::Callee, Input::RtpTimeout) => Some(Stim::TargetGone),
                    _ => None,
                }
            }
            ev = leg.events.recv() => match ev {
                Some((_, DialEvent::Answered)) => Some(Stim::TargetAnswer),
                Some((_, DialEvent::Failed(_) | DialEvent::Hangup)) | None => Some(Stim::TargetGone),
                Some(_) => None,
            },
            _ = tokio::time::sleep_until(deadline), if !answered => Some(Stim::Timeout),
            s = watch.hangup() => Some(if s == transferer_side { Stim::TransfererGone } else { Stim::TransfereeGone }),
            _ = tick.tick() => { hold.play(p.transferee); None }
            _ = p.transferee.read() => None,
        };
        match s {
            Some(Stim::TargetAnswer) => answered = true,
            Some(s) => break s,
            None => {}
        }
    };
    match stim {
        Stim::TransfererGone | Stim::Complete if answered => {
            // TRANSFER_COMPLETE: the target's bridge merges into the transferee's; the
            // transferer is left out.
            left(&leg.name, &target_bridge);
            hold.stop();
            joined(&leg.name, &p.bridge);
            left(&who.name, &target_bridge);
            leg.bridge = p.bridge.clone();
            if matches!(stim, Stim::Complete) {
                kick(pbx, &core, watch, transferer_side, &p.transferer_id);
            }
            let lang = pbx.default_language.clone();
            play(pbx, &mut leg.stream, &leg.name, &lang, &cfg.xfersound, "").await;
            Attended::Transfer(leg)
        }
        Stim::TransfererGone | Stim::Complete => {
            // TRANSFER_BLOND(_NONFINAL): the transferee waits for the ringing target.
            left(&leg.name, &target_bridge);
            hold.stop();
            joined(&leg.name, &p.bridge);
            left(&who.name, &target_bridge);
            leg.bridge = p.bridge.clone();
            if matches!(stim, Stim::Complete) {
                kick(pbx, &core, watch, transferer_side, &p.transferer_id);
            }
            blond(pbx, &core, &cfg, p.transferee, leg, watch, transferee_side).await
        }
        Stim::TransfereeGone => {
            // The transferer and the target go on as a normal call.
            play(
                pbx,
                p.transferer,
                &who.name,
                &who.language,
                &cfg.xferfailsound,
                "",
            )
            .await;
            hold.stop();
            Attended::TransfereeGone(leg)
        }
        Stim::TargetGone => {
            if !answered {
                play(
                    pbx,
                    p.transferer,
                    &who.name,
                    &who.language,
                    &cfg.xferfailsound,
                    "",
                )
                .await;
            }
            left(&leg.name, &target_bridge);
            rebridge(&mut hold, &leg, false);
            Attended::Back
        }
        Stim::Timeout | Stim::Abort => {
            play(
                pbx,
                p.transferer,
                &who.name,
                &who.language,
                &cfg.xferfailsound,
                "",
            )
            .await;
            rebridge(&mut hold, &leg, true);
            Attended::Back
        }
        Stim::TargetAnswer => unreachable!("handled in the loop"),
    }
}

/// The transferer completed with `atxfercomplete`: it is hung up (the caller's channel, or
/// the callee leg `id`).
fn kick(pbx: &Pbx, core: &CoreTx, watch: &Watch<'_>, side: Side, id: &str) {
    match side {
        Side::Callee => hang_leg(pbx, core, id),
        Side::Caller => watch.caller.softhangup(),
    }
}

/// A blond transfer: the transferee is bridged with the still ringing target until it
/// answers (the transfer is done), fails, or `atxfernoanswertimeout` passes (with
/// `atxferdropcall=no` Asterisk then calls the transferer back; zvezda gives up).
async fn blond(
    pbx: &Arc<Pbx>,
    core: &CoreTx,
    cfg: &XferConfig,
    transferee: &mut RtpStream,
    mut leg: ConsultLeg,
    watch: &mut Watch<'_>,
    transferee_side: Side,
) -> Attended {
    let deadline = tokio::time::Instant::now() + Duration::from_millis(cfg.noanswer_ms);
    loop {
        tokio::select! {
            r = relay(transferee, &mut leg.stream, (false, false)) => {
                if let (_, Input::RtpTimeout) = r {
                    hang_leg(pbx, core, &leg.id);
                    return Attended::Failed;
                }
            }
            ev = leg.events.recv() => match ev {
                Some((_, DialEvent::Answered)) => return Attended::Transfer(leg),
                Some((_, DialEvent::Failed(_) | DialEvent::Hangup)) | None => {
                    if !cfg.dropcall {
                        crate::logger::notice(
                            "bridge_basic.c",
                            "The transfer target did not answer: calling the transferer back (atxferdropcall=no) is not supported; hanging up",
                        );
                    }
                    return Attended::Failed;
                }
                Some(_) => {}
            },
            _ = tokio::time::sleep_until(deadline), if !cfg.dropcall => {
                hang_leg(pbx, core, &leg.id);
                crate::logger::notice(
                    "bridge_basic.c",
                    "The transfer target did not answer: calling the transferer back (atxferdropcall=no) is not supported; hanging up",
                );
                return Attended::Failed;
            }
            _ = watch.hangup_of(transferee_side) => {
                hang_leg(pbx, core, &leg.id);
                return Attended::Hangup(transferee_side);
            }
        }
    }
}

/// A bridged party that is not the Dial's own channel: a callee leg, a consultation call.
pub struct Peer {
    pub name: String,
    pub id: String,
    pub stream: Box<RtpStream>,
    pub events: Events,
    pub idx: usize,
    /// Its `core show channels` entry is to be removed when it ends (a Dial's callee leg).
    pub registered: bool,
}

/// Keep two parties talking in a bridge of their own (the Dial's channel has left) until
/// either hangs up; then the other is hung up.
pub fn spawn_bridge(pbx: Arc<Pbx>, core: CoreTx, mut a: Peer, mut b: Peer, bridge: String) {
    tokio::spawn(async move {
        let a_ended = loop {
            tokio::select! {
                r = relay(&mut a.stream, &mut b.stream, (false, false)) => match r {
                    (Side::Caller, Input::RtpTimeout) => break true,
                    (Side::Callee, Input::RtpTimeout) => break false,
                    _ => {}
                },
                _ = leg_ended(&mut a.events, a.idx) => break true,
                _ = leg_ended(&mut b.events, b.idx) => break false,
            }
        };
        let (first, second) = if a_ended { (&a, &b) } else { (&b, &a) };
        hang_leg(&pbx, &core, &second.id);
        left(&first.name, &bridge);
        left(&second.name, &bridge);
        for p in [&a, &b] {
            if p.registered {
                pbx.unregister(&p.name);
            }
        }
    });
}

/// The Dial's callee leg goes on alone at `context`/`exten` (the caller blind-transferred
/// it): it becomes a channel of its own (the same name, caller id `caller`, the variables
/// it inherited) that runs the dialplan; its BYE hangs it up, its end sends the BYE.
#[allow(clippy::too_many_arguments)]
pub fn run_leg(
    pbx: &Arc<Pbx>,
    core: CoreTx,
    leg: Peer,
    context: String,
    exten: String,
    caller: CallerId,
    vars: Vars,
    language: String,
) {
    let mut chan = Channel::new(leg.name.clone(), pbx.next_uniqueid(), &context, &exten);
    chan.caller = caller;
    chan.vars = vars;
    chan.language = language;
    chan.set_state(super::ChannelState::Up);
    chan.media = Some(leg.stream);
    chan.tech = Some(Arc::new(LegTech {
        core: core.clone(),
        id: leg.id.clone(),
    }));
    if leg.registered {
        pbx.unregister(&leg.name);
    }
    pbx.register(chan.handle.clone());
    let handle = chan.handle.clone();
    let (mut events, idx) = (leg.events, leg.idx);
    let watcher = tokio::spawn(async move {
        leg_ended(&mut events, idx).await;
        handle.softhangup();
    });
    let pbx = pbx.clone();
    tokio::spawn(async move {
        super::pbx::run(&mut chan, &pbx).await;
        watcher.abort();
        pbx.unregister(&chan.name);
        if let Some(t) = &chan.tech {
            t.hangup(chan.hangupcause);
        }
    });
}

/// The driver of a callee leg turned channel: it is up already; its end is a BYE.
#[derive(Debug)]
struct LegTech {
    core: CoreTx,
    id: String,
}

impl super::Tech for LegTech {
    fn answer(&self) {}
    fn indicate(&self, _ind: super::Indication) {}
    fn hangup(&self, _cause: i32) {
        if let Some(core) = &self.core {
            let _ = core.send(CoreEvent::DialHangup(self.id.clone()));
        }
    }
}
