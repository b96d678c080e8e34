//! The VLAN plugin against a real kernel, each test in a network namespace of its own.
//!
//! Kernels without 802.1Q support (the development hosts) cannot run these, so every test is
//! `#[ignore]`d: the host reports them as ignored, and `cargo xtask vm-test` runs them (with
//! `--include-ignored`) in a Debian kernel that has it.
//! Parents are veth pairs, which any kernel has.

use netplug_plugin_sdk::netlink::{LinkMessage, Socket};
use netplug_plugin_sdk::{Change, Item, LinkState, Phase, Plugin};
use netplug_plugin_testing::{in_new_netns, link_item, names};
use netplug_plugin_vlan::VlanPlugin;

/// veth pairs `name` ↔ `name`p, both ends up (a VLAN cannot be up on a parent that is down:
/// ENETDOWN, `vlan_dev_open`), standing in for NICs.
fn veths(list: &[&str]) {
    let mut s = Socket::route().unwrap();
    for name in list {
        let peer = format!("{name}p");
        s.request(LinkMessage::create(name, "veth").veth_peer(&peer).build()).unwrap();
        for end in [*name, peer.as_str()] {
            let index = s.link_by_name(end).unwrap().unwrap().index;
            s.request(LinkMessage::change(index).up().build()).unwrap();
        }
    }
}

fn vlan(name: &str, attrs: &[(&str, &str)]) -> Item {
    link_item("vlan", name, attrs)
}

fn read(scope: &[String]) -> Vec<Item> {
    VlanPlugin.read(Some(scope)).unwrap()
}

/// Plan against the kernel and apply in phase order, as core does; returns the changes.
fn converge(desired: &[Item], scope: &[String]) -> Vec<Change> {
    netplug_plugin_testing::converge(&VlanPlugin, desired, scope)
}

fn replan(desired: &[Item], scope: &[String]) -> Vec<String> {
    netplug_plugin_testing::replan(&VlanPlugin, desired, scope)
}

fn index(item: &Item) -> Option<u32> {
    item.envelope.as_ref().unwrap().ifindex
}

#[test]
#[ignore = "needs 802.1Q: runs in the qemu guest (cargo xtask vm-test)"]
fn a_vlan_on_a_veth_reads_back_equal_and_replans_to_nothing() {
    in_new_netns(|| {
        veths(&["v0"]);
        let scope = names(&["v0.10", "svc100"]);
        let mut tagged = vlan("v0.10", &[("device", "v0"), ("tag", "10"), ("loose_binding", "yes")]);
        tagged.envelope.as_mut().unwrap().mtu = Some(1400);
        let service = vlan("svc100", &[("device", "v0"), ("tag", "100"), ("protocol", "802.1ad")]);
        let want = [tagged, service];
        converge(&want, &scope);
        let live = read(&scope);
        let get = |i: usize, k: &str| live[i].element.value(k).unwrap_or_default().to_string();
        assert_eq!(live[0].interface, "v0.10");
        assert_eq!(
            (get(0, "device"), get(0, "tag"), get(0, "protocol")),
            ("v0".into(), "10".into(), "802.1Q".into())
        );
        assert_eq!((get(0, "loose_binding"), get(0, "reorder_hdr")), ("yes".into(), "yes".into()));
        assert_eq!(live[0].envelope.as_ref().unwrap().mtu, Some(1400));
        assert_eq!(live[0].envelope.as_ref().unwrap().parent.as_deref(), Some("v0"));
        assert_eq!((get(1, "tag"), get(1, "protocol")), ("100".into(), "802.1ad".into()));
        assert_eq!(replan(&want, &scope), Vec::<String>::new());
        assert_eq!(replan(&live, &scope), Vec::<String>::new(), "a read item fed back plans nothing");
    });
}

#[test]
#[ignore = "needs 802.1Q: runs in the qemu guest (cargo xtask vm-test)"]
fn flags_change_in_place() {
    in_new_netns(|| {
        veths(&["v0"]);
        let scope = names(&["v0.10"]);
        converge(&[vlan("v0.10", &[("device", "v0"), ("tag", "10")])], &scope);
        let before = index(&read(&scope)[0]);
        let want = vlan(
            "v0.10",
            &[("device", "v0"), ("tag", "10"), ("reorder_hdr", "no"), ("bridge_binding", "yes")],
        );
        let changes = converge(std::slice::from_ref(&want), &scope);
        assert_eq!(changes.len(), 1);
        let live = &read(&scope)[0];
        assert_eq!(index(live), before, "changed, not recreated");
        assert_eq!(live.element.value("reorder_hdr"), Some("no"));
        assert_eq!(live.element.value("bridge_binding"), Some("yes"));
        assert!(replan(&[want], &scope).is_empty());
    });
}

