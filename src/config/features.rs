//! features.conf (main/features_config.c): `[general]`, `[featuremap]`, `[applicationmap]`
//! and feature groups (any other section).
//!
//! It is read with the config framework: an unknown option in `[general]` or `[featuremap]`
//! makes Asterisk reject the file (warning here). `[featuremap]` defaults: blindxfer `#`,
//! disconnect `*`, atxfer and automon/automixmon/parkcall unset. (The `*2`, `*0`, `*1` the
//! sample shows are commented out; Asterisk 20's built-in defaults are only `#` and `*`.)
//! `[applicationmap]` lines are `name => dtmf,activatedby[/applies],App[,args[,moh]]`.

use super::values::{self, int_or_default, is_known, text};
use super::{ConfFile, Spanned, Variable};
use crate::diag::{Diagnostic, Span};

const FILE: &str = "features.conf";

const GENERAL: &[&str] = &[
    "featuredigittimeout",
    "courtesytone",
    "recordingfailsound",
    "transferdigittimeout",
    "xfersound",
    "xferfailsound",
    "atxferabort",
    "atxfercomplete",
    "atxferthreeway",
    "atxferswap",
    "atxfernoanswertimeout",
    "atxferdropcall",
    "atxferloopdelay",
    "atxfercallbackretries",
    "transferdialattempts",
    "transferretrysound",
    "transferinvalidsound",
    "transferannouncesound",
    "pickupexten",
    "pickupsound",
    "pickupfailsound",
    // Old parking options, accepted (undocumented) so that old files still load.
    "context",
    "parkext",
    "parkext_exclusive",
    "parkinghints",
    "parkedmusicclass",
    "parkingtime",
    "parkpos",
    "findslot",
    "parkedcalltransfers",
    "parkedcallreparking",
    "parkedcallhangup",
    "parkedcallrecording",
    "comebackcontext",
    "comebacktoorigin",
    "comebackdialtime",
    "parkeddynamic",
    "courtesytone",
    "parkedplay",
    "adsipark",
];

/// `[featuremap]` names with Asterisk 20's built-in defaults (None = disabled).
pub const FEATUREMAP: &[(&str, Option<&str>)] = &[
    ("blindxfer", Some("#")),
    ("disconnect", Some("*")),
    ("automon", None),
    ("atxfer", None),
    ("parkcall", None),
    ("automixmon", None),
];

/// One `[applicationmap]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppFeature {
    pub name: String,
    pub dtmf: String,
    /// `self`, `peer`, `caller`, `callee`, `both` (before the `/`).
    pub activated_by: String,
    pub app: String,
    pub args: String,
    pub moh_class: String,
    pub span: Span,
}

#[derive(Debug, Clone, Default)]
pub struct FeaturesGeneral {
    /// Milliseconds (default 1000).
    pub featuredigittimeout: Option<Spanned<i64>>,
    /// Seconds (default 3).
    pub transferdigittimeout: Option<Spanned<i64>>,
    /// Seconds (default 15).
    pub atxfernoanswertimeout: Option<Spanned<i64>>,
    pub atxferabort: Option<Spanned<String>>,
    pub atxfercomplete: Option<Spanned<String>>,
    pub atxferthreeway: Option<Spanned<String>>,
    pub atxferswap: Option<Spanned<String>>,
    pub pickupexten: Option<Spanned<String>>,
    pub options: Vec<Variable>,
}

impl FeaturesGeneral {
    /// `pickupexten`, `*8` by default.
    pub fn pickupexten(&self) -> &str {
        self.pickupexten
            .as_ref()
            .map(|p| p.value.as_str())
            .unwrap_or("*8")
    }

    /// A `[general]` option as written (the last one wins), or None.
    pub fn option(&self, name: &str) -> Option<&str> {
        self.options
            .iter()
            .rev()
            .find(|v| v.name.eq_ignore_ascii_case(name))
            .map(|v| v.value.trim())
    }
}

#[derive(Debug, Clone, Default)]
pub struct FeaturesConf {
    pub general: FeaturesGeneral,
    /// `[featuremap]` lines as written.
    pub featuremap: Vec<Spanned<(String, String)>>,
    pub applicationmap: Vec<AppFeature>,
    /// Feature groups: section name → `feature => dtmf` lines.
    pub groups: Vec<(Spanned<String>, Vec<Variable>)>,
    pub unknown: Vec<Variable>,
    pub diagnostics: Vec<Diagnostic>,
}

