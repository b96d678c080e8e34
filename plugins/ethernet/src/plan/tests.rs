//! Planning rules on hand-made items and a fake kernel, no sockets.

use std::collections::HashMap;

use netplug_plugin_sdk::netlink::{Channels, Feature, Link, LinkModes, Rings};
use netplug_plugin_sdk::netlink::{KindOp, LinkOp, LinkTable};
use netplug_plugin_sdk::{Change, Element, Envelope, Item, LinkState, Phase, PluginError};

use super::{plan, Kernel};
use crate::apply::EthOp;
use crate::ethtool::DeviceState;

#[derive(Default)]
struct Fake {
    table: LinkTable,
    devices: HashMap<String, DeviceState>,
    /// What was asked of the kernel, to show a no-op plan asks nothing.
    asked: Vec<String>,
}

impl Kernel for Fake {
    fn links(&mut self) -> Result<&LinkTable, PluginError> {
        self.asked.push("links".into());
        Ok(&self.table)
    }

    fn device(&mut self, device: &str) -> Result<&DeviceState, PluginError> {
        self.asked.push(device.into());
        self.devices.get(device).ok_or_else(|| PluginError::new("no such device").on_interface(device))
    }
}

fn envelope(name: &str, kind: &str, state: LinkState, mac: Option<&str>, mtu: Option<u32>) -> Envelope {
    Envelope {
        name: name.into(),
        kind: kind.into(),
        state,
        mac: mac.map(str::to_string),
        mtu,
        ..Envelope::default()
    }
}

fn kind_item(env: Envelope) -> Item {
    Item {
        interface: env.name.clone(),
        kind: "ethernet".into(),
        envelope: Some(env),
        element: Element::new("interface"),
    }
}

fn ethtool_item(env: &Envelope, xml: &str) -> Item {
    let element = netplug_plugin_testing::element_from_xml(xml);
    Item { interface: env.name.clone(), kind: env.kind.clone(), envelope: Some(env.clone()), element }
}

fn up(name: &str) -> Envelope {
    envelope(name, "ethernet", LinkState::Up, Some("02:00:00:00:00:01"), Some(1500))
}

fn feature(name: &str, active: bool, changeable: bool) -> Feature {
    Feature { name: name.into(), active, wanted: active, changeable }
}

/// A veth-like device: two changeable features, a fixed one, channels and no rings.
fn veth_state() -> DeviceState {
    DeviceState {
        features: vec![
            feature("rx-gro", false, true),
            feature("tx-checksum-ip-generic", true, true),
            feature("loopback", false, false),
        ],
        link_modes: Some(LinkModes { autoneg: Some(false), speed: Some(10000), ..LinkModes::default() }),
        rings: None,
        channels: Some(Channels {
            rx_max: Some(2),
            tx_max: Some(2),
            rx: Some(1),
            tx: Some(1),
            ..Channels::default()
        }),
    }
}

fn live_ethtool(env: &Envelope, state: &DeviceState) -> Item {
    Item {
        interface: env.name.clone(),
        kind: env.kind.clone(),
        envelope: Some(env.clone()),
        element: state.settings().to_element(),
    }
}

fn run(
    desired: &[Item],
    live: &[Item],
    scope: &[&str],
    kernel: &mut Fake,
) -> Result<Vec<Change>, PluginError> {
    let scope: Vec<String> = scope.iter().map(|s| s.to_string()).collect();
    plan(desired, live, &scope, kernel)
}

fn described(changes: &[Change]) -> Vec<String> {
    changes.iter().map(|c| format!("{:?} {}: {}", c.phase, c.interface, c.description)).collect()
}

#[test]
fn envelope_changes_only_what_differs() {
    let mut k = Fake::default();
    let live = [kind_item(up("eth0"))];
    let mut want = up("eth0");
    assert_eq!(run(&[kind_item(want.clone())], &live, &["eth0"], &mut k).unwrap(), []);
    want.mtu = Some(9000);
    want.mac = Some("02:00:00:00:00:99".into());
    want.state = LinkState::Down;
    let changes = run(&[kind_item(want)], &live, &["eth0"], &mut k).unwrap();
    assert_eq!(
        described(&changes),
        [
            "Configure eth0: set mtu 9000 (was 1500)",
            "Configure eth0: set mac 02:00:00:00:00:99 (was 02:00:00:00:00:01)",
            "Down eth0: set down",
        ]
    );
    assert_eq!(k.asked, Vec::<String>::new(), "a plan from items asks the kernel nothing");
}

