//! The remote console client: `zvezda -r` (history, tab completion over the server's
//! command tree, verbose output as it happens) and `zvezda -rx "command"`.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::sync::mpsc;

fn write_frame(s: &mut UnixStream, kind: u8, payload: &[u8]) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(5 + payload.len());
    buf.push(kind);
    buf.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    buf.extend_from_slice(payload);
    s.write_all(&buf)
}

fn read_frame(s: &mut UnixStream) -> std::io::Result<Option<(u8, Vec<u8>)>> {
    let mut head = [0u8; 5];
    match s.read_exact(&mut head) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
    if len > super::proto::MAX_FRAME {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "frame too large",
        ));
    }
    let mut p = vec![0u8; len];
    s.read_exact(&mut p)?;
    Ok(Some((head[0], p)))
}

pub fn connect(path: &Path) -> Result<UnixStream, String> {
    UnixStream::connect(path).map_err(|_| {
        format!(
            "Unable to connect to remote asterisk (does {} exist?)",
            path.display()
        )
    })
}

/// `-rx`: run one command, print its output. `verbose` > 0 also prints verbose lines that
/// arrive while it runs.
pub fn execute(path: &Path, command: &str, verbose: i32) -> Result<(), String> {
    let mut s = connect(path)?;
    let io = |e: std::io::Error| e.to_string();
    write_frame(
        &mut s,
        b'H',
        (if verbose > 0 { verbose } else { -1 })
            .to_string()
            .as_bytes(),
    )
    .map_err(io)?;
    write_frame(&mut s, b'C', command.as_bytes()).map_err(io)?;
    let mut out = std::io::stdout();
    while let Some((k, p)) = read_frame(&mut s).map_err(io)? {
        match k {
            b'O' | b'L' => {
                let _ = out.write_all(&p);
            }
            b'E' => break,
            _ => {}
        }
    }
    let _ = out.flush();
    Ok(())
}

struct Completer {
    sock: std::sync::Mutex<UnixStream>,
    matches: std::sync::Mutex<mpsc::Receiver<Vec<String>>>,
}

impl rustyline::completion::Completer for Completer {
    type Candidate = String;
    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &rustyline::Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        let line = &line[..pos];
        let start = line.rfind(' ').map(|i| i + 1).unwrap_or(0);
        if write_frame(&mut self.sock.lock().unwrap(), b'T', line.as_bytes()).is_err() {
            return Ok((start, vec![]));
        }
        let list = self
            .matches
            .lock()
            .unwrap()
            .recv_timeout(std::time::Duration::from_secs(2))
            .unwrap_or_default();
        let list = if list.len() == 1 {
            vec![format!("{} ", list[0])]
        } else {
            list
        };
        Ok((start, list))
    }
}

impl rustyline::hint::Hinter for Completer {
    type Hint = String;
}
impl rustyline::highlight::Highlighter for Completer {}
impl rustyline::validate::Validator for Completer {}
impl rustyline::Helper for Completer {}

/// `-r`: the interactive remote console.
pub fn interactive(path: &Path, verbose: i32) -> Result<(), String> {
    use rustyline::ExternalPrinter;
    let mut s = connect(path)?;
    let io = |e: std::io::Error| e.to_string();
    write_frame(&mut s, b'H', verbose.to_string().as_bytes()).map_err(io)?;
    if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        return piped(s);
    }
    let mut reader = s.try_clone().map_err(io)?;
    let (mtx, mrx) = mpsc::channel::<Vec<String>>();
    let (etx, erx) = mpsc::channel::<()>();
    let mut rl = rustyline::Editor::<Completer, rustyline::history::DefaultHistory>::new()
        .map_err(|e| e.to_string())?;
    rl.set_helper(Some(Completer {
        sock: std::sync::Mutex::new(s.try_clone().map_err(io)?),
        matches: std::sync::Mutex::new(mrx),
    }));
    let mut printer = rl.create_external_printer().map_err(|e| e.to_string())?;
    std::thread::spawn(move || {
        while let Ok(Some((k, p))) = read_frame(&mut reader) {
            match k {
                b'O' | b'L' => {
                    let text = String::from_utf8_lossy(&p).into_owned();
                    if !text.is_empty() {
                        let _ = printer.print(text);
                    }
                }
                b'E' => {
                    let _ = etx.send(());
                }
                b'M' => {
                    let list = String::from_utf8_lossy(&p)
                        .lines()
                        .map(str::to_string)
                        .collect();
                    let _ = mtx.send(list);
                }
                _ => {}
            }
        }
        let _ = printer.print("Disconnected from zvezda server\n".to_string());
        std::process::exit(0);
    });
    let history = std::env::var_os("HOME")
        .map(|h| Path::new(&h).join(".zvezda_history"))
        .unwrap_or_else(|| ".zvezda_history".into());
    let _ = rl.load_history(&history);
    println!(
        "Connected to zvezda {} currently running",
        env!("CARGO_PKG_VERSION")
    );
    loop {
        match rl.readline("*CLI> ") {
            Ok(line) => {
                let line = line.trim().to_string();
                if line.is_empty() {
                    continue;
                }
                let _ = rl.add_history_entry(line.as_str());
                if line == "exit" || line == "quit" {
                    break;
                }
                if write_frame(&mut s, b'C', line.as_bytes()).is_err() {
                    break;
                }
                let _ = erx.recv_timeout(std::time::Duration::from_secs(30));
            }
            Err(rustyline::error::ReadlineError::Interrupted) => continue,
            Err(_) => break,
        }
    }
    let _ = rl.save_history(&history);
    Ok(())
}

/// `-r` with commands on a pipe: no line editing, output and verbose lines as they come.
fn piped(mut s: UnixStream) -> Result<(), String> {
    let io = |e: std::io::Error| e.to_string();
    let mut reader = s.try_clone().map_err(io)?;
    let (etx, erx) = mpsc::channel::<()>();
    std::thread::spawn(move || {
        let mut out = std::io::stdout();
        while let Ok(Some((k, p))) = read_frame(&mut reader) {
            match k {
                b'O' | b'L' => {
                    let _ = out.write_all(&p);
                    let _ = out.flush();
                }
                b'E' => {
                    let _ = etx.send(());
                }
                _ => {}
            }
        }
    });
    let stdin = std::io::stdin();
    let mut line = String::new();
    loop {
        line.clear();
        match std::io::BufRead::read_line(&mut stdin.lock(), &mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let cmd = line.trim();
        if cmd.is_empty() {
            continue;
        }
        if cmd == "exit" || cmd == "quit" {
            break;
        }
        write_frame(&mut s, b'C', cmd.as_bytes()).map_err(io)?;
        let _ = erx.recv_timeout(std::time::Duration::from_secs(30));
    }
    Ok(())
}
