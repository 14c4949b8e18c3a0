//! res_parking.conf: parking lots. The default lot exists even without the file, as in
//! Asterisk: context `parkedcalls`, park extension 700, spaces 701-720.

use super::ConfFile;
use crate::diag::Diagnostic;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParkingLot {
    pub name: String,
    pub context: String,
    pub parkext: String,
    pub parkpos: (u32, u32),
}

impl Default for ParkingLot {
    fn default() -> Self {
        ParkingLot {
            name: "default".into(),
            context: "parkedcalls".into(),
            parkext: "700".into(),
            parkpos: (701, 720),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct ResParkingConf {
    pub lots: Vec<ParkingLot>,
    pub diagnostics: Vec<Diagnostic>,
}

impl ResParkingConf {
    pub fn from_conf(conf: Option<&ConfFile>) -> Self {
        let mut out = ResParkingConf::default();
        let mut default = ParkingLot::default();
        if let Some(conf) = conf {
            for cat in conf.sections() {
                if cat.name.eq_ignore_ascii_case("general") {
                    continue;
                }
                let mut lot = ParkingLot {
                    name: cat.name.clone(),
                    ..ParkingLot::default()
                };
                for v in &cat.vars {
                    match v.name.to_ascii_lowercase().as_str() {
                        "context" => lot.context = v.value.clone(),
                        "parkext" => lot.parkext = v.value.clone(),
                        "parkpos" => {
                            if let Some((a, b)) = v.value.split_once('-') {
                                if let (Ok(a), Ok(b)) = (a.trim().parse(), b.trim().parse()) {
                                    lot.parkpos = (a, b);
                                }
                            }
                        }
                        _ => {}
                    }
                }
                if lot.name == "default" {
                    default = lot;
                } else {
                    out.lots.push(lot);
                }
            }
        }
        out.lots.insert(0, default);
        out
    }
}
