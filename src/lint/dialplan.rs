//! Dialplan rules: what extensions.conf asks for that zvezda (or Asterisk itself) will not do
//! the way the admin expects.

use super::catalog::{self, Support};
use crate::config::extensions::{functions_in, split_args, Context, Dialplan, Extension, Priority};
use crate::config::ConfigSet;
use crate::diag::{Diagnostic, Span};
use crate::dialplan::pattern;
use std::collections::{BTreeMap, BTreeSet};

/// Find which extension runs `number` at `prio` when dialled in `ctx`: the first matching
/// extension (Asterisk's order) that has that priority, local extensions before includes,
/// includes in order, depth first.
pub fn find_exten<'a>(
    dp: &'a Dialplan,
    ctx: &str,
    number: &str,
    prio: i32,
) -> Option<(&'a Context, &'a Extension)> {
    let mut seen = BTreeSet::new();
    find_in(dp, ctx, number, prio, &mut seen)
}

fn find_in<'a>(
    dp: &'a Dialplan,
    ctx: &str,
    number: &str,
    prio: i32,
    seen: &mut BTreeSet<String>,
) -> Option<(&'a Context, &'a Extension)> {
    if !seen.insert(ctx.to_string()) || seen.len() > 128 {
        return None;
    }
    let c = dp.context(ctx)?;
    for e in &c.extensions {
        if e.cid.is_none() && pattern::matches(&e.name, number) && e.priority(prio).is_some() {
            return Some((c, e));
        }
    }
    for inc in &c.includes {
        if inc.timespec.is_some() {
            // A timed include may be closed now; still the best guess for a static check.
        }
        if let Some(r) = find_in(dp, &inc.name, number, prio, seen) {
            return Some(r);
        }
    }
    None
}

/// A number that `pattern` matches (its smallest), for reasoning about what a pattern does.
pub fn sample_number(name: &str) -> String {
    let Some(p) = name.strip_prefix('_') else {
        return name.replace('-', "");
    };
    let b = p.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        match b[i].to_ascii_uppercase() {
            b'X' => out.push('0'),
            b'Z' => out.push('1'),
            b'N' => out.push('2'),
            b'.' => out.push('0'),
            b'!' | b'-' => {}
            b'[' => {
                if let Some(end) = b[i + 1..].iter().position(|&c| c == b']') {
                    if end > 0 {
                        out.push(b[i + 1] as char);
                    }
                    i += end + 1;
                }
            }
            c => out.push(c as char),
        }
        i += 1;
    }
    out
}

/// Can `pattern` match some number that begins with `prefix`?
pub fn can_start_with(name: &str, prefix: &str) -> bool {
    let Some(p) = name.strip_prefix('_') else {
        return name.replace('-', "").starts_with(prefix);
    };
    let b = p.as_bytes();
    let mut i = 0;
    for d in prefix.bytes() {
        while i < b.len() && b[i] == b'-' {
            i += 1;
        }
        if i >= b.len() {
            return false;
        }
        let ok = match b[i].to_ascii_uppercase() {
            b'.' | b'!' => return true,
            b'X' => d.is_ascii_digit(),
            b'Z' => (b'1'..=b'9').contains(&d),
            b'N' => (b'2'..=b'9').contains(&d),
            b'[' => {
                let Some(end) = b[i + 1..]
                    .iter()
                    .position(|&c| c == b']')
                    .map(|e| e + i + 1)
                else {
                    return false;
                };
                let set = &b[i + 1..end];
                i = end;
                pattern::in_set(set, d)
            }
            c => c == d,
        };
        if !ok {
            return false;
        }
        i += 1;
    }
    true
}

fn dynamic(s: &str) -> bool {
    s.contains("${") || s.contains("$[")
}

fn span(p: &Priority) -> Option<Span> {
    p.span.clone()
}

