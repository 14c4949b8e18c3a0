//! Call parking (res_parking) as Asterisk 20 does it, with real SIP and RTP: the called
//! party blind-transfers the caller to 700 (`TRANSFER_CONTEXT=parkedcalls`, the reference
//! case c3b): the caller is parked on 701 and hears music on hold, the transferer hears
//! "7 0 1" and is hung up; `parking show default` lists it; another phone dials 701 and talks
//! to it. The park timeout with `comebacktoorigin` (c3c: `park-dial`, Dial back to the
//! parker), ParkedCall on an empty space, Park() run by the channel itself with
//! `comebackcontext`, and Dial's `k`/`K` with features.conf `parkcall`.

mod support;

use std::net::SocketAddr;
use std::time::Duration;
use support::calls::*;
use support::phone::{sdp_for, Phone};
use support::rtp::RtpPeer;
use support::{free_port, Server};
use zvezda::sip::message::Message;

/// 1001, 1002 and 6666 in context `office` (which includes `parkedcalls`); res_parking.conf
/// as the reference recordings had it, with `lot` lines added to `[default]`.
fn office(port: u16, extensions: &str, lot: &str, featuremap: &str) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let mut sip = format!("[general]\nbindaddr=127.0.0.1\nbindport={port}\nallowguest=no\n");
    for p in ["1001", "1002", "6666"] {
        sip.push_str(&format!(
            "[{p}]\ntype=friend\nhost=dynamic\nsecret=1234\ncontext=office\n"
        ));
    }
    std::fs::write(d.path().join("sip.conf"), sip).unwrap();
    std::fs::write(
        d.path().join("extensions.conf"),
        format!("[office]\ninclude => parkedcalls\n{extensions}"),
    )
    .unwrap();
    std::fs::write(
        d.path().join("features.conf"),
        format!("[general]\ntransferdigittimeout=>3\n[featuremap]\nblindxfer=>#\natxfer=>*2\n{featuremap}"),
    )
    .unwrap();
    std::fs::write(
        d.path().join("res_parking.conf"),
        format!(
            "[general]\nparkeddynamic=no\n[default]\ncontext=>parkedcalls\nparkext=>700\nparkpos=>701-720\n\
             findslot=>first\ncomebackdialtime=30\ncomebackcontext=parkedcallstimeout\ncourtesytone=beep\n\
             parkedplay=caller\nparkedmusicclass=default\n{lot}"
        ),
    )
    .unwrap();
    d
}

/// A phone that places calls as `user` (not registered), with its RTP.
fn caller(port: u16, user: &str) -> (Phone, RtpPeer) {
    let rtp = RtpPeer::new();
    let mut p = Phone::new(port);
    p.sdp = sdp_for(rtp.port(), &[8]);
    p.user = user.into();
    (p, rtp)
}

/// Loud packets heard within `ms`.
fn loud_packets(rtp: &RtpPeer, ms: u64) -> usize {
    rtp.collect(Duration::from_millis(ms), |_| false)
        .iter()
        .filter(|g| support::rtp::loud(g))
        .count()
}

/// 1001 calls `exten`, which Dials 1002 (answered at once).
struct Call {
    a: Phone,
    a_rtp: RtpPeer,
    a_to: SocketAddr,
    ok: Message,
    b: Phone,
    b_rtp: RtpPeer,
    b_to: SocketAddr,
    b_inv: Message,
}

fn call_via(port: u16, exten: &str, call: &str) -> Call {
    let (b, b_rtp) = phone(port, "1002");
    let (a, a_rtp) = caller(port, "1001");
    let callee = std::thread::spawn(move || {
        let inv = next_request(&b, "INVITE");
        b.send(&respond(&b, &inv, 200, "OK"));
        (b, inv)
    });
    let (seen, ok) = a.call(exten, call, "1234");
    assert_eq!(ok.code(), Some(200), "{seen:?}");
    a.ack(&ok, exten, call, 2, false);
    let (b, b_inv) = callee.join().unwrap();
    assert_eq!(next_request(&b, "ACK").method(), Some("ACK"));
    let a_to = rtp_target(&ok.body);
    let b_to = rtp_target(&b_inv.body);
    Call {
        a,
        a_rtp,
        a_to,
        ok,
        b,
        b_rtp,
        b_to,
        b_inv,
    }
}

