//! The `<static>` vocabulary: addresses with their prefix, and a gateway, as the netcf proposal
//! wrote them — `ipaddr` with `netmask` or `/len`, `ip6addr`, `gateway` — with the checks that
//! keep an unusable address out of the kernel.
//!
//! Decisions: an IPv4 address must say its prefix (`/24` or `netmask`), because no default is
//! right often enough (the kernel's /32 makes the gateway unreachable, a classful guess is
//! wrong on most networks). An IPv6 address without one gets /64, as initscripts' IPV6ADDR
//! did, because /64 is what SLAAC and nearly every IPv6 subnet uses.

use std::collections::HashMap;
use std::net::IpAddr;

use netplug_plugin_sdk::ip::{self, Prefix};
use netplug_plugin_sdk::schema::{self, AttrSpec, ValueKind};
use netplug_plugin_sdk::{Attribute, Diagnostic, Element, Item, Nexthop, Span, Subnet, Validation};

pub const IPADDR: AttrSpec = AttrSpec {
    name: "ipaddr",
    help: "an address of the interface",
    kind: ValueKind::Other("IPv4 with /len or netmask, or IPv6 with optional /len"),
    default: None,
};
pub const NETMASK: AttrSpec = AttrSpec {
    name: "netmask",
    help: "the prefix of an IPv4 ipaddr, dotted",
    kind: ValueKind::Other("a contiguous dotted netmask such as 255.255.255.0"),
    default: None,
};
pub const IP6ADDR: AttrSpec = AttrSpec {
    name: "ip6addr",
    help: "an IPv6 address of the interface",
    kind: ValueKind::Other("IPv6 with optional /len"),
    default: None,
};
pub const GATEWAY: AttrSpec = AttrSpec {
    name: "gateway",
    help: "the default route's next hop, of the same family as an address of this <static>",
    kind: ValueKind::Other("an IPv4 or IPv6 address"),
    default: None,
};

/// The attributes of `<static>`.
pub const ATTRIBUTES: &[AttrSpec] = &[IPADDR, NETMASK, IP6ADDR, GATEWAY];

/// The prefix length an IPv6 address gets when none is written.
pub const DEFAULT_IPV6_LEN: u8 = 64;

/// An address of a `<static>`, with the attribute it was written in.
struct Addr<'a> {
    prefix: Prefix,
    attr: &'a Attribute,
}

/// What one interface's `<static>`s configure so far, to find duplicates across them.
#[derive(Default)]
struct PerInterface {
    addresses: HashMap<IpAddr, Span>,
    subnets: Vec<Prefix>,
    /// The first gateway of each family (`[IPv4, IPv6]`): a second default route with the same
    /// metric is refused by the kernel.
    gateways: [Option<Span>; 2],
}

/// Check every `<static>`; report diagnostics, a subnet per address and a next hop per gateway.
pub fn validate(items: &[Item]) -> Validation {
    let mut v = Validation::default();
    let mut per: HashMap<&str, PerInterface> = HashMap::new();
    // Which interface each address is on, across all of them: the kernel would take the same
    // address on a second interface, and answer for it on both.
    let mut owners: HashMap<IpAddr, (&str, Span)> = HashMap::new();
    // Addresses first, so a gateway is judged against all subnets of its interface.
    let mut addrs = Vec::with_capacity(items.len());
    for item in items {
        let name = item.interface.as_str();
        let el = &item.element;
        v.diagnostics.extend(schema::check_specs(el, ATTRIBUTES, &[], name).into_iter().map(|d| {
            // `netplug show` marks addresses netplug did not add; a document pasted from it
            // should say why the mark is refused rather than only that it is unknown.
            if d.attribute.as_deref() == Some(crate::read::FOREIGN) {
                d.with_help("`netplug show` marks addresses netplug did not add with foreign=; remove it to have netplug manage the address")
            } else {
                d
            }
        }));
        v.diagnostics.extend(schema::check_children_hinting(el, &[], &[], name));
        let found = addresses(el, name, &mut v.diagnostics);
        let state = per.entry(name).or_default();
        for a in &found {
            check_host_address(a, name, &mut v.diagnostics);
            if let Some(first) = state.addresses.get(&a.prefix.addr) {
                v.diagnostics.push(
                    Diagnostic::error(
                        a.attr.value_span,
                        format!(
                            "{} is already an address of {name} (at {}:{})",
                            a.prefix.addr, first.line, first.col
                        ),
                    )
                    .on_interface(name)
                    .on_attribute(&a.attr.name),
                );
                continue;
            }
            if let Some((other, first)) = owners.get(&a.prefix.addr).filter(|(other, _)| *other != name) {
                v.diagnostics.push(
                    Diagnostic::error(
                        a.attr.value_span,
                        format!(
                            "{} is already an address of {other} (at {}:{})",
                            a.prefix.addr, first.line, first.col
                        ),
                    )
                    .on_interface(name)
                    .on_attribute(&a.attr.name)
                    .with_help("an address belongs to one interface"),
                );
                continue;
            }
            owners.insert(a.prefix.addr, (name, a.attr.value_span));
            state.addresses.insert(a.prefix.addr, a.attr.value_span);
            state.subnets.push(a.prefix.subnet());
            v.subnets
                .push(Subnet { interface: name.to_string(), prefix: Some(a.prefix.subnet().to_string()) });
        }
        addrs.push(found);
    }
    let mut first_gateways: FirstGateways = Default::default();
    for (item, found) in items.iter().zip(&addrs) {
        let name = item.interface.as_str();
        let state = per.get_mut(name).expect("every interface was seen above");
        check_gateway(&item.element, found, name, state, &mut first_gateways, &mut v);
    }
    v
}

