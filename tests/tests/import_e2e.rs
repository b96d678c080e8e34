//! `netplug import` end to end: every expected document of the import corpus is one
//! `netplug validate` accepts, and a namespace set up as ifup would set it up from an
//! `interfaces` file is adopted by applying what `import` makes of that file.

use std::path::{Path, PathBuf};
use std::process::Command;

use netplug_tests::{netplug, workspace, Netns};

fn expected_documents() -> Vec<PathBuf> {
    let root = workspace().join("tests/data/import");
    let mut docs = Vec::new();
    for source in std::fs::read_dir(&root).unwrap().flatten() {
        for case in std::fs::read_dir(source.path()).unwrap().flatten() {
            let doc = case.path().join("expected.xml");
            if doc.is_file() {
                docs.push(doc);
            }
        }
    }
    docs.sort();
    docs
}

#[test]
fn every_expected_document_validates() {
    let docs = expected_documents();
    assert!(!docs.is_empty());
    for doc in docs {
        let out = Command::new(netplug()).arg("validate").arg(&doc).output().unwrap();
        assert!(out.status.success(), "{}: {}", doc.display(), String::from_utf8_lossy(&out.stderr));
    }
}

#[test]
fn what_cannot_be_imported_is_listed_by_file_and_line() {
    let case = workspace().join("tests/data/import/ifupdown/commands");
    let out = Command::new(netplug())
        .args(["import", "--from", "ifupdown"])
        .arg(case.join("interfaces"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let expected = std::fs::read_to_string(case.join("unsupported.txt")).unwrap();
    for line in expected.lines() {
        let full = format!("netplug: warning: {}/{line}", case.display());
        assert!(stderr.contains(&full), "missing `{full}` in:\n{stderr}");
    }
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        std::fs::read_to_string(case.join("expected.xml")).unwrap()
    );

    let strict = Command::new(netplug())
        .args(["import", "--strict", "--from", "ifupdown"])
        .arg(case.join("interfaces"))
        .output()
        .unwrap();
    assert_eq!(strict.status.code(), Some(1));
    assert!(strict.stdout.is_empty());
}

/// An `interfaces` file, and the `ip` commands ifup runs for it (ifupdown's own scripts for
/// `inet static`, bridge-utils' for the bridge).
const INTERFACES: &str = "\
auto eth0
iface eth0 inet static
\taddress 10.7.0.2/24
\tmtu 1400
\tup ip route add 10.70.0.0/16 via 10.7.0.1

auto eth1
iface eth1 inet manual

auto br0
iface br0 inet static
\tbridge-ports eth1
\tbridge-stp off
\tbridge-fd 0
\taddress 10.8.0.1/24
\tgateway 10.8.0.254

iface br0 inet6 static
\taddress 2001:db8:8::1/64
";

fn ifup(ns: &Netns) {
    for (nic, peer) in [("eth0", "eth0p"), ("eth1", "eth1p")] {
        ns.ip(&["link", "add", nic, "type", "veth", "peer", "name", peer]);
        let knob = format!("echo 1 > /proc/sys/net/ipv6/conf/{peer}/disable_ipv6");
        assert!(Command::new("ip")
            .args(["netns", "exec", &ns.name, "sh", "-c", &knob])
            .status()
            .unwrap()
            .success());
        ns.ip(&["link", "set", peer, "up"]);
    }
    ns.ip(&["link", "set", "eth0", "mtu", "1400"]);
    ns.ip(&["addr", "add", "10.7.0.2/24", "dev", "eth0"]);
    ns.ip(&["link", "set", "eth0", "up"]);
    ns.ip(&["route", "add", "10.70.0.0/16", "via", "10.7.0.1"]);
    ns.ip(&["link", "set", "eth1", "up"]);
    ns.ip(&["link", "add", "br0", "type", "bridge", "stp_state", "0", "forward_delay", "0"]);
    ns.ip(&["link", "set", "eth1", "master", "br0"]);
    ns.ip(&["link", "set", "br0", "up"]);
    ns.ip(&["addr", "add", "10.8.0.1/24", "dev", "br0"]);
    ns.ip(&["route", "add", "default", "via", "10.8.0.254", "dev", "br0"]);
    ns.ip(&["addr", "add", "2001:db8:8::1/64", "dev", "br0"]);
}

fn import(dir: &Path) -> PathBuf {
    let interfaces = dir.join("interfaces");
    std::fs::write(&interfaces, INTERFACES).unwrap();
    let out =
        Command::new(netplug()).args(["import", "--from", "ifupdown"]).arg(&interfaces).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        out.stderr.is_empty(),
        "everything in this file is importable: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = dir.join("imported.xml");
    std::fs::write(&doc, &out.stdout).unwrap();
    doc
}

#[test]
fn a_host_set_up_by_ifup_is_adopted() {
    let ns = Netns::new("import");
    ifup(&ns);
    let dir = tempfile::tempdir().unwrap();
    let doc = import(dir.path());
    let path = doc.to_str().unwrap();
    let before = ns.state();

    // The routes ifup added are not netplug's, and netplug never takes over a route it did
    // not add: the first apply says so and changes nothing.
    let refused = ns.netplug(&["apply", path]);
    assert_eq!(refused.code(), 1, "{}", refused.stdout());
    assert!(refused.stderr().contains("another route"), "{}", refused.stderr());
    assert_eq!(ns.state(), before, "a refused apply changed the namespace");

    // Once they are gone (the migration step docs/import.md gives), links, addresses and the
    // bridge are adopted as they are, and the routes come back as netplug's.
    ns.ip(&["route", "flush", "proto", "boot"]);
    let out = ns.netplug(&["apply", path]).ok();
    assert!(out.contains("verified"), "{out}");
    let check = ns.netplug(&["check", path]);
    assert_eq!(check.code(), 0, "drift after applying the import: {}", check.stdout());
    let again = ns.netplug(&["apply", path]).ok();
    assert!(again.contains("no changes"), "{again}");

    let routes = ns.ip(&["route", "show"]);
    assert!(routes.contains("default via 10.8.0.254 dev br0"), "{routes}");
    assert!(routes.contains("10.70.0.0/16 via 10.7.0.1 dev eth0"), "{routes}");
    assert!(ns.ip(&["link", "show", "eth1"]).contains("master br0"));
    assert!(ns.ip(&["link", "show", "eth0"]).contains("mtu 1400"));
    let addrs = ns.ip(&["addr", "show", "dev", "br0"]);
    assert!(addrs.contains("10.8.0.1/24") && addrs.contains("2001:db8:8::1/64"), "{addrs}");
}

#[test]
fn define_stores_the_imported_interfaces() {
    let ns = Netns::new("importdef");
    let dir = tempfile::tempdir().unwrap();
    let interfaces = dir.path().join("interfaces");
    std::fs::write(&interfaces, INTERFACES).unwrap();
    let out = ns.netplug(&["import", "--from", "ifupdown", "--define", interfaces.to_str().unwrap()]).ok();
    for name in ["eth0", "eth1", "br0"] {
        assert!(out.contains(&format!("defined {name}")), "{out}");
    }
    let listed = ns.netplug(&["list", "--all"]).ok();
    for name in ["eth0", "eth1", "br0"] {
        assert!(listed.contains(name), "{listed}");
    }
    // Defining applies nothing.
    assert!(!ns.ip(&["link", "show"]).contains("br0"));
}

/// `match: macaddress` names whichever link has the address now, read from the kernel of the
/// namespace `--netns` names.
#[test]
fn a_match_by_mac_finds_the_link_that_has_it() {
    let ns = Netns::new("importmac");
    ns.ip(&["link", "add", "lan7", "address", "02:00:00:00:07:01", "type", "veth", "peer", "name", "lan7p"]);
    let dir = tempfile::tempdir().unwrap();
    let yaml = dir.path().join("01-lan.yaml");
    std::fs::write(
        &yaml,
        "network:\n  version: 2\n  ethernets:\n    uplink:\n      match:\n        macaddress: \"02:00:00:00:07:01\"\n      addresses: [192.0.2.7/24]\n    gone:\n      match:\n        macaddress: \"02:00:00:00:07:99\"\n      dhcp4: true\n",
    )
    .unwrap();
    let run = ns.netplug(&["import", "--from", "netplan", yaml.to_str().unwrap()]);
    let doc = run.ok();
    assert!(doc.contains("<interface device=\"lan7\" startmode=\"onboot\">"), "{doc}");
    assert!(doc.contains("192.0.2.7/24") && !doc.contains("gone"), "{doc}");
    let line = format!(
        "{}:10: not imported: macaddress: 02:00:00:00:07:99: no link has this MAC address now",
        yaml.display()
    );
    assert!(run.stderr().contains(&line), "{}", run.stderr());
}
