//! RTCP on calls and DTMF in every dtmfmode, with real SIP, RTP and RTCP on 127.0.0.1
//! against the binary: zvezda's reports reach the phone's RTP port + 1 with its SSRC, a CNAME
//! and the counts of what was sent each way; the phone's RR shows in `sip show
//! channelstats`; a BYE ends the stream. A digit from an RFC 2833 caller reaches an `info`
//! peer as a SIP INFO and an `inband` peer as tones (found by the Goertzel detector), an INFO
//! digit reaches an RFC 2833 peer as events, an inband caller's tones an `info` peer as an
//! INFO; SendDTMF in the three modes.

mod support;

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};
use support::calls::{next_request, ok_to};
use support::phone::{sdp_for, Phone};
use support::rtp::RtpPeer;
use support::{free_port, Server};
use zvezda::media::dtmf::{DtmfDetector, DtmfEvent, DtmfReceiver};
use zvezda::media::g711::Law;
use zvezda::media::rtp::{self, RtcpPacket};
use zvezda::sip::message::Message;

fn rtp_target(sdp: &[u8]) -> SocketAddr {
    let o = zvezda::sip::sdp::parse(sdp).expect("an SDP");
    SocketAddr::new(o.addr.unwrap(), o.port)
}

/// An RTP socket on an even port with the port above bound too (for RTCP).
fn rtp_rtcp_pair() -> (UdpSocket, UdpSocket) {
    for _ in 0..200 {
        let probe = UdpSocket::bind("127.0.0.1:0").unwrap();
        let p = probe.local_addr().unwrap().port();
        drop(probe);
        let even = p & !1;
        if even < 1024 {
            continue;
        }
        let (Ok(a), Ok(b)) = (
            UdpSocket::bind(("127.0.0.1", even)),
            UdpSocket::bind(("127.0.0.1", even + 1)),
        ) else {
            continue;
        };
        return (a, b);
    }
    panic!("no free RTP/RTCP port pair");
}

fn office(port: u16, peers: &str, extensions: &str, rtp_conf: Option<&str>) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("sip.conf"),
        format!(
            "[general]\nbindaddr=127.0.0.1\nbindport={port}\nallowguest=no\n\
             [1001]\ntype=friend\nhost=dynamic\nsecret=1234\ncontext=office\n{peers}"
        ),
    )
    .unwrap();
    std::fs::write(d.path().join("extensions.conf"), extensions).unwrap();
    if let Some(r) = rtp_conf {
        std::fs::write(d.path().join("rtp.conf"), r).unwrap();
    }
    d
}

/// One RTP packet (A-law) from the phone.
fn rtp_packet(seq: u16, ts: u32, ssrc: u32, pcm: &[i16]) -> Vec<u8> {
    let mut p = vec![0x80, 8];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ts.to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    let mut enc = vec![0u8; pcm.len()];
    Law::Alaw.encode(pcm, &mut enc);
    p.extend_from_slice(&enc);
    p
}

