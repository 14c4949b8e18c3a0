//! The console: Asterisk's CLI commands with Asterisk's output layouts, the control socket
//! server ([`server`]) that `zvezda -r`/`-rx` connect to, and the remote client
//! ([`remote`]). The same command table serves the foreground console (`-c`), remote
//! consoles and tab completion.

pub mod proto;
pub mod remote;
pub mod server;

use crate::channel::local::{self, Then};
use crate::pbx::Pbx;
use std::fmt::Write as _;
use std::sync::Arc;

/// Shutdown requested by a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    Now,
    Gracefully,
}

/// What a command works with.
pub struct CliCtx<'a> {
    pub pbx: &'a Arc<Pbx>,
    pub out: String,
    /// The console's own verbosity (`core set verbose`), if it has one.
    pub verbose: Option<&'a crate::logger::SinkGuard>,
    pub stop: Option<Stop>,
}

enum Res {
    Ok,
    Usage,
}

type Handler = fn(&mut CliCtx, &[&str]) -> Res;

struct Entry {
    /// The fixed words (`core show version`).
    words: &'static [&'static str],
    /// What follows, for `help`: `[seconds]`.
    args: &'static str,
    summary: &'static str,
    usage: &'static str,
    handler: Handler,
}

static COMMANDS: &[Entry] = &[
    Entry { words: &["channel", "originate"], args: "", summary: "Originate a call", usage: "There are two ways to use this command. A call can be originated between a\nchannel and a specific application, or between a channel and an extension in\nthe dialplan. This is similar to call files or the manager originate action.\nCalls originated with this command are given a timeout of 30 seconds.\n\nUsage1: channel originate <tech/data> application <appname> [appdata]\n  This will originate a call between the specified channel tech/data and the\ngiven application. Arguments to the application are optional. If the given\narguments to the application include spaces, all of the arguments to the\napplication need to be placed in quotation marks.\n\nUsage2: channel originate <tech/data> extension [exten@][context]\n  This will originate a call between the specified channel tech/data and the\ngiven extension. If no context is specified, the 'default' context will be\nused. If no extension is given, the 's' extension will be used.\n", handler: cmd_originate },
    Entry { words: &["channel", "request", "hangup"], args: "<channel>|<all>", summary: "Request a hangup on a given channel", usage: "Usage: channel request hangup <channel>|<all>\n       Request that a channel be hung up. The hangup takes effect\n       the next time the driver reads or writes from the channel.\n       If 'all' is specified instead of a channel name, all channels\n       will see the hangup request.\n", handler: cmd_hangup },
    Entry { words: &["core", "reload"], args: "", summary: "Global reload", usage: "Usage: core reload\n       Execute a global reload.\n", handler: cmd_reload },
    Entry { words: &["core", "set", "verbose"], args: "", summary: "Set level of verbose chattiness", usage: "Usage: core set verbose [atleast] <level> [silent]\n       core set verbose off\n\n       Sets level of verbose messages to be displayed.\n       0 or off means no messages should be displayed.\n       Equivalent to -v[v[...]] on startup\n", handler: cmd_set_verbose },
    Entry { words: &["core", "show", "application"], args: "", summary: "Describe a specific dialplan application", usage: "Usage: core show application <application> [<application> [<application> [...]]]\n       Describes a particular application.\n", handler: cmd_show_application },
    Entry { words: &["core", "show", "applications"], args: "[like|describing]", summary: "Shows registered dialplan applications", usage: "Usage: core show applications [{like|describing} <text>]\n       List applications which are currently available.\n       If 'like', <text> will be a substring of the app name\n       If 'describing', <text> will be a substring of the description\n", handler: cmd_show_applications },
    Entry { words: &["core", "show", "channels"], args: "[concise|verbose|count]", summary: "Display information on channels", usage: "Usage: core show channels [concise|verbose|count]\n       Lists currently defined channels and some information about them. If\n       'concise' is specified, the format is abridged and in a more easily\n       machine parsable format. If 'verbose' is specified, the output includes\n       more and longer fields. If 'count' is specified only the channel and call\n       count is output.\n", handler: cmd_show_channels },
    Entry { words: &["core", "show", "function"], args: "", summary: "Describe a specific dialplan function", usage: "Usage: core show function <function>\n       Describe a particular dialplan function.\n", handler: cmd_show_function },
    Entry { words: &["core", "show", "functions"], args: "[like]", summary: "Shows registered dialplan functions", usage: "Usage: core show functions [like <text>]\n       List builtin functions, optionally only those matching a given string\n", handler: cmd_show_functions },
    Entry { words: &["core", "show", "uptime"], args: "[seconds]", summary: "Show uptime information", usage: "Usage: core show uptime [seconds]\n       Shows Asterisk uptime information.\n       The seconds word returns the uptime in seconds only.\n", handler: cmd_uptime },
    Entry { words: &["core", "show", "version"], args: "", summary: "Display version info", usage: "Usage: core show version\n       Shows Asterisk version information.\n", handler: cmd_version },
    Entry { words: &["core", "stop", "gracefully"], args: "", summary: "Gracefully shut down Asterisk", usage: "Usage: core stop gracefully\n       Causes Asterisk to not accept new calls, and exit when all\n       active calls have terminated normally.\n", handler: cmd_stop_gracefully },
    Entry { words: &["core", "stop", "now"], args: "", summary: "Shut down Asterisk immediately", usage: "Usage: core stop now\n       Shuts down a running Asterisk immediately, hanging up all active calls .\n", handler: cmd_stop_now },
    Entry { words: &["database", "del"], args: "", summary: "Removes database key/value", usage: "Usage: database del <family> <key>\n       Deletes an entry in the Asterisk database for a given\n       family and key.\n", handler: cmd_db_del },
    Entry { words: &["database", "deltree"], args: "", summary: "Removes database keytree/values", usage: "Usage: database deltree <family> [keytree]\n   OR: database deltree <family>[/keytree]\n       Deletes a family or specific keytree within a family\n       in the Asterisk database.  The two arguments may be\n       separated by either a space or a slash.\n", handler: cmd_db_deltree },
    Entry { words: &["database", "get"], args: "", summary: "Gets database value", usage: "Usage: database get <family> <key>\n       Retrieves an entry in the Asterisk database for a given\n       family and key.\n", handler: cmd_db_get },
    Entry { words: &["database", "put"], args: "", summary: "Adds/updates database value", usage: "Usage: database put <family> <key> <value>\n       Adds or updates an entry in the Asterisk database for\n       a given family, key, and value.\n", handler: cmd_db_put },
    Entry { words: &["database", "show"], args: "", summary: "Shows database contents", usage: "Usage: database show [family [keytree]]\n   OR: database show [family[/keytree]]\n       Shows Asterisk database contents, optionally restricted\n       to a given family, or family and keytree. The two arguments\n       may be separated either by a space or by a slash.\n", handler: cmd_db_show },
    Entry { words: &["dialplan", "reload"], args: "", summary: "Reload extensions and *only* extensions", usage: "Usage: dialplan reload\n       reload extensions.conf without reloading any other\n       modules.  This command does not delete global variables\n       unless clearglobalvars is set to yes in extensions.conf\n", handler: cmd_dialplan_reload },
    Entry { words: &["dialplan", "show"], args: "", summary: "Show dialplan", usage: "Usage: dialplan show [[exten@]context]\n       Show dialplan\n", handler: cmd_dialplan_show },
    Entry { words: &["moh", "reload"], args: "", summary: "Reload MusicOnHold", usage: "Usage: moh reload\n       Reloads the MusicOnHold module.\n       Alias for 'module reload res_musiconhold.so'\n", handler: cmd_moh_reload },
    Entry { words: &["moh", "show", "classes"], args: "", summary: "List MusicOnHold classes", usage: "Usage: moh show classes\n       Lists all MusicOnHold classes.\n", handler: cmd_moh_classes },
    Entry { words: &["moh", "show", "files"], args: "", summary: "List MusicOnHold file-based classes", usage: "Usage: moh show files\n       Lists all loaded file-based MusicOnHold classes and their\n       files.\n", handler: cmd_moh_files },
    Entry { words: &["parking", "show"], args: "[name]", summary: "Show a parking lot or a list of all parking lots.", usage: "Usage: parking show [name]\n\tShows a list of parking lots or details of a specific parking lot.\n", handler: cmd_parking_show },
    Entry { words: &["sip", "reload"], args: "", summary: "Reload SIP configuration", usage: "Usage: sip reload\n       Reloads SIP configuration from sip.conf\n", handler: cmd_reload_sip },
    Entry { words: &["sip", "set", "debug"], args: "{on|off|ip|peer}", summary: "Enable/Disable SIP debugging", usage: "Usage: sip set debug {off|on|ip addr[:port]|peer peername}\n       Globally disables dumping of SIP packets,\n       or enables it either globally or for a (single)\n       IP address or registered peer.\n", handler: cmd_sip_debug },
    Entry { words: &["sip", "show", "channels"], args: "", summary: "List active SIP channels or subscriptions", usage: "Usage: sip show channels\n       Lists all currently active SIP calls (dialogs).\nUsage: sip show subscriptions\n       Lists active SIP subscriptions.\n", handler: cmd_sip_channels },
    Entry { words: &["sip", "show", "channelstats"], args: "", summary: "List statistics for active SIP channels", usage: "Usage: sip show channelstats\n       Lists all currently active SIP channel's RTCP statistics.\n       Note that calls in the much optimized RTP P2P bridge mode will not show any packets here.\n", handler: cmd_sip_channelstats },
    Entry { words: &["sip", "show", "peer"], args: "", summary: "Show details on specific SIP peer", usage: "Usage: sip show peer <name> [load]\n       Shows all details on one SIP peer and the current status.\n       Option \"load\" forces lookup of peer in realtime storage.\n", handler: cmd_sip_peer },
    Entry { words: &["sip", "show", "peers"], args: "", summary: "List defined SIP peers", usage: "Usage: sip show peers [like <pattern>]\n       Lists all known SIP peers.\n", handler: cmd_sip_peers },
    Entry { words: &["sip", "show", "registry"], args: "", summary: "List SIP registration status", usage: "Usage: sip show registry\n       Lists all registration requests and status.\n", handler: cmd_sip_registry },
    Entry { words: &["sip", "show", "settings"], args: "", summary: "Show SIP global settings", usage: "Usage: sip show settings\n       Provides detailed list of the configuration of the SIP channel.\n", handler: cmd_sip_settings },
    Entry { words: &["sip", "show", "users"], args: "", summary: "List defined SIP users", usage: "Usage: sip show users [like <pattern>]\n       Lists all known SIP users.\n", handler: cmd_sip_users },
    Entry { words: &["help"], args: "", summary: "Display help list, or specific help on a command", usage: "Usage: help [topic]\n       When called with a topic as an argument, displays usage\n       information on the given command. If called without a\n       topic, it provides a list of commands.\n", handler: cmd_help },
];

