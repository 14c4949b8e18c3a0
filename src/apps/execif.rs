//! ExecIf: run an application when a condition is true, another when false
//! (apps/app_exec.c). `ExecIf(cond?App(args)[:App(args)])`.

use super::{App, AppFuture, AppResult, Exec};
use crate::channel::{pbx, Channel};
use crate::pbx::Pbx;
use std::sync::Arc;

pub static APP: App = App {
    name: "ExecIf",
    synopsis: "Executes dialplan application, conditionally.",
    provided_by: "app_exec",
    syntax: "ExecIf(expression?appiftrue(args)[:appiffalse(args)])",
    description: "If expr is true, execute and return the result of appiftrue(args). If expr is true, but appiftrue is not found, then the application will return a non-zero value.",
    exec: Exec::Async(exec),
};

/// `App(args)` → ("App", "args"); a bare name has no arguments.
fn split_call(s: &str) -> (String, String) {
    match s.find('(') {
        Some(i) => {
            let name = s[..i].trim().to_string();
            let rest = &s[i + 1..];
            let args = rest.strip_suffix(')').unwrap_or(rest);
            (name, args.to_string())
        }
        None => (s.trim().to_string(), String::new()),
    }
}

/// Find the `:` that separates the two branches: outside parentheses.
fn split_branches(s: &str) -> (&str, Option<&str>) {
    let mut depth = 0i32;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ':' if depth == 0 => return (&s[..i], Some(&s[i + 1..])),
            _ => {}
        }
    }
    (s, None)
}

fn exec<'a>(chan: &'a mut Channel, p: &'a Arc<Pbx>, data: String) -> AppFuture<'a> {
    Box::pin(async move {
        let Some((cond, rest)) = data.split_once('?') else {
            crate::logger::warning("app_exec.c", "Invalid Syntax.");
            return AppResult::Hangup;
        };
        let (t, f) = split_branches(rest);
        let branch = if super::check_condition(cond) {
            Some(t)
        } else {
            f
        };
        match branch.filter(|b| !b.is_empty()) {
            Some(b) => {
                let (app, args) = split_call(b);
                pbx::exec_app(chan, p, &app, args).await
            }
            None => AppResult::Continue,
        }
    })
}
