//! Dialplan applications, one file each (Asterisk's `apps/app_*.c` and the builtins of
//! main/pbx_builtins.c). Each file defines a `pub static APP: App` with the name Asterisk
//! registers (what traces print), the documentation `core show application` prints and the
//! code. [`find`] maps a name as written in a config (any case) to it.

use crate::channel::Channel;
use crate::pbx::Pbx;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};

pub mod answer;
pub mod background;
pub mod busy;
pub mod congestion;
pub mod dbdeltree;
pub mod dial;
pub mod echo;
pub mod execif;
pub mod followme;
pub mod gosub;
pub mod gosubif;
pub mod goto;
pub mod gotoif;
pub mod gotoiftime;
pub mod hangup;
pub mod log;
pub mod macro_;
pub mod milliwatt;
pub mod mixmonitor;
pub mod mset;
pub mod musiconhold;
pub mod noop;
pub mod park;
pub mod parkedcall;
pub mod playback;
pub mod playtones;
pub mod progress;
pub mod read;
pub mod record;
pub mod r#return;
pub mod ringing;
pub mod sayalpha;
pub mod saydigits;
pub mod saynumber;
pub mod senddtmf;
pub mod set;
pub mod verbose;
pub mod wait;
pub mod waitexten;
pub mod r#while;

/// What an application tells the PBX loop (`0`, `-1` in Asterisk).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppResult {
    /// Go on with the next priority.
    Continue,
    /// Stop: hang up (Hangup, a failed Goto, a hung-up channel).
    Hangup,
    /// MacroExit: leave the running Macro (outside one, like Hangup).
    MacroExit,
    /// The caller pressed a digit that ends the extension (Background, WaitExten): the PBX
    /// loop collects the rest of the number and goes there.
    Digit(char),
}

pub type AppFuture<'a> = Pin<Box<dyn Future<Output = AppResult> + Send + 'a>>;

/// How an application runs: most finish at once, some wait (timers, media, other calls).
pub enum Exec {
    Sync(fn(&mut Channel, &Arc<Pbx>, &str) -> AppResult),
    Async(for<'a> fn(&'a mut Channel, &'a Arc<Pbx>, String) -> AppFuture<'a>),
}

/// A registered application and its documentation.
pub struct App {
    /// The registered name, as traces print it (`BackGround`).
    pub name: &'static str,
    pub synopsis: &'static str,
    /// The module Asterisk has it in (`app_stack`, `pbx_builtins`...).
    pub provided_by: &'static str,
    pub syntax: &'static str,
    pub description: &'static str,
    pub exec: Exec,
}

/// `ast_app_parse_options`: the letters of `opts` found in `table` (letter, takes an
/// `(argument)`), in order, with their arguments; `unknown` is called for the others.
pub fn scan_options(
    opts: &str,
    table: &[(char, bool)],
    mut unknown: impl FnMut(char),
) -> Vec<(char, Option<String>)> {
    let mut out = Vec::new();
    let chars: Vec<char> = opts.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        let Some(&(_, takes_arg)) = table.iter().find(|(o, _)| *o == c) else {
            unknown(c);
            continue;
        };
        let mut arg = None;
        if takes_arg && chars.get(i) == Some(&'(') {
            let mut depth = 0;
            let start = i + 1;
            let mut j = i;
            while j < chars.len() {
                match chars[j] {
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            arg = Some(chars[start..j.min(chars.len())].iter().collect());
            i = j + 1;
        }
        out.push((c, arg));
    }
    out
}

/// Every application this build runs, in no particular order.
pub static APPS: &[&App] = &[
    &answer::APP,
    &park::APP,
    &parkedcall::APP,
    &background::APP,
    &echo::APP,
    &milliwatt::APP,
    &playback::APP,
    &read::APP,
    &sayalpha::APP,
    &saydigits::APP,
    &saynumber::APP,
    &senddtmf::APP,
    &busy::APP,
    &congestion::APP,
    &dbdeltree::APP,
    &dial::APP,
    &execif::APP,
    &followme::APP,
    &gosub::APP,
    &gosubif::APP,
    &goto::APP,
    &gotoif::APP,
    &gotoiftime::APP,
    &hangup::APP,
    &log::APP,
    &mixmonitor::APP,
    &mixmonitor::STOP_APP,
    &macro_::APP,
    &macro_::EXIT_APP,
    &mset::APP,
    &musiconhold::APP,
    &musiconhold::START_APP,
    &musiconhold::STOP_APP,
    &noop::APP,
    &playtones::APP,
    &playtones::STOP_APP,
    &progress::APP,
    &record::APP,
    &r#return::APP,
    &ringing::APP,
    &set::APP,
    &verbose::APP,
    &wait::APP,
    &waitexten::APP,
    &r#while::WHILE,
    &r#while::END_WHILE,
    &r#while::EXIT_WHILE,
    &r#while::CONTINUE_WHILE,
];

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App").field("name", &self.name).finish()
    }
}

