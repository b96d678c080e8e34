//! The bridge plugin against the real kernel, each test in a network namespace of its own:
//! create, read back, re-plan, change, ports, moves, delete, snapshot restore, kernel errors.

use netplug_plugin_bridge::BridgePlugin;
use netplug_plugin_sdk::netlink::{LinkMessage, Socket};
use netplug_plugin_sdk::{Change, Element, Envelope, Item, LinkState, Phase, Plugin};
use netplug_plugin_testing::{in_new_netns, names};

/// A desired `<bridge>` item with these attributes and members, state up.
fn bridge(name: &str, attrs: &[(&str, &str)], members: &[&str]) -> Item {
    let mut element = Element::new("bridge");
    for (k, v) in attrs {
        element.set_attr(*k, *v);
    }
    for m in members {
        element.children.push(Element::new("member").with_attr("device", *m));
    }
    let envelope = Envelope { name: name.into(), kind: "bridge".into(), ..Envelope::default() };
    Item { interface: name.into(), kind: "bridge".into(), envelope: Some(envelope), element }
}

/// veth pairs `name` ↔ `name`p, standing in for Ethernet ports.
fn veths(list: &[&str]) {
    let mut s = Socket::route().unwrap();
    for name in list {
        s.request(LinkMessage::create(name, "veth").veth_peer(&format!("{name}p")).build()).unwrap();
    }
}

fn read(scope: &[String]) -> Vec<Item> {
    BridgePlugin.read(Some(scope)).unwrap()
}

/// Plan against the kernel and apply; returns the changes applied. Changes go in phase order,
/// as core sorts them (all creates, then all enslaves, then all ups …).
fn converge(desired: &[Item], scope: &[String]) -> Vec<Change> {
    netplug_plugin_testing::converge(&BridgePlugin, desired, scope)
}

fn replan(desired: &[Item], scope: &[String]) -> Vec<String> {
    netplug_plugin_testing::replan(&BridgePlugin, desired, scope)
}

fn attr<'a>(item: &'a Item, name: &str) -> &'a str {
    item.element.value(name).unwrap_or_else(|| panic!("{} has no {name}: {:?}", item.interface, item.element))
}

fn ports(item: &Item) -> Vec<&str> {
    item.element.children_named("member").filter_map(|m| m.value("device")).collect()
}

fn master_of(name: &str) -> Option<String> {
    let mut s = Socket::route().unwrap();
    let link = s.link_by_name(name).unwrap().unwrap();
    link.master.map(|m| s.link_by_index(m).unwrap().unwrap().name)
}

#[test]
fn create_with_options_reads_back_equal_and_replans_to_nothing() {
    in_new_netns(|| {
        veths(&["v0", "v1"]);
        let scope = names(&["br0"]);
        let mut want = bridge(
            "br0",
            &[
                ("stp", "on"),
                ("hellotime", "1"),
                ("forwarddelay", "4.5"),
                ("maxage", "6"),
                ("priority", "4096"),
                ("ageing", "60"),
                ("mcast_snooping", "no"),
            ],
            &["v0", "v1"],
        );
        let env = want.envelope.as_mut().unwrap();
        env.mtu = Some(9000);
        env.mac = Some("02:00:00:00:00:42".into());
        let changes = converge(std::slice::from_ref(&want), &scope);
        assert_eq!(changes.iter().filter(|c| c.phase == Phase::Create).count(), 1);

        let live = read(&scope);
        assert_eq!(live.len(), 1);
        let br = &live[0];
        for (k, v) in [
            ("stp", "on"),
            ("hellotime", "1"),
            ("forwarddelay", "4.5"),
            ("maxage", "6"),
            ("priority", "4096"),
            ("ageing", "60"),
            ("mcast_snooping", "no"),
            ("vlan_filtering", "no"),
        ] {
            assert_eq!(attr(br, k), v, "{k}");
        }
        assert_eq!(ports(br), ["v0", "v1"]);
        let env = br.envelope.as_ref().unwrap();
        assert_eq!(env.mtu, Some(9000), "the MTU survives ports with a smaller one");
        assert_eq!(env.mac.as_deref(), Some("02:00:00:00:00:42"));
        assert_eq!(env.state, LinkState::Up);

        assert_eq!(replan(std::slice::from_ref(&want), &scope), Vec::<String>::new());
        assert_eq!(replan(&live, &scope), Vec::<String>::new(), "a read item fed back plans nothing");
    });
}

