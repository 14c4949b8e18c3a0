//! zvezda: an Asterisk-compatible PBX. See docs/ARCHITECTURE.md for the layers.

pub mod config;
pub mod diag;
pub mod dialplan;
pub mod lint;
