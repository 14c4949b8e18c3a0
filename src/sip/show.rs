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
    let quals = pbx.sip.qualify.lock().unwrap().clone();
    let (mut unmon_on, mut unmon_off) = (0, 0);
    let (mut mon_on, mut mon_off) = (0, 0);
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
        let maxms = p
            .qualify
            .as_ref()
            .or(sip.general.qualify.as_ref())
            .map(|q| q.value.maxms())
            .unwrap_or(0);
        // chan_sip's peer_status: OK (n ms), LAGGED (n ms), UNREACHABLE, UNKNOWN, Unmonitored.
        let status = if maxms > 0 {
            match quals.get(&p.name.value) {
                Some(Some(ms)) if i64::from(*ms) > maxms => {
                    mon_off += 1;
                    format!("LAGGED ({ms} ms)")
                }
                Some(Some(ms)) => {
                    mon_on += 1;
                    format!("OK ({ms} ms)")
                }
                Some(None) => {
                    mon_off += 1;
                    "UNREACHABLE".to_string()
                }
                None => {
                    mon_off += 1;
                    "UNKNOWN".to_string()
                }
            }
        } else {
            if host == "(Unspecified)" {
                unmon_off += 1;
            } else {
                unmon_on += 1;
            }
            "Unmonitored".to_string()
        };
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
                &status,
                "",
                "",
            ],
        );
    }
    let _ = writeln!(
        out,
        "{} sip peers [Monitored: {} online, {} offline Unmonitored: {} online, {} offline]",
        peers.len(),
        mon_on,
        mon_off,
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

/// `sip show peer <name>`: chan_sip's long form (the fields zvezda keeps are live; the rest
/// are the values chan_sip prints for an ordinary peer).
pub fn peer(pbx: &Pbx, sip: &SipConf, name: &str) -> String {
    let Some(p) = sip.peer(name) else {
        return format!("Peer {name} not found.\n");
    };
    let g = &sip.general;
    let reg = pbx.sip.registrar.lock().unwrap().regs.get(name).cloned();
    let set = |o: &Option<crate::config::Spanned<String>>| {
        if o.as_ref().is_some_and(|s| !s.value.is_empty()) {
            "<Set>"
        } else {
            "<Not set>"
        }
    };
    let groups = |o: &Option<crate::config::Spanned<std::collections::BTreeSet<u8>>>| {
        o.as_ref()
            .map(|s| {
                s.value
                    .iter()
                    .map(|g| g.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .unwrap_or_default()
    };
    let insecure = p.insecure(g);
    let insecure = match (insecure.port, insecure.invite) {
        (false, false) => "no",
        (true, false) => "port",
        (false, true) => "invite",
        (true, true) => "port,invite",
    };
    let dtmf = match p
        .common
        .dtmfmode
        .as_ref()
        .or(g.common.dtmfmode.as_ref())
        .map(|d| d.value)
    {
        Some(crate::config::sip::DtmfMode::Info) => "info",
        Some(crate::config::sip::DtmfMode::ShortInfo) => "shortinfo",
        Some(crate::config::sip::DtmfMode::Inband) => "inband",
        Some(crate::config::sip::DtmfMode::Auto) => "auto",
        _ => "rfc2833",
    };
    let nat = p.nat(g);
    let expire = reg
        .as_ref()
        .and_then(|r| {
            r.expires_at
                .duration_since(std::time::SystemTime::now())
                .ok()
        })
        .map(|d| d.as_secs() as i64)
        .unwrap_or(-1);
    let addr = match (&reg, p.host.as_ref().map(|h| &h.value)) {
        (Some(r), _) => r.addr.to_string(),
        (None, Some(crate::config::sip::Host::Static(h))) => {
            format!("{h}:{}", p.port.as_ref().map(|x| x.value).unwrap_or(5060))
        }
        _ => "(null)".into(),
    };
    let callerid = p
        .callerid
        .as_ref()
        .map(|c| c.value.clone())
        .unwrap_or_else(|| "\"\" <>".into());
    let codecs = format!("({})", p.codec_list(g).join("|"));
    let mut o = String::new();
    let _ = write!(
        o,
        "\n\n  * Name       : {name}\n  Description  : \n  Secret       : {}\n  MD5Secret    : {}\n  Remote Secret: <Not set>\n  Context      : {}\n  Record On feature : automon\n  Record Off feature : automon\n  Subscr.Cont. : <Not set>\n  Language     : {}\n  Tonezone     : <Not set>\n  AMA flags    : Unknown\n  Transfer mode: open\n  CallingPres  : Presentation Allowed, Not Screened\n  Callgroup    : {}\n  Pickupgroup  : {}\n  Named Callgr : \n  Nam. Pickupgr: \n  MOH Suggest  : \n  Mailbox      : {}\n  VM Extension : asterisk\n  LastMsgsSent : 0/0\n  Call limit   : {}\n  Max forwards : 0\n  Dynamic      : {}\n  Callerid     : {}\n  MaxCallBR    : 384 kbps\n  Expire       : {expire}\n  Insecure     : {insecure}\n  Force rport  : {}\n  Symmetric RTP: {}\n  ACL          : {}\n  ContactACL   : No\n  DirectMedACL : No\n  T.38 support : No\n  T.38 EC mode : Unknown\n  T.38 MaxDtgrm: 4294967295\n  DirectMedia  : Yes\n  PromiscRedir : No\n  User=Phone   : No\n  Video Support: No\n  Text Support : No\n  Ign SDP ver  : No\n  Trust RPID   : No\n  Send RPID    : No\n  Path support : No\n  Path         : N/A\n  TrustIDOutbnd: Legacy\n  Subscriptions: Yes\n  Overlap dial : Yes\n  DTMFmode     : {dtmf}\n  Timer T1     : 500\n  Timer B      : 32000\n  ToHost       : \n  Addr->IP     : {addr}\n  Defaddr->IP  : (null)\n  Prim.Transp. : UDP\n  Allowed.Trsp : UDP\n  Def. Username: {}\n  SIP Options  : (none)\n  Codecs       : {codecs}\n  Auto-Framing : No\n  Status       : Unmonitored\n  Useragent    : {}\n  Reg. Contact : {}\n  Qualify Freq : 60000 ms\n  Keepalive    : 0 ms\n  Sess-Timers  : Accept\n  Sess-Refresh : uas\n  Sess-Expires : 1800 secs\n  Min-Sess     : 90 secs\n  RTP Engine   : asterisk\n  Parkinglot   : \n  Use Reason   : No\n  Encryption   : No\n  RTCP Mux     : No\n\n",
        set(&p.secret),
        set(&p.md5secret),
        p.context(g),
        p.language.as_ref().map(|l| l.value.as_str()).unwrap_or(""),
        groups(&p.callgroup),
        groups(&p.pickupgroup),
        p.mailbox.iter().map(|m| m.value.as_str()).collect::<Vec<_>>().join(","),
        p.call_limit.as_ref().map(|c| c.value).unwrap_or(0),
        if p.is_dynamic() { "Yes" } else { "No" },
        callerid,
        force_rport(&nat),
        if nat.comedia { "Yes" } else { "No" },
        if p.permit_deny.is_empty() { "No" } else { "Yes" },
        reg.as_ref().map(|r| r.username.as_str()).unwrap_or(""),
        reg.as_ref().map(|r| r.useragent.as_str()).unwrap_or(""),
        reg.as_ref().map(|r| r.contact.as_str()).unwrap_or(""),
    );
    // Lines chan_sip prints only when they apply.
    if let Some(b) = p.busylevel.as_ref().filter(|b| b.value > 0) {
        o = o.replacen(
            "  Max forwards : 0\n",
            &format!("  Max forwards : 0\n  Busy level   : {}\n", b.value),
            1,
        );
    }
    if crate::sip::regexten::regcontext(g).is_some() {
        let regexten = p.regexten.as_ref().map(|r| r.value.as_str()).unwrap_or("");
        o = o.replacen(
            "  Def. Username:",
            &format!("  Reg. exten   : {regexten}\n  Def. Username:"),
            1,
        );
    }
    o
}

/// `sip show channels`: the calls in progress (chan_sip lists every dialog; zvezda's
/// dialogs are its calls).
pub fn channels(pbx: &Pbx) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{:<15.15}  {:<15.15}  {:<15.15}  {:<15.15}  {:<7.7}  {:<15.15} {:<10.10} {:<10.10}",
        "Peer", "User/ANR", "Call ID", "Format", "Hold", "Last Message", "Expiry", "Peer"
    );
    let mut rows: Vec<(String, crate::sip::transport::DialogRow)> = pbx
        .sip
        .dialogs
        .lock()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    rows.sort_by_key(|r| r.1.order);
    for (id, d) in &rows {
        let user = if d.user.is_empty() { "(None)" } else { &d.user };
        let _ = writeln!(
            o,
            "{:<15.15}  {:<15.15}  {:<15.15}  {:<15.15}  {:<3.3} {:<3.3}  {:<15.15} {:<10.10} {:<10.10}",
            d.addr.to_string(),
            user,
            id,
            d.format,
            if d.hold { "Yes" } else { "No" },
            "",
            d.last,
            "",
            d.peer
        );
    }
    let n = rows.len();
    let _ = writeln!(o, "{n} active SIP dialog{}", if n == 1 { "" } else { "s" });
    o
}

/// `sip show channelstats`: chan_sip's `sip_show_channelstats` table, one row per call with
/// RTP: packets received and lost (ours, from the RTP sequence numbers) and our jitter of
/// what arrives; packets sent, and the loss and jitter the far end's last RTCP report gave
/// for them. Counts are `%-10.10u` (ten digits, zero-filled); above 100000 they are shown in
/// thousands with `K`.
pub fn channelstats(pbx: &Pbx) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{:<15.15}  {:<11.11}  {:<8.8} {:<10.10}  {:<10.10} (     %) {:<6.6} {:<10.10}  {:<10.10} (     %) {:<6.6}",
        "Peer", "Call ID", "Duration", "Recv: Pack", "Lost", "Jitter", "Send: Pack", "Lost", "Jitter"
    );
    let mut rows: Vec<(String, crate::sip::transport::DialogRow)> = pbx
        .sip
        .dialogs
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, v)| v.stats.is_some())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    rows.sort_by_key(|r| r.1.order);
    for (id, d) in &rows {
        let Some(st) = d.stats.as_ref().map(|s| *s.lock().unwrap()) else {
            continue;
        };
        o.push_str(&stats_row(
            &d.addr.to_string(),
            id,
            d.started.elapsed().as_secs(),
            &st,
        ));
    }
    let n = rows.len();
    let _ = writeln!(o, "{n} active SIP channel{}", if n == 1 { "" } else { "s" });
    o
}

