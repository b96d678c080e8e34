//! The container host of docs/examples/container-host.xml, end to end: a VRF holding a bridge of
//! veths (their other ends in two container namespaces) and a VXLAN port, a macvlan on the
//! uplink, a WireGuard tunnel to a peer in a second namespace, and routes in the VRF's table,
//! one of them naming the VRF (`<route table="tenant">`). Applied, every piece read back from
//! the kernel, pings across the tunnel, `show` read back and applied again, re-applied as a
//! no-op, and removed by `apply --prune` of a document naming only the uplink, leaving every
//! namespace as it was. The host kernel has no VRF, macvlan or WireGuard: the qemu guest of
//! `cargo xtask vm-test -- vm_container_host` runs this.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use netplug_tests::{assert_same_state, document, workspace, Netns};

/// RFC 7748 section 6.1's keys: the host is Alice, the hub Bob (the document names Bob's
/// public key).
const HOST_PRIVATE: &str = "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=";
const HOST_PUBLIC: &str = "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=";
const HUB_PRIVATE: &str = "XasIfmJKikt54X+Lg4AO5m87sSkmGLb9HC+LJ/+I4Os=";

fn key_file(dir: &Path, name: &str, key: &str) -> PathBuf {
    let path = dir.join(name);
    let mut f = std::fs::File::create(&path).unwrap();
    f.write_all(format!("{key}\n").as_bytes()).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}

/// The hub's end of the tunnel, on its side of the uplink.
fn hub(key: &Path) -> String {
    format!(
        r#"<interfaces>
  <wireguard name="wg0" listen-port="51820">
    <private-key file="{}"/>
    <peer public-key="{HOST_PUBLIC}" endpoint="192.0.2.1:51820">
      <allowed-ip prefix="10.9.0.1/32"/>
      <allowed-ip prefix="10.10.0.0/24"/>
    </peer>
    <static ipaddr="10.9.0.2/24"/>
  </wireguard>
</interfaces>
"#,
        key.display()
    )
}

fn ping(ns: &Netns, addr: &str) -> bool {
    Command::new("ip")
        .args(["netns", "exec", &ns.name, "ping", "-c", "2", "-w", "20", addr])
        .status()
        .expect("run ping")
        .success()
}

#[track_caller]
fn has(what: &str, text: &str, needle: &str) {
    assert!(text.contains(needle), "{what}: no `{needle}` in:\n{text}");
}

