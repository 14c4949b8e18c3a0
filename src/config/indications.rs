//! indications.conf (main/indications.c): `[general] country=` names the default tone zone;
//! every other section is a zone. In a zone, `description` and `ringcadence` (a list of ms)
//! are kept apart and every other line is a tone (`dial`, `busy`, `ring`, `congestion`,
//! `callwaiting`, `dialrecall`, `record`, `info`, `stutter`, or any name, usable by
//! Playtones). A zone without a description or without tones is not registered. When
//! `country=` is missing or names no zone, the first zone registered is the default. A later
//! line for the same tone replaces the earlier one.
//!
//! With no indications.conf, Asterisk has no zones at all; zvezda instead uses a built-in `us`
//! zone ([`IndicationsConf::builtin`]) so Playtones(ring) and the ringback of a call still work.
//! The ring-back tone is the `ring` entry.

use super::{ConfFile, Spanned, Variable};
use crate::diag::{Diagnostic, Span};
use crate::media::tones::parse_tone_list;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct ToneZone {
    pub name: Spanned<String>,
    pub description: Option<Spanned<String>>,
    pub ringcadence: Vec<u32>,
    /// Tones by name, in file order (a repeated name keeps its last value only).
    pub tones: Vec<(Spanned<String>, Spanned<String>)>,
}

