//! The registrar, as chan_sip's `register_verify`/`parse_register_contact` behave (sans-IO:
//! a REGISTER in, the response and events out).
//!
//! - The first REGISTER of a Call-ID gets `401` with chan_sip's challenge (no qop); the
//!   answer is checked against `secret`/`md5secret` with the realm (default `asterisk`).
//! - Wrong password: `403 Forbidden` and the NOTICE fail2ban's asterisk filter matches:
//!   `Registration from '<To>' failed for 'ip:port' - Wrong password`.
//! - Unknown name: with `alwaysauthreject=yes` (default) a challenge against a bogus peer,
//!   then the same 403 and line — indistinguishable; otherwise `404 Not found` ("No matching
//!   peer found"). A peer that is not `host=dynamic`: 403 ("Peer is not supposed to register").
//! - Expiry from `Expires:`, else the Contact's `;expires=`, else `defaultexpiry`; clamped to
//!   `maxexpiry`, and to `minexpiry` when not 0. `Contact: *` or expiry 0 unregisters; no
//!   Contact is a query. With `rport` or `nat` forcing it, the binding is the packet's source.

use super::message::{has_param, param, Header, Message, StartLine, Uri};
use crate::config::sip::{AclRule, SipConf};
use crate::logger::Level;
use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant, SystemTime};

pub const ALLOW: &str =
    "INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, SUBSCRIBE, NOTIFY, INFO, PUBLISH, MESSAGE";
pub const SUPPORTED: &str = "replaces, timer";

/// A peer's current binding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Registration {
    pub peer: String,
    /// Where requests for the peer go (source address with rport/NAT, else the Contact's).
    pub addr: SocketAddr,
    /// The Contact URI as registered.
    pub contact: String,
    /// The Contact's user part (`sip show peers` prints `name/username`).
    pub username: String,
    pub expires: u32,
    pub expires_at: SystemTime,
    pub useragent: String,
}

impl Registration {
    /// The AstDB value chan_sip writes under `/SIP/Registry/<peer>`:
    /// `ip:port:expiry:username:contact`, so a database from Asterisk restores too.
    pub fn to_db(&self) -> String {
        format!(
            "{}:{}:{}:{}:{}",
            self.addr.ip(),
            self.addr.port(),
            self.expires,
            self.username,
            self.contact
        )
    }

    pub fn from_db(peer: &str, v: &str, now: SystemTime) -> Option<Registration> {
        // The address may be IPv6 in brackets or bare; split from the right for the fixed
        // fields after it.
        let (addr_part, rest) = if let Some(r) = v.strip_prefix('[') {
            let end = r.find(']')?;
            (&r[..end], r[end + 2..].to_string())
        } else {
            let (a, r) = v.split_once(':')?;
            (a, r.to_string())
        };
        let mut it = rest.splitn(4, ':');
        let port: u16 = it.next()?.parse().ok()?;
        let expires: u32 = it.next()?.parse().ok()?;
        let username = it.next().unwrap_or("").to_string();
        let contact = it.next().unwrap_or("").to_string();
        let ip: IpAddr = addr_part.parse().ok()?;
        Some(Registration {
            peer: peer.to_string(),
            addr: SocketAddr::new(ip, port),
            contact,
            username,
            expires,
            expires_at: now + Duration::from_secs(u64::from(expires)),
            useragent: String::new(),
        })
    }
}

/// What the registrar did besides answering.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    Log(Level, String),
    Registered(Registration),
    Unregistered(String),
}

/// Per Call-ID: our To tag and the nonce we challenged with.
struct Pending {
    tag: String,
    nonce: String,
    at: Instant,
}

pub struct Registrar {
    pending: HashMap<String, Pending>,
    pub regs: BTreeMap<String, Registration>,
    rng: u64,
    /// The `Server:` header value.
    pub server: String,
}

