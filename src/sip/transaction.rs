//! The SIP transaction layer (RFC 3261 §17) as a sans-IO state machine.
//!
//! [`Layer`] takes parsed messages, TU (transaction user) actions and the current time, and
//! returns [`Output`]s: bytes to put on the wire, requests and responses for the TU,
//! timeouts. It owns no socket and reads no clock; the driver calls [`Layer::on_timer`] at
//! [`Layer::next_timer`].
//!
//! The four machines:
//!
//! | machine            | states                                  | timers |
//! |--------------------|-----------------------------------------|--------|
//! | INVITE client      | Calling → Proceeding → Completed         | A (retransmit, doubling without cap, UDP only), B (64·T1, only while Calling), D (32 s UDP, 0 TCP) |
//! | non-INVITE client  | Trying → Proceeding → Completed          | E (retransmit, doubling up to T2; T2 once Proceeding; UDP only), F (64·T1), K (T4 UDP, 0 TCP) |
//! | INVITE server      | Proceeding → Completed → Confirmed       | G (retransmit the non-2xx final, doubling up to T2, UDP only), H (64·T1, waiting for the ACK), I (T4 UDP, 0 TCP) |
//! | non-INVITE server  | Trying → Proceeding → Completed          | J (64·T1 UDP, 0 TCP) |
//!
//! "Terminated" is not a state here: a terminated transaction is removed from the layer.
//! Timers of length zero (reliable transports) terminate at once instead of being scheduled.
//!
//! Deliberate choices, as RFC 3261 (not RFC 6026):
//!
//! - **A 2xx to an INVITE ends the transaction at once**, on both sides. The server side
//!   sends the 2xx once; retransmitting it until the ACK arrives (§13.3.1.4) is the UAS
//!   dialog's job, and the ACK for a 2xx (a new transaction with its own branch) arrives as
//!   [`Output::Stray`]. A retransmitted INVITE arriving after the 2xx creates a new server
//!   transaction, so the TU must recognise it (same Call-ID, From tag and CSeq as a
//!   confirmed dialog) and re-send its 2xx rather than answer it afresh. On the client side,
//!   retransmitted 2xx responses (and 2xx from other forks) arrive as [`Output::Stray`];
//!   the UAC dialog ACKs each of them itself, sending the ACK with [`Layer::request`] (an
//!   ACK never creates a transaction) or directly.
//! - **The ACK for a non-2xx final** is built and sent by the INVITE client transaction
//!   (§17.1.1.3) and re-sent for every retransmission of that final; the TU only sees the
//!   first final response. On the server side the ACK is absorbed (never given to the TU).
//! - **No automatic 100 Trying**: the UAS core sends it itself through [`Layer::respond`].
//! - **Timer B runs only in Calling**: once a provisional arrived, an INVITE client waits
//!   for a final response indefinitely; the TU ends a ringing call with a CANCEL (its own
//!   transaction, see [`Layer::request`]). Likewise server transactions wait for the TU to
//!   respond for as long as it takes; a TU that never answers leaks its transaction.
//! - **Responses go back to the request's source address** (symmetric response routing as
//!   with `rport`, RFC 3581) over the transport it came in on. Adding `received`/`rport` to
//!   the Via is the transport's business (§18.2.1).
//! - Transport errors (§17.1.4, §17.2.4) are not modelled: there is no input for them.
//!
//! Matching (§17.1.3, §17.2.3): see [`Key`].
//!
//! Performance: one hash lookup per message, keyed by a string built in a reused buffer (no
//! allocation for retransmissions, ACKs and responses); timers live in one binary heap with
//! lazy deletion (each transaction remembers the deadline of each of its three timer slots,
//! a popped entry that does not match is dropped) and the heap is compacted when most of it
//! is stale.

use std::cmp::Ordering;
use std::collections::hash_map::RandomState;
use std::collections::{BinaryHeap, HashMap};
use std::fmt::Write as _;
use std::hash::{BuildHasher, Hasher};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::message::{param, Header, Message, StartLine};

/// RFC 3261's default round-trip estimate; pass it to [`Layer::new`] unless configured.
pub const T1: Duration = Duration::from_millis(500);
/// Maximum retransmission interval for non-INVITE requests and INVITE responses.
pub const T2: Duration = Duration::from_secs(4);
/// Maximum time a message stays in the network.
pub const T4: Duration = Duration::from_secs(5);
/// Timer D on unreliable transports ("at least 32 seconds").
const TIMER_D: Duration = Duration::from_secs(32);
/// The RFC 3261 branch prefix.
const COOKIE: &str = "z9hG4bK";

/// Identifies one transaction, for the TU to respond to (server) or to recognise responses
/// and timeouts by (client). Cheap to clone.
///
/// The text (not something to parse, but stable) is:
/// - client: `"{branch} {method}"`, the top Via branch and the request method; responses
///   match by their top Via branch and CSeq method (§17.1.3).
/// - server, RFC 3261 branch (starts with `z9hG4bK`): `"{branch} {method} {sent-by}
///   {Call-ID}"`, with the sent-by of the top Via in lower case without spaces (the Call-ID,
///   which every retransmission repeats, keeps requests reusing a branch apart), and the method of an ACK read
///   as INVITE so that the ACK for a non-2xx final finds its INVITE transaction (§17.2.3).
///   CANCEL keeps its own method, so it is a transaction of its own next to the INVITE it
///   cancels (find that one with [`Layer::cancel_target`]).
/// - server, any other branch or none (RFC 2543 peers): `"2543 {Call-ID} {CSeq number}
///   {method} {From tag} {top Via}"`, again with ACK read as INVITE. (The full RFC 2543
///   rules also compare the Request-URI and To tag; retransmissions repeat those anyway.)
///
/// Client and server transactions are kept apart, so a request that loops back to us is no
/// confusion.
pub type Key = Arc<str>;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Transport {
    Udp,
    Tcp,
}

impl Transport {
    /// Reliable transports get no retransmissions and zero-length timers D, I, J and K.
    pub fn reliable(self) -> bool {
        matches!(self, Transport::Tcp)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// Put this message on the wire to this address, over this transport.
    Send {
        to: SocketAddr,
        transport: Transport,
        msg: Message,
    },
    /// A new request for the TU (a server transaction was created); answer it with
    /// [`Layer::respond`] and this `key`.
    Request {
        key: Key,
        msg: Message,
        from: SocketAddr,
        transport: Transport,
    },
    /// A response for a client transaction the TU started. Provisionals and the first final
    /// only; retransmitted finals are absorbed.
    Response { key: Key, msg: Message },
    /// The transaction failed without a final response: timer B or F (client), or timer H
    /// (server: the non-2xx final was never ACKed). It is gone from the layer.
    Timeout { key: Key },
    /// A message no transaction wants: an ACK for a 2xx (it belongs to the dialog), a
    /// retransmitted 2xx to an INVITE, a response to a request we no longer know, a request
    /// without a Via.
    Stray { msg: Message, from: SocketAddr },
}

/// The three timer slots of a transaction (which timer a slot is depends on the machine).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Slot {
    /// A, E, G.
    Retransmit = 0,
    /// B, F, H.
    Timeout = 1,
    /// D, I, J, K: how long a completed transaction lingers to absorb retransmissions.
    Linger = 2,
}

/// The deadline each slot is armed for; a heap entry is live only if it matches.
#[derive(Debug, Default)]
struct Slots([Option<Instant>; 3]);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    Server,
    Client,
}

#[derive(Debug)]
struct Entry {
    at: Instant,
    seq: u64,
    side: Side,
    slot: Slot,
    key: Key,
}

