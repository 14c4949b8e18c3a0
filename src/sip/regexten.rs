//! chan_sip's `regcontext` / `regexten`: while a peer is registered (or reachable, with
//! `regextenonqualify=yes`), an extension `regexten` (default: the peer's name) with one
//! priority, `Noop(<peer>)`, exists in the context `regcontext` names. Dialplans test it
//! with `DIALPLAN_EXISTS` or include the context to call only phones that are there.
//!
//! As chan_sip's register_peer_exten: nothing happens without `regcontext`; `regexten` may
//! list several `&`-separated extensions, each `exten` or `exten@context` (that context
//! must exist, else a WARNING); an extension that already has a priority 1 there (written
//! in extensions.conf, or matched by a pattern) is left alone. The contexts of `regcontext`
//! exist (empty) from the start, created by "SIP".
//!
//! The extensions live in [`Pbx`]'s list; the dialplan in force is rebuilt with them when
//! the list changes (not on every re-registration).

use crate::config::extensions::Dialplan;
use crate::config::sip::SipGeneral;
use crate::config::ConfigSet;
use crate::dialplan::index::Compiled;
use crate::pbx::Pbx;
use std::sync::Arc;

/// The registrar name `dialplan show` prints for what chan_sip adds.
pub const REGISTRAR: &str = "SIP";

/// `regcontext` from [general] (the last one, as chan_sip reads the file top down).
pub fn regcontext(g: &SipGeneral) -> Option<&str> {
    g.options
        .iter()
        .rev()
        .find(|v| v.name.eq_ignore_ascii_case("regcontext"))
        .map(|v| v.value.trim())
        .filter(|v| !v.is_empty())
}

/// Whether `regextenonqualify` is on.
pub fn on_qualify(g: &SipGeneral) -> bool {
    g.options
        .iter()
        .rev()
        .find(|v| v.name.eq_ignore_ascii_case("regextenonqualify"))
        .is_some_and(|v| crate::config::ast_true(&v.value))
}

/// The (context, extension) pairs `peer` adds. `exists` says whether a context is there.
pub fn targets(
    cfg: &ConfigSet,
    peer: &str,
    exists: impl Fn(&str) -> bool,
) -> Vec<(String, String)> {
    let g = &cfg.sip.general;
    let Some(regctx) = regcontext(g) else {
        return Vec::new();
    };
    // chan_sip keeps regcontext whole as the default context of `regexten` entries; with
    // `a&b` that names no context, so the first one is taken.
    let default_ctx = regctx.split('&').next().unwrap_or(regctx).trim();
    let list = cfg
        .sip
        .peer(peer)
        .and_then(|p| p.regexten.as_ref())
        .map(|r| r.value.clone())
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| peer.to_string());
    let mut out = Vec::new();
    for item in list.split('&') {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        match item.split_once('@') {
            Some((ext, ctx)) => {
                if !exists(ctx) && !regctx.split('&').any(|c| c.trim() == ctx) {
                    crate::logger::warning(
                        "chan_sip.c",
                        &format!("Context {ctx} must exist in regcontext= in sip.conf!"),
                    );
                    continue;
                }
                out.push((ctx.to_string(), ext.to_string()));
            }
            None => out.push((default_ctx.to_string(), item.to_string())),
        }
    }
    out
}

/// The dialplan with chan_sip's additions: the regcontext contexts and the extensions of
/// the peers in `regs` ((context, extension) -> peer), skipping any that exist already.
pub fn compile(base: &Dialplan, g: &SipGeneral, regs: &[(String, String, String)]) -> Compiled {
    let Some(regctx) = regcontext(g) else {
        return Compiled::new(Arc::new(base.clone()));
    };
    let plain = Compiled::new(Arc::new(base.clone()));
    let mut dp = base.clone();
    for ctx in regctx.split('&').map(str::trim).filter(|c| !c.is_empty()) {
        dp.ensure_context(ctx, REGISTRAR);
    }
    for (ctx, ext, peer) in regs {
        if plain.exists(ctx, ext, 1, None) {
            continue;
        }
        dp.add_module_exten(ctx, ext, "Noop", peer, REGISTRAR);
    }
    Compiled::new(Arc::new(dp))
}

/// A peer registered (`on`) or went away: add or remove its extensions. When that changed
/// anything the dialplan is rebuilt — soon, on another task when a runtime runs, so a burst
/// of registrations (phones coming back after a restart) costs one rebuild, not one each.
pub fn set(pbx: &Arc<Pbx>, peer: &str, on: bool) {
    if change(pbx, peer, on) {
        schedule_rebuild(pbx);
    }
}

/// The registrations restored at start: their extensions, one rebuild.
pub fn restore(pbx: &Arc<Pbx>, peers: &[String]) {
    let mut changed = false;
    for p in peers {
        changed |= change(pbx, p, true);
    }
    if changed {
        pbx.rebuild_dialplan();
    }
}

/// The list again for a new configuration (reload): every registered peer's extensions by
/// the new sip.conf; returned for the dialplan being built.
pub fn recompute(pbx: &Pbx, cfg: &ConfigSet) -> Vec<(String, String, String)> {
    let peers: Vec<String> = pbx
        .sip
        .registrar
        .lock()
        .unwrap()
        .regs
        .keys()
        .cloned()
        .collect();
    let mut out = Vec::new();
    if regcontext(&cfg.sip.general).is_some() {
        let dp = Compiled::new(Arc::new(cfg.extensions.clone()));
        for peer in peers.iter().filter(|p| cfg.sip.peer(p).is_some()) {
            for (ctx, ext) in targets(cfg, peer, |c| dp.context(c).is_some()) {
                out.push((ctx, ext, peer.clone()));
            }
        }
    }
    *pbx.sip.regextens.lock().unwrap() = out.clone();
    out
}

fn change(pbx: &Pbx, peer: &str, on: bool) -> bool {
    let cfg = pbx.config.read().unwrap().clone();
    if regcontext(&cfg.sip.general).is_none() {
        return false;
    }
    let mut regs = pbx.sip.regextens.lock().unwrap();
    let before = regs.len();
    if on {
        if regs.iter().any(|(_, _, p)| p == peer) {
            return false;
        }
        let dp = pbx.dialplan();
        for (ctx, ext) in targets(&cfg, peer, |c| dp.context(c).is_some()) {
            regs.push((ctx, ext, peer.to_string()));
        }
    } else {
        regs.retain(|(_, _, p)| p != peer);
    }
    regs.len() != before
}

fn schedule_rebuild(pbx: &Arc<Pbx>) {
    use std::sync::atomic::Ordering;
    let Ok(rt) = tokio::runtime::Handle::try_current() else {
        pbx.rebuild_dialplan();
        return;
    };
    if pbx.rebuild_pending.swap(true, Ordering::AcqRel) {
        return;
    }
    let pbx = pbx.clone();
    rt.spawn(async move {
        // Whatever else of the burst is queued goes in the same rebuild.
        tokio::task::yield_now().await;
        pbx.rebuild_pending.store(false, Ordering::Release);
        let _ = tokio::task::spawn_blocking(move || pbx.rebuild_dialplan()).await;
    });
}