const SEED: &str = "exten => 7003,1,Set(__TRANSFER_CONTEXT=parkedcalls)\nsame => 2,Dial(SIP/1002,,t)\nsame => 3,Hangup()\n\
                    exten => 7701,1,ParkedCall(default,701)\nsame => 2,Hangup()\n";

/// c3b: 1002 presses `#` and 700: 1001 is parked on 701 (music on hold), 1002 hears
/// "7 0 1" and gets a BYE; `parking show default` lists the call; 6666 dials 701 (the
/// lot's own extension), hears `beep`, then 6666 and 1001 hear each other; 6666 hangs up and
/// 1001 gets the BYE.
#[test]
fn blind_transfer_to_700_parks_and_701_retrieves() {
    let port = free_port();
    let dir = office(port, SEED, "", "");
    // The reference run's res_parking.conf itself.
    std::fs::write(
        dir.path().join("res_parking.conf"),
        include_str!("fixtures/parking/res_parking.conf"),
    )
    .unwrap();
    let s = Server::start(dir.path());
    let Call {
        a,
        a_rtp,
        a_to,
        b,
        mut b_rtp,
        b_to,
        ..
    } = call_via(port, "7003", "park1");
    std::thread::sleep(Duration::from_millis(300));
    press(&mut b_rtp, b_to, "#");
    assert!(s.wait_line("Channel SIP/1002-00000001: Started DTMF blind transfer.", 3));
    std::thread::sleep(Duration::from_millis(1500));
    // 700 is unique in parkedcalls: no digit timeout.
    press(&mut b_rtp, b_to, "700");
    assert!(
        s.wait_line("Parking 'SIP/1001-00000000' in 'default' at space 701", 3),
        "{}",
        trace(&s)
    );
    // The parker hears the space, then the BYE.
    drain(&b_rtp);
    let said = loud_packets(&b_rtp, 1000);
    assert!(said >= 10, "1002 heard no announcement ({said} packets)");
    let bye = next_request(&b, "BYE");
    ok_to(&b, &bye);
    // The parked call hears music on hold.
    drain(&a_rtp);
    let held = loud_packets(&a_rtp, 800);
    assert!(held >= 10, "1001 heard no music on hold ({held} packets)");
    let show = s.rx("parking show default");
    assert_eq!(
        show,
        include_str!("fixtures/parking/parking_show_default_parked.txt")
            .replace("SIP/1001-0000000b", "SIP/1001-00000000")
    );
    assert!(show.contains("Parking Lot: default"), "{show}");
    assert!(show.contains("Parking Spaces      :  701-720"), "{show}");
    assert!(show.contains("  Space               :  701"), "{show}");
    assert!(
        show.contains("  Channel             :  SIP/1001-00000000"),
        "{show}"
    );
    assert!(show.contains("  Parker Dial String  :  SIP/1002"), "{show}");
    let list = s.rx("parking show");
    assert!(list.contains("Parking General Options"), "{list}");
    assert!(!list.contains("Parked Calls"), "{list}");
    let old = s.rx("parkedcalls show");
    assert!(old.contains("No such command"), "{old}");
    let chans = s.rx("core show channels");
    assert!(chans.contains("SIP/1001-00000000"), "{chans}");
    assert!(!chans.contains("SIP/1002-00000001"), "{chans}");
    // 6666 takes it.
    let (c, c_rtp) = caller(port, "6666");
    let (seen, ok) = c.call("701", "get701", "1234");
    assert_eq!(ok.code(), Some(200), "{seen:?}");
    c.ack(&ok, "701", "get701", 2, false);
    let c_to = rtp_target(&ok.body);
    assert!(s.wait_line(
        "Channel SIP/6666-00000002 joined 'simple_bridge' basic-bridge",
        5
    ));
    std::thread::sleep(Duration::from_millis(200));
    drain(&c_rtp);
    let (a_rtp, heard) = tone_heard(a_rtp, a_to, &c_rtp, 700.0);
    assert!(heard > 0.5, "6666 did not hear 1001 ({heard})");
    drain(&a_rtp);
    let (_c_rtp, heard) = tone_heard(c_rtp, c_to, &a_rtp, 1100.0);
    assert!(heard > 0.5, "1001 did not hear 6666 ({heard})");
    c.bye(&ok, "701", "get701");
    let bye = next_request(&a, "BYE");
    assert_eq!(bye.call_id(), Some("park1"));
    ok_to(&a, &bye);
    s.wait_idle();
    let show = s.rx("parking show default");
    assert!(show.contains("  (none)"), "{show}");
    let t = trace(&s);
    in_order(
        &t,
        &[
            "    -- Channel SIP/1002-00000001: Started DTMF blind transfer.",
            "    -- Started music on hold, class 'default', on channel 'SIP/1001-00000000'",
            "    -- <SIP/1002-00000001> Playing 'pbx-transfer.",
            "    -- Stopped music on hold on SIP/1001-00000000",
            "    -- Channel SIP/1001-00000000 left 'simple_bridge' basic-bridge <",
            "    -- Parking 'SIP/1001-00000000' in 'default' at space 701",
            "    -- Channel SIP/1001-00000000 joined 'holding_bridge' parking-bridge <",
            "    -- Started music on hold, class 'default', on channel 'SIP/1001-00000000'",
            "    -- <SIP/1002-00000001> Playing 'digits/7.",
            "    -- <SIP/1002-00000001> Playing 'digits/0.",
            "    -- <SIP/1002-00000001> Playing 'digits/1.",
            "    -- Channel SIP/1002-00000001 left 'simple_bridge' basic-bridge <",
            "    -- Executing [701@office:1] ParkedCall(\"SIP/6666-00000002\", \"default,701\") in new stack",
            "    -- Channel SIP/1001-00000000 left 'holding_bridge' parking-bridge <",
            "    -- Stopped music on hold on SIP/1001-00000000",
            "    -- Channel SIP/1001-00000000 joined 'simple_bridge' basic-bridge <",
            "    -- <SIP/6666-00000002> Playing 'beep.",
            "    -- Channel SIP/6666-00000002 joined 'simple_bridge' basic-bridge <",
            "    -- Channel SIP/6666-00000002 left 'simple_bridge' basic-bridge <",
            "    -- Channel SIP/1001-00000000 left 'simple_bridge' basic-bridge <",
            "  == Spawn extension (office, 7003, 2) exited non-zero on 'SIP/1001-00000000'",
        ],
    );
    assert!(!t.contains("Executing [700@parkedcalls"), "{t}");
}

