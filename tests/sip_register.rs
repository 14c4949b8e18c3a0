//! REGISTER against the real binary over UDP on 127.0.0.1, as the recordings of a real
//! Asterisk 20 (chan_sip) show it: 401 without qop, 200 with Expires and the Contact echoed,
//! 403 and the fail2ban-matched NOTICE for a wrong password, unknown names indistinguishable,
//! `sip show peers` in chan_sip's layout, registrations kept across a restart (AstDB), and
//! SIPp (sip-tester) registering with digest auth.

mod support;

use std::net::UdpSocket;
use std::path::Path;
use std::time::Duration;
use support::{digest_answer, free_port, Server};
use zvezda::sip::message::{param, Message};

fn etc(port: u16) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("sip.conf"),
        format!(
            "[general]\nbindaddr=127.0.0.1\nbindport={port}\ncontext=default\n\
             [1001]\ntype=friend\nhost=dynamic\nsecret=1234\ncontext=office\n\
             [1002]\ntype=friend\nhost=dynamic\nsecret=1234\ncontext=office\n"
        ),
    )
    .unwrap();
    std::fs::write(
        d.path().join("extensions.conf"),
        "[office]\nexten => 1,1,NoOp\n",
    )
    .unwrap();
    d
}

struct Phone {
    sock: UdpSocket,
    server: String,
}

impl Phone {
    fn new(port: u16) -> Phone {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        Phone {
            sock,
            server: format!("127.0.0.1:{port}"),
        }
    }

    fn register(&self, user: &str, call: &str, cseq: u32, auth: Option<String>) -> Message {
        let me = self.sock.local_addr().unwrap();
        let mut s = format!(
            "REGISTER sip:{srv} SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch=z9hG4bK-{call}-{cseq};rport\r\nMax-Forwards: 70\r\n\
             From: <sip:{user}@{srv}>;tag={call}\r\nTo: <sip:{user}@{srv}>\r\nCall-ID: {call}\r\nCSeq: {cseq} REGISTER\r\n\
             Contact: <sip:{user}@{me}>\r\nExpires: 3600\r\n",
            srv = self.server
        );
        if let Some(a) = auth {
            s.push_str(&format!("Authorization: {a}\r\n"));
        }
        s.push_str("Content-Length: 0\r\n\r\n");
        self.sock.send_to(s.as_bytes(), &self.server).unwrap();
        let mut buf = [0u8; 4096];
        let (n, _) = self.sock.recv_from(&mut buf).expect("an answer");
        Message::parse(&buf[..n], false).unwrap().0
    }

    fn answer(&self, challenge: &Message, user: &str, pass: &str) -> String {
        digest_answer(
            challenge,
            user,
            pass,
            "REGISTER",
            &format!("sip:{}", self.server),
        )
    }
}

#[test]
fn register_as_chan_sip_does() {
    let port = free_port();
    let dir = etc(port);
    let s = Server::start(dir.path());
    let phone = Phone::new(port);
    let c = phone.register("1001", "r1", 1, None);
    assert_eq!(c.code(), Some(401));
    assert!(c
        .header("WWW-Authenticate")
        .unwrap()
        .starts_with("Digest algorithm=MD5, realm=\"asterisk\", nonce=\""));
    // A retransmission gets the same answer (same nonce, same tag).
    let again = phone.register("1001", "r1", 1, None);
    assert_eq!(
        again.header("WWW-Authenticate"),
        c.header("WWW-Authenticate")
    );
    let ok = phone.register("1001", "r1", 2, Some(phone.answer(&c, "1001", "1234")));
    assert_eq!(ok.code(), Some(200));
    assert_eq!(ok.header("Expires"), Some("3600"));
    let me = phone.sock.local_addr().unwrap();
    assert_eq!(
        ok.header("Contact").unwrap(),
        format!("<sip:1001@{me}>;expires=3600")
    );
    assert_eq!(
        param(ok.header("To").unwrap(), "tag"),
        param(c.header("To").unwrap(), "tag")
    );
    let via = ok.header("Via").unwrap();
    assert!(
        via.ends_with(&format!(";received=127.0.0.1;rport={}", me.port())),
        "{via}"
    );

    // Wrong password: 403 and the line fail2ban's asterisk filter matches.
    let c = phone.register("1002", "w1", 1, None);
    let f = phone.register("1002", "w1", 2, Some(phone.answer(&c, "1002", "nope")));
    assert_eq!(f.code(), Some(403));
    // An unknown name looks the same (alwaysauthreject=yes by default).
    let c = phone.register("9999", "u1", 1, None);
    assert_eq!(c.code(), Some(401));
    let f = phone.register("9999", "u1", 2, Some(phone.answer(&c, "9999", "x")));
    assert_eq!(f.code(), Some(403));
    std::thread::sleep(Duration::from_millis(200));
    let log = s.lines.lock().unwrap().join("\n");
    assert!(
        log.contains(&format!(
            "Registration from '<sip:1002@127.0.0.1:{port}>' failed for '{me}' - Wrong password"
        )),
        "{log}"
    );
    assert!(
        log.contains(&format!(
            "Registration from '<sip:9999@127.0.0.1:{port}>' failed for '{me}' - Wrong password"
        )),
        "{log}"
    );
    assert!(
        log.lines()
            .any(|l| l.contains("] NOTICE[") && l.contains("]: chan_sip.c: Registration from")),
        "{log}"
    );

    // sip show peers: 1001 registered at the phone's address, 1002 not.
    let out = s.rx("sip show peers");
    let row = out
        .lines()
        .find(|l| l.starts_with("1001/1001"))
        .expect(&out);
    assert_eq!(&row[26..26 + 39].trim_end(), &"127.0.0.1", "{out}");
    assert!(
        row.contains(&format!(" {:<8} Unmonitored", me.port())),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("1002 ") && l.contains("(Unspecified)")),
        "{out}"
    );
    assert!(
        out.ends_with(
            "2 sip peers [Monitored: 0 online, 0 offline Unmonitored: 1 online, 1 offline]\n"
        ),
        "{out}"
    );
    // The registration is in the AstDB, as chan_sip keeps it.
    let db = s.rx("database show SIP/Registry");
    assert!(
        db.contains("/SIP/Registry/1001")
            && db.contains(&format!("127.0.0.1:{}:3600:1001:sip:1001@{me}", me.port())),
        "{db}"
    );
}

