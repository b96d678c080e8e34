//! The plugin against the real kernel, called directly (the crate is an rlib too), each test in
//! a network namespace of its own: create, read back, re-plan to nothing, roll back to a
//! snapshot, re-pair, remove, and kernel errors with their extended-ack text.
//!
//! Needs root (to create namespaces); run with `cargo test`.

use netplug_plugin_sdk::netlink::Socket;
use netplug_plugin_sdk::{Element, Envelope, Item, LinkState, Phase, Plugin};
use netplug_plugin_testing::in_new_netns;
use netplug_plugin_veth::VethPlugin;

fn veth(name: &str, peer: &str, state: LinkState, mtu: Option<u32>) -> Item {
    let envelope = Envelope { name: name.into(), kind: "veth".into(), state, mtu, ..Envelope::default() };
    Item {
        interface: name.into(),
        kind: "veth".into(),
        envelope: Some(envelope),
        element: Element::new("veth").with_attr("peer", peer),
    }
}

fn scope(items: &[Item]) -> Vec<String> {
    items.iter().map(|i| i.interface.clone()).collect()
}

/// Plan against what `read` reports for the desired items' names, apply, and return what was
/// planned.
fn converge(p: &VethPlugin, desired: &[Item], scope: &[String]) -> Vec<String> {
    let live = p.read(Some(scope)).unwrap();
    let changes = p.plan(desired, &live, scope).unwrap();
    p.apply(&changes).unwrap();
    changes.into_iter().map(|c| c.description).collect()
}

#[test]
fn a_pair_is_created_read_back_and_then_left_alone() {
    in_new_netns(|| {
        let p = VethPlugin::default();
        let want = [veth("v0", "v0p", LinkState::Up, Some(9000))];
        let s = scope(&want);
        assert_eq!(converge(&p, &want, &s), ["create veth v0 with peer v0p (mtu 9000, up)"]);

        // Read back independently of the plugin, straight from the kernel.
        let mut sock = Socket::route().unwrap();
        let v0 = sock.link_by_name("v0").unwrap().expect("v0 exists");
        let v0p = sock.link_by_name("v0p").unwrap().expect("its peer exists");
        assert_eq!((v0.kind.as_deref(), v0.mtu, v0.is_up()), (Some("veth"), Some(9000), true));
        assert_eq!((v0.parent, v0p.parent), (Some(v0p.index), Some(v0.index)));
        assert!(!v0p.is_up(), "an undeclared peer is left down, as the kernel makes it");

        // And through the plugin, shaped like the desired item.
        let live = p.read(Some(&s)).unwrap();
        assert_eq!(live.len(), 1);
        assert_eq!(live[0].element.value("peer"), Some("v0p"));
        assert_eq!(live[0].envelope.as_ref().unwrap().mtu, Some(9000));

        assert!(p.plan(&want, &live, &s).unwrap().is_empty(), "a second run changes nothing");
    });
}

#[test]
fn both_ends_declared_are_made_by_one_request_and_the_peer_brought_up() {
    in_new_netns(|| {
        let p = VethPlugin::default();
        let want = [veth("a", "b", LinkState::Up, None), veth("b", "a", LinkState::Up, Some(1400))];
        let s = scope(&want);
        assert_eq!(converge(&p, &want, &s), ["create veth a with peer b (up)", "set up"]);
        let live = p.read(Some(&s)).unwrap();
        assert_eq!(live.len(), 2);
        assert!(p.plan(&want, &live, &s).unwrap().is_empty());
        let b = live.iter().find(|i| i.interface == "b").unwrap().envelope.clone().unwrap();
        assert_eq!((b.mtu, b.state), (Some(1400), LinkState::Up));
    });
}

