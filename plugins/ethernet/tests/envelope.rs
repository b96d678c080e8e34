//! The `<interface>` kind against the real kernel: MTU, MAC and admin state, finding a device
//! by MAC, deconfiguring, kernel errors, and rolling back to a snapshot. veths stand in for
//! NICs; every test runs in a network namespace of its own.

mod common;

use std::io::ErrorKind;

use common::*;
use netplug_plugin_ethernet::EthernetPlugin;
use netplug_plugin_sdk::netlink::{LinkMessage, Socket};
use netplug_plugin_sdk::{LinkState, Plugin};
use netplug_plugin_testing::in_new_netns;

#[test]
fn mtu_and_mac_change_and_read_back() {
    in_new_netns(|| {
        nic("eth0", "02:00:00:00:00:01", false);
        let mut env = envelope("eth0");
        env.mtu = Some(9000);
        env.mac = Some("02:00:00:00:00:42".into());
        let want = desired(env, None);
        let changes = converge(&want, &["eth0"]).unwrap();
        assert_eq!(
            described(&changes),
            [
                "eth0: set mtu 9000 (was 1500)",
                "eth0: set mac 02:00:00:00:00:42 (was 02:00:00:00:00:01)",
                "eth0: set up",
            ]
        );
        let live = live_envelope("eth0");
        assert_eq!(live.mtu, Some(9000));
        assert_eq!(live.mac.as_deref(), Some("02:00:00:00:00:42"));
        assert_eq!(live.state, LinkState::Up);
        assert_eq!(live.kind, "ethernet", "a veth is an ethernet device");
        assert_eq!(plan(&want, &["eth0"]).unwrap(), [], "re-plan is empty");
    });
}

#[test]
fn a_kernel_error_names_the_change_and_carries_the_ext_ack() {
    in_new_netns(|| {
        nic("eth0", "02:00:00:00:00:01", false);
        let mut env = envelope("eth0");
        env.mac = Some("02:00:00:00:00:42".into());
        // A veth's minimum is 68 (ETH_MIN_MTU), as for most NICs.
        env.mtu = Some(60);
        let mut changes = plan(&desired(env, None), &["eth0"]).unwrap();
        changes.sort_by_key(|c| c.phase);
        assert_eq!(described(&changes)[0], "eth0: set mtu 60 (was 1500)");
        // Put a good change first so the failing one is not at index 0.
        changes.swap(0, 1);
        let err = EthernetPlugin.apply(&changes).unwrap_err();
        assert_eq!(err.index, 1);
        assert_eq!(kind(err.error.errno), Some(ErrorKind::InvalidInput), "EINVAL");
        assert_eq!(err.error.ext_ack.as_deref(), Some("mtu less than device minimum"));
        assert_eq!(
            err.error.to_string(),
            "eth0: set mtu 60: Invalid argument (mtu less than device minimum)"
        );
        assert_eq!(live_envelope("eth0").mac.as_deref(), Some("02:00:00:00:00:42"), "the change before ran");
    });
}

