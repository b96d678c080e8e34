//! VRFs end to end: a VRF holding a NIC and a bridge, whose addresses' routes and whose
//! `<route>`s land in the VRF's table; read back by iproute2 and by `netplug show`, re-applied as
//! a no-op (also from what `show` printed); a port moved to another VRF with its addresses and
//! routes, a VRF given a new table (recreated with its ports); the VRFs removed with their ports
//! keeping their configuration; and a failure at every step of each leaving the namespace as it
//! was. This machine's kernel lacks VRFs: the qemu guest of `cargo xtask vm-test` runs these.

use netplug_tests::{document, Netns};

const PORTS: &str = r#"  <interface device="nic0">
    <static ipaddr="192.0.2.1/24"/>
    <static ipaddr="2001:db8:1::1/64"/>
    <route destination="198.51.100.0/24" gateway="192.0.2.254"/>
  </interface>
  <bridge name="br0" stp="off" forwarddelay="0">
    <member device="nic1"/>
    <static ipaddr="203.0.113.1/24"/>
    <route destination="10.20.0.0/16" gateway="203.0.113.254"/>
  </bridge>
"#;

fn doc(vrfs: &str) -> String {
    format!("<interfaces>\n{PORTS}{vrfs}</interfaces>\n")
}

const VRFS: &str = r#"  <vrf name="blue" table="1001">
    <member device="nic0"/>
    <member device="br0"/>
  </vrf>
  <vrf name="red" table="1002"/>
"#;

/// nic0 moves to red with its addresses and routes; blue gets a new table.
const CHANGED: &str = r#"  <vrf name="blue" table="1003">
    <member device="br0"/>
  </vrf>
  <vrf name="red" table="1002">
    <member device="nic0"/>
  </vrf>
"#;

/// The VRFs go; their ports stay, configured, in the main table.
const TEARDOWN: &str = r#"  <vrf name="blue" state="absent"/>
  <vrf name="red" state="absent"/>
"#;

#[test]
#[ignore = "needs VRFs: runs in the qemu guest (cargo xtask vm-test)"]
fn vrfs_hold_their_ports_routes_and_go() {
    let ns = Netns::new("vrf");
    ns.stand_in_nics("dummy", &["nic0", "nic1"], false);
    let path = document(ns.dir.path(), "doc.xml", &doc(VRFS));
    let path = path.to_str().unwrap();
    let out = ns.netplug(&["apply", path]).ok();
    assert!(out.contains("verified"), "{out}");

    assert!(ns.ip(&["-d", "link", "show", "blue"]).contains("vrf table 1001"));
    assert!(ns.ip(&["link", "show", "nic0"]).contains("master blue"));
    assert!(ns.ip(&["link", "show", "br0"]).contains("master blue"));
    let blue = ns.ip(&["route", "show", "vrf", "blue"]);
    for route in
        ["192.0.2.0/24 dev nic0", "198.51.100.0/24 via 192.0.2.254", "10.20.0.0/16 via 203.0.113.254"]
    {
        assert!(blue.contains(route), "no {route} in blue:\n{blue}");
    }
    assert!(ns.ip(&["-6", "route", "show", "vrf", "blue"]).contains("2001:db8:1::/64"));
    assert!(ns.ip(&["addr", "show", "nic0"]).contains("2001:db8:1::1/64"));
    let main = ns.ip(&["route", "show", "table", "main"]);
    assert!(!main.contains("198.51.100.0/24") && !main.contains("192.0.2.0/24"), "{main}");

    assert!(ns.netplug(&["apply", path]).ok().contains("no changes"));
    let shown = ns.show_applies_back(&["nic0", "br0", "blue", "red"]);
    for needle in [r#"<vrf name="blue""#, r#"table="1001""#, r#"<member device="nic0"/>"#, r#"table="1002""#]
    {
        assert!(shown.contains(needle), "show lacks {needle}:\n{shown}");
    }

    let changed = document(ns.dir.path(), "changed.xml", &doc(CHANGED));
    let changed = changed.to_str().unwrap();
    let plan = ns.netplug(&["plan", changed]).ok();
    assert!(plan.contains("delete vrf to change table 1003 (was 1001)"), "{plan}");
    assert!(plan.contains("add route 198.51.100.0/24 via 192.0.2.254 table 1002"), "{plan}");
    ns.netplug(&["apply", changed]).ok();
    assert!(ns.ip(&["-d", "link", "show", "blue"]).contains("vrf table 1003"));
    assert!(ns.ip(&["link", "show", "nic0"]).contains("master red"));
    let red = ns.ip(&["route", "show", "vrf", "red"]);
    assert!(red.contains("198.51.100.0/24 via 192.0.2.254") && red.contains("192.0.2.0/24"), "{red}");
    assert!(ns.ip(&["addr", "show", "nic0"]).contains("2001:db8:1::1/64"), "the IPv6 address came back");
    assert!(ns.ip(&["route", "show", "vrf", "blue"]).contains("10.20.0.0/16 via 203.0.113.254"));
    assert!(ns.netplug(&["apply", changed]).ok().contains("no changes"));

    let teardown = document(ns.dir.path(), "teardown.xml", &doc(TEARDOWN));
    let teardown = teardown.to_str().unwrap();
    ns.netplug(&["apply", teardown]).ok();
    let links = ns.ip(&["-br", "link", "show"]);
    assert!(!links.contains("blue") && !links.contains("red"), "{links}");
    let main = ns.ip(&["route", "show", "table", "main"]);
    assert!(main.contains("198.51.100.0/24 via 192.0.2.254") && main.contains("10.20.0.0/16"), "{main}");
    assert!(ns.ip(&["addr", "show", "nic0"]).contains("2001:db8:1::1/64"));
    assert!(ns.netplug(&["apply", teardown]).ok().contains("no changes"));
}

#[test]
#[ignore = "needs VRFs: runs in the qemu guest (cargo xtask vm-test)"]
fn a_failure_at_every_step_leaves_the_vrfs_as_they_were() {
    let ns = Netns::new("vrffail");
    ns.stand_in_nics("dummy", &["nic0", "nic1"], false);
    let start = document(ns.dir.path(), "doc.xml", &doc(VRFS));
    let changed = document(ns.dir.path(), "changed.xml", &doc(CHANGED));
    let teardown = document(ns.dir.path(), "teardown.xml", &doc(TEARDOWN));
    ns.fail_at_every_step_from(&[(&start, None), (&changed, Some(&start)), (&teardown, Some(&start))], 4);
}