/// c3c: nobody takes the call within `parkingtime` (2 s here): it leaves the lot and dials
/// the parker back (`park-dial`, `Dial(SIP/1002,30)`, From 1001); 1002 answers and they talk.
#[test]
fn park_timeout_comes_back_to_the_parker() {
    let port = free_port();
    let dir = office(
        port,
        SEED,
        "parkingtime=>2\ncomebacktoorigin=yes\nparkedcalltransfers=caller\nparkedcallreparking=caller\n",
        "",
    );
    let s = Server::start(dir.path());
    let Call {
        a,
        a_rtp,
        a_to,
        ok,
        b,
        mut b_rtp,
        b_to,
        ..
    } = call_via(port, "7003", "park2");
    std::thread::sleep(Duration::from_millis(300));
    press(&mut b_rtp, b_to, "#");
    assert!(s.wait_line("Started DTMF blind transfer.", 3));
    std::thread::sleep(Duration::from_millis(1500));
    press(&mut b_rtp, b_to, "700");
    assert!(s.wait_line("at space 701", 3));
    let bye = next_request(&b, "BYE");
    ok_to(&b, &bye);
    // The comeback: a new INVITE to 1002.
    let back = b.callee(
        &[180, 200],
        Duration::from_millis(200),
        Duration::from_secs(15),
    );
    assert!(
        s.wait_line(
            "Executing [SIP_1002@park-dial:1] Dial(\"SIP/1001-00000000\", \"SIP/1002,30\") in new stack",
            6
        ),
        "{}",
        trace(&s)
    );
    assert!(s.wait_line("SIP/1002-00000002 answered SIP/1001-00000000", 5));
    let offer = b.offers.lock().unwrap().first().cloned().unwrap();
    let b2_to = rtp_target(offer.as_bytes());
    std::thread::sleep(Duration::from_millis(300));
    drain(&b_rtp);
    let (_a_rtp, heard) = tone_heard(a_rtp, a_to, &b_rtp, 700.0);
    assert!(
        heard > 0.5,
        "1002 did not hear 1001 after the comeback ({heard})"
    );
    // parkedcalltransfers=caller: the parker called back may transfer (BRIDGE_FEATURES=tk).
    press(&mut b_rtp, b2_to, "#");
    assert!(
        s.wait_line("Channel SIP/1002-00000002: Started DTMF blind transfer.", 3),
        "{}",
        trace(&s)
    );
    a.bye(&ok, "7003", "park2");
    assert_eq!(back.join().unwrap(), vec!["INVITE", "ACK", "BYE"]);
    s.wait_idle();
    let t = trace(&s);
    in_order(
        &t,
        &[
            "    -- Parking 'SIP/1001-00000000' in 'default' at space 701",
            "    -- Channel SIP/1001-00000000 left 'holding_bridge' parking-bridge <",
            "    -- Stopped music on hold on SIP/1001-00000000",
            "    -- Executing [SIP_1002@park-dial:1] Dial(\"SIP/1001-00000000\", \"SIP/1002,30\") in new stack",
            "    -- Called SIP/1002",
            "    -- SIP/1002-00000002 answered SIP/1001-00000000",
            "  == Spawn extension (park-dial, SIP_1002, 1) exited non-zero on 'SIP/1001-00000000'",
        ],
    );
    let show = s.rx("parking show default");
    assert!(show.contains("  (none)"), "{show}");
}

