//! logger.conf (main/logger.c): `[general]` and `[logfiles]`.
//!
//! Each `[logfiles]` line is `channel => levels`: the channel is a file name (relative to
//! astlogdir), `console`, or `syslog.<facility>`; levels are a comma list of debug, trace,
//! notice, warning, error, verbose (`verbose(N)` caps the verbosity), dtmf, fax, security and
//! custom levels, `*` meaning all. An optional `[format]` prefix (`[json]`, `[plain]`,
//! `[default]`) chooses the format.

use super::values::{self, is_known, text};
use super::{ConfFile, Spanned, Variable};
use crate::diag::{Diagnostic, Span};

const FILE: &str = "logger.conf";
const GENERAL: &[&str] = &[
    "dateformat",
    "use_callids",
    "display_callids",
    "appendhostname",
    "queue_log",
    "queue_log_to_file",
    "queue_log_name",
    "queue_log_realtime_use_gmt",
    "rotatestrategy",
    "rotatetimestamp",
    "exec_after_rotate",
    "logger_queue_limit",
    "custom_levels",
    "event_log",
];
pub const LEVELS: &[&str] = &[
    "debug", "trace", "notice", "warning", "error", "verbose", "dtmf", "fax", "security", "*",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogChannel {
    pub name: String,
    /// `json`, `plain` or `default`.
    pub format: String,
    /// Lower-cased levels as written (`verbose(3)` kept whole).
    pub levels: Vec<String>,
    pub span: Span,
}

impl LogChannel {
    pub fn has(&self, level: &str) -> bool {
        self.levels
            .iter()
            .any(|l| l == "*" || l == level || l.starts_with(&format!("{}(", level)))
    }
}

#[derive(Debug, Clone, Default)]
pub struct LoggerConf {
    pub dateformat: Option<Spanned<String>>,
    pub use_callids: Option<Spanned<bool>>,
    pub appendhostname: Option<Spanned<bool>>,
    pub queue_log: Option<Spanned<bool>>,
    /// `none`, `sequential`, `rotate` (default) or `timestamp`.
    pub rotatestrategy: Option<Spanned<String>>,
    pub channels: Vec<LogChannel>,
    pub general: Vec<Variable>,
    pub unknown: Vec<Variable>,
    pub diagnostics: Vec<Diagnostic>,
}

impl LoggerConf {
    pub fn from_conf(conf: &ConfFile) -> Self {
        let mut out = LoggerConf::default();
        let mut d = Vec::new();
        let r = "logger-bad-value";
        let custom: Vec<String> = conf
            .section("general")
            .and_then(|g| g.get("custom_levels"))
            .map(|v| {
                v.value
                    .split(',')
                    .map(|s| s.trim().to_ascii_lowercase())
                    .collect()
            })
            .unwrap_or_default();
        for cat in conf.sections() {
            match cat.name.to_ascii_lowercase().as_str() {
                "general" => {
                    for v in &cat.vars {
                        out.general.push(v.clone());
                        match v.name.to_ascii_lowercase().as_str() {
                            "dateformat" => out.dateformat = Some(text(v)),
                            "use_callids" => out.use_callids = Some(values::boolean(v, r, &mut d)),
                            "appendhostname" => {
                                out.appendhostname = Some(values::boolean(v, r, &mut d))
                            }
                            "queue_log" => out.queue_log = Some(values::boolean(v, r, &mut d)),
                            "rotatestrategy" => {
                                out.rotatestrategy = values::choice(
                                    v,
                                    &["none", "sequential", "rotate", "timestamp"],
                                    r,
                                    "Asterisk uses rotate",
                                    &mut d,
                                )
                            }
                            n if is_known(GENERAL, &[], n) => {}
                            _ => {
                                values::report_unknown(
                                    "logger-unknown-option",
                                    FILE,
                                    &cat.name,
                                    v,
                                    false,
                                    &mut d,
                                    &mut out.unknown,
                                );
                            }
                        }
                    }
                }
                "logfiles" => {
                    for v in &cat.vars {
                        let mut rest = v.value.trim();
                        let mut format = "default".to_string();
                        if let Some(stripped) = rest.strip_prefix('[') {
                            if let Some((f, after)) = stripped.split_once(']') {
                                format = f.trim().to_ascii_lowercase();
                                rest = after;
                                if !["json", "plain", "default"].contains(&format.as_str()) {
                                    d.push(Diagnostic::warning(
                                        r,
                                        v.span.clone(),
                                        format!(
                                            "unknown log format '{}'; Asterisk uses default",
                                            f
                                        ),
                                    ));
                                }
                            }
                        }
                        let levels: Vec<String> = rest
                            .split(',')
                            .map(|s| s.trim().to_ascii_lowercase())
                            .filter(|s| !s.is_empty())
                            .collect();
                        for l in &levels {
                            let base = l.split('(').next().unwrap_or("");
                            if !LEVELS.contains(&base) && !custom.iter().any(|c| c == base) {
                                d.push(Diagnostic::warning(
                                    r,
                                    v.span.clone(),
                                    format!(
                                        "unknown log level '{}' for {}; Asterisk ignores it",
                                        l, v.name
                                    ),
                                ));
                            }
                        }
                        out.channels.push(LogChannel {
                            name: v.name.clone(),
                            format,
                            levels,
                            span: v.span.clone(),
                        });
                    }
                }
                _ => {
                    for v in &cat.vars {
                        values::report_unknown(
                            "logger-unknown-option",
                            FILE,
                            &cat.name,
                            v,
                            false,
                            &mut d,
                            &mut out.unknown,
                        );
                    }
                }
            }
        }
        out.diagnostics = d;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::values::test_util::conf;

    #[test]
    fn channels_and_levels() {
        let text = "[general]\ndateformat=%F %T\nrotatestrategy=daily\n[logfiles]\nconsole => notice,warning,error\nmessages.log => [plain]notice,warning,verbose(3)\nfull => *\nbad => notice,loud\n";
        let l = LoggerConf::from_conf(&conf("logger.conf", text));
        assert_eq!(l.dateformat.as_ref().unwrap().value, "%F %T");
        assert!(l.rotatestrategy.is_none());
        assert!(l
            .diagnostics
            .iter()
            .any(|d| d.rule == "logger-bad-value" && d.span.line == 3));
        assert_eq!(l.channels.len(), 4);
        assert_eq!(l.channels[1].format, "plain");
        assert!(l.channels[1].has("verbose"));
        assert!(!l.channels[0].has("debug"));
        assert!(l.channels[2].has("debug"));
        assert!(l
            .diagnostics
            .iter()
            .any(|d| d.rule == "logger-bad-value" && d.span.line == 8));
    }
}
