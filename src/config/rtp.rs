//! rtp.conf (res_rtp_asterisk): `[general]` (ports, checksums, DTMF timeout, strict RTP, ICE,
//! STUN/TURN) and `[ice_host_candidates]`. res_rtp_asterisk reads `[general]` with
//! `ast_variable_retrieve`, so the first line of an option counts. `rtpstart` defaults to 5000,
//! `rtpend` to 31000; a range where start > end is swapped back to the defaults by Asterisk.

use super::values::{self, boolean, int_or_default, is_known, text};
use super::{ConfFile, Spanned, Variable};
use crate::diag::Diagnostic;

const FILE: &str = "rtp.conf";
const GENERAL: &[&str] = &[
    "rtpstart",
    "rtpend",
    "rtcpinterval",
    "rtpchecksums",
    "dtmftimeout",
    "strictrtp",
    "probation",
    "icesupport",
    "stunaddr",
    "stunaddr_reresolve_ttl_0",
    "stun_software_attribute",
    "turnaddr",
    "turnusername",
    "turnpassword",
    "ice_acl",
    "ice_permit",
    "ice_deny",
    "stun_acl",
    "stun_permit",
    "stun_deny",
    "srtpreplayprotection",
    "dtls_mtu",
    "ice_blacklist",
    "stun_blacklist",
];

#[derive(Debug, Clone, Default)]
pub struct RtpConf {
    pub rtpstart: Option<Spanned<i64>>,
    pub rtpend: Option<Spanned<i64>>,
    pub rtpchecksums: Option<Spanned<bool>>,
    pub dtmftimeout: Option<Spanned<i64>>,
    /// `yes`, `no` or `seqno`.
    pub strictrtp: Option<Spanned<String>>,
    pub icesupport: Option<Spanned<bool>>,
    pub stunaddr: Option<Spanned<String>>,
    pub options: Vec<Variable>,
    pub unknown: Vec<Variable>,
    pub diagnostics: Vec<Diagnostic>,
}

impl RtpConf {
    pub fn rtpstart(&self) -> i64 {
        self.rtpstart.as_ref().map(|s| s.value).unwrap_or(5000)
    }
    pub fn rtpend(&self) -> i64 {
        self.rtpend.as_ref().map(|s| s.value).unwrap_or(31000)
    }

    /// `rtcpinterval` as written (the first line counts); see `media::rtp::rtcp_interval`.
    pub fn rtcpinterval(&self) -> Option<&str> {
        self.options
            .iter()
            .find(|v| v.name.eq_ignore_ascii_case("rtcpinterval"))
            .map(|v| v.value.as_str())
    }

    pub fn from_conf(conf: &ConfFile) -> Self {
        let mut out = RtpConf::default();
        let mut d = Vec::new();
        let r = "rtp-bad-value";
        let mut seen: Vec<String> = Vec::new();
        for cat in conf.sections() {
            if cat.name.eq_ignore_ascii_case("ice_host_candidates") {
                out.options.extend(cat.vars.iter().cloned());
                continue;
            }
            if !cat.name.eq_ignore_ascii_case("general") {
                for v in &cat.vars {
                    values::report_unknown(
                        "rtp-unknown-option",
                        FILE,
                        &cat.name,
                        v,
                        false,
                        &mut d,
                        &mut out.unknown,
                    );
                }
                continue;
            }
            for v in &cat.vars {
                out.options.push(v.clone());
                let lname = v.name.to_ascii_lowercase();
                if seen.contains(&lname) {
                    continue;
                }
                seen.push(lname.clone());
                match lname.as_str() {
                    "rtpstart" => out.rtpstart = int_or_default(v, r, "5000", &mut d),
                    "rtpend" => out.rtpend = int_or_default(v, r, "31000", &mut d),
                    "rtpchecksums" => out.rtpchecksums = Some(boolean(v, r, &mut d)),
                    "dtmftimeout" => out.dtmftimeout = int_or_default(v, r, "3000", &mut d),
                    "strictrtp" => {
                        let val = v.value.trim().to_ascii_lowercase();
                        if val == "seqno" || super::ast_true(&val) || super::ast_false(&val) {
                            out.strictrtp = Some(Spanned::new(val, v.span.clone()));
                        } else {
                            d.push(Diagnostic::warning(r, v.span.clone(), format!("strictrtp must be yes, no or seqno, not '{}'; Asterisk treats it as no", v.value)));
                        }
                    }
                    "icesupport" => out.icesupport = Some(boolean(v, r, &mut d)),
                    "stunaddr" => out.stunaddr = Some(text(v)),
                    n if is_known(GENERAL, &[], n) => {}
                    _ => {
                        values::report_unknown(
                            "rtp-unknown-option",
                            FILE,
                            &cat.name,
                            v,
                            false,
                            &mut d,
                            &mut out.unknown,
                        );
                    }
                }
            }
        }
        for p in [&out.rtpstart, &out.rtpend].into_iter().flatten() {
            if !(1024..=65535).contains(&p.value) {
                d.push(Diagnostic::warning(
                    r,
                    p.span.clone(),
                    format!(
                        "RTP port {} is outside 1024-65535; Asterisk clamps it",
                        p.value
                    ),
                ));
            }
        }
        if out.rtpstart() >= out.rtpend() {
            let span = out
                .rtpend
                .as_ref()
                .or(out.rtpstart.as_ref())
                .map(|s| s.span.clone());
            if let Some(span) = span {
                d.push(Diagnostic::warning(
                    r,
                    span,
                    format!("rtpstart ({}) is not below rtpend ({}); Asterisk resets them to 5000-31000", out.rtpstart(), out.rtpend()),
                ));
            }
        }
        out.diagnostics = d;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::values::test_util::conf;

    #[test]
    fn general() {
        let r = RtpConf::from_conf(&conf(
            "rtp.conf",
            "[general]\nrtpstart=10000\nrtpend=20000\nstrictrtp=maybe\nfoo=1\n",
        ));
        assert_eq!((r.rtpstart(), r.rtpend()), (10000, 20000));
        assert_eq!(r.rtpstart.as_ref().unwrap().span.line, 2);
        assert!(r
            .diagnostics
            .iter()
            .any(|d| d.rule == "rtp-bad-value" && d.span.line == 4));
        assert!(r
            .diagnostics
            .iter()
            .any(|d| d.rule == "rtp-unknown-option" && d.span.line == 5));
        let r = RtpConf::from_conf(&conf("rtp.conf", "[general]\nrtpstart=x\n"));
        assert_eq!(r.rtpstart(), 5000);
        let r = RtpConf::from_conf(&conf(
            "rtp.conf",
            "[general]\nrtpstart=30000\nrtpend=20000\n",
        ));
        assert!(r.diagnostics.iter().any(|d| d.span.line == 3));
    }
}
