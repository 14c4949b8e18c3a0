//! Dial legs that go on without the Dial's channel: a callee leg bridged with a transfer
//! target, or turned into a channel of its own that runs the dialplan.

use super::{hang_leg, left, leg_ended, CoreTx, Events};
use crate::channel::bridge::{relay, Side};
use crate::channel::media::{Input, RtpStream};
use crate::channel::{CallerId, Channel, Vars};
use crate::pbx::Pbx;
use crate::sip::core::CoreEvent;
use std::sync::Arc;

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
    chan.set_state(crate::channel::ChannelState::Up);
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
        crate::channel::pbx::run(&mut chan, &pbx).await;
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

impl crate::channel::Tech for LegTech {
    fn answer(&self) {}
    fn indicate(&self, _ind: crate::channel::Indication) {}
    fn hangup(&self, _cause: i32) {
        if let Some(core) = &self.core {
            let _ = core.send(CoreEvent::DialHangup(self.id.clone()));
        }
    }
}

/// Call SIP peer `peer` (its registered contact or static host) from the transfer machinery
/// (the recall of a transferer), with `caller` as the caller id; its progress comes on
/// `reply` as `idx` (`Created`, `Stream`, then ringing, answer or failure). False when it
/// cannot be called.
pub fn call_sip(
    pbx: &Pbx,
    core: &CoreTx,
    peer: &str,
    caller: &CallerId,
    idx: usize,
    reply: tokio::sync::mpsc::UnboundedSender<(usize, crate::sip::core::DialEvent)>,
) -> bool {
    let Some(core) = core else { return false };
    let Some((peer, to, uri)) = crate::apps::dial::resolve_sip(pbx, peer) else {
        return false;
    };
    core.send(CoreEvent::Dial {
        peer,
        to,
        uri,
        caller_num: caller.num.clone(),
        caller_name: caller.name.clone(),
        idx,
        reply,
    })
    .is_ok()
}
