//! The dialplan as the engine runs it: every context compiled once into an index, so a
//! lookup is a hash probe for literal extensions and a trie walk for patterns, never a scan
//! of every extension.
//!
//! The answer is the one Asterisk's default ("old") matcher gives: walk the context's
//! extensions in `ext_cmp` order (literals first, then patterns, most specific first), take
//! the first that matches the number and the caller id *and has the wanted priority*;
//! then the includes, in order, depth first, skipping a context already searched and
//! includes outside their time window. That is why `1002` runs priorities 1-2 of `_X.`
//! and 3 of `_XXXX`.

use super::timing::TimeSpec;
use crate::config::extensions::{Dialplan, PRIORITY_HINT};
use std::collections::HashMap;
use std::sync::Arc;

/// One priority ready to run.
#[derive(Debug, Clone)]
pub struct Step {
    pub priority: i32,
    pub label: Option<String>,
    pub app: String,
    pub data: String,
    /// The application, looked up once when the dialplan is built.
    pub app_ref: Option<&'static crate::apps::App>,
    /// Whether `data` needs substitution at all (holds `${` or `$[`).
    pub needs_subst: bool,
}

#[derive(Debug)]
pub struct Ext {
    /// As shown (`_X.`, `1001`).
    pub name: String,
    /// Without fluff: what matching uses.
    pub exten: String,
    pub cid: Option<String>,
    pub hint: Option<String>,
}

#[derive(Debug)]
pub struct Include {
    pub name: String,
    pub time: Option<TimeSpec>,
}

#[derive(Debug)]
pub struct Ctx {
    pub name: String,
    /// In `ext_cmp` order (then caller-id specific before plain).
    pub exts: Vec<Ext>,
    literals: HashMap<String, Vec<u32>, FxBuild>,
    trie: FrozenTrie,
    pub includes: Vec<Include>,
    pub ignorepats: Vec<String>,
    /// Per extension, a bit for each priority 1..=64 it has: most candidates are rejected
    /// without touching the extension itself.
    prios: Vec<u64>,
    /// Whether any extension here is caller-id specific.
    has_cid: bool,
    /// Every extension's priorities (no hints), extension after extension, each sorted:
    /// one array, so a lookup touches the extension's steps and nothing else of it.
    steps: Vec<Step>,
    /// Per extension, its range in `steps`.
    ranges: Vec<(u32, u32)>,
}

impl Ctx {
    /// The priorities of extension `i`, sorted.
    pub fn steps_of(&self, i: u32) -> &[Step] {
        let (a, n) = self.ranges[i as usize];
        &self.steps[a as usize..(a + n) as usize]
    }

    /// Priority `prio` of extension `i`.
    pub fn step(&self, i: u32, prio: i32) -> Option<&Step> {
        if prio_bit(prio).is_some_and(|b| self.prios[i as usize] & b == 0) {
            return None;
        }
        let steps = self.steps_of(i);
        steps
            .binary_search_by_key(&prio, |s| s.priority)
            .ok()
            .map(|k| &steps[k])
    }

    /// The priority labelled `label` in extension `i`.
    pub fn label(&self, i: u32, label: &str) -> Option<&Step> {
        self.steps_of(i)
            .iter()
            .find(|s| s.label.as_deref() == Some(label))
    }
}

/// The bit of a priority in [`Ctx::prios`]; None beyond 64 (then the extension decides).
fn prio_bit(p: i32) -> Option<u64> {
    (1..=64).contains(&p).then(|| 1u64 << (p - 1))
}

impl Ctx {
    /// This context's extensions matching `exten` and the caller id, in `ext_cmp` order.
    fn matching<'c>(&self, exten: &str, callerid: Option<&str>, cands: &'c mut Cands) -> &'c [u32] {
        if !self.literals.is_empty() {
            if let Some(v) = self.literals.get(norm(exten).as_ref()) {
                cands.extend(v);
            }
        }
        self.trie.collect(exten.as_bytes(), cands);
        let n = cands.sort_dedup();
        if !self.has_cid {
            return cands.slice(n);
        }
        // Caller-id specific extensions only for a caller that matches.
        let mut w = 0;
        for r in 0..n {
            let i = cands.get(r);
            let ok = match &self.exts[i as usize].cid {
                Some(cid) => callerid.is_some_and(|c| super::pattern::matches(cid, c)),
                None => true,
            };
            if ok {
                cands.set(w, i);
                w += 1;
            }
        }
        cands.slice(w)
    }
}

