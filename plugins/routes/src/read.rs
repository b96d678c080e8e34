//! Reading: netplug's routes (protocol [`RTPROT_NETPLUG`]) from one kernel-filtered dump, as
//! `<route>` items of the interface that declared them.
//!
//! A route through an interface belongs to its output device. A refusing route (unreachable,
//! blackhole, prohibit) has none — IPv4 refuses a device on it and IPv6 files it under `lo` —
//! so [`apply`](crate::apply) records its owner in the route itself: [`owner_tag`] of the
//! interface's name in the `RTAX_INITRWND` metric, a TCP setting a route that carries no
//! traffic never uses. A name survives the interface being deleted and created again, where an
//! index would not. Refusing routes without a tag, or whose tag names no interface asked about,
//! are left out (and so never removed).
//!
//! Routes of other protocols are not read, even for `show`: telling them apart needs the whole
//! table, which on a router is a full BGP feed.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use netplug_plugin_sdk::netlink::consts::{RTAX_INITRWND, RTNH_F_ONLINK, RTPROT_NETPLUG};
use netplug_plugin_sdk::netlink::LinkTable;
use netplug_plugin_sdk::netlink::RouteFilter;
use netplug_plugin_sdk::netlink::{Family, Link, Route, Socket};
use netplug_plugin_sdk::{Envelope, Item, PluginError};

use crate::config::RouteType;
use crate::spec::RouteSpec;

/// The `RTAX_INITRWND` value naming the interface that declared a refusing route: FNV-1a of the
/// name, never 0 (a metric of 0 is "unset" and not reported). Two names of one host sharing a
/// tag is a one-in-four-billion chance per pair; the first name asked about would get both.
pub fn owner_tag(interface: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in interface.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h.max(1)
}

/// Live `<route>` items for `names` (all interfaces for `None`): one route dump of both
/// families, which the kernel filters by protocol, and a link dump only when there is a route
/// to name (most runs of a host without `<route>`s then cost one small request).
pub fn read(names: Option<&[String]>) -> Result<Vec<Item>, PluginError> {
    Ok(match dump()? {
        Some((table, routes)) => items(&table, &routes, names),
        None => Vec::new(),
    })
}

/// netplug's routes, and the link table naming their devices; `None` when there are none.
fn dump() -> Result<Option<(LinkTable, Vec<Route>)>, PluginError> {
    let mut sock = Socket::route_reused()?;
    let filter = RouteFilter { protocol: Some(RTPROT_NETPLUG), ..Default::default() };
    let routes = sock.dump_routes_filtered(Family::All, &filter)?;
    if routes.is_empty() {
        return Ok(None);
    }
    Ok(Some((LinkTable::dump(&mut sock)?, routes)))
}

/// Kernel routes → items, in dump order. A route in a VRF's table names the VRF
/// (`table="blue"`), however the document that made it named the table: the name is what
/// stays true when the VRF is given another table.
pub fn items(table: &LinkTable, routes: &[Route], names: Option<&[String]>) -> Vec<Item> {
    let owned = owned(table, routes, names);
    let vrfs: HashMap<u32, &str> = table
        .links()
        .iter()
        .filter_map(|l| crate::plan::vrf_table(l).map(|t| (t, l.name.as_str())))
        .collect();
    let mut out = Vec::with_capacity(owned.len());
    // Each owner's kind and envelope, made once and cloned into each of its items.
    let mut shapes: HashMap<&str, (&str, Option<Envelope>)> = HashMap::new();
    for (owner, spec) in owned {
        let (kind, envelope) = shapes.entry(owner).or_insert_with(|| match table.by_name(owner) {
            Some(link) => (kind_of(link), Some(table.envelope(link, kind_of(link)))),
            None => ("ethernet", None),
        });
        let mut element = spec.to_element();
        if let Some(vrf) = vrfs.get(&spec.table) {
            if let Some(a) = element.attributes.iter_mut().find(|a| a.name == "table") {
                a.value = vrf.to_string();
            }
        }
        out.push(Item {
            interface: owner.to_string(),
            kind: String::from(*kind),
            envelope: envelope.clone(),
            element,
        });
    }
    out
}

