//! The console over the control socket: `zvezda -rx` and `zvezda -r` against a running
//! server, with Asterisk's output layouts (compat-tests/seed/expected and the golden
//! console captures copied under compat-tests/console/).

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use support::{Server, BIN};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn golden(name: &str) -> String {
    std::fs::read_to_string(root().join("compat-tests/console").join(name)).unwrap()
}

/// A writable copy of the seed config.
fn seed_copy() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::copy(
        root().join("compat-tests/seed/etc/extensions.conf"),
        d.path().join("extensions.conf"),
    )
    .unwrap();
    // SIP on loopback and away from the real provider: no `register =>` from a test.
    let sip = std::fs::read_to_string(root().join("compat-tests/seed/etc/sip.conf")).unwrap();
    let port = support::free_port();
    let sip: String = sip
        .lines()
        .filter(|l| !l.trim_start().starts_with("register"))
        .map(|l| {
            if l.trim() == "[general]" {
                format!("[general]\nbindaddr=127.0.0.1\nbindport={port}\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    std::fs::write(d.path().join("sip.conf"), sip).unwrap();
    d
}

#[test]
fn dialplan_show_over_the_socket_matches_asterisk() {
    let etc = seed_copy();
    let s = Server::start(etc.path());
    let out = s.rx("dialplan show outcoling");
    let want = std::fs::read_to_string(
        root().join("compat-tests/seed/expected/seed-dialplan-show-outcoling.txt"),
    )
    .unwrap();
    assert_eq!(out, want);
    let out = s.rx("dialplan show 1002@outcoling");
    let want = std::fs::read_to_string(
        root().join("compat-tests/seed/expected/seed-dialplan-show-1002-at-outcoling.txt"),
    )
    .unwrap();
    assert_eq!(out, want);
}

#[test]
fn core_show_layouts() {
    let etc = seed_copy();
    let s = Server::start(etc.path());
    // Idle channel list: the header line is byte for byte Asterisk's.
    let out = s.rx("core show channels");
    let want = golden("core-show-channels-idle.txt");
    assert_eq!(out.lines().next(), want.lines().next());
    assert!(
        out.contains("\n0 active channels\n0 active calls\n0 calls processed\n"),
        "{out}"
    );

    let out = s.rx("core show applications");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "    -= Registered Asterisk Applications =-");
    assert!(
        lines.contains(&"                Answer: Answer a channel if ringing. "),
        "{out}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("                  Dial: ")),
        "{out}"
    );
    let n = lines.len() - 2;
    assert_eq!(
        *lines.last().unwrap(),
        format!("    -= {n} Applications Registered =-")
    );

    let out = s.rx("core show functions");
    let want = golden("core-show-functions.txt");
    let wl: Vec<&str> = want.lines().collect();
    let ol: Vec<&str> = out.lines().collect();
    assert_eq!(&ol[..2], &wl[..2]);
    assert!(
        ol.last().unwrap().ends_with(" custom functions installed."),
        "{out}"
    );

    let out = s.rx("core show application Goto");
    assert!(
        out.starts_with("\n  -= Info about Application 'Goto' =- \n\n[Synopsis]\n"),
        "{out}"
    );
    assert!(out.contains("\n[Provided By]\npbx_builtins\n"), "{out}");
    assert!(
        out.contains("\n[Syntax]\nGoto([[context,]extensions,]priority)\n"),
        "{out}"
    );
    let out = s.rx("core show application NoSuchApp");
    assert_eq!(out, "Your application(s) is (are) not registered\n");

    let out = s.rx("core show uptime");
    assert!(out.starts_with("System uptime: "), "{out}");
    assert!(out.contains("\nLast reload: "), "{out}");
    let out = s.rx("core show uptime seconds");
    let secs: Vec<&str> = out.lines().collect();
    assert!(
        secs[0]
            .strip_prefix("System uptime: ")
            .unwrap()
            .parse::<u64>()
            .is_ok(),
        "{out}"
    );

    let out = s.rx("core show version");
    assert!(out.starts_with("zvezda "), "{out}");
    let out = s.rx("core show nonsense");
    assert!(
        out.starts_with("No such command 'core show nonsense'"),
        "{out}"
    );
    let out = s.rx("help core show");
    assert!(
        out.contains(
            "core show channels [concise|verbose|count] -- Display information on channels"
        ),
        "{out}"
    );
    assert!(
        out.contains("core show version              -- Display version info"),
        "{out}"
    );
}

#[test]
fn astdb_commands() {
    let etc = seed_copy();
    let s = Server::start(etc.path());
    assert_eq!(
        s.rx("database put cidname 5551234 Ivan"),
        "Updated database successfully\n"
    );
    assert_eq!(
        s.rx("database put cidname 5559999 \"Olga K\""),
        "Updated database successfully\n"
    );
    assert_eq!(s.rx("database get cidname 5551234"), "Value: Ivan\n");
    assert_eq!(
        s.rx("database get cidname 0000"),
        "Database entry not found.\n"
    );
    assert_eq!(
        s.rx("database show cidname"),
        format!(
            "{:<50}: {:<25}\n{:<50}: {:<25}\n2 results found.\n",
            "/cidname/5551234", "Ivan", "/cidname/5559999", "Olga K"
        )
    );
    assert_eq!(
        s.rx("database del cidname 5551234"),
        "Database entry removed.\n"
    );
    assert_eq!(
        s.rx("database del cidname 5551234"),
        "Database entry could not be removed.\n"
    );
    assert_eq!(
        s.rx("database deltree cidname"),
        "1 database entries removed.\n"
    );
    assert_eq!(s.rx("database show"), "0 results found.\n");
    // The store is Asterisk's own file.
    let db = s.dir.path().join("db/astdb.sqlite3");
    assert!(db.exists());
}

#[test]
fn reload_swaps_whole_or_keeps_the_old_dialplan() {
    let etc = seed_copy();
    let s = Server::start(etc.path());
    let ext = etc.path().join("extensions.conf");
    let orig = std::fs::read_to_string(&ext).unwrap();
    std::fs::write(&ext, format!("{orig}\n[added]\nexten => 1,1,NoOp(new)\n")).unwrap();
    assert_eq!(s.rx("dialplan reload"), "Dialplan reloaded.\n");
    assert!(s.rx("dialplan show added").contains("'1' =>"));
    // A file Asterisk would refuse: the old dialplan stays, and the console says why.
    std::fs::write(&ext, "[broken\nexten => 1,1,NoOp\n").unwrap();
    let out = s.rx("dialplan reload");
    assert!(out.contains("Dialplan reload failed"), "{out}");
    assert!(out.contains("extensions.conf:1"), "{out}");
    assert!(s.rx("dialplan show added").contains("'1' =>"));
    assert!(s.rx("dialplan show outcoling").contains("'_X.' =>"));
    // core reload reads it again too.
    std::fs::write(&ext, format!("{orig}\n[again]\nexten => 2,1,NoOp(x)\n")).unwrap();
    assert_eq!(s.rx("core reload"), "");
    assert!(s.rx("dialplan show again").contains("'2' =>"));
}

#[test]
fn set_verbose_and_remote_console() {
    let etc = seed_copy();
    let s = Server::start(etc.path());
    // -rx has no console verbosity of its own.
    assert_eq!(
        s.rx("core set verbose 5"),
        "No console to set the verbosity of.\n"
    );
    // -r reads commands (here from a pipe), prints their output and the verbose trace.
    let mut child = Command::new(BIN)
        .arg("-C")
        .arg(&s.conf)
        .arg("-r")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(b"core set verbose 4\ncore set verbose 4\nchannel originate Local/555@outcoling/n application Wait 1\n")
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    stdin.write_all(b"exit\n").unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Console verbose was 3 and is now 4."),
        "{text}"
    );
    assert!(text.contains("Console verbose is still 4."), "{text}");
    assert!(
        text.contains("    -- Executing [555@outcoling:1] Set(\"Local/555@outcoling-"),
        "{text}"
    );
}

#[test]
fn no_server_is_reported() {
    let d = tempfile::tempdir().unwrap();
    let conf = d.path().join("asterisk.conf");
    std::fs::write(
        &conf,
        format!("[directories]\nastrundir => {}/run\n", d.path().display()),
    )
    .unwrap();
    let out = Command::new(BIN)
        .arg("-C")
        .arg(&conf)
        .args(["-rx", "core show version"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Unable to connect to remote asterisk"),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{}",
            Path::new(&format!("{}/run/asterisk.ctl", d.path().display())).display()
        )),
        "{err}"
    );
}