/// The addresses an element writes, each with its prefix length resolved; problems reported.
fn addresses<'a>(el: &'a Element, name: &str, out: &mut Vec<Diagnostic>) -> Vec<Addr<'a>> {
    let mut found = Vec::new();
    let netmask = NETMASK.attr(el);
    if IPADDR.attr(el).is_none() && IP6ADDR.attr(el).is_none() {
        out.push(
            Diagnostic::error(el.span, "<static> needs an `ipaddr` or `ip6addr` attribute")
                .on_interface(name)
                .on_attribute("ipaddr"),
        );
    }
    if let Some(a) = IPADDR.attr(el) {
        match ip::parse_cidr(&a.value) {
            Err(why) => out.push(schema::bad_value(a, name, why)),
            Ok((addr @ IpAddr::V4(_), len)) => {
                let from_mask = netmask.and_then(|m| match ip::netmask_to_len(&m.value) {
                    Ok(l) => Some((l, m)),
                    Err(why) => {
                        out.push(schema::bad_value(m, name, why));
                        None
                    }
                });
                let len = match (len, from_mask) {
                    (Some(l), Some((ml, m))) if l != ml => {
                        out.push(
                            Diagnostic::error(
                                m.value_span,
                                format!("netmask {} (/{ml}) contradicts the /{l} of ipaddr", m.value.trim()),
                            )
                            .on_interface(name)
                            .on_attribute("netmask")
                            .with_help("write the prefix once, as /len or as netmask"),
                        );
                        None
                    }
                    (Some(l), _) => Some(l),
                    (None, Some((ml, _))) => Some(ml),
                    // A bad netmask was reported; do not also say it is missing.
                    (None, None) if netmask.is_some() => None,
                    (None, None) => {
                        out.push(
                            schema::bad_value(a, name, "an IPv4 address needs a prefix length").with_help(
                                format!("write {}/24 (or the right length), or add netmask=", addr),
                            ),
                        );
                        None
                    }
                };
                found.extend(len.map(|len| Addr { prefix: Prefix { addr, len }, attr: a }));
            }
            Ok((addr @ IpAddr::V6(_), len)) => {
                if let Some(m) = netmask {
                    out.push(
                        Diagnostic::error(m.span, "netmask applies only to an IPv4 ipaddr")
                            .on_interface(name)
                            .on_attribute("netmask")
                            .with_help(format!("write the prefix length in ipaddr, e.g. {addr}/64")),
                    );
                }
                found.push(Addr { prefix: Prefix { addr, len: len.unwrap_or(DEFAULT_IPV6_LEN) }, attr: a });
            }
        }
    } else if let Some(m) = netmask {
        out.push(
            Diagnostic::error(m.span, "netmask needs an IPv4 ipaddr")
                .on_interface(name)
                .on_attribute("netmask"),
        );
    }
    if let Some(a) = IP6ADDR.attr(el) {
        match ip::parse_cidr(&a.value) {
            Err(why) => out.push(schema::bad_value(a, name, why)),
            Ok((IpAddr::V4(_), _)) => {
                out.push(schema::bad_value(a, name, "ip6addr takes an IPv6 address; use ipaddr for IPv4"))
            }
            Ok((addr, len)) => {
                found.push(Addr { prefix: Prefix { addr, len: len.unwrap_or(DEFAULT_IPV6_LEN) }, attr: a })
            }
        }
    }
    found
}

