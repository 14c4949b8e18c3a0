//! Local channels (`Local/exten@context[/n]`): a pair of channels joined back to back.
//! `;2` runs the dialplan at exten@context; `;1` is what the originator holds. When `;2`
//! answers, `;1` is answered and runs its application (or dialplan); when either half
//! hangs up, so does the other. This is how `channel originate` runs any dialplan without
//! a phone, as Asterisk's core_local.c does.

use super::{Channel, ChannelState};
use crate::channel::pbx;
use crate::logger;
use crate::pbx::Pbx;
use std::sync::Arc;
use std::time::Duration;

/// `exten@context[/options]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalDest {
    pub exten: String,
    pub context: String,
    pub options: String,
}

impl LocalDest {
    /// Parse what follows `Local/`. The context defaults to `default`, as Asterisk does.
    pub fn parse(s: &str) -> Option<LocalDest> {
        let (body, options) = match s.split_once('/') {
            Some((b, o)) => (b, o.to_string()),
            None => (s, String::new()),
        };
        let (exten, context) = match body.split_once('@') {
            Some((e, c)) => (e.to_string(), c.to_string()),
            None => (body.to_string(), "default".to_string()),
        };
        if exten.is_empty() {
            return None;
        }
        Some(LocalDest {
            exten,
            context,
            options,
        })
    }
}

/// What the `;1` half does once answered.
pub enum Then {
    /// Run an application (`channel originate ... application Wait 3`).
    App(String, String),
    /// Run the dialplan from exten@context (`channel originate ... extension 100@office`).
    Exten(String, String),
}

/// Check that `dest` can be called (Asterisk's NOTICE when not) and number a new pair:
/// the destination and the pair's base name (`Local/x@y-0000000a`).
fn new_pair(pbx: &Pbx, dest: &str, cid: Option<&str>) -> Result<(LocalDest, String), String> {
    let d = LocalDest::parse(dest).ok_or_else(|| format!("Invalid Local channel '{dest}'"))?;
    if !pbx.dialplan().exists(&d.context, &d.exten, 1, cid) {
        let msg = format!(
            "No such extension/context {}@{} while calling Local channel",
            d.exten, d.context
        );
        logger::notice("core_local.c", &msg);
        return Err(msg);
    }
    let seq = pbx.next_local_seq();
    let base = format!("Local/{}@{}-{:08x}", d.exten, d.context, seq);
    Ok((d, base))
}

/// Create a Local pair for `dest` and start it; `;1` does `then` when `;2` answers.
/// Err with Asterisk's reason when the target extension does not exist.
pub fn originate(pbx: &Arc<Pbx>, dest: &str, then: Then) -> Result<String, String> {
    let (d, base) = new_pair(pbx, dest, None)?;
    let mut one = Channel::new(
        format!("{base};1"),
        pbx.next_uniqueid(),
        &d.context,
        &d.exten,
    );
    let mut two = Channel::new(
        format!("{base};2"),
        pbx.next_uniqueid(),
        &d.context,
        &d.exten,
    );
    two.linkedid = one.uniqueid.clone();
    for c in [&mut one, &mut two] {
        c.language = pbx.default_language.clone();
    }
    two.set_state(ChannelState::Ring);
    let (tx, mut rx) = tokio::sync::watch::channel(false);
    two.on_answer = Some(tx);
    let h1 = one.handle.clone();
    let h2 = two.handle.clone();
    pbx.register(h1.clone());
    pbx.register(h2.clone());

    // ;2 runs the dialplan; when it ends, ;1 hangs up.
    let p2 = pbx.clone();
    let h1b = h1.clone();
    tokio::spawn(async move {
        pbx::run(&mut two, &p2).await;
        p2.unregister(&two.name);
        h1b.softhangup();
    });

    // ;1 waits for the answer, then does its part; when done, ;2 hangs up.
    let p1 = pbx.clone();
    let name = one.name.clone();
    tokio::spawn(async move {
        let answered = tokio::select! {
            r = async {
                loop {
                    if *rx.borrow() { return true; }
                    if rx.changed().await.is_err() { return *rx.borrow(); }
                }
            } => r,
            _ = h1.hungup() => false,
            _ = tokio::time::sleep(Duration::from_secs(30)) => false,
        };
        if answered && !one.check_hangup() {
            one.set_state(ChannelState::Up);
            match then {
                Then::App(app, data) => {
                    one.app = "";
                    let _ = pbx::exec_app(&mut one, &p1, &app, data).await;
                }
                Then::Exten(exten, context) => {
                    one.context = context;
                    one.exten = exten;
                    one.priority = 1;
                    pbx::run(&mut one, &p1).await;
                }
            }
        }
        p1.unregister(&one.name);
        h2.softhangup();
    });
    Ok(name)
}

