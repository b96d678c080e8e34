//! The static plugin against the real kernel, each test in a network namespace of its own;
//! veth pairs stand in for NICs.

use std::net::IpAddr;

use netplug_plugin_sdk::netlink::consts::{
    IFA_PROTO_NETPLUG, RTPROT_BOOT, RTPROT_NETPLUG, RTPROT_NETPLUG_GATEWAY,
};
use netplug_plugin_sdk::netlink::{AddrMessage, Address, Family, LinkMessage, Route, RouteMessage, Socket};
use netplug_plugin_sdk::{Change, Envelope, Item, Plugin};
use netplug_plugin_static::StaticPlugin;
use netplug_plugin_testing::in_new_netns;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// `eth0` and `eth1`: veths whose peers are up, so they have a carrier.
fn nics(s: &mut Socket) {
    for n in ["eth0", "eth1"] {
        s.request(LinkMessage::create(n, "veth").veth_peer(&format!("{n}p")).up().build()).unwrap();
        let peer = s.link_by_name(&format!("{n}p")).unwrap().unwrap();
        s.request(LinkMessage::change(peer.index).up().build()).unwrap();
    }
}

fn index(s: &mut Socket, name: &str) -> u32 {
    s.link_by_name(name).unwrap().unwrap().index
}

/// Desired items from `<static>` elements written as XML attribute lists.
fn statics(iface: &str, lines: &[&str]) -> Vec<Item> {
    lines
        .iter()
        .map(|attrs| {
            let element = netplug_plugin_testing::element_from_xml(&format!("<static {attrs}/>"));
            let envelope = Envelope { name: iface.into(), kind: "ethernet".into(), ..Default::default() };
            Item { interface: iface.into(), kind: "ethernet".into(), envelope: Some(envelope), element }
        })
        .collect()
}

