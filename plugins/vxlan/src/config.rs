//! The VXLAN's vocabulary — VNI, endpoints, device, ports, TTL/TOS, FDB and checksum options —
//! with its defaults and the rules `drivers/net/vxlan` applies when the link is created.

use std::collections::HashMap;
use std::net::IpAddr;

use netplug_plugin_sdk::schema::{self, AttrSpec, ValueKind, ENVELOPE_ATTRIBUTES, FEATURE_ELEMENTS};
use netplug_plugin_sdk::{Attribute, Dependency, Diagnostic, Item, Relation, Span, Validation};

use crate::options::{parse_port_range, parse_tos, Ttl, DEFAULT_DSTPORT, DF_NAMES, MAX_FLOWLABEL};

/// The interface kind this plugin adds.
pub const KIND: &str = "vxlan";

const fn spec(
    name: &'static str,
    help: &'static str,
    kind: ValueKind,
    default: Option<&'static str>,
) -> AttrSpec {
    AttrSpec { name, help, kind, default }
}
const BOOL: ValueKind = ValueKind::Bool;

pub const ID: AttrSpec = spec(
    "id",
    "the VXLAN network identifier (VNI)",
    ValueKind::Uint { min: 0, max: 16_777_215, unit: "" },
    None,
);
pub const LOCAL: AttrSpec = spec(
    "local",
    "the source address of the outer packets",
    ValueKind::Other("an IPv4 or IPv6 address"),
    None,
);
pub const REMOTE: AttrSpec = spec(
    "remote",
    "the one remote tunnel endpoint (unicast); others go in the FDB",
    ValueKind::Other("a unicast IPv4 or IPv6 address"),
    None,
);
pub const GROUP: AttrSpec = spec(
    "group",
    "the multicast group that floods unknown destinations (needs `device`)",
    ValueKind::Other("a multicast IPv4 or IPv6 address"),
    None,
);
pub const DEVICE: AttrSpec =
    spec("device", "the device the outer packets leave by", ValueKind::Other("an interface name"), None);
pub const DSTPORT: AttrSpec =
    spec("dstport", "the remote UDP port", ValueKind::Uint { min: 1, max: 65535, unit: "" }, Some("4789"));
pub const SRCPORT: AttrSpec = spec(
    "srcport",
    "the range of UDP source ports (a hash of the inner flow picks one)",
    ValueKind::Other("MIN-MAX, 1-65535"),
    None,
);
pub const TTL: AttrSpec =
    spec("ttl", "the outer packets' TTL", ValueKind::Other("1-255, `inherit` or `auto`"), Some("auto"));
pub const TOS: AttrSpec =
    spec("tos", "the outer packets' TOS", ValueKind::Other("0-255 or `inherit`"), Some("0"));
pub const LEARNING: AttrSpec = spec("learning", "learn remote MAC addresses into the FDB", BOOL, Some("yes"));
pub const AGEING: AttrSpec = spec(
    "ageing",
    "how long a learned FDB entry is kept",
    ValueKind::Uint { min: 0, max: u32::MAX, unit: "seconds" },
    Some("300"),
);
pub const MAXADDRESS: AttrSpec = spec(
    "maxaddress",
    "the most FDB entries; 0 is no limit",
    ValueKind::Uint { min: 0, max: u32::MAX, unit: "" },
    Some("0"),
);
pub const PROXY: AttrSpec =
    spec("proxy", "answer ARP and neighbour solicitations from the FDB", BOOL, Some("no"));
pub const RSC: AttrSpec = spec("rsc", "route short-circuit", BOOL, Some("no"));
pub const L2MISS: AttrSpec = spec("l2miss", "notify user space of unknown MAC addresses", BOOL, Some("no"));
pub const L3MISS: AttrSpec = spec("l3miss", "notify user space of unknown IP addresses", BOOL, Some("no"));
pub const UDPCSUM: AttrSpec = spec("udpcsum", "checksum outer IPv4 UDP packets", BOOL, None);
pub const UDP6ZEROCSUMTX: AttrSpec =
    spec("udp6zerocsumtx", "send outer IPv6 UDP packets without a checksum", BOOL, Some("no"));