/// `pbx_findapp`: case-insensitive.
pub fn find(name: &str) -> Option<&'static App> {
    static MAP: OnceLock<HashMap<String, &'static App>> = OnceLock::new();
    let map = MAP.get_or_init(|| {
        APPS.iter()
            .map(|a| (a.name.to_ascii_lowercase(), *a))
            .collect()
    });
    if let Some(a) = map.get(name) {
        return Some(a);
    }
    map.get(&name.to_ascii_lowercase()).copied()
}

/// `AST_STANDARD_APP_ARGS`: split on `,` outside (), [] and "", removing the quotes and
/// backslashes. Empty data has no arguments; a trailing comma gives an empty last one.
pub fn standard_args(data: &str) -> Vec<String> {
    separate_args(data, ',', true, usize::MAX)
}

/// `AST_NONSTANDARD_APP_ARGS`: split on `delim`, keeping quotes and backslashes.
pub fn nonstandard_args(data: &str, delim: char, max: usize) -> Vec<String> {
    separate_args(data, delim, false, max)
}

/// `__ast_app_separate_args`, up to `max` arguments (the last takes the rest).
pub fn separate_args(data: &str, delim: char, remove: bool, max: usize) -> Vec<String> {
    let mut out = Vec::new();
    if data.is_empty() {
        return out;
    }
    let (mut paren, mut bracket, mut quote) = (0u32, 0u32, false);
    let mut cur = String::new();
    let mut chars = data.chars().peekable();
    let mut ended_on_delim = false;
    while let Some(c) = chars.next() {
        ended_on_delim = false;
        if out.len() + 1 >= max {
            cur.push(c);
            continue;
        }
        match c {
            '(' => {
                paren += 1;
                cur.push(c)
            }
            ')' => {
                paren = paren.saturating_sub(1);
                cur.push(c)
            }
            '[' => {
                bracket += 1;
                cur.push(c)
            }
            ']' => {
                bracket = bracket.saturating_sub(1);
                cur.push(c)
            }
            '"' if delim != '"' => {
                quote = !quote;
                if !remove {
                    cur.push(c);
                }
            }
            '\\' => {
                if !remove {
                    cur.push(c);
                }
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            _ if c == delim && paren == 0 && bracket == 0 && !quote => {
                out.push(std::mem::take(&mut cur));
                ended_on_delim = true;
            }
            _ => cur.push(c),
        }
    }
    if !cur.is_empty() || ended_on_delim {
        out.push(cur);
    }
    out
}

/// Why a Goto target could not be used (the warning has been logged).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadTarget;

/// `ast_parseable_goto` + `ast_explicit_goto` while the PBX loop runs: set the channel to
/// one before the target priority (the loop adds one). Labels are looked up in the target
/// extension; `+N`/`-N` are relative. Err when the priority is neither a number nor a label.
pub fn parseable_goto(chan: &mut Channel, pbx: &Pbx, target: &str) -> Result<(), BadTarget> {
    if target.is_empty() {
        crate::logger::warning(
            "pbx.c",
            "Goto requires an argument ([[context,]extension,]priority)",
        );
        return Err(BadTarget);
    }
    let mut parts = target.splitn(4, ',');
    let a = parts.next();
    let b = parts.next();
    let c = parts.next();
    let (context, exten, pri) = match (a, b, c) {
        (Some(p), None, _) => (None, None, p),
        (Some(e), Some(p), None) => (None, Some(e), p),
        (Some(ctx), Some(e), Some(p)) => (Some(ctx), Some(e), p),
        _ => (None, None, ""),
    };
    let (mode, num) = if let Some(r) = pri.strip_prefix('+') {
        (1, r)
    } else if let Some(r) = pri.strip_prefix('-') {
        (-1, r)
    } else {
        (0, pri)
    };
    let ipri = match num.trim().parse::<i32>() {
        Ok(n) if mode != 0 => chan.priority + n * mode,
        Ok(n) => n,
        Err(_) => {
            let ctx = context.filter(|s| !s.is_empty()).unwrap_or(&chan.context);
            let ext = exten.filter(|s| !s.is_empty()).unwrap_or(&chan.exten);
            match pbx
                .dialplan()
                .find_label(ctx, ext, pri, chan.caller.num.as_deref())
            {
                Some(p) if p >= 1 => p,
                _ => {
                    crate::logger::warning(
                        "pbx.c",
                        &format!("Priority '{pri}' must be a number > 0, or valid label"),
                    );
                    return Err(BadTarget);
                }
            }
        }
    };
    explicit_goto(chan, context, exten, ipri);
    Ok(())
}

/// `ast_explicit_goto` inside the PBX loop: the loop's increment lands on `priority`.
pub fn explicit_goto(
    chan: &mut Channel,
    context: Option<&str>,
    exten: Option<&str>,
    priority: i32,
) {
    if let Some(c) = context.filter(|s| !s.is_empty()) {
        chan.context = c.to_string();
    }
    if let Some(e) = exten.filter(|s| !s.is_empty()) {
        chan.exten = e.to_string();
    }
    if priority > -1 {
        chan.priority = priority - 1;
    }
}

/// `pbx_checkcondition`: empty is false, a number is its value, any other text is true.
pub fn check_condition(cond: &str) -> bool {
    if cond.is_empty() {
        return false;
    }
    match leading_number(cond.trim_start()) {
        Some(n) => n != 0,
        None => true,
    }
}

/// `sscanf("%30d")` on the whole text.
fn leading_number(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let mut end = 0;
    if matches!(b.first(), Some(b'-') | Some(b'+')) {
        end = 1;
    }
    let d = b[end..].iter().take_while(|c| c.is_ascii_digit()).count();
    if d == 0 {
        return None;
    }
    s[..end + d].parse().ok()
}

/// `ast_app_parse_options` for an application's option letters (`known`: each letter and
/// whether it takes a `(argument)`): the letters given, with their arguments, in order.
/// Letters not known get Asterisk's "Unrecognized option" warning and are skipped.
pub fn parse_app_options(opts: &str, known: &[(char, bool)]) -> Vec<(char, Option<String>)> {
    scan_options(opts, known, |c| {
        crate::logger::warning("app.c", &format!("Unrecognized option: '{c}'"))
    })
}

/// The letters of `opts` that are not in `known`, each once (for the linter).
pub fn unknown_app_options(opts: &str, known: &[(char, bool)]) -> Vec<char> {
    let mut bad = Vec::new();
    scan_options(opts, known, |c| {
        if !bad.contains(&c) {
            bad.push(c)
        }
    });
    bad
}

/// `ast_app_parse_timelen` in seconds: `1.5` → 1500 ms. None when unreadable.
pub fn parse_seconds_ms(s: &str) -> Option<u64> {
    let s = s.trim();
    let v: f64 = s.parse().ok()?;
    if v.is_finite() && v >= 0.0 {
        Some((v * 1000.0).round() as u64)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args() {
        assert_eq!(standard_args("a,b"), vec!["a", "b"]);
        assert_eq!(standard_args("a,"), vec!["a", ""]);
        assert!(standard_args("").is_empty());
        assert_eq!(standard_args("\"x,y\",z"), vec!["x,y", "z"]);
        assert_eq!(standard_args("f(a,b),c"), vec!["f(a,b)", "c"]);
        assert_eq!(standard_args("a\\,b,c"), vec!["a,b", "c"]);
        assert_eq!(nonstandard_args("A=1=2", '=', 2), vec!["A", "1=2"]);
        assert_eq!(separate_args("a,b,c", ',', true, 2), vec!["a", "b,c"]);
        let known = [('b', false), ('r', true), ('v', true)];
        assert_eq!(
            parse_app_options("bXr(/tmp/a(1).wav)v(2)", &known),
            vec![
                ('b', None),
                ('r', Some("/tmp/a(1).wav".to_string())),
                ('v', Some("2".to_string()))
            ]
        );
        assert_eq!(parse_app_options("v", &known), vec![('v', None)]);
        assert_eq!(unknown_app_options("bXr(Y)XZ", &known), vec!['X', 'Z']);
    }

    #[test]
    fn conditions() {
        assert!(!check_condition(""));
        assert!(!check_condition("0"));
        assert!(check_condition("1"));
        assert!(check_condition("abc"));
        assert!(!check_condition(" 0 "));
        assert!(check_condition("  "));
    }
}
