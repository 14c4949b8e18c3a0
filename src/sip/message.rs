//! SIP messages (RFC 3261 §7): parsing from bytes and writing back.
//!
//! Written for what phones and attackers actually send, where rsip 0.4 falls short (see
//! TOOLS.md): compact header names (`v:`, `i:`, `f:` ...), comma-joined Via/Contact values,
//! bare-LF line ends, folded header lines, and a body cut at Content-Length. Header names are
//! kept in their canonical long form; values are kept as written. Parsing never panics: any
//! input is a message or a [`ParseError`].

use std::fmt::Write as _;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StartLine {
    Request { method: String, uri: String },
    Response { code: u16, reason: String },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// Canonical (`Call-ID`): a static string for the names in [`NAMES`], no allocation.
    pub name: std::borrow::Cow<'static, str>,
    pub value: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub start: StartLine,
    pub headers: Vec<Header>,
    pub body: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError(pub String);

/// Compact forms (RFC 3261 §7.3.3 and extensions) and the canonical spelling of common
/// headers, lower-case key first.
const NAMES: &[(&str, &str)] = &[
    ("i", "Call-ID"),
    ("m", "Contact"),
    ("e", "Content-Encoding"),
    ("l", "Content-Length"),
    ("c", "Content-Type"),
    ("f", "From"),
    ("s", "Subject"),
    ("k", "Supported"),
    ("t", "To"),
    ("v", "Via"),
    ("o", "Event"),
    ("u", "Allow-Events"),
    ("r", "Refer-To"),
    ("b", "Referred-By"),
    ("x", "Session-Expires"),
    ("call-id", "Call-ID"),
    ("contact", "Contact"),
    ("content-encoding", "Content-Encoding"),
    ("content-length", "Content-Length"),
    ("content-type", "Content-Type"),
    ("from", "From"),
    ("subject", "Subject"),
    ("supported", "Supported"),
    ("to", "To"),
    ("via", "Via"),
    ("cseq", "CSeq"),
    ("max-forwards", "Max-Forwards"),
    ("expires", "Expires"),
    ("min-expires", "Min-Expires"),
    ("user-agent", "User-Agent"),
    ("server", "Server"),
    ("allow", "Allow"),
    ("authorization", "Authorization"),
    ("www-authenticate", "WWW-Authenticate"),
    ("proxy-authorization", "Proxy-Authorization"),
    ("proxy-authenticate", "Proxy-Authenticate"),
    ("record-route", "Record-Route"),
    ("route", "Route"),
    ("date", "Date"),
    ("event", "Event"),
    ("accept", "Accept"),
    ("require", "Require"),
    ("unsupported", "Unsupported"),
    ("refer-to", "Refer-To"),
    ("referred-by", "Referred-By"),
    ("session-expires", "Session-Expires"),
    ("allow-events", "Allow-Events"),
];

/// The canonical name of a header (`v` → `Via`, `call-id` → `Call-ID`).
pub fn canonical(name: &str) -> String {
    known(name).unwrap_or(name).to_string()
}

/// The canonical spelling of a header name this module knows, without allocating.
fn known(name: &str) -> Option<&'static str> {
    NAMES
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| *v)
}

/// The canonical name as kept in a [`Header`]: static for known names.
fn canonical_cow(name: &str) -> std::borrow::Cow<'static, str> {
    match known(name) {
        Some(k) => std::borrow::Cow::Borrowed(k),
        None => std::borrow::Cow::Owned(name.to_string()),
    }
}

/// Headers whose comma-joined values are separate header fields (RFC 3261 §7.3.1).
fn splits_on_comma(name: &str) -> bool {
    matches!(name, "Via" | "Contact" | "Route" | "Record-Route")
}

