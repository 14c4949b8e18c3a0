//! cdr.conf (main/cdr.c): `[general]` is read with the config framework (unknown options make
//! Asterisk reject it); the backend sections (`[csv]`, `[custom]`, `[manager]`, `[radius]`,
//! ...) belong to the cdr_* modules and are kept as raw options.

use super::values::{self, boolean, int_or_default, is_known};
use super::{ConfFile, Spanned, Variable};
use crate::diag::Diagnostic;

const FILE: &str = "cdr.conf";
const GENERAL: &[&str] = &[
    "enable",
    "debug",
    "unanswered",
    "congestion",
    "endbeforehexten",
    "initiatedseconds",
    "batch",
    "size",
    "time",
    "scheduleronly",
    "safeshutdown",
    "ignorestatechanges",
    "ignoredialchanges",
    "canceldispositionenabled",
    "channeldefaultenabled",
];

#[derive(Debug, Clone, Default)]
pub struct CdrGeneral {
    /// Default yes.
    pub enable: Option<Spanned<bool>>,
    pub unanswered: Option<Spanned<bool>>,
    pub congestion: Option<Spanned<bool>>,
    pub endbeforehexten: Option<Spanned<bool>>,
    pub batch: Option<Spanned<bool>>,
    /// Records per batch (default 100).
    pub size: Option<Spanned<i64>>,
    /// Seconds between batches (default 300).
    pub time: Option<Spanned<i64>>,
    pub options: Vec<Variable>,
}

impl CdrGeneral {
    pub fn enabled(&self) -> bool {
        self.enable.as_ref().map(|e| e.value).unwrap_or(true)
    }
}

#[derive(Debug, Clone, Default)]
pub struct CdrConf {
    pub general: CdrGeneral,
    /// Backend sections, by name, with their lines.
    pub backends: Vec<(Spanned<String>, Vec<Variable>)>,
    pub unknown: Vec<Variable>,
    pub diagnostics: Vec<Diagnostic>,
}

impl CdrConf {
    pub fn from_conf(conf: &ConfFile) -> Self {
        let mut out = CdrConf::default();
        let mut d = Vec::new();
        let r = "cdr-bad-value";
        for cat in conf.sections() {
            if !cat.name.eq_ignore_ascii_case("general") {
                out.backends.push((
                    Spanned::new(cat.name.clone(), cat.span.clone()),
                    cat.vars.clone(),
                ));
                continue;
            }
            for v in &cat.vars {
                let g = &mut out.general;
                g.options.push(v.clone());
                match v.name.to_ascii_lowercase().as_str() {
                    "enable" => g.enable = Some(boolean(v, r, &mut d)),
                    "unanswered" => g.unanswered = Some(boolean(v, r, &mut d)),
                    "congestion" => g.congestion = Some(boolean(v, r, &mut d)),
                    "endbeforehexten" => g.endbeforehexten = Some(boolean(v, r, &mut d)),
                    "batch" => g.batch = Some(boolean(v, r, &mut d)),
                    "size" => g.size = int_or_default(v, r, "100", &mut d),
                    "time" => g.time = int_or_default(v, r, "300", &mut d),
                    n if is_known(GENERAL, &[], n) => {}
                    _ => {
                        values::report_unknown(
                            "cdr-unknown-option",
                            FILE,
                            &cat.name,
                            v,
                            true,
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
    fn general_and_backends() {
        let c = CdrConf::from_conf(&conf(
            "cdr.conf",
            "[general]\nenable=maybe\nsize=x\nfoo=1\n[csv]\nusegmtime=yes\n",
        ));
        assert!(!c.general.enabled());
        assert!(c
            .diagnostics
            .iter()
            .any(|d| d.rule == "cdr-bad-value" && d.span.line == 2));
        assert!(c
            .diagnostics
            .iter()
            .any(|d| d.rule == "cdr-bad-value" && d.span.line == 3));
        assert!(c
            .diagnostics
            .iter()
            .any(|d| d.rule == "cdr-unknown-option" && d.span.line == 4));
        assert_eq!(c.backends.len(), 1);
        assert_eq!(c.backends[0].1[0].name, "usegmtime");
        assert!(CdrConf::from_conf(&conf("cdr.conf", "[general]\n"))
            .general
            .enabled());
    }
}
