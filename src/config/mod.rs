//! Typed configuration: one module per Asterisk config file, all built on [`conf`], the
//! generic reader. Every typed value keeps the [`Span`] (file:line) it came from, and every
//! option a module does not know is kept and reported, never silently dropped.

pub mod asterisk;
pub mod cdr;
pub mod conf;
pub mod confbridge;
pub mod extensions;
pub mod features;
pub mod followme;
pub mod indications;
pub mod logger;
pub mod musiconhold;
pub mod queues;
pub mod res_parking;
pub mod rtp;
pub mod sip;
pub mod values;
pub mod voicemail;

use crate::diag::{Diagnostic, Span};
pub use conf::{Category, ConfFile, LoadOptions, Variable};
use std::path::{Path, PathBuf};

/// A value with the place it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: Span) -> Self {
        Spanned { value, span }
    }
}

impl<T> std::ops::Deref for Spanned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

/// Asterisk's `ast_true`: yes, true, y, t, 1, on.
pub fn ast_true(s: &str) -> bool {
    matches!(
        s.trim().to_ascii_lowercase().as_str(),
        "yes" | "true" | "y" | "t" | "1" | "on"
    )
}

/// Asterisk's `ast_false`: no, false, n, f, 0, off.
pub fn ast_false(s: &str) -> bool {
    matches!(
        s.trim().to_ascii_lowercase().as_str(),
        "no" | "false" | "n" | "f" | "0" | "off"
    )
}

/// Every config file zvezda reads, as one set: what `zvezda check` and `zvezda lint` load.
#[derive(Debug, Default)]
pub struct ConfigSet {
    /// The folder the configs are in (asterisk.conf's `astetcdir`, or the folder given).
    pub dir: PathBuf,
    pub asterisk: asterisk::AsteriskConf,
    pub extensions: extensions::Dialplan,
    pub sip: sip::SipConf,
    pub res_parking: res_parking::ResParkingConf,
    /// The other typed files: None when the file is absent.
    pub voicemail: Option<voicemail::VoicemailConf>,
    pub confbridge: Option<confbridge::ConfbridgeConf>,
    pub features: Option<features::FeaturesConf>,
    pub musiconhold: Option<musiconhold::MusicOnHoldConf>,
    pub followme: Option<followme::FollowMeConf>,
    pub queues: Option<queues::QueuesConf>,
    pub rtp: Option<rtp::RtpConf>,
    pub indications: Option<indications::IndicationsConf>,
    pub cdr: Option<cdr::CdrConf>,
    pub logger: Option<logger::LoggerConf>,
    /// The raw files, by name (`sip.conf` ...), for rules that need the text.
    pub raw: Vec<ConfFile>,
    pub diagnostics: Vec<Diagnostic>,
}

impl ConfigSet {
    /// Load from a folder, or from an `asterisk.conf` path (whose `astetcdir` names the folder).
    pub fn load(path: &Path) -> ConfigSet {
        let (dir, asterisk_name) = if path.is_dir() {
            (path.to_path_buf(), "asterisk.conf".to_string())
        } else {
            let dir = path
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| PathBuf::from("."));
            let name = path
                .file_name()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            (dir, name)
        };
        let opts0 = LoadOptions::default();
        let ast_raw = conf::load(&dir, &asterisk_name, &opts0);
        let asterisk = asterisk::AsteriskConf::from_conf(&ast_raw);
        // A given asterisk.conf points at its etc folder; a bare folder is its own etc folder.
        let dir = if path.is_dir() {
            dir
        } else {
            asterisk
                .astetcdir
                .as_ref()
                .map(|d| PathBuf::from(&d.value))
                .filter(|d| d.is_dir())
                .unwrap_or(dir)
        };
        let opts = LoadOptions {
            exec_includes: asterisk.execincludes,
        };
        let mut set = ConfigSet {
            dir: dir.clone(),
            ..Default::default()
        };
        let mut diags = Vec::new();
        if !ast_raw.missing {
            diags.extend(ast_raw.diagnostics.iter().cloned());
            diags.extend(asterisk.diagnostics.iter().cloned());
        }
        set.asterisk = asterisk;
        if !ast_raw.missing {
            set.raw.push(ast_raw);
        }

        let ext_raw = conf::load(&dir, "extensions.conf", &opts);
        diags.extend(ext_raw.diagnostics.iter().cloned());
        let park_raw = conf::load(&dir, "res_parking.conf", &opts);
        set.res_parking =
            res_parking::ResParkingConf::from_conf((!park_raw.missing).then_some(&park_raw));
        set.extensions = extensions::Dialplan::from_conf(&ext_raw, &set.res_parking.lots);
        diags.extend(set.extensions.diagnostics.iter().cloned());
        if !ext_raw.missing {
            set.raw.push(ext_raw);
        }