/// The original text of a config line, for fixes.
fn line_text(span: &Span) -> Option<String> {
    let bytes = std::fs::read(span.path()).ok()?;
    let text = String::from_utf8_lossy(&bytes);
    text.split('\n')
        .nth(span.line as usize - 1)
        .map(|l| l.trim_end_matches('\r').to_string())
}

/// Replace the application data in the original line, if it appears there exactly once.
fn fix_data(span: &Span, app: &str, old: &str, new: &str) -> Option<String> {
    let line = line_text(span)?;
    let needle = format!("{app}({old})");
    if line.matches(&needle).count() != 1 {
        return None;
    }
    Some(line.replacen(&needle, &format!("{app}({new})"), 1))
}

pub fn check(set: &ConfigSet) -> Vec<Diagnostic> {
    let dp = &set.extensions;
    let mut out = Vec::new();
    let mut seen_app = BTreeMap::new();
    let mut seen_func = BTreeMap::new();
    for c in &dp.contexts {
        for e in &c.extensions {
            for p in &e.priorities {
                let Some(sp) = span(p) else { continue };
                if p.priority < 1 {
                    continue; // hints name devices, not applications
                }
                check_app(p, &sp, &mut seen_app, &mut out);
                check_funcs(p, &sp, &mut seen_func, &mut out);
                check_shape(dp, c, e, p, &sp, &mut out);
            }
        }
        check_includes(dp, c, &mut out);
        check_gaps(dp, c, &mut out);
        check_shadowing(dp, c, &mut out);
    }
    check_toll_fraud(set, &mut out);
    out
}

fn check_app(p: &Priority, sp: &Span, seen: &mut BTreeMap<String, ()>, out: &mut Vec<Diagnostic>) {
    let app = p.app.trim();
    if dynamic(app) || app.is_empty() {
        return;
    }
    if let Some((name, args)) = app.split_once(',') {
        // `Dial,SIP/1001` or `Dial|SIP/1001`: Asterisk 1.4 syntax. Asterisk 20 looks for an
        // application literally called "Dial,SIP/1001".
        if catalog::app_name(name.trim()).is_some() {
            let new = format!("{}({})", name.trim(), args.replace('|', ","));
            let fix = line_text(sp)
                .filter(|l| l.matches(app).count() == 1)
                .map(|l| l.replacen(app, &new, 1));
            let mut d = Diagnostic::error(
                "app-legacy-syntax",
                sp.clone(),
                format!("'{app}' is the old 'App,args' form: Asterisk 20 looks for an application named '{app}', finds none and hangs up; write {new}"),
            );
            if let Some(f) = fix {
                d = d.with_fix(Some(f));
            }
            out.push(d);
            return;
        }
    }
    if p.data.contains('|')
        && !p.data.contains(',')
        && catalog::app_name(app).is_some()
        && p.data.split('|').count() > 1
    {
        let new = p.data.replace('|', ",");
        let mut d = Diagnostic::warning(
            "app-pipe-separator",
            sp.clone(),
            format!("{app}({}) separates arguments with '|': since Asterisk 1.6 the separator is ',' and '|' is passed as text", p.data),
        );
        if let Some(f) = fix_data(sp, app, &p.data, &new) {
            d = d.with_fix(Some(f));
        }
        out.push(d);
    }
    match catalog::app_name(app) {
        None => out.push(Diagnostic::error(
            "app-unknown",
            sp.clone(),
            format!("there is no application '{app}' in Asterisk 20 or zvezda: a call reaching this line is hung up"),
        )),
        Some(name) => {
            if name == "Macro" || name == "MacroExclusive" || name == "MacroIf" || name == "MacroExit" {
                out.push(Diagnostic::warning(
                    "app-deprecated",
                    sp.clone(),
                    format!("{name} is deprecated (removed in Asterisk 21); zvezda runs it, but Gosub is the replacement"),
                ));
            }
            if seen.insert(name.to_string(), ()).is_some() {
                return;
            }
            match catalog::app_support(name) {
                Support::Implemented => {}
                Support::Planned(issue) if crate::apps::find(name).is_some() => {
                    out.push(Diagnostic::info(
                        "app-not-yet",
                        sp.clone(),
                        format!("{name}: runs in this build, but not all of it yet; the rest comes with the {issue} work (first use shown)"),
                    ))
                }
                Support::Planned(issue) => out.push(Diagnostic::info(
                    "app-not-yet",
                    sp.clone(),
                    format!("{name}: not in this build of zvezda yet; it comes with the {issue} work (first use shown)"),
                )),
                Support::NotPlanned => out.push(Diagnostic::warning(
                    "app-unsupported",
                    sp.clone(),
                    format!("{name} is an Asterisk application zvezda does not provide: a call reaching it is hung up, as Asterisk does for a missing application (first use shown)"),
                )),
            }
        }
    }
}

