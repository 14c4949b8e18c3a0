//! Call parking (res_parking): the lots of res_parking.conf and the calls parked in them.
//!
//! A parked call stays in the task that parked it (the Park application, or the Dial whose
//! called party transferred the caller to the park extension): [`hold`] plays it music on
//! hold in the lot's holding bridge until one of three things happens. ParkedCall (another
//! channel's task) takes its entry out of the registry and hands over its own audio stream
//! through the entry's queue; the parked task then bridges the two (a `simple_bridge`) and
//! gives the stream back when either hangs up. Or `parkingtime` passes: the call goes back
//! to the parker (`comebacktoorigin`, Asterisk's `park-dial` Dial) or to `comebackcontext`.
//! Or it hangs up. Whoever removes the registry entry first decides (res_parking's
//! `resolution`).

use crate::apps::AppResult;
use crate::channel::bridge::{relay, Side};
use crate::channel::media::{Input, RtpStream, FRAME};
use crate::channel::{Channel, ChannelHandle};
use crate::config::res_parking::ParkingLot;
use crate::pbx::Pbx;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// A retriever's request to the parked call's task.
pub struct Retrieval {
    pub name: String,
    pub handle: Arc<ChannelHandle>,
    /// The courtesy tone the parked call hears (`parkedplay=callee|both`).
    pub parked_tone: Option<String>,
    /// The bridge's id (the parked task has joined it) comes back on this.
    pub joined: oneshot::Sender<String>,
    /// The retriever's stream comes back when the bridge ends (with whether the retriever
    /// was the one to hang up).
    pub done: oneshot::Sender<(Option<Box<RtpStream>>, bool)>,
    /// The retriever joins with its stream (after its own courtesy tone).
    pub go: oneshot::Receiver<Option<Box<RtpStream>>>,
}

/// One parked call.
pub struct Parked {
    pub lot: String,
    pub space: u32,
    pub channel: String,
    /// The parker's channel name without its sequence (`SIP/1002`).
    pub parker_dial: String,
    pub since: Instant,
    tx: mpsc::UnboundedSender<Retrieval>,
}

#[derive(Default)]
struct State {
    parked: Vec<Parked>,
    /// Each lot's holding bridge id (one per lot, as res_parking keeps it).
    bridges: Vec<(String, String)>,
    /// The last space used per lot (`findslot=next`).
    last: Vec<(String, u32)>,
}

fn state() -> &'static Mutex<State> {
    static S: std::sync::OnceLock<Mutex<State>> = std::sync::OnceLock::new();
    S.get_or_init(Default::default)
}

/// The lots configured now (the default lot always exists).
pub fn lots(pbx: &Pbx) -> Vec<ParkingLot> {
    pbx.config.read().unwrap().res_parking.lots.clone()
}

pub fn lot(pbx: &Pbx, name: &str) -> Option<ParkingLot> {
    lots(pbx)
        .into_iter()
        .find(|l| l.name.eq_ignore_ascii_case(name))
}

fn bridge_of(st: &mut State, lot: &str) -> String {
    if let Some((_, b)) = st.bridges.iter().find(|(l, _)| l == lot) {
        return b.clone();
    }
    let b = crate::channel::transfer::bridge_id();
    st.bridges.push((lot.to_string(), b.clone()));
    b
}

/// The parked calls of a lot (space, channel, parker dial string, seconds parked).
pub fn parked_in(lot: &str) -> Vec<(u32, String, String, u64)> {
    let st = state().lock().unwrap();
    let mut v: Vec<_> = st
        .parked
        .iter()
        .filter(|p| p.lot.eq_ignore_ascii_case(lot))
        .map(|p| {
            (
                p.space,
                p.channel.clone(),
                p.parker_dial.clone(),
                p.since.elapsed().as_secs(),
            )
        })
        .collect();
    v.sort();
    v
}

