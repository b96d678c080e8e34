//! `netplug plan/apply/check/show` end to end: the real binary, the workspace's real plugins,
//! in network namespaces made for each test. veth pairs stand in for NICs (this kernel has no
//! dummy). The oracle is iproute2's view of the namespace, not netplug's own reading.

use std::process::Command;

use netplug_tests::{document, Netns};

/// Two veth pairs as "NICs", made by hand: they exist before netplug runs, as NICs do.
fn nics(ns: &Netns) {
    ns.ip(&["link", "add", "eth0", "type", "veth", "peer", "name", "eth0p"]);
    ns.ip(&["link", "add", "eth1", "type", "veth", "peer", "name", "eth1p"]);
    // The far ends are the "switch": up, and without IPv6, which the kernel would set up on
    // them (link-local address, multicast route) the first time netplug brings a NIC up and
    // keep after a rollback takes it down again — state of a foreign link, not netplug's.
    for peer in ["eth0p", "eth1p"] {
        let knob = format!("echo 1 > /proc/sys/net/ipv6/conf/{peer}/disable_ipv6");
        let ok = Command::new("ip").args(["netns", "exec", &ns.name, "sh", "-c", &knob]).status().unwrap();
        assert!(ok.success());
        ns.ip(&["link", "set", peer, "up"]);
    }
}

/// Ethernet with MTU, addresses of both families, a gateway and routes of several types, and
/// a bridge with a port and an address: a plan of a dozen steps across five plugins.
const STACK: &str = r#"<interfaces>
  <interface device="eth0" mtu="1400">
    <static ipaddr="192.0.2.1/24" gateway="192.0.2.254"/>
    <static ip6addr="2001:db8:1::1/64"/>
    <route destination="198.51.100.0/24" gateway="192.0.2.253" metric="50"/>
    <route destination="203.0.113.0/24"/>
    <route destination="2001:db8:99::/48" gateway="2001:db8:1::fe" table="100"/>
  </interface>
  <interface device="eth1"/>
  <bridge name="br0" stp="off" forwarddelay="0">
    <member device="eth1"/>
    <static ipaddr="10.1.0.1/24"/>
  </bridge>
</interfaces>
"#;

/// The same interfaces with the bridge gone and eth0 stripped of what netplug put there.
const TEARDOWN: &str = r#"<interfaces>
  <interface device="eth0" mtu="1500"/>
  <interface device="eth1"/>
  <bridge name="br0" state="absent"/>
</interfaces>
"#;

#[test]
fn apply_is_idempotent_and_check_sees_drift() {
    let ns = Netns::new("apply");
    nics(&ns);
    let dir = tempfile::tempdir().unwrap();
    let doc = document(dir.path(), "stack.xml", STACK);
    let path = doc.to_str().unwrap();

    let out = ns.netplug(&["apply", path]).ok();
    assert!(out.contains("verified"), "{out}");
    let addrs = ns.ip(&["addr", "show", "dev", "eth0"]);
    assert!(addrs.contains("192.0.2.1/24") && addrs.contains("2001:db8:1::1/64"), "{addrs}");
    assert!(ns.ip(&["link", "show", "eth0"]).contains("mtu 1400"));
    assert!(ns.ip(&["link", "show", "eth1"]).contains("master br0"));
    let routes = ns.ip(&["route", "show"]);
    assert!(routes.contains("default via 192.0.2.254"), "{routes}");
    assert!(routes.contains("198.51.100.0/24 via 192.0.2.253"), "{routes}");
    assert!(routes.contains("unreachable 203.0.113.0/24"), "{routes}");
    assert!(ns.ip(&["-6", "route", "show", "table", "100"]).contains("2001:db8:99::/48 via 2001:db8:1::fe"));

    // The second run sends nothing and says so.
    let again = ns.netplug(&["apply", path]).ok();
    assert!(again.contains("no changes"), "{again}");
    assert_eq!(ns.netplug(&["check", path]).code(), 0);

    // A change made by hand is drift, reported by interface, and the next apply repairs it.
    ns.ip(&["link", "set", "eth0", "mtu", "1500"]);
    ns.ip(&["addr", "del", "10.1.0.1/24", "dev", "br0"]);
    let check = ns.netplug(&["check", path]);
    assert_eq!(check.code(), 1, "{}", check.stdout());
    assert!(check.stdout().contains("eth0") && check.stdout().contains("1400"), "{}", check.stdout());
    assert!(check.stdout().contains("br0") && check.stdout().contains("10.1.0.1/24"), "{}", check.stdout());
    ns.netplug(&["apply", path]).ok();
    assert_eq!(ns.netplug(&["check", path]).code(), 0);

    // `show` reads it all back in netplug's own XML.
    let shown = ns.netplug(&["show", "eth0", "br0"]).ok();
    for needle in ["eth0", "br0", "192.0.2.1/24", "eth1", "1400"] {
        assert!(shown.contains(needle), "show lacks {needle}:\n{shown}");
    }
}