/// How a lookup ended, for the caller's messages (Asterisk's `STATUS_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    NoContext,
    NoExtension,
    NoPriority,
    NoLabel,
    Success,
}

/// What to look for in the matching extension.
#[derive(Clone, Copy, Debug)]
pub enum Want<'a> {
    Priority(i32),
    Label(&'a str),
}

/// A found step, with the context it was found in.
#[derive(Debug, Clone, Copy)]
pub struct Found<'a> {
    pub context: &'a str,
    /// The extension's index in its context (`Ctx::exts`).
    pub ext: u32,
    pub step: &'a Step,
}

/// The compiled dialplan: swapped whole on reload.
#[derive(Debug)]
pub struct Compiled {
    pub contexts: Vec<Ctx>,
    by_name: HashMap<String, usize, FxBuild>,
    pub autofallthrough: bool,
    pub globals: Vec<(String, String)>,
    /// The parsed form, for `dialplan show`.
    pub source: Arc<Dialplan>,
}

impl Compiled {
    pub fn new(dp: Arc<Dialplan>) -> Compiled {
        let mut contexts = Vec::with_capacity(dp.contexts.len());
        let mut by_name = HashMap::default();
        for c in &dp.contexts {
            let mut exts = Vec::with_capacity(c.extensions.len());
            let mut all_steps: Vec<Step> = Vec::new();
            let mut ranges: Vec<(u32, u32)> = Vec::with_capacity(c.extensions.len());
            let mut literals: HashMap<String, Vec<u32>, FxBuild> = HashMap::default();
            let mut trie = Trie::default();
            for e in &c.extensions {
                let idx = exts.len() as u32;
                let hint = e
                    .priorities
                    .iter()
                    .find(|p| p.priority == PRIORITY_HINT)
                    .map(|p| p.app.clone());
                let start = all_steps.len() as u32;
                all_steps.extend(
                    e.priorities
                        .iter()
                        .filter(|p| p.priority != PRIORITY_HINT)
                        .map(|p| Step {
                            priority: p.priority,
                            label: p.label.clone(),
                            app: p.app.clone(),
                            data: p.data.clone(),
                            app_ref: crate::apps::find(&p.app),
                            needs_subst: p.data.contains("${") || p.data.contains("$["),
                        }),
                );
                ranges.push((start, all_steps.len() as u32 - start));
                if let Some(pat) = e.exten.strip_prefix('_') {
                    trie.insert(pat.as_bytes(), idx);
                } else {
                    literals
                        .entry(norm(&e.exten).into_owned())
                        .or_default()
                        .push(idx);
                }
                exts.push(Ext {
                    name: e.name.clone(),
                    exten: e.exten.clone(),
                    cid: e.cid.clone(),
                    hint,
                });
            }
            let includes = c
                .includes
                .iter()
                .map(|i| Include {
                    name: i.name.clone(),
                    time: i.timespec.as_deref().map(TimeSpec::parse),
                })
                .collect();
            by_name.insert(c.name.clone(), contexts.len());
            let prios = ranges
                .iter()
                .map(|&(a, n)| {
                    all_steps[a as usize..(a + n) as usize]
                        .iter()
                        .filter_map(|s| prio_bit(s.priority))
                        .fold(0u64, |x, b| x | b)
                })
                .collect();
            let has_cid = exts.iter().any(|e| e.cid.is_some());
            contexts.push(Ctx {
                name: c.name.clone(),
                prios,
                has_cid,
                steps: all_steps,
                ranges,
                exts,
                literals,
                trie: trie.freeze(),
                includes,
                ignorepats: c.ignorepats.iter().map(|(p, _)| p.clone()).collect(),
            });
        }
        Compiled {
            contexts,
            by_name,
            autofallthrough: dp.general.autofallthrough,
            globals: dp
                .globals
                .iter()
                .map(|g| (g.name.clone(), g.value.clone()))
                .collect(),
            source: dp,
        }
    }

