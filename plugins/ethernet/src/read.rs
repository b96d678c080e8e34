//! Reading: ethernet devices as `<interface>` items with their envelope, and their `<ethtool>`
//! settings in the vocabulary `config.rs` validates, so a read item can be handed back to
//! `plan` as desired.

use netplug_plugin_sdk::netlink::LinkTable;
use netplug_plugin_sdk::netlink::{Ethtool, Link, Socket};
use netplug_plugin_sdk::{Element, Item, PluginError};

use crate::ethtool::DeviceState;
use crate::plan::ETHERNET;

/// `ARPHRD_LOOPBACK`: `lo` has no kind but is no ethernet device.
const ARPHRD_LOOPBACK: u16 = 772;

/// Live items: `Some(names)`, every link of those names whatever its kind (core asks this to
/// learn whether a device exists); `None`, every link but loopback. Each with an `<ethtool>`
/// item; four ethtool dumps cover them all.
///
/// Every link, not only devices, because this plugin is the one reader of links of kinds no
/// plugin knows (an `ifb`, a `vxlan` made by hand): they are still interfaces that `show`
/// lists, `name` finds by MAC and ownership sees as ports and users. Where a link's own kind
/// plugin reports it too, core takes that plugin's view. A link of another kind keeps its
/// kernel kind in the envelope, so that plan never takes it for an ethernet device to
/// deconfigure; veths count as ethernet devices (they stand in for NICs in containers and
/// tests).
pub fn read(names: Option<&[String]>) -> Result<Vec<Item>, PluginError> {
    read_settings_of(names, |_| true)
}

/// [`read`], the `<ethtool>` items only of the links `settings` names: reading them costs
/// three generic-netlink dumps and a settings element per device, which a plan of documents
/// declaring no `<ethtool>` (the commonest) never looks at.
pub fn read_settings_of(
    names: Option<&[String]>,
    settings: impl Fn(&str) -> bool,
) -> Result<Vec<Item>, PluginError> {
    let mut sock = Socket::route_reused()?;
    let table = LinkTable::dump(&mut sock)?;
    let mut links: Vec<&Link> = match names {
        Some(names) => names.iter().filter_map(|n| table.by_name(n)).collect(),
        None => table.links().iter().filter(|l| l.link_type != ARPHRD_LOOPBACK).collect(),
    };
    links.sort_by_key(|l| l.index);
    links.dedup_by_key(|l| l.index);
    if links.is_empty() {
        return Ok(Vec::new());
    }
    let mut states = if links.iter().any(|l| settings(&l.name)) {
        DeviceState::dump(&mut Ethtool::open()?)?
    } else {
        Default::default()
    };
    let mut out = Vec::with_capacity(links.len() * 2);
    for link in links {
        let item = kind_item(&table, link);
        if !settings(&link.name) {
            out.push(item);
            continue;
        }
        // A link missing from the dumps went away since the link dump: it is not there now.
        let Some(state) = states.remove(&link.index) else { continue };
        let settings = Item {
            interface: link.name.clone(),
            kind: item.envelope.as_ref().map_or(ETHERNET, |e| e.kind.as_str()).to_string(),
            envelope: item.envelope.clone(),
            element: state.settings().to_element(),
        };
        out.push(item);
        out.push(settings);
    }
    Ok(out)
}

/// The `<interface>` item of a link: nothing but the envelope.
fn kind_item(table: &LinkTable, link: &Link) -> Item {
    let mut envelope = table.envelope(link, ETHERNET);
    if let Some(kind) = link.kind.as_deref().filter(|k| *k != "veth") {
        envelope.kind = kind.to_string();
    }
    Item {
        interface: link.name.clone(),
        kind: ETHERNET.into(),
        envelope: Some(envelope),
        element: Element::new("interface"),
    }
}
