//! Addresses and routes against the real kernel, each test in its own network namespace.

use std::net::IpAddr;
use std::time::Instant;

use netplug_netlink::consts::{RTPROT_NETPLUG, RT_SCOPE_LINK, RT_SCOPE_UNIVERSE};
use netplug_netlink::testing::in_new_netns;
use netplug_netlink::{AddrMessage, Family, LinkMessage, Request, RouteMessage, RouteType, Socket};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// A veth pair with `veth0` up (carrier on), returning veth0's index.
fn veth_up(s: &mut Socket) -> u32 {
    s.request(LinkMessage::create("veth0", "veth").veth_peer("veth1").up().build()).unwrap();
    let v1 = s.link_by_name("veth1").unwrap().unwrap();
    s.request(LinkMessage::change(v1.index).up().build()).unwrap();
    s.link_by_name("veth0").unwrap().unwrap().index
}

#[test]
fn addresses_v4_and_v6() {
    in_new_netns(|| {
        let mut s = Socket::route().unwrap();
        let idx = veth_up(&mut s);
        let brd = AddrMessage::v4_broadcast("192.0.2.1".parse().unwrap(), 24).unwrap();
        s.request(AddrMessage::add(idx, ip("192.0.2.1"), 24).broadcast(brd).build()).unwrap();
        // IFA_F_NODAD so the address is usable at once; lifetimes as a DHCP lease would set.
        let nodad = linux_raw_sys::netlink::IFA_F_NODAD;
        s.request(AddrMessage::add(idx, ip("2001:db8::1"), 64).flags(nodad).lifetimes(3600, 1800).build())
            .unwrap();

        let v4 = s.dump_addrs(Family::V4).unwrap();
        let a = v4.iter().find(|a| a.index == idx).expect("v4 address");
        assert_eq!((a.ip(), a.prefix_len), (Some(ip("192.0.2.1")), 24));
        assert_eq!(a.broadcast, Some("192.0.2.255".parse().unwrap()));
        assert!(v4.iter().all(|a| a.family == Family::V4));

        let v6 = s.dump_addrs(Family::V6).unwrap();
        let a = v6.iter().find(|a| a.ip() == Some(ip("2001:db8::1"))).expect("v6 address");
        assert_eq!((a.index, a.prefix_len), (idx, 64));
        assert!(a.flags & nodad != 0 && !a.is_tentative());
        assert!(a.valid_lifetime.unwrap() <= 3600 && a.valid_lifetime.unwrap() > 3500);
        assert!(a.preferred_lifetime.unwrap() <= 1800);

        let all = s.dump_addrs(Family::All).unwrap();
        assert!(all.len() > v4.len(), "an IPv6 address besides the IPv4 ones");

        let err = s.request(AddrMessage::add(idx, ip("192.0.2.1"), 24).build()).unwrap_err();
        assert!(err.is_exists(), "{err}");
        s.request(AddrMessage::delete(idx, ip("192.0.2.1"), 24).build()).unwrap();
        s.request(AddrMessage::delete(idx, ip("2001:db8::1"), 64).build()).unwrap();
        let left = s.dump_addrs(Family::All).unwrap();
        assert!(!left.iter().any(|a| a.ip() == Some(ip("192.0.2.1")) || a.ip() == Some(ip("2001:db8::1"))));
        let err = s.request(AddrMessage::delete(idx, ip("192.0.2.1"), 24).build()).unwrap_err();
        assert_eq!(err.to_string().split(':').next(), Some("delete address 192.0.2.1/24"));
    });
}

