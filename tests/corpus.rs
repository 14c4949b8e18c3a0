//! The corpus in tests/fixtures/corpus (Asterisk 20 samples and real configs, see SOURCES.tsv):
//! every file loads on its own without a panic, every diagnostic points at a real file and line,
//! and a few files say exactly what they should.

use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use zvezda::config::conf::{self, ConfFile, LoadOptions};
use zvezda::config::extensions::Dialplan;
use zvezda::config::sip::SipConf;
use zvezda::diag::{Diagnostic, Severity};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus")
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else if p.is_file() {
            out.push(p);
        }
    }
}

/// What the file is for zvezda: its name without `.sample`, after the last `__` of a
/// flattened path.
fn base_name(path: &Path) -> String {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let name = name.strip_suffix(".sample").unwrap_or(&name);
    name.rsplit("__").next().unwrap_or(name).to_string()
}

struct Loaded {
    conf: ConfFile,
    dialplan: Option<Dialplan>,
    sip: Option<SipConf>,
}

impl Loaded {
    fn diagnostics(&self) -> Vec<&Diagnostic> {
        let mut all: Vec<&Diagnostic> = self.conf.diagnostics.iter().collect();
        if let Some(dp) = &self.dialplan {
            all.extend(&dp.diagnostics);
        }
        if let Some(s) = &self.sip {
            all.extend(&s.diagnostics);
        }
        all
    }
}

/// The per-file load `corpus-check` does.
fn load(path: &Path) -> Loaded {
    let conf = conf::load(
        path.parent().unwrap(),
        &path.file_name().unwrap().to_string_lossy(),
        &LoadOptions::default(),
    );
    let base = base_name(path);
    let dialplan = (base == "extensions.conf").then(|| Dialplan::from_conf(&conf, &[]));
    let sip = (base == "sip.conf").then(|| SipConf::from_conf(&conf));
    Loaded {
        conf,
        dialplan,
        sip,
    }
}

fn load_rel(rel: &str) -> Loaded {
    let p = corpus().join(rel);
    assert!(p.is_file(), "fixture {rel} is missing");
    load(&p)
}

fn has(l: &Loaded, rule: &str, line: u32) -> bool {
    l.diagnostics()
        .iter()
        .any(|d| d.rule == rule && d.span.line == line)
}

