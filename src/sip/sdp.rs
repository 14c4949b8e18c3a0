//! The SDP offer/answer we need for G.711 calls (RFC 3264): read the far end's audio address
//! and payload types, answer with the first codec both sides allow (A-law 8, µ-law 0) and
//! RFC 4733 telephone-event when offered.

use std::net::IpAddr;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Offer {
    pub addr: Option<IpAddr>,
    pub port: u16,
    /// Payload types in the order offered.
    pub payloads: Vec<u8>,
    /// The payload type of telephone-event, if offered.
    pub dtmf: Option<u8>,
    /// The audio stream's direction (`a=sendonly` ...; session-level or media-level).
    pub direction: Direction,
}

/// RFC 3264 §5.1 stream directions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Direction {
    #[default]
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }
    /// The answer's direction for an offer's (RFC 3264 §6.1).
    pub fn mirrored(self) -> Direction {
        match self {
            Direction::SendOnly => Direction::RecvOnly,
            Direction::RecvOnly => Direction::SendOnly,
            d => d,
        }
    }
}

impl Offer {
    /// Is the far end putting us on hold? `sendonly`/`inactive`, or the RFC 2543 way
    /// (`c=IN IP4 0.0.0.0`), as chan_sip reads a re-INVITE.
    pub fn is_hold(&self) -> bool {
        matches!(self.direction, Direction::SendOnly | Direction::Inactive)
            || self.addr.is_some_and(|a| a.is_unspecified())
    }
}

pub fn parse(body: &[u8]) -> Option<Offer> {
    let text = String::from_utf8_lossy(body);
    let mut addr = None;
    let mut audio: Option<(u16, Vec<u8>)> = None;
    let mut dtmf = None;
    let mut direction = Direction::SendRecv;
    for line in text.lines() {
        let line = line.trim();
        match line {
            "a=sendrecv" => direction = Direction::SendRecv,
            "a=sendonly" => direction = Direction::SendOnly,
            "a=recvonly" => direction = Direction::RecvOnly,
            "a=inactive" => direction = Direction::Inactive,
            _ => {}
        }
        if let Some(c) = line
            .strip_prefix("c=IN IP4 ")
            .or_else(|| line.strip_prefix("c=IN IP6 "))
        {
            addr = c.split('/').next().and_then(|a| a.trim().parse().ok());
        } else if let Some(m) = line.strip_prefix("m=audio ") {
            let mut it = m.split_whitespace();
            let port = it.next()?.split('/').next()?.parse().ok()?;
            let _proto = it.next();
            audio = Some((port, it.filter_map(|p| p.parse().ok()).collect()));
        } else if let Some(r) = line.strip_prefix("a=rtpmap:") {
            let (pt, enc) = r.split_once(' ')?;
            if enc.to_ascii_lowercase().starts_with("telephone-event/") {
                dtmf = pt.parse().ok();
            }
        }
    }
    let (port, payloads) = audio?;
    Some(Offer {
        addr,
        port,
        payloads,
        dtmf,
        direction,
    })
}

/// Our SDP again for a re-INVITE: the session version one higher (RFC 3264 §8) and the
/// direction answering theirs.
pub fn reanswer(ours: &[u8], theirs: Direction) -> Vec<u8> {
    let text = String::from_utf8_lossy(ours);
    let mut out = String::with_capacity(text.len() + 8);
    for line in text.split_inclusive("\r\n") {
        let bare = line.trim_end();
        if let Some(o) = bare.strip_prefix("o=") {
            let mut f: Vec<String> = o.split(' ').map(str::to_string).collect();
            if let Some(v) = f.get(2).and_then(|v| v.parse::<u64>().ok()) {
                f[2] = (v + 1).to_string();
            }
            out.push_str(&format!("o={}\r\n", f.join(" ")));
        } else if matches!(
            bare,
            "a=sendrecv" | "a=sendonly" | "a=recvonly" | "a=inactive"
        ) {
            out.push_str(&format!("a={}\r\n", theirs.mirrored().as_str()));
        } else {
            out.push_str(line);
        }
    }
    out.into_bytes()
}

