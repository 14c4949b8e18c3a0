//! Music on hold and tones against a real server: `moh show classes` as Asterisk prints it
//! (compat-tests/console/moh-show-classes.txt, taken with the sample `[default]` class),
//! `moh show files` after `moh reload`, and calls that hear MusicOnHold and PlayTones on the
//! phone's own RTP socket.

mod support;

use std::path::PathBuf;
use std::time::{Duration, Instant};
use support::phone::{Phone, RtpIn};
use support::{free_port, Server};
use zvezda::sip::message::Message;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// compat-tests/dialplan's sip.conf on a free port, an extensions.conf, and musiconhold.conf
/// with the sample's `[default]` class (its `moh` folder: none on a test machine, so zvezda's
/// bundled music plays).
fn etc(port: u16, extensions: &str) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let sip = std::fs::read_to_string(root().join("compat-tests/dialplan/sip.conf")).unwrap();
    let sip = sip.replace("bindport=5380", &format!("bindport={port}"));
    assert!(sip.contains(&format!("bindport={port}")));
    std::fs::write(d.path().join("sip.conf"), sip).unwrap();
    std::fs::write(d.path().join("extensions.conf"), extensions).unwrap();
    std::fs::write(
        d.path().join("musiconhold.conf"),
        "[general]\n\n[default]\nmode=files\ndirectory=moh\n",
    )
    .unwrap();
    d
}

fn trace(s: &Server) -> String {
    std::thread::sleep(Duration::from_millis(150));
    s.lines.lock().unwrap().join("\n")
}

#[test]
fn moh_show_classes_files_and_reload() {
    let port = free_port();
    let ext =
        std::fs::read_to_string(root().join("compat-tests/dialplan/extensions.conf")).unwrap();
    let dir = etc(port, &ext);
    let s = Server::start(dir.path());
    let want =
        std::fs::read_to_string(root().join("compat-tests/console/moh-show-classes.txt")).unwrap();
    assert_eq!(s.rx("moh show classes"), want);
    // A class with two files, sorted; moh reload reads the file again.
    let music = tempfile::tempdir().unwrap();
    for f in [
        "b-song.wav",
        "A-song.ulaw",
        "A-song.wav",
        ".hidden.wav",
        "notes.txt",
    ] {
        std::fs::write(music.path().join(f), b"").unwrap();
    }
    let m = music.path().display();
    std::fs::write(
        dir.path().join("musiconhold.conf"),
        format!("[jazz]\nmode=files\ndirectory={m}\nsort=alpha\n"),
    )
    .unwrap();
    assert_eq!(s.rx("moh reload"), "");
    assert_eq!(
        s.rx("moh show files"),
        format!("Class: jazz\n\tFile: {m}/A-song\n\tFile: {m}/b-song\n")
    );
    assert_eq!(
        s.rx("moh show classes"),
        format!("Class: jazz\n\tMode: files\n\tDirectory: {m}\n")
    );
    let t = trace(&s);
    assert!(
        t.contains("Reloading module 'res_musiconhold.so' (Music On Hold Resource)"),
        "{t}"
    );
    // Completion knows the commands.
    let set = zvezda::config::ConfigSet::load(dir.path());
    let pbx = zvezda::pbx::Pbx::with_db(
        dir.path().to_path_buf(),
        set,
        zvezda::astdb::AstDb::memory(),
    );
    assert_eq!(
        zvezda::console::complete(&pbx, "moh show "),
        vec!["classes", "files"]
    );
    assert_eq!(zvezda::console::complete(&pbx, "mo"), vec!["moh"]);
}