    pub fn context(&self, name: &str) -> Option<&Ctx> {
        self.by_name.get(name).map(|&i| &self.contexts[i])
    }

    /// `pbx_find_extension`: the step to run, or how the search failed.
    pub fn find<'a>(
        &'a self,
        context: &str,
        exten: &str,
        want: Want<'_>,
        callerid: Option<&str>,
    ) -> Result<Found<'a>, Status> {
        let mut status = Status::NoContext;
        let mut stack: Vec<&str> = Vec::new();
        self.find_in(context, exten, want, callerid, &mut stack, &mut status)
            .ok_or(status)
    }

    fn find_in<'a>(
        &'a self,
        context: &str,
        exten: &str,
        want: Want<'_>,
        callerid: Option<&str>,
        stack: &mut Vec<&'a str>,
        status: &mut Status,
    ) -> Option<Found<'a>> {
        if stack.len() >= 128 || stack.iter().any(|c| c.eq_ignore_ascii_case(context)) {
            return None;
        }
        let ctx = self.context(context)?;
        if *status < Status::NoExtension {
            *status = Status::NoExtension;
        }
        let mut cands = Cands::default();
        for &i in ctx.matching(exten, callerid, &mut cands) {
            if *status < Status::NoPriority {
                *status = Status::NoPriority;
            }
            let step = match want {
                Want::Priority(p) => ctx.step(i, p),
                Want::Label(l) => {
                    if *status < Status::NoLabel {
                        *status = Status::NoLabel;
                    }
                    ctx.label(i, l)
                }
            };
            if let Some(step) = step {
                *status = Status::Success;
                return Some(Found {
                    context: &ctx.name,
                    ext: i,
                    step,
                });
            }
        }
        if ctx.includes.is_empty() {
            return None;
        }
        stack.push(&ctx.name);
        for inc in &ctx.includes {
            if inc.time.as_ref().is_some_and(|t| !t.matches_now()) {
                continue;
            }
            if let Some(f) = self.find_in(&inc.name, exten, want, callerid, stack, status) {
                return Some(f);
            }
        }
        None
    }

    /// Every extension that matches `exten` (and the caller id), in the order a priority
    /// lookup tries them: this context's, then each include's, depth first. With it, the
    /// next priority of the same extension is a binary search, not a new search. The bool
    /// is false when a time-window include was involved (the answer may change with time).
    pub fn candidates(
        &self,
        context: &str,
        exten: &str,
        callerid: Option<&str>,
    ) -> (Vec<(u32, u32)>, bool) {
        let mut out = Vec::new();
        let mut stack = Vec::new();
        let mut stable = true;
        self.candidates_in(context, exten, callerid, &mut stack, &mut out, &mut stable);
        (out, stable)
    }

    fn candidates_in<'a>(
        &'a self,
        context: &str,
        exten: &str,
        callerid: Option<&str>,
        stack: &mut Vec<&'a str>,
        out: &mut Vec<(u32, u32)>,
        stable: &mut bool,
    ) {
        if stack.len() >= 128 || stack.iter().any(|c| c.eq_ignore_ascii_case(context)) {
            return;
        }
        let Some(&ci) = self.by_name.get(context) else {
            return;
        };
        let ctx = &self.contexts[ci];
        let mut cands = Cands::default();
        out.extend(
            ctx.matching(exten, callerid, &mut cands)
                .iter()
                .map(|&i| (ci as u32, i)),
        );
        if ctx.includes.is_empty() {
            return;
        }
        stack.push(&ctx.name);
        for inc in &ctx.includes {
            if let Some(t) = &inc.time {
                *stable = false;
                if !t.matches_now() {
                    continue;
                }
            }
            self.candidates_in(&inc.name, exten, callerid, stack, out, stable);
        }
    }

    /// The first of `cands` that has the priority (or label).
    pub fn step_in<'a>(&'a self, cands: &[(u32, u32)], want: Want<'_>) -> Option<Found<'a>> {
        cands.iter().find_map(|&(ci, ei)| {
            let ctx = &self.contexts[ci as usize];
            let step = match want {
                Want::Priority(p) => ctx.step(ei, p),
                Want::Label(l) => ctx.label(ei, l),
            }?;
            Some(Found {
                context: &ctx.name,
                ext: ei,
                step,
            })
        })
    }

    /// `ast_canmatch_extension`: could `exten` (or `exten` + more digits) reach priority 1
    /// of some extension in the context or its includes?
    pub fn can_match(&self, context: &str, exten: &str, callerid: Option<&str>) -> bool {
        let mut seen: Vec<&str> = Vec::new();
        self.can_match_in(
            context,
            exten,
            callerid,
            &mut seen,
            super::pattern::can_match,
        )
    }

    /// `ast_matchmore_extension`: could more digits make `exten` match (through includes)?
    pub fn match_more(&self, context: &str, exten: &str, callerid: Option<&str>) -> bool {
        let mut seen: Vec<&str> = Vec::new();
        self.can_match_in(
            context,
            exten,
            callerid,
            &mut seen,
            super::pattern::match_more,
        )
    }

    fn can_match_in<'a>(
        &'a self,
        context: &str,
        exten: &str,
        callerid: Option<&str>,
        seen: &mut Vec<&'a str>,
        test: fn(&str, &str) -> bool,
    ) -> bool {
        if seen.len() >= 128 || seen.iter().any(|c| c.eq_ignore_ascii_case(context)) {
            return false;
        }
        let Some(ctx) = self.context(context) else {
            return false;
        };
        let hit = ctx.exts.iter().enumerate().any(|(i, e)| {
            test(&e.exten, exten)
                && ctx.prios[i] & 1 != 0
                && e.cid
                    .as_ref()
                    .is_none_or(|c| callerid.is_some_and(|id| super::pattern::matches(c, id)))
        });
        if hit {
            return true;
        }
        seen.push(&ctx.name);
        ctx.includes.iter().any(|inc| {
            inc.time.as_ref().is_none_or(|t| t.matches_now())
                && self.can_match_in(&inc.name, exten, callerid, seen, test)
        })
    }

    /// `ast_exists_extension`.
    pub fn exists(&self, context: &str, exten: &str, prio: i32, callerid: Option<&str>) -> bool {
        self.find(context, exten, Want::Priority(prio), callerid)
            .is_ok()
    }

    /// `ast_findlabel_extension`: the priority number of a label, if any.
    pub fn find_label(
        &self,
        context: &str,
        exten: &str,
        label: &str,
        callerid: Option<&str>,
    ) -> Option<i32> {
        self.find(context, exten, Want::Label(label), callerid)
            .ok()
            .map(|f| f.step.priority)
    }

    /// The hint of `exten@context` (`${HINT}`), searched like any priority.
    pub fn hint(&self, context: &str, exten: &str) -> Option<&str> {
        let ctx = self.context(context)?;
        ctx.exts
            .iter()
            .find(|e| super::pattern::matches(&e.name, exten) && e.hint.is_some())
            .and_then(|e| e.hint.as_deref())
    }
}

