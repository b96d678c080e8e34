//! Planning: the fewest [`Change`]s that turn the live veths into the desired ones. Pure: no
//! kernel here, so every rule is unit-tested.
//!
//! The rules, per interface in scope:
//!
//! * desired and missing: create the pair — one change, in [`Phase::Create`], that also sets
//!   both ends' MTU and MAC and brings the first end up, so 10,000 pairs are 10,000 requests in
//!   one burst and nothing else (a peer declared up gets its own set-up change);
//! * desired and live with another peer: delete it ([`Phase::Delete`]) and create it anew;
//! * desired and live with the same peer: only the envelope's differences
//!   ([`envelope_changes`]);
//! * absent, or in scope with no desired item (core's way of saying "remove"): delete it,
//!   which deletes its peer too.
//!
//! An attribute the desired item leaves out (MTU, MAC, even the peer of an item read back from
//! the kernel) is left as the kernel has it.

use std::collections::{HashMap, HashSet};

#[cfg(test)]
use netplug_plugin_sdk::netlink::KindOp;
use netplug_plugin_sdk::netlink::{envelope_changes, LinkOp};
use netplug_plugin_sdk::netlink::{format_mac, parse_mac};
use netplug_plugin_sdk::{Change, Envelope, Item, LinkState, Phase, PluginError};

use crate::config::Veth;
use crate::netlink::{CreatePair, End};

/// Plan the changes for the interfaces in `scope`.
pub fn plan(desired: &[Item], live: &[Item], scope: &[String]) -> Result<Vec<Change>, PluginError> {
    let desired: HashMap<&str, Veth> =
        desired.iter().map(|i| (i.interface.as_str(), Veth::from_item(i))).collect();
    let live: HashMap<&str, Veth> = live.iter().map(|i| (i.interface.as_str(), Veth::from_item(i))).collect();
    let mut changes = Vec::new();
    // Ends that a planned delete or create already takes care of: deleting or creating one
    // end of a pair does the other too, and doing it twice would fail.
    let mut gone: HashSet<&str> = HashSet::new();
    let mut created: HashSet<&str> = HashSet::new();

    for name in scope {
        let name = name.as_str();
        let want = desired.get(name).filter(|w| w.is_present());
        let have = live.get(name);
        let Some(want) = want else {
            if let Some(have) = have {
                delete(have, &mut gone, &mut changes);
            }
            continue;
        };
        let recreate = match have {
            None => true,
            // A desired peer of `None` (a snapshot of a pair whose peer is in another
            // namespace) leaves the pairing alone.
            Some(have) => want.peer.is_some() && have.peer != want.peer,
        };
        if !recreate {
            let have = have.expect("not recreating means it is live");
            changes.extend(envelope_changes(&normalized(&want.envelope), Some(&have.envelope)));
            continue;
        }
        if let Some(have) = have {
            delete(have, &mut gone, &mut changes);
        }
        if created.contains(name) {
            continue; // created as the peer of an interface earlier in scope
        }
        let Some(peer) = want.peer else {
            return Err(PluginError::new("a veth to create needs a peer").on_interface(name));
        };
        // The peer's own desired envelope, when the documents declare it as a veth too.
        let peer_wants = desired.get(peer).filter(|p| p.is_present() && p.peer == Some(name));
        changes.extend(create(want, peer, peer_wants.map(|p| &p.envelope)));
        created.insert(name);
        created.insert(peer);
    }
    Ok(changes)
}

/// Plan `RTM_DELLINK` for a live end unless its pair is already going.
fn delete<'a>(have: &Veth<'a>, gone: &mut HashSet<&'a str>, changes: &mut Vec<Change>) {
    if gone.contains(have.name) {
        return;
    }
    gone.insert(have.name);
    let peer = have.peer.map(|p| {
        gone.insert(p);
        format!(" and its peer {p}")
    });
    let description = format!("delete veth {}{}", have.name, peer.unwrap_or_default());
    changes.push(LinkOp::Delete { name: have.name.to_string() }.change(
        have.name,
        Phase::Delete,
        description,
    ));
}

/// The change that creates a pair with everything the envelopes ask for, and, when the peer is
/// declared up, the change that brings it up (the kernel cannot do that as it creates it).
fn create(want: &Veth, peer: &str, peer_envelope: Option<&Envelope>) -> Vec<Change> {
    let end = |e: &Envelope| End { mtu: e.mtu, mac: normalized(e).mac };
    let up = want.envelope.state == LinkState::Up;
    let this = end(&want.envelope);
    let other = peer_envelope.map(end).unwrap_or_default();
    let mut said = Vec::new();
    if let Some(mtu) = this.mtu {
        said.push(format!("mtu {mtu}"));
    }
    if let Some(mac) = &this.mac {
        said.push(format!("mac {mac}"));
    }
    if up {
        said.push("up".to_string());
    }
    let said = if said.is_empty() { String::new() } else { format!(" ({})", said.join(", ")) };
    let description = format!("create veth {} with peer {peer}{said}", want.name);
    let mut out = vec![CreatePair { name: want.name.to_string(), peer: peer.to_string(), up, this, other }
        .change(Phase::Create, description)];
    if let Some(e) = peer_envelope {
        // Only the admin state is left: the create set the peer's MTU and MAC.
        out.extend(envelope_changes(e, None));
    }
    out
}

/// The envelope with its MAC spelled as the kernel reads back (`00:1a:…`, lower case), so a
/// document writing `00:1A:…` does not plan a change on every run.
fn normalized(e: &Envelope) -> Envelope {
    let mac = e.mac.as_deref().map(|m| parse_mac(m).map(|b| format_mac(&b)).unwrap_or_else(|| m.to_string()));
    Envelope { mac, ..e.clone() }
}

