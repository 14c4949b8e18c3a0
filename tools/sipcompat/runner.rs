//! The SIP call-scenario runner behind `zvezda-sipcompat` (and `tests/compat_sip.rs`).
//!
//! A case is a folder with a `scenario` script, config templates and `expected/`. The runner
//! renders the configs (ports and folders put into the templates), drives scripted SIP
//! endpoints (UDP on loopback) against any server given as `host:port`, records the ladder
//! each endpoint saw, takes the server's verbose trace from a log file, normalises both and
//! compares them with `expected/`. The format is described in compat-tests/sip/README.md.
#![allow(dead_code)]

use regex::Regex;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::net::UdpSocket;
use tokio::sync::Notify;
use zvezda::sip::message::{param, Message, StartLine};

// ---------------------------------------------------------------- scenario

#[derive(Clone, Debug)]
pub struct EndpointDef {
    pub name: String,
    pub user: Option<String>,
    pub password: Option<String>,
    pub host: String,
    pub port: u16,
}

#[derive(Clone, Debug)]
pub enum Step {
    Wait(u64),
    Register {
        ep: String,
        password: Option<String>,
    },
    Invite {
        ep: String,
        to: String,
    },
    Expect {
        ep: String,
        what: String,
        method: Option<String>,
        timeout: u64,
    },
    Reply {
        ep: String,
        code: u16,
    },
    Bye {
        ep: String,
        cseq: Option<u32>,
    },
    Cancel {
        ep: String,
    },
    Mute {
        ep: String,
    },
}

#[derive(Clone, Debug)]
pub struct Case {
    pub dir: PathBuf,
    pub name: String,
    pub etc: PathBuf,
    /// (file, section, line): a line added at the top of a section of a template.
    pub conf: Vec<(String, String, String)>,
    pub endpoints: Vec<EndpointDef>,
    pub steps: Vec<Step>,
    /// How long to keep listening after the last step (ms).
    pub settle: u64,
    /// Compare the server's trace (`trace none` in the scenario turns it off).
    pub trace: bool,
}