/// Split a command line into words; `"..."` groups words, as Asterisk's parse_args does.
pub fn split_words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote = false;
    let mut any = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                quote = !quote;
                any = true;
            }
            '\\' => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                    any = true;
                }
            }
            c if c.is_whitespace() && !quote => {
                if any {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            c => {
                cur.push(c);
                any = true;
            }
        }
    }
    if any {
        out.push(cur);
    }
    out
}

/// The entry whose words start the command line, the longest first.
fn find_entry(words: &[&str]) -> Option<&'static Entry> {
    COMMANDS
        .iter()
        .filter(|e| {
            e.words.len() <= words.len()
                && e.words
                    .iter()
                    .zip(words)
                    .all(|(a, b)| a.eq_ignore_ascii_case(b))
        })
        .max_by_key(|e| e.words.len())
}

/// Run one command line; the output is in `ctx.out`.
pub fn execute(ctx: &mut CliCtx, line: &str) {
    let owned = split_words(line);
    let words: Vec<&str> = owned.iter().map(String::as_str).collect();
    if words.is_empty() {
        return;
    }
    if words[0].starts_with('!') {
        ctx.out
            .push_str("Shell commands are not available on this console.\n");
        return;
    }
    match find_entry(&words) {
        Some(e) => {
            if let Res::Usage = (e.handler)(ctx, &words) {
                ctx.out.push_str(e.usage);
            }
        }
        None => {
            let _ = writeln!(
                ctx.out,
                "No such command '{}' (type 'core show help {}' for other possible commands)",
                line.trim(),
                words[0]
            );
        }
    }
}