fn check_funcs(
    p: &Priority,
    sp: &Span,
    seen: &mut BTreeMap<String, ()>,
    out: &mut Vec<Diagnostic>,
) {
    for f in functions_in(&p.data) {
        match catalog::func_name(&f.name) {
            None => out.push(Diagnostic::error(
                "func-unknown",
                sp.clone(),
                format!("there is no dialplan function '{}' in Asterisk 20 or zvezda: it reads as empty", f.name),
            )),
            Some(name) => {
                if name != f.name {
                    out.push(Diagnostic::warning(
                        "func-case",
                        sp.clone(),
                        format!("function '{}' is written in the wrong case: Asterisk only knows '{name}'", f.name),
                    ));
                }
                if seen.insert(name.to_string(), ()).is_some() {
                    continue;
                }
                match catalog::func_support(name) {
                    Support::Implemented => {}
                    Support::Planned(issue) => out.push(Diagnostic::info(
                        "func-not-yet",
                        sp.clone(),
                        format!("{name}(): not in this build of zvezda yet; it comes with the {issue} work (first use shown)"),
                    )),
                    Support::NotPlanned => out.push(Diagnostic::warning(
                        "func-unsupported",
                        sp.clone(),
                        format!("{name}() is an Asterisk function zvezda does not provide: it reads as empty (first use shown)"),
                    )),
                }
            }
        }
    }
}

/// A `[[context,]exten,]priority` target (Goto, GotoIf branches, Gosub).
struct Target {
    context: String,
    exten: Option<String>,
    prio: String,
}

fn parse_target(args: &[String], cur_ctx: &str) -> Option<Target> {
    let a: Vec<&str> = args.iter().map(|s| s.trim()).collect();
    match a.len() {
        1 => Some(Target {
            context: cur_ctx.into(),
            exten: None,
            prio: a[0].into(),
        }),
        2 => Some(Target {
            context: cur_ctx.into(),
            exten: Some(a[0].into()),
            prio: a[1].into(),
        }),
        n if n >= 3 => Some(Target {
            context: a[0].into(),
            exten: Some(a[1].into()),
            prio: a[2].into(),
        }),
        _ => None,
    }
}

/// Check that a static Goto-style target exists; returns a message when it does not.
fn target_problem(dp: &Dialplan, t: &Target, e: &Extension) -> Option<String> {
    if dynamic(&t.context) || t.exten.as_deref().map(dynamic).unwrap_or(false) || dynamic(&t.prio) {
        return None;
    }
    let prio = t.prio.split('(').next().unwrap_or("").trim();
    if prio.is_empty() {
        return None;
    }
    let Some(ctx) = dp.context(&t.context) else {
        return Some(format!("context '{}' does not exist", t.context));
    };
    let number = match &t.exten {
        Some(x) => x.clone(),
        None => {
            // Same extension: a label must exist on it (or on some extension of the context).
            if prio.parse::<i32>().is_ok() {
                return None;
            }
            if e.find_label(prio).is_some()
                || ctx.extensions.iter().any(|x| x.find_label(prio).is_some())
            {
                return None;
            }
            return Some(format!(
                "there is no label '{prio}' in context '{}'",
                t.context
            ));
        }
    };
    match prio.parse::<i32>() {
        Ok(n) => {
            if find_exten(dp, &t.context, &number, n).is_none() {
                return Some(format!(
                    "nothing in context '{}' answers {number} at priority {n}",
                    t.context
                ));
            }
        }
        Err(_) => {
            let mut seen = BTreeSet::new();
            let has_label = label_reachable(dp, &t.context, &number, prio, &mut seen);
            if !has_label {
                return Some(format!(
                    "no extension matching {number} in context '{}' has the label '{prio}'",
                    t.context
                ));
            }
        }
    }
    None
}