#[test]
fn only_what_netplug_configured_is_removed() {
    let ns = Netns::new("owned");
    nics(&ns);
    let dir = tempfile::tempdir().unwrap();
    let doc = document(dir.path(), "stack.xml", STACK);
    ns.netplug(&["apply", doc.to_str().unwrap()]).ok();
    // Things an administrator (or another daemon) added by hand.
    ns.ip(&["addr", "add", "192.0.2.99/24", "dev", "eth0"]);
    ns.ip(&["route", "add", "192.0.2.128/25", "via", "192.0.2.100", "proto", "boot"]);

    let teardown = document(dir.path(), "teardown.xml", TEARDOWN);
    ns.netplug(&["apply", teardown.to_str().unwrap()]).ok();
    let addrs = ns.ip(&["addr", "show", "dev", "eth0"]);
    assert!(!addrs.contains("192.0.2.1/24") && !addrs.contains("2001:db8:1::1/64"), "{addrs}");
    assert!(addrs.contains("192.0.2.99/24"), "a foreign address was removed:\n{addrs}");
    let routes = ns.ip(&["route", "show"]);
    assert!(routes.contains("192.0.2.128/25 via 192.0.2.100"), "a foreign route was removed:\n{routes}");
    assert!(!routes.contains("198.51.100.0/24") && !routes.contains("203.0.113.0/24"), "{routes}");
    assert!(!ns.ip(&["link", "show"]).contains("br0"), "the absent bridge is still there");
    assert!(ns.ip(&["link", "show", "eth0"]).contains("mtu 1500"));
}

/// For every step k of a plan, a failure forced at k leaves the namespace exactly as before:
/// links, addresses and routes as iproute2 sees them.
#[test]
fn failure_at_every_step_rolls_back_completely() {
    let ns = Netns::new("inject");
    nics(&ns);
    let dir = tempfile::tempdir().unwrap();
    let up = document(dir.path(), "stack.xml", STACK);
    let down = document(dir.path(), "teardown.xml", TEARDOWN);

    // Build-up from bare NICs, then teardown from the applied stack.
    for (doc, setup) in [(&up, None), (&down, Some(&up))] {
        if let Some(setup) = setup {
            ns.netplug(&["apply", setup.to_str().unwrap()]).ok();
        }
        ns.fail_at_every_step(doc, 8);
    }
}

/// A kernel refusal mid-apply: the user sees the kernel's own words, and nothing stays changed.
#[test]
fn kernel_error_names_interface_and_rolls_back() {
    let ns = Netns::new("kerr");
    nics(&ns);
    let dir = tempfile::tempdir().unwrap();
    let doc = document(
        dir.path(),
        "bad.xml",
        // Validation only warns about a gateway outside every subnet (it may be reachable
        // through a route netplug does not manage); the kernel refuses it.
        r#"<interfaces>
  <interface device="eth1" mtu="1400"><static ipaddr="10.9.0.1/24"/></interface>
  <interface device="eth0">
    <static ipaddr="10.8.0.1/24"/>
    <route destination="198.51.100.0/24" gateway="203.0.113.1"/>
  </interface>
</interfaces>"#,
    );
    let before = ns.state();
    let run = ns.netplug(&["apply", doc.to_str().unwrap()]);
    assert_eq!(run.code(), 1, "{}", run.stdout());
    let err = run.stderr();
    assert!(err.contains("eth0") && err.contains("Nexthop has invalid gateway"), "{err}");
    assert!(err.contains("as it was before"), "{err}");
    netplug_tests::assert_same_state(&before, &ns.state(), "after a kernel error");
}

