//! sip.conf (chan_sip): `[general]`, `register =>` lines, and the peers/users/friends.
//!
//! What chan_sip does, and this module mirrors:
//! - `[general]` and `[authentication]` are not devices. Every other section needs a `type=`
//!   (the *first* `type` line decides, via `ast_variable_retrieve`): `peer`, `user` or
//!   `friend`; a section without one is skipped with "Section 'x' lacks type", an unknown type
//!   is skipped too.
//! - A device starts from the `[general]` settings (context, language, codecs, nat, dtmfmode,
//!   insecure, directmedia, qualify ...); its own lines are applied in order, so later lines
//!   override earlier ones and template lines (which come first) are overridden by the
//!   section's own.
//! - `register =>` is parsed by `sip_parse_register_line` in channels/sip/config_parser.c.
//! - Unknown options are silently ignored by chan_sip; here they are kept and reported.

use super::values::{
    self, atoi, boolean, int, is_known, port, scan_int, some_text, strip_quoted, text,
};
use super::{ast_false, ast_true, ConfFile, Spanned, Variable};
use crate::diag::{Diagnostic, Span};
use std::collections::BTreeSet;

const FILE: &str = "sip.conf";

/// Options handled by `handle_common_options`/`handle_t38_options`: valid in [general] and devices.
const COMMON: &[&str] = &[
    "allowoverlap",
    "allowsubscribe",
    "buggymwi",
    "canreinvite",
    "directmedia",
    "dtmfmode",
    "faxdetect",
    "g726nonstandard",
    "ignoresdpversion",
    "insecure",
    "nat",
    "progressinband",
    "promiscredir",
    "rfc2833compensate",
    "rpid_immediate",
    "rpid_update",
    "rtcp_mux",
    "sendrpid",
    "supportpath",
    "t38pt_udptl",
    "t38pt_usertpsource",
    "textsupport",
    "trust_id_outbound",
    "trustrpid",
    "useclientcode",
    "videosupport",
    "usereqphone",
];

/// Options `build_peer` reads.
const PEER: &[&str] = &[
    "accountcode",
    "acl",
    "allow",
    "allowtransfer",
    "amaflags",
    "auth",
    "autoframing",
    "avpf",
    "busylevel",
    "call-limit",
    "callbackextension",
    "callcounter",
    "callerid",
    "callgroup",
    "callingpres",
    "cid_number",
    "cid_tag",
    "contactacl",
    "contactdeny",
    "contactpermit",
    "context",
    "defaultip",
    "defaultuser",
    "deny",
    "description",
    "directmediaacl",
    "directmediadeny",
    "directmediapermit",
    "disallow",
    "disallowed_methods",
    "discard_remote_hold_retrieval",
    "encryption",
    "encryption_taglen",
    "force_avp",
    "fromdomain",
    "fromuser",
    "fullcontact",
    "fullname",
    "hasvoicemail",
    "header",
    "host",
    "icesupport",
    "ignore_requested_pref",
    "ipaddr",
    "keepalive",
    "language",
    "lastms",
    "mailbox",
    "maxcallbitrate",
    "maxforwards",
    "md5secret",
    "mohinterpret",
    "mohsuggest",
    "mwi_from",
    "name",
    "namedcallgroup",
    "namedpickupgroup",
    "outboundproxy",
    "outofcall_message_context",
    "parkinglot",
    "permit",
    "pickupgroup",
    "port",
    "preferred_codec_only",
    "qualify",
    "qualifyfreq",
    "recordofffeature",
    "recordonfeature",
    "regexten",
    "regseconds",
    "remotesecret",
    "rtp_engine",
    "rtpholdtimeout",
    "rtpkeepalive",
    "rtptimeout",
    "secret",
    "session-expires",
    "session-minse",
    "session-refresher",
    "session-timers",
    "setvar",
    "snom_aoc_enabled",
    "subscribecontext",
    "subscribemwi",
    "timerb",
    "timert1",
    "tonezone",
    "transport",
    "trunkname",
    "type",
    "unsolicited_mailbox",
    "use_q850_reason",
    "useragent",
    "username",
    "vmexten",
    "useclientcode",
    "regserver",
    "fullcontact",
];

/// Options `reload_config` reads from [general].
const GENERAL: &[&str] = &[
    "accept_outofcall_message",
    "allow",
    "allowexternaldomains",
    "allowguest",
    "allowtransfer",
    "alwaysauthreject",
    "auth",
    "auth_message_requests",
    "auth_options_requests",
    "authfailureevents",
    "autocreatepeer",
    "autodomain",
    "autoframing",
    "bindaddr",
    "bindport",
    "callcounter",
    "callerid",
    "compactheaders",
    "contactacl",
    "contactdeny",
    "contactpermit",
    "context",
    "cos_audio",
    "cos_sip",
    "cos_text",
    "cos_video",
    "defaultexpirey",
    "defaultexpiry",
    "directrtpsetup",
    "disallow",
    "disallowed_methods",
    "discard_remote_hold_retrieval",
    "domain",
    "domainsasrealm",
    "dumphistory",
    "dynamic_exclude_static",
    "dynamic_excludes_static",
    "externaddr",
    "externhost",
    "externip",
    "externrefresh",
    "externtcpport",
    "externtlsport",
    "fromdomain",
    "icesupport",
    "ignoreregexpire",
    "keepalive",
    "language",
    "legacy_useroption_parsing",
    "localnet",
    "match_auth_username",
    "matchexternaddrlocally",
    "matchexterniplocally",
    "maxcallbitrate",
    "maxexpirey",
    "maxexpiry",
    "maxforwards",
    "media_address",
    "minexpirey",
    "minexpiry",
    "mohinterpret",
    "mohsuggest",
    "mwi",
    "mwi_from",
    "mwiexpirey",
    "mwiexpiry",
    "notifycid",
    "notifyhold",
    "notifymimetype",
    "notifyringing",
    "outboundproxy",
    "outofcall_message_context",
    "parkinglot",
    "pedantic",
    "preferred_codec_only",
    "prematuremedia",
    "qualify",
    "qualifyfreq",
    "qualifygap",
    "qualifypeers",
    "realm",
    "recordhistory",
    "recordofffeature",
    "recordonfeature",
    "refer_addheaders",
    "regcontext",
    "regextenonqualify",
    "register",
    "register_retry_403",
    "registerattempts",
    "registertimeout",
    "relaxdtmf",
    "rtautoclear",
    "rtcachefriends",
    "rtpbindaddr",
    "rtpholdtimeout",
    "rtpkeepalive",
    "rtptimeout",
    "rtsavepath",
    "rtsavesysname",
    "rtupdate",
    "sdpowner",
    "sdpsession",
    "send_diversion",
    "session-expires",
    "session-minse",
    "session-refresher",
    "session-timers",
    "shrinkcallerid",
    "sipdebug",
    "snom_aoc_enabled",
    "srvlookup",
    "storesipcause",
    "submaxexpirey",
    "submaxexpiry",
    "subminexpirey",
    "subminexpiry",
    "subscribe_network_change_event",
    "subscribecontext",
    "t1min",
    "tcpauthlimit",
    "tcpauthtimeout",
    "tcpbindaddr",
    "tcpenable",
    "timerb",
    "timert1",
    "tlsverifyclient",
    "tonezone",
    "tos_audio",
    "tos_sip",
    "tos_text",
    "tos_video",
    "transport",
    "udpbindaddr",
    "use_q850_reason",
    "useragent",
    "usereqphone",
    "vmexten",
    "websocket_enabled",
    "websocket_write_timeout",
    "callevents",
    "tlsenable",
    "tlsbindaddr",
    "allowsubscribe",
    "maxcallbitrate",
    "t38pt_udptl",
    "progressinband",
];

