//! PlayTones, StopPlayTones (apps/app_playtones.c, main/indications.c): play a tone of the
//! channel's tone zone (indications.conf; `CHANNEL(tonezone)`, else the default zone) or a tone
//! list string as the channel's generator, while the dialplan goes on (Wait, WaitExten... let
//! it play). Without indications.conf zvezda has its built-in `us` zone (see
//! `config::indications`).

use super::{App, AppResult, Exec};
use crate::channel::playback::Generator;
use crate::channel::Channel;
use crate::config::indications::IndicationsConf;
use crate::media::tones::{parse_tone_list, TonePlayer};
use crate::pbx::Pbx;
use std::sync::Arc;

pub static APP: App = App {
    name: "PlayTones",
    synopsis: "Play a tone list.",
    provided_by: "app_playtones",
    syntax: "PlayTones(arg)",
    description: "Plays a tone of the channel's tone zone (dial, busy, ring...) or a tone list (e.g. 440+480/2000,0/4000) while the dialplan goes on; StopPlayTones stops it.",
    exec: Exec::Sync(exec_play),
};

pub static STOP_APP: App = App {
    name: "StopPlayTones",
    synopsis: "Stop playing a tone list.",
    provided_by: "app_playtones",
    syntax: "StopPlayTones()",
    description: "Stops the tones started by PlayTones.",
    exec: Exec::Sync(exec_stop),
};

/// The playtones generator.
#[derive(Debug)]
pub struct Tones(pub TonePlayer);

impl Generator for Tones {
    fn fill(&mut self, out: &mut [i16]) -> bool {
        let n = self.0.fill(out);
        if n < out.len() {
            out[n..].fill(0);
        }
        n > 0
    }
}

/// The tone list `name` names in the channel's zone, if any.
pub fn zone_tone(chan: &Channel, pbx: &Pbx, name: &str) -> Option<String> {
    let cfg = pbx.config.read().unwrap().clone();
    let builtin;
    let ind = match cfg.indications.as_ref() {
        Some(i) => i,
        None => {
            builtin = IndicationsConf::builtin();
            &builtin
        }
    };
    let zone = Some(chan.tonezone.as_str()).filter(|z| !z.is_empty());
    ind.tone(zone, name).map(str::to_string)
}

/// `ast_playtones_start`: parse `list` (logging Asterisk's errors) and set the generator.
/// False when no part is valid.
pub fn start(chan: &mut Channel, list: &str) -> bool {
    let parsed = parse_tone_list(list);
    for b in &parsed.bad_parts {
        crate::logger::error("indications.c", &format!("Failed to parse tone part '{b}'"));
    }
    if parsed.parts.is_empty() {
        crate::logger::error("indications.c", "No valid tone parts");
        return false;
    }
    // Activating a generator releases the one playing (music on hold says it stopped).
    if chan.moh_active {
        crate::moh::stop(chan);
    }
    chan.generator = Some(Box::new(Tones(TonePlayer::new(parsed, None))));
    true
}

fn exec_play(chan: &mut Channel, pbx: &Arc<Pbx>, data: &str) -> AppResult {
    if data.is_empty() {
        crate::logger::notice("app_playtones.c", "Nothing to play");
        return AppResult::Hangup;
    }
    let list = zone_tone(chan, pbx, data).unwrap_or_else(|| data.to_string());
    if !start(chan, &list) {
        crate::logger::notice("app_playtones.c", "Unable to start playtones");
        return AppResult::Hangup;
    }
    AppResult::Continue
}

/// `ast_playtones_stop`: whatever generator plays is stopped.
fn exec_stop(chan: &mut Channel, _pbx: &Arc<Pbx>, _data: &str) -> AppResult {
    if chan.moh_active {
        crate::moh::stop(chan);
    }
    chan.generator = None;
    AppResult::Continue
}
