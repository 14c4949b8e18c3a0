//! The `zvezda` binary: Asterisk's own flags where they make sense, plus `check`, `lint` and
//! `dialplan show` subcommands.

use clap::{ArgAction, Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use zvezda::config::ConfigSet;
use zvezda::lint::{self, report};

#[derive(Parser, Debug)]
#[command(
    name = "zvezda",
    version,
    about = "An Asterisk-compatible PBX that reads chan_sip-era /etc/asterisk configs",
    disable_version_flag = true
)]
struct Cli {
    /// Use this asterisk.conf (its folder, or astetcdir, holds the other configs).
    #[arg(short = 'C', value_name = "FILE", global = true)]
    config: Option<PathBuf>,
    /// Console mode: a local console on stdin/stdout (implies -f).
    #[arg(short = 'c')]
    console: bool,
    /// Stay in the foreground.
    #[arg(short = 'f')]
    foreground: bool,
    /// No colour on the console.
    #[arg(short = 'n')]
    no_color: bool,
    /// More verbose output (repeat for more).
    #[arg(short = 'v', action = ArgAction::Count)]
    verbose: u8,
    /// Quiet mode.
    #[arg(short = 'q')]
    quiet: bool,
    /// Connect to a running zvezda's console.
    #[arg(short = 'r')]
    remote: bool,
    /// Like -r, reconnecting when the server restarts.
    #[arg(short = 'R')]
    reconnect: bool,
    /// Run one console command (with -r) and exit.
    #[arg(short = 'x', value_name = "COMMAND")]
    execute: Option<String>,
    /// Dump core on a crash (accepted for compatibility).
    #[arg(short = 'g')]
    core_dump: bool,
    /// Print the version and exit.
    #[arg(short = 'V')]
    version: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Load every config and exit non-zero if any has an error.
    Check {
        /// An asterisk.conf or a config folder (default: -C, else /etc/asterisk).
        path: Option<PathBuf>,
    },
    /// Report what will and will not work after the swap (exit 0 safe, 1 warnings, 2 errors).
    Lint {
        /// The config folder (or an asterisk.conf).
        path: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "text")]
        format: report::Format,
        /// Print the suggested fixes as a unified diff.
        #[arg(long)]
        diff: bool,
    },
    /// Dialplan commands.
    Dialplan {
        #[command(subcommand)]
        cmd: DialplanCmd,
    },
}

#[derive(Subcommand, Debug)]
enum DialplanCmd {
    /// Print the dialplan as Asterisk's `dialplan show [[exten@]context]` does.
    Show { target: Option<String> },
}

fn config_path(explicit: Option<PathBuf>, cli: &Cli) -> PathBuf {
    explicit
        .or_else(|| cli.config.clone())
        .unwrap_or_else(|| PathBuf::from("/etc/asterisk"))
}

/// Load a config set, or say why not (exit code 2).
fn load(path: &Path) -> Result<ConfigSet, ExitCode> {
    load_set(path).map_err(|e| {
        eprintln!("{e}");
        ExitCode::from(2)
    })
}

fn load_set(path: &Path) -> Result<ConfigSet, String> {
    // `-C /etc/asterisk/asterisk.conf` on a folder that never had an asterisk.conf (chan_sip
    // setups often run on the compiled-in defaults): read the folder.
    if !path.exists() {
        if let Some(dir) = path
            .parent()
            .filter(|d| d.is_dir() && !d.as_os_str().is_empty())
        {
            return Ok(ConfigSet::load(dir));
        }
        return Err(format!("{}: no such file or folder", path.display()));
    }
    Ok(ConfigSet::load(path))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.version {
        println!("zvezda {}", env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    let _ = (
        cli.no_color,
        cli.quiet,
        cli.core_dump,
        cli.foreground,
        cli.console,
        cli.verbose,
    );
    match &cli.command {
        Some(Command::Check { path }) => {
            let p = config_path(path.clone(), &cli);
            let set = match load(&p) {
                Ok(s) => s,
                Err(code) => return code,
            };
            let errors: Vec<_> = set
                .diagnostics
                .iter()
                .filter(|d| d.severity == zvezda::diag::Severity::Error)
                .collect();
            for d in &errors {
                eprintln!("{d}");
            }
            let contexts = set.extensions.contexts.len();
            let peers = set.sip.peers.len();
            println!(
                "{}: {} files read, {} contexts, {} SIP peers, {} errors",
                p.display(),
                set.raw.iter().map(|r| r.files.len()).sum::<usize>(),
                contexts,
                peers,
                errors.len()
            );
            if errors.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Some(Command::Lint { path, format, diff }) => {
            let p = config_path(path.clone(), &cli);
            let set = match load(&p) {
                Ok(s) => s,
                Err(code) => return code,
            };
            let findings = lint::lint(&set);
            let out = report::render(&findings, *format, *diff);
            print!("{out}");
            ExitCode::from(report::exit_code(&findings))
        }
        Some(Command::Dialplan {
            cmd: DialplanCmd::Show { target },
        }) => {
            let p = config_path(None, &cli);
            let set = match load(&p) {
                Ok(s) => s,
                Err(code) => return code,
            };
            let (text, ok) =
                zvezda::dialplan::show::dialplan_show(&set.extensions, target.as_deref());
            print!("{text}");
            if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        None => {
            if cli.remote || cli.reconnect || cli.execute.is_some() {
                // The control socket arrives with the console work (dialplan issue); until then
                // there is never a server to reach, and we say so the way Asterisk does.
                eprintln!("Unable to connect to remote zvezda (does /var/run/asterisk/asterisk.ctl exist?)");
                return ExitCode::from(1);
            }
            // Foreground (-c/-f): load the configuration and serve the local console. Calls
            // (channels, SIP, media) arrive with the dialplan, SIP and media issues.
            let p = config_path(None, &cli);
            let set = match load(&p) {
                Ok(s) => s,
                Err(code) => return code,
            };
            for d in set
                .diagnostics
                .iter()
                .filter(|d| d.severity != zvezda::diag::Severity::Info)
            {
                eprintln!("{d}");
            }
            println!(
                "zvezda {} loaded {} ({} contexts, {} SIP peers)",
                env!("CARGO_PKG_VERSION"),
                p.display(),
                set.extensions.contexts.len(),
                set.sip.peers.len()
            );
            println!("Call handling is not in this build yet: console commands only (dialplan show, core show version, core stop now).");
            if !cli.console {
                return ExitCode::SUCCESS;
            }
            let stdin = std::io::stdin();
            let mut line = String::new();
            loop {
                print!("*CLI> ");
                let _ = std::io::Write::flush(&mut std::io::stdout());
                line.clear();
                match stdin.read_line(&mut line) {
                    Ok(0) | Err(_) => return ExitCode::SUCCESS,
                    Ok(_) => {}
                }
                let words: Vec<&str> = line.split_whitespace().collect();
                match words.as_slice() {
                    [] => {}
                    ["dialplan", "show", rest @ ..] if rest.len() <= 1 => {
                        print!(
                            "{}",
                            zvezda::dialplan::show::dialplan_show(
                                &set.extensions,
                                rest.first().copied()
                            )
                            .0
                        )
                    }
                    ["core", "show", "version"] => println!("zvezda {}", env!("CARGO_PKG_VERSION")),
                    ["core", "stop", ..] | ["exit"] | ["quit"] => return ExitCode::SUCCESS,
                    _ => println!(
                        "No such command '{}' (type 'core show help' for other commands)",
                        line.trim()
                    ),
                }
            }
        }
    }
}