/// Tab completion: the words that can follow what is typed (the last word is a prefix).
pub fn complete(pbx: &Pbx, line: &str) -> Vec<String> {
    let mut words: Vec<String> = split_words(line);
    let prefix = if line.ends_with(' ') || line.is_empty() {
        String::new()
    } else {
        words.pop().unwrap_or_default()
    };
    let n = words.len();
    let mut out: Vec<String> = Vec::new();
    for e in COMMANDS {
        if e.words.len() > n
            && e.words
                .iter()
                .zip(&words)
                .all(|(a, b)| a.eq_ignore_ascii_case(b))
        {
            out.push(e.words[n].to_string());
        }
    }
    // Arguments the server knows about.
    let w: Vec<&str> = words.iter().map(String::as_str).collect();
    match w.as_slice() {
        ["dialplan", "show"] => out.extend(pbx.dialplan().contexts.iter().map(|c| c.name.clone())),
        ["core", "show", "application"] => {
            out.extend(crate::apps::APPS.iter().map(|a| a.name.to_string()))
        }
        ["core", "show", "function"] => {
            out.extend(crate::funcs::FUNCS.iter().map(|f| f.name.to_string()))
        }
        ["core", "show", "channels"] => {
            out.extend(["concise", "verbose", "count"].map(String::from))
        }
        ["core", "show", "uptime"] => out.push("seconds".into()),
        ["sip", "set", "debug"] => out.extend(["on", "off", "ip", "peer"].map(String::from)),
        ["sip", "set", "debug", "peer"] => out.extend(
            pbx.config
                .read()
                .unwrap()
                .sip
                .peers
                .iter()
                .map(|p| p.name.value.clone()),
        ),
        ["sip", "show", "peer"] => out.extend(
            pbx.config
                .read()
                .unwrap()
                .sip
                .peers
                .iter()
                .map(|p| p.name.value.clone()),
        ),
        ["core", "set", "verbose"] => out.push("off".into()),
        ["channel", "request", "hangup"] => {
            out.push("all".into());
            out.extend(pbx.active_channels().iter().map(|h| h.name.clone()));
        }
        ["channel", "originate", _] => out.extend(["application", "extension"].map(String::from)),
        ["channel", "originate", _, "application"] => {
            out.extend(crate::apps::APPS.iter().map(|a| a.name.to_string()))
        }
        ["help", rest @ ..] => {
            let k = rest.len();
            for e in COMMANDS {
                if e.words.len() > k
                    && e.words
                        .iter()
                        .zip(rest)
                        .all(|(a, b)| a.eq_ignore_ascii_case(b))
                {
                    out.push(e.words[k].to_string());
                }
            }
        }
        _ => {}
    }
    let lp = prefix.to_ascii_lowercase();
    out.retain(|c| c.to_ascii_lowercase().starts_with(&lp));
    out.sort();
    out.dedup();
    out
}

fn cmd_help(ctx: &mut CliCtx, w: &[&str]) -> Res {
    let topic = &w[1..];
    let mut any = false;
    for e in COMMANDS {
        if topic.len() <= e.words.len()
            && topic
                .iter()
                .zip(e.words)
                .all(|(a, b)| b.to_ascii_lowercase().starts_with(&a.to_ascii_lowercase()))
        {
            if topic.len() == e.words.len() && !topic.is_empty() {
                ctx.out.push_str(e.usage);
                return Res::Ok;
            }
            let name = if e.args.is_empty() {
                e.words.join(" ")
            } else {
                format!("{} {}", e.words.join(" "), e.args)
            };
            let _ = writeln!(ctx.out, "{:<30} -- {}", name, e.summary);
            any = true;
        }
    }
    if !any {
        let _ = writeln!(ctx.out, "No such command '{}'.", topic.join(" "));
    }
    Res::Ok
}

fn cmd_version(ctx: &mut CliCtx, w: &[&str]) -> Res {
    if w.len() != 3 {
        return Res::Usage;
    }
    let _ = writeln!(
        ctx.out,
        "zvezda {} (Asterisk 20 compatible) built with rustc on a {} running {}",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::ARCH,
        if std::env::consts::OS == "linux" {
            "Linux"
        } else {
            std::env::consts::OS
        }
    );
    Res::Ok
}