/// Does an address match `ip[/mask]` (mask as bits or dotted)?
fn net_matches(net: &str, ip: IpAddr) -> bool {
    let (a, m) = net.split_once('/').unwrap_or((net, ""));
    let Ok(base) = a.trim().parse::<IpAddr>() else {
        return false;
    };
    match (base, ip) {
        (IpAddr::V4(b), IpAddr::V4(i)) => {
            let bits: u32 = if m.is_empty() {
                32
            } else if let Ok(n) = m.parse::<u32>() {
                n.min(32)
            } else if let Ok(mask) = m.parse::<std::net::Ipv4Addr>() {
                u32::from(mask).count_ones()
            } else {
                return false;
            };
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            u32::from(b) & mask == u32::from(i) & mask
        }
        (IpAddr::V6(b), IpAddr::V6(i)) => {
            let bits: u32 = m.parse().unwrap_or(128).min(128);
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            u128::from(b) & mask == u128::from(i) & mask
        }
        _ => false,
    }
}

/// `ast_apply_ha`: allowed unless the last matching rule denies.
pub fn acl_allows(rules: &[&AclRule], ip: IpAddr) -> bool {
    let mut ok = true;
    for r in rules {
        if net_matches(&r.net, ip) {
            ok = r.permit;
        }
    }
    ok
}

/// The response skeleton chan_sip sends: Via (with received/rport), From, To (+tag),
/// Call-ID, CSeq, Server, Allow, Supported.
pub fn response(
    req: &Message,
    code: u16,
    reason: &str,
    to_tag: Option<&str>,
    src: SocketAddr,
    server: &str,
) -> Message {
    let mut headers = Vec::new();
    for (i, v) in req.headers_named("Via").enumerate() {
        let v = if i == 0 {
            via_received(v, src)
        } else {
            v.to_string()
        };
        headers.push(Header {
            name: "Via".into(),
            value: v,
        });
    }
    for name in ["From", "To", "Call-ID", "CSeq"] {
        if let Some(v) = req.header(name) {
            let mut v = v.to_string();
            if name == "To" && param(&v, "tag").is_none() {
                if let Some(t) = to_tag {
                    v.push_str(";tag=");
                    v.push_str(t);
                }
            }
            headers.push(Header {
                name: name.into(),
                value: v,
            });
        }
    }
    headers.push(Header {
        name: "Server".into(),
        value: server.into(),
    });
    headers.push(Header {
        name: "Allow".into(),
        value: ALLOW.into(),
    });
    headers.push(Header {
        name: "Supported".into(),
        value: SUPPORTED.into(),
    });
    Message {
        start: StartLine::Response {
            code,
            reason: reason.into(),
        },
        headers,
        body: Vec::new(),
    }
}

/// RFC 3581 as chan_sip does it: `received=` always, `rport=` when asked for, in the top Via.
fn via_received(via: &str, src: SocketAddr) -> String {
    use std::fmt::Write;
    let rport = has_param(via, "rport");
    let mut parts = via.split(';');
    let mut out = String::with_capacity(via.len() + 40);
    out.push_str(parts.next().unwrap_or(""));
    for p in parts {
        let k = p.split('=').next().unwrap_or("").trim();
        if !k.eq_ignore_ascii_case("received") && !k.eq_ignore_ascii_case("rport") {
            out.push(';');
            out.push_str(p);
        }
    }
    // chan_sip (`copy_via_headers`) always adds received=, whatever the sent-by says.
    let _ = write!(out, ";received={}", src.ip());
    if rport {
        let _ = write!(out, ";rport={}", src.port());
    }
    out
}

