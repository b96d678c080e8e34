//! The veth plugin against the real kernel, each test in a network namespace of its own (and,
//! for peers elsewhere, a named namespace made with `ip netns add` and always deleted).

use std::process::Command;

use netplug_plugin_sdk::netlink::{LinkMessage, Socket};
use netplug_plugin_sdk::{Change, Item, LinkState, Phase, Plugin};
use netplug_plugin_testing::{in_new_netns, link_item, names};
use netplug_plugin_veth::VethPlugin;

fn veth(name: &str, attrs: &[(&str, &str)]) -> Item {
    link_item("veth", name, attrs)
}

fn read(scope: &[String]) -> Vec<Item> {
    VethPlugin.read(Some(scope)).unwrap()
}

fn converge(desired: &[Item], scope: &[String]) -> Vec<Change> {
    netplug_plugin_testing::converge(&VethPlugin, desired, scope)
}

fn replan(desired: &[Item], scope: &[String]) -> Vec<String> {
    netplug_plugin_testing::replan(&VethPlugin, desired, scope)
}

fn without_index(items: Vec<Item>) -> Vec<Item> {
    items
        .into_iter()
        .map(|mut i| {
            i.envelope.as_mut().unwrap().ifindex = None;
            i
        })
        .collect()
}

/// A named namespace (`/run/netns/NAME`), deleted when dropped.
struct Named(String);

impl Named {
    fn new(tag: &str) -> Named {
        let name = format!("np-vethk-{tag}-{}", std::process::id());
        let _ = Command::new("ip").args(["netns", "del", &name]).output();
        let out = Command::new("ip").args(["netns", "add", &name]).output().expect("run ip");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        Named(name)
    }

    /// `ip -n NAME -j link show DEV`, if DEV exists there.
    fn link(&self, dev: &str) -> Option<serde_json::Value> {
        let out =
            Command::new("ip").args(["-n", &self.0, "-j", "link", "show", "dev", dev]).output().unwrap();
        out.status
            .success()
            .then(|| serde_json::from_slice::<Vec<serde_json::Value>>(&out.stdout).unwrap()[0].clone())
    }
}

impl Drop for Named {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).output();
    }
}

#[test]
fn a_pair_reads_back_every_attribute_and_replans_to_nothing() {
    in_new_netns(|| {
        let scope = names(&["v0", "v0p"]);
        let mut v0 = veth("v0", &[("peer", "v0p")]);
        {
            let env = v0.envelope.as_mut().unwrap();
            env.mtu = Some(9000);
            env.mac = Some("02:00:00:00:00:AA".into());
        }
        let mut v0p = veth("v0p", &[("peer", "v0")]);
        v0p.envelope.as_mut().unwrap().mtu = Some(9000);
        v0p.envelope.as_mut().unwrap().state = LinkState::Down;
        let want = [v0, v0p];
        let changes = converge(&want, &scope);
        assert_eq!(changes.len(), 1, "one create carries both ends: {changes:#?}");
        let mut live = read(&scope);
        live.sort_by(|a, b| a.interface.cmp(&b.interface));
        assert_eq!(live.len(), 2);
        let env = live[0].envelope.as_ref().unwrap();
        assert_eq!((live[0].interface.as_str(), live[0].element.value("peer")), ("v0", Some("v0p")));
        assert_eq!(
            (env.mtu, env.mac.as_deref(), env.state),
            (Some(9000), Some("02:00:00:00:00:aa"), LinkState::Up)
        );
        assert_eq!(env.parent, None, "a veth's peer is not its parent");
        let env = live[1].envelope.as_ref().unwrap();
        assert_eq!(
            (live[1].element.value("peer"), env.mtu, env.state),
            (Some("v0"), Some(9000), LinkState::Down)
        );
        assert_eq!(replan(&want, &scope), Vec::<String>::new());
        assert_eq!(replan(&live, &scope), Vec::<String>::new(), "a read item fed back plans nothing");
    });
}

#[test]
fn the_envelope_changes_in_place_and_a_new_peer_recreates_in_the_bridge() {
    in_new_netns(|| {
        let scope = names(&["v0"]);
        converge(&[veth("v0", &[("peer", "v0p")])], &scope);
        let before = read(&scope)[0].envelope.as_ref().unwrap().ifindex;
        let mut want = veth("v0", &[("peer", "v0p")]);
        want.envelope.as_mut().unwrap().mtu = Some(1400);
        want.envelope.as_mut().unwrap().state = LinkState::Down;
        let changes = converge(std::slice::from_ref(&want), &scope);
        assert_eq!(changes.iter().map(|c| c.phase).collect::<Vec<_>>(), [Phase::Down, Phase::Configure]);
        let live = &read(&scope)[0];
        assert_eq!(live.envelope.as_ref().unwrap().ifindex, before, "changed, not recreated");
        assert_eq!(live.envelope.as_ref().unwrap().mtu, Some(1400));

        let mut s = Socket::route().unwrap();
        s.request(LinkMessage::create("br0", "bridge").build()).unwrap();
        let br = s.link_by_name("br0").unwrap().unwrap().index;
        s.request(LinkMessage::change(before.unwrap()).master(br).build()).unwrap();
        let mut want = veth("v0", &[("peer", "other")]);
        want.envelope.as_mut().unwrap().master = Some("br0".into());
        let changes = converge(std::slice::from_ref(&want), &scope);
        assert_eq!(
            changes.iter().map(|c| c.phase).collect::<Vec<_>>(),
            [Phase::Delete, Phase::Create, Phase::Enslave]
        );
        assert!(
            changes[0].description.contains("to pair it with other (was v0p)"),
            "{}",
            changes[0].description
        );
        let live = &read(&scope)[0];
        assert_ne!(live.envelope.as_ref().unwrap().ifindex, before);
        assert_eq!(live.element.value("peer"), Some("other"));
        assert_eq!(live.envelope.as_ref().unwrap().master.as_deref(), Some("br0"));
        assert!(s.link_by_name("v0p").unwrap().is_none(), "the old peer went with the old pair");
        assert!(replan(&[want], &scope).is_empty());
    });
}