#[test]
fn rtcp_reports_both_ways_and_channelstats() {
    let port = free_port();
    let dir = office(
        port,
        "",
        "[office]\nexten => 500,1,Answer()\nsame => n,Echo()\n\
         exten => h,1,NoOp(QOS ${CHANNEL(rtpqos,audio,all)})\nsame => n,NoOp(RTT ${CHANNEL(rtpqos,audio,rtt)})\n",
        None,
    );
    let s = Server::start(dir.path());
    let (rtp_sock, rtcp_sock) = rtp_rtcp_pair();
    rtp_sock
        .set_read_timeout(Some(Duration::from_millis(5)))
        .unwrap();
    rtcp_sock
        .set_read_timeout(Some(Duration::from_millis(5)))
        .unwrap();
    let mut a = Phone::new(port);
    a.sdp = sdp_for(rtp_sock.local_addr().unwrap().port(), &[8]);
    let (seen, ok) = a.call("500", "rtcp", "1234");
    assert_eq!(ok.code(), Some(200), "{seen:?}");
    a.ack(&ok, "500", "rtcp", 2, false);
    let answered = Instant::now();
    let zv_rtp = rtp_target(&ok.body);
    let zv_rtcp = SocketAddr::new(zv_rtp.ip(), zv_rtp.port() + 1);
    assert_eq!(zv_rtp.port() % 2, 0, "RTP ports are even");
    // 150 packets of a tone (3 s), sequence numbers 1000..; 1050 and 1051 are never sent.
    const SSRC: u32 = 0x0BAD_CAFE;
    let sender = rtp_sock.try_clone().unwrap();
    let talk = std::thread::spawn(move || {
        let pcm: Vec<i16> = (0..160)
            .map(|i| {
                (6000.0 * (2.0 * std::f64::consts::PI * 440.0 * i as f64 / 8000.0).sin()) as i16
            })
            .collect();
        let t0 = Instant::now();
        let mut sent = 0u32;
        let mut last = 0u16;
        for i in 0..152u16 {
            let seq = 1000 + i;
            if seq != 1050 && seq != 1051 {
                sender
                    .send_to(&rtp_packet(seq, 8000 + i as u32 * 160, SSRC, &pcm), zv_rtp)
                    .unwrap();
                sent += 1;
                last = seq;
            }
            let due = t0 + Duration::from_millis(20 * (i as u64 + 1));
            if let Some(d) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(d);
            }
        }
        (sent, last)
    });
    // Collect zvezda's echo (its SSRC, how many) until its first RTCP report.
    let mut buf = [0u8; 2048];
    let mut echoed = 0u32;
    let mut zv_ssrc = None;
    let mut report: Option<(Vec<u8>, SocketAddr, Instant)> = None;
    while report.is_none() && answered.elapsed() < Duration::from_secs(8) {
        if let Ok((n, _)) = rtp_sock.recv_from(&mut buf) {
            if let Ok(p) = rtp::parse(&buf[..n]) {
                echoed += 1;
                zv_ssrc = Some(p.header.ssrc);
            }
        }
        if let Ok((n, from)) = rtcp_sock.recv_from(&mut buf) {
            report = Some((buf[..n].to_vec(), from, Instant::now()));
        }
    }
    let (sent, last_seq) = talk.join().unwrap();
    assert_eq!(sent, 150);
    let (report, from, at) = report.expect("an RTCP report within 8 s of the answer");
    let after = at - answered;
    assert!(
        after >= Duration::from_millis(4500) && after <= Duration::from_millis(6500),
        "the first report came {after:?} after the answer (rtcpinterval 5000)"
    );
    assert_eq!(from, zv_rtcp, "RTCP comes from the RTP port + 1");
    let zv_ssrc = zv_ssrc.expect("zvezda echoed our audio");
    let pkts: Vec<RtcpPacket> = rtp::parse_rtcp(&report)
        .collect::<Result<_, _>>()
        .expect("a well-formed compound packet");
    // SR (zvezda sent media): its SSRC, the packets it sent, a block about our source.
    let RtcpPacket::SenderReport { info, blocks } = pkts[0] else {
        panic!("an SR first: {pkts:?}");
    };
    assert_eq!(info.ssrc, zv_ssrc);
    assert_eq!(info.packets, echoed, "the SR counts the packets we got");
    assert_eq!(info.octets, echoed * 160);
    let b: Vec<_> = blocks.collect();
    assert_eq!(b.len(), 1, "{b:?}");
    assert_eq!(b[0].ssrc, SSRC);
    assert_eq!(b[0].highest_seq, last_seq as u32);
    assert_eq!(b[0].cumulative_lost, 2, "1050 and 1051 were lost");
    assert!(b[0].fraction_lost > 0);
    let now_ntp = rtp::ntp_from_unix(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap(),
    );
    assert!(
        (now_ntp >> 32).abs_diff(info.ntp >> 32) <= 2,
        "the SR carries the wall clock"
    );
    let cname = pkts.iter().find_map(|p| match p {
        RtcpPacket::SourceDescription { ssrc, cname } if *ssrc == zv_ssrc => *cname,
        _ => None,
    });
    let cname = String::from_utf8(cname.expect("an SDES CNAME").to_vec()).unwrap();
    assert_eq!(cname.len(), 36, "a UUID CNAME: {cname}");
    // Our RR about zvezda's stream: 7 lost, jitter 160 (20 ms). It shows in channelstats.
    let rb = rtp::ReportBlock {
        ssrc: zv_ssrc,
        fraction_lost: 3,
        cumulative_lost: 7,
        highest_seq: 0,
        jitter: 160,
        lsr: info.lsr(),
        dlsr: 0,
    };
    let mut rr = [0u8; 128];
    let mut n = rtp::write_rr(SSRC, &[rb], &mut rr).unwrap();
    n += rtp::write_sdes_cname(SSRC, "phone@test", &mut rr[n..]).unwrap();
    rtcp_sock.send_to(&rr[..n], zv_rtcp).unwrap();
    let mut table = String::new();
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(3) {
        table = s.rx("sip show channelstats");
        if table.contains(" 0000000007 ") {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(
        lines[0],
        "Peer             Call ID      Duration Recv: Pack  Lost       (     %) Jitter Send: Pack  Lost       (     %) Jitter",
        "{table}"
    );
    let row = lines
        .iter()
        .find(|l| l.starts_with("127.0.0.1 ") && l.contains("rtcp"))
        .unwrap_or_else(|| panic!("no row for the call:\n{table}"));
    let want_rx = format!("{:010}  0000000002 ( 1.32%) ", sent);
    assert!(row.contains(&want_rx), "{row:?} lacks {want_rx:?}");
    let want_tx = format!(
        "{:010}  0000000007 ({:5.2}%) 0.0200",
        echoed,
        700.0 / echoed as f64
    );
    assert!(row.contains(&want_tx), "{row:?} lacks {want_tx:?}");
    assert!(row.contains("  00:00:0"), "duration: {row:?}");
    assert_eq!(lines.last(), Some(&"1 active SIP channel"), "{table}");
    // The caller hangs up: a last report with a BYE.
    a.bye(&ok, "500", "rtcp");
    let t0 = Instant::now();
    let mut bye = false;
    while !bye && t0.elapsed() < Duration::from_secs(3) {
        if let Ok((n, _)) = rtcp_sock.recv_from(&mut buf) {
            bye = rtp::parse_rtcp(&buf[..n]).flatten().any(|p| {
                p == RtcpPacket::Bye {
                    ssrc: Some(zv_ssrc),
                }
            });
        }
    }
    assert!(bye, "an RTCP BYE when the call ends");
    // The figures in the dialplan (the h extension), as chan_sip's CHANNEL(rtpqos).
    assert!(s.wait_line("QOS ssrc=", 3));
    assert!(s.wait_line("\"RTT ", 3));
    let lines = s.lines.lock().unwrap().join("\n");
    let qos = lines
        .lines()
        .find_map(|l| l.split("\"QOS ").nth(1))
        .and_then(|v| v.split('"').next())
        .unwrap()
        .to_string();
    for want in [
        format!("ssrc={zv_ssrc};themssrc={SSRC};lp=2;"),
        format!(";rxcount={sent};"),
        format!(";txjitter=0.020000;txcount={echoed};rlp=7;rtt="),
    ] {
        assert!(qos.contains(&want), "{qos} lacks {want}");
    }
    let rtt: f64 = lines
        .lines()
        .find_map(|l| l.split("\"RTT ").nth(1))
        .and_then(|v| v.split('"').next())
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        rtt > 0.0 && rtt < 0.5,
        "round trip {rtt} from our RR's LSR/DLSR"
    );
    s.wait_idle();
    assert!(s
        .rx("sip show channelstats")
        .contains("0 active SIP channels"));
}