// Reversed on (at, seq): the std max-heap pops the earliest deadline first, FIFO on ties.
impl Ord for Entry {
    fn cmp(&self, o: &Self) -> Ordering {
        o.at.cmp(&self.at).then(o.seq.cmp(&self.seq))
    }
}
impl PartialOrd for Entry {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl PartialEq for Entry {
    fn eq(&self, o: &Self) -> bool {
        self.at == o.at && self.seq == o.seq
    }
}
impl Eq for Entry {}

#[derive(Debug, Default)]
struct Timers {
    heap: BinaryHeap<Entry>,
    seq: u64,
    /// Entries in the heap whose slot no longer holds their deadline.
    stale: usize,
}

impl Timers {
    fn arm(&mut self, slots: &mut Slots, side: Side, key: &Key, slot: Slot, at: Instant) {
        if slots.0[slot as usize].replace(at).is_some() {
            self.stale += 1;
        }
        self.seq += 1;
        self.heap.push(Entry {
            at,
            seq: self.seq,
            side,
            slot,
            key: key.clone(),
        });
    }

    fn disarm(&mut self, slots: &mut Slots, slot: Slot) {
        if slots.0[slot as usize].take().is_some() {
            self.stale += 1;
        }
    }

    /// The transaction holding these slots is being removed.
    fn forget(&mut self, slots: &Slots) {
        self.stale += slots.0.iter().filter(|s| s.is_some()).count();
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ServerState {
    /// Non-INVITE only: nothing sent yet.
    Trying,
    /// INVITE from the start; non-INVITE after a provisional.
    Proceeding,
    Completed,
    /// INVITE only: the ACK arrived.
    Confirmed,
}

#[derive(Debug)]
struct ServerTx {
    key: Key,
    invite: bool,
    state: ServerState,
    transport: Transport,
    peer: SocketAddr,
    /// The last response sent, re-sent on a retransmitted request (and by timer G).
    last: Option<Message>,
    /// The current timer G interval.
    interval: Duration,
    slots: Slots,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ClientState {
    /// "Calling" for INVITE, "Trying" for non-INVITE.
    Calling,
    Proceeding,
    Completed,
}

#[derive(Debug)]
struct ClientTx {
    key: Key,
    invite: bool,
    state: ClientState,
    transport: Transport,
    peer: SocketAddr,
    /// The request (retransmitted by timers A and E); once an INVITE transaction is
    /// Completed, the ACK it sent (re-sent for retransmitted finals).
    msg: Message,
    /// The current timer A/E interval.
    interval: Duration,
    slots: Slots,
}

/// All live transactions and their timers. See the module documentation.
#[derive(Debug)]
pub struct Layer {
    t1: Duration,
    server: HashMap<Key, ServerTx>,
    client: HashMap<Key, ClientTx>,
    timers: Timers,
    /// Reused to build lookup keys without allocating.
    scratch: String,
    branch_seed: u64,
    branch_seq: u64,
}

impl Layer {
    /// A layer with this T1 (normally [`T1`]); T2 and T4 are RFC 3261's 4 s and 5 s.
    pub fn new(t1: Duration) -> Self {
        Layer {
            t1,
            server: HashMap::new(),
            client: HashMap::new(),
            timers: Timers::default(),
            scratch: String::with_capacity(128),
            branch_seed: RandomState::new().build_hasher().finish(),
            branch_seq: 0,
        }
    }

    /// A fresh RFC 3261 branch (`z9hG4bK` + a per-layer random part + a counter) for a
    /// request's Via.
    pub fn new_branch(&mut self) -> String {
        self.branch_seq += 1;
        format!("{COOKIE}-{:016x}-{:x}", self.branch_seed, self.branch_seq)
    }

    /// Live transactions (client and server).
    pub fn len(&self) -> usize {
        self.server.len() + self.client.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// When to call [`Layer::on_timer`] next. May be a deadline that was since cancelled:
    /// calling `on_timer` then simply does nothing.
    pub fn next_timer(&self) -> Option<Instant> {
        self.timers.heap.peek().map(|e| e.at)
    }

    /// A message came in from the network (already parsed). Requests create server
    /// transactions (given to the TU as [`Output::Request`]) or are absorbed as
    /// retransmissions, with the last response re-sent; responses go to their client
    /// transaction.
    pub fn on_message(
        &mut self,
        msg: Message,
        from: SocketAddr,
        transport: Transport,
        now: Instant,
    ) -> Vec<Output> {
        let mut k = std::mem::take(&mut self.scratch);
        let out = match msg.start {
            StartLine::Request { .. } => {
                if server_key(&msg, None, &mut k) {
                    self.on_request(&k, msg, from, transport, now)
                } else {
                    vec![Output::Stray { msg, from }]
                }
            }
            StartLine::Response { .. } => {
                if client_key(&msg, &mut k) {
                    self.on_response(&k, msg, from, now)
                } else {
                    vec![Output::Stray { msg, from }]
                }
            }
        };
        self.scratch = k;
        self.maybe_compact();
        out
    }

    fn on_request(
        &mut self,
        k: &str,
        msg: Message,
        from: SocketAddr,
        transport: Transport,
        now: Instant,
    ) -> Vec<Output> {
        let is_ack = msg.method() == Some("ACK");
        if let Some(tx) = self.server.get_mut(k) {
            if !is_ack {
                // A retransmission: re-send what we last said (nothing yet in Trying, nothing
                // in Confirmed).
                return match (tx.state, &tx.last) {
                    (ServerState::Proceeding | ServerState::Completed, Some(last)) => {
                        vec![Output::Send {
                            to: tx.peer,
                            transport: tx.transport,
                            msg: last.clone(),
                        }]
                    }
                    _ => Vec::new(),
                };
            }
            // The ACK for our non-2xx final (keys of ACKs only match INVITE transactions);
            // absorbed whatever the state.
            if tx.state == ServerState::Completed {
                tx.state = ServerState::Confirmed;
                self.timers.disarm(&mut tx.slots, Slot::Retransmit);
                self.timers.disarm(&mut tx.slots, Slot::Timeout);
                if tx.transport.reliable() {
                    self.remove_server(k);
                } else {
                    self.timers
                        .arm(&mut tx.slots, Side::Server, &tx.key, Slot::Linger, now + T4);
                }
            }
            return Vec::new();
        }
        if is_ack {
            return vec![Output::Stray { msg, from }];
        }
        let key: Key = Arc::from(k);
        let invite = msg.method() == Some("INVITE");
        self.server.insert(
            key.clone(),
            ServerTx {
                key: key.clone(),
                invite,
                state: if invite {
                    ServerState::Proceeding
                } else {
                    ServerState::Trying
                },
                transport,
                peer: from,
                last: None,
                interval: self.t1,
                slots: Slots::default(),
            },
        );
        vec![Output::Request {
            key,
            msg,
            from,
            transport,
        }]
    }

    fn on_response(
        &mut self,
        k: &str,
        msg: Message,
        from: SocketAddr,
        now: Instant,
    ) -> Vec<Output> {
        let Some(tx) = self.client.get_mut(k) else {
            return vec![Output::Stray { msg, from }];
        };
        let key = tx.key.clone();
        let code = msg.code().unwrap_or(0);
        let (invite, state, peer, transport) = (tx.invite, tx.state, tx.peer, tx.transport);
        match (state, code) {
            (ClientState::Completed, _) => {
                // A retransmitted final: an INVITE transaction re-sends its ACK (for a
                // non-2xx; a late 2xx here is someone else's business), the rest is absorbed.
                if invite && code >= 300 {
                    vec![Output::Send {
                        to: peer,
                        transport,
                        msg: tx.msg.clone(),
                    }]
                } else if invite && (200..300).contains(&code) {
                    vec![Output::Stray { msg, from }]
                } else {
                    Vec::new()
                }
            }
            (_, 100..=199) => {
                if tx.state == ClientState::Calling {
                    tx.state = ClientState::Proceeding;
                    if invite {
                        // No more retransmissions, and timer B only guards Calling.
                        self.timers.disarm(&mut tx.slots, Slot::Retransmit);
                        self.timers.disarm(&mut tx.slots, Slot::Timeout);
                    }
                    // Non-INVITE: timer E keeps running, at T2 from its next firing.
                }
                vec![Output::Response { key, msg }]
            }
            (_, 200..=299) if invite => {
                self.remove_client(k);
                vec![Output::Response { key, msg }]
            }
            _ => {
                // A final response: Completed, lingering to absorb its retransmissions.
                let mut out = Vec::with_capacity(2);
                if invite {
                    let ack = build_ack(&tx.msg, &msg);
                    out.push(Output::Send {
                        to: peer,
                        transport,
                        msg: ack.clone(),
                    });
                    tx.msg = ack;
                }
                tx.state = ClientState::Completed;
                self.timers.disarm(&mut tx.slots, Slot::Retransmit);
                self.timers.disarm(&mut tx.slots, Slot::Timeout);
                if transport.reliable() {
                    self.remove_client(k);
                } else {
                    let linger = if invite { TIMER_D } else { T4 };
                    self.timers.arm(
                        &mut tx.slots,
                        Side::Client,
                        &key,
                        Slot::Linger,
                        now + linger,
                    );
                }
                out.push(Output::Response { key, msg });
                out
            }
        }
    }

    /// The TU answers a server transaction. Provisionals may be repeated; the first final
    /// response completes the transaction (a 2xx to an INVITE ends it at once) and anything
    /// after it is ignored, as is an unknown key (the transaction timed out or ended) or a
    /// message that is not a response. The response goes to the request's source.
    pub fn respond(&mut self, key: &Key, resp: Message, now: Instant) -> Vec<Output> {
        let Some(code) = resp.code() else {
            return Vec::new();
        };
        let Some(tx) = self.server.get_mut(key) else {
            return Vec::new();
        };
        if matches!(tx.state, ServerState::Completed | ServerState::Confirmed) {
            return Vec::new();
        }
        let (to, transport) = (tx.peer, tx.transport);
        let send = |msg| Output::Send { to, transport, msg };
        if code < 200 {
            tx.state = ServerState::Proceeding;
            tx.last = Some(resp.clone());
            return vec![send(resp)];
        }
        if (tx.invite && code < 300) || (!tx.invite && transport.reliable()) {
            // Terminated at once: a 2xx to INVITE (the TU retransmits it), or timer J = 0.
            self.remove_server(key);
            return vec![send(resp)];
        }
        tx.state = ServerState::Completed;
        tx.last = Some(resp.clone());
        if tx.invite {
            if !transport.reliable() {
                tx.interval = self.t1;
                self.timers.arm(
                    &mut tx.slots,
                    Side::Server,
                    key,
                    Slot::Retransmit,
                    now + self.t1,
                );
            }
            self.timers.arm(
                &mut tx.slots,
                Side::Server,
                key,
                Slot::Timeout,
                now + 64 * self.t1,
            );
        } else {
            self.timers.arm(
                &mut tx.slots,
                Side::Server,
                key,
                Slot::Linger,
                now + 64 * self.t1,
            );
        }
        self.maybe_compact();
        vec![send(resp)]
    }

    /// The TU starts a client transaction: `req` goes to `to` now, and is retransmitted over
    /// UDP until a response arrives. The request should carry a top Via with a branch
    /// (see [`Layer::new_branch`]); a Via without one is given a fresh branch. A CANCEL
    /// carries the branch of the INVITE it cancels and is a transaction of its own.
    ///
    /// An ACK creates no transaction (the ACK for a 2xx is the dialog's, the one for a
    /// non-2xx is sent by the INVITE transaction): it is just sent. A request without a Via,
    /// or not a request at all, fails at once with [`Output::Timeout`]. Reusing the key of a
    /// live client transaction replaces it (a TU bug: branches must be unique).
    pub fn request(
        &mut self,
        mut req: Message,
        to: SocketAddr,
        transport: Transport,
        now: Instant,
    ) -> (Key, Vec<Output>) {
        let Some(method) = req.method().map(str::to_owned) else {
            let key: Key = Arc::from("");
            return (key.clone(), vec![Output::Timeout { key }]);
        };
        let Some(via) = req
            .headers
            .iter()
            .position(|h| h.name.eq_ignore_ascii_case("Via"))
        else {
            let key: Key = Arc::from(format!("- {method}"));
            return (key.clone(), vec![Output::Timeout { key }]);
        };
        let branch = match via_param(&req.headers[via].value, "branch") {
            Some(b) if !b.is_empty() => b.to_owned(),
            _ => {
                let b = self.new_branch();
                // Drop an empty `;branch` rather than add a second one.
                let v = &mut req.headers[via].value;
                let mut fixed = String::with_capacity(v.len() + b.len() + 8);
                for (i, p) in v.split(';').enumerate() {
                    let name = p.split('=').next().unwrap_or("").trim();
                    if i > 0 && name.eq_ignore_ascii_case("branch") {
                        continue;
                    }
                    if i > 0 {
                        fixed.push(';');
                    }
                    fixed.push_str(p);
                }
                let _ = write!(fixed, ";branch={b}");
                *v = fixed;
                b
            }
        };
        let key: Key = Arc::from(format!("{branch} {method}"));
        let send = Output::Send {
            to,
            transport,
            msg: req.clone(),
        };
        if method == "ACK" {
            return (key, vec![send]);
        }
        if let Some(old) = self.client.remove(&key) {
            self.timers.forget(&old.slots);
        }
        let mut tx = ClientTx {
            key: key.clone(),
            invite: method == "INVITE",
            state: ClientState::Calling,
            transport,
            peer: to,
            msg: req,
            interval: self.t1,
            slots: Slots::default(),
        };
        if !transport.reliable() {
            self.timers.arm(
                &mut tx.slots,
                Side::Client,
                &key,
                Slot::Retransmit,
                now + self.t1,
            );
        }
        self.timers.arm(
            &mut tx.slots,
            Side::Client,
            &key,
            Slot::Timeout,
            now + 64 * self.t1,
        );
        self.client.insert(key.clone(), tx);
        self.maybe_compact();
        (key, vec![send])
    }

    /// The INVITE server transaction a received CANCEL (given to the TU as a request of its
    /// own) cancels, if it is still live (§9.2: same top Via, Call-ID, CSeq number...).
    pub fn cancel_target(&self, cancel: &Message) -> Option<Key> {
        let mut k = String::with_capacity(128);
        if !server_key(cancel, Some("INVITE"), &mut k) {
            return None;
        }
        self.server
            .get_key_value(k.as_str())
            .filter(|(_, tx)| tx.invite)
            .map(|(key, _)| key.clone())
    }

    /// Advance time: fire every timer due at `now`.
    pub fn on_timer(&mut self, now: Instant) -> Vec<Output> {
        let mut out = Vec::new();
        while self.timers.heap.peek().is_some_and(|e| e.at <= now) {
            let e = self.timers.heap.pop().expect("peeked");
            let slots = match e.side {
                Side::Server => self.server.get_mut(&e.key).map(|t| &mut t.slots),
                Side::Client => self.client.get_mut(&e.key).map(|t| &mut t.slots),
            };
            match slots {
                Some(s) if s.0[e.slot as usize] == Some(e.at) => s.0[e.slot as usize] = None,
                _ => {
                    self.timers.stale = self.timers.stale.saturating_sub(1);
                    continue;
                }
            }
            match e.side {
                Side::Server => self.fire_server(e.key, e.slot, now, &mut out),
                Side::Client => self.fire_client(e.key, e.slot, now, &mut out),
            }
        }
        self.maybe_compact();
        out
    }

    fn fire_server(&mut self, key: Key, slot: Slot, now: Instant, out: &mut Vec<Output>) {
        match slot {
            Slot::Retransmit => {
                // Timer G: re-send the non-2xx final, back off up to T2.
                let tx = self.server.get_mut(&key).expect("validated");
                if let Some(last) = &tx.last {
                    out.push(Output::Send {
                        to: tx.peer,
                        transport: tx.transport,
                        msg: last.clone(),
                    });
                }
                tx.interval = (tx.interval * 2).min(T2);
                self.timers.arm(
                    &mut tx.slots,
                    Side::Server,
                    &key,
                    Slot::Retransmit,
                    now + tx.interval,
                );
            }
            Slot::Timeout => {
                // Timer H: the ACK never came.
                self.remove_server(&key);
                out.push(Output::Timeout { key });
            }
            Slot::Linger => {
                // Timers I and J.
                self.remove_server(&key);
            }
        }
    }

    fn fire_client(&mut self, key: Key, slot: Slot, now: Instant, out: &mut Vec<Output>) {
        match slot {
            Slot::Retransmit => {
                // Timer A (doubling) or E (doubling up to T2; T2 once Proceeding).
                let tx = self.client.get_mut(&key).expect("validated");
                out.push(Output::Send {
                    to: tx.peer,
                    transport: tx.transport,
                    msg: tx.msg.clone(),
                });
                tx.interval = if tx.invite {
                    tx.interval * 2
                } else if tx.state == ClientState::Proceeding {
                    T2
                } else {
                    (tx.interval * 2).min(T2)
                };
                self.timers.arm(
                    &mut tx.slots,
                    Side::Client,
                    &key,
                    Slot::Retransmit,
                    now + tx.interval,
                );
            }
            Slot::Timeout => {
                // Timer B or F.
                self.remove_client(&key);
                out.push(Output::Timeout { key });
            }
            Slot::Linger => {
                // Timers D and K.
                self.remove_client(&key);
            }
        }
    }

    fn remove_server(&mut self, k: &str) {
        if let Some(tx) = self.server.remove(k) {
            self.timers.forget(&tx.slots);
        }
    }

    fn remove_client(&mut self, k: &str) {
        if let Some(tx) = self.client.remove(k) {
            self.timers.forget(&tx.slots);
        }
    }

    /// Drop stale heap entries once they are the majority (amortised O(1) per entry).
    fn maybe_compact(&mut self) {
        let t = &mut self.timers;
        if t.stale < 1024 || t.stale * 2 < t.heap.len() {
            return;
        }
        let mut v = std::mem::take(&mut t.heap).into_vec();
        v.retain(|e| {
            let slots = match e.side {
                Side::Server => self.server.get(&e.key).map(|t| &t.slots),
                Side::Client => self.client.get(&e.key).map(|t| &t.slots),
            };
            slots.is_some_and(|s| s.0[e.slot as usize] == Some(e.at))
        });
        t.heap = BinaryHeap::from(v);
        t.stale = 0;
    }
}

/// The first value of a header by its canonical name, without the allocations of
/// [`Message::header`] (parsed messages carry canonical names).
fn first<'a>(msg: &'a Message, name: &str) -> Option<&'a str> {
    msg.headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str())
}

/// A parameter of a Via value (no `<...>` to skip there), borrowed.
fn via_param<'a>(via: &'a str, name: &str) -> Option<&'a str> {
    via.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// Append the sent-by of a Via value (`SIP/2.0/UDP host:port;...` → `host:port`), lower
/// case, without the spaces the grammar allows around `/` and `:`.
fn push_sent_by(via: &str, out: &mut String) {
    let head = via.split(';').next().unwrap_or("");
    let proto_end = head.rsplit_once('/').map_or(head, |(_, r)| r).trim_start();
    let sent_by = proto_end
        .split_once(char::is_whitespace)
        .map_or("", |(_, r)| r);
    out.extend(
        sent_by
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_lowercase()),
    );
}