/// `print_uptimestr`, with Asterisk's `>` comparisons.
fn uptime_str(secs: u64) -> String {
    const MINUTE: u64 = 60;
    const HOUR: u64 = 3600;
    const DAY: u64 = 86400;
    const WEEK: u64 = DAY * 7;
    const YEAR: u64 = DAY * 365;
    let mut t = secs;
    let mut out = String::new();
    let ess = |x: u64| if x == 1 { "" } else { "s" };
    for (unit, name) in [
        (YEAR, "year"),
        (WEEK, "week"),
        (DAY, "day"),
        (HOUR, "hour"),
        (MINUTE, "minute"),
    ] {
        if t > unit {
            let x = t / unit;
            t -= x * unit;
            let _ = write!(out, "{x} {name}{}{}", ess(x), if t > 0 { ", " } else { "" });
        }
    }
    if t > 0 || out.is_empty() {
        let _ = write!(out, "{t} second{}", ess(t));
    }
    out
}

fn cmd_uptime(ctx: &mut CliCtx, w: &[&str]) -> Res {
    let secs = w.get(3).is_some_and(|s| s.eq_ignore_ascii_case("seconds"));
    if w.len() > 4 || (w.len() == 4 && !secs) {
        return Res::Usage;
    }
    let up = ctx.pbx.started.0.elapsed().as_secs();
    let rl = ctx.pbx.last_reload.lock().unwrap().0.elapsed().as_secs();
    if secs {
        let _ = writeln!(ctx.out, "System uptime: {up}\nLast reload: {rl}");
    } else {
        let _ = writeln!(ctx.out, "System uptime: {}", uptime_str(up));
        let _ = writeln!(ctx.out, "Last reload: {}", uptime_str(rl));
    }
    Res::Ok
}