/// Prefixes of option families parsed by shared code: TLS (`ast_tls_read_conf`), DTLS
/// (`ast_rtp_dtls_cfg_parse`), the jitterbuffer (`ast_jb_read_conf`), call completion
/// (`ast_cc_is_config_param`) and the `ssl*` aliases of the TLS options.
const PREFIXES: &[&str] = &["tls", "ssl", "dtls", "jb", "cc_", "ccbs", "ccnr", "t38pt_"];

/// `udp`, `tcp`, `tls`, `ws`, `wss`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Udp,
    Tcp,
    Tls,
    Ws,
    Wss,
}

impl Transport {
    pub fn parse(s: &str) -> Option<Transport> {
        match s.trim().to_ascii_lowercase().as_str() {
            "udp" => Some(Transport::Udp),
            "tcp" => Some(Transport::Tcp),
            "tls" => Some(Transport::Tls),
            "ws" => Some(Transport::Ws),
            "wss" => Some(Transport::Wss),
            _ => None,
        }
    }
}

/// One `register =>` line, as `sip_parse_register_line` splits
/// `[peer?][transport://]user[@domain][:secret[:authuser]]@host[:port][/extension][~expiry]`.
/// Every field carries the span of the `register` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Register {
    /// The whole value as written.
    pub raw: Spanned<String>,
    /// `peer?` prefix: the peer whose settings the registration uses.
    pub peer: Option<Spanned<String>>,
    /// `udp` when absent; an unknown one falls back to udp with a notice.
    pub transport: Spanned<Transport>,
    pub user: Spanned<String>,
    /// `user@domain` before the secret: the domain put in the From/To (regdomain).
    pub domain: Option<Spanned<String>>,
    /// The domain's port, in the `user@domain:port:secret:authuser` form.
    pub domainport: Option<Spanned<u16>>,
    pub secret: Option<Spanned<String>>,
    pub authuser: Option<Spanned<String>>,
    pub host: Spanned<String>,
    /// 5060 (5061 for tls) when absent or invalid.
    pub port: Spanned<u16>,
    /// The extension incoming calls go to: `s` when absent.
    pub extension: Spanned<String>,
    /// Seconds; [general] `defaultexpiry` (120) when absent.
    pub expiry: Spanned<i64>,
}

/// `__ast_app_separate_args(buf, delim, 0, ..., max)`: split on `delim` outside quotes,
/// parentheses and brackets (so `[::1]:5060` splits once), at most `max` pieces, the last
/// taking the rest. An empty string gives no pieces.
pub fn separate_args(s: &str, delim: char, max: usize) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let (mut paren, mut bracket, mut quote) = (0u32, 0u32, false);
    let mut i = 0;
    let mut cur = String::new();
    let mut ended_on_delim = false;
    while i < chars.len() && out.len() < max - 1 {
        let c = chars[i];
        ended_on_delim = false;
        match c {
            '(' => paren += 1,
            ')' => paren = paren.saturating_sub(1),
            '[' => bracket += 1,
            ']' => bracket = bracket.saturating_sub(1),
            '"' if delim != '"' => quote = !quote,
            '\\' => {
                cur.push(c);
                i += 1;
                if i < chars.len() {
                    cur.push(chars[i]);
                }
                i += 1;
                continue;
            }
            _ if c == delim && paren == 0 && bracket == 0 && !quote => {
                out.push(std::mem::take(&mut cur));
                ended_on_delim = true;
                i += 1;
                continue;
            }
            _ => {}
        }
        cur.push(c);
        i += 1;
    }
    let rest: String = chars[i.min(chars.len())..].iter().collect();
    cur.push_str(&rest);
    if !cur.is_empty() || ended_on_delim {
        out.push(cur);
    }
    out
}

const REGISTER_FORMAT: &str =
    "the format is [peer?][transport://]user[@domain][:secret[:authuser]]@host[:port][/extension][~expiry]";

/// Parse a `register =>` value as chan_sip does. Notices Asterisk logs for a bad port or
/// transport go to `diags`; a line chan_sip refuses is an `Err` with the reason.
pub fn parse_register(
    v: &Variable,
    default_expiry: i64,
    diags: &mut Vec<Diagnostic>,
) -> Result<Register, String> {
    let sp = |s: String| Spanned::new(s, v.span.clone());
    let opt = |s: Option<&String>| {
        s.filter(|s| !s.is_empty())
            .map(|s| Spanned::new(strip_quoted(s), v.span.clone()))
    };
    let value = &v.value;
    if value.len() > 255 {
        diags.push(Diagnostic::warning(
            "sip-register-too-long",
            v.span.clone(),
            "register line longer than 255 characters: chan_sip cuts it at 255",
        ));
    }
    let (userpart, hostpart) = match value.rfind('@') {
        Some(i) => (&value[..i], &value[i + 1..]),
        None => return Err(format!("no '@host' part; {}", REGISTER_FORMAT)),
    };
    if userpart.is_empty() || hostpart.is_empty() {
        return Err(format!("empty user or host; {}", REGISTER_FORMAT));
    }
    // peer?rest
    let pre1 = separate_args(userpart, '?', 2);
    let (peer, rest) = match pre1.as_slice() {
        [p, r] if !r.is_empty() => (Some(p.clone()), r.clone()),
        [p, ..] => (None, p.clone()),
        [] => (None, String::new()),
    };
    // transport://rest
    let pre2 = separate_args(&rest, '/', 3);
    let (transport, user_secret) = if pre2.len() == 3 && !pre2[2].is_empty() {
        if !pre2[1].is_empty() {
            return Err(format!("bad transport prefix; {}", REGISTER_FORMAT));
        }
        let mut t = pre2[0].clone();
        t.pop(); // the ':' of "udp://"
        (Some(t), pre2[2].clone())
    } else {
        if pre2.len() >= 2 && !pre2[1].is_empty() {
            return Err(format!("'/' in the user part; {}", REGISTER_FORMAT));
        }
        (None, pre2.first().cloned().unwrap_or_default())
    };
    let user1 = separate_args(&user_secret, ':', 3);
    let host1 = separate_args(hostpart, '~', 2);
    let host2 = separate_args(host1.first().map(String::as_str).unwrap_or(""), '/', 2);
    let host3 = separate_args(host2.first().map(String::as_str).unwrap_or(""), ':', 2);
    let user2 = separate_args(user1.first().map(String::as_str).unwrap_or(""), '@', 2);
    let mut secret = user1.get(1).cloned();
    let user3 = user1
        .get(2)
        .map(|a| separate_args(a, ':', 2))
        .unwrap_or_default();
    let mut authuser = user3.first().cloned();
    let mut domainport_s = user3.get(1).cloned();
    if user3.len() == 2 {
        // user@domain:domainport:secret:authuser
        domainport_s = secret.take();
        secret = user3.first().cloned();
        authuser = user3.get(1).cloned();
    }
    let host = host3.first().cloned().unwrap_or_default();
    if host.is_empty() {
        return Err(format!("empty host; {}", REGISTER_FORMAT));
    }
    let mut portnum = None;
    if let Some(p) = host3.get(1) {
        portnum = port(p);
        if portnum.is_none() {
            diags.push(Diagnostic::warning(
                "sip-register-port",
                v.span.clone(),
                format!(
                    "'{}' is not a valid port number; chan_sip uses the default port",
                    p
                ),
            ));
        }
    }
    let mut domainport = None;
    if let Some(p) = &domainport_s {
        domainport = port(p);
        if domainport.is_none() {
            diags.push(Diagnostic::warning(
                "sip-register-port",
                v.span.clone(),
                format!(
                    "'{}' is not a valid domain port number; chan_sip uses the default",
                    p
                ),
            ));
        }
    }
    let transport_v = match &transport {
        None => Transport::Udp,
        Some(t) => {
            let l = t.to_ascii_lowercase();
            if l.starts_with("tcp") {
                Transport::Tcp
            } else if l.starts_with("tls") {
                Transport::Tls
            } else if l.starts_with("udp") {
                Transport::Udp
            } else {
                diags.push(Diagnostic::warning(
                    "sip-register-transport",
                    v.span.clone(),
                    format!("'{}' is not a valid transport type; chan_sip uses udp", t),
                ));
                Transport::Udp
            }
        }
    };
    let portnum = portnum.unwrap_or(if transport_v == Transport::Tls {
        5061
    } else {
        5060
    });
    let extension = host2
        .get(1)
        .filter(|e| !e.is_empty())
        .map(|e| strip_quoted(e))
        .unwrap_or_else(|| "s".into());
    let expiry = host1
        .get(1)
        .map(|e| atoi(&strip_quoted(e)))
        .unwrap_or(default_expiry);
    Ok(Register {
        raw: text(v),
        peer: opt(peer.as_ref()),
        transport: Spanned::new(transport_v, v.span.clone()),
        user: sp(strip_quoted(
            user2.first().map(String::as_str).unwrap_or(""),
        )),
        domain: opt(user2.get(1)),
        domainport: domainport.map(|p| Spanned::new(p, v.span.clone())),
        secret: opt(secret.as_ref()),
        authuser: opt(authuser.as_ref()),
        host: sp(strip_quoted(&host)),
        port: Spanned::new(portnum, v.span.clone()),
        extension: sp(extension),
        expiry: Spanned::new(expiry, v.span.clone()),
    })
}

