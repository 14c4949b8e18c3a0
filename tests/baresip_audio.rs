//! Two real softphones (baresip, Debian) call each other through zvezda and each hears the
//! other: 1001 sends a 440 Hz tone (aufile), 1002 (auto-answer) sends 1000 Hz; baresip's
//! sndfile module records what each one decoded, and a Goertzel filter finds the other's
//! tone in it. Everything on 127.0.0.1.

mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;
use support::rtp::{energy_at, tone, write_wav};
use support::{free_port, Server};

/// A port for baresip: it also binds the next one (SIP over TLS), which is taken from the
/// free ports too so no other phone gets it.
fn pair_port() -> u16 {
    loop {
        let p = free_port();
        let _ = free_port();
        if std::net::TcpListener::bind(("127.0.0.1", p + 1)).is_ok()
            && std::net::UdpSocket::bind(("127.0.0.1", p + 1)).is_ok()
        {
            return p;
        }
    }
}

/// A baresip config folder for `user` sending `wav`, recording into `rec`.
fn phone(dir: &Path, user: &str, server: u16, wav: &Path, rec: &Path) {
    std::fs::create_dir_all(rec).unwrap();
    let listen = pair_port();
    std::fs::write(
        dir.join("config"),
        format!(
            "sip_listen 127.0.0.1:{listen}\nnet_interface 127.0.0.1\nmodule_path /usr/lib/baresip/modules\n\
             module g711.so\nmodule aufile.so\nmodule sndfile.so\nmodule_app account.so\nmodule_app menu.so\n\
             audio_player aufile,{}\naudio_source aufile,{}\nsnd_path {}\n",
            dir.join("played.wav").display(),
            wav.display(),
            rec.display()
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("accounts"),
        format!("<sip:{user}@127.0.0.1:{server};transport=udp>;auth_pass=1234;regint=600;answermode=auto\n"),
    )
    .unwrap();
}

/// The samples of the one recording `*-dec.wav` (what the phone received) in `rec`.
fn received(rec: &Path) -> Vec<i16> {
    let f = std::fs::read_dir(rec)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with("-dec.wav"))
        .unwrap_or_else(|| panic!("no recording of the received audio in {}", rec.display()));
    let mut r = hound::WavReader::open(&f).unwrap();
    r.samples::<i16>().map(|s| s.unwrap()).collect()
}

