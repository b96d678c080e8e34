//! Kernel → vocabulary: every ipvlan as the `<ipvlan>` item a document would hold — parent
//! device, mode and flags — from one link dump.

use netplug_plugin_sdk::netlink::LinkTable;
use netplug_plugin_sdk::netlink::{Link, Socket};
use netplug_plugin_sdk::{Element, Item, PluginError};

use crate::options::Settings;

/// The ipvlans called `names` (all of them when `None`).
pub fn read(names: Option<&[String]>) -> Result<Vec<Item>, PluginError> {
    let mut sock = Socket::route_reused()?;
    let table = LinkTable::dump(&mut sock)?;
    Ok(items(&table, names))
}

/// The ipvlan items of a link table.
pub fn items(table: &LinkTable, names: Option<&[String]>) -> Vec<Item> {
    table.links_of_kind("ipvlan", names).into_iter().map(|l| item(table, l)).collect()
}

fn item(table: &LinkTable, link: &Link) -> Item {
    let mut envelope = table.envelope(link, "ipvlan");
    // The parent's address, which the ipvlan cannot change: not the ipvlan's to declare.
    envelope.mac = None;
    let mut element = Element::new("ipvlan");
    // A parent in another namespace has no name here; the ipvlan is reported without one.
    if let Some(parent) = &envelope.parent {
        element.set_attr("device", parent);
    }
    Settings::read(link.info_data()).write(&mut element);
    Item { interface: link.name.clone(), kind: "ipvlan".into(), envelope: Some(envelope), element }
}