/// Split on commas outside `"..."` and `<...>`.
fn split_commas(v: &str) -> Vec<String> {
    let (mut quote, mut angle) = (false, false);
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut esc = false;
    for c in v.chars() {
        if esc {
            cur.push(c);
            esc = false;
            continue;
        }
        match c {
            '\\' if quote => {
                esc = true;
                cur.push(c)
            }
            '"' => {
                quote = !quote;
                cur.push(c)
            }
            '<' if !quote => {
                angle = true;
                cur.push(c)
            }
            '>' if !quote => {
                angle = false;
                cur.push(c)
            }
            ',' if !quote && !angle => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out.into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Where the header block ends: (end of headers, start of body). Accepts CRLFCRLF and LFLF.
fn header_end(b: &[u8]) -> Option<(usize, usize)> {
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\n' {
            if b.get(i + 1) == Some(&b'\n') {
                return Some((i, i + 2));
            }
            if b.get(i + 1) == Some(&b'\r') && b.get(i + 2) == Some(&b'\n') {
                return Some((i, i + 3));
            }
        }
        i += 1;
    }
    None
}

impl Message {
    /// Parse one message from a datagram (or a stream buffer when `stream`: then the body
    /// must be complete per Content-Length and the number of bytes used is returned).
    pub fn parse(buf: &[u8], stream: bool) -> Result<(Message, usize), ParseError> {
        // Leading CRLFs are keep-alives (RFC 5626); skip them.
        let skip = buf
            .iter()
            .take_while(|&&c| c == b'\r' || c == b'\n')
            .count();
        let b = &buf[skip..];
        let Some((hend, bstart)) = header_end(b) else {
            if stream {
                return Err(ParseError("incomplete".into()));
            }
            // A datagram without the blank line: take it all as headers.
            return Self::parse_head(b, b.len()).map(|(m, _)| (m, buf.len()));
        };
        let (mut m, clen) = Self::parse_head(b, hend)?;
        let avail = b.len() - bstart;
        let take = match clen {
            Some(n) if n <= avail => n,
            // On a stream the rest of the body is still on its way.
            Some(_) if stream => return Err(ParseError("incomplete".into())),
            Some(n) => {
                return Err(ParseError(format!(
                    "Content-Length {n} but only {avail} bytes of body"
                )))
            }
            None if stream => 0,
            None => avail,
        };
        m.body = b[bstart..bstart + take].to_vec();
        Ok((m, skip + bstart + take))
    }

    fn parse_head(b: &[u8], hend: usize) -> Result<(Message, Option<usize>), ParseError> {
        let text = String::from_utf8_lossy(&b[..hend]);
        // Lines as slices of the text; folded lines (rare) are joined into owned ones.
        let folded = text.contains("\n ") || text.contains("\n\t");
        let mut owned: Vec<String> = Vec::new();
        if folded {
            for raw in text.split('\n') {
                let l = raw.strip_suffix('\r').unwrap_or(raw);
                if (l.starts_with(' ') || l.starts_with('\t')) && !owned.is_empty() {
                    // A folded line continues the previous header.
                    let last = owned.last_mut().unwrap();
                    last.push(' ');
                    last.push_str(l.trim());
                } else {
                    owned.push(l.to_string());
                }
            }
        }
        let mut it: Box<dyn Iterator<Item = &str>> = if folded {
            Box::new(owned.iter().map(String::as_str))
        } else {
            Box::new(
                text.split('\n')
                    .map(|raw| raw.strip_suffix('\r').unwrap_or(raw)),
            )
        };
        let first = it.next().unwrap_or_default();
        let start = parse_start(first.trim())?;
        let mut headers = Vec::with_capacity(16);
        let mut clen = None;
        for l in it {
            if l.trim().is_empty() {
                continue;
            }
            let Some((n, v)) = l.split_once(':') else {
                return Err(ParseError(format!("header line without ':': {l}")));
            };
            let name = canonical_cow(n.trim());
            if name.is_empty() || name.contains(' ') {
                return Err(ParseError(format!("bad header name: {n}")));
            }
            let value = v.trim().to_string();
            if name == "Content-Length" {
                let n: usize = value
                    .parse()
                    .map_err(|_| ParseError(format!("bad Content-Length: {value}")))?;
                clen = Some(n);
            }
            if (value.is_empty() || value.contains(',')) && splits_on_comma(&name) {
                for part in split_commas(&value) {
                    headers.push(Header {
                        name: name.clone(),
                        value: part,
                    });
                }
            } else {
                headers.push(Header { name, value });
            }
        }
        Ok((
            Message {
                start,
                headers,
                body: Vec::new(),
            },
            clen,
        ))
    }

    /// The first value of a header (canonical or compact name, any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let n = known(name).unwrap_or(name);
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(n))
            .map(|h| h.value.as_str())
    }

    /// Every value of a header, in order.
    pub fn headers_named<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a str> + 'a {
        let n = canonical_cow(name);
        self.headers
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(&n))
            .map(|h| h.value.as_str())
    }

    /// Replace every value of a header by one.
    pub fn set_header(&mut self, name: &str, value: impl Into<String>) {
        let n = canonical_cow(name);
        let value = value.into();
        match self
            .headers
            .iter()
            .position(|h| h.name.eq_ignore_ascii_case(&n))
        {
            Some(i) => {
                self.headers[i].value = value;
                let mut k = i + 1;
                while k < self.headers.len() {
                    if self.headers[k].name.eq_ignore_ascii_case(&n) {
                        self.headers.remove(k);
                    } else {
                        k += 1;
                    }
                }
            }
            None => self.headers.push(Header { name: n, value }),
        }
    }

    pub fn add_header(&mut self, name: &str, value: impl Into<String>) {
        self.headers.push(Header {
            name: canonical_cow(name),
            value: value.into(),
        });
    }

    pub fn method(&self) -> Option<&str> {
        match &self.start {
            StartLine::Request { method, .. } => Some(method),
            StartLine::Response { .. } => None,
        }
    }

    pub fn code(&self) -> Option<u16> {
        match &self.start {
            StartLine::Response { code, .. } => Some(*code),
            StartLine::Request { .. } => None,
        }
    }

    /// CSeq number and method.
    pub fn cseq(&self) -> Option<(u32, String)> {
        let v = self.header("CSeq")?;
        let mut it = v.split_whitespace();
        let n = it.next()?.parse().ok()?;
        let m = it.next()?.to_string();
        Some((n, m))
    }

    pub fn call_id(&self) -> Option<&str> {
        self.header("Call-ID")
    }

    /// The top Via's `branch` parameter.
    pub fn branch(&self) -> Option<String> {
        param(self.header("Via")?, "branch")
    }

    /// Serialise with CRLF line ends and a correct Content-Length.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut s = String::with_capacity(512);
        match &self.start {
            StartLine::Request { method, uri } => {
                let _ = write!(s, "{method} {uri} SIP/2.0\r\n");
            }
            StartLine::Response { code, reason } => {
                let _ = write!(s, "SIP/2.0 {code} {reason}\r\n");
            }
        }
        for h in &self.headers {
            if h.name == "Content-Length" {
                continue;
            }
            let _ = write!(s, "{}: {}\r\n", h.name, h.value);
        }
        let _ = write!(s, "Content-Length: {}\r\n\r\n", self.body.len());
        let mut out = s.into_bytes();
        out.extend_from_slice(&self.body);
        out
    }
}

