//! The `<veth>` vocabulary and its validation: what a document may say, checked before any
//! kernel is asked.
//!
//! ```xml
//! <veth name="v0" peer="v0p" mtu="9000" state="up"/>
//! ```
//!
//! Core has already taken the envelope out of the element (`name`, `mtu`, `state`,
//! `startmode`, `<hwaddr>`) and hands it over as the item's [`Envelope`]; what is left here is
//! the kind's own vocabulary, which is just `peer`.

use std::collections::HashMap;

use netplug_plugin_sdk::schema::{self, AttrSpec, ValueKind};
use netplug_plugin_sdk::{Diagnostic, Envelope, Item, LinkState, Validation};

/// The interface kind this plugin adds.
pub const KIND: &str = "veth";

/// The `peer` attribute: the name of the pair's other end.
pub const PEER: AttrSpec = AttrSpec {
    name: "peer",
    help: "name of the pair's other end, created and deleted with this one",
    kind: ValueKind::Other("an interface name"),
    default: None,
};

/// Every attribute `<veth>` takes besides the envelope's; drives the checks and the docs.
pub const SPECS: &[AttrSpec] = &[PEER];

/// A desired veth end, as planning needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Veth<'a> {
    pub name: &'a str,
    /// `None` only in items read from the kernel whose peer is in another namespace, or in
    /// documents validation has refused.
    pub peer: Option<&'a str>,
    pub envelope: Envelope,
}

impl<'a> Veth<'a> {
    /// The veth an item describes. An item without an envelope (never sent by core) gets the
    /// default one: up, nothing else to change.
    pub fn from_item(item: &'a Item) -> Veth<'a> {
        let envelope = item.envelope.clone().unwrap_or_else(|| Envelope {
            name: item.interface.clone(),
            kind: KIND.into(),
            ..Envelope::default()
        });
        Veth { name: &item.interface, peer: item.element.value(PEER.name), envelope }
    }

    /// Whether this end is to exist.
    pub fn is_present(&self) -> bool {
        self.envelope.state != LinkState::Absent
    }
}

/// Check every `<veth>`: its own attributes and children, its peer's name, and that ends
/// declared on both sides agree.
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
    // Unknown attributes get "did you mean" hints from our names and the envelope's, so
    // `mut="9000"` suggests `mtu` although core, not this plugin, owns it.
    out.extend(schema::check_specs(el, SPECS, schema::ENVELOPE_ATTRIBUTES, name));
    out.extend(schema::check_children_hinting(el, &[], schema::FEATURE_ELEMENTS, name));
    if item.envelope.as_ref().is_some_and(|e| e.state == LinkState::Absent) && el.attr(PEER.name).is_none() {
        // Removing a pair needs no peer name: deleting one end deletes both.
        return;
    }
    let Some(peer) = el.attr(PEER.name) else {
        out.push(
            schema::missing_attr(el, PEER.name, name)
                .with_help(format!("a veth is created with its other end: add peer=\"{name}p\", say")),
        );
        return;
    };
    if let Some(why) = schema::ifname_problem(&peer.value) {
        out.push(schema::bad_value(peer, name, why));
    } else if peer.value == name {
        out.push(schema::bad_value(peer, name, "a veth's peer needs a name of its own"));
    }
}