/// The server transaction key of a request (see [`Key`]) into `out`; `method` overrides the
/// request's own method. False for a request without a Via.
fn server_key(msg: &Message, method: Option<&str>, out: &mut String) -> bool {
    out.clear();
    let (Some(via), Some(own)) = (first(msg, "Via"), msg.method()) else {
        return false;
    };
    let m = match method.unwrap_or(own) {
        "ACK" => "INVITE",
        m => m,
    };
    match via_param(via, "branch") {
        Some(b) if b.starts_with(COOKIE) => {
            out.push_str(b);
            out.push(' ');
            out.push_str(m);
            out.push(' ');
            push_sent_by(via, out);
            // The Call-ID too: a retransmission repeats it, and two different requests that
            // happen to reuse a branch (broken UAs; RFC 4475's messages) stay apart.
            out.push(' ');
            out.push_str(first(msg, "Call-ID").unwrap_or(""));
        }
        _ => {
            let cseq = first(msg, "CSeq")
                .and_then(|c| c.split_whitespace().next())
                .unwrap_or("");
            let tag = first(msg, "From")
                .and_then(|f| param(f, "tag"))
                .unwrap_or_default();
            let _ = write!(
                out,
                "2543 {} {cseq} {m} {tag} {via}",
                first(msg, "Call-ID").unwrap_or("")
            );
        }
    }
    true
}

