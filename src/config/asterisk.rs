//! asterisk.conf: `[directories]` and `[options]` (main/asterisk.c, main/options.c).
//!
//! Asterisk reads `[directories]` first (each `ast*dir` replaces a compiled-in default) and
//! then `[options]`. Unknown options are ignored silently by Asterisk; here they are reported.

use super::values::{self, boolean, int_or_default, is_known, some_text};
use super::{ConfFile, Spanned, Variable};
use crate::diag::Diagnostic;

const FILE: &str = "asterisk.conf";

/// The directory options with the defaults of a Linux build with `--prefix=/usr` and
/// `--sysconfdir=/etc --localstatedir=/var` (what distribution packages use).
pub const DIRECTORY_DEFAULTS: &[(&str, &str)] = &[
    ("astetcdir", "/etc/asterisk"),
    ("astmoddir", "/usr/lib/asterisk/modules"),
    ("astvarlibdir", "/var/lib/asterisk"),
    ("astdbdir", "/var/lib/asterisk"),
    ("astkeydir", "/var/lib/asterisk"),
    ("astdatadir", "/var/lib/asterisk"),
    ("astagidir", "/var/lib/asterisk/agi-bin"),
    ("astspooldir", "/var/spool/asterisk"),
    ("astrundir", "/var/run/asterisk"),
    ("astlogdir", "/var/log/asterisk"),
    ("astsbindir", "/usr/sbin"),
    ("astcachedir", "/var/cache/asterisk"),
];

/// Options `ast_readconfig` knows in `[options]`.
const OPTIONS: &[&str] = &[
    "alwaysfork",
    "astctl",
    "astctlgroup",
    "astctlowner",
    "astctlpermissions",
    "autosystemname",
    "cache_media_frames",
    "cache_record_files",
    "channel_storage_backend",
    "console",
    "debug",
    "defaultlanguage",
    "disable_remote_console_shell",
    "documentation_language",
    "dontwarn",
    "dumpcore",
    "entityid",
    "execincludes",
    "forceblackbackground",
    "hide_messaging_ami_events",
    "hideconnect",
    "highpriority",
    "initcrypto",
    "languageprefix",
    "lightbackground",
    "live_dangerously",
    "lockconfdir",
    "lockmode",
    "maxcalls",
    "maxfiles",
    "maxload",
    "mindtmfduration",
    "minmemfree",
    "nocolor",
    "nofork",
    "quiet",
    "record_cache_dir",
    "refdebug",
    "rtp_pt_dynamic",
    "rtp_use_dynamic",
    "rungroup",
    "runuser",
    "sounds_search_custom_dir",
    "stdexten",
    "systemname",
    "timestamp",
    "trace",
    "transcode_via_sln",
    "transmit_silence",
    "transmit_silence_during_record",
    "verbose",
    "sendfullybooted",
    "internal_timing",
    "userbase",
    "sounds_search_custom",
    "astcachedir",
];

/// One `ast*dir` setting: what was written, or Asterisk's default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directory {
    pub name: &'static str,
    pub value: String,
    /// The line that set it; None for the default.
    pub written: Option<Spanned<String>>,
}

#[derive(Debug, Default, Clone)]
pub struct AsteriskConf {
    /// `astetcdir` as written (None = /etc/asterisk).
    pub astetcdir: Option<Spanned<String>>,
    /// Every directory of [`DIRECTORY_DEFAULTS`], in that order, with its effective value.
    pub directories: Vec<Directory>,
    pub execincludes: bool,
    pub verbose: Option<Spanned<i64>>,
    pub debug: Option<Spanned<i64>>,
    /// `languageprefix`: sound files are looked up as `<lang>/file` (default yes).
    pub languageprefix: Option<Spanned<bool>>,
    pub maxcalls: Option<Spanned<i64>>,
    pub maxload: Option<Spanned<f64>>,
    pub runuser: Option<Spanned<String>>,
    pub rungroup: Option<Spanned<String>>,
    pub defaultlanguage: Option<Spanned<String>>,
    pub systemname: Option<Spanned<String>>,
    pub transmit_silence: Option<Spanned<bool>>,
    /// Every `[options]` line, in order.
    pub options: Vec<Variable>,
    pub unknown: Vec<Variable>,
    pub diagnostics: Vec<Diagnostic>,
}

impl AsteriskConf {
    /// The effective value of an `ast*dir` option.
    pub fn dir(&self, name: &str) -> Option<&str> {
        self.directories
            .iter()
            .find(|d| d.name == name)
            .map(|d| d.value.as_str())
    }

    /// `defaultlanguage`, `en` by default.
    pub fn default_language(&self) -> &str {
        self.defaultlanguage
            .as_ref()
            .map(|l| l.value.as_str())
            .unwrap_or("en")
    }

