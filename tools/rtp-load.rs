//! zvezda-rtp-load: N bridged G.711 calls through a PBX with RTP on both legs, for
//! `tools/bench-rtp` (see tools/perf/README.md).
//!
//! It is both ends of every call: the caller (UAC, SIP and RTP on 127.0.0.2) sends
//! `INVITE sip:<1000000+i>@server` (matched by address to a trusted peer whose dialplan runs
//! `Dial(SIP/uas/${EXTEN})`), the callee (UAS, 127.0.0.3) answers the PBX's INVITE with 200 OK.
//! Once the calls are up, one thread paced by a 1 ms timer sends 20 ms A-law packets (50 a
//! second) on every leg in both directions, the legs' phases spread evenly over the 20 ms;
//! one receiver thread per side reads what the PBX relays. Each payload carries the call,
//! the direction, a per-leg sequence number and the send time, so the receivers count
//! packets lost end to end (whatever the PBX renumbers), per-leg sequence gaps, and the
//! jitter the path adds: the RFC 3550 estimator over transit times (receive minus send),
//! next to the RFC 3550 interarrival jitter on the PBX's own RTP timestamps and the
//! generator's own sending jitter. Only packets sent in the measuring window count.
//!
//! With `--pid` it reads the PBX's CPU ticks and RSS from /proc at the window's edges, and the
//! UDP receive-buffer drops of the PBX's sockets (`--rtp-range`) and of its own from
//! /proc/net/udp. Prints one table row (`--header` for the header line first).

use clap::Parser;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use zvezda::media::rtp::{self, RtpHeader};
use zvezda::sip::message::{param, Message, StartLine};
use zvezda::sip::sdp;

#[derive(Parser)]
#[command(
    name = "zvezda-rtp-load",
    about = "Bridged G.711 calls with RTP on both legs"
)]
struct Args {
    /// The PBX's SIP address.
    #[arg(long, default_value = "127.0.0.1:5990")]
    server: SocketAddr,
    /// Calls to place.
    #[arg(long, default_value_t = 100)]
    calls: usize,
    /// Call setup rate (calls a second).
    #[arg(long, default_value_t = 400)]
    rate: u32,
    /// The caller side's address (SIP port 5070, RTP port 40000).
    #[arg(long, default_value = "127.0.0.2")]
    uac: IpAddr,
    /// The callee side's address (SIP port 5080, RTP port 40000).
    #[arg(long, default_value = "127.0.0.3")]
    uas: IpAddr,
    /// Seconds of RTP before the window.
    #[arg(long, default_value_t = 3.0)]
    warmup: f64,
    /// Seconds measured.
    #[arg(long, default_value_t = 10.0)]
    window: f64,
    /// The PBX's process id (CPU, RSS).
    #[arg(long)]
    pid: Option<u32>,
    /// The PBX's RTP port range (its sockets' drops in /proc/net/udp): START-END.
    #[arg(long, default_value = "10000-30000")]
    rtp_range: String,
    /// Print the table header first.
    #[arg(long)]
    header: bool,
}

const SIP_UAC: u16 = 5070;
const SIP_UAS: u16 = 5080;
const RTP_PORT: u16 = 40000;
const MAGIC: &[u8; 4] = b"ZVRL";
const PTIME: Duration = Duration::from_millis(20);
const EXT_BASE: usize = 1_000_000;

#[derive(Clone, Default)]
struct Call {
    /// Where the PBX wants the caller leg's RTP (its answer).
    a_remote: Option<SocketAddr>,
    a_to: Option<String>,
    a_failed: bool,
    /// Where the PBX wants the callee leg's RTP (its offer).
    b_remote: Option<SocketAddr>,
    bye_ok: bool,
    b_bye: bool,
}

struct Shared {
    calls: Mutex<Vec<Call>>,
    stop: AtomicBool,
    nonce: String,
    uac: SocketAddr,
    uas: SocketAddr,
}

fn udp(addr: SocketAddr) -> std::io::Result<UdpSocket> {
    let s = socket2::Socket::new(
        socket2::Domain::IPV4,
        socket2::Type::DGRAM,
        Some(socket2::Protocol::UDP),
    )?;
    s.set_reuse_address(true)?;
    let _ = s.set_recv_buffer_size(4 << 20);
    let _ = s.set_send_buffer_size(4 << 20);
    s.bind(&addr.into())?;
    let s: UdpSocket = s.into();
    s.set_read_timeout(Some(Duration::from_millis(100)))?;
    Ok(s)
}

