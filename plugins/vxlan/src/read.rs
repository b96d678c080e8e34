//! Kernel → vocabulary: every VXLAN as the `<vxlan>` item a document would hold — every option
//! the kernel reports, the device by name — from one link dump.

use netplug_plugin_sdk::netlink::LinkTable;
use netplug_plugin_sdk::netlink::{Link, Socket};
use netplug_plugin_sdk::{Element, Item, PluginError};

use crate::config::KIND;
use crate::options::read_data;

/// The VXLANs called `names` (all VXLANs when `None`).
pub fn read(names: Option<&[String]>) -> Result<Vec<Item>, PluginError> {
    let mut sock = Socket::route_reused()?;
    let table = LinkTable::dump(&mut sock)?;
    Ok(items(&table, names))
}

/// The VXLAN items of a link table.
pub fn items(table: &LinkTable, names: Option<&[String]>) -> Vec<Item> {
    table.links_of_kind(KIND, names).into_iter().map(|l| item(table, l)).collect()
}

fn item(table: &LinkTable, link: &Link) -> Item {
    let mut envelope = table.envelope(link, KIND);
    let options = read_data(link.info_data(), |index| table.name_of(index).map(str::to_string));
    // The device is the VXLAN's way out, which the envelope's parent says to core (a device
    // in another namespace has no name here, and is left out).
    envelope.parent = options.device.clone();
    let mut element = Element::new(KIND);
    options.write(&mut element);
    Item { interface: link.name.clone(), kind: KIND.into(), envelope: Some(envelope), element }
}
