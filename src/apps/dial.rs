//! Dial: call one or more channels and bridge the first that answers (apps/app_dial.c).
//! `Dial(Tech/resource[&Tech2/resource2...][,timeout[,options[,URL]]])`.
//!
//! Every Dial option is parsed as Asterisk does (an unknown letter gets "Unrecognized
//! option"). `SIP/peer[/number]` targets (several with `&`, in parallel) are called at the
//! peer's registered contact or static host: ringing and progress go back to the caller
//! (`m` turns ringing into progress, as music on hold does), the first to answer wins and
//! the others are cancelled, the timeout cancels all (NOANSWER), the caller hanging up
//! cancels them (CANCEL); busy/circuit-busy/unavailable make BUSY/CONGESTION/CHANUNAVAIL.
//! After the answer the two calls stay up until either hangs up, with the feature codes the
//! options arm (features.conf): `t`/`T` blind and attended transfers (`channel::transfer`),
//! `h`/`H` disconnect, `x`/`X` one-touch recording. A SIP peer that is not registered or a
//! host that does not resolve fails with cause 20 (Subscriber absent) as chan_sip does;
//! other channel types with cause 66.

use super::{App, AppFuture, AppResult, Exec};
use crate::channel::bridge::Side;
use crate::channel::transfer::{self, bridge_id, hang_leg};
use crate::channel::Channel;
use crate::pbx::Pbx;
use std::sync::Arc;

pub static APP: App = App {
    name: "Dial",
    synopsis: "Attempt to connect to another device or endpoint and bridge the call.",
    provided_by: "app_dial",
    syntax: "Dial(Technology/Resource[&Technology2/Resource2[&...]],[timeout,[options,[URL]]])",
    description: "This application will place calls to one or more specified channels. As soon as one of the requested channels answers, the originating channel will be answered, if it has not already been answered. These two channels will then be active in a bridged call. All other channels that were requested will then be hung up.",
    exec: Exec::Async(exec),
};

/// Dial's option letters (app_dial.c's dial_exec_options); those marked true take `(arg)`.
const OPTIONS: &[(char, bool)] = &[
    ('A', true),
    ('a', false),
    ('b', true),
    ('B', true),
    ('C', false),
    ('c', false),
    ('d', false),
    ('D', true),
    ('E', false),
    ('e', false),
    ('f', true),
    ('F', true),
    ('g', false),
    ('G', true),
    ('h', false),
    ('H', false),
    ('i', false),
    ('I', false),
    ('j', false),
    ('k', false),
    ('K', false),
    ('L', true),
    ('m', true),
    ('M', true),
    ('n', true),
    ('N', false),
    ('o', true),
    ('O', true),
    ('p', false),
    ('P', true),
    ('Q', true),
    ('r', true),
    ('R', false),
    ('S', true),
    ('s', true),
    ('t', false),
    ('T', false),
    ('U', true),
    ('u', true),
    ('w', false),
    ('W', false),
    ('x', false),
    ('X', false),
    ('z', false),
];

/// `ast_app_parse_options`: the letters given (with their arguments), warning on unknown ones.
pub fn parse_options(opts: &str) -> Vec<(char, Option<String>)> {
    scan_options(opts, |c| {
        crate::logger::warning("app.c", &format!("Unrecognized option: '{c}'"))
    })
}

/// The option letters Dial does not know, each once (for the linter).
pub fn unknown_options(opts: &str) -> Vec<char> {
    let mut bad = Vec::new();
    scan_options(opts, |c| {
        if !bad.contains(&c) {
            bad.push(c)
        }
    });
    bad
}

/// Walk an options string with Dial's table.
fn scan_options(opts: &str, unknown: impl FnMut(char)) -> Vec<(char, Option<String>)> {
    super::scan_options(opts, OPTIONS, unknown)
}

/// Why a channel could not be requested: (cause, cause text).
fn request(pbx: &Pbx, tech: &str, resource: &str) -> (i32, &'static str) {
    if tech.eq_ignore_ascii_case("SIP") {
        let peer = resource.split(['@', '/']).next().unwrap_or(resource);
        let cfg = pbx.config.read().unwrap();
        let known = cfg.sip.peers.iter().find(|p| p.name.value == peer);
        match known {
            Some(_) => {}
            None => {
                let resolvable = std::net::ToSocketAddrs::to_socket_addrs(&(peer, 5060))
                    .map(|mut a| a.next().is_some())
                    .unwrap_or(false);
                if !resolvable {
                    crate::logger::error(
                        "netsock2.c",
                        &format!(
                            "getaddrinfo(\"{peer}\", \"(null)\", ...): Name or service not known"
                        ),
                    );
                    crate::logger::warning("chan_sip.c", &format!("No such host: {peer}"));
                }
            }
        }
        // No SIP calls in this build yet; an unregistered peer is absent either way.
        (20, "Subscriber absent")
    } else {
        (66, "Channel not implemented")
    }
}

/// chan_sip's call counter for an outgoing call: counts it, or refuses it (with the NOTICE)
/// when the peer already has `call-limit` calls.
fn call_limit_ok(pbx: &Pbx, peer: &str) -> bool {
    let limit = pbx
        .config
        .read()
        .unwrap()
        .sip
        .peer(peer)
        .and_then(|p| p.call_limit.as_ref().map(|l| l.value))
        .unwrap_or(0)
        .max(0) as u32;
    if pbx.sip.call_started(peer, limit) {
        return true;
    }
    crate::logger::notice(
        "chan_sip.c",
        &format!("Call to peer '{peer}' rejected due to usage limit of {limit}"),
    );
    false
}

