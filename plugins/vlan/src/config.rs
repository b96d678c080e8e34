//! The VLAN's vocabulary — parent device, tag, protocol and the kernel's VLAN flags — with its
//! defaults and the rules `net/8021q` applies when the link is created.

use std::collections::HashMap;

use netplug_plugin_sdk::schema::{self, AttrSpec, ValueKind, ENVELOPE_ATTRIBUTES, FEATURE_ELEMENTS};
use netplug_plugin_sdk::{kernel_enum, Diagnostic, Item, Span, Validation};

kernel_enum! {
    /// The tag protocol: customer (802.1Q) or service (802.1ad, "QinQ") VLANs, by EtherType.
    pub enum VlanProtocol: u16 {
        Ieee8021Q = 0x8100 => "802.1Q",
        Ieee8021Ad = 0x88a8 => "802.1ad",
    }
}

pub const DEVICE: AttrSpec = AttrSpec {
    name: "device",
    help: "the parent (lower) interface the VLAN is stacked on",
    kind: ValueKind::Other("an interface name; required"),
    default: None,
};
pub const TAG: AttrSpec =
    AttrSpec { name: "tag", help: "the VLAN ID", kind: ValueKind::Other("1-4094; required"), default: None };
pub const PROTOCOL: AttrSpec = AttrSpec {
    name: "protocol",
    help: "the tag protocol",
    kind: VlanProtocol::VALUES,
    default: Some("802.1Q"),
};
pub const REORDER_HDR: AttrSpec = AttrSpec {
    name: "reorder_hdr",
    help: "present received frames without their tag, as if from an Ethernet device",
    kind: ValueKind::Bool,
    default: Some("yes"),
};
pub const GVRP: AttrSpec = AttrSpec {
    name: "gvrp",
    help: "register the VLAN with the switch by GVRP (802.1Q only)",
    kind: ValueKind::Bool,
    default: Some("no"),
};
pub const MVRP: AttrSpec = AttrSpec {
    name: "mvrp",
    help: "register the VLAN with the switch by MVRP (802.1Q only)",
    kind: ValueKind::Bool,
    default: Some("no"),
};
pub const LOOSE_BINDING: AttrSpec = AttrSpec {
    name: "loose_binding",
    help: "do not follow the parent's operational state",
    kind: ValueKind::Bool,
    default: Some("no"),
};
pub const BRIDGE_BINDING: AttrSpec = AttrSpec {
    name: "bridge_binding",
    help: "on a bridge, follow the state of the bridge ports in this VLAN only",
    kind: ValueKind::Bool,
    default: Some("no"),
};

/// Every attribute of `<vlan>` besides the envelope's.
pub const ATTRIBUTES: &[AttrSpec] =
    &[DEVICE, TAG, PROTOCOL, REORDER_HDR, GVRP, MVRP, LOOSE_BINDING, BRIDGE_BINDING];

/// Check every VLAN item; report diagnostics and each VLAN's `Parent` dependency.
pub fn validate(items: &[Item]) -> Validation {
    let mut v = Validation::default();
    // (parent, protocol, tag) → where the tag was written: the kernel allows one VLAN of each.
    let mut seen: HashMap<(String, VlanProtocol, u16), Span> = HashMap::new();
    for item in items {
        let el = &item.element;
        let name = item.interface.as_str();
        let out = &mut v.diagnostics;
        out.extend(schema::check_specs(el, ATTRIBUTES, ENVELOPE_ATTRIBUTES, name));
        out.extend(schema::check_children_hinting(el, &[], FEATURE_ELEMENTS, name));

        let protocol = match PROTOCOL.attr(el) {
            None => Some(VlanProtocol::Ieee8021Q),
            Some(_) => PROTOCOL.get::<VlanProtocol>(el),
        };
        if protocol == Some(VlanProtocol::Ieee8021Ad) {
            // vlan_gvrp_request_join and vlan_mvrp_request_join act only on 802.1Q VLANs.
            for spec in [GVRP, MVRP] {
                if let Some(a) = spec.attr(el).filter(|_| spec.get_bool(el) == Some(true)) {
                    out.push(
                        Diagnostic::warning(
                            a.span,
                            format!("{} has no effect on an 802.1ad VLAN", spec.name),
                        )
                        .on_interface(name)
                        .on_attribute(spec.name),
                    );
                }
            }
        }

        // Removing a VLAN needs only its name, as for a bridge or a bond: the tag and parent
        // of what is there are the kernel's business.
        let absent = item.is_absent();
        let tag = match TAG.attr(el) {
            None if absent => None,
            None => {
                out.push(schema::missing_attr(el, "tag", name));
                None
            }
            Some(a) => match a.value.trim().parse::<u32>() {
                Ok(t @ 1..=4094) => Some((t as u16, a.value_span)),
                Ok(0 | 4095) => {
                    out.push(schema::bad_value(
                        a,
                        name,
                        "VLAN IDs 0 and 4095 are reserved (0 marks priority-only frames); use 1-4094",
                    ));
                    None
                }
                Ok(_) => {
                    out.push(schema::bad_value(a, name, "must be between 1 and 4094"));
                    None
                }
                Err(_) => {
                    out.push(schema::bad_value(a, name, "expected a VLAN ID between 1 and 4094"));
                    None
                }
            },
        };

        let Some(dev) = schema::parent_device(item, &mut v) else { continue };
        let parent = dev.value.trim();
        if let (Some((tag, span)), Some(protocol)) = (tag, protocol) {
            if let Some(first) = seen.get(&(parent.to_string(), protocol, tag)) {
                v.diagnostics.push(
                    Diagnostic::error(span, format!("{parent} already has {protocol} VLAN {tag}"))
                        .on_interface(name)
                        .on_attribute("tag")
                        .with_help(format!("the first is at {}:{}", first.line, first.col)),
                );
            } else {
                seen.insert((parent.to_string(), protocol, tag), span);
            }
        }
    }
    v
}

#[cfg(test)]
mod tests;
