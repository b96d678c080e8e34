use netplug_plugin_sdk::Element;

use super::*;

fn item(name: &str, peer: Option<&str>, state: LinkState, mtu: Option<u32>) -> Item {
    let mut element = Element::new("veth");
    if let Some(p) = peer {
        element.set_attr("peer", p);
    }
    let envelope = Envelope { name: name.into(), kind: "veth".into(), state, mtu, ..Envelope::default() };
    Item { interface: name.into(), kind: "veth".into(), envelope: Some(envelope), element }
}

fn elsewhere(mut item: Item, netns: &str) -> Item {
    item.element.set_attr("peer-netns", netns);
    item
}

fn scope(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

fn described(changes: &[Change]) -> Vec<(Phase, &str)> {
    changes.iter().map(|c| (c.phase, c.description.as_str())).collect()
}

fn create_op(change: &Change) -> VethOp {
    let Ok(KindOp::Kind(op)) = change.op::<KindOp<VethOp>>() else { panic!("{change:?}") };
    op
}

#[test]
fn a_missing_pair_is_one_create_with_its_envelope() {
    let want = [item("v0", Some("v0p"), LinkState::Up, Some(9000))];
    let got = plan(&want, &[], &scope(&["v0"])).unwrap();
    assert_eq!(described(&got), [(Phase::Create, "create veth v0 with peer v0p (mtu 9000, up)")]);
    let VethOp::CreateVeth { up, this, other, peer_netns, .. } = create_op(&got[0]);
    assert_eq!((up, this, peer_netns), (true, End { mtu: Some(9000), mac: None }, None));
    assert_eq!(other, End::default(), "an undeclared peer is left as the kernel makes it");
}

#[test]
fn a_pair_declared_twice_is_created_once_with_both_envelopes() {
    let want = [item("a", Some("b"), LinkState::Up, None), item("b", Some("a"), LinkState::Up, Some(1400))];
    let got = plan(&want, &[], &scope(&["a", "b"])).unwrap();
    assert_eq!(described(&got), [(Phase::Create, "create veth a with peer b (up)"), (Phase::Up, "set up")]);
    assert_eq!(got[1].interface, "b");
    let VethOp::CreateVeth { other, .. } = create_op(&got[0]);
    assert_eq!(other, End { mtu: Some(1400), mac: None });
}

#[test]
fn a_peer_in_another_namespace_travels_with_the_create() {
    let want = [elsewhere(item("ct0", Some("eth0"), LinkState::Up, None), "ctr1")];
    let got = plan(&want, &[], &scope(&["ct0"])).unwrap();
    assert_eq!(described(&got), [(Phase::Create, "create veth ct0 with peer eth0 in namespace ctr1 (up)")]);
    let VethOp::CreateVeth { peer_netns, .. } = create_op(&got[0]);
    assert_eq!(peer_netns.as_deref(), Some("ctr1"));
    // Read back the same, it needs nothing.
    assert!(plan(&want, &want, &scope(&["ct0"])).unwrap().is_empty());
}

#[test]
fn a_matching_pair_needs_nothing_and_absent_attributes_are_left_alone() {
    let live = [item("v0", Some("v0p"), LinkState::Up, Some(1500))];
    let want = [item("v0", Some("v0p"), LinkState::Up, None)];
    assert!(plan(&want, &live, &scope(&["v0"])).unwrap().is_empty());
}

#[test]
fn envelope_differences_are_envelope_changes() {
    let live = [item("v0", Some("v0p"), LinkState::Down, Some(1500))];
    let want = [item("v0", Some("v0p"), LinkState::Up, Some(9000))];
    let got = plan(&want, &live, &scope(&["v0"])).unwrap();
    assert_eq!(described(&got), [(Phase::Configure, "set mtu 9000 (was 1500)"), (Phase::Up, "set up")]);
}

#[test]
fn another_peer_or_namespace_means_delete_and_create_again() {
    let live = [item("v0", Some("old"), LinkState::Up, None), item("old", Some("v0"), LinkState::Down, None)];
    let want = [item("v0", Some("new"), LinkState::Up, None)];
    let got = plan(&want, &live, &scope(&["v0"])).unwrap();
    assert_eq!(
        described(&got),
        [
            (Phase::Delete, "delete veth v0 and its peer old to pair it with new (was old)"),
            (Phase::Create, "create veth v0 again with peer new (up)"),
        ]
    );

    let moved = [elsewhere(item("v0", Some("old"), LinkState::Up, None), "ctr1")];
    let got = plan(&moved, &live, &scope(&["v0"])).unwrap();
    assert_eq!(
        described(&got),
        [
            (
                Phase::Delete,
                "delete veth v0 and its peer old to pair it with old in namespace ctr1 (was old)"
            ),
            (Phase::Create, "create veth v0 again with peer old in namespace ctr1 (up)"),
        ]
    );
}

#[test]
fn a_pair_made_again_goes_back_into_its_bridge() {
    let live = [item("v0", Some("old"), LinkState::Up, None)];
    let mut want = item("v0", Some("new"), LinkState::Up, None);
    want.envelope.as_mut().unwrap().master = Some("br0".into());
    let got = plan(&[want], &live, &scope(&["v0"])).unwrap();
    assert_eq!(
        got.iter().map(|c| c.phase).collect::<Vec<_>>(),
        [Phase::Delete, Phase::Create, Phase::Enslave]
    );
    assert_eq!(got[2].description, "enslave to br0 again");
}

#[test]
fn removal_deletes_each_pair_once() {
    let live = [item("a", Some("b"), LinkState::Up, None), item("b", Some("a"), LinkState::Up, None)];
    // Absent in the document, or in scope with no desired item (a rollback to "none").
    let absent = [item("a", None, LinkState::Absent, None), item("b", None, LinkState::Absent, None)];
    for want in [&absent[..], &[]] {
        let got = plan(want, &live, &scope(&["a", "b"])).unwrap();
        assert_eq!(described(&got), [(Phase::Delete, "delete veth a and its peer b")]);
    }
    assert!(plan(&absent, &[], &scope(&["a", "b"])).unwrap().is_empty());
    // A peer elsewhere with our peer's name is another link: both are deleted.
    let far = [
        elsewhere(item("a", Some("b"), LinkState::Up, None), "ctr1"),
        item("b", Some("c"), LinkState::Up, None),
    ];
    let got = plan(&[], &far, &scope(&["a", "b"])).unwrap();
    assert_eq!(
        described(&got),
        [
            (Phase::Delete, "delete veth a and its peer b in namespace ctr1"),
            (Phase::Delete, "delete veth b and its peer c")
        ]
    );
}

#[test]
fn interfaces_out_of_scope_are_not_touched() {
    let live = [item("x", Some("y"), LinkState::Up, None)];
    assert!(plan(&[], &live, &scope(&["v0"])).unwrap().is_empty());
}

#[test]
fn a_snapshot_without_a_peer_leaves_the_pairing_alone() {
    let live = [elsewhere(item("v0", Some("v0p"), LinkState::Up, Some(1500)), "ctr1")];
    let snapshot = [item("v0", None, LinkState::Up, Some(1400))];
    let got = plan(&snapshot, &live, &scope(&["v0"])).unwrap();
    assert_eq!(described(&got), [(Phase::Configure, "set mtu 1400 (was 1500)")]);
    // A document's peer against a live pair whose peer's namespace has no name: made again.
    let unnamed = [item("v0", None, LinkState::Up, None)];
    let want = [elsewhere(item("v0", Some("v0p"), LinkState::Up, None), "ctr1")];
    let got = plan(&want, &unnamed, &scope(&["v0"])).unwrap();
    assert_eq!(
        got[0].description,
        "delete veth v0 and its peer to pair it with v0p in namespace ctr1 (was a peer in a namespace without a name)"
    );
}

#[test]
fn macs_compare_in_the_kernels_spelling() {
    let mut live = item("v0", Some("v0p"), LinkState::Up, None);
    live.envelope.as_mut().unwrap().mac = Some("02:aa:bb:cc:dd:ee".into());
    let mut want = live.clone();
    want.envelope.as_mut().unwrap().mac = Some("02:AA:BB:CC:DD:EE".into());
    assert!(plan(&[want], &[live], &scope(&["v0"])).unwrap().is_empty());
}
