//! The documents of docs/ that the host cannot apply for want of bonding, 802.1Q, dummy,
//! macvlan, ipvlan or VRF (`docs_examples.rs` only validates them there) are applied in the
//! qemu guest of `cargo xtask vm-test`, in a namespace of their own with a veth stand-in for
//! each device they name but do not create (and dnsmasq behind them, on a VLAN of its bridge
//! for each VLAN tag, when they ask for leases), then planned (nothing left to do) and
//! re-applied (nothing changes). Every document is reported: applied here, applied on the
//! host, or validated only with the reason (a NIC's ethtool settings).

use netplug_tests::docs::{apply_and_reapply, examples, report, Kind, Walk};

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
    for e in examples().into_iter().filter(|e| e.kind == Kind::Document) {
        let what = match Walk::of(&e.xml) {
            Walk::Guest(_) => {
                applied += 1;
                apply_and_reapply(&e, without_monitor_state)
            }
            Walk::Host => "applied on the host (docs_examples)".to_string(),
            Walk::Nowhere(why) => format!("validated only: {why}"),
        };
        report(&e.place, &what);
    }
    assert!(applied >= 12, "only {applied} documents applied");
}
