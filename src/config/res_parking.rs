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
    /// Seconds a call stays parked (0: forever).
    pub parkingtime: u32,
    pub comebacktoorigin: bool,
    pub comebackcontext: String,
    pub comebackdialtime: u32,
    pub courtesytone: String,
    /// Who hears the courtesy tone on retrieval: caller (the retriever), callee (the parked
    /// call), both, or nobody (empty).
    pub parkedplay: String,
    pub parkedmusicclass: String,
    /// `findslot=next`: the space after the last one used, instead of the first free one.
    pub findslot_next: bool,
    /// parkedcalltransfers / parkedcallreparking / parkedcallhangup / parkedcallrecording:
    /// caller, callee, both or no (the features a retriever or a called-back parker gets).
    pub parkedcalltransfers: String,
    pub parkedcallreparking: String,
    pub parkedcallhangup: String,
    pub parkedcallrecording: String,
}

impl Default for ParkingLot {
    fn default() -> Self {
        ParkingLot {
            name: "default".into(),
            context: "parkedcalls".into(),
            parkext: "700".into(),
            parkpos: (701, 720),
            parkingtime: 45,
            comebacktoorigin: true,
            comebackcontext: "parkedcallstimeout".into(),
            comebackdialtime: 30,
            courtesytone: String::new(),
            parkedplay: "caller".into(),
            parkedmusicclass: "default".into(),
            findslot_next: false,
            parkedcalltransfers: "no".into(),
            parkedcallreparking: "no".into(),
            parkedcallhangup: "no".into(),
            parkedcallrecording: "no".into(),
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
                        "parkingtime" => lot.parkingtime = v.value.trim().parse().unwrap_or(45),
                        "comebacktoorigin" => lot.comebacktoorigin = super::ast_true(&v.value),
                        "comebackcontext" => lot.comebackcontext = v.value.clone(),
                        "comebackdialtime" => {
                            lot.comebackdialtime = v.value.trim().parse().unwrap_or(30)
                        }
                        "courtesytone" => lot.courtesytone = v.value.clone(),
                        "parkedplay" => lot.parkedplay = v.value.to_ascii_lowercase(),
                        "parkedmusicclass" => lot.parkedmusicclass = v.value.clone(),
                        "findslot" => lot.findslot_next = v.value.eq_ignore_ascii_case("next"),
                        "parkedcalltransfers" => {
                            lot.parkedcalltransfers = v.value.to_ascii_lowercase()
                        }
                        "parkedcallreparking" => {
                            lot.parkedcallreparking = v.value.to_ascii_lowercase()
                        }
                        "parkedcallhangup" => lot.parkedcallhangup = v.value.to_ascii_lowercase(),
                        "parkedcallrecording" => {
                            lot.parkedcallrecording = v.value.to_ascii_lowercase()
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
