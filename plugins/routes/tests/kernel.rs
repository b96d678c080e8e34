//! The routes plugin against the real kernel, each test in a network namespace of its own:
//! veth pairs stand in for NICs, addresses are added by hand (the static plugin's business).

use std::net::IpAddr;

use netplug_plugin_routes::read::owner_tag;
use netplug_plugin_routes::RoutesPlugin;
use netplug_plugin_sdk::netlink::consts::{RTAX_INITRWND, RTNH_F_ONLINK, RTPROT_BOOT, RTPROT_NETPLUG};
use netplug_plugin_sdk::netlink::RouteFilter;
use netplug_plugin_sdk::netlink::{AddrMessage, Family, LinkMessage, Route, RouteMessage, RouteType, Socket};
use netplug_plugin_sdk::{Change, Element, Envelope, Item, Plugin};
use netplug_plugin_testing::in_new_netns;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// `eth0` and `eth1`, veths whose peers are up, with an address of each family.
fn nics(s: &mut Socket) {
    for (n, v4, v6) in [("eth0", "10.0.0.1", "2001:db8:0::1"), ("eth1", "10.1.0.1", "2001:db8:1::1")] {
        s.request(LinkMessage::create(n, "veth").veth_peer(&format!("{n}p")).up().build()).unwrap();
        let peer = s.link_by_name(&format!("{n}p")).unwrap().unwrap();
        s.request(LinkMessage::change(peer.index).up().build()).unwrap();
        let idx = s.link_by_name(n).unwrap().unwrap().index;
        s.request(AddrMessage::add(idx, ip(v4), 24).build()).unwrap();
        let nodad = netplug_plugin_sdk::netlink::uapi::IFA_F_NODAD;
        s.request(AddrMessage::add(idx, ip(v6), 64).flags(nodad).build()).unwrap();
    }
}

/// Desired items from `<route>` elements written as XML attribute lists.
fn routes(iface: &str, lines: &[&str]) -> Vec<Item> {
    lines
        .iter()
        .map(|attrs| {
            let xml = format!("<route {attrs}/>");
            let element = netplug_plugin_testing::element_from_xml(&xml);
            let envelope = Envelope { name: iface.into(), kind: "ethernet".into(), ..Default::default() };
            Item { interface: iface.into(), kind: "ethernet".into(), envelope: Some(envelope), element }
        })
        .collect()
}

fn scope(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

/// Read, plan and apply; the changes made.
fn converge(desired: &[Item], names: &[&str]) -> Vec<Change> {
    netplug_plugin_testing::converge(&RoutesPlugin, desired, &scope(names))
}

fn replan(desired: &[Item], names: &[&str]) -> Vec<String> {
    netplug_plugin_testing::replan(&RoutesPlugin, desired, &scope(names))
}

/// Read then plan, as verification does; answers the descriptions as `interface: description`.
fn replan_both_ways(desired: &[Item], names: &[&str]) -> Vec<String> {
    let scope = scope(names);
    let live = RoutesPlugin.read(Some(&scope)).unwrap();
    descriptions(&RoutesPlugin.plan(desired, &live, &scope).unwrap())
}

fn descriptions(changes: &[Change]) -> Vec<String> {
    changes.iter().map(|c| format!("{}: {}", c.interface, c.description)).collect()
}

fn kernel_routes(s: &mut Socket) -> Vec<Route> {
    s.dump_routes(Family::All, None).unwrap()
}

fn find<'a>(rs: &'a [Route], dst: &str, len: u8) -> &'a Route {
    rs.iter()
        .find(|r| r.dst == Some(ip(dst)) && r.dst_len == len)
        .unwrap_or_else(|| panic!("no route {dst}/{len} in {rs:#?}"))
}

