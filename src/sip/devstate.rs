//! chan_sip's device state (`sip_devicestate`): what `DEVICE_STATE(SIP/1001)`, hints and
//! queues see of a peer. In chan_sip's order:
//!
//! 1. no address (not registered, no static host) → UNAVAILABLE;
//! 2. a call of the peer on hold → ONHOLD (only with `notifyhold=yes`, as chan_sip keeps
//!    the hold count only then);
//! 3. calls to it ringing → RINGING (all its calls ring) or RINGINUSE (counted only with a
//!    call counter, like the in-use count);
//! 4. with a call counter (`call-limit`, or `callcounter=yes`): at the limit → BUSY; at or
//!    over `busylevel` → BUSY; any call → INUSE;
//! 5. qualified and unreachable or too slow → UNAVAILABLE;
//! 6. else NOT_INUSE. A name that is no peer is INVALID.

use crate::pbx::Pbx;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DevState {
    Unknown,
    NotInuse,
    Inuse,
    Busy,
    Invalid,
    Unavailable,
    Ringing,
    RingInuse,
    OnHold,
}

impl DevState {
    /// As `ast_devstate_str` writes it.
    pub fn name(self) -> &'static str {
        match self {
            DevState::Unknown => "UNKNOWN",
            DevState::NotInuse => "NOT_INUSE",
            DevState::Inuse => "INUSE",
            DevState::Busy => "BUSY",
            DevState::Invalid => "INVALID",
            DevState::Unavailable => "UNAVAILABLE",
            DevState::Ringing => "RINGING",
            DevState::RingInuse => "RINGINUSE",
            DevState::OnHold => "ONHOLD",
        }
    }
}

/// What a peer's counters say, gathered from the SIP state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    pub has_address: bool,
    pub on_hold: bool,
    pub ringing: u32,
    pub inuse: u32,
    /// `call-limit` (i64::MAX with `callcounter=yes`), 0 = no counter.
    pub call_limit: i64,
    pub busy_level: i64,
    /// `qualify` limit in ms (0 = not qualified) and the last answer (None = none yet,
    /// Some(None) = unreachable).
    pub maxms: i64,
    pub lastms: Option<Option<u32>>,
}

/// The decision, on its own (sans-IO, tested below).
pub fn decide(c: &Counters) -> DevState {
    if !c.has_address {
        return DevState::Unavailable;
    }
    let inuse = i64::from(c.inuse);
    if c.on_hold {
        DevState::OnHold
    } else if c.call_limit > 0 && c.ringing > 0 {
        if c.ringing == c.inuse {
            DevState::Ringing
        } else {
            DevState::RingInuse
        }
    } else if c.call_limit > 0
        && (inuse == c.call_limit || (c.busy_level > 0 && inuse >= c.busy_level))
    {
        // At the limit, or forced busy before it by busylevel.
        DevState::Busy
    } else if c.call_limit > 0 && inuse > 0 {
        DevState::Inuse
    } else if c.maxms > 0
        && matches!(c.lastms, Some(None))
            | matches!(c.lastms, Some(Some(ms)) if i64::from(ms) > c.maxms)
    {
        DevState::Unavailable
    } else {
        DevState::NotInuse
    }
}

/// `SIP/<peer>`'s state now.
pub fn of_peer(pbx: &Pbx, peer: &str) -> DevState {
    let cfg = pbx.config.read().unwrap().clone();
    let sip = &cfg.sip;
    let Some(p) = sip.peer(peer) else {
        return DevState::Invalid;
    };
    let registered = pbx.sip.registrar.lock().unwrap().regs.contains_key(peer);
    let static_host = matches!(
        p.host.as_ref().map(|h| &h.value),
        Some(crate::config::sip::Host::Static(_))
    );
    let counter = sip.general.callcounter.as_ref().is_some_and(|c| c.value);
    let call_limit = match p.call_limit.as_ref().map(|c| c.value) {
        Some(n) if n > 0 => n,
        _ if counter => i64::MAX,
        _ => 0,
    };
    let notifyhold = sip
        .general
        .options
        .iter()
        .rev()
        .find(|v| v.name.eq_ignore_ascii_case("notifyhold"))
        .is_some_and(|v| crate::config::ast_true(&v.value));
    let on_hold = notifyhold
        && pbx
            .sip
            .dialogs
            .lock()
            .unwrap()
            .values()
            .any(|d| d.hold && d.peer == peer);
    let c = Counters {
        has_address: registered || static_host,
        on_hold,
        ringing: pbx.sip.ringing_of(peer),
        inuse: pbx.sip.calls_of(peer),
        call_limit,
        busy_level: p.busylevel.as_ref().map(|b| b.value).unwrap_or(0),
        maxms: p
            .qualify
            .as_ref()
            .or(sip.general.qualify.as_ref())
            .map(|q| q.value.maxms())
            .unwrap_or(0),
        lastms: pbx.sip.qualify.lock().unwrap().get(peer).copied(),
    };
    decide(&c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Counters {
        Counters {
            has_address: true,
            call_limit: 4,
            ..Default::default()
        }
    }

    #[test]
    fn chan_sips_order() {
        assert_eq!(decide(&Counters::default()), DevState::Unavailable);
        assert_eq!(decide(&base()), DevState::NotInuse);
        let c = Counters { inuse: 1, ..base() };
        assert_eq!(decide(&c), DevState::Inuse);
        let c = Counters { inuse: 4, ..base() };
        assert_eq!(decide(&c), DevState::Busy);
        // busylevel: busy before the limit.
        let c = Counters {
            inuse: 2,
            busy_level: 2,
            ..base()
        };
        assert_eq!(decide(&c), DevState::Busy);
        let c = Counters {
            inuse: 1,
            busy_level: 2,
            ..base()
        };
        assert_eq!(decide(&c), DevState::Inuse);
        // Without a call counter neither busylevel nor calls show.
        let c = Counters {
            inuse: 3,
            busy_level: 1,
            call_limit: 0,
            ..base()
        };
        assert_eq!(decide(&c), DevState::NotInuse);
        let c = Counters {
            inuse: 1,
            ringing: 1,
            ..base()
        };
        assert_eq!(decide(&c), DevState::Ringing);
        // No call counter: ringing is not counted either.
        let c = Counters {
            inuse: 1,
            ringing: 1,
            call_limit: 0,
            ..base()
        };
        assert_eq!(decide(&c), DevState::NotInuse);
        let c = Counters {
            inuse: 2,
            ringing: 1,
            ..base()
        };
        assert_eq!(decide(&c), DevState::RingInuse);
        let c = Counters {
            inuse: 2,
            ringing: 1,
            on_hold: true,
            ..base()
        };
        assert_eq!(decide(&c), DevState::OnHold);
        let c = Counters {
            maxms: 2000,
            lastms: Some(None),
            ..base()
        };
        assert_eq!(decide(&c), DevState::Unavailable);
        let c = Counters {
            maxms: 2000,
            lastms: Some(Some(2500)),
            ..base()
        };
        assert_eq!(decide(&c), DevState::Unavailable);
        let c = Counters {
            maxms: 2000,
            lastms: Some(Some(20)),
            ..base()
        };
        assert_eq!(decide(&c), DevState::NotInuse);
    }
}
