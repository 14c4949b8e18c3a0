//! DEVICE_STATE: a device's state as the channel driver reports it (funcs/func_devstate.c).
//! `SIP/<peer>` asks chan_sip's rules ([`crate::sip::devstate`]); `Custom:<name>` is a
//! state the dialplan sets (kept in the AstDB under `CustomDevstate`, as Asterisk does).

use super::Function;
use crate::channel::Channel;
use crate::pbx::Pbx;

pub static FUNC: Function = Function {
    name: "DEVICE_STATE",
    synopsis: "Get or Set a device state.",
    syntax: "DEVICE_STATE(device)",
    provided_by: "func_devstate",
    description: "The DEVICE_STATE function can be used to retrieve the device state from any \
         device state provider. For example: NoOp(SIP/mypeer has state ${DEVICE_STATE(SIP/mypeer)}). \
         The DEVICE_STATE function can also be used to set custom device state from the \
         dialplan. The 'Custom:' prefix must be used.",
    read: Some(read),
    write: Some(write),
};

const STATES: &[&str] = &[
    "UNKNOWN",
    "NOT_INUSE",
    "INUSE",
    "BUSY",
    "INVALID",
    "UNAVAILABLE",
    "RINGING",
    "RINGINUSE",
    "ONHOLD",
];

fn read(_chan: &mut Channel, pbx: &Pbx, args: &str) -> Option<String> {
    let dev = args.trim();
    if dev.is_empty() {
        crate::logger::warning(
            "func_devstate.c",
            "DEVICE_STATE function requires an argument",
        );
        return None;
    }
    Some(state_of(pbx, dev).to_string())
}

/// The state of `dev` (`SIP/1001`, `Custom:lamp`) by `ast_devstate_str`'s names.
pub fn state_of(pbx: &Pbx, dev: &str) -> &'static str {
    if let Some(name) = strip_ci(dev, "Custom:") {
        return pbx
            .astdb
            .get("CustomDevstate", name)
            .and_then(|v| STATES.iter().find(|s| s.eq_ignore_ascii_case(&v)).copied())
            .unwrap_or("UNKNOWN");
    }
    match dev.split_once('/') {
        Some((tech, rest)) if tech.eq_ignore_ascii_case("SIP") => {
            // `SIP/peer` or `SIP/exten@peer`, as sip_devicestate reads it.
            let peer = rest.rsplit('@').next().unwrap_or(rest);
            crate::sip::devstate::of_peer(pbx, peer).name()
        }
        _ => "INVALID",
    }
}

fn write(_chan: &mut Channel, pbx: &Pbx, args: &str, value: &str) {
    let Some(name) = strip_ci(args.trim(), "Custom:") else {
        crate::logger::warning(
            "func_devstate.c",
            "The DEVICE_STATE function can only be used to set 'Custom:' device state!",
        );
        return;
    };
    if name.is_empty() {
        crate::logger::warning(
            "func_devstate.c",
            "DEVICE_STATE function called with no custom device name!",
        );
        return;
    }
    let Some(state) = STATES.iter().find(|s| s.eq_ignore_ascii_case(value.trim())) else {
        crate::logger::error(
            "func_devstate.c",
            &format!("DEVICE_STATE function given invalid state value '{value}'"),
        );
        return;
    };
    pbx.astdb.put("CustomDevstate", name, state);
}

fn strip_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    (s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(prefix))
        .then(|| &s[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use crate::funcs::util::{sub, test_env};

    #[test]
    fn custom_states_and_unknown_devices() {
        let (mut c, p) = test_env();
        assert_eq!(sub(&mut c, &p, "${DEVICE_STATE(Custom:lamp)}"), "UNKNOWN");
        super::write(&mut c, &p, "Custom:lamp", "inuse");
        assert_eq!(sub(&mut c, &p, "${DEVICE_STATE(Custom:lamp)}"), "INUSE");
        super::write(&mut c, &p, "Custom:lamp", "bogus");
        assert_eq!(sub(&mut c, &p, "${DEVICE_STATE(custom:lamp)}"), "INUSE");
        assert_eq!(
            sub(&mut c, &p, "${DEVICE_STATE(SIP/nosuchpeer)}"),
            "INVALID"
        );
        assert_eq!(sub(&mut c, &p, "${DEVICE_STATE(IAX2/x)}"), "INVALID");
    }
}