#[test]
fn a_device_missing_by_name_is_found_by_mac_and_renamed() {
    in_new_netns(|| {
        nic("eth3", "52:54:00:12:34:56", true);
        nic("eth4", "52:54:00:00:00:04", true);
        let mut env = envelope("lan0");
        env.mac = Some("52:54:00:12:34:56".into());
        env.mtu = Some(1400);
        let want = desired(env, Some(r#"<ethtool><feature name="rx-gro" state="on"/></ethtool>"#));
        let changes = converge(&want, &["lan0"]).unwrap();
        assert_eq!(
            described(&changes),
            [
                "lan0: set eth3 down to rename it",
                "lan0: rename eth3 to lan0 (found by MAC 52:54:00:12:34:56)",
                "lan0: set mtu 1400 (was 1500)",
                "lan0: set feature rx-gro on (was off)",
                "lan0: set up",
            ]
        );
        let live = live_envelope("lan0");
        assert_eq!((live.mtu, live.state), (Some(1400), LinkState::Up));
        assert_eq!(feature("lan0", "rx-gro").as_deref(), Some("on"));
        let gone = EthernetPlugin.read(Some(&names(&["eth3"]))).unwrap();
        assert_eq!(gone, [], "eth3 is now lan0");
        assert_eq!(plan(&want, &["lan0"]).unwrap(), [], "re-plan is empty");

        // Neither by name nor by MAC: an error naming both.
        let mut env = envelope("lan1");
        env.mac = Some("52:54:00:ff:ff:ff".into());
        let err = plan(&desired(env, None), &["lan1"]).unwrap_err();
        assert_eq!(err.to_string(), "lan1: no device lan1 and no device with MAC 52:54:00:ff:ff:ff");
    });
}

#[test]
fn absent_or_undesired_sets_down_and_never_deletes() {
    in_new_netns(|| {
        nic("eth0", "02:00:00:00:00:01", true);
        let mut env = envelope("eth0");
        env.state = LinkState::Absent;
        let want = desired(env, Some(r#"<ethtool><feature name="rx-gro" state="on"/></ethtool>"#));
        let changes = converge(&want, &["eth0"]).unwrap();
        assert_eq!(described(&changes), ["eth0: set down (deconfigure)"]);
        assert_eq!(live_envelope("eth0").state, LinkState::Down, "still there, down");
        assert_eq!(feature("eth0", "rx-gro").as_deref(), Some("off"), "an absent device is not configured");
        assert_eq!(plan(&want, &["eth0"]).unwrap(), []);

        // remove() plans the same for a device netplug did not create.
        Socket::route().unwrap().request(LinkMessage::change_by_name("eth0").up().build()).unwrap();
        let live = EthernetPlugin.read(Some(&names(&["eth0"]))).unwrap();
        let changes = EthernetPlugin.remove("eth0", &live).unwrap();
        assert_eq!(described(&changes), ["eth0: set down (deconfigure)"]);
    });
}

#[test]
fn read_reports_links_by_name_whatever_their_kind() {
    in_new_netns(|| {
        nic("eth0", "02:00:00:00:00:01", true);
        Socket::route().unwrap().request(LinkMessage::create("br0", "bridge").build()).unwrap();
        let items = EthernetPlugin.read(Some(&names(&["br0", "eth0", "nope"]))).unwrap();
        let summary: Vec<_> = items
            .iter()
            .map(|i| format!("{} {} {}", i.interface, i.element.name, i.envelope.as_ref().unwrap().kind))
            .collect();
        // In ifindex order: eth0 (and its peer) were made before br0.
        assert_eq!(
            summary,
            [
                "eth0 interface ethernet",
                "eth0 ethtool ethernet",
                "br0 interface bridge",
                "br0 ethtool bridge"
            ]
        );
        assert!(items[0].element.attributes.is_empty() && items[0].element.children.is_empty());
        assert_eq!(items[0].kind, "ethernet");
        // Without names: every link but loopback, the bridge too (its own plugin's view wins
        // in core; a link of a kind without a plugin has only this one).
        let all: Vec<_> = EthernetPlugin.read(None).unwrap().into_iter().map(|i| i.interface).collect();
        assert!(all.iter().any(|n| n == "br0") && !all.iter().any(|n| n == "lo"), "{all:?}");
        // A bridge in scope without anything desired of this plugin is left alone.
        assert_eq!(plan(&[], &["br0"]).unwrap(), []);
    });
}

#[test]
fn a_snapshot_restores_everything() {
    in_new_netns(|| {
        nic("eth0", "02:00:00:00:00:01", true);
        let scope = names(&["eth0"]);
        let snapshot = EthernetPlugin.read(Some(&scope)).unwrap();

        let mut env = envelope("eth0");
        env.mtu = Some(4000);
        env.mac = Some("02:00:00:00:00:77".into());
        env.state = LinkState::Down;
        let xml = r#"<ethtool>
            <feature name="tx-checksum-ip-generic" state="off"/>
            <feature name="rx-gro" state="on"/>
            <channels rx="2"/>
        </ethtool>"#;
        let changed = converge(&desired(env, Some(xml)), &["eth0"]).unwrap();
        assert_eq!(changed.len(), 5, "{:#?}", described(&changed));
        assert_ne!(EthernetPlugin.read(Some(&scope)).unwrap(), snapshot);

        let back = converge(&snapshot, &["eth0"]).unwrap();
        let text = described(&back).join("\n");
        for expected in [
            "set mtu 1500 (was 4000)",
            "set mac 02:00:00:00:00:01",
            "tx-checksum-ip-generic on (was off)",
            "rx-gro off (was on)",
            "set channels rx 1 (was 2)",
            "set up",
        ] {
            assert!(text.contains(expected), "{expected} missing from\n{text}");
        }
        assert_eq!(EthernetPlugin.read(Some(&scope)).unwrap(), snapshot);
        assert_eq!(plan(&snapshot, &["eth0"]).unwrap(), []);
    });
}