fn scope(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

fn plan_for(desired: &[Item], names: &[&str]) -> Vec<Change> {
    let live = StaticPlugin.read(Some(&scope(names))).unwrap();
    StaticPlugin.plan(desired, &live, &scope(names)).unwrap()
}

/// Read, plan and apply; the changes' descriptions.
fn converge(desired: &[Item], names: &[&str]) -> Vec<String> {
    netplug_plugin_testing::converge(&StaticPlugin, desired, &scope(names))
        .into_iter()
        .map(|c| c.description)
        .collect()
}

fn replan(desired: &[Item], names: &[&str]) -> Vec<String> {
    netplug_plugin_testing::replan(&StaticPlugin, desired, &scope(names))
}

fn addrs_of(s: &mut Socket, name: &str) -> Vec<Address> {
    let idx = index(s, name);
    s.dump_addrs(Family::All).unwrap().into_iter().filter(|a| a.index == idx).collect()
}

fn has(addrs: &[Address], a: &str, len: u8) -> Option<u8> {
    addrs.iter().find(|x| x.ip() == Some(ip(a)) && x.prefix_len == len).map(|x| x.proto.unwrap_or(0))
}

fn routes(s: &mut Socket) -> Vec<Route> {
    s.dump_routes(Family::All, None).unwrap()
}

/// Shown as XML, one line per item: what `netplug show` would print of them.
fn shown(items: &[Item]) -> Vec<String> {
    items
        .iter()
        .map(|i| format!("{} {}", i.interface, netplug_plugin_testing::element_to_xml(&i.element).trim()))
        .collect()
}

#[test]
fn addresses_and_gateways_of_both_families() {
    in_new_netns(|| {
        let mut s = Socket::route().unwrap();
        nics(&mut s);
        let want = statics(
            "eth0",
            &[
                r#"ipaddr="192.168.0.5" netmask="255.255.255.0" gateway="192.168.0.1""#,
                r#"ip6addr="2001:db8:c::5" gateway="2001:db8:c::1""#,
                r#"ipaddr="10.1.0.5/16" ip6addr="2001:db8:d::5/64""#,
            ],
        );
        let done = converge(&want, &["eth0", "eth1"]);
        assert_eq!(done.len(), 6, "{done:#?}");
        // Duplicate address detection is still running: tentative counts as there.
        let tentative = addrs_of(&mut s, "eth0").iter().filter(|x| x.is_tentative()).count();
        assert!(tentative >= 2, "IPv6 addresses go through duplicate address detection");
        assert!(replan(&want, &["eth0", "eth1"]).is_empty());

        let a = addrs_of(&mut s, "eth0");
        for (addr, len) in
            [("192.168.0.5", 24), ("10.1.0.5", 16), ("2001:db8:c::5", 64), ("2001:db8:d::5", 64)]
        {
            assert_eq!(has(&a, addr, len), Some(IFA_PROTO_NETPLUG), "{addr}/{len}");
        }
        let v4 = a.iter().find(|x| x.ip() == Some(ip("192.168.0.5"))).unwrap();
        assert_eq!(v4.broadcast, Some("192.168.0.255".parse().unwrap()));
        let eth0 = index(&mut s, "eth0");
        let gws: Vec<_> =
            routes(&mut s).into_iter().filter(|r| r.protocol == RTPROT_NETPLUG_GATEWAY).collect();
        assert_eq!(gws.len(), 2);
        assert!(gws.iter().all(|r| r.dst_len == 0 && r.oif == Some(eth0) && r.table == 254));

        let live = StaticPlugin.read(Some(&scope(&["eth0"]))).unwrap();
        assert_eq!(
            shown(&live),
            [
                r#"eth0 <static ipaddr="192.168.0.5/24" gateway="192.168.0.1"/>"#,
                r#"eth0 <static ipaddr="10.1.0.5/16"/>"#,
                r#"eth0 <static ip6addr="2001:db8:d::5/64" gateway="2001:db8:c::1"/>"#,
                r#"eth0 <static ip6addr="2001:db8:c::5/64"/>"#,
            ],
            "the kernel lists the newest IPv6 address first; the link-local one is left out"
        );
        assert_eq!(live[0].envelope.as_ref().unwrap().name, "eth0");

        // Everything declared goes away again, gateways first.
        let done = converge(&[], &["eth0"]);
        assert_eq!(done.len(), 6, "{done:#?}");
        assert!(addrs_of(&mut s, "eth0").iter().all(|x| x.proto != Some(IFA_PROTO_NETPLUG)));
        assert!(!routes(&mut s).iter().any(|r| r.protocol == RTPROT_NETPLUG_GATEWAY));
        assert!(StaticPlugin.read(Some(&scope(&["eth0"]))).unwrap().is_empty());
    });
}

#[test]
fn only_netplugs_addresses_go_and_foreign_ones_keep_their_routes() {
    in_new_netns(|| {
        let mut s = Socket::route().unwrap();
        nics(&mut s);
        let eth0 = index(&mut s, "eth0");
        converge(&statics("eth0", &[r#"ipaddr="192.0.2.1/24" gateway="192.0.2.254""#]), &["eth0"]);
        // By hand: a secondary of netplug's primary, and a route through it.
        s.request(AddrMessage::add(eth0, ip("192.0.2.99"), 24).build()).unwrap();
        s.request(
            RouteMessage::add(ip("192.0.2.128"), 25).gateway(ip("192.0.2.100")).protocol(RTPROT_BOOT).build(),
        )
        .unwrap();
        let live = StaticPlugin.read(Some(&scope(&["eth0"]))).unwrap();
        assert_eq!(
            shown(&live),
            [
                r#"eth0 <static ipaddr="192.0.2.1/24" gateway="192.0.2.254"/>"#,
                r#"eth0 <static ipaddr="192.0.2.99/24" foreign="manual"/>"#,
            ]
        );

        let done = converge(&[], &["eth0"]);
        assert_eq!(done, ["remove IPv4 gateway 192.0.2.254", "remove address 192.0.2.1/24"]);
        let a = addrs_of(&mut s, "eth0");
        assert_eq!(has(&a, "192.0.2.1", 24), None);
        assert_eq!(has(&a, "192.0.2.99", 24), Some(0), "the hand-added secondary was promoted, not deleted");
        let rs = routes(&mut s);
        assert!(rs.iter().any(|r| r.dst == Some(ip("192.0.2.128")) && r.protocol == RTPROT_BOOT), "{rs:#?}");
        assert!(replan(&[], &["eth0"]).is_empty());
    });
}

#[test]
fn changing_the_address_keeps_routes_through_the_interface() {
    in_new_netns(|| {
        let mut s = Socket::route().unwrap();
        nics(&mut s);
        let eth0 = index(&mut s, "eth0");
        converge(&statics("eth0", &[r#"ipaddr="10.0.0.5/24" gateway="10.0.0.1""#]), &["eth0"]);
        // A <route> on the link, as the routes plugin would have added it.
        s.request(RouteMessage::add(ip("172.16.0.0"), 12).oif(eth0).protocol(RTPROT_NETPLUG).build())
            .unwrap();

        // Same subnet: the new address is the old one's secondary, promoted when it goes.
        let same = statics("eth0", &[r#"ipaddr="10.0.0.6/24" gateway="10.0.0.1""#]);
        assert_eq!(converge(&same, &["eth0"]), ["add address 10.0.0.6/24", "remove address 10.0.0.5/24"]);
        assert!(replan(&same, &["eth0"]).is_empty(), "the gateway route survived");
        // Another subnet: added before the old one goes.
        let other = statics("eth0", &[r#"ipaddr="192.168.1.5/24" gateway="192.168.1.1""#]);
        converge(&other, &["eth0"]);
        assert!(replan(&other, &["eth0"]).is_empty());
        assert!(routes(&mut s)
            .iter()
            .any(|r| r.dst == Some(ip("172.16.0.0")) && r.protocol == RTPROT_NETPLUG));
        assert_eq!(has(&addrs_of(&mut s, "eth0"), "192.168.1.5", 24), Some(IFA_PROTO_NETPLUG));
    });
}

#[test]
fn a_snapshot_is_restored_exactly_including_adopted_addresses() {
    in_new_netns(|| {
        let mut s = Socket::route().unwrap();
        nics(&mut s);
        let names = ["eth0", "eth1"];
        let eth0 = index(&mut s, "eth0");
        converge(
            &statics("eth0", &[r#"ipaddr="10.0.0.5/24" gateway="10.0.0.1""#, r#"ip6addr="2001:db8::5""#]),
            &names,
        );
        s.request(AddrMessage::add(eth0, ip("10.9.0.5"), 16).build()).unwrap();
        let snapshot = StaticPlugin.read(Some(&scope(&names))).unwrap();

        // Adopt the hand-added address, move everything else around.
        let mut other = statics(
            "eth0",
            &[r#"ipaddr="10.9.0.5/16""#, r#"ip6addr="2001:db8::6/64" gateway="2001:db8::1""#],
        );
        other.extend(statics("eth1", &[r#"ipaddr="10.0.0.5/24" gateway="10.0.0.1""#]));
        let done = converge(&other, &names);
        assert!(done.contains(&"adopt address 10.9.0.5/16 (added outside netplug)".to_string()), "{done:#?}");
        assert_eq!(has(&addrs_of(&mut s, "eth0"), "10.9.0.5", 16), Some(IFA_PROTO_NETPLUG));
        assert!(replan(&other, &names).is_empty());

        let done = converge(&snapshot, &names);
        assert!(
            done.contains(&"hand back address 10.9.0.5/16 (added outside netplug)".to_string()),
            "{done:#?}"
        );
        // The same items; the kernel lists primaries of different subnets in the order they
        // came, which means nothing.
        let sorted = |mut v: Vec<String>| {
            v.sort();
            v
        };
        assert_eq!(
            sorted(shown(&StaticPlugin.read(Some(&scope(&names))).unwrap())),
            sorted(shown(&snapshot))
        );
        assert!(plan_for(&snapshot, &names).is_empty());
        assert_eq!(has(&addrs_of(&mut s, "eth0"), "10.9.0.5", 16), Some(0));
    });
}

#[test]
fn kernel_errors_carry_the_extended_ack_and_the_failing_change() {
    in_new_netns(|| {
        let mut s = Socket::route().unwrap();
        nics(&mut s);
        // The gateway is in no subnet of eth0.
        let want = statics("eth0", &[r#"ipaddr="10.0.0.5/24" gateway="10.7.0.1""#]);
        let changes = plan_for(&want, &["eth0"]);
        let err = StaticPlugin.apply(&changes).unwrap_err();
        assert_eq!((err.index, err.error.interface.as_deref()), (1, Some("eth0")));
        assert_eq!(err.error.errno, Some(libc::ENETUNREACH));
        assert_eq!(err.error.ext_ack.as_deref(), Some("Nexthop has invalid gateway"));

        // A default route netplug did not add: said so, and left alone.
        let eth1 = index(&mut s, "eth1");
        s.request(AddrMessage::add(eth1, ip("10.1.0.5"), 24).build()).unwrap();
        s.request(RouteMessage::add(ip("0.0.0.0"), 0).gateway(ip("10.1.0.1")).protocol(RTPROT_BOOT).build())
            .unwrap();
        let want = statics("eth0", &[r#"ipaddr="10.0.0.5/24" gateway="10.0.0.1""#]);
        let err = StaticPlugin.apply(&plan_for(&want, &["eth0"])).unwrap_err();
        assert_eq!(err.error.errno, Some(libc::EEXIST));
        assert!(err.error.to_string().contains("another IPv4 default route"), "{}", err.error);
        assert!(routes(&mut s).iter().any(|r| r.dst_len == 0 && r.protocol == RTPROT_BOOT));

        // An interface that is not there: nothing to remove, and adding says which.
        assert!(plan_for(&[], &["nic9"]).is_empty());
        let err = StaticPlugin
            .apply(&plan_for(&statics("nic9", &[r#"ipaddr="10.5.0.5/24""#]), &["nic9"]))
            .unwrap_err();
        assert_eq!(err.error.interface.as_deref(), Some("nic9"));
        assert!(err.error.to_string().contains("no such device"), "{}", err.error);
    });
}