/// Literal extensions compare without `-` and spaces.
fn norm(s: &str) -> std::borrow::Cow<'_, str> {
    if s.bytes().any(|b| b == b'-' || b == b' ') {
        s.chars()
            .filter(|&c| c != '-' && c != ' ')
            .collect::<String>()
            .into()
    } else {
        s.into()
    }
}

/// FxHash (as rustc uses): extension names and context names are short, SipHash's cost
/// would be most of a lookup.
#[derive(Default, Clone, Copy)]
pub struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(b))
                .wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.0 = (self.0.rotate_left(5) ^ u64::from(i)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

pub type FxBuild = std::hash::BuildHasherDefault<FxHasher>;

/// Candidate extensions of one lookup: a few fit inline, no allocation.
#[derive(Default)]
struct Cands {
    inline: [u32; 16],
    len: usize,
    spill: Vec<u32>,
}

impl Cands {
    fn extend(&mut self, ids: &[u32]) {
        for &i in ids {
            if self.len < self.inline.len() {
                self.inline[self.len] = i;
                self.len += 1;
            } else {
                self.spill.push(i);
            }
        }
    }

    /// Sort into extension order (= `ext_cmp` order) without repeats; the count left.
    fn sort_dedup(&mut self) -> usize {
        if self.spill.is_empty() {
            let v = &mut self.inline[..self.len];
            v.sort_unstable();
            let mut w = 0;
            for r in 0..v.len() {
                if r == 0 || v[r] != v[w - 1] {
                    v[w] = v[r];
                    w += 1;
                }
            }
            self.len = w;
            w
        } else {
            self.spill.extend_from_slice(&self.inline[..self.len]);
            self.len = 0;
            self.spill.sort_unstable();
            self.spill.dedup();
            self.spill.len()
        }
    }

    fn get(&self, i: usize) -> u32 {
        if self.spill.is_empty() {
            self.inline[i]
        } else {
            self.spill[i]
        }
    }

    fn set(&mut self, i: usize, v: u32) {
        if self.spill.is_empty() {
            self.inline[i] = v;
        } else {
            self.spill[i] = v;
        }
    }

    fn slice(&self, n: usize) -> &[u32] {
        if self.spill.is_empty() {
            &self.inline[..n]
        } else {
            &self.spill[..n]
        }
    }
}

/// A set of bytes, for one pattern position.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
struct ByteSet([u64; 4]);

impl ByteSet {
    fn add(&mut self, b: u8) {
        self.0[(b >> 6) as usize] |= 1 << (b & 63);
    }
    fn has(&self, b: u8) -> bool {
        self.0[(b >> 6) as usize] & (1 << (b & 63)) != 0
    }
    fn range(&mut self, lo: u8, hi: u8) {
        for b in lo..=hi {
            self.add(b);
        }
    }
}

#[derive(Debug, Default)]
struct Node {
    /// Children for one literal byte, sorted by byte.
    single: Vec<(u8, u32)>,
    /// Children for a set (`X`, `N`, `Z`, `[...]`).
    multi: Vec<(ByteSet, u32)>,
    /// Patterns that end here.
    end: Vec<u32>,
    /// Patterns with `.` here (one or more characters left).
    dot: Vec<u32>,
    /// Patterns with `!` here (zero or more left).
    bang: Vec<u32>,
}

/// Patterns by position: shared prefixes share nodes.
#[derive(Debug)]
struct Trie {
    nodes: Vec<Node>,
}

impl Default for Trie {
    fn default() -> Self {
        Trie {
            nodes: vec![Node::default()],
        }
    }
}

enum Elem {
    One(u8),
    Set(ByteSet),
    Dot,
    Bang,
}

/// `_extension_match_core`'s reading of a pattern, one position at a time.
fn elems(p: &[u8]) -> Vec<Elem> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < p.len() {
        let c = p[i];
        match c {
            b'-' | b' ' => {}
            b'.' => {
                out.push(Elem::Dot);
                break;
            }
            b'!' => {
                out.push(Elem::Bang);
                break;
            }
            _ => {
                let mut s = ByteSet::default();
                match c.to_ascii_uppercase() {
                    b'X' => s.range(b'0', b'9'),
                    b'Z' => s.range(b'1', b'9'),
                    b'N' => s.range(b'2', b'9'),
                    b'[' => {
                        let end = p[i + 1..].iter().position(|&b| b == b']');
                        let Some(end) = end.map(|e| e + i + 1) else {
                            // An unterminated set never matches.
                            out.push(Elem::Set(ByteSet::default()));
                            break;
                        };
                        let set = &p[i + 1..end];
                        let mut k = 0;
                        while k < set.len() {
                            if k + 2 < set.len() && set[k + 1] == b'-' {
                                if set[k] <= set[k + 2] {
                                    s.range(set[k], set[k + 2]);
                                }
                                k += 3;
                            } else {
                                s.add(set[k]);
                                k += 1;
                            }
                        }
                        i = end;
                    }
                    _ => {
                        out.push(Elem::One(c));
                        i += 1;
                        continue;
                    }
                }
                out.push(Elem::Set(s));
            }
        }
        i += 1;
    }
    out
}