#[test]
fn registrations_survive_a_restart_and_garbage_never_crashes() {
    let port = free_port();
    let dir = etc(port);
    let dbd = tempfile::tempdir().unwrap();
    let s = Server::start_with_db(dir.path(), dbd.path());
    let phone = Phone::new(port);
    let c = phone.register("1001", "k1", 1, None);
    assert_eq!(
        phone
            .register("1001", "k1", 2, Some(phone.answer(&c, "1001", "1234")))
            .code(),
        Some(200)
    );
    // Garbage and half-messages: dropped or 400, and the server keeps answering.
    let junk = UdpSocket::bind("127.0.0.1:0").unwrap();
    junk.set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    for bad in [
        &b"\x00\x01\x02"[..],
        b"INVITE sip:x SIP/2.0\r\n\r\n",
        b"REGISTER sip:x SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKx\r\n\r\n",
        b"SIP/2.0 200 OK\r\n\r\n",
        b"OPTIONS sip:x SIP/2.0\r\nContent-Length: 999\r\n\r\nshort",
    ] {
        junk.send_to(bad, format!("127.0.0.1:{port}")).unwrap();
    }
    let mut buf = [0u8; 2048];
    let (n, _) = junk
        .recv_from(&mut buf)
        .expect("400 for the REGISTER without headers");
    assert!(buf[..n].starts_with(b"SIP/2.0 400 Bad Request\r\n"));
    drop(s);
    // Same AstDB folder, new process: the binding is still there.
    let s2 = Server::start_with_db(dir.path(), dbd.path());
    let out = s2.rx("sip show peers");
    assert!(
        out.lines()
            .any(|l| l.starts_with("1001/1001") && l.contains("127.0.0.1")),
        "{out}"
    );
}

#[test]
fn sipp_registers_with_digest_auth() {
    let port = free_port();
    let dir = etc(port);
    let _s = Server::start(dir.path());
    let scen = Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/sipp/register.xml");
    let out = std::process::Command::new("sipp")
        .args([
            "-sf",
            scen.to_str().unwrap(),
            "-i",
            "127.0.0.1",
            "-p",
            &free_port().to_string(),
        ])
        .args([
            "-au",
            "1001",
            "-ap",
            "1234",
            "-s",
            "1001",
            "-m",
            "1",
            "-nostdin",
            "-timeout",
            "10s",
            "-timeout_error",
        ])
        .arg(format!("127.0.0.1:{port}"))
        .output()
        .expect("sipp (sip-tester) is installed by tools/test");
    assert!(
        out.status.success(),
        "sipp failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn fail2ban_matches_the_messages_log() {
    let port = free_port();
    let dir = etc(port);
    let s = Server::start(dir.path());
    let phone = Phone::new(port);
    for (call, user) in [("f1", "1001"), ("f2", "9999"), ("f3", "1002")] {
        let c = phone.register(user, call, 1, None);
        assert_eq!(
            phone
                .register(user, call, 2, Some(phone.answer(&c, user, "wrong")))
                .code(),
            Some(403)
        );
    }
    // A good registration must not be counted.
    let c = phone.register("1001", "ok", 1, None);
    assert_eq!(
        phone
            .register("1001", "ok", 2, Some(phone.answer(&c, "1001", "1234")))
            .code(),
        Some(200)
    );
    std::thread::sleep(Duration::from_millis(200));
    let log = s.dir.path().join("log/messages");
    let text = std::fs::read_to_string(&log).expect("the messages log (logger.conf default)");
    assert_eq!(text.matches(" - Wrong password").count(), 3, "{text}");
    let out = std::process::Command::new("fail2ban-regex")
        .arg(&log)
        .arg("/etc/fail2ban/filter.d/asterisk.conf")
        .output()
        .expect("fail2ban-regex (package fail2ban) is installed by tools/test");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("Failregex: 3 total"), "{report}\n{text}");
    assert!(
        report.contains("3 matched, 0 missed") || report.contains(" 3 matched"),
        "{report}"
    );
}

