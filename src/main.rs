//! The `zvezda` binary: Asterisk's own flags where they make sense, plus `check`, `lint` and
//! `dialplan show` subcommands.

use clap::{ArgAction, Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use zvezda::config::ConfigSet;
use zvezda::lint::{self, report};

/// mimalloc: SIP messages are many small strings made and dropped per call; glibc's malloc
/// spent a fifth of the CPU of a call on them.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    let _ = (cli.no_color, cli.quiet, cli.core_dump);
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
                return remote(&cli);
            }
            run_server(&cli)
        }
    }
}

/// `-r`, `-R`, `-x`: talk to a running server over its control socket.
fn remote(cli: &Cli) -> ExitCode {
    let p = config_path(None, cli);
    let set = match load(&p) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let sock = zvezda::console::server::socket_path(&set);
    let r = match &cli.execute {
        Some(cmd) => zvezda::console::remote::execute(&sock, cmd, i32::from(cli.verbose)),
        None => {
            let v = if cli.verbose > 0 {
                i32::from(cli.verbose)
            } else {
                3
            };
            zvezda::console::remote::interactive(&sock, v)
        }
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(1)
        }
    }
}

/// Run the PBX: the control socket, and with `-c` the console on stdin/stdout.
/// Every call holds an RTP socket: raise the open-file limit to what the system allows
/// (asterisk.conf `maxfiles` if it says more, as far as the hard limit goes), as Asterisk does.
fn raise_file_limit(maxfiles: Option<u64>) {
    // SAFETY: getrlimit/setrlimit on a properly initialised struct.
    unsafe {
        let mut r = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) != 0 {
            return;
        }
        let want = maxfiles.map(|m| m as libc::rlim_t).unwrap_or(r.rlim_max);
        let want = want.min(r.rlim_max).max(r.rlim_cur);
        if want > r.rlim_cur {
            r.rlim_cur = want;
            let _ = libc::setrlimit(libc::RLIMIT_NOFILE, &r);
        }
    }
}