fn label_reachable(
    dp: &Dialplan,
    ctx: &str,
    number: &str,
    label: &str,
    seen: &mut BTreeSet<String>,
) -> bool {
    if !seen.insert(ctx.to_string()) {
        return false;
    }
    let Some(c) = dp.context(ctx) else {
        return false;
    };
    if c.extensions
        .iter()
        .any(|e| pattern::matches(&e.name, number) && e.find_label(label).is_some())
    {
        return true;
    }
    c.includes
        .iter()
        .any(|i| label_reachable(dp, &i.name, number, label, seen))
}

/// Split `cond?a:b` at the top level.
fn split_cond(data: &str) -> (String, Option<String>, Option<String>) {
    let mut depth = 0i32;
    let bytes = data.as_bytes();
    let mut q = None;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'[' | b'{' | b'(' => depth += 1,
            b']' | b'}' | b')' => depth -= 1,
            b'?' if depth == 0 => {
                q = Some(i);
                break;
            }
            _ => {}
        }
    }
    let Some(q) = q else {
        return (data.to_string(), None, None);
    };
    let rest = &data[q + 1..];
    let (a, b) = match rest.find(':') {
        Some(c) => (rest[..c].to_string(), Some(rest[c + 1..].to_string())),
        None => (rest.to_string(), None),
    };
    (
        data[..q].to_string(),
        Some(a).filter(|s| !s.is_empty()),
        b.filter(|s| !s.is_empty()),
    )
}

/// The unknown option characters in a Dial options string.
pub fn bad_dial_options(opts: &str) -> Vec<char> {
    crate::apps::dial::unknown_options(opts)
}

