//! CHANNEL: the channel's own properties (funcs/func_channel.c). Read: language,
//! musicclass, name, channame, uniqueid, linkedid, state, channeltype, accountcode,
//! context, exten, priority... Written: language, musicclass, accountcode, tonezone (a zone
//! of indications.conf). Of the items a technology answers, chan_sip's
//! `rtpqos,audio,<field>|all` (the RTP/RTCP figures of the channel's stream); others
//! (`peerip`...) are not available here.

use super::Function;
use crate::channel::Channel;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "CHANNEL",
    synopsis: "Gets/sets various pieces of information about the channel.",
    syntax: "CHANNEL(item)",
    provided_by: "func_channel",
    description: "Gets/sets various pieces of information about the channel, additional items may be available from the channel driver; see its documentation for details. Any item requested that is not available on the current channel will return an empty string. Items: accountcode (R/W), channeltype (R), checkhangup (R), context (R), exten (R), language (R/W), linkedid (R), musicclass (R/W), tonezone (R/W), name (R), channame (R), state (R), uniqueid (R), appname (R), appdata (R), amaflags (R)...",
    read: Some(read),
    write: Some(write),
};

fn read(chan: &mut Channel, _pbx: &Pbx, args: &str) -> Option<String> {
    let item = args.to_ascii_lowercase();
    if item.split(',').next().map(str::trim) == Some("rtpqos") {
        if let Some(m) = chan.media.as_deref() {
            return rtpqos(&m.quality(), args);
        }
    }
    let v = match item.as_str() {
        "language" => chan.language.clone(),
        "musicclass" => chan.musicclass.clone(),
        "tonezone" => chan.tonezone.clone(),
        "name" | "channame" => chan.name.clone(),
        "state" => chan.state.as_str().to_string(),
        "channeltype" => chan
            .name
            .split_once('/')
            .map(|(t, _)| t)
            .unwrap_or("")
            .to_string(),
        "accountcode" => chan.accountcode.clone(),
        "checkhangup" => if chan.check_hangup() { "1" } else { "0" }.to_string(),
        "exten" => chan.exten.clone(),
        "context" => chan.context.clone(),
        "priority" => chan.priority.to_string(),
        "uniqueid" => chan.uniqueid.clone(),
        "linkedid" => {
            if chan.linkedid.is_empty() {
                chan.uniqueid.clone()
            } else {
                chan.linkedid.clone()
            }
        }
        "appname" => chan.app.to_string(),
        "onhold" => "0".to_string(),
        "amaflags" => "0".to_string(),
        "peeraccount" | "hangupsource" | "userfield" | "parkinglot" | "callgroup"
        | "pickupgroup" | "namedcallgroup" | "namedpickupgroup" | "peer" => String::new(),
        _ => {
            crate::logger::warning(
                "func_channel.c",
                &format!("Unknown or unavailable item requested: '{args}'"),
            );
            return None;
        }
    };
    Some(v)
}

fn write(chan: &mut Channel, pbx: &Pbx, args: &str, value: &str) {
    match args.to_ascii_lowercase().as_str() {
        "tonezone" => {
            let cfg = pbx.config.read().unwrap().clone();
            let builtin = crate::config::indications::IndicationsConf::builtin();
            let ind = cfg.indications.as_ref().unwrap_or(&builtin);
            match ind.zone(value) {
                Some(z) => chan.tonezone = z.name.value.clone(),
                None => crate::logger::error(
                    "func_channel.c",
                    &format!("Unknown country code '{value}' for tonezone. Check indications.conf for available country codes."),
                ),
            }
        }
        "language" => chan.language = value.to_string(),
        "musicclass" => chan.musicclass = value.to_string(),
        "accountcode" => chan.accountcode = value.to_string(),
        _ => crate::logger::warning(
            "func_channel.c",
            &format!("Unknown or unavailable item requested: '{args}'"),
        ),
    }
}

/// chan_sip's `CHANNEL(rtpqos,<type>,<field>)`: `audio` (the default) only; `all` or no
/// field gives the quality string.
fn rtpqos(st: &crate::media::rtp::RtcpStats, args: &str) -> Option<String> {
    let parts: Vec<&str> = args.split(',').map(str::trim).collect();
    let kind = parts.get(1).copied().unwrap_or("");
    if !(kind.is_empty() || kind.eq_ignore_ascii_case("audio")) {
        return None;
    }
    let field = parts.get(2).copied().unwrap_or("");
    if field.is_empty() || field.eq_ignore_ascii_case("all") {
        return Some(st.quality());
    }
    let v = st.field(field);
    if v.is_none() {
        crate::logger::warning(
            "dialplan_functions.c",
            &format!("Unrecognized argument '{args}' to CHANNEL"),
        );
    }
    v
}

#[cfg(test)]
mod tests {
    use crate::apps::set::setvar;
    use crate::channel::ChannelState;
    use crate::funcs::util::{sub, test_env};

    #[test]
    fn items() {
        let (mut c, p) = test_env();
        c.set_state(ChannelState::Up);
        assert_eq!(
            sub(&mut c, &p, "${CHANNEL(language)}|${CHANNEL(name)}|${CHANNEL(channeltype)}|${CHANNEL(state)}|${CHANNEL(uniqueid)}|${CHANNEL(linkedid)}|${CHANNEL(context)}|${CHANNEL(exten)}"),
            "en|SIP/100-00000001|SIP|Up|1700000000.1|1700000000.1|default|100"
        );
        setvar(&mut c, &p, "CHANNEL(language)", "ru");
        setvar(&mut c, &p, "CHANNEL(musicclass)", "jazz");
        setvar(&mut c, &p, "CHANNEL(accountcode)", "acc1");
        assert_eq!(c.language, "ru");
        assert_eq!(
            sub(
                &mut c,
                &p,
                "${CHANNEL(LANGUAGE)}|${CHANNEL(musicclass)}|${CHANNEL(accountcode)}"
            ),
            "ru|jazz|acc1"
        );
        assert_eq!(sub(&mut c, &p, "[${CHANNEL(peerip)}]"), "[]");
    }
}
