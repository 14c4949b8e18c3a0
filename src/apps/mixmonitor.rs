//! MixMonitor and StopMixMonitor: record both directions of a channel's audio, mixed into one
//! file (and/or each direction into its own), in the background while the dialplan goes on
//! (apps/app_mixmonitor.c).
//!
//! The recording listens through a tap on the channel's RTP stream ([`media::Tap`]): every
//! frame the channel reads (what the far end says) and writes (what it hears, including
//! what the bridge relays to it). A task puts the two directions on one timeline: every
//! 20 ms of wall time one frame is written, made of what each direction queued (silence for
//! a direction that sent nothing), so the file lasts as long as the recording ran even when
//! nobody spoke or the phones stopped sending. A short delay (60 ms) absorbs jitter; a
//! direction that falls far behind (a backlog read at once) is trimmed.
//!
//! `b` (only while bridged): time counts, and audio is kept, only while the two-party bridge
//! relays the channel's stream (from the moment Dial bridges the call until the bridge ends;
//! [`media::RtpStream::bridged`]) — Asterisk looks at whether the channel is in a bridge, this
//! looks at whether a bridge is moving its audio, which is the same span for Dial's calls.
//!
//! Files are written through [`RecordingWriter`]: a temporary name until the recording ends
//! (hangup or StopMixMonitor), then fsync and rename — a crash never leaves a half-written
//! file under the final name.
//!
//! [`media::Tap`]: crate::channel::media::Tap
//! [`media::RtpStream::bridged`]: crate::channel::media::RtpStream::bridged

use super::{App, AppFuture, AppResult, Exec};
use crate::channel::media::{Dir, FRAME};
use crate::channel::{Channel, ChannelHandle};
use crate::media::file::RecordingWriter;
use crate::pbx::Pbx;
use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

pub static APP: App = App {
    name: "MixMonitor",
    synopsis: "Record a call, both directions mixed, in the background.",
    provided_by: "app_mixmonitor",
    syntax: "MixMonitor(filename.extension,[options,[command]])",
    description: "Records the audio of the channel while the dialplan goes on: what the channel hears and what it says, mixed into one file (the format comes from the extension; relative names go under the spool's monitor folder). The recording ends when the channel hangs up or StopMixMonitor runs; the file only appears under its name then. Options: a (append), b (only while bridged), v(x)/V(x)/W(x) (volume of the heard/spoken/both directions, -4..4), r(file)/t(file) (also record the read/written direction alone), i(var) (store the MixMonitor ID in var), s(sec) (skip the first seconds), d (delete the files after the command ran). command runs in a shell when the recording ends (^{x} becomes ${x} at start). Sets MIXMONITOR_FILENAME.",
    exec: Exec::Async(exec),
};

pub static STOP_APP: App = App {
    name: "StopMixMonitor",
    synopsis: "Stop a MixMonitor recording of the channel and complete its file.",
    provided_by: "app_mixmonitor",
    syntax: "StopMixMonitor([MixMonitorID])",
    description: "Stops the channel's most recent MixMonitor recording (or the one with the ID MixMonitor's i() option stored): its files are complete when this returns.",
    exec: Exec::Async(stop_exec),
};

/// The option letters of Asterisk 20's MixMonitor and whether each takes an argument.
const OPTIONS: &[(char, bool)] = &[
    ('a', false),
    ('b', false),
    ('B', true),
    ('c', false),
    ('d', false),
    ('p', false),
    ('P', false),
    ('v', true),
    ('V', true),
    ('W', true),
    ('r', true),
    ('t', true),
    ('D', false),
    ('i', true),
    ('m', true),
    ('S', true),
    ('n', true),
    ('s', true),
];

/// The letters of a MixMonitor options string Asterisk 20 does not know.
pub fn unknown_options(opts: &str) -> Vec<char> {
    super::unknown_app_options(opts, OPTIONS)
}

/// Jitter allowance: a frame is written this long after its time.
const LATENCY: Duration = Duration::from_millis(60);
/// A direction with more than this queued (samples) is trimmed back to [`KEEP`].
const BACKLOG: usize = FRAME * 15;
const KEEP: usize = FRAME * 3;

/// What StopMixMonitor sends a recording: a way to say the files are complete.
type StopRequest = oneshot::Sender<()>;

struct Running {
    id: String,
    stop: Option<oneshot::Sender<StopRequest>>,
}

