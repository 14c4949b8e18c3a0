//! Dial: call one or more channels and bridge the first that answers (apps/app_dial.c).
//! `Dial(Tech/resource[&Tech2/resource2...][,timeout[,options[,URL]]])`.
//!
//! This build parses every Dial option as Asterisk does (an unknown letter gets
//! "Unrecognized option") and places no outgoing call yet: SIP calls come with the SIP
//! issue. A SIP peer that is not registered or a host that does not resolve fails with
//! cause 20 (Subscriber absent) exactly as chan_sip does without a phone, other channel
//! types with cause 66; DIALSTATUS and HANGUPCAUSE are set as Asterisk sets them.

use super::{App, AppFuture, AppResult, Exec};
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

/// Walk an options string: known letters with their `(arg)`, `unknown` for the others.
fn scan_options(opts: &str, mut unknown: impl FnMut(char)) -> Vec<(char, Option<String>)> {
    let mut out = Vec::new();
    let chars: Vec<char> = opts.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        let Some(&(_, takes_arg)) = OPTIONS.iter().find(|(o, _)| *o == c) else {
            unknown(c);
            continue;
        };
        let mut arg = None;
        if takes_arg && chars.get(i) == Some(&'(') {
            let mut depth = 0;
            let start = i + 1;
            let mut j = i;
            while j < chars.len() {
                match chars[j] {
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            arg = Some(chars[start..j.min(chars.len())].iter().collect());
            i = j + 1;
        }
        out.push((c, arg));
    }
    out
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

fn exec<'a>(chan: &'a mut Channel, pbx: &'a Arc<Pbx>, data: String) -> AppFuture<'a> {
    Box::pin(async move {
        let args = super::standard_args(&data);
        let Some(peers) = args.first().filter(|p| !p.is_empty()) else {
            crate::logger::warning(
                "app_dial.c",
                "Dial requires an argument (technology/resource)",
            );
            return AppResult::Hangup;
        };
        if let Some(opts) = args.get(2) {
            parse_options(opts);
        }
        chan.vars.set("DIALSTATUS", Some(""));
        let (mut lines, mut nochan) = (0, 0);
        let mut cause = 0;
        for target in peers.split('&') {
            let Some((tech, resource)) = target.split_once('/') else {
                crate::logger::warning(
                    "app_dial.c",
                    "Dial argument takes format (technology/resource)",
                );
                continue;
            };
            lines += 1;
            let (c, text) = request(pbx, tech, resource);
            crate::logger::notice(
                "app_dial.c",
                &format!("Unable to create channel of type '{tech}' (cause {c} - {text})"),
            );
            cause = c;
            nochan += 1;
        }
        crate::verb!(
            2,
            "Everyone is busy/congested at this time ({lines}:0/0/{nochan})"
        );
        chan.hangupcause = cause;
        chan.vars.set("DIALSTATUS", Some("CHANUNAVAIL"));
        if chan.check_hangup() {
            return AppResult::Hangup;
        }
        AppResult::Continue
    })
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
