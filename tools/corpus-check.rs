//! `corpus-check DIR [DIR...]`: load every file under the given folders the way zvezda would,
//! one file at a time, and report what the reader says about each.
//!
//! Each file goes through `conf::load(its folder, its name, ..)`; an `extensions.conf` also
//! through `Dialplan::from_conf`, a `sip.conf` through `SipConf::from_conf` (the name is taken
//! without a trailing `.sample`, and after the last `__` when a corpus has flattened a path such
//! as `etc/asterisk/sip.conf` into `etc__asterisk__sip.conf`).
//!
//! A panic in any of these is caught per file and reported loudly. The exit status is non-zero
//! when a file panicked, when a diagnostic about an existing file has no line number (line 0),
//! when a diagnostic names a file that does not exist, or when an existing file is reported
//! missing.

use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use zvezda::config::conf::{self, LoadOptions};
use zvezda::config::extensions::Dialplan;
use zvezda::config::sip::SipConf;
use zvezda::diag::{Diagnostic, Severity};

/// Which typed reader a file goes through besides the generic one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Extensions,
    Sip,
    Other,
}

fn kind_of(path: &Path) -> Kind {
    let name = path
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = name.strip_suffix(".sample").unwrap_or(&name);
    let name = name.rsplit("__").next().unwrap_or(name);
    match name {
        "extensions.conf" => Kind::Extensions,
        "sip.conf" => Kind::Sip,
        _ => Kind::Other,
    }
}

/// What loading one file produced.
struct Outcome {
    diagnostics: Vec<Diagnostic>,
    missing: bool,
}

fn load_one(path: &Path) -> Outcome {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let name = path
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let conf = conf::load(dir, &name, &LoadOptions::default());
    let mut diagnostics = conf.diagnostics.clone();
    match kind_of(path) {
        Kind::Extensions => diagnostics.extend(Dialplan::from_conf(&conf, &[]).diagnostics),
        Kind::Sip => diagnostics.extend(SipConf::from_conf(&conf).diagnostics),
        Kind::Other => {}
    }
    Outcome {
        diagnostics,
        missing: conf.missing,
    }
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "(panic payload is not a string)".to_string()
    }
}

/// Every regular file under `dir`, sorted, recursively (symlinks to files included).
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out)?;
        } else if p.is_file() {
            out.push(p);
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let dirs: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    if dirs.is_empty() {
        eprintln!("usage: corpus-check DIR [DIR...]");
        return ExitCode::from(2);
    }
    let mut files = Vec::new();
    for d in &dirs {
        if d.is_file() {
            files.push(d.clone());
        } else if let Err(e) = walk(d, &mut files) {
            eprintln!("corpus-check: cannot read {}: {e}", d.display());
            return ExitCode::from(2);
        }
    }

    // Keep the default hook (it prints where the panic happened), but say which file it was.
    let default_hook = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        eprintln!("!!! PANIC while loading a corpus file:");
        default_hook(info);
    }));

    let (mut clean, mut warned, mut errored, mut panics, mut broken) = (0, 0, 0, 0, 0);
    for f in &files {
        let outcome = match panic::catch_unwind(AssertUnwindSafe(|| load_one(f))) {
            Ok(o) => o,
            Err(p) => {
                panics += 1;
                println!(
                    "!!! PANIC {} ({:?}): {}",
                    f.display(),
                    kind_of(f),
                    panic_message(p.as_ref())
                );
                continue;
            }
        };
        let mut problems = Vec::new();
        if outcome.missing {
            problems.push("the file exists but the loader reports it missing".to_string());
        }
        for d in &outcome.diagnostics {
            let exists = d.span.file.exists();
            if !exists {
                problems.push(format!("diagnostic names a file that does not exist: {d}"));
            } else if d.span.line == 0 {
                problems.push(format!("diagnostic without a line number: {d}"));
            }
        }
        if !problems.is_empty() {
            broken += 1;
            for p in &problems {
                println!("!!! BAD {}: {p}", f.display());
            }
        }
        let count = |s: Severity| {
            outcome
                .diagnostics
                .iter()
                .filter(|d| d.severity == s)
                .count()
        };
        let (errors, warnings) = (count(Severity::Error), count(Severity::Warning));
        let worst = if errors > 0 {
            errored += 1;
            Some(Severity::Error)
        } else if warnings > 0 {
            warned += 1;
            Some(Severity::Warning)
        } else {
            clean += 1;
            None
        };
        // The first diagnostic of the worst severity.
        if let Some(first) =
            worst.and_then(|w| outcome.diagnostics.iter().find(|d| d.severity == w))
        {
            println!(
                "{}: {errors} error(s), {warnings} warning(s); first: {first}",
                f.display()
            );
        }
    }
    println!(
        "{} files: {clean} clean, {warned} with warnings, {errored} with errors, {panics} panics",
        files.len()
    );
    if broken > 0 {
        println!("{broken} files with diagnostics lacking a line or naming no real file");
    }
    if panics > 0 || broken > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
