//! voicemail.conf (app_voicemail): `[general]`, `[zonemessages]`, the aliases context and
//! the mailbox contexts.
//!
//! app_voicemail reads `[general]` with `ast_variable_retrieve`, so the *first* line of an
//! option counts (a later duplicate is ignored). Every other section except `[zonemessages]`
//! and the `aliasescontext` is a mailbox context: each line `box => password,full name,email,
//! pager,options` defines a mailbox, `options` being `|`-separated `key=value` pairs (commas
//! do not separate options: everything after the fourth comma is one option string).

use super::values::{self, int_or_default, is_known, text};
use super::{ConfFile, Spanned, Variable};
use crate::diag::{Diagnostic, Span};

const FILE: &str = "voicemail.conf";

const GENERAL: &[&str] = &[
    "adsifdn",
    "adsisec",
    "adsiver",
    "aliasescontext",
    "attach",
    "attachextrecs",
    "attachfmt",
    "authpassword",
    "authuser",
    "backupdeleted",
    "callback",
    "charset",
    "cidinternalcontexts",
    "delete",
    "dialout",
    "directoryintro",
    "emailbody",
    "emaildateformat",
    "emailsubject",
    "envelope",
    "exitcontext",
    "expungeonhangup",
    "externnotify",
    "externpass",
    "externpasscheck",
    "externpassnotify",
    "forcegreetings",
    "forcename",
    "format",
    "forward_urgent_auto",
    "fromstring",
    "greetingfolder",
    "greetingsfolder",
    "imap_poll_logout",
    "imapclosetimeout",
    "imapflags",
    "imapfolder",
    "imapgreetings",
    "imapopentimeout",
    "imapparentfolder",
    "imappassword",
    "imapport",
    "imapreadtimeout",
    "imapserver",
    "imapuser",
    "imapvmshareid",
    "imapwritetimeout",
    "language",
    "leaveurgent",
    "listen-control-forward-key",
    "listen-control-pause-key",
    "listen-control-restart-key",
    "listen-control-reverse-key",
    "listen-control-stop-key",
    "locale",
    "mailcmd",
    "maxgreet",
    "maxlogins",
    "maxmessage",
    "maxmsg",
    "maxsecs",
    "maxsilence",
    "messagewrap",
    "minmessage",
    "minpassword",
    "minsecs",
    "moveheard",
    "nextaftercmd",
    "odbc_audio_on_disk",
    "odbcstorage",
    "odbctable",
    "operator",
    "pagerbody",
    "pagerdateformat",
    "pagerfromstring",
    "pagersubject",
    "password",
    "passwordlocation",
    "pbxskip",
    "pollfreq",
    "pollmailboxes",
    "review",
    "saycid",
    "sayduration",
    "saydurationm",
    "searchcontexts",
    "sendvoicemail",
    "serveremail",
    "silencethreshold",
    "skipms",
    "smdienable",
    "smdiport",
    "tempgreetwarn",
    "tps_queue_high",
    "tps_queue_low",
    "tz",
    "usedirectory",
    "userscontext",
    "volgain",
    "alias",
    "hidefromdir",
    "deletevoicemail",
    "emailtitle",
    "saydurationminfo",
];

const VM_PREFIXES: &[&str] = &["vm-"];

/// Per-mailbox options `apply_option` knows.
const MAILBOX_OPTIONS: &[&str] = &[
    "attach",
    "attachfmt",
    "attachextrecs",
    "serveremail",
    "fromstring",
    "emailbody",
    "emailsubject",
    "language",
    "tz",
    "locale",
    "imapuser",
    "imapserver",
    "imapport",
    "imapflags",
    "imappassword",
    "imapsecret",
    "imapfolder",
    "imapvmshareid",
    "delete",
    "deletevoicemail",
    "saycid",
    "sendvoicemail",
    "review",
    "leaveurgent",
    "tempgreetwarn",
    "messagewrap",
    "operator",
    "envelope",
    "moveheard",
    "sayduration",
    "saydurationm",
    "forcename",
    "forcegreetings",
    "callback",
    "dialout",
    "exitcontext",
    "minsecs",
    "maxmessage",
    "maxsecs",
    "maxmsg",
    "nextaftercmd",
    "backupdeleted",
    "volgain",
    "passwordlocation",
    "options",
    "rip",
    "pager",
    "email",
    "fullname",
    "context",
    "uniqueid",
    "alias",
    "hidefromdir",
];