#[test]
fn changed_options_are_set_in_place() {
    in_new_netns(|| {
        let scope = names(&["br0"]);
        converge(&[bridge("br0", &[("stp", "off"), ("hellotime", "2"), ("priority", "32768")], &[])], &scope);
        let index = read(&scope)[0].envelope.as_ref().unwrap().ifindex;
        let want =
            bridge("br0", &[("stp", "on"), ("hellotime", "3"), ("priority", "100"), ("ageing", "0")], &[]);
        let changes = converge(std::slice::from_ref(&want), &scope);
        assert_eq!(
            changes.iter().map(|c| c.description.as_str()).collect::<Vec<_>>(),
            ["set stp on (was off), hellotime 3 (was 2), priority 100 (was 32768), ageing 0 (was 300)"]
        );
        let br = &read(&scope)[0];
        assert_eq!(br.envelope.as_ref().unwrap().ifindex, index, "changed, not recreated");
        assert_eq!((attr(br, "stp"), attr(br, "hellotime"), attr(br, "priority")), ("on", "3", "100"));
        assert_eq!(attr(br, "ageing"), "0");
        assert!(replan(&[want], &scope).is_empty());
    });
}

#[test]
fn members_are_enslaved_and_released_even_those_added_by_hand() {
    in_new_netns(|| {
        veths(&["v0", "v1", "v2", "v3"]);
        let scope = names(&["br0"]);
        converge(&[bridge("br0", &[], &["v0", "v1"])], &scope);
        assert_eq!(ports(&read(&scope)[0]), ["v0", "v1"]);

        let mut s = Socket::route().unwrap();
        let br = s.link_by_name("br0").unwrap().unwrap().index;
        let v3 = s.link_by_name("v3").unwrap().unwrap().index;
        s.request(LinkMessage::change(v3).master(br).build()).unwrap();

        let want = bridge("br0", &[], &["v1", "v2"]);
        let changes = converge(std::slice::from_ref(&want), &scope);
        let mut what: Vec<_> = changes.iter().map(|c| c.description.as_str()).collect();
        what.sort_unstable();
        assert_eq!(what, ["enslave v2", "release v0", "release v3"]);
        assert_eq!(ports(&read(&scope)[0]), ["v1", "v2"]);
        assert_eq!(master_of("v0"), None);
        assert_eq!(master_of("v3"), None);
        assert!(replan(&[want], &scope).is_empty());
    });
}

#[test]
fn a_port_moves_between_bridges_in_one_apply() {
    in_new_netns(|| {
        veths(&["v0", "v1"]);
        let scope = names(&["br0", "br1"]);
        converge(&[bridge("br0", &[], &["v0", "v1"]), bridge("br1", &[], &[])], &scope);
        let want = [bridge("br0", &[], &["v1"]), bridge("br1", &[], &["v0"])];
        let changes = converge(&want, &scope);
        assert_eq!(changes.len(), 1, "{changes:#?}");
        assert_eq!((changes[0].interface.as_str(), changes[0].description.as_str()), ("br1", "enslave v0"));
        assert_eq!(master_of("v0").as_deref(), Some("br1"));
        assert_eq!(master_of("v1").as_deref(), Some("br0"));
        assert!(replan(&want, &scope).is_empty());
    });
}

#[test]
fn bridges_not_desired_are_deleted_and_their_ports_kept() {
    in_new_netns(|| {
        veths(&["v0"]);
        let scope = names(&["br0", "br1"]);
        converge(&[bridge("br0", &[], &["v0"]), bridge("br1", &[], &[])], &scope);
        let mut gone = bridge("br1", &[], &[]);
        gone.envelope.as_mut().unwrap().state = LinkState::Absent;
        let changes = converge(&[gone], &scope);
        assert_eq!(changes.iter().map(|c| c.phase).collect::<Vec<_>>(), [Phase::Delete, Phase::Delete]);
        assert!(read(&scope).is_empty());
        let mut s = Socket::route().unwrap();
        assert!(s.link_by_name("v0").unwrap().is_some_and(|l| l.master.is_none()));
        // remove() plans the same deletion for one interface.
        converge(&[bridge("br0", &[], &[])], &scope);
        let live = read(&scope);
        let removal = BridgePlugin.remove("br0", &live).unwrap();
        assert_eq!(removal.len(), 1);
        BridgePlugin.apply(&removal).unwrap();
        assert!(read(&scope).is_empty());
    });
}