pub const UDP6ZEROCSUMRX: AttrSpec =
    spec("udp6zerocsumrx", "accept outer IPv6 UDP packets without a checksum", BOOL, Some("no"));
pub const FLOWLABEL: AttrSpec = spec(
    "flowlabel",
    "the outer IPv6 packets' flow label",
    ValueKind::Uint { min: 0, max: MAX_FLOWLABEL, unit: "" },
    Some("0"),
);
pub const DF: AttrSpec = spec(
    "df",
    "the outer IPv4 packets' don't-fragment bit: never, always, or the inner packet's",
    ValueKind::Words(DF_NAMES),
    Some("unset"),
);
pub const EXTERNAL: AttrSpec = spec(
    "external",
    "collect metadata: the VNI and endpoints come from each packet's tunnel metadata (eBPF, \
     OVS, lightweight tunnels) instead of this link's settings",
    BOOL,
    Some("no"),
);

/// Every attribute of `<vxlan>` besides the envelope's.
pub const ATTRIBUTES: &[AttrSpec] = &[
    ID,
    LOCAL,
    REMOTE,
    GROUP,
    DEVICE,
    DSTPORT,
    SRCPORT,
    TTL,
    TOS,
    LEARNING,
    AGEING,
    MAXADDRESS,
    PROXY,
    RSC,
    L2MISS,
    L3MISS,
    UDPCSUM,
    UDP6ZEROCSUMTX,
    UDP6ZEROCSUMRX,
    FLOWLABEL,
    DF,
    EXTERNAL,
];

