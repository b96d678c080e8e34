//! The vxlan plugin end to end: the `netplug` binary with the workspace's plugins, in
//! namespaces made for each test (this machine's kernel has VXLAN). A VXLAN as a bridge port
//! on a device the same document creates, read back, re-applied and shown back as no-ops,
//! changed in place and made again, rolled back whole from a failure at every step, and
//! removed; and frames crossing a tunnel between two namespaces.

use std::process::Command;

use netplug_tests::{assert_same_state, document, Netns};
use serde_json::Value;

/// `ip -d -j link show dev NAME` in `ns`.
fn link(ns: &Netns, name: &str) -> Value {
    let links: Vec<Value> = serde_json::from_str(&ns.ip(&["-d", "-j", "link", "show", "dev", name])).unwrap();
    links.into_iter().next().unwrap()
}

/// An overlay on an underlay the document makes itself: a veth pair `u0`/`u0p` with an
/// address, a VXLAN leaving by it, and a bridge holding the VXLAN.
const OVERLAY: &str = r#"<interfaces>
  <veth name="u0" peer="u0p">
    <static ipaddr="192.0.2.1/24"/>
  </veth>
  <vxlan name="vx42" id="42" local="192.0.2.1" remote="192.0.2.2" device="u0" ttl="16" mtu="1450"/>
  <bridge name="br42" stp="off" forwarddelay="0">
    <member device="vx42"/>
    <static ipaddr="10.42.0.1/24"/>
  </bridge>
</interfaces>
"#;