/// RFC 1123 date for the `Date:` header.
pub fn http_date(t: SystemTime) -> String {
    let ts = jiff::Timestamp::try_from(t).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    ts.strftime("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

impl Registrar {
    pub fn new(server: &str) -> Registrar {
        let seed = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1)
            ^ u64::from(std::process::id()) << 32;
        Registrar {
            pending: HashMap::new(),
            regs: BTreeMap::new(),
            rng: seed | 1,
            server: server.to_string(),
        }
    }

    fn rand32(&mut self) -> u32 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        (self.rng >> 16) as u32
    }

    /// Forget challenges older than 32 s (chan_sip's dialog lifetime after a challenge).
    pub fn expire_pending(&mut self, now: Instant) {
        self.pending
            .retain(|_, p| now.duration_since(p.at) < Duration::from_secs(32));
    }

    /// Drop registrations whose time has come; returns the peers dropped.
    pub fn expire(&mut self, now: SystemTime) -> Vec<String> {
        let gone: Vec<String> = self
            .regs
            .values()
            .filter(|r| r.expires_at <= now)
            .map(|r| r.peer.clone())
            .collect();
        for p in &gone {
            self.regs.remove(p);
        }
        gone
    }

    /// Handle one REGISTER from `src`.
    pub fn register(
        &mut self,
        req: &Message,
        src: SocketAddr,
        sip: &SipConf,
        now: SystemTime,
        mono: Instant,
    ) -> (Message, Vec<Event>) {
        let call_id = req.call_id().unwrap_or("").to_string();
        let (tag, nonce) = match self.pending.get(&call_id) {
            Some(p) => (p.tag.clone(), p.nonce.clone()),
            None => {
                let tag = format!("as{:08x}", self.rand32());
                let nonce = format!("{:08x}", self.rand32());
                self.pending.insert(
                    call_id.clone(),
                    Pending {
                        tag: tag.clone(),
                        nonce: nonce.clone(),
                        at: mono,
                    },
                );
                (tag, nonce)
            }
        };
        let to = req.header("To").unwrap_or("").to_string();
        let mut events = Vec::new();
        let fail = |reason: &str| {
            Event::Log(
                Level::Notice,
                format!("Registration from '{to}' failed for '{src}' - {reason}"),
            )
        };
        let resp =
            |code: u16, reason: &str| response(req, code, reason, Some(&tag), src, &self.server);
        let Some(to_uri) = Uri::parse(&to) else {
            return (resp(400, "Bad Request"), events);
        };
        let name = to_uri.user.clone().unwrap_or_else(|| to_uri.host.clone());
        let realm = sip.general.realm().to_string();
        let g = &sip.general;
        let peer = sip.peers.iter().find(|p| {
            p.name.value == name && !matches!(p.kind.value, crate::config::sip::PeerKind::User)
        });
        // ACL: the general permit/deny then the peer's (chan_sip merges them).
        if let Some(p) = peer {
            let rules: Vec<&AclRule> = p.permit_deny.iter().map(|r| &r.value).collect();
            if !acl_allows(&rules, src.ip()) {
                events.push(fail("Device does not match ACL"));
                let r = if g.alwaysauthreject() {
                    self.challenge_or_reject(req, &tag, &nonce, &realm, src)
                } else {
                    resp(403, "Forbidden")
                };
                return (r, events);
            }
        }
        let Some(peer) = peer else {
            if g.alwaysauthreject() {
                // The bogus peer: challenge, then a wrong password whatever was sent.
                let r = self.challenge_or_reject(req, &tag, &nonce, &realm, src);
                if r.code() == Some(403) {
                    events.push(fail("Wrong password"));
                }
                return (r, events);
            }
            events.push(fail("No matching peer found"));
            return (resp(404, "Not found"), events);
        };
        if !peer.is_dynamic() {
            events.push(Event::Log(
                Level::Error,
                format!("Peer '{name}' is trying to register, but not configured as host=dynamic"),
            ));
            events.push(fail("Peer is not supposed to register"));
            return (resp(403, "Forbidden"), events);
        }
        // Authentication.
        let secret = peer.secret.as_ref().map(|s| s.value.as_str());
        let md5secret = peer.md5secret.as_ref().map(|s| s.value.as_str());
        if secret.is_some_and(|s| !s.is_empty()) || md5secret.is_some_and(|s| !s.is_empty()) {
            let Some(auth) = req.header("Authorization") else {
                return (self.challenge(req, &tag, &nonce, &realm, src), events);
            };
            let a = super::digest::Answer::parse(auth);
            if a.nonce != nonce {
                // Not our current nonce (stale or from another dialog): challenge again.
                return (self.challenge(req, &tag, &nonce, &realm, src), events);
            }
            if a.username != name {
                events.push(fail("Username/auth name mismatch"));
                return (resp(403, "Forbidden"), events);
            }
            if !a.verify("REGISTER", secret, md5secret, &realm) {
                events.push(fail("Wrong password"));
                return (resp(403, "Forbidden"), events);
            }
        }
        self.pending.remove(&call_id);
        // The binding.
        let expires_hdr = req.header("Expires").map(str::trim);
        let contact = req.header("Contact").map(str::to_string);
        let mut expire: i64 = match expires_hdr.and_then(|e| e.parse().ok()) {
            Some(e) => e,
            None => contact
                .as_deref()
                .and_then(|c| param(c, "expires"))
                .and_then(|e| e.parse().ok())
                .unwrap_or(g.defaultexpiry()),
        };
        expire = expire.min(g.maxexpiry());
        if expire < g.minexpiry() && expire != 0 {
            expire = g.minexpiry();
        }
        let mut ok = resp(200, "OK");
        let Some(contact) = contact else {
            // A query: tell them what is registered.
            if let Some(r) = self.regs.get(&name) {
                let left = r
                    .expires_at
                    .duration_since(now)
                    .map(|d| d.as_secs())
                    .unwrap_or(0);
                ok.add_header("Contact", format!("<{}>;expires={left}", r.contact));
            }
            ok.add_header("Date", http_date(now));
            return (ok, events);
        };
        if contact.trim() == "*" || expire == 0 {
            if self.regs.remove(&name).is_some() {
                events.push(Event::Unregistered(name.clone()));
            }
            ok.add_header("Date", http_date(now));
            return (ok, events);
        }
        let Some(curi) = Uri::parse(&contact) else {
            return (resp(400, "Bad Request"), events);
        };
        let via = req.header("Via").unwrap_or("");
        let nat = peer.nat(g);
        let use_source = has_param(via, "rport") || nat.force_rport;
        let addr = if use_source {
            src
        } else {
            let ip = curi
                .host
                .trim_matches(['[', ']'])
                .parse()
                .unwrap_or(src.ip());
            SocketAddr::new(ip, curi.port.unwrap_or(5060))
        };
        let reg = Registration {
            peer: name.clone(),
            addr,
            contact: curi.to_string(),
            username: curi.user.clone().unwrap_or_default(),
            expires: expire as u32,
            expires_at: now + Duration::from_secs(expire as u64),
            useragent: req.header("User-Agent").unwrap_or("").to_string(),
        };
        let was = self.regs.insert(name.clone(), reg.clone());
        if was.as_ref().map(|w| w.addr) != Some(reg.addr) {
            crate::verb!(3, "Registered SIP '{}' at {}", name, reg.addr);
        }
        events.push(Event::Registered(reg.clone()));
        ok.add_header("Expires", expire.to_string());
        let shown = contact
            .split(';')
            .next()
            .unwrap_or(&contact)
            .trim()
            .to_string();
        let shown = if shown.starts_with('<') {
            shown
        } else {
            format!("<{shown}>")
        };
        ok.add_header("Contact", format!("{shown};expires={expire}"));
        ok.add_header("Date", http_date(now));
        (ok, events)
    }

    fn challenge(
        &self,
        req: &Message,
        tag: &str,
        nonce: &str,
        realm: &str,
        src: SocketAddr,
    ) -> Message {
        let mut r = response(req, 401, "Unauthorized", Some(tag), src, &self.server);
        r.add_header("WWW-Authenticate", super::digest::challenge(realm, nonce));
        r
    }

    /// For a name we will not accept: challenge first, 403 once they answer.
    fn challenge_or_reject(
        &self,
        req: &Message,
        tag: &str,
        nonce: &str,
        realm: &str,
        src: SocketAddr,
    ) -> Message {
        match req.header("Authorization") {
            Some(a) if super::digest::Answer::parse(a).nonce == nonce => {
                response(req, 403, "Forbidden", Some(tag), src, &self.server)
            }
            _ => self.challenge(req, tag, nonce, realm, src),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::sip::SipConf;

    #[test]
    fn top_via_gets_received_and_rport_as_chan_sip_writes_them() {
        let src: SocketAddr = "192.0.2.7:5071".parse().unwrap();
        let v = "SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK1;rport";
        assert_eq!(
            via_received(v, src),
            "SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK1;received=192.0.2.7;rport=5071"
        );
        // Sent from where it says: chan_sip adds received= all the same (no rport= unasked).
        let v = "SIP/2.0/UDP 192.0.2.7:5071;branch=z9hG4bK2";
        assert_eq!(via_received(v, src), format!("{v};received=192.0.2.7"));
        // A name is not the address; old received/rport values are replaced.
        let v = "SIP/2.0/UDP pc.example.com;Received=1.2.3.4;branch=z9hG4bK3; RPORT=9";
        assert_eq!(
            via_received(v, src),
            "SIP/2.0/UDP pc.example.com;branch=z9hG4bK3;received=192.0.2.7;rport=5071"
        );
    }

    fn conf(text: &str) -> SipConf {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("sip.conf"), text).unwrap();
        crate::config::ConfigSet::load(d.path()).sip
    }

    const SIP: &str = "[general]\n[1001]\ntype=friend\nhost=dynamic\nsecret=1234\ncontext=office\n[trunk]\ntype=peer\nhost=192.0.2.1\nsecret=x\n";

    fn reg(cseq: u32, call: &str, user: &str, auth: Option<String>) -> Message {
        let mut s = format!("REGISTER sip:127.0.0.1:5080 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5182;branch=z9hG4bK-{cseq};rport\r\nFrom: <sip:{user}@127.0.0.1:5080>;tag=x\r\nTo: <sip:{user}@127.0.0.1:5080>\r\nCall-ID: {call}\r\nCSeq: {cseq} REGISTER\r\nContact: <sip:{user}@127.0.0.1:5182>\r\nExpires: 3600\r\n");
        if let Some(a) = auth {
            s.push_str(&format!("Authorization: {a}\r\n"));
        }
        s.push_str("Content-Length: 0\r\n\r\n");
        Message::parse(s.as_bytes(), false).unwrap().0
    }

    fn answer(user: &str, pass: &str, nonce: &str) -> String {
        let h = |s: String| crate::funcs::md5::hex(&crate::funcs::md5::md5(s.as_bytes()));
        let ha1 = h(format!("{user}:asterisk:{pass}"));
        let ha2 = h("REGISTER:sip:127.0.0.1:5080".to_string());
        let resp = h(format!("{ha1}:{nonce}:{ha2}"));
        format!("Digest username=\"{user}\",realm=\"asterisk\",uri=\"sip:127.0.0.1:5080\",nonce=\"{nonce}\",response=\"{resp}\",algorithm=MD5")
    }

    fn nonce_of(m: &Message) -> String {
        let w = m.header("WWW-Authenticate").unwrap();
        super::super::digest::params(w)
            .into_iter()
            .find(|(k, _)| k == "nonce")
            .unwrap()
            .1
    }

    #[test]
    fn challenge_then_ok_as_recorded() {
        let sip = conf(SIP);
        let mut r = Registrar::new("zvezda");
        let src: SocketAddr = "127.0.0.1:5182".parse().unwrap();
        let (c, _) = r.register(
            &reg(1, "a", "1001", None),
            src,
            &sip,
            SystemTime::now(),
            Instant::now(),
        );
        assert_eq!(c.code(), Some(401));
        let w = c.header("WWW-Authenticate").unwrap();
        assert!(
            w.starts_with("Digest algorithm=MD5, realm=\"asterisk\", nonce=\""),
            "{w}"
        );
        assert!(!w.contains("qop"));
        assert_eq!(
            c.header("Via").unwrap(),
            "SIP/2.0/UDP 127.0.0.1:5182;branch=z9hG4bK-1;received=127.0.0.1;rport=5182"
        );
        let tag = param(c.header("To").unwrap(), "tag").unwrap();
        assert!(tag.starts_with("as") && tag.len() == 10);
        let n = nonce_of(&c);
        let (ok, ev) = r.register(
            &reg(2, "a", "1001", Some(answer("1001", "1234", &n))),
            src,
            &sip,
            SystemTime::now(),
            Instant::now(),
        );
        assert_eq!(ok.code(), Some(200));
        assert_eq!(param(ok.header("To").unwrap(), "tag").unwrap(), tag);
        assert_eq!(ok.header("Expires"), Some("3600"));
        assert_eq!(
            ok.header("Contact"),
            Some("<sip:1001@127.0.0.1:5182>;expires=3600")
        );
        assert!(ok.header("Date").unwrap().ends_with(" GMT"));
        assert!(matches!(&ev[0], Event::Registered(g) if g.addr == src && g.username == "1001"));
        assert_eq!(
            r.regs["1001"].to_db(),
            "127.0.0.1:5182:3600:1001:sip:1001@127.0.0.1:5182"
        );
        let back =
            Registration::from_db("1001", &r.regs["1001"].to_db(), SystemTime::now()).unwrap();
        assert_eq!(back.addr, src);
        assert_eq!(back.contact, "sip:1001@127.0.0.1:5182");
    }

    #[test]
    fn wrong_password_and_unknown_names_look_the_same() {
        let sip = conf(SIP);
        let mut r = Registrar::new("zvezda");
        let src: SocketAddr = "127.0.0.1:5182".parse().unwrap();
        for (call, user) in [("w", "1001"), ("u", "9999")] {
            let (c, _) = r.register(
                &reg(1, call, user, None),
                src,
                &sip,
                SystemTime::now(),
                Instant::now(),
            );
            assert_eq!(c.code(), Some(401), "{user}");
            let n = nonce_of(&c);
            let (f, ev) = r.register(
                &reg(2, call, user, Some(answer(user, "bad", &n))),
                src,
                &sip,
                SystemTime::now(),
                Instant::now(),
            );
            assert_eq!(f.code(), Some(403), "{user}");
            assert_eq!(
                ev,
                vec![Event::Log(
                    Level::Notice,
                    format!("Registration from '<sip:{user}@127.0.0.1:5080>' failed for '127.0.0.1:5182' - Wrong password")
                )]
            );
        }
        // alwaysauthreject=no: unknown names are 404 at once.
        let sip = conf(&SIP.replace("[general]\n", "[general]\nalwaysauthreject=no\n"));
        let (c, ev) = r.register(
            &reg(1, "n", "9999", None),
            src,
            &sip,
            SystemTime::now(),
            Instant::now(),
        );
        assert_eq!(c.code(), Some(404));
        assert!(matches!(&ev[0], Event::Log(_, t) if t.ends_with("No matching peer found")));
        // A static peer may not register.
        let (c, _) = r.register(
            &reg(1, "t", "trunk", None),
            src,
            &sip,
            SystemTime::now(),
            Instant::now(),
        );
        assert_eq!(c.code(), Some(403));
    }

    #[test]
    fn expiry_rules_and_unregister() {
        let sip = conf(&SIP.replace("[general]\n", "[general]\nmaxexpiry=1800\nminexpiry=90\n"));
        let mut r = Registrar::new("zvezda");
        let src: SocketAddr = "127.0.0.1:5182".parse().unwrap();
        let (c, _) = r.register(
            &reg(1, "e", "1001", None),
            src,
            &sip,
            SystemTime::now(),
            Instant::now(),
        );
        let n = nonce_of(&c);
        let (ok, _) = r.register(
            &reg(2, "e", "1001", Some(answer("1001", "1234", &n))),
            src,
            &sip,
            SystemTime::now(),
            Instant::now(),
        );
        assert_eq!(ok.header("Expires"), Some("1800"));
        // Unregister with Expires: 0 (a new challenge round on the same Call-ID).
        let mut m = reg(3, "e2", "1001", None);
        m.set_header("Expires", "0");
        let (c, _) = r.register(&m, src, &sip, SystemTime::now(), Instant::now());
        let n = nonce_of(&c);
        m.add_header("Authorization", answer("1001", "1234", &n));
        let (ok, ev) = r.register(&m, src, &sip, SystemTime::now(), Instant::now());
        assert_eq!(ok.code(), Some(200));
        assert_eq!(ev, vec![Event::Unregistered("1001".into())]);
        assert!(r.regs.is_empty());
    }

    #[test]
    fn acls() {
        let p = AclRule {
            permit: false,
            net: "0.0.0.0/0.0.0.0".into(),
        };
        let a = AclRule {
            permit: true,
            net: "192.168.1.0/24".into(),
        };
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(acl_allows(&[&p, &a], ip("192.168.1.7")));
        assert!(!acl_allows(&[&p, &a], ip("10.0.0.1")));
        assert!(acl_allows(&[], ip("10.0.0.1")));
    }
}
