//! zvezda: an Asterisk-compatible PBX. See docs/ARCHITECTURE.md for the layers.

pub mod apps;
pub mod astdb;
pub mod channel;
pub mod config;
pub mod console;
pub mod diag;
pub mod dialplan;
pub mod funcs;
pub mod lint;
pub mod logger;
pub mod media;
pub mod moh;
pub mod pbx;
pub mod sip;
