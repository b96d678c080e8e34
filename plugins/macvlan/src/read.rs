//! Kernel → vocabulary: every macvlan and macvtap as the item a document would hold — parent
//! device, mode, flags, broadcast queue and source list — from one link dump.

use netplug_plugin_sdk::netlink::LinkTable;
use netplug_plugin_sdk::netlink::{Link, Socket};
use netplug_plugin_sdk::{Element, Item, PluginError};

use crate::config::MacvlanMode;
use crate::options::Settings;
use crate::KINDS;

/// The macvlans and macvtaps called `names` (all of them when `None`).
pub fn read(names: Option<&[String]>) -> Result<Vec<Item>, PluginError> {
    let mut sock = Socket::route_reused()?;
    let table = LinkTable::dump(&mut sock)?;
    Ok(items(&table, names))
}

/// The macvlan and macvtap items of a link table, in table order.
pub fn items(table: &LinkTable, names: Option<&[String]>) -> Vec<Item> {
    let mut links: Vec<&Link> = KINDS.iter().flat_map(|k| table.links_of_kind(k, names)).collect();
    links.sort_by_key(|l| l.index);
    links.into_iter().map(|l| item(table, l)).collect()
}

fn item(table: &LinkTable, link: &Link) -> Item {
    let kind = link.kind.clone().unwrap_or_default();
    let mut envelope = table.envelope(link, &kind);
    let mut element = Element::new(&kind);
    // A parent in another namespace has no name here; the link is reported without one.
    if let Some(parent) = &envelope.parent {
        element.set_attr("device", parent);
    }
    let settings = Settings::read(link.info_data());
    // A passthru macvlan carries its parent's address, which the kernel keeps in step: it is
    // the parent's to set, not this link's.
    if settings.mode() == MacvlanMode::Passthru {
        envelope.mac = None;
    }
    settings.write(&mut element);
    Item { interface: link.name.clone(), kind, envelope: Some(envelope), element }
}