/// `nat=`: a comma list parsed by `sip_parse_nat_option`. `yes` is the deprecated
/// `force_rport,comedia`; a false value clears everything.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Nat {
    pub force_rport: bool,
    pub comedia: bool,
    pub auto_force_rport: bool,
    pub auto_comedia: bool,
}

impl Nat {
    /// Apply one `nat=` value on top of `self`, as chan_sip does (it never clears first).
    pub fn apply(&mut self, v: &Variable, diags: &mut Vec<Diagnostic>) {
        for word in v.value.split(',') {
            let w = word.trim().to_ascii_lowercase();
            if ast_false(&w) {
                *self = Nat::default();
                break;
            } else if w == "yes" {
                diags.push(Diagnostic::info(
                    "sip-nat-yes",
                    v.span.clone(),
                    "nat=yes is deprecated; it means nat=force_rport,comedia",
                ));
                *self = Nat {
                    force_rport: true,
                    comedia: true,
                    ..Nat::default()
                };
                break;
            } else if w == "force_rport" {
                if !self.auto_force_rport {
                    self.force_rport = true;
                }
            } else if w == "comedia" {
                if !self.auto_comedia {
                    self.comedia = true;
                }
            } else if w == "auto_force_rport" {
                self.auto_force_rport = true;
                self.force_rport = false;
            } else if w == "auto_comedia" {
                self.auto_comedia = true;
                self.comedia = false;
            } else {
                diags.push(Diagnostic::warning(
                    "sip-bad-value",
                    v.span.clone(),
                    format!("unknown nat mode '{}'; chan_sip ignores it", word.trim()),
                ));
            }
        }
    }
}

/// `insecure=`: `port`, `invite` (comma list), or a false value. `very` (Asterisk 1.4) is
/// no longer understood: chan_sip warns "Unknown insecure mode" and sets nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Insecure {
    pub port: bool,
    pub invite: bool,
}

impl Insecure {
    pub fn parse(v: &Variable, diags: &mut Vec<Diagnostic>) -> Insecure {
        let mut out = Insecure::default();
        if v.value.trim().is_empty() || ast_false(&v.value) {
            return out;
        }
        for word in v.value.split(',') {
            match word.trim().to_ascii_lowercase().as_str() {
                "port" => out.port = true,
                "invite" => out.invite = true,
                w => diags.push(Diagnostic::warning(
                    "sip-bad-value",
                    v.span.clone(),
                    if w == "very" {
                        "insecure=very is not understood by Asterisk 20 (it logs 'Unknown insecure mode' and sets nothing); write insecure=port,invite".to_string()
                    } else {
                        format!("unknown insecure mode '{}'; chan_sip ignores it", word.trim())
                    },
                )),
            }
        }
        out
    }
}

/// `dtmfmode=`; chan_sip's default is rfc2833.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DtmfMode {
    Rfc2833,
    Info,
    ShortInfo,
    Inband,
    Auto,
}

/// `directmedia=` / `canreinvite=`: yes, no, or a list of `update`, `nonat`, `outgoing`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DirectMedia {
    pub enabled: bool,
    pub update: bool,
    pub nonat: bool,
    pub outgoing: bool,
}

/// `qualify=`: no, yes (2000 ms, or [general]'s qualify), or a number of milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Qualify {
    No,
    Yes,
    Ms(i64),
}

impl Qualify {
    /// The round-trip limit in ms (0 = not qualified).
    pub fn maxms(&self) -> i64 {
        match self {
            Qualify::No => 0,
            Qualify::Yes => 2000,
            Qualify::Ms(n) => *n,
        }
    }
}

/// `type=`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeerKind {
    Peer,
    User,
    Friend,
}

/// `host=`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Host {
    /// The device registers with us.
    Dynamic,
    Static(String),
}

/// One `permit`/`deny` (or `contactpermit`/`contactdeny`, `directmediapermit`/`...deny`) line,
/// in order: Asterisk's ACLs are evaluated in order, the last match wins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AclRule {
    pub permit: bool,
    /// `ip[/mask]` as written.
    pub net: String,
}

/// The codec list built from `allow`/`disallow` lines in order (`ast_format_cap_update_by_allow_disallow`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Codecs {
    /// The final list, in preference order.
    pub list: Vec<String>,
    /// The lines that built it.
    pub lines: Vec<Spanned<String>>,
}

/// Codec names Asterisk 20 knows (`allow=all` adds them all).
pub const KNOWN_CODECS: &[&str] = &[
    "ulaw", "alaw", "gsm", "g723", "g726", "g726aal2", "adpcm", "slin", "slin12", "slin16",
    "slin24", "slin32", "slin44", "slin48", "slin96", "slin192", "lpc10", "g729", "speex",
    "speex16", "speex32", "ilbc", "g722", "siren7", "siren14", "testlaw", "g719", "opus", "codec2",
    "silk", "silk8", "silk12", "silk16", "silk24", "h261", "h263", "h263p", "h264", "h265",
    "mpeg4", "vp8", "vp9", "red", "t140", "t140red", "jpeg", "png",
];

impl Codecs {
    /// chan_sip's default when [general] has no allow/disallow: ulaw, alaw, gsm, h263.
    pub fn sip_default() -> Codecs {
        Codecs {
            list: vec!["ulaw".into(), "alaw".into(), "gsm".into(), "h263".into()],
            lines: Vec::new(),
        }
    }

    /// Apply one `allow=`/`disallow=` line.
    pub fn apply(&mut self, v: &Variable, allow: bool, diags: &mut Vec<Diagnostic>) {
        self.lines.push(Spanned::new(
            format!("{}={}", v.name, v.value),
            v.span.clone(),
        ));
        for item in v.value.split(',') {
            let mut name = item
                .split(':')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            // `!codec` inverts the line's sense (`allow=!all` is `disallow=all`).
            let allow = match name.strip_prefix('!') {
                Some(n) => {
                    name = n.to_string();
                    !allow
                }
                None => allow,
            };
            if name.is_empty() {
                continue;
            }
            if name == "all" {
                if allow {
                    for c in KNOWN_CODECS {
                        if !self.list.iter().any(|x| x == c) {
                            self.list.push(c.to_string());
                        }
                    }
                } else {
                    self.list.clear();
                }
                continue;
            }
            if !KNOWN_CODECS.contains(&name.as_str()) {
                diags.push(Diagnostic::warning(
                    "sip-unknown-codec",
                    v.span.clone(),
                    format!(
                        "unknown codec '{}' in {}; Asterisk ignores it",
                        name, v.name
                    ),
                ));
                continue;
            }
            if allow {
                if !self.list.contains(&name) {
                    self.list.push(name);
                }
            } else {
                self.list.retain(|c| *c != name);
            }
        }
    }
}