/// The client transaction key of a response (top Via branch, CSeq method) into `out`. False
/// when either is missing.
fn client_key(msg: &Message, out: &mut String) -> bool {
    out.clear();
    let branch = first(msg, "Via").and_then(|v| via_param(v, "branch"));
    let method = first(msg, "CSeq").and_then(|c| c.split_whitespace().nth(1));
    let (Some(b), Some(m)) = (branch, method) else {
        return false;
    };
    if b.is_empty() {
        return false;
    }
    out.push_str(b);
    out.push(' ');
    out.push_str(m);
    true
}

/// The ACK for a non-2xx final response to `invite` (§17.1.1.3): same Request-URI, Call-ID,
/// From and top Via (so the same branch), the To of the response (with its tag), CSeq with
/// the INVITE's number and method ACK, the INVITE's Route set, no body.
fn build_ack(invite: &Message, resp: &Message) -> Message {
    let uri = match &invite.start {
        StartLine::Request { uri, .. } => uri.clone(),
        StartLine::Response { .. } => String::new(),
    };
    let mut headers = Vec::with_capacity(8);
    let mut h = |name: &'static str, value: &str| {
        headers.push(Header {
            name: name.into(),
            value: value.to_string(),
        })
    };
    if let Some(v) = invite.header("Via") {
        h("Via", v);
    }
    for r in invite.headers_named("Route") {
        h("Route", r);
    }
    h("Max-Forwards", "70");
    if let Some(v) = invite.header("From") {
        h("From", v);
    }
    if let Some(v) = resp.header("To").or_else(|| invite.header("To")) {
        h("To", v);
    }
    if let Some(v) = invite.call_id() {
        h("Call-ID", v);
    }
    let n = invite
        .header("CSeq")
        .and_then(|c| c.split_whitespace().next())
        .unwrap_or("1");
    h("CSeq", &format!("{n} ACK"));
    Message {
        start: StartLine::Request {
            method: "ACK".into(),
            uri,
        },
        headers,
        body: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn peer() -> SocketAddr {
        "192.0.2.10:5060".parse().unwrap()
    }

    fn layer() -> Layer {
        Layer::new(T1)
    }

    /// A request as a phone sends it; `via` is the whole top Via value.
    fn request_via(method: &str, via: &str, cseq_method: &str) -> Message {
        let raw = format!(
            "{method} sip:2000@192.0.2.1 SIP/2.0\r\n\
             Via: {via}\r\n\
             Max-Forwards: 70\r\n\
             Route: <sip:proxy1.example;lr>\r\n\
             Route: <sip:proxy2.example;lr>\r\n\
             From: <sip:1001@192.0.2.1>;tag=from1\r\n\
             To: <sip:2000@192.0.2.1>\r\n\
             Call-ID: call-1@192.0.2.10\r\n\
             CSeq: 7 {cseq_method}\r\n\
             Content-Length: 0\r\n\r\n"
        );
        Message::parse(raw.as_bytes(), false).unwrap().0
    }

    fn request(method: &str, branch: &str) -> Message {
        let cseq = if method == "ACK" { "ACK" } else { method };
        request_via(
            method,
            &format!("SIP/2.0/UDP 192.0.2.10:5060;branch={branch};rport"),
            cseq,
        )
    }

    /// A response to `req` as the UAS builds it (Via, From, Call-ID, CSeq copied, To tagged).
    fn response(req: &Message, code: u16) -> Message {
        let mut headers = Vec::new();
        for v in req.headers_named("Via") {
            headers.push(Header {
                name: "Via".into(),
                value: v.into(),
            });
        }
        for n in ["From", "Call-ID", "CSeq"] {
            headers.push(Header {
                name: n.into(),
                value: req.header(n).unwrap().into(),
            });
        }
        headers.push(Header {
            name: "To".into(),
            value: format!("{};tag=to1", req.header("To").unwrap()),
        });
        Message {
            start: StartLine::Response {
                code,
                reason: "Reason".into(),
            },
            headers,
            body: Vec::new(),
        }
    }

    /// The ACK a UAC sends for a non-2xx final `resp` to `invite`.
    fn ack_for(invite: &Message, resp: &Message) -> Message {
        build_ack(invite, resp)
    }

    fn sent(out: &[Output]) -> Vec<&Message> {
        out.iter()
            .filter_map(|o| match o {
                Output::Send { msg, .. } => Some(msg),
                _ => None,
            })
            .collect()
    }

    fn the_request_key(out: &[Output]) -> Key {
        match out {
            [Output::Request { key, .. }] => key.clone(),
            _ => panic!("expected one Request: {out:?}"),
        }
    }

    /// Drive timers from `start` to `start + until` the way the driver would, recording
    /// each output with its offset from `start`.
    fn run(l: &mut Layer, start: Instant, until: Duration) -> Vec<(Duration, Output)> {
        let mut log = Vec::new();
        while let Some(at) = l.next_timer() {
            if at > start + until {
                break;
            }
            for o in l.on_timer(at) {
                log.push((at - start, o));
            }
        }
        log
    }

    fn send_times(log: &[(Duration, Output)]) -> Vec<u64> {
        log.iter()
            .filter(|(_, o)| matches!(o, Output::Send { .. }))
            .map(|(d, _)| d.as_millis() as u64)
            .collect()
    }

    #[test]
    fn non_invite_server_absorbs_retransmissions_and_expires_after_j() {
        let mut l = layer();
        let t0 = Instant::now();
        let reg = request("REGISTER", "z9hG4bK-r1");
        let key = the_request_key(&l.on_message(reg.clone(), peer(), Transport::Udp, t0));
        assert_eq!(l.len(), 1);
        // Trying: a retransmission is absorbed silently.
        assert!(l
            .on_message(reg.clone(), peer(), Transport::Udp, t0 + 500 * MS)
            .is_empty());
        // Proceeding: the provisional is re-sent.
        let trying = response(&reg, 100);
        let out = l.respond(&key, trying.clone(), t0 + 600 * MS);
        assert_eq!(sent(&out), [&trying]);
        let out = l.on_message(reg.clone(), peer(), Transport::Udp, t0 + 1500 * MS);
        assert_eq!(sent(&out), [&trying]);
        // Completed: the final is re-sent; a second final from the TU is ignored.
        let ok = response(&reg, 200);
        let t1 = t0 + 2 * T1.mul_f32(2.0);
        let out = l.respond(&key, ok.clone(), t1);
        assert!(
            matches!(&out[..], [Output::Send { to, transport: Transport::Udp, msg }] if *to == peer() && *msg == ok)
        );
        assert!(l.respond(&key, response(&reg, 500), t1).is_empty());
        let out = l.on_message(reg.clone(), peer(), Transport::Udp, t1 + 10 * T1);
        assert_eq!(sent(&out), [&ok]);
        // Timer J = 64*T1 after the final, then gone without a word.
        assert_eq!(l.next_timer(), Some(t1 + 64 * T1));
        assert!(l.on_timer(t1 + 64 * T1 - MS).is_empty());
        assert_eq!(l.len(), 1);
        assert!(l.on_timer(t1 + 64 * T1).is_empty());
        assert_eq!(l.len(), 0);
        assert_eq!(l.respond(&key, ok, t1 + 64 * T1), vec![]);
        // The same request now is a new transaction.
        let out = l.on_message(reg, peer(), Transport::Udp, t1 + 65 * T1);
        assert!(matches!(&out[..], [Output::Request { .. }]));
    }

    #[test]
    fn non_invite_server_over_tcp_ends_with_the_final() {
        let mut l = layer();
        let t0 = Instant::now();
        let opt = request_via(
            "OPTIONS",
            "SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bK-o1",
            "OPTIONS",
        );
        let out = l.on_message(opt.clone(), peer(), Transport::Tcp, t0);
        assert!(matches!(
            &out[..],
            [Output::Request {
                transport: Transport::Tcp,
                ..
            }]
        ));
        let key = the_request_key(&out);
        let out = l.respond(&key, response(&opt, 200), t0);
        assert!(matches!(
            &out[..],
            [Output::Send {
                transport: Transport::Tcp,
                ..
            }]
        ));
        assert_eq!(l.len(), 0);
        assert_eq!(l.next_timer(), None);
    }

    #[test]
    fn invite_server_retransmits_non_2xx_on_g_until_the_ack_which_is_absorbed() {
        let mut l = layer();
        let t0 = Instant::now();
        let inv = request("INVITE", "z9hG4bK-i1");
        let key = the_request_key(&l.on_message(inv.clone(), peer(), Transport::Udp, t0));
        // Proceeding: a retransmission before any response is absorbed, after one the
        // provisional is re-sent.
        assert!(l
            .on_message(inv.clone(), peer(), Transport::Udp, t0)
            .is_empty());
        let ringing = response(&inv, 180);
        assert_eq!(sent(&l.respond(&key, ringing.clone(), t0)), [&ringing]);
        let out = l.on_message(inv.clone(), peer(), Transport::Udp, t0);
        assert_eq!(sent(&out), [&ringing]);
        assert_eq!(l.next_timer(), None, "no timer while Proceeding");

        let busy = response(&inv, 486);
        assert_eq!(sent(&l.respond(&key, busy.clone(), t0)), [&busy]);
        // Timer G: T1, 2T1, 4T1, then capped at T2 = 4 s.
        let log = run(&mut l, t0, 12 * T1 * 2);
        assert_eq!(send_times(&log), [500, 1500, 3500, 7500, 11500]);
        assert!(log
            .iter()
            .all(|(_, o)| matches!(o, Output::Send { msg, .. } if *msg == busy)));
        // A retransmitted INVITE gets the final again.
        let out = l.on_message(inv.clone(), peer(), Transport::Udp, t0 + 12 * T1 * 2);
        assert_eq!(sent(&out), [&busy]);
        // The ACK is absorbed and stops G and H.
        let ack = ack_for(&inv, &busy);
        let t1 = t0 + 13 * T1 * 2;
        assert!(l
            .on_message(ack.clone(), peer(), Transport::Udp, t1)
            .is_empty());
        assert!(l.on_message(ack, peer(), Transport::Udp, t1).is_empty());
        assert!(l.on_message(inv, peer(), Transport::Udp, t1).is_empty());
        // Timer I = T4, silently.
        let log = run(&mut l, t0, Duration::from_secs(100));
        assert!(log.is_empty(), "{log:?}");
        assert_eq!(l.len(), 0);
        assert_eq!(l.next_timer(), None);
    }

    #[test]
    fn invite_server_times_out_on_h_without_an_ack() {
        let mut l = layer();
        let t0 = Instant::now();
        let inv = request("INVITE", "z9hG4bK-i2");
        let key = the_request_key(&l.on_message(inv.clone(), peer(), Transport::Udp, t0));
        l.respond(&key, response(&inv, 603), t0);
        let log = run(&mut l, t0, Duration::from_secs(100));
        assert_eq!(
            send_times(&log),
            [500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]
        );
        assert_eq!(
            log.last().unwrap(),
            &(64 * T1, Output::Timeout { key: key.clone() })
        );
        assert_eq!(l.len(), 0);
        // A late ACK is nobody's now.
        let ack = ack_for(&inv, &response(&inv, 603));
        let out = l.on_message(ack, peer(), Transport::Udp, t0 + 64 * T1);
        assert!(matches!(&out[..], [Output::Stray { .. }]));
    }

    #[test]
    fn invite_server_2xx_ends_the_transaction_at_once() {
        let mut l = layer();
        let t0 = Instant::now();
        let inv = request("INVITE", "z9hG4bK-i3");
        let key = the_request_key(&l.on_message(inv.clone(), peer(), Transport::Udp, t0));
        let ok = response(&inv, 200);
        assert_eq!(sent(&l.respond(&key, ok.clone(), t0)), [&ok]);
        assert_eq!(l.len(), 0);
        assert_eq!(l.next_timer(), None);
        // The ACK for a 2xx has its own branch and goes to the TU as stray.
        let ack = request("ACK", "z9hG4bK-a3");
        let out = l.on_message(ack.clone(), peer(), Transport::Udp, t0 + MS);
        assert_eq!(
            out,
            vec![Output::Stray {
                msg: ack,
                from: peer()
            }]
        );
        // A late retransmitted INVITE is a new transaction for the TU to recognise.
        let out = l.on_message(inv, peer(), Transport::Udp, t0 + T1);
        assert!(matches!(&out[..], [Output::Request { .. }]));
    }

    #[test]
    fn invite_client_retransmits_on_a_until_a_provisional_then_acks_a_non_2xx() {
        let mut l = layer();
        let t0 = Instant::now();
        let inv = request("INVITE", "z9hG4bK-c1");
        let (key, out) = l.request(inv.clone(), peer(), Transport::Udp, t0);
        assert_eq!(&*key, "z9hG4bK-c1 INVITE");
        assert_eq!(sent(&out), [&inv]);
        // Timer A doubles: 0.5, 1.5, 3.5 s.
        let log = run(&mut l, t0, 4000 * MS);
        assert_eq!(send_times(&log), [500, 1500, 3500]);
        let t1 = t0 + 4000 * MS;
        let out = l.on_message(response(&inv, 100), peer(), Transport::Udp, t1);
        assert_eq!(
            out,
            vec![Output::Response {
                key: key.clone(),
                msg: response(&inv, 100)
            }]
        );
        // Proceeding: no retransmissions, and no timer B.
        let log = run(&mut l, t0, Duration::from_secs(100));
        assert!(log.is_empty(), "{log:?}");
        assert_eq!(l.len(), 1);
        // A non-2xx final: the transaction ACKs it itself.
        let t2 = t0 + Duration::from_secs(100);
        let busy = response(&inv, 486);
        let out = l.on_message(busy.clone(), peer(), Transport::Udp, t2);
        let [Output::Send {
            to,
            transport: Transport::Udp,
            msg: ack,
        }, Output::Response { key: k, msg }] = &out[..]
        else {
            panic!("{out:?}")
        };
        assert_eq!((*to, k, msg), (peer(), &key, &busy));
        assert_eq!(ack.method(), Some("ACK"));
        assert_eq!(
            ack.start,
            StartLine::Request {
                method: "ACK".into(),
                uri: "sip:2000@192.0.2.1".into()
            }
        );
        assert_eq!(ack.branch().as_deref(), Some("z9hG4bK-c1"));
        assert_eq!(ack.header("To"), busy.header("To"));
        assert_eq!(ack.header("From"), inv.header("From"));
        assert_eq!(ack.call_id(), inv.call_id());
        assert_eq!(ack.cseq(), Some((7, "ACK".into())));
        assert_eq!(
            ack.headers_named("Route").collect::<Vec<_>>(),
            inv.headers_named("Route").collect::<Vec<_>>()
        );
        assert!(ack.body.is_empty());
        // Retransmitted finals are absorbed, the ACK re-sent.
        let out = l.on_message(busy.clone(), peer(), Transport::Udp, t2 + T1);
        assert_eq!(sent(&out), [ack]);
        assert_eq!(out.len(), 1);
        // Timer D: 32 s.
        let log = run(&mut l, t2, Duration::from_secs(32) - MS);
        assert!(log.is_empty());
        assert_eq!(l.len(), 1);
        assert!(l.on_timer(t2 + Duration::from_secs(32)).is_empty());
        assert_eq!(l.len(), 0);
        // Now a retransmitted final is stray.
        let out = l.on_message(busy, peer(), Transport::Udp, t2 + Duration::from_secs(33));
        assert!(matches!(&out[..], [Output::Stray { .. }]));
    }

    #[test]
    fn invite_client_times_out_on_b() {
        let mut l = layer();
        let t0 = Instant::now();
        let (key, _) = l.request(request("INVITE", "z9hG4bK-c2"), peer(), Transport::Udp, t0);
        let log = run(&mut l, t0, Duration::from_secs(100));
        assert_eq!(send_times(&log), [500, 1500, 3500, 7500, 15500, 31500]);
        assert_eq!(log.last().unwrap(), &(64 * T1, Output::Timeout { key }));
        assert_eq!(l.len(), 0);
    }

    #[test]
    fn invite_client_2xx_ends_it_and_retransmissions_are_stray() {
        let mut l = layer();
        let t0 = Instant::now();
        let inv = request("INVITE", "z9hG4bK-c3");
        let (key, _) = l.request(inv.clone(), peer(), Transport::Udp, t0);
        let ok = response(&inv, 200);
        let out = l.on_message(ok.clone(), peer(), Transport::Udp, t0 + 100 * MS);
        assert_eq!(
            out,
            vec![Output::Response {
                key,
                msg: ok.clone()
            }]
        );
        assert_eq!(l.len(), 0);
        assert!(run(&mut l, t0, Duration::from_secs(100)).is_empty());
        let out = l.on_message(ok.clone(), peer(), Transport::Udp, t0 + T1);
        assert_eq!(
            out,
            vec![Output::Stray {
                msg: ok,
                from: peer()
            }]
        );
        // The dialog's ACK for the 2xx goes out without a transaction.
        let (_, out) = l.request(
            request("ACK", "z9hG4bK-c3ack"),
            peer(),
            Transport::Udp,
            t0 + T1,
        );
        assert_eq!(sent(&out).len(), 1);
        assert_eq!(l.len(), 0);
        assert_eq!(l.next_timer(), None);
    }

    #[test]
    fn non_invite_client_retransmits_on_e_up_to_t2_and_times_out_on_f() {
        let mut l = layer();
        let t0 = Instant::now();
        let (key, out) = l.request(request("OPTIONS", "z9hG4bK-n1"), peer(), Transport::Udp, t0);
        assert_eq!(sent(&out).len(), 1);
        let log = run(&mut l, t0, Duration::from_secs(100));
        assert_eq!(
            send_times(&log),
            [500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]
        );
        assert_eq!(log.last().unwrap(), &(64 * T1, Output::Timeout { key }));
        assert_eq!(l.len(), 0);
    }

    #[test]
    fn non_invite_client_retransmits_at_t2_once_proceeding() {
        let mut l = layer();
        let t0 = Instant::now();
        let reg = request("REGISTER", "z9hG4bK-n2");
        let (key, _) = l.request(reg.clone(), peer(), Transport::Udp, t0);
        assert_eq!(send_times(&run(&mut l, t0, 600 * MS)), [500]);
        let out = l.on_message(response(&reg, 100), peer(), Transport::Udp, t0 + 600 * MS);
        assert!(matches!(&out[..], [Output::Response { .. }]));
        // E was due at 1.5 s already; from then on every T2.
        let log = run(&mut l, t0, 60 * T1);
        assert_eq!(
            send_times(&log),
            [1500, 5500, 9500, 13500, 17500, 21500, 25500, 29500]
        );
        let t1 = t0 + 60 * T1;
        let ok = response(&reg, 200);
        let out = l.on_message(ok.clone(), peer(), Transport::Udp, t1);
        assert_eq!(
            out,
            vec![Output::Response {
                key,
                msg: ok.clone()
            }]
        );
        // Completed: retransmitted finals are absorbed; timer K = T4.
        assert!(l
            .on_message(ok.clone(), peer(), Transport::Udp, t1 + MS)
            .is_empty());
        assert!(run(&mut l, t0, Duration::from_secs(100)).is_empty());
        assert_eq!(l.len(), 0);
        assert!(matches!(
            &l.on_message(ok, peer(), Transport::Udp, t1 + T4)[..],
            [Output::Stray { .. }]
        ));
    }

    #[test]
    fn non_invite_client_timer_f_still_runs_when_proceeding() {
        let mut l = layer();
        let t0 = Instant::now();
        let reg = request("REGISTER", "z9hG4bK-n3");
        let (key, _) = l.request(reg.clone(), peer(), Transport::Udp, t0);
        l.on_message(response(&reg, 100), peer(), Transport::Udp, t0);
        let log = run(&mut l, t0, Duration::from_secs(100));
        assert_eq!(log.last().unwrap(), &(64 * T1, Output::Timeout { key }));
    }

    #[test]
    fn cancel_is_a_transaction_of_its_own_on_both_sides() {
        // Server side.
        let mut l = layer();
        let t0 = Instant::now();
        let inv = request("INVITE", "z9hG4bK-x1");
        let cancel = request("CANCEL", "z9hG4bK-x1");
        let ik = the_request_key(&l.on_message(inv.clone(), peer(), Transport::Udp, t0));
        l.respond(&ik, response(&inv, 180), t0);
        let ck = the_request_key(&l.on_message(cancel.clone(), peer(), Transport::Udp, t0));
        assert_ne!(ik, ck);
        assert_eq!(l.len(), 2);
        assert_eq!(l.cancel_target(&cancel), Some(ik.clone()));
        assert_eq!(l.cancel_target(&request("CANCEL", "z9hG4bK-other")), None);
        let ok = response(&cancel, 200);
        assert_eq!(sent(&l.respond(&ck, ok.clone(), t0)), [&ok]);
        let terminated = response(&inv, 487);
        assert_eq!(sent(&l.respond(&ik, terminated.clone(), t0)), [&terminated]);
        // Retransmitted CANCEL gets its 200, retransmitted INVITE its 487.
        assert_eq!(
            sent(&l.on_message(cancel, peer(), Transport::Udp, t0 + MS)),
            [&ok]
        );
        assert_eq!(
            sent(&l.on_message(inv.clone(), peer(), Transport::Udp, t0 + MS)),
            [&terminated]
        );
        // The ACK goes to the INVITE transaction.
        let ack = ack_for(&inv, &terminated);
        assert!(l
            .on_message(ack, peer(), Transport::Udp, t0 + MS)
            .is_empty());
        assert!(run(&mut l, t0, Duration::from_secs(100)).is_empty());
        assert_eq!(l.len(), 0);

        // Client side: same branch, different keys, responses told apart by CSeq method.
        let mut l = layer();
        let (ik, _) = l.request(inv.clone(), peer(), Transport::Udp, t0);
        l.on_message(response(&inv, 180), peer(), Transport::Udp, t0);
        let cancel = request("CANCEL", "z9hG4bK-x1");
        let (ck, _) = l.request(cancel.clone(), peer(), Transport::Udp, t0);
        assert_ne!(ik, ck);
        assert_eq!(l.len(), 2);
        let out = l.on_message(response(&cancel, 200), peer(), Transport::Udp, t0 + MS);
        assert!(matches!(&out[..], [Output::Response { key, .. }] if *key == ck));
        let out = l.on_message(response(&inv, 487), peer(), Transport::Udp, t0 + MS);
        assert!(
            matches!(&out[..], [Output::Send { msg, .. }, Output::Response { key, .. }] if *key == ik && msg.method() == Some("ACK"))
        );
    }

    #[test]
    fn tcp_sends_no_retransmissions_and_has_no_linger() {
        let t0 = Instant::now();
        let via = "SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bK-t1";
        let inv = request_via("INVITE", via, "INVITE");
        let opt = request_via("OPTIONS", via, "OPTIONS");

        // Clients: only B and F, no A or E.
        let mut l = layer();
        let (ik, _) = l.request(inv.clone(), peer(), Transport::Tcp, t0);
        let (ok_, _) = l.request(opt.clone(), peer(), Transport::Tcp, t0);
        let log = run(&mut l, t0, Duration::from_secs(100));
        assert_eq!(send_times(&log), Vec::<u64>::new());
        assert_eq!(
            log,
            vec![
                (64 * T1, Output::Timeout { key: ik }),
                (64 * T1, Output::Timeout { key: ok_ })
            ]
        );

        // INVITE client, non-2xx: ACK sent, then D = 0.
        let mut l = layer();
        l.request(inv.clone(), peer(), Transport::Tcp, t0);
        let out = l.on_message(response(&inv, 404), peer(), Transport::Tcp, t0);
        assert!(matches!(
            &out[..],
            [
                Output::Send {
                    transport: Transport::Tcp,
                    ..
                },
                Output::Response { .. }
            ]
        ));
        assert_eq!(l.len(), 0);
        // Non-INVITE client: K = 0.
        l.request(opt.clone(), peer(), Transport::Tcp, t0);
        l.on_message(response(&opt, 200), peer(), Transport::Tcp, t0);
        assert_eq!(l.len(), 0);

        // INVITE server, non-2xx: no G, H still guards the ACK, I = 0.
        let mut l = layer();
        let key = the_request_key(&l.on_message(inv.clone(), peer(), Transport::Tcp, t0));
        let busy = response(&inv, 486);
        l.respond(&key, busy.clone(), t0);
        assert!(run(&mut l, t0, 63 * T1).is_empty());
        assert!(l
            .on_message(ack_for(&inv, &busy), peer(), Transport::Tcp, t0 + 63 * T1)
            .is_empty());
        assert_eq!(l.len(), 0);
        assert!(run(&mut l, t0, Duration::from_secs(100)).is_empty());
        // ... and H fires over TCP too.
        let key = the_request_key(&l.on_message(inv, peer(), Transport::Tcp, t0));
        l.respond(&key, busy, t0);
        let log = run(&mut l, t0, Duration::from_secs(100));
        assert_eq!(log, vec![(64 * T1, Output::Timeout { key })]);
    }

    #[test]
    fn same_branch_different_method_or_sent_by_are_different_transactions() {
        let mut l = layer();
        let t0 = Instant::now();
        let a = request("INVITE", "z9hG4bK-same");
        let b = request("OPTIONS", "z9hG4bK-same");
        let c = request_via(
            "INVITE",
            "SIP/2.0/UDP 192.0.2.99:5060;branch=z9hG4bK-same",
            "INVITE",
        );
        let ka = the_request_key(&l.on_message(a.clone(), peer(), Transport::Udp, t0));
        let kb = the_request_key(&l.on_message(b, peer(), Transport::Udp, t0));
        let kc = the_request_key(&l.on_message(c, peer(), Transport::Udp, t0));
        assert!(ka != kb && kb != kc && ka != kc);
        assert_eq!(l.len(), 3);
        // Sent-by compares without case and the spaces the grammar allows.
        let a2 = request_via(
            "INVITE",
            "SIP / 2.0 / UDP  192.0.2.10 : 5060 ; branch=z9hG4bK-same",
            "INVITE",
        );
        assert!(l.on_message(a2, peer(), Transport::Udp, t0).is_empty());
        assert_eq!(
            &*ka,
            "z9hG4bK-same INVITE 192.0.2.10:5060 call-1@192.0.2.10"
        );
        // Another request reusing the branch (another Call-ID) is no retransmission.
        let mut d = request("INVITE", "z9hG4bK-same");
        d.set_header("Call-ID", "call-2@192.0.2.10");
        let kd = the_request_key(&l.on_message(d, peer(), Transport::Udp, t0));
        assert!(kd != ka);
    }

    #[test]
    fn old_style_and_missing_branches_still_match() {
        for via in [
            "SIP/2.0/UDP 192.0.2.10:5060",
            "SIP/2.0/UDP 192.0.2.10:5060;branch=1",
        ] {
            let mut l = layer();
            let t0 = Instant::now();
            let inv = request_via("INVITE", via, "INVITE");
            let key = the_request_key(&l.on_message(inv.clone(), peer(), Transport::Udp, t0));
            assert!(key.starts_with("2543 "), "{key}");
            assert!(l
                .on_message(inv.clone(), peer(), Transport::Udp, t0)
                .is_empty());
            // A different call with the same Via is another transaction.
            let mut other = inv.clone();
            other.set_header("Call-ID", "call-2@192.0.2.10");
            the_request_key(&l.on_message(other, peer(), Transport::Udp, t0));
            assert_eq!(l.len(), 2);
            // CANCEL is its own transaction, and finds its INVITE.
            let cancel = request_via("CANCEL", via, "CANCEL");
            let ck = the_request_key(&l.on_message(cancel.clone(), peer(), Transport::Udp, t0));
            assert_ne!(ck, key);
            assert_eq!(l.cancel_target(&cancel), Some(key.clone()));
            // The non-2xx final is re-sent for retransmissions; the ACK (CSeq ACK) matches.
            let busy = response(&inv, 486);
            l.respond(&key, busy.clone(), t0);
            assert_eq!(
                sent(&l.on_message(inv.clone(), peer(), Transport::Udp, t0)),
                [&busy]
            );
            let ack = request_via("ACK", via, "ACK");
            assert!(l
                .on_message(ack, peer(), Transport::Udp, t0 + MS)
                .is_empty());
            let log = run(&mut l, t0, Duration::from_secs(10));
            assert_eq!(send_times(&log), Vec::<u64>::new(), "G stopped by the ACK");
        }
    }

    #[test]
    fn client_request_without_a_branch_gets_one() {
        let mut l = layer();
        let t0 = Instant::now();
        for via in [
            "SIP/2.0/UDP 192.0.2.1:5060;rport",
            "SIP/2.0/UDP 192.0.2.1:5060;branch;rport",
        ] {
            let req = request_via("OPTIONS", via, "OPTIONS");
            let (key, out) = l.request(req, peer(), Transport::Udp, t0);
            let msg = sent(&out)[0];
            let b = msg.branch().unwrap();
            assert!(b.starts_with(COOKIE), "{b}");
            assert_eq!(msg.headers_named("Via").count(), 1);
            assert_eq!(msg.header("Via").unwrap().matches("branch").count(), 1);
            assert_eq!(&*key, format!("{b} OPTIONS"));
            // Its response finds it.
            let out = l.on_message(response(msg, 200), peer(), Transport::Udp, t0);
            assert!(matches!(&out[..], [Output::Response { key: k, .. }] if *k == key));
        }
        assert_ne!(l.new_branch(), l.new_branch());
        // Not a usable request: fails at once.
        let mut no_via = request("OPTIONS", "z9hG4bK-nv");
        no_via.headers.retain(|h| h.name != "Via");
        let (key, out) = l.request(no_via, peer(), Transport::Udp, t0);
        assert_eq!(out, vec![Output::Timeout { key }]);
    }

    #[test]
    fn strays() {
        let mut l = layer();
        let t0 = Instant::now();
        let inv = request("INVITE", "z9hG4bK-s1");
        // A response to nothing we sent, a response without a branch, a request without Via.
        let mut no_branch = response(&inv, 200);
        no_branch.set_header("Via", "SIP/2.0/UDP 192.0.2.10:5060");
        let mut no_via = inv.clone();
        no_via.headers.retain(|h| h.name != "Via");
        for m in [response(&inv, 200), no_branch, no_via] {
            let out = l.on_message(m.clone(), peer(), Transport::Udp, t0);
            assert_eq!(
                out,
                vec![Output::Stray {
                    msg: m,
                    from: peer()
                }]
            );
        }
        assert_eq!(l.len(), 0);
    }

    #[test]
    fn stale_timers_are_compacted() {
        let mut l = layer();
        let t0 = Instant::now();
        for i in 0..5000 {
            let req = request("OPTIONS", &format!("z9hG4bK-{i}"));
            l.request(req.clone(), peer(), Transport::Udp, t0);
            // Each answer cancels E and F and arms K: two stale entries per transaction.
            l.on_message(response(&req, 200), peer(), Transport::Udp, t0);
        }
        assert_eq!(l.len(), 5000);
        assert!(l.timers.heap.len() < 2 * 5000, "{}", l.timers.heap.len());
        // Everything still expires on time.
        assert!(l.on_timer(t0 + T4 - MS).is_empty());
        assert_eq!(l.len(), 5000);
        l.on_timer(t0 + T4);
        assert_eq!(l.len(), 0);
        assert!(l.timers.heap.len() < 5000);
        l.on_timer(t0 + Duration::from_secs(100));
        assert_eq!(l.timers.heap.len(), 0);
        assert_eq!(l.next_timer(), None);
    }
}
