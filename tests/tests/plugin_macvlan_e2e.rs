//! macvlan and macvtap end to end: created with every setting, read back by iproute2 and by
//! `netplug show`, re-applied as a no-op (also from what `show` printed), changed in place and
//! recreated where the kernel cannot change in place, removed, and rolled back whole from a
//! failure at every step. This machine's kernel has macvlan and macvtap built in (and no dummy):
//! veth pairs stand in for the NICs.

use netplug_tests::{document, Netns};

const DOC: &str = r#"<interfaces>
  <macvlan name="mv0" device="nic0" mode="bridge" bcqueuelen="64" mtu="1400">
    <static ipaddr="192.0.2.10/24"/>
  </macvlan>
  <macvlan name="mv1" device="nic0" mode="private" state="down">
    <hwaddr>02:AA:00:00:00:11</hwaddr>
  </macvlan>
  <macvtap name="tap0" device="nic1" mode="source" nodst="yes">
    <source mac="52:54:00:00:00:02"/>
    <source mac="52:54:00:00:00:01"/>
  </macvtap>
  <macvlan name="pt0" device="nic2" mode="passthru" nopromisc="yes"/>
</interfaces>
"#;

/// Modes and flags changed in place, one macvlan moved to another parent (recreated), the
/// passthru one made an ordinary one (recreated), the source list changed.
const CHANGED: &str = r#"<interfaces>
  <macvlan name="mv0" device="nic0" mode="vepa" mtu="1400">
    <static ipaddr="192.0.2.10/24"/>
  </macvlan>
  <macvlan name="mv1" device="nic1" mode="private"/>
  <macvtap name="tap0" device="nic1" mode="source">
    <source mac="52:54:00:00:00:03"/>
  </macvtap>
  <macvlan name="pt0" device="nic2" mode="bridge"/>
</interfaces>
"#;

const TEARDOWN: &str = r#"<interfaces>
  <macvlan name="mv0" state="absent"/>
  <macvlan name="mv1" state="absent"/>
  <macvtap name="tap0" state="absent"/>
  <macvlan name="pt0" state="absent"/>
</interfaces>
"#;

#[test]
fn macvlans_apply_read_back_reapply_change_and_go() {
    let ns = Netns::new("macvlan");
    ns.stand_in_nics("veth", &["nic0", "nic1", "nic2"], true);
    let doc = document(ns.dir.path(), "doc.xml", DOC);
    let doc = doc.to_str().unwrap();
    assert!(ns.netplug(&["apply", doc]).ok().contains("verified"));

    let mv0 = ns.ip(&["-d", "link", "show", "mv0"]);
    assert!(mv0.contains("mv0@nic0") && mv0.contains("mtu 1400"), "{mv0}");
    assert!(mv0.contains("macvlan mode bridge") && mv0.contains("bcqueuelen 64"), "{mv0}");
    assert!(ns.ip(&["addr", "show", "mv0"]).contains("192.0.2.10/24"));
    let mv1 = ns.ip(&["-d", "link", "show", "mv1"]);
    assert!(mv1.contains("macvlan mode private") && !mv1.contains(",UP"), "{mv1}");
    assert!(mv1.contains("link/ether 02:aa:00:00:00:11"), "{mv1}");
    let tap0 = ns.ip(&["-d", "link", "show", "tap0"]);
    assert!(tap0.contains("macvtap mode source nodst"), "{tap0}");
    assert!(tap0.contains("remotes (2)") || tap0.contains("52:54:00:00:00:01"), "{tap0}");
    let pt0 = ns.ip(&["-d", "link", "show", "pt0"]);
    assert!(pt0.contains("macvlan mode passthru nopromisc"), "{pt0}");

    assert!(ns.netplug(&["apply", doc]).ok().contains("no changes"));
    // What `show` prints is a document: applied, it changes nothing.
    let shown = ns.show_applies_back(&["mv0", "mv1", "tap0", "pt0"]);
    for needle in [
        r#"mode="bridge""#,
        r#"bcqueuelen="64""#,
        r#"mode="private""#,
        r#"mode="source""#,
        r#"nodst="yes""#,
        r#"<source mac="52:54:00:00:00:01"/>"#,
        r#"<source mac="52:54:00:00:00:02"/>"#,
        r#"mode="passthru""#,
        r#"nopromisc="yes""#,
        "<macvtap",
    ] {
        assert!(shown.contains(needle), "show lacks {needle}:\n{shown}");
    }

    let (mv0_before, tap0_before) = (ns.ifindex("mv0"), ns.ifindex("tap0"));
    let changed = document(ns.dir.path(), "changed.xml", CHANGED);
    let changed = changed.to_str().unwrap();
    let plan = ns.netplug(&["plan", changed]).ok();
    assert!(plan.contains("set mode vepa (was bridge)"), "{plan}");
    assert!(plan.contains("delete macvlan to change device nic1 (was nic0)"), "{plan}");
    assert!(plan.contains("delete macvlan to change mode bridge (was passthru)"), "{plan}");
    ns.netplug(&["apply", changed]).ok();
    assert_eq!(ns.ifindex("mv0"), mv0_before, "changed in place, not recreated");
    assert_eq!(ns.ifindex("tap0"), tap0_before, "changed in place, not recreated");
    assert!(ns.ip(&["-d", "link", "show", "mv0"]).contains("macvlan mode vepa"));
    assert!(ns.ip(&["link", "show", "mv1"]).contains("mv1@nic1"));
    let tap0 = ns.ip(&["-d", "link", "show", "tap0"]);
    assert!(tap0.contains("mode source") && !tap0.contains("nodst"), "{tap0}");
    assert!(ns.ip(&["-d", "link", "show", "pt0"]).contains("macvlan mode bridge"));
    assert!(ns.netplug(&["apply", changed]).ok().contains("no changes"));

    let teardown = document(ns.dir.path(), "teardown.xml", TEARDOWN);
    ns.netplug(&["apply", teardown.to_str().unwrap()]).ok();
    let links = ns.ip(&["-br", "link", "show"]);
    for gone in ["mv0", "mv1", "tap0", "pt0"] {
        assert!(!links.contains(gone), "{gone} is still there:\n{links}");
    }
    assert!(links.contains("nic0") && links.contains("nic2"), "the parents stay:\n{links}");
}

#[test]
fn a_failure_at_every_step_leaves_the_macvlans_as_they_were() {
    let ns = Netns::new("macvlanfail");
    ns.stand_in_nics("veth", &["nic0", "nic1", "nic2"], true);
    let doc = document(ns.dir.path(), "doc.xml", DOC);
    let changed = document(ns.dir.path(), "changed.xml", CHANGED);
    let teardown = document(ns.dir.path(), "teardown.xml", TEARDOWN);
    // Build-up from bare NICs, the change (in place and recreated), and teardown.
    ns.fail_at_every_step_from(&[(&doc, None), (&changed, Some(&doc)), (&teardown, Some(&doc))], 4);
}
