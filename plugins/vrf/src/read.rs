//! Kernel → vocabulary: every VRF as the `<vrf>` item a document would hold — its table and
//! its ports as `<member>`s — from one link dump.

use netplug_plugin_sdk::netlink::uapi as nl;
use netplug_plugin_sdk::netlink::LinkTable;
use netplug_plugin_sdk::netlink::{Link, Socket};
use netplug_plugin_sdk::{Element, Item, PluginError};

pub const IFLA_VRF_TABLE: u16 = nl::IFLA_VRF_TABLE as u16;

/// A new VRF's MTU (`IP6_MAX_MTU`, 65535 + an IPv6 header): above what a document may write
/// (65535), so it is reported as no MTU, which is what a document without one gets.
pub const DEFAULT_MTU: u32 = 65535 + 40;

/// The VRFs called `names` (all VRFs when `None`).
pub fn read(names: Option<&[String]>) -> Result<Vec<Item>, PluginError> {
    let mut sock = Socket::route_reused()?;
    let table = LinkTable::dump(&mut sock)?;
    Ok(items(&table, names))
}

/// The VRF items of a link table.
pub fn items(table: &LinkTable, names: Option<&[String]>) -> Vec<Item> {
    table.links_of_kind("vrf", names).into_iter().map(|l| item(table, l)).collect()
}

fn item(table: &LinkTable, link: &Link) -> Item {
    let mut element = Element::new("vrf");
    if let Some(t) = link.info_data().get(IFLA_VRF_TABLE).and_then(|a| a.u32()) {
        element.set_attr("table", t);
    }
    for port in table.ports_of(link.index) {
        element.children.push(Element::new("member").with_attr("device", &port.name));
    }
    let mut envelope = table.envelope(link, "vrf");
    if envelope.mtu == Some(DEFAULT_MTU) {
        envelope.mtu = None;
    }
    Item { interface: link.name.clone(), kind: "vrf".into(), envelope: Some(envelope), element }
}
