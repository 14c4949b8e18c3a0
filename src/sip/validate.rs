//! What makes a request malformed beyond what the parser refuses, and what to answer a
//! request the parser could not read. RFC 4475's torture messages are the cases (see
//! tests/sip_torture.rs): a malformed request that can still be answered gets `400 Bad
//! Request` (RFC 3261 §8.2, §21.4.1), a SIP version other than 2.0 gets `505 Version Not
//! Supported`, a Request-URI scheme zvezda does not serve gets `416 Unsupported URI
//! Scheme` (§8.2.2.1); a response, or anything without a Via to answer to, is dropped.
//! Everything here is pure: the core sends what it returns.

use super::message::{Message, StartLine};

/// The answer a parsed request must get instead of being processed, if any.
pub fn check(msg: &Message) -> Option<(u16, &'static str)> {
    let StartLine::Request { method, uri } = &msg.start else {
        return None;
    };
    if method == "ACK" {
        // Nothing is ever answered to an ACK.
        return None;
    }
    // CSeq's method is the request's own (§8.1.1.5).
    if msg.cseq().is_some_and(|(_, m)| m != *method) {
        return Some((400, "Bad Request"));
    }
    // The Request-URI is an absolute URI, never a name-addr.
    if uri.starts_with('<') || !uri.contains(':') {
        return Some((400, "Bad Request"));
    }
    let scheme = uri.split(':').next().unwrap_or("").to_ascii_lowercase();
    if !matches!(scheme.as_str(), "sip" | "sips" | "tel") {
        return Some((416, "Unsupported URI Scheme"));
    }
    if !msg.headers_named("Via").all(via_ok) {
        return Some((400, "Bad Request"));
    }
    for h in ["From", "To", "Contact"] {
        if !msg.headers_named(h).all(quotes_balanced) {
            return Some((400, "Bad Request"));
        }
    }
    if let Some(mf) = msg.header("Max-Forwards") {
        if mf.is_empty() || !mf.bytes().all(|c| c.is_ascii_digit()) || mf.parse::<u32>().is_err() {
            return Some((400, "Bad Request"));
        }
    }
    None
}

/// `SIP / 2.0 / transport sent-by *(; param)`, every param with a name.
fn via_ok(v: &str) -> bool {
    let mut parts = v.split(';');
    let head = parts.next().unwrap_or("");
    let mut proto = head.splitn(3, '/');
    let (Some(name), Some(ver), Some(rest)) = (proto.next(), proto.next(), proto.next()) else {
        return false;
    };
    if !name.trim().eq_ignore_ascii_case("SIP") || ver.trim() != "2.0" {
        return false;
    }
    let mut rest = rest.split_whitespace();
    let (Some(transport), Some(host)) = (rest.next(), rest.next()) else {
        return false;
    };
    if transport.is_empty() || host.is_empty() {
        return false;
    }
    // A parameter without a name (`;=x`) is malformed; an empty one (`;;`, a trailing `;`)
    // is tolerated, as chan_sip does.
    parts.all(|p| {
        let p = p.trim();
        p.is_empty() || !p.split('=').next().unwrap_or("").trim().is_empty()
    })
}

/// Quoted strings closed (a backslash escapes the next character inside quotes), angle
/// brackets closed.
fn quotes_balanced(v: &str) -> bool {
    let (mut quote, mut esc, mut angle) = (false, false, 0i32);
    for c in v.chars() {
        if esc {
            esc = false;
            continue;
        }
        match c {
            '\\' if quote => esc = true,
            '"' => quote = !quote,
            '<' if !quote => angle += 1,
            '>' if !quote => angle -= 1,
            _ => {}
        }
        if angle < 0 {
            return false;
        }
    }
    !quote && angle == 0
}