/// `ast_get_group`: `1,3-5` → {1,3,4,5}; groups are 0..=63, others are ignored with a warning.
pub fn parse_groups(v: &Variable, diags: &mut Vec<Diagnostic>) -> BTreeSet<u8> {
    let mut out = BTreeSet::new();
    for piece in v.value.split(',') {
        let p = piece.trim();
        if p.is_empty() {
            continue;
        }
        let (a, b) = match p.split_once('-') {
            Some((a, b)) if scan_int(a).is_some() && scan_int(b).is_some() => {
                (scan_int(a), scan_int(b))
            }
            _ => (scan_int(p), scan_int(p)),
        };
        let (Some(a), Some(b)) = (a, b) else {
            diags.push(Diagnostic::warning(
                "sip-bad-group",
                v.span.clone(),
                format!(
                    "syntax error in group '{}' of {}; Asterisk ignores it",
                    p, v.name
                ),
            ));
            continue;
        };
        for g in a..=b {
            if (0..=63).contains(&g) {
                out.insert(g as u8);
            } else {
                diags.push(Diagnostic::warning(
                    "sip-bad-group",
                    v.span.clone(),
                    format!(
                        "group {} in {} is out of range (0-63); Asterisk ignores it",
                        g, v.name
                    ),
                ));
                break;
            }
        }
    }
    out
}

/// Settings shared by [general] and devices (`handle_common_options`).
#[derive(Clone, Debug, Default)]
pub struct Common {
    pub nat: Option<Spanned<Nat>>,
    pub insecure: Option<Spanned<Insecure>>,
    pub dtmfmode: Option<Spanned<DtmfMode>>,
    pub directmedia: Option<Spanned<DirectMedia>>,
}

impl Common {
    /// Handle one line if it is a common option; true when it was.
    /// `nat_start` is what a first `nat=` line adds to: [general] starts from chan_sip's
    /// built-in `auto_force_rport`, a device from nothing.
    fn handle(&mut self, v: &Variable, nat_start: Nat, diags: &mut Vec<Diagnostic>) -> bool {
        match v.name.to_ascii_lowercase().as_str() {
            "nat" => {
                let mut n = self.nat.as_ref().map(|n| n.value).unwrap_or(nat_start);
                n.apply(v, diags);
                self.nat = Some(Spanned::new(n, v.span.clone()));
            }
            "insecure" => {
                self.insecure = Some(Spanned::new(Insecure::parse(v, diags), v.span.clone()))
            }
            "dtmfmode" => {
                let m = match v.value.trim().to_ascii_lowercase().as_str() {
                    "rfc2833" => DtmfMode::Rfc2833,
                    "info" => DtmfMode::Info,
                    "shortinfo" => DtmfMode::ShortInfo,
                    "inband" => DtmfMode::Inband,
                    "auto" => DtmfMode::Auto,
                    _ => {
                        diags.push(Diagnostic::warning(
                            "sip-bad-value",
                            v.span.clone(),
                            format!("unknown dtmfmode '{}'; chan_sip uses rfc2833", v.value),
                        ));
                        DtmfMode::Rfc2833
                    }
                };
                self.dtmfmode = Some(Spanned::new(m, v.span.clone()));
            }
            "directmedia" | "canreinvite" => {
                let mut d = DirectMedia::default();
                if ast_true(&v.value) {
                    d.enabled = true;
                } else if !ast_false(&v.value) {
                    for w in v.value.split(',') {
                        match w.trim().to_ascii_lowercase().as_str() {
                            "update" => (d.enabled, d.update) = (true, true),
                            "nonat" => (d.enabled, d.nonat) = (true, true),
                            "outgoing" => (d.enabled, d.outgoing) = (true, true),
                            _ => diags.push(Diagnostic::warning(
                                "sip-bad-value",
                                v.span.clone(),
                                format!(
                                    "unknown {} mode '{}'; chan_sip ignores it",
                                    v.name,
                                    w.trim()
                                ),
                            )),
                        }
                    }
                }
                self.directmedia = Some(Spanned::new(d, v.span.clone()));
            }
            n => return COMMON.contains(&n) || n.starts_with("t38pt_"),
        }
        true
    }
}

/// `[general]`. Fields are what was written (None = Asterisk's default, see the accessors).
#[derive(Clone, Debug, Default)]
pub struct SipGeneral {
    pub span: Option<Span>,
    pub context: Option<Spanned<String>>,
    pub allowguest: Option<Spanned<bool>>,
    pub alwaysauthreject: Option<Spanned<bool>>,
    /// `bindaddr` or `udpbindaddr` (either may carry a `:port`).
    pub bindaddr: Option<Spanned<String>>,
    pub bindport: Option<Spanned<u16>>,
    pub tcpenable: Option<Spanned<bool>>,
    pub tcpbindaddr: Option<Spanned<String>>,
    pub tlsenable: Option<Spanned<bool>>,
    pub tlsbindaddr: Option<Spanned<String>>,
    pub realm: Option<Spanned<String>>,
    pub defaultexpiry: Option<Spanned<i64>>,
    pub minexpiry: Option<Spanned<i64>>,
    pub maxexpiry: Option<Spanned<i64>>,
    pub qualifyfreq: Option<Spanned<i64>>,
    pub qualify: Option<Spanned<Qualify>>,
    pub codecs: Option<Codecs>,
    pub language: Option<Spanned<String>>,
    pub common: Common,
    /// `externip` / `externaddr`.
    pub externaddr: Option<Spanned<String>>,
    pub externhost: Option<Spanned<String>>,
    pub localnet: Vec<Spanned<String>>,
    /// `permit`/`deny` are not read in [general] by chan_sip; `contactpermit`/`contactdeny` are.
    pub contactacl: Vec<Spanned<AclRule>>,
    pub srvlookup: Option<Spanned<bool>>,
    pub useragent: Option<Spanned<String>>,
    pub transport: Option<Spanned<Vec<Transport>>>,
    pub fromdomain: Option<Spanned<String>>,
    pub callcounter: Option<Spanned<bool>>,
    pub autocreatepeer: Option<Spanned<String>>,
    pub registers: Vec<Register>,
    /// Every line of [general], in order, known or not.
    pub options: Vec<Variable>,
}

impl SipGeneral {
    /// Default context for devices: `default`.
    pub fn context(&self) -> &str {
        self.context
            .as_ref()
            .map(|c| c.value.as_str())
            .unwrap_or("default")
    }
    pub fn allowguest(&self) -> bool {
        self.allowguest.as_ref().map(|b| b.value).unwrap_or(true)
    }
    /// Asterisk 20's default is yes.
    pub fn alwaysauthreject(&self) -> bool {
        self.alwaysauthreject
            .as_ref()
            .map(|b| b.value)
            .unwrap_or(true)
    }
    pub fn bindport(&self) -> u16 {
        self.bindport.as_ref().map(|b| b.value).unwrap_or(5060)
    }
    pub fn realm(&self) -> &str {
        self.realm
            .as_ref()
            .map(|c| c.value.as_str())
            .unwrap_or("asterisk")
    }
    pub fn defaultexpiry(&self) -> i64 {
        self.defaultexpiry.as_ref().map(|b| b.value).unwrap_or(120)
    }
    pub fn minexpiry(&self) -> i64 {
        self.minexpiry.as_ref().map(|b| b.value).unwrap_or(60)
    }
    pub fn maxexpiry(&self) -> i64 {
        self.maxexpiry.as_ref().map(|b| b.value).unwrap_or(3600)
    }
    /// Seconds between qualify pings: 60.
    pub fn qualifyfreq(&self) -> i64 {
        self.qualifyfreq.as_ref().map(|b| b.value).unwrap_or(60)
    }
    pub fn tcpenable(&self) -> bool {
        self.tcpenable.as_ref().map(|b| b.value).unwrap_or(false)
    }
    pub fn srvlookup(&self) -> bool {
        self.srvlookup.as_ref().map(|b| b.value).unwrap_or(true)
    }
    /// The global nat setting: `auto_force_rport` unless written (a written value adds to it).
    pub fn nat(&self) -> Nat {
        self.common.nat.as_ref().map(|n| n.value).unwrap_or(Nat {
            auto_force_rport: true,
            ..Nat::default()
        })
    }
    pub fn codecs(&self) -> Codecs {
        self.codecs.clone().unwrap_or_else(Codecs::sip_default)
    }
}

