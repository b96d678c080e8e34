//! Kernel → vocabulary: every dummy as the `<dummy>` item a document would hold, from one link
//! dump. A dummy has nothing but its envelope.

use netplug_plugin_sdk::netlink::LinkTable;
use netplug_plugin_sdk::netlink::Socket;
use netplug_plugin_sdk::{Element, Item, PluginError};

use crate::KIND;

/// The dummies called `names` (all dummies when `None`).
pub fn read(names: Option<&[String]>) -> Result<Vec<Item>, PluginError> {
    let mut sock = Socket::route_reused()?;
    let table = LinkTable::dump(&mut sock)?;
    Ok(items(&table, names))
}

/// The dummy items of a link table.
pub fn items(table: &LinkTable, names: Option<&[String]>) -> Vec<Item> {
    table
        .links_of_kind(KIND, names)
        .into_iter()
        .map(|link| Item {
            interface: link.name.clone(),
            kind: KIND.into(),
            envelope: Some(table.envelope(link, KIND)),
            element: Element::new(KIND),
        })
        .collect()
}