#[test]
fn absent_and_undesired_devices_are_set_down_never_deleted() {
    let mut k = Fake::default();
    let live = [kind_item(up("eth0")), kind_item(envelope("eth1", "ethernet", LinkState::Down, None, None))];
    let mut gone = up("eth0");
    gone.state = LinkState::Absent;
    let desired = [
        kind_item(gone.clone()),
        ethtool_item(&gone, r#"<ethtool><feature name="rx-gro" state="on"/></ethtool>"#),
    ];
    let changes = run(&desired, &live, &["eth0", "eth1"], &mut k).unwrap();
    assert_eq!(described(&changes), ["Down eth0: set down (deconfigure)"]);
    // Nothing desired at all (remove, or a rollback to before it existed): the same.
    let changes = run(&[], &live, &["eth0", "eth1"], &mut k).unwrap();
    assert_eq!(described(&changes), ["Down eth0: set down (deconfigure)"]);
    assert!(!changes.iter().any(|c| String::from_utf8_lossy(c.payload.as_bytes()).contains("delete")));
}

#[test]
fn other_kinds_in_scope_are_left_to_their_plugins() {
    let mut k = Fake::default();
    // A bridge the documents define: in this plugin's scope for <ethtool>, read by name.
    let br = envelope("br0", "bridge", LinkState::Up, None, Some(1500));
    let live = [kind_item(br.clone()), live_ethtool(&br, &veth_state())];
    assert_eq!(run(&[], &live, &["br0"], &mut k).unwrap(), []);
    // Its <ethtool> is planned; its envelope is not.
    let desired = [ethtool_item(&br, r#"<ethtool><feature name="rx-gro" state="on"/></ethtool>"#)];
    let changes = run(&desired, &live, &["br0"], &mut k).unwrap();
    assert_eq!(described(&changes), ["Configure br0: set feature rx-gro on (was off)"]);
}

#[test]
fn a_snapshot_of_a_named_device_of_another_kind_is_restored() {
    // A macvlan a document names as an <interface>: a rollback hands back its snapshot, which
    // carries the device's own kind (core keeps this plugin's view of an interface only when
    // the documents give it this plugin's kind, so a bridge they define never comes here).
    let mut k = Fake::default();
    let mv = envelope("mv0", "macvlan", LinkState::Up, None, Some(1400));
    let live = [kind_item(mv.clone()), live_ethtool(&mv, &veth_state())];
    let mut snapshot = kind_item(mv.clone());
    let before = snapshot.envelope.as_mut().unwrap();
    (before.mtu, before.state) = (Some(1500), LinkState::Down);
    let changes = run(&[snapshot], &live, &["mv0"], &mut k).unwrap();
    assert_eq!(described(&changes), ["Configure mv0: set mtu 1500 (was 1400)", "Down mv0: set down"]);
}

#[test]
fn a_missing_device_is_found_by_mac_and_renamed() {
    let link = |index, name: &str, kind: Option<&str>, mac: [u8; 6], perm: Option<[u8; 6]>, up: bool| Link {
        index,
        name: name.into(),
        link_type: 1,
        flags: if up { netplug_plugin_sdk::netlink::consts::IFF_UP } else { 0 },
        mtu: Some(1500),
        address: Some(mac.to_vec()),
        permanent_address: perm.map(|p| p.to_vec()),
        kind: kind.map(str::to_string),
        ..Link::default()
    };
    let mac = [0x52, 0x54, 0, 0, 0, 3];
    let mut k = Fake {
        table: LinkTable::from_links(vec![
            // A bridge carrying the same address is never taken for the NIC.
            link(2, "br0", Some("bridge"), mac, None, true),
            link(3, "eth3", None, [2, 0, 0, 0, 0, 9], Some(mac), true),
            link(4, "eth4", None, mac, None, false),
        ]),
        devices: [("eth3".to_string(), veth_state())].into(),
        ..Fake::default()
    };
    let mut want = up("lan0");
    want.mac = Some("52:54:00:00:00:03".into());
    want.mtu = Some(9000);
    let desired = [kind_item(want.clone())];
    let changes = run(&desired, &[], &["lan0"], &mut k).unwrap();
    assert_eq!(
        described(&changes),
        [
            "Down lan0: set eth3 down to rename it",
            "Configure lan0: rename eth3 to lan0 (found by MAC 52:54:00:00:00:03)",
            "Configure lan0: set mtu 9000 (was 1500)",
            "Configure lan0: set mac 52:54:00:00:00:03 (was 02:00:00:00:00:09)",
            "Up lan0: set up",
        ]
    );
    assert_eq!(changes[0].op::<KindOp<EthOp>>().unwrap(), KindOp::Link(LinkOp::Down { name: "eth3".into() }));
    assert_eq!(
        changes[1].op::<KindOp<EthOp>>().unwrap(),
        KindOp::Kind(EthOp::Rename { name: "eth3".into(), to: "lan0".into() })
    );

    // The permanent address wins over eth4's current one; with it gone, eth4 is found.
    let mut k2 = Fake {
        table: LinkTable::from_links(vec![link(4, "eth4", None, mac, None, false)]),
        devices: [("eth4".to_string(), veth_state())].into(),
        ..Fake::default()
    };
    let changes = run(&desired, &[], &["lan0"], &mut k2).unwrap();
    assert_eq!(
        described(&changes)[0],
        "Configure lan0: rename eth4 to lan0 (found by MAC 52:54:00:00:00:03)"
    );

    // Two desired interfaces cannot claim one device.
    let mut other = want.clone();
    other.name = "lan1".into();
    let err = run(&[kind_item(want.clone()), kind_item(other)], &[], &["lan0", "lan1"], &mut k2).unwrap_err();
    assert_eq!(err.to_string(), "lan1: no device lan1 and no device with MAC 52:54:00:00:00:03");

    // A device configured under its own name is not taken.
    let own = kind_item(up("eth4"));
    let err = run(&[kind_item(want.clone()), own], &[], &["lan0"], &mut k2).unwrap_err();
    assert!(err.to_string().contains("is eth4, which is configured under that name"), "{err}");

    // Two NICs with the address: ambiguous.
    let mut k3 = Fake {
        table: LinkTable::from_links(vec![
            link(4, "eth4", None, mac, None, false),
            link(5, "eth5", Some("veth"), mac, None, false),
        ]),
        ..Fake::default()
    };
    let err = run(&desired, &[], &["lan0"], &mut k3).unwrap_err();
    assert_eq!(
        err.to_string(),
        "lan0: no device lan0, and MAC 52:54:00:00:00:03 is on several devices: eth4, eth5"
    );
}

#[test]
fn no_device_by_name_or_mac_is_an_error_naming_both() {
    let mut k = Fake::default();
    let mut want = up("lan0");
    want.mac = Some("52:54:00:aa:bb:cc".into());
    let err = run(&[kind_item(want.clone())], &[], &["lan0"], &mut k).unwrap_err();
    assert_eq!(err.to_string(), "lan0: no device lan0 and no device with MAC 52:54:00:aa:bb:cc");
    assert_eq!(err.interface.as_deref(), Some("lan0"));
    want.mac = None;
    let err = run(&[kind_item(want.clone())], &[], &["lan0"], &mut k).unwrap_err();
    assert_eq!(err.to_string(), "lan0: no device lan0, and no MAC address (<hwaddr>) to find it by");
    // Hotplug devices may be away; absent ones need nothing.
    want.start_mode = "hotplug".into();
    assert_eq!(run(&[kind_item(want.clone())], &[], &["lan0"], &mut k).unwrap(), []);
    want.start_mode = "onboot".into();
    want.state = LinkState::Absent;
    assert_eq!(run(&[kind_item(want)], &[], &["lan0"], &mut k).unwrap(), []);
}

/// eth0 as a veth: live kind and <ethtool> items, and the fake kernel's view of it.
fn veth() -> (Envelope, Vec<Item>, Fake) {
    let env = up("eth0");
    let state = veth_state();
    let live = vec![kind_item(env.clone()), live_ethtool(&env, &state)];
    let k = Fake { devices: [("eth0".to_string(), state)].into(), ..Fake::default() };
    (env, live, k)
}

fn plan_ethtool(xml: &str) -> Result<Vec<String>, String> {
    let (env, live, mut k) = veth();
    let desired = [kind_item(env.clone()), ethtool_item(&env, xml)];
    run(&desired, &live, &["eth0"], &mut k).map(|c| described(&c)).map_err(|e| e.to_string())
}

#[test]
fn features_change_only_what_differs() {
    let xml = r#"<ethtool>
        <feature name="generic-receive-offload" state="on"/>
        <feature name="tx-checksum-ip-generic" state="off"/>
        <feature name="rx-gro" state="off"/>
    </ethtool>"#;
    assert_eq!(
        plan_ethtool(xml).unwrap(),
        ["Configure eth0: set features rx-gro on (was off), tx-checksum-ip-generic off (was on)"]
    );
    assert_eq!(
        plan_ethtool(r#"<ethtool><feature name="tx-checksum-ip-generic" state="on"/></ethtool>"#).unwrap(),
        Vec::<String>::new()
    );
    // A fixed feature already as desired is fine; otherwise it is an error, as is an unknown one.
    assert_eq!(
        plan_ethtool(r#"<ethtool><feature name="loopback" state="off"/></ethtool>"#).unwrap(),
        Vec::<String>::new()
    );
    assert_eq!(
        plan_ethtool(r#"<ethtool><feature name="loopback" state="on"/></ethtool>"#).unwrap_err(),
        "eth0: feature loopback is fixed off by the driver; it cannot be turned on"
    );
    assert_eq!(
        plan_ethtool(r#"<ethtool><feature name="rx-frobnicate" state="on"/></ethtool>"#).unwrap_err(),
        "eth0: unknown feature rx-frobnicate: the kernel has no feature of that name (`ethtool -k` lists them)"
    );
}

#[test]
fn rings_and_channels_are_checked_against_the_driver() {
    assert_eq!(
        plan_ethtool(r#"<ethtool><channels rx="2" tx="1"/></ethtool>"#).unwrap(),
        ["Configure eth0: set channels rx 2 (was 1)"]
    );
    assert_eq!(
        plan_ethtool(r#"<ethtool><channels rx="3"/></ethtool>"#).unwrap_err(),
        "eth0: channels rx 3 is beyond the driver's maximum of 2"
    );
    assert_eq!(
        plan_ethtool(r#"<ethtool><channels combined="1"/></ethtool>"#).unwrap_err(),
        "eth0: the driver has no combined channels, so combined=\"1\" cannot be set"
    );
    // A count the driver does not have is 0, so asking for 0 is no change.
    assert_eq!(plan_ethtool(r#"<ethtool><channels combined="0"/></ethtool>"#).unwrap(), Vec::<String>::new());
    assert_eq!(
        plan_ethtool(r#"<ethtool><ring rx="512"/></ethtool>"#).unwrap_err(),
        "eth0: the driver does not support ring sizes (ethtool -g), so <ring> cannot be set"
    );

    let (env, mut live, mut k) = veth();
    let state = k.devices.get_mut("eth0").unwrap();
    state.rings = Some(Rings {
        rx_max: Some(4096),
        tx_max: Some(4096),
        rx: Some(256),
        tx: Some(256),
        ..Rings::default()
    });
    live[1] = live_ethtool(&env, state);
    let mut ring = |xml: &str| {
        let desired = [kind_item(env.clone()), ethtool_item(&env, xml)];
        run(&desired, &live, &["eth0"], &mut k).map(|c| described(&c)).map_err(|e| e.to_string())
    };
    assert_eq!(
        ring(r#"<ethtool><ring rx="512" tx="256"/></ethtool>"#).unwrap(),
        ["Configure eth0: set ring rx 512 (was 256)"]
    );
    assert_eq!(
        ring(r#"<ethtool><ring tx="8192"/></ethtool>"#).unwrap_err(),
        "eth0: ring tx 8192 is beyond the driver's maximum of 4096"
    );
    assert_eq!(
        ring(r#"<ethtool><ring rx-jumbo="64"/></ethtool>"#).unwrap_err(),
        "eth0: the driver has no rx-jumbo ring, so rx-jumbo=\"64\" cannot be set"
    );
}

#[test]
fn link_settings_change_together() {
    assert_eq!(plan_ethtool(r#"<ethtool speed="10000" autoneg="no"/>"#).unwrap(), Vec::<String>::new());
    assert_eq!(
        plan_ethtool(r#"<ethtool speed="1000" duplex="full" autoneg="no"/>"#).unwrap(),
        ["Configure eth0: set speed 1000 (was 10000), duplex full"]
    );
    let (env, mut live, mut k) = veth();
    let state = k.devices.get_mut("eth0").unwrap();
    state.link_modes = None;
    live[1] = live_ethtool(&env, state);
    let desired = [kind_item(env.clone()), ethtool_item(&env, r#"<ethtool speed="1000"/>"#)];
    let err = run(&desired, &live, &["eth0"], &mut k).unwrap_err();
    assert_eq!(err.to_string(), "eth0: the driver has no link settings, so speed 1000 cannot be set");
}

#[test]
fn ethtool_on_a_device_created_in_this_run_is_planned_whole() {
    let mut k = Fake::default();
    let br = envelope("br0", "bridge", LinkState::Up, None, None);
    let xml = r#"<ethtool><feature name="rx-gro" state="on"/><channels rx="1"/></ethtool>"#;
    let changes = run(&[ethtool_item(&br, xml)], &[], &["br0"], &mut k).unwrap();
    assert_eq!(
        described(&changes),
        ["Configure br0: set feature rx-gro on", "Configure br0: set channels rx 1"]
    );
    assert!(k.asked.is_empty());
}

#[test]
fn a_snapshot_handed_back_plans_nothing() {
    let (_, live, mut k) = veth();
    assert_eq!(run(&live, &live, &["eth0"], &mut k).unwrap(), []);
    assert!(k.asked.is_empty());
}

#[test]
fn changes_carry_their_phase() {
    let changes = {
        let (env, live, mut k) = veth();
        let desired = [
            kind_item(env.clone()),
            ethtool_item(&env, r#"<ethtool><feature name="rx-gro" state="on"/></ethtool>"#),
        ];
        run(&desired, &live, &["eth0"], &mut k).unwrap()
    };
    assert!(changes.iter().all(|c| c.phase == Phase::Configure));
}

#[test]
fn a_device_renamed_in_this_process_is_renamed_back_when_no_longer_wanted() {
    // What the rename of eth7 to lan7 remembered (names unique to this test: the memory is
    // per network namespace, and unit tests share one).
    let before = crate::renames::Before {
        envelope: envelope("eth7", "ethernet", LinkState::Up, Some("52:54:00:00:00:07"), Some(1500)),
        ethtool: veth_state().settings().to_element(),
    };
    crate::renames::remember("lan7", before);
    let mut now = veth_state();
    now.features[0].active = true; // rx-gro turned on after the rename
    let live_env = envelope("lan7", "ethernet", LinkState::Up, Some("52:54:00:00:00:07"), Some(9000));
    let live = [kind_item(live_env.clone()), live_ethtool(&live_env, &now)];
    let mut k = Fake { devices: [("lan7".to_string(), now)].into(), ..Fake::default() };
    // The rollback's desired state is a snapshot from before lan7 existed: nothing.
    let changes = run(&[], &live, &["lan7"], &mut k).unwrap();
    assert_eq!(
        described(&changes),
        [
            "Down lan7: set down to rename it back to eth7",
            "Configure lan7: rename back to eth7 (renamed by MAC in this run)",
            "Configure lan7: set mtu 1500 (was 9000)",
            "Up lan7: set up",
            "Configure lan7: set feature rx-gro off (was on)",
        ]
    );
    let up = String::from_utf8_lossy(changes[3].payload.as_bytes()).into_owned();
    assert!(up.contains("eth7") && !up.contains("lan7"), "set up acts on eth7: {up:?}");
    // Once the old name is taken again, the device is only deconfigured.
    let mut k = Fake {
        table: LinkTable::from_links(vec![Link { index: 9, name: "eth7".into(), ..Link::default() }]),
        ..Fake::default()
    };
    assert_eq!(
        described(&run(&[], &live, &["lan7"], &mut k).unwrap()),
        ["Down lan7: set down (deconfigure)"]
    );
    crate::renames::forget("lan7");
    assert_eq!(crate::renames::recall("lan7"), None);
}
