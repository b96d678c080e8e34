//! Plans from items alone: what changes in place, what recreates.

use netplug_plugin_sdk::{Element, Envelope, Item, Phase};

use super::plan;

fn item(name: &str, attrs: &[(&str, &str)]) -> Item {
    let mut element = Element::new("ipvlan");
    for (k, v) in attrs {
        element.set_attr(*k, *v);
    }
    let envelope = Envelope { name: name.into(), kind: "ipvlan".into(), ..Envelope::default() };
    Item { interface: name.into(), kind: "ipvlan".into(), envelope: Some(envelope), element }
}

fn scope() -> Vec<String> {
    vec!["ipv0".to_string()]
}

fn described(changes: &[netplug_plugin_sdk::Change]) -> Vec<(Phase, &str)> {
    changes.iter().map(|c| (c.phase, c.description.as_str())).collect()
}

#[test]
fn a_new_ipvlan_is_created_with_both_settings() {
    let changes = plan(&[item("ipv0", &[("device", "eth0")])], &[], &scope()).unwrap();
    assert_eq!(
        described(&changes),
        [(Phase::Create, "create ipvlan (device eth0, mode l3, flags bridge)"), (Phase::Up, "set up")]
    );
}

#[test]
fn mode_and_flags_change_in_place_and_a_read_item_plans_nothing() {
    let live = item("ipv0", &[("device", "eth0"), ("mode", "l3"), ("flags", "bridge")]);
    assert!(plan(std::slice::from_ref(&live), std::slice::from_ref(&live), &scope()).unwrap().is_empty());
    let want = item("ipv0", &[("device", "eth0"), ("mode", "l3s"), ("flags", "private")]);
    let changes = plan(&[want], &[live], &scope()).unwrap();
    assert_eq!(
        described(&changes),
        [(Phase::Configure, "set mode l3s (was l3), flags private (was bridge)")]
    );
}

#[test]
fn a_new_parent_recreates() {
    let live = item("ipv0", &[("device", "eth0"), ("mode", "l3"), ("flags", "bridge")]);
    let changes = plan(&[item("ipv0", &[("device", "eth1")])], &[live], &scope()).unwrap();
    assert_eq!(
        described(&changes),
        [
            (Phase::Delete, "delete ipvlan to change device eth1 (was eth0)"),
            (Phase::Create, "create ipvlan again (device eth1, mode l3, flags bridge)"),
            (Phase::Up, "set up"),
        ]
    );
}
