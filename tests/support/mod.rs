//! A real zvezda server for tests: started in the foreground on a config folder, its
//! stdout collected line by line, driven with `zvezda -rx` over the control socket.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub mod calls;
pub mod phone;
pub mod rtp;

pub const BIN: &str = env!("CARGO_BIN_EXE_zvezda");

pub struct Server {
    child: Child,
    pub conf: PathBuf,
    pub lines: Arc<Mutex<Vec<String>>>,
    pub dir: tempfile::TempDir,
}

impl Server {
    pub fn start(etc: &Path) -> Server {
        Self::start_inner(etc, None, "")
    }

    /// Start with more `[directories]` lines in asterisk.conf (`astspooldir => ...`).
    pub fn start_with_dirs(etc: &Path, directories: &str) -> Server {
        Self::start_inner(etc, None, directories)
    }

    /// Start on a given AstDB folder (to see what a previous run left there).
    pub fn start_with_db(etc: &Path, db: &Path) -> Server {
        Self::start_inner(etc, Some(db), "")
    }

    fn start_inner(etc: &Path, db: Option<&Path>, directories: &str) -> Server {
        // Tests bind only to loopback: every config a test server runs has SIP on 127.0.0.1
        // (or IPv6's ::1).
        let sip = std::fs::read_to_string(etc.join("sip.conf")).unwrap_or_default();
        assert!(
            sip.lines().any(|l| {
                let l = l.replace(' ', "");
                l == "bindaddr=127.0.0.1" || l == "bindaddr=::1" || l == "bindaddr=[::1]"
            }),
            "test config {} must bind SIP to 127.0.0.1 or ::1",
            etc.display()
        );
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("asterisk.conf");
        let dbdir = db
            .map(Path::to_path_buf)
            .unwrap_or_else(|| dir.path().join("db"));
        std::fs::write(
            &conf,
            format!(
                "[directories]\nastetcdir => {}\nastrundir => {}/run\nastdbdir => {}\nastlogdir => {}/log\n{directories}",
                etc.display(),
                dir.path().display(),
                dbdir.display(),
                dir.path().display()
            ),
        )
        .unwrap();
        let mut child = Command::new(BIN)
            .args(["-f", "-c", "-n", "-vvv", "-C"])
            .arg(&conf)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start zvezda");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let out = child.stdout.take().unwrap();
        let l2 = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                l2.lock().unwrap().push(line);
            }
        });
        let s = Server {
            child,
            conf,
            lines,
            dir,
        };
        let t0 = Instant::now();
        while !s
            .lines
            .lock()
            .unwrap()
            .iter()
            .any(|l| l == "Asterisk Ready.")
        {
            assert!(
                t0.elapsed() < Duration::from_secs(20),
                "zvezda did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        s
    }

    pub fn rx(&self, cmd: &str) -> String {
        let out = Command::new(BIN)
            .arg("-C")
            .arg(&self.conf)
            .arg("-rx")
            .arg(cmd)
            .output()
            .expect("zvezda -rx");
        assert!(out.status.success(), "-rx {cmd}: {out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `kill -9` the server (what a crash leaves behind).
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Wait until a line containing `text` has been printed (up to `secs`).
    pub fn wait_line(&self, text: &str, secs: u64) -> bool {
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(secs) {
            if self.lines.lock().unwrap().iter().any(|l| l.contains(text)) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// Wait until no channel is left (the case is over).
    pub fn wait_idle(&self) {
        let t0 = Instant::now();
        loop {
            let out = self.rx("core show channels count");
            if out.contains("\n0 active channels") || out.starts_with("0 active channels") {
                return;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(15),
                "calls did not end: {out}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        let _ = self.rx("core stop now");
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(3) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
    }
}

/// A free port on 127.0.0.1 (UDP and TCP) for a server or a peer. Taken from 24000-29999,
/// below the kernel's ephemeral range, so a socket bound to port 0 elsewhere in the test
/// (a phone) can never take it between this call and the bind; a counter keeps the tests
/// of one binary from handing out the same port twice.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let start = std::process::id() % 60 * 100;
    loop {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = 24000 + ((start + n) % 6000) as u16;
        if std::net::UdpSocket::bind(("127.0.0.1", port)).is_ok()
            && std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
        {
            return port;
        }
    }
}

/// The Authorization header a phone sends for `challenge` (a 401's WWW-Authenticate), MD5
/// without qop, as the recorded phones answer chan_sip.
pub fn digest_answer(
    challenge: &zvezda::sip::message::Message,
    user: &str,
    pass: &str,
    method: &str,
    uri: &str,
) -> String {
    let nonce = zvezda::sip::digest::params(challenge.header("WWW-Authenticate").unwrap())
        .into_iter()
        .find(|(k, _)| k == "nonce")
        .unwrap()
        .1;
    let h = |s: String| zvezda::funcs::md5::hex(&zvezda::funcs::md5::md5(s.as_bytes()));
    let ha1 = h(format!("{user}:asterisk:{pass}"));
    let ha2 = h(format!("{method}:{uri}"));
    let resp = h(format!("{ha1}:{nonce}:{ha2}"));
    format!("Digest username=\"{user}\",realm=\"asterisk\",uri=\"{uri}\",nonce=\"{nonce}\",response=\"{resp}\",algorithm=MD5")
}