/// Where a `SIP/peer[/number]` target goes: the registered contact, or the static host.
pub(crate) fn resolve_sip(
    pbx: &Pbx,
    resource: &str,
) -> Option<(String, std::net::SocketAddr, String)> {
    let (peer, number) = match resource.split_once('/') {
        Some((p, n)) => (p, Some(n)),
        None => (resource, None),
    };
    let cfg = pbx.config.read().unwrap();
    let p = cfg.sip.peer(peer)?;
    if let Some(r) = pbx.sip.registrar.lock().unwrap().regs.get(peer) {
        let mut uri = crate::sip::message::Uri::parse(&r.contact)?;
        if let Some(n) = number {
            uri.user = Some(n.to_string());
        }
        return Some((peer.to_string(), r.addr, uri.to_string()));
    }
    match p.host.as_ref().map(|h| &h.value) {
        Some(crate::config::sip::Host::Static(h)) => {
            let port = p.port.as_ref().map(|x| x.value).unwrap_or(5060);
            let addr = std::net::ToSocketAddrs::to_socket_addrs(&(h.as_str(), port))
                .ok()?
                .next()?;
            let user = number.unwrap_or(peer);
            Some((peer.to_string(), addr, format!("sip:{user}@{h}:{port}")))
        }
        _ => None,
    }
}

fn exec<'a>(chan: &'a mut Channel, pbx: &'a Arc<Pbx>, data: String) -> AppFuture<'a> {
    Box::pin(async move {
        use crate::sip::core::{CoreEvent, DialEvent};
        let args = super::standard_args(&data);
        let Some(peers) = args.first().filter(|p| !p.is_empty()).cloned() else {
            crate::logger::warning(
                "app_dial.c",
                "Dial requires an argument (technology/resource)",
            );
            return AppResult::Hangup;
        };
        let timeout = args
            .get(1)
            .and_then(|t| t.trim().parse::<f64>().ok())
            .filter(|t| *t > 0.0)
            .map(|t| std::time::Duration::from_millis((t * 1000.0) as u64));
        let opts = args.get(2).map(|o| parse_options(o)).unwrap_or_default();
        let mut opts = DialOpts::from(&opts);
        if let Some(f) = chan.vars.get("BRIDGE_FEATURES") {
            opts.bridge_features(f);
        }
        chan.vars.set("DIALSTATUS", Some(""));
        let core = pbx.sip.core.lock().unwrap().clone();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(usize, DialEvent)>();
        let (mut lines, mut nochan) = (0, 0);
        let mut cause = 0;
        let mut started = 0;
        let caller_num = chan.caller.num.clone();
        let caller_name = chan.caller.name.clone();
        for (idx, target) in peers.split('&').enumerate() {
            let Some((tech, resource)) = target.split_once('/') else {
                crate::logger::warning(
                    "app_dial.c",
                    "Dial argument takes format (technology/resource)",
                );
                continue;
            };
            lines += 1;
            let placed = if tech.eq_ignore_ascii_case("Local") {
                crate::channel::local::dial_leg(pbx, resource, chan, idx, tx.clone()).is_ok()
            } else if tech.eq_ignore_ascii_case("SIP") {
                match (resolve_sip(pbx, resource), &core) {
                    (Some((peer, _, _)), Some(_)) if !call_limit_ok(pbx, &peer) => {
                        // chan_sip's sip_call refuses: the channel existed, the call did not.
                        crate::verb!(3, "Couldn't call {}", target);
                        cause = 17;
                        lines -= 1;
                        continue;
                    }
                    (Some((peer, to, uri)), Some(core)) => core
                        .send(CoreEvent::Dial {
                            peer,
                            to,
                            uri,
                            caller_num: caller_num.clone(),
                            caller_name: caller_name.clone(),
                            idx,
                            reply: tx.clone(),
                        })
                        .is_ok(),
                    _ => false,
                }
            } else {
                false
            };
            if placed {
                started += 1;
                crate::verb!(3, "Called {}", target);
            } else {
                let (c, text) = request(pbx, tech, resource);
                crate::logger::notice(
                    "app_dial.c",
                    &format!("Unable to create channel of type '{tech}' (cause {c} - {text})"),
                );
                cause = c;
                nochan += 1;
            }
        }
        drop(tx);
        let mut names: std::collections::HashMap<usize, (String, String)> = Default::default();
        let mut legs: Vec<String> = Vec::new();
        let result = dial_wait(
            chan,
            pbx,
            &core,
            &mut rx,
            &mut names,
            &mut legs,
            started,
            timeout,
            &opts,
            (lines, nochan, cause),
        )
        .await;
        for l in &legs {
            pbx.unregister(l);
        }
        result
    })
}

