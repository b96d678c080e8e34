//! The shipped veth plugin (`plugins/veth`) end to end: the `netplug` binary with the
//! workspace's plugins beside it, in namespaces made for each test (and, for peers elsewhere,
//! a second, named namespace), always deleted.
//!
//! Live state is inspected with `netplug show` and, independently of any plugin, with
//! `ip -d -j link show` (fixture inspection only; nothing under test runs `ip`).

use std::process::Command;

use netplug_tests::docs::relaxng_valid;
use netplug_tests::{assert_same_state, document, Netns};
use serde_json::Value;

/// The link called `name` in namespace `ns` as `ip -d -j link show` reports it, if it exists.
fn link(ns: &str, name: &str) -> Option<Value> {
    let out = Command::new("ip").args(["-n", ns, "-d", "-j", "link", "show"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let links: Vec<Value> = serde_json::from_slice(&out.stdout).expect("ip -j prints JSON");
    links.into_iter().find(|l| l["ifname"] == name)
}

fn is_up(link: &Value) -> bool {
    link["flags"].as_array().is_some_and(|f| f.iter().any(|f| f == "UP"))
}

const PAIR: &str = r#"<interfaces>
  <veth name="v0" peer="v0p" mtu="9000"/>
</interfaces>
"#;

const PAIR_ABSENT: &str = r#"<interfaces>
  <veth name="v0" state="absent"/>
</interfaces>
"#;

#[test]
fn plugins_lists_the_veth_plugin() {
    let ns = Netns::new("veth-list");
    let out = ns.netplug(&["plugins"]).ok();
    let at = out.find("\nveth ").map(|i| &out[i..]).unwrap_or_else(|| panic!("{out}"));
    assert!(at.contains("handles:  kind veth"), "{out}");
    assert!(at.contains("libnetplug_plugin_veth.so"), "{out}");
}

#[test]
fn validate_points_at_each_problem() {
    let ns = Netns::new("veth-validate");
    let doc = document(
        ns.dir.path(),
        "bad.xml",
        r#"<interfaces>
  <veth name="v0" peeer="v0p" mut="9000"/>
  <veth name="v1" peer="v1"/>
  <veth name="v2" peer="v2p" peer-netns="../x"/>
</interfaces>
"#,
    );
    let run = ns.netplug(&["validate", doc.to_str().unwrap()]);
    assert_eq!(run.code(), 1, "problems found");
    let f = doc.display();
    let stderr = run.stderr();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        lines,
        [
            format!(
                "{f}:2:3: warning: v0: <veth> has no `peer`: v0 must exist already \
                 (a veth is created with its other end: add peer=\"v0p\", say)"
            ),
            format!("{f}:2:19: error: v0: unknown attribute `peeer` on <veth> (did you mean `peer`?)"),
            format!("{f}:2:31: error: v0: unknown attribute `mut` on <veth> (did you mean `mtu`?)"),
            format!("{f}:3:25: error: v1: invalid peer `v1`: a veth's peer needs a name of its own"),
            format!(
                "{f}:4:42: error: v2: invalid peer-netns `../x`: must be a file name under /run/netns \
                 (no `/`, not `.` or `..`)"
            ),
        ]
    );
    let good = document(ns.dir.path(), "good.xml", PAIR);
    let run = ns.netplug(&["validate", good.to_str().unwrap()]);
    assert_eq!((run.code(), run.stderr().as_str()), (0, ""));
}

#[test]
fn apply_creates_then_changes_nothing_then_absent_deletes() {
    let ns = Netns::new("veth-apply");
    let pair = document(ns.dir.path(), "pair.xml", PAIR);
    let pair = pair.to_str().unwrap();

    let out = ns.netplug(&["plan", pair]).ok();
    assert!(out.contains("v0: create veth v0 with peer v0p (mtu 9000, up)  [veth, create]"), "{out}");
    assert!(link(&ns.name, "v0").is_none(), "plan changes nothing");

    let out = ns.netplug(&["apply", pair]).ok();
    assert!(out.contains("applied 1 change(s) and verified them"), "{out}");
    let v0 = link(&ns.name, "v0").expect("v0 exists");
    assert_eq!(v0["linkinfo"]["info_kind"], "veth");
    assert_eq!((&v0["mtu"], &v0["link"]), (&9000.into(), &"v0p".into()));
    assert!(is_up(&v0));
    assert!(!is_up(&link(&ns.name, "v0p").expect("its peer exists")), "an undeclared peer stays down");

    let out = ns.netplug(&["show", "v0"]).ok();
    assert!(out.contains(r#"<veth name="v0" peer="v0p""#) && out.contains(r#"mtu="9000""#), "{out}");

    assert_eq!(ns.netplug(&["apply", pair]).ok(), "no changes: the kernel already matches\n");
    assert_eq!(ns.netplug(&["check", pair]).code(), 0, "no drift");

    let gone = document(ns.dir.path(), "gone.xml", PAIR_ABSENT);
    let out = ns.netplug(&["apply", gone.to_str().unwrap()]).ok();
    assert!(out.contains("v0: delete veth v0 and its peer v0p  [veth, delete]"), "{out}");
    assert!(link(&ns.name, "v0").is_none() && link(&ns.name, "v0p").is_none(), "both ends are gone");
    assert_eq!(
        ns.netplug(&["apply", gone.to_str().unwrap()]).ok(),
        "no changes: the kernel already matches\n"
    );
}

#[test]
fn show_fed_back_to_apply_changes_nothing() {
    let ns = Netns::new("veth-show");
    let far = Netns::new("veth-show-far");
    let doc = document(
        ns.dir.path(),
        "ports.xml",
        &format!(
            r#"<interfaces>
  <veth name="a0" peer="a1" mtu="1400"/>
  <veth name="a1" peer="a0" mtu="1400" state="down"/>
  <veth name="ct0" peer="eth0" peer-netns="{far}"/>
  <bridge name="br0" stp="off">
    <member device="a0"/>
  </bridge>
</interfaces>
"#,
            far = far.name
        ),
    );
    ns.netplug(&["apply", doc.to_str().unwrap()]).ok();
    let shown = ns.netplug(&["show"]).ok();
    assert!(shown.contains(&format!(r#"<veth name="ct0" peer="eth0" peer-netns="{}""#, far.name)), "{shown}");
    let before = ns.state();
    let again = document(ns.dir.path(), "shown.xml", &shown);
    assert_eq!(ns.plan_len(&again), 0, "show's output plans nothing:\n{shown}");
    assert_eq!(
        ns.netplug(&["apply", again.to_str().unwrap()]).ok(),
        "no changes: the kernel already matches\n"
    );
    assert_same_state(&before, &ns.state(), "show applied back");
}

#[test]
fn a_peer_lives_in_a_named_namespace_and_goes_with_its_pair() {
    let ns = Netns::new("veth-here");
    let far = Netns::new("veth-far");
    let doc = document(
        ns.dir.path(),
        "ct.xml",
        &format!(
            "<interfaces>\n  <veth name=\"ct0\" peer=\"eth0\" peer-netns=\"{}\" mtu=\"1450\"/>\n</interfaces>\n",
            far.name
        ),
    );
    let out = ns.netplug(&["apply", doc.to_str().unwrap()]).ok();
    assert!(
        out.contains(&format!("create veth ct0 with peer eth0 in namespace {} (mtu 1450, up)", far.name)),
        "{out}"
    );
    assert!(link(&ns.name, "eth0").is_none(), "not here");
    let eth0 = link(&far.name, "eth0").expect("the peer is over there");
    assert_eq!(eth0["linkinfo"]["info_kind"], "veth");
    assert!(ns.netplug(&["apply", doc.to_str().unwrap()]).ok().contains("no changes"));

    // Back into this namespace: the plan says why the pair is made again.
    let here = document(ns.dir.path(), "here.xml", "<veth name=\"ct0\" peer=\"eth0\"/>\n");
    let out = ns.netplug(&["plan", here.to_str().unwrap()]).ok();
    assert!(
        out.contains(&format!(
            "delete veth ct0 and its peer eth0 in namespace {0} to pair it with eth0 (was eth0 in namespace {0})",
            far.name
        )),
        "{out}"
    );
    assert!(out.contains("create veth ct0 again with peer eth0 (up)"), "{out}");

    let gone = document(ns.dir.path(), "gone.xml", "<veth name=\"ct0\" state=\"absent\"/>\n");
    ns.netplug(&["apply", gone.to_str().unwrap()]).ok();
    assert!(link(&far.name, "eth0").is_none(), "deleting one end deletes the other, wherever it is");

    // A namespace that does not exist: refused by the kernel step, nothing left behind.
    let missing = document(
        ns.dir.path(),
        "missing.xml",
        "<veth name=\"ct1\" peer=\"eth0\" peer-netns=\"np-no-such-ns\"/>\n",
    );
    let before = ns.state();
    let run = ns.netplug(&["apply", missing.to_str().unwrap()]);
    assert_eq!(run.code(), 1);
    assert!(run.stderr().contains("cannot open network namespace np-no-such-ns"), "{}", run.stderr());
    assert_same_state(&before, &ns.state(), "a failed create");
}

/// Every step of a plan that creates, re-pairs, puts a peer elsewhere, brings up and enslaves
/// is failed in turn; each time the namespace is exactly as before.
#[test]
fn a_failure_at_every_step_rolls_back_whole() {
    let ns = Netns::new("veth-fail");
    let far = Netns::new("veth-fail-far");
    let fixture = document(
        ns.dir.path(),
        "fixture.xml",
        r#"<interfaces>
  <veth name="old0" peer="old0p" mtu="1400"/>
  <veth name="old0p" peer="old0" mtu="1400"/>
  <veth name="keep0" peer="keep0p" mtu="1500"/>
</interfaces>
"#,
    );
    ns.netplug(&["apply", fixture.to_str().unwrap()]).ok();
    let doc = document(
        ns.dir.path(),
        "changes.xml",
        &format!(
            r#"<interfaces>
  <veth name="v0" peer="v0p" mtu="9000"/>
  <veth name="v0p" peer="v0" mtu="9000"/>
  <veth name="old0" peer="new0p"/>
  <veth name="old0p" state="absent"/>
  <veth name="keep0" peer="keep0p" mtu="1600" state="down"/>
  <veth name="ct0" peer="eth0" peer-netns="{far}"/>
  <bridge name="br0" stp="off">
    <member device="v0"/>
  </bridge>
</interfaces>
"#,
            far = far.name
        ),
    );
    ns.fail_at_every_step(&doc, 8);
    assert!(link(&far.name, "eth0").is_none(), "no peer left over there");
    ns.netplug(&["apply", doc.to_str().unwrap()]).ok();
    assert!(link(&far.name, "eth0").is_some());
    assert_eq!(ns.plan_len(&doc), 0);
}

#[test]
fn a_kernel_error_rolls_back_what_ran_before_it() {
    let ns = Netns::new("veth-error");
    // x/taken exist already; the document does not govern them.
    ns.ip(&["link", "add", "x", "type", "veth", "peer", "name", "taken"]);
    let before = ns.state();
    let doc = document(
        ns.dir.path(),
        "two.xml",
        r#"<interfaces>
  <veth name="v0" peer="v0p"/>
  <veth name="v1" peer="taken"/>
</interfaces>
"#,
    );
    let run = ns.netplug(&["apply", doc.to_str().unwrap()]);
    assert_eq!(run.code(), 1);
    let stderr = run.stderr();
    assert!(stderr.contains("v1: create veth"), "names the interface and the request: {stderr}");
    assert!(stderr.contains("File exists"), "carries the kernel's errno: {stderr}");
    assert!(stderr.contains("as it was before"), "{stderr}");
    assert_same_state(&before, &ns.state(), "rolled back");
}

/// The shipped veth plugin declares its vocabulary: `netplug schema` holds `<veth>` with
/// `peer` and `peer-netns` beside the envelope and the feature elements, and every plugin of
/// the workspace (veth, dummy and vxlan among them) is `declared`.
#[test]
fn schema_has_the_veth_kind_and_its_vocabulary() {
    let ns = Netns::new("veth-schema");
    let schema = document(ns.dir.path(), "netplug.rng", &ns.netplug(&["schema"]).ok());
    let documents = [
        r#"<veth name="v0" peer="v0p" mtu="9000" state="up"/>"#,
        r#"<veth name="ct0" peer="eth0" peer-netns="container1"/>"#,
        r#"<interfaces><veth name="v0" peer="v0p"><static ipaddr="192.0.2.1/24"/></veth><bridge name="br0"><member device="v0"/></bridge></interfaces>"#,
    ];
    for xml in documents {
        assert_eq!(relaxng_valid(&schema, xml), Ok(()), "{xml}");
    }
    // Its own attributes are checked, the envelope is still core's, the feature elements theirs.
    for xml in [
        r#"<veth name="v0" peer="v0p" peeer="x"/>"#,
        r#"<veth name="v0" peer="v0p" peer-netns="a/b"/>"#,
        r#"<veth name="v0" mtu="9"/>"#,
        r#"<veth name="v0"><static ipadr="192.0.2.1/24"/></veth>"#,
    ] {
        assert!(relaxng_valid(&schema, xml).is_err(), "{xml}");
    }

    let doc: Value = serde_json::from_str(&ns.netplug(&["--json", "schema"]).ok()).unwrap();
    let plugins = doc["plugins"].as_array().unwrap();
    for kind in ["veth", "dummy", "vxlan"] {
        assert!(plugins.iter().any(|p| p["name"] == kind), "{kind} is listed: {plugins:?}");
    }
    assert!(plugins.iter().all(|p| p["vocabulary"] == "declared"), "{plugins:?}");
}
