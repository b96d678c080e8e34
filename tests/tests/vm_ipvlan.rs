//! ipvlan end to end: created with its mode and flags, read back by iproute2 and by `netplug
//! show`, re-applied as a no-op (also from what `show` printed), changed in place, moved to
//! another parent (recreated), removed, and rolled back whole from a failure at every step.
//! This machine's kernel lacks ipvlan: the qemu guest of `cargo xtask vm-test` runs these.

use netplug_tests::{document, Netns};

const DOC: &str = r#"<interfaces>
  <ipvlan name="ipv0" device="nic0" mode="l2" flags="private" mtu="1400">
    <static ipaddr="192.0.2.20/24"/>
  </ipvlan>
  <ipvlan name="ipv1" device="nic0" mode="l2" flags="private"/>
  <ipvlan name="ipv2" device="nic1" mode="l3s"/>
</interfaces>
"#;

const CHANGED: &str = r#"<interfaces>
  <ipvlan name="ipv0" device="nic0" mode="l3" flags="vepa" mtu="1400">
    <static ipaddr="192.0.2.20/24"/>
  </ipvlan>
  <ipvlan name="ipv1" device="nic0" mode="l3" flags="vepa"/>
  <ipvlan name="ipv2" device="nic0" mode="l3" flags="vepa"/>
</interfaces>
"#;

const TEARDOWN: &str = r#"<interfaces>
  <ipvlan name="ipv0" state="absent"/>
  <ipvlan name="ipv1" state="absent"/>
  <ipvlan name="ipv2" state="absent"/>
</interfaces>
"#;

#[test]
#[ignore = "needs ipvlan: runs in the qemu guest (cargo xtask vm-test)"]
fn ipvlans_apply_read_back_reapply_change_and_go() {
    let ns = Netns::new("ipvlan");
    ns.stand_in_nics("dummy", &["nic0", "nic1"], true);
    let doc = document(ns.dir.path(), "doc.xml", DOC);
    let doc = doc.to_str().unwrap();
    assert!(ns.netplug(&["apply", doc]).ok().contains("verified"));
    let ipv0 = ns.ip(&["-d", "link", "show", "ipv0"]);
    assert!(ipv0.contains("ipv0@nic0") && ipv0.contains("mtu 1400"), "{ipv0}");
    assert!(ipv0.contains("ipvlan  mode l2 private") || ipv0.contains("ipvlan mode l2 private"), "{ipv0}");
    assert!(ns.ip(&["addr", "show", "ipv0"]).contains("192.0.2.20/24"));
    assert!(ns.ip(&["-d", "link", "show", "ipv2"]).contains("mode l3s bridge"));
    assert!(ns.netplug(&["apply", doc]).ok().contains("no changes"));

    let shown = ns.show_applies_back(&["ipv0", "ipv1", "ipv2"]);
    for needle in [r#"mode="l2""#, r#"flags="private""#, r#"mode="l3s""#] {
        assert!(shown.contains(needle), "show lacks {needle}:\n{shown}");
    }
    // ipv2's flags are the kernel's default: not something anyone configured.
    assert!(!shown.contains(r#"flags="bridge""#), "{shown}");
    assert!(!shown.contains("hwaddr"), "an ipvlan's MAC is its parent's:\n{shown}");

    let before = ns.ifindex("ipv0");
    let changed = document(ns.dir.path(), "changed.xml", CHANGED);
    let changed = changed.to_str().unwrap();
    let plan = ns.netplug(&["plan", changed]).ok();
    assert!(plan.contains("set mode l3 (was l2), flags vepa (was private)"), "{plan}");
    assert!(plan.contains("delete ipvlan to change device nic0 (was nic1)"), "{plan}");
    ns.netplug(&["apply", changed]).ok();
    assert_eq!(ns.ifindex("ipv0"), before, "changed in place, not recreated");
    assert!(ns.ip(&["-d", "link", "show", "ipv0"]).contains("mode l3 vepa"));
    assert!(ns.ip(&["link", "show", "ipv2"]).contains("ipv2@nic0"));
    assert!(ns.netplug(&["apply", changed]).ok().contains("no changes"));

    let teardown = document(ns.dir.path(), "teardown.xml", TEARDOWN);
    ns.netplug(&["apply", teardown.to_str().unwrap()]).ok();
    let links = ns.ip(&["-br", "link", "show"]);
    assert!(!links.contains("ipv"), "{links}");
}

#[test]
#[ignore = "needs ipvlan: runs in the qemu guest (cargo xtask vm-test)"]
fn a_failure_at_every_step_leaves_the_ipvlans_as_they_were() {
    let ns = Netns::new("ipvlanfail");
    ns.stand_in_nics("dummy", &["nic0", "nic1"], true);
    let doc = document(ns.dir.path(), "doc.xml", DOC);
    let changed = document(ns.dir.path(), "changed.xml", CHANGED);
    let teardown = document(ns.dir.path(), "teardown.xml", TEARDOWN);
    ns.fail_at_every_step_from(&[(&doc, None), (&changed, Some(&doc)), (&teardown, Some(&doc))], 3);
}
