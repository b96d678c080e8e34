//! Kernel → vocabulary: every veth as the `<veth>` item a document would hold — its peer, and
//! the peer's namespace by name when it lives in another named one — from one link dump.
//!
//! A peer in a namespace with no name under `/run/netns` (a container runtime's own) cannot be
//! written down; its item carries no `peer`, which `plan` reads as "leave the pairing alone",
//! so such a snapshot rolls back without recreating the pair.

use std::collections::HashMap;

use netplug_plugin_sdk::netlink::LinkTable;
use netplug_plugin_sdk::netlink::{Link, Socket};
use netplug_plugin_sdk::{Element, Item, PluginError};

use crate::config::{KIND, PEER, PEER_NETNS};
use crate::netns;

/// The veths called `names` (all veths when `None`).
pub fn read(names: Option<&[String]>) -> Result<Vec<Item>, PluginError> {
    let mut sock = Socket::route_reused()?;
    let table = LinkTable::dump(&mut sock)?;
    let links = table.links_of_kind(KIND, names);
    // Only a peer elsewhere costs more than the dump: the namespaces' ids, once, and a lookup
    // of each such peer.
    let mut elsewhere = Elsewhere::default();
    if links.iter().any(|l| l.link_netnsid.is_some()) {
        elsewhere.names = netns::names_by_id(&mut sock)?;
        for link in links.iter().filter(|l| l.link_netnsid.is_some()) {
            let (Some(id), Some(peer)) = (link.link_netnsid, link.parent) else { continue };
            if !elsewhere.names.contains_key(&id) {
                continue;
            }
            let found = netns::link_in(&mut sock, id, peer)
                .map_err(|e| PluginError::from(e).on_interface(&link.name))?;
            if let Some(found) = found {
                elsewhere.peers.insert(link.index, found.name);
            }
        }
    }
    Ok(links.into_iter().map(|l| item(&table, l, &elsewhere)).collect())
}

/// What is known of peers in other namespaces.
#[derive(Debug, Default)]
pub struct Elsewhere {
    /// Namespace names by their id here.
    pub names: HashMap<i32, String>,
    /// Peer names by the ifindex of the end here.
    pub peers: HashMap<u32, String>,
}

/// The item of one veth end.
pub fn item(table: &LinkTable, link: &Link, elsewhere: &Elsewhere) -> Item {
    let mut envelope = table.envelope(link, KIND);
    // The SDK reports `IFLA_LINK` as the envelope's parent (a VLAN's lower device); for a veth
    // it is the peer, which is ours to report, and a veth has no parent in a document.
    envelope.parent = None;
    let mut element = Element::new(KIND);
    match link.link_netnsid {
        None => {
            if let Some(peer) = link.parent.and_then(|p| table.name_of(p)) {
                element.set_attr(PEER.name, peer);
            }
        }
        Some(id) => {
            let ns = elsewhere.names.get(&id);
            if let (Some(ns), Some(peer)) = (ns, elsewhere.peers.get(&link.index)) {
                element.set_attr(PEER.name, peer);
                element.set_attr(PEER_NETNS.name, ns);
            }
        }
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
    fn veths_are_read_with_their_peer_here_or_elsewhere() {
        let mut far = link(5, "far", Some("veth"), Some(2));
        far.link_netnsid = Some(3);
        let mut lost = link(6, "lost", Some("veth"), Some(9));
        lost.link_netnsid = Some(4);
        let table = LinkTable::from_links(vec![
            link(1, "lo", None, None),
            link(2, "v0", Some("veth"), Some(3)),
            link(3, "v0p", Some("veth"), Some(2)),
            link(4, "br0", Some("bridge"), None),
            far,
            lost,
        ]);
        let elsewhere =
            Elsewhere { names: [(3, "ctr1".to_string())].into(), peers: [(5, "eth0".to_string())].into() };
        let all: Vec<Item> =
            table.links_of_kind(KIND, None).into_iter().map(|l| item(&table, l, &elsewhere)).collect();
        let got: Vec<(&str, Option<&str>, Option<&str>)> = all
            .iter()
            .map(|i| (i.interface.as_str(), i.element.value("peer"), i.element.value("peer-netns")))
            .collect();
        assert_eq!(
            got,
            [
                ("v0", Some("v0p"), None),
                ("v0p", Some("v0"), None),
                ("far", Some("eth0"), Some("ctr1")),
                // In a namespace without a name: nothing to write down.
                ("lost", None, None),
            ]
        );
        let env = all[0].envelope.as_ref().unwrap();
        assert_eq!((env.mtu, env.state, env.parent.as_deref()), (Some(1500), LinkState::Up, None));
    }
}
