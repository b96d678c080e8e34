//! The dummy plugin end to end: created with its envelope, read back, re-applied as a no-op,
//! changed in place, rolled back whole from a failure at every step, and removed. This
//! machine's kernel has no `dummy` module, so this runs in the qemu guest of `cargo xtask
//! vm-test` (which loads it) and is ignored elsewhere.

use netplug_tests::{assert_same_state, document, Netns};
use serde_json::Value;

const DUMMIES: &str = r#"<interfaces>
  <dummy name="svc0" mtu="9000">
    <hwaddr>02:00:5E:00:53:01</hwaddr>
    <static ipaddr="192.0.2.53/32"/>
  </dummy>
  <dummy name="svc1" state="down"/>
</interfaces>
"#;

/// `ip -d -j link show dev NAME` in the test's namespace.
fn link(ns: &Netns, name: &str) -> Value {
    let links: Vec<Value> = serde_json::from_str(&ns.ip(&["-d", "-j", "link", "show", "dev", name])).unwrap();
    links.into_iter().next().unwrap()
}

fn is_up(link: &Value) -> bool {
    link["flags"].as_array().is_some_and(|f| f.iter().any(|f| f == "UP"))
}

#[test]
#[ignore = "needs the dummy module: runs in the qemu guest (cargo xtask vm-test)"]
fn dummy_applies_reads_back_reapplies_and_changes_in_place() {
    let ns = Netns::new("dummy");
    let doc = document(ns.dir.path(), "dummies.xml", DUMMIES);
    let doc = doc.to_str().unwrap();
    let out = ns.netplug(&["plan", doc]).ok();
    assert!(out.contains("svc0: create dummy (mtu 9000, mac 02:00:5e:00:53:01)  [dummy, create]"), "{out}");
    ns.netplug(&["apply", doc]).ok();
    let svc0 = link(&ns, "svc0");
    assert_eq!(svc0["linkinfo"]["info_kind"], "dummy");
    assert_eq!((&svc0["mtu"], &svc0["address"]), (&9000.into(), &"02:00:5e:00:53:01".into()));
    assert!(is_up(&svc0));
    assert!(!is_up(&link(&ns, "svc1")));
    assert!(ns.ip(&["addr", "show", "svc0"]).contains("192.0.2.53/32"));

    // Read back through netplug: every attribute, and fed back it is a no-op.
    let shown = ns.netplug(&["show", "--observed", "svc0"]).ok();
    assert!(shown.contains(r#"<dummy name="svc0""#) && shown.contains(r#"mtu="9000""#), "{shown}");
    assert!(shown.contains("02:00:5e:00:53:01"), "{shown}");
    assert!(ns.netplug(&["apply", doc]).ok().contains("no changes"));
    let all = ns.netplug(&["show"]).ok();
    let before = ns.state();
    let again = document(ns.dir.path(), "shown.xml", &all);
    assert_eq!(ns.plan_len(&again), 0, "show's output plans nothing:\n{all}");
    assert_same_state(&before, &ns.state(), "show applied back");

    // MTU, MAC and state change in place: the same link, not a new one.
    let index = link(&ns, "svc0")["ifindex"].clone();
    let changed = document(
        ns.dir.path(),
        "changed.xml",
        r#"<interfaces>
  <dummy name="svc0" mtu="1500" state="down"><hwaddr>02:00:5e:00:53:02</hwaddr></dummy>
  <dummy name="svc1"/>
</interfaces>
"#,
    );
    ns.netplug(&["apply", changed.to_str().unwrap()]).ok();
    let svc0 = link(&ns, "svc0");
    assert_eq!(svc0["ifindex"], index);
    assert_eq!((&svc0["mtu"], &svc0["address"]), (&1500.into(), &"02:00:5e:00:53:02".into()));
    assert!(!is_up(&svc0) && is_up(&link(&ns, "svc1")));

    let gone = document(
        ns.dir.path(),
        "gone.xml",
        "<interfaces>\n  <dummy name=\"svc0\" state=\"absent\"/>\n  <dummy name=\"svc1\" state=\"absent\"/>\n</interfaces>\n",
    );
    ns.netplug(&["apply", gone.to_str().unwrap()]).ok();
    assert!(!ns.ip(&["-br", "link", "show"]).contains("svc"), "both removed");
    assert!(ns.netplug(&["apply", gone.to_str().unwrap()]).ok().contains("no changes"));
}

#[test]
#[ignore = "needs the dummy module: runs in the qemu guest (cargo xtask vm-test)"]
fn dummy_failure_at_every_step_rolls_back_whole() {
    let ns = Netns::new("dummy-fail");
    ns.ip(&["link", "add", "old0", "mtu", "1400", "type", "dummy"]);
    ns.ip(&["link", "add", "gone0", "type", "dummy"]);
    let doc = document(
        ns.dir.path(),
        "changes.xml",
        r#"<interfaces>
  <dummy name="d0" mtu="9000"><static ipaddr="192.0.2.1/24"/></dummy>
  <dummy name="d1"/>
  <dummy name="old0" mtu="1500"/>
  <dummy name="gone0" state="absent"/>
  <bridge name="br0" stp="off">
    <member device="d1"/>
  </bridge>
</interfaces>
"#,
    );
    ns.fail_at_every_step(&doc, 7);
    ns.netplug(&["apply", doc.to_str().unwrap()]).ok();
    assert_eq!(ns.plan_len(&doc), 0);
    assert!(ns.ip(&["link", "show", "d1"]).contains("master br0"));
}