/// ParkedCall on a space nobody is parked on: answered, `pbx-invalidpark`, hung up.
#[test]
fn parkedcall_on_an_empty_space_is_invalid() {
    let port = free_port();
    let dir = office(port, SEED, "", "");
    std::fs::write(
        dir.path().join("res_parking.conf"),
        include_str!("fixtures/parking/res_parking.conf"),
    )
    .unwrap();
    let s = Server::start(dir.path());
    // The lot as the reference run's `parking show` lists it.
    assert_eq!(
        s.rx("parking show"),
        include_str!("fixtures/parking/parking_show.txt")
    );
    let (c, _c_rtp) = caller(port, "6666");
    let (seen, ok) = c.call("7701", "empty", "1234");
    assert_eq!(ok.code(), Some(200), "{seen:?}");
    c.ack(&ok, "7701", "empty", 2, false);
    let bye = next_request(&c, "BYE");
    assert_eq!(bye.call_id(), Some("empty"));
    ok_to(&c, &bye);
    s.wait_idle();
    in_order(
        &trace(&s),
        &[
            "    -- Executing [7701@office:1] ParkedCall(\"SIP/6666-00000000\", \"default,701\") in new stack",
            "    -- <SIP/6666-00000000> Playing 'pbx-invalidpark.",
            "  == Spawn extension (office, 7701, 1) exited non-zero on 'SIP/6666-00000000'",
        ],
    );
}

