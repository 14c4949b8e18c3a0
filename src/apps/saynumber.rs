//! SayNumber: say a whole number in the channel's language, with the grammar of that
//! language (Russian genders and plural forms included; main/say.c via `media::say`).

use super::{App, AppFuture, AppResult, Exec};
use crate::channel::Channel;
use crate::pbx::Pbx;
use std::sync::Arc;

pub static APP: App = App {
    name: "SayNumber",
    synopsis: "Say Number.",
    provided_by: "pbx_builtins",
    syntax: "SayNumber(digits,[gender])",
    description: "This application will play the sounds that correspond to the given digits. Optionally, a gender may be specified.",
    exec: Exec::Async(exec),
};

fn exec<'a>(chan: &'a mut Channel, pbx: &'a Arc<Pbx>, data: String) -> AppFuture<'a> {
    Box::pin(async move {
        if data.trim().is_empty() {
            crate::logger::warning("pbx_builtins.c", "SayNumber requires an argument (number)");
            return AppResult::Hangup;
        }
        let (num, gender) = match data.split_once(',') {
            Some((n, g)) => (n, Some(g.split(',').next().unwrap_or(g))),
            None => (data.as_str(), None),
        };
        let Ok(n) = num
            .trim()
            .parse::<i64>()
            .map_err(|_| ())
            .and_then(|n| i32::try_from(n).map_err(|_| ()))
        else {
            crate::logger::warning(
                "pbx_builtins.c",
                &format!("argument '{num}' to SayNumber could not be parsed as a number."),
            );
            return AppResult::Continue;
        };
        if let Some(g) = gender {
            if !["f", "m", "c", "n"]
                .iter()
                .any(|x| x.eq_ignore_ascii_case(g))
            {
                crate::logger::warning(
                    "pbx_builtins.c",
                    "SayNumber gender option is either 'f', 'm', 'c' or 'n'",
                );
                return AppResult::Hangup;
            }
        }
        let files = crate::media::say::say_number(i64::from(n), &chan.language, gender);
        super::saydigits::say_files(chan, pbx, &files).await
    })
}
