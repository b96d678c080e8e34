//! The `<veth>` vocabulary — the peer's name and, optionally, the named network namespace it
//! lives in — and its rules, checked before any kernel is asked.
//!
//! Core has already taken the envelope out of the element (`name`, `mtu`, `state`,
//! `startmode`, `<hwaddr>`); it applies to the named end. The peer gets its own settings by
//! being declared as a `<veth>` too, when it lives in the same namespace.

use std::collections::HashMap;

use netplug_plugin_sdk::schema::{self, AttrSpec, ValueKind, ENVELOPE_ATTRIBUTES, FEATURE_ELEMENTS};
use netplug_plugin_sdk::{Diagnostic, Envelope, Item, LinkState, Validation};

/// The interface kind this plugin adds.
pub const KIND: &str = "veth";

pub const PEER: AttrSpec = AttrSpec {
    name: "peer",
    help: "the name of the pair's other end, created and deleted with this one",
    kind: ValueKind::Other("an interface name; required"),
    default: None,
};
pub const PEER_NETNS: AttrSpec = AttrSpec {
    name: "peer-netns",
    help: "the named network namespace (/run/netns/NAME) the peer is created in",
    kind: ValueKind::Other("a namespace name"),
    default: Some("this namespace"),
};

/// Every attribute of `<veth>` besides the envelope's.
pub const ATTRIBUTES: &[AttrSpec] = &[PEER, PEER_NETNS];

/// One veth end, as planning needs it: from a document or read from the kernel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Veth<'a> {
    pub name: &'a str,
    /// `None` in items read from the kernel whose peer lives in a namespace without a name
    /// here (and in documents validation refused): "leave the pairing alone".
    pub peer: Option<&'a str>,
    /// The namespace the peer lives in; `None`: this one.
    pub peer_netns: Option<&'a str>,
    pub envelope: Envelope,
}

impl<'a> Veth<'a> {
    pub fn from_item(item: &'a Item) -> Veth<'a> {
        Veth {
            name: &item.interface,
            peer: item.element.value(PEER.name).map(str::trim),
            peer_netns: item.element.value(PEER_NETNS.name).map(str::trim),
            envelope: item.envelope_or_default(),
        }
    }

    /// Whether this end is to exist.
    pub fn is_present(&self) -> bool {
        self.envelope.state != LinkState::Absent
    }

    /// The peer, when it lives in this namespace.
    pub fn local_peer(&self) -> Option<&'a str> {
        self.peer.filter(|_| self.peer_netns.is_none())
    }
}

/// Why `name` cannot name a network namespace under `/run/netns`, if it cannot.
pub fn netns_name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("must not be empty")
    } else if name == "." || name == ".." || name.contains('/') || name.contains('\0') {
        Some("must be a file name under /run/netns (no `/`, not `.` or `..`)")
    } else if name.len() > 255 {
        Some("must be at most 255 bytes")
    } else {
        None
    }
}

/// Check every `<veth>`: its own attributes and children, its peer's name and namespace, and
/// that ends declared on both sides agree.
pub fn validate(items: &[Item]) -> Validation {
    let mut out = Vec::new();
    for item in items {
        check_one(item, &mut out);
    }
    check_pairs(items, &mut out);
    Validation { diagnostics: out, ..Validation::default() }
}

fn check_one(item: &Item, out: &mut Vec<Diagnostic>) {
    let name = item.interface.as_str();
    let el = &item.element;
    out.extend(schema::check_specs(el, ATTRIBUTES, ENVELOPE_ATTRIBUTES, name));
    out.extend(schema::check_children_hinting(el, &[], FEATURE_ELEMENTS, name));
    if let Some(ns) = PEER_NETNS.attr(el) {
        if let Some(why) = netns_name_problem(ns.value.trim()) {
            out.push(schema::bad_value(ns, name, why));
        }
    }
    if item.is_absent() && PEER.attr(el).is_none() {
        // Removing a pair needs no peer name: deleting one end deletes both.
        return;
    }
    let Some(peer) = PEER.attr(el) else {
        // A warning, not an error: `show` cannot name a peer that lives in a namespace without
        // a name (a container runtime's), and its output must apply back. Such a veth must
        // exist already; planning to create one without a peer fails, naming it.
        out.push(
            Diagnostic::warning(el.span, format!("<{}> has no `peer`: {name} must exist already", el.name))
                .on_interface(name)
                .on_attribute(PEER.name)
                .with_help(format!("a veth is created with its other end: add peer=\"{name}p\", say")),
        );
        return;
    };
    let value = peer.value.trim();
    if let Some(why) = schema::ifname_problem(value) {
        out.push(schema::bad_value(peer, name, why));
    } else if value == name && PEER_NETNS.attr(el).is_none() {
        out.push(schema::bad_value(peer, name, "a veth's peer needs a name of its own"));
    }
}

/// Both ends of one pair may be declared (to give the peer an MTU or bring it up); they must
/// then name each other, agree on existing, and live here. Two veths may not claim one peer.
fn check_pairs(items: &[Item], out: &mut Vec<Diagnostic>) {
    let by_name: HashMap<&str, &Item> = items.iter().map(|i| (i.interface.as_str(), i)).collect();
    // (peer namespace, peer) → the veth claiming it.
    let mut claimed: HashMap<(Option<&str>, &str), &str> = HashMap::new();
    for item in items {
        let name = item.interface.as_str();
        let Some(peer_attr) = PEER.attr(&item.element) else { continue };
        let peer = peer_attr.value.trim();
        let netns = item.element.value(PEER_NETNS.name).map(str::trim);
        if peer == name && netns.is_none() {
            continue; // reported by check_one
        }
        if let Some(first) = claimed.insert((netns, peer), name) {
            let whose = match netns {
                Some(ns) => format!("{peer} in namespace {ns}"),
                None => peer.to_string(),
            };
            out.push(
                schema::bad_value(peer_attr, name, format!("{whose} is already the peer of {first}"))
                    .with_help("each veth end belongs to exactly one pair"),
            );
            continue;
        }
        if let Some(ns) = netns {
            // The peer is created over there; a <veth> of that name here is another link.
            if peer != name
                && by_name.get(peer).is_some_and(|o| o.element.value(PEER.name).map(str::trim) == Some(name))
            {
                let ns_attr = PEER_NETNS.attr(&item.element).expect("read above");
                out.push(
                    schema::bad_value(
                        ns_attr,
                        name,
                        format!("{peer} is created in namespace {ns}, so it cannot be declared here too"),
                    )
                    .with_help(format!("configure {peer} with `netplug --netns {ns}`")),
                );
            }
            continue;
        }
        let Some(other) = by_name.get(peer) else { continue };
        match other.element.value(PEER.name).map(str::trim) {
            Some(back) if back != name => out.push(
                schema::bad_value(
                    peer_attr,
                    name,
                    format!("{peer} is declared with peer=\"{back}\", not {name}"),
                )
                .with_help(format!("declare {peer} with peer=\"{name}\", or pick another name")),
            ),
            _ => {}
        }
        // Report once per pair, on the end written first.
        if item.is_absent() != other.is_absent() && claimed.get(&(None, name)) != Some(&peer) {
            let (gone, kept) = if item.is_absent() { (name, peer) } else { (peer, name) };
            out.push(
                Diagnostic::error(
                    peer_attr.value_span,
                    format!("{gone} is to be removed but its peer {kept} is to stay; a pair exists whole or not at all"),
                )
                .on_interface(name)
                .on_attribute(PEER.name),
            );
        }
    }
}

#[cfg(test)]
mod tests;