#[test]
fn completion_knows_commands_and_contexts() {
    use zvezda::console::complete;
    let dir = root().join("compat-tests/seed/etc");
    let set = zvezda::config::ConfigSet::load(&dir);
    let pbx = zvezda::pbx::Pbx::with_db(dir.clone(), set, zvezda::astdb::AstDb::memory());
    assert_eq!(complete(&pbx, "core show ver"), vec!["version"]);
    assert_eq!(complete(&pbx, "dat"), vec!["database"]);
    assert!(complete(&pbx, "dialplan show ").contains(&"outcoling".to_string()));
    assert!(complete(&pbx, "core show application Go").contains(&"GotoIf".to_string()));
    assert!(complete(&pbx, "core ").contains(&"reload".to_string()));
}

#[test]
fn channels_during_a_call_and_originate_to_an_extension() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("extensions.conf"),
        "[t]\nexten => 1,1,Answer()\nsame => n,Wait(2)\n[u]\nexten => 2,1,NoOp(the first half runs this)\nsame => n,Wait(2)\n",
    )
    .unwrap();
    std::fs::write(
        d.path().join("sip.conf"),
        format!(
            "[general]\nbindaddr=127.0.0.1\nbindport={}\n",
            support::free_port()
        ),
    )
    .unwrap();
    let s = Server::start(d.path());
    s.rx("channel originate Local/1@t/n extension 2@u");
    std::thread::sleep(std::time::Duration::from_millis(700));
    let out = s.rx("core show channels");
    let lines: Vec<&str> = out.lines().collect();
    let two = lines
        .iter()
        .find(|l| l.starts_with("Local/1@t-") && l.contains(";2 "))
        .expect(&out);
    assert_eq!(&two[65..65 + 32].trim_end(), &"1@t:2", "{out}");
    assert_eq!(&two[98..105].trim_end(), &"Up", "{out}");
    assert!(two[106..].starts_with("Wait(2)"), "{out}");
    assert!(
        out.contains("\n2 active channels\n2 active calls\n2 calls processed\n"),
        "{out}"
    );
    s.wait_idle();
    let trace = s.lines.lock().unwrap().join("\n");
    assert!(
        trace.contains("    -- Executing [1@t:1] Answer(\"Local/1@t-"),
        "{trace}"
    );
    assert!(
        trace.contains("    -- Executing [2@u:1] NoOp(\"Local/1@t-")
            && trace.contains(";1\", \"the first half runs this\")"),
        "{trace}"
    );
}