/// The codec names of `allow=` as payload types (A-law 8, µ-law 0), in preference order.
pub fn payloads_for(codecs: &[String]) -> Vec<u8> {
    codecs
        .iter()
        .filter_map(|c| match c.to_ascii_lowercase().as_str() {
            "alaw" => Some(8),
            "ulaw" => Some(0),
            _ => None,
        })
        .collect()
}

fn rtpmap(pt: u8) -> &'static str {
    match pt {
        0 => "PCMU/8000",
        _ => "PCMA/8000",
    }
}

/// Our SDP: `payloads` (answer: the one chosen; offer: all we allow), DTMF as 101 (or the
/// offered number).
pub fn build(ip: IpAddr, port: u16, session: u64, payloads: &[u8], dtmf: Option<u8>) -> Vec<u8> {
    let fam = if ip.is_ipv4() { "IP4" } else { "IP6" };
    let mut pts: Vec<String> = payloads.iter().map(|p| p.to_string()).collect();
    if let Some(d) = dtmf {
        pts.push(d.to_string());
    }
    let mut s = format!(
        "v=0\r\no=zvezda {session} {session} IN {fam} {ip}\r\ns=zvezda\r\nc=IN {fam} {ip}\r\nt=0 0\r\nm=audio {port} RTP/AVP {}\r\n",
        pts.join(" ")
    );
    for p in payloads {
        s.push_str(&format!("a=rtpmap:{p} {}\r\n", rtpmap(*p)));
    }
    if let Some(d) = dtmf {
        s.push_str(&format!(
            "a=rtpmap:{d} telephone-event/8000\r\na=fmtp:{d} 0-16\r\n"
        ));
    }
    s.push_str("a=ptime:20\r\na=sendrecv\r\n");
    s.into_bytes()
}

/// Answer an offer: the first offered codec we allow; None when there is none (488).
pub fn answer(offer: &Offer, allowed: &[u8]) -> Option<u8> {
    offer.payloads.iter().copied().find(|p| allowed.contains(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offer_from_the_recording_and_answer() {
        let body = b"v=0\r\no=uac 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 16182 RTP/AVP 8 0 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=sendrecv\r\n";
        let o = parse(body).unwrap();
        assert_eq!(o.port, 16182);
        assert_eq!(o.payloads, vec![8, 0, 101]);
        assert_eq!(o.dtmf, Some(101));
        assert_eq!(answer(&o, &[0]), Some(0));
        assert_eq!(answer(&o, &[8, 0]), Some(8));
        assert_eq!(answer(&o, &[]), None);
        let a =
            String::from_utf8(build("127.0.0.1".parse().unwrap(), 10000, 7, &[8], o.dtmf)).unwrap();
        assert!(a.contains("m=audio 10000 RTP/AVP 8 101\r\n"), "{a}");
        assert!(a.contains("a=rtpmap:101 telephone-event/8000"));
        assert_eq!(
            payloads_for(&["ulaw".into(), "alaw".into(), "gsm".into()]),
            vec![0, 8]
        );
        assert!(!o.is_hold());
    }

    #[test]
    fn hold_and_the_answer_to_it() {
        let hold = b"v=0\r\no=x 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 8\r\na=sendonly\r\n";
        let o = parse(hold).unwrap();
        assert_eq!(o.direction, Direction::SendOnly);
        assert!(o.is_hold());
        let old = b"v=0\r\nc=IN IP4 0.0.0.0\r\nm=audio 4000 RTP/AVP 8\r\n";
        assert!(parse(old).unwrap().is_hold());
        let ours = build("127.0.0.1".parse().unwrap(), 10000, 7, &[8], Some(101));
        let again = String::from_utf8(reanswer(&ours, o.direction)).unwrap();
        assert!(
            again.contains("o=zvezda 7 8 IN IP4 127.0.0.1\r\n"),
            "{again}"
        );
        assert!(
            again.contains("a=recvonly\r\n") && !again.contains("sendrecv"),
            "{again}"
        );
        let back = String::from_utf8(reanswer(again.as_bytes(), Direction::SendRecv)).unwrap();
        assert!(
            back.contains("o=zvezda 7 9 ") && back.contains("a=sendrecv\r\n"),
            "{back}"
        );
    }
}