impl ToneZone {
    /// The tone list called `name` (case-insensitive).
    pub fn tone(&self, name: &str) -> Option<&Spanned<String>> {
        self.tones
            .iter()
            .find(|(n, _)| n.value.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// The ring-back tone (indications.conf calls it `ring`).
    pub fn ringback(&self) -> Option<&Spanned<String>> {
        self.tone("ring")
    }

    /// Whether Asterisk registers the zone: it needs a description and a tone.
    pub fn is_valid(&self) -> bool {
        self.description
            .as_ref()
            .map(|d| !d.value.is_empty())
            .unwrap_or(false)
            && !self.tones.is_empty()
    }
}

#[derive(Debug, Clone, Default)]
pub struct IndicationsConf {
    pub country: Option<Spanned<String>>,
    pub zones: Vec<ToneZone>,
    pub general: Vec<Variable>,
    pub unknown: Vec<Variable>,
    pub diagnostics: Vec<Diagnostic>,
}

const BUILTIN_US: &[(&str, &str)] = &[
    ("dial", "350+440"),
    ("busy", "480+620/500,0/500"),
    ("ring", "440+480/2000,0/4000"),
    ("congestion", "480+620/250,0/250"),
    ("callwaiting", "440/300,0/10000"),
    (
        "dialrecall",
        "!350+440/100,!0/100,!350+440/100,!0/100,!350+440/100,!0/100,350+440",
    ),
    ("record", "1400/500,0/15000"),
    ("info", "!950/330,!1400/330,!1800/330,0"),
];

impl IndicationsConf {
    /// zvezda's zones when there is no indications.conf: `us` only.
    pub fn builtin() -> Self {
        let span = Span::new(Arc::new(PathBuf::from("<built-in>")), 0);
        let s = |v: &str| Spanned::new(v.to_string(), span.clone());
        IndicationsConf {
            country: Some(s("us")),
            zones: vec![ToneZone {
                name: s("us"),
                description: Some(s("United States / North America")),
                ringcadence: vec![2000, 4000],
                tones: BUILTIN_US.iter().map(|(n, v)| (s(n), s(v))).collect(),
            }],
            ..Default::default()
        }
    }

    /// The registered (valid) zone called `name`; the last section of that name counts.
    pub fn zone(&self, name: &str) -> Option<&ToneZone> {
        self.zones
            .iter()
            .rev()
            .find(|z| z.name.value.eq_ignore_ascii_case(name) && z.is_valid())
    }

    /// The default zone: `country=` when it names a zone, else the first valid zone.
    pub fn default_zone(&self) -> Option<&ToneZone> {
        self.country
            .as_ref()
            .and_then(|c| self.zone(&c.value))
            .or_else(|| self.zones.iter().find(|z| z.is_valid()))
    }

    /// The tone `name` of zone `zone` (a channel's `tonezone=`), falling back to the default
    /// zone when that zone does not exist, as ast_get_indication_zone does.
    pub fn tone(&self, zone: Option<&str>, name: &str) -> Option<&str> {
        let z = zone
            .and_then(|z| self.zone(z))
            .or_else(|| self.default_zone())?;
        z.tone(name).map(|v| v.value.as_str())
    }

    /// What Playtones(`arg`) plays: the zone's tone called `arg`, or `arg` itself as a tone
    /// list (app_playtones).
    pub fn playtones_arg<'a>(&'a self, zone: Option<&str>, arg: &'a str) -> &'a str {
        self.tone(zone, arg.trim()).unwrap_or(arg)
    }

    pub fn from_conf(conf: &ConfFile) -> Self {
        let mut out = IndicationsConf::default();
        let mut d = Vec::new();
        for cat in conf.sections() {
            if cat.name.eq_ignore_ascii_case("general") {
                for v in &cat.vars {
                    out.general.push(v.clone());
                    if v.name.eq_ignore_ascii_case("country") {
                        // ast_variable_retrieve: the first line counts.
                        if out.country.is_none() {
                            out.country =
                                Some(Spanned::new(v.value.trim().to_string(), v.span.clone()));
                        }
                    } else {
                        super::values::report_unknown(
                            "indications-unknown-option",
                            "indications.conf",
                            &cat.name,
                            v,
                            false,
                            &mut d,
                            &mut out.unknown,
                        );
                    }
                }
                continue;
            }
            let mut z = ToneZone {
                name: Spanned::new(cat.name.clone(), cat.span.clone()),
                description: None,
                ringcadence: Vec::new(),
                tones: Vec::new(),
            };
            for v in &cat.vars {
                match v.name.to_ascii_lowercase().as_str() {
                    "description" => {
                        z.description = Some(Spanned::new(v.value.clone(), v.span.clone()))
                    }
                    "ringcadence" => {
                        for part in v.value.split(',') {
                            let p = part.trim();
                            match p.parse::<u32>() {
                                Ok(n) => z.ringcadence.push(n),
                                Err(_) => d.push(Diagnostic::warning(
                                    "indications-bad-value",
                                    v.span.clone(),
                                    format!(
                                        "ringcadence part '{p}' is not a number; Asterisk skips it"
                                    ),
                                )),
                            }
                        }
                    }
                    _ => {
                        let list = parse_tone_list(&v.value);
                        for bad in &list.bad_parts {
                            d.push(Diagnostic::warning(
                                "indications-bad-tone",
                                v.span.clone(),
                                format!(
                                    "tone part '{bad}' of '{}' does not parse; Asterisk skips it",
                                    v.name
                                ),
                            ));
                        }
                        if list.parts.is_empty() {
                            d.push(Diagnostic::warning(
                                "indications-bad-tone",
                                v.span.clone(),
                                format!(
                                    "tone '{}' has no valid part; Asterisk cannot play it",
                                    v.name
                                ),
                            ));
                        }
                        let name = Spanned::new(v.name.clone(), v.span.clone());
                        let value = Spanned::new(v.value.clone(), v.span.clone());
                        match z
                            .tones
                            .iter_mut()
                            .find(|(n, _)| n.value.eq_ignore_ascii_case(&v.name))
                        {
                            Some(slot) => *slot = (name, value),
                            None => z.tones.push((name, value)),
                        }
                    }
                }
            }
            if !z.is_valid() {
                d.push(Diagnostic::warning(
                    "indications-invalid-zone",
                    cat.span.clone(),
                    format!(
                        "zone [{}] needs a description and at least one tone; Asterisk does not register it",
                        cat.name
                    ),
                ));
            }
            out.zones.push(z);
        }
        match &out.country {
            Some(c) if out.zone(&c.value).is_none() => d.push(Diagnostic::warning(
                "indications-unknown-country",
                c.span.clone(),
                format!(
                    "country={} names no zone; Asterisk uses the first zone ({})",
                    c.value,
                    out.default_zone()
                        .map(|z| z.name.value.as_str())
                        .unwrap_or("none")
                ),
            )),
            None if !out.zones.is_empty() => {
                if let Some(z) = out.zones.first() {
                    d.push(Diagnostic::info(
                        "indications-no-country",
                        z.name.span.clone(),
                        "no country= in [general]; Asterisk uses the first zone",
                    ));
                }
            }
            _ => {}
        }
        out.diagnostics = d;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::values::test_util::conf;

    #[test]
    fn zones_and_default() {
        let text = "[general]\ncountry=ru\nfoo=1\n\n[us]\ndescription=US\nringcadence=2000,4000\nring=440+480/2000,0/4000\nbusy=480+620/500,0/500\n\n[ru]\ndescription = Russia\nring = 425/1000,0/4000\nbusy = 425/350,0/350\nbusy = 425/300,0/300\nodd = 425/x,nonsense\n\n[broken]\nbusy=1/1\n";
        let c = IndicationsConf::from_conf(&conf("indications.conf", text));
        assert_eq!(c.country.as_ref().unwrap().value, "ru");
        assert_eq!(c.default_zone().unwrap().name.value, "ru");
        assert_eq!(c.tone(None, "ring"), Some("425/1000,0/4000"));
        // The later line for a tone wins.
        assert_eq!(c.tone(None, "busy"), Some("425/300,0/300"));
        assert_eq!(c.tone(Some("us"), "busy"), Some("480+620/500,0/500"));
        assert_eq!(c.zone("us").unwrap().ringcadence, vec![2000, 4000]);
        // An unknown zone falls back to the default.
        assert_eq!(c.tone(Some("xx"), "ring"), Some("425/1000,0/4000"));
        assert!(c.zone("broken").is_none());
        let rules: Vec<(&str, u32)> = c
            .diagnostics
            .iter()
            .map(|d| (d.rule, d.span.line))
            .collect();
        assert!(
            rules.contains(&("indications-unknown-option", 3)),
            "{rules:?}"
        );
        assert!(rules.contains(&("indications-bad-tone", 16)), "{rules:?}");
        assert!(
            rules.contains(&("indications-invalid-zone", 18)),
            "{rules:?}"
        );
    }

    #[test]
    fn unknown_country_uses_first_zone() {
        let c = IndicationsConf::from_conf(&conf(
            "indications.conf",
            "[general]\ncountry=zz\n[de]\ndescription=Germany\nbusy=425/480,0/480\n",
        ));
        assert_eq!(c.default_zone().unwrap().name.value, "de");
        assert!(c
            .diagnostics
            .iter()
            .any(|d| d.rule == "indications-unknown-country" && d.span.line == 2));
    }

    #[test]
    fn builtin_us() {
        let c = IndicationsConf::builtin();
        let z = c.default_zone().unwrap();
        assert_eq!(z.name.value, "us");
        for t in ["dial", "busy", "ring", "congestion"] {
            let list = parse_tone_list(z.tone(t).unwrap());
            assert!(!list.parts.is_empty() && list.bad_parts.is_empty(), "{t}");
        }
        assert_eq!(c.tone(Some("ru"), "busy"), Some("480+620/500,0/500"));
        assert_eq!(z.ringback().unwrap().value, "440+480/2000,0/4000");
        assert_eq!(c.playtones_arg(None, "busy"), "480+620/500,0/500");
        assert_eq!(c.playtones_arg(None, "!425/50"), "!425/50");
    }
}