/// 1001 dials 700 itself: Park() answers, says the space to 1001, holds it with music; with
/// `comebacktoorigin=no` the timeout sends it to `comebackcontext` at its flat name, with the
/// PARKING_SPACE / PARKEDLOT / PARKER / PARKER_FLAT variables set.
#[test]
fn park_app_announces_and_times_out_to_the_comeback_context() {
    let port = free_port();
    let dir = office(
        port,
        "[parkedcallstimeout]\nexten => SIP_1001,1,NoOp(back ${PARKING_SPACE} ${PARKEDLOT} ${PARKER} ${PARKER_FLAT})\nsame => n,Hangup()\n",
        "parkingtime=>3\ncomebacktoorigin=no\n",
        "",
    );
    let s = Server::start(dir.path());
    let (a, a_rtp) = caller(port, "1001");
    let (seen, ok) = a.call("700", "self", "1234");
    assert_eq!(ok.code(), Some(200), "{seen:?}");
    a.ack(&ok, "700", "self", 2, false);
    assert!(s.wait_line("Parking 'SIP/1001-00000000' in 'default' at space 701", 3));
    let said = loud_packets(&a_rtp, 1500);
    assert!(
        said >= 20,
        "1001 heard neither the space nor music ({said})"
    );
    let show = s.rx("parking show default");
    assert!(show.contains("  Parker Dial String  :  SIP/1001"), "{show}");
    let bye = next_request(&a, "BYE");
    ok_to(&a, &bye);
    s.wait_idle();
    in_order(
        &trace(&s),
        &[
            "    -- Executing [700@office:1] Park(\"SIP/1001-00000000\", \"\") in new stack",
            "    -- Parking 'SIP/1001-00000000' in 'default' at space 701",
            "    -- Channel SIP/1001-00000000 joined 'holding_bridge' parking-bridge <",
            "    -- <SIP/1001-00000000> Playing 'digits/7.",
            "    -- <SIP/1001-00000000> Playing 'digits/1.",
            "    -- Started music on hold, class 'default', on channel 'SIP/1001-00000000'",
            "    -- Channel SIP/1001-00000000 left 'holding_bridge' parking-bridge <",
            "    -- Executing [SIP_1001@parkedcallstimeout:1] NoOp(\"SIP/1001-00000000\", \"back 701 default SIP/1001 SIP_1001\") in new stack",
        ],
    );
}

/// Dial `k`/`K` with `parkcall=>*3`: the called party's *3 parks the caller (the called
/// party hears the space and is hung up); the caller's *3 parks the called leg (the caller
/// hears the space and is hung up), and 6666 then takes it with `ParkedCall(default)`.
#[test]
fn dial_k_and_big_k_park_the_other_party() {
    let port = free_port();
    let dir = office(
        port,
        "exten => 1002,1,Dial(SIP/1002,,kK)\nsame => n,Hangup()\nexten => 7700,1,ParkedCall(default)\n",
        "parkingtime=>45\n",
        "parkcall=>*3\n",
    );
    let s = Server::start(dir.path());
    // k: 1002 parks 1001.
    let Call {
        a,
        a_rtp,
        ok,
        b,
        mut b_rtp,
        b_to,
        ..
    } = call_via(port, "1002", "kpark");
    std::thread::sleep(Duration::from_millis(300));
    press(&mut b_rtp, b_to, "*3");
    assert!(
        s.wait_line("Parking 'SIP/1001-00000000' in 'default' at space 701", 3),
        "{}",
        trace(&s)
    );
    drain(&b_rtp);
    assert!(loud_packets(&b_rtp, 800) >= 10, "1002 heard no space");
    let bye = next_request(&b, "BYE");
    ok_to(&b, &bye);
    assert!(loud_packets(&a_rtp, 600) >= 10, "1001 heard no music");
    a.bye(&ok, "1002", "kpark");
    s.wait_idle();
    assert!(s.rx("parking show default").contains("  (none)"));
    drop((a, b));
    // K: 1001 parks 1002 (the called leg goes on alone in the lot).
    let Call {
        a,
        mut a_rtp,
        a_to,
        b,
        b_rtp,
        b_to: b_to2,
        b_inv,
        ..
    } = call_via(port, "1002", "bigk");
    std::thread::sleep(Duration::from_millis(300));
    press(&mut a_rtp, a_to, "*3");
    assert!(
        s.wait_line("Parking 'SIP/1002-00000003' in 'default' at space 701", 3),
        "{}",
        trace(&s)
    );
    drain(&a_rtp);
    assert!(loud_packets(&a_rtp, 800) >= 10, "1001 heard no space");
    let bye = next_request(&a, "BYE");
    assert_eq!(bye.call_id(), Some("bigk"));
    ok_to(&a, &bye);
    drain(&b_rtp);
    assert!(loud_packets(&b_rtp, 600) >= 10, "1002 heard no music");
    let show = s.rx("parking show default");
    assert!(
        show.contains("  Channel             :  SIP/1002-00000003"),
        "{show}"
    );
    assert!(show.contains("  Parker Dial String  :  SIP/1001"), "{show}");
    // 6666 takes the first parked call of the lot (ParkedCall without a space) and talks to
    // the parked leg; its hang-up ends the leg (BYE to 1002).
    let (c, c_rtp) = caller(port, "6666");
    let (seen, ok) = c.call("7700", "first", "1234");
    assert_eq!(ok.code(), Some(200), "{seen:?}");
    c.ack(&ok, "7700", "first", 2, false);
    assert!(s.wait_line(
        "Channel SIP/1002-00000003 left 'holding_bridge' parking-bridge",
        3
    ));
    assert!(s.wait_line(
        "Channel SIP/6666-00000004 joined 'simple_bridge' basic-bridge",
        5
    ));
    std::thread::sleep(Duration::from_millis(200));
    drain(&c_rtp);
    let (_b_rtp, heard) = tone_heard(b_rtp, b_to2, &c_rtp, 700.0);
    assert!(heard > 0.5, "6666 did not hear the parked 1002 ({heard})");
    c.bye(&ok, "7700", "first");
    let bye = next_request(&b, "BYE");
    assert_eq!(bye.call_id(), b_inv.call_id());
    ok_to(&b, &bye);
    s.wait_idle();
    assert!(s.rx("parking show default").contains("  (none)"));
    in_order(
        &trace(&s),
        &[
            "    -- Parking 'SIP/1001-00000000' in 'default' at space 701",
            "    -- <SIP/1002-00000001> Playing 'digits/7.",
            "    -- Channel SIP/1002-00000001 left 'simple_bridge' basic-bridge <",
            "    -- Channel SIP/1002-00000003 left 'simple_bridge' basic-bridge <",
            "    -- Parking 'SIP/1002-00000003' in 'default' at space 701",
            "    -- <SIP/1001-00000002> Playing 'digits/7.",
            "    -- Channel SIP/1001-00000002 left 'simple_bridge' basic-bridge <",
        ],
    );
}