#[cfg(test)]
mod tests {
    use netplug_plugin_sdk::Element;

    use super::*;

    fn item(name: &str, peer: Option<&str>, state: LinkState, mtu: Option<u32>) -> Item {
        let mut element = Element::new("veth");
        if let Some(p) = peer {
            element.set_attr("peer", p);
        }
        let envelope = Envelope { name: name.into(), kind: "veth".into(), state, mtu, ..Envelope::default() };
        Item { interface: name.into(), kind: "veth".into(), envelope: Some(envelope), element }
    }

    fn scope(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn described(changes: &[Change]) -> Vec<(Phase, &str)> {
        changes.iter().map(|c| (c.phase, c.description.as_str())).collect()
    }

    #[test]
    fn a_missing_pair_is_one_create_with_its_envelope() {
        let want = [item("v0", Some("v0p"), LinkState::Up, Some(9000))];
        let got = plan(&want, &[], &scope(&["v0"])).unwrap();
        assert_eq!(described(&got), [(Phase::Create, "create veth v0 with peer v0p (mtu 9000, up)")]);
        let Ok(KindOp::Kind(payload)) = got[0].op::<KindOp<CreatePair>>() else { panic!("{got:?}") };
        assert_eq!((payload.up, payload.this), (true, End { mtu: Some(9000), mac: None }));
        assert_eq!(payload.other, End::default(), "an undeclared peer is left as the kernel makes it");
    }

    #[test]
    fn a_pair_declared_twice_is_created_once_with_both_envelopes() {
        let want =
            [item("a", Some("b"), LinkState::Up, None), item("b", Some("a"), LinkState::Up, Some(1400))];
        let got = plan(&want, &[], &scope(&["a", "b"])).unwrap();
        assert_eq!(
            described(&got),
            [(Phase::Create, "create veth a with peer b (up)"), (Phase::Up, "set up")]
        );
        assert_eq!(got[1].interface, "b");
        let Ok(KindOp::Kind(payload)) = got[0].op::<KindOp<CreatePair>>() else { panic!("{got:?}") };
        assert_eq!(payload.other, End { mtu: Some(1400), mac: None });
    }

    #[test]
    fn a_matching_pair_needs_nothing_and_absent_attributes_are_left_alone() {
        let live = [item("v0", Some("v0p"), LinkState::Up, Some(1500))];
        let want = [item("v0", Some("v0p"), LinkState::Up, None)];
        assert!(plan(&want, &live, &scope(&["v0"])).unwrap().is_empty());
    }

    #[test]
    fn envelope_differences_are_envelope_changes() {
        let live = [item("v0", Some("v0p"), LinkState::Down, Some(1500))];
        let want = [item("v0", Some("v0p"), LinkState::Up, Some(9000))];
        let got = plan(&want, &live, &scope(&["v0"])).unwrap();
        assert_eq!(described(&got), [(Phase::Configure, "set mtu 9000 (was 1500)"), (Phase::Up, "set up")]);
    }

    #[test]
    fn another_peer_means_delete_and_create() {
        let live =
            [item("v0", Some("old"), LinkState::Up, None), item("old", Some("v0"), LinkState::Down, None)];
        let want = [item("v0", Some("new"), LinkState::Up, None)];
        let got = plan(&want, &live, &scope(&["v0"])).unwrap();
        assert_eq!(
            described(&got),
            [
                (Phase::Delete, "delete veth v0 and its peer old"),
                (Phase::Create, "create veth v0 with peer new (up)"),
            ]
        );
    }

    #[test]
    fn removal_deletes_each_pair_once() {
        let live = [item("a", Some("b"), LinkState::Up, None), item("b", Some("a"), LinkState::Up, None)];
        // Absent in the document, or in scope with no desired item (a rollback to "none").
        let absent = [item("a", None, LinkState::Absent, None), item("b", None, LinkState::Absent, None)];
        for want in [&absent[..], &[]] {
            let got = plan(want, &live, &scope(&["a", "b"])).unwrap();
            assert_eq!(described(&got), [(Phase::Delete, "delete veth a and its peer b")]);
        }
        assert!(plan(&absent, &[], &scope(&["a", "b"])).unwrap().is_empty());
    }

    #[test]
    fn interfaces_out_of_scope_are_not_touched() {
        let live = [item("x", Some("y"), LinkState::Up, None)];
        assert!(plan(&[], &live, &scope(&["v0"])).unwrap().is_empty());
    }

    #[test]
    fn a_snapshot_without_a_peer_leaves_the_pairing_alone() {
        let live = [item("v0", Some("v0p"), LinkState::Up, Some(1500))];
        let snapshot = [item("v0", None, LinkState::Up, Some(1400))];
        let got = plan(&snapshot, &live, &scope(&["v0"])).unwrap();
        assert_eq!(described(&got), [(Phase::Configure, "set mtu 1400 (was 1500)")]);
    }

    #[test]
    fn macs_compare_in_the_kernels_spelling() {
        let mut live = item("v0", Some("v0p"), LinkState::Up, None);
        live.envelope.as_mut().unwrap().mac = Some("02:aa:bb:cc:dd:ee".into());
        let mut want = live.clone();
        want.envelope.as_mut().unwrap().mac = Some("02:AA:BB:CC:DD:EE".into());
        assert!(plan(&[want], &[live], &scope(&["v0"])).unwrap().is_empty());
    }
}