/// Check every VXLAN item; report diagnostics, and each VXLAN's `device` as a `Parent`
/// dependency: the device must exist first, and the kernel deletes the VXLAN with it
/// (`vxlan_handle_lowerdev_unregister`), as it deletes a VLAN with its parent.
pub fn validate(items: &[Item]) -> Validation {
    let mut v = Validation::default();
    // (VNI, port, local) → where the VNI was written: the kernel allows one VXLAN of each.
    let mut seen: HashMap<(u32, u16, Option<IpAddr>), Span> = HashMap::new();
    for item in items {
        let el = &item.element;
        let name = item.interface.as_str();
        let out = &mut v.diagnostics;
        out.extend(schema::check_specs(el, ATTRIBUTES, ENVELOPE_ATTRIBUTES, name));
        out.extend(schema::check_children_hinting(el, &[], FEATURE_ELEMENTS, name));

        let address = |spec: &AttrSpec, out: &mut Vec<Diagnostic>| -> Option<(IpAddr, &Attribute)> {
            let a = spec.attr(el)?;
            match a.value.trim().parse::<IpAddr>() {
                Ok(ip) => Some((ip, a)),
                Err(_) => {
                    out.push(schema::bad_value(a, name, "expected an IPv4 or IPv6 address"));
                    None
                }
            }
        };
        let local = address(&LOCAL, out);
        let remote = address(&REMOTE, out);
        let group = address(&GROUP, out);
        if let Some((ip, a)) = &local {
            if ip.is_multicast() {
                out.push(schema::bad_value(a, name, "the local address cannot be a multicast address"));
            }
        }
        if let Some((ip, a)) = &remote {
            if ip.is_multicast() {
                out.push(
                    schema::bad_value(a, name, "a multicast address is a group, not a remote")
                        .with_help(format!("write group=\"{ip}\"")),
                );
            } else if ip.is_unspecified() {
                out.push(schema::bad_value(a, name, "the remote cannot be the unspecified address"));
            }
        }
        if let Some((ip, a)) = &group {
            if !ip.is_multicast() {
                out.push(
                    schema::bad_value(a, name, "a group must be a multicast address")
                        .with_help(format!("for one unicast endpoint write remote=\"{ip}\"")),
                );
            } else if DEVICE.attr(el).is_none() {
                // vxlan_config_validate: "Local interface required for multicast remote destination".
                out.push(
                    schema::bad_value(a, name, "a multicast group needs a device to join it on")
                        .with_help("add device=\"…\""),
                );
            }
        }
        if let (Some(_), Some((_, g))) = (&remote, &group) {
            out.push(
                Diagnostic::error(g.span, "a VXLAN has either a remote or a group, not both")
                    .on_interface(name)
                    .on_attribute("group"),
            );
        }
        let far = remote.as_ref().or(group.as_ref());
        if let (Some((l, la)), Some((r, _))) = (&local, far) {
            if l.is_ipv4() != r.is_ipv4() {
                out.push(schema::bad_value(
                    la,
                    name,
                    "the local address and the remote or group must be of one family",
                ));
            }
        }
        if let Some(a) = SRCPORT.attr(el).filter(|a| parse_port_range(&a.value).is_none()) {
            out.push(schema::bad_value(
                a,
                name,
                "expected MIN-MAX, two ports 1-65535 with MIN no more than MAX",
            ));
        }
        if let Some(a) = TTL.attr(el).filter(|a| Ttl::parse(&a.value).is_none()) {
            out.push(schema::bad_value(a, name, "expected 1-255, inherit or auto"));
        }
        if let Some(a) = TOS.attr(el).filter(|a| parse_tos(&a.value).is_none()) {
            out.push(schema::bad_value(a, name, "expected 0-255 or inherit"));
        }
        // vxlan_config_validate: "Label attribute only applies to IPv6 VXLAN devices".
        let ipv6 = [&local, &remote, &group].iter().any(|a| a.as_ref().is_some_and(|(ip, _)| ip.is_ipv6()));
        if let Some(a) = FLOWLABEL.attr(el).filter(|_| FLOWLABEL.get_u32(el).is_some_and(|l| l != 0) && !ipv6)
        {
            out.push(
                schema::bad_value(a, name, "a flow label is an IPv6 header's: this VXLAN is IPv4")
                    .with_help("give it an IPv6 remote, group or local address, or leave flowlabel out"),
            );
        }

        // An external (collect-metadata) VXLAN takes the VNI from each packet's metadata.
        let external = EXTERNAL.get_bool(el) == Some(true);
        let absent = item.is_absent();
        let id = match ID.attr(el) {
            None if !absent && !external => {
                out.push(schema::missing_attr(el, "id", name).with_help("the VNI, 0-16777215"));
                None
            }
            None => None,
            Some(a) => ID.get_u32(el).map(|id| (id, a.value_span)),
        };
        if let Some((id, span)) = id {
            let port = DSTPORT.get_u32(el).map_or(DEFAULT_DSTPORT, |p| p as u16);
            let key = (id, port, local.as_ref().map(|(ip, _)| *ip));
            if let Some(first) = seen.get(&key) {
                out.push(
                    Diagnostic::error(span, format!("another VXLAN already has VNI {id} on port {port}"))
                        .on_interface(name)
                        .on_attribute("id")
                        .with_help(format!("the first is at {}:{}", first.line, first.col)),
                );
            } else {
                seen.insert(key, span);
            }
        }
        if let Some(dev) = DEVICE.attr(el) {
            let device = dev.value.trim();
            if let Some(problem) = schema::ifname_problem(device) {
                out.push(schema::bad_value(dev, name, problem));
            } else if device == name {
                out.push(schema::bad_value(dev, name, "a VXLAN cannot send by way of itself"));
            } else {
                v.dependencies.push(Dependency {
                    from: name.to_string(),
                    to: device.to_string(),
                    relation: Relation::Parent,
                    span: dev.value_span,
                });
            }
        }
    }
    v
}

#[cfg(test)]
mod tests;