/// Without `parkcall` in features.conf (Asterisk 20's default), `k` arms nothing: *3 goes
/// through to the caller and nobody is parked.
#[test]
fn k_without_parkcall_does_nothing() {
    let port = free_port();
    let dir = office(
        port,
        "exten => 1002,1,Dial(SIP/1002,,k)\nsame => n,Hangup()\n",
        "",
        "",
    );
    let s = Server::start(dir.path());
    let Call {
        a,
        ok,
        mut b_rtp,
        b_to,
        ..
    } = call_via(port, "1002", "nopark");
    std::thread::sleep(Duration::from_millis(300));
    press(&mut b_rtp, b_to, "*3");
    std::thread::sleep(Duration::from_millis(800));
    a.bye(&ok, "1002", "nopark");
    s.wait_idle();
    assert!(!trace(&s).contains("Parking '"), "{}", trace(&s));
}

/// The caller (`T`) blind-transfers the called party to 700: 1002 is parked (music), 1001
/// hears the space and is hung up; `parking show` names 1001 as the parker.
#[test]
fn caller_blind_transfer_to_700_parks_the_called_party() {
    let port = free_port();
    let dir = office(
        port,
        "exten => 7005,1,Set(__TRANSFER_CONTEXT=parkedcalls)\nsame => 2,Dial(SIP/1002,,T)\nsame => 3,Hangup()\n",
        "parkingtime=>45\n",
        "",
    );
    let s = Server::start(dir.path());
    let Call {
        a,
        mut a_rtp,
        a_to,
        b,
        b_rtp,
        b_inv,
        ..
    } = call_via(port, "7005", "tpark");
    std::thread::sleep(Duration::from_millis(300));
    press(&mut a_rtp, a_to, "#");
    assert!(s.wait_line("Channel SIP/1001-00000000: Started DTMF blind transfer.", 3));
    std::thread::sleep(Duration::from_millis(1500));
    press(&mut a_rtp, a_to, "700");
    assert!(
        s.wait_line("Parking 'SIP/1002-00000001' in 'default' at space 701", 3),
        "{}",
        trace(&s)
    );
    drain(&a_rtp);
    assert!(loud_packets(&a_rtp, 800) >= 10, "1001 heard no space");
    let bye = next_request(&a, "BYE");
    assert_eq!(bye.call_id(), Some("tpark"));
    ok_to(&a, &bye);
    drain(&b_rtp);
    assert!(loud_packets(&b_rtp, 600) >= 10, "1002 heard no music");
    let show = s.rx("parking show default");
    assert!(
        show.contains("  Channel             :  SIP/1002-00000001"),
        "{show}"
    );
    assert!(show.contains("  Parker Dial String  :  SIP/1001"), "{show}");
    // The parked leg hangs up: it leaves the lot.
    let me = b.sock.local_addr().unwrap();
    b.send(&format!(
        "BYE sip:1002@127.0.0.1:{} SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch=z9hG4bK-tp;rport\r\n\
         From: {};tag=1002t\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: 7 BYE\r\nContent-Length: 0\r\n\r\n",
        b.port,
        b_inv.header("To").unwrap(),
        b_inv.header("From").unwrap(),
        b_inv.call_id().unwrap()
    ));
    assert!(s.wait_line(
        "Channel SIP/1002-00000001 left 'holding_bridge' parking-bridge",
        3
    ));
    s.wait_idle();
    assert!(s.rx("parking show default").contains("  (none)"));
    in_order(
        &trace(&s),
        &[
            "    -- Channel SIP/1001-00000000: Started DTMF blind transfer.",
            "    -- Started music on hold, class 'default', on channel 'SIP/1002-00000001'",
            "    -- Stopped music on hold on SIP/1002-00000001",
            "    -- Channel SIP/1002-00000001 left 'simple_bridge' basic-bridge <",
            "    -- Parking 'SIP/1002-00000001' in 'default' at space 701",
            "    -- Channel SIP/1002-00000001 joined 'holding_bridge' parking-bridge <",
            "    -- <SIP/1001-00000000> Playing 'digits/7.",
            "    -- Channel SIP/1001-00000000 left 'simple_bridge' basic-bridge <",
        ],
    );
}

