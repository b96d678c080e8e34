//! The bond plugin against a real kernel, each test in a network namespace of its own.
//!
//! Kernels without the bonding driver (the development hosts) cannot run these, so every test
//! is `#[ignore]`d: the host reports them as ignored, and `cargo xtask vm-test` runs them (with
//! `--include-ignored`) in a Debian kernel that has it. Slaves are veth pairs, which any kernel has.

use netplug_plugin_bond::values::BondMode;
use netplug_plugin_bond::BondPlugin;
use netplug_plugin_sdk::netlink::{LinkMessage, Socket};
use netplug_plugin_sdk::{Change, Element, Envelope, Item, LinkState, Phase, Plugin};
use netplug_plugin_testing::{in_new_netns, names};

/// A desired `<bond>`; slaves are `name`, or `name*` for the primary, `name-` for primary="no".
fn bond(name: &str, attrs: &[(&str, &str)], slaves: &[&str]) -> Item {
    let mut element = Element::new("bond");
    for (k, v) in attrs {
        element.set_attr(*k, *v);
    }
    for s in slaves {
        let mut slave = Element::new("slave").with_attr("device", s.trim_end_matches(['*', '-']));
        if s.ends_with('*') {
            slave.set_attr("primary", "yes");
        } else if s.ends_with('-') {
            slave.set_attr("primary", "no");
        }
        element.children.push(slave);
    }
    let envelope = Envelope { name: name.into(), kind: "bond".into(), ..Envelope::default() };
    Item { interface: name.into(), kind: "bond".into(), envelope: Some(envelope), element }
}

/// veth pairs `name` ↔ `name`p, both ends up (so slaves have carrier), standing in for NICs.
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

fn read(scope: &[String]) -> Vec<Item> {
    BondPlugin.read(Some(scope)).unwrap()
}

/// Plan against the kernel and apply in phase order, as core does; returns the changes.
fn converge(desired: &[Item], scope: &[String]) -> Vec<Change> {
    netplug_plugin_testing::converge(&BondPlugin, desired, scope)
}

fn replan(desired: &[Item], scope: &[String]) -> Vec<String> {
    netplug_plugin_testing::replan(&BondPlugin, desired, scope)
}

fn slaves(item: &Item) -> Vec<String> {
    item.element
        .children_named("slave")
        .map(|s| {
            let mark = match s.value("primary") {
                Some("yes") => "*",
                Some("no") => "-",
                _ => "",
            };
            format!("{}{mark}", s.value("device").unwrap())
        })
        .collect()
}

fn is_up(name: &str) -> bool {
    Socket::route().unwrap().link_by_name(name).unwrap().unwrap().is_up()
}

#[test]
#[ignore = "needs the bonding driver: runs in the qemu guest (cargo xtask vm-test)"]
fn every_mode_creates_by_name_and_by_number() {
    in_new_netns(|| {
        let mut want = Vec::new();
        for (i, mode) in BondMode::NAMES.iter().enumerate() {
            want.push(bond(&format!("named{i}"), &[("mode", mode)], &[]));
            want.push(bond(&format!("number{i}"), &[("mode", &i.to_string())], &[]));
        }
        let scope: Vec<String> = want.iter().map(|i| i.interface.clone()).collect();
        converge(&want, &scope);
        let live = read(&scope);
        assert_eq!(live.len(), want.len());
        for item in &live {
            let i: usize = item.interface.trim_start_matches(char::is_alphabetic).parse().unwrap();
            assert_eq!(item.element.value("mode"), Some(BondMode::NAMES[i]), "{}", item.interface);
        }
        assert_eq!(replan(&want, &scope), Vec::<String>::new());
        assert_eq!(replan(&live, &scope), Vec::<String>::new(), "a read item fed back plans nothing");
    });
}

