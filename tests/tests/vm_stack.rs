//! The stack people build — a bond of two NICs under a bridge, a VLAN on top with an address —
//! applied, verified, re-applied with zero changes, torn down in reverse, and rolled back whole
//! from a failure at every step in both directions. Bonding and 802.1Q are not in this
//! machine's kernel, so this runs in the qemu guest of `cargo xtask vm-test` (dummy devices
//! stand in for the NICs) and returns at once elsewhere.

use netplug_tests::{document, Netns};

const STACK: &str = r#"<interfaces>
  <interface device="nic0"/>
  <interface device="nic1"/>
  <bond name="bond0" mode="active-backup" miimon="100">
    <slave device="nic0" primary="yes"/>
    <slave device="nic1"/>
  </bond>
  <bridge name="br0" stp="off" forwarddelay="0">
    <member device="bond0"/>
  </bridge>
  <vlan name="br0.42" device="br0" tag="42" mtu="1400">
    <static ipaddr="192.0.2.10/24"/>
    <route destination="198.51.100.0/24" gateway="192.0.2.1"/>
  </vlan>
</interfaces>
"#;

/// The same stack, changed where it is hardest: the bond's mode (the kernel wants it down and
/// empty), the VLAN's tag (recreated) and the bridge's STP.
const CHANGED: &str = r#"<interfaces>
  <interface device="nic0"/>
  <interface device="nic1"/>
  <bond name="bond0" mode="balance-xor" miimon="100" xmit_hash_policy="layer3+4">
    <slave device="nic0"/>
    <slave device="nic1"/>
  </bond>
  <bridge name="br0" stp="on">
    <member device="bond0"/>
  </bridge>
  <vlan name="br0.43" device="br0" tag="43">
    <static ipaddr="192.0.2.10/24"/>
  </vlan>
</interfaces>
"#;

const TEARDOWN: &str = r#"<interfaces>
  <vlan name="br0.42" device="br0" tag="42" state="absent"/>
  <bridge name="br0" state="absent"/>
  <bond name="bond0" state="absent"/>
</interfaces>
"#;

#[test]
#[ignore = "needs link kinds this kernel lacks: runs in the qemu guest (cargo xtask vm-test)"]
fn stack_applies_verifies_reapplies_and_tears_down() {
    let ns = Netns::new("stack");
    ns.stand_in_nics("dummy", &["nic0", "nic1"], false);
    let stack = document(ns.dir.path(), "stack.xml", STACK);
    let out = ns.netplug(&["apply", stack.to_str().unwrap()]).ok();
    assert!(out.contains("verified"), "{out}");
    assert!(ns.ip(&["link", "show", "nic0"]).contains("master bond0"));
    assert!(ns.ip(&["link", "show", "bond0"]).contains("master br0"));
    assert!(ns.ip(&["-d", "link", "show", "br0.42"]).contains("id 42"));
    assert!(ns.ip(&["addr", "show", "br0.42"]).contains("192.0.2.10/24"));
    assert!(ns.netplug(&["apply", stack.to_str().unwrap()]).ok().contains("no changes"));

    let changed = document(ns.dir.path(), "changed.xml", CHANGED);
    ns.netplug(&["apply", changed.to_str().unwrap()]).ok();
    assert!(ns.ip(&["-d", "link", "show", "bond0"]).contains("balance-xor"));
    assert!(ns.ip(&["addr", "show", "br0.43"]).contains("192.0.2.10/24"));
    assert!(ns.netplug(&["apply", changed.to_str().unwrap()]).ok().contains("no changes"));

    ns.netplug(&["apply", stack.to_str().unwrap()]).ok();
    let teardown = document(ns.dir.path(), "teardown.xml", TEARDOWN);
    ns.netplug(&["apply", teardown.to_str().unwrap()]).ok();
    let links = ns.ip(&["-br", "link", "show"]);
    assert!(!links.contains("bond0") && !links.contains("br0"), "{links}");
    assert!(
        ns.ip(&["link", "show", "nic0"]).contains("nic0")
            && !ns.ip(&["link", "show", "nic0"]).contains("master")
    );
}

#[test]
#[ignore = "needs link kinds this kernel lacks: runs in the qemu guest (cargo xtask vm-test)"]
fn a_failure_at_every_step_leaves_the_stack_as_it_was() {
    let ns = Netns::new("stackfail");
    ns.stand_in_nics("dummy", &["nic0", "nic1"], false);
    let stack = document(ns.dir.path(), "stack.xml", STACK);
    let changed = document(ns.dir.path(), "changed.xml", CHANGED);
    let teardown = document(ns.dir.path(), "teardown.xml", TEARDOWN);
    // Build-up from bare NICs, the hard change, and teardown, each from the state before it.
    ns.fail_at_every_step_from(&[(&stack, None), (&changed, Some(&stack)), (&teardown, Some(&stack))], 3);
}
