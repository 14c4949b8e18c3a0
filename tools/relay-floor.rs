//! The kernel's floor for relaying RTP on this machine: the least CPU a relay can spend per
//! packet when it does nothing but the system calls. One thread waits on epoll
//! (level-triggered) over 2·N UDP sockets on 127.0.0.1 and, for every datagram, does one
//! `recvfrom` and one `sendto` to the other leg's far end; a second thread plays the 2·N far
//! ends (50 packets/s each, phases spread over 20 ms, as `zvezda-rtp-load` does) and drains
//! what comes back. Only the relay thread's CPU (RUSAGE_THREAD) is counted, after a warm-up.
//!
//!     zvezda-relay-floor N [SECONDS]
//!
//! Compare its µs/packet with `tools/bench-rtp`'s for the same N: the difference is what
//! zvezda adds on top of the kernel (see tools/perf/README.md).

use std::net::{SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

fn thread_cpu() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut u) };
    let t = |v: libc::timeval| v.tv_sec as f64 + v.tv_usec as f64 / 1e6;
    t(u.ru_utime) + t(u.ru_stime)
}

fn bind() -> UdpSocket {
    let s = UdpSocket::bind("127.0.0.1:0").expect("bind on 127.0.0.1");
    s.set_nonblocking(true).expect("nonblocking");
    s
}

fn addr(s: &UdpSocket) -> SocketAddr {
    s.local_addr().expect("bound")
}

/// An epoll set over `socks`, each tagged with its index.
fn epoll(socks: &[&UdpSocket]) -> i32 {
    // SAFETY: plain epoll calls on descriptors that outlive the set.
    let ep = unsafe { libc::epoll_create1(0) };
    for (k, s) in socks.iter().enumerate() {
        let mut ev = libc::epoll_event {
            events: libc::EPOLLIN as u32,
            u64: k as u64,
        };
        unsafe { libc::epoll_ctl(ep, libc::EPOLL_CTL_ADD, s.as_raw_fd(), &mut ev) };
    }
    ep
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .expect("usage: zvezda-relay-floor N [SECONDS]");
    let secs: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(10);
    let warmup = Duration::from_secs(3);
    // Relay sockets a[i] (facing the caller g[i]) and b[i] (facing the callee h[i]).
    let a: Vec<UdpSocket> = (0..n).map(|_| bind()).collect();
    let b: Vec<UdpSocket> = (0..n).map(|_| bind()).collect();
    let g: Vec<UdpSocket> = (0..n).map(|_| bind()).collect();
    let h: Vec<UdpSocket> = (0..n).map(|_| bind()).collect();
    let (aa, ba): (Vec<_>, Vec<_>) = (a.iter().map(addr).collect(), b.iter().map(addr).collect());
    let (ga, ha): (Vec<_>, Vec<_>) = (g.iter().map(addr).collect(), h.iter().map(addr).collect());
    let total = warmup + Duration::from_secs(secs);
    let ends = std::thread::spawn(move || {
        let packet = [0x80u8; 172];
        let all: Vec<&UdpSocket> = g.iter().chain(h.iter()).collect();
        let ep = epoll(&all);
        let mut evs = vec![libc::epoll_event { events: 0, u64: 0 }; 1024];
        let mut buf = [0u8; 2048];
        let start = Instant::now();
        let mut tick = 0u64;
        while start.elapsed() < total + Duration::from_secs(1) {
            let phase = (tick % 20) as usize;
            for i in (phase..n).step_by(20) {
                let _ = g[i].send_to(&packet, aa[i]);
                let _ = h[i].send_to(&packet, ba[i]);
            }
            tick += 1;
            let due = start + Duration::from_millis(tick);
            while let Some(left) = due.checked_duration_since(Instant::now()) {
                let ms = left.as_millis() as i32;
                // SAFETY: evs has room for 1024 events.
                let k = unsafe { libc::epoll_wait(ep, evs.as_mut_ptr(), 1024, ms) };
                for e in &evs[..k.max(0) as usize] {
                    let _ = all[e.u64 as usize].recv_from(&mut buf);
                }
                if ms == 0 {
                    break;
                }
            }
        }
    });
    let relay: Vec<&UdpSocket> = a.iter().chain(b.iter()).collect();
    let ep = epoll(&relay);
    let mut evs = vec![libc::epoll_event { events: 0, u64: 0 }; 1024];
    let mut buf = [0u8; 2048];
    let start = Instant::now();
    let (mut cpu0, mut pkts0, mut t0) = (0.0, 0u64, start);
    let mut pkts = 0u64;
    let mut measuring = false;
    while start.elapsed() < total {
        if !measuring && start.elapsed() >= warmup {
            measuring = true;
            (cpu0, pkts0, t0) = (thread_cpu(), pkts, Instant::now());
        }
        // SAFETY: evs has room for 1024 events.
        let k = unsafe { libc::epoll_wait(ep, evs.as_mut_ptr(), 1024, 100) };
        for e in &evs[..k.max(0) as usize] {
            let k = e.u64 as usize;
            let (from, to, dst) = if k < n {
                (&a[k], &b[k], ha[k])
            } else {
                (&b[k - n], &a[k - n], ga[k - n])
            };
            if let Ok((len, _)) = from.recv_from(&mut buf) {
                pkts += 1;
                let _ = to.send_to(&buf[..len], dst);
            }
        }
    }
    let cpu = thread_cpu() - cpu0;
    let wall = t0.elapsed().as_secs_f64();
    let relayed = (pkts - pkts0) as f64;
    println!(
        "{:>6} calls  {:>8.0} pkts/s ({:.1}% of offered)  cpu {:5.1}% of a core  {:.4}% per call  {:.2} us/pkt",
        n,
        relayed / wall,
        relayed / wall / (n as f64 * 100.0) * 100.0,
        cpu / wall * 100.0,
        cpu / wall * 100.0 / n as f64,
        cpu * 1e6 / relayed
    );
    let _ = ends.join();
}