#[test]
fn rolling_back_to_a_snapshot_restores_it() {
    in_new_netns(|| {
        let p = VethPlugin::default();
        let s = vec!["v0".to_string()];
        converge(&p, &[veth("v0", "v0p", LinkState::Down, Some(1500))], &s);
        let snapshot = p.read(Some(&s)).unwrap();

        // Change everything that can change: MTU, admin state, even the peer.
        converge(&p, &[veth("v0", "other", LinkState::Up, Some(9000))], &s);
        assert_eq!(p.read(Some(&s)).unwrap()[0].element.value("peer"), Some("other"));

        // Plan with the snapshot as the desired state, as core does on a failure.
        converge(&p, &snapshot, &s);
        let restored = p.read(Some(&s)).unwrap();
        let strip = |items: &[Item]| -> Vec<(Option<String>, Option<u32>, LinkState)> {
            items
                .iter()
                .map(|i| {
                    let e = i.envelope.as_ref().unwrap();
                    (i.element.value("peer").map(str::to_string), e.mtu, e.state)
                })
                .collect()
        };
        assert_eq!(strip(&restored), strip(&snapshot));
        assert!(p.plan(&snapshot, &restored, &s).unwrap().is_empty());

        // And from a snapshot taken before the pair existed: it is removed.
        converge(&p, &[], &s);
        assert!(p.read(None).unwrap().is_empty(), "both ends are gone");
    });
}

#[test]
fn absent_removes_the_pair() {
    in_new_netns(|| {
        let p = VethPlugin::default();
        let s = vec!["v0".to_string()];
        converge(&p, &[veth("v0", "v0p", LinkState::Up, None)], &s);
        let mut gone = veth("v0", "v0p", LinkState::Absent, None);
        gone.element = Element::new("veth");
        assert_eq!(converge(&p, &[gone.clone()], &s), ["delete veth v0 and its peer v0p"]);
        assert!(p.read(None).unwrap().is_empty());
        assert!(converge(&p, &[gone], &s).is_empty(), "removing what is not there is nothing to do");
    });
}

#[test]
fn kernel_errors_name_the_change_and_carry_the_ext_ack() {
    in_new_netns(|| {
        let p = VethPlugin::default();
        let want =
            [veth("v0", "v0p", LinkState::Up, None), veth("v1", "v1p", LinkState::Up, Some(1_000_000))];
        let s = scope(&want);
        let changes = p.plan(&want, &[], &s).unwrap();
        assert!(changes.iter().all(|c| c.phase == Phase::Create));
        let err = p.apply(&changes).unwrap_err();
        println!("{err}");
        assert_eq!(err.index, 1, "the second change failed");
        assert_eq!(err.error.interface.as_deref(), Some("v1"));
        assert_eq!(err.error.errno, Some(22), "EINVAL");
        assert!(p.read(Some(&s)).unwrap().iter().any(|i| i.interface == "v0"), "the change before it ran");

        // Changing an existing link's MTU beyond its maximum: the kernel explains (ext-ack).
        let too_big = [veth("v0", "v0p", LinkState::Up, Some(1_000_000))];
        let live = p.read(Some(&s[..1])).unwrap();
        let changes = p.plan(&too_big, &live, &s[..1]).unwrap();
        let err = p.apply(&changes).unwrap_err();
        println!("{err}");
        assert_eq!((err.index, err.error.errno), (0, Some(22)));
        let ext_ack = err.error.ext_ack.as_deref().unwrap_or_default();
        assert!(ext_ack.contains("mtu"), "the kernel's own words: {err}");
        assert!(err.to_string().starts_with("change 0: v0: set mtu 1000000: Invalid argument ("), "{err}");
    });
}

#[test]
fn a_thousand_pairs_go_out_in_one_apply() {
    in_new_netns(|| {
        let p = VethPlugin::default();
        let want: Vec<Item> = (0..1000)
            .map(|i| veth(&format!("va{i}"), &format!("vb{i}"), LinkState::Up, Some(1400)))
            .collect();
        let s = scope(&want);
        let changes = p.plan(&want, &[], &s).unwrap();
        assert_eq!(changes.len(), 1000, "one change per pair");
        p.apply(&changes).unwrap();
        let live = p.read(Some(&s)).unwrap();
        assert_eq!(live.len(), 1000);
        assert!(p.plan(&want, &live, &s).unwrap().is_empty());
        // Removing them all is one delete per pair, too. Not applied: each RTM_DELLINK waits
        // for an RCU grace period (about 17 ms here), while the namespace's end removes them
        // all at once.
        let removal = p.plan(&[], &live, &s).unwrap();
        assert_eq!(removal.len(), 1000);
        assert!(removal.iter().all(|c| c.phase == Phase::Delete));
    });
}