#[test]
fn a_peer_is_created_in_a_named_namespace_and_read_back_from_there() {
    let far = Named::new("far");
    let ns = far.0.clone();
    in_new_netns(move || {
        let scope = names(&["ct0"]);
        let mut want = veth("ct0", &[("peer", "eth0"), ("peer-netns", &ns)]);
        want.envelope.as_mut().unwrap().mtu = Some(1450);
        let changes = converge(std::slice::from_ref(&want), &scope);
        assert_eq!(changes.len(), 1);
        let live = read(&scope);
        assert_eq!(live[0].element.value("peer"), Some("eth0"));
        assert_eq!(live[0].element.value("peer-netns"), Some(ns.as_str()));
        assert!(replan(&[want.clone()], &scope).is_empty());
        assert!(replan(&live, &scope).is_empty(), "a read item fed back plans nothing");
        let mut s = Socket::route().unwrap();
        assert!(s.link_by_name("eth0").unwrap().is_none(), "the peer is not here");

        // Brought back into this namespace: the pair is made again.
        let here = veth("ct0", &[("peer", "eth0")]);
        let changes = converge(std::slice::from_ref(&here), &scope);
        assert_eq!(changes[0].phase, Phase::Delete);
        assert!(s.link_by_name("eth0").unwrap().is_some());
        assert!(replan(&[here], &scope).is_empty());
        converge(&[want], &scope);
    });
    assert!(far.link("eth0").is_some(), "the peer lives in {}", far.0);
    // Removal from here takes the peer over there along.
    let ns = far.0.clone();
    in_new_netns(move || {
        let scope = names(&["ct1"]);
        converge(&[veth("ct1", &[("peer", "eth1"), ("peer-netns", &ns)])], &scope);
        assert_eq!(converge(&[], &scope).len(), 1);
        assert!(read(&scope).is_empty());
    });
    assert!(far.link("eth1").is_none(), "deleting one end deletes the other");
}

#[test]
fn a_missing_namespace_fails_the_create_naming_it() {
    in_new_netns(|| {
        let scope = names(&["ct0"]);
        let want = [veth("ct0", &[("peer", "eth0"), ("peer-netns", "np-no-such-namespace")])];
        let changes = VethPlugin.plan(&want, &read(&scope), &scope).unwrap();
        let err = VethPlugin.apply(&changes).unwrap_err();
        assert_eq!(err.index, 0);
        assert!(
            err.error.message.contains("cannot open network namespace np-no-such-namespace"),
            "{}",
            err.error
        );
        assert!(read(&scope).is_empty());
    });
}

#[test]
fn a_snapshot_plans_back_exactly() {
    in_new_netns(|| {
        let scope = names(&["v0", "v0p", "v1"]);
        let mut v0 = veth("v0", &[("peer", "v0p")]);
        v0.envelope.as_mut().unwrap().mtu = Some(2000);
        converge(&[v0], &scope);
        let snapshot = read(&scope);

        let mut changed = veth("v0", &[("peer", "x0")]);
        changed.envelope.as_mut().unwrap().state = LinkState::Down;
        converge(&[changed, veth("v1", &[("peer", "v1p")])], &scope);
        converge(&snapshot, &scope);
        assert_eq!(without_index(read(&scope)), without_index(snapshot));
    });
}

#[test]
fn kernel_errors_carry_the_errno_and_name_the_change() {
    in_new_netns(|| {
        let mut s = Socket::route().unwrap();
        s.request(LinkMessage::create("x", "veth").veth_peer("taken2").build()).unwrap();
        let scope = names(&["a", "b"]);
        let want = [veth("a", &[("peer", "ap")]), veth("b", &[("peer", "taken2")])];
        let changes = VethPlugin.plan(&want, &read(&scope), &scope).unwrap();
        let err = VethPlugin.apply(&changes).unwrap_err();
        assert_eq!(changes[err.index].interface, "b");
        assert_eq!(err.error.errno, Some(libc::EEXIST));
    });
}