/// The recordings running, by channel uniqueid, oldest first.
fn running() -> &'static Mutex<HashMap<String, Vec<Running>>> {
    static R: OnceLock<Mutex<HashMap<String, Vec<Running>>>> = OnceLock::new();
    R.get_or_init(Default::default)
}

/// `get_volfactor`: 0 → unchanged, 1..4 → ×2..×16, -1..-4 → ÷2..÷16.
fn volume_factor(level: i32) -> i32 {
    match level {
        0 => 0,
        x if x > 0 => 1 << x,
        x => -(1 << -x),
    }
}

/// `ast_frame_adjust_volume`.
fn adjust(samples: &mut [i16], factor: i32) {
    if factor > 0 {
        for s in samples {
            *s = (*s as i32 * factor).clamp(i16::MIN as i32, i16::MAX as i32) as i16;
        }
    } else if factor < 0 {
        for s in samples {
            *s = (*s as i32 / -factor) as i16;
        }
    }
}

/// A volume option's argument, as Asterisk checks it (`%2d`, -4..4).
fn volume_option(arg: Option<&str>, letter: char, what: &str) -> Option<i32> {
    let arg = arg.unwrap_or("");
    if arg.is_empty() {
        crate::logger::warning(
            "app_mixmonitor.c",
            &format!("No volume level was provided for the {what} volume ('{letter}') option."),
        );
        return None;
    }
    match leading_int(arg, 2) {
        Some(x) if (-4..=4).contains(&x) => Some(volume_factor(x)),
        _ => {
            let which = match letter {
                'v' => "Heard",
                'V' => "Spoken",
                _ => "Combined",
            };
            crate::logger::notice(
                "app_mixmonitor.c",
                &format!("{which} volume must be a number between -4 and 4, not '{arg}'"),
            );
            None
        }
    }
}

/// `sscanf("%Nd")`: an optional sign and digits, at most `width` characters.
fn leading_int(s: &str, width: usize) -> Option<i32> {
    let s = s.trim_start();
    let t: String = s.chars().take(width).collect();
    let (sign, digits) = match t.strip_prefix('-') {
        Some(r) => (-1, r),
        None => (1, t.strip_prefix('+').unwrap_or(&t)),
    };
    let d: String = digits.chars().take_while(|c| c.is_ascii_digit()).collect();
    d.parse::<i32>().ok().map(|v| v * sign)
}

/// `filename_parse`: relative names go under the monitor folder; `.wav49` is written
/// `.WAV`; the folder is created.
fn filename_parse(pbx: &Pbx, name: &str) -> String {
    if name.is_empty() {
        crate::logger::warning(
            "app_mixmonitor.c",
            "No file name was provided for a file save option.",
        );
        return String::new();
    }
    let mut full = if name.starts_with('/') {
        name.to_string()
    } else {
        format!("{}/{name}", monitor_dir(pbx))
    };
    if let Some(stem) = full.strip_suffix(".wav49") {
        full = format!("{stem}.WAV");
    }
    if let Some(dir) = Path::new(&full).parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    full
}

/// `<astspooldir>/monitor`.
pub fn monitor_dir(pbx: &Pbx) -> String {
    let cfg = pbx.config.read().unwrap();
    let spool = cfg
        .asterisk
        .dir("astspooldir")
        .unwrap_or("/var/spool/asterisk")
        .to_string();
    format!("{spool}/monitor")
}

/// The file a MixMonitor name is written to: its extension gives the format; none means
/// `raw` (signed linear) appended, as Asterisk does.
fn file_path(name: &str) -> PathBuf {
    let base = name.rsplit('/').next().unwrap_or(name);
    if base.contains('.') {
        PathBuf::from(name)
    } else {
        PathBuf::from(format!("{name}.raw"))
    }
}

/// A MixMonitor ID, looking like the pointer Asterisk prints.
fn new_id() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    format!("0x{:x}", 0x7f00_3a00_0000u64 + n * 0x1a0)
}

/// What a recording task needs.
struct Job {
    chan_name: String,
    uniqueid: String,
    id: String,
    mixed: Option<String>,
    read: Option<String>,
    write: Option<String>,
    append: bool,
    bridged_only: bool,
    readvol: i32,
    writevol: i32,
    skip_ms: u64,
    post_process: Option<String>,
    auto_delete: bool,
}

fn exec<'a>(chan: &'a mut Channel, pbx: &'a Arc<Pbx>, data: String) -> AppFuture<'a> {
    Box::pin(async move { run(chan, pbx, &data) })
}