#[test]
#[ignore = "needs the bonding driver: runs in the qemu guest (cargo xtask vm-test)"]
fn options_of_every_mode_family_read_back_equal() {
    in_new_netns(|| {
        let cases: [(&str, &[(&str, &str)]); 4] = [
            (
                "ab",
                &[
                    ("mode", "active-backup"),
                    ("miimon", "100"),
                    ("updelay", "200"),
                    ("downdelay", "300"),
                    ("peer_notif_delay", "100"),
                    ("primary_reselect", "better"),
                    ("fail_over_mac", "active"),
                    ("num_grat_arp", "3"),
                    ("resend_igmp", "2"),
                    ("all_slaves_active", "yes"),
                ],
            ),
            (
                "lacp",
                &[
                    ("mode", "802.3ad"),
                    ("miimon", "50"),
                    ("lacp_rate", "fast"),
                    ("lacp_active", "no"),
                    ("xmit_hash_policy", "layer3+4"),
                    ("ad_select", "bandwidth"),
                    ("ad_actor_sys_prio", "100"),
                    ("ad_user_port_key", "5"),
                    ("ad_actor_system", "02:00:00:00:00:01"),
                    ("min_links", "1"),
                ],
            ),
            (
                "arp",
                &[
                    ("mode", "balance-rr"),
                    ("arp_interval", "250"),
                    ("arp_ip_target", "10.0.0.1,10.0.0.2"),
                    ("arp_validate", "all"),
                    ("arp_all_targets", "all"),
                    ("arp_missed_max", "3"),
                    ("packets_per_slave", "4"),
                ],
            ),
            (
                "tlb",
                &[("mode", "balance-tlb"), ("miimon", "100"), ("tlb_dynamic_lb", "no"), ("lp_interval", "2")],
            ),
        ];
        let want: Vec<Item> = cases.iter().map(|(n, attrs)| bond(n, attrs, &[])).collect();
        let scope = names(&["ab", "lacp", "arp", "tlb"]);
        converge(&want, &scope);
        let live = read(&scope);
        for ((name, attrs), item) in cases.iter().zip(&live) {
            assert_eq!(&item.interface, name);
            for (k, v) in attrs.iter() {
                assert_eq!(item.element.value(k), Some(*v), "{name} {k}");
            }
        }
        assert_eq!(replan(&want, &scope), Vec::<String>::new());
        assert_eq!(replan(&live, &scope), Vec::<String>::new());
    });
}

#[test]
#[ignore = "needs the bonding driver: runs in the qemu guest (cargo xtask vm-test)"]
fn arp_targets_are_replaced_and_cleared() {
    in_new_netns(|| {
        let scope = names(&["bond0"]);
        let attrs = |targets: &'static str| {
            [("mode", "active-backup"), ("arp_interval", "100"), ("arp_ip_target", targets)]
        };
        converge(&[bond("bond0", &attrs("10.0.0.1 10.0.0.2"), &[])], &scope);
        assert_eq!(read(&scope)[0].element.value("arp_ip_target"), Some("10.0.0.1,10.0.0.2"));
        converge(&[bond("bond0", &attrs("10.0.0.3"), &[])], &scope);
        assert_eq!(read(&scope)[0].element.value("arp_ip_target"), Some("10.0.0.3"));
        let want = bond("bond0", &attrs(""), &[]);
        converge(std::slice::from_ref(&want), &scope);
        assert_eq!(read(&scope)[0].element.value("arp_ip_target"), Some(""));
        assert!(replan(&[want], &scope).is_empty());
    });
}

#[test]
#[ignore = "needs the bonding driver: runs in the qemu guest (cargo xtask vm-test)"]
fn slaves_are_set_down_enslaved_and_the_primary_follows_the_document() {
    in_new_netns(|| {
        veths(&["s0", "s1", "s2"]);
        let scope = names(&["bond0"]);
        let want = bond("bond0", &[("mode", "active-backup"), ("miimon", "100")], &["s0", "s1*"]);
        converge(std::slice::from_ref(&want), &scope);
        let live = read(&scope);
        assert_eq!(slaves(&live[0]), ["s0-", "s1*"]);
        assert_eq!(live[0].envelope.as_ref().unwrap().state, LinkState::Up);
        assert!(is_up("s0") && is_up("s1"), "the bond opens its slaves");
        assert!(replan(&[want], &scope).is_empty());

        converge(&[bond("bond0", &[], &["s0*", "s1"])], &scope);
        assert_eq!(slaves(&read(&scope)[0]), ["s0*", "s1-"]);
        converge(&[bond("bond0", &[], &["s0-", "s1-"])], &scope);
        assert_eq!(slaves(&read(&scope)[0]), ["s0-", "s1-"], "primary cleared");

        let changes = converge(&[bond("bond0", &[], &["s0", "s2"])], &scope);
        let mut what: Vec<&str> = changes.iter().map(|c| c.description.as_str()).collect();
        what.sort_unstable();
        assert_eq!(what, ["enslave s2", "release s1"]);
        assert_eq!(slaves(&read(&scope)[0]), ["s0-", "s2-"]);
        assert!(is_up("s1"), "a released slave keeps the admin state it had");
    });
}