/// Whether strace is there; says why a test is skipped when it is not.
fn have_strace() -> bool {
    let there = Command::new("strace").arg("-V").output().is_ok();
    if !there {
        eprintln!("strace is not installed; skipping (.ci/run installs it)");
    }
    there
}

/// `netplug apply DOC` in `ns` under `strace -f -e EXPR`: the trace.
fn strace_apply(ns: &Netns, doc: &std::path::Path, expr: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("trace");
    let netplug = ns.command();
    let status = Command::new("strace")
        .args(["-f", "-e", expr, "-o"])
        .arg(&trace)
        .arg(netplug.get_program())
        .args(netplug.get_args())
        .envs(netplug.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .arg("apply")
        .arg(doc)
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::read_to_string(&trace).unwrap()
}

/// netplug speaks netlink itself: no `ip`, `ethtool` or any other program runs.
#[test]
fn apply_executes_no_program() {
    if !have_strace() {
        return;
    }
    let ns = Netns::new("strace");
    nics(&ns);
    let dir = tempfile::tempdir().unwrap();
    let doc = document(dir.path(), "stack.xml", STACK);
    let text = strace_apply(&ns, &doc, "trace=execve");
    let execs: Vec<_> = text.lines().filter(|l| l.contains("execve(")).collect();
    assert_eq!(execs.len(), 1, "only netplug itself may be executed:\n{}", execs.join("\n"));
}

/// The plugins of one run share one link dump: a no-change re-apply of a document that four
/// plugins read (ethernet, bridge, static, routes) asks the kernel for the link table once.
#[test]
fn a_no_change_run_dumps_the_links_once() {
    if !have_strace() {
        return;
    }
    let ns = Netns::new("onedump");
    nics(&ns);
    let dir = tempfile::tempdir().unwrap();
    let doc = document(dir.path(), "stack.xml", STACK);
    ns.netplug(&["apply", doc.to_str().unwrap()]).ok();

    let text = strace_apply(&ns, &doc, "trace=sendto,sendmsg");
    // strace names the message when it can tell the socket is rtnetlink, which it cannot for
    // one opened in another namespace: RTM_GETLINK is 18 (0x12), NLM_F_DUMP is 0x300.
    let dumps: Vec<_> = text
        .lines()
        .filter(|l| l.contains("nlmsg_type=RTM_GETLINK") || l.contains("nlmsg_type=0x12 "))
        .filter(|l| l.contains("NLM_F_DUMP") || l.contains("|0x300"))
        .collect();
    assert_eq!(dumps.len(), 1, "one link dump per read pass:\n{text}");
}

/// The options that say where netplug keeps its files go before the verb; given after it they
/// get an answer that says so. --json (like --netns, -v, -q) may come on either side.
#[test]
fn netplugs_own_options_after_the_verb_say_where_they_go() {
    let dir = tempfile::tempdir().unwrap();
    let doc = document(dir.path(), "empty.xml", "<interfaces/>\n");
    let netplug = || {
        let mut cmd = Command::new(netplug_tests::netplug());
        cmd.env("NETPLUG_RUN_DIR", dir.path().join("run"))
            .env("NETPLUG_CONFIG_DIR", dir.path().join("config"));
        cmd
    };
    let out = netplug().args(["validate", "--run-dir", "/nonexistent"]).arg(&doc).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "--run-dir is netplug's own option and goes before the verb: netplug --run-dir ... validate"
        ),
        "{err}"
    );

    let out = netplug().args(["validate", "--json"]).arg(&doc).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["diagnostics"], serde_json::json!([]));
}