/// Park's options: `s` (no announcement), `t(1)` (1 s instead of the lot's 45), and
/// `c(context,exten,priority)` (where the call goes when it times out).
#[test]
fn park_options_silence_timeout_and_comeback_target() {
    let port = free_port();
    let dir = office(
        port,
        "exten => 7800,1,Park(default,st(1)c(back,s,2))\n\
         [back]\nexten => s,1,NoOp(wrong)\nsame => 2,NoOp(back from ${PARKING_SPACE})\nsame => 3,Hangup()\n",
        "parkingtime=>45\n",
        "",
    );
    let s = Server::start(dir.path());
    let (a, _a_rtp) = caller(port, "1001");
    let (seen, ok) = a.call("7800", "opts", "1234");
    assert_eq!(ok.code(), Some(200), "{seen:?}");
    a.ack(&ok, "7800", "opts", 2, false);
    let bye = next_request(&a, "BYE");
    ok_to(&a, &bye);
    s.wait_idle();
    let t = trace(&s);
    in_order(
        &t,
        &[
            "    -- Parking 'SIP/1001-00000000' in 'default' at space 701",
            "    -- Started music on hold, class 'default', on channel 'SIP/1001-00000000'",
            "    -- Channel SIP/1001-00000000 left 'holding_bridge' parking-bridge <",
            "    -- Executing [s@back:2] NoOp(\"SIP/1001-00000000\", \"back from 701\") in new stack",
        ],
    );
    assert!(!t.contains("Playing 'digits/"), "{t}");
    assert!(!t.contains("NoOp(\"SIP/1001-00000000\", \"wrong\")"), "{t}");
}