/// The lot whose park extension `exten@context` is (the extension runs Park): a blind
/// transfer there parks the transferee.
pub fn park_exten(pbx: &Pbx, context: &str, exten: &str) -> Option<String> {
    let dp = pbx.dialplan();
    let found = dp
        .find(
            context,
            exten,
            crate::dialplan::index::Want::Priority(1),
            None,
        )
        .ok()?;
    if !found.step.app.eq_ignore_ascii_case("Park") {
        return None;
    }
    let named = found
        .step
        .data
        .split(',')
        .next()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    Some(named.unwrap_or_else(|| {
        lots(pbx)
            .into_iter()
            .find(|l| l.context == found.context && l.parkext == exten)
            .map(|l| l.name)
            .unwrap_or_else(|| "default".into())
    }))
}

/// A channel name without its sequence: `SIP/1002-0000000c` -> `SIP/1002`.
pub fn dial_string(chan: &str) -> String {
    match chan.rsplit_once('-') {
        Some((base, seq)) if chan.contains('/') && seq.chars().all(|c| c.is_ascii_hexdigit()) => {
            base.to_string()
        }
        _ => chan.to_string(),
    }
}

/// A space taken for a call, and the queue its retriever uses.
pub struct Slot {
    pub lot: ParkingLot,
    pub space: u32,
    pub parker_dial: String,
    /// Park's `c(context,exten,priority)`: where the call goes when it times out.
    pub comeback: Option<String>,
    rx: mpsc::UnboundedReceiver<Retrieval>,
}

/// Park `channel` in `lot_name` on `wanted` (PARKINGEXTEN) or the first free space:
/// registers it and prints Asterisk's lines. None when the lot does not exist or is full.
pub fn park(
    pbx: &Pbx,
    channel: &str,
    lot_name: &str,
    parker: &str,
    wanted: Option<u32>,
) -> Option<Slot> {
    let Some(lot) = lot(pbx, lot_name) else {
        crate::logger::error(
            "parking_applications.c",
            &format!("Could not find parking lot: '{lot_name}'"),
        );
        return None;
    };
    let (tx, rx) = mpsc::unbounded_channel();
    let mut st = state().lock().unwrap();
    let taken = |st: &State, n: u32| st.parked.iter().any(|p| p.lot == lot.name && p.space == n);
    let (lo, hi) = lot.parkpos;
    let space = match wanted {
        Some(n) => {
            if taken(&st, n) || n < lo || n > hi {
                crate::logger::warning(
                    "parking.c",
                    &format!("PARKINGEXTEN={n} is not a free space of lot '{}'", lot.name),
                );
                return None;
            }
            n
        }
        None => {
            let start = if lot.findslot_next {
                st.last
                    .iter()
                    .find(|(l, _)| *l == lot.name)
                    .map(|(_, n)| n + 1)
                    .filter(|n| *n <= hi)
                    .unwrap_or(lo)
            } else {
                lo
            };
            let found = (start..=hi).chain(lo..start).find(|n| !taken(&st, *n));
            let Some(n) = found else {
                crate::logger::warning(
                    "parking_applications.c",
                    &format!(
                        "Failed to get parking space in lot '{}'. All full.",
                        lot.name
                    ),
                );
                return None;
            };
            n
        }
    };
    st.last.retain(|(l, _)| *l != lot.name);
    st.last.push((lot.name.clone(), space));
    let parker_dial = dial_string(parker);
    st.parked.push(Parked {
        lot: lot.name.clone(),
        space,
        channel: channel.to_string(),
        parker_dial: parker_dial.clone(),
        since: Instant::now(),
        tx,
    });
    let bridge = bridge_of(&mut st, &lot.name);
    drop(st);
    crate::verb!(
        3,
        "Parking '{}' in '{}' at space {}",
        channel,
        lot.name,
        space
    );
    holding_line(channel, "joined", &bridge);
    Some(Slot {
        lot,
        space,
        parker_dial,
        comeback: None,
        rx,
    })
}

