//! The VXLAN plugin against the real kernel (this machine's has VXLAN), each test in a network
//! namespace of its own; veth pairs stand in for the NICs the tunnels leave by.

use netplug_plugin_sdk::netlink::{AddrMessage, LinkMessage, Socket};
use netplug_plugin_sdk::{Change, Item, LinkState, Phase, Plugin};
use netplug_plugin_testing::{in_new_netns, link_item, names};
use netplug_plugin_vxlan::VxlanPlugin;

/// veth pairs `name` ↔ `name`p, both up, `name` with 192.0.2.1/24 (a local address to use).
fn nics(list: &[&str]) {
    let mut s = Socket::route().unwrap();
    for (i, name) in list.iter().enumerate() {
        let peer = format!("{name}p");
        s.request(LinkMessage::create(name, "veth").veth_peer(&peer).build()).unwrap();
        for end in [*name, peer.as_str()] {
            let index = s.link_by_name(end).unwrap().unwrap().index;
            s.request(LinkMessage::change(index).up().build()).unwrap();
        }
        let index = s.link_by_name(name).unwrap().unwrap().index;
        let addr = format!("192.0.2.{}", i + 1).parse().unwrap();
        s.request(AddrMessage::add(index, addr, 24).build()).unwrap();
    }
}

fn vxlan(name: &str, attrs: &[(&str, &str)]) -> Item {
    link_item("vxlan", name, attrs)
}

fn read(scope: &[String]) -> Vec<Item> {
    VxlanPlugin.read(Some(scope)).unwrap()
}

fn converge(desired: &[Item], scope: &[String]) -> Vec<Change> {
    netplug_plugin_testing::converge(&VxlanPlugin, desired, scope)
}

fn replan(desired: &[Item], scope: &[String]) -> Vec<String> {
    netplug_plugin_testing::replan(&VxlanPlugin, desired, scope)
}

fn index(item: &Item) -> Option<u32> {
    item.envelope.as_ref().unwrap().ifindex
}

fn attrs(item: &Item) -> Vec<(String, String)> {
    item.element.attributes.iter().map(|a| (a.name.clone(), a.value.clone())).collect()
}

#[test]
fn every_option_reads_back_and_replans_to_nothing() {
    in_new_netns(|| {
        nics(&["eth0"]);
        let scope = names(&["vx0", "vx6", "vxg", "vxm"]);
        let mut v4 = vxlan(
            "vx0",
            &[
                ("id", "42"),
                ("local", "192.0.2.1"),
                ("remote", "192.0.2.99"),
                ("device", "eth0"),
                ("dstport", "4790"),
                ("srcport", "40000-41000"),
                ("ttl", "32"),
                ("tos", "inherit"),
                ("learning", "no"),
                ("ageing", "120"),
                ("maxaddress", "64"),
                ("proxy", "yes"),
                ("rsc", "yes"),
                ("l2miss", "yes"),
                ("l3miss", "yes"),
                ("udpcsum", "yes"),
                ("df", "inherit"),
            ],
        );
        v4.envelope.as_mut().unwrap().mtu = Some(1400);
        let v6 = vxlan(
            "vx6",
            &[
                ("id", "43"),
                ("remote", "2001:db8::2"),
                ("ttl", "inherit"),
                ("udp6zerocsumtx", "yes"),
                ("udp6zerocsumrx", "yes"),
                ("flowlabel", "4096"),
            ],
        );
        let group = vxlan("vxg", &[("id", "44"), ("group", "239.1.1.1"), ("device", "eth0")]);
        // Collect-metadata mode: no VNI of its own (the kernel reports 0).
        let meta = vxlan("vxm", &[("external", "yes"), ("dstport", "4791"), ("learning", "no")]);
        let want = [v4, v6, group, meta];
        converge(&want, &scope);
        let live = read(&scope);
        let by = |n: &str| live.iter().find(|i| i.interface == n).unwrap();
        let get = |n: &str, k: &str| by(n).element.value(k).map(str::to_string);
        // Everything the document said, as it said it.
        for (k, v) in attrs(&want[0]) {
            assert_eq!(get("vx0", &k).as_deref(), Some(v.as_str()), "vx0 {k}");
        }
        assert_eq!(by("vx0").envelope.as_ref().unwrap().mtu, Some(1400));
        assert_eq!(by("vx0").envelope.as_ref().unwrap().parent.as_deref(), Some("eth0"));
        assert_eq!(get("vx6", "ttl").as_deref(), Some("inherit"));
        assert_eq!(get("vx6", "udp6zerocsumtx").as_deref(), Some("yes"));
        assert_eq!(get("vx6", "flowlabel").as_deref(), Some("4096"));
        assert_eq!(
            (get("vxm", "external").as_deref(), get("vxm", "id").as_deref()),
            (Some("yes"), Some("0"))
        );
        assert_eq!(get("vxg", "group").as_deref(), Some("239.1.1.1"));
        // What it left out reads back as the kernel's (and netplug's) defaults.
        assert_eq!(get("vxg", "dstport").as_deref(), Some("4789"), "the IANA port, not Linux's 8472");
        assert_eq!(get("vxg", "learning").as_deref(), Some("yes"));
        assert_eq!(get("vxg", "ttl").as_deref(), Some("auto"));
        assert_eq!(get("vxg", "ageing").as_deref(), Some("300"));
        assert_eq!(get("vxg", "df").as_deref(), Some("unset"));
        assert_eq!(get("vxg", "flowlabel").as_deref(), Some("0"));
        assert_eq!(get("vxg", "external").as_deref(), Some("no"));
        assert_eq!(replan(&want, &scope), Vec::<String>::new());
        assert_eq!(replan(&live, &scope), Vec::<String>::new(), "a read item fed back plans nothing");

        // An IPv6 VXLAN's flow label changes in place.
        let before = index(by("vx6"));
        let mut relabelled = want[1].clone();
        relabelled.element.set_attr("flowlabel", "8192");
        let changes = converge(std::slice::from_ref(&relabelled), &names(&["vx6"]));
        assert_eq!(
            changes.iter().map(|c| c.description.as_str()).collect::<Vec<_>>(),
            ["set flowlabel 8192 (was 4096)"]
        );
        let after = read(&names(&["vx6"]));
        assert_eq!((index(&after[0]), after[0].element.value("flowlabel")), (before, Some("8192")));
    });
}