/// An address the interface cannot use as its own.
fn check_host_address(a: &Addr, name: &str, out: &mut Vec<Diagnostic>) {
    let p = &a.prefix;
    let subnet = p.subnet();
    if let Some(what) = ip::special_address(&p.addr) {
        out.push(schema::bad_value(a.attr, name, format!("{} is {what}", p.addr)));
    } else if p.is_ipv4() && p.len <= 30 && p.addr == p.network() {
        // /31 (RFC 3021) and /32 have no network or broadcast address to avoid.
        out.push(schema::bad_value(a.attr, name, format!("{} is the network address of {subnet}", p.addr)));
    } else if p.is_ipv4() && p.len <= 30 && p.addr == p.last() {
        out.push(schema::bad_value(a.attr, name, format!("{} is the broadcast address of {subnet}", p.addr)));
    } else if !p.is_ipv4() && p.len <= 126 && p.addr == p.network() {
        // RFC 4291 2.6.1: the all-zero host is the Subnet-Router anycast address. The kernel
        // allows it, but routers on the link will answer for it too.
        out.push(
            Diagnostic::warning(
                a.attr.value_span,
                format!("{} is the subnet-router anycast address of {subnet}", p.addr),
            )
            .on_interface(name)
            .on_attribute(&a.attr.name),
        );
    }
}

/// The first gateway of each family (`[IPv4, IPv6]`) in any interface, and where.
type FirstGateways = [Option<(String, Span)>; 2];

fn check_gateway(
    el: &Element,
    found: &[Addr],
    name: &str,
    state: &mut PerInterface,
    first: &mut FirstGateways,
    v: &mut Validation,
) {
    let Some(g) = GATEWAY.attr(el) else { return };
    let out = &mut v.diagnostics;
    let gw = match ip::parse_addr(&g.value) {
        Ok(gw) => gw,
        Err(why) => return out.push(schema::bad_value(g, name, why)),
    };
    let same_family: Vec<&Addr> = found.iter().filter(|a| a.prefix.is_ipv4() == gw.is_ipv4()).collect();
    if let Some(what) = ip::special_address(&gw) {
        return out.push(schema::bad_value(g, name, format!("{gw} is {what}")));
    }
    if same_family.is_empty() {
        // An address that did not parse was reported already; do not guess its family.
        let written = [IPADDR, IP6ADDR].iter().filter(|s| s.attr(el).is_some()).count();
        if written == found.len() {
            out.push(schema::bad_value(
                g,
                name,
                format!("an {} gateway needs an {0} address in the same <static>", ip::family(&gw)),
            ));
        }
        return;
    }
    if same_family.iter().any(|a| a.prefix.addr == gw) {
        return out.push(schema::bad_value(g, name, format!("{gw} is this interface's own address")));
    }
    let slot = usize::from(!gw.is_ipv4());
    if let Some(first) = state.gateways[slot] {
        out.push(
            Diagnostic::error(
                g.value_span,
                format!(
                    "{name} already has an {} gateway (at {}:{})",
                    ip::family(&gw),
                    first.line,
                    first.col
                ),
            )
            .on_interface(name)
            .on_attribute("gateway")
            .with_help("a second default route of the same metric is refused; use <route> with a metric"),
        );
        return;
    }
    state.gateways[slot] = Some(g.value_span);
    // netplug adds the gateway's default route exclusively, with the kernel's default metric,
    // so a second interface's would fail with EEXIST mid-apply.
    if let Some((other, at)) = &first[slot] {
        out.push(
            Diagnostic::error(
                g.value_span,
                format!("{other} already has the {} gateway (at {}:{})", ip::family(&gw), at.line, at.col),
            )
            .on_interface(name)
            .on_attribute("gateway")
            .with_help("the kernel keeps one default route per metric; write this one as <route gateway=.. metric=..>"),
        );
        return;
    }
    first[slot] = Some((name.to_string(), g.value_span));
    // An IPv6 link-local next hop is on the link by definition, whatever the subnets.
    let link_local = matches!(gw, IpAddr::V6(a) if a.segments()[0] & 0xffc0 == 0xfe80);
    if link_local {
        return;
    }
    if !state.subnets.iter().any(|s| s.contains(&gw)) {
        let subnet = same_family[0].prefix.subnet();
        out.push(
            Diagnostic::warning(g.value_span, format!("gateway {gw} is not in {subnet}"))
                .on_interface(name)
                .on_attribute("gateway")
                .with_help("the kernel refuses a gateway that no subnet of the interface reaches (see <route onlink>)"),
        );
    }
    v.nexthops.push(Nexthop { interface: name.to_string(), address: gw.to_string(), span: g.value_span });
}

#[cfg(test)]
mod tests;