#[test]
#[ignore = "needs the bonding driver: runs in the qemu guest (cargo xtask vm-test)"]
fn a_mode_change_goes_through_down_and_empty_and_back() {
    in_new_netns(|| {
        veths(&["s0", "s1"]);
        let scope = names(&["bond0"]);
        converge(&[bond("bond0", &[("mode", "active-backup"), ("miimon", "100")], &["s0*", "s1"])], &scope);
        let want = bond("bond0", &[("mode", "4"), ("lacp_rate", "fast"), ("miimon", "100")], &["s0", "s1"]);
        let changes = converge(std::slice::from_ref(&want), &scope);
        let phases: Vec<Phase> = changes.iter().map(|c| c.phase).collect();
        assert_eq!(
            phases,
            [
                Phase::Down,
                Phase::Release,
                Phase::Release,
                Phase::Configure,
                Phase::Enslave,
                Phase::Enslave,
                Phase::Up
            ]
        );
        let live = &read(&scope)[0];
        assert_eq!(live.element.value("mode"), Some("802.3ad"));
        assert_eq!(live.element.value("lacp_rate"), Some("fast"));
        assert_eq!(slaves(live), ["s0", "s1"]);
        assert_eq!(live.envelope.as_ref().unwrap().state, LinkState::Up);
        assert!(replan(&[want], &scope).is_empty());
    });
}

#[test]
#[ignore = "needs the bonding driver: runs in the qemu guest (cargo xtask vm-test)"]
fn a_snapshot_plans_back_exactly() {
    in_new_netns(|| {
        veths(&["s0", "s1", "s2"]);
        let scope = names(&["bond0", "bond1"]);
        let mut first = bond(
            "bond0",
            &[("mode", "active-backup"), ("miimon", "100"), ("updelay", "200"), ("fail_over_mac", "active")],
            &["s0*", "s1"],
        );
        first.envelope.as_mut().unwrap().mtu = Some(1400);
        // bond1 keeps the address of its first slave, which a restore must put back.
        let second = bond("bond1", &[("mode", "802.3ad"), ("lacp_rate", "fast")], &["s2"]);
        converge(&[first, second], &scope);
        let snapshot = read(&scope);
        assert!(snapshot[1].envelope.as_ref().unwrap().mac.is_some());

        let mut changed = bond(
            "bond0",
            &[
                ("mode", "balance-xor"),
                ("miimon", "50"),
                ("xmit_hash_policy", "layer2+3"),
                ("fail_over_mac", "none"),
            ],
            &["s1", "s2"],
        );
        changed.envelope.as_mut().unwrap().mtu = Some(9000);
        converge(&[changed, bond("bond1", &[("mode", "broadcast")], &["s0"])], &scope);
        assert_ne!(read(&scope), snapshot);

        converge(&snapshot, &scope);
        assert_eq!(read(&scope), snapshot);
    });
}

#[test]
#[ignore = "needs the bonding driver: runs in the qemu guest (cargo xtask vm-test)"]
fn kernel_errors_carry_the_ext_ack_text() {
    in_new_netns(|| {
        let scope = names(&["bond0"]);
        converge(&[bond("bond0", &[("mode", "active-backup")], &[])], &scope);
        // Validation refuses this; the kernel does too (bond_opt_check_deps).
        let changes =
            BondPlugin.plan(&[bond("bond0", &[("lacp_rate", "fast")], &[])], &read(&scope), &scope).unwrap();
        let err = BondPlugin.apply(&changes).unwrap_err();
        assert_eq!(changes[err.index].description, "set lacp_rate fast");
        assert_eq!(err.error.errno, Some(libc::EACCES));
        assert_eq!(err.error.ext_ack.as_deref(), Some("option not supported in mode"));
        assert_eq!(err.error.interface.as_deref(), Some("bond0"));
    });
}

#[test]
#[ignore = "needs the bonding driver: runs in the qemu guest (cargo xtask vm-test)"]
fn bonds_not_desired_are_deleted() {
    in_new_netns(|| {
        veths(&["s0"]);
        let scope = names(&["bond0"]);
        converge(&[bond("bond0", &[("mode", "balance-rr")], &["s0"])], &scope);
        let changes = converge(&[], &scope);
        assert_eq!(changes.len(), 1);
        assert!(read(&scope).is_empty());
        assert!(Socket::route().unwrap().link_by_name("s0").unwrap().is_some_and(|l| l.master.is_none()));
    });
}