/// A device: one non-template section other than [general]/[authentication] with a valid `type=`.
#[derive(Clone, Debug)]
pub struct SipPeer {
    pub name: Spanned<String>,
    /// The last `type=` line (chan_sip gates on the first, builds with the last).
    pub kind: Spanned<PeerKind>,
    pub host: Option<Spanned<Host>>,
    pub secret: Option<Spanned<String>>,
    pub md5secret: Option<Spanned<String>>,
    pub remotesecret: Option<Spanned<String>>,
    /// `defaultuser=`, or the deprecated `username=` (same field in chan_sip; last wins).
    pub defaultuser: Option<Spanned<String>>,
    /// The `username=` line, if that spelling was used.
    pub username: Option<Spanned<String>>,
    pub fromuser: Option<Spanned<String>>,
    pub fromdomain: Option<Spanned<String>>,
    /// Own `context=`; see [`SipPeer::context`] for the effective one.
    pub context: Option<Spanned<String>>,
    pub callerid: Option<Spanned<String>>,
    pub regexten: Option<Spanned<String>>,
    /// Own allow/disallow lines applied on top of [general]'s codecs (None = [general]'s).
    pub codecs: Option<Codecs>,
    pub language: Option<Spanned<String>>,
    pub callgroup: Option<Spanned<BTreeSet<u8>>>,
    pub pickupgroup: Option<Spanned<BTreeSet<u8>>>,
    pub qualify: Option<Spanned<Qualify>>,
    pub qualifyfreq: Option<Spanned<i64>>,
    /// `call-limit` (negative becomes 0).
    pub call_limit: Option<Spanned<i64>>,
    pub busylevel: Option<Spanned<i64>>,
    /// nat, insecure, dtmfmode, directmedia/canreinvite as written for this device.
    pub common: Common,
    pub permit_deny: Vec<Spanned<AclRule>>,
    pub contact_acl: Vec<Spanned<AclRule>>,
    pub port: Option<Spanned<u16>>,
    pub defaultip: Option<Spanned<String>>,
    pub mailbox: Vec<Spanned<String>>,
    pub transport: Option<Spanned<Vec<Transport>>>,
    pub setvar: Vec<Spanned<(String, String)>>,
    pub accountcode: Option<Spanned<String>>,
    pub outboundproxy: Option<Spanned<String>>,
    /// Every line of the section (inherited ones first), known or not.
    pub options: Vec<Variable>,
    pub unknown: Vec<Variable>,
    pub span: Span,
}

impl SipPeer {
    /// The context calls from this device go to: its own, else [general]'s, else `default`.
    pub fn context<'a>(&'a self, general: &'a SipGeneral) -> &'a str {
        self.context
            .as_ref()
            .map(|c| c.value.as_str())
            .unwrap_or_else(|| general.context())
    }
    pub fn nat(&self, general: &SipGeneral) -> Nat {
        self.common
            .nat
            .as_ref()
            .map(|n| n.value)
            .unwrap_or_else(|| general.nat())
    }
    pub fn insecure(&self, general: &SipGeneral) -> Insecure {
        self.common
            .insecure
            .as_ref()
            .or(general.common.insecure.as_ref())
            .map(|i| i.value)
            .unwrap_or_default()
    }
    /// The final codec list.
    pub fn codec_list(&self, general: &SipGeneral) -> Vec<String> {
        self.codecs
            .as_ref()
            .map(|c| c.list.clone())
            .unwrap_or_else(|| general.codecs().list)
    }
    pub fn is_dynamic(&self) -> bool {
        matches!(self.host.as_ref().map(|h| &h.value), Some(Host::Dynamic))
    }
    /// Accepts calls from the network (type user or friend).
    pub fn is_user(&self) -> bool {
        matches!(self.kind.value, PeerKind::User | PeerKind::Friend)
    }
}

/// sip.conf as chan_sip reads it.
#[derive(Clone, Debug, Default)]
pub struct SipConf {
    pub general: SipGeneral,
    pub peers: Vec<SipPeer>,
    /// `[authentication]` `auth =` lines (`user:secret@realm` / `user#md5@realm`), as written.
    pub auth: Vec<Spanned<String>>,
    /// Sections chan_sip skips (no `type=` or an unknown type).
    pub skipped: Vec<Spanned<String>>,
    pub diagnostics: Vec<Diagnostic>,
}

fn acl(v: &Variable, permit: bool) -> Spanned<AclRule> {
    Spanned::new(
        AclRule {
            permit,
            net: v.value.trim().to_string(),
        },
        v.span.clone(),
    )
}

fn transports(v: &Variable, diags: &mut Vec<Diagnostic>) -> Spanned<Vec<Transport>> {
    let mut out = Vec::new();
    for t in v.value.split(',') {
        match Transport::parse(t) {
            Some(t) => out.push(t),
            None => diags.push(Diagnostic::warning(
                "sip-bad-value",
                v.span.clone(),
                format!(
                    "'{}' is not a valid transport; chan_sip ignores it",
                    t.trim()
                ),
            )),
        }
    }
    Spanned::new(out, v.span.clone())
}

fn qualify(v: &Variable, diags: &mut Vec<Diagnostic>) -> Spanned<Qualify> {
    let s = v.value.trim();
    let q = if s.eq_ignore_ascii_case("no") {
        Qualify::No
    } else if s.eq_ignore_ascii_case("yes") {
        Qualify::Yes
    } else if let Some(n) = scan_int(s) {
        Qualify::Ms(n)
    } else {
        diags.push(Diagnostic::warning(
            "sip-bad-value",
            v.span.clone(),
            format!(
                "qualify should be yes, no or milliseconds, not '{}'; chan_sip turns qualify off",
                v.value
            ),
        ));
        Qualify::No
    };
    Spanned::new(q, v.span.clone())
}