/// Both ends of one pair may be declared (to give the peer an MTU or bring it up); they must
/// then name each other and agree on existing. Two veths may not claim the same peer.
fn check_pairs(items: &[Item], out: &mut Vec<Diagnostic>) {
    let by_name: HashMap<&str, &Item> = items.iter().map(|i| (i.interface.as_str(), i)).collect();
    let mut claimed: HashMap<&str, &str> = HashMap::new();
    for item in items {
        let name = item.interface.as_str();
        let Some(peer_attr) = item.element.attr(PEER.name) else { continue };
        let peer = peer_attr.value.as_str();
        if peer == name {
            continue; // reported by check_one
        }
        if let Some(first) = claimed.insert(peer, name) {
            out.push(
                schema::bad_value(peer_attr, name, format!("{peer} is already the peer of {first}"))
                    .with_help("each veth end belongs to exactly one pair"),
            );
            continue;
        }
        let Some(other) = by_name.get(peer) else { continue };
        match other.element.value(PEER.name) {
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
        let absent = |i: &Item| i.envelope.as_ref().is_some_and(|e| e.state == LinkState::Absent);
        // Report once per pair, on the end written first.
        if absent(item) != absent(other) && claimed.get(name) != Some(&peer) {
            let (gone, kept) = if absent(item) { (name, peer) } else { (peer, name) };
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
mod tests {
    use netplug_plugin_sdk::{Attribute, Element, Span};

    use super::*;

    fn at(line: u32, col: u32) -> Span {
        Span { file: 0, start: 0, end: 0, line, col }
    }

    /// `<veth name=NAME attrs..>` on line `line`, each attribute value at column 10·(i+1).
    fn veth(line: u32, name: &str, attrs: &[(&str, &str)], state: LinkState) -> Item {
        let mut el = Element::new(KIND);
        el.span = at(line, 1);
        for (i, (n, v)) in attrs.iter().enumerate() {
            let col = 10 * (i as u32 + 1);
            el.attributes.push(Attribute {
                name: n.to_string(),
                value: v.to_string(),
                span: at(line, col - 5),
                value_span: at(line, col),
            });
        }
        let envelope = Envelope { name: name.into(), kind: KIND.into(), state, ..Envelope::default() };
        Item { interface: name.into(), kind: KIND.into(), envelope: Some(envelope), element: el }
    }

    fn messages(items: &[Item]) -> Vec<(u32, u32, String, Option<String>)> {
        validate(items)
            .diagnostics
            .into_iter()
            .map(|d| (d.span.line, d.span.col, d.message, d.help))
            .collect()
    }

    #[test]
    fn a_pair_with_a_peer_is_fine() {
        assert!(messages(&[veth(1, "v0", &[("peer", "v0p")], LinkState::Up)]).is_empty());
        // Both ends declared, naming each other.
        let both = [
            veth(1, "v0", &[("peer", "v0p")], LinkState::Up),
            veth(2, "v0p", &[("peer", "v0")], LinkState::Down),
        ];
        assert!(messages(&both).is_empty());
    }

    #[test]
    fn unknown_attributes_get_hints() {
        let got =
            messages(&[veth(3, "v0", &[("peer", "v0p"), ("mut", "9000"), ("peeer", "x")], LinkState::Up)]);
        assert_eq!(
            got,
            [
                (
                    3,
                    15,
                    "unknown attribute `mut` on <veth>".to_string(),
                    Some("did you mean `mtu`?".to_string())
                ),
                (
                    3,
                    25,
                    "unknown attribute `peeer` on <veth>".to_string(),
                    Some("did you mean `peer`?".to_string())
                ),
            ]
        );
    }

    #[test]
    fn the_peer_is_required_unless_removing() {
        let got = messages(&[veth(2, "v0", &[], LinkState::Up)]);
        assert_eq!(got.len(), 1);
        assert_eq!((got[0].0, got[0].1), (2, 1), "points at the element");
        assert_eq!(got[0].2, "<veth> needs a `peer` attribute");
        assert!(messages(&[veth(2, "v0", &[], LinkState::Absent)]).is_empty());
    }

    #[test]
    fn bad_peer_names_point_at_the_value() {
        let got = messages(&[veth(4, "v0", &[("peer", "v0")], LinkState::Up)]);
        assert_eq!(
            got,
            [(4, 10, "invalid peer `v0`: a veth's peer needs a name of its own".to_string(), None)]
        );
        let got = messages(&[veth(4, "v0", &[("peer", "a-name-far-too-long")], LinkState::Up)]);
        assert_eq!((got[0].0, got[0].1), (4, 10));
        assert!(got[0].2.contains("at most 15 bytes"), "{}", got[0].2);
    }

    #[test]
    fn ends_must_agree() {
        let crossed = [
            veth(1, "v0", &[("peer", "v1")], LinkState::Up),
            veth(2, "v1", &[("peer", "v2")], LinkState::Up),
        ];
        let got = messages(&crossed);
        assert_eq!(got[0].2, "invalid peer `v1`: v1 is declared with peer=\"v2\", not v0");

        let shared =
            [veth(1, "v0", &[("peer", "p")], LinkState::Up), veth(2, "v1", &[("peer", "p")], LinkState::Up)];
        assert_eq!(
            messages(&shared),
            [(
                2,
                10,
                "invalid peer `p`: p is already the peer of v0".to_string(),
                Some("each veth end belongs to exactly one pair".to_string())
            )]
        );

        let half = [
            veth(1, "v0", &[("peer", "v0p")], LinkState::Up),
            veth(2, "v0p", &[("peer", "v0")], LinkState::Absent),
        ];
        let got = messages(&half);
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].2.starts_with("v0p is to be removed but its peer v0 is to stay"), "{}", got[0].2);
    }
}
