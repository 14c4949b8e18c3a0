//! `dialplan show [[exten@]context]`, laid out exactly as Asterisk's pbx.c prints it.

use crate::config::extensions::{Context, Dialplan, Priority, PRIORITY_HINT};
use crate::dialplan::pattern;
use std::fmt::Write;

#[derive(Default)]
struct Counters {
    total_context: usize,
    total_exten: usize,
    total_prio: usize,
    context_existence: bool,
    extension_existence: bool,
}

fn print_ext(p: &Priority) -> String {
    if p.priority == PRIORITY_HINT {
        format!("hint: {}", p.app)
    } else {
        format!("{}. {}({})", p.priority, p.app, p.data)
    }
}

fn source(p: &Priority) -> String {
    match &p.span {
        Some(s) => format!("{}:{}", s.file_name(), s.line),
        None => p.registrar.clone(),
    }
}

fn line(out: &mut String, buf1: &str, buf2: &str, src: &str) {
    let _ = writeln!(out, "  {buf1:<17} {buf2:<45} [{src}]");
}

fn show_context(
    dp: &Dialplan,
    out: &mut String,
    c: &Context,
    exten: Option<&str>,
    dpc: &mut Counters,
    included: bool,
    stack: &mut Vec<String>,
) {
    let mut printed = false;
    if exten.is_none() {
        dpc.total_context += 1;
        let _ = writeln!(out, "[ Context '{}' created by '{}' ]", c.name, c.registrar);
        if c.autohints {
            out.push_str("Autohints support enabled\n");
        }
        printed = true;
    }
    for e in &c.extensions {
        if let Some(x) = exten {
            if !pattern::matches(&e.name, x) {
                continue;
            }
        }
        dpc.extension_existence = true;
        if !printed {
            dpc.total_context += 1;
            if included {
                let _ = writeln!(
                    out,
                    "[ Included context '{}' created by '{}' ]",
                    c.name, c.registrar
                );
            } else {
                let _ = writeln!(out, "[ Context '{}' created by '{}' ]", c.name, c.registrar);
                if c.autohints {
                    out.push_str("Autohints support enabled\n");
                }
            }
            printed = true;
        }
        let name = match &e.cid {
            Some(cid) => format!("'{}' (CID match '{}') => ", e.name, cid),
            None => format!("'{}' =>", e.name),
        };
        let mut first = true;
        for p in &e.priorities {
            dpc.total_prio += 1;
            if first {
                line(out, &name, &print_ext(p), &source(p));
                dpc.total_exten += 1;
                first = false;
            } else {
                let b = p
                    .label
                    .as_ref()
                    .map(|l| format!("   [{l}]"))
                    .unwrap_or_default();
                line(out, &b, &print_ext(p), &source(p));
            }
        }
    }
    for inc in &c.includes {
        if let Some(x) = exten {
            if stack.iter().any(|s| s.eq_ignore_ascii_case(&inc.raw)) {
                continue;
            }
            if stack.len() >= 128 {
                continue;
            }
            stack.push(inc.raw.clone());
            // Asterisk looks the include up by its full name, so a timed include is not followed.
            if let Some(ic) = dp.context(&inc.raw) {
                show_context(dp, out, ic, Some(x), dpc, true, stack);
            }
        } else {
            let _ = writeln!(
                out,
                "  Include =>        {:<45} [pbx_config]",
                format!("'{}'", inc.raw)
            );
        }
    }
    for (ip, _) in &c.ignorepats {
        let matches = exten
            .map(|x| pattern::matches(&format!("_{ip}."), x))
            .unwrap_or(true);
        if matches {
            let _ = writeln!(
                out,
                "  Ignore pattern => {:<45} [pbx_config]",
                format!("'{ip}'")
            );
        }
    }
    if !included {
        for sw in &c.switches {
            let _ = writeln!(
                out,
                "  Alt. Switch =>    {:<45} [pbx_config]",
                format!("'{}/{}'", sw.module, sw.data)
            );
        }
    }
    if printed {
        out.push('\n');
    }
}

/// The text of `dialplan show [arg]`, and whether the command succeeded.
pub fn dialplan_show(dp: &Dialplan, arg: Option<&str>) -> (String, bool) {
    let (exten, context) = match arg {
        Some(a) if a.contains('@') => {
            let (e, c) = a.split_once('@').expect("has @");
            ((!e.is_empty()).then_some(e), (!c.is_empty()).then_some(c))
        }
        Some(a) if !a.is_empty() => (None, Some(a)),
        _ => (None, None),
    };
    let mut out = String::new();
    let mut dpc = Counters::default();
    // Asterisk's context list is newest first.
    for c in dp.contexts.iter().rev() {
        if let Some(name) = context {
            if c.name != name {
                continue;
            }
        }
        dpc.context_existence = true;
        let mut stack = Vec::new();
        show_context(dp, &mut out, c, exten, &mut dpc, false, &mut stack);
    }
    if let Some(c) = context {
        if !dpc.context_existence {
            let _ = writeln!(out, "There is no existence of '{c}' context");
            return (out, false);
        }
    }
    if let Some(x) = exten {
        if !dpc.extension_existence {
            match context {
                Some(c) => {
                    let _ = writeln!(out, "There is no existence of {x}@{c} extension");
                }
                None => {
                    let _ = writeln!(
                        out,
                        "There is no existence of '{x}' extension in all contexts"
                    );
                }
            }
            return (out, false);
        }
    }
    let plural = |n: usize, one: &'static str, many: &'static str| if n == 1 { one } else { many };
    let _ = writeln!(
        out,
        "-= {} {} ({} {}) in {} {}. =-",
        dpc.total_exten,
        plural(dpc.total_exten, "extension", "extensions"),
        dpc.total_prio,
        plural(dpc.total_prio, "priority", "priorities"),
        dpc.total_context,
        plural(dpc.total_context, "context", "contexts")
    );
    (out, true)
}