#[test]
fn register_over_tcp_with_two_messages_in_one_segment() {
    use std::io::{Read, Write};
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("sip.conf"),
        format!(
            "[general]\nbindaddr=127.0.0.1\nbindport={port}\ntcpenable=yes\n\
             [1001]\ntype=friend\nhost=dynamic\nsecret=1234\n"
        ),
    )
    .unwrap();
    let s = Server::start(dir.path());
    let mut c = std::net::TcpStream::connect(("127.0.0.1", port)).expect("TCP listener");
    c.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let me = c.local_addr().unwrap();
    let msg = |cseq: u32, body: &str| {
        format!(
            "OPTIONS sip:127.0.0.1:{port} SIP/2.0\r\nVia: SIP/2.0/TCP {me};branch=z9hG4bK-t{cseq}\r\nFrom: <sip:1001@h>;tag=a\r\n\
             To: <sip:127.0.0.1>\r\nCall-ID: tcp-1\r\nCSeq: {cseq} OPTIONS\r\nContent-Type: text/plain\r\n\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        )
    };
    // Two requests in one write, the second split across three writes: the last cut falls
    // in its body, which Content-Length says is still coming.
    let both = format!("{}{}", msg(1, ""), msg(2, "hello world!"));
    let n = both.len();
    for part in [&both[..n - 20], &both[n - 20..n - 5], &both[n - 5..]] {
        c.write_all(part.as_bytes()).unwrap();
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while got.windows(12).filter(|w| w == b"SIP/2.0 200 ").count() < 2 {
        let n = c.read(&mut buf).expect("answers on the connection");
        assert!(n > 0);
        got.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&got);
    assert!(
        text.contains("CSeq: 1 OPTIONS") && text.contains("CSeq: 2 OPTIONS"),
        "{text}"
    );
    drop(s);
}

/// baresip (Debian), a real softphone, registers with the seed's 1001 credentials.
#[test]
fn baresip_registers() {
    let port = free_port();
    let dir = etc(port);
    let s = Server::start(dir.path());
    let phone_dir = tempfile::tempdir().unwrap();
    let phone_port = free_port();
    std::fs::write(
        phone_dir.path().join("config"),
        format!(
            "sip_listen 127.0.0.1:{phone_port}\nnet_interface 127.0.0.1\nmodule_path /usr/lib/baresip/modules\n\
             module g711.so\nmodule_app account.so\naudio_player none\naudio_source none\n"
        ),
    )
    .unwrap();
    std::fs::write(
        phone_dir.path().join("accounts"),
        format!("<sip:1001@127.0.0.1:{port};transport=udp>;auth_pass=1234;regint=600\n"),
    )
    .unwrap();
    let child = std::process::Command::new("baresip")
        .arg("-f")
        .arg(phone_dir.path())
        .args(["-s", "-t", "4"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("baresip is installed by tools/test");
    // While it runs, 1001 is registered at baresip's address...
    let t0 = std::time::Instant::now();
    let mut registered = None;
    while t0.elapsed() < Duration::from_secs(3) {
        let peers = s.rx("sip show peers");
        if let Some(row) = peers.lines().find(|l| l.starts_with("1001/")) {
            registered = Some(row.to_string());
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = child.wait_with_output().unwrap();
    let log = String::from_utf8_lossy(&out.stdout);
    let row = registered.unwrap_or_else(|| panic!("1001 never registered; baresip said:\n{log}"));
    assert!(
        row.contains("127.0.0.1") && row.contains(&phone_port.to_string()),
        "{row}"
    );
    assert!(
        log.contains("SIP/2.0 401 Unauthorized") && log.contains("SIP/2.0 200 OK"),
        "{log}"
    );
    // ...and when it quits it unregisters (Expires 0), which zvezda honours.
    let peers = s.rx("sip show peers");
    assert!(
        peers
            .lines()
            .any(|l| l.starts_with("1001 ") && l.contains("(Unspecified)")),
        "{peers}\n{log}"
    );
}

/// `register =>` to a provider (SIPp playing the registrar, checking the digest): zvezda
/// answers the challenge and `sip show registry` says Registered with the granted refresh.
#[test]
fn trunk_registers_with_digest() {
    let port = free_port();
    let provider = free_port();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("sip.conf"),
        format!(
            "[general]\nbindaddr=127.0.0.1\nbindport={port}\n\
             register => 550174:Mbn9v7s9tD@127.0.0.1:{provider}/00000\n"
        ),
    )
    .unwrap();
    let scen = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/sipp/registrar.xml");
    let sipp = std::process::Command::new("sipp")
        .args([
            "-sf",
            scen.to_str().unwrap(),
            "-i",
            "127.0.0.1",
            "-p",
            &provider.to_string(),
        ])
        .args(["-m", "1", "-nostdin", "-timeout", "15s", "-timeout_error"])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("sipp is installed by tools/test");
    std::thread::sleep(Duration::from_millis(300));
    let s = Server::start(dir.path());
    let t0 = std::time::Instant::now();
    let mut out = String::new();
    while t0.elapsed() < Duration::from_secs(8) {
        out = s.rx("sip show registry");
        if out.contains("Registered") {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let row = out.lines().nth(1).unwrap_or_default().to_string();
    assert!(row.starts_with(&format!("127.0.0.1:{provider}")), "{out}");
    assert!(
        row.contains(" N      550174") && row.contains("       60 Registered"),
        "{out}"
    );
    assert!(out.ends_with("1 SIP registrations.\n"), "{out}");
    let done = sipp.wait_with_output().unwrap();
    assert!(
        done.status.success(),
        "the registrar accepted the digest: {}\n{}",
        String::from_utf8_lossy(&done.stdout),
        String::from_utf8_lossy(&done.stderr)
    );
}

/// SIP on IPv6 (`bindaddr=::1`): a phone on [::1] registers; Via gets `received`/`rport`
/// with the IPv6 source, `sip show peers` shows the binding. The socket asked for a large
/// receive buffer.
#[test]
fn register_over_ipv6() {
    let port = free_port();
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("sip.conf"),
        format!(
            "[general]\nbindaddr=::1\nbindport={port}\n\
             [1001]\ntype=friend\nhost=dynamic\nsecret=1234\ncontext=office\n"
        ),
    )
    .unwrap();
    std::fs::write(d.path().join("extensions.conf"), "[office]\n").unwrap();
    let s = Server::start(d.path());
    let phone = UdpSocket::bind("[::1]:0").unwrap();
    phone
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let me = phone.local_addr().unwrap();
    let reg = |cseq: u32, auth: Option<String>| {
        let mut m = format!(
            "REGISTER sip:[::1]:{port} SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch=z9hG4bK-v6{cseq};rport\r\n\
             From: <sip:1001@[::1]:{port}>;tag=v6\r\nTo: <sip:1001@[::1]:{port}>\r\nCall-ID: v6reg\r\n\
             CSeq: {cseq} REGISTER\r\nContact: <sip:1001@{me}>\r\nExpires: 600\r\n"
        );
        if let Some(a) = auth {
            m.push_str(&format!("Authorization: {a}\r\n"));
        }
        m.push_str("Content-Length: 0\r\n\r\n");
        phone.send_to(m.as_bytes(), ("::1", port)).unwrap();
        let mut buf = [0u8; 4096];
        let (n, _) = phone.recv_from(&mut buf).expect("an answer over IPv6");
        Message::parse(&buf[..n], false).unwrap().0
    };
    let c = reg(1, None);
    assert_eq!(c.code(), Some(401));
    let via = c.header("Via").unwrap().to_string();
    assert!(
        via.contains("received=::1") && via.contains(&format!("rport={}", me.port())),
        "{via}"
    );
    let uri = format!("sip:[::1]:{port}");
    let ok = reg(2, Some(digest_answer(&c, "1001", "1234", "REGISTER", &uri)));
    assert_eq!(ok.code(), Some(200));
    let peers = s.rx("sip show peers");
    assert!(
        peers.contains("1001/1001") && peers.contains("::1"),
        "{peers}"
    );
    // The large receive buffer (the kernel reports double what it granted).
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let got = rt.block_on(async {
        let s = zvezda::sip::transport::bind_udp("[::1]:0".parse().unwrap()).unwrap();
        socket2::SockRef::from(&s).recv_buffer_size().unwrap()
    });
    assert!(got >= 1 << 20, "SO_RCVBUF stays small: {got}");
}