/// The `;2` half's driver when a Local channel is a Dial target: what its dialplan does
/// (answer, ring, busy, hang up) goes back to Dial as the callee's progress.
#[derive(Debug)]
struct LocalTech {
    idx: usize,
    reply: tokio::sync::mpsc::UnboundedSender<(usize, crate::sip::core::DialEvent)>,
    answered: std::sync::atomic::AtomicBool,
}

impl super::Tech for LocalTech {
    fn answer(&self) {
        self.answered
            .store(true, std::sync::atomic::Ordering::SeqCst);
        let _ = self
            .reply
            .send((self.idx, crate::sip::core::DialEvent::Answered));
    }
    fn indicate(&self, ind: super::Indication) {
        use crate::sip::core::DialEvent;
        let ev = match ind {
            super::Indication::Ringing => DialEvent::Ringing,
            super::Indication::Progress => DialEvent::Progress,
            super::Indication::Busy => DialEvent::Failed(486),
            super::Indication::Congestion => DialEvent::Failed(503),
        };
        let _ = self.reply.send((self.idx, ev));
    }
    fn hangup(&self, cause: i32) {
        use crate::sip::core::DialEvent;
        let ev = if self.answered.load(std::sync::atomic::Ordering::SeqCst) {
            DialEvent::Hangup
        } else {
            let code = crate::sip::core::cause_to_sip(cause)
                .map(|c| c.0)
                .unwrap_or(603);
            DialEvent::Failed(code)
        };
        let _ = self.reply.send((self.idx, ev));
    }
}

/// Dial(Local/exten@context[/n]): a Local pair whose `;2` runs the dialplan with the caller's
/// inherited variables and caller id; its progress comes back on `reply` as `idx`. The leg's
/// id (for hanging it up) is `local:<;2 name>`.
pub fn dial_leg(
    pbx: &Arc<Pbx>,
    dest: &str,
    caller: &Channel,
    idx: usize,
    reply: tokio::sync::mpsc::UnboundedSender<(usize, crate::sip::core::DialEvent)>,
) -> Result<(), String> {
    let (d, base) = new_pair(pbx, dest, caller.caller.num.as_deref())?;
    let one = Channel::new(format!("{base};1"), pbx.next_uniqueid(), "", "");
    let mut two = Channel::new(
        format!("{base};2"),
        pbx.next_uniqueid(),
        &d.context,
        &d.exten,
    );
    two.vars = caller.vars.inherited();
    two.caller = caller.caller.clone();
    two.language = caller.language.clone();
    two.set_state(ChannelState::Ring);
    two.tech = Some(Arc::new(LocalTech {
        idx,
        reply: reply.clone(),
        answered: std::sync::atomic::AtomicBool::new(false),
    }));
    if let Ok(mut s) = one.handle.snapshot.lock() {
        s.state = ChannelState::Ring;
        s.app = "AppDial".into();
        s.data = "(Outgoing Line)".into();
    }
    let _ = reply.send((
        idx,
        crate::sip::core::DialEvent::Created(format!("local:{}", two.name), one.name.clone()),
    ));
    run_pair(pbx, one, two);
    Ok(())
}

/// Who a consultation call is placed for (the transferer): the variables it passes on, its
/// caller id and language.
pub struct Origin {
    pub vars: super::Vars,
    pub caller: super::CallerId,
    pub language: String,
}