#[test]
#[ignore = "needs 802.1Q: runs in the qemu guest (cargo xtask vm-test)"]
fn a_new_tag_or_parent_recreates_the_vlan_in_its_bridge() {
    in_new_netns(|| {
        veths(&["v0", "v1"]);
        let scope = names(&["v0.10"]);
        converge(&[vlan("v0.10", &[("device", "v0"), ("tag", "10")])], &scope);
        let mut s = Socket::route().unwrap();
        s.request(LinkMessage::create("br0", "bridge").build()).unwrap();
        let br = s.link_by_name("br0").unwrap().unwrap().index;
        let before = index(&read(&scope)[0]).unwrap();
        s.request(LinkMessage::change(before).master(br).build()).unwrap();

        let mut want = vlan("v0.10", &[("device", "v1"), ("tag", "20")]);
        want.envelope.as_mut().unwrap().master = Some("br0".into());
        let changes = converge(std::slice::from_ref(&want), &scope);
        let phases: Vec<Phase> = changes.iter().map(|c| c.phase).collect();
        assert_eq!(phases, [Phase::Delete, Phase::Create, Phase::Enslave, Phase::Up]);
        let live = &read(&scope)[0];
        assert_ne!(index(live), Some(before));
        assert_eq!((live.element.value("device"), live.element.value("tag")), (Some("v1"), Some("20")));
        let env = live.envelope.as_ref().unwrap();
        assert_eq!((env.master.as_deref(), env.state), (Some("br0"), LinkState::Up));
        assert!(replan(&[want], &scope).is_empty());
    });
}

#[test]
#[ignore = "needs 802.1Q: runs in the qemu guest (cargo xtask vm-test)"]
fn a_snapshot_plans_back_exactly() {
    in_new_netns(|| {
        veths(&["v0", "v1"]);
        let scope = names(&["v0.10", "v1.5"]);
        converge(&[vlan("v0.10", &[("device", "v0"), ("tag", "10"), ("gvrp", "yes")])], &scope);
        let snapshot = read(&scope);

        let mut changed =
            vlan("v0.10", &[("device", "v0"), ("tag", "11"), ("gvrp", "no"), ("protocol", "802.1ad")]);
        changed.envelope.as_mut().unwrap().state = LinkState::Down;
        converge(&[changed, vlan("v1.5", &[("device", "v1"), ("tag", "5")])], &scope);
        assert_eq!(read(&scope).len(), 2);

        converge(&snapshot, &scope);
        let without_index = |items: Vec<Item>| -> Vec<Item> {
            items
                .into_iter()
                .map(|mut i| {
                    i.envelope.as_mut().unwrap().ifindex = None;
                    i
                })
                .collect()
        };
        // The VLAN was created again: all but its index is as it was.
        assert_eq!(without_index(read(&scope)), without_index(snapshot));
    });
}

#[test]
#[ignore = "needs 802.1Q: runs in the qemu guest (cargo xtask vm-test)"]
fn kernel_errors_carry_the_ext_ack_text() {
    in_new_netns(|| {
        veths(&["v0"]);
        let scope = names(&["a", "b"]);
        let want =
            [vlan("a", &[("device", "v0"), ("tag", "7")]), vlan("b", &[("device", "v0"), ("tag", "7")])];
        let mut changes = VlanPlugin.plan(&want, &read(&scope), &scope).unwrap();
        changes.sort_by_key(|c| c.phase);
        let err = VlanPlugin.apply(&changes).unwrap_err();
        assert_eq!(changes[err.index].interface, "b");
        assert_eq!(err.error.errno, Some(libc::EEXIST));
        let ext_ack = err.error.ext_ack.as_deref().unwrap_or_default();
        assert!(ext_ack.contains("VLAN device already exists"), "{}", err.error);
    });
}

#[test]
#[ignore = "needs 802.1Q: runs in the qemu guest (cargo xtask vm-test)"]
fn vlans_not_desired_are_deleted() {
    in_new_netns(|| {
        veths(&["v0"]);
        let scope = names(&["v0.10"]);
        converge(&[vlan("v0.10", &[("device", "v0"), ("tag", "10")])], &scope);
        assert_eq!(converge(&[], &scope).len(), 1);
        assert!(read(&scope).is_empty());
    });
}
