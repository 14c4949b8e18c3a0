//! RTP/RTCP port pairs kept for reuse. Binding two sockets for every call and closing them
//! at its end is a good part of a short call's cost; a stream that ends gives its pair back
//! here and the next call takes the pair that has rested longest — never one freed less
//! than [`REST`] ago (unless the range has no port left to bind), and emptied again when
//! taken, so what the old call's far end still sent is thrown away, not heard by the new
//! call. A socket the old call registered with the reactor stays registered (no
//! `epoll_ctl`, no mode change, no `getsockname` per call; emptying it costs nothing when
//! the reactor saw nothing arrive), and is only handed to a stream of the same runtime.
//! Pairs unused for [`IDLE`] are closed.

use std::collections::VecDeque;
use std::net::IpAddr;
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
/// How many pairs the pool may keep (at most [`MAX`]); the sockets they hold stay within
/// half the open-file limit (see [`give`]).
pub fn set_limit(n: usize) {
    LIMIT.store(n.min(MAX), std::sync::atomic::Ordering::Relaxed);
}

/// Sockets kept at most: half the open-file limit (the calls need the rest; a pair is one
/// socket when its call never bound RTCP, two when it did).
fn socket_cap() -> usize {
    static FILES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *FILES.get_or_init(|| {
        let mut r = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit fills a properly initialised struct.
        match unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) } {
            0 => usize::try_from(r.rlim_cur).unwrap_or(usize::MAX),
            _ => 1024,
        }
    }) / 2
}

/// A stream's bound socket: non-blocking, registered with the reactor when first used.
#[derive(Debug)]
pub enum Sock {
    Plain(std::net::UdpSocket),
    Reg(tokio::net::UdpSocket),
}

impl Sock {
    /// A freshly bound socket, made non-blocking (None if that fails).
    pub fn plain(s: std::net::UdpSocket) -> Option<Sock> {
        s.set_nonblocking(true).ok()?;
        Some(Sock::Plain(s))
    }

    /// (registered, plain): the one this is, the other None.
    pub fn into_parts(self) -> (Option<tokio::net::UdpSocket>, Option<std::net::UdpSocket>) {
        match self {
            Sock::Plain(s) => (None, Some(s)),
            Sock::Reg(s) => (Some(s), None),
        }
    }

    /// Registered with the current runtime's reactor (None outside a runtime or on error).
    pub fn registered(self) -> Option<tokio::net::UdpSocket> {
        match self {
            Sock::Reg(s) => Some(s),
            Sock::Plain(s) => {
                tokio::runtime::Handle::try_current().ok()?;
                tokio::net::UdpSocket::from_std(s).ok()
            }
        }
    }

    /// What is queued on it (the old call's last packets) is thrown away: read from the
    /// kernel, not judged by what the reactor has seen so far (under load it may not yet
    /// have noticed a datagram that is already there).
    fn drain(&self) {
        use std::os::fd::AsRawFd;
        let fd = match self {
            Sock::Plain(s) => s.as_raw_fd(),
            Sock::Reg(s) => s.as_raw_fd(),
        };
        let mut buf = [0u8; 1600];
        for _ in 0..256 {
            // SAFETY: a non-blocking read into a buffer of the length given.
            let n =
                unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), libc::MSG_DONTWAIT) };
            if n < 0 {
                return;
            }
        }
    }
}

struct Pair {
    rtp: Sock,
    /// None when the call never bound its RTCP socket (no RTP flowed).
    rtcp: Option<Sock>,
    ip: IpAddr,
    port: u16,
    freed: Instant,
    /// The runtime whose reactor a registered socket of the pair belongs to.
    rt: Option<tokio::runtime::Id>,
}

impl Pair {
    fn sockets(&self) -> usize {
        1 + usize::from(self.rtcp.is_some())
    }
}

/// The resting pairs, oldest first, and how many sockets they hold.
struct Pool {
    pairs: VecDeque<Pair>,
    sockets: usize,
}