fn parse_start(l: &str) -> Result<StartLine, ParseError> {
    if let Some(rest) = l.strip_prefix("SIP/2.0 ") {
        let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
        let code: u16 = code
            .parse()
            .map_err(|_| ParseError(format!("bad status line: {l}")))?;
        if !(100..700).contains(&code) {
            return Err(ParseError(format!("bad status code: {code}")));
        }
        return Ok(StartLine::Response {
            code,
            reason: reason.to_string(),
        });
    }
    let mut it = l.split(' ');
    let (Some(method), Some(uri), Some(ver), None) = (it.next(), it.next(), it.next(), it.next())
    else {
        return Err(ParseError(format!("bad request line: {l}")));
    };
    if ver != "SIP/2.0" {
        return Err(ParseError(format!("unsupported version: {ver}")));
    }
    if method.is_empty()
        || !method
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&c))
        || uri.is_empty()
    {
        return Err(ParseError(format!("bad request line: {l}")));
    }
    Ok(StartLine::Request {
        method: method.to_string(),
        uri: uri.to_string(),
    })
}

/// A `;name=value` parameter of a header value (outside `<...>`), case-insensitive name.
pub fn param(value: &str, name: &str) -> Option<String> {
    let tail = match value.rfind('>') {
        Some(i) => &value[i + 1..],
        None => value,
    };
    tail.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().trim_matches('"').to_string())
    })
}

/// Does a header value carry `;name` (with or without a value)?
pub fn has_param(value: &str, name: &str) -> bool {
    let tail = match value.rfind('>') {
        Some(i) => &value[i + 1..],
        None => value,
    };
    tail.split(';').skip(1).any(|p| {
        p.split('=')
            .next()
            .is_some_and(|k| k.trim().eq_ignore_ascii_case(name))
    })
}

/// A SIP URI: `sip:user@host:port;params` (also inside `<...>` of a name-addr).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Uri {
    pub scheme: String,
    pub user: Option<String>,
    pub host: String,
    pub port: Option<u16>,
    pub params: String,
}

impl Uri {
    pub fn parse(s: &str) -> Option<Uri> {
        let s = s.trim();
        let s = match (s.find('<'), s.find('>')) {
            (Some(a), Some(b)) if a < b => &s[a + 1..b],
            _ => s,
        };
        let (scheme, rest) = s.split_once(':')?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "sip" && scheme != "sips" {
            return None;
        }
        let (main, params) = match rest.find(';') {
            Some(i) => (&rest[..i], rest[i..].to_string()),
            None => (rest, String::new()),
        };
        let main = main.split('?').next().unwrap_or(main);
        let (user, hostport) = match main.rfind('@') {
            Some(i) => (
                Some(main[..i].split(':').next()?.to_string()),
                &main[i + 1..],
            ),
            None => (None, main),
        };
        let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
            let end = v6.find(']')?;
            let port = v6[end + 1..].strip_prefix(':').and_then(|p| p.parse().ok());
            (format!("[{}]", &v6[..end]), port)
        } else {
            match hostport.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), Some(p.parse().ok()?)),
                None => (hostport.to_string(), None),
            }
        };
        if host.is_empty() {
            return None;
        }
        Some(Uri {
            scheme,
            user,
            host,
            port,
            params,
        })
    }
}

