//! The `<route>` vocabulary: destination, gateway, metric, table, type and onlink, with the
//! iproute2 spellings `prefix` and `nexthop` accepted for `destination` and `gateway`.
//!
//! Decisions: `destination` defaults to `default`, which means 0.0.0.0/0, or ::/0 when the
//! gateway is IPv6. A route without a gateway is, as the netcf proposal says, an unreachable
//! route unless `type` says otherwise: `type="unicast"` without a gateway is the route straight
//! out of the interface, on the link (`ip route add DEST dev IFACE`), and `onlink="yes"` with a
//! gateway uses a gateway no subnet of the interface contains. Asking for the on-link route by
//! name means a forgotten gateway refuses traffic instead of sending it to the wrong place. A
//! destination without `/len` is a host route, as in iproute2. `metric` left out is the
//! kernel's default for the family (0 for IPv4, 1024 for IPv6), so `metric="1024"` and no
//! metric are the same IPv6 route.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use netplug_plugin_sdk::ip::{self, Prefix};
use netplug_plugin_sdk::schema::{self, AttrSpec, ValueKind};
use netplug_plugin_sdk::{
    kernel_enum, Attribute, Dependency, Diagnostic, Element, Item, Nexthop, Relation, Span, Validation,
};

use crate::keys::{self, KeyMap};

kernel_enum! {
    /// What the kernel does with a packet that matches (`RTN_*`); the types a host configures.
    pub enum RouteType: u8 {
        Unicast = 1 => "unicast",
        Blackhole = 6 => "blackhole",
        Unreachable = 7 => "unreachable",
        Prohibit = 8 => "prohibit",
    }
}

pub const DESTINATION: AttrSpec = AttrSpec {
    name: "destination",
    help: "the addresses the route covers",
    kind: ValueKind::Other("`default` or ADDRESS[/LEN]"),
    default: Some("default"),
};
pub const PREFIX: AttrSpec = AttrSpec {
    name: "prefix",
    help: "iproute2's name for destination",
    kind: ValueKind::Other("`default` or ADDRESS[/LEN]"),
    default: Some("default"),
};
pub const GATEWAY: AttrSpec = AttrSpec {
    name: "gateway",
    help: "the next hop, of the destination's family; without one the route is unreachable unless type says otherwise",
    kind: ValueKind::Other("an IPv4 or IPv6 address"),
    default: None,
};
pub const NEXTHOP: AttrSpec = AttrSpec {
    name: "nexthop",
    help: "iproute2's name for gateway",
    kind: ValueKind::Other("an IPv4 or IPv6 address"),
    default: None,
};
pub const METRIC: AttrSpec = AttrSpec {
    name: "metric",
    help: "preference among routes to the same destination; lower wins (kernel default: 0 for IPv4, 1024 for IPv6)",
    kind: ValueKind::Uint { min: 0, max: u32::MAX, unit: "" },
    default: None,
};
pub const TABLE: AttrSpec = AttrSpec {
    name: "table",
    help: "the routing table, or the VRF whose table it is",
    kind: ValueKind::Other("1-4294967295, main (254), default (253), local (255), or a VRF's name"),
    default: Some("main"),
};
pub const TYPE: AttrSpec = AttrSpec {
    name: "type",
    help: "unicast forwards (through the gateway, or on the link without one); unreachable, prohibit and blackhole refuse or drop",
    kind: RouteType::VALUES,
    default: Some("unicast with a gateway, unreachable without"),
};
pub const ONLINK: AttrSpec = AttrSpec {
    name: "onlink",
    help: "use the gateway even though no subnet of the interface contains it",
    kind: ValueKind::Bool,
    default: Some("no"),
};

/// The attributes of `<route>`.
pub const ATTRIBUTES: &[AttrSpec] = &[DESTINATION, PREFIX, GATEWAY, NEXTHOP, METRIC, TABLE, TYPE, ONLINK];

/// The tables iproute2 names (`/etc/iproute2/rt_tables`).
pub const TABLE_NAMES: &[(&str, u32)] = &[("main", 254), ("default", 253), ("local", 255)];

/// Parse a table name or number; table 0 (RT_TABLE_UNSPEC) is refused as ambiguous.
pub fn parse_table(text: &str) -> Result<u32, String> {
    let t = text.trim();
    if let Some((_, n)) = TABLE_NAMES.iter().find(|(name, _)| name.eq_ignore_ascii_case(t)) {
        return Ok(*n);
    }
    match t.parse::<u32>() {
        Ok(0) => Err("table 0 means \"unspecified\"; write main (254) or a table number".into()),
        Ok(n) => Ok(n),
        Err(_) => Err("expected main, default, local or a table number from 1 to 4294967295".into()),
    }
}

