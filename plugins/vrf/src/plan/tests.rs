//! Plans from items alone: membership, and a new table recreating the VRF with its ports.

use netplug_plugin_sdk::{Element, Envelope, Item, Phase};

use super::plan;

fn vrf(name: &str, table: &str, members: &[&str]) -> Item {
    let mut element = Element::new("vrf").with_attr("table", table);
    for m in members {
        element.children.push(Element::new("member").with_attr("device", *m));
    }
    let envelope = Envelope { name: name.into(), kind: "vrf".into(), ..Envelope::default() };
    Item { interface: name.into(), kind: "vrf".into(), envelope: Some(envelope), element }
}

fn scope() -> Vec<String> {
    vec!["blue".to_string()]
}

fn described(changes: &[netplug_plugin_sdk::Change]) -> Vec<(Phase, &str)> {
    changes.iter().map(|c| (c.phase, c.description.as_str())).collect()
}

#[test]
fn a_new_vrf_is_created_set_up_and_given_its_members() {
    let changes = plan(&[vrf("blue", "10", &["eth0", "eth1"])], &[], &scope()).unwrap();
    assert_eq!(
        described(&changes),
        [
            (Phase::Create, "create vrf (table 10)"),
            (Phase::Up, "set up"),
            (Phase::Enslave, "enslave eth0"),
            (Phase::Enslave, "enslave eth1"),
        ]
    );
}

#[test]
fn members_are_enslaved_and_released_and_a_read_item_plans_nothing() {
    let live = vrf("blue", "10", &["eth0", "eth1"]);
    assert!(plan(std::slice::from_ref(&live), std::slice::from_ref(&live), &scope()).unwrap().is_empty());
    let changes = plan(&[vrf("blue", "10", &["eth1", "eth2"])], &[live], &scope()).unwrap();
    assert_eq!(described(&changes), [(Phase::Enslave, "enslave eth2"), (Phase::Release, "release eth0")]);
}

#[test]
fn a_new_table_recreates_the_vrf_with_every_member() {
    let changes = plan(&[vrf("blue", "11", &["eth0"])], &[vrf("blue", "10", &["eth0"])], &scope()).unwrap();
    assert_eq!(
        described(&changes),
        [
            (Phase::Delete, "delete vrf to change table 11 (was 10)"),
            (Phase::Create, "create vrf again (table 11)"),
            (Phase::Up, "set up"),
            (Phase::Enslave, "enslave eth0"),
        ]
    );
}