#[test]
fn two_baresips_hear_each_other() {
    let port = free_port();
    let etc = tempfile::tempdir().unwrap();
    std::fs::write(
        etc.path().join("sip.conf"),
        format!(
            "[general]\nbindaddr=127.0.0.1\nbindport={port}\n\
             [1001]\ntype=friend\nhost=dynamic\nsecret=1234\ncontext=office\n\
             [1002]\ntype=friend\nhost=dynamic\nsecret=1234\ncontext=office\n"
        ),
    )
    .unwrap();
    std::fs::write(
        etc.path().join("extensions.conf"),
        "[office]\nexten => _100X,1,Dial(SIP/${EXTEN},20)\n",
    )
    .unwrap();
    let s = Server::start(etc.path());
    let work = tempfile::tempdir().unwrap();
    let (a, b) = (work.path().join("a"), work.path().join("b"));
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    write_wav(&work.path().join("a.wav"), &tone(440.0, 20_000, 8000.0));
    write_wav(&work.path().join("b.wav"), &tone(1000.0, 20_000, 8000.0));
    phone(
        &a,
        "1001",
        port,
        &work.path().join("a.wav"),
        &work.path().join("rec_a"),
    );
    phone(
        &b,
        "1002",
        port,
        &work.path().join("b.wav"),
        &work.path().join("rec_b"),
    );
    let callee = Command::new("baresip")
        .arg("-f")
        .arg(&b)
        .args(["-t", "9"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("baresip is installed by tools/test");
    // 1002 registered before 1001 dials.
    let t0 = std::time::Instant::now();
    while !s.rx("sip show peers").contains("1002/") {
        assert!(
            t0.elapsed() < Duration::from_secs(5),
            "1002 never registered"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let caller = Command::new("baresip")
        .arg("-f")
        .arg(&a)
        .args(["-e", &format!("/dial sip:1002@127.0.0.1:{port}"), "-t", "5"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .output()
        .unwrap();
    let callee = callee.wait_with_output().unwrap();
    let alog = String::from_utf8_lossy(&caller.stdout);
    let blog = String::from_utf8_lossy(&callee.stdout);
    assert!(alog.contains("Call established"), "1001:\n{alog}");
    s.wait_idle();
    let t = s.lines.lock().unwrap().join("\n");
    assert!(t.contains("answered SIP/1001-"), "{t}");
    // Each heard the other (a second from the middle of what it decoded).
    let heard_a = received(&work.path().join("rec_a"));
    let heard_b = received(&work.path().join("rec_b"));
    assert!(
        heard_a.len() > 16_000 && heard_b.len() > 16_000,
        "calls too short\n{alog}\n{blog}"
    );
    let mid = |v: &[i16]| v[v.len() / 4..v.len() / 4 + 8000].to_vec();
    let (ma, mb) = (mid(&heard_a), mid(&heard_b));
    assert!(
        energy_at(&ma, 1000.0) > 0.8,
        "1001 did not hear 1002's 1 kHz: {}",
        energy_at(&ma, 1000.0)
    );
    assert!(
        energy_at(&mb, 440.0) > 0.8,
        "1002 did not hear 1001's 440 Hz: {}",
        energy_at(&mb, 440.0)
    );
    assert!(energy_at(&ma, 440.0) < 0.1, "1001 heard itself");
}

/// The acceptance call: baresip registers with the seed's 1001 credentials and dials
/// an 11-digit number; the seed dialplan (`MixMonitor`, `Dial(SIP/zadarma/${EXTEN})`) sends
/// it to the trunk, played by a SIPp UAS on 127.0.0.1. The call is answered and torn down
/// cleanly on both sides (SIPp exits 0 after one complete call).
#[test]
fn baresip_calls_a_sipp_trunk_through_the_seed_dialplan() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("compat-tests/seed/etc");
    let port = free_port();
    let uas_port = free_port();
    let etc = tempfile::tempdir().unwrap();
    let records = etc.path().join("records");
    std::fs::create_dir_all(&records).unwrap();
    // The seed as written, pointed at 127.0.0.1: SIP bound there, the trunk at the SIPp
    // UAS, no registration to the real provider, recordings in a temp folder.
    let sip = std::fs::read_to_string(root.join("sip.conf"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim_start().starts_with("register"))
        .map(|l| match l.trim() {
            "[general]" => format!("[general]\nbindaddr=127.0.0.1\nbindport={port}"),
            "host=sip.zadarma.com" => format!("host=127.0.0.1\nport={uas_port}"),
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(etc.path().join("sip.conf"), sip).unwrap();
    let ext = std::fs::read_to_string(root.join("extensions.conf"))
        .unwrap()
        .replace("/records", &records.display().to_string());
    std::fs::write(etc.path().join("extensions.conf"), ext).unwrap();
    let s = Server::start(etc.path());
    let uas = Command::new("sipp")
        .args(["-sn", "uas", "-i", "127.0.0.1", "-p", &uas_port.to_string()])
        .args(["-m", "1", "-nostdin", "-timeout", "25s", "-timeout_error"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("sipp is installed by tools/test");
    let work = tempfile::tempdir().unwrap();
    let a = work.path().join("a");
    std::fs::create_dir_all(&a).unwrap();
    write_wav(&work.path().join("a.wav"), &tone(440.0, 20_000, 8000.0));
    phone(
        &a,
        "1001",
        port,
        &work.path().join("a.wav"),
        &work.path().join("rec_a"),
    );
    let caller = Command::new("baresip")
        .arg("-f")
        .arg(&a)
        .args([
            "-e",
            &format!("/dial sip:89161234567@127.0.0.1:{port}"),
            "-t",
            "5",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&caller.stdout);
    assert!(log.contains("200 OK"), "1001 did not register:\n{log}");
    assert!(log.contains("Call established"), "not answered:\n{log}");
    let status = uas.wait_with_output().unwrap().status;
    assert!(
        status.success(),
        "SIPp's UAS did not see one complete call: {status:?}\n{log}"
    );
    s.wait_idle();
    let t = s.lines.lock().unwrap().join("\n");
    for want in [
        "Executing [89161234567@outcoling:3] Dial(\"SIP/1001-",
        "\"SIP/zadarma/89161234567\") in new stack",
        "answered SIP/1001-",
        "== Begin MixMonitor Recording SIP/1001-",
        "== End MixMonitor Recording SIP/1001-",
    ] {
        assert!(t.contains(want), "missing {want:?} in\n{t}");
    }
    // The recording of the call is there, complete (not the hidden temp name).
    let files: Vec<_> = std::fs::read_dir(&records)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        files.iter().any(|f| f.ends_with("-1001-89161234567.wav")),
        "{files:?}"
    );
}
