//! `sip show settings` in chan_sip's layout: the [general] options as chan_sip reads them,
//! with chan_sip's defaults where sip.conf is silent.

use crate::config::sip::{DtmfMode, SipConf, SipGeneral};
use crate::pbx::Pbx;
use std::fmt::Write as _;

/// The last value written for `name` in [general] (chan_sip keeps the last).
fn opt<'a>(g: &'a SipGeneral, name: &str) -> Option<&'a str> {
    g.options
        .iter()
        .rev()
        .find(|v| v.name.eq_ignore_ascii_case(name))
        .map(|v| v.value.trim())
}

/// `ast_true` / `ast_false` with a default.
fn flag(g: &SipGeneral, name: &str, default: bool) -> bool {
    match opt(g, name).map(|v| v.to_ascii_lowercase()) {
        Some(v) if ["yes", "true", "y", "t", "1", "on"].contains(&v.as_str()) => true,
        Some(v) if ["no", "false", "n", "f", "0", "off"].contains(&v.as_str()) => false,
        _ => default,
    }
}

fn yn(b: bool) -> &'static str {
    if b {
        "Yes"
    } else {
        "No"
    }
}

fn int(g: &SipGeneral, name: &str, default: i64) -> i64 {
    opt(g, name)
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(default)
}

/// `ast_tos2str`: the DiffServ name of a ToS value written as a name or a number.
fn tos(g: &SipGeneral, name: &str) -> String {
    const NAMES: &[(&str, u8)] = &[
        ("CS0", 0x00),
        ("CS1", 0x20),
        ("CS2", 0x40),
        ("CS3", 0x60),
        ("CS4", 0x80),
        ("CS5", 0xA0),
        ("CS6", 0xC0),
        ("CS7", 0xE0),
        ("AF11", 0x28),
        ("AF12", 0x30),
        ("AF13", 0x38),
        ("AF21", 0x48),
        ("AF22", 0x50),
        ("AF23", 0x58),
        ("AF31", 0x68),
        ("AF32", 0x70),
        ("AF33", 0x78),
        ("AF41", 0x88),
        ("AF42", 0x90),
        ("AF43", 0x98),
        ("EF", 0xB8),
    ];
    let v = opt(g, name).unwrap_or("CS0");
    let value = NAMES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(v))
        .map(|(_, x)| *x)
        .or_else(|| {
            let v = v.trim();
            match v.strip_prefix("0x").or(v.strip_prefix("0X")) {
                Some(h) => u8::from_str_radix(h, 16).ok(),
                None => v.parse::<u8>().ok(),
            }
        })
        .unwrap_or(0);
    NAMES
        .iter()
        .find(|(_, x)| *x == value)
        .map(|(n, _)| n.to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// A `localnet` entry as `addr/mask` in dotted form.
fn localnet(s: &str) -> String {
    let (ip, bits) = match s.split_once('/') {
        Some((ip, m)) => (ip.trim(), m.trim()),
        None => (s.trim(), "32"),
    };
    let mask = match bits.parse::<u32>() {
        Ok(b) if b <= 32 => {
            let m = if b == 0 { 0 } else { u32::MAX << (32 - b) };
            std::net::Ipv4Addr::from(m).to_string()
        }
        _ => bits.to_string(),
    };
    let addr = match (
        ip.parse::<std::net::Ipv4Addr>(),
        mask.parse::<std::net::Ipv4Addr>(),
    ) {
        (Ok(a), Ok(m)) => std::net::Ipv4Addr::from(u32::from(a) & u32::from(m)).to_string(),
        _ => ip.to_string(),
    };
    format!("{addr}/{mask}")
}

/// `sip show settings`.
pub fn settings(pbx: &Pbx, sip: &SipConf) -> String {
    let g = &sip.general;
    let mut o = String::new();
    let w = &mut o;
    let udp = pbx
        .sip
        .bound
        .lock()
        .unwrap()
        .first()
        .map(|a| a.to_string())
        .unwrap_or_else(|| {
            let ip = g
                .bindaddr
                .as_ref()
                .map(|b| b.value.clone())
                .unwrap_or_else(|| "0.0.0.0".into());
            if ip.contains(':') && !ip.contains('[') && ip.matches(':').count() == 1 {
                ip
            } else {
                format!("{ip}:{}", g.bindport())
            }
        });
    let server = pbx.sip.registrar.lock().unwrap().server.clone();
    let _ = writeln!(w, "\n\nGlobal Settings:");
    let _ = writeln!(w, "----------------");
    let _ = writeln!(w, "  UDP Bindaddress:        {udp}");
    let tcp = if g.tcpenable() {
        match g.tcpbindaddr.as_ref().map(|t| t.value.clone()) {
            Some(t) if t.contains(':') => t,
            Some(t) => format!("{t}:5060"),
            None => udp.clone(),
        }
    } else {
        "Disabled".into()
    };
    let _ = writeln!(w, "  TCP SIP Bindaddress:    {tcp}");
    let tls = match (
        g.tlsenable.as_ref().is_some_and(|t| t.value),
        &g.tlsbindaddr,
    ) {
        (true, Some(a)) => a.value.clone(),
        (true, None) => "0.0.0.0:5061".into(),
        _ => "Disabled".into(),
    };
    let _ = writeln!(w, "  TLS SIP Bindaddress:    {tls}");
    let _ = writeln!(
        w,
        "  RTP Bindaddress:        {}",
        opt(g, "rtpbindaddr").unwrap_or("Disabled")
    );
    let _ = writeln!(
        w,
        "  Videosupport:           {}",
        yn(flag(g, "videosupport", false))
    );
    let _ = writeln!(
        w,
        "  Textsupport:            {}",
        yn(flag(g, "textsupport", false))
    );
    let _ = writeln!(
        w,
        "  Ignore SDP sess. ver.:  {}",
        yn(flag(g, "ignoresdpversion", false))
    );
    let acp = match g
        .autocreatepeer
        .as_ref()
        .map(|a| a.value.to_ascii_lowercase())
    {
        Some(v) if v == "persist" => "Persist",
        Some(v) if ["yes", "true", "on", "1"].contains(&v.as_str()) => "On",
        _ => "Off",
    };
    let _ = writeln!(w, "  AutoCreate Peer:        {acp}");
    let _ = writeln!(
        w,
        "  Match Auth Username:    {}",
        yn(flag(g, "match_auth_username", false))
    );
    let _ = writeln!(w, "  Allow unknown access:   {}", yn(g.allowguest()));
    let _ = writeln!(
        w,
        "  Allow subscriptions:    {}",
        yn(flag(g, "allowsubscribe", true))
    );
    let overlap = match opt(g, "allowoverlap").map(|v| v.to_ascii_lowercase()) {
        Some(v) if v == "dtmf" => "DTMF",
        _ if flag(g, "allowoverlap", true) => "Yes",
        _ => "No",
    };
    let _ = writeln!(w, "  Allow overlap dialing:  {overlap}");
    let _ = writeln!(
        w,
        "  Allow promisc. redir:   {}",
        yn(flag(g, "promiscredir", false))
    );
    let counters = g.callcounter.as_ref().is_some_and(|c| c.value);
    let _ = writeln!(w, "  Enable call counters:   {}", yn(counters));
    let domains = g
        .options
        .iter()
        .any(|v| v.name.eq_ignore_ascii_case("domain"));
    let _ = writeln!(w, "  SIP domain support:     {}", yn(domains));
    let _ = writeln!(
        w,
        "  Path support :          {}",
        yn(flag(g, "supportpath", false))
    );
    let _ = writeln!(w, "  Realm. auth:            No");
    let _ = writeln!(w, "  Our auth realm          {}", g.realm());
    let _ = writeln!(
        w,
        "  Use domains as realms:  {}",
        yn(flag(g, "domainsasrealm", false))
    );
    let _ = writeln!(
        w,
        "  Call to non-local dom.: {}",
        yn(flag(g, "allowexternaldomains", true))
    );
    let _ = writeln!(
        w,
        "  URI user is phone no:   {}",
        yn(flag(g, "usereqphone", false))
    );
    let _ = writeln!(w, "  Always auth rejects:    {}", yn(g.alwaysauthreject()));
    let _ = writeln!(
        w,
        "  Direct RTP setup:       {}",
        yn(flag(g, "directrtpsetup", false))
    );
    let ua = g
        .useragent
        .as_ref()
        .map(|u| u.value.clone())
        .unwrap_or_else(|| server.clone());
    let _ = writeln!(w, "  User Agent:             {ua}");
    let _ = writeln!(
        w,
        "  SDP Session Name:       {}",
        opt(g, "sdpsession")
            .filter(|s| !s.is_empty())
            .unwrap_or(&server)
    );
    let _ = writeln!(
        w,
        "  SDP Owner Name:         {}",
        opt(g, "sdpowner")
            .filter(|s| !s.is_empty())
            .unwrap_or("root")
    );
    let _ = writeln!(
        w,
        "  Reg. context:           {}",
        opt(g, "regcontext")
            .filter(|s| !s.is_empty())
            .unwrap_or("(not set)")
    );
    let _ = writeln!(
        w,
        "  Regexten on Qualify:    {}",
        yn(flag(g, "regextenonqualify", false))
    );
    let _ = writeln!(
        w,
        "  Trust RPID:             {}",
        yn(flag(g, "trustrpid", false))
    );
    let sendrpid = opt(g, "sendrpid")
        .map(|v| {
            let v = v.to_ascii_lowercase();
            v == "pai" || v == "rpid" || flag(g, "sendrpid", false)
        })
        .unwrap_or(false);
    let _ = writeln!(w, "  Send RPID:              {}", yn(sendrpid));
    let _ = writeln!(
        w,
        "  Legacy userfield parse: {}",
        yn(flag(g, "legacy_useroption_parsing", false))
    );
    let _ = writeln!(
        w,
        "  Send Diversion:         {}",
        yn(flag(g, "send_diversion", true))
    );
    let _ = writeln!(
        w,
        "  Caller ID:              {}",
        opt(g, "callerid").unwrap_or("asterisk")
    );
    let fromdomain = g
        .fromdomain
        .as_ref()
        .map(|f| f.value.clone())
        .unwrap_or_default();
    let _ = writeln!(w, "  From: Domain:           {fromdomain}");
    let onoff = |b: bool| if b { "On" } else { "Off" };
    let _ = writeln!(
        w,
        "  Record SIP history:     {}",
        onoff(flag(g, "recordhistory", false))
    );
    let _ = writeln!(
        w,
        "  Auth. Failure Events:   {}",
        onoff(flag(g, "authfailureevents", false))
    );
    let _ = writeln!(w, "  T.38 support:           No");
    let _ = writeln!(w, "  T.38 EC mode:           Unknown");
    let _ = writeln!(w, "  T.38 MaxDtgrm:          4294967295");
    let _ = writeln!(w, "  SIP realtime:           Disabled");
    let _ = writeln!(w, "  Qualify Freq :          {} ms", g.qualifyfreq() * 1000);
    let _ = writeln!(
        w,
        "  Q.850 Reason header:    {}",
        yn(flag(g, "use_q850_reason", false))
    );
    let _ = writeln!(
        w,
        "  Store SIP_CAUSE:        {}",
        yn(flag(g, "storesipcause", false))
    );
    let _ = writeln!(w, "\nNetwork QoS Settings:");
    let _ = writeln!(w, "---------------------------");
    let _ = writeln!(w, "  IP ToS SIP:             {}", tos(g, "tos_sip"));
    let _ = writeln!(w, "  IP ToS RTP audio:       {}", tos(g, "tos_audio"));
    let _ = writeln!(w, "  IP ToS RTP video:       {}", tos(g, "tos_video"));
    let _ = writeln!(w, "  IP ToS RTP text:        {}", tos(g, "tos_text"));
    let _ = writeln!(w, "  802.1p CoS SIP:         {}", int(g, "cos_sip", 4));
    let _ = writeln!(w, "  802.1p CoS RTP audio:   {}", int(g, "cos_audio", 5));
    let _ = writeln!(w, "  802.1p CoS RTP video:   {}", int(g, "cos_video", 6));
    let _ = writeln!(w, "  802.1p CoS RTP text:    {}", int(g, "cos_text", 5));
    let _ = writeln!(
        w,
        "  Jitterbuffer enabled:   {}",
        yn(flag(g, "jbenable", false))
    );
    let _ = writeln!(w, "\nNetwork Settings:");
    let _ = writeln!(w, "---------------------------");
    let remap = if g.localnet.is_empty() {
        "Disabled, no localnet list"
    } else if g.externaddr.is_none() && g.externhost.is_none() {
        "Disabled"
    } else if g.externhost.is_some() {
        "Enabled using externhost"
    } else {
        "Enabled using externaddr"
    };
    let _ = writeln!(w, "  SIP address remapping:  {remap}");
    let _ = writeln!(
        w,
        "  Externhost:             {}",
        g.externhost
            .as_ref()
            .map(|h| h.value.as_str())
            .unwrap_or("<none>")
    );
    let _ = writeln!(
        w,
        "  Externaddr:             {}",
        g.externaddr
            .as_ref()
            .map(|h| h.value.as_str())
            .unwrap_or("(null)")
    );
    let _ = writeln!(
        w,
        "  Externrefresh:          {}",
        int(g, "externrefresh", 10)
    );
    for (i, n) in g.localnet.iter().enumerate() {
        let prefix = if i == 0 { "Localnet:" } else { "" };
        let _ = writeln!(w, "  {prefix:<24}{}", localnet(&n.value));
    }
    let _ = writeln!(w, "\nGlobal Signalling Settings:");
    let _ = writeln!(w, "---------------------------");
    let codecs = g.codecs().list;
    let codecs = if codecs.is_empty() {
        "(nothing)".to_string()
    } else {
        format!("({})", codecs.join("|"))
    };
    let _ = writeln!(w, "  Codecs:                 {codecs}");
    let _ = writeln!(
        w,
        "  Relax DTMF:             {}",
        yn(flag(g, "relaxdtmf", false))
    );
    let _ = writeln!(
        w,
        "  RFC2833 Compensation:   {}",
        yn(flag(g, "rfc2833compensate", false))
    );
    let nat = g.nat();
    let symmetric = match (nat.comedia, nat.auto_comedia) {
        (_, true) => "Auto (No)",
        (true, false) => "Yes",
        _ => "No",
    };
    let _ = writeln!(w, "  Symmetric RTP:          {symmetric}");
    let _ = writeln!(
        w,
        "  Compact SIP headers:    {}",
        yn(flag(g, "compactheaders", false))
    );
    for (label, name) in [
        ("RTP Keepalive:       ", "rtpkeepalive"),
        ("RTP Timeout:         ", "rtptimeout"),
        ("RTP Hold Timeout:    ", "rtpholdtimeout"),
    ] {
        let v = int(g, name, 0);
        let _ = writeln!(
            w,
            "  {label}   {v} {}",
            if v != 0 { "" } else { "(Disabled)" }
        );
    }
    let _ = writeln!(
        w,
        "  MWI NOTIFY mime type:   {}",
        opt(g, "notifymimetype").unwrap_or("application/simple-message-summary")
    );
    let _ = writeln!(w, "  DNS SRV lookup:         {}", yn(g.srvlookup()));
    let _ = writeln!(
        w,
        "  Pedantic SIP support:   {}",
        yn(flag(g, "pedantic", true))
    );
    let _ = writeln!(w, "  Reg. min duration       {} secs", g.minexpiry());
    let _ = writeln!(w, "  Reg. max duration:      {} secs", g.maxexpiry());
    let _ = writeln!(w, "  Reg. default duration:  {} secs", g.defaultexpiry());
    let _ = writeln!(
        w,
        "  Sub. min duration       {} secs",
        int(g, "subminexpiry", 60)
    );
    let _ = writeln!(
        w,
        "  Sub. max duration:      {} secs",
        int(g, "submaxexpiry", 3600)
    );
    let _ = writeln!(
        w,
        "  Outbound reg. timeout:  {} secs",
        int(g, "registertimeout", 20)
    );
    let _ = writeln!(
        w,
        "  Outbound reg. attempts: {}",
        int(g, "registerattempts", 0)
    );
    let _ = writeln!(
        w,
        "  Outbound reg. retry 403:{}",
        yn(flag(g, "register_retry_403", false))
    );
    let notinuse = opt(g, "notifyringing").is_some_and(|v| v.eq_ignore_ascii_case("notinuse"));
    let ringing = notinuse || flag(g, "notifyringing", true);
    let _ = writeln!(
        w,
        "  Notify ringing state:   {}{}",
        yn(ringing),
        if notinuse { " (when not in use)" } else { "" }
    );
    if ringing {
        let ignore = opt(g, "notifycid").is_some_and(|v| v.eq_ignore_ascii_case("ignore-context"));
        let _ = writeln!(
            w,
            "    Include CID:          {}{}",
            yn(ignore || flag(g, "notifycid", false)),
            if ignore { " (Ignoring context)" } else { "" }
        );
    }
    let _ = writeln!(
        w,
        "  Notify hold state:      {}",
        yn(flag(g, "notifyhold", false))
    );
    let transfer = if flag(g, "allowtransfer", true) {
        "open"
    } else {
        "closed"
    };
    let _ = writeln!(w, "  SIP Transfer mode:      {transfer}");
    let _ = writeln!(
        w,
        "  Max Call Bitrate:       {} kbps",
        int(g, "maxcallbitrate", 384)
    );
    let _ = writeln!(
        w,
        "  Auto-Framing:           {}",
        yn(flag(g, "autoframing", false))
    );
    let _ = writeln!(
        w,
        "  Outb. proxy:            {} ",
        opt(g, "outboundproxy")
            .filter(|s| !s.is_empty())
            .unwrap_or("<not set>")
    );
    let st = match opt(g, "session-timers").map(|v| v.to_ascii_lowercase()) {
        Some(v) if v == "originate" => "Originate",
        Some(v) if v == "refuse" => "Refuse",
        _ => "Accept",
    };
    let _ = writeln!(w, "  Session Timers:         {st}");
    let refresher = match opt(g, "session-refresher").map(|v| v.to_ascii_lowercase()) {
        Some(v) if v == "uac" => "uac",
        _ => "uas",
    };
    let _ = writeln!(w, "  Session Refresher:      {refresher}");
    let _ = writeln!(
        w,
        "  Session Expires:        {} secs",
        int(g, "session-expires", 1800)
    );
    let _ = writeln!(
        w,
        "  Session Min-SE:         {} secs",
        int(g, "session-minse", 90)
    );
    let t1 = int(g, "timert1", 500);
    let _ = writeln!(w, "  Timer T1:               {t1}");
    let _ = writeln!(w, "  Timer T1 minimum:       {}", int(g, "t1min", 100));
    let _ = writeln!(w, "  Timer B:                {}", int(g, "timerb", 64 * t1));
    let _ = writeln!(
        w,
        "  No premature media:     {}",
        yn(flag(g, "prematuremedia", true))
    );
    let _ = writeln!(w, "  Max forwards:           {}", int(g, "maxforwards", 70));
    let _ = writeln!(w, "\nDefault Settings:");
    let _ = writeln!(w, "-----------------");
    let transports: Vec<String> = match &g.transport {
        Some(t) if !t.value.is_empty() => t
            .value
            .iter()
            .map(|x| format!("{x:?}").to_ascii_uppercase())
            .collect(),
        _ => vec!["UDP".into()],
    };
    let _ = writeln!(w, "  Allowed transports:     {}", transports.join(","));
    let _ = writeln!(w, "  Outbound transport:\t  {}", transports[0]);
    let _ = writeln!(w, "  Context:                {}", g.context());
    let _ = writeln!(
        w,
        "  Record on feature:      {}",
        opt(g, "recordonfeature").unwrap_or("automon")
    );
    let _ = writeln!(
        w,
        "  Record off feature:     {}",
        opt(g, "recordofffeature").unwrap_or("automon")
    );
    let rport = match (nat.force_rport, nat.auto_force_rport) {
        (_, true) => "Auto (No)",
        (true, false) => "Yes",
        _ => "No",
    };
    let _ = writeln!(w, "  Force rport:            {rport}");
    let dtmf = match g.common.dtmfmode.as_ref().map(|d| d.value) {
        Some(DtmfMode::Info) => "info",
        Some(DtmfMode::ShortInfo) => "shortinfo",
        Some(DtmfMode::Inband) => "inband",
        Some(DtmfMode::Auto) => "auto",
        _ => "rfc2833",
    };
    let _ = writeln!(w, "  DTMF:                   {dtmf}");
    let qualify = g.qualify.as_ref().map(|q| q.value.maxms()).unwrap_or(0);
    let _ = writeln!(w, "  Qualify:                {qualify}");
    let _ = writeln!(w, "  Keepalive:              {}", int(g, "keepalive", 0));
    let _ = writeln!(
        w,
        "  Use ClientCode:         {}",
        yn(flag(g, "useclientcode", false))
    );
    let inband = match opt(g, "progressinband").map(|v| v.to_ascii_lowercase()) {
        Some(v) if v == "never" => "Never",
        _ if flag(g, "progressinband", false) => "Yes",
        _ => "No",
    };
    let _ = writeln!(w, "  Progress inband:        {inband}");
    let _ = writeln!(
        w,
        "  Language:               {}",
        g.language.as_ref().map(|l| l.value.as_str()).unwrap_or("")
    );
    let _ = writeln!(
        w,
        "  Tone zone:              {}",
        opt(g, "tonezone")
            .filter(|s| !s.is_empty())
            .unwrap_or("<Not set>")
    );
    let _ = writeln!(
        w,
        "  MOH Interpret:          {}",
        opt(g, "mohinterpret").unwrap_or("default")
    );
    let _ = writeln!(
        w,
        "  MOH Suggest:            {}",
        opt(g, "mohsuggest").unwrap_or("")
    );
    let _ = writeln!(
        w,
        "  Voice Mail Extension:   {}",
        opt(g, "vmexten").unwrap_or("asterisk")
    );
    let _ = writeln!(
        w,
        "  RTCP Multiplexing:      {}",
        yn(flag(g, "rtcp_mux", false))
    );
    let _ = writeln!(w, "\n----");
    o
}

#[cfg(test)]
mod tests {
    #[test]
    fn localnet_masks() {
        assert_eq!(
            super::localnet("192.168.1.0/24"),
            "192.168.1.0/255.255.255.0"
        );
        assert_eq!(super::localnet("10.1.2.3/255.0.0.0"), "10.0.0.0/255.0.0.0");
        assert_eq!(super::localnet("172.16.0.0/12"), "172.16.0.0/255.240.0.0");
    }
}