impl SipGeneral {
    fn from_vars(vars: &[Variable], span: Option<Span>, diags: &mut Vec<Diagnostic>) -> SipGeneral {
        let mut g = SipGeneral {
            span,
            ..Default::default()
        };
        // defaultexpiry applies to every register line whatever its position.
        for v in vars {
            if v.name.eq_ignore_ascii_case("defaultexpiry")
                || v.name.eq_ignore_ascii_case("defaultexpirey")
            {
                g.defaultexpiry = values::int_or_default(v, "sip-bad-value", "120", diags);
            }
        }
        let mut registers = Vec::new();
        for v in vars {
            g.options.push(v.clone());
            let d = &mut *diags;
            match v.name.to_ascii_lowercase().as_str() {
                "context" => g.context = some_text(v),
                "allowguest" => g.allowguest = Some(boolean(v, "sip-bad-value", d)),
                "alwaysauthreject" => g.alwaysauthreject = Some(boolean(v, "sip-bad-value", d)),
                "bindaddr" | "udpbindaddr" => g.bindaddr = some_text(v),
                "bindport" => match port(&v.value) {
                    Some(p) => g.bindport = Some(Spanned::new(p, v.span.clone())),
                    None => d.push(Diagnostic::warning(
                        "sip-bad-value",
                        v.span.clone(),
                        format!("invalid bindport '{}'; chan_sip keeps 5060", v.value),
                    )),
                },
                "tcpenable" => g.tcpenable = Some(boolean(v, "sip-bad-value", d)),
                "tcpbindaddr" => g.tcpbindaddr = some_text(v),
                "tlsenable" => g.tlsenable = Some(boolean(v, "sip-bad-value", d)),
                "tlsbindaddr" => g.tlsbindaddr = some_text(v),
                "realm" => g.realm = some_text(v),
                "defaultexpiry" | "defaultexpirey" => {}
                "minexpiry" | "minexpirey" => {
                    g.minexpiry = values::int_or_default(v, "sip-bad-value", "60", d)
                }
                "maxexpiry" | "maxexpirey" => {
                    g.maxexpiry = values::int_or_default(v, "sip-bad-value", "3600", d)
                }
                "qualifyfreq" => {
                    g.qualifyfreq = values::int_or_default(v, "sip-bad-value", "60", d)
                }
                "qualify" => g.qualify = Some(qualify(v, d)),
                "allow" | "disallow" => {
                    let allow = v.name.eq_ignore_ascii_case("allow");
                    g.codecs
                        .get_or_insert_with(Codecs::sip_default)
                        .apply(v, allow, d)
                }
                "language" => g.language = some_text(v),
                "externip" | "externaddr" => g.externaddr = some_text(v),
                "externhost" => g.externhost = some_text(v),
                "localnet" => g.localnet.push(text(v)),
                "contactpermit" => g.contactacl.push(acl(v, true)),
                "contactdeny" => g.contactacl.push(acl(v, false)),
                "srvlookup" => g.srvlookup = Some(boolean(v, "sip-bad-value", d)),
                "useragent" => g.useragent = some_text(v),
                "transport" => g.transport = Some(transports(v, d)),
                "fromdomain" => g.fromdomain = some_text(v),
                "callcounter" => g.callcounter = Some(boolean(v, "sip-bad-value", d)),
                "autocreatepeer" => g.autocreatepeer = some_text(v),
                "register" => registers.push(v),
                n => {
                    let start = Nat {
                        auto_force_rport: true,
                        ..Nat::default()
                    };
                    if g.common.handle(v, start, d) || is_known(GENERAL, PREFIXES, n) {
                        continue;
                    }
                    if is_known(PEER, &[], n) {
                        d.push(Diagnostic::info(
                            "sip-device-option-in-general",
                            v.span.clone(),
                            format!(
                                "'{}' is a device option; chan_sip ignores it in [general]",
                                v.name
                            ),
                        ));
                    } else {
                        d.push(values::unknown(
                            "sip-unknown-option",
                            FILE,
                            "general",
                            v,
                            false,
                        ));
                    }
                }
            }
        }
        let default_expiry = g.defaultexpiry();
        for v in registers {
            match parse_register(v, default_expiry, diags) {
                Ok(r) => g.registers.push(r),
                Err(e) => diags.push(Diagnostic::error(
                    "sip-bad-register",
                    v.span.clone(),
                    format!(
                        "register => {}: {}; chan_sip skips this registration",
                        v.value, e
                    ),
                )),
            }
        }
        g
    }
}

impl SipPeer {
    fn from_section(
        name: &Spanned<String>,
        kind: Spanned<PeerKind>,
        vars: &[Variable],
        diags: &mut Vec<Diagnostic>,
        general: &SipGeneral,
    ) -> SipPeer {
        let mut p = SipPeer {
            name: name.clone(),
            kind,
            host: None,
            secret: None,
            md5secret: None,
            remotesecret: None,
            defaultuser: None,
            username: None,
            fromuser: None,
            fromdomain: None,
            context: None,
            callerid: None,
            regexten: None,
            codecs: None,
            language: None,
            callgroup: None,
            pickupgroup: None,
            qualify: None,
            qualifyfreq: None,
            call_limit: None,
            busylevel: None,
            common: Common::default(),
            permit_deny: Vec::new(),
            contact_acl: Vec::new(),
            port: None,
            defaultip: None,
            mailbox: Vec::new(),
            transport: None,
            setvar: Vec::new(),
            accountcode: None,
            outboundproxy: None,
            options: Vec::new(),
            unknown: Vec::new(),
            span: name.span.clone(),
        };
        for v in vars {
            p.options.push(v.clone());
            let d = &mut *diags;
            match v.name.to_ascii_lowercase().as_str() {
                "type" => {
                    if let Some(k) = peer_kind(&v.value) {
                        p.kind = Spanned::new(k, v.span.clone());
                    }
                }
                "host" => {
                    let h = if v.value.trim().eq_ignore_ascii_case("dynamic") {
                        Host::Dynamic
                    } else {
                        Host::Static(v.value.trim().to_string())
                    };
                    p.host = Some(Spanned::new(h, v.span.clone()));
                }
                "secret" => p.secret = some_text(v),
                "md5secret" => p.md5secret = some_text(v),
                "remotesecret" => p.remotesecret = some_text(v),
                "defaultuser" => p.defaultuser = some_text(v),
                "username" => {
                    p.defaultuser = some_text(v);
                    p.username = some_text(v);
                }
                "fromuser" => p.fromuser = some_text(v),
                "fromdomain" => p.fromdomain = some_text(v),
                "context" => p.context = some_text(v),
                "callerid" => p.callerid = some_text(v),
                "regexten" => p.regexten = some_text(v),
                "allow" | "disallow" => {
                    let allow = v.name.eq_ignore_ascii_case("allow");
                    p.codecs.get_or_insert_with(|| general.codecs()).apply(v, allow, d)
                }
                "language" => p.language = some_text(v),
                "callgroup" => p.callgroup = Some(Spanned::new(parse_groups(v, d), v.span.clone())),
                "pickupgroup" => p.pickupgroup = Some(Spanned::new(parse_groups(v, d), v.span.clone())),
                "qualify" => p.qualify = Some(qualify(v, d)),
                "qualifyfreq" => p.qualifyfreq = values::int_or_default(v, "sip-bad-value", "[general] qualifyfreq", d),
                "call-limit" => p.call_limit = Some(nonneg(int(v, "sip-bad-value", d))),
                "busylevel" => p.busylevel = Some(nonneg(int(v, "sip-bad-value", d))),
                "permit" => p.permit_deny.push(acl(v, true)),
                "deny" => p.permit_deny.push(acl(v, false)),
                "contactpermit" => p.contact_acl.push(acl(v, true)),
                "contactdeny" => p.contact_acl.push(acl(v, false)),
                "port" => match port(&v.value) {
                    Some(n) => p.port = Some(Spanned::new(n, v.span.clone())),
                    None => d.push(Diagnostic::warning(
                        "sip-bad-value",
                        v.span.clone(),
                        format!("invalid peer port '{}'; chan_sip logs 'Invalid peer port configuration' and ignores it", v.value),
                    )),
                },
                "defaultip" => p.defaultip = some_text(v),
                "mailbox" => {
                    for m in v.value.split(',').map(str::trim).filter(|m| !m.is_empty()) {
                        p.mailbox.push(Spanned::new(m.to_string(), v.span.clone()));
                    }
                }
                "transport" => p.transport = Some(transports(v, d)),
                "setvar" => match v.value.split_once('=') {
                    Some((a, b)) => {
                        p.setvar.push(Spanned::new((a.trim().to_string(), b.trim().to_string()), v.span.clone()))
                    }
                    None => d.push(Diagnostic::warning(
                        "sip-bad-value",
                        v.span.clone(),
                        format!("setvar '{}' has no '='; chan_sip ignores it", v.value),
                    )),
                },
                "accountcode" => p.accountcode = some_text(v),
                "outboundproxy" => p.outboundproxy = some_text(v),
                n => {
                    if !p.common.handle(v, Nat::default(), d) && !is_known(PEER, PREFIXES, n) {
                        if is_known(GENERAL, &[], n) {
                            d.push(Diagnostic::info(
                                "sip-general-option-in-device",
                                v.span.clone(),
                                format!("'{}' is a [general] option; chan_sip ignores it in [{}]", v.name, name.value),
                            ));
                        } else {
                            d.push(values::unknown("sip-unknown-option", FILE, &name.value, v, false));
                        }
                        p.unknown.push(v.clone());
                    }
                }
            }
        }
        p
    }
}

