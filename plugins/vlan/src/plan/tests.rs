//! Plan logic without a kernel: creation, flags in place, recreation for a new identity.

use netplug_plugin_sdk::netlink::KindOp;
use netplug_plugin_sdk::{Element, Envelope};

use super::*;

fn vlan(name: &str, attrs: &[(&str, &str)]) -> Item {
    let mut element = Element::new("vlan");
    for (k, v) in attrs {
        element.set_attr(*k, *v);
    }
    let envelope = Envelope { name: name.into(), kind: "vlan".into(), ..Envelope::default() };
    Item { interface: name.into(), kind: "vlan".into(), envelope: Some(envelope), element }
}

/// What read-back reports for `eth0.10`.
const LIVE: &[(&str, &str)] = &[
    ("device", "eth0"),
    ("tag", "10"),
    ("protocol", "802.1Q"),
    ("reorder_hdr", "yes"),
    ("gvrp", "no"),
    ("mvrp", "no"),
    ("loose_binding", "no"),
    ("bridge_binding", "no"),
];

fn scope() -> Vec<String> {
    vec!["eth0.10".to_string()]
}

fn lines(changes: &[Change]) -> Vec<String> {
    changes.iter().map(|c| format!("{:?} {}", c.phase, c.description)).collect()
}

#[test]
fn a_new_vlan_is_one_create_then_up() {
    let mut want = vlan("eth0.10", &[("device", "eth0"), ("tag", "10"), ("loose_binding", "yes")]);
    want.envelope.as_mut().unwrap().mtu = Some(1496);
    let changes = plan(&[want], &[], &scope()).unwrap();
    assert_eq!(
        lines(&changes),
        ["Create create vlan (device eth0, tag 10, loose_binding yes, mtu 1496)", "Up set up"]
    );
    let op: KindOp<VlanOp> = changes[0].op().unwrap();
    let KindOp::Kind(VlanOp::Create { parent, tag, protocol, flags, .. }) = op else { panic!() };
    assert_eq!((parent.as_str(), tag, protocol), ("eth0", 10, None));
    assert_eq!(flags, [("loose_binding".to_string(), true)]);
}

#[test]
fn a_read_item_or_the_document_it_came_from_plans_nothing() {
    let live = vlan("eth0.10", LIVE);
    assert!(plan(std::slice::from_ref(&live), std::slice::from_ref(&live), &scope()).unwrap().is_empty());
    let want = vlan("eth0.10", &[("device", "eth0"), ("tag", "10"), ("protocol", "802.1q"), ("gvrp", "off")]);
    assert!(plan(&[want], &[live], &scope()).unwrap().is_empty());
}

#[test]
fn flags_change_in_place() {
    let want = vlan("eth0.10", &[("device", "eth0"), ("tag", "10"), ("reorder_hdr", "no"), ("mvrp", "yes")]);
    let changes = plan(&[want], &[vlan("eth0.10", LIVE)], &scope()).unwrap();
    assert_eq!(lines(&changes), ["Configure set reorder_hdr no (was yes), mvrp yes (was no)"]);
    let op: KindOp<VlanOp> = changes[0].op().unwrap();
    assert_eq!(
        op,
        KindOp::Kind(VlanOp::SetFlags {
            name: "eth0.10".into(),
            flags: vec![("reorder_hdr".into(), false), ("mvrp".into(), true)]
        })
    );
}

#[test]
fn a_new_tag_protocol_or_parent_recreates_the_vlan_and_its_port_membership() {
    let mut want = vlan("eth0.10", &[("device", "eth0"), ("tag", "20"), ("protocol", "802.1ad")]);
    want.envelope.as_mut().unwrap().master = Some("br0".into());
    let mut live = vlan("eth0.10", LIVE);
    live.envelope.as_mut().unwrap().master = Some("br0".into());
    let changes = plan(&[want], &[live], &scope()).unwrap();
    assert_eq!(
        lines(&changes),
        [
            "Delete delete vlan to change tag 20 (was 10), protocol 802.1ad (was 802.1Q)",
            "Create create vlan again (device eth0, tag 20, protocol 802.1ad)",
            "Up set up",
            "Enslave enslave to br0 again",
        ]
    );
    let want = vlan("eth0.10", &[("device", "eth1"), ("tag", "10")]);
    let changes = plan(&[want], &[vlan("eth0.10", LIVE)], &scope()).unwrap();
    assert_eq!(changes[0].description, "delete vlan to change device eth1 (was eth0)");
}

#[test]
fn vlans_out_of_the_document_are_deleted_and_bad_input_is_an_error() {
    let changes = plan(&[], &[vlan("eth0.10", LIVE)], &scope()).unwrap();
    assert_eq!(lines(&changes), ["Delete delete vlan"]);
    let err = plan(&[vlan("eth0.10", &[("device", "eth0")])], &[], &scope()).unwrap_err();
    assert_eq!(err.to_string(), "eth0.10: a VLAN needs a device and a tag to be created");
    let err = plan(&[vlan("eth0.10", &[("device", "eth0"), ("tag", "x")])], &[], &scope()).unwrap_err();
    assert_eq!(err.to_string(), "eth0.10: invalid tag `x`");
}