    pub fn from_conf(conf: &ConfFile) -> Self {
        let mut a = AsteriskConf::default();
        let mut diags = Vec::new();
        let dir_section = conf.section("directories");
        for (name, default) in DIRECTORY_DEFAULTS {
            let written = dir_section.and_then(|d| d.get(name)).map(values::text);
            let value = written
                .as_ref()
                .map(|w| w.value.clone())
                .unwrap_or_else(|| default.to_string());
            a.directories.push(Directory {
                name,
                value,
                written,
            });
        }
        if let Some(d) = dir_section {
            a.astetcdir = d.get("astetcdir").map(values::text);
            for v in &d.vars {
                if !DIRECTORY_DEFAULTS
                    .iter()
                    .any(|(n, _)| n.eq_ignore_ascii_case(&v.name))
                {
                    diags.push(values::unknown(
                        "asterisk-unknown-option",
                        FILE,
                        &d.name,
                        v,
                        false,
                    ));
                }
            }
        }
        for o in conf
            .sections()
            .filter(|c| c.name.eq_ignore_ascii_case("options"))
        {
            for v in &o.vars {
                a.options.push(v.clone());
                let d = &mut diags;
                let r = "asterisk-bad-value";
                match v.name.to_ascii_lowercase().as_str() {
                    "execincludes" => a.execincludes = boolean(v, r, d).value,
                    "verbose" => a.verbose = int_or_default(v, r, "0", d),
                    "debug" => a.debug = int_or_default(v, r, "0", d),
                    "languageprefix" => a.languageprefix = Some(boolean(v, r, d)),
                    "maxcalls" => a.maxcalls = int_or_default(v, r, "no limit", d),
                    "maxload" => match v.value.trim().parse::<f64>() {
                        Ok(f) => a.maxload = Some(Spanned::new(f, v.span.clone())),
                        Err(_) => d.push(Diagnostic::warning(
                            r,
                            v.span.clone(),
                            format!(
                                "maxload needs a number, not '{}'; Asterisk sets no load limit",
                                v.value
                            ),
                        )),
                    },
                    "runuser" => a.runuser = some_text(v),
                    "rungroup" => a.rungroup = some_text(v),
                    "defaultlanguage" => a.defaultlanguage = some_text(v),
                    "systemname" => a.systemname = some_text(v),
                    "transmit_silence" => a.transmit_silence = Some(boolean(v, r, d)),
                    n if is_known(OPTIONS, &[], n) => {}
                    _ => {
                        values::report_unknown(
                            "asterisk-unknown-option",
                            FILE,
                            &o.name,
                            v,
                            false,
                            d,
                            &mut a.unknown,
                        );
                    }
                }
            }
        }
        a.diagnostics = diags;
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::values::test_util::conf;

    #[test]
    fn directories_defaults_and_options() {
        let c = conf(
            "asterisk.conf",
            "[directories](!)\nastetcdir => /opt/etc\nastlogdir => /tmp/log\n[options]\nverbose = 3\nexecincludes = yes\nmaxload = lots\nrunuser = asterisk\nfrobnicate = 1\n",
        );
        let a = AsteriskConf::from_conf(&c);
        // `[directories](!)` (as in the sample) is a template: Asterisk does not see it.
        assert!(a.astetcdir.is_none());
        assert_eq!(a.dir("astetcdir"), Some("/etc/asterisk"));
        assert_eq!(a.dir("astspooldir"), Some("/var/spool/asterisk"));
        assert_eq!(a.verbose.as_ref().unwrap().value, 3);
        assert!(a.execincludes);
        assert!(a.maxload.is_none());
        assert!(a
            .diagnostics
            .iter()
            .any(|d| d.rule == "asterisk-bad-value" && d.span.line == 7));
        assert_eq!(a.runuser.as_ref().unwrap().value, "asterisk");
        assert_eq!(a.unknown.len(), 1);
        assert!(a
            .diagnostics
            .iter()
            .any(|d| d.rule == "asterisk-unknown-option" && d.span.line == 9));

        let a = AsteriskConf::from_conf(&conf(
            "asterisk.conf",
            "[directories]\nastetcdir => /opt/etc\n",
        ));
        assert_eq!(a.astetcdir.as_ref().unwrap().value, "/opt/etc");
        assert_eq!(a.astetcdir.as_ref().unwrap().span.line, 2);
        assert_eq!(a.dir("astetcdir"), Some("/opt/etc"));
        assert_eq!(a.dir("astlogdir"), Some("/var/log/asterisk"));
        assert!(!a.execincludes);
        assert_eq!(a.default_language(), "en");
    }
}