fn kv(args: &[&str]) -> HashMap<String, String> {
    args.iter()
        .filter_map(|a| a.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

impl Case {
    pub fn load(dir: &Path) -> Result<Case, String> {
        let path = dir.join("scenario");
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut case = Case {
            dir: dir.to_path_buf(),
            name: dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            etc: dir.join("../etc"),
            conf: Vec::new(),
            endpoints: Vec::new(),
            steps: Vec::new(),
            settle: 500,
            trace: true,
        };
        for (no, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let err = |m: &str| format!("{}:{}: {m}: {raw}", path.display(), no + 1);
            let w: Vec<&str> = line.split_whitespace().collect();
            match w[0] {
                "etc" if w.len() == 2 => case.etc = dir.join(w[1]),
                "trace" if w.len() == 2 && w[1] == "none" => case.trace = false,
                "conf" if w.len() >= 4 => {
                    case.conf
                        .push((w[1].to_string(), w[2].to_string(), w[3..].join(" ")))
                }
                "settle" if w.len() == 2 => {
                    case.settle = w[1].parse().map_err(|_| err("bad number"))?
                }
                "endpoint" if w.len() >= 2 => {
                    let o = kv(&w[2..]);
                    case.endpoints.push(EndpointDef {
                        name: w[1].to_string(),
                        user: o.get("user").cloned(),
                        password: o.get("password").cloned(),
                        host: o.get("host").cloned().unwrap_or_else(|| "127.0.0.1".into()),
                        port: o
                            .get("port")
                            .ok_or_else(|| err("endpoint needs port="))?
                            .parse()
                            .map_err(|_| err("bad port"))?,
                    })
                }
                "wait" if w.len() == 2 => case
                    .steps
                    .push(Step::Wait(w[1].parse().map_err(|_| err("bad number"))?)),
                ep if w.len() >= 2 => {
                    if !case.endpoints.iter().any(|e| e.name == ep) {
                        return Err(err("unknown endpoint"));
                    }
                    let ep = ep.to_string();
                    let o = kv(&w[2..]);
                    let step = match w[1] {
                        "register" => Step::Register {
                            ep,
                            password: o.get("password").cloned(),
                        },
                        "invite" if w.len() == 3 => Step::Invite {
                            ep,
                            to: w[2].to_string(),
                        },
                        "expect" if w.len() >= 3 => Step::Expect {
                            ep,
                            what: w[2].to_string(),
                            method: w.get(3).filter(|m| !m.contains('=')).map(|m| m.to_string()),
                            timeout: o
                                .get("timeout")
                                .map(|t| t.parse().map_err(|_| err("bad timeout")))
                                .transpose()?
                                .unwrap_or(5000),
                        },
                        "reply" if w.len() == 3 => Step::Reply {
                            ep,
                            code: w[2].parse().map_err(|_| err("bad code"))?,
                        },
                        "bye" => Step::Bye {
                            ep,
                            cseq: o
                                .get("cseq")
                                .map(|t| t.parse().map_err(|_| err("bad cseq")))
                                .transpose()?,
                        },
                        "cancel" => Step::Cancel { ep },
                        "mute" => Step::Mute { ep },
                        _ => return Err(err("unknown step")),
                    };
                    case.steps.push(step);
                }
                _ => return Err(err("cannot read")),
            }
        }
        Ok(case)
    }

    /// The scenario's endpoint ports, with overrides.
    pub fn ports(&self, over: &HashMap<String, u16>) -> HashMap<String, u16> {
        self.endpoints
            .iter()
            .map(|e| (e.name.clone(), *over.get(&e.name).unwrap_or(&e.port)))
            .collect()
    }

    /// Write the config templates into `out` with `@SERVER_PORT@`, `@PORT:<endpoint>@`,
    /// `@RECORDS@` and `@SOUNDS@` replaced and the scenario's `conf` lines added.
    pub fn render(
        &self,
        out: &Path,
        server_port: u16,
        ports: &HashMap<String, u16>,
        dirs: &Dirs,
    ) -> Result<(), String> {
        std::fs::create_dir_all(out).map_err(|e| e.to_string())?;
        let rd =
            std::fs::read_dir(&self.etc).map_err(|e| format!("{}: {e}", self.etc.display()))?;
        for f in rd {
            let f = f.map_err(|e| e.to_string())?;
            let name = f.file_name().to_string_lossy().into_owned();
            let mut text = std::fs::read_to_string(f.path()).map_err(|e| e.to_string())?;
            for (file, section, line) in self.conf.iter().rev() {
                if *file != name {
                    continue;
                }
                let head = format!("[{section}]");
                let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
                let at = lines
                    .iter()
                    .position(|l| l.trim() == head)
                    .ok_or_else(|| format!("{name}: no section {head}"))?;
                lines.insert(at + 1, line.clone());
                text = lines.join("\n") + "\n";
            }
            text = text.replace("@SERVER_PORT@", &server_port.to_string());
            for (ep, p) in ports {
                text = text.replace(&format!("@PORT:{ep}@"), &p.to_string());
            }
            text = text
                .replace("@RECORDS@", &dirs.records.to_string_lossy())
                .replace("@SOUNDS@", &dirs.sounds.to_string_lossy());
            std::fs::write(out.join(&name), text).map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

/// Folders the configs name (recordings, prompts): real paths at run time, placeholders in
/// the expected traces.
#[derive(Clone, Debug)]
pub struct Dirs {
    pub records: PathBuf,
    pub sounds: PathBuf,
}

// ---------------------------------------------------------------- endpoints

#[derive(Default)]
struct Call {
    call_id: String,
    from_tag: String,
    uri: String,
    to: String,
    cseq: u32,
    branch: String,
    /// The dialog's To (with the remote tag) and remote target, once known.
    remote_to: Option<String>,
    target: Option<String>,
    authed: bool,
    is_register: bool,
    password: String,
    done: bool,
}

#[derive(Default)]
struct Incoming {
    req: Option<Message>,
    /// The To tag we answer with.
    tag: String,
    last: Option<Message>,
    final_sent: bool,
}

#[derive(Default)]
struct State {
    ladder: Vec<String>,
    /// Received messages not yet matched by an `expect`, minus retransmissions.
    inbox: Vec<Message>,
    calls: Vec<Call>,
    incoming: Option<Incoming>,
    /// CSeq base of each dialog the server started (its numbers are shown relative).
    remote_base: HashMap<String, u32>,
    seen_branches: HashSet<String>,
    /// Answer nothing any more (a phone that is gone but still registered).
    muted: bool,
}

pub struct Endpoint {
    def: EndpointDef,
    me: SocketAddr,
    server: SocketAddr,
    sock: UdpSocket,
    state: Mutex<State>,
    notify: Notify,
    names: Arc<Names>,
    seq: std::sync::atomic::AtomicU32,
    pid: u32,
}

/// Address → name, for normalising what the endpoints see.
pub struct Names(Vec<(String, String)>);

impl Names {
    pub fn apply(&self, s: &str) -> String {
        let mut s = s.to_string();
        for (a, n) in &self.0 {
            s = s.replace(a, n);
        }
        s
    }
}

const SDP_TEMPLATE: &str = "v=0\r\no=uac 53655765 2353687637 IN IP4 @IP@\r\ns=-\r\nc=IN IP4 @IP@\r\nt=0 0\r\nm=audio @RTP@ RTP/AVP 8 0 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=sendrecv\r\n";

fn reason(code: u16) -> &'static str {
    match code {
        100 => "Trying",
        180 => "Ringing",
        183 => "Session Progress",
        200 => "OK",
        404 => "Not Found",
        480 => "Temporarily Unavailable",
        486 => "Busy Here",
        487 => "Request Terminated",
        603 => "Decline",
        _ => "Unknown",
    }
}

impl Endpoint {
    fn sdp(&self) -> Vec<u8> {
        let rtp = (self.me.port() as u32 + 11000).min(65000);
        SDP_TEMPLATE
            .replace("@IP@", &self.def.host)
            .replace("@RTP@", &rtp.to_string())
            .into_bytes()
    }

    fn next(&self) -> u32 {
        self.seq.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1
    }

    fn server_host(&self) -> String {
        self.server.to_string()
    }

    fn record(&self, st: &mut State, out: bool, m: &Message, from: SocketAddr) {
        let start = match &m.start {
            StartLine::Request { method, uri } => format!("{method} {uri} SIP/2.0"),
            StartLine::Response { code, reason } => format!("SIP/2.0 {code} {reason}"),
        };
        let (n, method) = m.cseq().unwrap_or((0, "?".into()));
        let cid = m.call_id().unwrap_or("").to_string();
        // The server's own numbers (requests it sends, our answers to them) are its choice:
        // shown relative to the first one of the dialog.
        let is_request = matches!(m.start, StartLine::Request { .. });
        let cseq = if is_request == out {
            format!("{n} {method}")
        } else {
            let base = *st.remote_base.entry(cid).or_insert(n);
            format!("S+{} {method}", n as i64 - base as i64)
        };
        let mut line = format!(
            "{} {}   [{cseq}]",
            if out { "-->" } else { "<--" },
            self.names.apply(&start)
        );
        if !out && from != self.server {
            line.push_str(&format!(
                "   (from {})",
                self.names.apply(&from.to_string())
            ));
        }
        st.ladder.push(line);
    }

    async fn send(&self, m: &Message) {
        {
            let mut st = self.state.lock().unwrap();
            self.record(&mut st, true, m, self.server);
        }
        let _ = self.sock.send_to(&m.to_bytes(), self.server).await;
    }

    fn request(&self, method: &str, uri: &str, c: &Call, branch: &str, cseq: u32) -> Message {
        let user = self
            .def
            .user
            .clone()
            .unwrap_or_else(|| self.def.name.clone());
        let mut m = Message {
            start: StartLine::Request {
                method: method.into(),
                uri: uri.into(),
            },
            headers: Vec::new(),
            body: Vec::new(),
        };
        m.add_header(
            "Via",
            format!("SIP/2.0/UDP {};branch={branch};rport", self.me),
        );
        m.add_header("Max-Forwards", "70");
        let from = if c.is_register {
            format!("<sip:{user}@{}>;tag={}", self.server_host(), c.from_tag)
        } else {
            format!(
                "\"{user}\" <sip:{user}@{}>;tag={}",
                self.server_host(),
                c.from_tag
            )
        };
        m.add_header("From", from);
        m.add_header("To", c.remote_to.clone().unwrap_or_else(|| c.to.clone()));
        m.add_header("Call-ID", c.call_id.clone());
        m.add_header("CSeq", format!("{cseq} {method}"));
        m
    }

    fn build_invite(&self, c: &Call, auth: Option<(&str, String)>) -> Message {
        let user = self
            .def
            .user
            .clone()
            .unwrap_or_else(|| self.def.name.clone());
        let mut m = self.request("INVITE", &c.uri, c, &c.branch, c.cseq);
        m.add_header("Contact", format!("<sip:{user}@{}>", self.me));
        if let Some((h, v)) = auth {
            m.add_header(h, v);
        }
        m.add_header("User-Agent", "zvezda-sipcompat");
        m.add_header("Content-Type", "application/sdp");
        m.body = self.sdp();
        m
    }

    fn build_register(&self, c: &Call, auth: Option<(&str, String)>) -> Message {
        let user = self
            .def
            .user
            .clone()
            .unwrap_or_else(|| self.def.name.clone());
        let mut m = self.request("REGISTER", &c.uri, c, &c.branch, c.cseq);
        m.add_header("Contact", format!("<sip:{user}@{}>", self.me));
        m.add_header("Expires", "3600");
        if let Some((h, v)) = auth {
            m.add_header(h, v);
        }
        m.add_header("User-Agent", "zvezda-sipcompat");
        m
    }

    fn new_branch(&self) -> String {
        format!("z9hG4bK-{}-{}", self.pid, self.next())
    }

    fn new_call(&self, uri: String, to: String, is_register: bool, password: String) -> Call {
        let n = self.next();
        Call {
            call_id: format!("{n}-{}-{}@{}", self.pid, self.def.name, self.def.host),
            from_tag: format!("{}{}{n}", self.pid, if is_register { "R" } else { "C" }),
            uri,
            to,
            cseq: 1,
            branch: self.new_branch(),
            is_register,
            password,
            ..Default::default()
        }
    }

    async fn register(&self, password: Option<String>) {
        let user = self
            .def
            .user
            .clone()
            .unwrap_or_else(|| self.def.name.clone());
        let uri = format!("sip:{}", self.server_host());
        let to = format!("<sip:{user}@{}>", self.server_host());
        let pw = password.or(self.def.password.clone()).unwrap_or_default();
        let c = self.new_call(uri, to, true, pw);
        let m = self.build_register(&c, None);
        self.state.lock().unwrap().calls.push(c);
        self.send(&m).await;
    }

    async fn invite(&self, to_user: &str) {
        let uri = format!("sip:{to_user}@{}", self.server_host());
        let to = format!("<{uri}>");
        let pw = self.def.password.clone().unwrap_or_default();
        let c = self.new_call(uri, to, false, pw);
        let m = self.build_invite(&c, None);
        self.state.lock().unwrap().calls.push(c);
        self.send(&m).await;
    }

    /// Handle one datagram: record it, answer what a phone answers by itself.
    async fn on_message(&self, m: Message, from: SocketAddr) {
        let mut out: Vec<Message> = Vec::new();
        {
            let mut st = self.state.lock().unwrap();
            self.record(&mut st, false, &m, from);
            match &m.start {
                StartLine::Response { code, .. } => {
                    let code = *code;
                    let cid = m.call_id().unwrap_or("").to_string();
                    let (n, method) = m.cseq().unwrap_or((0, String::new()));
                    let mut keep = true;
                    if let Some(i) = st.calls.iter().position(|c| c.call_id == cid) {
                        let authed_before = st.calls[i].authed;
                        let msgs = self.on_response(&mut st.calls[i], &m, code, n, &method);
                        // A challenge the phone answered (or a late copy of one) is not
                        // something a script waits for.
                        let challenge = code == 401 || code == 407;
                        keep = (authed_before || !st.calls[i].authed)
                            && !(challenge && n != st.calls[i].cseq);
                        out.extend(msgs);
                    }
                    if keep {
                        st.inbox.push(m.clone());
                    }
                }
                StartLine::Request { method, .. } => {
                    let method = method.clone();
                    let branch = m.branch().unwrap_or_default();
                    let retrans = !st.seen_branches.insert(format!("{branch} {method}"));
                    match method.as_str() {
                        "INVITE" if retrans => {
                            if let Some(last) = st.incoming.as_ref().and_then(|i| i.last.clone()) {
                                out.push(last);
                            }
                        }
                        "INVITE" => {
                            st.incoming = Some(Incoming {
                                req: Some(m.clone()),
                                tag: format!("{}U{}", self.pid, self.next()),
                                last: None,
                                final_sent: false,
                            });
                            st.inbox.push(m.clone());
                        }
                        "ACK" => {
                            if !retrans {
                                st.inbox.push(m.clone());
                            }
                        }
                        "CANCEL" => {
                            out.push(self.response_to(&m, 200, None));
                            if let Some(inc) = st.incoming.as_mut() {
                                if !inc.final_sent {
                                    if let Some(req) = inc.req.clone() {
                                        let r = self.response_to(&req, 487, Some(&inc.tag));
                                        inc.final_sent = true;
                                        inc.last = Some(r.clone());
                                        out.push(r);
                                    }
                                }
                            }
                            if !retrans {
                                st.inbox.push(m.clone());
                            }
                        }
                        _ => {
                            // BYE, OPTIONS, anything else: 200 OK, as the SIPp phones did.
                            out.push(self.response_to(&m, 200, None));
                            if !retrans {
                                st.inbox.push(m.clone());
                            }
                        }
                    }
                }
            }
        }
        self.notify.notify_waiters();
        if self.state.lock().unwrap().muted {
            return;
        }
        for o in out {
            self.send(&o).await;
        }
    }

    /// What a phone sends by itself on a response to its own request.
    fn on_response(
        &self,
        c: &mut Call,
        m: &Message,
        code: u16,
        n: u32,
        method: &str,
    ) -> Vec<Message> {
        let mut out = Vec::new();
        if method == "REGISTER" && n == c.cseq && !c.done {
            if (code == 401 || code == 407) && !c.authed {
                if let Some(auth) = self.answer(c, m, code, "REGISTER") {
                    c.cseq += 1;
                    c.branch = self.new_branch();
                    c.authed = true;
                    out.push(self.build_register(c, Some(auth)));
                }
            } else if code >= 200 {
                c.done = true;
            }
            return out;
        }
        if method != "INVITE" || n != c.cseq {
            return out;
        }
        if code < 200 {
            if param(m.header("To").unwrap_or(""), "tag").is_some() {
                c.remote_to = m.header("To").map(str::to_string);
            }
            return out;
        }
        let to = m.header("To").unwrap_or("").to_string();
        if code >= 300 {
            // ACK on the INVITE's branch, To with the tag of the answer.
            let mut ack = self.request("ACK", &c.uri, c, &c.branch, n);
            ack.set_header("To", to);
            out.push(ack);
            if (code == 401 || code == 407) && !c.authed {
                if let Some(auth) = self.answer(c, m, code, "INVITE") {
                    c.cseq += 1;
                    c.branch = self.new_branch();
                    c.authed = true;
                    c.remote_to = None;
                    out.push(self.build_invite(c, Some(auth)));
                }
            } else {
                c.done = true;
            }
            return out;
        }
        // 2xx: dialog confirmed; ACK to the remote target on a new branch.
        c.remote_to = Some(to);
        c.target = m
            .header("Contact")
            .and_then(|v| {
                let (a, b) = (v.find('<')?, v.find('>')?);
                Some(v[a + 1..b].to_string())
            })
            .or_else(|| Some(c.uri.clone()));
        let target = c.target.clone().unwrap_or_default();
        let br = self.new_branch();
        out.push(self.request("ACK", &target, c, &br, n));
        c.done = true;
        out
    }

    fn answer(
        &self,
        c: &Call,
        m: &Message,
        code: u16,
        method: &str,
    ) -> Option<(&'static str, String)> {
        let user = self.def.user.clone()?;
        let (ch, ah) = if code == 407 {
            ("Proxy-Authenticate", "Proxy-Authorization")
        } else {
            ("WWW-Authenticate", "Authorization")
        };
        let challenge = m.header(ch)?;
        let v = zvezda::sip::digest::authorization(
            challenge,
            &user,
            &c.password,
            method,
            &c.uri,
            "0a4f113b",
        );
        Some((ah, v))
    }

    fn response_to(&self, req: &Message, code: u16, tag: Option<&str>) -> Message {
        let mut r = Message {
            start: StartLine::Response {
                code,
                reason: reason(code).into(),
            },
            headers: Vec::new(),
            body: Vec::new(),
        };
        for v in req.headers_named("Via") {
            r.add_header("Via", v);
        }
        for h in ["From", "To", "Call-ID", "CSeq"] {
            if let Some(v) = req.header(h) {
                let v = match (h, tag) {
                    ("To", Some(t)) if param(v, "tag").is_none() => format!("{v};tag={t}"),
                    _ => v.to_string(),
                };
                r.add_header(h, v);
            }
        }
        if tag.is_some() && code < 300 {
            r.add_header("Contact", format!("<sip:{};transport=UDP>", self.me));
        }
        r
    }

    async fn reply(&self, code: u16) -> Result<(), String> {
        let r = {
            let mut st = self.state.lock().unwrap();
            let inc = st
                .incoming
                .as_mut()
                .ok_or_else(|| format!("{}: no INVITE to answer", self.def.name))?;
            let req = inc.req.clone().unwrap();
            let tag = (code > 100).then_some(inc.tag.clone());
            let mut r = self.response_to(&req, code, tag.as_deref());
            if code == 200 {
                r.add_header("Content-Type", "application/sdp");
                r.body = self.sdp();
            }
            if code >= 200 {
                inc.final_sent = true;
            }
            inc.last = Some(r.clone());
            r
        };
        self.send(&r).await;
        Ok(())
    }

    async fn bye(&self, cseq: Option<u32>) -> Result<(), String> {
        let m = {
            let mut st = self.state.lock().unwrap();
            // The call we placed, else the call we answered.
            if let Some(c) = st.calls.iter_mut().rev().find(|c| c.remote_to.is_some()) {
                c.cseq = cseq.unwrap_or(if c.is_register { c.cseq + 1 } else { 10 });
                let target = c.target.clone().unwrap_or_else(|| c.uri.clone());
                let br = self.new_branch();
                self.request("BYE", &target, c, &br, c.cseq)
            } else if st.incoming.is_none() && !st.calls.is_empty() {
                // No dialog: a stray BYE on the last request's Call-ID (the recorded SIPp
                // script for an unknown user sends one after its REGISTER).
                let user = self
                    .def
                    .user
                    .clone()
                    .unwrap_or_else(|| self.def.name.clone());
                let c = st.calls.last_mut().unwrap();
                c.cseq = cseq.unwrap_or(c.cseq + 1);
                let uri = format!("sip:{user}@{}", self.server);
                let br = self.new_branch();
                self.request("BYE", &uri, c, &br, c.cseq)
            } else if let Some(inc) = st.incoming.as_ref() {
                let req = inc.req.clone().unwrap();
                let target = req
                    .header("Contact")
                    .and_then(|v| {
                        let (a, b) = (v.find('<')?, v.find('>')?);
                        Some(v[a + 1..b].to_string())
                    })
                    .unwrap_or_default();
                let mut m = Message {
                    start: StartLine::Request {
                        method: "BYE".into(),
                        uri: target,
                    },
                    headers: Vec::new(),
                    body: Vec::new(),
                };
                m.add_header(
                    "Via",
                    format!("SIP/2.0/UDP {};branch={};rport", self.me, self.new_branch()),
                );
                m.add_header("Max-Forwards", "70");
                m.add_header(
                    "From",
                    format!("{};tag={}", req.header("To").unwrap_or(""), inc.tag),
                );
                m.add_header("To", req.header("From").unwrap_or(""));
                m.add_header("Call-ID", req.call_id().unwrap_or(""));
                m.add_header("CSeq", format!("{} BYE", cseq.unwrap_or(1)));
                m
            } else {
                return Err(format!("{}: no call to hang up", self.def.name));
            }
        };
        self.send(&m).await;
        Ok(())
    }

    async fn cancel(&self) -> Result<(), String> {
        let m = {
            let st = self.state.lock().unwrap();
            let c = st
                .calls
                .iter()
                .rev()
                .find(|c| !c.is_register)
                .ok_or_else(|| format!("{}: no INVITE to cancel", self.def.name))?;
            let mut m = self.request("CANCEL", &c.uri, c, &c.branch, c.cseq);
            m.set_header("To", c.to.clone());
            m
        };
        self.send(&m).await;
        Ok(())
    }

    /// Wait for a received message: a method name, a status code, or `final` (a final
    /// answer); `method` narrows a status code to the CSeq method.
    async fn expect(&self, what: &str, method: Option<&str>, timeout: u64) -> bool {
        let deadline = tokio::time::Instant::now() + Duration::from_millis(timeout);
        loop {
            let notified = self.notify.notified();
            {
                let mut st = self.state.lock().unwrap();
                let pos = st.inbox.iter().position(|m| {
                    let cm = m.cseq().map(|c| c.1).unwrap_or_default();
                    let method_ok = method.is_none_or(|x| x == cm);
                    match &m.start {
                        StartLine::Request { method: mm, .. } => mm == what,
                        StartLine::Response { code, .. } => {
                            method_ok
                                && (what == code.to_string() || (what == "final" && *code >= 200))
                        }
                    }
                });
                if let Some(i) = pos {
                    // Everything before the match is passed over too.
                    st.inbox.drain(..=i);
                    return true;
                }
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return false;
            }
        }
    }

    async fn receive_loop(self: Arc<Self>) {
        let mut buf = vec![0u8; 65536];
        loop {
            let Ok((n, from)) = self.sock.recv_from(&mut buf).await else {
                return;
            };
            match Message::parse(&buf[..n], false) {
                Ok((m, _)) => self.on_message(m, from).await,
                Err(e) => {
                    let mut st = self.state.lock().unwrap();
                    st.ladder.push(format!("<-- unparsable datagram: {}", e.0));
                }
            }
        }
    }
}

// ---------------------------------------------------------------- running

/// What a run produced: file name under expected/ → normalised text.
pub type Outputs = BTreeMap<String, String>;

pub struct RunOptions {
    pub server: SocketAddr,
    pub ports: HashMap<String, u16>,
    pub trace_file: Option<PathBuf>,
    pub dirs: Dirs,
}

pub async fn run(case: &Case, opt: &RunOptions) -> Result<Outputs, String> {
    let mut names = vec![(opt.server.to_string(), "$SERVER".to_string())];
    for e in &case.endpoints {
        let p = opt.ports.get(&e.name).copied().unwrap_or(e.port);
        names.push((format!("{}:{p}", e.host), format!("${}", e.name)));
    }
    let names = Arc::new(Names(names));
    let trace_start = opt
        .trace_file
        .as_ref()
        .and_then(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .unwrap_or(0);
    let pid = std::process::id() % 100000;
    let mut eps: BTreeMap<String, Arc<Endpoint>> = BTreeMap::new();
    let mut tasks = Vec::new();
    for e in &case.endpoints {
        let port = opt.ports.get(&e.name).copied().unwrap_or(e.port);
        let sock = UdpSocket::bind((e.host.as_str(), port))
            .await
            .map_err(|err| format!("bind {}:{port} for {}: {err}", e.host, e.name))?;
        let ep = Arc::new(Endpoint {
            def: e.clone(),
            me: sock.local_addr().map_err(|e| e.to_string())?,
            server: opt.server,
            sock,
            state: Mutex::new(State::default()),
            notify: Notify::new(),
            names: names.clone(),
            seq: std::sync::atomic::AtomicU32::new(0),
            pid,
        });
        tasks.push(tokio::spawn(ep.clone().receive_loop()));
        eps.insert(e.name.clone(), ep);
    }
    let mut failure = None;
    for (i, step) in case.steps.iter().enumerate() {
        let r = run_step(&eps, step).await;
        if let Err(e) = r {
            failure = Some(format!("step {}: {e}", i + 1));
            break;
        }
    }
    tokio::time::sleep(Duration::from_millis(case.settle)).await;
    for t in &tasks {
        t.abort();
    }
    let mut out = Outputs::new();
    for (name, ep) in &eps {
        let st = ep.state.lock().unwrap();
        let mut text: String = st.ladder.iter().map(|l| format!("{l}\n")).collect();
        if let Some(f) = &failure {
            if f.contains(&format!("{name}:")) {
                text.push_str(&format!("!! {f}\n"));
            }
        }
        out.insert(format!("{name}.ladder.txt"), text);
    }
    if let Some(f) = opt.trace_file.as_ref().filter(|_| case.trace) {
        let bytes = std::fs::read(f).unwrap_or_default();
        let start = (trace_start as usize).min(bytes.len());
        let text = String::from_utf8_lossy(&bytes[start..]);
        let mut subst = vec![
            (
                opt.dirs.records.to_string_lossy().into_owned(),
                "@RECORDS@".to_string(),
            ),
            (
                opt.dirs.sounds.to_string_lossy().into_owned(),
                "@SOUNDS@".to_string(),
            ),
        ];
        subst.extend(names.0.iter().cloned());
        out.insert("trace.txt".into(), normalise_trace(&text, &subst));
    }
    Ok(out)
}

async fn run_step(eps: &BTreeMap<String, Arc<Endpoint>>, step: &Step) -> Result<(), String> {
    let get = |n: &str| {
        eps.get(n)
            .cloned()
            .ok_or_else(|| format!("no endpoint {n}"))
    };
    match step {
        Step::Wait(ms) => tokio::time::sleep(Duration::from_millis(*ms)).await,
        Step::Register { ep, password } => {
            let e = get(ep)?;
            e.register(password.clone()).await;
            if !e.expect("final", Some("REGISTER"), 5000).await {
                return Err(format!("{ep}: no final answer to REGISTER"));
            }
        }
        Step::Invite { ep, to } => get(ep)?.invite(to).await,
        Step::Expect {
            ep,
            what,
            method,
            timeout,
        } => {
            if !get(ep)?.expect(what, method.as_deref(), *timeout).await {
                return Err(format!(
                    "{ep}: timed out after {timeout} ms waiting for {what}{}",
                    method.as_ref().map(|m| format!(" {m}")).unwrap_or_default()
                ));
            }
        }
        Step::Reply { ep, code } => get(ep)?.reply(*code).await?,
        Step::Bye { ep, cseq } => get(ep)?.bye(*cseq).await?,
        Step::Cancel { ep } => get(ep)?.cancel().await?,
        Step::Mute { ep } => get(ep)?.state.lock().unwrap().muted = true,
    }
    Ok(())
}

// ---------------------------------------------------------------- traces

/// Verbose lines kept from the server's trace (the behaviour, not the SIP noise).
const KEEP: &[&str] = &[
    "Executing [",
    "Called ",
    " is ringing",
    " is busy",
    " answered ",
    "Spawn extension",
    "Auto fallthrough",
    "Nobody picked up",
    "Everyone is busy",
    "Goto (",
    "Got SIP response",
];

fn re(s: &'static str, cell: &'static OnceLock<Regex>) -> &'static Regex {
    cell.get_or_init(|| Regex::new(s).unwrap())
}

/// One line of a console capture or a log file → its normalised form, if kept.
fn trace_line(l: &str) -> Option<String> {
    static LOGLINE: OnceLock<Regex> = OnceLock::new();
    static WHERE: OnceLock<Regex> = OnceLock::new();
    static VFILE: OnceLock<Regex> = OnceLock::new();
    let l = l.trim_end();
    let verbose = |t: &str, need_marker: bool| -> Option<String> {
        let t = t.trim_start();
        let (marked, t) = match t.strip_prefix("-- ").or_else(|| t.strip_prefix("== ")) {
            Some(r) => (true, r),
            None => (false, t),
        };
        if need_marker && !marked {
            return None;
        }
        KEEP.iter()
            .any(|k| t.contains(k))
            .then(|| t.trim().to_string())
    };
    // `[date] LEVEL[pid][C-xxx]: rest` (console) or `[date] LEVEL[pid][C-xxx] rest` (file).
    let logline = re(r"^\[[^\]]*\]\s+([A-Z]+)(?:\[[^\]]*\])*:?\s?(.*)$", &LOGLINE);
    if let Some(c) = logline.captures(l) {
        let level = c.get(1).unwrap().as_str();
        let rest = c.get(2).unwrap().as_str();
        return match level {
            "VERBOSE" => {
                let rest = re(r"^\S+\.c:\s*", &VFILE).replace(rest, "");
                verbose(&rest, false)
            }
            "WARNING" | "NOTICE" | "ERROR" => {
                let msg = re(r"^(\S+:\d+ \S+|\S+): ", &WHERE).replace(rest, "");
                Some(format!("{level}: {msg}"))
            }
            _ => None,
        };
    }
    verbose(l, true)
}

/// Keep the behaviour lines of a trace and hide what changes from run to run.
pub fn normalise_trace(text: &str, subst: &[(String, String)]) -> String {
    static CHAN: OnceLock<Regex> = OnceLock::new();
    static UUID: OnceLock<Regex> = OnceLock::new();
    static STAMP: OnceLock<Regex> = OnceLock::new();
    static TAG: OnceLock<Regex> = OnceLock::new();
    static TRANS: OnceLock<Regex> = OnceLock::new();
    let chan = re(
        r"\b(SIP|Local|PJSIP|IAX2)/([^\s,'\x22()<>]+?)-([0-9a-f]{8})\b",
        &CHAN,
    );
    let mut seen: Vec<String> = Vec::new();
    let mut out = String::new();
    for l in text.lines() {
        let Some(mut l) = trace_line(l) else { continue };
        for (a, b) in subst {
            if !a.is_empty() {
                l = l.replace(a.as_str(), b);
            }
        }
        l = chan
            .replace_all(&l, |c: &regex::Captures| {
                let full = c.get(0).unwrap().as_str().to_string();
                let n = match seen.iter().position(|s| *s == full) {
                    Some(i) => i + 1,
                    None => {
                        seen.push(full);
                        seen.len()
                    }
                };
                format!("{}/{}-<n{n}>", &c[1], &c[2])
            })
            .into_owned();
        l = re(
            r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
            &UUID,
        )
        .replace_all(&l, "<uuid>")
        .into_owned();
        l = re(r"\b20\d{10}\b", &STAMP)
            .replace_all(&l, "<time>")
            .into_owned();
        l = re(r"tag=[^\s;>,]+", &TAG)
            .replace_all(&l, "tag=<tag>")
            .into_owned();
        l = re(r"transmission \S+ for", &TRANS)
            .replace_all(&l, "transmission <call-id> for")
            .into_owned();
        out.push_str(&l);
        out.push('\n');
    }
    out
}

// ---------------------------------------------------------------- golden import

/// A recorded ladder (`  0.001  UAC1001(127.0.0.1:5182) -> AST(127.0.0.1:5080)  START  [CSeq n M]`)
/// split into one normalised ladder per endpoint. `map`: recording label → endpoint name.
pub fn import_ladder(text: &str, map: &[(String, String)]) -> Result<Outputs, String> {
    let line_re = Regex::new(
        r"^\s*[\d.]+\s+(\S+?)(?:\((\S+)\))?\s+->\s+(\S+?)(?:\((\S+)\))?\s{2,}(.*?)\s+\[CSeq (\d+) (\S+)\]\s*$",
    )
    .unwrap();
    let mut addr_names: Vec<(String, String)> = Vec::new();
    let mut out: Outputs = Outputs::new();
    let mut bases: HashMap<String, u32> = HashMap::new();
    for (_, ep) in map {
        out.entry(format!("{ep}.ladder.txt")).or_default();
    }
    let rows: Vec<_> = text.lines().filter_map(|l| line_re.captures(l)).collect();
    // Addresses → names first (a label's address is in its own lines).
    for c in &rows {
        for (lab, addr) in [(1, 2), (3, 4)] {
            let label = &c[lab];
            // A bare address stands for itself (a contact nobody recorded a name for).
            let a = match c.get(addr) {
                Some(a) => a.as_str(),
                None if label.contains(':') => label,
                None => continue,
            };
            let name = if label == "AST" {
                "$SERVER".to_string()
            } else if let Some((_, ep)) = map.iter().find(|(l, _)| l == label) {
                format!("${ep}")
            } else {
                continue;
            };
            if !addr_names.iter().any(|(x, _)| x == a) {
                addr_names.push((a.to_string(), name));
            }
        }
    }
    let names = Names(addr_names);
    for c in &rows {
        let (src, dst) = (&c[1], &c[3]);
        let start = names.apply(&c[5]);
        let n: u32 = c[6].parse().unwrap();
        let method = &c[7];
        for (label, ep) in map {
            let out_dir = if src == label.as_str() {
                true
            } else if dst == label.as_str() {
                false
            } else {
                continue;
            };
            let is_request = !start.starts_with("SIP/2.0 ");
            // Dialogs the server started: requests it sent, responses the endpoint sent.
            let server_side = is_request != out_dir;
            let cseq = if server_side {
                let base = *bases.entry(ep.clone()).or_insert(n);
                format!("S+{} {method}", n as i64 - base as i64)
            } else {
                format!("{n} {method}")
            };
            let t = out.entry(format!("{ep}.ladder.txt")).or_default();
            t.push_str(&format!(
                "{} {start}   [{cseq}]\n",
                if out_dir { "-->" } else { "<--" }
            ));
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------- comparing

/// The unified diff of every expected file against what the run produced ("" when equal).
pub fn diff(case: &Case, got: &Outputs) -> String {
    let exp_dir = case.dir.join("expected");
    let mut names: Vec<String> = got.keys().cloned().collect();
    if let Ok(rd) = std::fs::read_dir(&exp_dir) {
        for f in rd.flatten() {
            let n = f.file_name().to_string_lossy().into_owned();
            // The trace is compared only when one was taken.
            if n == "trace.txt" && !got.contains_key("trace.txt") {
                continue;
            }
            if !names.contains(&n) {
                names.push(n);
            }
        }
    }
    names.sort();
    let mut out = String::new();
    for n in names {
        let expected = std::fs::read_to_string(exp_dir.join(&n)).unwrap_or_default();
        let actual = got.get(&n).cloned().unwrap_or_default();
        if expected != actual {
            let d = similar::TextDiff::from_lines(&expected, &actual);
            out.push_str(
                &d.unified_diff()
                    .context_radius(3)
                    .header(
                        &format!("{}/expected/{n}", case.name),
                        &format!("{}/actual/{n}", case.name),
                    )
                    .to_string(),
            );
        }
    }
    out
}

pub fn write_expected(case: &Case, got: &Outputs) -> std::io::Result<()> {
    let exp_dir = case.dir.join("expected");
    std::fs::create_dir_all(&exp_dir)?;
    for (n, t) in got {
        std::fs::write(exp_dir.join(n), t)?;
    }
    Ok(())
}