#[test]
fn sip_show_peer_users_registry_as_chan_sip() {
    // The golden dialplan suite's sip.conf: peers 1001 and 1002, none registered.
    let etc = root().join("compat-tests/dialplan");
    let d = tempfile::tempdir().unwrap();
    for f in ["extensions.conf", "sip.conf"] {
        std::fs::copy(etc.join(f), d.path().join(f)).unwrap();
    }
    let port = support::free_port();
    let sip = std::fs::read_to_string(d.path().join("sip.conf"))
        .unwrap()
        .replace("bindport=5380", &format!("bindport={port}"));
    std::fs::write(d.path().join("sip.conf"), sip).unwrap();
    let s = Server::start(d.path());
    assert_eq!(
        s.rx("sip show settings"),
        // zvezda names itself where Asterisk's User-Agent names Asterisk.
        golden("sip-show-settings.txt")
            .replace(":5380", &format!(":{port}"))
            .replace(
                "Asterisk PBX 20.20.1",
                &format!("zvezda PBX {}", env!("CARGO_PKG_VERSION"))
            )
    );
    assert_eq!(
        s.rx("sip show channels"),
        "Peer             User/ANR         Call ID          Format           Hold     Last Message    Expiry     Peer      \n0 active SIP dialogs\n"
    );
    assert_eq!(
        s.rx("sip show peer 1001"),
        golden("dp-sip-show-peer-1001.txt")
    );
    assert_eq!(s.rx("sip show peers"), golden("dp-sip-show-peers.txt"));
    assert_eq!(s.rx("sip show users"), golden("dp-sip-show-users.txt"));
    assert_eq!(
        s.rx("sip show registry"),
        golden("dp-sip-show-registry.txt")
    );
    assert_eq!(s.rx("sip show peer nosuch"), "Peer nosuch not found.\n");
}

#[test]
fn dial_to_local_channels() {
    let etc = root().join("compat-tests/dialplan-zvezda");
    let s = Server::start(&etc);
    s.rx("channel originate Local/600@dl/n application Wait 3");
    s.wait_idle();
    s.rx("channel originate Local/602@dl/n application Wait 3");
    s.wait_idle();
    std::thread::sleep(std::time::Duration::from_millis(100));
    let t = s.lines.lock().unwrap().join("\n");
    for want in [
        "    -- Called Local/601@dl",
        "    -- Executing [601@dl:1] Answer(\"Local/601@dl-",
        ";1 answered Local/600@dl-",
        "    -- Channel Local/601@dl-",
        " joined 'simple_bridge' basic-bridge <",
        " left 'simple_bridge' basic-bridge <",
        "  == Spawn extension (dl, 600, 1) exited non-zero on 'Local/600@dl-",
        ";1 is busy",
        "  == Everyone is busy/congested at this time (1:1/0/0)",
        "NoOp(\"Local/602@dl-",
        "\"DIALSTATUS=BUSY\") in new stack",
    ] {
        assert!(t.contains(want), "missing {want:?} in\n{t}");
    }
    assert!(!t.contains("not reached"), "{t}");
}