/// A `table` as written: a number (or iproute2's name for one), or the name of the VRF whose
/// table it is, which plan looks up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TableRef<'a> {
    Number(u32),
    Vrf(&'a str),
}

/// Parse a `table` value: [`parse_table`], else a VRF's name. A number is always a number
/// and `main`, `default` and `local` always iproute2's tables, so a VRF by one of those names
/// cannot be named here (its number can).
pub fn parse_table_ref(text: &str) -> Result<TableRef<'_>, String> {
    let t = text.trim();
    match parse_table(t) {
        Ok(n) => Ok(TableRef::Number(n)),
        Err(why) if t.starts_with(|c: char| c.is_ascii_digit()) => Err(why),
        Err(_) => match schema::ifname_problem(t) {
            None => Ok(TableRef::Vrf(t)),
            Some(problem) => Err(format!(
                "expected main, default, local, a table number from 1 to 4294967295 or a VRF's name ({problem})"
            )),
        },
    }
}

/// The metric the kernel gives a route that names none: 0 for IPv4, `IP6_RT_PRIO_USER` (1024)
/// for IPv6. Plan compares metrics after this default, so the two spellings are one route.
pub fn default_metric(destination: &Prefix) -> u32 {
    if destination.is_ipv4() {
        0
    } else {
        1024
    }
}

/// The type of a route: as written, else unicast with a gateway and unreachable without.
pub fn effective_type(written: Option<RouteType>, has_gateway: bool) -> RouteType {
    written.unwrap_or(if has_gateway { RouteType::Unicast } else { RouteType::Unreachable })
}

/// A route's identity in the kernel: destination, table and metric (the family's default
/// filled in). The kernel keeps one route per key in a table once netplug adds routes with
/// `NLM_F_EXCL`, whichever interface they go through.
type RouteKey<'a> = (Prefix, TableRef<'a>, u32);

/// Check every `<route>`; report diagnostics, a next hop per gateway, and a dependency on each
/// VRF a `table` names: core then refuses a name no document or device has, at its place,
/// and orders the route's interface after the VRF.
pub fn validate(items: &[Item]) -> Validation {
    let mut v = Validation::default();
    let mut seen: KeyMap<RouteKey, (&str, Span)> = keys::with_capacity(items.len());
    let mut gateways = Gateways::default();
    for item in items {
        let name = item.interface.as_str();
        let el = &item.element;
        v.diagnostics.extend(schema::check_specs(el, ATTRIBUTES, &[], name));
        v.diagnostics.extend(schema::check_children_hinting(el, &[], &[], name));
        let Some((key, span)) = check_route(el, name, &mut v, &mut gateways) else { continue };
        match seen.get(&key) {
            Some((iface, first)) if *iface == name => v.diagnostics.push(
                Diagnostic::error(
                    span,
                    format!("{name} already has a route to {} in this table with this metric", key.0),
                )
                .on_interface(name)
                .on_attribute("destination")
                .with_help(format!(
                    "the first is at {}:{}; give one a different metric",
                    first.line, first.col
                )),
            ),
            // netplug adds every route with NLM_F_EXCL, so the second would fail with EEXIST
            // mid-apply (IPv4 keeps one route per key anyway; IPv6 would merge them into a
            // multipath route whose members a protocol-filtered dump cannot all see).
            Some((iface, first)) => v.diagnostics.push(
                Diagnostic::error(
                    span,
                    format!("{iface} already has a route to {} in this table with this metric", key.0),
                )
                .on_interface(name)
                .on_attribute("destination")
                .with_help(format!(
                    "at {}:{}; the kernel keeps one route per destination, table and metric: give one a different metric",
                    first.line, first.col
                )),
            ),
            None => {
                seen.insert(key, (name, span));
            }
        }
    }
    v
}

/// One of two alias attributes; writing both is an error at the second.
fn one_of<'a>(
    el: &'a Element,
    a: &AttrSpec,
    b: &AttrSpec,
    name: &str,
    out: &mut Vec<Diagnostic>,
) -> Option<&'a Attribute> {
    match (a.attr(el), b.attr(el)) {
        (Some(x), Some(y)) => {
            let second = if x.span.start > y.span.start { x } else { y };
            out.push(
                Diagnostic::error(
                    second.span,
                    format!("{} and {} are the same attribute; write one", a.name, b.name),
                )
                .on_interface(name)
                .on_attribute(&second.name),
            );
            None
        }
        (x, y) => x.or(y),
    }
}

/// Gateways as the nexthops core is told about spell them; routes mostly share a few, so the
/// last one's text is kept rather than formatted again for every route.
#[derive(Default)]
struct Gateways(Option<(IpAddr, String)>);

