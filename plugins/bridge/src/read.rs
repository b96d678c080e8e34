//! Kernel → vocabulary: every bridge as the `<bridge>` item a document would hold, with each
//! option plan can change and its ports as `<member>`s, from one link dump.

use netplug_plugin_sdk::netlink::LinkTable;
use netplug_plugin_sdk::netlink::{uapi, Link, Socket};
use netplug_plugin_sdk::{Element, Item, PluginError};

use crate::options::OPTIONS;

/// The bridges called `names` (all bridges when `None`).
pub fn read(names: Option<&[String]>) -> Result<Vec<Item>, PluginError> {
    let mut sock = Socket::route_reused()?;
    let table = LinkTable::dump(&mut sock)?;
    Ok(items(&table, names))
}

/// The bridge items of a link table.
pub fn items(table: &LinkTable, names: Option<&[String]>) -> Vec<Item> {
    table.links_of_kind("bridge", names).into_iter().map(|l| item(table, l)).collect()
}

fn item(table: &LinkTable, link: &Link) -> Item {
    let mut element = Element::new("bridge");
    for o in OPTIONS {
        if o.name == "ageing" && in_topology_change(link) {
            continue;
        }
        if let Some(v) = o.get(link.info_data()) {
            element.set_attr(o.name, o.format(v));
        }
    }
    for port in table.ports_of(link.index) {
        element.children.push(Element::new("member").with_attr("device", &port.name));
    }
    Item {
        interface: link.name.clone(),
        kind: "bridge".into(),
        envelope: Some(table.envelope(link, "bridge")),
        element,
    }
}

/// Whether the bridge's kernel STP is in a topology change: the kernel then ages its forwarding
/// table after twice the forward delay (802.1D 8.3.5) and reports that as the ageing time,
/// keeping the configured one (restored when the change ends, seconds later) to itself. So read
/// leaves `ageing` out then, and plan compares only what the kernel reports.
fn in_topology_change(link: &Link) -> bool {
    let data = link.info_data();
    let flag = data.get(uapi::IFLA_BR_TOPOLOGY_CHANGE as u16).and_then(|a| a.u8());
    let stp = data.get(uapi::IFLA_BR_STP_STATE as u16).and_then(|a| a.u32());
    flag == Some(1) && stp == Some(1)
}
