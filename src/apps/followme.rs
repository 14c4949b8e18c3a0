//! FollowMe: find-me/follow-me calling of a profile from followme.conf (apps/app_followme.c).
//!
//! This build looks the profile up as Asterisk does — a profile that is not configured is
//! Asterisk's warning and the dialplan goes on — but cannot call the profile's numbers yet
//! (that needs SIP calls): it says so and goes on, as Asterisk does when no number answers.

use super::{App, AppResult, Exec};
use crate::channel::Channel;
use crate::pbx::Pbx;
use std::sync::Arc;

pub static APP: App = App {
    name: "FollowMe",
    synopsis: "Find-Me/Follow-Me application.",
    provided_by: "app_followme",
    syntax: "FollowMe(followmeid,[options])",
    description: "This application performs Find-Me/Follow-Me functionality for the caller as defined in the profile matching the followmeid parameter in followme.conf.",
    exec: Exec::Sync(exec),
};

fn exec(_chan: &mut Channel, pbx: &Arc<Pbx>, data: &str) -> AppResult {
    let args = super::standard_args(data);
    let Some(id) = args.first().filter(|a| !a.is_empty()) else {
        crate::logger::warning(
            "app_followme.c",
            "FollowMe requires an argument (followmeid)",
        );
        return AppResult::Hangup;
    };
    let cfg = pbx.config.read().unwrap();
    let found = cfg.followme.as_ref().and_then(|f| {
        f.targets
            .iter()
            .find(|t| t.name.value.eq_ignore_ascii_case(id))
    });
    match found {
        None => crate::logger::warning(
            "app_followme.c",
            &format!("Profile requested, {id}, not found in the configuration."),
        ),
        Some(t) => crate::logger::warning(
            "app_followme.c",
            &format!(
                "FollowMe profile '{}' has {} number(s); calling them is not in this zvezda build yet (SIP signalling, issue 4)",
                t.name.value,
                t.numbers.len()
            ),
        ),
    }
    AppResult::Continue
}
