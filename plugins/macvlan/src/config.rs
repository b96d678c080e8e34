//! The vocabulary of `<macvlan>` and `<macvtap>` — parent device, mode, the two flags and the
//! broadcast queue, and source mode's `<source>` addresses — with the kernel's defaults and the
//! rules `drivers/net/macvlan.c` applies when the link is created.

use std::collections::HashMap;

use netplug_plugin_sdk::schema::{self, AttrSpec, ValueKind, ENVELOPE_ATTRIBUTES, FEATURE_ELEMENTS};
use netplug_plugin_sdk::{kernel_enum, Diagnostic, Item, Span, Validation};

kernel_enum! {
    /// How a macvlan forwards between itself, its siblings on the same parent and the wire
    /// (`enum macvlan_mode`).
    pub enum MacvlanMode: u32 {
        Private = 1 => "private",
        Vepa = 2 => "vepa",
        Bridge = 4 => "bridge",
        Passthru = 8 => "passthru",
        Source = 16 => "source",
    }
}

/// The kernel's mode when none is given (`macvlan_common_newlink`).
pub const DEFAULT_MODE: MacvlanMode = MacvlanMode::Vepa;
/// The kernel's broadcast queue length when none is given (`MACVLAN_DEFAULT_BC_QUEUE_LEN`).
pub const DEFAULT_BC_QUEUE_LEN: u32 = 1000;

pub const DEVICE: AttrSpec = AttrSpec {
    name: "device",
    help: "the parent (lower) interface",
    kind: ValueKind::Other("an interface name; required"),
    default: None,
};
pub const MODE: AttrSpec = AttrSpec {
    name: "mode",
    help: "private: no traffic between siblings; vepa: siblings talk through the switch; \
           bridge: siblings talk directly; passthru: the one macvlan owns the parent; \
           source: only frames from the listed <source> addresses",
    kind: MacvlanMode::VALUES,
    default: Some("vepa"),
};
pub const NOPROMISC: AttrSpec = AttrSpec {
    name: "nopromisc",
    help: "passthru: do not put the parent in promiscuous mode",
    kind: ValueKind::Bool,
    default: Some("no"),
};
pub const NODST: AttrSpec = AttrSpec {
    name: "nodst",
    help: "source: do not also deliver frames by destination address",
    kind: ValueKind::Bool,
    default: Some("no"),
};
pub const BC_QUEUE_LEN: AttrSpec = AttrSpec {
    name: "bcqueuelen",
    help:
        "length of the queue of broadcast and multicast frames (the parent uses the largest of its macvlans')",
    kind: ValueKind::Uint { min: 0, max: u32::MAX, unit: "frames" },
    default: Some("1000"),
};

/// Every attribute of `<macvlan>` and `<macvtap>` besides the envelope's.
pub const ATTRIBUTES: &[AttrSpec] = &[DEVICE, MODE, NOPROMISC, NODST, BC_QUEUE_LEN];

pub const SOURCE_MAC: AttrSpec = AttrSpec {
    name: "mac",
    help: "a sender this source-mode macvlan accepts frames from",
    kind: ValueKind::Other("a unicast MAC address"),
    default: None,
};

/// The children of `<macvlan>` this plugin owns.
pub const CHILDREN: &[&str] = &["source"];

