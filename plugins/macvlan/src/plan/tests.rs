//! Plans from items alone: what changes in place, what recreates, what is left alone.

use netplug_plugin_sdk::{Element, Envelope, Item, LinkState, Phase};

use super::plan;
use crate::options::Settings;

fn item(kind: &str, name: &str, attrs: &[(&str, &str)]) -> Item {
    let mut element = Element::new(kind);
    for (k, v) in attrs {
        element.set_attr(*k, *v);
    }
    let envelope = Envelope { name: name.into(), kind: kind.into(), ..Envelope::default() };
    Item { interface: name.into(), kind: kind.into(), envelope: Some(envelope), element }
}

/// A live item as read writes it: every setting.
fn live(kind: &str, name: &str, attrs: &[(&str, &str)]) -> Item {
    let mut i = item(kind, name, attrs);
    let settings = Settings::of(&i.element).unwrap();
    i.element.attributes.retain(|a| a.name == "device");
    settings.write(&mut i.element);
    i.envelope.as_mut().unwrap().ifindex = Some(7);
    i
}

fn scope(n: &[&str]) -> Vec<String> {
    n.iter().map(|s| s.to_string()).collect()
}

fn described(changes: &[netplug_plugin_sdk::Change]) -> Vec<(Phase, &str)> {
    changes.iter().map(|c| (c.phase, c.description.as_str())).collect()
}

#[test]
fn a_new_macvlan_is_created_with_every_setting_and_set_up() {
    let want = item("macvlan", "mv0", &[("device", "eth0"), ("mode", "bridge")]);
    let changes = plan(&[want], &[], &scope(&["mv0"])).unwrap();
    assert_eq!(
        described(&changes),
        [(Phase::Create, "create macvlan (device eth0, mode bridge)"), (Phase::Up, "set up")]
    );
}

#[test]
fn a_read_item_plans_nothing() {
    let l = live("macvtap", "t0", &[("device", "eth0"), ("mode", "source")]);
    let mut l2 = l.clone();
    l2.envelope.as_mut().unwrap().state = LinkState::Up;
    assert!(plan(&[l2.clone()], &[l2], &scope(&["t0"])).unwrap().is_empty());
}

#[test]
fn settings_change_in_place_in_one_message() {
    let l = live("macvlan", "mv0", &[("device", "eth0")]);
    let want = item(
        "macvlan",
        "mv0",
        &[("device", "eth0"), ("mode", "source"), ("nodst", "yes"), ("bcqueuelen", "10")],
    );
    let changes = plan(&[want], &[l], &scope(&["mv0"])).unwrap();
    assert_eq!(
        described(&changes),
        [(Phase::Configure, "set mode source (was vepa), nodst yes (was no), bcqueuelen 10 (was 1000)")]
    );
}

#[test]
fn a_new_parent_kind_or_passthru_recreates() {
    let l = live("macvlan", "mv0", &[("device", "eth0")]);
    for (want, why) in [
        (item("macvlan", "mv0", &[("device", "eth1")]), "delete macvlan to change device eth1 (was eth0)"),
        (
            item("macvtap", "mv0", &[("device", "eth0")]),
            "delete macvlan to change kind macvtap (was macvlan)",
        ),
        (
            item("macvlan", "mv0", &[("device", "eth0"), ("mode", "passthru")]),
            "delete macvlan to change mode passthru (was vepa)",
        ),
    ] {
        let changes = plan(std::slice::from_ref(&want), std::slice::from_ref(&l), &scope(&["mv0"])).unwrap();
        assert_eq!(changes[0].description, why);
        assert_eq!(changes[0].phase, Phase::Delete);
        assert_eq!(changes[1].phase, Phase::Create);
        assert!(changes[1].description.starts_with(&format!("create {} again", want.kind)));
    }
}

#[test]
fn undesired_and_absent_ones_are_deleted() {
    let l = live("macvtap", "t0", &[("device", "eth0")]);
    let mut absent = item("macvtap", "t0", &[]);
    absent.envelope.as_mut().unwrap().state = LinkState::Absent;
    for desired in [vec![], vec![absent]] {
        let changes = plan(&desired, std::slice::from_ref(&l), &scope(&["t0"])).unwrap();
        assert_eq!(described(&changes), [(Phase::Delete, "delete macvtap")]);
    }
}
