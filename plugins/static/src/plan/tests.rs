//! The plan diff, from items alone.

use netplug_plugin_sdk::{Change, Element, Envelope, Item, LinkState};

use super::plan;
use crate::apply::StaticOp;

fn item(iface: &str, attrs: &[(&str, &str)]) -> Item {
    let element = attrs.iter().fold(Element::new("static"), |el, (k, v)| el.with_attr(*k, *v));
    let envelope = Envelope { name: iface.into(), kind: "ethernet".into(), ..Default::default() };
    Item { interface: iface.into(), kind: "ethernet".into(), envelope: Some(envelope), element }
}

fn eth0() -> Vec<String> {
    vec!["eth0".to_string()]
}

/// `PHASE: description`.
fn show(changes: &[Change]) -> Vec<String> {
    changes.iter().map(|c| format!("{:?}: {}", c.phase, c.description)).collect()
}

fn op(change: &Change) -> StaticOp {
    change.op().unwrap()
}

#[test]
fn addresses_and_gateways_are_added_in_their_phases() {
    let want = [
        item("eth0", &[("ipaddr", "192.168.0.5"), ("netmask", "255.255.255.0"), ("gateway", "192.168.0.1")]),
        item("eth0", &[("ipaddr", "2001:db8:c::5"), ("gateway", "2001:db8:c::1")]),
        item("eth0", &[("ipaddr", "10.1.0.5/16"), ("ip6addr", "2001:db8:d::5/64")]),
    ];
    let changes = plan(&want, &[], &eth0()).unwrap();
    assert_eq!(
        show(&changes),
        [
            "Address: add address 192.168.0.5/24",
            "Address: add address 2001:db8:c::5/64",
            "Address: add address 10.1.0.5/16",
            "Address: add address 2001:db8:d::5/64",
            "Route: add IPv4 gateway 192.168.0.1",
            "Route: add IPv6 gateway 2001:db8:c::1",
        ]
    );
    assert!(matches!(op(&changes[0]), StaticOp::AddAddress { proto: Some(176), prefix_len: 24, .. }));
}

#[test]
fn the_shape_read_reports_plans_to_nothing() {
    let want = [
        item("eth0", &[("ipaddr", "192.168.0.5/24"), ("gateway", "192.168.0.1")]),
        item("eth0", &[("ip6addr", "2001:db8:c::5")]),
    ];
    let live = [
        item("eth0", &[("ipaddr", "192.168.0.5/24"), ("gateway", "192.168.0.1")]),
        item("eth0", &[("ip6addr", "2001:db8:c::5/64")]),
        item("eth0", &[("ipaddr", "192.168.0.99/24"), ("foreign", "manual")]),
        item("eth0", &[("ip6addr", "2001:db8:c::99/64"), ("foreign", "kernel")]),
    ];
    assert!(plan(&want, &live, &eth0()).unwrap().is_empty());
    assert!(plan(&live, &live, &eth0()).unwrap().is_empty(), "a snapshot plans to nothing against itself");
}

#[test]
fn a_new_address_comes_before_the_old_one_goes() {
    let live = [item("eth0", &[("ipaddr", "10.0.0.5/24"), ("gateway", "10.0.0.1")])];
    let want = [item("eth0", &[("ipaddr", "192.168.1.5/24"), ("gateway", "192.168.1.1")])];
    let changes = plan(&want, &live, &eth0()).unwrap();
    assert_eq!(
        show(&changes),
        [
            "Address: add address 192.168.1.5/24",
            "Address: remove address 10.0.0.5/24",
            "Route: add IPv4 gateway 192.168.1.1",
            "Dynamic: remove IPv4 gateway 10.0.0.1",
        ]
    );
    assert!(matches!(op(&changes[1]), StaticOp::RemoveAddress { promote: false, .. }));
}

#[test]
fn within_a_subnet_the_old_primary_is_removed_with_promotion() {
    let live = [item("eth0", &[("ipaddr", "10.0.0.5/24"), ("gateway", "10.0.0.1")])];
    let want = [item("eth0", &[("ipaddr", "10.0.0.6/24"), ("gateway", "10.0.0.1")])];
    let changes = plan(&want, &live, &eth0()).unwrap();
    assert_eq!(show(&changes), ["Address: add address 10.0.0.6/24", "Address: remove address 10.0.0.5/24"]);
    assert!(
        matches!(op(&changes[1]), StaticOp::RemoveAddress { promote: true, .. }),
        "the new one is its secondary"
    );
}