/// A Local pair placed for an attended transfer, with audio: `;2` runs the dialplan at
/// `dest` (its `chan.media` is one end of a loopback RTP pair), `stream` is the `;1` end
/// that the bridge relays. Its progress comes back on `reply` as `idx`, as for
/// [`dial_leg`]; `id` hangs it up.
pub struct Consult {
    /// The `;1` half's name (what the bridge shows).
    pub one: String,
    /// `local:<;2 name>`, for hanging the pair up.
    pub id: String,
    pub stream: Box<super::media::RtpStream>,
}

/// Register both halves and run `;2`'s dialplan; when it ends, both go and `;2`'s
/// hang-up cause reaches whoever holds `;1`.
fn run_pair(pbx: &Arc<Pbx>, one: Channel, mut two: Channel) {
    pbx.register(one.handle.clone());
    pbx.register(two.handle.clone());
    let p = pbx.clone();
    tokio::spawn(async move {
        pbx::run(&mut two, &p).await;
        let cause = two.hangupcause;
        p.unregister(&two.name);
        p.unregister(&one.name);
        if let Some(t) = &two.tech {
            t.hangup(cause);
        }
        drop(one);
    });
}

/// Two RTP streams on 127.0.0.1 that send to each other: the audio of a Local pair.
fn loopback_pair() -> Option<(super::media::RtpStream, super::media::RtpStream)> {
    use super::media::{DtmfMode, RtpStream};
    use super::rtppool::Sock;
    use crate::media::g711::Law;
    let s1 = std::net::UdpSocket::bind("127.0.0.1:0").ok()?;
    let s2 = std::net::UdpSocket::bind("127.0.0.1:0").ok()?;
    let (a1, a2) = (s1.local_addr().ok()?, s2.local_addr().ok()?);
    let (s1, s2) = (Sock::plain(s1)?, Sock::plain(s2)?);
    let (one, _) = RtpStream::new(
        s1,
        a1,
        Some(a2),
        Law::Alaw,
        Some(101),
        false,
        DtmfMode::Rfc2833,
    );
    let (two, _) = RtpStream::new(
        s2,
        a2,
        Some(a1),
        Law::Alaw,
        Some(101),
        false,
        DtmfMode::Rfc2833,
    );
    Some((one, two))
}

/// The consultation call of an attended transfer (bridge_basic.c's `dial_transfer`):
/// `Local/<exten>@<context>` whose `;2` runs the dialplan with the transferer's variables,
/// caller id and language, plus TRANSFERERNAME and ATTENDEDTRANSFER (the transferer's
/// name).
pub fn consult_leg(
    pbx: &Arc<Pbx>,
    dest: &str,
    origin: Origin,
    transferer: &str,
    idx: usize,
    reply: tokio::sync::mpsc::UnboundedSender<(usize, crate::sip::core::DialEvent)>,
) -> Result<Consult, String> {
    let (d, base) = new_pair(pbx, dest, origin.caller.num.as_deref())?;
    let (a, b) = loopback_pair().ok_or_else(|| "no loopback RTP sockets".to_string())?;
    let one = Channel::new(format!("{base};1"), pbx.next_uniqueid(), "", "");
    let mut two = Channel::new(
        format!("{base};2"),
        pbx.next_uniqueid(),
        &d.context,
        &d.exten,
    );
    two.vars = origin.vars;
    two.vars.set("TRANSFERERNAME", Some(transferer));
    two.vars.set("ATTENDEDTRANSFER", Some(transferer));
    two.caller = origin.caller;
    two.language = origin.language;
    two.media = Some(Box::new(b));
    two.set_state(ChannelState::Ring);
    two.tech = Some(Arc::new(LocalTech {
        idx,
        reply,
        answered: std::sync::atomic::AtomicBool::new(false),
    }));
    if let Ok(mut s) = one.handle.snapshot.lock() {
        s.state = ChannelState::Ring;
        s.app = "AppDial".into();
        s.data = "(Outgoing Line)".into();
    }
    let out = Consult {
        one: one.name.clone(),
        id: format!("local:{}", two.name),
        stream: Box::new(a),
    };
    run_pair(pbx, one, two);
    Ok(out)
}