fn nonneg(n: Spanned<i64>) -> Spanned<i64> {
    Spanned::new(n.value.max(0), n.span)
}

fn peer_kind(s: &str) -> Option<PeerKind> {
    match s.trim().to_ascii_lowercase().as_str() {
        "peer" => Some(PeerKind::Peer),
        "user" => Some(PeerKind::User),
        "friend" => Some(PeerKind::Friend),
        _ => None,
    }
}

impl SipConf {
    pub fn from_conf(conf: &ConfFile) -> Self {
        let mut out = SipConf::default();
        let mut diags = Vec::new();
        let general_vars: Vec<Variable> = conf
            .sections()
            .filter(|c| c.name.eq_ignore_ascii_case("general"))
            .flat_map(|c| c.vars.iter().cloned())
            .collect();
        let gspan = conf.section("general").map(|c| c.span.clone());
        out.general = SipGeneral::from_vars(&general_vars, gspan, &mut diags);
        for cat in conf.sections() {
            if cat.name.eq_ignore_ascii_case("general") {
                continue;
            }
            if cat.name.eq_ignore_ascii_case("authentication") {
                for v in &cat.vars {
                    if v.name.eq_ignore_ascii_case("auth") {
                        out.auth.push(text(v));
                    } else {
                        diags.push(values::unknown(
                            "sip-unknown-option",
                            FILE,
                            &cat.name,
                            v,
                            false,
                        ));
                    }
                }
                continue;
            }
            let name = Spanned::new(cat.name.clone(), cat.span.clone());
            let Some(first_type) = cat.first("type") else {
                diags.push(Diagnostic::warning(
                    "sip-missing-type",
                    cat.span.clone(),
                    format!(
                        "section [{}] has no type=; chan_sip skips it ('Section lacks type')",
                        cat.name
                    ),
                ));
                out.skipped.push(name);
                continue;
            };
            let Some(kind) = peer_kind(&first_type.value) else {
                diags.push(Diagnostic::warning(
                    "sip-bad-type",
                    first_type.span.clone(),
                    format!(
                        "unknown type '{}' for [{}]; chan_sip skips the section",
                        first_type.value, cat.name
                    ),
                ));
                out.skipped.push(name);
                continue;
            };
            let kind = Spanned::new(kind, first_type.span.clone());
            let peer = SipPeer::from_section(&name, kind, &cat.vars, &mut diags, &out.general);
            out.peers.push(peer);
        }
        out.diagnostics = diags;
        out
    }

