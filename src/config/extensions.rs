//! extensions.conf (stub being written).
use super::res_parking::ParkingLot;
use super::ConfFile;
use crate::diag::Diagnostic;
#[derive(Debug, Default)]
pub struct Dialplan { pub diagnostics: Vec<Diagnostic> }
impl Dialplan { pub fn from_conf(_c: &ConfFile, _p: &[ParkingLot]) -> Self { Dialplan::default() } }