#[test]
fn an_overlay_bridge_applies_in_order_and_reapplies_as_nothing() {
    let ns = Netns::new("vxlan");
    let doc = document(ns.dir.path(), "overlay.xml", OVERLAY);
    let doc = doc.to_str().unwrap();
    let plan = ns.netplug(&["plan", doc]).ok();
    // The device before the VXLAN, the VXLAN before the bridge takes it.
    let at = |needle: &str| plan.find(needle).unwrap_or_else(|| panic!("no `{needle}` in\n{plan}"));
    assert!(
        at("u0: create veth u0")
            < at(
                "vx42: create vxlan (id 42, local 192.0.2.1, remote 192.0.2.2, device u0, ttl 16, mtu 1450)"
            )
    );
    assert!(at("create vxlan") < at("br42: enslave vx42"), "{plan}");
    ns.netplug(&["apply", doc]).ok();

    let vx = link(&ns, "vx42");
    let data = &vx["linkinfo"]["info_data"];
    assert_eq!(
        (&data["id"], &data["remote"], &data["local"]),
        (&42.into(), &"192.0.2.2".into(), &"192.0.2.1".into())
    );
    assert_eq!((&data["link"], &data["port"], &data["ttl"]), (&"u0".into(), &4789.into(), &16.into()));
    assert_eq!((&vx["mtu"], &vx["master"]), (&1450.into(), &"br42".into()));

    let shown = ns.netplug(&["show", "vx42"]).ok();
    assert!(shown.contains(r#"<vxlan name="vx42""#) && shown.contains(r#"id="42""#), "{shown}");
    // The port is the default one: printed only with what the kernel says.
    assert!(shown.contains(r#"remote="192.0.2.2""#) && !shown.contains("dstport="), "{shown}");
    let observed = ns.netplug(&["show", "--observed", "vx42"]).ok();
    assert!(observed.contains(r#"dstport="4789""#), "{observed}");
    assert!(ns.netplug(&["apply", doc]).ok().contains("no changes"));

    let all = ns.netplug(&["show"]).ok();
    let before = ns.state();
    let again = document(ns.dir.path(), "shown.xml", &all);
    assert_eq!(ns.plan_len(&again), 0, "show's output plans nothing:\n{all}");
    assert_eq!(
        ns.netplug(&["apply", again.to_str().unwrap()]).ok(),
        "no changes: the kernel already matches\n"
    );
    assert_same_state(&before, &ns.state(), "show applied back");

    // In place: the same link. A new VNI: made again, back in the bridge, and the plan says why.
    let index = link(&ns, "vx42")["ifindex"].clone();
    let moved = document(
        ns.dir.path(),
        "moved.xml",
        &OVERLAY.replace("remote=\"192.0.2.2\"", "remote=\"192.0.2.3\""),
    );
    let out = ns.netplug(&["apply", moved.to_str().unwrap()]).ok();
    assert!(out.contains("vx42: set remote 192.0.2.3 (was 192.0.2.2)"), "{out}");
    assert_eq!(link(&ns, "vx42")["ifindex"], index);
    let renumbered = document(ns.dir.path(), "renumbered.xml", &OVERLAY.replace("id=\"42\"", "id=\"43\""));
    let out = ns.netplug(&["apply", renumbered.to_str().unwrap()]).ok();
    assert!(out.contains("vx42: delete vxlan to change id 43 (was 42)  [vxlan, delete]"), "{out}");
    assert!(out.contains("vx42: enslave to br42 again"), "{out}");
    let vx = link(&ns, "vx42");
    assert_ne!(vx["ifindex"], index);
    assert_eq!((&vx["linkinfo"]["info_data"]["id"], &vx["master"]), (&43.into(), &"br42".into()));
    assert_eq!(ns.plan_len(&renumbered), 0);

    let gone = document(ns.dir.path(), "gone.xml", "<vxlan name=\"vx42\" state=\"absent\"/>\n");
    ns.netplug(&["apply", gone.to_str().unwrap()]).ok();
    assert!(!ns.ip(&["-br", "link", "show"]).contains("vx42"));
    assert!(ns.netplug(&["apply", gone.to_str().unwrap()]).ok().contains("no changes"));
}

#[test]
fn a_failure_at_every_step_rolls_back_whole() {
    let ns = Netns::new("vxlan-fail");
    ns.ip(&["link", "add", "eth0", "type", "veth", "peer", "name", "eth0p"]);
    ns.ip(&[
        "link",
        "add",
        "inplace",
        "type",
        "vxlan",
        "id",
        "5",
        "remote",
        "192.0.2.5",
        "dstport",
        "4789",
        "ttl",
        "9",
    ]);
    ns.ip(&["link", "add", "remade", "type", "vxlan", "id", "6", "dstport", "4789", "noproxy"]);
    ns.ip(&["link", "add", "old", "type", "vxlan", "id", "7", "dstport", "4789"]);
    let doc = document(
        ns.dir.path(),
        "changes.xml",
        r#"<interfaces>
  <interface device="eth0"/>
  <vxlan name="vx0" id="100" remote="198.51.100.7" device="eth0"/>
  <vxlan name="inplace" id="5" remote="192.0.2.6" ttl="10" learning="no"/>
  <vxlan name="remade" id="6" proxy="yes" state="down"/>
  <vxlan name="old" state="absent"/>
  <bridge name="br0" stp="off">
    <member device="vx0"/>
    <member device="remade"/>
  </bridge>
</interfaces>
"#,
    );
    ns.fail_at_every_step(&doc, 8);
    ns.netplug(&["apply", doc.to_str().unwrap()]).ok();
    assert_eq!(ns.plan_len(&doc), 0);
    assert_eq!(link(&ns, "remade")["master"], "br0");
}

#[test]
fn validate_points_at_each_problem() {
    let ns = Netns::new("vxlan-validate");
    let doc = document(
        ns.dir.path(),
        "bad.xml",
        r#"<interfaces>
  <vxlan name="vx0" remote="239.1.1.1"/>
  <vxlan name="vx1" id="1" group="239.1.1.1" remot="x"/>
</interfaces>
"#,
    );
    let run = ns.netplug(&["validate", doc.to_str().unwrap()]);
    assert_eq!(run.code(), 1);
    let f = doc.display();
    let stderr = run.stderr();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        lines,
        [
            format!("{f}:2:3: error: vx0: <vxlan> needs a `id` attribute (the VNI, 0-16777215)"),
            format!(
                "{f}:2:29: error: vx0: invalid remote `239.1.1.1`: a multicast address is a group, not a remote \
                 (write group=\"239.1.1.1\")"
            ),
            format!(
                "{f}:3:35: error: vx1: invalid group `239.1.1.1`: a multicast group needs a device to join it on \
                 (add device=\"…\")"
            ),
            format!("{f}:3:46: error: vx1: unknown attribute `remot` on <vxlan> (did you mean `remote`?)"),
        ]
    );
}

/// Two namespaces joined by a veth pair as the underlay, each with a VXLAN to the other in a
/// bridge with an address: the bridges ping each other across the tunnel.
#[test]
fn frames_cross_the_tunnel() {
    let a = Netns::new("vxlan-a");
    let b = Netns::new("vxlan-b");
    a.ip(&["link", "add", "ul", "type", "veth", "peer", "name", "ul", "netns", &b.name]);
    let side = |ns: &Netns, me: u8, them: u8| {
        let doc = document(
            ns.dir.path(),
            "side.xml",
            &format!(
                r#"<interfaces>
  <interface device="ul"><static ipaddr="192.0.2.{me}/24"/></interface>
  <vxlan name="vx9" id="9" local="192.0.2.{me}" remote="192.0.2.{them}" device="ul"/>
  <bridge name="br9" stp="off" forwarddelay="0">
    <member device="vx9"/>
    <static ipaddr="10.9.0.{me}/24"/>
  </bridge>
</interfaces>
"#
            ),
        );
        ns.netplug(&["apply", doc.to_str().unwrap()]).ok();
    };
    side(&a, 1, 2);
    side(&b, 2, 1);
    let ping = Command::new("ip")
        .args(["netns", "exec", &a.name, "ping", "-c", "3", "-i", "0.2", "-W", "5", "10.9.0.2"])
        .output()
        .expect("run ping");
    assert!(
        ping.status.success(),
        "{}{}",
        String::from_utf8_lossy(&ping.stdout),
        String::from_utf8_lossy(&ping.stderr)
    );
}