fn sdp_body(ip: IpAddr, id: usize) -> String {
    format!(
        "v=0\r\no=- {id} 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n\
         m=audio {RTP_PORT} RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\na=ptime:20\r\na=sendrecv\r\n"
    )
}

fn remote_of(m: &Message, default: IpAddr) -> Option<SocketAddr> {
    let o = sdp::parse(&m.body)?;
    Some(SocketAddr::new(o.addr.unwrap_or(default), o.port))
}

/// A response to `req`, its Vias, From, Call-ID and CSeq copied; `tag` added to To.
fn response(req: &Message, code: u16, reason: &str, tag: &str, extra: &str, body: &str) -> String {
    let mut s = format!("SIP/2.0 {code} {reason}\r\n");
    for v in req.headers_named("Via") {
        s += &format!("Via: {v}\r\n");
    }
    let to = req.header("To").unwrap_or("");
    let to = if param(to, "tag").is_some() || tag.is_empty() {
        to.to_string()
    } else {
        format!("{to};tag={tag}")
    };
    s += &format!(
        "From: {}\r\nTo: {to}\r\nCall-ID: {}\r\nCSeq: {}\r\n{extra}",
        req.header("From").unwrap_or(""),
        req.call_id().unwrap_or(""),
        req.header("CSeq").unwrap_or(""),
    );
    if body.is_empty() {
        s += "Content-Length: 0\r\n\r\n";
    } else {
        s += &format!(
            "Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
    }
    s
}

fn invite(sh: &Shared, server: SocketAddr, i: usize) -> String {
    let body = sdp_body(sh.uac.ip(), i);
    let n = &sh.nonce;
    let uac = sh.uac;
    format!(
        "INVITE sip:{ext}@{server} SIP/2.0\r\nVia: SIP/2.0/UDP {uac};branch=z9hG4bK{n}i{i}\r\n\
         Max-Forwards: 70\r\nFrom: <sip:load@{uac}>;tag=a{n}{i}\r\nTo: <sip:{ext}@{server}>\r\n\
         Call-ID: rl{n}-{i}@{uac}\r\nCSeq: 1 INVITE\r\nContact: <sip:load@{uac}>\r\n\
         Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{body}",
        body.len(),
        ext = EXT_BASE + i,
    )
}

fn ack_or_bye(sh: &Shared, server: SocketAddr, i: usize, to: &str, bye: bool) -> String {
    let n = &sh.nonce;
    let uac = sh.uac;
    let (method, cseq, branch) = if bye {
        ("BYE", 2, format!("z9hG4bK{n}b{i}"))
    } else {
        ("ACK", 1, format!("z9hG4bK{n}a{i}"))
    };
    format!(
        "{method} sip:{ext}@{server} SIP/2.0\r\nVia: SIP/2.0/UDP {uac};branch={branch}\r\n\
         Max-Forwards: 70\r\nFrom: <sip:load@{uac}>;tag=a{n}{i}\r\nTo: {to}\r\n\
         Call-ID: rl{n}-{i}@{uac}\r\nCSeq: {cseq} {method}\r\nContent-Length: 0\r\n\r\n",
        ext = EXT_BASE + i,
    )
}

fn call_index(sh: &Shared, call_id: &str) -> Option<usize> {
    let rest = call_id.strip_prefix(&format!("rl{}-", sh.nonce))?;
    rest.split('@').next()?.parse().ok()
}

/// The caller side's SIP: 200 OK → ACK, the PBX's requests → 200.
fn uac_sip(sh: Arc<Shared>, sock: UdpSocket, server: SocketAddr) {
    let mut buf = vec![0u8; 65536];
    while !sh.stop.load(Ordering::Relaxed) {
        let Ok((n, from)) = sock.recv_from(&mut buf) else {
            continue;
        };
        let Ok((m, _)) = Message::parse(&buf[..n], false) else {
            continue;
        };
        match &m.start {
            StartLine::Response { code, .. } => {
                let Some(i) = m.call_id().and_then(|c| call_index(&sh, c)) else {
                    continue;
                };
                let method = m.cseq().map(|c| c.1).unwrap_or_default();
                let mut calls = sh.calls.lock().unwrap();
                let Some(c) = calls.get_mut(i) else { continue };
                match (method.as_str(), *code) {
                    ("INVITE", 200..=299) => {
                        let to = m.header("To").unwrap_or("").to_string();
                        c.a_remote = remote_of(&m, server.ip());
                        c.a_to = Some(to.clone());
                        drop(calls);
                        let _ =
                            sock.send_to(ack_or_bye(&sh, server, i, &to, false).as_bytes(), from);
                    }
                    ("INVITE", 300..) => {
                        c.a_failed = true;
                        let to = m.header("To").unwrap_or("").to_string();
                        drop(calls);
                        // ACK for a failure: same branch as the INVITE.
                        let n = &sh.nonce;
                        let uac = sh.uac;
                        let ack = format!(
                            "ACK sip:{ext}@{server} SIP/2.0\r\nVia: SIP/2.0/UDP {uac};branch=z9hG4bK{n}i{i}\r\n\
                             Max-Forwards: 70\r\nFrom: <sip:load@{uac}>;tag=a{n}{i}\r\nTo: {to}\r\n\
                             Call-ID: rl{n}-{i}@{uac}\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n",
                            ext = EXT_BASE + i
                        );
                        let _ = sock.send_to(ack.as_bytes(), from);
                    }
                    ("BYE", 200..) => c.bye_ok = true,
                    _ => {}
                }
            }
            StartLine::Request { method, .. } => {
                if method != "ACK" {
                    let r = response(&m, 200, "OK", "", "", "");
                    let _ = sock.send_to(r.as_bytes(), from);
                }
            }
        }
    }
}

/// The callee side's SIP: INVITE → 200 OK with our SDP, BYE and anything else → 200.
fn uas_sip(sh: Arc<Shared>, sock: UdpSocket) {
    let mut buf = vec![0u8; 65536];
    let body = sdp_body(sh.uas.ip(), 1);
    while !sh.stop.load(Ordering::Relaxed) {
        let Ok((n, from)) = sock.recv_from(&mut buf) else {
            continue;
        };
        let Ok((m, _)) = Message::parse(&buf[..n], false) else {
            continue;
        };
        let StartLine::Request { method, uri } = &m.start else {
            continue;
        };
        let idx = uri
            .strip_prefix("sip:")
            .and_then(|u| u.split('@').next())
            .and_then(|u| u.parse::<usize>().ok())
            .and_then(|u| u.checked_sub(EXT_BASE));
        let r = match method.as_str() {
            "ACK" => continue,
            "INVITE" => {
                if let Some(i) = idx {
                    if let Some(c) = sh.calls.lock().unwrap().get_mut(i) {
                        c.b_remote = remote_of(&m, from.ip());
                    }
                }
                // The index in the Contact too: the PBX's BYE is sent there.
                let contact = format!(
                    "Contact: <sip:{}@{}>\r\n",
                    EXT_BASE + idx.unwrap_or(0),
                    sh.uas
                );
                response(
                    &m,
                    200,
                    "OK",
                    &format!("b{}", idx.unwrap_or(0)),
                    &contact,
                    &body,
                )
            }
            "BYE" => {
                if let Some(i) = idx {
                    if let Some(c) = sh.calls.lock().unwrap().get_mut(i) {
                        c.b_bye = true;
                    }
                }
                response(&m, 200, "OK", "", "", "")
            }
            _ => response(&m, 200, "OK", "", "", ""),
        };
        let _ = sock.send_to(r.as_bytes(), from);
    }
}

/// One RTP leg as the sender sees it.
struct TxLeg {
    to: SocketAddr,
    call: u32,
    dir: u8,
    seq: u32,
    ts: u32,
    last_send: Option<Instant>,
    /// RFC 3550 estimator of the sending times against the 20 ms clock (µs).
    jitter: f64,
    sent_win: u64,
}

#[derive(Clone, Copy, Default)]
struct RxLeg {
    recv_win: u64,
    last_seq: Option<u32>,
    gaps: u64,
    reorder: u64,
    last_transit: Option<i64>,
    /// RFC 3550 estimator over transit times (µs): what the path added.
    added: f64,
    last_rx: Option<(i64, u32)>,
    /// RFC 3550 interarrival jitter on the PBX's RTP timestamps (µs).
    rx_jitter: f64,
    max_transit: i64,
}

struct Window {
    epoch: Instant,
    w0: Instant,
    w1: Instant,
}

/// `sendmmsg(2)`: every packet of `pkts` (len each) to its address; how many went.
fn send_batch(sock: &UdpSocket, pkts: &[[u8; PKT]], to: &[libc::sockaddr_in]) -> usize {
    use std::os::fd::AsRawFd;
    let mut iov: Vec<libc::iovec> = pkts
        .iter()
        .map(|p| libc::iovec {
            iov_base: p.as_ptr() as *mut libc::c_void,
            iov_len: PKT,
        })
        .collect();
    let mut msgs: Vec<libc::mmsghdr> = (0..pkts.len())
        .map(|i| {
            // SAFETY: an all-zero msghdr is valid; the pointers set below outlive the call.
            let mut h: libc::mmsghdr = unsafe { std::mem::zeroed() };
            h.msg_hdr.msg_name = &to[i] as *const libc::sockaddr_in as *mut libc::c_void;
            h.msg_hdr.msg_namelen = std::mem::size_of::<libc::sockaddr_in>() as u32;
            h.msg_hdr.msg_iov = &mut iov[i];
            h.msg_hdr.msg_iovlen = 1;
            h
        })
        .collect();
    let mut done = 0;
    while done < msgs.len() {
        // SAFETY: msgs[done..] are valid mmsghdrs pointing at live buffers.
        let r = unsafe {
            libc::sendmmsg(
                sock.as_raw_fd(),
                msgs[done..].as_mut_ptr(),
                (msgs.len() - done) as u32,
                0,
            )
        };
        if r <= 0 {
            break;
        }
        done += r as usize;
    }
    done
}

fn sockaddr(a: SocketAddr) -> libc::sockaddr_in {
    // SAFETY: an all-zero sockaddr_in is valid.
    let mut s: libc::sockaddr_in = unsafe { std::mem::zeroed() };
    s.sin_family = libc::AF_INET as libc::sa_family_t;
    s.sin_port = a.port().to_be();
    if let IpAddr::V4(v) = a.ip() {
        s.sin_addr.s_addr = u32::from_ne_bytes(v.octets());
    }
    s
}

const PKT: usize = 12 + 160;

/// Every 1 ms, the twentieth of the legs due: one `sendmmsg` a side.
fn sender(
    sh: Arc<Shared>,
    socks: [UdpSocket; 2],
    mut legs: Vec<TxLeg>,
    win: Arc<Window>,
) -> Vec<TxLeg> {
    let mut payload = [0xD5u8; 160];
    payload[..4].copy_from_slice(MAGIC);
    let slots = 20usize;
    let addrs: Vec<libc::sockaddr_in> = legs.iter().map(|l| sockaddr(l.to)).collect();
    let mut next = Instant::now();
    let mut slot = 0usize;
    let mut pkts: [Vec<[u8; PKT]>; 2] = [Vec::new(), Vec::new()];
    let mut to: [Vec<libc::sockaddr_in>; 2] = [Vec::new(), Vec::new()];
    let mut which: [Vec<usize>; 2] = [Vec::new(), Vec::new()];
    while !sh.stop.load(Ordering::Relaxed) {
        let now = Instant::now();
        if now < next {
            std::thread::sleep(next - now);
        }
        let t = Instant::now();
        let in_win = t >= win.w0 && t < win.w1;
        let us = t.duration_since(win.epoch).as_micros() as u64;
        for side in 0..2 {
            pkts[side].clear();
            to[side].clear();
            which[side].clear();
        }
        for k in (slot..legs.len()).step_by(slots) {
            let leg = &mut legs[k];
            payload[4..8].copy_from_slice(&leg.call.to_be_bytes());
            payload[8] = leg.dir;
            payload[9] = in_win as u8;
            payload[10..14].copy_from_slice(&leg.seq.to_be_bytes());
            payload[14..22].copy_from_slice(&us.to_be_bytes());
            let h = RtpHeader {
                payload_type: 8,
                marker: leg.seq == 0,
                sequence: leg.seq as u16,
                timestamp: leg.ts,
                ssrc: leg.call * 2 + leg.dir as u32 + 1,
            };
            let mut pkt = [0u8; PKT];
            if rtp::write(&h, &payload, &mut pkt).is_err() {
                continue;
            }
            let side = leg.dir as usize;
            pkts[side].push(pkt);
            to[side].push(addrs[k]);
            which[side].push(k);
            leg.seq += 1;
            leg.ts = leg.ts.wrapping_add(160);
        }
        for side in 0..2 {
            let sent = send_batch(&socks[side], &pkts[side], &to[side]);
            if !in_win {
                continue;
            }
            for &k in &which[side][..sent] {
                let leg = &mut legs[k];
                leg.sent_win += 1;
                if let Some(prev) = leg.last_send {
                    let d = t.duration_since(prev).as_micros() as f64 - 20_000.0;
                    leg.jitter += (d.abs() - leg.jitter) / 16.0;
                }
                leg.last_send = Some(t);
            }
        }
        slot = (slot + 1) % slots;
        next += PTIME / slots as u32;
    }
    legs
}

/// One datagram that arrived at `now` (µs since the epoch).
fn on_datagram(legs: &mut [RxLeg], other: &mut u64, buf: &[u8], now: i64) {
    let Ok(p) = rtp::parse(buf) else {
        *other += 1;
        return;
    };
    let pl = p.payload;
    if pl.len() < 22 || &pl[..4] != MAGIC {
        *other += 1;
        return;
    }
    let call = u32::from_be_bytes(pl[4..8].try_into().unwrap()) as usize;
    if pl[9] == 0 || call >= legs.len() {
        return;
    }
    let seq = u32::from_be_bytes(pl[10..14].try_into().unwrap());
    let sent = u64::from_be_bytes(pl[14..22].try_into().unwrap()) as i64;
    let l = &mut legs[call];
    l.recv_win += 1;
    match l.last_seq {
        Some(s) if seq <= s => l.reorder += 1,
        Some(s) => {
            l.gaps += (seq - s - 1) as u64;
            l.last_seq = Some(seq);
        }
        None => l.last_seq = Some(seq),
    }
    let transit = now - sent;
    l.max_transit = l.max_transit.max(transit);
    if let Some(prev) = l.last_transit {
        l.added += ((transit - prev).abs() as f64 - l.added) / 16.0;
    }
    l.last_transit = Some(transit);
    let ts = p.header.timestamp;
    if let Some((pa, pts)) = l.last_rx {
        let d = (now - pa) - (ts.wrapping_sub(pts) as i32 as i64) * 125;
        l.rx_jitter += (d.abs() as f64 - l.rx_jitter) / 16.0;
    }
    l.last_rx = Some((now, ts));
}

/// `recvmmsg(2)` up to 64 datagrams at a time (blocking for the first, up to the socket's
/// 100 ms timeout).
fn receiver(sh: Arc<Shared>, sock: UdpSocket, n: usize, win: Arc<Window>) -> (Vec<RxLeg>, u64) {
    use std::os::fd::AsRawFd;
    const B: usize = 64;
    let mut legs = vec![RxLeg::default(); n];
    let mut other = 0u64;
    let mut bufs = vec![[0u8; 2048]; B];
    let mut iov: Vec<libc::iovec> = bufs
        .iter_mut()
        .map(|b| libc::iovec {
            iov_base: b.as_mut_ptr() as *mut libc::c_void,
            iov_len: b.len(),
        })
        .collect();
    let mut msgs: Vec<libc::mmsghdr> = iov
        .iter_mut()
        .map(|v| {
            // SAFETY: an all-zero mmsghdr is valid; iov outlives every call below.
            let mut h: libc::mmsghdr = unsafe { std::mem::zeroed() };
            h.msg_hdr.msg_iov = v;
            h.msg_hdr.msg_iovlen = 1;
            h
        })
        .collect();
    while !sh.stop.load(Ordering::Relaxed) {
        // SAFETY: msgs point at B live buffers of their stated length.
        let r = unsafe {
            libc::recvmmsg(
                sock.as_raw_fd(),
                msgs.as_mut_ptr(),
                B as u32,
                libc::MSG_WAITFORONE,
                std::ptr::null_mut(),
            )
        };
        if r <= 0 {
            continue;
        }
        let now = win.epoch.elapsed().as_micros() as i64;
        for (m, b) in msgs.iter().zip(bufs.iter()).take(r as usize) {
            on_datagram(&mut legs, &mut other, &b[..m.msg_len as usize], now);
        }
    }
    (legs, other)
}

fn proc_cpu(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &s[s.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

fn proc_rss_kb(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// UDP receive-buffer drops: (the PBX's sockets on its RTP range, ours on RTP_PORT).
fn udp_drops(range: (u16, u16), ours: [IpAddr; 2]) -> (u64, u64) {
    let Ok(s) = std::fs::read_to_string("/proc/net/udp") else {
        return (0, 0);
    };
    let hex = |ip: IpAddr| match ip {
        IpAddr::V4(v) => format!("{:08X}", u32::from_le_bytes(v.octets())),
        IpAddr::V6(_) => String::new(),
    };
    let ours: Vec<String> = ours
        .iter()
        .map(|&i| format!("{}:{RTP_PORT:04X}", hex(i)))
        .collect();
    let (mut pbx, mut gen) = (0, 0);
    for l in s.lines().skip(1) {
        let f: Vec<&str> = l.split_whitespace().collect();
        let (Some(local), Some(drops)) = (f.get(1), f.last().and_then(|d| d.parse::<u64>().ok()))
        else {
            continue;
        };
        if ours.iter().any(|o| o == local) {
            gen += drops;
        } else if let Some(p) = local
            .split(':')
            .nth(1)
            .and_then(|p| u16::from_str_radix(p, 16).ok())
        {
            if p >= range.0 && p <= range.1 && local.starts_with("0100007F") {
                pbx += drops;
            }
        }
    }
    (pbx, gen)
}

fn main() {
    let a = Args::parse();
    let range = a
        .rtp_range
        .split_once('-')
        .and_then(|(x, y)| Some((x.parse().ok()?, y.parse().ok()?)))
        .unwrap_or((10000, 30000));
    let n = a.calls;
    let nonce = format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64 & 0xffffff)
            .unwrap_or(0)
    );
    let sh = Arc::new(Shared {
        calls: Mutex::new(vec![Call::default(); n]),
        stop: AtomicBool::new(false),
        nonce,
        uac: SocketAddr::new(a.uac, SIP_UAC),
        uas: SocketAddr::new(a.uas, SIP_UAS),
    });
    let sip_a = udp(sh.uac).expect("bind the caller's SIP socket");
    let sip_b = udp(sh.uas).expect("bind the callee's SIP socket");
    let rtp_a = udp(SocketAddr::new(a.uac, RTP_PORT)).expect("bind the caller's RTP socket");
    let rtp_b = udp(SocketAddr::new(a.uas, RTP_PORT)).expect("bind the callee's RTP socket");
    let sip_tx = sip_a.try_clone().unwrap();
    let t_uac = {
        let sh = sh.clone();
        std::thread::spawn(move || uac_sip(sh, sip_a, a.server))
    };
    let t_uas = {
        let sh = sh.clone();
        std::thread::spawn(move || uas_sip(sh, sip_b))
    };

    // Set the calls up, paced; INVITEs without an answer are sent again (up to 3 times).
    let t0 = Instant::now();
    let gap = Duration::from_secs_f64(1.0 / a.rate.max(1) as f64);
    for i in 0..n {
        let due = t0 + gap * i as u32;
        let now = Instant::now();
        if due > now {
            std::thread::sleep(due - now);
        }
        let _ = sip_tx.send_to(invite(&sh, a.server, i).as_bytes(), a.server);
    }
    let up = |sh: &Shared| {
        sh.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|c| c.a_remote.is_some() && c.b_remote.is_some())
            .count()
    };
    for _ in 0..3 {
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline && up(&sh) < n {
            std::thread::sleep(Duration::from_millis(50));
        }
        let missing: Vec<usize> = sh
            .calls
            .lock()
            .unwrap()
            .iter()
            .enumerate()
            .filter(|(_, c)| c.a_to.is_none() && !c.a_failed)
            .map(|(i, _)| i)
            .collect();
        if missing.is_empty() {
            break;
        }
        for i in missing {
            let _ = sip_tx.send_to(invite(&sh, a.server, i).as_bytes(), a.server);
            std::thread::sleep(gap);
        }
    }
    let setup_s = t0.elapsed().as_secs_f64();
    let calls = sh.calls.lock().unwrap().clone();
    let mut legs = Vec::new();
    for (i, c) in calls.iter().enumerate() {
        if let (Some(ra), Some(rb)) = (c.a_remote, c.b_remote) {
            for (dir, to) in [(0u8, ra), (1u8, rb)] {
                legs.push(TxLeg {
                    to,
                    call: i as u32,
                    dir,
                    seq: 0,
                    ts: (i as u32).wrapping_mul(7919),
                    last_send: None,
                    jitter: 0.0,
                    sent_win: 0,
                });
            }
        }
    }
    let calls_up = legs.len() / 2;

    // RTP: warm-up, the window, a second's grace for packets in flight.
    let epoch = Instant::now();
    let w0 = epoch + Duration::from_secs_f64(a.warmup);
    let w1 = w0 + Duration::from_secs_f64(a.window);
    let win = Arc::new(Window { epoch, w0, w1 });
    let rsh = Arc::new(Shared {
        calls: Mutex::new(Vec::new()),
        stop: AtomicBool::new(false),
        nonce: String::new(),
        uac: sh.uac,
        uas: sh.uas,
    });
    let rx_a = rtp_a.try_clone().unwrap();
    let rx_b = rtp_b.try_clone().unwrap();
    let tx_stop = Arc::new(Shared {
        calls: Mutex::new(Vec::new()),
        stop: AtomicBool::new(false),
        nonce: String::new(),
        uac: sh.uac,
        uas: sh.uas,
    });
    let t_tx = {
        let (tsh, win) = (tx_stop.clone(), win.clone());
        std::thread::spawn(move || sender(tsh, [rtp_a, rtp_b], legs, win))
    };
    // Caller side receives what the callee sent (dir 1) and vice versa.
    let t_rx: Vec<_> = [rx_a, rx_b]
        .into_iter()
        .map(|s| {
            let (rsh, win) = (rsh.clone(), win.clone());
            std::thread::spawn(move || receiver(rsh, s, n, win))
        })
        .collect();
    let self_pid = std::process::id();
    let sleep_until = |t: Instant| {
        let now = Instant::now();
        if t > now {
            std::thread::sleep(t - now);
        }
    };
    sleep_until(w0);
    let cpu0 = a.pid.and_then(proc_cpu);
    let gen0 = proc_cpu(self_pid);
    let drops0 = udp_drops(range, [a.uac, a.uas]);
    sleep_until(w1);
    let cpu1 = a.pid.and_then(proc_cpu);
    let gen1 = proc_cpu(self_pid);
    let rss = a.pid.and_then(proc_rss_kb);
    // Traffic goes on for a second; then the receivers get 3 s more for what is still
    // queued (a packet that comes later than that counts as lost).
    std::thread::sleep(Duration::from_secs(1));
    tx_stop.stop.store(true, Ordering::Relaxed);
    let txl = t_tx.join().unwrap();
    std::thread::sleep(Duration::from_secs(3));
    let drops1 = udp_drops(range, [a.uac, a.uas]);
    rsh.stop.store(true, Ordering::Relaxed);
    let rx: Vec<(Vec<RxLeg>, u64)> = t_rx.into_iter().map(|t| t.join().unwrap()).collect();

    // Hang up.
    let tos: Vec<(usize, String)> = sh
        .calls
        .lock()
        .unwrap()
        .iter()
        .enumerate()
        .filter_map(|(i, c)| c.a_to.clone().map(|t| (i, t)))
        .collect();
    for (k, (i, to)) in tos.iter().enumerate() {
        let _ = sip_tx.send_to(ack_or_bye(&sh, a.server, *i, to, true).as_bytes(), a.server);
        if k % 100 == 99 {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    let byes = |sh: &Shared| {
        sh.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|c| c.bye_ok && c.b_bye)
            .count()
    };
    while Instant::now() < deadline && byes(&sh) < tos.len() {
        std::thread::sleep(Duration::from_millis(50));
    }
    let hung = byes(&sh);
    sh.stop.store(true, Ordering::Relaxed);
    let _ = t_uac.join();
    let _ = t_uas.join();

    // Figures. Legs: dir 0 (caller → PBX → callee) received on the callee's socket (rx[1]).
    let sent: u64 = txl.iter().map(|l| l.sent_win).sum();
    let mut recv = 0u64;
    let mut gaps = 0u64;
    let mut reorder = 0u64;
    let (mut added_sum, mut added_max, mut rxj_sum, mut rxj_max, mut maxtr) =
        (0.0, 0.0f64, 0.0, 0.0f64, 0i64);
    let mut nlegs = 0usize;
    for l in &txl {
        let r = &rx[if l.dir == 0 { 1 } else { 0 }].0[l.call as usize];
        recv += r.recv_win;
        gaps += r.gaps;
        reorder += r.reorder;
        if r.recv_win > 1 {
            nlegs += 1;
            added_sum += r.added;
            added_max = added_max.max(r.added);
            rxj_sum += r.rx_jitter;
            rxj_max = rxj_max.max(r.rx_jitter);
            maxtr = maxtr.max(r.max_transit);
        }
    }
    let other: u64 = rx.iter().map(|r| r.1).sum();
    let txj = txl.iter().map(|l| l.jitter).sum::<f64>() / txl.len().max(1) as f64;
    let txj_max = txl.iter().map(|l| l.jitter).fold(0.0, f64::max);
    let nl = nlegs.max(1) as f64;
    let ticks = 100.0; // sysconf(_SC_CLK_TCK) is 100 on Linux.
    let pct = |c0: Option<u64>, c1: Option<u64>| match (c0, c1) {
        (Some(x), Some(y)) => Some((y - x) as f64 / ticks / a.window * 100.0),
        _ => None,
    };
    let cpu = pct(cpu0, cpu1);
    let gen = pct(gen0, gen1);
    let lost = sent.saturating_sub(recv);
    if a.header {
        println!(
            "{:>5} {:>5} {:>7} {:>9} {:>8} {:>6} {:>6} {:>9} {:>9} {:>7} {:>7} {:>6} {:>13} {:>13} {:>13} {:>7} {:>8} {:>9} {:>7} {:>6}",
            "N", "up", "setup_s", "cpu%core", "cpu%/call", "us/pkt", "rate%", "sent", "received", "lost", "loss%", "gaps",
            "addjit ms", "rxjit ms", "txjit ms", "maxlat", "drops z/g", "RSS kB", "gen%", "bye"
        );
        println!(
            "{:>5} {:>5} {:>7} {:>9} {:>8} {:>6} {:>6} {:>9} {:>9} {:>7} {:>7} {:>6} {:>13} {:>13} {:>13} {:>7} {:>8} {:>9} {:>7} {:>6}",
            "", "", "", "", "", "", "", "", "", "", "", "", "mean/max", "mean/max", "mean/max", "ms", "", "", "", ""
        );
    }
    let f = |v: Option<f64>, d: usize| v.map(|x| format!("{x:.d$}")).unwrap_or_else(|| "-".into());
    println!(
        "{:>5} {:>5} {:>7.1} {:>9} {:>8} {:>6} {:>6.1} {:>9} {:>9} {:>7} {:>7.3} {:>6} {:>13} {:>13} {:>13} {:>7.1} {:>8} {:>9} {:>7} {:>6}",
        n,
        calls_up,
        setup_s,
        f(cpu, 1),
        f(cpu.map(|c| c / calls_up.max(1) as f64), 4),
        // zvezda's CPU per packet relayed (received at the far leg), µs.
        f(cpu.map(|c| c / 100.0 * a.window * 1e6 / recv.max(1) as f64), 1),
        // What the generator managed to send, of 50 packets/s on every leg.
        sent as f64 * 100.0 / (calls_up.max(1) as f64 * 2.0 * 50.0 * a.window),
        sent,
        recv,
        lost,
        lost as f64 * 100.0 / sent.max(1) as f64,
        gaps,
        format!("{:.3}/{:.2}", added_sum / nl / 1000.0, added_max / 1000.0),
        format!("{:.3}/{:.2}", rxj_sum / nl / 1000.0, rxj_max / 1000.0),
        format!("{:.3}/{:.2}", txj / 1000.0, txj_max / 1000.0),
        maxtr as f64 / 1000.0,
        format!("{}/{}", drops1.0 - drops0.0, drops1.1 - drops0.1),
        rss.map(|r| r.to_string()).unwrap_or_else(|| "-".into()),
        f(gen, 1),
        hung,
    );
    if other > 0 || reorder > 0 {
        eprintln!("note: {other} packets not from the generator, {reorder} reordered/duplicated");
    }
}
