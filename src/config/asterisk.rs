//! asterisk.conf: directories and options (stub; the typed-config work fills it in).

use super::{ConfFile, Spanned};
use crate::diag::Diagnostic;

#[derive(Debug, Default, Clone)]
pub struct AsteriskConf {
    pub astetcdir: Option<Spanned<String>>,
    pub execincludes: bool,
    pub diagnostics: Vec<Diagnostic>,
}

impl AsteriskConf {
    pub fn from_conf(conf: &ConfFile) -> Self {
        let mut a = AsteriskConf::default();
        if let Some(d) = conf.section("directories") {
            if let Some(v) = d.get("astetcdir") {
                a.astetcdir = Some(Spanned::new(v.value.clone(), v.span.clone()));
            }
        }
        if let Some(o) = conf.section("options") {
            if let Some(v) = o.get("execincludes") {
                a.execincludes = super::ast_true(&v.value);
            }
        }
        a
    }
}
