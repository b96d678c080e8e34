//! The vocabulary of `<ipvlan>` — parent device, mode and isolation flag — with the kernel's
//! defaults and the rules `drivers/net/ipvlan` applies.
//!
//! The kernel keeps one mode and one flag per parent (the `ipvl_port`), not per ipvlan: every
//! create or change of one ipvlan sets them for all of its siblings. So the ipvlans of one
//! parent must agree, or each apply would undo the last.

use std::collections::HashMap;

use netplug_plugin_sdk::schema::{self, AttrSpec, ValueKind, ENVELOPE_ATTRIBUTES, FEATURE_ELEMENTS};
use netplug_plugin_sdk::{kernel_enum, Diagnostic, Item, Span, Validation};

kernel_enum! {
    /// Where an ipvlan's traffic is switched (`enum ipvlan_mode`).
    pub enum IpvlanMode: u16 {
        L2 = 0 => "l2",
        L3 = 1 => "l3",
        L3s = 2 => "l3s",
    }
}

kernel_enum! {
    /// How siblings on one parent reach each other (`IPVLAN_F_PRIVATE`, `IPVLAN_F_VEPA`; the
    /// kernel refuses both at once, so the format has one attribute of three values).
    pub enum IpvlanFlags: u16 {
        Bridge = 0 => "bridge",
        Private = 1 => "private",
        Vepa = 2 => "vepa",
    }
}

/// The kernel's mode and flags when none are given (`ipvlan_link_new`).
pub const DEFAULT_MODE: IpvlanMode = IpvlanMode::L3;
pub const DEFAULT_FLAGS: IpvlanFlags = IpvlanFlags::Bridge;

pub const DEVICE: AttrSpec = AttrSpec {
    name: "device",
    help: "the parent (lower) interface",
    kind: ValueKind::Other("an interface name; required"),
    default: None,
};
pub const MODE: AttrSpec = AttrSpec {
    name: "mode",
    help: "l2: switch by MAC address; l3: route by IP address on the parent's stack; l3s: as l3, \
           through netfilter's input and output hooks",
    kind: IpvlanMode::VALUES,
    default: Some("l3"),
};
pub const FLAGS: AttrSpec = AttrSpec {
    name: "flags",
    help: "bridge: siblings talk directly; private: siblings cannot talk; vepa: siblings talk \
           through the switch",
    kind: IpvlanFlags::VALUES,
    default: Some("bridge"),
};

/// Every attribute of `<ipvlan>` besides the envelope's.
pub const ATTRIBUTES: &[AttrSpec] = &[DEVICE, MODE, FLAGS];

/// Check every ipvlan item; report diagnostics and each one's `Parent` dependency.
pub fn validate(items: &[Item]) -> Validation {
    let mut v = Validation::default();
    // parent → the first ipvlan on it, its mode and flags, and where they were written.
    let mut first: HashMap<String, (String, IpvlanMode, IpvlanFlags, Span)> = HashMap::new();
    for item in items {
        let el = &item.element;
        let name = item.interface.as_str();
        let out = &mut v.diagnostics;
        out.extend(schema::check_specs(el, ATTRIBUTES, ENVELOPE_ATTRIBUTES, name));
        out.extend(schema::check_children_hinting(el, &[], FEATURE_ELEMENTS, name));
        if item.envelope.as_ref().is_some_and(|e| e.mac.is_some()) {
            out.push(
                Diagnostic::error(el.span, "an ipvlan has its parent's MAC address and no other")
                    .on_interface(name)
                    .on_attribute("hwaddr")
                    .with_help(
                        "ipvlans tell themselves apart by IP address; use a macvlan for a MAC of its own",
                    ),
            );
        }
        let absent = item.is_absent();
        let Some(dev) = schema::parent_device(item, &mut v) else { continue };
        let parent = dev.value.trim();
        if absent {
            continue;
        }
        let mode = if MODE.attr(el).is_some() { MODE.get::<IpvlanMode>(el) } else { Some(DEFAULT_MODE) };
        let flags = if FLAGS.attr(el).is_some() { FLAGS.get::<IpvlanFlags>(el) } else { Some(DEFAULT_FLAGS) };
        let (Some(mode), Some(flags)) = (mode, flags) else { continue };
        let at = MODE.attr(el).or(FLAGS.attr(el)).map_or(dev.value_span, |a| a.value_span);
        match first.get(parent) {
            None => {
                first.insert(parent.to_string(), (name.to_string(), mode, flags, at));
            }
            Some((other, m, f, span)) if (*m, *f) != (mode, flags) => {
                v.diagnostics.push(
                    Diagnostic::error(
                        at,
                        format!("{other} on {parent} has mode {m} flags {f}; this ipvlan has mode {mode} flags {flags}"),
                    )
                    .on_interface(name)
                    .on_attribute(if MODE.attr(el).is_some() { "mode" } else { "flags" })
                    .with_help(format!(
                        "the kernel keeps one mode and flag per parent: give every ipvlan on {parent} \
                         the same (the first is at {}:{})",
                        span.line, span.col
                    )),
                );
            }
            Some(_) => {}
        }
    }
    v
}

#[cfg(test)]
mod tests;