fn run(chan: &mut Channel, pbx: &Arc<Pbx>, data: &str) -> AppResult {
    if data.is_empty() {
        crate::logger::warning(
            "app_mixmonitor.c",
            "MixMonitor requires an argument (filename or ,t(filename) and/or r(filename)",
        );
        return AppResult::Hangup;
    }
    let args = super::standard_args(data);
    let filename = args.first().cloned().unwrap_or_default();
    let opts = args
        .get(1)
        .map(|o| super::parse_app_options(o, OPTIONS))
        .unwrap_or_default();
    let mut job = Job {
        chan_name: chan.name.clone(),
        uniqueid: chan.uniqueid.clone(),
        id: new_id(),
        mixed: None,
        read: None,
        write: None,
        append: false,
        bridged_only: false,
        readvol: 0,
        writevol: 0,
        skip_ms: 0,
        post_process: None,
        auto_delete: false,
    };
    let mut uid_var = None;
    let (mut want_read, mut want_write) = (false, false);
    for (c, arg) in &opts {
        match c {
            'a' => job.append = true,
            'b' => job.bridged_only = true,
            'd' => job.auto_delete = true,
            'S' => crate::logger::notice(
                "app_mixmonitor.c",
                "The synchronization behavior enabled by the 'S' option is now the default and does not need to be specified.",
            ),
            'v' => {
                if let Some(f) = volume_option(arg.as_deref(), 'v', "heard") {
                    job.readvol = f;
                }
            }
            'V' => {
                if let Some(f) = volume_option(arg.as_deref(), 'V', "spoken") {
                    job.writevol = f;
                }
            }
            'W' => {
                if let Some(f) = volume_option(arg.as_deref(), 'W', "combined") {
                    job.readvol = f;
                    job.writevol = f;
                }
            }
            'r' => {
                want_read = true;
                job.read = Some(filename_parse(pbx, arg.as_deref().unwrap_or("")))
                    .filter(|s| !s.is_empty());
            }
            't' => {
                want_write = true;
                job.write = Some(filename_parse(pbx, arg.as_deref().unwrap_or("")))
                    .filter(|s| !s.is_empty());
            }
            'i' => uid_var = arg.clone().filter(|v| !v.is_empty()),
            's' => match arg.as_deref().filter(|a| !a.is_empty()) {
                None => crate::logger::warning(
                    "app_mixmonitor.c",
                    "No skip value provided for the 's' (skip) option; skipping will be ignored as no default exists.",
                ),
                Some(a) => match a.parse::<f64>() {
                    Err(_) => crate::logger::warning(
                        "app_mixmonitor.c",
                        &format!("Skip value '{a}' is not a valid number; ignoring skip."),
                    ),
                    Ok(v) if v < 1.0 => crate::logger::warning(
                        "app_mixmonitor.c",
                        &format!("Skip value {v:.3} is below minimum 1; ignoring skip."),
                    ),
                    Ok(v) => job.skip_ms = (v * 1000.0) as u64,
                },
            },
            // B (periodic beep), p/P (beeps), c, D, m, n: accepted, not acted on.
            _ => {}
        }
    }
    if !want_read && !want_write && filename.is_empty() {
        crate::logger::warning(
            "app_mixmonitor.c",
            "MixMonitor requires an argument (filename)",
        );
        return AppResult::Hangup;
    }
    if !filename.is_empty() {
        job.mixed = Some(filename_parse(pbx, &filename));
    }
    chan.vars.set("MIXMONITOR_FILENAME", job.mixed.as_deref());
    if let Some(cmd) = args.get(2).filter(|c| !c.is_empty()) {
        let templ = cmd.replace("^{", "${");
        job.post_process = Some(crate::pbx::subst::substitute(chan, pbx, &templ));
    }
    if let Some(v) = uid_var {
        chan.vars.set(&v, Some(&job.id));
    }
    // The tap, and what tells whether the channel is bridged.
    let (tx, rx) = mpsc::unbounded_channel();
    let bridged = match chan.media.as_deref_mut() {
        Some(m) => {
            m.taps.push(tx);
            Some(m.bridged.clone())
        }
        None => {
            drop(tx);
            None
        }
    };
    let (stop_tx, stop_rx) = oneshot::channel();
    running()
        .lock()
        .unwrap()
        .entry(job.uniqueid.clone())
        .or_default()
        .push(Running {
            id: job.id.clone(),
            stop: Some(stop_tx),
        });
    let handle = chan.handle.clone();
    let pbx = pbx.clone();
    tokio::spawn(record(job, rx, bridged, stop_rx, handle, pbx));
    AppResult::Continue
}

