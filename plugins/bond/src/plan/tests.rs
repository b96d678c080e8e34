//! Plan logic without a kernel: creation, option changes and the sequences around options the
//! kernel takes only with the bond down or without slaves.

use netplug_plugin_sdk::netlink::KindOp;
use netplug_plugin_sdk::{Element, Envelope};

use super::*;

/// A bond item; slaves are `name` or `name*` for the primary, `name-` for `primary="no"`.
fn bond(name: &str, attrs: &[(&str, &str)], slaves: &[&str], state: LinkState) -> Item {
    let mut element = Element::new("bond");
    for (k, v) in attrs {
        element.set_attr(*k, *v);
    }
    for s in slaves {
        let mut slave = Element::new("slave").with_attr("device", s.trim_end_matches(['*', '-']));
        if s.ends_with('*') {
            slave.set_attr("primary", "yes");
        } else if s.ends_with('-') {
            slave.set_attr("primary", "no");
        }
        element.children.push(slave);
    }
    let envelope = Envelope { name: name.into(), kind: "bond".into(), state, ..Envelope::default() };
    Item { interface: name.into(), kind: "bond".into(), envelope: Some(envelope), element }
}

/// What read-back reports for an idle active-backup bond with MII monitoring.
const LIVE_AB: &[(&str, &str)] = &[
    ("mode", "active-backup"),
    ("miimon", "100"),
    ("updelay", "200"),
    ("downdelay", "0"),
    ("use_carrier", "yes"),
    ("arp_interval", "0"),
    ("arp_ip_target", ""),
    ("arp_validate", "none"),
    ("fail_over_mac", "none"),
    ("xmit_hash_policy", "layer2"),
    ("num_grat_arp", "1"),
];

fn scope(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

fn lines(changes: &[Change]) -> Vec<String> {
    changes.iter().map(|c| format!("{:?} {}", c.phase, c.description)).collect()
}

fn op(change: &Change) -> KindOp<BondOp> {
    change.op().expect("payload parses")
}

const UP: LinkState = LinkState::Up;

#[test]
fn a_new_bond_is_created_then_primary_then_up_then_slaves() {
    let want = bond("bond0", &[("mode", "1"), ("miimon", "100")], &["eth0", "eth1*"], UP);
    let changes = plan(&[want], &[], &scope(&["bond0"])).unwrap();
    assert_eq!(
        lines(&changes),
        [
            "Create create bond (mode active-backup, miimon 100)",
            "Configure set primary eth1",
            "Up set up",
            "Enslave enslave eth0",
            "Enslave enslave eth1",
        ]
    );
    assert_eq!(op(&changes[3]), KindOp::Kind(BondOp::AddSlave { name: "eth0".into(), bond: "bond0".into() }));
}

#[test]
fn delays_without_mii_monitoring_are_not_sent() {
    let want = bond("bond0", &[("mode", "balance-rr"), ("updelay", "0")], &[], LinkState::Down);
    let changes = plan(&[want], &[], &scope(&["bond0"])).unwrap();
    assert_eq!(lines(&changes), ["Create create bond (mode balance-rr)"]);
    // 802.3ad turns MII monitoring on by itself, so there the delay goes.
    let want = bond("bond0", &[("mode", "802.3ad"), ("updelay", "0")], &[], LinkState::Down);
    let changes = plan(&[want], &[], &scope(&["bond0"])).unwrap();
    assert_eq!(lines(&changes), ["Create create bond (mode 802.3ad, updelay 0)"]);
}

#[test]
fn a_read_item_or_other_spellings_plan_nothing() {
    let live = bond("bond0", LIVE_AB, &["eth0*", "eth1-"], UP);
    let s = scope(&["bond0"]);
    assert!(plan(std::slice::from_ref(&live), std::slice::from_ref(&live), &s).unwrap().is_empty());
    let want = bond(
        "bond0",
        &[("mode", "1"), ("updelay", "250"), ("num_unsol_na", "1"), ("use_carrier", "on")],
        &["eth1", "eth0*"],
        UP,
    );
    assert!(plan(&[want], &[live], &s).unwrap().is_empty(), "250 ms is stored as 2 MII intervals");
}

#[test]
fn a_mode_change_empties_and_downs_the_bond_around_it() {
    let live = bond("bond0", LIVE_AB, &["eth0*", "eth1-"], UP);
    let want = bond(
        "bond0",
        &[("mode", "802.3ad"), ("miimon", "100"), ("lacp_rate", "fast")],
        &["eth0", "eth1"],
        UP,
    );
    let changes = plan(&[want], &[live], &scope(&["bond0"])).unwrap();
    assert_eq!(
        lines(&changes),
        [
            "Down set down to change mode, lacp_rate",
            "Release release eth0 to change mode, lacp_rate",
            "Release release eth1 to change mode, lacp_rate",
            "Configure set mode 802.3ad (was active-backup), lacp_rate fast",
            "Up set up",
            "Enslave enslave eth0 again",
            "Enslave enslave eth1 again",
        ]
    );
    // Every desired option goes with the mode: the mode change resets some of them.
    let KindOp::Kind(BondOp::SetOptions { options, .. }) = op(&changes[3]) else { panic!() };
    let names: Vec<&str> = options.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["mode", "miimon", "lacp_rate"]);
}