#[test]
fn every_file_loads_without_panic_and_diagnostics_have_places() {
    let mut files = Vec::new();
    walk(&corpus(), &mut files);
    assert!(files.len() >= 25, "only {} fixture files", files.len());
    let mut problems = Vec::new();
    for f in &files {
        let loaded = match panic::catch_unwind(AssertUnwindSafe(|| load(f))) {
            Ok(l) => l,
            Err(_) => {
                problems.push(format!("{}: PANIC", f.display()));
                continue;
            }
        };
        if loaded.conf.missing {
            problems.push(format!("{}: reported missing", f.display()));
        }
        assert_eq!(loaded.conf.files.first(), Some(f));
        for d in loaded.diagnostics() {
            if d.span.line == 0 {
                problems.push(format!("{}: no line: {d}", f.display()));
            }
            if !d.span.file.is_file() {
                problems.push(format!("{}: no such file: {d}", f.display()));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn extensions_sample_builds_many_contexts() {
    let l = load_rel("asterisk-samples/extensions.conf.sample");
    assert!(!l.conf.invalid);
    assert!(!l.conf.has_errors(), "{:?}", l.conf.diagnostics);
    let dp = l.dialplan.unwrap();
    assert!(!dp.not_loaded);
    assert!(dp.contexts.len() >= 20, "{} contexts", dp.contexts.len());
    let demo = dp.context("demo").expect("[demo] context");
    assert!(demo.extensions.len() >= 5);
    assert!(dp.context("default").is_some());
}

#[test]
fn sip_sample_and_real_sip_conf_yield_peers() {
    let l = load_rel("asterisk-samples/sip.conf.sample");
    assert!(!l.conf.invalid);
    assert!(l.conf.section("general").is_some());

    // A template and a peer built on it: the template is no peer, the peer inherits type=.
    let l = load_rel("real-configs/binarytemple__home_asterisk/sip.conf");
    let sip = l.sip.unwrap();
    let names: Vec<&str> = sip.peers.iter().map(|p| p.name.value.as_str()).collect();
    assert!(names.contains(&"bryan"), "{names:?}");
    assert!(!names.contains(&"provider"), "{names:?}");
    let bryan = sip.peers.iter().find(|p| *p.name == "bryan").unwrap();
    assert_eq!(bryan.name.span.line, 23);
    let cat = l.conf.section("bryan").unwrap();
    assert_eq!(cat.bases, vec!["provider"]);
    assert!(cat.vars.iter().any(|v| v.inherited));
}

#[test]
fn bad_lines_are_reported_at_their_line() {
    // `[default](+)` with no [default] above it.
    let l = load_rel("real-configs/boffart__MyPMX_U/extensions_custom.conf");
    assert!(has(&l, "conf-append-missing", 81));
    assert!(l.conf.invalid);
    // `same,n,Answer()`: a line with no '='.
    let l = load_rel("real-configs/xavier-joaobx__asterisk/extensions.conf");
    assert!(has(&l, "conf-no-equals", 145));
    // A duplicate priority in the dialplan.
    let l = load_rel("real-configs/KOPACb__asterisk_templates/extensions.conf");
    assert!(has(&l, "dp-duplicate-priority", 55));
    // `#exec` is never run.
    let l =
        load_rel("real-configs/sboily__wazo-confgend-driver-followme/etc__asterisk__followme.conf");
    assert!(has(&l, "conf-exec", 2));
}

#[test]
fn odd_encodings_and_comments() {
    // Latin-1 bytes from line 71 on; the file still loads.
    let l = load_rel("real-configs/andersonscorreia__Voip/sip.conf");
    assert!(has(&l, "conf-not-utf8", 71));
    assert!(!l.conf.invalid);
    assert!(!l.sip.unwrap().peers.is_empty());

    // CRLF line ends: no value keeps a '\r', lines count as with LF.
    for f in ["extensions.conf", "sip.conf"] {
        let raw = std::fs::read(
            corpus()
                .join("real-configs/OanaMT__DialPlanAsterisk-IP-PBX")
                .join(f),
        )
        .unwrap();
        assert!(raw.windows(2).any(|w| w == b"\r\n"), "{f} should be CRLF");
        let l = load_rel(&format!("real-configs/OanaMT__DialPlanAsterisk-IP-PBX/{f}"));
        assert!(
            l.diagnostics().iter().all(|d| d.severity == Severity::Info),
            "{:?}",
            l.diagnostics()
        );
        for c in &l.conf.categories {
            assert!(!c.name.contains('\r'));
            for v in &c.vars {
                assert!(!v.name.contains('\r') && !v.value.contains('\r'), "{v:?}");
            }
        }
    }
    let l = load_rel("real-configs/OanaMT__DialPlanAsterisk-IP-PBX/extensions.conf");
    assert!(!l.dialplan.unwrap().contexts.is_empty());

    // Every setting sits inside `;-- ... --;` block comments (lines 2-34, 36-76, 78-89),
    // section headers and templates included: Asterisk sees an empty file.
    let l = load_rel("real-configs/leifmadsen__atdg-configs/etc__asterisk__sip.conf");
    assert!(l.conf.categories.is_empty(), "{:?}", l.conf.categories);
    assert!(l.diagnostics().is_empty(), "{:?}", l.diagnostics());
    assert!(l.sip.unwrap().peers.is_empty());
}

#[test]
fn corpus_check_binary_passes_on_the_fixtures() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_corpus-check"))
        .arg(corpus())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "corpus-check failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = stdout.lines().last().unwrap();
    assert!(summary.ends_with(" 0 panics"), "{summary}");
    assert!(summary.contains(" files: "), "{summary}");
}
