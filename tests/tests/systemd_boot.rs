//! netplug under systemd, in a real boot: `cargo xtask vm-test` boots the guest with Debian's
//! systemd as PID 1, netplug's units enabled as their `[Install]` sections say and
//! /etc/netplug/nbr0.xml (an onboot bridge with 192.0.2.1/24) defined, and runs these tests
//! from a unit ordered after `network-online.target` (see xtask/src/vm/systemd.rs). Anywhere
//! else they are ignored: they read and change the machine's own units and interfaces.

use std::process::Command;
use std::time::{Duration, Instant};

fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program).args(args).output().unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// `systemctl show -P PROPERTY UNIT`.
fn property(unit: &str, name: &str) -> String {
    run("systemctl", &["show", "-P", name, unit])
}

/// When the unit became active, in µs since boot (0: never).
fn active_since(unit: &str) -> u64 {
    property(unit, "ActiveEnterTimestampMonotonic").parse().unwrap()
}

fn addresses(link: &str) -> String {
    run("ip", &["-o", "addr", "show", "dev", link])
}

#[test]
#[ignore = "needs the systemd guest of `cargo xtask vm-test`"]
fn onboot_interfaces_are_configured_before_network_target() {
    assert_eq!(property("netplug-apply.service", "ActiveState"), "active");
    assert!(addresses("nbr0").contains("192.0.2.1/24"), "{}", addresses("nbr0"));
    let applied = active_since("netplug-apply.service");
    let network = active_since("network.target");
    assert!(applied > 0 && network > 0, "apply {applied}, network.target {network}");
    assert!(applied <= network, "network.target ({network} µs) came before the apply ended ({applied} µs)");
    assert!(property("network.target", "After").contains("netplug-apply.service"));
}

#[test]
#[ignore = "needs the systemd guest of `cargo xtask vm-test`"]
fn wait_online_orders_network_online_target() {
    assert_eq!(property("netplug-wait-online.service", "ActiveState"), "active");
    assert_eq!(property("network-online.target", "ActiveState"), "active");
    // Enabled as its [Install] says, it is what network-online.target waits for.
    assert!(property("network-online.target", "Wants").contains("netplug-wait-online.service"));
    assert!(property("network-online.target", "After").contains("netplug-wait-online.service"));
    let waited = active_since("netplug-wait-online.service");
    let online = active_since("network-online.target");
    assert!(waited > 0 && waited <= online, "wait-online {waited} µs, network-online.target {online} µs");
    assert!(property("netplug-wait-online.service", "After").contains("netplug-apply.service"));
}

#[test]
#[ignore = "needs the systemd guest of `cargo xtask vm-test`"]
fn the_daemon_answers_systemctl_reload() {
    assert_eq!(property("netplug-daemon.service", "ActiveState"), "active");
    let pid = property("netplug-daemon.service", "MainPID");
    // A device that is there before its definition: no link event will bring it up, only
    // the reload that reads the new definition.
    run("ip", &["link", "add", "vmdummy0", "type", "dummy"]);
    std::fs::write(
        "/etc/netplug/vmdummy0.xml",
        r#"<interface name="vmdummy0" startmode="hotplug"><static ipaddr="198.51.100.1/24"/></interface>"#,
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    assert!(!addresses("vmdummy0").contains("198.51.100.1"), "configured before the reload");
    run("systemctl", &["reload", "netplug-daemon.service"]);
    let deadline = Instant::now() + Duration::from_secs(60);
    while !addresses("vmdummy0").contains("198.51.100.1/24") {
        assert!(
            Instant::now() < deadline,
            "the reload did not configure vmdummy0: {}",
            addresses("vmdummy0")
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(property("netplug-daemon.service", "MainPID"), pid, "reloaded, not restarted");
    assert_eq!(property("netplug-daemon.service", "ActiveState"), "active");
}

#[test]
#[ignore = "needs the systemd guest of `cargo xtask vm-test`"]
fn the_daemon_logs_to_the_journal_with_priorities_and_fields() {
    let log = run("journalctl", &["-o", "json", "--no-pager", "-u", "netplug-daemon.service"]);
    let entries: Vec<serde_json::Value> = log.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let ours: Vec<&serde_json::Value> = entries
        .iter()
        .filter(|e| e["SYSLOG_IDENTIFIER"] == "netplug" && e.get("NETPLUG_INTERFACE").is_some())
        .collect();
    let onboot = ours
        .iter()
        .find(|e| e["NETPLUG_INTERFACE"].as_str().is_some_and(|i| i.contains("nbr0")))
        .unwrap_or_else(|| panic!("no entry with NETPLUG_INTERFACE=nbr0 in:\n{log}"));
    // info, as journald has it (tracing-journald: error 3, warn 4, info 5, debug 6).
    assert_eq!(onboot["PRIORITY"], "5", "{onboot}");
    // A native entry: the message itself, without a timestamp or level of its own.
    let message = onboot["MESSAGE"].as_str().unwrap();
    assert!(message.contains("applying nbr0") && !message.contains("INFO"), "{message}");
}