impl Trie {
    fn insert(&mut self, pat: &[u8], idx: u32) {
        let mut n = 0usize;
        for el in elems(pat) {
            match el {
                Elem::Dot => {
                    self.nodes[n].dot.push(idx);
                    return;
                }
                Elem::Bang => {
                    self.nodes[n].bang.push(idx);
                    return;
                }
                Elem::One(b) => {
                    let node = &self.nodes[n];
                    n = match node.single.binary_search_by_key(&b, |x| x.0) {
                        Ok(i) => node.single[i].1 as usize,
                        Err(i) => {
                            let new = self.nodes.len() as u32;
                            self.nodes.push(Node::default());
                            self.nodes[n].single.insert(i, (b, new));
                            new as usize
                        }
                    };
                }
                Elem::Set(s) => {
                    let node = &self.nodes[n];
                    n = match node.multi.iter().find(|x| x.0 == s) {
                        Some(x) => x.1 as usize,
                        None => {
                            let new = self.nodes.len() as u32;
                            self.nodes.push(Node::default());
                            self.nodes[n].multi.push((s, new));
                            new as usize
                        }
                    };
                }
            }
        }
        self.nodes[n].end.push(idx);
    }
}

/// The trie laid out flat for lookups: small nodes, children and pattern ids in shared
/// arrays, so a walk touches a few cache lines per level.
#[derive(Debug, Default)]
struct FrozenTrie {
    nodes: Vec<FNode>,
    /// Single-byte children, per node contiguous and sorted.
    singles: Vec<(u8, u32)>,
    /// Set children: (index into `sets`, child).
    multis: Vec<(u32, u32)>,
    sets: Vec<ByteSet>,
    /// Per node: the ids that end here, then those with `.`, then those with `!`.
    ids: Vec<u32>,
}

