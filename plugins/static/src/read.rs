//! Reading: each interface's addresses and netplug's gateway default routes, as `<static>`
//! items shaped like the ones a document gives, so a snapshot can be planned back to.
//!
//! The shape:
//!
//! * one `<static>` per address: `ipaddr="10.0.0.1/24"` for IPv4, `ip6addr="2001:db8::1/64"`
//!   for IPv6, in the kernel's order (for IPv4, the first address of a subnet is its primary,
//!   which plan relies on);
//! * a gateway default route (protocol [`RTPROT_NETPLUG_GATEWAY`] in the main table) as
//!   `gateway=` on the first of netplug's addresses of its family, as a document would write
//!   it; with no such address, on a `<static gateway=..>` of its own;
//! * an address netplug did not add (its `IFA_PROTO` is not [`IFA_PROTO_NETPLUG`]) carries
//!   [`FOREIGN`], saying who added it as far as the kernel tells (see [`Origin`]), so `show`
//!   reports it and plan never removes it. Validation refuses the attribute in documents.
//!
//! Left out: link-local IPv6 addresses (the kernel makes one per interface), loopback
//! addresses and IPv6 privacy addresses, unless netplug added them. A tentative IPv6 address
//! (still in duplicate address detection) is reported like any other: it is there, and will
//! be usable in a second. One whose detection failed is reported too (adding it again would
//! fail the same way), with a warning in the log.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use netplug_plugin_sdk::netlink::consts::{
    IFAPROT_KERNEL_LL, IFAPROT_KERNEL_LO, IFAPROT_KERNEL_RA, IFA_PROTO_NETPLUG, RTPROT_NETPLUG_GATEWAY,
    RT_TABLE_MAIN,
};
use netplug_plugin_sdk::netlink::uapi::{IFA_F_DADFAILED, IFA_F_PERMANENT, IFA_F_TEMPORARY};
use netplug_plugin_sdk::netlink::LinkTable;
use netplug_plugin_sdk::netlink::RouteFilter;
use netplug_plugin_sdk::netlink::{Address, Family, Link, Route, Socket};
use netplug_plugin_sdk::{Element, Item, PluginError};

/// The attribute marking an address netplug did not add; its value is the [`Origin`].
pub const FOREIGN: &str = "foreign";

/// Who added an address, as far as the kernel tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    Netplug,
    /// Permanent, without a protocol: `ip addr add`, an installer, an older tool. netplug adopts
    /// such an address when a document declares it (see [`crate::plan`]).
    Manual,
    /// With a lifetime: a DHCP client's lease.
    Dynamic,
    /// The kernel's own (`IFAPROT_KERNEL_*`: loopback, SLAAC, link-local).
    Kernel,
    /// Another program that marks its addresses with this `IFA_PROTO`.
    Proto(u8),
}

impl Origin {
    pub fn of(a: &Address) -> Origin {
        match a.proto.unwrap_or(0) {
            IFA_PROTO_NETPLUG => Origin::Netplug,
            IFAPROT_KERNEL_LO | IFAPROT_KERNEL_RA | IFAPROT_KERNEL_LL => Origin::Kernel,
            0 if a.flags & IFA_F_PERMANENT != 0 => Origin::Manual,
            0 => Origin::Dynamic,
            p => Origin::Proto(p),
        }
    }

    /// The value of [`FOREIGN`]; `None` for netplug's own.
    pub fn marker(self) -> Option<String> {
        match self {
            Origin::Netplug => None,
            Origin::Manual => Some("manual".into()),
            Origin::Dynamic => Some("dynamic".into()),
            Origin::Kernel => Some("kernel".into()),
            Origin::Proto(p) => Some(p.to_string()),
        }
    }

    /// The origin a [`FOREIGN`] value stands for (absent: netplug's).
    pub fn from_marker(marker: Option<&str>) -> Origin {
        match marker.map(str::trim) {
            None => Origin::Netplug,
            Some("manual") => Origin::Manual,
            Some("dynamic") => Origin::Dynamic,
            Some(v) => v.parse().map_or(Origin::Kernel, Origin::Proto),
        }
    }

    /// The `IFA_PROTO` to give the address when netplug re-creates it as it was.
    pub fn proto(self) -> Option<u8> {
        match self {
            Origin::Netplug => Some(IFA_PROTO_NETPLUG),
            Origin::Proto(p) => Some(p),
            Origin::Manual | Origin::Dynamic | Origin::Kernel => None,
        }
    }
}

