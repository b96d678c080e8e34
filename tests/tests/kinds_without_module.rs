//! A kind whose kernel module is missing is refused cleanly: the kernel's own words, which
//! module to look for, and the namespace as it was. This machine's kernel has no ipvlan or VRF
//! support (docs/testing.md), so here the refusal is what is tested; the qemu guest, whose
//! kernel has them, tests the kinds themselves (tests/tests/vm_*.rs).

use netplug_tests::{assert_same_state, document, Netns};

/// Whether this kernel can make a link of `kind` (the module may load on demand).
fn kernel_has(ns: &Netns, args: &[&str]) -> bool {
    let status = std::process::Command::new("ip")
        .args(["-n", &ns.name, "link", "add"])
        .args(args)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("run ip");
    status.success()
}

#[test]
fn kinds_the_kernel_lacks_are_refused_and_nothing_changes() {
    let cases = [
        ("ipvlan", r#"<ipvlan name="ipv0" device="nic0"/>"#, ["probe", "link", "nic0", "type", "ipvlan"]),
        (
            "VRF",
            r#"<vrf name="blue" table="10"><member device="nic0"/></vrf>"#,
            ["probe", "type", "vrf", "table", "10"],
        ),
    ];
    for (kind, element, probe) in cases {
        let ns = Netns::new("nomodule");
        ns.ip(&["link", "add", "nic0", "type", "veth", "peer", "name", "nic0p"]);
        assert!(
            !kernel_has(&ns, &probe),
            "this kernel has {kind} support: the refusal cannot be tested here (the guest tier tests the kind)"
        );
        let before = ns.state();
        let doc = document(ns.dir.path(), "doc.xml", &format!("<interfaces>\n  {element}\n</interfaces>\n"));
        let run = ns.netplug(&["apply", doc.to_str().unwrap()]);
        let err = run.stderr();
        assert_eq!(run.code(), 1, "{kind}: {err}");
        assert!(err.contains("Unknown device type"), "{kind}: the kernel's words are lost: {err}");
        assert!(err.contains("module"), "{kind}: no word of the module: {err}");
        assert!(err.contains("as it was before"), "{kind}: {err}");
        assert_same_state(&before, &ns.state(), kind);
    }
}
