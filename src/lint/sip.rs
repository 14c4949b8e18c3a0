//! sip.conf rules: security (secrets, insecure, guests, ACLs, ports, enumeration) and the
//! chan_sip options zvezda reads but does not honour.

use crate::config::sip::{SipConf, SipPeer};
use crate::config::ConfigSet;
use crate::diag::{Diagnostic, Span};

const COMMON_SECRETS: &[&str] = &[
    "1234", "12345", "123456", "1234567", "12345678", "password", "secret", "admin", "pass",
    "0000", "1111", "qwerty",
];

/// Why a secret is weak, if it is.
pub fn weak_secret(secret: &str, user: &str) -> Option<String> {
    let mut why = Vec::new();
    if secret.len() < 8 {
        why.push(format!("only {} characters long", secret.len()));
    }
    if !secret.is_empty() && secret.chars().all(|c| c.is_ascii_digit()) {
        why.push("digits only".to_string());
    }
    if secret.eq_ignore_ascii_case(user) {
        why.push("the same as the user name".to_string());
    }
    if COMMON_SECRETS
        .iter()
        .any(|s| s.eq_ignore_ascii_case(secret))
    {
        why.push("on every scanner's list".to_string());
    }
    (!why.is_empty()).then(|| why.join(", "))
}

fn peer_line(p: &SipPeer) -> Span {
    p.name.span.clone()
}

pub fn check(set: &ConfigSet) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let sip = &set.sip;
    if set.raw("sip.conf").is_none() {
        return out;
    }
    let g = &sip.general;
    check_peers(set, sip, &mut out);

    let general_span = g.span.clone().unwrap_or_else(|| {
        sip.peers
            .first()
            .map(peer_line)
            .unwrap_or_else(|| file_start(set))
    });
    // Guests: unauthenticated INVITEs run in [general]'s context.
    if g.allowguest() {
        let ctx = g.context();
        let span = g
            .allowguest
            .as_ref()
            .map(|s| s.span.clone())
            .unwrap_or_else(|| general_span.clone());
        let reach = if set.extensions.context(ctx).is_some() {
            format!("context '{ctx}' exists, so anyone on the network can place calls there without a password")
        } else {
            format!("context '{ctx}' does not exist, so such calls are refused, but they still reach the dialplan lookup")
        };
        out.push(Diagnostic::warning(
            "sip-allowguest",
            span,
            format!("allowguest is on (chan_sip's default): calls from unknown callers are accepted into [general]'s context; {reach}; set allowguest=no"),
        ));
    }
    if !g.alwaysauthreject() {
        let span = g
            .alwaysauthreject
            .as_ref()
            .map(|s| s.span.clone())
            .unwrap_or(general_span.clone());
        out.push(Diagnostic::warning(
            "sip-alwaysauthreject",
            span,
            "alwaysauthreject=no answers an unknown user differently from a wrong password, so scanners (svwar) can list your extensions; remove it (Asterisk 20 and zvezda default to yes)",
        ));
    }
    if g.bindport() == 5060 {
        let span = g
            .bindport
            .as_ref()
            .map(|s| s.span.clone())
            .unwrap_or(general_span.clone());
        out.push(Diagnostic::info(
            "sip-default-port",
            span,
            "SIP listens on the standard port 5060, the first one scanners try; a non-standard bindport (and the same port on the phones) cuts most of that noise",
        ));
    }
    for v in &g.options {
        unsupported_option(v, &mut out);
    }
    out
}

fn file_start(set: &ConfigSet) -> Span {
    let f = set
        .raw("sip.conf")
        .map(|r| r.path.clone())
        .unwrap_or_default();
    Span::new(std::sync::Arc::new(f), 1)
}