fn holding_line(chan: &str, what: &str, bridge: &str) {
    crate::verb!(
        3,
        "Channel {} {} 'holding_bridge' parking-bridge <{}>",
        chan,
        what,
        bridge
    );
}

/// Take a parked call out of its lot (for its retriever, or because it ended): the first
/// call of the lot when `space` is None. False/None when someone else took it first.
fn take(lot: &str, space: Option<u32>, channel: Option<&str>) -> Option<Parked> {
    let mut st = state().lock().unwrap();
    let mut cands: Vec<usize> = (0..st.parked.len())
        .filter(|&i| {
            let p = &st.parked[i];
            p.lot.eq_ignore_ascii_case(lot)
                && space.is_none_or(|s| p.space == s)
                && channel.is_none_or(|c| p.channel == c)
        })
        .collect();
    cands.sort_by_key(|&i| st.parked[i].space);
    let i = *cands.first()?;
    Some(st.parked.remove(i))
}

/// Say the space's digits to a stream (the parker that transferred the call).
pub async fn announce(pbx: &Pbx, to: &mut RtpStream, name: &str, language: &str, space: u32) {
    for f in crate::media::say::say_digits(&space.to_string()) {
        crate::channel::transfer::play(pbx, to, name, language, &f, "").await;
    }
}

