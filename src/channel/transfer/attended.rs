//! The attended transfer (`atxfer`): bridge_basic.c's state machine, without the swap and
//! three-way states.

use super::{
    bridge_id, call_sip, drain, grab, hang_leg, hear, in_bridge, joined, left, play, while_held,
    CoreTx, Events, Hold, Transferer, Watch, XferConfig, CONSULT_IDX,
};
use crate::channel::bridge::{relay, Side};
use crate::channel::media::{Input, RtpStream, FRAME};
use crate::pbx::Pbx;
use crate::sip::core::DialEvent;
use std::sync::Arc;
use std::time::Duration;

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
    /// Listed in `core show channels` by the transfer (a transferer called back): to be
    /// removed when it ends.
    pub registered: bool,
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
    Threeway,
    Swap,
}

fn code_of(cfg: &XferConfig, buf: &str) -> Code {
    let mut prefix = false;
    for (code, what) in [
        (&cfg.abort, Code::Abort),
        (&cfg.complete, Code::Complete),
        (&cfg.threeway, Code::Threeway),
        (&cfg.swap, Code::Swap),
    ] {
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
    let origin = crate::channel::local::Origin {
        vars: who.vars.clone(),
        caller: who.caller.clone(),
        language: who.language.clone(),
    };
    let dest = format!("{}@{}", exten, who.context);
    let consult = match crate::channel::local::consult_leg(
        pbx,
        &dest,
        origin,
        &who.name,
        CONSULT_IDX,
        tx,
    ) {
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
        registered: false,
    };
    let core = pbx.sip.core.lock().unwrap().clone();
    let mut answered = false;
    let deadline = tokio::time::Instant::now() + Duration::from_millis(cfg.noanswer_ms);
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let mut digits = String::new();
    let mut flush_at: Option<tokio::time::Instant> = None;
    // While the target rings (without early media), the transferer hears ringback.
    let mut ring: Option<crate::media::tones::TonePlayer> = None;
    // The transferer talks to the target (`with_target`) or, after `atxferswap`, to the
    // transferee (Asterisk's HESITANT / DOUBLECHECKING states); the other one waits on hold
    // (a target that has not answered just rings).
    let mut with_target = true;
    let mut target_hold: Option<Hold> = None;
    enum Stim {
        TransfererGone,
        TransfereeGone,
        TargetAnswer,
        TargetGone,
        Timeout,
        Abort,
        Complete,
        Threeway,
        Swap,
    }
    /// What the bridge part of the loop saw.
    enum Heard {
        Transferer(Input),
        Other(Input),
        Nothing,
    }
    let stim = loop {
        let (tr, te, ls) = (&mut *p.transferer, &mut *p.transferee, &mut *leg.stream);
        let media = async {
            let (other, idle) = if with_target { (ls, te) } else { (te, ls) };
            tokio::select! {
                r = relay(tr, other, (true, false)) => match r {
                    (Side::Caller, i) => Heard::Transferer(i),
                    (Side::Callee, i) => Heard::Other(i),
                },
                _ = drain(idle) => Heard::Nothing,
            }
        };
        let next_flush = flush_at;
        let s = tokio::select! {
            h = media => match h {
                Heard::Transferer(Input::Dtmf(d)) => {
                    digits.push(d);
                    flush_at = None;
                    match code_of(&cfg, &digits) {
                        Code::Prefix => {
                            flush_at = Some(tokio::time::Instant::now() + Duration::from_millis(cfg.feature_digit_ms));
                            None
                        }
                        Code::Abort => { digits.clear(); Some(Stim::Abort) }
                        Code::Complete => { digits.clear(); Some(Stim::Complete) }
                        Code::Threeway => { digits.clear(); Some(Stim::Threeway) }
                        Code::Swap => { digits.clear(); Some(Stim::Swap) }
                        Code::None => {
                            let to = if with_target { &mut *leg.stream } else { &mut *p.transferee };
                            for c in std::mem::take(&mut digits).chars() {
                                to.send_dtmf(c, 100).await;
                            }
                            None
                        }
                    }
                }
                Heard::Transferer(Input::RtpTimeout) => Some(Stim::TransfererGone),
                Heard::Other(Input::RtpTimeout) if with_target => Some(Stim::TargetGone),
                Heard::Other(Input::RtpTimeout) => Some(Stim::TransfereeGone),
                _ => None,
            },
            ev = leg.events.recv() => match ev {
                Some((_, DialEvent::Answered)) => { ring = None; Some(Stim::TargetAnswer) }
                Some((_, DialEvent::Ringing)) => {
                    if ring.is_none() {
                        ring = ringback(pbx);
                    }
                    None
                }
                Some((_, DialEvent::Progress)) => { ring = None; None }
                Some((_, DialEvent::Failed(_) | DialEvent::Hangup)) | None => Some(Stim::TargetGone),
                Some(_) => None,
            },
            _ = tokio::time::sleep_until(deadline), if !answered => Some(Stim::Timeout),
            _ = async move {
                match next_flush {
                    Some(t) => tokio::time::sleep_until(t).await,
                    None => std::future::pending().await,
                }
            } => {
                // Not a code after all: the digits go on to whom the transferer talks to.
                flush_at = None;
                let to = if with_target { &mut *leg.stream } else { &mut *p.transferee };
                for c in std::mem::take(&mut digits).chars() {
                    to.send_dtmf(c, 100).await;
                }
                None
            }
            s = watch.hangup() => Some(if s == transferer_side { Stim::TransfererGone } else { Stim::TransfereeGone }),
            _ = tick.tick() => {
                hold.play(p.transferee);
                if let Some(h) = target_hold.as_mut() {
                    h.play(&mut leg.stream);
                }
                if let (Some(r), true) = (ring.as_mut(), with_target) {
                    let mut frame = [0i16; FRAME];
                    let n = r.fill(&mut frame);
                    frame[n..].fill(0);
                    p.transferer.write(&frame);
                }
                None
            }
        };
        match s {
            Some(Stim::TargetAnswer) => answered = true,
            Some(Stim::Swap) => {
                with_target = !with_target;
                if with_target {
                    // Back to the target: the transferee waits again.
                    left(&who.name, &p.bridge);
                    if let Some(mut h) = target_hold.take() {
                        h.stop();
                    }
                    hold = Hold::start(pbx, &p.transferee_name);
                    joined(&who.name, &target_bridge);
                } else {
                    left(&who.name, &target_bridge);
                    if answered {
                        target_hold = Some(Hold::start(pbx, &leg.name));
                    }
                    joined(&who.name, &p.bridge);
                    hold.stop();
                }
            }
            Some(s) => break s,
            None => {}
        }
    };
    if let Some(mut h) = target_hold.take() {
        h.stop();
    }
    // Where the transferer is now, for the lines it prints leaving.
    let transferer_bridge = if with_target {
        target_bridge.clone()
    } else {
        p.bridge.clone()
    };
    match stim {
        Stim::TransfererGone | Stim::Complete if answered => {
            // TRANSFER_COMPLETE: the target's bridge merges into the transferee's; the
            // transferer is left out.
            left(&leg.name, &target_bridge);
            hold.stop();
            joined(&leg.name, &p.bridge);
            left(&who.name, &transferer_bridge);
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
            left(&who.name, &transferer_bridge);
            leg.bridge = p.bridge.clone();
            if matches!(stim, Stim::Complete) {
                kick(pbx, &core, watch, transferer_side, &p.transferer_id);
            }
            let recall = Recall {
                who: who.clone(),
                dest,
            };
            let name = p.transferee_name.clone();
            blond(
                pbx,
                &core,
                &cfg,
                p.transferee,
                &name,
                leg,
                watch,
                transferee_side,
                &recall,
            )
            .await
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
            if !with_target {
                left(&who.name, &p.bridge);
                joined(&who.name, &target_bridge);
            }
            Attended::TransfereeGone(leg)
        }
        Stim::Threeway => {
            // TRANSFER_THREEWAY: the target's bridge merges into the transferee's, the
            // transferer with it; `xfersound` to the target and the transferer.
            hold.stop();
            left(&leg.name, &target_bridge);
            joined(&leg.name, &p.bridge);
            if with_target {
                left(&who.name, &target_bridge);
                joined(&who.name, &p.bridge);
            }
            leg.bridge = p.bridge.clone();
            let lang = pbx.default_language.clone();
            tokio::join!(
                play(pbx, &mut leg.stream, &leg.name, &lang, &cfg.xfersound, ""),
                play(
                    pbx,
                    p.transferer,
                    &who.name,
                    &who.language,
                    &cfg.xfersound,
                    ""
                ),
            );
            let gone = threeway(p.transferer, p.transferee, &mut leg, watch, transferer_side).await;
            match gone {
                Party::Transferer => Attended::Transfer(leg),
                Party::Transferee => Attended::TransfereeGone(leg),
                Party::Target => {
                    left(&leg.name, &p.bridge);
                    Attended::Back
                }
            }
        }
        Stim::TargetGone | Stim::Timeout | Stim::Abort => {
            // TRANSFER_REBRIDGE (or RESUME when the transferer is with the transferee): the
            // failure sound, except for a target that answered and hung up.
            if !(answered && matches!(stim, Stim::TargetGone) && with_target) {
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
            if !matches!(stim, Stim::TargetGone) {
                hang_leg(pbx, &core, &leg.id);
            }
            left(&leg.name, &target_bridge);
            if with_target {
                left(&who.name, &target_bridge);
                joined(&who.name, &p.bridge);
            }
            hold.stop();
            Attended::Back
        }
        Stim::TargetAnswer | Stim::Swap => unreachable!("handled in the loop"),
    }
}

/// Who left a three-way call first.
enum Party {
    Transferer,
    Transferee,
    Target,
}

/// The three of them in one call (softmix's job in Asterisk): each hears the other two,
/// mixed 20 ms at a time, until one leaves; the other two go on as a two-party call.
async fn threeway(
    transferer: &mut RtpStream,
    transferee: &mut RtpStream,
    leg: &mut ConsultLeg,
    watch: &mut Watch<'_>,
    transferer_side: Side,
) -> Party {
    use std::collections::VecDeque;
    let mut q: [VecDeque<Vec<i16>>; 3] = Default::default();
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let keep = |q: &mut VecDeque<Vec<i16>>, frame: &[i16]| {
        if q.len() >= 5 {
            q.pop_front();
        }
        q.push_back(frame.to_vec());
    };
    loop {
        tokio::select! {
            i = hear(transferer) => match i {
                Some(true) => keep(&mut q[0], &transferer.frame),
                None => return Party::Transferer,
                _ => {}
            },
            i = hear(transferee) => match i {
                Some(true) => keep(&mut q[1], &transferee.frame),
                None => return Party::Transferee,
                _ => {}
            },
            i = hear(&mut leg.stream) => match i {
                Some(true) => keep(&mut q[2], &leg.stream.frame),
                None => return Party::Target,
                _ => {}
            },
            ev = leg.events.recv() => match ev {
                Some((_, DialEvent::Failed(_) | DialEvent::Hangup)) | None => return Party::Target,
                Some(_) => {}
            },
            s = watch.hangup() => {
                return if s == transferer_side { Party::Transferer } else { Party::Transferee };
            }
            _ = tick.tick() => {
                let frames: Vec<Vec<i16>> = q
                    .iter_mut()
                    .map(|q| q.pop_front().unwrap_or_else(|| vec![0; FRAME]))
                    .collect();
                let mix = |a: &[i16], b: &[i16]| -> Vec<i16> {
                    (0..FRAME)
                        .map(|k| {
                            let x = i32::from(a.get(k).copied().unwrap_or(0))
                                + i32::from(b.get(k).copied().unwrap_or(0));
                            x.clamp(i16::MIN as i32, i16::MAX as i32) as i16
                        })
                        .collect()
                };
                transferer.write(&mix(&frames[1], &frames[2]));
                transferee.write(&mix(&frames[0], &frames[2]));
                leg.stream.write(&mix(&frames[0], &frames[1]));
                for s in [&*transferer, &*transferee, &*leg.stream] {
                    in_bridge(s);
                }
            }
        }
    }
}

/// The default zone's ringback (indications.conf `ring`), as a channel that is up hears
/// when its peer rings.
fn ringback(pbx: &Pbx) -> Option<crate::media::tones::TonePlayer> {
    super::zone_tone(pbx, "ring")
}

/// The transferer completed with `atxfercomplete`: it is hung up (the caller's channel, or
/// the callee leg `id`).
fn kick(pbx: &Pbx, core: &CoreTx, watch: &Watch<'_>, side: Side, id: &str) {
    match side {
        Side::Callee => hang_leg(pbx, core, id),
        Side::Caller => watch.caller.softhangup(),
    }
}

/// A party being called for the transferee after a blond transfer: the target (a Local
/// pair) or the transferer called back (a SIP call). Its stream and name come with its first
/// events for a SIP call.
struct Attempt {
    name: String,
    id: String,
    stream: Option<Box<RtpStream>>,
    events: Events,
    /// Listed in `core show channels` by us (a SIP call).
    registered: bool,
    /// It sent early media: no ringback over it.
    early: bool,
    /// It is in the transferee's bridge already (a Local pair is, from the start).
    in_bridge: bool,
}

impl Attempt {
    fn of(leg: ConsultLeg) -> Attempt {
        Attempt {
            name: leg.name,
            id: leg.id,
            stream: Some(leg.stream),
            events: leg.events,
            registered: leg.registered,
            early: false,
            in_bridge: true,
        }
    }

    fn end(self, pbx: &Pbx, core: &CoreTx, bridge: &str) {
        hang_leg(pbx, core, &self.id);
        if self.in_bridge {
            left(&self.name, bridge);
        }
        if self.registered {
            pbx.unregister(&self.name);
        }
    }
}

/// What the blond transfer calls next (bridge_basic.c's recall superstate).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Next {
    /// TRANSFER_RECALLING: call the transferer back.
    Recall,
    /// TRANSFER_RETRANSFER: call the target again.
    Retransfer,
}

/// Who to call again after a blond transfer: the transferer (its SIP peer) and the target.
pub struct Recall {
    pub who: Transferer,
    /// `exten@context` of the target.
    pub dest: String,
}

/// A blond transfer: the transferee is bridged with the still ringing target until it
/// answers (the transfer is done) or fails. With `atxferdropcall=no` (the default) a target
/// that does not answer within `atxfernoanswertimeout` (or fails) is given up and the
/// transferer is called back; if it does not answer either, after `atxferloopdelay` (music
/// on hold meanwhile) the target is called again, and so on until `atxfercallbackretries`
/// calls to the transferer failed. The transferee hears ringback while a party rings.
#[allow(clippy::too_many_arguments)]
async fn blond(
    pbx: &Arc<Pbx>,
    core: &CoreTx,
    cfg: &XferConfig,
    transferee: &mut RtpStream,
    transferee_name: &str,
    leg: ConsultLeg,
    watch: &mut Watch<'_>,
    transferee_side: Side,
    recall: &Recall,
) -> Attended {
    let bridge = leg.bridge.clone();
    let mut cur = Some(Attempt::of(leg));
    let mut next = Next::Recall;
    let mut retries = 0;
    let mut hold: Option<Hold> = None;
    let mut ring = ringback(pbx);
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    loop {
        let wait = if cur.is_some() {
            cfg.noanswer_ms
        } else {
            cfg.loop_delay_ms
        };
        let deadline = tokio::time::Instant::now() + Duration::from_millis(wait);
        // Until the current attempt ends (or the wait is over).
        let answered = loop {
            let has_cur = cur.is_some();
            let (stream, rx) = match cur.as_mut() {
                Some(c) => (c.stream.as_deref_mut(), Some(&mut c.events)),
                None => (None, None),
            };
            // The transferee talks with the party called once it has audio; its input is
            // read (and dropped) meanwhile.
            let media = async {
                match stream {
                    Some(s) => relay(transferee, s, (false, false)).await,
                    None => loop {
                        drain(transferee).await;
                    },
                }
            };
            let events = async {
                match rx {
                    Some(e) => e.recv().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                r = media => {
                    if let (Side::Callee, Input::RtpTimeout) = r {
                        break false;
                    }
                }
                ev = events => {
                    let Some(c) = cur.as_mut() else { continue };
                    match ev {
                        Some((_, DialEvent::Answered)) => {
                            if c.registered {
                                crate::verb!(3, "{} answered", c.name);
                            }
                            break true;
                        }
                        Some((_, DialEvent::Created(id, name))) => {
                            let leg = crate::channel::Channel::new(name.clone(), pbx.next_uniqueid(), "", "");
                            pbx.register(leg.handle.clone());
                            c.id = id;
                            c.name = name;
                            c.registered = true;
                        }
                        Some((_, DialEvent::Stream(st))) => c.stream = Some(st),
                        Some((_, DialEvent::Progress)) => c.early = true,
                        Some((_, DialEvent::Ringing)) => {
                            if c.registered {
                                crate::verb!(3, "{} is ringing", c.name);
                            }
                        }
                        Some((_, DialEvent::Failed(code))) => {
                            if c.registered && matches!(code, 486 | 600 | 603) {
                                crate::verb!(3, "{} is busy", c.name);
                            }
                            break false;
                        }
                        Some((_, DialEvent::Hangup)) | None => break false,
                    }
                }
                _ = tokio::time::sleep_until(deadline), if !cfg.dropcall || !has_cur => break false,
                _ = watch.hangup_of(transferee_side) => {
                    if let Some(c) = cur.take() {
                        c.end(pbx, core, &bridge);
                    }
                    if let Some(h) = hold.as_mut() {
                        h.stop();
                    }
                    return Attended::Hangup(transferee_side);
                }
                _ = tick.tick() => {
                    if let Some(h) = hold.as_mut() {
                        h.play(transferee);
                    } else if let (Some(r), Some(c)) = (ring.as_mut(), cur.as_ref()) {
                        if !c.early {
                            let mut frame = [0i16; FRAME];
                            let n = r.fill(&mut frame);
                            frame[n..].fill(0);
                            transferee.write(&frame);
                            in_bridge(transferee);
                        }
                    }
                }
            }
        };
        if answered {
            let c = cur.take().expect("an attempt answered");
            let Some(stream) = c.stream else {
                c.end(pbx, core, &bridge);
                return Attended::Failed;
            };
            if !c.in_bridge {
                joined(&c.name, &bridge);
            }
            return Attended::Transfer(ConsultLeg {
                name: c.name,
                id: c.id,
                stream,
                events: c.events,
                bridge,
                registered: c.registered,
            });
        }
        // The attempt failed, or the wait is over: what comes next.
        let was_waiting = cur.is_none();
        if let Some(c) = cur.take() {
            c.end(pbx, core, &bridge);
        }
        if let Some(mut h) = hold.take() {
            h.stop();
        }
        if cfg.dropcall {
            return Attended::Failed;
        }
        if !was_waiting && next == Next::Retransfer {
            // A call to the transferer failed.
            retries += 1;
            if retries >= cfg.callback_retries {
                return Attended::Failed;
            }
        }
        if !was_waiting && cfg.loop_delay_ms > 0 && retries > 0 {
            hold = Some(Hold::start(pbx, transferee_name));
            continue;
        }
        ring = ringback(pbx);
        let (tx, events) = tokio::sync::mpsc::unbounded_channel();
        cur = match next {
            Next::Recall => {
                next = Next::Retransfer;
                let peer = recall
                    .who
                    .name
                    .strip_prefix("SIP/")
                    .and_then(|n| n.rsplit_once('-'))
                    .map(|(p, _)| p.to_string());
                match peer {
                    Some(p) if call_sip(pbx, core, &p, &recall.who.caller, CONSULT_IDX, tx) => {
                        crate::verb!(3, "Called {}", p);
                        Some(Attempt {
                            name: String::new(),
                            id: String::new(),
                            stream: None,
                            events,
                            registered: false,
                            early: false,
                            in_bridge: false,
                        })
                    }
                    _ => return Attended::Failed,
                }
            }
            Next::Retransfer => {
                next = Next::Recall;
                let origin = crate::channel::local::Origin {
                    vars: recall.who.vars.clone(),
                    caller: recall.who.caller.clone(),
                    language: recall.who.language.clone(),
                };
                match crate::channel::local::consult_leg(
                    pbx,
                    &recall.dest,
                    origin,
                    &recall.who.name,
                    CONSULT_IDX,
                    tx,
                ) {
                    Ok(c) => {
                        joined(&c.one, &bridge);
                        Some(Attempt {
                            name: c.one,
                            id: c.id,
                            stream: Some(c.stream),
                            events,
                            registered: false,
                            early: false,
                            in_bridge: true,
                        })
                    }
                    Err(_) => return Attended::Failed,
                }
            }
        };
    }
}
