//! Read: play a prompt and collect digits into a variable (apps/app_read.c). The prompt is
//! interrupted by the first digit; then each digit within the timeout (the argument, else
//! TIMEOUT(digit)... Asterisk uses the response timeout for the first wait) until
//! `maxdigits` or the terminator `#`. READSTATUS: OK, ERROR, HANGUP, INTERRUPTED, SKIPPED,
//! TIMEOUT. Options: `s` skip when not up, `n` read without answering, `t(x)` terminators,
//! `e` keep the terminator when the input is empty (`i`, tones, is not supported).

use super::{App, AppFuture, AppResult, Exec};
use crate::channel::playback::{play_file, wait_digit, Played, ALL_DIGITS};
use crate::channel::{Channel, ChannelState};
use crate::pbx::Pbx;
use std::sync::Arc;

pub static APP: App = App {
    name: "Read",
    synopsis: "Read a variable.",
    provided_by: "app_read",
    syntax: "Read(variable,[filename[&filename2[&...]],[maxdigits,[options,[attempts,[timeout]]]]])",
    description: "Reads a #-terminated string of digits a certain number of times from the user in to the given variable.",
    exec: Exec::Async(exec),
};

fn exec<'a>(chan: &'a mut Channel, pbx: &'a Arc<Pbx>, data: String) -> AppFuture<'a> {
    Box::pin(async move {
        chan.vars.set("READSTATUS", Some("ERROR"));
        if data.is_empty() {
            crate::logger::warning("app_read.c", "Read requires an argument (variable)");
            return AppResult::Continue;
        }
        let args = super::standard_args(&data);
        let var = args.first().cloned().unwrap_or_default();
        let prompt = args.get(1).cloned().filter(|f| !f.is_empty());
        let mut maxdigits = 255;
        if let Some(m) = args.get(2).filter(|m| !m.is_empty()) {
            let n = m.trim().parse::<i64>().unwrap_or(0);
            if (1..=255).contains(&n) {
                maxdigits = n as usize;
                crate::verb!(3, "Accepting a maximum of {} digits.", maxdigits);
            }
        }
        let opts = args
            .get(3)
            .map(|o| {
                super::parse_app_options(
                    o,
                    &[
                        ('s', false),
                        ('n', false),
                        ('i', false),
                        ('e', false),
                        ('t', true),
                    ],
                )
            })
            .unwrap_or_default();
        let has = |c: char| opts.iter().any(|(x, _)| *x == c);
        let mut tries = args
            .get(4)
            .and_then(|a| a.trim().parse::<i64>().ok())
            .map(|t| t.max(1))
            .unwrap_or(1);
        let timeout_ms = args
            .get(5)
            .and_then(|t| t.trim().parse::<f64>().ok())
            .map(|t| if t <= 0.0 { 0 } else { (t * 1000.0) as u64 });
        if var.is_empty() {
            crate::logger::warning(
                "app_read.c",
                "Invalid! Usage: Read(variable[,filename][,maxdigits][,option][,attempts][,timeout])\n",
            );
            return AppResult::Continue;
        }
        let terminator: String = match opts.iter().find(|(c, _)| *c == 't') {
            Some((_, Some(t))) if !t.is_empty() => t.clone(),
            Some(_) => String::new(),
            None => "#".into(),
        };
        if chan.state != ChannelState::Up {
            if has('s') {
                chan.vars.set(&var, Some(""));
                chan.vars.set("READSTATUS", Some("SKIPPED"));
                return AppResult::Continue;
            }
            if !has('n') {
                chan.answer();
            }
        }
        let mut status = "ERROR";
        while tries > 0 {
            let mut got = String::new();
            let mut ended_by_terminator = false;
            let mut first = None;
            if let Some(p) = &prompt {
                for f in p.split('&').filter(|f| !f.is_empty()) {
                    match play_file(chan, pbx, f, ALL_DIGITS).await {
                        Played::Digit(d) => {
                            first = Some(d);
                            break;
                        }
                        Played::Hangup => break,
                        _ => {}
                    }
                }
            }
            // ast_app_getdata: the first wait is the response timeout, then the digit one.
            let mut wait = timeout_ms
                .filter(|t| *t > 0)
                .unwrap_or_else(|| crate::funcs::timeout::response_ms(chan));
            let mut hung = chan.check_hangup();
            let mut timed_out = false;
            while !hung && got.len() < maxdigits {
                let d = match first.take() {
                    Some(d) => Some(d),
                    None => match wait_digit(chan, wait, "").await {
                        Ok(d) => d,
                        Err(()) => {
                            hung = true;
                            break;
                        }
                    },
                };
                let Some(d) = d else {
                    timed_out = true;
                    break;
                };
                if terminator.contains(d) {
                    ended_by_terminator = true;
                    break;
                }
                got.push(d);
                wait = timeout_ms
                    .filter(|t| *t > 0)
                    .unwrap_or_else(|| crate::funcs::timeout::digit_ms(chan));
            }
            if hung {
                chan.vars.set(&var, Some(&got));
                crate::verb!(3, "User disconnected");
                break;
            }
            if ended_by_terminator && got.is_empty() && has('e') {
                got = terminator.clone();
            }
            status =
                if ended_by_terminator || got.len() >= maxdigits || !got.is_empty() && !timed_out {
                    "OK"
                } else if timed_out {
                    "TIMEOUT"
                } else {
                    "OK"
                };
            chan.vars.set(&var, Some(&got));
            if !got.is_empty() {
                crate::verb!(3, "User entered '{}'", got);
                break;
            }
            tries -= 1;
            if tries > 0 {
                crate::verb!(
                    3,
                    "User entered nothing, {} chance{} left",
                    tries,
                    if tries != 1 { "s" } else { "" }
                );
            } else {
                crate::verb!(3, "User entered nothing.");
            }
        }
        if chan.check_hangup() {
            status = "HANGUP";
        }
        chan.vars.set("READSTATUS", Some(status));
        AppResult::Continue
    })
}