fn ess(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn cmd_show_channels(ctx: &mut CliCtx, w: &[&str]) -> Res {
    let mode = w.get(3).map(|s| s.to_ascii_lowercase());
    if w.len() > 4 {
        return Res::Usage;
    }
    let chans = ctx.pbx.active_channels();
    let calls = ctx.pbx.active_calls();
    let processed = ctx.pbx.processed.load(std::sync::atomic::Ordering::Relaxed) as usize;
    match mode.as_deref() {
        None => {
            let _ = writeln!(
                ctx.out,
                "{:<64.64} {:<32.32} {:<7.7} {:<30.30}",
                "Channel", "Location", "State", "Application(Data)"
            );
            for h in &chans {
                let s = h.snapshot.lock().unwrap().clone();
                let loc = if s.context.is_empty() || s.exten.is_empty() {
                    "(None)".to_string()
                } else {
                    format!("{}@{}:{}", s.exten, s.context, s.priority)
                };
                let app = if s.app.is_empty() {
                    "(None)".to_string()
                } else {
                    format!("{}({})", s.app, s.data)
                };
                let loc: String = loc.chars().take(39).collect();
                let app: String = app.chars().take(39).collect();
                let _ = writeln!(
                    ctx.out,
                    "{:<64.64} {:<32.32} {:<7.7} {:<30.30}",
                    h.name,
                    loc,
                    s.state.as_str(),
                    app
                );
            }
        }
        Some("concise") => {
            for h in &chans {
                let s = h.snapshot.lock().unwrap().clone();
                let _ = writeln!(
                    ctx.out,
                    "{}!{}!{}!{}!{}!{}!{}!{}!!!3!{}!!{}",
                    h.name,
                    s.context,
                    s.exten,
                    s.priority,
                    s.state.as_str(),
                    if s.app.is_empty() { "(None)" } else { &s.app },
                    s.data,
                    s.caller,
                    h.created.elapsed().as_secs(),
                    h.uniqueid
                );
            }
            return Res::Ok;
        }
        Some("count") => {}
        Some("verbose") => {
            let _ = writeln!(
                ctx.out,
                "{:<20.20} {:<20.20} {:<16.16} {:>4.4} {:<7.7} {:<12.12} {:<25.25} {:<15.15} {:>8.8} {:<11.11} {:<11.11} {:<20.20}",
                "Channel", "Context", "Extension", "Priority", "State", "Application", "Data", "CallerID", "Duration", "Accountcode", "PeerAccount", "BridgeID"
            );
            for h in &chans {
                let s = h.snapshot.lock().unwrap().clone();
                let d = h.created.elapsed().as_secs();
                let _ = writeln!(
                    ctx.out,
                    "{:<20.20} {:<20.20} {:<16.16} {:>4} {:<7.7} {:<12.12} {:<25.25} {:<15.15} {:>8.8} {:<11.11} {:<11.11} {:<20.20}",
                    h.name,
                    s.context,
                    s.exten,
                    s.priority,
                    s.state.as_str(),
                    if s.app.is_empty() { "(None)" } else { &s.app },
                    if s.data.is_empty() { "(Empty)" } else { &s.data },
                    s.caller,
                    format!("{:02}:{:02}:{:02}", d / 3600, d % 3600 / 60, d % 60),
                    "",
                    "",
                    ""
                );
            }
        }
        _ => return Res::Usage,
    }
    let _ = writeln!(
        ctx.out,
        "{} active channel{}",
        chans.len(),
        ess(chans.len())
    );
    let _ = writeln!(ctx.out, "{} active call{}", calls, ess(calls));
    let _ = writeln!(ctx.out, "{} call{} processed", processed, ess(processed));
    Res::Ok
}

fn cmd_show_applications(ctx: &mut CliCtx, w: &[&str]) -> Res {
    let filter = match w.get(3).map(|s| s.to_ascii_lowercase()).as_deref() {
        None => None,
        Some("like") if w.len() == 5 => Some((true, w[4].to_ascii_lowercase())),
        Some("describing") if w.len() >= 5 => Some((false, w[4..].join(" ").to_ascii_lowercase())),
        _ => return Res::Usage,
    };
    let mut apps: Vec<_> = crate::apps::APPS.to_vec();
    apps.sort_by_key(|a| a.name.to_ascii_lowercase());
    ctx.out.push_str(if filter.is_none() {
        "    -= Registered Asterisk Applications =-\n"
    } else {
        "    -= Matching Asterisk Applications =-\n"
    });
    let mut matched = 0;
    for a in &apps {
        let show = match &filter {
            None => true,
            Some((true, t)) => a.name.to_ascii_lowercase().contains(t),
            Some((false, t)) => a.description.to_ascii_lowercase().contains(t),
        };
        if show {
            matched += 1;
            let _ = writeln!(ctx.out, "  {:>20}: {} ", a.name, a.synopsis);
        }
    }
    if filter.is_none() {
        let _ = writeln!(ctx.out, "    -= {} Applications Registered =-", apps.len());
    } else {
        let _ = writeln!(ctx.out, "    -= {} Applications Matching =-", matched);
    }
    Res::Ok
}

/// `core show application`/`function` body, Asterisk's layout.
fn info(
    out: &mut String,
    kind: &str,
    name: &str,
    synopsis: &str,
    by: &str,
    desc: &str,
    syntax: &str,
) {
    let _ = write!(
        out,
        "\n  -= Info about {kind} '{name}' =- \n\n[Synopsis]\n{synopsis} \n\n[Provided By]\n{by}\n\n[Since]\nNot available\n\n[Description]\n{desc}\n\n[Syntax]\n{syntax}\n\n[Arguments]\nNot available\n\n[See Also]\nNot available\n\n"
    );
}

fn cmd_show_application(ctx: &mut CliCtx, w: &[&str]) -> Res {
    if w.len() < 4 {
        return Res::Usage;
    }
    let mut found = 0;
    for name in &w[3..] {
        if let Some(a) = crate::apps::find(name) {
            found += 1;
            info(
                &mut ctx.out,
                "Application",
                a.name,
                a.synopsis,
                a.provided_by,
                a.description,
                a.syntax,
            );
        }
    }
    if found == 0 {
        let _ = writeln!(ctx.out, "Your application(s) is (are) not registered");
    }
    Res::Ok
}

fn cmd_show_functions(ctx: &mut CliCtx, w: &[&str]) -> Res {
    let like = match w.get(3) {
        None => None,
        Some(l) if l.eq_ignore_ascii_case("like") && w.len() == 5 => Some(w[4]),
        _ => return Res::Usage,
    };
    let mut funcs: Vec<_> = crate::funcs::FUNCS.to_vec();
    funcs.sort_by_key(|f| f.name);
    let _ = writeln!(
        ctx.out,
        "{} Custom Functions:\n--------------------------------------------------------------------------------",
        if like.is_some() { "Matching" } else { "Installed" }
    );
    let mut n = 0;
    for f in funcs {
        if like.is_some_and(|l| !f.name.contains(l)) {
            continue;
        }
        n += 1;
        let _ = writeln!(
            ctx.out,
            "{:<20.20}  {:<35.35}  {} ",
            f.name, f.syntax, f.synopsis
        );
    }
    let _ = writeln!(
        ctx.out,
        "{} {}custom functions installed.",
        n,
        if like.is_some() { "matching " } else { "" }
    );
    Res::Ok
}

fn cmd_show_function(ctx: &mut CliCtx, w: &[&str]) -> Res {
    if w.len() != 4 {
        return Res::Usage;
    }
    match crate::funcs::find(w[3]) {
        Some(f) => info(
            &mut ctx.out,
            "Function",
            f.name,
            f.synopsis,
            f.provided_by,
            f.description,
            f.syntax,
        ),
        None => {
            let _ = writeln!(ctx.out, "No function by that name registered.");
        }
    }
    Res::Ok
}

fn cmd_set_verbose(ctx: &mut CliCtx, w: &[&str]) -> Res {
    let args: Vec<&str> = w[3..]
        .iter()
        .copied()
        .filter(|a| !a.eq_ignore_ascii_case("silent"))
        .collect();
    let (atleast, level) = match args.as_slice() {
        [l] => (false, *l),
        [a, l] if a.eq_ignore_ascii_case("atleast") => (true, *l),
        _ => return Res::Usage,
    };
    let new = if level.eq_ignore_ascii_case("off") {
        0
    } else {
        match level.parse::<i32>() {
            Ok(n) if n >= 0 => n,
            _ => return Res::Usage,
        }
    };
    let Some(g) = ctx.verbose else {
        ctx.out.push_str("No console to set the verbosity of.\n");
        return Res::Ok;
    };
    let old = g.verbose.load(std::sync::atomic::Ordering::Relaxed);
    let now = if atleast { old.max(new) } else { new };
    g.set_verbose(now);
    let show = |v: i32| {
        if v == 0 {
            "OFF".to_string()
        } else {
            v.to_string()
        }
    };
    if old == now {
        let _ = writeln!(ctx.out, "Console verbose is still {}.", show(old));
    } else {
        let _ = writeln!(
            ctx.out,
            "Console verbose was {} and is now {}.",
            show(old),
            show(now)
        );
    }
    Res::Ok
}

fn reload(ctx: &mut CliCtx) {
    match ctx.pbx.reload_dialplan() {
        Ok(_) => {}
        Err(why) => {
            crate::logger::error(
                "pbx_config.c",
                &format!("Dialplan reload failed, keeping the running dialplan: {why}"),
            );
            let _ = writeln!(
                ctx.out,
                "Dialplan reload failed, the running dialplan is kept: {why}"
            );
        }
    }
}

fn cmd_reload(ctx: &mut CliCtx, w: &[&str]) -> Res {
    if w.len() != 2 {
        return Res::Usage;
    }
    reload(ctx);
    Res::Ok
}

fn cmd_dialplan_reload(ctx: &mut CliCtx, w: &[&str]) -> Res {
    if w.len() != 2 {
        return Res::Usage;
    }
    let before = ctx.out.len();
    reload(ctx);
    if ctx.out.len() == before {
        ctx.out.push_str("Dialplan reloaded.\n");
    }
    Res::Ok
}

fn cmd_dialplan_show(ctx: &mut CliCtx, w: &[&str]) -> Res {
    if w.len() > 3 {
        return Res::Usage;
    }
    let dp = ctx.pbx.dialplan();
    let (text, _) = crate::dialplan::show::dialplan_show(&dp.source, w.get(2).copied());
    ctx.out.push_str(&text);
    Res::Ok
}

fn cmd_originate(ctx: &mut CliCtx, w: &[&str]) -> Res {
    if w.len() < 4 {
        return Res::Usage;
    }
    let target = w[2];
    let Some((tech, data)) = target.split_once('/') else {
        return Res::Usage;
    };
    let then = if w[3].eq_ignore_ascii_case("application") {
        let Some(app) = w.get(4) else {
            return Res::Usage;
        };
        Then::App(app.to_string(), w.get(5).copied().unwrap_or("").to_string())
    } else if w[3].eq_ignore_ascii_case("extension") {
        let spec = w.get(4).copied().unwrap_or("");
        let (exten, context) = match spec.split_once('@') {
            Some((e, c)) => (e, c),
            None => (spec, "default"),
        };
        let exten = if exten.is_empty() { "s" } else { exten };
        let context = if context.is_empty() {
            "default"
        } else {
            context
        };
        Then::Exten(exten.to_string(), context.to_string())
    } else {
        return Res::Usage;
    };
    if !tech.eq_ignore_ascii_case("Local") {
        crate::logger::notice(
            "channel.c",
            &format!("Unable to request channel {target}: channel type '{tech}' is not in this build yet"),
        );
        return Res::Ok;
    }
    let _ = local::originate(ctx.pbx, data, then);
    Res::Ok
}

fn cmd_hangup(ctx: &mut CliCtx, w: &[&str]) -> Res {
    if w.len() != 4 {
        return Res::Usage;
    }
    if w[3].eq_ignore_ascii_case("all") {
        for h in ctx.pbx.active_channels() {
            h.softhangup();
        }
        return Res::Ok;
    }
    match ctx.pbx.find_channel(w[3]) {
        Some(h) => {
            let _ = writeln!(ctx.out, "Requested Hangup on channel '{}'", h.name);
            h.softhangup();
        }
        None => {
            let _ = writeln!(ctx.out, "{} is not a known channel", w[3]);
        }
    }
    Res::Ok
}

fn cmd_stop_now(ctx: &mut CliCtx, w: &[&str]) -> Res {
    if w.len() != 3 {
        return Res::Usage;
    }
    ctx.stop = Some(Stop::Now);
    Res::Ok
}

fn cmd_stop_gracefully(ctx: &mut CliCtx, w: &[&str]) -> Res {
    if w.len() != 3 {
        return Res::Usage;
    }
    ctx.stop = Some(Stop::Gracefully);
    Res::Ok
}

fn cmd_moh_reload(ctx: &mut CliCtx, w: &[&str]) -> Res {
    if w.len() != 2 {
        return Res::Usage;
    }
    crate::verb!(
        3,
        "Reloading module 'res_musiconhold.so' (Music On Hold Resource)"
    );
    crate::moh::reload(ctx.pbx);
    Res::Ok
}

fn cmd_moh_classes(ctx: &mut CliCtx, w: &[&str]) -> Res {
    if w.len() != 3 {
        return Res::Usage;
    }
    let reg = crate::moh::registry(ctx.pbx);
    for c in reg.listing() {
        let _ = writeln!(ctx.out, "Class: {}", c.name);
        let _ = writeln!(ctx.out, "\tMode: {}", c.mode);
        let _ = writeln!(ctx.out, "\tDirectory: {}", c.directory);
        if let Some(a) = &c.announcement {
            let _ = writeln!(ctx.out, "\tAnnouncement: {a}");
        }
        if !c.mode.eq_ignore_ascii_case("files") {
            let _ = writeln!(ctx.out, "\tFormat: slin");
        }
    }
    Res::Ok
}

/// res_parking's `parking show [name]` (parking_ui.c).
fn cmd_parking_show(ctx: &mut CliCtx, w: &[&str]) -> Res {
    if w.len() > 3 {
        return Res::Usage;
    }
    let lots = crate::channel::parking::lots(ctx.pbx);
    let out = &mut ctx.out;
    let _ = writeln!(out);
    let show_lot = |out: &mut String, l: &crate::config::res_parking::ParkingLot| {
        let _ = writeln!(out, "Parking Lot: {}", l.name);
        let _ = writeln!(
            out,
            "--------------------------------------------------------------------------"
        );
        let _ = writeln!(out, "Parking Extension   :  {}", l.parkext);
        let _ = writeln!(out, "Parking Context     :  {}", l.context);
        let _ = writeln!(
            out,
            "Parking Spaces      :  {}-{}",
            l.parkpos.0, l.parkpos.1
        );
        let _ = writeln!(out, "Parking Time        :  {} sec", l.parkingtime);
        let yn = |b: bool| if b { "yes" } else { "no" };
        let _ = writeln!(out, "Comeback to Origin  :  {}", yn(l.comebacktoorigin));
        let _ = writeln!(
            out,
            "Comeback Context    :  {}{}",
            l.comebackcontext,
            if l.comebacktoorigin {
                " (comebacktoorigin=yes, not used)"
            } else {
                ""
            }
        );
        let _ = writeln!(out, "Comeback Dial Time  :  {} sec", l.comebackdialtime);
        let _ = writeln!(out, "MusicOnHold Class   :  {}", l.parkedmusicclass);
        let _ = writeln!(out, "Enabled             :  yes");
        let _ = writeln!(out, "Dynamic             :  no");
        let _ = writeln!(out);
    };
    if w.len() == 2 {
        let _ = writeln!(out, "Parking General Options\n-----------------------");
        let _ = writeln!(out, "Dynamic Parking     :  no");
        let _ = writeln!(out);
        for l in &lots {
            show_lot(out, l);
        }
        let _ = writeln!(out);
        return Res::Ok;
    }
    let Some(l) = lots.iter().find(|l| l.name.eq_ignore_ascii_case(w[2])) else {
        let _ = writeln!(out, "Could not find parking lot '{}'\n", w[2]);
        return Res::Ok;
    };
    show_lot(out, l);
    let _ = writeln!(out, "Parked Calls\n------------");
    let parked = crate::channel::parking::parked_in(&l.name);
    if parked.is_empty() {
        let _ = writeln!(out, "  (none)\n\n");
        return Res::Ok;
    }
    for (space, chan, parker, _) in parked {
        let _ = writeln!(out, "  Space               :  {space}");
        let _ = writeln!(out, "  Channel             :  {chan}");
        let _ = writeln!(out, "  Parker Dial String  :  {parker}");
        let _ = writeln!(out);
    }
    let _ = writeln!(out);
    Res::Ok
}

fn cmd_moh_files(ctx: &mut CliCtx, w: &[&str]) -> Res {
    if w.len() != 3 {
        return Res::Usage;
    }
    let reg = crate::moh::registry(ctx.pbx);
    for c in reg.listing() {
        if c.files.is_empty() {
            continue;
        }
        let _ = writeln!(ctx.out, "Class: {}", c.name);
        for f in c.files.iter() {
            let _ = writeln!(ctx.out, "\tFile: {}", f.display());
        }
    }
    Res::Ok
}

fn cmd_reload_sip(ctx: &mut CliCtx, w: &[&str]) -> Res {
    if w.len() != 2 {
        return Res::Usage;
    }
    // The configuration is read whole and swapped, as for `core reload`; registrations of
    // peers that are still configured stay.
    reload(ctx);
    Res::Ok
}

fn cmd_sip_peer(ctx: &mut CliCtx, w: &[&str]) -> Res {
    if w.len() < 4 || w.len() > 5 {
        return Res::Usage;
    }
    let cfg = ctx.pbx.config.read().unwrap().clone();
    ctx.out
        .push_str(&crate::sip::show::peer(ctx.pbx, &cfg.sip, w[3]));
    Res::Ok
}

fn cmd_sip_peers(ctx: &mut CliCtx, _w: &[&str]) -> Res {
    let cfg = ctx.pbx.config.read().unwrap().clone();
    ctx.out
        .push_str(&crate::sip::show::peers(ctx.pbx, &cfg.sip));
    Res::Ok
}

fn cmd_sip_users(ctx: &mut CliCtx, _w: &[&str]) -> Res {
    let cfg = ctx.pbx.config.read().unwrap().clone();
    ctx.out.push_str(&crate::sip::show::users(&cfg.sip));
    Res::Ok
}

fn cmd_sip_settings(ctx: &mut CliCtx, w: &[&str]) -> Res {
    if w.len() != 3 {
        return Res::Usage;
    }
    let cfg = ctx.pbx.config.read().unwrap().clone();
    ctx.out
        .push_str(&crate::sip::settings::settings(ctx.pbx, &cfg.sip));
    Res::Ok
}

fn cmd_sip_channels(ctx: &mut CliCtx, w: &[&str]) -> Res {
    if w.len() != 3 {
        return Res::Usage;
    }
    ctx.out.push_str(&crate::sip::show::channels(ctx.pbx));
    Res::Ok
}

fn cmd_sip_channelstats(ctx: &mut CliCtx, w: &[&str]) -> Res {
    if w.len() != 3 {
        return Res::Usage;
    }
    ctx.out.push_str(&crate::sip::show::channelstats(ctx.pbx));
    Res::Ok
}

/// `sip set debug on|off|ip addr[:port]|peer name`, with chan_sip's answers.
fn cmd_sip_debug(ctx: &mut CliCtx, w: &[&str]) -> Res {
    use crate::sip::transport::SipDebug;
    let sip = &ctx.pbx.sip;
    let was = *sip.debug.lock().unwrap() != SipDebug::Off;
    match w.get(3..).unwrap_or(&[]) {
        [on] if on.eq_ignore_ascii_case("on") => {
            sip.set_debug(SipDebug::On);
            let _ = writeln!(
                ctx.out,
                "SIP Debugging {}enabled",
                if was { "re-" } else { "" }
            );
        }
        [off] if off.eq_ignore_ascii_case("off") => {
            sip.set_debug(SipDebug::Off);
            ctx.out.push_str("SIP Debugging Disabled\n");
        }
        [ip, addr] if ip.eq_ignore_ascii_case("ip") => {
            let parsed = addr
                .parse::<std::net::SocketAddr>()
                .map(|a| (a.ip(), Some(a.port())))
                .or_else(|_| addr.parse::<std::net::IpAddr>().map(|a| (a, None)))
                .ok()
                .or_else(|| {
                    std::net::ToSocketAddrs::to_socket_addrs(&(*addr, 0))
                        .ok()
                        .and_then(|mut a| a.next())
                        .map(|a| (a.ip(), None))
                });
            let Some((ip, port)) = parsed else {
                return Res::Usage;
            };
            sip.set_debug(SipDebug::Ip(ip, port));
            let _ = writeln!(ctx.out, "SIP Debugging Enabled for IP: {ip}");
        }
        [peer, name] if peer.eq_ignore_ascii_case("peer") => {
            let known = ctx.pbx.config.read().unwrap().sip.peer(name).is_some();
            if !known {
                let _ = writeln!(ctx.out, "No such peer '{name}'");
                return Res::Ok;
            }
            let addr = sip
                .registrar
                .lock()
                .unwrap()
                .regs
                .get(*name)
                .map(|r| r.addr);
            match addr {
                Some(a) => {
                    sip.set_debug(SipDebug::Ip(a.ip(), Some(a.port())));
                    let _ = writeln!(ctx.out, "SIP Debugging Enabled for IP: {}", a.ip());
                }
                None => {
                    let _ = writeln!(ctx.out, "Unable to get IP address of peer '{name}'");
                }
            }
        }
        _ => return Res::Usage,
    }
    Res::Ok
}

fn cmd_sip_registry(ctx: &mut CliCtx, _w: &[&str]) -> Res {
    let cfg = ctx.pbx.config.read().unwrap().clone();
    ctx.out
        .push_str(&crate::sip::show::registry(ctx.pbx, &cfg.sip));
    Res::Ok
}

/// `family key` or `family/key`.
fn family_key<'a>(w: &[&'a str]) -> (&'a str, &'a str) {
    match w {
        [f, k, ..] => (f, k),
        [fk] => fk.split_once('/').unwrap_or((fk, "")),
        [] => ("", ""),
    }
}

