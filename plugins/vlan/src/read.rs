//! Kernel → vocabulary: every VLAN as the `<vlan>` item a document would hold — parent device,
//! tag, protocol and every flag — from one link dump.

use netplug_plugin_sdk::netlink::LinkTable;
use netplug_plugin_sdk::netlink::{Link, Socket};
use netplug_plugin_sdk::{Element, Item, PluginError};

use crate::options::read_data;

/// The VLANs called `names` (all VLANs when `None`).
pub fn read(names: Option<&[String]>) -> Result<Vec<Item>, PluginError> {
    let mut sock = Socket::route_reused()?;
    let table = LinkTable::dump(&mut sock)?;
    Ok(items(&table, names))
}

/// The VLAN items of a link table.
pub fn items(table: &LinkTable, names: Option<&[String]>) -> Vec<Item> {
    table.links_of_kind("vlan", names).into_iter().map(|l| item(table, l)).collect()
}

fn item(table: &LinkTable, link: &Link) -> Item {
    let envelope = table.envelope(link, "vlan");
    let mut element = Element::new("vlan");
    // A parent in another namespace has no name here; the VLAN is reported without one.
    if let Some(parent) = &envelope.parent {
        element.set_attr("device", parent);
    }
    read_data(link.info_data(), &mut element);
    Item { interface: link.name.clone(), kind: "vlan".into(), envelope: Some(envelope), element }
}
