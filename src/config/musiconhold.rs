//! musiconhold.conf (res_musiconhold): `[general]` (`cachertclasses`, `preferchannelclass`)
//! and one class per other section. A class's `mode` (required: Asterisk does not load a
//! class without one) is `files`, `playlist`,
//! `custom` (needs `application`), `quietmp3`, `mp3`, `mp3nb`, `quietmp3nb`, `httpmp3`;
//! `files`-style modes need `directory`. `sort` is `random`, `alpha` or `randstart`
//! (`random=yes` is the old spelling of `sort=random`). Unknown options are ignored by
//! Asterisk (reported here as info).

use super::values::{self, boolean, is_known, text};
use super::{ConfFile, Spanned, Variable};
use crate::diag::Diagnostic;

const FILE: &str = "musiconhold.conf";
const CLASS: &[&str] = &[
    "mode",
    "directory",
    "application",
    "digit",
    "announcement",
    "sort",
    "format",
    "kill_escalation_delay",
    "kill_method",
    "answeredonly",
    "loop_last",
    "random",
    "entry",
    "name",
    "preferchannelclass",
];
const GENERAL: &[&str] = &["cachertclasses", "preferchannelclass"];
const MODES: &[&str] = &[
    "files",
    "playlist",
    "custom",
    "quietmp3",
    "mp3",
    "mp3nb",
    "quietmp3nb",
    "httpmp3",
];

#[derive(Debug, Clone)]
pub struct MohClass {
    pub name: Spanned<String>,
    /// None when not written: Asterisk then refuses the class (there is no default mode).
    pub mode: Option<Spanned<String>>,
    pub directory: Option<Spanned<String>>,
    pub application: Option<Spanned<String>>,
    pub sort: Option<Spanned<String>>,
    /// `random=` (deprecated for `sort=random`).
    pub random: Option<Spanned<bool>>,
    /// `entry =>` lines of a playlist class.
    pub entries: Vec<Spanned<String>>,
    pub options: Vec<Variable>,
}

impl MohClass {
    /// The mode, `files` when not written (for the other checks; Asterisk refuses the class).
    pub fn mode(&self) -> &str {
        self.mode
            .as_ref()
            .map(|m| m.value.as_str())
            .unwrap_or("files")
    }
}

#[derive(Debug, Clone, Default)]
pub struct MusicOnHoldConf {
    pub general: Vec<Variable>,
    pub classes: Vec<MohClass>,
    pub unknown: Vec<Variable>,
    pub diagnostics: Vec<Diagnostic>,
}

impl MusicOnHoldConf {
    pub fn class(&self, name: &str) -> Option<&MohClass> {
        self.classes
            .iter()
            .find(|c| c.name.value.eq_ignore_ascii_case(name))
    }

    pub fn from_conf(conf: &ConfFile) -> Self {
        let mut out = MusicOnHoldConf::default();
        let mut d = Vec::new();
        let r = "musiconhold-bad-value";
        for cat in conf.sections() {
            if cat.name.eq_ignore_ascii_case("general") {
                values::plain_section(
                    cat,
                    GENERAL,
                    "musiconhold-unknown-option",
                    FILE,
                    &mut out.general,
                    &mut d,
                    &mut out.unknown,
                );
                continue;
            }
            let mut c = MohClass {
                name: Spanned::new(cat.name.clone(), cat.span.clone()),
                mode: None,
                directory: None,
                application: None,
                sort: None,
                random: None,
                entries: Vec::new(),
                options: cat.vars.clone(),
            };
            for v in &cat.vars {
                match v.name.to_ascii_lowercase().as_str() {
                    "mode" => {
                        c.mode =
                            values::choice(v, MODES, r, "Asterisk does not load the class", &mut d);
                    }
                    "directory" => c.directory = Some(text(v)),
                    "application" => c.application = Some(text(v)),
                    "sort" => {
                        c.sort = values::choice(
                            v,
                            &["random", "alpha", "randstart"],
                            r,
                            "Asterisk plays files in directory order",
                            &mut d,
                        )
                    }
                    "random" => c.random = Some(boolean(v, r, &mut d)),
                    "entry" => c.entries.push(text(v)),
                    n if is_known(CLASS, &[], n) => {}
                    _ => {
                        values::report_unknown(
                            "musiconhold-unknown-option",
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
            let mode = c.mode().to_string();
            if c.mode.is_none() {
                // res_musiconhold has no default mode: "A mode must be specified for class".
                d.push(Diagnostic::warning(
                    "musiconhold-missing-mode",
                    cat.span.clone(),
                    format!(
                        "class [{}] has no mode=; Asterisk does not load it (write mode=files)",
                        cat.name
                    ),
                ));
            } else if mode == "custom" && c.application.is_none() {
                d.push(Diagnostic::warning(
                    "musiconhold-missing-application",
                    cat.span.clone(),
                    format!(
                        "class [{}] has mode=custom but no application=; Asterisk does not load it",
                        cat.name
                    ),
                ));
            } else if mode != "custom" && mode != "playlist" && c.directory.is_none() {
                d.push(Diagnostic::warning(
                    "musiconhold-missing-directory",
                    cat.span.clone(),
                    format!(
                        "class [{}] (mode {}) has no directory=; Asterisk does not load it",
                        cat.name, mode
                    ),
                ));
            }
            out.classes.push(c);
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
    fn classes() {
        let text = "[general]\ncachertclasses=yes\n[default]\nmode=files\ndirectory=moh\nsort=shuffle\n[cust]\nmode=custom\n[nodir]\nmode=files\nvolume=3\n[pl]\nmode=playlist\nentry=/x.wav\n";
        let m = MusicOnHoldConf::from_conf(&conf("musiconhold.conf", text));
        assert_eq!(m.classes.len(), 4);
        let c = m.class("default").unwrap();
        assert_eq!(c.directory.as_ref().unwrap().value, "moh");
        assert!(c.sort.is_none());
        assert!(m
            .diagnostics
            .iter()
            .any(|d| d.rule == "musiconhold-bad-value" && d.span.line == 6));
        assert!(m
            .diagnostics
            .iter()
            .any(|d| d.rule == "musiconhold-missing-application" && d.span.line == 7));
        assert!(m
            .diagnostics
            .iter()
            .any(|d| d.rule == "musiconhold-missing-directory" && d.span.line == 9));
        assert!(m
            .diagnostics
            .iter()
            .any(|d| d.rule == "musiconhold-unknown-option" && d.span.line == 11));
        assert_eq!(m.class("pl").unwrap().entries.len(), 1);
        let m = MusicOnHoldConf::from_conf(&conf("musiconhold.conf", "[x]\ndirectory=moh\n"));
        assert!(m
            .diagnostics
            .iter()
            .any(|d| d.rule == "musiconhold-missing-mode" && d.span.line == 1));
    }
}