#[test]
fn teardown_removes_only_netplugs_early_and_keeps_foreign_secondaries() {
    let live = [
        item("eth0", &[("ipaddr", "192.0.2.1/24"), ("gateway", "192.0.2.254")]),
        item("eth0", &[("ipaddr", "192.0.2.2/24")]),
        item("eth0", &[("ipaddr", "192.0.2.99/24"), ("foreign", "manual")]),
        item("eth0", &[("ipaddr", "198.51.100.1/24"), ("foreign", "dynamic")]),
        item("eth0", &[("ip6addr", "2001:db8::1/64")]),
        item("eth0", &[("gateway", "2001:db8::fe")]),
    ];
    let changes = plan(&[], &live, &eth0()).unwrap();
    assert_eq!(
        show(&changes),
        [
            "RemoveRoute: remove IPv4 gateway 192.0.2.254",
            "RemoveRoute: remove IPv6 gateway 2001:db8::fe",
            "RemoveAddress: remove address 2001:db8::1/64",
            "RemoveAddress: remove address 192.0.2.2/24",
            "RemoveAddress: remove address 192.0.2.1/24",
        ]
    );
    // The secondary .2 goes first without fuss; the primary .1 keeps the foreign .99 alive.
    assert!(matches!(op(&changes[3]), StaticOp::RemoveAddress { promote: false, .. }));
    assert!(matches!(op(&changes[4]), StaticOp::RemoveAddress { promote: true, .. }));
}

#[test]
fn an_absent_interface_is_torn_down_and_one_out_of_scope_left_alone() {
    let live = [item("eth0", &[("ipaddr", "10.0.0.5/24")]), item("eth1", &[("ipaddr", "10.1.0.5/24")])];
    let mut gone = item("eth0", &[("ipaddr", "10.0.0.5/24")]);
    gone.envelope.as_mut().unwrap().state = LinkState::Absent;
    let changes = plan(&[gone], &live, &eth0()).unwrap();
    assert_eq!(show(&changes), ["RemoveAddress: remove address 10.0.0.5/24"]);
    assert!(changes.iter().all(|c| c.interface == "eth0"));
}

#[test]
fn a_declared_hand_made_address_is_adopted_and_handed_back_on_rollback() {
    let snapshot = [item("eth0", &[("ipaddr", "10.0.0.5/24"), ("foreign", "manual")])];
    let want = [item("eth0", &[("ipaddr", "10.0.0.5/24")])];
    let changes = plan(&want, &snapshot, &eth0()).unwrap();
    assert_eq!(show(&changes), ["Address: adopt address 10.0.0.5/24 (added outside netplug)"]);
    assert!(matches!(op(&changes[0]), StaticOp::MarkAddress { proto: Some(176), .. }));

    // Planning back to the snapshot: the mark is cleared, the address never goes.
    let changes = plan(&snapshot, &want, &eth0()).unwrap();
    assert_eq!(show(&changes), ["Address: hand back address 10.0.0.5/24 (added outside netplug)"]);
    assert!(matches!(op(&changes[0]), StaticOp::MarkAddress { proto: None, .. }));
    // And one that went missing comes back as it was.
    let changes = plan(&snapshot, &[], &eth0()).unwrap();
    assert_eq!(show(&changes), ["Address: restore address 10.0.0.5/24 (added outside netplug)"]);
    assert!(matches!(op(&changes[0]), StaticOp::AddAddress { proto: None, .. }));
}

#[test]
fn leases_and_kernel_addresses_are_neither_adopted_nor_removed() {
    let live = [
        item("eth0", &[("ipaddr", "10.0.0.5/24"), ("foreign", "dynamic")]),
        item("eth0", &[("ip6addr", "2001:db8::5/64"), ("foreign", "kernel")]),
        item("eth0", &[("ip6addr", "2001:db8::6/64"), ("foreign", "42")]),
    ];
    let want = [item("eth0", &[("ipaddr", "10.0.0.5/24"), ("ip6addr", "2001:db8::5/64")])];
    assert!(plan(&want, &live, &eth0()).unwrap().is_empty());
    assert!(plan(&[], &live, &eth0()).unwrap().is_empty());
}

#[test]
fn an_ipv6_address_changing_its_length_makes_room_first() {
    let live = [item("eth0", &[("ip6addr", "2001:db8::1/64")]), item("eth0", &[("ipaddr", "10.0.0.1/24")])];
    let want = [item("eth0", &[("ip6addr", "2001:db8::1/48")]), item("eth0", &[("ipaddr", "10.0.0.1/16")])];
    let changes = plan(&want, &live, &eth0()).unwrap();
    assert_eq!(
        show(&changes),
        [
            "RemoveAddress: remove address 2001:db8::1/64",
            "Address: add address 2001:db8::1/48",
            "Address: add address 10.0.0.1/16",
            "Address: remove address 10.0.0.1/24",
        ]
    );
}

