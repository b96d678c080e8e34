//! Fixtures for the kernel tests: veth pairs standing in for NICs, desired items as core builds
//! them, and read → plan → apply as core runs it.

#![allow(dead_code)] // each test file uses its own part

use netplug_plugin_ethernet::EthernetPlugin;
use netplug_plugin_sdk::netlink::{LinkMessage, Socket};
use netplug_plugin_sdk::{ApplyError, Change, Element, Envelope, Item, LinkState, Plugin};

/// Create veth `name` (peer `name-p`), with this MAC, optionally up (the peer is up too, so
/// the device has carrier like a cabled NIC).
pub fn nic(name: &str, mac: &str, up: bool) {
    let mut s = Socket::route().unwrap();
    let peer = format!("{name}-p");
    s.request(LinkMessage::create(name, "veth").veth_peer(&peer).build()).unwrap();
    let bytes = netplug_plugin_sdk::netlink::parse_mac(mac).unwrap();
    let link = s.link_by_name(name).unwrap().unwrap();
    s.request(LinkMessage::change(link.index).address(&bytes).admin_up(up).build()).unwrap();
    s.request(LinkMessage::change_by_name(&peer).up().build()).unwrap();
}

/// The envelope core hands over for `<interface device=name>`.
pub fn envelope(name: &str) -> Envelope {
    Envelope {
        name: name.into(),
        kind: "ethernet".into(),
        start_mode: "onboot".into(),
        state: LinkState::Up,
        ..Envelope::default()
    }
}

/// Desired items: the `<interface>` kind item and, when given, the `<ethtool>` item.
pub fn desired(env: Envelope, ethtool: Option<&str>) -> Vec<Item> {
    let mut items = vec![Item {
        interface: env.name.clone(),
        kind: "ethernet".into(),
        envelope: Some(env.clone()),
        element: Element::new("interface"),
    }];
    if let Some(xml) = ethtool {
        let element = netplug_plugin_testing::element_from_xml(xml);
        assert_eq!(EthernetPlugin.validate(&[item(&env, element.clone())]).diagnostics, []);
        items.push(item(&env, element));
    }
    items
}

fn item(env: &Envelope, element: Element) -> Item {
    Item { interface: env.name.clone(), kind: env.kind.clone(), envelope: Some(env.clone()), element }
}

pub fn names(scope: &[&str]) -> Vec<String> {
    scope.iter().map(|s| s.to_string()).collect()
}

/// Read the scope and plan to `desired`, as core does.
pub fn plan(desired: &[Item], scope: &[&str]) -> Result<Vec<Change>, netplug_plugin_sdk::PluginError> {
    let scope = names(scope);
    let live = EthernetPlugin.read(Some(&scope)).expect("read");
    EthernetPlugin.plan(desired, &live, &scope)
}

/// Plan and apply in core's order (by phase; this plugin's own order within one).
pub fn converge(desired: &[Item], scope: &[&str]) -> Result<Vec<Change>, ApplyError> {
    let mut changes = plan(desired, scope).expect("plan");
    changes.sort_by_key(|c| c.phase);
    EthernetPlugin.apply(&changes)?;
    Ok(changes)
}

/// Descriptions as `interface: description`.
pub fn described(changes: &[Change]) -> Vec<String> {
    changes.iter().map(|c| format!("{}: {}", c.interface, c.description)).collect()
}

/// The live items of `name`: (kind item, `<ethtool>` item).
pub fn read(name: &str) -> (Item, Item) {
    let mut items = EthernetPlugin.read(Some(&names(&[name]))).expect("read");
    assert_eq!(items.len(), 2, "{name}: a kind item and an <ethtool> item");
    let ethtool = items.pop().unwrap();
    (items.pop().unwrap(), ethtool)
}

pub fn live_envelope(name: &str) -> Envelope {
    read(name).0.envelope.expect("read items carry their envelope")
}

/// The live state of a feature on `name`, from the `<ethtool>` item.
pub fn feature(name: &str, feature: &str) -> Option<String> {
    let (_, ethtool) = read(name);
    let state = ethtool
        .element
        .children_named("feature")
        .find(|f| f.value("name") == Some(feature))
        .and_then(|f| f.value("state").map(str::to_string));
    state
}

/// What an errno means, so tests need no table of errno numbers.
pub fn kind(errno: Option<i32>) -> Option<std::io::ErrorKind> {
    errno.map(|e| std::io::Error::from_raw_os_error(e).kind())
}
