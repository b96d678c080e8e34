//! The ethernet vocabulary: the `<interface>` kind, which has nothing of its own beyond the
//! envelope, and the `<ethtool>` feature with its link settings, offload `<feature>`s, `<ring>`
//! sizes and `<channels>` counts.
//!
//! Feature names are the kernel's (`ethtool -k` prints them) and only their spelling is checked
//! here: which features a device has, and which it lets change, is the driver's to say.

use std::collections::HashMap;

use netplug_plugin_sdk::schema::{self, AttrSpec, ValueKind, ENVELOPE_ATTRIBUTES, FEATURE_ELEMENTS};
use netplug_plugin_sdk::Severity;
use netplug_plugin_sdk::{kernel_enum, Diagnostic, Element, Item, LinkState, Span, Validation};

kernel_enum! {
    /// Link duplex (`DUPLEX_HALF`, `DUPLEX_FULL`).
    pub enum Duplex: u8 {
        Half = 0 => "half",
        Full = 1 => "full",
    }
}

pub const SPEED: AttrSpec = AttrSpec {
    name: "speed",
    help: "link speed; with autoneg on, the only speed advertised",
    // SPEED_UNKNOWN is u32::MAX, so the largest real speed is one less.
    kind: ValueKind::Uint { min: 1, max: u32::MAX - 1, unit: "Mb/s" },
    default: None,
};
pub const DUPLEX: AttrSpec = AttrSpec {
    name: "duplex",
    help: "link duplex; with autoneg on, the only duplex advertised",
    kind: Duplex::VALUES,
    default: None,
};
pub const AUTONEG: AttrSpec = AttrSpec {
    name: "autoneg",
    help: "negotiate speed and duplex with the link partner",
    kind: ValueKind::Bool,
    default: None,
};

/// The attributes of `<ethtool>`. Absent ones leave the device's setting alone.
///
/// `autoneg="yes"` together with `speed` or `duplex` is allowed and means what `ethtool -s DEV
/// autoneg on speed S duplex D` means: negotiate, advertising only the matching link modes.
/// That is the usual way to cap a port's speed without forcing it, so it is not an error.
pub const ETHTOOL_ATTRIBUTES: &[AttrSpec] = &[SPEED, DUPLEX, AUTONEG];

/// The children of `<ethtool>`.
pub const ETHTOOL_CHILDREN: &[&str] = &["feature", "ring", "channels"];

pub const FEATURE_NAME: AttrSpec = AttrSpec {
    name: "name",
    help: "the kernel's feature name, as `ethtool -k` prints it",
    kind: ValueKind::Other("lower-case letters, digits, `-` and `_`; required"),
    default: None,
};
pub const FEATURE_STATE: AttrSpec =
    AttrSpec { name: "state", help: "turn the feature on or off", kind: ValueKind::Bool, default: None };
pub const FEATURE_ATTRIBUTES: &[AttrSpec] = &[FEATURE_NAME, FEATURE_STATE];

const fn count(name: &'static str, help: &'static str, min: u32) -> AttrSpec {
    AttrSpec { name, help, kind: ValueKind::Uint { min, max: u32::MAX, unit: "" }, default: None }
}

/// `<ring>`: descriptor ring sizes (`ethtool -G`). A ring needs at least one descriptor, but
/// mini and jumbo rings may be 0 (off).
pub const RING_ATTRIBUTES: &[AttrSpec] = &[
    count("rx", "receive ring size", 1),
    count("tx", "transmit ring size", 1),
    count("rx-mini", "receive ring size for small frames", 0),
    count("rx-jumbo", "receive ring size for jumbo frames", 0),
];

/// `<channels>`: queue counts (`ethtool -L`).
pub const CHANNELS_ATTRIBUTES: &[AttrSpec] = &[
    count("rx", "receive-only channels", 0),
    count("tx", "transmit-only channels", 0),
    count("other", "channels for link interrupts and the like", 0),
    count("combined", "channels that both receive and transmit", 0),
];

/// ETH_GSTRING_LEN less the terminating NUL.
const MAX_FEATURE_NAME: usize = 31;

/// Check kind items (`<interface>`) and feature items (`<ethtool>`).
pub fn validate(items: &[Item]) -> Validation {
    let mut v = Validation::default();
    // Interface → span of its first <ethtool>: one per interface, or the two would fight.
    let mut first: HashMap<&str, Span> = HashMap::new();
    for item in items {
        let name = item.interface.as_str();
        let el = &item.element;
        if el.name != "ethtool" {
            // The kind item: everything the envelope and feature plugins own is gone, so
            // anything left is unknown.
            v.diagnostics.extend(schema::check_specs(el, &[], ENVELOPE_ATTRIBUTES, name));
            v.diagnostics.extend(schema::check_children_hinting(el, &[], FEATURE_ELEMENTS, name));
            if item.envelope.as_ref().is_some_and(|e| e.state == LinkState::Absent) {
                v.diagnostics.push(absent_device(el.span, name));
            }
            continue;
        }
        if let Some(f) = first.get(name) {
            v.diagnostics.push(
                Diagnostic::error(el.span, "an interface has at most one <ethtool>")
                    .on_interface(name)
                    .on_attribute("ethtool")
                    .with_help(format!("merge it into the one at {}:{}", f.line, f.col)),
            );
        } else {
            first.insert(name, el.span);
        }
        check_ethtool(el, name, &mut v.diagnostics);
    }
    v
}