impl Gateways {
    fn text(&mut self, g: IpAddr) -> String {
        match &self.0 {
            Some((last, text)) if *last == g => text.clone(),
            _ => self.0.insert((g, g.to_string())).1.clone(),
        }
    }
}

/// Check one route; its identity and where to point at it, unless it has errors.
fn check_route<'a>(
    el: &'a Element,
    name: &str,
    v: &mut Validation,
    gateways: &mut Gateways,
) -> Option<(RouteKey<'a>, Span)> {
    let out = &mut v.diagnostics;
    let before = out.len();
    let dest_attr = one_of(el, &DESTINATION, &PREFIX, name, out);
    let gw_attr = one_of(el, &GATEWAY, &NEXTHOP, name, out);

    let dest = match dest_attr.map(|a| (a, a.value.trim())) {
        None => None,
        Some((_, d)) if d.eq_ignore_ascii_case("default") => None,
        Some((a, d)) => match Prefix::parse(d) {
            Err(why) => {
                out.push(schema::bad_value(a, name, why));
                return None;
            }
            Ok(p) if p.has_host_bits() => {
                out.push(
                    schema::bad_value(a, name, format!("{p} has host bits set"))
                        .with_help(format!("did you mean {}?", p.subnet())),
                );
                return None;
            }
            Ok(p) => Some(p),
        },
    };

    let gw = match gw_attr {
        None => None,
        Some(a) => match ip::parse_addr(&a.value) {
            Err(why) => {
                out.push(schema::bad_value(a, name, why));
                None
            }
            Ok(g) => match ip::special_address(&g) {
                Some(what) => {
                    out.push(schema::bad_value(a, name, format!("{g} is {what}")));
                    None
                }
                None => Some((g, a)),
            },
        },
    };
    // `default` is the whole address space of the gateway's family, IPv4 without a gateway.
    let dest = dest.unwrap_or(match gw {
        Some((IpAddr::V6(_), _)) => Prefix { addr: IpAddr::V6(Ipv6Addr::UNSPECIFIED), len: 0 },
        _ => Prefix { addr: IpAddr::V4(Ipv4Addr::UNSPECIFIED), len: 0 },
    });
    if let Some((g, a)) = gw {
        if g.is_ipv4() != dest.is_ipv4() {
            out.push(schema::bad_value(
                a,
                name,
                format!(
                    "an {} gateway cannot reach the {} destination {dest}",
                    ip::family(&g),
                    ip::family(&dest.addr)
                ),
            ));
        }
    }

    let kind = TYPE.get::<RouteType>(el);
    if let (Some(t), Some((_, a))) = (kind, gw) {
        if t != RouteType::Unicast {
            out.push(
                Diagnostic::error(a.span, format!("a {t} route has no gateway"))
                    .on_interface(name)
                    .on_attribute(&a.name)
                    .with_help("remove the gateway, or make the route unicast"),
            );
        }
    }
    let onlink = ONLINK.get_bool(el) == Some(true);
    if onlink && gw_attr.is_none() {
        let a = ONLINK.attr(el).expect("a value implies the attribute");
        out.push(
            Diagnostic::error(a.span, "onlink applies only to a route with a gateway")
                .on_interface(name)
                .on_attribute("onlink"),
        );
    }
    let table = match TABLE.attr(el) {
        None => Some(TableRef::Number(254)),
        Some(a) => match parse_table_ref(&a.value) {
            Err(why) => {
                out.push(schema::bad_value(a, name, why));
                None
            }
            Ok(TableRef::Vrf(vrf)) => {
                // A VRF's own routes (its default unreachable route, say) name it too.
                if vrf != name {
                    v.dependencies.push(Dependency {
                        from: name.to_string(),
                        to: vrf.to_string(),
                        relation: Relation::Requires,
                        span: a.value_span,
                    });
                }
                Some(TableRef::Vrf(vrf))
            }
            Ok(number) => Some(number),
        },
    };

    if out.len() > before {
        return None;
    }
    if let Some((g, a)) = gw {
        // With onlink the kernel does not look for a subnet; an IPv6 link-local gateway is on
        // the link by definition. Neither needs core's reachability check.
        let link_local = matches!(g, IpAddr::V6(a) if a.segments()[0] & 0xffc0 == 0xfe80);
        if !onlink && !link_local {
            v.nexthops.push(Nexthop {
                interface: name.to_string(),
                address: gateways.text(g),
                span: a.value_span,
            });
        }
    }
    let span = dest_attr.map_or(el.span, |a| a.value_span);
    let metric = METRIC.get_u32(el).unwrap_or_else(|| default_metric(&dest));
    Some(((dest, table?, metric), span))
}

#[cfg(test)]
mod tests;
