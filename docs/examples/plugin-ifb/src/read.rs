//! Kernel → vocabulary: every ifb device as the `<ifb>` item a document would hold, from one
//! link dump (shared with the other plugins netplug reads in the same pass).

use netplug_plugin_sdk::netlink::{LinkTable, Socket};
use netplug_plugin_sdk::{Element, Item, PluginError};

use crate::KIND;

/// The ifb devices called `names` (all of them when `None`).
pub fn read(names: Option<&[String]>) -> Result<Vec<Item>, PluginError> {
    let mut sock = Socket::route_reused()?;
    let table = LinkTable::dump(&mut sock)?;
    let items: Vec<Item> = table
        .links_of_kind(KIND, names)
        .into_iter()
        .map(|link| Item {
            interface: link.name.clone(),
            kind: KIND.into(),
            envelope: Some(table.envelope(link, KIND)),
            element: Element::new(KIND),
        })
        .collect();
    tracing::debug!(count = items.len(), "read ifb devices");
    Ok(items)
}
