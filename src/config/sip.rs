//! sip.conf (chan_sip): general settings, peers/users/friends, `register =>` lines (stub).

use super::ConfFile;
use crate::diag::Diagnostic;

#[derive(Debug, Default, Clone)]
pub struct SipConf {
    pub diagnostics: Vec<Diagnostic>,
}

impl SipConf {
    pub fn from_conf(_conf: &ConfFile) -> Self {
        SipConf::default()
    }
}