#[test]
fn endpoints_ttl_tos_df_learning_and_ageing_change_in_place() {
    in_new_netns(|| {
        nics(&["eth0", "eth1"]);
        let scope = names(&["vx0"]);
        converge(
            &[vxlan(
                "vx0",
                &[
                    ("id", "7"),
                    ("local", "192.0.2.1"),
                    ("remote", "192.0.2.50"),
                    ("device", "eth0"),
                    ("ttl", "64"),
                ],
            )],
            &scope,
        );
        let before = index(&read(&scope)[0]);
        let want = vxlan(
            "vx0",
            &[
                ("id", "7"),
                ("local", "192.0.2.2"),
                ("remote", "192.0.2.51"),
                ("device", "eth1"),
                ("ttl", "auto"),
                ("tos", "16"),
                ("learning", "no"),
                ("ageing", "30"),
                ("df", "set"),
            ],
        );
        let changes = converge(std::slice::from_ref(&want), &scope);
        assert_eq!(changes.len(), 1, "{changes:#?}");
        assert_eq!(changes[0].phase, Phase::Configure);
        let live = &read(&scope)[0];
        assert_eq!(index(live), before, "changed, not recreated");
        for (k, v) in attrs(&want) {
            assert_eq!(live.element.value(&k), Some(v.as_str()), "{k}");
        }
        assert!(replan(&[want], &scope).is_empty());
    });
}

#[test]
fn a_fixed_option_recreates_the_vxlan_in_its_bridge() {
    in_new_netns(|| {
        nics(&["eth0"]);
        let scope = names(&["vx0"]);
        converge(&[vxlan("vx0", &[("id", "7"), ("remote", "192.0.2.50")])], &scope);
        let mut s = Socket::route().unwrap();
        s.request(LinkMessage::create("br0", "bridge").build()).unwrap();
        let br = s.link_by_name("br0").unwrap().unwrap().index;
        let before = index(&read(&scope)[0]).unwrap();
        s.request(LinkMessage::change(before).master(br).build()).unwrap();

        let mut want =
            vxlan("vx0", &[("id", "8"), ("remote", "192.0.2.50"), ("dstport", "8472"), ("proxy", "yes")]);
        want.envelope.as_mut().unwrap().master = Some("br0".into());
        let changes = converge(std::slice::from_ref(&want), &scope);
        let phases: Vec<Phase> = changes.iter().map(|c| c.phase).collect();
        assert_eq!(phases, [Phase::Delete, Phase::Create, Phase::Enslave, Phase::Up]);
        assert!(
            changes[0]
                .description
                .starts_with("delete vxlan to change id 8 (was 7), dstport 8472 (was 4789)"),
            "{}",
            changes[0].description
        );
        let live = &read(&scope)[0];
        assert_ne!(index(live), Some(before));
        let env = live.envelope.as_ref().unwrap();
        assert_eq!((env.master.as_deref(), env.state), (Some("br0"), LinkState::Up));
        assert_eq!((live.element.value("id"), live.element.value("proxy")), (Some("8"), Some("yes")));
        assert!(replan(&[want], &scope).is_empty());
    });
}

#[test]
fn a_snapshot_plans_back_exactly() {
    in_new_netns(|| {
        nics(&["eth0"]);
        let scope = names(&["vx0", "vx1"]);
        converge(
            &[vxlan("vx0", &[("id", "1"), ("remote", "192.0.2.9"), ("learning", "no"), ("device", "eth0")])],
            &scope,
        );
        let snapshot = read(&scope);
        let changed = vxlan("vx0", &[("id", "2"), ("remote", "192.0.2.10"), ("l2miss", "yes")]);
        converge(&[changed, vxlan("vx1", &[("id", "5")])], &scope);
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
        assert_eq!(without_index(read(&scope)), without_index(snapshot));
    });
}

#[test]
fn kernel_errors_carry_the_ext_ack_text() {
    in_new_netns(|| {
        let scope = names(&["a", "b"]);
        let want = [vxlan("a", &[("id", "7")]), vxlan("b", &[("id", "7")])];
        let mut changes = VxlanPlugin.plan(&want, &read(&scope), &scope).unwrap();
        changes.sort_by_key(|c| c.phase);
        let err = VxlanPlugin.apply(&changes).unwrap_err();
        assert_eq!(changes[err.index].interface, "b");
        assert_eq!(err.error.errno, Some(libc::EEXIST));
        let ext_ack = err.error.ext_ack.as_deref().unwrap_or_default();
        assert!(ext_ack.contains("VNI"), "{}", err.error);
    });
}

#[test]
fn vxlans_not_desired_are_deleted() {
    in_new_netns(|| {
        let scope = names(&["vx0"]);
        converge(&[vxlan("vx0", &[("id", "10")])], &scope);
        assert_eq!(converge(&[], &scope).len(), 1);
        assert!(read(&scope).is_empty());
    });
}
