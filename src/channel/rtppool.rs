//! RTP/RTCP port pairs kept for reuse. Binding two sockets for every call and closing them
//! at its end is a good part of a short call's cost; a stream that ends gives its pair back
//! here (emptied of what arrived for it) and the next call takes the pair that has rested
//! longest — never one freed less than [`REST`] ago, so late packets of the old call find
//! nobody listening for them. Sockets are kept in blocking-free std form, not registered
//! with any reactor.

use std::collections::VecDeque;
use std::net::{IpAddr, UdpSocket};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a pair rests before it is used again.
pub const REST: Duration = Duration::from_secs(2);
/// Pairs kept at most (beyond that they are closed).
const MAX: usize = 16_384;

struct Pair {
    rtp: UdpSocket,
    rtcp: UdpSocket,
    ip: IpAddr,
    port: u16,
    freed: Instant,
}

static POOL: Mutex<VecDeque<Pair>> = Mutex::new(VecDeque::new());

/// A rested pair on `ip` with the RTP port in `start..=end`, if one is waiting.
pub fn take(ip: IpAddr, start: u16, end: u16) -> Option<(UdpSocket, UdpSocket, u16)> {
    take_at(ip, start, end, Instant::now())
}

fn take_at(ip: IpAddr, start: u16, end: u16, now: Instant) -> Option<(UdpSocket, UdpSocket, u16)> {
    let mut pool = POOL.lock().unwrap();
    let front = pool.front()?;
    if now.duration_since(front.freed) < REST {
        return None;
    }
    if front.ip != ip || front.port < start || front.port > end {
        // Another address or an old range (rtp.conf was reloaded): closed, not reused.
        pool.pop_front();
        return None;
    }
    let p = pool.pop_front()?;
    Some((p.rtp, p.rtcp, p.port))
}

/// A stream's sockets, given back when it ends. Only complete pairs are kept.
pub fn give(rtp: UdpSocket, rtcp: Option<UdpSocket>) {
    let Some(rtcp) = rtcp else { return };
    let (Ok(a), Ok(b)) = (rtp.local_addr(), rtcp.local_addr()) else {
        return;
    };
    if b.port() != a.port().wrapping_add(1)
        || rtp.set_nonblocking(true).is_err()
        || rtcp.set_nonblocking(true).is_err()
    {
        return;
    }
    drain(&rtp);
    drain(&rtcp);
    let mut pool = POOL.lock().unwrap();
    if pool.len() < MAX {
        pool.push_back(Pair {
            rtp,
            rtcp,
            ip: a.ip(),
            port: a.port(),
            freed: Instant::now(),
        });
    }
}

/// What is queued on a socket (the old call's last packets) is thrown away.
fn drain(s: &UdpSocket) {
    let mut buf = [0u8; 1600];
    for _ in 0..256 {
        if s.recv_from(&mut buf).is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_rest_before_reuse_and_come_back_empty() {
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        // An even port with its odd neighbour free.
        let (rtp, rtcp) = (0..200)
            .find_map(|i| {
                let port = 40_000 + 2 * i;
                let a = UdpSocket::bind((ip, port)).ok()?;
                let b = UdpSocket::bind((ip, port + 1)).ok()?;
                Some((a, b))
            })
            .unwrap();
        let port = rtp.local_addr().unwrap().port();
        // A packet of the old call waits on it.
        let tx = UdpSocket::bind((ip, 0)).unwrap();
        tx.send_to(b"old", (ip, port)).unwrap();
        std::thread::sleep(Duration::from_millis(20));
        give(rtp, Some(rtcp));
        let now = Instant::now();
        assert!(take_at(ip, port, port, now).is_none(), "reused before resting");
        let (rtp, _rtcp, p) = take_at(ip, port, port, now + REST).expect("a rested pair");
        assert_eq!(p, port);
        let mut buf = [0u8; 16];
        assert!(rtp.recv_from(&mut buf).is_err(), "the old call's packet was kept");
        // A lone socket is not kept.
        give(UdpSocket::bind((ip, 0)).unwrap(), None);
        assert!(take_at(ip, 0, u16::MAX, now + REST * 2).is_none());
    }
}