/// `[general]`.
#[derive(Debug, Default, Clone)]
pub struct VoicemailGeneral {
    /// `format`: `|`-separated formats; the first is the one recorded (default wav).
    pub format: Option<Spanned<Vec<String>>>,
    pub serveremail: Option<Spanned<String>>,
    pub attach: Option<Spanned<bool>>,
    pub maxmsg: Option<Spanned<i64>>,
    pub maxsecs: Option<Spanned<i64>>,
    pub minsecs: Option<Spanned<i64>>,
    pub maxsilence: Option<Spanned<i64>>,
    pub silencethreshold: Option<Spanned<i64>>,
    pub maxlogins: Option<Spanned<i64>>,
    pub maxgreet: Option<Spanned<i64>>,
    pub userscontext: Option<Spanned<String>>,
    pub aliasescontext: Option<Spanned<String>>,
    pub searchcontexts: Option<Spanned<bool>>,
    pub mailcmd: Option<Spanned<String>>,
    pub externnotify: Option<Spanned<String>>,
    /// Every line of [general], in order.
    pub options: Vec<Variable>,
}

/// One `[zonemessages]` line: `name=timezone|format`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zone {
    pub name: String,
    pub timezone: String,
    pub format: String,
    pub span: Span,
}

/// One mailbox line: `number => password,name,email,pager,options`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    pub context: String,
    pub number: String,
    pub password: String,
    pub name: String,
    pub email: String,
    pub pager: String,
    /// `key=value` pairs from the options field, in order (keys lower-cased).
    pub options: Vec<(String, String)>,
    pub span: Span,
}

impl Mailbox {
    /// The last value of a per-mailbox option.
    pub fn option(&self, key: &str) -> Option<&str> {
        self.options
            .iter()
            .rev()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }
}

/// One alias line of the `aliasescontext`: `alias@ctx => box@ctx`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alias {
    pub alias: String,
    pub mailbox: String,
    pub span: Span,
}

#[derive(Debug, Default, Clone)]
pub struct VoicemailConf {
    pub general: VoicemailGeneral,
    pub zones: Vec<Zone>,
    pub mailboxes: Vec<Mailbox>,
    pub aliases: Vec<Alias>,
    pub unknown: Vec<Variable>,
    pub diagnostics: Vec<Diagnostic>,
}

impl VoicemailConf {
    /// The mailbox `number@context`.
    pub fn mailbox(&self, number: &str, context: &str) -> Option<&Mailbox> {
        self.mailboxes
            .iter()
            .find(|m| m.number == number && m.context.eq_ignore_ascii_case(context))
    }

