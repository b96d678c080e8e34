//! Kernel objects → items, from dumps made up here (the kernel tests read real ones).

use std::net::IpAddr;

use netplug_plugin_sdk::netlink::consts::{IFA_PROTO_NETPLUG, RTPROT_NETPLUG_GATEWAY, RT_TABLE_MAIN};
use netplug_plugin_sdk::netlink::uapi::IFA_F_PERMANENT;
use netplug_plugin_sdk::netlink::LinkTable;
use netplug_plugin_sdk::netlink::RouteType;
use netplug_plugin_sdk::netlink::{Address, Family, Link, Route};

use super::items;

fn link(index: u32, name: &str) -> Link {
    Link { index, name: name.into(), ..Default::default() }
}

fn addr(index: u32, ip: &str, prefix_len: u8, proto: Option<u8>) -> Address {
    let ip: IpAddr = ip.parse().unwrap();
    Address {
        index,
        family: if ip.is_ipv4() { Family::V4 } else { Family::V6 },
        prefix_len,
        flags: IFA_F_PERMANENT,
        scope: 0,
        local: ip.is_ipv4().then_some(ip),
        address: Some(ip),
        broadcast: None,
        label: None,
        valid_lifetime: None,
        preferred_lifetime: None,
        proto,
    }
}

fn gateway(oif: u32, gw: &str, protocol: u8) -> Route {
    Route {
        family: Family::V4,
        dst: None,
        dst_len: 0,
        table: RT_TABLE_MAIN,
        protocol,
        scope: 0,
        kind: RouteType::Unicast,
        flags: 0,
        gateway: Some(gw.parse().unwrap()),
        oif: Some(oif),
        priority: None,
        prefsrc: None,
        multipath: Vec::new(),
        rtax: Vec::new(),
    }
}

/// `interface: element` per item.
fn show(table: &LinkTable, addrs: &[Address], routes: &[Route], names: Option<&[String]>) -> Vec<String> {
    items(table, addrs, routes, names)
        .iter()
        .map(|i| {
            let attrs: Vec<String> =
                i.element.attributes.iter().map(|a| format!("{}={}", a.name, a.value)).collect();
            format!("{}: {}", i.interface, attrs.join(" "))
        })
        .collect()
}

#[test]
fn objects_of_interleaved_dumps_land_on_their_links_in_kernel_order() {
    let table = LinkTable::from_links(vec![link(1, "lo"), link(2, "eth0"), link(3, "eth1"), link(4, "eth2")]);
    let ours = Some(IFA_PROTO_NETPLUG);
    let addrs = [
        addr(3, "10.1.0.1", 24, ours),
        addr(1, "127.0.0.1", 8, None),
        addr(2, "10.0.0.1", 24, ours),
        addr(3, "10.1.0.2", 24, None),
        addr(2, "10.0.0.2", 24, ours),
    ];
    let routes = [
        gateway(3, "10.1.0.254", RTPROT_NETPLUG_GATEWAY),
        gateway(2, "10.0.0.254", 4),
        gateway(4, "10.2.0.254", RTPROT_NETPLUG_GATEWAY),
    ];
    assert_eq!(
        show(&table, &addrs, &routes, None),
        [
            "eth0: ipaddr=10.0.0.1/24",
            "eth0: ipaddr=10.0.0.2/24",
            "eth1: ipaddr=10.1.0.1/24 gateway=10.1.0.254",
            "eth1: ipaddr=10.1.0.2/24 foreign=manual",
            "eth2: gateway=10.2.0.254",
        ]
    );
    let names = ["eth1".to_string(), "eth9".to_string()];
    assert_eq!(
        show(&table, &addrs, &routes, Some(&names)),
        ["eth1: ipaddr=10.1.0.1/24 gateway=10.1.0.254", "eth1: ipaddr=10.1.0.2/24 foreign=manual"]
    );
}