impl Pool {
    fn pop_front(&mut self) -> Option<Pair> {
        let p = self.pairs.pop_front()?;
        self.sockets -= p.sockets();
        Some(p)
    }
}

static POOL: Mutex<Pool> = Mutex::new(Pool {
    pairs: VecDeque::new(),
    sockets: 0,
});

/// A rested pair on `ip` with the RTP port in `start..=end`, if one is waiting.
pub fn take(ip: IpAddr, start: u16, end: u16) -> Option<(Sock, Option<Sock>, u16)> {
    take_at(ip, start, end, Instant::now())
}

fn take_at(ip: IpAddr, start: u16, end: u16, now: Instant) -> Option<(Sock, Option<Sock>, u16)> {
    take_where(ip, start, end, |freed| now.duration_since(freed) >= REST)
}

/// Any pair on `ip` in the range, rested or not: for when no port of the range can be
/// bound any more.
pub fn take_any(ip: IpAddr, start: u16, end: u16) -> Option<(Sock, Option<Sock>, u16)> {
    take_where(ip, start, end, |_| true)
}

fn take_where(
    ip: IpAddr,
    start: u16,
    end: u16,
    ok: impl Fn(Instant) -> bool,
) -> Option<(Sock, Option<Sock>, u16)> {
    let rt = tokio::runtime::Handle::try_current().ok().map(|h| h.id());
    let p = {
        let mut pool = POOL.lock().unwrap();
        // Pairs idle too long, of another address, an old range (rtp.conf reloaded) or
        // another runtime are closed rather than kept.
        while let Some(front) = pool.pairs.front() {
            let stale = front.freed.elapsed() >= IDLE;
            let foreign = front.rt.is_some() && front.rt != rt;
            if stale || foreign || front.ip != ip || front.port < start || front.port > end {
                pool.pop_front();
            } else {
                break;
            }
        }
        if !ok(pool.pairs.front()?.freed) {
            return None;
        }
        pool.pop_front()?
    };
    // What reached it while it rested belongs to the old call.
    p.rtp.drain();
    if let Some(s) = &p.rtcp {
        s.drain();
    }
    Some((p.rtp, p.rtcp, p.port))
}