fn cmd_db_show(ctx: &mut CliCtx, w: &[&str]) -> Res {
    if w.len() > 4 {
        return Res::Usage;
    }
    let (family, keytree) = family_key(&w[2..]);
    let rows = ctx.pbx.astdb.tree(family, keytree);
    for (k, v) in &rows {
        let _ = writeln!(ctx.out, "{:<50}: {:<25}", k, v);
    }
    let _ = writeln!(ctx.out, "{} results found.", rows.len());
    Res::Ok
}

fn cmd_db_put(ctx: &mut CliCtx, w: &[&str]) -> Res {
    if w.len() != 5 {
        return Res::Usage;
    }
    if ctx.pbx.astdb.put(w[2], w[3], w[4]) {
        ctx.out.push_str("Updated database successfully\n");
    } else {
        ctx.out.push_str("Failed to update entry\n");
    }
    Res::Ok
}

fn cmd_db_get(ctx: &mut CliCtx, w: &[&str]) -> Res {
    if w.len() != 4 {
        return Res::Usage;
    }
    match ctx.pbx.astdb.get(w[2], w[3]) {
        Some(v) => {
            let _ = writeln!(ctx.out, "Value: {v}");
        }
        None => ctx.out.push_str("Database entry not found.\n"),
    }
    Res::Ok
}

