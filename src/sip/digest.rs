//! HTTP digest authentication as chan_sip does it (RFC 2617 with MD5): the challenge carries
//! `algorithm=MD5, realm="...", nonce="..."` and no qop (see the recordings); an answer with
//! `qop=auth` (nc, cnonce) is accepted too, as chan_sip accepts it.

use crate::funcs::md5::{hex, md5};

fn h(s: &str) -> String {
    hex(&md5(s.as_bytes()))
}

/// The `name=value` pairs of a `Digest ...` header value (quotes removed).
pub fn params(value: &str) -> Vec<(String, String)> {
    let v = value.trim();
    let v = v
        .strip_prefix("Digest")
        .or_else(|| v.strip_prefix("digest"))
        .unwrap_or(v);
    let mut out = Vec::new();
    let mut rest = v.trim_start();
    while !rest.is_empty() {
        let Some(eq) = rest.find('=') else { break };
        let name = rest[..eq]
            .trim()
            .trim_start_matches(',')
            .trim()
            .to_ascii_lowercase();
        rest = rest[eq + 1..].trim_start();
        let value;
        if let Some(r) = rest.strip_prefix('"') {
            let end = r.find('"').unwrap_or(r.len());
            value = r[..end].to_string();
            rest = r.get(end + 1..).unwrap_or("");
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            value = rest[..end].trim().to_string();
            rest = &rest[end..];
        }
        rest = rest.trim_start().trim_start_matches(',').trim_start();
        out.push((name, value));
    }
    out
}

/// What an Authorization header says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Answer {
    pub username: String,
    pub realm: String,
    pub nonce: String,
    pub uri: String,
    pub response: String,
    pub qop: Option<String>,
    pub nc: Option<String>,
    pub cnonce: Option<String>,
}

impl Answer {
    pub fn parse(value: &str) -> Answer {
        let mut a = Answer::default();
        for (k, v) in params(value) {
            match k.as_str() {
                "username" => a.username = v,
                "realm" => a.realm = v,
                "nonce" => a.nonce = v,
                "uri" => a.uri = v,
                "response" => a.response = v,
                "qop" => a.qop = Some(v),
                "nc" => a.nc = Some(v),
                "cnonce" => a.cnonce = Some(v),
                _ => {}
            }
        }
        a
    }

    /// Is the response right for this secret (`secret`, or `md5secret` = MD5(user:realm:secret))?
    pub fn verify(
        &self,
        method: &str,
        secret: Option<&str>,
        md5secret: Option<&str>,
        realm: &str,
    ) -> bool {
        let ha1 = match (md5secret, secret) {
            (Some(m), _) if !m.is_empty() => m.to_ascii_lowercase(),
            (_, Some(s)) => h(&format!("{}:{}:{}", self.username, realm, s)),
            _ => return false,
        };
        let ha2 = h(&format!("{}:{}", method, self.uri));
        let expected = match (&self.qop, &self.nc, &self.cnonce) {
            (Some(q), Some(nc), Some(cn)) if !q.is_empty() => {
                h(&format!("{ha1}:{}:{nc}:{cn}:{q}:{ha2}", self.nonce))
            }
            _ => h(&format!("{ha1}:{}:{ha2}", self.nonce)),
        };
        !self.response.is_empty() && expected.eq_ignore_ascii_case(&self.response)
    }
}

/// The Authorization value a client sends for a challenge (`WWW-Authenticate` or
/// `Proxy-Authenticate` value): MD5, with `qop=auth` when the server offers it.
pub fn authorization(
    challenge: &str,
    user: &str,
    secret: &str,
    method: &str,
    uri: &str,
    cnonce: &str,
) -> String {
    let p = params(challenge);
    let get = |k: &str| {
        p.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let (realm, nonce, opaque) = (get("realm"), get("nonce"), get("opaque"));
    let qop_auth = get("qop").split(',').any(|q| q.trim() == "auth");
    let ha1 = h(&format!("{user}:{realm}:{secret}"));
    let ha2 = h(&format!("{method}:{uri}"));
    let mut out = if qop_auth {
        let resp = h(&format!("{ha1}:{nonce}:00000001:{cnonce}:auth:{ha2}"));
        format!("Digest username=\"{user}\", realm=\"{realm}\", algorithm=MD5, uri=\"{uri}\", nonce=\"{nonce}\", response=\"{resp}\", qop=auth, cnonce=\"{cnonce}\", nc=00000001")
    } else {
        let resp = h(&format!("{ha1}:{nonce}:{ha2}"));
        format!("Digest username=\"{user}\", realm=\"{realm}\", algorithm=MD5, uri=\"{uri}\", nonce=\"{nonce}\", response=\"{resp}\"")
    };
    if !opaque.is_empty() {
        out.push_str(&format!(", opaque=\"{opaque}\""));
    }
    out
}

/// chan_sip's challenge header value.
pub fn challenge(realm: &str, nonce: &str) -> String {
    format!("Digest algorithm=MD5, realm=\"{realm}\", nonce=\"{nonce}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_answer_verifies() {
        // From the golden REGISTER ladder: 1001 / 1234, realm asterisk, nonce 65b2bc6b.
        let a = Answer::parse(
            r#"Digest username="1001",realm="asterisk",uri="sip:127.0.0.1:5080",nonce="65b2bc6b",response="e618f5dfe24b3b622bc01478bf2a7583",algorithm=MD5"#,
        );
        assert_eq!(a.username, "1001");
        assert!(a.verify("REGISTER", Some("1234"), None, "asterisk"));
        assert!(!a.verify("REGISTER", Some("1235"), None, "asterisk"));
        let md5secret = hex(&md5(b"1001:asterisk:1234"));
        assert!(a.verify("REGISTER", None, Some(&md5secret), "asterisk"));
        assert!(!a.verify("REGISTER", None, None, "asterisk"));
    }

    #[test]
    fn client_answers_verify() {
        for ch in [
            r#"Digest realm="zadarma", nonce="abc""#,
            r#"Digest realm="zadarma", nonce="abc", qop="auth,auth-int", opaque="xyz""#,
        ] {
            let a = authorization(ch, "555", "pw", "REGISTER", "sip:h", "c1");
            assert!(
                Answer::parse(&a).verify("REGISTER", Some("pw"), None, "zadarma"),
                "{a}"
            );
            assert!(!Answer::parse(&a).verify("REGISTER", Some("px"), None, "zadarma"));
        }
    }

    #[test]
    fn qop_auth_answers() {
        let (user, realm, pass, nonce, uri) = ("1001", "asterisk", "1234", "abc", "sip:h");
        let ha1 = h(&format!("{user}:{realm}:{pass}"));
        let ha2 = h(&format!("REGISTER:{uri}"));
        let resp = h(&format!("{ha1}:{nonce}:00000001:xyz:auth:{ha2}"));
        let hdr = format!("Digest username=\"{user}\", realm=\"{realm}\", nonce=\"{nonce}\", uri=\"{uri}\", response=\"{resp}\", qop=auth, nc=00000001, cnonce=\"xyz\"");
        assert!(Answer::parse(&hdr).verify("REGISTER", Some(pass), None, realm));
        assert_eq!(
            challenge("asterisk", "65b2bc6b"),
            "Digest algorithm=MD5, realm=\"asterisk\", nonce=\"65b2bc6b\""
        );
    }
}