fn check_peers(set: &ConfigSet, sip: &SipConf, out: &mut Vec<Diagnostic>) {
    let g = &sip.general;
    let mut without_acl = Vec::new();
    for p in &sip.peers {
        let name = p.name.value.as_str();
        let user = p
            .defaultuser
            .as_ref()
            .map(|u| u.value.as_str())
            .unwrap_or(name);
        if let Some(s) = &p.secret {
            if let Some(why) = weak_secret(&s.value, user) {
                out.push(Diagnostic::warning(
                    "sip-weak-secret",
                    s.span.clone(),
                    format!("the secret of '{name}' is weak ({why}): svcrack guesses it in seconds; use 12+ random characters"),
                ));
            }
        } else if p.md5secret.is_none() && p.is_dynamic() {
            out.push(Diagnostic::warning(
                "sip-no-secret",
                peer_line(p),
                format!("'{name}' registers with no secret: anyone can register as it and take its calls"),
            ));
        }
        let insecure = p.insecure(g);
        if insecure.invite && p.is_dynamic() {
            let span = p
                .common
                .insecure
                .as_ref()
                .map(|s| s.span.clone())
                .unwrap_or_else(|| peer_line(p));
            out.push(Diagnostic::warning(
                "sip-insecure-invite-dynamic",
                span,
                format!(
                    "'{name}' is a phone (host=dynamic) with insecure=invite: its calls are not challenged, so anyone who sends an INVITE as '{name}' dials from context '{}' without a password; insecure=invite is meant for provider trunks matched by IP",
                    p.context(g)
                ),
            ));
        }
        let ctx = p.context(g);
        if set.extensions.context(ctx).is_none() && !set.extensions.not_loaded {
            let span = p
                .context
                .as_ref()
                .map(|c| c.span.clone())
                .unwrap_or_else(|| peer_line(p));
            out.push(Diagnostic::error(
                "sip-peer-context-missing",
                span,
                format!("'{name}' sends its calls to context '{ctx}', which extensions.conf does not define: every call from it is refused"),
            ));
        }
        if p.is_dynamic() && p.permit_deny.is_empty() {
            without_acl.push(p);
        }
        for v in &p.options {
            unsupported_option(v, out);
        }
    }
    if let Some(first) = without_acl.first() {
        let names: Vec<&str> = without_acl.iter().map(|p| p.name.value.as_str()).collect();
        out.push(Diagnostic::warning(
            "sip-no-acl",
            peer_line(first),
            format!(
                "no permit/deny on {}: they can register from any address on the internet; add e.g. deny=0.0.0.0/0.0.0.0 and permit=192.168.0.0/255.255.0.0 (your LAN) to each",
                names.join(", ")
            ),
        ));
    }
}

/// chan_sip options zvezda reads but does not act on, each with what happens instead.
fn unsupported_option(v: &crate::config::Variable, out: &mut Vec<Diagnostic>) {
    let name = v.name.to_ascii_lowercase();
    let val = v.value.trim().to_ascii_lowercase();
    let msg = match name.as_str() {
        "canreinvite" | "directmedia" if crate::config::ast_true(&val) || val == "update" || val == "nonat" || val == "outgoing" => {
            format!("{name}={}: zvezda keeps media anchored through itself (as directmedia=no); calls work, the RTP just does not go phone to phone", v.value.trim())
        }
        "videosupport" if crate::config::ast_true(&val) => "videosupport: zvezda carries audio only (G.711); video streams are declined in the SDP".into(),
        "t38pt_udptl" if crate::config::ast_true(&val) || val.starts_with("yes") => "t38pt_udptl: T.38 fax is not supported; fax goes as G.711 audio".into(),
        "session-timers" if val == "originate" || val == "accept" => "session-timers: zvezda does not refresh sessions (RFC 4028); calls are not timed out by it".into(),
        "tlsenable" if crate::config::ast_true(&val) => "tlsenable: SIP over TLS is not supported yet; only UDP and TCP listen".into(),
        "encryption" if crate::config::ast_true(&val) => "encryption (SRTP) is not supported yet: calls that require it fail".into(),
        "jbenable" if crate::config::ast_true(&val) => "jbenable: zvezda relays RTP without a jitter buffer".into(),
        _ => return,
    };
    out.push(Diagnostic::info("sip-not-honoured", v.span.clone(), msg));
}

#[cfg(test)]
mod tests {
    use super::weak_secret;

    #[test]
    fn weak_secrets() {
        assert!(weak_secret("1234", "1001").unwrap().contains("digits only"));
        assert!(weak_secret("1001aaaa", "1001aaaa")
            .unwrap()
            .contains("same as the user"));
        assert!(weak_secret("Mbn9v7s9tD", "550174").is_none());
        assert!(weak_secret("password", "x").unwrap().contains("scanner"));
    }
}