/// One row of `sip show channelstats` (chan_sip's FORMAT), with its newline.
fn stats_row(addr: &str, call_id: &str, secs: u64, st: &crate::media::rtp::RtcpStats) -> String {
    let count = |n: u64| -> (u64, &'static str) {
        if n > 100_000 {
            (n / 1000, "K")
        } else {
            (n, " ")
        }
    };
    let dur = format!(
        "{:02}:{:02}:{:02}",
        secs / 3600,
        (secs % 3600) / 60,
        secs % 60
    );
    let (rx, rxk) = count(st.rx_packets);
    let (tx, txk) = count(st.tx_packets as u64);
    let rx_pct = if st.rx_packets + st.rx_lost > 0 {
        st.rx_lost as f64 / (st.rx_packets + st.rx_lost) as f64 * 100.0
    } else {
        0.0
    };
    let tx_pct = if st.tx_packets > 0 {
        st.tx_lost as f64 / st.tx_packets as f64 * 100.0
    } else {
        0.0
    };
    format!(
        "{:<15.15}  {:<11.11}  {:<8.8} {:010}{:<1.1} {:010} ({:5.2}%) {:<6.4} {:010}{:<1.1} {:010} ({:5.2}%) {:<6.4}\n",
        addr,
        call_id,
        dur,
        rx,
        rxk,
        st.rx_lost as u32,
        rx_pct,
        st.rx_jitter,
        tx,
        txk,
        st.tx_lost,
        tx_pct,
        st.tx_jitter
    )
}