fn stop_exec<'a>(chan: &'a mut Channel, _pbx: &'a Arc<Pbx>, data: String) -> AppFuture<'a> {
    Box::pin(async move {
        let id = super::standard_args(&data).into_iter().next();
        let stop = {
            let mut map = running().lock().unwrap();
            map.get_mut(&chan.uniqueid).and_then(|list| {
                let found = match id.as_deref().filter(|s| !s.is_empty()) {
                    Some(id) => list.iter_mut().rev().find(|r| r.id == id),
                    None => list.iter_mut().rev().find(|r| r.stop.is_some()),
                };
                found.and_then(|r| r.stop.take())
            })
        };
        if let Some(stop) = stop {
            let (done_tx, done_rx) = oneshot::channel();
            if stop.send(done_tx).is_ok() {
                // The files are complete when StopMixMonitor returns.
                let _ = tokio::time::timeout(Duration::from_secs(10), done_rx).await;
            }
        }
        AppResult::Continue
    })
}

/// One direction's output file and the queue of its audio.
struct Side {
    queue: VecDeque<i16>,
    volume: i32,
}

impl Side {
    fn push(&mut self, samples: &[i16]) {
        self.queue.extend(samples);
        if self.queue.len() > BACKLOG {
            let excess = self.queue.len() - KEEP;
            self.queue.drain(..excess);
        }
    }

    fn take(&mut self, out: &mut [i16; FRAME]) {
        let n = self.queue.len().min(FRAME);
        for (o, s) in out.iter_mut().zip(self.queue.drain(..n)) {
            *o = s;
        }
        out[n..].fill(0);
        adjust(out, self.volume);
    }
}

fn open(name: &str, append: bool) -> Option<RecordingWriter> {
    let path = file_path(name);
    let w = if append {
        RecordingWriter::append(&path)
    } else {
        RecordingWriter::create(&path)
    };
    match w {
        Ok(w) => Some(w),
        Err(_) => {
            let (stem, ext) = match name.rsplit_once('.') {
                Some((s, e)) if !e.contains('/') => (s, e),
                _ => (name, "raw"),
            };
            crate::logger::error("app_mixmonitor.c", &format!("Cannot open {stem}.{ext}"));
            None
        }
    }
}