/// Check every macvlan and macvtap item; report diagnostics and each one's `Parent` dependency.
pub fn validate(items: &[Item]) -> Validation {
    let mut v = Validation::default();
    // parent → (passthru macvlan, where its mode is written) and every macvlan on it.
    let mut passthru: HashMap<String, (String, Span)> = HashMap::new();
    let mut on_parent: HashMap<String, Vec<(String, Span)>> = HashMap::new();
    for item in items {
        let el = &item.element;
        let name = item.interface.as_str();
        let out = &mut v.diagnostics;
        out.extend(schema::check_specs(el, ATTRIBUTES, ENVELOPE_ATTRIBUTES, name));
        out.extend(schema::check_children_hinting(el, CHILDREN, FEATURE_ELEMENTS, name));
        let absent = item.is_absent();
        let mode = match MODE.attr(el) {
            None => Some(DEFAULT_MODE),
            Some(_) => MODE.get::<MacvlanMode>(el),
        };
        check_flags(item, mode, out);
        check_sources(item, mode, out);
        if mode == Some(MacvlanMode::Passthru) && item.envelope.as_ref().is_some_and(|e| e.mac.is_some()) {
            out.push(
                Diagnostic::error(el.span, "a passthru macvlan takes its parent's MAC address")
                    .on_interface(name)
                    .on_attribute("hwaddr")
                    .with_help("set the parent's <hwaddr> instead: the kernel keeps the two equal"),
            );
        }

        let Some(dev) = schema::parent_device(item, &mut v) else { continue };
        let parent = dev.value.trim();
        if absent {
            continue;
        }
        let at = MODE.attr(el).map_or(dev.value_span, |a| a.value_span);
        if mode == Some(MacvlanMode::Passthru) {
            passthru.insert(parent.to_string(), (name.to_string(), at));
        }
        on_parent.entry(parent.to_string()).or_default().push((name.to_string(), dev.value_span));
    }
    // The kernel lets a passthru macvlan be its parent's only one (`macvlan_common_newlink`).
    for (parent, (owner, at)) in &passthru {
        for (other, span) in on_parent.get(parent).into_iter().flatten().filter(|(n, _)| n != owner) {
            v.diagnostics.push(
                Diagnostic::error(*span, format!("{parent} already has the passthru macvlan {owner}"))
                    .on_interface(other)
                    .on_attribute("device")
                    .with_help(format!(
                        "a passthru macvlan is its parent's only one (mode at {}:{})",
                        at.line, at.col
                    )),
            );
        }
    }
    v
}

/// `nopromisc` acts in passthru mode only, `nodst` in source mode only: elsewhere the kernel
/// keeps them and ignores them.
fn check_flags(item: &Item, mode: Option<MacvlanMode>, out: &mut Vec<Diagnostic>) {
    let el = &item.element;
    for (spec, needs) in [(NOPROMISC, MacvlanMode::Passthru), (NODST, MacvlanMode::Source)] {
        let Some(a) = spec.attr(el).filter(|_| spec.get_bool(el) == Some(true)) else { continue };
        if mode.is_some_and(|m| m != needs) {
            out.push(
                Diagnostic::warning(a.span, format!("{} has no effect outside mode=\"{needs}\"", spec.name))
                    .on_interface(&item.interface)
                    .on_attribute(spec.name),
            );
        }
    }
}

fn check_sources(item: &Item, mode: Option<MacvlanMode>, out: &mut Vec<Diagnostic>) {
    let name = item.interface.as_str();
    let mut seen: HashMap<[u8; 6], Span> = HashMap::new();
    for source in item.element.children_named("source") {
        out.extend(schema::check_specs(source, &[SOURCE_MAC], &[], name));
        out.extend(schema::check_children_hinting(source, &[], &[], name));
        if mode.is_some_and(|m| m != MacvlanMode::Source) {
            out.push(
                Diagnostic::error(source.span, "<source> addresses need mode=\"source\"")
                    .on_interface(name)
                    .on_attribute("source"),
            );
            continue;
        }
        let Some(a) = SOURCE_MAC.attr(source) else {
            out.push(schema::missing_attr(source, "mac", name));
            continue;
        };
        match schema::parse_mac(&a.value) {
            None => out.push(schema::bad_value(a, name, "expected a MAC address such as 52:54:00:12:34:56")),
            // `macvlan_validate`: is_valid_ether_addr, neither multicast nor all zero.
            Some(mac) if mac[0] & 1 == 1 || mac == [0; 6] => {
                out.push(schema::bad_value(a, name, "must be a unicast address, not all zero"))
            }
            Some(mac) => {
                if let Some(first) = seen.get(&mac) {
                    out.push(
                        Diagnostic::error(a.value_span, format!("{} is listed twice", a.value.trim()))
                            .on_interface(name)
                            .on_attribute("mac")
                            .with_help(format!("the first is at {}:{}", first.line, first.col)),
                    );
                } else {
                    seen.insert(mac, a.value_span);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