/// Wait for the outcome of the calls placed, then stay in the call until one side ends.
#[allow(clippy::too_many_arguments)]
async fn dial_wait(
    chan: &mut Channel,
    pbx: &Arc<Pbx>,
    core: &Option<tokio::sync::mpsc::UnboundedSender<crate::sip::core::CoreEvent>>,
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<(usize, crate::sip::core::DialEvent)>,
    names: &mut std::collections::HashMap<usize, (String, String)>,
    legs: &mut Vec<String>,
    started: usize,
    timeout: Option<std::time::Duration>,
    opts: &DialOpts,
    counts: (usize, usize, i32),
) -> AppResult {
    let moh = opts.moh;
    use crate::sip::core::DialEvent;
    let (lines, mut nochan, mut cause) = counts;
    let (mut busy, mut congestion) = (0, 0);
    let mut winner = None;
    let mut indicated = false;
    let deadline = timeout.map(|t| tokio::time::Instant::now() + t);
    let mut live = started;
    // Each SIP leg's audio, until one answers.
    let mut streams: std::collections::HashMap<usize, Box<crate::channel::media::RtpStream>> =
        Default::default();
    // `m` and `r` tell the caller at once (app_dial indicates before waiting).
    if started > 0 && (moh || opts.ring) {
        indicated = true;
        if moh {
            crate::moh::start(chan, pbx, opts.moh_class.as_deref());
        }
        chan.indicate(if moh {
            crate::channel::Indication::Progress
        } else {
            crate::channel::Indication::Ringing
        });
    }
    // Music on hold (`m`) plays to the caller while the callees ring.
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(20));
    let mut frame = [0i16; crate::channel::media::FRAME];
    // Early media: without `m`, the first callee that sends 183 is heard (and hears) before
    // it answers, as the bridge would carry it.
    let mut early: Option<usize> = None;
    let handle = chan.handle.clone();
    while live > 0 {
        let sleep = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending::<()>().await,
            }
        };
        let can_tick = chan.generator.is_some() && chan.media.is_some();
        let early_media = async {
            let leg = early.and_then(|i| streams.get_mut(&i));
            match (chan.media.as_deref_mut(), leg) {
                (Some(a), Some(b)) => {
                    crate::channel::bridge::relay(a, b, (false, false)).await;
                }
                _ => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = early_media => {}
            _ = tick.tick(), if can_tick => {
                if let (Some(g), Some(m)) = (chan.generator.as_mut(), chan.media.as_deref_mut()) {
                    if g.fill(&mut frame) {
                        m.write(&frame);
                    }
                }
            }
            ev = rx.recv() => {
                let Some((i, ev)) = ev else { break };
                let name = names.get(&i).map(|n| n.1.clone()).unwrap_or_default();
                match ev {
                    DialEvent::Stream(st) => {
                        streams.insert(i, st);
                    }
                    DialEvent::Created(id, n) if id.starts_with("local:") => {
                        names.insert(i, (id, n));
                    }
                    DialEvent::Created(id, n) => {
                        // The outgoing leg, as `core show channels` lists it.
                        let leg = Channel::new(n.clone(), pbx.next_uniqueid(), "", "");
                        if let Ok(mut snap) = leg.handle.snapshot.lock() {
                            snap.state = crate::channel::ChannelState::Ring;
                            snap.app = "AppDial".into();
                            snap.data = "(Outgoing Line)".into();
                        }
                        pbx.register(leg.handle.clone());
                        legs.push(n.clone());
                        names.insert(i, (id, n));
                    }
                    DialEvent::Ringing => {
                        crate::verb!(3, "{} is ringing", name);
                        if !indicated {
                            indicated = true;
                            chan.indicate(if moh { crate::channel::Indication::Progress } else { crate::channel::Indication::Ringing });
                        }
                    }
                    DialEvent::Progress => {
                        crate::verb!(3, "{} is making progress passing it to {}", name, chan.name);
                        if !moh && early.is_none() {
                            early = Some(i);
                        }
                        if !indicated {
                            indicated = true;
                            chan.indicate(crate::channel::Indication::Progress);
                        }
                    }
                    DialEvent::Answered => {
                        crate::verb!(3, "{} answered {}", name, chan.name);
                        crate::moh::stop(chan);
                        if let Some(h) = pbx.find_channel(&name) {
                            if let Ok(mut snap) = h.snapshot.lock() {
                                snap.state = crate::channel::ChannelState::Up;
                            }
                        }
                        winner = Some(i);
                        break;
                    }
                    DialEvent::Failed(code) => {
                        live -= 1;
                        // A busy or failed callee is hung up at once, as app_dial does.
                        if let Some((id, _)) = names.get(&i) {
                            hang_leg(pbx, core, id);
                        }
                        match code {
                            486 | 600 | 603 => { busy += 1; cause = 17; crate::verb!(3, "{} is busy", name); }
                            503 => { congestion += 1; cause = 34; crate::verb!(3, "{} is circuit-busy", name); }
                            _ => { nochan += 1; cause = 20; }
                        }
                    }
                    DialEvent::Hangup => {}
                }
            }
            _ = sleep => {
                crate::moh::stop(chan);
                crate::verb!(3, "Nobody picked up in {} ms", timeout.map(|t| t.as_millis()).unwrap_or(0));
                for (id, _) in names.values() { hang_leg(pbx, core, id); }
                chan.vars.set("DIALSTATUS", Some("NOANSWER"));
                return AppResult::Continue;
            }
            _ = handle.hungup() => {
                crate::moh::stop(chan);
                for (id, _) in names.values() { hang_leg(pbx, core, id); }
                chan.vars.set("DIALSTATUS", Some("CANCEL"));
                return AppResult::Hangup;
            }
        }
    }
    let Some(mut w) = winner else {
        crate::moh::stop(chan);
        crate::verb!(
            2,
            "Everyone is busy/congested at this time ({lines}:{busy}/{congestion}/{nochan})"
        );
        chan.hangupcause = cause;
        let status = if busy > 0 {
            "BUSY"
        } else if congestion > 0 {
            "CONGESTION"
        } else {
            "CHANUNAVAIL"
        };
        chan.vars.set("DIALSTATUS", Some(status));
        return if chan.check_hangup() {
            AppResult::Hangup
        } else {
            AppResult::Continue
        };
    };
    // The others lose the race.
    for (i, (id, _)) in names.iter() {
        if *i != w {
            hang_leg(pbx, core, id);
        }
    }
    chan.vars.set("DIALSTATUS", Some("ANSWER"));
    chan.answer();
    // The bridge (signalling; audio comes with the media work): until either side ends.
    let (mut wid, mut wname) = names.get(&w).cloned().unwrap_or_default();
    let mut bridge = bridge_id();
    crate::verb!(
        3,
        "Channel {} joined 'simple_bridge' basic-bridge <{}>",
        wname,
        bridge
    );
    crate::verb!(
        3,
        "Channel {} joined 'simple_bridge' basic-bridge <{}>",
        chan.name,
        bridge
    );
    // `L(x)`: the call lasts at most x ms; then the callee is hung up.
    let limit = opts.limit.map(|l| tokio::time::Instant::now() + l);
    // The audio: the caller's stream and the winner's, relayed both ways.
    let mut mine = chan.media.take();
    let mut theirs = streams.remove(&w);
    drop(streams);
    // Feature codes (features.conf) the options arm: `t`/`T` transfer for the called/calling
    // party, `h`/`H` disconnect.
    let mut feats = Features::new(pbx, opts);
    let mut pending: [String; 2] = Default::default();
    // featuredigittimeout: a feature code's start that goes no further is passed on.
    let mut flush_at: [Option<tokio::time::Instant>; 2] = [None, None];
    let mut transfer_to: Option<(String, String)> = None;
    // The caller blind-transferred the called leg: it runs the dialplan there on its own.
    #[allow(clippy::type_complexity)]
    let mut redirect: Option<(
        transfer::Peer,
        String,
        String,
        crate::channel::CallerId,
        crate::channel::Vars,
        String,
    )> = None;
    // The called leg went on with a transfer target in a bridge of its own.
    let mut detached = false;
    // The called leg's "left" line is printed already (it blind-transferred the caller).
    let mut callee_left = false;
    // One-touch recordings running: automixmon, automon.
    let mut touching = [false; 2];
    // The caller is parked (the called party transferred it to a park extension, or used
    // `parkcall`): (lot, the called party's language).
    let mut park_to: Option<(String, String)> = None;
    // Hold: the party left alone hears music (the caller through its channel's generator,
    // the called leg through a player of its own).
    let mut callee_moh: Option<crate::moh::MohPlayer> = None;
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(20));
    let mut frame = [0i16; crate::channel::media::FRAME];
    let callee_ended = loop {
        let expire = async {
            match limit {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending::<()>().await,
            }
        };
        let media = async {
            match (mine.as_deref_mut(), theirs.as_deref_mut()) {
                (Some(a), Some(b)) => crate::channel::bridge::relay(a, b, feats.holds()).await,
                _ => std::future::pending().await,
            }
        };
        let next_flush = flush_at.iter().flatten().min().copied();
        let flush = async move {
            match next_flush {
                Some(t) => tokio::time::sleep_until(t).await,
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = flush => {
                let now = tokio::time::Instant::now();
                for i in 0..2 {
                    if flush_at[i].is_some_and(|t| t <= now) {
                        flush_at[i] = None;
                        let digits = std::mem::take(&mut pending[i]);
                        let other = if i == 0 { theirs.as_deref_mut() } else { mine.as_deref_mut() };
                        if let Some(o) = other {
                            for c in digits.chars() {
                                o.send_dtmf(c, 100).await;
                            }
                        }
                    }
                }
            }
            _ = tick.tick(), if chan.generator.is_some() || callee_moh.is_some() => {
                use crate::channel::playback::Generator;
                if let (Some(g), Some(m)) = (chan.generator.as_mut(), mine.as_deref_mut()) {
                    if g.fill(&mut frame) {
                        m.write(&frame);
                    }
                }
                if let (Some(g), Some(m)) = (callee_moh.as_mut(), theirs.as_deref_mut()) {
                    if g.fill(&mut frame) {
                        m.write(&frame);
                    }
                }
            }
            r = media => {
                let r = Some(r);
                if let Some((crate::channel::bridge::Side::Callee, crate::channel::media::Input::RtpTimeout)) = r {
                    hang_leg(pbx, core, &wid);
                    break true;
                }
                if let Some((side, crate::channel::media::Input::Hold(h))) = r {
                    match (side, h) {
                        (crate::channel::bridge::Side::Callee, true) => {
                            crate::moh::start(chan, pbx, None);
                        }
                        (crate::channel::bridge::Side::Callee, false) => crate::moh::stop(chan),
                        (crate::channel::bridge::Side::Caller, true) => {
                            if callee_moh.is_none() {
                                if let Some((class, p)) = crate::moh::player(pbx, None) {
                                    crate::verb!(3, "Started music on hold, class '{}', on channel '{}'", class, wname);
                                    callee_moh = Some(p);
                                }
                            }
                        }
                        (crate::channel::bridge::Side::Caller, false) => {
                            if callee_moh.take().is_some() {
                                crate::verb!(3, "Stopped music on hold on {}", wname);
                            }
                        }
                    }
                    continue;
                }
                let Some((side, crate::channel::media::Input::Dtmf(d))) = r else { continue };
                let i = side as usize;
                if !feats.armed(side) {
                    continue;
                }
                pending[i].push(d);
                flush_at[i] = None;
                match feats.lookup(side, &pending[i]) {
                    Lookup::Prefix => {
                        flush_at[i] = Some(tokio::time::Instant::now() + feats.digit_timeout);
                        continue;
                    }
                    Lookup::None => {
                        // Not a feature: the digits go on to the other side.
                        let digits = std::mem::take(&mut pending[i]);
                        let other = if i == 0 { theirs.as_deref_mut() } else { mine.as_deref_mut() };
                        if let Some(o) = other {
                            for c in digits.chars() {
                                o.queue_digit(c, 100);
                            }
                        }
                        continue;
                    }
                    Lookup::Disconnect => {
                        pending[i].clear();
                        hang_leg(pbx, core, &wid);
                        break side == crate::channel::bridge::Side::Callee;
                    }
                    Lookup::OneTouch(kind) => {
                        pending[i].clear();
                        // On the caller's channel (it hears both sides); automon's joined
                        // in/out files are the same mixed recording MixMonitor writes.
                        let on = &mut touching[usize::from(kind == "MONITOR")];
                        chan.media = mine.take();
                        *on = one_touch(chan, pbx, &wname, !*on, kind).await;
                        mine = chan.media.take();
                        continue;
                    }
                    Lookup::BlindTransfer => {
                        pending[i].clear();
                        let (Some(a), Some(b)) = (mine.as_deref_mut(), theirs.as_deref_mut()) else { continue };
                        let who = transfer::Transferer::of(pbx, chan, side, &wname);
                        let (xr, xe, xe_name) = match side {
                            Side::Caller => (a, b, wname.clone()),
                            Side::Callee => (b, a, chan.name.clone()),
                        };
                        let mut watch = transfer::Watch { caller: chan.handle.clone(), rx: &mut *rx, w };
                        match transfer::blind(pbx, &bridge, &who, xr, xe, &xe_name, &mut watch).await {
                            transfer::Blind::Back => continue,
                            transfer::Blind::Hangup(Side::Callee) => break true,
                            transfer::Blind::Hangup(Side::Caller) => {
                                hang_leg(pbx, core, &wid);
                                break false;
                            }
                            transfer::Blind::To(context, exten) if side == Side::Callee && crate::channel::parking::park_exten(pbx, &context, &exten).is_some() => {
                                park_to = crate::channel::parking::park_exten(pbx, &context, &exten).map(|l| (l, who.language.clone()));
                                callee_left = true;
                                break true;
                            }
                            transfer::Blind::To(context, exten) if side == Side::Callee => {
                                // The caller goes there; the called party is released.
                                hang_leg(pbx, core, &wid);
                                chan.vars.set("BLINDTRANSFER", Some(&wname));
                                transfer_to = Some((context, exten));
                                callee_left = true;
                                break true;
                            }
                            transfer::Blind::To(context, exten) if crate::channel::parking::park_exten(pbx, &context, &exten).is_some() => {
                                // The caller parks the called leg and hears the space.
                                let lot = crate::channel::parking::park_exten(pbx, &context, &exten).unwrap_or_default();
                                let Some(stream) = theirs.take() else { continue };
                                let (_, none) = tokio::sync::mpsc::unbounded_channel();
                                let events = std::mem::replace(rx, none);
                                legs.retain(|l| l != &wname);
                                let leg = transfer::Peer { name: wname.clone(), id: wid.clone(), stream, events, idx: w, registered: true };
                                chan.media = mine.take();
                                crate::channel::parking::park_leg(pbx, core.clone(), leg, chan, &bridge, &lot).await;
                                mine = chan.media.take();
                                detached = true;
                                break false;
                            }
                            transfer::Blind::To(context, exten) => {
                                // The called leg goes there on its own; the caller is released.
                                let Some(stream) = theirs.take() else { continue };
                                let callee = transfer::Transferer::of(pbx, chan, Side::Callee, &wname);
                                let mut vars = callee.vars;
                                vars.set("BLINDTRANSFER", Some(&chan.name));
                                let (_, none) = tokio::sync::mpsc::unbounded_channel();
                                let events = std::mem::replace(rx, none);
                                legs.retain(|l| l != &wname);
                                let leg = transfer::Peer { name: wname.clone(), id: wid.clone(), stream, events, idx: w, registered: true };
                                redirect = Some((leg, context, exten, callee.caller, vars, callee.language));
                                break false;
                            }
                        }
                    }
                    Lookup::Park => {
                        pending[i].clear();
                        let who = transfer::Transferer::of(pbx, chan, side, &wname);
                        if side == Side::Callee {
                            park_to = Some(("default".into(), who.language));
                            callee_left = true;
                            break true;
                        }
                        // The caller parks the called leg, which goes on without it.
                        let Some(stream) = theirs.take() else { continue };
                        let (_, none) = tokio::sync::mpsc::unbounded_channel();
                        let events = std::mem::replace(rx, none);
                        legs.retain(|l| l != &wname);
                        let leg = transfer::Peer { name: wname.clone(), id: wid.clone(), stream, events, idx: w, registered: true };
                        chan.media = mine.take();
                        crate::channel::parking::park_leg(pbx, core.clone(), leg, chan, &bridge, "default").await;
                        mine = chan.media.take();
                        detached = true;
                        break false;
                    }
                    Lookup::AttendedTransfer => {
                        pending[i].clear();
                        let (Some(a), Some(b)) = (mine.as_deref_mut(), theirs.as_deref_mut()) else { continue };
                        let who = transfer::Transferer::of(pbx, chan, side, &wname);
                        let (xr, xe, xe_name) = match side {
                            Side::Caller => (a, b, wname.clone()),
                            Side::Callee => (b, a, chan.name.clone()),
                        };
                        let parties = transfer::Parties {
                            who,
                            transferer: xr,
                            transferee: xe,
                            transferee_name: xe_name,
                            bridge: bridge.clone(),
                            transferer_id: wid.clone(),
                        };
                        let mut watch = transfer::Watch { caller: chan.handle.clone(), rx: &mut *rx, w };
                        let (leg, stays) = match transfer::attended(pbx, parties, &mut watch).await {
                            transfer::Attended::Back => continue,
                            transfer::Attended::Hangup(Side::Callee) => break true,
                            transfer::Attended::Hangup(Side::Caller) => {
                                hang_leg(pbx, core, &wid);
                                break false;
                            }
                            transfer::Attended::Failed => {
                                // The transferee is hung up (the transferer is gone already).
                                let gone = if side == Side::Callee {
                                    chan.name.clone()
                                } else {
                                    hang_leg(pbx, core, &wid);
                                    wname.clone()
                                };
                                transfer::left(&gone, &bridge);
                                chan.handle.softhangup();
                                detached = true;
                                break false;
                            }
                            transfer::Attended::Transfer(leg) => {
                                let stays = if side == Side::Caller { Side::Callee } else { Side::Caller };
                                (leg, stays)
                            }
                            transfer::Attended::TransfereeGone(leg) => (leg, side),
                        };
                        if stays == Side::Caller {
                            // The caller talks to the target now, in place of the called leg
                            // (whose features do not pass to the target).
                            feats.callee = (false, false);
                            feats.record.1 = false;
                            pbx.unregister(&wname);
                            legs.retain(|l| l != &wname);
                            bridge = leg.bridge.clone();
                            if leg.registered {
                                legs.push(leg.name.clone());
                            }
                            theirs = Some(leg.stream);
                            wname = leg.name;
                            wid = leg.id;
                            *rx = leg.events;
                            w = transfer::CONSULT_IDX;
                            continue;
                        }
                        // The called leg and the target go on without the caller's channel.
                        let Some(stream) = theirs.take() else { continue };
                        let (_, none) = tokio::sync::mpsc::unbounded_channel();
                        let events = std::mem::replace(rx, none);
                        legs.retain(|l| l != &wname);
                        let callee = transfer::Peer { name: wname.clone(), id: wid.clone(), stream, events, idx: w, registered: true };
                        let target = transfer::Peer { name: leg.name, id: leg.id, stream: leg.stream, events: leg.events, idx: transfer::CONSULT_IDX, registered: leg.registered };
                        transfer::spawn_bridge(pbx.clone(), core.clone(), callee, target, leg.bridge);
                        detached = true;
                        break false;
                    }
                }
            }
            ev = rx.recv() => match ev {
                Some((i, DialEvent::Hangup | DialEvent::Failed(_))) if i == w => break true,
                Some(_) => continue,
                None => break true,
            },
            _ = chan.handle.hungup() => {
                hang_leg(pbx, core, &wid);
                break false;
            }
            _ = expire => {
                hang_leg(pbx, core, &wid);
                break true;
            }
        }
    };
    chan.media = mine;
    crate::moh::stop(chan);
    if callee_moh.take().is_some() {
        crate::verb!(3, "Stopped music on hold on {}", wname);
    }
    if detached {
        // Both left the bridge during the transfer (the caller's channel is done).
        chan.handle.softhangup();
        return AppResult::Hangup;
    }
    let (first, second) = if callee_ended {
        (wname.as_str(), chan.name.as_str())
    } else {
        (chan.name.as_str(), wname.as_str())
    };
    for c in [first, second] {
        if !(callee_left && c == wname) {
            transfer::left(c, &bridge);
        }
    }
    // The caller is parked; the called party hears the space and is hung up.
    if let Some((lot, language)) = park_to {
        let parker = crate::channel::parking::Parker {
            name: &wname,
            id: &wid,
            stream: theirs,
            bridge: &bridge,
            language: &language,
        };
        return crate::channel::parking::park_transferee(chan, pbx, core, parker, &lot).await;
    }
    // Blind transfer by the caller: the called leg runs the dialplan there, the caller is
    // released.
    if let Some((leg, context, exten, caller, vars, language)) = redirect {
        transfer::run_leg(
            pbx,
            core.clone(),
            leg,
            context,
            exten,
            caller,
            vars,
            language,
        );
        return AppResult::Hangup;
    }
    // Blind transfer by the called party: the caller goes to the number dialled.
    if let Some((context, exten)) = transfer_to {
        if !chan.check_hangup() {
            chan.context = context;
            chan.exten = exten;
            chan.priority = 0;
            return AppResult::Continue;
        }
    }
    // `g`: the caller goes on in the dialplan when the other side ended the call.
    if opts.go_on && !chan.check_hangup() {
        return AppResult::Continue;
    }
    AppResult::Hangup
}