#[test]
fn gateway_changes_and_removals() {
    let live = [item("eth0", &[("ipaddr", "10.0.0.5/24"), ("gateway", "10.0.0.1")])];
    let want = [item("eth0", &[("ipaddr", "10.0.0.5/24"), ("gateway", "10.0.0.2")])];
    // Make before break: the new gateway is added beside the old one, which goes last.
    let changes = plan(&want, &live, &eth0()).unwrap();
    assert_eq!(show(&changes), ["Route: add IPv4 gateway 10.0.0.2", "Dynamic: remove IPv4 gateway 10.0.0.1"]);
    assert!(matches!(op(&changes[0]), StaticOp::AddGateway { beside_own: true, .. }));
    assert!(matches!(op(&changes[1]), StaticOp::RemoveGateway { after_replacement: true, .. }));
    // Dropped while the addresses stay (a <route> default may take over): still last.
    let want = [item("eth0", &[("ipaddr", "10.0.0.5/24")])];
    assert_eq!(show(&plan(&want, &live, &eth0()).unwrap()), ["Dynamic: remove IPv4 gateway 10.0.0.1"]);
    // With the interface's last address: early, before the kernel drops it with the address.
    let changes = plan(&[], &live, &eth0()).unwrap();
    assert_eq!(show(&changes)[0], "RemoveRoute: remove IPv4 gateway 10.0.0.1");
    assert!(matches!(op(&changes[0]), StaticOp::RemoveGateway { after_replacement: false, .. }));
    // A first gateway, with none live anywhere, is added exclusively.
    let bare = [item("eth0", &[("ipaddr", "10.0.0.5/24")])];
    let changes = plan(&live, &bare, &eth0()).unwrap();
    assert!(matches!(op(&changes[0]), StaticOp::AddGateway { beside_own: false, .. }));
}

#[test]
fn a_gateway_moving_with_the_addresses_to_another_interface_leaves_last() {
    // eth0 to the bridge br0: br0 takes the addresses and gateways eth0 loses.
    let live = [
        item("eth0", &[("ipaddr", "10.0.0.5/24"), ("gateway", "10.0.0.1")]),
        item("eth0", &[("ip6addr", "2001:db8::5/64"), ("gateway", "2001:db8::1")]),
    ];
    let want = [
        item("br0", &[("ipaddr", "10.0.0.5/24"), ("gateway", "10.0.0.1")]),
        item("br0", &[("ip6addr", "2001:db8::5/64"), ("gateway", "2001:db8::1")]),
    ];
    let scope = ["eth0".to_string(), "br0".to_string()];
    let changes = plan(&want, &live, &scope).unwrap();
    assert_eq!(
        show(&changes),
        [
            "Address: add address 10.0.0.5/24",
            "Address: add address 2001:db8::5/64",
            "Route: add IPv4 gateway 10.0.0.1",
            "Route: add IPv6 gateway 2001:db8::1",
            "Dynamic: remove IPv4 gateway 10.0.0.1",
            "Dynamic: remove IPv6 gateway 2001:db8::1",
            "Dynamic: remove address 2001:db8::5/64",
            "Dynamic: remove address 10.0.0.5/24",
        ]
    );
    assert!(matches!(op(&changes[2]), StaticOp::AddGateway { beside_own: true, .. }));
    assert!(changes[4..].iter().all(|c| c.interface == "eth0"));
    assert!(matches!(op(&changes[4]), StaticOp::RemoveGateway { after_replacement: true, .. }));
    assert!(matches!(op(&changes[7]), StaticOp::RemoveAddress { after_replacement: true, .. }));
    // Only the IPv4 gateway moves: the IPv6 one, going for good, still goes first.
    let want = [item("br0", &[("ipaddr", "10.0.0.5/24"), ("gateway", "10.0.0.1")])];
    let changes = plan(&want, &live, &scope).unwrap();
    assert!(show(&changes).contains(&"RemoveRoute: remove IPv6 gateway 2001:db8::1".to_string()));
    assert!(show(&changes).contains(&"Dynamic: remove address 10.0.0.5/24".to_string()));
}

#[test]
fn a_broken_item_is_an_error_naming_the_interface() {
    let err = plan(&[item("eth0", &[("ipaddr", "10.0.0.5")])], &[], &eth0()).unwrap_err();
    assert_eq!(err.interface.as_deref(), Some("eth0"));
    assert!(err.message.contains("no prefix length"), "{err}");
}