/// What `state="absent"` does to a device, said where it is written: netplug never deletes
/// what it did not create (docs/ownership.md), so the word cannot mean what it means for a
/// bridge, and an apply that finds nothing to undo must not look as if it ignored it.
fn absent_device(span: Span, name: &str) -> Diagnostic {
    Diagnostic {
        severity: Severity::Note,
        ..Diagnostic::error(
            span,
            format!(
                "{name} is a device, which netplug never deletes: state=\"absent\" sets it down and removes \
                 the addresses, routes and DHCP netplug gave it; hand-added addresses, <ethtool> settings and \
                 its master stay"
            ),
        )
    }
    .on_interface(name)
    .on_attribute("state")
}

fn check_ethtool(el: &Element, name: &str, out: &mut Vec<Diagnostic>) {
    out.extend(schema::check_specs(el, ETHTOOL_ATTRIBUTES, &[], name));
    let mut features: HashMap<&str, Span> = HashMap::new();
    let mut singles: HashMap<&str, Span> = HashMap::new();
    for child in &el.children {
        match child.name.as_str() {
            "feature" => check_feature(child, name, &mut features, out),
            "ring" | "channels" => {
                if let Some(f) = singles.get(child.name.as_str()) {
                    out.push(
                        Diagnostic::error(child.span, format!("<ethtool> has at most one <{}>", child.name))
                            .on_interface(name)
                            .on_attribute(&child.name)
                            .with_help(format!("merge it into the one at {}:{}", f.line, f.col)),
                    );
                } else {
                    singles.insert(&child.name, child.span);
                }
                let specs = if child.name == "ring" { RING_ATTRIBUTES } else { CHANNELS_ATTRIBUTES };
                out.extend(schema::check_specs(child, specs, &[], name));
                out.extend(schema::check_children_hinting(child, &[], &[], name));
                if child.name == "channels" {
                    check_channel_counts(child, name, out);
                }
            }
            _ => {} // reported just below
        }
    }
    out.extend(schema::check_children_hinting(el, ETHTOOL_CHILDREN, &[], name));
}

fn check_feature<'a>(
    el: &'a Element,
    name: &str,
    seen: &mut HashMap<&'a str, Span>,
    out: &mut Vec<Diagnostic>,
) {
    out.extend(schema::check_specs(el, FEATURE_ATTRIBUTES, &[], name));
    out.extend(schema::check_children_hinting(el, &[], &[], name));
    if FEATURE_STATE.attr(el).is_none() {
        out.push(schema::missing_attr(el, "state", name));
    }
    let Some(a) = FEATURE_NAME.attr(el) else {
        out.push(schema::missing_attr(el, "name", name));
        return;
    };
    let feature = a.value.trim();
    let bad = |why: &str| schema::bad_value(a, name, why);
    if feature.is_empty() {
        out.push(bad("a feature name cannot be empty"));
    } else if !feature.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    {
        // Kernel names use `-` and, in a few (tx-udp_tnl-segmentation), `_`.
        out.push(bad(
            "feature names are lower-case letters, digits, `-` and `_`, as `ethtool -k` prints them",
        ));
    } else if feature.len() > MAX_FEATURE_NAME {
        out.push(bad("feature names are at most 31 characters"));
    } else if let Some(first) = seen.get(feature) {
        out.push(
            Diagnostic::error(
                a.value_span,
                format!("feature {feature} is already set at {}:{}", first.line, first.col),
            )
            .on_interface(name)
            .on_attribute("name"),
        );
    } else {
        seen.insert(feature, a.value_span);
    }
}

/// The kernel refuses channel counts that leave no channel to receive or none to transmit
/// (`ethnl_set_channels`); that can be judged here only when both counts are written.
fn check_channel_counts(el: &Element, name: &str, out: &mut Vec<Diagnostic>) {
    let get = |n: &str| CHANNELS_ATTRIBUTES.iter().find(|s| s.name == n).and_then(|s| s.get_u32(el));
    for dir in ["rx", "tx"] {
        if let (Some(0), Some(0)) = (get(dir), get("combined")) {
            let span = el.attr("combined").map_or(el.span, |a| a.span);
            out.push(
                Diagnostic::error(span, format!("{dir}=\"0\" and combined=\"0\" leave no {dir} channel"))
                    .on_interface(name)
                    .on_attribute("combined"),
            );
        }
    }
}

#[cfg(test)]
mod tests;
