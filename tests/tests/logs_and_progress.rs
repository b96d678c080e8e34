//! Logs and progress: on a terminal a run longer than about a second shows which step of how
//! many it is at and for which interface (a DHCP wait); a quick run, or one whose stderr is not
//! a terminal, shows nothing. When stderr is the journal, errors carry their priority.
//! (Journal fields and priorities of log events are checked under systemd in the guest:
//! xtask's systemd boot test.)

use std::process::{Command, Stdio};

use netplug_tests::{document, netplug, Netns};

/// Run `netplug --netns NS ARGS` with a terminal for stdout and stderr (`script`); what the
/// terminal got.
fn on_a_terminal(ns: &Netns, args: &str) -> String {
    let cmd = format!("{} --netns {} {args}", netplug().display(), ns.name);
    let out = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env("NETPLUG_LOG", "warn")
        .env("NETPLUG_CONFIG_DIR", ns.dir.path().join("config"))
        .env("NETPLUG_RUN_DIR", ns.dir.path().join("run"))
        .env("NETPLUG_STATE_DIR", ns.dir.path().join("state"))
        .stdin(Stdio::null())
        .output()
        .expect("run script (util-linux)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_dhcp_wait_shows_its_step_and_interface_on_a_terminal() {
    let ns = Netns::new("progress");
    ns.ip(&["link", "add", "v0", "type", "veth", "peer", "name", "v0p"]);
    ns.ip(&["link", "set", "v0p", "up"]);
    // No server answers: the client waits its two seconds, then the apply rolls back.
    let doc = document(ns.dir.path(), "dhcp.xml", r#"<interface name="v0"><dhcp timeout="2"/></interface>"#);
    let screen = on_a_terminal(&ns, &format!("apply {}", doc.display()));
    assert!(screen.contains("netplug: applying 1/2: v0 [dhcp]"), "{screen:?}");
    assert!(screen.contains("no DHCPv4 lease within 2 s"), "{screen:?}");

    // Not a terminal: no progress line, however long it takes.
    let run = ns.netplug(&["apply", doc.to_str().unwrap()]);
    assert_eq!(run.code(), 1);
    assert!(!run.stderr().contains("applying"), "{}", run.stderr());
}

#[test]
fn a_quick_run_shows_no_progress() {
    let ns = Netns::new("quick");
    let doc = document(ns.dir.path(), "br.xml", r#"<bridge name="br0"/>"#);
    let screen = on_a_terminal(&ns, &format!("apply {}", doc.display()));
    // One change: the bridge is created up in its create request.
    assert!(screen.contains("applied 1 change(s)"), "{screen:?}");
    assert!(!screen.contains("netplug: applying"), "{screen:?}");
}

#[test]
fn errors_written_to_the_journal_carry_their_priority() {
    let dir = tempfile::tempdir().unwrap();
    let run = |journal_is_stderr: bool| {
        let path = dir.path().join(format!("stderr-{journal_is_stderr}"));
        let stderr = std::fs::File::create(&path).unwrap();
        let meta = std::os::unix::fs::MetadataExt::ino(&stderr.metadata().unwrap());
        let dev = std::os::unix::fs::MetadataExt::dev(&stderr.metadata().unwrap());
        // JOURNAL_STREAM names stderr itself only when systemd connected it; a redirect
        // since (here: another inode) must not count.
        let ino = if journal_is_stderr { meta } else { meta + 1 };
        Command::new(netplug())
            .args(["--run-dir"])
            .arg(dir.path())
            .args(["--config-dir"])
            .arg(dir.path())
            .args(["mac", "np-nonexistent0"])
            .env("JOURNAL_STREAM", format!("{dev}:{ino}"))
            .stderr(stderr)
            .status()
            .unwrap();
        std::fs::read_to_string(&path).unwrap()
    };
    assert!(run(true).starts_with("<3>netplug: error: np-nonexistent0: no such interface"), "{}", run(true));
    assert!(run(false).starts_with("netplug: error: np-nonexistent0"), "{}", run(false));
}
