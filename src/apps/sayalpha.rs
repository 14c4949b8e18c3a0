//! SayAlpha: spell a string letter by letter (main/say.c's ast_say_character_str): digits,
//! letters (`letters/a`), and the symbols Asterisk has prompts for. Case sensitivity as the
//! second argument (`n` none, `u` upper, `l` lower, `a` all).

use super::{App, AppFuture, Exec};
use crate::channel::Channel;
use crate::pbx::Pbx;
use std::sync::Arc;

pub static APP: App = App {
    name: "SayAlpha",
    synopsis: "Say Alpha.",
    provided_by: "pbx_builtins",
    syntax: "SayAlpha(string)",
    description:
        "This application will play the sounds that correspond to the letters of the given string.",
    exec: Exec::Async(exec),
};

fn exec<'a>(chan: &'a mut Channel, pbx: &'a Arc<Pbx>, data: String) -> AppFuture<'a> {
    Box::pin(async move {
        let paths = crate::channel::playback::paths(pbx);
        let lang = chan.language.clone();
        let exists = |name: &str| paths.exists(name, &lang);
        let files =
            crate::media::say::say_alpha(&data, crate::media::say::Case::default(), &exists);
        super::saydigits::say_files(chan, pbx, &files).await
    })
}