fn check_shape(
    dp: &Dialplan,
    c: &Context,
    e: &Extension,
    p: &Priority,
    sp: &Span,
    out: &mut Vec<Diagnostic>,
) {
    let Some(app) = catalog::app_name(p.app.trim()) else {
        return;
    };
    let args = split_args(&p.data);
    match app {
        "Goto" => {
            if args.len() > 3 {
                let kept = args[..3].join(",");
                let mut d = Diagnostic::warning(
                    "app-args",
                    sp.clone(),
                    format!(
                        "Goto({}) has {} arguments; Goto takes [[context,]extension,]priority and Asterisk ignores '{}'",
                        p.data,
                        args.len(),
                        args[3..].join(",")
                    ),
                );
                if let Some(f) = fix_data(sp, &p.app, &p.data, &kept) {
                    d = d.with_fix(Some(f));
                }
                out.push(d);
            }
            if let Some(t) = parse_target(&args, &c.name) {
                if let Some(msg) = target_problem(dp, &t, e) {
                    out.push(Diagnostic::error(
                        "goto-target",
                        sp.clone(),
                        format!("Goto({}): {msg}; the call is hung up there", p.data),
                    ));
                }
            }
        }
        "GotoIf" | "GosubIf" => {
            let (_cond, a, b) = split_cond(&p.data);
            if a.is_none() && b.is_none() {
                out.push(Diagnostic::warning(
                    "app-args",
                    sp.clone(),
                    format!(
                        "{app}({}) has no '?': it needs condition?destination1[:destination2]",
                        p.data
                    ),
                ));
            }
            for dest in [a, b].into_iter().flatten() {
                let dest_args = split_args(&dest);
                if let Some(t) = parse_target(&dest_args, &c.name) {
                    if let Some(msg) = target_problem(dp, &t, e) {
                        out.push(Diagnostic::error(
                            "goto-target",
                            sp.clone(),
                            format!("{app}({}): {msg}", p.data),
                        ));
                    }
                }
            }
        }
        "Gosub" => {
            if let Some(t) = parse_target(&args, &c.name) {
                if let Some(msg) = target_problem(dp, &t, e) {
                    out.push(Diagnostic::error(
                        "goto-target",
                        sp.clone(),
                        format!("Gosub({}): {msg}", p.data),
                    ));
                }
            }
        }
        "Dial" => {
            if args.first().map(|a| a.trim().is_empty()).unwrap_or(true) {
                out.push(Diagnostic::error(
                    "app-args",
                    sp.clone(),
                    "Dial() needs at least Technology/Resource",
                ));
                return;
            }
            if let Some(t) = args.get(1) {
                let t = t.trim();
                if !t.is_empty() && !dynamic(t) && t.parse::<f64>().is_err() {
                    out.push(Diagnostic::warning(
                        "app-args",
                        sp.clone(),
                        format!(
                            "Dial timeout '{t}' is not a number: Asterisk rings without a timeout"
                        ),
                    ));
                }
            }
            if let Some(o) = args.get(2) {
                if !dynamic(o) {
                    let bad = bad_dial_options(o.trim());
                    if !bad.is_empty() {
                        let fixed: String = o.chars().filter(|ch| !bad.contains(ch)).collect();
                        let mut new_args = args.clone();
                        new_args[2] = fixed.clone();
                        let mut d = Diagnostic::warning(
                            "dial-unknown-option",
                            sp.clone(),
                            format!(
                                "Dial option{} {} in '{}' {} not {}Dial option{}: Asterisk warns \"Unrecognized option\" and uses the rest ('{}'); options are written together, no separator",
                                if bad.len() > 1 { "s" } else { "" },
                                bad.iter().map(|b| format!("'{b}'")).collect::<Vec<_>>().join(", "),
                                o.trim(),
                                if bad.len() > 1 { "are" } else { "is" },
                                if bad.len() > 1 { "" } else { "a " },
                                if bad.len() > 1 { "s" } else { "" },
                                fixed.trim()
                            ),
                        );
                        if let Some(f) = fix_data(sp, &p.app, &p.data, &new_args.join(",")) {
                            d = d.with_fix(Some(f));
                        }
                        out.push(d);
                    }
                }
            }
        }
        "Record" | "MixMonitor" => {
            // Record reads options only as its fourth argument, MixMonitor as its second.
            let at = if app == "Record" { 3 } else { 1 };
            let Some(o) = args.get(at).map(|o| o.trim()) else {
                return;
            };
            if dynamic(o) {
                return;
            }
            let bad = if app == "Record" {
                crate::apps::record::unknown_options(o)
            } else {
                crate::apps::mixmonitor::unknown_options(o)
            };
            if bad.is_empty() {
                return;
            }
            let fixed: String = o.chars().filter(|ch| !bad.contains(ch)).collect();
            let mut new_args = args.clone();
            new_args[at] = fixed.clone();
            let list = bad
                .iter()
                .map(|b| format!("'{b}'"))
                .collect::<Vec<_>>()
                .join(", ");
            let mut d = Diagnostic::warning(
                "app-args",
                sp.clone(),
                format!(
                    "{app} option{} {list} in '{o}' {} not known to Asterisk 20's {app}: it warns \"Unrecognized option\" and ignores {}",
                    if bad.len() > 1 { "s" } else { "" },
                    if bad.len() > 1 { "are" } else { "is" },
                    if bad.len() > 1 { "them" } else { "it" },
                ),
            );
            if let Some(f) = fix_data(
                sp,
                &p.app,
                &p.data,
                new_args.join(",").trim_end_matches(','),
            ) {
                d = d.with_fix(Some(f));
            }
            out.push(d);
        }
        "Wait" | "WaitExten" => {
            if let Some(a) = args.first() {
                let a = a.trim();
                if !a.is_empty() && !dynamic(a) && a.parse::<f64>().is_err() {
                    out.push(Diagnostic::warning(
                        "app-args",
                        sp.clone(),
                        format!("{app}({a}): the time must be a number of seconds"),
                    ));
                }
            }
        }
        "Set" if !p.data.contains('=') => {
            out.push(Diagnostic::warning(
                "app-args",
                sp.clone(),
                format!(
                    "Set({}) has no '=': Asterisk sets nothing (Set(name=value))",
                    p.data
                ),
            ));
        }
        _ => {}
    }
}

