//! extensions.conf: the dialplan as pbx/pbx_config.c builds it, on `grammar/dialplan.pest`.
//!
//! What Asterisk does is reproduced step by step: `[globals]` first, then every other
//! section but `[general]` becomes a context; `exten =>` lines are split into extension,
//! priority and application the way pbx_config splits them; `n`, `s`/`same`, `+N`, labels
//! and `same =>` are resolved; duplicates keep the first definition; extensions are kept in
//! Asterisk's sort order (`ext_cmp`), which is also the order `dialplan show` prints.

use super::res_parking::ParkingLot;
use super::{ast_true, ConfFile};
use crate::diag::{Diagnostic, Span};
use pest::Parser;
use pest_derive::Parser;
use std::cmp::Ordering;

#[derive(Parser)]
#[grammar = "../grammar/dialplan.pest"]
pub struct DialplanParser;

/// The priority number Asterisk gives a hint (`PRIORITY_HINT`).
pub const PRIORITY_HINT: i32 = -1;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct General {
    pub static_: bool,
    pub writeprotect: bool,
    pub autofallthrough: bool,
    pub clearglobalvars: bool,
    pub extenpatternmatchnew: bool,
    pub userscontext: String,
}

impl Default for General {
    fn default() -> Self {
        General {
            static_: false,
            writeprotect: false,
            autofallthrough: true,
            clearglobalvars: false,
            extenpatternmatchnew: false,
            userscontext: "default".into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Global {
    pub name: String,
    pub value: String,
    pub span: Span,
}

/// One priority of an extension.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Priority {
    /// 1.., or [`PRIORITY_HINT`].
    pub priority: i32,
    pub label: Option<String>,
    /// The application as written (`Background`); the engine maps it to the registered name.
    pub app: String,
    pub data: String,
    /// Where it was written; None for priorities a module created (res_parking).
    pub span: Option<Span>,
    /// What `dialplan show` prints in brackets when there is no file (`res_parking/default`).
    pub registrar: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Extension {
    /// The name as Asterisk keeps it: spaces removed (`92 ` is `92`), `-` kept.
    pub name: String,
    /// The name without `-` fluff: what matching and sorting use.
    pub exten: String,
    /// The caller-id match (`exten => 90/5551234,...`).
    pub cid: Option<String>,
    /// Sorted by priority number; the hint (if any) first.
    pub priorities: Vec<Priority>,
}

impl Extension {
    pub fn is_pattern(&self) -> bool {
        self.name.starts_with('_')
    }
    pub fn priority(&self, n: i32) -> Option<&Priority> {
        self.priorities.iter().find(|p| p.priority == n)
    }
    pub fn find_label(&self, label: &str) -> Option<i32> {
        self.priorities
            .iter()
            .find(|p| p.label.as_deref() == Some(label))
            .map(|p| p.priority)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Include {
    /// The value as written (`other,9:00-17:00,mon-fri,*,*`): what `dialplan show` prints.
    pub raw: String,
    pub name: String,
    /// The time-window part (`include => ctx,9:00-17:00,mon-fri,*,*`), if any.
    pub timespec: Option<String>,
    pub span: Option<Span>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Switch {
    pub kind: String,
    pub module: String,
    pub data: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Context {
    pub name: String,
    /// `pbx_config` or, for module-made contexts, e.g. `res_parking/default`.
    pub registrar: String,
    pub span: Option<Span>,
    /// In Asterisk's order (see [`ext_cmp`]).
    pub extensions: Vec<Extension>,
    pub includes: Vec<Include>,
    pub ignorepats: Vec<(String, Span)>,
    pub switches: Vec<Switch>,
    pub autohints: bool,
}

impl Context {
    fn new(name: &str, registrar: &str, span: Option<Span>) -> Self {
        Context {
            name: name.to_string(),
            registrar: registrar.to_string(),
            span,
            extensions: vec![],
            includes: vec![],
            ignorepats: vec![],
            switches: vec![],
            autohints: false,
        }
    }

    /// Find an extension by exact name (and cid), as ast_add_extension2 compares them.
    pub fn extension(&self, name: &str) -> Option<&Extension> {
        let exten = strip_fluff(name, true);
        self.extensions
            .iter()
            .find(|e| e.cid.is_none() && ext_cmp(&e.exten, &exten) == Ordering::Equal)
    }

    /// Add one priority the way ast_add_extension2 does. Returns a warning text when the
    /// priority is refused (already in use).
    pub fn add(&mut self, name: &str, cid: Option<&str>, p: Priority) -> Result<(), String> {
        let shown = strip_fluff(name, false);
        let exten = strip_fluff(name, true);
        let cid = cid.map(|c| strip_fluff(c, true));
        // The list is kept sorted (ext_cmp, then caller-id match), so a binary search finds
        // the place: loading 100,000 extensions stays O(n log n).
        let search = self.extensions.binary_search_by(|e| {
            ext_cmp(&e.exten, &exten).then_with(|| match (&e.cid, &cid) {
                // Caller-id specific extensions come before the plain one (ast_add_extension2).
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(a), Some(b)) => ext_cmp(a, b),
            })
        });
        let (found, pos) = match search {
            Ok(i) => (Some(i), i),
            Err(i) => (None, i),
        };
        match found {
            Some(i) => {
                let e = &mut self.extensions[i];
                if e.priorities.iter().any(|q| q.priority == p.priority) {
                    return Err(format!(
                        "Unable to register extension '{}' priority {} in '{}', already in use",
                        e.name, p.priority, self.name
                    ));
                }
                let mut p = p;
                if let Some(l) = &p.label {
                    if e.priorities.iter().any(|q| q.label.as_deref() == Some(l)) {
                        p.label = None;
                    }
                }
                let at = e
                    .priorities
                    .iter()
                    .position(|q| q.priority > p.priority)
                    .unwrap_or(e.priorities.len());
                e.priorities.insert(at, p);
            }
            None => {
                self.extensions.insert(
                    pos,
                    Extension {
                        name: shown,
                        exten,
                        cid,
                        priorities: vec![p],
                    },
                );
            }
        }
        Ok(())
    }
}

#[derive(Clone, Debug, Default)]
pub struct Dialplan {
    pub general: General,
    pub globals: Vec<Global>,
    /// In creation order. `dialplan show` walks them newest first, as Asterisk's list does.
    pub contexts: Vec<Context>,
    pub diagnostics: Vec<Diagnostic>,
    /// The file was missing or refused: Asterisk would run with no dialplan.
    pub not_loaded: bool,
}

impl Dialplan {
    pub fn context(&self, name: &str) -> Option<&Context> {
        self.contexts.iter().find(|c| c.name == name)
    }
    pub fn context_mut(&mut self, name: &str) -> Option<&mut Context> {
        self.contexts.iter_mut().find(|c| c.name == name)
    }

    /// Build the dialplan from extensions.conf and the parking lots res_parking adds.
    pub fn from_conf(conf: &ConfFile, lots: &[ParkingLot]) -> Dialplan {
        let mut dp = Dialplan::default();
        if conf.missing || conf.invalid {
            dp.not_loaded = true;
        }
        if !conf.missing {
            dp.load_pbx_config(conf);
        }
        for lot in lots {
            dp.add_parking_lot(lot);
        }
        dp
    }

    /// A context a module creates (chan_sip's `regcontext`), empty unless it exists.
    pub fn ensure_context(&mut self, name: &str, registrar: &str) {
        if self.context(name).is_none() {
            self.contexts.push(Context::new(name, registrar, None));
        }
    }

    /// A one-priority extension a module adds at run time (chan_sip's regexten:
    /// `1001 => 1,Noop(1001)`); the context is created if missing.
    pub fn add_module_exten(&mut self, ctx: &str, exten: &str, app: &str, data: &str, reg: &str) {
        self.ensure_context(ctx, reg);
        let c = self.context_mut(ctx).expect("just made");
        let _ = c.add(
            exten,
            None,
            Priority {
                priority: 1,
                label: None,
                app: app.into(),
                data: data.into(),
                span: None,
                registrar: reg.to_string(),
            },
        );
    }

    fn add_parking_lot(&mut self, lot: &ParkingLot) {
        let registrar = format!("res_parking/{}", lot.name);
        if self.context(&lot.context).is_none() {
            self.contexts
                .push(Context::new(&lot.context, &registrar, None));
        }
        let ctx = self.context_mut(&lot.context).expect("just made");
        let mk = |app: &str, data: String, reg: &str| Priority {
            priority: 1,
            label: None,
            app: app.into(),
            data,
            span: None,
            registrar: reg.to_string(),
        };
        let _ = ctx.add(&lot.parkext, None, mk("Park", String::new(), "res_parking"));
        for n in lot.parkpos.0..=lot.parkpos.1.min(lot.parkpos.0 + 10_000) {
            let _ = ctx.add(
                &n.to_string(),
                None,
                mk("ParkedCall", format!("{},{}", lot.name, n), &registrar),
            );
        }
    }

    fn substitute_globals(&self, s: &str) -> String {
        if !s.contains("${") {
            return s.to_string();
        }
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find("${") {
            out.push_str(&rest[..i]);
            let after = &rest[i + 2..];
            match after.find('}') {
                Some(j) => {
                    let name = &after[..j];
                    if let Some(g) = self.globals.iter().rev().find(|g| g.name == name) {
                        out.push_str(&g.value);
                    }
                    rest = &after[j + 1..];
                }
                None => {
                    out.push_str(&rest[i..]);
                    rest = "";
                }
            }
        }
        out.push_str(rest);
        out
    }

    fn load_pbx_config(&mut self, conf: &ConfFile) {
        if let Some(g) = conf.section("general") {
            let b = |n: &str| g.first(n).map(|v| ast_true(&v.value));
            self.general.static_ = b("static").unwrap_or(false);
            self.general.writeprotect = b("writeprotect").unwrap_or(false);
            if let Some(v) = b("autofallthrough") {
                self.general.autofallthrough = v;
            }
            if let Some(v) = b("extenpatternmatchnew") {
                self.general.extenpatternmatchnew = v;
            }
            self.general.clearglobalvars = b("clearglobalvars").unwrap_or(false);
            if let Some(v) = g.first("userscontext") {
                self.general.userscontext = v.value.clone();
            }
        }
        for cat in conf
            .sections()
            .filter(|c| c.name.eq_ignore_ascii_case("globals"))
        {
            for v in &cat.vars {
                let value = self.substitute_globals(&v.value);
                self.globals.push(Global {
                    name: v.name.clone(),
                    value,
                    span: v.span.clone(),
                });
            }
        }
        for cat in conf.sections() {
            if cat.name.eq_ignore_ascii_case("general") || cat.name.eq_ignore_ascii_case("globals")
            {
                continue;
            }
            let ci = match self.contexts.iter().position(|c| c.name == cat.name) {
                Some(i) => i,
                None => {
                    self.contexts.push(Context::new(
                        &cat.name,
                        "pbx_config",
                        Some(cat.span.clone()),
                    ));
                    self.contexts.len() - 1
                }
            };
            let mut lastext = String::new();
            let mut lastpri: i32 = -2;
            for v in &cat.vars {
                let lname = v.name.to_ascii_lowercase();
                if lname.starts_with("same") {
                    if lastext.is_empty() {
                        self.diagnostics.push(Diagnostic::error(
                            "dp-same-first",
                            v.span.clone(),
                            format!("'same =>' with no extension before it in context '{}': Asterisk ignores this line", cat.name),
                        ));
                        continue;
                    }
                    let (pri, app) = split_same(&v.value);
                    let ext = lastext.clone();
                    self.add_line(ci, &ext, &pri, &app, v, &mut lastpri);
                } else if lname == "exten" {
                    let (ext, pri, app) = split_exten(&v.value);
                    let ext = self.substitute_globals(&ext);
                    lastext = ext.clone();
                    self.add_line(ci, &ext, &pri, &app, v, &mut lastpri);
                } else if lname == "include" {
                    let value = self.substitute_globals(&v.value);
                    // include_alloc: the time window follows the first '|' or else ','.
                    let cut = value.find('|').or_else(|| value.find(','));
                    let (name, timespec) = match cut {
                        Some(i) => (value[..i].to_string(), Some(value[i + 1..].to_string())),
                        None => (value.clone(), None),
                    };
                    let ctx = &mut self.contexts[ci];
                    if ctx.includes.iter().any(|i| i.name == name) {
                        self.diagnostics.push(Diagnostic::warning(
                            "dp-include-duplicate",
                            v.span.clone(),
                            format!("context '{name}' is already included in '{}': Asterisk ignores this line", cat.name),
                        ));
                    } else {
                        ctx.includes.push(Include {
                            raw: value.clone(),
                            name,
                            timespec,
                            span: Some(v.span.clone()),
                        });
                    }
                } else if lname == "ignorepat" {
                    let value = self.substitute_globals(&v.value);
                    self.contexts[ci].ignorepats.push((value, v.span.clone()));
                } else if lname == "switch" || lname == "lswitch" || lname == "eswitch" {
                    let value = if lname == "switch" {
                        self.substitute_globals(&v.value)
                    } else {
                        v.value.clone()
                    };
                    let (module, data) = match value.split_once('/') {
                        Some((m, d)) => (m.to_string(), d.to_string()),
                        None => (value.clone(), String::new()),
                    };
                    self.contexts[ci].switches.push(Switch {
                        kind: lname.clone(),
                        module,
                        data,
                        span: v.span.clone(),
                    });
                } else if lname == "autohints" {
                    self.contexts[ci].autohints = ast_true(&v.value);
                } else {
                    self.diagnostics.push(Diagnostic::warning(
                        "dp-unknown-directive",
                        v.span.clone(),
                        format!(
                            "unknown directive '{}' in context '{}': Asterisk ignores this line",
                            v.name, cat.name
                        ),
                    ));
                }
            }
        }
    }

    fn add_line(
        &mut self,
        ci: usize,
        ext: &str,
        pri: &str,
        app: &str,
        v: &super::Variable,
        lastpri: &mut i32,
    ) {
        let span = v.span.clone();
        let (ext, cid) = match ext.split_once('/') {
            Some((e, c)) => (e.to_string(), Some(shrink_phone_number(c))),
            None => (ext.to_string(), None),
        };
        let pp = parse_priority(pri);
        if pp.label_unclosed {
            self.diagnostics.push(Diagnostic::error(
                "dp-label-unclosed",
                span,
                "label is missing its ')': Asterisk ignores this line",
            ));
            return;
        }
        let base = pp.base.as_str();
        let mut ipri = if base == "hint" {
            PRIORITY_HINT
        } else if base == "n" || base == "next" {
            if *lastpri > -2 {
                *lastpri + 1
            } else {
                self.diagnostics.push(Diagnostic::error(
                    "dp-next-first",
                    span,
                    "'n' (next) priority on the first line of an extension: Asterisk ignores this line",
                ));
                return;
            }
        } else if base == "s" || base == "same" {
            if *lastpri > -2 {
                *lastpri
            } else {
                self.diagnostics.push(Diagnostic::error(
                    "dp-same-first",
                    span,
                    "'s' (same) priority on the first line of an extension: Asterisk ignores this line",
                ));
                return;
            }
        } else if let Some(n) = leading_int(base) {
            if n < 1 {
                self.diagnostics.push(Diagnostic::error(
                    "dp-bad-priority",
                    span,
                    format!("invalid priority '{base}': priorities start at 1; Asterisk ignores this line"),
                ));
                return;
            }
            n
        } else {
            // A label of this extension defined earlier.
            let found = self.contexts[ci]
                .extensions
                .iter()
                .find(|e| e.exten == strip_fluff(&ext, true) && e.cid == cid)
                .and_then(|e| e.find_label(base));
            match found {
                Some(n) => n,
                None => {
                    self.diagnostics.push(Diagnostic::error(
                        "dp-bad-priority",
                        span,
                        format!("invalid priority/label '{base}': Asterisk ignores this line"),
                    ));
                    return;
                }
            }
        };
        let (appname, data, unclosed) = split_application(app);
        if unclosed {
            self.diagnostics.push(Diagnostic::warning(
                "dp-app-unclosed",
                span.clone(),
                format!("no closing parenthesis in '{}': Asterisk passes everything after '(' as the arguments", app),
            ));
        }
        if ipri != PRIORITY_HINT || pp.plus.is_some() {
            if let Some(plus) = pp.plus {
                ipri += plus;
            }
        }
        *lastpri = ipri;
        if ext == "_." || ext == "_!" {
            self.diagnostics.push(Diagnostic::warning(
                "dp-catchall-pattern",
                span.clone(),
                format!(
                    "the extension '{ext}' matches everything, including 'h', 'i', 't' and 'fax': use '_X{}' (Asterisk warns about this too)",
                    &ext[1..]
                ),
            ));
        }
        let prio = Priority {
            priority: ipri,
            label: pp.label.filter(|l| !l.is_empty()),
            app: appname,
            data,
            span: Some(span.clone()),
            registrar: "pbx_config".into(),
        };
        let ctx = &mut self.contexts[ci];
        if let Err(msg) = ctx.add(&ext, cid.as_deref(), prio) {
            self.diagnostics.push(Diagnostic::warning(
                "dp-duplicate-priority",
                span,
                format!("{msg}: this line is ignored, the earlier definition wins"),
            ));
        }
    }
}

/// `atoi`-like: a leading integer (sscanf "%d"), or None.
fn leading_int(s: &str) -> Option<i32> {
    let s = s.trim_start();
    let (sign, digits) = match s.strip_prefix('-') {
        Some(r) => (-1, r),
        None => (1, s.strip_prefix('+').unwrap_or(s)),
    };
    let n: String = digits.chars().take_while(|c| c.is_ascii_digit()).collect();
    if n.is_empty() {
        return None;
    }
    n.parse::<i64>()
        .ok()
        .map(|v| (v * sign).clamp(i32::MIN as i64, i32::MAX as i64) as i32)
}

/// `exten => ...` value: (extension, priority field, application field).
pub fn split_exten(value: &str) -> (String, String, String) {
    // Direct path when no bracket or backslash can protect a comma (same result as the rule).
    if !value.contains(['[', '\\']) {
        let mut it = value.splitn(3, ',');
        let ext = it.next().unwrap_or("").to_string();
        let pri = it.next().unwrap_or("").trim().to_string();
        let app = it.next().unwrap_or("").to_string();
        return (ext, pri, app);
    }
    split_exten_pest(value)
}

/// [`split_exten`] through the grammar alone.
pub fn split_exten_pest(value: &str) -> (String, String, String) {
    let mut ext = String::new();
    let mut pri = String::new();
    let mut app = String::new();
    if let Ok(mut pairs) = DialplanParser::parse(Rule::exten_line, value) {
        for p in pairs.next().map(|p| p.into_inner()).into_iter().flatten() {
            match p.as_rule() {
                Rule::exten_field => ext = p.as_str().to_string(),
                Rule::prio_field => pri = p.as_str().trim().to_string(),
                Rule::app_field => app = p.as_str().to_string(),
                _ => {}
            }
        }
    }
    (ext, pri, app)
}

/// `same => ...` value: (priority field, application field).
pub fn split_same(value: &str) -> (String, String) {
    let mut pri = String::new();
    let mut app = String::new();
    if let Ok(mut pairs) = DialplanParser::parse(Rule::same_line, value) {
        for p in pairs.next().map(|p| p.into_inner()).into_iter().flatten() {
            match p.as_rule() {
                Rule::prio_field => pri = p.as_str().trim().to_string(),
                Rule::app_field => app = p.as_str().to_string(),
                _ => {}
            }
        }
    }
    (pri, app)
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct ParsedPriority {
    pub base: String,
    pub plus: Option<i32>,
    pub label: Option<String>,
    pub label_unclosed: bool,
}

pub fn parse_priority(field: &str) -> ParsedPriority {
    // pbx_config's own steps: the label runs from the first '(' to the next ')', the increment
    // from the first '+' before the '('. Same result as the `priority` rule.
    let mut out = ParsedPriority::default();
    let head = match field.split_once('(') {
        Some((h, rest)) => {
            match rest.split_once(')') {
                Some((l, _)) => out.label = Some(l.to_string()),
                None => {
                    out.label = Some(rest.to_string());
                    out.label_unclosed = true;
                }
            }
            h
        }
        None => field,
    };
    let base = match head.split_once('+') {
        Some((b, plus)) => {
            out.plus = Some(leading_int(plus).unwrap_or(0));
            b
        }
        None => head,
    };
    out.base = base.trim().to_string();
    out
}

/// [`parse_priority`] through the grammar alone.
pub fn parse_priority_pest(field: &str) -> ParsedPriority {
    let mut out = ParsedPriority::default();
    if let Ok(mut pairs) = DialplanParser::parse(Rule::priority, field) {
        for p in pairs.next().map(|p| p.into_inner()).into_iter().flatten() {
            match p.as_rule() {
                Rule::prio_base => out.base = p.as_str().trim().to_string(),
                Rule::prio_plus => out.plus = Some(leading_int(p.as_str()).unwrap_or(0)),
                Rule::prio_label => out.label = Some(p.as_str().to_string()),
                Rule::prio_label_open => out.label_unclosed = true,
                _ => {}
            }
        }
    }
    out
}

/// Application field → (name, data, data had no closing paren).
pub fn split_application(field: &str) -> (String, String, bool) {
    let field_t = field.trim_start();
    if !field_t.contains('(') {
        return (field_t.to_string(), String::new(), false);
    }
    let (name, rest) = field_t.split_once('(').expect("has paren");
    if name.contains("${") || name.contains("$[") {
        return (field_t.to_string(), String::new(), false);
    }
    match rest.rfind(')') {
        Some(i) => (name.to_string(), rest[..i].to_string(), false),
        None => (name.to_string(), rest.to_string(), true),
    }
}

/// `ast_shrink_phone_number`, simplified: drop the decoration a phone number may carry.
fn shrink_phone_number(s: &str) -> String {
    let pattern = s.starts_with('_');
    let mut bracket = false;
    s.chars()
        .filter(|&c| {
            match c {
                '[' => bracket = true,
                ']' => bracket = false,
                _ => {}
            }
            if bracket {
                return true;
            }
            !(matches!(c, '(' | ')' | ' ' | '-') || (c == '.' && !pattern))
        })
        .collect()
}

/// `ext_strncpy`: spaces go (outside a pattern's `[...]`); with `nofluff` `-` goes too.
pub fn strip_fluff(s: &str, nofluff: bool) -> String {
    let is_pattern = s.starts_with('_');
    let mut insq = false;
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '[' if is_pattern => insq = true,
            ']' => insq = false,
            ' ' if !insq => continue,
            '-' if !insq && nofluff => continue,
            _ => {}
        }
        out.push(c);
    }
    out
}

// ---------------------------------------------------------------- ext_cmp

fn cmp_exten(l: &[u8], r: &[u8]) -> Ordering {
    let l = l.iter().filter(|&&c| c != b'-');
    let r = r.iter().filter(|&&c| c != b'-');
    l.cmp(r)
}

/// One position of a pattern: (score, character set as a 256-bit big-endian bitmap).
fn pattern_pos(p: &[u8], i: &mut usize, bits: &mut [u8; 32]) -> i32 {
    loop {
        let mut c;
        loop {
            c = p.get(*i).copied().unwrap_or(0);
            *i += 1;
            if c != b'-' {
                break;
            }
        }
        let set = |bits: &mut [u8; 32], c: u8| bits[(c / 8) as usize] |= 1 << (7 - (c % 8));
        match c {
            b'n' | b'N' => {
                bits[6] = 0x3f;
                bits[7] = 0xc0;
                return 0x0800 | b'2' as i32;
            }
            b'x' | b'X' => {
                bits[6] = 0xff;
                bits[7] = 0xc0;
                return 0x0A00 | b'0' as i32;
            }
            b'z' | b'Z' => {
                bits[6] = 0x7f;
                bits[7] = 0xc0;
                return 0x0900 | b'1' as i32;
            }
            b'.' => return 0x18000,
            b'!' => return 0x28000,
            0 => {
                *i = usize::MAX;
                return 0x30000;
            }
            b'[' => {}
            _ => {
                set(bits, c);
                return 0x0100 | c as i32;
            }
        }
        let Some(end) = p[*i..].iter().position(|&b| b == b']').map(|e| e + *i) else {
            return 0x40000;
        };
        let mut count = 0;
        let mut cmin = 0xFFu8;
        while *i < end {
            let c1 = p[*i];
            let c2 = if *i + 2 < end && p[*i + 1] == b'-' {
                *i += 2;
                p[*i]
            } else {
                c1
            };
            cmin = cmin.min(c1);
            let mut c = c1;
            while c <= c2 {
                let mask = 1 << (7 - (c % 8));
                if bits[(c / 8) as usize] & mask == 0 {
                    bits[(c / 8) as usize] |= mask;
                    count += 0x100;
                }
                if c == 255 {
                    break;
                }
                c += 1;
            }
            *i += 1;
        }
        *i += 1;
        if count != 0 {
            return count | cmin as i32;
        }
    }
}

fn cmp_pattern(l: &[u8], r: &[u8]) -> Ordering {
    let (mut li, mut ri) = (0usize, 0usize);
    loop {
        let mut lb = [0u8; 32];
        let mut rb = [0u8; 32];
        let lp = if li == usize::MAX {
            0x30000
        } else {
            pattern_pos(l, &mut li, &mut lb)
        };
        let rp = if ri == usize::MAX {
            0x30000
        } else {
            pattern_pos(r, &mut ri, &mut rb)
        };
        let mut cmp = lp.cmp(&rp);
        if cmp == Ordering::Equal {
            cmp = rb.cmp(&lb);
        }
        if cmp != Ordering::Equal || li == usize::MAX {
            return cmp;
        }
    }
}

/// Asterisk's `ext_cmp`: literal extensions first (byte order, `-` ignored), then patterns,
/// more specific first (`_1001` < `_XXXXXXXXXXX` < `_XXXX` < `_X.` < `_!`).
pub fn ext_cmp(left: &str, right: &str) -> Ordering {
    let (l, r) = (left.as_bytes(), right.as_bytes());
    match (l.first() == Some(&b'_'), r.first() == Some(&b'_')) {
        (false, true) => Ordering::Less,
        (false, false) => cmp_exten(l, r),
        (true, false) => Ordering::Greater,
        (true, true) => cmp_pattern(&l[1..], &r[1..]),
    }
}

// ---------------------------------------------------------------- application arguments

/// A `${...}` function call found in application data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FuncRef {
    pub name: String,
    pub args: String,
}

/// Split application data into its top-level arguments, as the application will see them
/// (before substitution): commas inside (...), "...", ${...} and $[...] do not split.
pub fn split_args(data: &str) -> Vec<String> {
    match DialplanParser::parse(Rule::args, data) {
        Ok(mut p) => p
            .next()
            .map(|a| {
                a.into_inner()
                    .filter(|x| x.as_rule() == Rule::arg)
                    .map(|x| x.as_str().to_string())
                    .collect()
            })
            .unwrap_or_default(),
        Err(_) => data.split(',').map(str::to_string).collect(),
    }
}

/// Every function called in `${FUNC(...)}` form anywhere in `data` (nested ones too).
pub fn functions_in(data: &str) -> Vec<FuncRef> {
    let mut out = Vec::new();
    if let Ok(pairs) = DialplanParser::parse(Rule::args, data) {
        collect_funcs(pairs, &mut out);
    }
    out
}

fn collect_funcs(pairs: pest::iterators::Pairs<Rule>, out: &mut Vec<FuncRef>) {
    for p in pairs {
        if p.as_rule() == Rule::func_call {
            let mut name = String::new();
            let mut args = String::new();
            for q in p.clone().into_inner() {
                match q.as_rule() {
                    Rule::func_name => name = q.as_str().to_string(),
                    Rule::func_args => args = q.as_str().to_string(),
                    _ => {}
                }
            }
            out.push(FuncRef { name, args });
        }
        collect_funcs(p.into_inner(), out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::conf::parse_str;
    use std::path::Path;

    fn dp(text: &str) -> Dialplan {
        let c = parse_str(
            Path::new("/nonexistent"),
            Path::new("/etc/asterisk/extensions.conf"),
            text,
        );
        Dialplan::from_conf(&c, &[])
    }

    use proptest::prelude::*;

    proptest! {
        #[test]
        fn fast_paths_equal_grammar(v in "[0-9a-z_X. ,()+\\[\\]\\\\]{0,20}") {
            prop_assert_eq!(split_exten(&v), split_exten_pest(&v));
            let p = v.split(',').next().unwrap_or("");
            prop_assert_eq!(parse_priority(p), parse_priority_pest(p));
        }
    }

    #[test]
    fn splits_like_pbx_config() {
        assert_eq!(
            split_exten("_X.,1,Set(fname=${STRFTIME(${EPOCH},,%Y)}-${EXTEN})"),
            (
                "_X.".into(),
                "1".into(),
                "Set(fname=${STRFTIME(${EPOCH},,%Y)}-${EXTEN})".into()
            )
        );
        assert_eq!(split_exten("_[1,2]X,n,NoOp(x)").0, "_[1,2]X");
        assert_eq!(
            split_exten("92 , 1 , NoOp( a )"),
            ("92 ".into(), "1".into(), " NoOp( a )".into())
        );
        assert_eq!(
            split_application(" NoOp( a )"),
            ("NoOp".into(), " a ".into(), false)
        );
        assert_eq!(
            split_application("Hangup"),
            ("Hangup".into(), "".into(), false)
        );
        assert_eq!(
            split_application("Dial(SIP/1001,10,t&m"),
            ("Dial".into(), "SIP/1001,10,t&m".into(), true)
        );
        assert_eq!(
            split_application("NoOp(paren (inner) done)").1,
            "paren (inner) done"
        );
        let p = parse_priority("n(loop)");
        assert_eq!((p.base.as_str(), p.label.as_deref()), ("n", Some("loop")));
        let p = parse_priority("1+2");
        assert_eq!((p.base.as_str(), p.plus), ("1", Some(2)));
        assert!(parse_priority("n(oops").label_unclosed);
    }

    #[test]
    fn args_respect_nesting() {
        assert_eq!(
            split_args("SIP/${EXTEN},,t&m,"),
            vec!["SIP/${EXTEN}", "", "t&m", ""]
        );
        assert_eq!(
            split_args("fname=${STRFTIME(${EPOCH},,%Y)}"),
            vec!["fname=${STRFTIME(${EPOCH},,%Y)}"]
        );
        assert_eq!(
            split_args("$[${A} = 1]?x,y:z"),
            vec!["$[${A} = 1]?x", "y:z"]
        );
        assert_eq!(split_args("\"a, b\",c"), vec!["\"a, b\"", "c"]);
        assert_eq!(split_args("a\\,b,c"), vec!["a\\,b", "c"]);
        assert_eq!(split_args("unclosed(a,b"), vec!["unclosed(a", "b"]);
        let f: Vec<_> = functions_in("${STRFTIME(${EPOCH},,%Y)}-${CALLERID(number)}")
            .into_iter()
            .map(|f| f.name)
            .collect();
        assert_eq!(f, vec!["STRFTIME", "CALLERID"]);
    }

    #[test]
    fn ext_cmp_matches_asterisk_order() {
        let mut v = vec![
            "_X.",
            "_XXXX",
            "700",
            "_1001",
            "100",
            "7777",
            "_XXXXXXXXXXX",
            "200",
            "_!",
            "_[12]X",
            "_NXX",
        ];
        v.sort_by(|a, b| ext_cmp(a, b));
        assert_eq!(
            v,
            vec![
                "100",
                "200",
                "700",
                "7777",
                "_1001",
                "_[12]X",
                "_NXX",
                "_XXXXXXXXXXX",
                "_XXXX",
                "_X.",
                "_!"
            ]
        );
    }

    #[test]
    fn priorities_labels_same_and_duplicates() {
        let d = dp("[c]\nexten => 10,1,NoOp(a)\nsame => n(second),NoOp(b)\nsame => n,Goto(second)\nexten => 10,second+5,NoOp(c)\nexten => 10,1,NoOp(dup)\nexten => 20,n,NoOp(x)\nexten=>92 , 1 , NoOp( spaced )\nexten => 5,1,Hangup\nexten => 5,2,Goto(c,10,1)\n");
        let c = d.context("c").unwrap();
        let e = c.extension("10").unwrap();
        let prios: Vec<_> = e
            .priorities
            .iter()
            .map(|p| (p.priority, p.label.clone()))
            .collect();
        assert_eq!(
            prios,
            vec![(1, None), (2, Some("second".into())), (3, None), (7, None)]
        );
        assert_eq!(e.priority(1).unwrap().data, "a");
        let rules: Vec<_> = d
            .diagnostics
            .iter()
            .map(|d| (d.rule, d.span.line))
            .collect();
        assert_eq!(rules, vec![("dp-duplicate-priority", 6)]);
        // Like pbx_config, `n` continues from the previous line even across extensions.
        assert_eq!(c.extension("20").unwrap().priorities[0].priority, 2);
        let e92 = c.extension("92").unwrap();
        assert_eq!(e92.priorities[0].app, "NoOp");
        assert_eq!(e92.priorities[0].data, " spaced ");
        assert_eq!(c.extension("5").unwrap().priorities[0].app, "Hangup");
    }

    #[test]
    fn globals_includes_cid_and_parking() {
        let c = parse_str(
            Path::new("/x"),
            Path::new("/etc/asterisk/extensions.conf"),
            "[general]\nautofallthrough=no\n[globals]\nTRUNK=SIP/zadarma\n[c]\nexten => 90/555-1234,1,NoOp\ninclude => parkedcalls\ninclude => other,9:00-17:00,mon-fri,*,*\nignorepat => 9\nfoo => bar\n",
        );
        let d = Dialplan::from_conf(&c, &[ParkingLot::default()]);
        assert!(!d.general.autofallthrough);
        assert_eq!(d.globals[0].value, "SIP/zadarma");
        let ctx = d.context("c").unwrap();
        assert_eq!(ctx.extensions[0].cid.as_deref(), Some("5551234"));
        assert_eq!(
            ctx.includes[1].timespec.as_deref(),
            Some("9:00-17:00,mon-fri,*,*")
        );
        assert_eq!(ctx.ignorepats[0].0, "9");
        assert!(d
            .diagnostics
            .iter()
            .any(|x| x.rule == "dp-unknown-directive" && x.span.line == 10));
        let pc = d.context("parkedcalls").unwrap();
        assert_eq!(pc.extensions.len(), 21);
        assert_eq!(pc.extensions[0].name, "700");
        assert_eq!(pc.extensions[0].priorities[0].registrar, "res_parking");
        assert_eq!(pc.extensions[20].priorities[0].data, "default,720");
    }
}