const EVERY_TYPE: &[&str] = &[
    r#"gateway="10.0.0.254""#,
    r#"destination="10.10.0.0/16" gateway="10.0.0.253" metric="100""#,
    r#"destination="10.11.0.0/16" type="unicast""#,
    r#"destination="10.12.0.0/16""#,
    r#"destination="10.13.0.0/16" type="blackhole""#,
    r#"destination="10.14.0.0/16" type="prohibit" table="100""#,
    r#"destination="10.15.0.0/16" gateway="10.0.0.252" table="100""#,
    r#"destination="10.16.0.0/16" gateway="203.0.113.1" onlink="yes""#,
    r#"prefix="2001:db8:10::/48" nexthop="2001:db8::fe""#,
    r#"destination="2001:db8:11::/48" metric="1024""#,
    r#"destination="2001:db8:12::/48" type="unicast" metric="7" table="1000""#,
];

#[test]
fn routes_of_every_type_are_applied_read_back_and_idempotent() {
    in_new_netns(|| {
        let mut s = Socket::route().unwrap();
        nics(&mut s);
        let want = routes("eth0", EVERY_TYPE);
        let changes = converge(&want, &["eth0", "eth1"]);
        assert_eq!(changes.len(), EVERY_TYPE.len());
        assert!(replan(&want, &["eth0", "eth1"]).is_empty(), "a second plan finds nothing to do");

        let eth0 = s.link_by_name("eth0").unwrap().unwrap().index;
        let rs = kernel_routes(&mut s);
        let r = rs
            .iter()
            .find(|r| r.dst_len == 0 && r.protocol == RTPROT_NETPLUG && r.family == Family::V4)
            .unwrap();
        assert_eq!((r.gateway, r.oif, r.kind), (Some(ip("10.0.0.254")), Some(eth0), RouteType::Unicast));
        assert_eq!(find(&rs, "10.10.0.0", 16).priority, Some(100));
        let r = find(&rs, "10.11.0.0", 16);
        assert_eq!((r.gateway, r.oif, r.scope), (None, Some(eth0), libc::RT_SCOPE_LINK));
        let r = find(&rs, "10.12.0.0", 16);
        assert_eq!(
            (r.kind, r.oif, r.rtax(RTAX_INITRWND)),
            (RouteType::Unreachable, None, Some(owner_tag("eth0")))
        );
        assert_eq!(find(&rs, "10.13.0.0", 16).kind, RouteType::Blackhole);
        assert_eq!(
            (find(&rs, "10.14.0.0", 16).kind, find(&rs, "10.14.0.0", 16).table),
            (RouteType::Prohibit, 100)
        );
        assert_eq!(find(&rs, "10.15.0.0", 16).table, 100);
        assert_ne!(find(&rs, "10.16.0.0", 16).flags & RTNH_F_ONLINK, 0);
        let r = find(&rs, "2001:db8:10::", 48);
        assert_eq!((r.gateway, r.priority), (Some(ip("2001:db8::fe")), Some(1024)));
        assert_eq!(find(&rs, "2001:db8:11::", 48).kind, RouteType::Unreachable);
        let r = find(&rs, "2001:db8:12::", 48);
        assert_eq!((r.table, r.priority, r.oif), (1000, Some(7), Some(eth0)));
        assert!(rs.iter().filter(|r| r.dst_len != 64 && r.dst_len != 128 && r.dst_len != 8).all(|r| r
            .protocol
            == RTPROT_NETPLUG
            || r.protocol == libc::RTPROT_KERNEL
            || r.table == 255));

        // Read back: every route under eth0, in the vocabulary, and nothing for eth1.
        let live = RoutesPlugin.read(None).unwrap();
        assert_eq!(live.len(), EVERY_TYPE.len());
        assert!(live.iter().all(|i| i.interface == "eth0" && i.envelope.as_ref().unwrap().name == "eth0"));
        let shown: Vec<String> =
            live.iter().map(|i| netplug_plugin_testing::element_to_xml(&i.element)).collect();
        assert!(
            shown.iter().any(|x| x.contains(r#"destination="10.12.0.0/16" type="unreachable""#)),
            "{shown:#?}"
        );
        assert!(
            shown.iter().any(|x| x.contains(r#"destination="2001:db8:11::/48" type="unreachable""#)),
            "{shown:#?}"
        );
        assert!(RoutesPlugin.read(Some(&scope(&["eth1"]))).unwrap().is_empty());
    });
}

#[test]
fn removal_takes_only_netplugs_routes_of_the_interfaces_in_scope() {
    in_new_netns(|| {
        let mut s = Socket::route().unwrap();
        nics(&mut s);
        let eth0 = s.link_by_name("eth0").unwrap().unwrap().index;
        let mut want = routes(
            "eth0",
            &[r#"destination="10.20.0.0/16" gateway="10.0.0.254""#, r#"destination="10.21.0.0/16""#],
        );
        want.extend(routes(
            "eth1",
            &[r#"destination="10.22.0.0/16""#, r#"destination="2001:db8:22::/48" type="blackhole""#],
        ));
        converge(&want, &["eth0", "eth1"]);
        // Routes of another protocol, on the same interface and destinations nearby.
        s.request(
            RouteMessage::add(ip("10.23.0.0"), 16).gateway(ip("10.0.0.9")).protocol(RTPROT_BOOT).build(),
        )
        .unwrap();
        s.request(RouteMessage::add(ip("10.24.0.0"), 16).oif(eth0).protocol(RTPROT_BOOT).build()).unwrap();
        s.request(
            RouteMessage::add(ip("10.25.0.0"), 16).kind(RouteType::Unreachable).protocol(RTPROT_BOOT).build(),
        )
        .unwrap();

        // eth0 keeps one route; eth1 is not in this run's scope, so its routes stay.
        let keep = routes("eth0", &[r#"destination="10.20.0.0/16" gateway="10.0.0.254""#]);
        let changes = converge(&keep, &["eth0"]);
        assert_eq!(
            changes.iter().map(|c| c.description.as_str()).collect::<Vec<_>>(),
            ["remove unreachable route 10.21.0.0/16"]
        );
        let rs = kernel_routes(&mut s);
        for (dst, there) in [
            ("10.20.0.0", true),
            ("10.21.0.0", false),
            ("10.22.0.0", true),
            ("10.23.0.0", true),
            ("10.24.0.0", true),
            ("10.25.0.0", true),
        ] {
            assert_eq!(rs.iter().any(|r| r.dst == Some(ip(dst))), there, "{dst}");
        }

        // Now eth1 with nothing declared: both of its refusing routes go, nothing else.
        converge(&keep, &["eth0", "eth1"]);
        let rs = kernel_routes(&mut s);
        assert!(!rs.iter().any(|r| r.dst == Some(ip("10.22.0.0")) || r.dst == Some(ip("2001:db8:22::"))));
        let boot = rs.iter().filter(|r| r.protocol == RTPROT_BOOT).count();
        assert_eq!(boot, 3, "a foreign route was removed: {rs:#?}");
        assert!(replan(&keep, &["eth0", "eth1"]).is_empty());
    });
}

#[test]
fn a_snapshot_is_restored_exactly() {
    in_new_netns(|| {
        let mut s = Socket::route().unwrap();
        nics(&mut s);
        let names = ["eth0", "eth1"];
        converge(&routes("eth0", EVERY_TYPE), &names);
        let snapshot = RoutesPlugin.read(Some(&scope(&names))).unwrap();

        // Change nearly everything: gateways, types, tables, an interface move, removals.
        let mut other = routes(
            "eth0",
            &[
                r#"gateway="10.0.0.250""#,
                r#"destination="10.10.0.0/16" gateway="10.0.0.253" metric="101""#,
                r#"destination="10.13.0.0/16" type="unreachable""#,
                r#"destination="2001:db8:10::/48" nexthop="2001:db8::fd" onlink="yes""#,
            ],
        );
        other.extend(routes(
            "eth1",
            &[r#"destination="10.12.0.0/16""#, r#"destination="10.30.0.0/16" type="unicast""#],
        ));
        converge(&other, &names);
        assert!(replan(&other, &names).is_empty());

        converge(&snapshot, &names);
        assert_eq!(RoutesPlugin.read(Some(&scope(&names))).unwrap(), snapshot);
        assert!(replan(&routes("eth0", EVERY_TYPE), &names).is_empty());
        let owner = find(&kernel_routes(&mut s), "10.12.0.0", 16).rtax(RTAX_INITRWND);
        assert_eq!(owner, Some(owner_tag("eth0")), "the refusing route is eth0's again");
    });
}

#[test]
fn kernel_errors_carry_the_extended_ack_and_the_failing_change() {
    in_new_netns(|| {
        let mut s = Socket::route().unwrap();
        nics(&mut s);
        let want = routes(
            "eth0",
            &[
                r#"destination="10.40.0.0/16" gateway="10.0.0.254""#,
                r#"destination="10.41.0.0/16" gateway="172.16.0.1""#,
            ],
        );
        let live = RoutesPlugin.read(Some(&scope(&["eth0"]))).unwrap();
        let changes = RoutesPlugin.plan(&want, &live, &scope(&["eth0"])).unwrap();
        let err = RoutesPlugin.apply(&changes).unwrap_err();
        assert_eq!(err.index, 1);
        assert_eq!(err.error.interface.as_deref(), Some("eth0"));
        assert_eq!(err.error.errno, Some(libc::ENETUNREACH));
        assert_eq!(err.error.ext_ack.as_deref(), Some("Nexthop has invalid gateway"));

        // A route netplug did not add holds the key: netplug says so instead of taking it over.
        s.request(
            RouteMessage::add(ip("10.42.0.0"), 16).gateway(ip("10.0.0.9")).protocol(RTPROT_BOOT).build(),
        )
        .unwrap();
        let want = routes("eth0", &[r#"destination="10.42.0.0/16" gateway="10.0.0.254""#]);
        let live = RoutesPlugin.read(Some(&scope(&["eth0"]))).unwrap();
        let changes = RoutesPlugin.plan(&want, &live, &scope(&["eth0"])).unwrap();
        let err = RoutesPlugin.apply(&changes).unwrap_err();
        assert_eq!(err.error.errno, Some(libc::EEXIST));
        let text = err.error.to_string();
        assert!(text.contains("another route 10.42.0.0/16 exists"), "{text}");
        assert_eq!(find(&kernel_routes(&mut s), "10.42.0.0", 16).protocol, RTPROT_BOOT);
    });
}

#[test]
fn refusing_routes_belong_to_the_interface_that_declared_them() {
    in_new_netns(|| {
        let mut s = Socket::route().unwrap();
        nics(&mut s);
        let mut want = routes("eth0", &[r#"destination="10.50.0.0/16""#]);
        want.extend(routes("eth1", &[r#"destination="10.51.0.0/16" type="prohibit""#]));
        // An interface that does not exist yet may own one too: its name is what is recorded.
        want.extend(routes("vpn0", &[r#"destination="10.52.0.0/16" type="blackhole""#]));
        converge(&want, &["eth0", "eth1", "vpn0"]);

        let by_name = |names: &[&str]| -> Vec<(String, String)> {
            let items = RoutesPlugin.read(Some(&scope(names))).unwrap();
            items
                .into_iter()
                .map(|i| (i.interface, i.element.value("destination").unwrap().to_string()))
                .collect()
        };
        assert_eq!(by_name(&["eth1"]), [("eth1".to_string(), "10.51.0.0/16".to_string())]);
        assert_eq!(by_name(&["vpn0"]), [("vpn0".to_string(), "10.52.0.0/16".to_string())]);
        let all = RoutesPlugin.read(None).unwrap();
        assert_eq!(all.len(), 2, "vpn0 is no link, so reading everything cannot name its route");

        // A run over eth1 alone (as `netplug stop eth1` would be) removes eth1's only.
        let changes = converge(&[], &["eth1"]);
        assert_eq!(changes.len(), 1);
        let left: Vec<_> = s
            .dump_routes_filtered(
                Family::V4,
                &RouteFilter { protocol: Some(RTPROT_NETPLUG), ..Default::default() },
            )
            .unwrap()
            .into_iter()
            .map(|r| r.dst.unwrap().to_string())
            .collect();
        assert_eq!(left, ["10.50.0.0", "10.52.0.0"]);
        // Re-creating eth1 under the same name keeps ownership; a plain read finds it again.
        converge(&routes("eth1", &[r#"destination="10.51.0.0/16" type="prohibit""#]), &["eth1"]);
        let eth1 = s.link_by_name("eth1").unwrap().unwrap().index;
        s.request(netplug_plugin_sdk::netlink::delete_link(eth1)).unwrap();
        s.request(LinkMessage::create("eth1", "veth").veth_peer("eth1p").up().build()).unwrap();
        assert_eq!(by_name(&["eth1"]), [("eth1".to_string(), "10.51.0.0/16".to_string())]);
    });
}

#[test]
fn a_full_table_of_other_routes_is_neither_read_nor_touched() {
    in_new_netns(|| {
        let mut s = Socket::route().unwrap();
        nics(&mut s);
        let eth0 = s.link_by_name("eth0").unwrap().unwrap().index;
        // A routing daemon's table beside netplug's few routes, on the same interface.
        let bgp = (0..10_000u32)
            .map(|i| {
                let dst = IpAddr::V4(std::net::Ipv4Addr::from(0x6400_0000 + (i << 8)));
                RouteMessage::add(dst, 24).gateway(ip("10.0.0.9")).oif(eth0).protocol(186).build()
            })
            .collect();
        s.batch(bgp).unwrap();
        let want = routes(
            "eth0",
            &[r#"destination="10.60.0.0/16" gateway="10.0.0.254""#, r#"destination="10.61.0.0/16""#],
        );
        converge(&want, &["eth0"]);
        assert_eq!(RoutesPlugin.read(Some(&scope(&["eth0"]))).unwrap().len(), 2);
        assert!(replan(&want, &["eth0"]).is_empty());
        converge(&[], &["eth0"]);
        let left = kernel_routes(&mut s);
        assert_eq!(left.iter().filter(|r| r.protocol == 186).count(), 10_000);
        assert!(!left.iter().any(|r| r.protocol == RTPROT_NETPLUG));
    });
}

#[test]
fn reading_element_shapes_validate_cleanly() {
    // What read reports must be a document the plugin accepts (show → edit → apply).
    let items = routes("eth0", EVERY_TYPE);
    let round: Vec<Item> = items
        .iter()
        .map(|i| {
            let spec = netplug_plugin_routes::spec::RouteSpec::from_element(&i.element).unwrap();
            Item { element: spec.to_element(), ..i.clone() }
        })
        .collect();
    let v = RoutesPlugin.validate(&round);
    assert!(v.diagnostics.is_empty(), "{:#?}", v.diagnostics);
    let _ = Element::new("route");
}

#[test]
fn replan_reads_the_kernel_as_read_and_plan_do() {
    in_new_netns(|| {
        let mut s = Socket::route().unwrap();
        nics(&mut s);
        let both = ["eth0", "eth1"];
        assert_eq!(replan_both_ways(&routes("eth0", EVERY_TYPE), &both).len(), EVERY_TYPE.len());
        let mut want = routes("eth0", EVERY_TYPE);
        want.extend(routes("eth1", &[r#"destination="10.80.0.0/16" type="prohibit""#]));
        want.extend(routes("vpn0", &[r#"destination="10.81.0.0/16" type="blackhole""#]));
        converge(&want, &["eth0", "eth1", "vpn0"]);
        assert!(replan_both_ways(&want, &["eth0", "eth1", "vpn0"]).is_empty(), "matching");

        // A changed gateway and type, a stale route, an added one, a refusing route moving
        // between interfaces, and the same key written twice (the later one counts).
        let mut other = routes(
            "eth0",
            &[
                r#"gateway="10.0.0.250""#,
                r#"destination="10.10.0.0/16" gateway="10.0.0.253" metric="100""#,
                r#"destination="10.13.0.0/16" type="prohibit""#,
                r#"destination="10.90.0.0/16" gateway="10.0.0.9""#,
                r#"destination="10.90.0.0/16" gateway="10.0.0.8""#,
                r#"destination="2001:db8:10::/48" nexthop="2001:db8::fd" onlink="yes""#,
            ],
        );
        other.extend(routes("eth1", &[r#"destination="10.12.0.0/16""#]));
        let changes = replan_both_ways(&other, &["eth0", "eth1", "vpn0"]);
        for expected in [
            "eth0: remove route 10.11.0.0/16 on the link",
            "eth1: remove prohibit route 10.80.0.0/16",
            "vpn0: remove blackhole route 10.81.0.0/16",
            "eth0: change route 0.0.0.0/0: via 10.0.0.250 (was via 10.0.0.254)",
            "eth0: change route 10.13.0.0/16: type prohibit (was blackhole)",
            "eth0: add route 10.90.0.0/16 via 10.0.0.8",
            "eth0: change route 2001:db8:10::/48: via 2001:db8::fd (was via 2001:db8::fe), onlink yes (was no)",
            "eth1: add unreachable route 10.12.0.0/16",
        ] {
            assert!(changes.iter().any(|c| c == expected), "no `{expected}` in {changes:#?}");
        }

        // Out of scope: eth1's and vpn0's routes are neither read nor removed.
        let eth0_only = replan_both_ways(&other, &["eth0"]);
        assert!(eth0_only.iter().all(|c| c.starts_with("eth0: ")), "{eth0_only:#?}");
        assert_eq!(replan_both_ways(&[], &["eth1"]), ["eth1: remove prohibit route 10.80.0.0/16"]);
        // A scope naming an interface twice plans it once; one with no routes plans nothing.
        assert!(replan_both_ways(&want, &["eth1", "eth1", "lo"]).is_empty());

        // An interface about to be deleted loses every route it declared, refusing ones too.
        let mut gone = routes("eth0", &[r#"gateway="10.0.0.254""#]);
        gone[0].envelope.as_mut().unwrap().state = netplug_plugin_sdk::LinkState::Absent;
        assert_eq!(replan_both_ways(&gone, &["eth0"]).len(), EVERY_TYPE.len());
    });
}

/// `table` naming a VRF: a device of another kind is refused by plan; a VRF that does not
/// exist when the plan is made is looked up when the route is added, and its absence then is
/// an error naming it. (This kernel has no VRFs: the guest's vm_vrf and vm_container_host
/// add routes to live ones.)
#[test]
fn a_table_naming_no_vrf_is_refused() {
    in_new_netns(|| {
        let mut s = Socket::route().unwrap();
        nics(&mut s);
        let onto = |table: &str| {
            routes("eth0", &[&format!(r#"destination="10.9.0.0/16" type="unicast" table="{table}""#)])
        };
        let err = RoutesPlugin.plan(&onto("eth1"), &[], &scope(&["eth0"])).unwrap_err();
        assert_eq!(err.interface.as_deref(), Some("eth0"));
        assert!(err.to_string().contains(r#"<route table="eth1">: eth1 is a veth, not a VRF"#), "{err}");

        let changes = RoutesPlugin.plan(&onto("blue"), &[], &scope(&["eth0"])).unwrap();
        assert_eq!(descriptions(&changes), ["eth0: add route 10.9.0.0/16 on the link table blue"]);
        let err = RoutesPlugin.apply(&changes).unwrap_err();
        assert_eq!((err.index, err.error.interface.as_deref()), (0, Some("eth0")));
        assert!(err.error.to_string().contains("table blue: no VRF blue exists"), "{}", err.error);
        assert!(RoutesPlugin.read(None).unwrap().is_empty());
    });
}