impl FeaturesConf {
    /// The DTMF code of a `[featuremap]` feature: written, else the built-in default.
    pub fn feature_code(&self, name: &str) -> Option<String> {
        if let Some(f) = self
            .featuremap
            .iter()
            .rev()
            .find(|f| f.value.0.eq_ignore_ascii_case(name))
        {
            return Some(f.value.1.clone()).filter(|s| !s.is_empty());
        }
        FEATUREMAP
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, d)| d.map(str::to_string))
    }

    pub fn from_conf(conf: &ConfFile) -> Self {
        let mut out = FeaturesConf::default();
        let mut diags = Vec::new();
        for cat in conf.sections() {
            let lname = cat.name.to_ascii_lowercase();
            match lname.as_str() {
                "general" => {
                    for v in &cat.vars {
                        out.general.options.push(v.clone());
                        let g = &mut out.general;
                        let d = &mut diags;
                        let r = "features-bad-value";
                        match v.name.to_ascii_lowercase().as_str() {
                            "featuredigittimeout" => {
                                g.featuredigittimeout = int_or_default(v, r, "1000", d)
                            }
                            "transferdigittimeout" => {
                                g.transferdigittimeout = int_or_default(v, r, "3", d)
                            }
                            "atxfernoanswertimeout" => {
                                g.atxfernoanswertimeout = int_or_default(v, r, "15", d)
                            }
                            "atxferabort" => g.atxferabort = Some(text(v)),
                            "atxfercomplete" => g.atxfercomplete = Some(text(v)),
                            "atxferthreeway" => g.atxferthreeway = Some(text(v)),
                            "atxferswap" => g.atxferswap = Some(text(v)),
                            "pickupexten" => g.pickupexten = Some(text(v)),
                            n if is_known(GENERAL, &[], n) => {}
                            _ => {
                                values::report_unknown(
                                    "features-unknown-option",
                                    FILE,
                                    &cat.name,
                                    v,
                                    true,
                                    d,
                                    &mut out.unknown,
                                );
                            }
                        }
                    }
                }
                "featuremap" => {
                    for v in &cat.vars {
                        if !FEATUREMAP
                            .iter()
                            .any(|(n, _)| n.eq_ignore_ascii_case(&v.name))
                        {
                            values::report_unknown(
                                "features-unknown-option",
                                FILE,
                                &cat.name,
                                v,
                                true,
                                &mut diags,
                                &mut out.unknown,
                            );
                            continue;
                        }
                        let code = v.value.split(',').next().unwrap_or("").trim().to_string();
                        out.featuremap.push(Spanned::new(
                            (v.name.to_ascii_lowercase(), code),
                            v.span.clone(),
                        ));
                    }
                }
                "applicationmap" => {
                    for v in &cat.vars {
                        let parts: Vec<&str> = v.value.splitn(5, ',').map(str::trim).collect();
                        if parts.len() < 3 || parts[0].is_empty() || parts[2].is_empty() {
                            diags.push(Diagnostic::warning(
                                "features-bad-applicationmap",
                                v.span.clone(),
                                format!("applicationmap '{}' needs dtmf,activatedby,App[,args[,moh]]; Asterisk skips it", v.name),
                            ));
                            continue;
                        }
                        let activated_by = parts[1]
                            .split('/')
                            .next()
                            .unwrap_or("")
                            .to_ascii_lowercase();
                        if !["self", "peer", "caller", "callee", "both", ""]
                            .contains(&activated_by.as_str())
                        {
                            diags.push(Diagnostic::warning(
                                "features-bad-applicationmap",
                                v.span.clone(),
                                format!("applicationmap '{}': '{}' is not self/peer/caller/callee/both; Asterisk skips it", v.name, parts[1]),
                            ));
                        }
                        let (app, mut args) = match parts[2].split_once('(') {
                            Some((a, rest)) => {
                                (a.trim().to_string(), rest.trim_end_matches(')').to_string())
                            }
                            None => (parts[2].to_string(), String::new()),
                        };
                        if let Some(a) = parts.get(3) {
                            if args.is_empty() {
                                args = a.to_string();
                            }
                        }
                        out.applicationmap.push(AppFeature {
                            name: v.name.clone(),
                            dtmf: parts[0].to_string(),
                            activated_by,
                            app,
                            args,
                            moh_class: parts.get(4).map(|s| s.to_string()).unwrap_or_default(),
                            span: v.span.clone(),
                        });
                    }
                }
                _ => out.groups.push((
                    Spanned::new(cat.name.clone(), cat.span.clone()),
                    cat.vars.clone(),
                )),
            }
        }
        out.diagnostics = diags;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::values::test_util::conf;

    #[test]
    fn general_featuremap_applicationmap() {
        let text = "[general]\nfeaturedigittimeout=abc\ntransferdigittimeout=5\nbogus=1\n[featuremap]\natxfer=*2\nblindxfer=##\nfly=*9\n[applicationmap]\ntestfeature => #9,peer,Playback,tt-monkeys\nbad => #8\n[group1]\ntestfeature => #9\n";
        let f = FeaturesConf::from_conf(&conf("features.conf", text));
        assert!(f.general.featuredigittimeout.is_none());
        assert!(f
            .diagnostics
            .iter()
            .any(|d| d.rule == "features-bad-value" && d.span.line == 2));
        assert_eq!(f.general.transferdigittimeout.as_ref().unwrap().value, 5);
        assert!(f
            .diagnostics
            .iter()
            .any(|d| d.rule == "features-unknown-option" && d.span.line == 4));
        assert!(f
            .diagnostics
            .iter()
            .any(|d| d.rule == "features-unknown-option" && d.span.line == 8));
        assert_eq!(f.feature_code("atxfer").as_deref(), Some("*2"));
        assert_eq!(f.feature_code("blindxfer").as_deref(), Some("##"));
        assert_eq!(f.feature_code("disconnect").as_deref(), Some("*"));
        assert_eq!(f.feature_code("automon"), None);
        assert_eq!(f.applicationmap.len(), 1);
        let a = &f.applicationmap[0];
        assert_eq!(
            (
                a.dtmf.as_str(),
                a.activated_by.as_str(),
                a.app.as_str(),
                a.args.as_str()
            ),
            ("#9", "peer", "Playback", "tt-monkeys")
        );
        assert!(f
            .diagnostics
            .iter()
            .any(|d| d.rule == "features-bad-applicationmap" && d.span.line == 11));
        assert_eq!(f.groups.len(), 1);
        assert_eq!(f.general.pickupexten(), "*8");
    }
}