/// One node in one cache line: children for the digits inline (most dialplans are digits),
/// other bytes and sets in the shared arrays.
#[derive(Debug, Clone, Copy)]
#[repr(C, align(64))]
struct FNode {
    digits: [u32; 10],
    singles: u32,
    multis: u32,
    ids: u32,
    n_singles: u16,
    n_multis: u16,
    n_end: u16,
    n_dot: u16,
    n_bang: u16,
}

const NONE: u32 = u32::MAX;
/// `FNode::n_end` of a node whose single end id is kept in `FNode::ids`.
const INLINE_END: u16 = u16::MAX;

impl Trie {
    fn freeze(self) -> FrozenTrie {
        let mut f = FrozenTrie::default();
        f.nodes.reserve_exact(self.nodes.len());
        for n in &self.nodes {
            let mut digits = [NONE; 10];
            for &(b, child) in &n.single {
                if b.is_ascii_digit() {
                    digits[(b - b'0') as usize] = child;
                }
            }
            let others: Vec<(u8, u32)> = n
                .single
                .iter()
                .copied()
                .filter(|(b, _)| !b.is_ascii_digit())
                .collect();
            let node = FNode {
                digits,
                singles: f.singles.len() as u32,
                multis: f.multis.len() as u32,
                ids: f.ids.len() as u32,
                n_singles: others.len() as u16,
                n_multis: n.multi.len() as u16,
                n_end: n.end.len() as u16,
                n_dot: n.dot.len() as u16,
                n_bang: n.bang.len() as u16,
            };
            f.singles.extend_from_slice(&others);
            for (set, child) in &n.multi {
                f.multis.push((f.sets.len() as u32, *child));
                f.sets.push(*set);
            }
            let mut node = node;
            if n.end.len() == 1 && n.dot.is_empty() && n.bang.is_empty() {
                // The usual leaf: its one extension id lives in the node itself.
                node.ids = n.end[0];
                node.n_end = INLINE_END;
            } else {
                f.ids.extend_from_slice(&n.end);
                f.ids.extend_from_slice(&n.dot);
                f.ids.extend_from_slice(&n.bang);
            }
            f.nodes.push(node);
        }
        f
    }
}

impl FrozenTrie {
    fn collect(&self, num: &[u8], out: &mut Cands) {
        if !self.nodes.is_empty() {
            self.walk(0, num, out);
        }
    }