/// Keep the parked channel (its audio in `chan.media`) in the lot until it is retrieved,
/// times out or hangs up. `announce_self`: Park() run by the channel itself says the space
/// to it first.
pub async fn hold(
    chan: &mut Channel,
    pbx: &Arc<Pbx>,
    slot: Slot,
    announce_self: bool,
) -> AppResult {
    let Slot {
        lot,
        space,
        parker_dial,
        comeback: goto,
        mut rx,
    } = slot;
    let bridge = bridge_of(&mut state().lock().unwrap(), &lot.name);
    if announce_self {
        let files = crate::media::say::say_digits(&space.to_string());
        for f in files {
            crate::channel::playback::play_file(chan, pbx, &f, "").await;
        }
    }
    let class = Some(lot.parkedmusicclass.as_str()).filter(|c| !c.is_empty());
    crate::moh::start(chan, pbx, class);
    let deadline = (lot.parkingtime > 0)
        .then(|| tokio::time::Instant::now() + Duration::from_secs(lot.parkingtime as u64));
    let handle = chan.handle.clone();
    let mut media = chan.media.take();
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let mut frame = [0i16; FRAME];
    let mut timed_out = false;
    let retrieval = loop {
        let expire = async {
            match deadline {
                Some(d) if !timed_out => tokio::time::sleep_until(d).await,
                _ => std::future::pending::<()>().await,
            }
        };
        let read = async {
            match media.as_deref_mut() {
                Some(m) => m.read().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            r = rx.recv() => match r {
                Some(r) => break Some(r),
                None => break None,
            },
            _ = tick.tick() => {
                if let (Some(g), Some(m)) = (chan.generator.as_mut(), media.as_deref_mut()) {
                    if g.fill(&mut frame) {
                        m.write(&frame);
                    }
                }
            }
            _ = read => {}
            _ = handle.hungup() => {
                if take(&lot.name, Some(space), Some(&chan.name)).is_some() {
                    holding_line(&chan.name, "left", &bridge);
                    chan.media = media;
                    crate::moh::stop(chan);
                    return AppResult::Hangup;
                }
                // A retriever has it: its request is on the way.
                drop(rx.recv().await);
                chan.media = media;
                return AppResult::Hangup;
            }
            _ = expire => {
                timed_out = true;
                if take(&lot.name, Some(space), Some(&chan.name)).is_some() {
                    break None;
                }
            }
        }
    };
    holding_line(&chan.name, "left", &bridge);
    chan.media = media;
    crate::moh::stop(chan);
    match retrieval {
        Some(r) => retrieved(chan, pbx, r).await,
        None => comeback(chan, pbx, &lot, space, &parker_dial, goto).await,
    }
}

/// The parked call bridged with its retriever until either hangs up.
async fn retrieved(chan: &mut Channel, pbx: &Pbx, mut r: Retrieval) -> AppResult {
    let bridge = crate::channel::transfer::bridge_id();
    crate::channel::transfer::joined(&chan.name, &bridge);
    let _ = r.joined.send(bridge.clone());
    let handle = chan.handle.clone();
    if let Some(t) = r.parked_tone.take() {
        crate::channel::playback::play_file(chan, pbx, &t, "").await;
    }
    // The retriever's courtesy tone first (on its own stream); then it joins.
    let go = tokio::select! {
        g = &mut r.go => g.ok(),
        _ = handle.hungup() => None,
    };
    // (A retriever without audio, a Local channel, joins with None.)
    let Some(mut stream) = go else {
        return AppResult::Hangup;
    };
    crate::channel::transfer::joined(&r.name, &bridge);
    let retriever_ended = match (chan.media.as_deref_mut(), stream.as_deref_mut()) {
        (Some(a), Some(b)) => loop {
            tokio::select! {
                x = relay(a, b, (false, false)) => match x {
                    (Side::Caller, Input::RtpTimeout) => break false,
                    (Side::Callee, Input::RtpTimeout) => break true,
                    _ => {}
                },
                _ = handle.hungup() => break false,
                _ = r.handle.hungup() => break true,
            }
        },
        _ => tokio::select! {
            _ = handle.hungup() => false,
            _ = r.handle.hungup() => true,
        },
    };
    let (first, second) = if retriever_ended {
        (r.name.as_str(), chan.name.as_str())
    } else {
        (chan.name.as_str(), r.name.as_str())
    };
    crate::channel::transfer::left(first, &bridge);
    crate::channel::transfer::left(second, &bridge);
    let _ = r.done.send((stream, retriever_ended));
    AppResult::Hangup
}

/// `parkingtime` passed: the PARKING_SPACE/PARKEDLOT/PARKER/PARKER_FLAT variables, then
/// Park's `c(...)` target if given, else back to the parker (`park-dial`: Dial(<parker>,<comebackdialtime>)) or to
/// `comebackcontext` (the flat parker's extension there, else `s`).
async fn comeback(
    chan: &mut Channel,
    pbx: &Arc<Pbx>,
    lot: &ParkingLot,
    space: u32,
    parker: &str,
    goto: Option<String>,
) -> AppResult {
    let flat = parker.replace('/', "_");
    chan.vars.set("PARKING_SPACE", Some(&space.to_string()));
    chan.vars.set("PARKEDLOT", Some(&lot.name));
    chan.vars.set("PARKER", Some(parker));
    chan.vars.set("PARKER_FLAT", Some(&flat));
    // The features the parker gets when it is called back (as Dial's callee letters).
    let by_caller = |v: &str| v == "caller" || v == "both";
    let features: String = [
        (&lot.parkedcalltransfers, 't'),
        (&lot.parkedcallreparking, 'k'),
        (&lot.parkedcallhangup, 'h'),
        (&lot.parkedcallrecording, 'x'),
    ]
    .iter()
    .filter(|(v, _)| by_caller(v))
    .map(|(_, c)| *c)
    .collect();
    chan.vars.set("BRIDGE_FEATURES", Some(&features));
    if let Some(g) = goto {
        return match crate::apps::parseable_goto(chan, pbx, &g) {
            Ok(()) => AppResult::Continue,
            Err(_) => AppResult::Hangup,
        };
    }
    if lot.comebacktoorigin && parker.contains('/') {
        // The park-dial context res_parking creates: `<flat> => Dial(<parker>,<time>)`.
        chan.context = "park-dial".into();
        chan.exten = flat.clone();
        chan.priority = 1;
        let data = format!("{},{}", parker, lot.comebackdialtime);
        crate::verb!(
            3,
            "Executing [{}@park-dial:1] Dial(\"{}\", \"{}\") in new stack",
            flat,
            chan.name,
            data
        );
        if let Ok(mut s) = chan.handle.snapshot.lock() {
            s.context = chan.context.clone();
            s.exten = chan.exten.clone();
            s.priority = 1;
            s.app = "Dial".into();
            s.data = data.clone();
        }
        crate::channel::pbx::exec_app(chan, pbx, "Dial", data).await;
        return AppResult::Hangup;
    }
    let dp = pbx.dialplan();
    let exten = if dp.exists(&lot.comebackcontext, &flat, 1, None) {
        flat
    } else {
        "s".to_string()
    };
    chan.context = lot.comebackcontext.clone();
    chan.exten = exten;
    chan.priority = 0;
    AppResult::Continue
}

/// ParkedCall: take the call parked on `space` (the first of the lot when None) and bridge
/// it with `chan`. None when there is no such call.
pub async fn retrieve(
    chan: &mut Channel,
    pbx: &Arc<Pbx>,
    lot: &ParkingLot,
    space: Option<u32>,
) -> Option<AppResult> {
    let parked = take(&lot.name, space, None)?;
    let (jtx, jrx) = oneshot::channel();
    let (dtx, drx) = oneshot::channel();
    let (gtx, grx) = oneshot::channel();
    let tone = Some(lot.courtesytone.clone()).filter(|t| !t.is_empty());
    let who = lot.parkedplay.as_str();
    let req = Retrieval {
        name: chan.name.clone(),
        handle: chan.handle.clone(),
        parked_tone: tone.clone().filter(|_| who == "callee" || who == "both"),
        joined: jtx,
        done: dtx,
        go: grx,
    };
    if parked.tx.send(req).is_err() {
        return None;
    }
    // The parked call leaves the holding bridge and joins ours.
    if jrx.await.is_err() {
        return Some(AppResult::Hangup);
    }
    if let Some(t) = tone.filter(|_| who == "caller" || who == "both") {
        crate::channel::playback::play_file(chan, pbx, &t, "").await;
    }
    if let Err(s) = gtx.send(chan.media.take()) {
        chan.media = s;
        return Some(AppResult::Hangup);
    }
    let (stream, _) = tokio::select! {
        d = drx => d.unwrap_or((None, false)),
    };
    if stream.is_some() {
        chan.media = stream;
    }
    Some(AppResult::Hangup)
}

#[cfg(test)]
mod tests {
    use super::dial_string;

    #[test]
    fn dial_strings() {
        assert_eq!(dial_string("SIP/1002-0000000c"), "SIP/1002");
        assert_eq!(dial_string("SIP/my-peer-0000000c"), "SIP/my-peer");
        assert_eq!(dial_string("Local/1@x-00000001;2"), "Local/1@x-00000001;2");
        assert_eq!(dial_string("1002"), "1002");
    }
}

/// The party that parks the other from Dial's bridge (a blind transfer to the park
/// extension, or `parkcall`): it hears the space, then it is hung up.
pub struct Parker<'a> {
    pub name: &'a str,
    /// Its Dial leg (for the BYE).
    pub id: &'a str,
    pub stream: Option<Box<RtpStream>>,
    /// The Dial's bridge it leaves after the announcement.
    pub bridge: &'a str,
    pub language: &'a str,
}

