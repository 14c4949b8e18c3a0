//! The recording applications on real calls: SIP and RTP over 127.0.0.1, phones sending
//! A-law tones in real time. MixMonitor's file holds both directions and lasts as long as
//! the call; Record stops on silence or its time limit and sets RECORD_STATUS;
//! StopMixMonitor completes the file at once; a kill -9 leaves no file under the final name.

mod support;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::phone::Phone;
use support::rtp::{level, power_at, sdp_target, RtpPeer, Sound};
use support::{free_port, Server};
use zvezda::sip::message::Message;

/// Phones 1001 and 1002 (secret 1234, A-law) in `office`; RTP ports from a range of our own.
fn office(port: u16, extensions: &str) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let mut sip = format!("[general]\nbindaddr=127.0.0.1\nbindport={port}\nallowguest=no\n");
    for p in ["1001", "1002"] {
        sip.push_str(&format!(
            "[{p}]\ntype=friend\nhost=dynamic\nsecret=1234\ncontext=office\ndisallow=all\nallow=alaw\n"
        ));
    }
    std::fs::write(d.path().join("sip.conf"), sip).unwrap();
    let base = 30000 + (port % 100) * 100;
    std::fs::write(
        d.path().join("rtp.conf"),
        format!("[general]\nrtpstart={base}\nrtpend={}\n", base + 98),
    )
    .unwrap();
    std::fs::write(d.path().join("extensions.conf"), extensions).unwrap();
    d
}

fn trace(s: &Server) -> String {
    s.lines.lock().unwrap().join("\n")
}