#[test]
fn a_down_only_option_downs_a_bond_that_is_up_and_keeps_its_slaves() {
    let mut live_attrs = LIVE_AB.to_vec();
    live_attrs[0] = ("mode", "802.3ad");
    live_attrs.push(("lacp_rate", "slow"));
    let live = bond("bond0", &live_attrs, &["eth0"], UP);
    let want = bond("bond0", &[("lacp_rate", "fast")], &["eth0"], UP);
    let changes = plan(&[want], std::slice::from_ref(&live), &scope(&["bond0"])).unwrap();
    assert_eq!(
        lines(&changes),
        ["Down set down to change lacp_rate", "Configure set lacp_rate fast (was slow)", "Up set up"]
    );
    // Already down and meant to stay down: just the option.
    let mut down = live;
    down.envelope.as_mut().unwrap().state = LinkState::Down;
    let want = bond("bond0", &[("lacp_rate", "fast")], &["eth0"], LinkState::Down);
    assert_eq!(
        lines(&plan(&[want], &[down], &scope(&["bond0"])).unwrap()),
        ["Configure set lacp_rate fast (was slow)"]
    );
}

#[test]
fn fail_over_mac_empties_the_bond_but_leaves_it_up() {
    let live = bond("bond0", LIVE_AB, &["eth0"], UP);
    let want = bond("bond0", &[("fail_over_mac", "active")], &["eth0"], UP);
    let changes = plan(&[want], &[live], &scope(&["bond0"])).unwrap();
    assert_eq!(
        lines(&changes),
        [
            "Release release eth0 to change fail_over_mac",
            "Configure set fail_over_mac active (was none)",
            "Enslave enslave eth0 again",
        ]
    );
}

#[test]
fn a_new_mii_interval_sends_the_delays_again() {
    let live = bond("bond0", LIVE_AB, &[], UP);
    let want = bond("bond0", &[("miimon", "50"), ("updelay", "200")], &[], UP);
    let changes = plan(&[want], &[live], &scope(&["bond0"])).unwrap();
    assert_eq!(lines(&changes), ["Configure set miimon 50 (was 100)"]);
    let KindOp::Kind(BondOp::SetOptions { options, .. }) = op(&changes[0]) else { panic!() };
    assert_eq!(options, [("miimon".into(), "50".into()), ("updelay".into(), "200".into())]);
}

#[test]
fn the_primary_is_set_changed_or_cleared_only_when_said() {
    let live = bond("bond0", LIVE_AB, &["eth0*", "eth1-"], UP);
    let s = scope(&["bond0"]);
    let to_eth1 = bond("bond0", &[], &["eth0", "eth1*"], UP);
    let changes = plan(&[to_eth1], std::slice::from_ref(&live), &s).unwrap();
    assert_eq!(lines(&changes), ["Configure set primary eth1"]);
    let KindOp::Kind(BondOp::SetOptions { primary, .. }) = op(&changes[0]) else { panic!() };
    assert_eq!(primary.as_deref(), Some("eth1"));

    let none = bond("bond0", &[], &["eth0-", "eth1-"], UP);
    let changes = plan(&[none], std::slice::from_ref(&live), &s).unwrap();
    assert_eq!(lines(&changes), ["Configure set primary none"]);

    let unsaid = bond("bond0", &[], &["eth0", "eth1"], UP);
    assert!(plan(&[unsaid], &[live], &s).unwrap().is_empty());
}

#[test]
fn slaves_are_added_and_removed_and_moves_need_no_release() {
    let live = [bond("bond0", LIVE_AB, &["a-", "b-"], UP), bond("bond1", LIVE_AB, &[], UP)];
    let want = [bond("bond0", &[], &["b", "c"], UP), bond("bond1", &[], &["a"], UP)];
    let changes = plan(&want, &live, &scope(&["bond0", "bond1"])).unwrap();
    assert_eq!(lines(&changes), ["Enslave enslave c", "Enslave enslave a"]);
    let want = [bond("bond0", &[], &["b"], UP), bond("bond1", &[], &[], UP)];
    let changes = plan(&want, &live, &scope(&["bond0", "bond1"])).unwrap();
    assert_eq!(lines(&changes), ["Release release a"]);
    assert_eq!(op(&changes[0]), KindOp::Kind(BondOp::RemoveSlave { name: "a".into() }));
}

#[test]
fn bonds_out_of_the_document_are_deleted() {
    let live = [bond("bond0", LIVE_AB, &["eth0"], UP)];
    let changes = plan(&[], &live, &scope(&["bond0"])).unwrap();
    assert_eq!(lines(&changes), ["Delete delete bond"]);
    assert!(plan(&[], &live, &[]).unwrap().is_empty());
}