fn check_includes(dp: &Dialplan, c: &Context, out: &mut Vec<Diagnostic>) {
    for inc in &c.includes {
        let Some(sp) = &inc.span else { continue };
        if dynamic(&inc.name) {
            continue;
        }
        if dp.context(&inc.name).is_none() {
            out.push(Diagnostic::warning(
                "include-undefined",
                sp.clone(),
                format!("context '{}' includes '{}', which is not defined anywhere: nothing is found through it", c.name, inc.name),
            ));
        }
    }
}

fn fmt_range(v: &[i32]) -> String {
    match v {
        [] => String::new(),
        [a] => a.to_string(),
        [a, .., b] if (b - a) as usize == v.len() - 1 => format!("{a}–{b}"),
        _ => v
            .iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
            .join(", "),
    }
}

fn where_of(e: &Extension, prios: &[i32]) -> String {
    let lines: Vec<String> = prios
        .iter()
        .filter_map(|p| {
            e.priority(*p)
                .and_then(|x| x.span.as_ref())
                .map(|s| format!("{}:{}", s.file_name(), s.line))
        })
        .collect();
    lines.join(", ")
}

fn check_gaps(dp: &Dialplan, c: &Context, out: &mut Vec<Diagnostic>) {
    for e in &c.extensions {
        let Some(first) = e.priorities.iter().find(|p| p.priority >= 1) else {
            continue;
        };
        let Some(sp) = first.span.clone() else {
            continue;
        };
        let max = e.priorities.iter().map(|p| p.priority).max().unwrap_or(0);
        if max > 10_000 {
            continue;
        }
        let number = sample_number(&e.name);
        let mut borrowed: BTreeMap<String, (Vec<i32>, String)> = BTreeMap::new();
        let mut missing = Vec::new();
        for n in 1..max {
            if e.priority(n).is_some() {
                continue;
            }
            match find_exten(dp, &c.name, &number, n) {
                Some((oc, oe)) => {
                    let key = format!("{}@{}", oe.name, oc.name);
                    let entry = borrowed
                        .entry(key)
                        .or_insert_with(|| (vec![], String::new()));
                    entry.0.push(n);
                    entry.1 = where_of(oe, &entry.0);
                }
                None => missing.push(n),
            }
        }
        let example = if e.is_pattern() {
            format!(" (e.g. {number})")
        } else {
            String::new()
        };
        for (from, (prios, lines)) in borrowed {
            out.push(Diagnostic::warning(
                "priority-fallthrough",
                sp.clone(),
                format!(
                    "'{}' in '{}' has no priorit{} {}: a call to it{} runs {} of {} ({}) and then this extension's own; this works only through Asterisk's pattern fall-through, which zvezda reproduces — write the priorities out to make it explicit",
                    e.name,
                    c.name,
                    if prios.len() == 1 { "y" } else { "ies" },
                    fmt_range(&prios),
                    example,
                    fmt_range(&prios),
                    from,
                    lines
                ),
            ));
        }
        if !missing.is_empty() {
            out.push(Diagnostic::warning(
                "priority-gap",
                sp.clone(),
                format!(
                    "'{}' in '{}' has no priorit{} {} and nothing else provides {}: a call to it{} stops before reaching the later priorities (Asterisk hangs up there)",
                    e.name,
                    c.name,
                    if missing.len() == 1 { "y" } else { "ies" },
                    fmt_range(&missing),
                    if missing.len() == 1 { "it" } else { "them" },
                    example,
                ),
            ));
        }
    }
}