#[test]
fn routes_of_every_kind() {
    in_new_netns(|| {
        let mut s = Socket::route().unwrap();
        let idx = veth_up(&mut s);
        s.request(AddrMessage::add(idx, ip("10.0.0.1"), 24).build()).unwrap();

        let reqs: Vec<Request> = vec![
            RouteMessage::add(ip("10.1.0.0"), 16).gateway(ip("10.0.0.254")).metric(100).build(),
            RouteMessage::add(ip("10.2.0.0"), 16).oif(idx).build(), // on-link
            RouteMessage::add(ip("10.3.0.0"), 16).kind(RouteType::Unreachable).build(),
            RouteMessage::add(ip("10.4.0.0"), 16).kind(RouteType::Blackhole).build(),
            RouteMessage::add(ip("10.5.0.0"), 16).gateway(ip("10.0.0.254")).table(100).build(),
            RouteMessage::add(ip("10.6.0.0"), 16).oif(idx).table(1000).build(),
            RouteMessage::add(ip("0.0.0.0"), 0).gateway(ip("10.0.0.254")).build(),
        ];
        s.batch(reqs).unwrap();

        let main = s.dump_routes(Family::V4, Some(254)).unwrap();
        let find = |rs: &[netplug_netlink::Route], dst: &str| {
            rs.iter().find(|r| r.dst == Some(ip(dst))).cloned().unwrap_or_else(|| panic!("route {dst}"))
        };
        let r = find(&main, "10.1.0.0");
        assert_eq!((r.gateway, r.priority, r.oif), (Some(ip("10.0.0.254")), Some(100), Some(idx)));
        assert_eq!(
            (r.protocol, r.scope, r.kind, r.table),
            (RTPROT_NETPLUG, RT_SCOPE_UNIVERSE, RouteType::Unicast, 254)
        );
        let r = find(&main, "10.2.0.0");
        assert_eq!((r.gateway, r.scope, r.oif), (None, RT_SCOPE_LINK, Some(idx)));
        assert_eq!(find(&main, "10.3.0.0").kind, RouteType::Unreachable);
        assert_eq!(find(&main, "10.4.0.0").kind, RouteType::Blackhole);
        let default = main.iter().find(|r| r.dst_len == 0).expect("default route");
        assert_eq!((default.dst, default.gateway), (None, Some(ip("10.0.0.254"))));
        assert!(main.iter().all(|r| r.table == 254));

        let t100 = s.dump_routes(Family::V4, Some(100)).unwrap();
        assert_eq!(t100.len(), 1);
        assert_eq!(find(&t100, "10.5.0.0").table, 100);
        let t1000 = s.dump_routes(Family::V4, Some(1000)).unwrap();
        assert_eq!(find(&t1000, "10.6.0.0").table, 1000, "tables above 255 come from RTA_TABLE");

        // Replace changes the metric key-less attributes in place; delete finds it by key.
        s.request(RouteMessage::replace(ip("10.2.0.0"), 16).oif(idx).prefsrc(ip("10.0.0.1")).build())
            .unwrap();
        let r = find(&s.dump_routes(Family::V4, Some(254)).unwrap(), "10.2.0.0");
        assert_eq!(r.prefsrc, Some(ip("10.0.0.1")));
        s.request(RouteMessage::delete(ip("10.6.0.0"), 16).table(1000).build()).unwrap();
        assert!(s.dump_routes(Family::V4, Some(1000)).unwrap().is_empty());
        let err = s.request(RouteMessage::delete(ip("10.6.0.0"), 16).table(1000).build()).unwrap_err();
        assert!(err.is_not_found(), "{err}");

        // An unreachable gateway: the kernel explains.
        let err =
            s.request(RouteMessage::add(ip("10.9.0.0"), 16).gateway(ip("172.16.0.1")).build()).unwrap_err();
        assert_eq!(err.errno, Some(libc::ENETUNREACH));
        assert!(err.ext_ack.is_some(), "{err}");

        s.request(RouteMessage::add(ip("2001:db8:1::"), 48).oif(idx).metric(7).build()).unwrap();
        let v6 = s.dump_routes(Family::V6, None).unwrap();
        let r = v6.iter().find(|r| r.dst == Some(ip("2001:db8:1::"))).unwrap();
        assert_eq!((r.dst_len, r.priority, r.protocol), (48, Some(7), RTPROT_NETPLUG));
    });
}

#[test]
fn ten_thousand_routes_dump_quickly() {
    in_new_netns(|| {
        let mut s = Socket::route().unwrap();
        let idx = veth_up(&mut s);
        let reqs = (0..10_000u32)
            .map(|i| {
                let dst = IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + (i << 8)));
                RouteMessage::add(dst, 24).oif(idx).build()
            })
            .collect();
        s.batch(reqs).unwrap();
        let t = Instant::now();
        let routes = s.dump_routes(Family::V4, Some(254)).unwrap();
        let took = t.elapsed();
        assert!(routes.len() >= 10_000);
        // Measured about 10 ms in a debug build; the bound only catches a pathological parser.
        assert!(took.as_millis() < 1000, "dumping 10,000 routes took {took:?}");
    });
}
