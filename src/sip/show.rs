//! `sip show peers|users|registry` in chan_sip's layouts.

use crate::config::sip::{PeerKind, SipConf};
use crate::pbx::Pbx;
use std::fmt::Write as _;

fn force_rport(nat: &crate::config::sip::Nat) -> &'static str {
    match (nat.force_rport, nat.auto_force_rport) {
        (_, true) => "Auto (No)",
        (true, false) => "Yes",
        (false, false) => "No",
    }
}

fn comedia(nat: &crate::config::sip::Nat) -> &'static str {
    match (nat.comedia, nat.auto_comedia) {
        (_, true) => "Auto (No)",
        (true, false) => "Yes",
        (false, false) => "No",
    }
}

/// `sip show peers`.
pub fn peers(pbx: &Pbx, sip: &SipConf) -> String {
    let mut out = String::new();
    let row =
        |out: &mut String, cols: [&str; 10]| {
            let _ =
                writeln!(
            out,
            "{:<25.25} {:<39.39} {:<3.3} {:<10.10} {:<10.10} {:<3.3} {:<8} {:<11} {:<32.32} {}",
            cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], cols[6], cols[7], cols[8], cols[9]
        );
        };
    row(
        &mut out,
        [
            "Name/username",
            "Host",
            "Dyn",
            "Forcerport",
            "Comedia",
            "ACL",
            "Port",
            "Status",
            "Description",
            "",
        ],
    );
    let regs = pbx.sip.registrar.lock().unwrap().regs.clone();
    let (mut unmon_on, mut unmon_off) = (0, 0);
    let mut peers: Vec<_> = sip
        .peers
        .iter()
        .filter(|p| !matches!(p.kind.value, PeerKind::User))
        .collect();
    peers.sort_by(|a, b| a.name.value.cmp(&b.name.value));
    for p in &peers {
        let reg = regs.get(&p.name.value);
        let name = match reg.filter(|r| !r.username.is_empty()) {
            Some(r) => format!("{}/{}", p.name.value, r.username),
            None => p.name.value.clone(),
        };
        let static_addr = match p.host.as_ref().map(|h| &h.value) {
            Some(crate::config::sip::Host::Static(h)) => Some(h.clone()),
            _ => None,
        };
        let (host, port) = match (reg, &static_addr) {
            (Some(r), _) => (r.addr.ip().to_string(), r.addr.port().to_string()),
            (None, Some(h)) => (
                h.clone(),
                p.port
                    .as_ref()
                    .map(|x| x.value.to_string())
                    .unwrap_or_else(|| "5060".into()),
            ),
            (None, None) => ("(Unspecified)".to_string(), "0".to_string()),
        };
        if host == "(Unspecified)" {
            unmon_off += 1;
        } else {
            unmon_on += 1;
        }
        let nat = p.nat(&sip.general);
        row(
            &mut out,
            [
                &name,
                &host,
                if p.is_dynamic() { " D " } else { "   " },
                force_rport(&nat),
                comedia(&nat),
                if p.permit_deny.is_empty() {
                    "   "
                } else {
                    " A "
                },
                &port,
                "Unmonitored",
                "",
                "",
            ],
        );
    }
    let _ = writeln!(
        out,
        "{} sip peers [Monitored: 0 online, 0 offline Unmonitored: {} online, {} offline]",
        peers.len(),
        unmon_on,
        unmon_off
    );
    out
}

/// `sip show users`.
pub fn users(sip: &SipConf) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<25.25}  {:<15.15}  {:<15.15}  {:<15.15}  {:<3.3}  {:<10.10}",
        "Username", "Secret", "Accountcode", "Def.Context", "ACL", "Forcerport"
    );
    let mut users: Vec<_> = sip.peers.iter().filter(|p| p.is_user()).collect();
    users.sort_by(|a, b| a.name.value.cmp(&b.name.value));
    for p in users {
        let nat = p.nat(&sip.general);
        let _ = writeln!(
            out,
            "{:<25.25}  {:<15.15}  {:<15.15}  {:<15.15}  {:<3.3}  {:<10.10}",
            p.name.value,
            p.secret.as_ref().map(|s| s.value.as_str()).unwrap_or(""),
            p.accountcode
                .as_ref()
                .map(|s| s.value.as_str())
                .unwrap_or(""),
            p.context(&sip.general),
            if p.permit_deny.is_empty() {
                "No"
            } else {
                "Yes"
            },
            if nat.force_rport { "Yes" } else { "No" }
        );
    }
    out
}

/// `sip show registry`: each `register =>` line, its refresh and chan_sip's state words.
pub fn registry(pbx: &Pbx, sip: &SipConf) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<39.39} {:<6.6} {:<12.12}  {:>8.8} {:<20.20} {:<25.25}",
        "Host", "dnsmgr", "Username", "Refresh", "State", "Reg.Time"
    );
    let status = pbx.sip.registry.lock().unwrap().clone();
    let rows: Vec<(String, String, u32, &str, String)> = if status.is_empty() {
        sip.general
            .registers
            .iter()
            .map(|r| {
                (
                    format!("{}:{}", r.host.value, r.port.value),
                    r.user.value.clone(),
                    r.expiry.value.max(0) as u32,
                    "Unregistered",
                    String::new(),
                )
            })
            .collect()
    } else {
        status
            .iter()
            .map(|s| {
                let when = s
                    .regtime
                    .and_then(|t| jiff::Timestamp::try_from(t).ok())
                    .map(|t| {
                        t.to_zoned_datetime(jiff::tz::TimeZone::system())
                            .strftime("%a, %d %b %Y %H:%M:%S")
                            .to_string()
                    })
                    .unwrap_or_default();
                (
                    format!("{}:{}", s.host, s.port),
                    s.user.clone(),
                    s.refresh,
                    s.state,
                    when,
                )
            })
            .collect()
    };
    for (host, user, refresh, state, when) in &rows {
        let _ = writeln!(
            out,
            "{:<39.39} {:<6.6} {:<12.12}  {:>8} {:<20.20} {:<25.25}",
            host, "N", user, refresh, state, when
        );
    }
    let _ = writeln!(out, "{} SIP registrations.", rows.len());
    out
}
