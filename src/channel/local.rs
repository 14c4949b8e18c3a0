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

/// Create a Local pair for `dest` and start it; `;1` does `then` when `;2` answers.
/// Err with Asterisk's reason when the target extension does not exist.
pub fn originate(pbx: &Arc<Pbx>, dest: &str, then: Then) -> Result<String, String> {
    let d = LocalDest::parse(dest).ok_or_else(|| format!("Invalid Local channel '{dest}'"))?;
    let dp = pbx.dialplan();
    if !dp.exists(&d.context, &d.exten, 1, None) {
        let msg = format!(
            "No such extension/context {}@{} while calling Local channel",
            d.exten, d.context
        );
        logger::notice("core_local.c", &msg);
        return Err(msg);
    }
    let seq = pbx.next_local_seq();
    let base = format!("Local/{}@{}-{:08x}", d.exten, d.context, seq);
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
