//! The netcf/libvirt lifecycle end to end: define, list, dumpxml, start, stop, undefine,
//! transactions and confirmed applies, with the real binary in namespaces of their own and a
//! temporary config/run/state directory each (never the machine's /etc or /run).

use std::time::{Duration, Instant};

use netplug_tests::{document, Netns};

const BRIDGES: &str = r#"<interfaces>
  <bridge name="br0" stp="off" forwarddelay="0" startmode="onboot"/>
  <bridge name="br1" stp="on" priority="4096" startmode="manual"/>
</interfaces>
"#;

fn links(ns: &Netns) -> String {
    ns.ip(&["-br", "link", "show"])
}

#[test]
fn define_list_start_stop_undefine() {
    let ns = Netns::new("life");
    let doc = document(ns.dir.path(), "bridges.xml", BRIDGES);
    let out = ns.netplug(&["define", doc.to_str().unwrap()]).ok();
    assert!(out.contains("defined br0") && out.contains("defined br1"), "{out}");
    assert!(!links(&ns).contains("br0"), "define must not touch the kernel");

    let all = ns.netplug(&["list", "--all"]).ok();
    assert!(all.contains("br0") && all.contains("inactive"), "{all}");
    assert!(!ns.netplug(&["list"]).ok().contains("br0"), "only active ones by default");

    ns.netplug(&["start", "br1"]).ok();
    assert!(links(&ns).contains("br1") && !links(&ns).contains("br0"), "{}", links(&ns));
    let list: serde_json::Value = serde_json::from_str(&ns.netplug(&["--json", "list"]).ok()).unwrap();
    assert_eq!(list["interfaces"].as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list["interfaces"][0]["name"], "br1");

    // Live state and the stored definition, in both dialects.
    assert!(ns.netplug(&["dumpxml", "br1"]).ok().contains(r#"priority="4096""#));
    assert!(ns.netplug(&["dumpxml", "--inactive", "br1"]).ok().contains(r#"stp="on""#));
    assert!(ns.netplug(&["dumpxml", "--libvirt", "br1"]).ok().contains("type=\"bridge\""));

    // The boot service's run brings up exactly the onboot definitions.
    ns.netplug(&["stop", "br1"]).ok();
    assert!(!links(&ns).contains("br1"));
    ns.netplug(&["apply", "--all"]).ok();
    assert!(links(&ns).contains("br0") && !links(&ns).contains("br1"), "{}", links(&ns));

    ns.netplug(&["undefine", "br1"]).ok();
    assert!(!ns.netplug(&["list", "--all"]).ok().contains("br1"));
    let missing = ns.netplug(&["start", "br1"]);
    assert_eq!(missing.code(), 2);
    assert!(missing.stderr().contains("br1: no such defined interface"), "{}", missing.stderr());
}

#[test]
fn rollback_restores_kernel_and_store() {
    let ns = Netns::new("txn");
    let doc = document(ns.dir.path(), "bridges.xml", BRIDGES);
    ns.netplug(&["define", doc.to_str().unwrap()]).ok();
    ns.netplug(&["start", "br0"]).ok();
    let kernel_before = ns.state();
    let store_before = ns.netplug(&["list", "--all"]).ok();

    ns.netplug(&["begin"]).ok();
    assert_eq!(ns.netplug(&["begin"]).code(), 2, "a second begin is refused");
    let changed = document(
        ns.dir.path(),
        "changed.xml",
        r#"<interfaces><bridge name="br0" stp="on" mtu="1400"/><bridge name="br2"/></interfaces>"#,
    );
    ns.netplug(&["define", changed.to_str().unwrap()]).ok();
    ns.netplug(&["apply", changed.to_str().unwrap()]).ok();
    ns.netplug(&["undefine", "br1"]).ok();
    assert_ne!(ns.state(), kernel_before);

    ns.netplug(&["rollback"]).ok();
    netplug_tests::assert_same_state(&kernel_before, &ns.state(), "rollback");
    assert_eq!(ns.netplug(&["list", "--all"]).ok(), store_before, "the store is as at begin");
    assert_eq!(ns.netplug(&["rollback"]).code(), 2, "nothing left to roll back");

    // commit keeps what was done.
    ns.netplug(&["begin"]).ok();
    ns.netplug(&["apply", changed.to_str().unwrap()]).ok();
    ns.netplug(&["commit"]).ok();
    assert!(links(&ns).contains("br2"));
}

#[test]
fn killed_inside_a_transaction_then_boot_restores() {
    let ns = Netns::new("kill");
    let doc = document(ns.dir.path(), "bridges.xml", BRIDGES);
    ns.netplug(&["define", doc.to_str().unwrap()]).ok();
    ns.netplug(&["apply", "--all"]).ok();
    let before = ns.state();
    ns.netplug(&["begin"]).ok();

    // Many bridges make the apply long enough to kill it part way.
    let mut many = String::from("<interfaces>\n");
    for i in 0..400 {
        many.push_str(&format!("  <bridge name=\"k{i}\"/>\n"));
    }
    many.push_str("</interfaces>\n");
    let big = document(ns.dir.path(), "many.xml", &many);
    let mut child = ns.command().args(["apply", big.to_str().unwrap()]).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(150));
    let _ = child.kill(); // SIGKILL
    let _ = child.wait();

    // What the boot service runs: the open transaction is undone, then onboot is applied.
    ns.netplug(&["apply", "--all"]).ok();
    netplug_tests::assert_same_state(&before, &ns.state(), "after recovery");
}

#[test]
fn unconfirmed_apply_rolls_back_and_confirmed_stays() {
    let ns = Netns::new("confirm");
    let doc = document(ns.dir.path(), "br.xml", r#"<bridge name="brc" stp="off"/>"#);
    let before = ns.state();
    let started = Instant::now();
    let run = ns.netplug(&["apply", "--confirm", "2", doc.to_str().unwrap()]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    assert!(run.stderr().contains("not confirmed"), "{}", run.stderr());
    assert!(started.elapsed() >= Duration::from_secs(2));
    netplug_tests::assert_same_state(&before, &ns.state(), "unconfirmed");

    // Confirmed from another process while the first waits.
    let mut waiting = ns.command().args(["apply", "--confirm", "30", doc.to_str().unwrap()]).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while ns.netplug(&["confirm"]).code() != 0 {
        assert!(Instant::now() < deadline, "confirm never found the pending apply");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(waiting.wait().unwrap().success());
    assert!(links(&ns).contains("brc"));

    // A health check confirms on its own: the bridge's own address answers.
    let ping =
        document(ns.dir.path(), "ping.xml", r#"<bridge name="brp"><static ipaddr="192.0.2.1/24"/></bridge>"#);
    ns.netplug(&["apply", "--confirm", "10", "--check-ping", "192.0.2.1", ping.to_str().unwrap()]).ok();
    assert!(links(&ns).contains("brp"));
}

#[test]
fn a_killed_confirm_is_rolled_back_by_the_next_netplug() {
    let ns = Netns::new("confkill");
    let doc = document(ns.dir.path(), "br.xml", r#"<bridge name="brk"/>"#);
    let before = ns.state();
    let mut child = ns.command().args(["apply", "--confirm", "1", doc.to_str().unwrap()]).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !links(&ns).contains("brk") {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    std::thread::sleep(Duration::from_millis(1100));
    // Any verb that takes the lock finds the expired journal first.
    ns.netplug(&["begin"]).ok();
    ns.netplug(&["commit"]).ok();
    netplug_tests::assert_same_state(&before, &ns.state(), "after recovery");
}

#[test]
fn concurrent_applies_never_interleave() {
    let ns = Netns::new("lock");
    let a = document(ns.dir.path(), "a.xml", r#"<bridge name="bra" stp="on"/>"#);
    let b = document(ns.dir.path(), "b.xml", r#"<bridge name="bra" stp="off" priority="1"/>"#);
    let children: Vec<_> = (0..6)
        .map(|i| {
            let doc = if i % 2 == 0 { &a } else { &b };
            ns.command().args(["apply", doc.to_str().unwrap()]).spawn().unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success(), "every apply either ran alone or waited its turn");
    }
    // The last one to run left a consistent bridge: one of the two documents, verified.
    let ok_a = ns.netplug(&["check", a.to_str().unwrap()]).code() == 0;
    let ok_b = ns.netplug(&["check", b.to_str().unwrap()]).code() == 0;
    assert!(ok_a ^ ok_b);

    // A holder that keeps the lock makes a second netplug give up with the holder's name.
    let c = document(ns.dir.path(), "c.xml", r#"<bridge name="brh"/>"#);
    let mut holder = ns.command().args(["apply", "--confirm", "30", c.to_str().unwrap()]).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !links(&ns).contains("brh") {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(20));
    }
    let waited = ns.netplug(&["--wait", "0.3", "apply", b.to_str().unwrap()]);
    assert_eq!(waited.code(), 4, "lock busy");
    assert!(waited.stderr().contains("another netplug holds"), "{}", waited.stderr());
    ns.netplug(&["confirm"]);
    let _ = holder.wait();
}

#[test]
fn name_mac_and_edit() {
    use std::os::unix::fs::PermissionsExt;
    let ns = Netns::new("lookup");
    let doc = document(
        ns.dir.path(),
        "br.xml",
        r#"<bridge name="brm" stp="off"><hwaddr>02:00:00:00:0a:01</hwaddr></bridge>"#,
    );
    ns.netplug(&["define", doc.to_str().unwrap()]).ok();
    // Defined but not started: found among the definitions.
    assert_eq!(ns.netplug(&["name", "02:00:00:00:0A:01"]).ok().trim(), "brm");
    ns.netplug(&["start", "brm"]).ok();
    assert_eq!(ns.netplug(&["mac", "brm"]).ok().trim(), "02:00:00:00:0a:01");
    assert_eq!(ns.netplug(&["name", "02:00:00:00:0a:01"]).ok().trim(), "brm");
    assert_eq!(ns.netplug(&["name", "02:00:00:00:0a:99"]).code(), 2);

    // An "editor" that changes stp, then one that breaks the document: the second is refused
    // with its position and the definition keeps the first edit.
    let editor = |name: &str, script: &str| {
        let path = ns.dir.path().join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{script}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    };
    let good = editor("good", r#"sed -i 's/stp="off"/stp="on"/' "$1""#);
    let run = ns.command().env("VISUAL", &good).args(["edit", "brm"]).output().unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    assert!(ns.netplug(&["dumpxml", "--inactive", "brm"]).ok().contains(r#"stp="on""#));
    let bad = editor("bad", r#"sed -i 's/stp="on"/stpp="on"/' "$1""#);
    let run = ns.command().env("VISUAL", &bad).args(["edit", "brm"]).output().unwrap();
    assert_eq!(run.status.code(), Some(1));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains(":1:") && err.contains("stpp"), "{err}");
    assert!(ns.netplug(&["dumpxml", "--inactive", "brm"]).ok().contains(r#"stp="on""#));
}

#[test]
fn bridge_and_unbridge_move_ip_configuration() {
    let ns = Netns::new("rebridge");
    for (nic, peer) in [("eth0", "eth0p"), ("eth1", "eth1p")] {
        ns.ip(&["link", "add", nic, "type", "veth", "peer", "name", peer]);
        ns.ip(&["link", "set", peer, "up"]);
    }
    let doc = document(
        ns.dir.path(),
        "eth0.xml",
        r#"<interface device="eth0">
  <static ipaddr="192.0.2.5/24"/>
  <route destination="198.51.100.0/24" gateway="192.0.2.1"/>
</interface>"#,
    );
    ns.netplug(&["define", doc.to_str().unwrap()]).ok();
    ns.netplug(&["start", "eth0"]).ok();

    ns.netplug(&["bridge", "eth0", "br0"]).ok();
    assert!(ns.ip(&["addr", "show", "dev", "br0"]).contains("192.0.2.5/24"));
    assert!(!ns.ip(&["addr", "show", "dev", "eth0"]).contains("192.0.2.5/24"));
    assert!(ns.ip(&["route", "show", "198.51.100.0/24"]).contains("dev br0"));
    assert!(ns.ip(&["link", "show", "eth0"]).contains("master br0"));
    assert!(ns.ip(&["-d", "link", "show", "br0"]).contains("stp_state 1"));
    assert!(ns.netplug(&["dumpxml", "--inactive", "br0"]).ok().contains("192.0.2.5/24"));

    ns.netplug(&["unbridge", "br0"]).ok();
    assert!(ns.ip(&["addr", "show", "dev", "eth0"]).contains("192.0.2.5/24"));
    assert!(ns.ip(&["route", "show", "198.51.100.0/24"]).contains("dev eth0"));
    assert!(!ns.ip(&["link", "show"]).contains("br0"));
    assert_eq!(ns.netplug(&["dumpxml", "--inactive", "br0"]).code(), 2, "br0 is undefined");

    // Not defined, configured by hand: the address is adopted and moved all the same.
    ns.ip(&["addr", "add", "203.0.113.7/24", "dev", "eth1"]);
    ns.ip(&["link", "set", "eth1", "up"]);
    ns.netplug(&["bridge", "--no-stp", "eth1", "br1"]).ok();
    assert!(ns.ip(&["addr", "show", "dev", "br1"]).contains("203.0.113.7/24"));
    assert!(!ns.ip(&["addr", "show", "dev", "eth1"]).contains("203.0.113.7/24"));
}

/// What `virsh iface-bridge` and netcf's own test documents write (issue #14, reproduction 12):
/// STP on with no forward delay, and an IPv4 address without a prefix. Defined and started,
/// the bridge gets the 2 s the kernel needs and the classful /24, each with a warning at its
/// place; undefined, `apply --all` prunes it and sets its NIC free.
#[test]
fn a_document_virsh_writes_is_defined_started_and_pruned() {
    let ns = Netns::new("virsh");
    ns.ip(&["link", "add", "v0", "type", "veth", "peer", "name", "v1"]);
    let doc = document(
        ns.dir.path(),
        "virsh.xml",
        "<interface type='bridge' name='brv'>\n  <start mode='onboot'/>\n  \
         <protocol family='ipv4'>\n    <ip address='192.168.0.5'/>\n  </protocol>\n  \
         <bridge stp='on' delay='0'>\n    <interface type='ethernet' name='v0'/>\n  </bridge>\n</interface>\n",
    );
    let define = ns.netplug(&["define", doc.to_str().unwrap()]);
    define.ok();
    let warnings = define.stderr();
    assert!(warnings.contains("virsh.xml:4:") && warnings.contains("classful default /24"), "{warnings}");
    assert!(warnings.contains("virsh.xml:6:") && warnings.contains("applying 2 s"), "{warnings}");
    ns.netplug(&["start", "brv"]).ok();
    let link = ns.ip(&["-d", "link", "show", "brv"]);
    assert!(link.contains("forward_delay 200") && link.contains("stp_state 1"), "{link}");
    assert!(ns.ip(&["addr", "show", "brv"]).contains("192.168.0.5/24"));
    assert!(ns.ip(&["link", "show", "v0"]).contains("master brv"));

    ns.netplug(&["undefine", "brv"]).ok();
    let out = ns.netplug(&["apply", "--all"]).ok();
    assert!(out.contains("pruning brv"), "{out}");
    assert!(!links(&ns).contains("brv"), "{}", links(&ns));
    let nic = ns.ip(&["link", "show", "v0"]);
    assert!(!nic.contains("master"), "the NIC is set free, never deleted: {nic}");
}