    pub fn from_conf(conf: &ConfFile) -> Self {
        let mut out = VoicemailConf::default();
        let mut diags = Vec::new();
        let mut seen: Vec<String> = Vec::new();
        if let Some(g) = conf.section("general") {
            for v in &g.vars {
                out.general.options.push(v.clone());
                let lname = v.name.to_ascii_lowercase();
                if seen.contains(&lname) {
                    diags.push(Diagnostic::info(
                        "voicemail-duplicate-option",
                        v.span.clone(),
                        format!(
                            "'{}' is set again; app_voicemail uses the first one only",
                            v.name
                        ),
                    ));
                    continue;
                }
                seen.push(lname.clone());
                let gen = &mut out.general;
                let d = &mut diags;
                let r = "voicemail-bad-value";
                match lname.as_str() {
                    "format" => {
                        let f = v
                            .value
                            .split('|')
                            .map(|s| s.trim().to_string())
                            .filter(|s| !s.is_empty())
                            .collect();
                        gen.format = Some(Spanned::new(f, v.span.clone()));
                    }
                    "serveremail" => gen.serveremail = Some(text(v)),
                    "attach" => gen.attach = Some(values::boolean(v, r, d)),
                    "maxmsg" => gen.maxmsg = int_or_default(v, r, "100", d),
                    "maxsecs" | "maxmessage" => {
                        gen.maxsecs = int_or_default(v, r, "0 (no limit)", d)
                    }
                    "minsecs" | "minmessage" => gen.minsecs = int_or_default(v, r, "0", d),
                    "maxsilence" => gen.maxsilence = int_or_default(v, r, "0", d),
                    "silencethreshold" => gen.silencethreshold = int_or_default(v, r, "128", d),
                    "maxlogins" => gen.maxlogins = int_or_default(v, r, "3", d),
                    "maxgreet" => gen.maxgreet = int_or_default(v, r, "0", d),
                    "userscontext" => gen.userscontext = Some(text(v)),
                    "aliasescontext" => gen.aliasescontext = Some(text(v)),
                    "searchcontexts" => gen.searchcontexts = Some(values::boolean(v, r, d)),
                    "mailcmd" => gen.mailcmd = Some(text(v)),
                    "externnotify" => gen.externnotify = Some(text(v)),
                    n if is_known(GENERAL, VM_PREFIXES, n) => {}
                    _ => {
                        values::report_unknown(
                            "voicemail-unknown-option",
                            FILE,
                            &g.name,
                            v,
                            false,
                            d,
                            &mut out.unknown,
                        );
                    }
                }
            }
        }
        let aliases_ctx = out
            .general
            .aliasescontext
            .as_ref()
            .map(|a| a.value.clone())
            .unwrap_or_default();
        for cat in conf.sections() {
            let name = cat.name.as_str();
            if name.eq_ignore_ascii_case("general") {
                continue;
            }
            if name.eq_ignore_ascii_case("zonemessages") {
                for v in &cat.vars {
                    let (tz, fmt) = v.value.split_once('|').unwrap_or((v.value.as_str(), ""));
                    if fmt.is_empty() {
                        diags.push(Diagnostic::warning(
                            "voicemail-bad-zone",
                            v.span.clone(),
                            format!(
                                "zone '{}' needs timezone|format; app_voicemail ignores it",
                                v.name
                            ),
                        ));
                        continue;
                    }
                    out.zones.push(Zone {
                        name: v.name.clone(),
                        timezone: tz.trim().to_string(),
                        format: fmt.trim().to_string(),
                        span: v.span.clone(),
                    });
                }
                continue;
            }
            if !aliases_ctx.is_empty() && name.eq_ignore_ascii_case(&aliases_ctx) {
                for v in &cat.vars {
                    out.aliases.push(Alias {
                        alias: v.name.clone(),
                        mailbox: v.value.trim().to_string(),
                        span: v.span.clone(),
                    });
                }
                continue;
            }
            for v in &cat.vars {
                out.mailboxes.push(parse_mailbox(name, v, &mut diags));
            }
        }
        out.diagnostics = diags;
        out
    }
}