    /// The device called `name` (case-sensitive, as chan_sip's peer lookup).
    pub fn peer(&self, name: &str) -> Option<&SipPeer> {
        self.peers.iter().find(|p| p.name.value == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::values::test_util::conf;

    const SEED: &str = "[general]\nregister => 550174:Mbn9v7s9tD@sip.zadarma.com/00000\n[zadarma]\ntype=friend\nusername=550174\nsecret=Mbn9v7s9tD\nfromuser=550174\nfromdomain=sip.zadarma.com\nhost=sip.zadarma.com\n;nat=yes\nnat=force_rport\ninsecure=invite\ncontext=incoming\ncanreinvite=no\n\n\n[1001]\ntype=friend\nregexten=1001\nsecret=1234\ncontext=outcoling\nhost=dynamic\ncallerid=\"1001\" <1001>\ndisallow=all\nallow=alaw\nallow=ulaw\nlanguage=ru\ncallgroup=2\npickupgroup=2\nqualify=yes\ncanreinvite=yes\ncall-limit=4\n;nat=yes\nnat=force_rport,comedia\n[1002]\ntype=friend\nhost=dynamic\ncallgroup=2\npickupgroup=2\ninsecure=invite\nusername=1002\nsecret=1234\ncontext=outcoling\ndisallow=all\nallow=alaw\n";

    fn reg(s: &str) -> Result<Register, String> {
        let c = conf("sip.conf", &format!("[general]\nregister => {}\n", s));
        let v = c.section("general").unwrap().vars[0].clone();
        parse_register(&v, 120, &mut Vec::new())
    }

    #[test]
    fn seed_register_line() {
        let r = reg("550174:Mbn9v7s9tD@sip.zadarma.com/00000").unwrap();
        assert_eq!(r.user.value, "550174");
        assert_eq!(r.secret.as_ref().unwrap().value, "Mbn9v7s9tD");
        assert_eq!(r.host.value, "sip.zadarma.com");
        assert_eq!(r.extension.value, "00000");
        assert_eq!(r.port.value, 5060);
        assert_eq!(r.expiry.value, 120);
        assert_eq!(r.transport.value, Transport::Udp);
        assert!(r.domain.is_none() && r.authuser.is_none() && r.peer.is_none());
        assert_eq!(r.host.span.line, 2);
    }

    #[test]
    fn register_all_forms() {
        // "peer?" must come before the transport: otherwise it is all the peer name.
        let r = reg("tls://peer1?user@h").unwrap();
        assert_eq!(r.peer.unwrap().value, "tls://peer1");
        assert_eq!(r.transport.value, Transport::Udp);
        let r =
            reg("peer1?tls://user@example.org:secret:auth@host.example.com:5071/1234~300").unwrap();
        assert_eq!(r.peer.unwrap().value, "peer1");
        assert_eq!(r.transport.value, Transport::Tls);
        assert_eq!(r.user.value, "user");
        assert_eq!(r.domain.unwrap().value, "example.org");
        assert_eq!(r.secret.unwrap().value, "secret");
        assert_eq!(r.authuser.unwrap().value, "auth");
        assert_eq!(r.host.value, "host.example.com");
        assert_eq!(r.port.value, 5071);
        assert_eq!(r.extension.value, "1234");
        assert_eq!(r.expiry.value, 300);

        let r = reg("tcp://u:s@h").unwrap();
        assert_eq!(
            (r.transport.value, r.port.value, r.extension.value.as_str()),
            (Transport::Tcp, 5060, "s")
        );
        let r = reg("tls://u@h").unwrap();
        assert_eq!(r.port.value, 5061);
        assert!(r.secret.is_none());

        // user@domain:domainport:secret:authuser
        let r = reg("u@d.example:5070:pw:au@h").unwrap();
        assert_eq!(r.domain.unwrap().value, "d.example");
        assert_eq!(r.domainport.unwrap().value, 5070);
        assert_eq!(r.secret.unwrap().value, "pw");
        assert_eq!(r.authuser.unwrap().value, "au");

        // IPv6 host keeps its brackets; the port after them is split off.
        let r = reg("u:s@[2001:db8::1]:5062").unwrap();
        assert_eq!(r.host.value, "[2001:db8::1]");
        assert_eq!(r.port.value, 5062);

        // Secrets containing '@': the last '@' separates the host.
        let r = reg("u:p@ss@h").unwrap();
        assert_eq!(r.secret.unwrap().value, "p@ss");
        assert_eq!(r.user.value, "u");

        assert!(reg("justahost").is_err());
        assert!(reg("u@").is_err());
        assert!(reg("@h").is_err());
    }

    #[test]
    fn register_bad_port_and_transport_warn() {
        let c = conf(
            "sip.conf",
            "[general]\nregister => foo://u@h:abc\nregister => nohost\n",
        );
        let s = SipConf::from_conf(&c);
        assert_eq!(s.general.registers.len(), 1);
        let r = &s.general.registers[0];
        assert_eq!((r.transport.value, r.port.value), (Transport::Udp, 5060));
        assert!(s
            .diagnostics
            .iter()
            .any(|d| d.rule == "sip-register-port" && d.span.line == 2));
        assert!(s
            .diagnostics
            .iter()
            .any(|d| d.rule == "sip-register-transport"));
        let e = s
            .diagnostics
            .iter()
            .find(|d| d.rule == "sip-bad-register")
            .unwrap();
        assert_eq!(e.span.line, 3);
        assert_eq!(e.severity, crate::diag::Severity::Error);
    }

    #[test]
    fn seed_peers() {
        let s = SipConf::from_conf(&conf("sip.conf", SEED));
        assert_eq!(s.peers.len(), 3);
        let z = s.peer("zadarma").unwrap();
        assert_eq!(z.kind.value, PeerKind::Friend);
        assert_eq!(z.defaultuser.as_ref().unwrap().value, "550174");
        assert!(z.username.is_some());
        assert_eq!(
            z.host.as_ref().unwrap().value,
            Host::Static("sip.zadarma.com".into())
        );
        assert_eq!(
            z.nat(&s.general),
            Nat {
                force_rport: true,
                ..Nat::default()
            }
        );
        assert_eq!(
            z.insecure(&s.general),
            Insecure {
                port: false,
                invite: true
            }
        );
        assert!(!z.common.directmedia.as_ref().unwrap().value.enabled);
        assert_eq!(
            z.codec_list(&s.general),
            vec!["ulaw", "alaw", "gsm", "h263"]
        );

        let p = s.peer("1001").unwrap();
        assert_eq!(p.secret.as_ref().unwrap().value, "1234");
        assert_eq!(p.secret.as_ref().unwrap().span.line, 20);
        assert_eq!(p.context(&s.general), "outcoling");
        assert!(p.is_dynamic());
        assert_eq!(p.codec_list(&s.general), vec!["alaw", "ulaw"]);
        assert_eq!(p.callgroup.as_ref().unwrap().value, BTreeSet::from([2]));
        assert_eq!(p.qualify.as_ref().unwrap().value.maxms(), 2000);
        assert_eq!(p.call_limit.as_ref().unwrap().value, 4);
        assert_eq!(
            p.nat(&s.general),
            Nat {
                force_rport: true,
                comedia: true,
                ..Nat::default()
            }
        );
        assert!(p.common.directmedia.as_ref().unwrap().value.enabled);
        assert_eq!(p.language.as_ref().unwrap().value, "ru");
        assert_eq!(p.callerid.as_ref().unwrap().value, "\"1001\" <1001>");
        // Not written: general's auto_force_rport.
        assert_eq!(
            s.peer("1002").unwrap().nat(&s.general),
            Nat {
                auto_force_rport: true,
                ..Nat::default()
            }
        );
        assert_eq!(s.general.registers.len(), 1);
        assert!(
            s.diagnostics.iter().all(|d| d.rule != "sip-unknown-option"),
            "{:?}",
            s.diagnostics
        );
    }

    #[test]
    fn templates_order_and_overrides() {
        let text = "[general]\ncontext=pub\nallow=g722\n[tpl](!)\ntype=friend\ncontext=tplctx\nnat=no\n[2000](tpl)\ncontext=own\n[2001](tpl)\n[2002]\ntype=peer\n";
        let s = SipConf::from_conf(&conf("sip.conf", text));
        assert_eq!(s.peers.len(), 3);
        assert_eq!(s.peer("2000").unwrap().context(&s.general), "own");
        assert_eq!(s.peer("2001").unwrap().context(&s.general), "tplctx");
        assert_eq!(s.peer("2002").unwrap().context(&s.general), "pub");
        assert_eq!(
            s.peer("2002").unwrap().codec_list(&s.general),
            vec!["ulaw", "alaw", "gsm", "h263", "g722"]
        );
        assert_eq!(s.peer("2001").unwrap().nat(&s.general), Nat::default());
    }

    #[test]
    fn skipped_sections_unknown_and_bad_values() {
        let text = "[general]\nfoo=bar\nbindport=abc\n[notype]\nhost=dynamic\n[badtype]\ntype=phone\n[p]\ntype=peer\nqualify=sometimes\ninsecure=very\ncallgroup=1,3-5,99\nport=x\nallow=nosuchcodec\nbogus=1\npermit=10.0.0.0/8\ndeny=0.0.0.0/0\ncall-limit=abc\ndtmfmode=loud\n";
        let s = SipConf::from_conf(&conf("sip.conf", text));
        let rules: Vec<(&str, u32)> = s
            .diagnostics
            .iter()
            .map(|d| (d.rule, d.span.line))
            .collect();
        assert!(rules.contains(&("sip-unknown-option", 2)), "{:?}", rules);
        assert!(rules.contains(&("sip-bad-value", 3)));
        assert!(rules.contains(&("sip-missing-type", 4)));
        assert!(rules.contains(&("sip-bad-type", 7)));
        assert_eq!(s.skipped.len(), 2);
        let p = s.peer("p").unwrap();
        assert_eq!(p.qualify.as_ref().unwrap().value, Qualify::No);
        assert!(rules.contains(&("sip-bad-value", 10)));
        assert_eq!(
            p.common.insecure.as_ref().unwrap().value,
            Insecure::default()
        );
        assert!(rules.contains(&("sip-bad-value", 11)));
        assert_eq!(
            p.callgroup.as_ref().unwrap().value,
            BTreeSet::from([1, 3, 4, 5])
        );
        assert!(rules.contains(&("sip-bad-group", 12)));
        assert!(p.port.is_none() && rules.contains(&("sip-bad-value", 13)));
        assert!(rules.contains(&("sip-unknown-codec", 14)));
        assert_eq!(p.unknown.len(), 1);
        assert!(rules.contains(&("sip-unknown-option", 15)));
        assert_eq!(
            p.permit_deny
                .iter()
                .map(|r| r.value.permit)
                .collect::<Vec<_>>(),
            vec![true, false]
        );
        assert_eq!(p.call_limit.as_ref().unwrap().value, 0);
        assert!(rules.contains(&("sip-bad-value", 18)));
        assert!(rules.contains(&("sip-bad-value", 19)));
    }

    #[test]
    fn negated_codecs_and_misplaced_options() {
        let c = conf(
            "sip.conf",
            "[general]\nsecret=x\n[a]\ntype=peer\nallow=!all,ulaw\nrelaxdtmf=yes\n",
        );
        let s = SipConf::from_conf(&c);
        assert_eq!(s.peer("a").unwrap().codec_list(&s.general), vec!["ulaw"]);
        assert!(s
            .diagnostics
            .iter()
            .any(|d| d.rule == "sip-device-option-in-general" && d.span.line == 2));
        assert!(s
            .diagnostics
            .iter()
            .any(|d| d.rule == "sip-general-option-in-device" && d.span.line == 6));
    }

    #[test]
    fn nat_semantics() {
        let c = conf("sip.conf", "[general]\nnat=comedia\n[a]\ntype=peer\nnat=auto_force_rport,force_rport\nnat=yes\n[b]\ntype=peer\nnat=force_rport,no,comedia\n");
        let s = SipConf::from_conf(&c);
        // [general] adds to the built-in auto_force_rport.
        assert_eq!(
            s.general.nat(),
            Nat {
                comedia: true,
                auto_force_rport: true,
                ..Nat::default()
            }
        );
        assert_eq!(
            s.peer("a").unwrap().nat(&s.general),
            Nat {
                force_rport: true,
                comedia: true,
                ..Nat::default()
            }
        );
        assert_eq!(s.peer("b").unwrap().nat(&s.general), Nat::default());
        assert!(s
            .diagnostics
            .iter()
            .any(|d| d.rule == "sip-nat-yes" && d.span.line == 6));
    }

    #[test]
    fn separate_args_like_asterisk() {
        assert_eq!(separate_args("a:b:c:d", ':', 3), vec!["a", "b", "c:d"]);
        assert_eq!(separate_args("a:", ':', 2), vec!["a", ""]);
        assert_eq!(separate_args("", ':', 2), Vec::<String>::new());
        assert_eq!(separate_args("[::1]:5060", ':', 2), vec!["[::1]", "5060"]);
        assert_eq!(separate_args("udp://x", '/', 3), vec!["udp:", "", "x"]);
    }
}