/// One-touch recording of the call on the caller's channel (it hears both sides), started
/// (`on`) or stopped: `kind` MIXMONITOR (automixmon) or MONITOR (automon, whose joined
/// recording is the same mixed file). Returns whether it records now.
async fn one_touch(chan: &mut Channel, pbx: &Arc<Pbx>, peer: &str, on: bool, kind: &str) -> bool {
    let label = if kind == "MONITOR" {
        "AutoMonitor"
    } else {
        "AutoMixMonitor"
    };
    let id_var = format!("ONE_TOUCH_{kind}_ID");
    if on {
        let file = touch_file(chan, peer, kind);
        crate::verb!(4, "{label} used to record call. Filename: {file}");
        chan.vars.set(&format!("TOUCH_{kind}_OUTPUT"), Some(&file));
        run_app(chan, pbx, "MixMonitor", format!("{file},bi({id_var})")).await;
    } else {
        crate::verb!(4, "{label} used to stop recording call.");
        let id = chan.vars.get(&id_var).unwrap_or("").to_string();
        run_app(chan, pbx, "StopMixMonitor", id).await;
    }
    on
}

/// Run a dialplan application from inside Dial (the one-touch recording runs MixMonitor).
async fn run_app(chan: &mut Channel, pbx: &Arc<Pbx>, name: &str, data: String) {
    if let Some(app) = super::find(name) {
        match app.exec {
            super::Exec::Async(f) => {
                f(chan, pbx, data).await;
            }
            super::Exec::Sync(f) => {
                f(chan, pbx, &data);
            }
        }
    }
}