/// What one local extension hides of one included context: (its span, the include's span,
/// hidden extension names, their applications).
type Shadow = (Span, Span, Vec<String>, BTreeSet<String>);

fn check_shadowing(dp: &Dialplan, c: &Context, out: &mut Vec<Diagnostic>) {
    // For every extension reachable through an include, find out what dialling its number in
    // this context really runs first.
    let mut seen = BTreeSet::new();
    seen.insert(c.name.clone());
    let mut queue: Vec<(String, Span)> = c
        .includes
        .iter()
        .filter_map(|i| i.span.clone().map(|s| (i.name.clone(), s)))
        .collect();
    // shadowing ext (name@ctx) -> (its span, included ctx, hidden names, hidden apps)
    let mut hits: BTreeMap<(String, String), Shadow> = BTreeMap::new();
    while let Some((ic_name, inc_span)) = queue.pop() {
        if !seen.insert(ic_name.clone()) {
            continue;
        }
        let Some(ic) = dp.context(&ic_name) else {
            continue;
        };
        for x in ic
            .extensions
            .iter()
            .filter(|x| !x.is_pattern() && x.cid.is_none())
        {
            let Some(first) = x.priorities.iter().find(|p| p.priority >= 1) else {
                continue;
            };
            let Some((wc, we)) = find_exten(dp, &c.name, &x.name, first.priority) else {
                continue;
            };
            if wc.name == ic.name && we.name == x.name {
                continue;
            }
            if wc.name != c.name {
                continue; // hidden by another include: reported from that side
            }
            if let Some(wp) = we.priority(first.priority) {
                if wp.app.eq_ignore_ascii_case(&first.app) && wp.data == first.data {
                    continue; // the local one does the same thing
                }
            }
            let Some(wsp) = we.priorities.iter().find_map(|p| p.span.clone()) else {
                continue;
            };
            let entry = hits
                .entry((we.name.clone(), ic.name.clone()))
                .or_insert_with(|| (wsp, inc_span.clone(), vec![], BTreeSet::new()));
            entry.2.push(x.name.clone());
            entry.3.insert(first.app.clone());
        }
        for i in &ic.includes {
            queue.push((i.name.clone(), inc_span.clone()));
        }
    }
    for ((wname, icname), (wsp, inc_span, hidden, apps)) in hits {
        let list = if hidden.len() > 3 {
            format!(
                "{}…{} ({} extensions)",
                hidden[0],
                hidden[hidden.len() - 1],
                hidden.len()
            )
        } else {
            hidden.join(", ")
        };
        let apps: Vec<_> = apps.into_iter().collect();
        out.push(Diagnostic::warning(
            "include-shadowed",
            wsp,
            format!(
                "'{wname}' in '{}' hides {list} of the included '{icname}' ({}; included at line {}): a call to {} from '{}' runs '{wname}' here instead, because a context's own extensions are searched before its includes",
                c.name,
                apps.join("/"),
                inc_span.line,
                if hidden.len() == 1 { hidden[0].clone() } else { "those numbers".into() },
                c.name
            ),
        ));
    }
}

/// Contexts the phones and guests can dial from: peers' contexts, sip.conf's general
/// context (guests), and everything they include.
pub fn phone_contexts(set: &ConfigSet) -> BTreeSet<String> {
    let g = &set.sip.general;
    let mut roots: Vec<String> = set
        .sip
        .peers
        .iter()
        .map(|p| p.context(g).to_string())
        .collect();
    if g.allowguest() {
        roots.push(g.context().to_string());
    }
    let mut out = BTreeSet::new();
    while let Some(c) = roots.pop() {
        if !out.insert(c.clone()) {
            continue;
        }
        if let Some(ctx) = set.extensions.context(&c) {
            roots.extend(ctx.includes.iter().map(|i| i.name.clone()));
        }
    }
    out
}