/// Power of `f` in `x`, as an amplitude (Goertzel).
fn level(x: &[i16], f: f64) -> f64 {
    let c = 2.0 * (2.0 * std::f64::consts::PI * f / 8000.0).cos();
    let (mut s1, mut s2) = (0.0, 0.0);
    for &v in x {
        let s = v as f64 + c * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    (s1 * s1 + s2 * s2 - c * s1 * s2).sqrt() * 2.0 / x.len() as f64
}

fn rms(x: &[i16]) -> f64 {
    (x.iter().map(|&v| (v as f64) * (v as f64)).sum::<f64>() / x.len().max(1) as f64).sqrt()
}

/// Call `to`, ACK, collect the audio until zvezda stops sending, answer its BYE.
fn call_and_listen(s: &Server, phone: &Phone, to: &str, call: &str) -> Vec<RtpIn> {
    let (_, ok) = phone.call(to, call, "1234");
    assert_eq!(ok.code(), Some(200));
    phone.ack(&ok, to, call, 2, false);
    let audio = phone.read_rtp(Duration::from_secs(6));
    let t0 = Instant::now();
    let bye: Message = loop {
        let m = phone.recv();
        if m.method() == Some("BYE") {
            break m;
        }
        assert!(t0.elapsed() < Duration::from_secs(5));
    };
    phone.send(&format!(
        "SIP/2.0 200 OK\r\nVia: {}\r\nFrom: {}\r\nTo: {}\r\nCall-ID: {call}\r\nCSeq: {}\r\nContent-Length: 0\r\n\r\n",
        bye.header("Via").unwrap(),
        bye.header("From").unwrap(),
        bye.header("To").unwrap(),
        bye.header("CSeq").unwrap()
    ));
    s.wait_idle();
    audio
}

#[test]
fn music_on_hold_and_playtones_are_heard() {
    let port = free_port();
    let dir = etc(
        port,
        "[outcoling]\n\
         exten => 8000,1,Answer()\nsame => n,MusicOnHold(default,2)\nsame => n,Hangup()\n\
         exten => 8001,1,Answer()\nsame => n,PlayTones(ring)\nsame => n,Wait(2)\nsame => n,StopPlayTones()\nsame => n,Hangup()\n",
    );
    let s = Server::start(dir.path());
    let phone = Phone::with_rtp(port);

    // Two seconds of music: about 100 packets of 20 ms, nearly all of them audible.
    let audio = call_and_listen(&s, &phone, "8000", "moh1");
    let n = audio.len();
    assert!((85..=115).contains(&n), "{n} packets");
    assert!(audio.iter().all(|p| p.samples.len() == 160));
    let loud = audio.iter().filter(|p| rms(&p.samples) > 200.0).count();
    eprintln!("moh: {n} packets, {loud} audible");
    assert!(loud * 10 >= n * 9, "{loud} of {n} packets audible");
    let t = trace(&s);
    assert!(
        t.contains("    -- Started music on hold, class 'default', on channel 'SIP/1001-00000000'"),
        "{t}"
    );
    assert!(
        t.contains("    -- Stopped music on hold on SIP/1001-00000000"),
        "{t}"
    );

    // The `us` zone's ring tone: 440+480 Hz, on for the first 2 s of its cadence.
    let phone = Phone::with_rtp(port);
    let audio = call_and_listen(&s, &phone, "8001", "tones1");
    let n = audio.len();
    assert!((85..=115).contains(&n), "{n} packets");
    let all: Vec<i16> = audio
        .iter()
        .skip(2)
        .take(80)
        .flat_map(|p| p.samples.iter().copied())
        .collect();
    let (l440, l480, l1000) = (level(&all, 440.0), level(&all, 480.0), level(&all, 1000.0));
    eprintln!("tones: {n} packets, 440: {l440:.0}, 480: {l480:.0}, 1000: {l1000:.0}");
    assert!(l440 > 5000.0 && l480 > 5000.0, "440: {l440}, 480: {l480}");
    assert!(l1000 < 500.0, "1000: {l1000}");
    let t = trace(&s);
    assert!(
        t.contains("    -- Executing [8001@outcoling:2] PlayTones(\"SIP/1001-00000001\", \"ring\") in new stack"),
        "{t}"
    );
}

#[test]
fn tone_zones_background_music_and_stop_at_hangup() {
    let port = free_port();
    let dir = etc(
        port,
        "[outcoling]\n\
         exten => 8002,1,Answer()\nsame => n,Set(CHANNEL(tonezone)=ru)\nsame => n,PlayTones(busy)\nsame => n,Wait(1)\n\
         same => n,StartMusicOnHold(nosuch)\nsame => n,Wait(1)\nsame => n,StopMusicOnHold()\n\
         same => n,PlayTones(1000)\nsame => n,Wait(0.5)\nsame => n,StartMusicOnHold()\nsame => n,Wait(0.5)\nsame => n,Hangup()\n",
    );
    std::fs::write(
        dir.path().join("indications.conf"),
        "[general]\ncountry=us\n[us]\ndescription=United States\nring=440+480/2000,0/4000\nbusy=480+620/500,0/500\n\
         [ru]\ndescription=Russian Federation\nbusy=425/350,0/350\n",
    )
    .unwrap();
    let s = Server::start(dir.path());
    let phone = Phone::with_rtp(port);
    let audio = call_and_listen(&s, &phone, "8002", "zones");
    let n = audio.len();
    eprintln!("{n} packets");
    assert!((135..=165).contains(&n), "{n} packets");
    let seg = |a: usize, b: usize| -> Vec<i16> {
        audio[a..b]
            .iter()
            .flat_map(|p| p.samples.iter().copied())
            .collect()
    };
    // The ru zone's busy: 425 Hz for 350 ms, then 350 ms of silence.
    let busy = seg(1, 16);
    let (l425, l480) = (level(&busy, 425.0), level(&busy, 480.0));
    assert!(l425 > 5000.0 && l480 < 1500.0, "425: {l425}, 480: {l480}");
    assert!(rms(&seg(20, 33)) < 50.0);
    // Music (the unknown class falls back to default), then a 1000 Hz tone list.
    let music = &audio[55..95];
    assert!(music.iter().filter(|p| rms(&p.samples) > 200.0).count() >= 36);
    let tone = seg(104, 122);
    assert!(level(&tone, 1000.0) > 6000.0, "{}", level(&tone, 1000.0));
    let t = trace(&s);
    let started = "    -- Started music on hold, class 'default', on channel 'SIP/1001-00000000'";
    let stopped = "    -- Stopped music on hold on SIP/1001-00000000";
    assert_eq!(t.matches(started).count(), 2, "{t}");
    assert_eq!(t.matches(stopped).count(), 2, "{t}");
    assert!(
        t.contains("Music on Hold class 'nosuch' not found in memory. Verify your configuration."),
        "{t}"
    );
    // The second stop comes with the hangup, after the dialplan ended.
    let last_stop = t.rfind(stopped).unwrap();
    assert!(
        t.rfind("Hangup(\"SIP/1001-00000000\"").unwrap() < last_stop,
        "{t}"
    );
}
