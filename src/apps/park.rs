//! Park: park the channel in a parking lot (res_parking's parking_applications.c).
//! `Park([parking_lot_name[,options]])`: the first free space of the lot (`R`: a random
//! one), or `PARKINGEXTEN`. The lot: the argument, else `PARKINGLOT`, else the lot whose
//! park extension this is, else `default`. The space is said to the channel (not with `s`,
//! nor after a blind transfer), then it hears the lot's music on hold until ParkedCall takes
//! it, it hangs up, or `parkingtime` (`t(seconds)`) passes (see `channel::parking`); then
//! it goes to `c(context,exten,priority)` if given.

use super::{App, AppFuture, AppResult, Exec};
use crate::channel::Channel;
use crate::pbx::Pbx;
use std::sync::Arc;

pub static APP: App = App {
    name: "Park",
    synopsis: "Park yourself.",
    provided_by: "res_parking",
    syntax: "Park([parking_lot_name,[options]])",
    description: "Used to park yourself (typically in combination with an attended transfer to know the parking space).",
    exec: Exec::Async(exec),
};

const OPTIONS: &[(char, bool)] = &[
    ('r', false),
    ('R', false),
    ('s', false),
    ('t', true),
    ('c', true),
];

fn exec<'a>(chan: &'a mut Channel, pbx: &'a Arc<Pbx>, data: String) -> AppFuture<'a> {
    Box::pin(async move {
        if chan.check_hangup() {
            return AppResult::Hangup;
        }
        chan.answer();
        let args = super::standard_args(&data);
        let lot = args
            .first()
            .filter(|l| !l.is_empty())
            .cloned()
            .or_else(|| chan.vars.get("PARKINGLOT").map(str::to_string))
            // A lot's own park extension parks in that lot.
            .or_else(|| crate::channel::parking::park_exten(pbx, &chan.context, &chan.exten))
            .unwrap_or_else(|| "default".into());
        let opts = args
            .get(1)
            .map(|o| {
                super::scan_options(o, OPTIONS, |c| {
                    crate::logger::warning("app.c", &format!("Unrecognized option: '{c}'"))
                })
            })
            .unwrap_or_default();
        let silent = opts.iter().any(|(c, _)| *c == 's');
        let blind = chan.vars.get("BLINDTRANSFER").map(str::to_string);
        let mut wanted = chan
            .vars
            .get("PARKINGEXTEN")
            .and_then(|e| e.trim().parse::<u32>().ok());
        if wanted.is_none() && opts.iter().any(|(c, _)| *c == 'R') {
            wanted = random_space(pbx, &lot);
        }
        // The parker: the channel that blind-transferred it here, else itself.
        let parker = blind.clone().unwrap_or_else(|| chan.name.clone());
        let Some(mut slot) = crate::channel::parking::park(pbx, &chan.name, &lot, &parker, wanted)
        else {
            if !silent && blind.is_none() {
                crate::channel::playback::play_file(chan, pbx, "pbx-parkingfailed", "").await;
            }
            return AppResult::Continue;
        };
        if let Some(t) = opts
            .iter()
            .find(|(c, _)| *c == 't')
            .and_then(|(_, a)| a.as_deref())
            .and_then(|a| a.trim().parse::<u32>().ok())
        {
            slot.lot.parkingtime = t;
        }
        slot.comeback = opts
            .iter()
            .find(|(c, _)| *c == 'c')
            .and_then(|(_, a)| a.clone())
            .filter(|a| !a.is_empty());
        chan.app = "Park";
        crate::channel::parking::hold(chan, pbx, slot, !silent && blind.is_none()).await
    })
}

/// `R`: a free space of the lot picked at random.
fn random_space(pbx: &Pbx, lot: &str) -> Option<u32> {
    let l = crate::channel::parking::lot(pbx, lot)?;
    let used: Vec<u32> = crate::channel::parking::parked_in(&l.name)
        .iter()
        .map(|p| p.0)
        .collect();
    let free: Vec<u32> = (l.parkpos.0..=l.parkpos.1)
        .filter(|n| !used.contains(n))
        .collect();
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as usize)
        .unwrap_or(0);
    free.get(seed.checked_rem(free.len())?).copied()
}