/// The recording task: from the tap to the files, until the channel goes or StopMixMonitor.
async fn record(
    job: Job,
    mut rx: mpsc::UnboundedReceiver<(Dir, Vec<i16>)>,
    bridged: Option<Arc<AtomicBool>>,
    mut stop_rx: oneshot::Receiver<StopRequest>,
    handle: Arc<ChannelHandle>,
    pbx: Arc<Pbx>,
) {
    crate::verb!(2, "Begin MixMonitor Recording {}", job.chan_name);
    let mut mixed = job.mixed.as_deref().and_then(|n| open(n, job.append));
    let mut fread = job.read.as_deref().and_then(|n| open(n, job.append));
    let mut fwrite = job.write.as_deref().and_then(|n| open(n, job.append));
    let mut read = Side {
        queue: VecDeque::new(),
        volume: job.readvol,
    };
    let mut write = Side {
        queue: VecDeque::new(),
        volume: job.writevol,
    };
    let counting = |b: &Option<Arc<AtomicBool>>| {
        !job.bridged_only || b.as_ref().is_some_and(|b| b.load(Ordering::Relaxed))
    };
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last = tokio::time::Instant::now();
    let mut due = Duration::ZERO;
    let mut emitted: u64 = 0;
    let tap_open = bridged.is_some();
    let mut checks = 0u32;
    let mut reply = None;
    let mut emit = |n: u64, read: &mut Side, write: &mut Side| {
        let mut r = [0i16; FRAME];
        let mut w = [0i16; FRAME];
        read.take(&mut r);
        write.take(&mut w);
        if n * 20 < job.skip_ms {
            return;
        }
        if let Some(f) = fread.as_mut() {
            let _ = f.write(&r);
        }
        if let Some(f) = fwrite.as_mut() {
            let _ = f.write(&w);
        }
        if let Some(f) = mixed.as_mut() {
            crate::media::file::mix_into(&mut r, &w);
            let _ = f.write(&r);
        }
    };
    loop {
        tokio::select! {
            m = rx.recv(), if tap_open => match m {
                Some((dir, samples)) => {
                    if counting(&bridged) {
                        match dir {
                            Dir::Read => read.push(&samples),
                            Dir::Write => write.push(&samples),
                        }
                    }
                }
                // The channel's stream is gone: the call is over.
                None => break,
            },
            _ = tick.tick() => {
                let now = tokio::time::Instant::now();
                if counting(&bridged) {
                    due += now - last;
                } else {
                    read.queue.clear();
                    write.queue.clear();
                }
                last = now;
                let target = (due.saturating_sub(LATENCY).as_millis() / 20) as u64;
                while emitted < target {
                    emit(emitted, &mut read, &mut write);
                    emitted += 1;
                }
                // A channel without a stream (or whose stream outlives it): is it still there?
                checks += 1;
                if checks.is_multiple_of(10) && (!tap_open || handle.is_hungup()) {
                    let gone = pbx
                        .find_channel(&job.chan_name)
                        .is_none_or(|h| !Arc::ptr_eq(&h, &handle));
                    if gone {
                        break;
                    }
                }
            }
            r = &mut stop_rx, if reply.is_none() => match r {
                Ok(done) => {
                    reply = Some(done);
                    break;
                }
                Err(_) => {
                    // Nobody can stop it any more; keep going until the channel ends.
                    reply = Some(oneshot::channel().0);
                }
            },
        }
    }
    // The rest of the time, up to now.
    let now = tokio::time::Instant::now();
    if counting(&bridged) {
        due += now - last;
    }
    let target = ((due.as_millis() + 10) / 20) as u64;
    while emitted < target {
        emit(emitted, &mut read, &mut write);
        emitted += 1;
    }
    // Complete the files (fsync and rename) off the async threads.
    let mut done = Vec::new();
    for (w, what) in [(mixed, "mixed"), (fread, "read"), (fwrite, "write")] {
        if let Some(w) = w {
            let r = tokio::task::spawn_blocking(move || w.finish()).await;
            if let Ok(Ok(p)) = r {
                done.push(p);
            }
            crate::verb!(2, "MixMonitor close filestream ({what})");
        }
    }
    if let Some(done) = reply {
        let _ = done.send(());
    }
    if let Some(cmd) = job.post_process.filter(|c| !c.trim().is_empty()) {
        crate::verb!(2, "Executing [{cmd}]");
        let _ = tokio::task::spawn_blocking(move || {
            std::process::Command::new("/bin/sh")
                .arg("-c")
                .arg(&cmd)
                .stdin(std::process::Stdio::null())
                .status()
        })
        .await;
    }
    crate::verb!(2, "End MixMonitor Recording {}", job.chan_name);
    if job.auto_delete {
        for p in done {
            let _ = std::fs::remove_file(p);
        }
    }
    let mut map = running().lock().unwrap();
    if let Some(list) = map.get_mut(&job.uniqueid) {
        list.retain(|r| r.id != job.id);
        if list.is_empty() {
            map.remove(&job.uniqueid);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volumes_and_names() {
        assert_eq!(volume_factor(0), 0);
        assert_eq!(volume_factor(2), 4);
        assert_eq!(volume_factor(-1), -2);
        let mut s = [1000i16, -20000, 7];
        adjust(&mut s, 2);
        assert_eq!(s, [2000, -32768, 14]);
        adjust(&mut s, -2);
        assert_eq!(s, [1000, -16384, 7]);
        assert_eq!(leading_int("-3x", 2), Some(-3));
        assert_eq!(leading_int("12", 2), Some(12));
        assert_eq!(leading_int("x", 2), None);
        assert_eq!(file_path("/a/b.c/rec"), PathBuf::from("/a/b.c/rec.raw"));
        assert_eq!(file_path("/a/rec.wav"), PathBuf::from("/a/rec.wav"));
    }

    #[test]
    fn backlog_is_trimmed() {
        let mut s = Side {
            queue: VecDeque::new(),
            volume: 0,
        };
        for _ in 0..20 {
            s.push(&[1; FRAME]);
        }
        assert!(s.queue.len() <= BACKLOG);
        let mut out = [0i16; FRAME];
        s.take(&mut out);
        assert_eq!(out, [1; FRAME]);
    }
}
