//! Proves the vm tier works: inside the guest kernel (`cargo xtask vm-test`), a bond, a dummy
//! port and a VLAN on the bond, the link kinds this machine's kernel lacks.

use netplug_netlink::linux_raw_sys::netlink as nl;
use netplug_netlink::testing::in_new_netns;
use netplug_netlink::{AttrBuilder, Link, LinkMessage, Socket};

fn link(sock: &mut Socket, name: &str) -> Link {
    sock.link_by_name(name).unwrap().unwrap_or_else(|| panic!("{name} exists"))
}

#[test]
#[ignore = "needs link kinds this kernel lacks: runs in the qemu guest (cargo xtask vm-test)"]
fn bond_enslaves_a_dummy_and_carries_a_vlan() {
    in_new_netns(|| {
        let mut s = Socket::route().unwrap();
        s.request(LinkMessage::create("dummy0", "dummy").build()).unwrap();
        let mut bond = AttrBuilder::new();
        bond.put_u8(nl::IFLA_BOND_MODE as u16, 1); // active-backup
        s.request(LinkMessage::create("bond0", "bond").info_data(bond).build()).unwrap();
        let bond0 = link(&mut s, "bond0");
        assert_eq!(bond0.kind.as_deref(), Some("bond"));
        assert_eq!(bond0.info_data().get(nl::IFLA_BOND_MODE as u16).and_then(|a| a.u8()), Some(1));

        let dummy0 = link(&mut s, "dummy0");
        assert_eq!(dummy0.kind.as_deref(), Some("dummy"));
        s.request(LinkMessage::change(dummy0.index).master(bond0.index).build()).unwrap();
        s.request(LinkMessage::change(bond0.index).up().build()).unwrap();
        let dummy0 = link(&mut s, "dummy0");
        assert_eq!(dummy0.master, Some(bond0.index));
        assert_eq!(dummy0.slave_kind.as_deref(), Some("bond"));
        assert!(dummy0.is_up(), "a bond brings its ports up with it");

        let mut vlan = AttrBuilder::new();
        vlan.put_u16(nl::IFLA_VLAN_ID as u16, 10);
        s.request(LinkMessage::create("bond0.10", "vlan").parent(bond0.index).info_data(vlan).build())
            .unwrap();
        let vlan = link(&mut s, "bond0.10");
        assert_eq!(vlan.kind.as_deref(), Some("vlan"));
        assert_eq!(vlan.parent, Some(bond0.index));
        assert_eq!(vlan.info_data().get(nl::IFLA_VLAN_ID as u16).and_then(|a| a.u16()), Some(10));

        s.request(LinkMessage::change(dummy0.index).nomaster().build()).unwrap();
        assert_eq!(link(&mut s, "dummy0").master, None);
    });
}
