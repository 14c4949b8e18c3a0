//! Lint output: text for people, JSON for scripts, unified diffs for fixes; and the exit code.
//!
//! JSON (stable; fields are only ever added):
//! `{"version":1,"summary":{"errors":N,"warnings":N,"infos":N},"findings":[{"file":"/etc/asterisk/extensions.conf",
//! "line":16,"severity":"warning","rule":"app-args","message":"...","fix":"replacement line" | null}]}`
//! (`fix` is null when there is none, and `""` never: a deletion is `{"delete":true}`).

use crate::diag::{Diagnostic, Severity};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// 0: safe to swap; 1: warnings only; 2: errors.
pub fn exit_code(findings: &[Diagnostic]) -> u8 {
    if findings.iter().any(|d| d.severity == Severity::Error) {
        2
    } else if findings.iter().any(|d| d.severity == Severity::Warning) {
        1
    } else {
        0
    }
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    file: String,
    line: u32,
    severity: Severity,
    rule: &'a str,
    message: &'a str,
    fix: Option<serde_json::Value>,
}

#[derive(Serialize)]
struct JsonSummary {
    errors: usize,
    warnings: usize,
    infos: usize,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    version: u32,
    summary: JsonSummary,
    findings: Vec<JsonFinding<'a>>,
}

fn summary(findings: &[Diagnostic]) -> JsonSummary {
    let n = |s| findings.iter().filter(|d| d.severity == s).count();
    JsonSummary {
        errors: n(Severity::Error),
        warnings: n(Severity::Warning),
        infos: n(Severity::Info),
    }
}

pub fn render(findings: &[Diagnostic], format: Format, diff: bool) -> String {
    let mut out = String::new();
    match format {
        Format::Json => {
            let r = JsonReport {
                version: 1,
                summary: summary(findings),
                findings: findings
                    .iter()
                    .map(|d| JsonFinding {
                        file: d.span.file.display().to_string(),
                        line: d.span.line,
                        severity: d.severity,
                        rule: d.rule,
                        message: &d.message,
                        fix: d.fix.as_ref().map(|f| match &f.new_line {
                            Some(l) => serde_json::Value::String(l.clone()),
                            None => serde_json::json!({"delete": true}),
                        }),
                    })
                    .collect(),
            };
            out = serde_json::to_string_pretty(&r).expect("serialisable");
            out.push('\n');
        }
        Format::Text => {
            for d in findings {
                let _ = writeln!(out, "{d}");
            }
            let s = summary(findings);
            let _ = writeln!(
                out,
                "{} errors, {} warnings, {} notes: {}",
                s.errors,
                s.warnings,
                s.infos,
                match exit_code(findings) {
                    0 => "safe to swap",
                    1 => "review the warnings before the swap",
                    _ => "fix the errors before the swap",
                }
            );
        }
    }
    if diff {
        out.push_str(&unified_diff(findings));
    }
    out
}

/// Apply every fix to a copy of its file and print the unified diff per file.
pub fn unified_diff(findings: &[Diagnostic]) -> String {
    let mut per_file: BTreeMap<PathBuf, Vec<(u32, Option<String>)>> = BTreeMap::new();
    for d in findings {
        if let Some(f) = &d.fix {
            per_file
                .entry(f.span.file.as_ref().clone())
                .or_default()
                .push((f.span.line, f.new_line.clone()));
        }
    }
    let mut out = String::new();
    for (path, mut fixes) in per_file {
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let old = String::from_utf8_lossy(&bytes).into_owned();
        let mut lines: Vec<Option<String>> = old
            .split_inclusive('\n')
            .map(|l| Some(l.to_string()))
            .collect();
        fixes.sort();
        fixes.dedup_by(|a, b| a.0 == b.0);
        for (line, new) in fixes {
            let i = line as usize - 1;
            if let Some(slot) = lines.get_mut(i) {
                let eol = slot
                    .as_deref()
                    .map(|l| {
                        if l.ends_with("\r\n") {
                            "\r\n"
                        } else if l.ends_with('\n') {
                            "\n"
                        } else {
                            ""
                        }
                    })
                    .unwrap_or("\n");
                *slot = new.map(|n| format!("{n}{eol}"));
            }
        }
        let new: String = lines.into_iter().flatten().collect();
        let name = path.display().to_string();
        let d = similar::TextDiff::from_lines(&old, &new);
        let _ = write!(
            out,
            "{}",
            d.unified_diff().context_radius(2).header(
                &format!("a/{}", name.trim_start_matches('/')),
                &format!("b/{}", name.trim_start_matches('/'))
            )
        );
    }
    out
}