impl std::fmt::Display for Uri {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:", self.scheme)?;
        if let Some(u) = &self.user {
            write!(f, "{u}@")?;
        }
        write!(f, "{}", self.host)?;
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        write!(f, "{}", self.params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REG: &str = "REGISTER sip:127.0.0.1:5080 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5182;branch=z9hG4bK-22025-1-0;rport\r\nMax-Forwards: 70\r\nFrom: <sip:1001@127.0.0.1:5080>;tag=22025R1\r\nTo: <sip:1001@127.0.0.1:5080>\r\nCall-ID: 1-22025@127.0.0.1\r\nCSeq: 1 REGISTER\r\nContact: <sip:1001@127.0.0.1:5182>\r\nExpires: 3600\r\nUser-Agent: sipp-ref\r\nContent-Length: 0\r\n\r\n";

    #[test]
    fn register_from_the_recording() {
        let (m, used) = Message::parse(REG.as_bytes(), false).unwrap();
        assert_eq!(used, REG.len());
        assert_eq!(m.method(), Some("REGISTER"));
        assert_eq!(m.cseq(), Some((1, "REGISTER".into())));
        assert_eq!(m.branch().as_deref(), Some("z9hG4bK-22025-1-0"));
        assert!(has_param(m.header("via").unwrap(), "rport"));
        assert_eq!(
            param(m.header("From").unwrap(), "tag").as_deref(),
            Some("22025R1")
        );
        let c = Uri::parse(m.header("m").unwrap()).unwrap();
        assert_eq!(
            (c.user.as_deref(), c.host.as_str(), c.port),
            (Some("1001"), "127.0.0.1", Some(5182))
        );
        // Round trip.
        let again = Message::parse(&m.to_bytes(), false).unwrap().0;
        assert_eq!(again, m);
    }

    #[test]
    fn compact_names_bare_lf_folding_and_joined_via() {
        let raw = "OPTIONS sip:x@h SIP/2.0\nv: SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/TCP b;branch=z9hG4bK2\ni: abc\nf: <sip:a@h>;tag=1\nt: <sip:x@h>\nSubject: one\n two\nCSeq: 7 OPTIONS\nl: 4\n\nbodyEXTRA";
        let (m, _) = Message::parse(raw.as_bytes(), false).unwrap();
        assert_eq!(m.headers_named("Via").count(), 2);
        assert_eq!(m.call_id(), Some("abc"));
        assert_eq!(m.header("Subject"), Some("one two"));
        assert_eq!(m.body, b"body");
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        for raw in [
            "",
            "\r\n\r\n",
            "INVITE\r\n\r\n",
            "INVITE sip:x SIP/3.0\r\n\r\n",
            "SIP/2.0 99 Low\r\n\r\n",
            "REGISTER sip:x SIP/2.0\r\nContent-Length: ten\r\n\r\n",
            "REGISTER sip:x SIP/2.0\r\nContent-Length: 100\r\n\r\nshort",
            "REGISTER sip:x SIP/2.0\r\nNoColonHere\r\n\r\n",
        ] {
            assert!(Message::parse(raw.as_bytes(), false).is_err(), "{raw:?}");
        }
        // Bytes that are not UTF-8 are read lossily.
        let mut b = b"OPTIONS sip:x@h SIP/2.0\r\nSubject: ".to_vec();
        b.extend_from_slice(&[0xff, 0xfe]);
        b.extend_from_slice(b"\r\n\r\n");
        assert!(Message::parse(&b, false).is_ok());
    }

    #[test]
    fn stream_framing_by_content_length() {
        let one = "MESSAGE sip:x@h SIP/2.0\r\nCall-ID: 1\r\nContent-Length: 3\r\n\r\nabc";
        let two = format!("{one}{one}");
        let (m, used) = Message::parse(two.as_bytes(), true).unwrap();
        assert_eq!(m.body, b"abc");
        assert_eq!(used, one.len());
        // A body cut short is not an error on a stream: the rest is still coming.
        let cut = Message::parse(&two.as_bytes()[..one.len() - 1], true);
        assert_eq!(cut.err().map(|e| e.0).as_deref(), Some("incomplete"));
        // In a datagram it is.
        assert!(Message::parse(&two.as_bytes()[..one.len() - 1], false).is_err());
    }

    #[test]
    fn uris() {
        let u = Uri::parse("\"Ivan\" <sip:1001@[::1]:5060;transport=udp>;tag=x").unwrap();
        assert_eq!(u.host, "[::1]");
        assert_eq!(u.port, Some(5060));
        assert_eq!(u.params, ";transport=udp");
        assert_eq!(u.to_string(), "sip:1001@[::1]:5060;transport=udp");
        assert!(Uri::parse("tel:+7495").is_none());
        assert!(Uri::parse("sip:@").is_none());
    }
}