/// A datagram the parser refused: if it still shows a request with the headers a response
/// needs, the response to send (the salvaged headers and the code); else None (dropped).
pub fn unparsable(bytes: &[u8]) -> Option<(Message, u16, &'static str)> {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim_start_matches(['\r', '\n']);
    let (first, rest) = text.split_once('\n')?;
    let first = first.trim_end_matches('\r');
    if first.starts_with("SIP/") {
        // A response: never answered.
        return None;
    }
    // The headers alone, behind a start line that parses.
    let mut head = String::from("SALVAGED sip:invalid SIP/2.0\r\n");
    let end = rest
        .find("\r\n\r\n")
        .or_else(|| rest.find("\n\n"))
        .unwrap_or(rest.len());
    // Without Content-Length: the body is not wanted (a wrong length is often the fault).
    for line in rest[..end].split('\n') {
        let name = line.split(':').next().unwrap_or("").trim();
        if name.eq_ignore_ascii_case("Content-Length") || name.eq_ignore_ascii_case("l") {
            continue;
        }
        head.push_str(line.trim_end_matches('\r'));
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    let (msg, _) = Message::parse(head.as_bytes(), false).ok()?;
    for h in ["Via", "From", "To", "Call-ID", "CSeq"] {
        msg.header(h)?;
    }
    if msg.cseq().is_some_and(|(_, m)| m == "ACK") {
        return None;
    }
    let version = first.rsplit(' ').next().unwrap_or("");
    if version.starts_with("SIP/") && version != "SIP/2.0" {
        return Some((msg, 505, "Version Not Supported"));
    }
    Some((msg, 400, "Bad Request"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(first: &str, extra: &str) -> Message {
        let raw = format!(
            "{first}\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\n\
             Call-ID: c\r\nCSeq: 1 OPTIONS\r\n{extra}Content-Length: 0\r\n\r\n"
        );
        Message::parse(raw.as_bytes(), false).unwrap().0
    }

    #[test]
    fn checks() {
        assert_eq!(check(&req("OPTIONS sip:b@h SIP/2.0", "")), None);
        assert_eq!(check(&req("OPTIONS tel:+4912 SIP/2.0", "")), None);
        assert_eq!(
            check(&req("INVITE sip:b@h SIP/2.0", "")).map(|x| x.0),
            Some(400)
        );
        assert_eq!(
            check(&req("OPTIONS <sip:b@h> SIP/2.0", "")).map(|x| x.0),
            Some(400)
        );
        assert_eq!(
            check(&req("OPTIONS isbn:123 SIP/2.0", "")).map(|x| x.0),
            Some(416)
        );
        assert_eq!(
            check(&req(
                "OPTIONS sip:b@h SIP/2.0",
                "Via: SIP/2.0/UDP h2;=x\r\n"
            ))
            .map(|x| x.0),
            Some(400)
        );
        assert_eq!(
            check(&req(
                "OPTIONS sip:b@h SIP/2.0",
                "Via: SIP/2.0/UDP h2;rport;\r\n"
            )),
            None
        );
        assert_eq!(
            check(&req(
                "OPTIONS sip:b@h SIP/2.0",
                "Contact: \"Joe <sip:j@h>\r\n"
            ))
            .map(|x| x.0),
            Some(400)
        );
        assert_eq!(
            check(&req(
                "OPTIONS sip:b@h SIP/2.0",
                "Contact: \"J \\\"x\\\"\" <sip:j@h>\r\n"
            )),
            None
        );
        assert_eq!(
            check(&req("OPTIONS sip:b@h SIP/2.0", "Max-Forwards: -1\r\n")).map(|x| x.0),
            Some(400)
        );
    }

    #[test]
    fn unparsable_requests_are_answered_when_they_can_be() {
        let body =
            "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\n\
                    Call-ID: c\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
        let v = unparsable(format!("OPTIONS sip:b@h SIP/7.0\r\n{body}").as_bytes()).unwrap();
        assert_eq!((v.1, v.2), (505, "Version Not Supported"));
        assert_eq!(v.0.call_id(), Some("c"));
        let v = unparsable(format!("OPTIONS sip:b@h; lr SIP/2.0\r\n{body}").as_bytes()).unwrap();
        assert_eq!(v.1, 400);
        assert!(unparsable(format!("SIP/2.0 99999 x\r\n{body}").as_bytes()).is_none());
        assert!(unparsable(b"\x00\x01garbage").is_none());
        assert!(unparsable(b"OPTIONS sip:b@h SIP/2.0\r\nTo: <sip:b@h>\r\n\r\n").is_none());
    }
}
