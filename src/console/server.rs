//! The control socket (`<astrundir>/asterisk.ctl`, Asterisk's own name, so tools that look
//! for it find it): each connection is a remote console with its own verbosity.

use super::proto::{read_frame, write_frame};
use super::{CliCtx, Stop};
use crate::pbx::Pbx;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::mpsc;

/// A `[files]` setting of asterisk.conf (`astctl`, `astctlpermissions`...).
fn files_option<'a>(conf: &'a crate::config::ConfigSet, name: &str) -> Option<&'a str> {
    conf.raw
        .iter()
        .flat_map(|c| c.categories.iter())
        .filter(|k| k.name == "files")
        .find_map(|k| k.get(name))
        .map(|v| v.value.as_str())
}

/// Where the control socket is for a config: `<astrundir>/<astctl>` (asterisk.ctl).
pub fn socket_path(conf: &crate::config::ConfigSet) -> PathBuf {
    let dir = conf
        .asterisk
        .dir("astrundir")
        .unwrap_or("/var/run/asterisk");
    let name = files_option(conf, "astctl")
        .filter(|n| !n.is_empty() && !n.contains('/'))
        .unwrap_or("asterisk.ctl");
    Path::new(dir).join(name)
}

/// `[files] astctlpermissions` (octal, e.g. 0660), if set.
pub fn socket_permissions(conf: &crate::config::ConfigSet) -> Option<u32> {
    files_option(conf, "astctlpermissions").and_then(|p| u32::from_str_radix(p.trim(), 8).ok())
}

/// Listen on `path` and serve remote consoles until the PBX stops.
pub async fn serve(
    pbx: Arc<Pbx>,
    path: PathBuf,
    stop_tx: mpsc::UnboundedSender<Stop>,
) -> std::io::Result<()> {
    let mode = socket_permissions(&pbx.config.read().unwrap());
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    // A socket left by a previous run that is not answering is removed; a live one is not.
    if path.exists() {
        if UnixStream::connect(&path).await.is_ok() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AddrInUse,
                format!(
                    "{} is in use: is another zvezda or Asterisk running?",
                    path.display()
                ),
            ));
        }
        let _ = std::fs::remove_file(&path);
    }
    let listener = UnixListener::bind(&path)?;
    if let Some(mode) = mode {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))?;
    }
    loop {
        let (sock, _) = listener.accept().await?;
        let pbx = pbx.clone();
        let stop_tx = stop_tx.clone();
        tokio::spawn(async move {
            let _ = connection(pbx, sock, stop_tx).await;
        });
    }
}

async fn connection(
    pbx: Arc<Pbx>,
    sock: UnixStream,
    stop_tx: mpsc::UnboundedSender<Stop>,
) -> std::io::Result<()> {
    let (mut rd, mut wr) = sock.into_split();
    // Everything to the client goes through one queue, so verbose lines and command
    // output never interleave inside a frame.
    let (tx, mut rx) = mpsc::unbounded_channel::<(u8, Vec<u8>)>();
    let writer = tokio::spawn(async move {
        while let Some((k, p)) = rx.recv().await {
            if write_frame(&mut wr, k, &p).await.is_err() {
                break;
            }
        }
    });
    let mut sink: Option<crate::logger::SinkGuard> = None;
    while let Some((kind, payload)) = read_frame(&mut rd).await? {
        let text = String::from_utf8_lossy(&payload).into_owned();
        match kind {
            b'H' => {
                let level: i32 = text.trim().parse().unwrap_or(-1);
                if level >= 0 {
                    let txl = tx.clone();
                    sink = Some(crate::logger::add_sink(
                        level,
                        true,
                        Arc::new(move |line: &str| {
                            let _ = txl.send((b'L', line.as_bytes().to_vec()));
                        }),
                    ));
                }
            }
            b'C' => {
                let mut ctx = CliCtx {
                    pbx: &pbx,
                    out: String::new(),
                    verbose: sink.as_ref(),
                    stop: None,
                };
                super::execute(&mut ctx, &text);
                let stop = ctx.stop;
                let _ = tx.send((b'O', ctx.out.into_bytes()));
                let _ = tx.send((b'E', Vec::new()));
                if let Some(s) = stop {
                    let _ = stop_tx.send(s);
                }
            }
            b'T' => {
                let list = super::complete(&pbx, &text).join("\n");
                let _ = tx.send((b'M', list.into_bytes()));
            }
            _ => {}
        }
    }
    drop(sink);
    drop(tx);
    let _ = writer.await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_section_names_the_socket() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(
            d.path().join("asterisk.conf"),
            "[directories]\nastrundir => /tmp/x\n[files]\nastctl => pbx.ctl\nastctlpermissions => 0660\n",
        )
        .unwrap();
        let set = crate::config::ConfigSet::load(&d.path().join("asterisk.conf"));
        assert_eq!(socket_path(&set), PathBuf::from("/tmp/x/pbx.ctl"));
        assert_eq!(socket_permissions(&set), Some(0o660));
        let d2 = tempfile::tempdir().unwrap();
        let set = crate::config::ConfigSet::load(d2.path());
        assert_eq!(
            socket_path(&set),
            PathBuf::from("/var/run/asterisk/asterisk.ctl")
        );
        assert_eq!(socket_permissions(&set), None);
    }
}