/// A stream that only receives sends RRs, at rtp.conf's `rtcpinterval`.
#[test]
fn receive_only_stream_sends_rr_at_rtcpinterval() {
    let port = free_port();
    let dir = office(
        port,
        "",
        "[office]\nexten => 501,1,Answer()\nsame => n,Wait(6)\n",
        Some("[general]\nrtpstart=20000\nrtpend=20999\nrtcpinterval=1000\n"),
    );
    let s = Server::start(dir.path());
    let (rtp_sock, rtcp_sock) = rtp_rtcp_pair();
    rtcp_sock
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let mut a = Phone::new(port);
    a.sdp = sdp_for(rtp_sock.local_addr().unwrap().port(), &[8]);
    let (seen, ok) = a.call("501", "rr", "1234");
    assert_eq!(ok.code(), Some(200), "{seen:?}");
    a.ack(&ok, "501", "rr", 2, false);
    let answered = Instant::now();
    let zv_rtp = rtp_target(&ok.body);
    assert!(
        (20000..=20998).contains(&zv_rtp.port()) && zv_rtp.port().is_multiple_of(2),
        "{zv_rtp}"
    );
    for i in 0..25u16 {
        rtp_sock
            .send_to(&rtp_packet(500 + i, i as u32 * 160, 42, &[0; 160]), zv_rtp)
            .unwrap();
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut reports = Vec::new();
    let mut buf = [0u8; 1500];
    while reports.len() < 2 && answered.elapsed() < Duration::from_secs(4) {
        if let Ok((n, _)) = rtcp_sock.recv_from(&mut buf) {
            reports.push((buf[..n].to_vec(), answered.elapsed()));
        }
    }
    assert_eq!(reports.len(), 2, "two reports in 4 s at rtcpinterval=1000");
    assert!(
        reports[0].1 >= Duration::from_millis(800) && reports[0].1 <= Duration::from_millis(1600),
        "first report after {:?}",
        reports[0].1
    );
    let gap = reports[1].1 - reports[0].1;
    assert!(
        gap >= Duration::from_millis(800) && gap <= Duration::from_millis(1300),
        "{gap:?} between reports"
    );
    let last = &reports[1].0;
    let pkts: Vec<RtcpPacket> = rtp::parse_rtcp(last).collect::<Result<_, _>>().unwrap();
    let RtcpPacket::ReceiverReport { blocks, .. } = pkts[0] else {
        panic!("an RR when nothing was sent: {pkts:?}");
    };
    let b: Vec<_> = blocks.collect();
    assert_eq!(b.len(), 1);
    assert_eq!(
        (b[0].ssrc, b[0].highest_seq, b[0].cumulative_lost),
        (42, 524, 0)
    );
    assert!(matches!(
        pkts[1],
        RtcpPacket::SourceDescription { cname: Some(_), .. }
    ));
    hang_up(&a, &ok, "501", "rr");
    s.wait_idle();
}

/// With symmetric RTP (`nat=comedia`), reports go where the far end's RTCP comes from, not
/// to its SDP port + 1.
#[test]
fn comedia_reports_go_to_the_learned_rtcp_source() {
    let port = free_port();
    let dir = office(
        port,
        "[1006]\ntype=friend\nhost=dynamic\nsecret=1234\ncontext=office\nnat=force_rport,comedia\n",
        "[office]\nexten => 502,1,Answer()\nsame => n,Wait(6)\n",
        Some("[general]\nrtcpinterval=500\n"),
    );
    let s = Server::start(dir.path());
    let (rtp_sock, rtcp_sock) = rtp_rtcp_pair();
    rtcp_sock
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    // The NAT's idea of our RTCP port: another socket.
    let natted = UdpSocket::bind("127.0.0.1:0").unwrap();
    natted
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let mut a = Phone::new(port);
    a.user = "1006".into();
    a.sdp = sdp_for(rtp_sock.local_addr().unwrap().port(), &[8]);
    let (seen, ok) = a.call("502", "comedia", "1234");
    assert_eq!(ok.code(), Some(200), "{seen:?}");
    a.ack(&ok, "502", "comedia", 2, false);
    let zv_rtp = rtp_target(&ok.body);
    let zv_rtcp = SocketAddr::new(zv_rtp.ip(), zv_rtp.port() + 1);
    rtp_sock
        .send_to(&rtp_packet(1, 0, 77, &[0; 160]), zv_rtp)
        .unwrap();
    // Before any RTCP from us: reports to the SDP port + 1.
    let mut buf = [0u8; 1500];
    let t0 = Instant::now();
    let mut first = false;
    while !first && t0.elapsed() < Duration::from_secs(2) {
        first = rtcp_sock.recv_from(&mut buf).is_ok();
    }
    assert!(first, "a report to the SDP port + 1");
    let mut rr = [0u8; 64];
    let n = rtp::write_rr(77, &[], &mut rr).unwrap();
    natted.send_to(&rr[..n], zv_rtcp).unwrap();
    let t0 = Instant::now();
    let mut moved = false;
    while !moved && t0.elapsed() < Duration::from_secs(2) {
        moved = natted.recv_from(&mut buf).is_ok();
        let _ = rtcp_sock.recv_from(&mut buf);
    }
    assert!(moved, "reports follow the RTCP source (comedia)");
    hang_up(&a, &ok, "502", "comedia");
    s.wait_idle();
}

/// The caller hangs up and reads the BYE's 200 (the phone makes another call after).
fn hang_up(a: &Phone, ok: &Message, to: &str, call: &str) {
    a.bye(ok, to, call);
    for _ in 0..5 {
        let m = a.recv();
        if m.code() == Some(200) && m.cseq().is_some_and(|c| c.1 == "BYE") {
            return;
        }
    }
    panic!("no 200 for the BYE");
}

/// The callee of a Dial: registers as `user`, answers the INVITE with RTP at `rtp_port`,
/// then answers every in-dialog request 200 and hands it (and its time) to the test; ends
/// at BYE or after `idle`.
fn callee(
    port: u16,
    user: &str,
    rtp_port: u16,
    idle: Duration,
) -> std::thread::JoinHandle<Vec<(Message, Instant)>> {
    let mut b = Phone::new(port);
    b.user = user.into();
    b.sdp = sdp_for(rtp_port, &[8]);
    assert_eq!(b.register(user, "1234").code(), Some(200));
    b.sock.set_read_timeout(Some(idle)).unwrap();
    std::thread::spawn(move || {
        let mut got = Vec::new();
        let mut buf = [0u8; 8192];
        while let Ok((n, from)) = b.sock.recv_from(&mut buf) {
            let m = Message::parse(&buf[..n], false).unwrap().0;
            let Some(method) = m.method().map(str::to_string) else {
                continue;
            };
            let to = if method == "INVITE" {
                format!("{};tag=b2", m.header("To").unwrap())
            } else {
                m.header("To").unwrap().to_string()
            };
            let body = if method == "INVITE" {
                b.sdp.as_str()
            } else {
                ""
            };
            if method != "ACK" {
                let r = format!(
                    "SIP/2.0 200 OK\r\nVia: {}\r\nFrom: {}\r\nTo: {to}\r\nCall-ID: {}\r\nCSeq: {}\r\n\
                     Contact: <sip:{user}@{}>\r\n{}Content-Length: {}\r\n\r\n{body}",
                    m.header("Via").unwrap(),
                    m.header("From").unwrap(),
                    m.call_id().unwrap(),
                    m.header("CSeq").unwrap(),
                    b.sock.local_addr().unwrap(),
                    if body.is_empty() { "" } else { "Content-Type: application/sdp\r\n" },
                    body.len(),
                    user = b.user,
                );
                b.sock.send_to(r.as_bytes(), from).unwrap();
            }
            got.push((m, Instant::now()));
            if method == "BYE" {
                break;
            }
        }
        got
    })
}

/// The digits of telephone-event packets received (one per event end).
fn event_digits(pkts: &[support::rtp::Got]) -> String {
    let mut r = DtmfReceiver::new();
    let mut out = String::new();
    for g in pkts.iter().filter(|g| g.pt == 101) {
        for e in r.on_packet(g.ts, &g.payload) {
            if let DtmfEvent::End { digit, .. } = e {
                out.push(digit);
            }
        }
    }
    out
}

/// The digits the Goertzel detector finds in the audio packets received.
fn tone_digits(pkts: &[support::rtp::Got]) -> String {
    let mut det = DtmfDetector::new();
    let mut out = String::new();
    let mut audio = support::rtp::decode(pkts);
    audio.extend(std::iter::repeat_n(0, 800));
    for e in det.process_collect(&audio) {
        if let DtmfEvent::Begin { digit } = e {
            out.push(digit);
        }
    }
    out
}

#[test]
fn bridge_converts_digits_between_dtmfmodes() {
    let port = free_port();
    let dir = office(
        port,
        "[1002]\ntype=friend\nhost=dynamic\nsecret=1234\ncontext=office\ndtmfmode=info\n\
         [1003]\ntype=friend\nhost=dynamic\nsecret=1234\ncontext=office\ndtmfmode=inband\n\
         [1004]\ntype=friend\nhost=dynamic\nsecret=1234\ncontext=office\ndtmfmode=info\n\
         [1005]\ntype=friend\nhost=dynamic\nsecret=1234\ncontext=office\n",
        "[office]\nexten => _100X,1,Dial(SIP/${EXTEN})\nsame => n,Hangup()\n",
        None,
    );
    let s = Server::start(dir.path());

    // 1001 (rfc2833) → 1002 (info): the digit arrives as an INFO, no events go to 1002.
    let b_rtp = RtpPeer::new();
    let b = callee(port, "1002", b_rtp.port(), Duration::from_secs(6));
    let mut a_rtp = RtpPeer::new();
    let mut a = Phone::new(port);
    a.sdp = sdp_for(a_rtp.port(), &[8]);
    let (seen, ok) = a.call("1002", "to-info", "1234");
    assert_eq!(ok.code(), Some(200), "{seen:?}");
    a.ack(&ok, "1002", "to-info", 2, false);
    std::thread::sleep(Duration::from_millis(300));
    let pressed = Instant::now();
    a_rtp.send_dtmf(rtp_target(&ok.body), '5', 120);
    let to_b = b_rtp.collect(Duration::from_millis(800), |_| false);
    assert!(
        !to_b.iter().any(|g| g.pt == 101),
        "an info peer gets no telephone-events"
    );
    hang_up(&a, &ok, "1002", "to-info");
    let got = b.join().unwrap();
    let infos: Vec<_> = got
        .iter()
        .filter(|(m, _)| m.method() == Some("INFO"))
        .collect();
    assert_eq!(
        infos.len(),
        1,
        "one INFO for one digit: {:?}",
        got.iter().map(|g| g.0.method()).collect::<Vec<_>>()
    );
    let (info, when) = infos[0];
    assert_eq!(info.header("Content-Type"), Some("application/dtmf-relay"));
    assert_eq!(
        String::from_utf8_lossy(&info.body),
        "Signal=5\r\nDuration=120\r\n"
    );
    assert!(
        *when - pressed < Duration::from_millis(700),
        "the INFO came late"
    );
    let cseq_info = info.cseq().unwrap().0;
    let offer = &got[0].0;
    assert_eq!(offer.method(), Some("INVITE"));
    assert!(
        !String::from_utf8_lossy(&offer.body).contains("telephone-event"),
        "no telephone-event offered to an info peer (chan_sip)"
    );
    let bye = got
        .iter()
        .find(|(m, _)| m.method() == Some("BYE"))
        .expect("a BYE");
    assert!(
        bye.0.cseq().unwrap().0 > cseq_info,
        "the BYE's CSeq follows the INFO's"
    );
    s.wait_idle();

    // 1001 (rfc2833) → 1003 (inband): the digit arrives as its tones.
    let c_rtp = RtpPeer::new();
    let c = callee(port, "1003", c_rtp.port(), Duration::from_secs(6));
    let (seen, ok) = a.call("1003", "to-inband", "1234");
    assert_eq!(ok.code(), Some(200), "{seen:?}");
    a.ack(&ok, "1003", "to-inband", 2, false);
    std::thread::sleep(Duration::from_millis(300));
    a_rtp.send_dtmf(rtp_target(&ok.body), '7', 120);
    a_rtp.send_dtmf(rtp_target(&ok.body), '#', 100);
    let to_c = c_rtp.collect(Duration::from_millis(1000), |_| false);
    assert!(
        !to_c.iter().any(|g| g.pt == 101),
        "no events to an inband peer"
    );
    assert_eq!(tone_digits(&to_c), "7#", "{} packets", to_c.len());
    hang_up(&a, &ok, "1003", "to-inband");
    c.join().unwrap();
    s.wait_idle();

    // 1004 (info) → 1005 (rfc2833): an INFO digit becomes telephone-events.
    let d_rtp = RtpPeer::new();
    let d = callee(port, "1005", d_rtp.port(), Duration::from_secs(6));
    let e_rtp = RtpPeer::new();
    let mut e = Phone::new(port);
    e.user = "1004".into();
    e.sdp = sdp_for(e_rtp.port(), &[8]);
    let (seen, ok) = e.call("1005", "from-info", "1234");
    assert_eq!(ok.code(), Some(200), "{seen:?}");
    e.ack(&ok, "1005", "from-info", 2, false);
    std::thread::sleep(Duration::from_millis(300));
    let me = e.sock.local_addr().unwrap();
    let body = "Signal=3\r\nDuration=160\r\n";
    e.send(&format!(
        "INFO sip:1005@127.0.0.1:{port} SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch=z9hG4bK-info1;rport\r\n\
         From: \"Ivan\" <sip:1004@127.0.0.1:{port}>;tag=from-infoF\r\nTo: {}\r\nCall-ID: from-info\r\nCSeq: 3 INFO\r\n\
         Content-Type: application/dtmf-relay\r\nContent-Length: {}\r\n\r\n{body}",
        ok.header("To").unwrap(),
        body.len()
    ));
    assert_eq!(e.recv().code(), Some(200), "the INFO is accepted");
    let to_d = d_rtp.collect(Duration::from_millis(800), |g| {
        g.iter().filter(|x| x.pt == 101).count() >= 3 && event_digits(g) == "3"
    });
    assert_eq!(event_digits(&to_d), "3", "the INFO digit as events");
    let e_bye = format!(
        "BYE sip:1005@127.0.0.1:{port} SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch=z9hG4bK-from-info-bye;rport\r\n\
         From: \"Ivan\" <sip:1004@127.0.0.1:{port}>;tag=from-infoF\r\nTo: {}\r\nCall-ID: from-info\r\nCSeq: 4 BYE\r\nContent-Length: 0\r\n\r\n",
        ok.header("To").unwrap()
    );
    e.send(&e_bye);
    let got = d.join().unwrap();
    assert!(
        String::from_utf8_lossy(&got[0].0.body).contains("telephone-event"),
        "telephone-event offered to an rfc2833 peer"
    );
    s.wait_idle();

    // 1003 (inband) → 1002 (info): the tones the caller plays become an INFO.
    let f = callee(port, "1002", RtpPeer::new().port(), Duration::from_secs(6));
    let mut g_rtp = RtpPeer::new();
    let mut g = Phone::new(port);
    g.user = "1003".into();
    g.sdp = sdp_for(g_rtp.port(), &[8]);
    let (seen, ok) = g.call("1002", "from-inband", "1234");
    assert_eq!(ok.code(), Some(200), "{seen:?}");
    g.ack(&ok, "1002", "from-inband", 2, false);
    assert!(
        !String::from_utf8_lossy(&ok.body).contains("telephone-event"),
        "an inband caller is answered without telephone-event"
    );
    let mut audio = vec![0i16; 800];
    audio.extend(zvezda::media::dtmf::generate('9', 120, 7000.0));
    audio.extend(vec![0i16; 1600]);
    g_rtp.send_pcm(rtp_target(&ok.body), Law::Alaw, &audio, true);
    hang_up(&g, &ok, "1002", "from-inband");
    let got = f.join().unwrap();
    let infos: Vec<String> = got
        .iter()
        .filter(|(m, _)| m.method() == Some("INFO"))
        .map(|(m, _)| String::from_utf8_lossy(&m.body).into_owned())
        .collect();
    assert_eq!(infos.len(), 1, "{infos:?}");
    assert!(infos[0].starts_with("Signal=9\r\nDuration="), "{infos:?}");
    s.wait_idle();
}

#[test]
fn senddtmf_in_each_dtmfmode() {
    let port = free_port();
    let dir = office(
        port,
        "[1002]\ntype=friend\nhost=dynamic\nsecret=1234\ncontext=office\ndtmfmode=info\n\
         [1003]\ntype=friend\nhost=dynamic\nsecret=1234\ncontext=office\ndtmfmode=inband\n",
        "[office]\nexten => 600,1,Answer()\nsame => n,SendDTMF(12w3,100,120)\nsame => n,NoOp(sent)\nsame => n,Wait(2)\n\
         exten => 601,1,Answer()\nsame => n,SendDTMF(45,,200)\nsame => n,NoOp(sent)\nsame => n,Wait(2)\n\
         exten => 602,1,SendDTMF()\nsame => n,SendDTMF(9x,,,,a)\nsame => n,Wait(2)\n",
        None,
    );
    let s = Server::start(dir.path());

    // rfc2833: events, 'w' half a second between 2 and 3.
    let mut a_rtp = RtpPeer::new();
    let mut a = Phone::new(port);
    a.sdp = sdp_for(a_rtp.port(), &[8]);
    let (seen, ok) = a.call("600", "sd-events", "1234");
    assert_eq!(ok.code(), Some(200), "{seen:?}");
    a.ack(&ok, "600", "sd-events", 2, false);
    // Keep the stream alive (and symmetric) while collecting.
    a_rtp.send_pcm(rtp_target(&ok.body), Law::Alaw, &[0; 160], false);
    let got = a_rtp.collect(Duration::from_secs(3), |g| event_digits(g) == "123");
    assert_eq!(event_digits(&got), "123");
    let starts: Vec<Instant> = got
        .iter()
        .filter(|g| g.pt == 101 && g.marker)
        .map(|g| g.at)
        .collect();
    assert_eq!(starts.len(), 3, "one marked start per digit");
    let gap12 = starts[1] - starts[0];
    let gap23 = starts[2] - starts[1];
    // 120 ms digit + 100 ms between; then + 500 ms for 'w'.
    assert!(
        gap12 >= Duration::from_millis(200) && gap12 < Duration::from_millis(400),
        "{gap12:?}"
    );
    assert!(
        gap23 >= Duration::from_millis(700) && gap23 < Duration::from_millis(1000),
        "{gap23:?}"
    );
    assert!(s.wait_line("NoOp(\"SIP/1001-00000000\", \"sent\")", 5));
    a.bye(&ok, "600", "sd-events");
    s.wait_idle();

    // info: INFO requests in order, with the duration asked for.
    let mut b = Phone::new(port);
    b.user = "1002".into();
    let b_rtp = RtpPeer::new();
    b.sdp = sdp_for(b_rtp.port(), &[8]);
    let (seen, ok) = b.call("601", "sd-info", "1234");
    assert_eq!(ok.code(), Some(200), "{seen:?}");
    b.ack(&ok, "601", "sd-info", 2, false);
    let mut bodies = Vec::new();
    let t0 = Instant::now();
    while bodies.len() < 2 && t0.elapsed() < Duration::from_secs(4) {
        let m = b.recv();
        if m.method() == Some("INFO") {
            assert_eq!(m.header("Content-Type"), Some("application/dtmf-relay"));
            bodies.push(String::from_utf8_lossy(&m.body).into_owned());
            let r = format!(
                "SIP/2.0 200 OK\r\nVia: {}\r\nFrom: {}\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: {}\r\nContent-Length: 0\r\n\r\n",
                m.header("Via").unwrap(),
                m.header("From").unwrap(),
                m.header("To").unwrap(),
                m.call_id().unwrap(),
                m.header("CSeq").unwrap()
            );
            b.send(&r);
        }
    }
    assert_eq!(
        bodies,
        [
            "Signal=4\r\nDuration=200\r\n",
            "Signal=5\r\nDuration=200\r\n"
        ]
    );
    b.bye(&ok, "601", "sd-info");
    s.wait_idle();

    // inband: the tones, found by the Goertzel detector.
    let mut c = Phone::new(port);
    c.user = "1003".into();
    let mut c_rtp = RtpPeer::new();
    c.sdp = sdp_for(c_rtp.port(), &[8]);
    let (seen, ok) = c.call("601", "sd-inband", "1234");
    assert_eq!(ok.code(), Some(200), "{seen:?}");
    c.ack(&ok, "601", "sd-inband", 2, false);
    c_rtp.send_pcm(rtp_target(&ok.body), Law::Alaw, &[0; 160], false);
    let got = c_rtp.collect(Duration::from_secs(3), |g| tone_digits(g).len() >= 2);
    assert!(!got.iter().any(|g| g.pt == 101), "no events in inband mode");
    assert_eq!(tone_digits(&got), "45");
    c.bye(&ok, "601", "sd-inband");
    s.wait_idle();

    // Asterisk's warnings for a missing argument and a bad digit.
    let mut d = Phone::new(port);
    let d_rtp = RtpPeer::new();
    d.sdp = sdp_for(d_rtp.port(), &[8]);
    let (seen, ok) = d.call("602", "sd-bad", "1234");
    assert_eq!(ok.code(), Some(200), "{seen:?} (option a answers)");
    d.ack(&ok, "602", "sd-bad", 2, false);
    assert!(s.wait_line("SendDTMF requires an argument", 3));
    assert!(s.wait_line(
        "Illegal DTMF character 'x' in string. (0-9*#aAbBcCdD allowed)",
        3
    ));
    d.bye(&ok, "602", "sd-bad");
    s.wait_idle();
}

/// RFC 3550 §6.3.7: a stream that never sent RTP or RTCP leaves without a BYE. A call that
/// is answered and hung up within the report interval (Wait, no audio) sends no RTCP at all.
#[test]
fn a_silent_short_call_binds_no_rtcp_and_sends_no_rtcp_bye() {
    let port = free_port();
    let dir = office(
        port,
        "",
        "[office]\nexten => 501,1,Answer()\nsame => n,Wait(1)\nsame => n,Hangup()\n",
        None,
    );
    let s = Server::start(dir.path());
    let (rtp_sock, rtcp_sock) = rtp_rtcp_pair();
    rtcp_sock
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let mut a = Phone::new(port);
    a.sdp = sdp_for(rtp_sock.local_addr().unwrap().port(), &[8]);
    let (seen, ok) = a.call("501", "quiet", "1234");
    assert_eq!(ok.code(), Some(200), "{seen:?}");
    a.ack(&ok, "501", "quiet", 2, false);
    // No RTP has flowed, so RTCP has not started and its port (zvezda's RTP port + 1) is
    // not even bound: a silent call costs one descriptor (res_rtp_asterisk also starts RTCP
    // with the first RTP).
    let theirs = rtp_target(&ok.body);
    let above = UdpSocket::bind(("127.0.0.1", theirs.port() + 1));
    assert!(above.is_ok(), "RTCP bound before any RTP: {above:?}");
    drop(above);
    // zvezda hangs up after Wait(1): its BYE, answered.
    ok_to(&a, &next_request(&a, "BYE"));
    s.wait_idle();
    let mut buf = [0u8; 1500];
    let t0 = Instant::now();
    let mut got = 0;
    while t0.elapsed() < Duration::from_millis(800) {
        if rtcp_sock.recv_from(&mut buf).is_ok() {
            got += 1;
        }
    }
    assert_eq!(got, 0, "RTCP from a stream that never sent anything");
}

/// An even port with the three above it free: a one-pair rtp.conf range.
fn free_rtp_range() -> u16 {
    for _ in 0..200 {
        let probe = UdpSocket::bind("127.0.0.1:0").unwrap();
        let p = probe.local_addr().unwrap().port() & !1;
        drop(probe);
        if (1024..65530).contains(&p)
            && (p..p + 4).all(|q| UdpSocket::bind(("127.0.0.1", q)).is_ok())
        {
            return p;
        }
    }
    panic!("no free port range");
}

#[test]
fn no_rtp_port_left_is_503_and_gives_the_call_limit_back() {
    let port = free_port();
    let rtp = free_rtp_range();
    // One RTP port in the range; 1001 may have one call at a time.
    let dir = office(
        port,
        "call-limit=1\n[1002]\ntype=friend\nhost=dynamic\nsecret=1234\ncontext=office\n",
        "[office]\nexten => 501,1,Answer()\nsame => n,Wait(1)\nsame => n,Hangup()\n",
        Some(&format!("[general]\nrtpstart={rtp}\nrtpend={}\n", rtp + 1)),
    );
    let s = Server::start(dir.path());
    let mut b = Phone::new(port);
    b.user = "1002".into();
    let (seen, ok) = b.call("501", "holds-the-port", "1234");
    assert_eq!(ok.code(), Some(200), "{seen:?}");
    assert_eq!(rtp_target(&ok.body).port(), rtp);
    b.ack(&ok, "501", "holds-the-port", 2, false);
    // 1002's call holds the only port: chan_sip's RTP init failure.
    let a = Phone::new(port);
    let (seen, refused) = a.call("501", "no-port", "1234");
    assert_eq!(refused.code(), Some(503), "{seen:?}");
    a.ack(&refused, "501", "no-port", 2, true);
    assert!(
        s.wait_line("RTP init failure for device \"Ivan\" <sip:1001@", 5),
        "no NOTICE for the RTP failure"
    );
    ok_to(&b, &next_request(&b, "BYE"));
    s.wait_idle();
    // The refused call did not keep 1001's call-limit: the next one goes through (480
    // Call limit if it had), on the port 1002's call left.
    let (seen, ok) = a.call("501", "after", "1234");
    assert_eq!(ok.code(), Some(200), "{seen:?}");
    assert_eq!(rtp_target(&ok.body).port(), rtp);
    a.ack(&ok, "501", "after", 2, false);
    ok_to(&a, &next_request(&a, "BYE"));
    s.wait_idle();
}
