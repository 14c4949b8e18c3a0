//! followme.conf (app_followme): `[general]` (prompts, `featuredigittimeout`, `takecall`,
//! `declinecall`) and one section per follow-me target. In a target, `number =>
//! ext[,timeout]` lines (timeout in seconds, default 25) are tried in order; numbers sharing
//! the same line with `&` ring together. `context` is where the numbers are dialled;
//! `musicclass`, `enable_callee_prompt` and the prompt names may be set per target.

use super::values::{self, is_known, text};
use super::{ConfFile, Spanned, Variable};
use crate::diag::{Diagnostic, Span};

const FILE: &str = "followme.conf";
const PROMPTS: &[&str] = &[
    "featuredigittimeout",
    "takecall",
    "declinecall",
    "call-from-prompt",
    "call_from_prompt",
    "norecording-prompt",
    "norecording_prompt",
    "options-prompt",
    "options_prompt",
    "pls-hold-prompt",
    "pls_hold_prompt",
    "status-prompt",
    "status_prompt",
    "sorry-prompt",
    "sorry_prompt",
    "connecting-prompt",
    "connecting_prompt",
    "enable_callee_prompt",
];
const TARGET: &[&str] = &[
    "musicclass",
    "musiconhold",
    "music",
    "context",
    "number",
    "active",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowMeNumber {
    /// `&`-joined numbers ring at the same time.
    pub numbers: Vec<String>,
    /// Seconds (default 25).
    pub timeout: i64,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct FollowMe {
    pub name: Spanned<String>,
    pub context: Option<Spanned<String>>,
    pub musicclass: Option<Spanned<String>>,
    pub numbers: Vec<FollowMeNumber>,
    pub options: Vec<Variable>,
}

#[derive(Debug, Clone, Default)]
pub struct FollowMeConf {
    pub general: Vec<Variable>,
    pub targets: Vec<FollowMe>,
    pub unknown: Vec<Variable>,
    pub diagnostics: Vec<Diagnostic>,
}

impl FollowMeConf {
    pub fn from_conf(conf: &ConfFile) -> Self {
        let mut out = FollowMeConf::default();
        let mut d = Vec::new();
        for cat in conf.sections() {
            if cat.name.eq_ignore_ascii_case("general") {
                for v in &cat.vars {
                    if v.name.eq_ignore_ascii_case("featuredigittimeout") {
                        values::int_or_default(v, "followme-bad-value", "5000", &mut d);
                    } else if !is_known(PROMPTS, &[], &v.name) {
                        values::report_unknown(
                            "followme-unknown-option",
                            FILE,
                            &cat.name,
                            v,
                            false,
                            &mut d,
                            &mut out.unknown,
                        );
                    }
                    out.general.push(v.clone());
                }
                continue;
            }
            let mut t = FollowMe {
                name: Spanned::new(cat.name.clone(), cat.span.clone()),
                context: None,
                musicclass: None,
                numbers: Vec::new(),
                options: cat.vars.clone(),
            };
            for v in &cat.vars {
                match v.name.to_ascii_lowercase().as_str() {
                    "context" => t.context = Some(text(v)),
                    "musicclass" | "musiconhold" | "music" => t.musicclass = Some(text(v)),
                    "number" => {
                        let (nums, timeout) = match v.value.split_once(',') {
                            Some((n, to)) => {
                                let to = to.split(',').next().unwrap_or("").trim();
                                let secs = match values::scan_int(to) {
                                    Some(s) if s > 0 => s,
                                    _ => {
                                        d.push(Diagnostic::warning(
                                            "followme-bad-value",
                                            v.span.clone(),
                                            format!("timeout '{}' of number {} is not a positive number; app_followme uses 25", to, n.trim()),
                                        ));
                                        25
                                    }
                                };
                                (n, secs)
                            }
                            None => (v.value.as_str(), 25),
                        };
                        t.numbers.push(FollowMeNumber {
                            numbers: nums
                                .split('&')
                                .map(|s| s.trim().to_string())
                                .filter(|s| !s.is_empty())
                                .collect(),
                            timeout,
                            span: v.span.clone(),
                        });
                    }
                    n if is_known(TARGET, &[], n) || is_known(PROMPTS, &[], n) => {}
                    _ => {
                        values::report_unknown(
                            "followme-unknown-option",
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
            out.targets.push(t);
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
    fn targets_and_numbers() {
        let text = "[general]\nfeaturedigittimeout=5000\ntakecall=1\n[default]\nmusicclass=>default\ncontext=>default\nnumber=>01233456,25\nnumber=>555&556\nnumber=>7,soon\nwibble=1\n";
        let f = FollowMeConf::from_conf(&conf("followme.conf", text));
        assert_eq!(f.targets.len(), 1);
        let t = &f.targets[0];
        assert_eq!(t.context.as_ref().unwrap().value, "default");
        assert_eq!(t.numbers.len(), 3);
        assert_eq!(t.numbers[0].numbers, vec!["01233456"]);
        assert_eq!(t.numbers[0].timeout, 25);
        assert_eq!(t.numbers[1].numbers, vec!["555", "556"]);
        assert_eq!(t.numbers[1].span.line, 8);
        assert!(f
            .diagnostics
            .iter()
            .any(|d| d.rule == "followme-bad-value" && d.span.line == 9));
        assert!(f
            .diagnostics
            .iter()
            .any(|d| d.rule == "followme-unknown-option" && d.span.line == 10));
    }
}
