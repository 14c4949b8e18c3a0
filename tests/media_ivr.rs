//! The user's IVR with real audio: a caller dials into a `[menu]` like the seed's, hears the
//! Background prompt (non-silent, its length within 5%), presses 1 (RFC 4733), is connected
//! to 1001 (a phone echoing RTP), and a tone the caller sends reaches 1001 and comes back
//! (found with a Goertzel filter). Real SIP and RTP on 127.0.0.1.

mod support;

use std::net::SocketAddr;
use std::time::Duration;
use support::phone::{sdp_for, Phone};
use support::rtp::{decode, energy_at, loud, tone, write_wav, RtpPeer};
use support::{free_port, Server};
use zvezda::media::g711::Law;

/// Where zvezda wants our audio: the `c=`/`m=audio` of its SDP.
fn rtp_target(sdp: &[u8]) -> SocketAddr {
    let o = zvezda::sip::sdp::parse(sdp).expect("an SDP answer");
    SocketAddr::new(o.addr.unwrap(), o.port)
}

#[test]
fn menu_prompt_dtmf_and_audio_both_ways() {
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let sounds = dir.path().join("sounds");
    std::fs::create_dir_all(&sounds).unwrap();
    let records = dir.path().join("records");
    std::fs::create_dir_all(&records).unwrap();
    // The prompt: 2 s of 600 Hz.
    write_wav(&sounds.join("voicemenu.wav"), &tone(600.0, 2000, 12000.0));
    std::fs::write(
        dir.path().join("sip.conf"),
        format!(
            "[general]\nbindaddr=127.0.0.1\nbindport={port}\nallowguest=no\n\
             [1001]\ntype=friend\nhost=dynamic\nsecret=1234\ncontext=outcoling\ndisallow=all\nallow=alaw\n\
             [1002]\ntype=friend\nhost=dynamic\nsecret=1234\ncontext=outcoling\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("extensions.conf"),
        format!(
            "[outcoling]\nexten => 7777,1,Goto(menu,s,1)\n\
             [menu]\nexten => s,1,Set(fname=${{EPOCH}}-${{CALLERID(number)}})\n\
             exten => s,2,MixMonitor({}/${{fname}}.wav)\n\
             exten => s,3,Background({}/voicemenu)\nexten => s,4,Wait(5)\nexten => s,5,Hangup()\n\
             exten => 1,1,Answer()\nexten => 1,2,Dial(SIP/1001,10,m&t)\nexten => 1,3,Hangup()\n",
            records.display(),
            sounds.display()
        ),
    )
    .unwrap();
    let s = Server::start(dir.path());
    // 1001: registered, answers, echoes every RTP packet back.
    let b_rtp = RtpPeer::new();
    let mut b = Phone::new(port);
    b.sdp = sdp_for(b_rtp.port(), &[8]);
    assert_eq!(b.register("1001", "1234").code(), Some(200));
    let callee = b.callee(
        &[180, 200],
        Duration::from_millis(200),
        Duration::from_secs(20),
    );
    let echo = std::thread::spawn(move || {
        let mut tones = 0;
        let mut seq: u16 = 7;
        let got = b_rtp.collect(Duration::from_secs(6), |g| {
            // Sent back as 1001's own stream (its sequence numbers and timestamps).
            let last = g.last().unwrap();
            seq = seq.wrapping_add(1);
            let mut p = vec![0x80, last.pt];
            p.extend_from_slice(&seq.to_be_bytes());
            p.extend_from_slice(&(u32::from(seq) * 160).to_be_bytes());
            p.extend_from_slice(&[0, 0, 0, 9]);
            p.extend_from_slice(&last.payload);
            let _ = b_rtp.sock.send_to(&p, last.from);
            false
        });
        for w in got.chunks(10) {
            if energy_at(&decode(w), 1000.0) > 0.5 {
                tones += 1;
            }
        }
        tones
    });
    // 1002 calls 7777 → [menu].
    let mut a_rtp = RtpPeer::new();
    let mut a = Phone::new(port);
    a.user = "1002".into();
    a.sdp = sdp_for(a_rtp.port(), &[8, 0]);
    let call_start = std::time::Instant::now();
    let (seen, ok) = a.call("7777", "ivr", "1234");
    assert_eq!(ok.code(), Some(200), "{seen:?}");
    a.ack(&ok, "7777", "ivr", 2, false);
    let to = rtp_target(&ok.body);
    // The prompt: stop listening (and press 1) 20 ms before its end.
    let prompt = a_rtp.collect(Duration::from_secs(4), |g| {
        g.iter().filter(|x| loud(x)).count() >= 98
    });
    let loud_pkts: Vec<_> = prompt.iter().filter(|g| loud(g)).cloned().collect();
    assert!(
        loud_pkts.len() >= 98,
        "only {} packets of prompt",
        loud_pkts.len()
    );
    let span = loud_pkts.last().unwrap().at - loud_pkts[0].at;
    assert!(
        span >= Duration::from_millis(1860) && span <= Duration::from_millis(2060),
        "98 packets of prompt took {span:?}: not real time"
    );
    assert!(
        energy_at(&decode(&loud_pkts), 600.0) > 0.5,
        "the prompt is the 600 Hz file"
    );
    // A short press: its end packets go out at once (digits count when they end).
    a_rtp.send_dtmf(to, '1', 40);
    // The rest of the prompt is cut short: at most a few more packets of it.
    let rest = a_rtp.collect(Duration::from_millis(400), |_| false);
    let more = rest
        .iter()
        .filter(|g| loud(g) && energy_at(&decode(&[(*g).clone()]), 600.0) > 0.5)
        .count();
    assert!(more <= 3, "{more} prompt packets after the digit");
    // Connected to 1001: a 1 kHz tone goes there and comes back.
    std::thread::sleep(Duration::from_millis(400));
    let listener = a_rtp.try_clone();
    let sender = std::thread::spawn(move || {
        a_rtp.send_pcm(to, Law::Alaw, &tone(1000.0, 1500, 10000.0), true);
    });
    let back = listener.collect(Duration::from_millis(1900), |_| false);
    sender.join().unwrap();
    let echoed = back
        .chunks(10)
        .filter(|w| energy_at(&decode(w), 1000.0) > 0.5)
        .count();
    if echoed < 5 {
        std::thread::sleep(Duration::from_millis(300));
        eprintln!("TRACE:\n{}", s.lines.lock().unwrap().join("\n"));
    }
    assert!(
        echoed >= 5,
        "the tone came back in {echoed} blocks of 10 packets ({} packets)",
        back.len()
    );
    a.bye(&ok, "7777", "ivr");
    let call_time = call_start.elapsed();
    let _ = a.recv();
    assert_eq!(callee.join().unwrap(), vec!["INVITE", "ACK", "BYE"]);
    let tones_at_1001 = echo.join().unwrap();
    assert!(
        tones_at_1001 >= 5,
        "the tone reached 1001 in {tones_at_1001} blocks of 10 packets"
    );
    s.wait_idle();
    // MixMonitor's file: the whole call, both directions (the prompt zvezda played, the
    // caller's tone).
    std::thread::sleep(Duration::from_millis(300));
    let rec: Vec<_> = std::fs::read_dir(&records)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    assert_eq!(rec.len(), 1, "one recording, no temp file left: {rec:?}");
    let mut r = hound::WavReader::open(&rec[0]).unwrap();
    let pcm: Vec<i16> = r.samples::<i16>().map(|x| x.unwrap()).collect();
    let secs = pcm.len() as f64 / 8000.0;
    let want = call_time.as_secs_f64();
    assert!(
        (secs - want).abs() <= want * 0.05 + 0.1,
        "recording {secs:.2} s for a call of {want:.2} s"
    );
    let first = &pcm[..8000];
    assert!(
        energy_at(first, 600.0) > 0.5,
        "the prompt is not in the recording"
    );
    let heard_tone = pcm.chunks(1600).any(|c| energy_at(c, 1000.0) > 0.5);
    assert!(heard_tone, "the caller's tone is not in the recording");
    let t = s.lines.lock().unwrap().join("\n");
    for want in [
        &format!(
            "Playing '{}/voicemenu.slin' (language 'en')",
            sounds.display()
        ),
        "Executing [1@menu:1] Answer(\"SIP/1002-00000000\", \"\") in new stack",
        "SIP/1001-00000001 answered SIP/1002-00000000",
    ] {
        assert!(t.contains(want), "missing {want:?} in\n{t}");
    }
}