fn check_toll_fraud(set: &ConfigSet, out: &mut Vec<Diagnostic>) {
    let trunks: BTreeSet<String> = set
        .sip
        .peers
        .iter()
        .filter(|p| !p.is_dynamic())
        .map(|p| p.name.value.clone())
        .collect();
    let reach = phone_contexts(set);
    for c in &set.extensions.contexts {
        if !reach.contains(&c.name) {
            continue;
        }
        for e in &c.extensions {
            for p in &e.priorities {
                let Some(sp) = &p.span else { continue };
                if catalog::app_name(p.app.trim()) != Some("Dial") {
                    continue;
                }
                let dest = split_args(&p.data).into_iter().next().unwrap_or_default();
                let uses_exten = dest.contains("${EXTEN");
                let via_trunk = dest.split('&').find_map(|d| {
                    let mut parts = d.trim().splitn(3, '/');
                    let tech = parts.next()?;
                    let peer = parts.next()?;
                    let has_number = parts.next().is_some();
                    (tech.eq_ignore_ascii_case("SIP") && has_number && trunks.contains(peer))
                        .then(|| peer.to_string())
                });
                if e.is_pattern()
                    && uses_exten
                    && (e.name.contains('.') || e.name.contains('!'))
                    && !dest.contains("FILTER(")
                {
                    out.push(Diagnostic::warning(
                        "dial-injection",
                        sp.clone(),
                        format!(
                            "'{}' matches any characters after its first digits and Dial({}) uses ${{EXTEN}} unfiltered: a caller can dial e.g. '1&SIP/zadarma/0088...' to add their own Dial targets; use a digits-only pattern or ${{FILTER(0-9,${{EXTEN}})}}",
                            e.name, dest
                        ),
                    ));
                }
                let Some(trunk) = via_trunk else { continue };
                if e.is_pattern() {
                    let intl: Vec<&str> = ["00", "810", "011", "+"]
                        .into_iter()
                        .filter(|pre| can_start_with(&e.name, pre))
                        .collect();
                    let mut msg = format!(
                        "'{}' in '{}' sends any number it matches to the trunk '{trunk}' (Dial({dest})), and every phone or guest using '{}' can reach it: toll fraud starts here",
                        e.name, c.name, c.name
                    );
                    if !intl.is_empty() {
                        msg.push_str(&format!(
                            "; it also matches international numbers (prefix {}), which the user asked to block",
                            intl.join(", ")
                        ));
                    }
                    msg.push_str("; narrow the pattern to the numbers you mean to allow (e.g. _8[3-9]XXXXXXXXX for Russian domestic numbers)");
                    out.push(Diagnostic::warning("toll-fraud-pattern", sp.clone(), msg));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dial_options() {
        assert_eq!(bad_dial_options("t&m"), vec!['&']);
        assert_eq!(bad_dial_options("tTm(moh)M(mac^a)"), Vec::<char>::new());
        assert_eq!(bad_dial_options("m&t,"), vec!['&', ',']);
        assert_eq!(bad_dial_options("y"), vec!['y']);
    }

    #[test]
    fn samples_and_prefixes() {
        assert_eq!(sample_number("_XXXX"), "0000");
        assert_eq!(sample_number("_1001"), "1001");
        assert_eq!(sample_number("_[5-7]NX."), "5200");
        assert!(can_start_with("_XXXXXXXXXXX", "810"));
        assert!(can_start_with("_X.", "00"));
        assert!(!can_start_with("_8[3-9]XXXXXXXXX", "810"));
        assert!(!can_start_with("_XXXX", "+"));
        assert!(can_start_with("_+X.", "+"));
    }

    #[test]
    fn cond_split() {
        assert_eq!(
            split_cond("$[${A} = 1]?yes:no"),
            ("$[${A} = 1]".into(), Some("yes".into()), Some("no".into()))
        );
        assert_eq!(split_cond("1?lbl"), ("1".into(), Some("lbl".into()), None));
        assert_eq!(split_cond("nothing").1, None);
    }
}