/// The Dial's caller is parked by its called party (it stays in Dial, as in Asterisk, until
/// it is retrieved, times out or hangs up).
pub async fn park_transferee(
    chan: &mut Channel,
    pbx: &Arc<Pbx>,
    core: &crate::channel::transfer::CoreTx,
    parker: Parker<'_>,
    lot: &str,
) -> AppResult {
    let Parker {
        name,
        id,
        mut stream,
        bridge,
        language,
    } = parker;
    let Some(slot) = park(pbx, &chan.name, lot, name, None) else {
        if let Some(s) = stream.as_deref_mut() {
            crate::channel::transfer::play(pbx, s, name, language, "pbx-parkingfailed", "").await;
        }
        crate::channel::transfer::left(name, bridge);
        crate::channel::transfer::hang_leg(pbx, core, id);
        return AppResult::Hangup;
    };
    let space = slot.space;
    let told = async {
        if let Some(s) = stream.as_deref_mut() {
            announce(pbx, s, name, language, space).await;
        }
        crate::channel::transfer::left(name, bridge);
        crate::channel::transfer::hang_leg(pbx, core, id);
        pbx.unregister(name);
    };
    let (r, ()) = tokio::join!(hold(chan, pbx, slot, false), told);
    r
}

/// The Dial's caller parks its called leg (`K`): the leg becomes a channel of its own held
/// in the lot; the caller hears the space (and is then hung up by Dial).
pub async fn park_leg(
    pbx: &Arc<Pbx>,
    core: crate::channel::transfer::CoreTx,
    leg: crate::channel::transfer::Peer,
    chan: &mut Channel,
    bridge: &str,
    lot: &str,
) {
    let crate::channel::transfer::Peer {
        name,
        id,
        stream,
        mut events,
        idx,
        registered,
    } = leg;
    crate::channel::transfer::left(&name, bridge);
    let Some(slot) = park(pbx, &name, lot, &chan.name, None) else {
        crate::channel::transfer::hang_leg(pbx, &core, &id);
        if registered {
            pbx.unregister(&name);
        }
        crate::channel::transfer::left(&chan.name, bridge);
        return;
    };
    let space = slot.space;
    let mut parked = Channel::new(
        name.clone(),
        pbx.next_uniqueid(),
        &chan.context,
        &chan.exten,
    );
    parked.caller = crate::channel::CallerId {
        num: Some(chan.exten.clone()),
        ..Default::default()
    };
    parked.vars = chan.vars.inherited();
    parked.set_state(crate::channel::ChannelState::Up);
    parked.media = Some(stream);
    parked.app = "Park";
    parked.tech = Some(Arc::new(LegTech {
        core: core.clone(),
        id: id.clone(),
    }));
    if registered {
        pbx.unregister(&name);
    }
    pbx.register(parked.handle.clone());
    let handle = parked.handle.clone();
    let watcher = tokio::spawn(async move {
        loop {
            match events.recv().await {
                Some((i, crate::sip::core::DialEvent::Hangup))
                | Some((i, crate::sip::core::DialEvent::Failed(_)))
                    if i == idx =>
                {
                    break
                }
                None => break,
                _ => {}
            }
        }
        handle.softhangup();
    });
    let p = pbx.clone();
    tokio::spawn(async move {
        let r = hold(&mut parked, &p, slot, false).await;
        if r == AppResult::Continue && !parked.check_hangup() {
            parked.priority = 1;
            crate::channel::pbx::run(&mut parked, &p).await;
        }
        watcher.abort();
        p.unregister(&parked.name);
        if let Some(t) = &parked.tech {
            t.hangup(16);
        }
    });
    let language = chan.language.clone();
    if let Some(s) = chan.media.as_deref_mut() {
        announce(pbx, s, &chan.name.clone(), &language, space).await;
    }
    crate::channel::transfer::left(&chan.name, bridge);
}

/// The driver of a parked Dial leg: up already; its end is a BYE.
#[derive(Debug)]
struct LegTech {
    core: crate::channel::transfer::CoreTx,
    id: String,
}

impl crate::channel::Tech for LegTech {
    fn answer(&self) {}
    fn indicate(&self, _ind: crate::channel::Indication) {}
    fn hangup(&self, _cause: i32) {
        if let Some(core) = &self.core {
            let _ = core.send(crate::sip::core::CoreEvent::DialHangup(self.id.clone()));
        }
    }
}
