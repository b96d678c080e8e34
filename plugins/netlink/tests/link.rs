//! Links against the real kernel, each test in its own network namespace.

use linux_raw_sys::netlink as nl;
use netplug_netlink::testing::in_new_netns;
use netplug_netlink::{delete_link, AttrBuilder, Link, LinkMessage, OperState, Socket};

fn link(sock: &mut Socket, name: &str) -> Link {
    sock.link_by_name(name).unwrap().unwrap_or_else(|| panic!("{name} exists"))
}

#[test]
fn veth_pair_lifecycle() {
    in_new_netns(|| {
        let mut s = Socket::route().unwrap();
        s.request(LinkMessage::create("veth0", "veth").veth_peer("veth1").build()).unwrap();
        let v0 = link(&mut s, "veth0");
        let v1 = link(&mut s, "veth1");
        assert_eq!(v0.kind.as_deref(), Some("veth"));
        assert_eq!(v0.parent, Some(v1.index), "a veth's IFLA_LINK is its peer");
        assert_eq!(v0.min_mtu, Some(68));
        assert!(!v0.is_up());

        let mac = [0x02, 0, 0, 0, 0, 0x42];
        s.request(LinkMessage::change(v0.index).mtu(9000).address(&mac).up().build()).unwrap();
        s.request(LinkMessage::change(v1.index).up().build()).unwrap();
        let v0 = link(&mut s, "veth0");
        assert_eq!(v0.mtu, Some(9000));
        assert_eq!(v0.address.as_deref(), Some(&mac[..]));
        assert!(v0.is_up());
        assert!(v0.is_lower_up(), "peer is up, so carrier is on");
        assert_eq!(v0.operstate, OperState::Up);

        // Enslave to a bridge, read the port's slave kind, then release it.
        s.request(LinkMessage::create("br0", "bridge").build()).unwrap();
        let br = link(&mut s, "br0");
        s.request(LinkMessage::change(v0.index).master(br.index).build()).unwrap();
        let v0 = link(&mut s, "veth0");
        assert_eq!(v0.master, Some(br.index));
        assert_eq!(v0.slave_kind.as_deref(), Some("bridge"));
        let state = v0.slave_data().get(nl::IFLA_BRPORT_STATE as u16).and_then(|a| a.u8());
        assert!(state.is_some(), "bridge port data is readable");
        s.request(LinkMessage::change(v0.index).nomaster().build()).unwrap();
        assert_eq!(link(&mut s, "veth0").master, None);

        s.request(LinkMessage::change(v0.index).down().rename("uplink").build()).unwrap();
        assert!(s.link_by_name("veth0").unwrap().is_none());
        assert!(!link(&mut s, "uplink").is_up());

        s.request(delete_link(v0.index)).unwrap();
        assert!(s.link_by_index(v0.index).unwrap().is_none());
        assert!(s.link_by_name("veth1").unwrap().is_none(), "deleting one end removes the pair");
        let err = s.request(delete_link(v0.index)).unwrap_err();
        assert!(err.is_not_found(), "{err}");
    });
}