fn run_server(cli: &Cli) -> ExitCode {
    use std::sync::Arc;
    use zvezda::console::{self, CliCtx, Stop};
    let p = config_path(None, cli);
    let set = match load(&p) {
        Ok(s) => s,
        Err(code) => return code,
    };
    raise_file_limit(
        set.asterisk
            .options
            .iter()
            .rev()
            .find(|v| v.name.eq_ignore_ascii_case("maxfiles"))
            .and_then(|v| v.value.trim().parse().ok()),
    );
    let conf_verbose = set
        .asterisk
        .verbose
        .as_ref()
        .map(|v| v.value as i32)
        .unwrap_or(0);
    let verbose = i32::from(cli.verbose).max(conf_verbose);
    // The foreground console: verbose and log lines on stdout.
    let stdout_sink = (cli.console || cli.foreground).then(|| {
        Arc::new(zvezda::logger::add_sink(
            verbose,
            true,
            zvezda::logger::batched(std::io::stdout()),
        ))
    });
    // The log files of logger.conf (`<astlogdir>/messages` by default), which fail2ban reads.
    let logdir =
        std::path::PathBuf::from(set.asterisk.dir("astlogdir").unwrap_or("/var/log/asterisk"));
    let _log_files = zvezda::logger::open_log_files(set.logger.as_ref(), &logdir);
    for d in set
        .diagnostics
        .iter()
        .filter(|d| d.severity == zvezda::diag::Severity::Error)
    {
        zvezda::logger::error("config.c", &d.to_string());
    }
    let sock = console::server::socket_path(&set);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start: {e}");
            return ExitCode::from(1);
        }
    };
    let code = rt.block_on(async {
        let pbx = zvezda::pbx::Pbx::new(p.clone(), set);
        // res_musiconhold loads its classes (and scans their folders) at start.
        zvezda::moh::registry(&pbx);
        let (stop_tx, mut stop_rx) = tokio::sync::mpsc::unbounded_channel::<Stop>();
        let server = tokio::spawn(console::server::serve(
            pbx.clone(),
            sock.clone(),
            stop_tx.clone(),
        ));
        // SIP on bindaddr:bindport (UDP).
        {
            let cfg = pbx.config.read().unwrap().clone();
            let g = &cfg.sip.general;
            let (host, port) = match g.bindaddr.as_ref().map(|b| b.value.clone()) {
                Some(b) => match b.rsplit_once(':') {
                    Some((h, p)) if !h.contains(':') || h.ends_with(']') => (
                        h.trim_matches(['[', ']']).to_string(),
                        p.parse().unwrap_or(g.bindport()),
                    ),
                    _ => (b.trim_matches(['[', ']']).to_string(), g.bindport()),
                },
                None => ("0.0.0.0".to_string(), g.bindport()),
            };
            match host.parse::<std::net::IpAddr>() {
                Ok(ip) => {
                    tokio::spawn(zvezda::sip::transport::run_udp(
                        pbx.clone(),
                        std::net::SocketAddr::new(ip, port),
                    ));
                    if g.tcpenable() {
                        // tcpbindaddr, else the UDP address and port.
                        let tcp = g
                            .tcpbindaddr
                            .as_ref()
                            .and_then(|t| {
                                let v = t.value.trim();
                                v.parse::<std::net::SocketAddr>().ok().or_else(|| {
                                    v.trim_matches(['[', ']'])
                                        .parse::<std::net::IpAddr>()
                                        .ok()
                                        .map(|i| std::net::SocketAddr::new(i, port))
                                })
                            })
                            .unwrap_or(std::net::SocketAddr::new(ip, port));
                        tokio::spawn(zvezda::sip::transport::run_tcp(pbx.clone(), tcp));
                    }
                }
                Err(_) => zvezda::logger::error(
                    "chan_sip.c",
                    &format!("Invalid bindaddr '{host}': SIP is not started"),
                ),
            }
        }
        // Give the sockets a moment to bind (or fail) before saying we are ready.
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        if server.is_finished() {
            if let Ok(Err(e)) = server.await {
                eprintln!("Unable to create control socket {}: {e}", sock.display());
            }
            return ExitCode::from(1);
        }
        {
            let cfg = pbx.config.read().unwrap();
            zvezda::verb!(
                1,
                "zvezda {} (Asterisk 20 compatible) on {}: {} contexts, {} SIP peers",
                env!("CARGO_PKG_VERSION"),
                p.display(),
                cfg.extensions.contexts.len(),
                cfg.sip.peers.len()
            );
        }
        zvezda::logger::flush();
        println!("Asterisk Ready.");
        if cli.console {
            let pbx2 = pbx.clone();
            let tx = stop_tx.clone();
            let console_sink = stdout_sink.clone();
            let interactive = std::io::IsTerminal::is_terminal(&std::io::stdin());
            std::thread::spawn(move || {
                let stdin = std::io::stdin();
                let mut line = String::new();
                loop {
                    if interactive {
                        zvezda::logger::flush();
                        print!("*CLI> ");
                        let _ = std::io::Write::flush(&mut std::io::stdout());
                    }
                    line.clear();
                    match stdin.read_line(&mut line) {
                        // stdin closed: the console goes quiet, the server keeps running.
                        Ok(0) | Err(_) => return,
                        Ok(_) => {}
                    }
                    let cmd = line.trim();
                    if cmd == "exit" || cmd == "quit" {
                        let _ = tx.send(Stop::Now);
                        return;
                    }
                    let mut ctx = CliCtx {
                        pbx: &pbx2,
                        out: String::new(),
                        verbose: console_sink.as_deref(),
                        stop: None,
                    };
                    console::execute(&mut ctx, cmd);
                    zvezda::logger::flush();
                    print!("{}", ctx.out);
                    let _ = std::io::Write::flush(&mut std::io::stdout());
                    if let Some(s) = ctx.stop {
                        let _ = tx.send(s);
                    }
                }
            });
        }
        let stop = tokio::select! {
            s = stop_rx.recv() => s.unwrap_or(Stop::Now),
            _ = tokio::signal::ctrl_c() => Stop::Now,
            _ = terminate() => Stop::Now,
        };
        if stop == Stop::Gracefully {
            pbx.shutting_down
                .store(true, std::sync::atomic::Ordering::SeqCst);
            while pbx.active_calls() > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
        for h in pbx.active_channels() {
            h.softhangup();
        }
        let _ = std::fs::remove_file(&sock);
        drop(stdout_sink);
        ExitCode::SUCCESS
    });
    rt.shutdown_timeout(std::time::Duration::from_millis(200));
    zvezda::logger::flush();
    code
}

/// SIGTERM, as systemd sends it.
async fn terminate() {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut s) => {
            s.recv().await;
        }
        Err(_) => std::future::pending::<()>().await,
    }
}
