//! Plan logic without a kernel: what each difference between document and kernel turns into.

use netplug_plugin_sdk::netlink::{KindOp, LinkOp};
use netplug_plugin_sdk::{Element, Envelope, LinkState};

use super::*;

fn bridge(name: &str, attrs: &[(&str, &str)], ports: &[&str]) -> Item {
    let mut element = Element::new("bridge");
    for (k, v) in attrs {
        element.set_attr(*k, *v);
    }
    for p in ports {
        element.children.push(Element::new("member").with_attr("device", *p));
    }
    let envelope = Envelope { name: name.into(), kind: "bridge".into(), ..Envelope::default() };
    Item { interface: name.into(), kind: "bridge".into(), envelope: Some(envelope), element }
}

fn scope(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

/// `PHASE interface: description` per change.
fn lines(changes: &[Change]) -> Vec<String> {
    changes.iter().map(|c| format!("{:?} {}: {}", c.phase, c.interface, c.description)).collect()
}

fn op(change: &Change) -> KindOp<BridgeOp> {
    change.op().expect("payload parses")
}

#[test]
fn a_new_bridge_is_one_create_already_up_then_its_ports() {
    let mut want = bridge("br0", &[("stp", "yes"), ("forwarddelay", "4.50")], &["eth0", "eth1"]);
    want.envelope.as_mut().unwrap().mtu = Some(9000);
    let changes = plan(&[want], &[], &scope(&["br0"])).unwrap();
    assert_eq!(
        lines(&changes),
        [
            "Create br0: create bridge (stp on, forwarddelay 4.5, mtu 9000, up)",
            "Enslave br0: enslave eth0",
            "Enslave br0: enslave eth1",
        ]
    );
    let KindOp::Kind(BridgeOp::Create { options, mtu, mac, up, .. }) = op(&changes[0]) else { panic!() };
    assert_eq!(options, [("stp".into(), "on".into()), ("forwarddelay".into(), "4.5".into())]);
    assert_eq!((mtu, mac, up), (Some(9000), None, true));
    assert_eq!(op(&changes[1]), KindOp::Link(LinkOp::Enslave { name: "eth0".into(), master: "br0".into() }));
}

#[test]
fn a_matching_bridge_plans_nothing() {
    let live = bridge("br0", &[("stp", "off"), ("hellotime", "2"), ("priority", "32768")], &["eth0"]);
    assert!(plan(std::slice::from_ref(&live), std::slice::from_ref(&live), &scope(&["br0"]))
        .unwrap()
        .is_empty());
    // Other spellings of the same values, and attributes left out, change nothing either.
    let want = bridge("br0", &[("stp", "no"), ("hellotime", "2.00")], &["eth0"]);
    assert!(plan(&[want], &[live], &scope(&["br0"])).unwrap().is_empty());
}

#[test]
fn only_differing_options_are_set() {
    let live = bridge("br0", &[("stp", "off"), ("hellotime", "1"), ("ageing", "10.04")], &[]);
    let want = bridge("br0", &[("stp", "off"), ("hellotime", "2"), ("ageing", "10.05")], &[]);
    let changes = plan(&[want], &[live], &scope(&["br0"])).unwrap();
    assert_eq!(lines(&changes), ["Configure br0: set hellotime 2 (was 1)"]);
    assert_eq!(
        op(&changes[0]),
        KindOp::Kind(BridgeOp::SetOptions {
            name: "br0".into(),
            options: vec![("hellotime".into(), "2".into())]
        })
    );
}

#[test]
fn ports_are_enslaved_and_released_to_match() {
    let live = bridge("br0", &[], &["b", "c"]);
    let want = bridge("br0", &[], &["a", "b"]);
    let changes = plan(&[want], &[live], &scope(&["br0"])).unwrap();
    assert_eq!(lines(&changes), ["Enslave br0: enslave a", "Release br0: release c"]);
    assert_eq!(op(&changes[1]), KindOp::Link(LinkOp::Release { name: "c".into() }));
}

#[test]
fn a_port_moving_between_bridges_is_only_enslaved() {
    let live = [bridge("br0", &[], &["v0", "v1"]), bridge("br1", &[], &[])];
    let want = [bridge("br0", &[], &[]), bridge("br1", &[], &["v0"])];
    let changes = plan(&want, &live, &scope(&["br0", "br1"])).unwrap();
    assert_eq!(lines(&changes), ["Release br0: release v1", "Enslave br1: enslave v0"]);
}

#[test]
fn bridges_without_a_desired_item_or_absent_are_deleted() {
    let live = [bridge("br0", &[], &["v0"]), bridge("br1", &[], &[]), bridge("br2", &[], &[])];
    let mut gone = bridge("br1", &[], &[]);
    gone.envelope.as_mut().unwrap().state = LinkState::Absent;
    let changes = plan(&[gone], &live, &scope(&["br0", "br1"])).unwrap();
    assert_eq!(
        lines(&changes),
        ["Delete br0: delete bridge", "Delete br1: delete bridge"],
        "br2 is out of scope"
    );
}

#[test]
fn envelope_changes_follow_the_options() {
    let mut live = bridge("br0", &[], &[]);
    live.envelope.as_mut().unwrap().mtu = Some(1500);
    let mut want = bridge("br0", &[("priority", "4096")], &[]);
    want.envelope.as_mut().unwrap().mtu = Some(9000);
    want.envelope.as_mut().unwrap().state = LinkState::Down;
    live.envelope.as_mut().unwrap().state = LinkState::Up;
    let changes = plan(&[want], &[live], &scope(&["br0"])).unwrap();
    assert_eq!(
        lines(&changes),
        ["Configure br0: set priority 4096", "Configure br0: set mtu 9000 (was 1500)", "Down br0: set down"]
    );
}

#[test]
fn an_unreadable_value_is_an_error_naming_it() {
    let want = bridge("br0", &[("hellotime", "soon")], &[]);
    let err = plan(&[want], &[], &scope(&["br0"])).unwrap_err();
    assert_eq!(err.to_string(), "br0: invalid hellotime `soon`");
}