/// Kernel routes → (owner, route) pairs in dump order, for the interfaces in `names` (all for
/// `None`).
pub fn owned<'a>(
    table: &'a LinkTable,
    routes: &[Route],
    names: Option<&'a [String]>,
) -> Vec<(&'a str, RouteSpec)> {
    // The names a refusing route's tag may stand for: those asked about (which may not exist
    // yet, or any more), else every link.
    let candidates: Vec<&str> = match names {
        Some(n) => n.iter().map(String::as_str).collect(),
        None => table.links().iter().map(|l| l.name.as_str()).collect(),
    };
    let mut owners: HashMap<u32, &str> = HashMap::new();
    for name in candidates.iter().rev() {
        owners.insert(owner_tag(name), name);
    }
    let asked: Option<HashSet<&str>> = names.map(|n| n.iter().map(String::as_str).collect());
    // Routes come in runs through one device: its name is looked up once per run.
    let mut device: Option<(u32, Option<&str>)> = None;
    let mut out = Vec::with_capacity(routes.len());
    for r in routes.iter().filter(|r| r.protocol == RTPROT_NETPLUG) {
        let Some(spec) = spec_of(r) else { continue };
        let owner = if spec.refuses() {
            r.rtax(RTAX_INITRWND).and_then(|t| owners.get(&t).copied())
        } else {
            let oif = first_hop(r).0;
            match device {
                Some((i, name)) if i == oif => name,
                _ => {
                    let name = Some(oif)
                        .filter(|&i| i != 0)
                        .and_then(|i| table.name_of(i))
                        .filter(|n| asked.as_ref().is_none_or(|a| a.contains(n)));
                    device = Some((oif, name));
                    name
                }
            }
        };
        if let Some(owner) = owner {
            out.push((owner, spec));
        }
    }
    out
}

/// The interface kind an item of `link` carries, as core names kinds: a NIC or veth is ethernet.
fn kind_of(link: &Link) -> &str {
    match link.kind.as_deref() {
        None | Some("veth") => "ethernet",
        Some(k) => k,
    }
}

/// The first next hop's output device (0 for none), gateway and flags. netplug adds routes
/// exclusively, so a multipath route of protocol 176 is one of netplug's with foreign routes
/// added as siblings later; only its first hop (the route the dump's protocol belongs to) is
/// netplug's. (`Route::hops` would give the same, in a new Vec per call.)
fn first_hop(r: &Route) -> (u32, Option<IpAddr>, u32) {
    match r.multipath.first() {
        Some(h) => (h.oif, h.gateway, h.flags),
        None => (r.oif.unwrap_or(0), r.gateway, r.flags),
    }
}

/// A kernel route in the vocabulary; `None` for what `<route>` cannot say (a local or
/// broadcast route someone added with netplug's protocol).
fn spec_of(r: &Route) -> Option<RouteSpec> {
    let kind = RouteType::from(u8::from(r.kind));
    if matches!(kind, RouteType::Other(_)) {
        return None;
    }
    let (_, gateway, flags) = first_hop(r);
    let destination = r.dst.unwrap_or(match r.family {
        Family::V6 => std::net::Ipv6Addr::UNSPECIFIED.into(),
        _ => std::net::Ipv4Addr::UNSPECIFIED.into(),
    });
    let mut spec = RouteSpec {
        destination,
        prefix_len: r.dst_len,
        gateway,
        kind: kind.value(),
        metric: r.priority.unwrap_or(0),
        table: r.table,
        vrf: None,
        onlink: flags & RTNH_F_ONLINK != 0,
    };
    if spec.refuses() {
        // IPv6 keeps no gateway on a refusing route anyway; never report one.
        spec.gateway = None;
        spec.onlink = false;
    }
    Some(spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_stable_and_never_zero() {
        assert_eq!(owner_tag(""), 0x811c_9dc5);
        assert_eq!(owner_tag("eth0"), owner_tag("eth0"));
        assert_ne!(owner_tag("eth0"), owner_tag("eth1"));
        assert_ne!(owner_tag("br0"), 0);
    }
}
