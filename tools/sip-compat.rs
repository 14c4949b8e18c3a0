//! zvezda-sipcompat: replay a SIP call scenario of compat-tests/sip/ against any SIP server
//! (zvezda or a real Asterisk) and diff what the scripted endpoints saw, and the server's
//! verbose trace, against the case's `expected/`. See compat-tests/sip/README.md.
//!
//!     zvezda-sipcompat --server 127.0.0.1:5080 [--trace-file full.log] compat-tests/sip/<case>...
//!     zvezda-sipcompat --render /tmp/etc --server 127.0.0.1:5080 compat-tests/sip/<case>
//!     zvezda-sipcompat --import-ladder golden.ladder.txt --map UAC1001=1001,UAS1002=1002 <case>
//!     zvezda-sipcompat --import-trace golden.trace.txt <case>
//!
//! Exit status 0 when every case matches, 1 when one differs, 2 on a usage or setup error.

#[path = "sipcompat/runner.rs"]
mod runner;

use clap::Parser;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "zvezda-sipcompat",
    about = "Replay SIP call scenarios against a SIP server and diff against expected/"
)]
struct Args {
    /// The server under test (host:port).
    #[arg(long, default_value = "127.0.0.1:5080")]
    server: SocketAddr,
    /// The server's verbose log file; the lines it gains during a case are compared with
    /// expected/trace.txt.
    #[arg(long)]
    trace_file: Option<PathBuf>,
    /// Write what the run produced into expected/ instead of comparing.
    #[arg(long)]
    write: bool,
    /// An endpoint's port, instead of the scenario's: NAME=PORT (repeatable).
    #[arg(long = "port", value_parser = parse_port)]
    ports: Vec<(String, u16)>,
    /// Only write the case's configs, rendered for these ports, into this folder.
    #[arg(long)]
    render: Option<PathBuf>,
    /// The folder the configs' @RECORDS@ stands for.
    #[arg(long, default_value = "/tmp/zvezda-sipcompat/records")]
    records: PathBuf,
    /// The folder the configs' @SOUNDS@ stands for.
    #[arg(long, default_value = "/tmp/zvezda-sipcompat/sounds")]
    sounds: PathBuf,
    /// Convert a recorded ladder (`*.ladder.txt`) into the case's expected endpoint ladders.
    #[arg(long)]
    import_ladder: Option<PathBuf>,
    /// Recording label → endpoint, for --import-ladder: UAC1001=1001,UAS1002=1002.
    #[arg(long, value_delimiter = ',')]
    map: Vec<String>,
    /// Convert a recorded console trace (`*.trace.txt`) into expected/trace.txt; the
    /// recording's folders /srv/ref/records and /srv/ref/sounds become @RECORDS@, @SOUNDS@,
    /// --server and the scenario's endpoint addresses become their names.
    #[arg(long)]
    import_trace: Option<PathBuf>,
    /// Case folders.
    #[arg(required = true)]
    cases: Vec<PathBuf>,
}

fn parse_port(s: &str) -> Result<(String, u16), String> {
    let (n, p) = s.split_once('=').ok_or("NAME=PORT")?;
    Ok((n.to_string(), p.parse().map_err(|_| "bad port")?))
}

fn main() {
    let args = Args::parse();
    let over: HashMap<String, u16> = args.ports.iter().cloned().collect();
    let dirs = runner::Dirs {
        records: args.records.clone(),
        sounds: args.sounds.clone(),
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let mut differs = false;
    for dir in &args.cases {
        let case = match runner::Case::load(dir) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(2);
            }
        };
        if let Some(f) = &args.import_ladder {
            let text = std::fs::read_to_string(f)
                .unwrap_or_else(|e| die(&format!("{}: {e}", f.display())));
            let map: Vec<(String, String)> = args
                .map
                .iter()
                .filter_map(|m| m.split_once('='))
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect();
            let got = runner::import_ladder(&text, &map).unwrap_or_else(|e| die(&e));
            runner::write_expected(&case, &got).unwrap_or_else(|e| die(&e.to_string()));
            continue;
        }
        if let Some(f) = &args.import_trace {
            let text = std::fs::read_to_string(f)
                .unwrap_or_else(|e| die(&format!("{}: {e}", f.display())));
            // The recording's folders, and its addresses: the server at --server, the
            // endpoints at the scenario's own ports (the recording's).
            let mut subst = vec![
                ("/srv/ref/records".to_string(), "@RECORDS@".to_string()),
                ("/srv/ref/sounds".to_string(), "@SOUNDS@".to_string()),
                (args.server.to_string(), "$SERVER".to_string()),
            ];
            for e in &case.endpoints {
                subst.push((format!("{}:{}", e.host, e.port), format!("${}", e.name)));
            }
            let mut got = runner::Outputs::new();
            got.insert("trace.txt".into(), runner::normalise_trace(&text, &subst));
            runner::write_expected(&case, &got).unwrap_or_else(|e| die(&e.to_string()));
            continue;
        }
        let ports = case.ports(&over);
        if let Some(out) = &args.render {
            case.render(out, args.server.port(), &ports, &dirs)
                .unwrap_or_else(|e| die(&e));
            continue;
        }
        let opt = runner::RunOptions {
            server: args.server,
            ports,
            trace_file: args.trace_file.clone(),
            dirs: dirs.clone(),
        };
        let got = match rt.block_on(runner::run(&case, &opt)) {
            Ok(g) => g,
            Err(e) => die(&e),
        };
        if args.write {
            runner::write_expected(&case, &got).unwrap_or_else(|e| die(&e.to_string()));
            println!("{}: expected/ written", case.name);
            continue;
        }
        let d = runner::diff(&case, &got);
        if d.is_empty() {
            println!("{}: ok", case.name);
        } else {
            differs = true;
            print!("{d}");
            println!("{}: DIFFERS", case.name);
        }
    }
    std::process::exit(if differs { 1 } else { 0 });
}

fn die(msg: &str) -> ! {
    eprintln!("zvezda-sipcompat: {msg}");
    std::process::exit(2)
}