#[test]
fn a_snapshot_plans_back_exactly() {
    in_new_netns(|| {
        veths(&["v0", "v1", "v2"]);
        let scope = names(&["br0", "br1", "br9"]);
        let mut first = bridge("br0", &[("stp", "on"), ("forwarddelay", "4"), ("priority", "4096")], &["v0"]);
        first.envelope.as_mut().unwrap().mtu = Some(1400);
        converge(&[first, bridge("br1", &[], &["v1"])], &scope);
        let snapshot = read(&scope);
        assert_eq!(snapshot.len(), 2);

        // Change everything a run could: options, ports, MTU, MAC, state, a bridge added and
        // one removed.
        let mut changed =
            bridge("br0", &[("stp", "off"), ("forwarddelay", "0"), ("priority", "1")], &["v1", "v2"]);
        let env = changed.envelope.as_mut().unwrap();
        env.mtu = Some(9000);
        env.mac = Some("02:00:00:00:00:09".into());
        env.state = LinkState::Down;
        converge(&[changed, bridge("br9", &[("ageing", "10")], &["v0"])], &scope);
        assert_ne!(read(&scope), snapshot);

        converge(&snapshot, &scope);
        // br1 was deleted and created again: all but its ifindex is as it was.
        let without_index = |items: Vec<Item>| -> Vec<Item> {
            items
                .into_iter()
                .map(|mut i| {
                    i.envelope.as_mut().unwrap().ifindex = None;
                    i
                })
                .collect()
        };
        assert_eq!(without_index(read(&scope)), without_index(snapshot));
        assert_eq!(master_of("v2"), None);
    });
}

#[test]
fn kernel_errors_carry_the_ext_ack_text_and_the_change() {
    in_new_netns(|| {
        let scope = names(&["br0", "br1"]);
        converge(&[bridge("br1", &[], &[])], &scope);
        // A bridge cannot be a port of a bridge (br_add_if).
        let changes = BridgePlugin
            .plan(&[bridge("br0", &[], &["br1"]), bridge("br1", &[], &[])], &read(&scope), &scope)
            .unwrap();
        let err = BridgePlugin.apply(&changes).unwrap_err();
        assert_eq!(changes[err.index].description, "enslave br1");
        assert_eq!(err.error.interface.as_deref(), Some("br1"));
        assert_eq!(err.error.errno, Some(libc::ELOOP));
        assert_eq!(err.error.ext_ack.as_deref(), Some("Can not enslave a bridge to a bridge"));

        // An MTU below the minimum (dev_validate_mtu).
        let mut tiny = bridge("br2", &[], &[]);
        tiny.envelope.as_mut().unwrap().mtu = Some(10);
        let scope = names(&["br2"]);
        let changes = BridgePlugin.plan(&[tiny], &read(&scope), &scope).unwrap();
        let err = BridgePlugin.apply(&changes).unwrap_err();
        assert_eq!(err.index, 0);
        assert_eq!(err.error.ext_ack.as_deref(), Some("mtu less than device minimum"));
        assert_eq!(err.error.to_string(), "br2: set mtu 10: Invalid argument (mtu less than device minimum)");

        // A timer out of the kernel's range: ERANGE, which the bridge sends without text.
        let scope = names(&["br3"]);
        let changes = BridgePlugin.plan(&[bridge("br3", &[("hellotime", "0.5")], &[])], &[], &scope).unwrap();
        let err = BridgePlugin.apply(&changes).unwrap_err();
        assert_eq!(err.index, 0);
        assert_eq!(err.error.errno, Some(libc::ERANGE));
        assert!(err.error.to_string().starts_with("br3: create bridge"), "{}", err.error);
    });
}

#[test]
fn a_thousand_bridges_are_one_create_each() {
    in_new_netns(|| {
        let list: Vec<String> = (0..1000).map(|i| format!("br{i}")).collect();
        // Down: setting a thousand links up (and tearing down their IPv6 state with the
        // namespace) would cost seconds and prove nothing more here.
        let want: Vec<Item> = list
            .iter()
            .map(|n| {
                let mut b = bridge(n, &[("stp", "off"), ("priority", "100")], &[]);
                b.envelope.as_mut().unwrap().state = LinkState::Down;
                b
            })
            .collect();
        let changes = converge(&want, &list);
        assert_eq!(changes.len(), 1000, "one create per bridge");
        assert!(changes.iter().all(|c| c.phase == Phase::Create));
        assert_eq!(read(&list).len(), 1000);
        assert!(BridgePlugin.plan(&want, &read(&list), &list).unwrap().is_empty());
    });
}