#[cfg(test)]
mod stats_tests {
    use super::stats_row;
    use crate::media::rtp::RtcpStats;

    /// Rows as chan_sip's FORMAT prints them (printf from C with the same values).
    #[test]
    fn rows_as_chan_sip_prints_them() {
        let st = RtcpStats {
            rx_packets: 150,
            rx_lost: 2,
            rx_jitter: 0.00125,
            tx_packets: 150,
            tx_lost: 7,
            tx_jitter: 0.02,
            ..Default::default()
        };
        assert_eq!(
            stats_row("127.0.0.1", "rtcp-call-id-long", 5, &st),
            "127.0.0.1        rtcp-call-i  00:00:05 0000000150  0000000002 ( 1.32%) 0.0013 0000000150  0000000007 ( 4.67%) 0.0200\n"
        );
        let st = RtcpStats {
            rx_packets: 150_000,
            rx_lost: 2,
            rx_jitter: 12.5,
            tx_packets: 7,
            tx_lost: 7,
            tx_jitter: 0.02,
            ..Default::default()
        };
        assert_eq!(
            stats_row("127.0.0.1", "x", 3725, &st),
            "127.0.0.1        x            01:02:05 0000000150K 0000000002 ( 0.00%) 12.5000 0000000007  0000000007 (100.00%) 0.0200\n"
        );
    }
}