fn cmd_db_del(ctx: &mut CliCtx, w: &[&str]) -> Res {
    if w.len() != 4 {
        return Res::Usage;
    }
    if ctx.pbx.astdb.del(w[2], w[3]) {
        ctx.out.push_str("Database entry removed.\n");
    } else {
        ctx.out.push_str("Database entry could not be removed.\n");
    }
    Res::Ok
}

fn cmd_db_deltree(ctx: &mut CliCtx, w: &[&str]) -> Res {
    if w.len() < 3 || w.len() > 4 {
        return Res::Usage;
    }
    let (family, keytree) = family_key(&w[2..]);
    match ctx.pbx.astdb.deltree(family, keytree) {
        n if n < 0 => ctx.out.push_str("Database unavailable.\n"),
        0 => ctx.out.push_str("Database entries do not exist.\n"),
        n => {
            let _ = writeln!(ctx.out, "{n} database entries removed.");
        }
    }
    Res::Ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uptime_strings() {
        assert_eq!(uptime_str(0), "0 seconds");
        assert_eq!(uptime_str(1), "1 second");
        assert_eq!(uptime_str(60), "60 seconds");
        assert_eq!(uptime_str(61), "1 minute, 1 second");
        assert_eq!(uptime_str(3725), "1 hour, 2 minutes, 5 seconds");
        assert_eq!(uptime_str(7200 + 1), "2 hours, 1 second");
    }

    #[test]
    fn words() {
        assert_eq!(
            split_words("channel originate Local/1@x application Wait \"3 4\""),
            vec![
                "channel",
                "originate",
                "Local/1@x",
                "application",
                "Wait",
                "3 4"
            ]
        );
    }
}