        let sip_raw = conf::load(&dir, "sip.conf", &opts);
        diags.extend(sip_raw.diagnostics.iter().cloned());
        set.sip = sip::SipConf::from_conf(&sip_raw);
        diags.extend(set.sip.diagnostics.iter().cloned());
        if !sip_raw.missing {
            set.raw.push(sip_raw);
        }

        if !park_raw.missing {
            diags.extend(park_raw.diagnostics.iter().cloned());
            diags.extend(set.res_parking.diagnostics.iter().cloned());
            set.raw.push(park_raw);
        }
        set.voicemail = load_typed(
            &dir,
            "voicemail.conf",
            &opts,
            &mut set.raw,
            &mut diags,
            voicemail::VoicemailConf::from_conf,
            |c| &c.diagnostics,
        );
        set.confbridge = load_typed(
            &dir,
            "confbridge.conf",
            &opts,
            &mut set.raw,
            &mut diags,
            confbridge::ConfbridgeConf::from_conf,
            |c| &c.diagnostics,
        );
        set.features = load_typed(
            &dir,
            "features.conf",
            &opts,
            &mut set.raw,
            &mut diags,
            features::FeaturesConf::from_conf,
            |c| &c.diagnostics,
        );
        set.musiconhold = load_typed(
            &dir,
            "musiconhold.conf",
            &opts,
            &mut set.raw,
            &mut diags,
            musiconhold::MusicOnHoldConf::from_conf,
            |c| &c.diagnostics,
        );
        set.followme = load_typed(
            &dir,
            "followme.conf",
            &opts,
            &mut set.raw,
            &mut diags,
            followme::FollowMeConf::from_conf,
            |c| &c.diagnostics,
        );
        set.queues = load_typed(
            &dir,
            "queues.conf",
            &opts,
            &mut set.raw,
            &mut diags,
            queues::QueuesConf::from_conf,
            |c| &c.diagnostics,
        );
        set.rtp = load_typed(
            &dir,
            "rtp.conf",
            &opts,
            &mut set.raw,
            &mut diags,
            rtp::RtpConf::from_conf,
            |c| &c.diagnostics,
        );
        set.indications = load_typed(
            &dir,
            "indications.conf",
            &opts,
            &mut set.raw,
            &mut diags,
            indications::IndicationsConf::from_conf,
            |c| &c.diagnostics,
        );
        set.cdr = load_typed(
            &dir,
            "cdr.conf",
            &opts,
            &mut set.raw,
            &mut diags,
            cdr::CdrConf::from_conf,
            |c| &c.diagnostics,
        );
        set.logger = load_typed(
            &dir,
            "logger.conf",
            &opts,
            &mut set.raw,
            &mut diags,
            logger::LoggerConf::from_conf,
            |c| &c.diagnostics,
        );
        set.diagnostics = diags;
        set
    }

    /// indications.conf, or zvezda's built-in `us` zone when there is none.
    pub fn indications_or_builtin(&self) -> std::borrow::Cow<'_, indications::IndicationsConf> {
        match &self.indications {
            Some(i) => std::borrow::Cow::Borrowed(i),
            None => std::borrow::Cow::Owned(indications::IndicationsConf::builtin()),
        }
    }

    /// The raw file called `name`, if it was loaded.
    pub fn raw(&self, name: &str) -> Option<&ConfFile> {
        self.raw
            .iter()
            .find(|c| c.path.file_name().map(|f| f == name).unwrap_or(false))
    }
}

/// Load one optional file: None when it is absent; otherwise its raw form goes to `raw` and
/// the reader's and module's diagnostics to `diags`.
fn load_typed<T>(
    dir: &Path,
    name: &str,
    opts: &LoadOptions,
    raw: &mut Vec<ConfFile>,
    diags: &mut Vec<Diagnostic>,
    build: fn(&ConfFile) -> T,
    diagnostics: fn(&T) -> &Vec<Diagnostic>,
) -> Option<T> {
    let file = conf::load(dir, name, opts);
    if file.missing {
        return None;
    }
    diags.extend(file.diagnostics.iter().cloned());
    let typed = build(&file);
    diags.extend(diagnostics(&typed).iter().cloned());
    raw.push(file);
    Some(typed)
}