/// Live `<static>` items for `names` (every interface for `None`): one link dump, one address
/// dump of both families and one route dump the kernel filters down to netplug's gateways.
pub fn read(names: Option<&[String]>) -> Result<Vec<Item>, PluginError> {
    let mut sock = Socket::route_reused()?;
    let table = LinkTable::dump(&mut sock)?;
    let addrs = sock.dump_addrs(Family::All)?;
    let filter = RouteFilter { protocol: Some(RTPROT_NETPLUG_GATEWAY), ..Default::default() };
    let routes = sock.dump_routes_filtered(Family::All, &filter)?;
    Ok(items(&table, &addrs, &routes, names))
}

/// Kernel objects → items, interface by interface in ifindex order. The addresses and routes
/// are grouped by interface once (dump order kept), so this is linear in links and objects.
pub fn items(table: &LinkTable, addrs: &[Address], routes: &[Route], names: Option<&[String]>) -> Vec<Item> {
    let wanted: Option<HashSet<&str>> = names.map(|n| n.iter().map(String::as_str).collect());
    let mut addrs_of: HashMap<u32, Vec<&Address>> = HashMap::new();
    for a in addrs {
        addrs_of.entry(a.index).or_default().push(a);
    }
    let mut gateways_of: HashMap<u32, Vec<&Route>> = HashMap::new();
    for r in routes.iter().filter(|r| is_gateway(r)) {
        if let Some(hop) = r.hops().first() {
            gateways_of.entry(hop.oif).or_default().push(r);
        }
    }
    let mut out = Vec::new();
    for link in table.links() {
        if wanted.as_ref().is_some_and(|n| !n.contains(link.name.as_str())) {
            continue;
        }
        let mut elements: Vec<(Option<Family>, Element)> = Vec::new();
        for a in addrs_of.get(&link.index).into_iter().flatten() {
            let Some(ip) = a.ip() else { continue };
            let origin = Origin::of(a);
            if origin != Origin::Netplug && is_noise(&ip, a.flags) {
                continue;
            }
            if a.flags & IFA_F_DADFAILED != 0 {
                // Still an address of the interface (so plan does not add it again), but unusable.
                tracing::warn!(
                    "{}: {ip}/{} failed duplicate address detection: another host on the link has it",
                    link.name,
                    a.prefix_len
                );
            }
            let attr = if ip.is_ipv4() { "ipaddr" } else { "ip6addr" };
            let mut el = Element::new("static").with_attr(attr, format!("{ip}/{}", a.prefix_len));
            if let Some(m) = origin.marker() {
                el.set_attr(FOREIGN, m);
            }
            // Only netplug's addresses may carry the gateway: plan ignores foreign ones.
            let family = (origin == Origin::Netplug).then_some(a.family);
            elements.push((family, el));
        }
        for r in gateways_of.get(&link.index).into_iter().flatten() {
            let Some(gw) = r.gateway else { continue };
            let slot =
                elements.iter_mut().find(|(f, el)| *f == Some(r.family) && el.attr("gateway").is_none());
            match slot {
                Some((_, el)) => el.set_attr("gateway", gw),
                None => elements.push((None, Element::new("static").with_attr("gateway", gw))),
            }
        }
        if elements.is_empty() {
            continue;
        }
        let kind = kind_of(link);
        let envelope = table.envelope(link, kind);
        out.extend(elements.into_iter().map(|(_, element)| Item {
            interface: link.name.clone(),
            kind: kind.to_string(),
            envelope: Some(envelope.clone()),
            element,
        }));
    }
    out
}

/// Addresses the kernel makes by itself and nobody configures.
fn is_noise(ip: &IpAddr, flags: u32) -> bool {
    let link_local = matches!(ip, IpAddr::V6(a) if a.segments()[0] & 0xffc0 == 0xfe80);
    // IFA_F_TEMPORARY is IFA_F_SECONDARY's bit: it means a privacy address only for IPv6.
    let privacy = ip.is_ipv6() && flags & IFA_F_TEMPORARY != 0;
    link_local || ip.is_loopback() || privacy
}

/// A default route of protocol [`RTPROT_NETPLUG_GATEWAY`] in the main table (its interface is
/// its first hop's output device).
fn is_gateway(r: &Route) -> bool {
    r.protocol == RTPROT_NETPLUG_GATEWAY && r.table == RT_TABLE_MAIN && r.dst_len == 0
}

/// The interface kind an item of `link` carries, as core names kinds: a NIC or veth is ethernet.
fn kind_of(link: &Link) -> &str {
    match link.kind.as_deref() {
        None | Some("veth") => "ethernet",
        Some(k) => k,
    }
}

#[cfg(test)]
mod tests;