fn wav(path: &Path) -> Vec<i16> {
    hound::WavReader::open(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .into_samples::<i16>()
        .map(|s| s.unwrap())
        .collect()
}

fn secs(samples: &[i16]) -> f64 {
    samples.len() as f64 / 8000.0
}

/// Answer zvezda's BYE with 200 OK.
fn answer_bye(phone: &Phone) -> Message {
    loop {
        let m = phone.recv();
        if m.method() == Some("BYE") {
            let me = phone.sock.local_addr().unwrap();
            phone.send(&format!(
                "SIP/2.0 200 OK\r\nVia: {}\r\nFrom: {}\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: {}\r\nContact: <sip:1001@{me}>\r\nContent-Length: 0\r\n\r\n",
                m.header("Via").unwrap(),
                m.header("From").unwrap(),
                m.header("To").unwrap(),
                m.call_id().unwrap(),
                m.header("CSeq").unwrap(),
            ));
            return m;
        }
    }
}

/// A call 1001 → 1002 through `MixMonitor(...,b)` and Dial: 1001 says 440 Hz, 1002 says
/// 1000 Hz for 2.4 s, then both are quiet (no packets) until 1001 hangs up at 3 s.
#[test]
fn mixmonitor_records_both_directions_for_the_whole_call() {
    let port = free_port();
    let rec = tempfile::tempdir().unwrap();
    let file = rec.path().join("records/sub/call.wav");
    let dir = office(
        port,
        &format!(
            "[office]\nexten => 1002,1,MixMonitor({},b)\nsame => n,NoOp(file ${{MIXMONITOR_FILENAME}})\n\
             same => n,Dial(SIP/1002,10)\nsame => n,Hangup()\n",
            file.display()
        ),
    );
    let s = Server::start(dir.path());
    let b_rtp = RtpPeer::bind();
    let b = Phone::new(port).with_sdp(b_rtp.sdp());
    assert_eq!(b.register("1002", "1234").code(), Some(200));
    let callee = b.callee(&[200], Duration::ZERO, Duration::from_secs(10));
    let a_rtp = RtpPeer::bind();
    let a = Phone::new(port).with_sdp(a_rtp.sdp());
    let (seen, ok) = a.call("1002", "mix", "1234");
    assert_eq!(ok.code(), Some(200), "{seen:?}");
    let answered = Instant::now();
    a.ack(&ok, "1002", "mix", 2, false);
    let a_to = sdp_target(&String::from_utf8_lossy(&ok.body));
    let offer = b
        .offers
        .lock()
        .unwrap()
        .first()
        .cloned()
        .expect("an INVITE");
    let b_to = sdp_target(&offer);
    let stop = Arc::new(AtomicBool::new(false));
    let talk = Duration::from_millis(2400);
    let ta = a_rtp.play(a_to, vec![(Sound::Tone(440.0), talk)], stop.clone());
    let tb = b_rtp.play(b_to, vec![(Sound::Tone(1000.0), talk)], stop.clone());
    let heard_by_a = ta.join().unwrap();
    let heard_by_b = tb.join().unwrap();
    std::thread::sleep(Duration::from_secs(3).saturating_sub(answered.elapsed()));
    a.bye(&ok, "1002", "mix");
    let call = answered.elapsed().as_secs_f64();
    assert_eq!(callee.join().unwrap(), vec!["INVITE", "ACK", "BYE"]);
    s.wait_idle();
    assert!(
        s.wait_line("End MixMonitor Recording SIP/1001-", 10),
        "{}",
        trace(&s)
    );
    // The bridge carried each side's tone to the other.
    assert!(power_at(&heard_by_a, 1000.0) > 1e6, "1001 heard 1002");
    assert!(power_at(&heard_by_b, 440.0) > 1e6, "1002 heard 1001");
    let t = trace(&s);
    for want in [
        format!("NoOp(\"SIP/1001-00000000\", \"file {}\")", file.display()),
        "  == Begin MixMonitor Recording SIP/1001-00000000".to_string(),
        "  == MixMonitor close filestream (mixed)".to_string(),
        "  == End MixMonitor Recording SIP/1001-00000000".to_string(),
    ] {
        assert!(t.contains(&want), "missing {want:?} in\n{t}");
    }
    let close = t.find("MixMonitor close filestream").unwrap();
    assert!(close < t.find("End MixMonitor Recording").unwrap());
    // The file: as long as the call (from the bridge to the hangup), both tones in it.
    let pcm = wav(&file);
    let d = secs(&pcm);
    eprintln!("recording {d:.3} s, call {call:.3} s");
    assert!(
        (d - call).abs() <= call * 0.05,
        "recording {d:.3} s, call {call:.3} s"
    );
    let talking = &pcm[..(pcm.len() * 2 / 3)];
    let (p440, p1000, p700) = (
        power_at(talking, 440.0),
        power_at(talking, 1000.0),
        power_at(talking, 700.0),
    );
    assert!(
        p440 > 1e6 && p1000 > 1e6 && p440 > 100.0 * p700 && p1000 > 100.0 * p700,
        "440: {p440:.0}, 1000: {p1000:.0}, 700: {p700:.0}"
    );
    // The last half second nobody sent anything: silence, still in the file.
    let quiet = &pcm[pcm.len() - 3200..];
    assert!(level(quiet) < 50.0, "{}", level(quiet));
    // Nothing else is left in the folder (no temporary file).
    let names: Vec<String> = std::fs::read_dir(file.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["call.wav"]);
}

/// `Record(...,2,10)` in an answering extension: a second of tone, then silence until two
/// seconds of it end the recording (SILENCE), cut to one second of the closing silence.
#[test]
fn record_stops_on_silence_and_sets_the_status() {
    let port = free_port();
    let rec = tempfile::tempdir().unwrap();
    let dir = office(
        port,
        &format!(
            "[office]\nexten => 3000,1,Record({}/vm/msg%d.wav,2,10)\n\
             same => n,NoOp(status ${{RECORD_STATUS}} file ${{RECORDED_FILE}})\nsame => n,Hangup()\n",
            rec.path().display()
        ),
    );
    std::fs::create_dir_all(rec.path().join("vm")).unwrap();
    std::fs::write(rec.path().join("vm/msg0.wav"), b"taken").unwrap();
    let s = Server::start(dir.path());
    let a_rtp = RtpPeer::bind();
    let a = Phone::new(port).with_sdp(a_rtp.sdp());
    let (seen, ok) = a.call("3000", "rec", "1234");
    assert_eq!(ok.code(), Some(200), "{seen:?}");
    a.ack(&ok, "3000", "rec", 2, false);
    let to = sdp_target(&String::from_utf8_lossy(&ok.body));
    let stop = Arc::new(AtomicBool::new(false));
    // The beep lasts 250 ms; talking starts after it.
    let player = a_rtp.play(
        to,
        vec![
            (Sound::Silence, Duration::from_millis(400)),
            (Sound::Tone(440.0), Duration::from_millis(1000)),
            (Sound::Silence, Duration::from_secs(6)),
        ],
        stop.clone(),
    );
    answer_bye(&a);
    stop.store(true, Ordering::Relaxed);
    let heard = player.join().unwrap();
    s.wait_idle();
    let t = trace(&s);
    let want = format!(
        "NoOp(\"SIP/1001-00000000\", \"status SILENCE file {}/vm/msg1\")",
        rec.path().display()
    );
    assert!(t.contains(&want), "missing {want:?} in\n{t}");
    assert!(
        t.contains("<SIP/1001-00000000> Playing 'beep.slin' (language 'en')"),
        "{t}"
    );
    // The beep was heard.
    assert!(level(&heard[..2000.min(heard.len())]) > 100.0);
    let pcm = wav(&rec.path().join("vm/msg1.wav"));
    let d = secs(&pcm);
    // ~150 ms before the tone, 1 s of tone, 1 s of the silence kept.
    assert!((1.9..2.6).contains(&d), "{d}");
    let tone = &pcm[..(0.9 * 8000.0) as usize];
    assert!(power_at(tone, 440.0) > 1e6);
    assert!(level(&pcm[pcm.len() - 4000..]) < 50.0);
    assert_eq!(
        std::fs::read(rec.path().join("vm/msg0.wav")).unwrap(),
        b"taken"
    );
}

/// The user's `Record(...,0,15,X)`: `X` is not an option of Asterisk 20 (warned, ignored);
/// here with `q` and a one-second limit: TIMEOUT, nothing cut, µ-law by the extension.
#[test]
fn record_warns_unknown_option_and_times_out() {
    let port = free_port();
    let rec = tempfile::tempdir().unwrap();
    let dir = office(
        port,
        &format!(
            "[office]\nexten => 3001,1,Answer()\nsame => n,Record({}/t.ulaw,0,1,qX)\n\
             same => n,NoOp(status ${{RECORD_STATUS}})\nsame => n,Hangup()\n",
            rec.path().display()
        ),
    );
    let s = Server::start(dir.path());
    let a_rtp = RtpPeer::bind();
    let a = Phone::new(port).with_sdp(a_rtp.sdp());
    let (_, ok) = a.call("3001", "rec2", "1234");
    assert_eq!(ok.code(), Some(200));
    a.ack(&ok, "3001", "rec2", 2, false);
    let to = sdp_target(&String::from_utf8_lossy(&ok.body));
    let stop = Arc::new(AtomicBool::new(false));
    let player = a_rtp.play(
        to,
        vec![(Sound::Tone(1000.0), Duration::from_secs(4))],
        stop.clone(),
    );
    answer_bye(&a);
    stop.store(true, Ordering::Relaxed);
    player.join().unwrap();
    s.wait_idle();
    let t = trace(&s);
    assert!(
        t.contains("app.c:") && t.contains("Unrecognized option: 'X'"),
        "{t}"
    );
    assert!(t.contains("\"status TIMEOUT\""), "{t}");
    assert!(!t.contains("Playing 'beep"), "q: no beep\n{t}");
    let bytes = std::fs::read(rec.path().join("t.ulaw")).unwrap();
    let d = bytes.len() as f64 / 8000.0;
    assert!((0.85..1.1).contains(&d), "{d}");
}

/// StopMixMonitor by the ID `i()` stored: the files are complete when it returns (and not
/// there under their names before); `r()`/`t()` each hold one direction.
#[test]
fn stopmixmonitor_completes_the_files() {
    let port = free_port();
    let rec = tempfile::tempdir().unwrap();
    let p = rec.path().display();
    let dir = office(
        port,
        &format!(
            "[office]\nexten => 4000,1,Answer()\n\
             same => n,MixMonitor({p}/m.wav,r({p}/in.wav)t({p}/out.wav)i(MID)W(1))\n\
             same => n,Wait(1)\nsame => n,NoOp(before ${{STAT(e,{p}/m.wav)}})\n\
             same => n,StopMixMonitor(${{MID}})\nsame => n,NoOp(after ${{STAT(e,{p}/m.wav)}} ${{STAT(e,{p}/in.wav)}})\n\
             same => n,Hangup()\n"
        ),
    );
    let s = Server::start(dir.path());
    let a_rtp = RtpPeer::bind();
    let a = Phone::new(port).with_sdp(a_rtp.sdp());
    let (_, ok) = a.call("4000", "stop", "1234");
    assert_eq!(ok.code(), Some(200));
    a.ack(&ok, "4000", "stop", 2, false);
    let to = sdp_target(&String::from_utf8_lossy(&ok.body));
    let stop = Arc::new(AtomicBool::new(false));
    let player = a_rtp.play(
        to,
        vec![(Sound::Tone(440.0), Duration::from_secs(4))],
        stop.clone(),
    );
    answer_bye(&a);
    stop.store(true, Ordering::Relaxed);
    player.join().unwrap();
    s.wait_idle();
    let t = trace(&s);
    assert!(t.contains("\"before 0\""), "{t}");
    assert!(t.contains("\"after 1 1\""), "{t}");
    for what in ["mixed", "read", "write"] {
        assert!(
            t.contains(&format!("  == MixMonitor close filestream ({what})")),
            "{t}"
        );
    }
    let input = wav(&rec.path().join("in.wav"));
    let output = wav(&rec.path().join("out.wav"));
    let mixed = wav(&rec.path().join("m.wav"));
    for pcm in [&input, &output, &mixed] {
        assert!((0.9..1.3).contains(&secs(pcm)), "{}", secs(pcm));
    }
    // W(1) doubles the volume: the 8000-amplitude tone comes out near 16000.
    let lin = level(&input[1600..input.len() - 800]);
    assert!((9000.0..11500.0).contains(&lin), "{lin}");
    assert!(power_at(&input, 440.0) > 1e7);
    assert!(level(&output) < 10.0, "nothing was played to the caller");
    assert!(power_at(&mixed, 440.0) > 1e7);
}

/// A kill -9 in the middle of a recording: nothing under the final name, only the hidden
/// temporary file.
#[test]
fn kill_during_mixmonitor_leaves_no_partial_file() {
    let port = free_port();
    let rec = tempfile::tempdir().unwrap();
    let file = rec.path().join("crash.wav");
    let dir = office(
        port,
        &format!(
            "[office]\nexten => 5000,1,Answer()\nsame => n,MixMonitor({})\nsame => n,Wait(30)\n",
            file.display()
        ),
    );
    let mut s = Server::start(dir.path());
    let a = Phone::new(port);
    let (_, ok) = a.call("5000", "crash", "1234");
    assert_eq!(ok.code(), Some(200));
    a.ack(&ok, "5000", "crash", 2, false);
    assert!(s.wait_line("Begin MixMonitor Recording", 5));
    std::thread::sleep(Duration::from_millis(500));
    s.kill9();
    assert!(!file.exists());
    let names: Vec<String> = std::fs::read_dir(rec.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(names[0].starts_with(".crash.wav.tmp-"), "{names:?}");
}

/// `#` ends a recording (DTMF, the key's last quarter second cut); with `o`, `0` ends one
/// with OPERATOR. Keys as RFC 4733 events.
#[test]
fn record_ends_on_keys() {
    let port = free_port();
    let rec = tempfile::tempdir().unwrap();
    let p = rec.path().display();
    let dir = office(
        port,
        &format!(
            "[office]\nexten => 3002,1,Record({p}/d.wav)\nsame => n,NoOp(first ${{RECORD_STATUS}})\n\
             same => n,Record({p}/o.sln,0,0,o)\nsame => n,NoOp(second ${{RECORD_STATUS}})\nsame => n,Hangup()\n"
        ),
    );
    let s = Server::start(dir.path());
    let a_rtp = RtpPeer::bind();
    let a = Phone::new(port).with_sdp(a_rtp.sdp());
    let (_, ok) = a.call("3002", "keys", "1234");
    assert_eq!(ok.code(), Some(200));
    a.ack(&ok, "3002", "keys", 2, false);
    let to = sdp_target(&String::from_utf8_lossy(&ok.body));
    let stop = Arc::new(AtomicBool::new(false));
    let player = a_rtp.play(
        to,
        vec![
            (Sound::Silence, Duration::from_millis(400)),
            (Sound::Tone(440.0), Duration::from_millis(1000)),
            (Sound::Digit('#'), Duration::from_millis(100)),
            (Sound::Silence, Duration::from_millis(400)),
            (Sound::Tone(1000.0), Duration::from_millis(600)),
            (Sound::Digit('0'), Duration::from_millis(100)),
            (Sound::Silence, Duration::from_secs(3)),
        ],
        stop.clone(),
    );
    answer_bye(&a);
    stop.store(true, Ordering::Relaxed);
    player.join().unwrap();
    s.wait_idle();
    let t = trace(&s);
    assert!(t.contains("\"first DTMF\""), "{t}");
    assert!(t.contains("\"second OPERATOR\""), "{t}");
    let first = wav(&rec.path().join("d.wav"));
    assert!((0.7..1.15).contains(&secs(&first)), "{}", secs(&first));
    assert!(power_at(&first, 440.0) > 1e6);
    let second: Vec<i16> = std::fs::read(rec.path().join("o.sln"))
        .unwrap()
        .chunks(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();
    assert!((0.3..0.95).contains(&secs(&second)), "{}", secs(&second));
    assert!(power_at(&second, 1000.0) > 1e6);
}

/// A relative MixMonitor name goes under `<astspooldir>/monitor/` (folders created); one
/// without an extension is written as raw signed linear (`.raw`) and MIXMONITOR_FILENAME
/// names it as given; `a` appends to what is there.
#[test]
fn mixmonitor_relative_names_go_to_the_monitor_folder() {
    let port = free_port();
    let spool = tempfile::tempdir().unwrap();
    let dir = office(
        port,
        "[office]\nexten => 6000,1,Answer()\nsame => n,MixMonitor(day/one.wav,,echo ^{MIXMONITOR_FILENAME} > ^{MIXMONITOR_FILENAME}.txt)\n\
         same => n,MixMonitor(day/two,a)\nsame => n,NoOp(name ${MIXMONITOR_FILENAME})\n\
         same => n,Wait(0.5)\nsame => n,Hangup()\n",
    );
    let monitor = spool.path().join("monitor/day");
    std::fs::create_dir_all(&monitor).unwrap();
    std::fs::write(monitor.join("two.raw"), [0x10u8, 0x00].repeat(800)).unwrap();
    let s = Server::start_with_dirs(
        dir.path(),
        &format!("astspooldir => {}\n", spool.path().display()),
    );
    let a = Phone::new(port);
    let (_, ok) = a.call("6000", "rel", "1234");
    assert_eq!(ok.code(), Some(200));
    a.ack(&ok, "6000", "rel", 2, false);
    answer_bye(&a);
    s.wait_idle();
    assert!(s.wait_line("End MixMonitor Recording", 5));
    std::thread::sleep(Duration::from_millis(300));
    let t = trace(&s);
    let want = format!(
        "\"name {}/day/two\"",
        spool.path().join("monitor").display()
    );
    assert!(t.contains(&want), "missing {want} in\n{t}");
    // The command ran when the recording ended, with the variable as it was at the start.
    let done = std::fs::read_to_string(monitor.join("one.wav.txt")).unwrap();
    assert_eq!(done.trim(), monitor.join("one.wav").display().to_string());
    let exec = t.find("  == Executing [echo ").expect("the command's line");
    assert!(t[..exec].contains("MixMonitor close filestream (mixed)"));
    let one = wav(&monitor.join("one.wav"));
    assert!((0.4..0.8).contains(&secs(&one)), "{}", secs(&one));
    let two = std::fs::read(monitor.join("two.raw")).unwrap();
    // 100 ms that were there, then the new half second.
    let d = two.len() as f64 / 16000.0;
    assert!((0.5..0.9).contains(&d), "{d}");
    assert_eq!(&two[..4], &[0x10, 0x00, 0x10, 0x00]);
}

/// `zvezda lint` knows the recording applications: they run in this build, and option
/// letters Asterisk 20 does not have (the user's `X`) are flagged with the fix.
#[test]
fn lint_flags_unknown_recording_options() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("extensions.conf"),
        "[autoanswer]\nexten => s,1,MixMonitor(/records/a.wav,b)\n\
         exten => s,2,Record(/records/voicemail/x.wav,0,15,X)\n\
         exten => s,3,MixMonitor(/records/b.wav,bQ)\nexten => s,4,StopMixMonitor()\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("sip.conf"),
        "[general]\nbindaddr=127.0.0.1\nallowguest=no\n",
    )
    .unwrap();
    let out = std::process::Command::new(support::BIN)
        .args(["lint", dir.path().to_str().unwrap(), "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = v["findings"].as_array().unwrap();
    let at = |line: u64| -> Vec<&serde_json::Value> {
        findings
            .iter()
            .filter(|f| {
                f["file"].as_str().unwrap().ends_with("extensions.conf") && f["line"] == line
            })
            .collect()
    };
    assert!(at(2).is_empty(), "{findings:?}");
    assert!(at(5).is_empty(), "{findings:?}");
    let rec = at(3);
    assert_eq!(rec.len(), 1, "{findings:?}");
    assert_eq!(rec[0]["rule"], "app-args");
    assert!(rec[0]["message"].as_str().unwrap().contains("'X'"));
    assert!(rec[0]["fix"]
        .as_str()
        .unwrap()
        .ends_with("Record(/records/voicemail/x.wav,0,15)"));
    let mix = at(4);
    assert_eq!(mix.len(), 1, "{findings:?}");
    assert!(mix[0]["message"].as_str().unwrap().contains("'Q'"));
}

/// The callee ends the call: the MixMonitor file is complete all the same, as long as the
/// call, and the caller gets its BYE.
#[test]
fn mixmonitor_file_complete_when_the_callee_hangs_up() {
    let port = free_port();
    let rec = tempfile::tempdir().unwrap();
    let file = rec.path().join("callee-ends.wav");
    let dir = office(
        port,
        &format!(
            "[office]\nexten => 1002,1,MixMonitor({},b)\nsame => n,Dial(SIP/1002,10)\nsame => n,Hangup()\n",
            file.display()
        ),
    );
    let s = Server::start(dir.path());
    let b_rtp = RtpPeer::bind();
    let b = Phone::new(port).with_sdp(b_rtp.sdp());
    assert_eq!(b.register("1002", "1234").code(), Some(200));
    // 1002: answers, then hangs up when told.
    let (hang_tx, hang_rx) = std::sync::mpsc::channel::<()>();
    let (offer_tx, offer_rx) = std::sync::mpsc::channel::<String>();
    let bsock = b.sock.try_clone().unwrap();
    let b_sdp = b.sdp.clone();
    let callee = std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        let (n, from) = bsock.recv_from(&mut buf).unwrap();
        let inv = Message::parse(&buf[..n], false).unwrap().0;
        assert_eq!(inv.method(), Some("INVITE"));
        let me = bsock.local_addr().unwrap();
        let to = format!("{};tag=gone", inv.header("To").unwrap());
        let ok = format!(
            "SIP/2.0 200 OK\r\nVia: {}\r\nFrom: {}\r\nTo: {to}\r\nCall-ID: {}\r\nCSeq: {}\r\nContact: <sip:1002@{me}>\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{b_sdp}",
            inv.header("Via").unwrap(),
            inv.header("From").unwrap(),
            inv.call_id().unwrap(),
            inv.header("CSeq").unwrap(),
            b_sdp.len()
        );
        bsock.send_to(ok.as_bytes(), from).unwrap();
        offer_tx
            .send(String::from_utf8_lossy(&inv.body).into_owned())
            .unwrap();
        hang_rx.recv().unwrap();
        let target = inv
            .header("Contact")
            .unwrap()
            .trim_matches(|c| c == '<' || c == '>')
            .to_string();
        bsock
            .send_to(
                format!(
                    "BYE {target} SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch=z9hG4bK-gone-bye;rport\r\nFrom: {to}\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n",
                    inv.header("From").unwrap(),
                    inv.call_id().unwrap()
                )
                .as_bytes(),
                from,
            )
            .unwrap();
        // Until the BYE's answer.
        loop {
            let Ok((n, _)) = bsock.recv_from(&mut buf) else {
                return None;
            };
            let m = Message::parse(&buf[..n], false).unwrap().0;
            if m.code().is_some() && m.header("CSeq").unwrap_or("").contains("BYE") {
                return m.code();
            }
        }
    });
    let a_rtp = RtpPeer::bind();
    let a = Phone::new(port).with_sdp(a_rtp.sdp());
    let (seen, ok) = a.call("1002", "gone", "1234");
    assert_eq!(ok.code(), Some(200), "{seen:?}");
    let answered = Instant::now();
    a.ack(&ok, "1002", "gone", 2, false);
    let a_to = sdp_target(&String::from_utf8_lossy(&ok.body));
    let b_to = sdp_target(&offer_rx.recv_timeout(Duration::from_secs(5)).unwrap());
    let stop = Arc::new(AtomicBool::new(false));
    let talk = Duration::from_millis(1600);
    let ta = a_rtp.play(a_to, vec![(Sound::Tone(440.0), talk)], stop.clone());
    let tb = b_rtp.play(b_to, vec![(Sound::Tone(1000.0), talk)], stop.clone());
    ta.join().unwrap();
    tb.join().unwrap();
    hang_tx.send(()).unwrap();
    let call = answered.elapsed().as_secs_f64();
    assert_eq!(callee.join().unwrap(), Some(200));
    answer_bye(&a);
    s.wait_idle();
    assert!(s.wait_line("End MixMonitor Recording SIP/1001-", 10));
    let pcm = wav(&file);
    let d = secs(&pcm);
    // The file ends when zvezda ends the caller's channel, a moment after the BYE (longer on
    // a loaded machine): 5% and 150 ms.
    assert!(
        (d - call).abs() <= call * 0.05 + 0.15,
        "recording {d:.3} s, call {call:.3} s"
    );
    assert!(power_at(&pcm, 440.0) > 1e6 && power_at(&pcm, 1000.0) > 1e6);
}

/// Hanging up during Record: the recording (and the old file of that name) is gone, unless
/// `k`, or the name had `%d` (Asterisk deletes by the name as written); status HANGUP.
#[test]
fn record_hangup_discards_unless_kept() {
    let port = free_port();
    let rec = tempfile::tempdir().unwrap();
    let p = rec.path().display();
    let dir = office(
        port,
        &format!(
            "[office]\nexten => 7000,1,Record({p}/h.wav,0,0,q)\nexten => 7001,1,Record({p}/k.wav,0,0,qk)\n\
             exten => 7002,1,Record({p}/n%d.wav,0,0,q)\n\
             exten => h,1,NoOp(${{EXTEN}} after ${{RECORD_STATUS}})\n"
        ),
    );
    std::fs::write(rec.path().join("h.wav"), b"old").unwrap();
    let s = Server::start(dir.path());
    for ext in ["7000", "7001", "7002"] {
        let a_rtp = RtpPeer::bind();
        let a = Phone::new(port).with_sdp(a_rtp.sdp());
        let call = format!("hang{ext}");
        let (_, ok) = a.call(ext, &call, "1234");
        assert_eq!(ok.code(), Some(200));
        a.ack(&ok, ext, &call, 2, false);
        let to = sdp_target(&String::from_utf8_lossy(&ok.body));
        let stop = Arc::new(AtomicBool::new(false));
        a_rtp
            .play(
                to,
                vec![(Sound::Tone(440.0), Duration::from_millis(600))],
                stop,
            )
            .join()
            .unwrap();
        a.bye(&ok, ext, &call);
        s.wait_idle();
    }
    // The last h line reaches the console a moment after the channel is gone.
    let t0 = std::time::Instant::now();
    while trace(&s).matches("\"h after HANGUP\"").count() < 3
        && t0.elapsed() < Duration::from_secs(3)
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    let t = trace(&s);
    assert_eq!(t.matches("\"h after HANGUP\"").count(), 3, "{t}");
    assert!(!rec.path().join("h.wav").exists());
    for kept in ["k.wav", "n0.wav"] {
        let d = secs(&wav(&rec.path().join(kept)));
        assert!((0.4..0.75).contains(&d), "{kept}: {d}");
    }
    let names: Vec<String> = std::fs::read_dir(rec.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(names.is_empty(), "{names:?}");
}
