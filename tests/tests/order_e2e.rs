//! `netplug order` prints the order apply uses: both sort with `netplug_core::order::sort`, and
//! this checks it from the outside, on the stack people build (two NICs in a bond under a
//! bridge, a VLAN on top with an address and a route). Planning it from scratch needs no
//! bonding or 802.1Q in the kernel, only the NICs (veths stand in for them), so it runs here.
//! A plugin's `Requires` dependency orders both the same way too (the `hello` fixture's
//! `after=`).

mod plugins_support;

use std::collections::HashSet;

use netplug_tests::{document, Netns};
use serde_json::Value;

const STACK: &str = r#"<interfaces>
  <vlan name="br0.42" device="br0" tag="42" mtu="1400">
    <static ipaddr="192.0.2.10/24"/>
    <route destination="198.51.100.0/24" gateway="192.0.2.1"/>
  </vlan>
  <bridge name="br0" stp="off" forwarddelay="0">
    <member device="bond0"/>
  </bridge>
  <bond name="bond0" mode="active-backup" miimon="100">
    <slave device="nic0" primary="yes"/>
    <slave device="nic1"/>
  </bond>
  <interface device="nic1" mtu="1500"/>
  <interface device="nic0" mtu="1500"/>
</interfaces>
"#;

/// `(interface, phase, plugin)` of each step of a `--json` document, `phase_key` naming the
/// phase's member; consecutive repeats (one plugin's several changes to one interface in one
/// phase, such as a bond enslaving two NICs) are one step.
fn steps(doc: &Value, phase_key: &str) -> Vec<(String, String, String)> {
    let text = |v: &Value| v.as_str().expect("a string").to_string();
    let mut out: Vec<(String, String, String)> = doc["steps"]
        .as_array()
        .expect("an array of steps")
        .iter()
        .map(|s| (text(&s["interface"]), text(&s[phase_key]), text(&s["plugin"])))
        .collect();
    out.dedup();
    out
}

#[test]
fn order_prints_the_order_apply_plans_for_a_bond_bridge_vlan_stack() {
    let ns = Netns::new("order");
    for nic in ["nic0", "nic1"] {
        ns.ip(&["link", "add", nic, "type", "veth", "peer", "name", &format!("{nic}p")]);
    }
    let stack = document(ns.dir.path(), "stack.xml", STACK);
    let stack = stack.to_str().unwrap();
    let json = |verb: &str| -> Value {
        let out = ns.netplug(&["--json", verb, stack]).ok();
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{verb} --json: {e}\n{out}"))
    };
    let order = steps(&json("order"), "step");
    let plan = steps(&json("plan"), "phase");

    // Every step the plan takes is one `order` printed …
    let predicted: HashSet<_> = order.iter().collect();
    let unpredicted: Vec<_> = plan.iter().filter(|s| !predicted.contains(s)).collect();
    assert!(unpredicted.is_empty(), "planned but not in `netplug order`: {unpredicted:?}\norder: {order:#?}");
    // … and they come in the same order. `order` also lists steps the kernel makes unneeded
    // (the NICs already have their MTU), which the plan leaves out.
    let planned: HashSet<_> = plan.iter().collect();
    let order_of_planned: Vec<_> = order.iter().filter(|s| planned.contains(s)).cloned().collect();
    assert_eq!(order_of_planned, plan, "order: {order:#?}");

    // The stack was planned whole: lower devices first, every layer in it.
    let at = |interface: &str, phase: &str| {
        plan.iter()
            .position(|(i, p, _)| i == interface && p == phase)
            .unwrap_or_else(|| panic!("no {phase} of {interface} in {plan:#?}"))
    };
    assert!(at("bond0", "create") < at("br0", "create"));
    assert!(at("br0", "create") < at("br0.42", "create"));
    assert!(at("bond0", "enslave") < at("br0", "enslave"));
    assert!(at("br0.42", "up") < at("br0.42", "address"));
    assert!(at("br0.42", "address") < at("br0.42", "route"));
}

/// Three `hello` interfaces written in the reverse of what they need (`after="X"`: X must exist
/// first, a `Requires` dependency). Apply's plan and `netplug order` both create them in the
/// order the requirements give, not the document's; `order --dot` draws the requirements.
#[test]
fn order_and_plan_honour_a_plugins_requires_dependencies() {
    let ns = Netns::new("order-req");
    let plugins = plugins_support::plugin_dir(&["hello"]);
    let doc = document(
        ns.dir.path(),
        "needs.xml",
        r#"<interfaces>
  <hello name="h2" after="h1"/>
  <hello name="h1" after="h0"/>
  <hello name="h0"/>
</interfaces>
"#,
    );
    let run = |args: &[&str]| -> String {
        let mut cmd = ns.command();
        cmd.arg("--plugin-dir").arg(plugins.path()).args(args).arg(&doc);
        let out = cmd.output().expect("run netplug");
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let json = |verb: &str| -> Value {
        let out = run(&["--json", verb]);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{verb} --json: {e}\n{out}"))
    };
    let creates = |doc: &Value, phase_key: &str| -> Vec<String> {
        steps(doc, phase_key)
            .into_iter()
            .filter(|(_, phase, _)| phase == "create")
            .map(|(interface, _, _)| interface)
            .collect()
    };
    let order = json("order");
    assert_eq!(creates(&order, "step"), ["h0", "h1", "h2"], "{order:#}");
    assert_eq!(creates(&json("plan"), "phase"), ["h0", "h1", "h2"]);
    let dot = run(&["order", "--dot"]);
    assert!(dot.contains(r#""h2" -> "h1" [label="requires"]"#), "{dot}");
}
