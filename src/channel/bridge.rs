//! The two-party bridge (Asterisk's `simple_bridge`/basic bridge): packets from one leg go
//! to the other as they arrive, unchanged when both legs use the same codec, transcoded
//! (A-law <-> µ-law, a table lookup per byte) when they do not; RFC 4733 events pass through
//! with the other leg's payload type and timeline, or are converted when the other leg's
//! dtmfmode is info or inband (and INFO digits go on as that leg sends digits); an inband
//! leg's audio goes through the Goertzel detector and its digits go on the same way. Buffers
//! are the streams' own: nothing is allocated per packet unless a recording listens.
//!
//! A DTMF digit that ends on either side is reported to the caller of [`relay`] (the Dial
//! application), which decides whether it is a feature code (features.conf).

use super::media::{DtmfOut, Input, Packet, RtpStream};

/// Which leg something came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The channel that ran Dial (the caller).
    Caller,
    /// The called leg.
    Callee,
}

/// Relay packets between the legs until the application has something to see: a digit
/// that ended, a hold change, an RTP timeout. DTMF from a side in `hold_dtmf` (it may dial a
/// feature code) is not relayed: the application decides whether to pass it on.
///
/// Packets are relayed in a loop here, so the caller's other futures (hangup, timers) are
/// not polled again for every packet: it returns only when something needs its attention.
pub async fn relay(
    caller: &mut RtpStream,
    callee: &mut RtpStream,
    hold_dtmf: (bool, bool),
) -> (Side, Input) {
    loop {
        let r = tokio::select! {
            p = caller.recv_packet() => pass(p, caller, callee, hold_dtmf.0).map(|i| (Side::Caller, i)),
            p = callee.recv_packet() => pass(p, callee, caller, hold_dtmf.1).map(|i| (Side::Callee, i)),
        };
        if let Some(r) = r {
            return r;
        }
    }
}

fn pass(p: Packet, from: &mut RtpStream, to: &mut RtpStream, hold_dtmf: bool) -> Option<Input> {
    match p {
        Packet::Voice(law) => {
            let mut digit = None;
            if from.detects_inband() {
                // dtmfmode=inband: the digits are in the audio (decoded, so taps hear it).
                digit = from.inband_digit(law);
            } else if !from.taps.is_empty() {
                // Its recording hears it.
                from.decode(law);
            }
            to.relay_voice(law, from.payload());
            let (d, ms) = digit?;
            if !hold_dtmf && to.dtmf_out() != DtmfOut::Inband {
                // The tones went on in the audio; a leg that takes digits otherwise gets it
                // its way too.
                to.queue_digit(d, ms);
            }
            Some(Input::Dtmf(d))
        }
        Packet::Event { marker, timestamp } => {
            let events = to.takes_events();
            if !hold_dtmf && events {
                to.relay_event(marker, timestamp, from.payload());
            }
            let end = from.event_end(timestamp);
            if let Some((d, ms)) = end.filter(|_| !hold_dtmf && !events) {
                // The other leg's dtmfmode is info or inband: the digit goes its way.
                to.queue_digit(d, ms);
            }
            end.map(|(d, _)| Input::Dtmf(d))
        }
        Packet::Ctl(Input::Dtmf(d)) => {
            // A digit from a SIP INFO: to the other leg in its dtmfmode.
            if !hold_dtmf {
                to.queue_digit(d, 100);
            }
            Some(Input::Dtmf(d))
        }
        Packet::Ctl(i) => Some(i),
        Packet::Other => None,
    }
}
