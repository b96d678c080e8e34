//! The documents of docs/ that the host cannot apply for want of bonding, 802.1Q, macvlan,
//! ipvlan or VRF
//! (`docs_examples.rs` only validates them there) are applied in the qemu guest of `cargo
//! xtask vm-test`, in a namespace of their own with a veth stand-in for each device they name
//! but do not create, then planned (nothing left to do) and re-applied (nothing changes).
//!
//! Not applied here either, and said so: documents with DHCP or SLAAC (a server on the link
//! of every client, behind the bonds and VLANs they sit on, is not built here) and with a
//! NIC's ethtool settings (speed, duplex, autonegotiation, rings and channels belong to real
//! hardware: a veth has no link to negotiate, no rings, and fixed channels).

use std::path::Path;

use netplug_tests::docs::{examples, stand_ins, Kind};
use netplug_tests::{assert_same_state, Netns};

/// What the guest's kernel gives a document that the host's lacks (`docs_examples.rs`'s
/// reasons for not applying it there).
fn needs_the_guest(xml: &str) -> bool {
    ["<bond", "type='bond'", "<vlan", "type='vlan'", "<macvlan", "<macvtap", "<ipvlan", "<vrf"]
        .iter()
        .any(|k| xml.contains(k))
}

/// Why a document is not applied even in the guest.
fn why_not_applied(xml: &str) -> Option<&'static str> {
    if xml.contains("<dhcp") || xml.contains("<autoconf") {
        Some("DHCP and SLAAC need a server on the link")
    } else if xml.contains("<ethtool") || xml.contains("<link ") {
        Some("ethtool link settings, rings and channels need a real NIC")
    } else {
        None
    }
}

/// A snapshot without what the kernel's link monitors change by themselves: an ARP-monitored
/// bond whose targets never answer (none do here) loses its active slave a moment after the
/// apply, whatever netplug does.
fn without_monitor_state(state: Vec<String>) -> Vec<String> {
    state
        .into_iter()
        .map(|line| match line.find("\"active_slave\":\"") {
            Some(at) => {
                let end = line[at + 16..].find('"').map_or(line.len(), |e| at + 16 + e + 1);
                let end = if line[end..].starts_with(',') { end + 1 } else { end };
                format!("{}{}", &line[..at], &line[end..])
            }
            None => line,
        })
        .collect()
}

#[test]
#[ignore = "needs bonding, 802.1Q and other link kinds this kernel lacks: runs in the qemu guest (cargo xtask vm-test)"]
fn documents_the_host_cannot_apply_apply_in_the_guest_and_reapply_as_no_ops() {
    let mut applied = 0;
    for e in examples().into_iter().filter(|e| e.kind == Kind::Document && needs_the_guest(&e.xml)) {
        if let Some(why) = why_not_applied(&e.xml) {
            eprintln!("{}: validated only ({why})", e.place);
            continue;
        }
        let ns = Netns::new("vmdoc");
        // Up, as a NIC in use is: the kernel brings no VLAN up on a parent that is down, and
        // netplug leaves a device the documents only refer to as it finds it.
        for (i, dev) in stand_ins(&e.xml).iter().enumerate() {
            let peer = format!("standin{i}");
            ns.ip(&["link", "add", dev, "type", "veth", "peer", "name", &peer]);
            ns.ip(&["link", "set", &peer, "up"]);
            ns.ip(&["link", "set", dev, "up"]);
        }
        let doc = ns.dir.path().join("example.xml");
        std::fs::write(&doc, &e.xml).unwrap();
        let doc = doc.to_str().unwrap();
        let first = ns.netplug(&["apply", doc]);
        assert_eq!(first.code(), 0, "{}: apply failed:\n{}", e.place, first.stderr());
        let after = without_monitor_state(ns.state());
        assert_eq!(ns.plan_len(Path::new(doc)), 0, "{}: a plan after the apply is not empty", e.place);
        let again = ns.netplug(&["apply", doc]);
        assert_eq!(again.code(), 0, "{}: re-apply failed:\n{}", e.place, again.stderr());
        assert_same_state(&after, &without_monitor_state(ns.state()), &format!("{} re-applied", e.place));
        eprintln!("{}: applied and re-applied as a no-op", e.place);
        applied += 1;
    }
    assert!(applied >= 4, "only {applied} documents applied");
}
