//! `zvezda lint`: the migration linter. Rules run over the typed config ([`ConfigSet`]); each
//! finding is a [`Diagnostic`] with a rule id, a severity, file:line, an explanation and, where
//! one can be written, a fix. One file per rule family:
//! - [`dialplan`]: applications and functions, argument shapes, Goto targets, includes,
//!   priorities, shadowing, Dial options, toll fraud;
//! - [`sip`]: secrets, insecure, guests, ACLs, ports, chan_sip options zvezda does not honour.

pub mod catalog;
pub mod dialplan;
pub mod report;
pub mod sip;

use crate::config::ConfigSet;
use crate::diag::Diagnostic;

/// Run every rule. The loader's own diagnostics come first; the result is sorted by file and
/// line, and exact duplicates are removed.
pub fn lint(set: &ConfigSet) -> Vec<Diagnostic> {
    let mut out = set.diagnostics.clone();
    out.extend(dialplan::check(set));
    out.extend(sip::check(set));
    out.sort_by(|a, b| {
        (&a.span.file, a.span.line, a.rule).cmp(&(&b.span.file, b.span.line, b.rule))
    });
    out.dedup_by(|a, b| a.rule == b.rule && a.span == b.span && a.message == b.message);
    out
}
