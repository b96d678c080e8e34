//! Kernel → vocabulary: the live veths as items shaped exactly like the desired ones, so core
//! can hand a snapshot back to `plan` as the desired state to roll back to.

use std::collections::HashSet;

use netplug_plugin_sdk::netlink::Link;
use netplug_plugin_sdk::netlink::LinkTable;
use netplug_plugin_sdk::{Element, Item};

use crate::config::{KIND, PEER};

/// The veths of `table` (all of them, or those called one of `names`), in ifindex order.
pub fn items(table: &LinkTable, names: Option<&[String]>) -> Vec<Item> {
    // A set, not a slice search: core may ask about 10,000 names at once.
    let wanted: Option<HashSet<&str>> = names.map(|n| n.iter().map(String::as_str).collect());
    table
        .links()
        .iter()
        .filter(|l| l.kind.as_deref() == Some(KIND))
        .filter(|l| wanted.as_ref().is_none_or(|w| w.contains(l.name.as_str())))
        .map(|l| item(table, l))
        .collect()
}

/// One veth end. The peer is the link `IFLA_LINK` points at; when it lives in another
/// namespace (`IFLA_LINK_NETNSID` is set) its index means nothing here, and `peer` is left out,
/// which `plan` reads as "leave the pairing alone".
fn item(table: &LinkTable, link: &Link) -> Item {
    let mut envelope = table.envelope(link, KIND);
    // The SDK reports `IFLA_LINK` as the envelope's parent (a VLAN's lower device); for a veth
    // it is the peer, which is ours to report, and no veth has a parent in a document.
    envelope.parent = None;
    let peer = match link.link_netnsid {
        Some(_) => None,
        None => link.parent.and_then(|p| table.name_of(p)),
    };
    let mut element = Element::new(KIND);
    if let Some(peer) = peer {
        element.set_attr(PEER.name, peer);
    }
    Item { interface: link.name.clone(), kind: KIND.into(), envelope: Some(envelope), element }
}

#[cfg(test)]
mod tests {
    use netplug_plugin_sdk::LinkState;

    use super::*;

    fn link(index: u32, name: &str, kind: Option<&str>, parent: Option<u32>) -> Link {
        Link {
            index,
            name: name.into(),
            kind: kind.map(str::to_string),
            parent,
            mtu: Some(1500),
            flags: 1, // IFF_UP
            ..Link::default()
        }
    }

    #[test]
    fn veths_are_read_with_their_peer_and_nothing_else() {
        let table = LinkTable::from_links(vec![
            link(1, "lo", None, None),
            link(2, "v0", Some("veth"), Some(3)),
            link(3, "v0p", Some("veth"), Some(2)),
            link(4, "br0", Some("bridge"), None),
            link(5, "far", Some("veth"), Some(9)),
        ]);
        let all = items(&table, None);
        let names: Vec<(&str, Option<&str>)> =
            all.iter().map(|i| (i.interface.as_str(), i.element.value("peer"))).collect();
        assert_eq!(names, [("v0", Some("v0p")), ("v0p", Some("v0")), ("far", None)]);
        let env = all[0].envelope.as_ref().unwrap();
        assert_eq!((env.mtu, env.state, env.parent.as_deref()), (Some(1500), LinkState::Up, None));

        let some = items(&table, Some(&["v0p".to_string(), "br0".to_string()]));
        assert_eq!(some.len(), 1);
        assert_eq!(some[0].interface, "v0p");
    }
}
