//! Diagnostics: what the loader and the linter say about a config, always with file:line.

use serde::Serialize;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where a value came from: the file (as a shared path) and its 1-based line.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub file: Arc<PathBuf>,
    pub line: u32,
}

impl Span {
    pub fn new(file: Arc<PathBuf>, line: u32) -> Self {
        Span { file, line }
    }

    /// The file's name without its folders, as Asterisk prints `[extensions.conf:12]`.
    pub fn file_name(&self) -> String {
        self.file
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.file.display().to_string())
    }

    pub fn path(&self) -> &Path {
        &self.file
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// A suggested edit: replace line `span.line` of `span.file` with `new_line`
/// (or delete it when `new_line` is None).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    pub span: Span,
    pub new_line: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// A stable rule id such as `conf-no-equals` or `dial-unknown-option`.
    pub rule: &'static str,
    pub span: Span,
    pub message: String,
    pub fix: Option<Fix>,
}

impl Diagnostic {
    pub fn new(
        severity: Severity,
        rule: &'static str,
        span: Span,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity,
            rule,
            span,
            message: message.into(),
            fix: None,
        }
    }
    pub fn error(rule: &'static str, span: Span, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, rule, span, message)
    }
    pub fn warning(rule: &'static str, span: Span, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, rule, span, message)
    }
    pub fn info(rule: &'static str, span: Span, message: impl Into<String>) -> Self {
        Self::new(Severity::Info, rule, span, message)
    }
    pub fn with_fix(mut self, new_line: Option<String>) -> Self {
        self.fix = Some(Fix {
            span: self.span.clone(),
            new_line,
        });
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} [{}] {}",
            self.span, self.severity, self.rule, self.message
        )
    }
}