#[test]
#[ignore = "needs VRF, macvlan and WireGuard: runs in the qemu guest (cargo xtask vm-test)"]
fn the_container_host_document_applies_reads_back_pings_and_goes() {
    let (host, hub_ns) = (Netns::new("ch"), Netns::new("chhub"));
    let containers = [Netns::new("ct1"), Netns::new("ct2")];
    // The uplink: eth0 here, its other end the hub's.
    host.ip(&["link", "add", "eth0", "type", "veth", "peer", "name", "uplink", "netns", &hub_ns.name]);
    host.ip(&["link", "set", "eth0", "up"]);
    hub_ns.ip(&["addr", "add", "192.0.2.2/24", "dev", "uplink"]);
    hub_ns.ip(&["link", "set", "uplink", "up"]);
    let before = host.state();
    let containers_before: Vec<_> = containers.iter().map(Netns::state).collect();

    let keys = tempfile::tempdir().unwrap();
    let host_key = key_file(keys.path(), "wg0.key", HOST_PRIVATE);
    let hub_key = key_file(keys.path(), "hub.key", HUB_PRIVATE);
    let text = std::fs::read_to_string(workspace().join("docs/examples/container-host.xml")).unwrap();
    let text = text
        .replace("/etc/netplug/wg0.key", host_key.to_str().unwrap())
        .replace("\"container1\"", &format!("\"{}\"", containers[0].name))
        .replace("\"container2\"", &format!("\"{}\"", containers[1].name));
    let doc = document(host.dir.path(), "container-host.xml", &text);
    let doc = doc.to_str().unwrap();

    let plan = host.netplug(&["plan", doc]).ok();
    has("plan", &plan, "add unreachable route 0.0.0.0/0 metric 4278198272 table tenant");
    has("plan", &plan, "add route 10.20.0.0/16 on the link table tenant");
    let out = host.netplug(&["apply", doc]).ok();
    has("apply", &out, "verified");

    // The VRF holds the bridge; the bridge its veths and the VXLAN.
    has("tenant", &host.ip(&["-d", "link", "show", "tenant"]), "vrf table 1001");
    has("br-ct", &host.ip(&["link", "show", "br-ct"]), "master tenant");
    for port in ["ct1", "ct2", "vx100"] {
        has(port, &host.ip(&["link", "show", port]), "master br-ct");
    }
    for (ct, ns) in ["ct1", "ct2"].iter().zip(&containers) {
        has(ct, &host.ip(&["-d", "link", "show", ct]), "veth");
        has(&ns.name, &ns.ip(&["link", "show", "eth0"]), "eth0@");
    }
    let vx = host.ip(&["-d", "link", "show", "vx100"]);
    has("vx100", &vx, "vxlan id 100 remote 192.0.2.2 dev eth0");
    has("vx100", &vx, "dstport 4789");
    // The macvlan on the uplink.
    let mv = host.ip(&["-d", "link", "show", "mv-svc"]);
    has("mv-svc", &mv, "mv-svc@eth0");
    has("mv-svc", &mv, "macvlan mode bridge");
    has("mv-svc", &host.ip(&["addr", "show", "mv-svc"]), "198.51.100.1/24");
    // The tenant's table: the bridge's subnet and route, the route through the tunnel named
    // by the VRF, the VRF's own unreachable default; none of them in the main table.
    let tenant = host.ip(&["route", "show", "table", "1001"]);
    for route in [
        "10.10.0.0/24 dev br-ct",
        "10.30.0.0/16 via 10.10.0.254 dev br-ct",
        "10.20.0.0/16 dev wg0",
        "unreachable default",
    ] {
        has("table 1001", &tenant, route);
    }
    let main = host.ip(&["route", "show", "table", "main"]);
    assert!(!main.contains("10.10.0.0/24") && !main.contains("10.20.0.0/16"), "{main}");
    has("main", &main, "10.9.0.0/24 dev wg0");

    // The hub's end; pings cross the tunnel both ways.
    let hub_doc = document(hub_ns.dir.path(), "hub.xml", &hub(&hub_key));
    hub_ns.netplug(&["apply", hub_doc.to_str().unwrap()]).ok();
    assert!(ping(&host, "10.9.0.2"), "no ping across the tunnel from the host to the hub");
    assert!(ping(&hub_ns, "10.9.0.1"), "no ping across the tunnel from the hub to the host");

    // Re-applying changes nothing; nor does applying what `show` prints, which names the
    // tenant's table by its VRF.
    let applied = host.state();
    assert!(host.netplug(&["apply", doc]).ok().contains("no changes"));
    let names = ["eth0", "mv-svc", "tenant", "br-ct", "ct1", "ct2", "vx100", "wg0"];
    let shown = host.netplug(&[&["show"][..], &names].concat()).ok();
    has("show", &shown, r#"table="tenant""#);
    assert!(!shown.contains(HOST_PRIVATE), "a key in show:\n{shown}");
    let shown_doc = document(host.dir.path(), "shown.xml", &shown);
    let again = host.netplug(&["apply", shown_doc.to_str().unwrap()]).ok();
    assert!(again.contains("no changes"), "{again}\n{shown}");
    assert_same_state(&applied, &host.state(), "after the re-applies");

    // Removal: a document naming only the uplink, pruning what netplug made.
    let uplink = document(host.dir.path(), "uplink.xml", "<interface device=\"eth0\"/>\n");
    host.netplug(&["apply", "--prune", uplink.to_str().unwrap()]).ok();
    assert_same_state(&before, &host.state(), "after the removal");
    for (ns, was) in containers.iter().zip(&containers_before) {
        assert_same_state(was, &ns.state(), &format!("{} after the removal", ns.name));
    }
    assert!(host.netplug(&["apply", "--prune", uplink.to_str().unwrap()]).ok().contains("no changes"));
}