/// A stream's sockets (RTP bound on an even `ip`:`port` of rtp.conf's range, RTCP on the
/// port above if it was bound), given back when it ends. Registered ones are kept only
/// with the runtime they are registered with (`rt`), and handed only to it again.
pub fn give(rtp: Sock, rtcp: Option<Sock>, ip: IpAddr, port: u16, rt: Option<tokio::runtime::Id>) {
    if port % 2 == 1 {
        return;
    }
    let registered = matches!(rtp, Sock::Reg(_)) || matches!(rtcp, Some(Sock::Reg(_)));
    if registered && rt.is_none() {
        return;
    }
    let pair = Pair {
        rtp,
        rtcp,
        ip,
        port,
        freed: Instant::now(),
        rt: if registered { rt } else { None },
    };
    let mut pool = POOL.lock().unwrap();
    use std::sync::atomic::Ordering::Relaxed;
    if pool.pairs.len() < LIMIT.load(Relaxed) && pool.sockets + pair.sockets() <= socket_cap() {
        pool.sockets += pair.sockets();
        pool.pairs.push_back(pair);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An even port with its odd neighbour free, both bound.
    fn pair(ip: IpAddr, from: u16) -> (std::net::UdpSocket, std::net::UdpSocket, u16) {
        (0..200)
            .find_map(|i| {
                let port = from + 2 * i;
                let a = std::net::UdpSocket::bind((ip, port)).ok()?;
                let b = std::net::UdpSocket::bind((ip, port + 1)).ok()?;
                Some((a, b, port))
            })
            .unwrap()
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    // One test, not two: the pool is the process's, and a take drops pairs of other ranges.
    #[test]
    fn pairs_rest_empty_and_stay_in_their_runtime() {
        runtime().block_on(pairs_rest_before_reuse_and_come_back_empty());
        a_registered_pair_is_only_handed_to_its_runtime();
    }

    async fn pairs_rest_before_reuse_and_come_back_empty() {
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let tx = std::net::UdpSocket::bind((ip, 0)).unwrap();
        let wait = || tokio::time::sleep(Duration::from_millis(20));
        // One pair given back as bound, one registered by the call that used it.
        let (a, b, plain_port) = pair(ip, 40_000);
        let (c, d, reg_port) = pair(ip, 40_500);
        let reg = |s| Sock::plain(s).unwrap().registered().map(Sock::Reg).unwrap();
        for (rtp, rtcp, port) in [
            (Sock::plain(a).unwrap(), Sock::plain(b).unwrap(), plain_port),
            (reg(c), reg(d), reg_port),
        ] {
            // A packet of the old call waits on it.
            tx.send_to(b"old", (ip, port)).unwrap();
            wait().await;
            let rt = matches!(rtp, Sock::Reg(_)).then(|| tokio::runtime::Handle::current().id());
            give(rtp, Some(rtcp), ip, port, rt);
            let now = Instant::now();
            assert!(
                take_at(ip, port, port, now).is_none(),
                "reused before resting"
            );
            // The old far end goes on sending while the pair rests.
            tx.send_to(b"late", (ip, port)).unwrap();
            wait().await;
            let (rtp, _rtcp, p) = take_at(ip, port, port, now + REST).expect("a rested pair");
            assert_eq!(p, port);
            let rtp = rtp.registered().unwrap();
            let mut buf = [0u8; 16];
            let got = tokio::time::timeout(Duration::from_millis(100), rtp.recv_from(&mut buf));
            assert!(got.await.is_err(), "the old call's packet was kept");
        }
        // A stream that never bound its RTCP socket gives back its RTP socket alone.
        let (lone, _, port) = pair(ip, 42_000);
        give(Sock::plain(lone).unwrap(), None, ip, port, None);
        let (_, rtcp, p) = take_at(ip, port, port, Instant::now() + REST).expect("kept");
        assert_eq!((p, rtcp.is_none()), (port, true));
        // An odd port is no RTP port of a pair (a Local channel's loopback socket, say).
        let odd = (port + 1..port + 400)
            .step_by(2)
            .find_map(|p| std::net::UdpSocket::bind((ip, p)).ok().map(|s| (s, p)))
            .unwrap();
        give(Sock::plain(odd.0).unwrap(), None, ip, odd.1, None);
        assert!(take_at(ip, odd.1, odd.1, Instant::now() + REST).is_none());
    }

    fn a_registered_pair_is_only_handed_to_its_runtime() {
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let rt = runtime();
        let id = rt.handle().id();
        let registered = |a, b| {
            rt.block_on(async {
                let r = |s| Sock::Reg(Sock::plain(s).unwrap().registered().unwrap());
                (r(a), r(b))
            })
        };
        // Given back from a thread without a runtime, tagged with its own: another runtime
        // does not get it.
        let (a, b, port) = pair(ip, 41_000);
        let (rtp, rtcp) = registered(a, b);
        give(rtp, Some(rtcp), ip, port, Some(id));
        let later = Instant::now() + REST;
        let other = runtime();
        assert!(other
            .block_on(async { take_at(ip, port, port, later) })
            .is_none());
        // Its own runtime does.
        let (a, b, port) = pair(ip, 41_500);
        let (rtp, rtcp) = registered(a, b);
        give(rtp, Some(rtcp), ip, port, Some(id));
        let later = Instant::now() + REST;
        assert!(rt
            .block_on(async { take_at(ip, port, port, later) })
            .is_some());
        // A registered socket whose runtime is not known is closed, not kept.
        let (a, b, port) = pair(ip, 42_500);
        let (rtp, rtcp) = registered(a, b);
        give(rtp, Some(rtcp), ip, port, None);
        let later = Instant::now() + REST;
        assert!(rt
            .block_on(async { take_at(ip, port, port, later) })
            .is_none());
    }
}