    fn walk(&self, n: usize, rest: &[u8], out: &mut Cands) {
        let node = &self.nodes[n];
        if node.n_end == INLINE_END && rest.is_empty() {
            out.extend(&[node.ids]);
            return;
        }
        let ids = node.ids as usize;
        let (ne, nd, nb) = (
            if node.n_end == INLINE_END {
                0
            } else {
                node.n_end as usize
            },
            node.n_dot as usize,
            node.n_bang as usize,
        );
        if nb > 0 {
            out.extend(&self.ids[ids + ne + nd..ids + ne + nd + nb]);
        }
        let Some((&b, tail)) = rest.split_first() else {
            if ne > 0 {
                out.extend(&self.ids[ids..ids + ne]);
            }
            return;
        };
        if nd > 0 {
            out.extend(&self.ids[ids + ne..ids + ne + nd]);
        }
        if b.is_ascii_digit() {
            let child = node.digits[(b - b'0') as usize];
            if child != NONE {
                self.walk(child as usize, tail, out);
            }
        } else if node.n_singles > 0 {
            let singles = &self.singles
                [node.singles as usize..node.singles as usize + node.n_singles as usize];
            if let Ok(i) = singles.binary_search_by_key(&b, |x| x.0) {
                self.walk(singles[i].1 as usize, tail, out);
            }
        }
        for &(set, child) in
            &self.multis[node.multis as usize..node.multis as usize + node.n_multis as usize]
        {
            if self.sets[set as usize].has(b) {
                self.walk(child as usize, tail, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ConfigSet;

    fn compile(ext: &str) -> Compiled {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("extensions.conf"), ext).unwrap();
        let set = ConfigSet::load(dir.path());
        Compiled::new(Arc::new(set.extensions))
    }

    /// The reference: Asterisk's linear walk over the sorted list.
    fn linear<'a>(dp: &'a Compiled, ctx: &str, num: &str, prio: i32) -> Option<&'a str> {
        let c = dp.context(ctx)?;
        c.exts
            .iter()
            .filter(|e| e.cid.is_none())
            .enumerate()
            .find(|(i, e)| {
                super::super::pattern::matches(&e.exten, num) && c.step(*i as u32, prio).is_some()
            })
            .map(|(i, _)| c.step(i as u32, prio).unwrap().data.as_str())
    }

    const PREC: &str = "[prec]
exten => _X.,1,NoOp(X-dot)
exten => _XX.,1,NoOp(XX-dot)
exten => _1XXX,1,NoOp(1XXX)
exten => _1NXX,1,NoOp(1NXX)
exten => _1[0-5]XX,1,NoOp(1[0-5]XX)
exten => 1234,1,NoOp(literal 1234)
exten => _1!,1,NoOp(1-bang)
exten => _Z.,1,NoOp(Z-dot)
exten => _[*#]X.,1,NoOp(star-or-hash)
exten => _8[1-9]XXXXXXXXX,1,NoOp(intl-ish)
exten => _+X.,1,NoOp(plus)
exten => _NXX-XXXX,1,NoOp(seven)
exten => 555-0000,1,NoOp(fluffy literal)
exten => _[a-c]X,1,NoOp(letters)
[prec2]
exten => _[1-3]XX,1,NoOp([1-3]XX)
exten => _1XX,1,NoOp(1XX)
exten => _NXX,1,NoOp(NXX)
exten => _X.,1,NoOp(X-dot)
exten => _XXX,1,NoOp(XXX)
exten => _0.,1,NoOp(0-dot)
exten => _00X.,1,NoOp(00X-dot intl)
";

    #[test]
    fn precedence_as_recorded_from_asterisk() {
        let dp = compile(PREC);
        let data = |c: &str, n: &str| {
            dp.find(c, n, Want::Priority(1), None)
                .map(|f| f.step.data.clone())
                .unwrap_or_default()
        };
        assert_eq!(data("prec", "1234"), "literal 1234");
        assert_eq!(data("prec", "1235"), "1[0-5]XX");
        assert_eq!(data("prec", "1099"), "1[0-5]XX");
        assert_eq!(data("prec", "12"), "1-bang");
        assert_eq!(data("prec", "*12"), "star-or-hash");
        assert_eq!(data("prec", "+74951234567"), "plus");
        assert_eq!(data("prec", "5550000"), "fluffy literal");
        assert_eq!(data("prec", "555-0000"), "fluffy literal");
        assert_eq!(data("prec2", "123"), "1XX");
        assert_eq!(data("prec2", "450"), "NXX");
        assert_eq!(data("prec2", "004930123"), "00X-dot intl");
    }

    #[test]
    fn index_agrees_with_the_linear_walk() {
        let dp = compile(PREC);
        let mut seed = 0x9E3779B97F4A7C15u64;
        let alphabet = b"0123456789*#+abc";
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = 1 + (seed % 12) as usize;
            let num: String = (0..len)
                .map(|i| alphabet[((seed >> (i * 4)) % alphabet.len() as u64) as usize] as char)
                .collect();
            for ctx in ["prec", "prec2"] {
                let got = dp
                    .find(ctx, &num, Want::Priority(1), None)
                    .ok()
                    .map(|f| f.step.data.as_str());
                assert_eq!(got, linear(&dp, ctx, &num, 1), "{num}@{ctx}");
            }
        }
    }

    #[test]
    fn priorities_fall_to_the_next_matching_extension() {
        let dp = compile(
            "[o]\nexten => _X.,1,NoOp(a)\nexten => _X.,2,NoOp(b)\nexten => _XXXX,3,NoOp(c)\n\
             exten => 700,1,NoOp(lit)\n[top]\ninclude => o\nexten => 5,1,NoOp(top)\n",
        );
        let at = |n: &str, p: i32| {
            dp.find("o", n, Want::Priority(p), None)
                .map(|f| f.step.data.clone())
                .ok()
        };
        assert_eq!(at("1002", 1).as_deref(), Some("a"));
        assert_eq!(at("1002", 2).as_deref(), Some("b"));
        assert_eq!(at("1002", 3).as_deref(), Some("c"));
        assert_eq!(at("1002", 4), None);
        assert_eq!(at("700", 1).as_deref(), Some("lit"));
        assert_eq!(at("700", 2).as_deref(), Some("b"));
        assert_eq!(at("55555", 3), None);
        // Through an include, found in the included context but reported for the asked one.
        let f = dp.find("top", "1002", Want::Priority(3), None).unwrap();
        assert_eq!(f.context, "o");
        assert!(matches!(
            dp.find("top", "1002", Want::Priority(9), None),
            Err(Status::NoPriority)
        ));
        assert!(matches!(
            dp.find("nosuch", "1", Want::Priority(1), None),
            Err(Status::NoContext)
        ));
        assert_eq!(dp.find_label("o", "1002", "x", None), None);
    }

    #[test]
    fn candidate_lists_agree_with_find() {
        let dp = compile(
            "[o]\nexten => _X.,1,NoOp(a)\nexten => _X.,2,NoOp(b)\nexten => _XXXX,3,NoOp(c)\n\
             exten => 1002,4,NoOp(lit)\ninclude => p\n[p]\nexten => _1XXX,5,NoOp(inc)\n",
        );
        let (cands, stable) = dp.candidates("o", "1002", None);
        assert!(stable);
        for p in 1..=6 {
            let a = dp
                .step_in(&cands, Want::Priority(p))
                .map(|f| f.step.data.clone());
            let b = dp
                .find("o", "1002", Want::Priority(p), None)
                .ok()
                .map(|f| f.step.data.clone());
            assert_eq!(a, b, "priority {p}");
        }
        assert_eq!(dp.step_in(&cands, Want::Priority(5)).unwrap().context, "p");
    }

    #[test]
    fn callerid_specific_extensions_come_first() {
        let dp = compile(
            "[c]\nexten => 90/5551234,1,NoOp(from 5551234)\nexten => 90,1,NoOp(anyone)\n\
             exten => 91/_555XXXX,1,NoOp(pattern cid)\n",
        );
        let data = |n: &str, cid: Option<&str>| {
            dp.find("c", n, Want::Priority(1), cid)
                .map(|f| f.step.data.clone())
                .ok()
        };
        assert_eq!(data("90", Some("5551234")).as_deref(), Some("from 5551234"));
        assert_eq!(data("90", Some("5550000")).as_deref(), Some("anyone"));
        assert_eq!(data("90", None).as_deref(), Some("anyone"));
        assert_eq!(data("91", Some("5559876")).as_deref(), Some("pattern cid"));
        assert_eq!(data("91", Some("999")), None);
    }
}