/// bridge_builtin_features' automixmon/automon file name (`kind` MIXMONITOR or MONITOR):
/// `TOUCH_<kind>_PREFIX` (or `auto`), the time, `TOUCH_<kind>` or both parties' caller ids,
/// `TOUCH_<kind>_FORMAT` (or wav); `/` becomes `-`.
fn touch_file(chan: &Channel, peer_name: &str, kind: &str) -> String {
    let var = |n: &str| {
        chan.vars
            .get(&format!("TOUCH_{kind}{n}"))
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let prefix = var("_PREFIX").unwrap_or_else(|| "auto".into());
    let format = var("_FORMAT").unwrap_or_else(|| "wav".into());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let name = match var("") {
        Some(m) => format!("{prefix}-{now}-{m}.{format}"),
        None => {
            let me = chan.caller.num.clone().unwrap_or_else(|| chan.name.clone());
            let peer = peer_name
                .strip_prefix("SIP/")
                .and_then(|n| n.rsplit_once('-'))
                .map(|(p, _)| p.to_string())
                .unwrap_or_else(|| peer_name.to_string());
            format!("{prefix}-{now}-{me}-{peer}.{format}")
        }
    };
    name.replace('/', "-")
}

/// What a feature buffer amounts to.
enum Lookup {
    /// The start of a feature code: wait for more.
    Prefix,
    /// No feature.
    None,
    Disconnect,
    BlindTransfer,
    /// `atxfer`: the attended transfer.
    AttendedTransfer,
    /// One-touch recording on or off again: `MIXMONITOR` (automixmon, Dial's `x`/`X`) or
    /// `MONITOR` (automon, `w`/`W`).
    OneTouch(&'static str),
    /// `parkcall`: the other party is parked.
    Park,
}

/// The features the Dial options arm, with their codes (features.conf `[featuremap]`).
struct Features {
    /// (transfer, disconnect) for the caller and for the callee.
    caller: (bool, bool),
    callee: (bool, bool),
    /// automixmon armed for the caller (`X`) and the callee (`x`).
    record: (bool, bool),
    /// automon armed for the caller (`W`) and the callee (`w`).
    monitor: (bool, bool),
    automon: Option<String>,
    blindxfer: Option<String>,
    atxfer: Option<String>,
    disconnect: Option<String>,
    automixmon: Option<String>,
    /// `parkcall`, armed for the caller (`K`) and the callee (`k`).
    parkcall: Option<String>,
    park: (bool, bool),
    /// featuredigittimeout (1000 ms by default).
    digit_timeout: std::time::Duration,
}

impl Features {
    fn new(pbx: &Pbx, opts: &DialOpts) -> Features {
        let cfg = pbx.config.read().unwrap();
        let code = |n: &str| match &cfg.features {
            Some(f) => f.feature_code(n),
            None => crate::config::features::FEATUREMAP
                .iter()
                .find(|(x, _)| *x == n)
                .and_then(|(_, d)| d.map(str::to_string)),
        };
        Features {
            caller: (opts.caller_transfer, opts.caller_disconnect),
            callee: (opts.callee_transfer, opts.callee_disconnect),
            record: (opts.caller_record, opts.callee_record),
            monitor: (opts.caller_monitor, opts.callee_monitor),
            automon: code("automon"),
            blindxfer: code("blindxfer"),
            atxfer: code("atxfer"),
            disconnect: code("disconnect"),
            automixmon: code("automixmon"),
            parkcall: code("parkcall"),
            park: (opts.caller_park, opts.callee_park),
            digit_timeout: std::time::Duration::from_millis(
                cfg.features
                    .as_ref()
                    .and_then(|f| f.general.featuredigittimeout.as_ref())
                    .map(|t| t.value.max(1) as u64)
                    .unwrap_or(1000),
            ),
        }
    }

    fn side(&self, side: crate::channel::bridge::Side) -> (bool, bool) {
        match side {
            crate::channel::bridge::Side::Caller => self.caller,
            crate::channel::bridge::Side::Callee => self.callee,
        }
    }

    fn records(&self, side: crate::channel::bridge::Side) -> bool {
        self.automixmon.is_some()
            && match side {
                crate::channel::bridge::Side::Caller => self.record.0,
                crate::channel::bridge::Side::Callee => self.record.1,
            }
    }

    fn monitors(&self, side: crate::channel::bridge::Side) -> bool {
        self.automon.is_some()
            && match side {
                crate::channel::bridge::Side::Caller => self.monitor.0,
                crate::channel::bridge::Side::Callee => self.monitor.1,
            }
    }

    fn parks(&self, side: crate::channel::bridge::Side) -> bool {
        self.parkcall.is_some()
            && match side {
                crate::channel::bridge::Side::Caller => self.park.0,
                crate::channel::bridge::Side::Callee => self.park.1,
            }
    }

    fn armed(&self, side: crate::channel::bridge::Side) -> bool {
        let (t, h) = self.side(side);
        t || h || self.records(side) || self.monitors(side) || self.parks(side)
    }

    /// Whether each side's DTMF is held back from the other (it may be a feature code).
    fn holds(&self) -> (bool, bool) {
        (
            self.armed(crate::channel::bridge::Side::Caller),
            self.armed(crate::channel::bridge::Side::Callee),
        )
    }

    fn lookup(&self, side: crate::channel::bridge::Side, buf: &str) -> Lookup {
        let (t, h) = self.side(side);
        let mut prefix = false;
        for (on, code, what) in [
            (t, &self.blindxfer, Lookup::BlindTransfer),
            (t, &self.atxfer, Lookup::AttendedTransfer),
            (h, &self.disconnect, Lookup::Disconnect),
            (
                self.records(side),
                &self.automixmon,
                Lookup::OneTouch("MIXMONITOR"),
            ),
            (
                self.monitors(side),
                &self.automon,
                Lookup::OneTouch("MONITOR"),
            ),
            (self.parks(side), &self.parkcall, Lookup::Park),
        ] {
            let Some(code) = code.as_deref().filter(|_| on) else {
                continue;
            };
            if code == buf {
                return what;
            }
            if code.starts_with(buf) {
                prefix = true;
            }
        }
        if prefix {
            Lookup::Prefix
        } else {
            Lookup::None
        }
    }
}

/// The Dial options this build acts on (the others are parsed and accepted).
#[derive(Debug, Default)]
struct DialOpts {
    /// `m`: music on hold (a 183) while the callees ring.
    moh: bool,
    /// `m(class)`.
    moh_class: Option<String>,
    /// `r`: ringing indicated to the caller at once.
    ring: bool,
    /// `g`: go on in the dialplan when the callee hangs up.
    go_on: bool,
    /// `L(x[:y[:z]])`: the call's time limit.
    limit: Option<std::time::Duration>,
    /// `t`/`T`: the called/calling party may transfer; `h`/`H`: may disconnect.
    callee_transfer: bool,
    caller_transfer: bool,
    callee_disconnect: bool,
    caller_disconnect: bool,
    /// `x`/`X`: the called/calling party may start and stop a recording (automixmon).
    callee_record: bool,
    caller_record: bool,
    /// `w`/`W`: the same with automon.
    callee_monitor: bool,
    caller_monitor: bool,
    /// `k`/`K`: the called/calling party may park the other (`parkcall`).
    callee_park: bool,
    caller_park: bool,
}

impl DialOpts {
    /// features.c's `set_bridge_features_on_config`: BRIDGE_FEATURES letters arm features
    /// as Dial's options do (lower case for the called party, upper case for the caller).
    fn bridge_features(&mut self, letters: &str) {
        for c in letters.chars() {
            match c {
                't' => self.callee_transfer = true,
                'T' => self.caller_transfer = true,
                'k' => self.callee_park = true,
                'K' => self.caller_park = true,
                'h' => self.callee_disconnect = true,
                'H' => self.caller_disconnect = true,
                'x' => self.callee_record = true,
                'X' => self.caller_record = true,
                'w' | 'W' => {}
                c => crate::logger::warning(
                    "features.c",
                    &format!("Skipping unknown feature code '{c}'"),
                ),
            }
        }
    }

    fn from(opts: &[(char, Option<String>)]) -> DialOpts {
        let mut d = DialOpts::default();
        for (c, arg) in opts {
            match c {
                'm' => {
                    d.moh = true;
                    d.moh_class = arg.clone().filter(|c| !c.is_empty());
                }
                'r' => d.ring = true,
                'g' => d.go_on = true,
                't' => d.callee_transfer = true,
                'T' => d.caller_transfer = true,
                'h' => d.callee_disconnect = true,
                'H' => d.caller_disconnect = true,
                'x' => d.callee_record = true,
                'X' => d.caller_record = true,
                'w' => d.callee_monitor = true,
                'W' => d.caller_monitor = true,
                'k' => d.callee_park = true,
                'K' => d.caller_park = true,
                'L' => {
                    d.limit = arg
                        .as_deref()
                        .and_then(|a| a.split(':').next())
                        .and_then(|x| x.trim().parse::<u64>().ok())
                        .filter(|x| *x > 0)
                        .map(std::time::Duration::from_millis)
                }
                _ => {}
            }
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::parse_options;

    #[test]
    fn options() {
        let o = parse_options("tTm(default)L(60000:30000)");
        let letters: Vec<char> = o.iter().map(|x| x.0).collect();
        assert_eq!(letters, vec!['t', 'T', 'm', 'L']);
        assert_eq!(o[2].1.as_deref(), Some("default"));
        assert_eq!(o[3].1.as_deref(), Some("60000:30000"));
        // `t&m`: '&' is not an option; t and m still are.
        let o = parse_options("t&m");
        assert_eq!(o.iter().map(|x| x.0).collect::<String>(), "tm");
        assert_eq!(super::unknown_options("t&m&E"), vec!['&']);
        assert_eq!(super::unknown_options("U(sub^a^b)vv"), vec!['v']);
    }
}