/// Parse one mailbox line as `append_mailbox` does.
pub fn parse_mailbox(context: &str, v: &Variable, diags: &mut Vec<Diagnostic>) -> Mailbox {
    let mut parts = v.value.splitn(5, ',');
    let mut next = || parts.next().unwrap_or("").to_string();
    let (password, name, email, pager, opts) = (next(), next(), next(), next(), next());
    if password.starts_with('*') {
        diags.push(Diagnostic::warning(
            "voicemail-bad-password",
            v.span.clone(),
            format!(
                "mailbox {} has an invalid password (starts with '*'); it must be reset",
                v.name
            ),
        ));
    }
    let mut options = Vec::new();
    for o in opts.split('|') {
        let o = o.trim();
        if o.is_empty() {
            continue;
        }
        let Some((k, val)) = o.split_once('=') else {
            diags.push(Diagnostic::warning(
                "voicemail-bad-option",
                v.span.clone(),
                format!(
                    "mailbox {} option '{}' has no '='; app_voicemail ignores it",
                    v.name, o
                ),
            ));
            continue;
        };
        let k = k.trim().to_ascii_lowercase();
        if val.contains(',') && val.contains('=') {
            diags.push(Diagnostic::warning(
                "voicemail-comma-options",
                v.span.clone(),
                format!(
                    "mailbox {}: options are separated by '|', not ','; app_voicemail reads '{}' as the value of '{}'",
                    v.name, val, k
                ),
            ));
        }
        if !is_known(MAILBOX_OPTIONS, &[], &k) {
            diags.push(Diagnostic::info(
                "voicemail-unknown-option",
                v.span.clone(),
                format!(
                    "unknown mailbox option '{}' for {}@{}; app_voicemail ignores it",
                    k, v.name, context
                ),
            ));
        }
        options.push((k, val.to_string()));
    }
    Mailbox {
        context: context.to_string(),
        number: v.name.clone(),
        password,
        name,
        email,
        pager,
        options,
        span: v.span.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::values::test_util::conf;

    #[test]
    fn general_mailboxes_zones_aliases() {
        let text = "[general]\nformat=wav49|gsm|wav\nmaxmsg=abc\nmaxsecs=180\nmaxsecs=60\nbogus=1\naliasescontext=myaliases\n[zonemessages]\neastern=America/New_York|'vm-received' Q 'digits/at' IMp\nbad=Europe/Paris\n[default]\n1234 => 4242,Example Mailbox,root@localhost\n4200 => 9855,Mark,m@x.net,pager@x.net,attach=no|tz=central|maxmsg=10\n4300 => 1,Ben,b@x,,attach=yes,saycid=yes\n[myaliases]\n1234@devices => 1234@default\n";
        let v = VoicemailConf::from_conf(&conf("voicemail.conf", text));
        assert_eq!(
            v.general.format.as_ref().unwrap().value,
            vec!["wav49", "gsm", "wav"]
        );
        assert!(v.general.maxmsg.is_none());
        assert!(v
            .diagnostics
            .iter()
            .any(|d| d.rule == "voicemail-bad-value" && d.span.line == 3));
        // The first maxsecs counts.
        assert_eq!(v.general.maxsecs.as_ref().unwrap().value, 180);
        assert!(v
            .diagnostics
            .iter()
            .any(|d| d.rule == "voicemail-duplicate-option" && d.span.line == 5));
        assert!(v
            .diagnostics
            .iter()
            .any(|d| d.rule == "voicemail-unknown-option" && d.span.line == 6));
        assert_eq!(v.zones.len(), 1);
        assert_eq!(v.zones[0].timezone, "America/New_York");
        assert!(v
            .diagnostics
            .iter()
            .any(|d| d.rule == "voicemail-bad-zone" && d.span.line == 10));
        assert_eq!(v.mailboxes.len(), 3);
        let m = v.mailbox("1234", "default").unwrap();
        assert_eq!(
            (m.password.as_str(), m.name.as_str(), m.email.as_str()),
            ("4242", "Example Mailbox", "root@localhost")
        );
        assert_eq!(m.span.line, 12);
        let m = v.mailbox("4200", "default").unwrap();
        assert_eq!(m.pager, "pager@x.net");
        assert_eq!(m.option("tz"), Some("central"));
        assert_eq!(m.option("maxmsg"), Some("10"));
        let m = v.mailbox("4300", "default").unwrap();
        assert_eq!(m.option("attach"), Some("yes,saycid=yes"));
        assert!(v
            .diagnostics
            .iter()
            .any(|d| d.rule == "voicemail-comma-options" && d.span.line == 14));
        assert_eq!(v.aliases.len(), 1);
        assert_eq!(v.aliases[0].mailbox, "1234@default");
    }
}
