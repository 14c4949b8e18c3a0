//! RTP/RTCP port pairs kept for reuse. Binding two sockets for every call and closing them
//! at its end is a good part of a short call's cost; a stream that ends gives its pair back
//! here and the next call takes the pair that has rested longest — never one freed less
//! than [`REST`] ago (unless the range has no port left to bind), and emptied again when
//! taken, so what the old call's far end still sent is thrown away, not heard by the new
//! call. Sockets are kept in blocking-free std form, not registered with any reactor; pairs
//! unused for [`IDLE`] are closed.

use std::collections::VecDeque;
use std::net::{IpAddr, UdpSocket};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a pair rests before it is used again.
pub const REST: Duration = Duration::from_secs(2);
/// Pairs unused this long are closed (the pool shrinks back after a peak).
pub const IDLE: Duration = Duration::from_secs(300);
/// Pairs kept at most (beyond that they are closed); lowered to half the rtp.conf range's
/// pairs by [`set_limit`], so the pool never crowds out the ports calls bind.
const MAX: usize = 16_384;
static LIMIT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(MAX);

/// How many pairs the pool may keep (at most [`MAX`]).
pub fn set_limit(n: usize) {
    LIMIT.store(n.min(MAX), std::sync::atomic::Ordering::Relaxed);
}

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
    take_where(ip, start, end, |freed| now.duration_since(freed) >= REST)
}

/// Any pair on `ip` in the range, rested or not: for when no port of the range can be
/// bound any more.
pub fn take_any(ip: IpAddr, start: u16, end: u16) -> Option<(UdpSocket, UdpSocket, u16)> {
    take_where(ip, start, end, |_| true)
}

fn take_where(
    ip: IpAddr,
    start: u16,
    end: u16,
    ok: impl Fn(Instant) -> bool,
) -> Option<(UdpSocket, UdpSocket, u16)> {
    let p = {
        let mut pool = POOL.lock().unwrap();
        // Pairs idle too long, or of another address or an old range (rtp.conf reloaded),
        // are closed rather than kept.
        while let Some(front) = pool.front() {
            let stale = front.freed.elapsed() >= IDLE;
            if stale || front.ip != ip || front.port < start || front.port > end {
                pool.pop_front();
            } else {
                break;
            }
        }
        if !ok(pool.front()?.freed) {
            return None;
        }
        pool.pop_front()?
    };
    // What reached it while it rested belongs to the old call.
    drain(&p.rtp);
    drain(&p.rtcp);
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
    if pool.len() < LIMIT.load(std::sync::atomic::Ordering::Relaxed) {
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
        assert!(
            take_at(ip, port, port, now).is_none(),
            "reused before resting"
        );
        // The old far end goes on sending while the pair rests.
        tx.send_to(b"late", (ip, port)).unwrap();
        std::thread::sleep(Duration::from_millis(20));
        let (rtp, _rtcp, p) = take_at(ip, port, port, now + REST).expect("a rested pair");
        assert_eq!(p, port);
        let mut buf = [0u8; 16];
        assert!(
            rtp.recv_from(&mut buf).is_err(),
            "the old call's packet was kept"
        );
        // A lone socket is not kept.
        give(UdpSocket::bind((ip, 0)).unwrap(), None);
        assert!(take_at(ip, 0, u16::MAX, now + REST * 2).is_none());
    }
}