#[test]
fn bridge_options_are_sent_and_read_back() {
    in_new_netns(|| {
        let mut s = Socket::route().unwrap();
        let mut data = AttrBuilder::new();
        data.put_u32(nl::IFLA_BR_STP_STATE as u16, 1)
            .put_u32(nl::IFLA_BR_FORWARD_DELAY as u16, 400)
            .put_u16(nl::IFLA_BR_PRIORITY as u16, 4096)
            .put_u32(nl::IFLA_BR_AGEING_TIME as u16, 20000);
        // (No IFLA_BR_VLAN_FILTERING: this host's kernel lacks CONFIG_BRIDGE_VLAN_FILTERING.)
        s.request(LinkMessage::create("br0", "bridge").info_data(data).build()).unwrap();
        let br = link(&mut s, "br0");
        assert_eq!(br.kind.as_deref(), Some("bridge"));
        let get = |k: u32| br.info_data().get(k as u16).unwrap_or_else(|| panic!("IFLA_BR {k}"));
        assert_eq!(get(nl::IFLA_BR_STP_STATE as u32).u32(), Some(1));
        assert_eq!(get(nl::IFLA_BR_FORWARD_DELAY as u32).u32(), Some(400));
        assert_eq!(get(nl::IFLA_BR_PRIORITY as u32).u16(), Some(4096));
        assert_eq!(get(nl::IFLA_BR_AGEING_TIME as u32).u32(), Some(20000));

        // Changing kind data of an existing link: RTM_NEWLINK with the kind, no NLM_F_CREATE.
        let mut data = AttrBuilder::new();
        data.put_u32(nl::IFLA_BR_STP_STATE as u16, 0);
        let req = LinkMessage::change(br.index).kind("bridge").info_data(data).build();
        assert_eq!(req.op(), "set bridge options");
        s.request(req).unwrap();
        let br = link(&mut s, "br0");
        assert_eq!(br.info_data().get(nl::IFLA_BR_STP_STATE as u16).and_then(|a| a.u32()), Some(0));
    });
}

#[test]
fn ext_ack_text_reaches_the_error() {
    in_new_netns(|| {
        let mut s = Socket::route().unwrap();
        s.request(LinkMessage::create("veth0", "veth").veth_peer("veth1").build()).unwrap();
        let v0 = link(&mut s, "veth0");
        let err = s.request(LinkMessage::change(v0.index).mtu(10).build()).unwrap_err();
        assert_eq!(err.errno, Some(libc::EINVAL));
        // net/core/dev.c dev_validate_mtu()
        assert_eq!(err.ext_ack.as_deref(), Some("mtu less than device minimum"));
        assert_eq!(err.to_string(), "set mtu 10: Invalid argument (mtu less than device minimum)");

        let err = s.request(LinkMessage::create("x0", "no-such-kind").build()).unwrap_err();
        assert_eq!(err.to_string(), "create no-such-kind: Operation not supported (Unknown device type)");
        let err = s.request(LinkMessage::create("veth0", "bridge").build()).unwrap_err();
        assert!(err.is_exists(), "{err}");
    });
}

#[test]
fn dump_links_sees_everything() {
    in_new_netns(|| {
        let mut s = Socket::route().unwrap();
        for i in 0..20 {
            s.request(LinkMessage::create(&format!("br{i}"), "bridge").build()).unwrap();
        }
        let links = s.dump_links().unwrap();
        assert_eq!(links.len(), 21, "lo and 20 bridges");
        let lo = links.iter().find(|l| l.name == "lo").unwrap();
        assert!(lo.is_up());
        assert_eq!(lo.kind, None);
        assert!(links.iter().filter(|l| l.kind.as_deref() == Some("bridge")).count() == 20);
    });
}

#[test]
fn kinds_missing_from_this_kernel_fail_clearly() {
    // bond, 8021q and dummy are tested in the qemu guest; here we only check the messages
    // are well-formed enough for the kernel to answer about the kind, not the framing.
    in_new_netns(|| {
        let mut s = Socket::route().unwrap();
        s.request(LinkMessage::create("eth0", "veth").veth_peer("eth1").build()).unwrap();
        let parent = link(&mut s, "eth0").index;
        let mut vlan = AttrBuilder::new();
        vlan.put_u16(nl::IFLA_VLAN_ID as u16, 10).put_be16(nl::IFLA_VLAN_PROTOCOL as u16, 0x8100);
        let req = LinkMessage::create("eth0.10", "vlan").parent(parent).info_data(vlan).build();
        match s.request(req) {
            Ok(()) => assert_eq!(link(&mut s, "eth0.10").parent, Some(parent)),
            Err(e) => assert!(e.is_not_supported(), "{e}"),
        }
    });
}
