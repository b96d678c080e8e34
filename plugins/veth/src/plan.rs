//! Live → desired: the fewest changes that create, change, recreate and delete veth pairs.
//! Pure: no kernel here, so every rule is unit-tested.
//!
//! Per interface in scope:
//!
//! * desired and missing: create the pair — one change, in [`Phase::Create`], that also sets
//!   both ends' MTU and MAC, puts the peer in its namespace and brings the first end up (a
//!   peer declared up here gets a set-up change of its own: the kernel cannot open it before
//!   the pair is linked);
//! * desired and live with another peer, or its peer in another namespace: the kernel cannot
//!   re-pair or move a peer of an existing pair, so the plan deletes it ([`Phase::Delete`],
//!   saying why) and creates it again, back in its master when the document gives one;
//! * desired and live with the same peer: only the envelope's differences;
//! * absent, or in scope with no desired item (core's way of saying "remove"): delete it,
//!   which deletes its peer too, wherever that lives.
//!
//! What the desired item leaves out (MTU, MAC, the peer of a snapshot whose peer lives in an
//! unnamed namespace) is left as the kernel has it.

use std::collections::{HashMap, HashSet};

use netplug_plugin_sdk::netlink::{enslave_again, envelope_changes, kernel_mac, KindOp, LinkOp};
use netplug_plugin_sdk::{Change, Envelope, Item, LinkState, Phase, PluginError};
use serde::{Deserialize, Serialize};

use crate::config::Veth;

/// What to set on one end of a pair as it is created.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct End {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mtu: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
}

/// The veth plugin's own operation; everything else is one of the SDK's [`LinkOp`]s.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum VethOp {
    /// Create the pair `name`/`peer` with both ends' settings, the peer in `peer_netns` when
    /// given; bring `name` up as it is made when `up`.
    CreateVeth {
        name: String,
        peer: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        peer_netns: Option<String>,
        #[serde(default)]
        up: bool,
        #[serde(default)]
        this: End,
        #[serde(default)]
        other: End,
    },
}

impl VethOp {
    fn change(&self, interface: &str, phase: Phase, description: String) -> Change {
        KindOp::Kind(self).change(interface, phase, description)
    }
}

/// The changes that turn `live` into `desired` for the veths in `scope`.
pub fn plan(desired: &[Item], live: &[Item], scope: &[String]) -> Result<Vec<Change>, PluginError> {
    let desired: HashMap<&str, Veth> =
        desired.iter().map(|i| (i.interface.as_str(), Veth::from_item(i))).collect();
    let live: HashMap<&str, Veth> = live.iter().map(|i| (i.interface.as_str(), Veth::from_item(i))).collect();
    let mut out = Vec::new();
    // Local ends a planned delete or create already takes care of: deleting or creating one
    // end of a pair does the other too, and doing it twice would fail.
    let mut gone: HashSet<&str> = HashSet::new();
    let mut created: HashSet<&str> = HashSet::new();

    for name in scope {
        let name = name.as_str();
        let want = desired.get(name).filter(|w| w.is_present());
        let have = live.get(name);
        let Some(want) = want else {
            if let Some(have) = have {
                delete(have, None, &mut gone, &mut out);
            }
            continue;
        };
        let why = have.and_then(|have| repair_reason(want, have));
        if let (Some(have), None) = (have, &why) {
            out.extend(envelope_changes(&kernel_mac(&want.envelope), Some(&have.envelope)));
            continue;
        }
        if let Some(have) = have {
            delete(have, why.as_deref(), &mut gone, &mut out);
        }
        if created.contains(name) {
            continue; // created as the peer of an interface earlier in scope
        }
        let Some(peer) = want.peer else {
            let why = format!("{name} does not exist, and without a `peer` it cannot be created");
            return Err(PluginError::new(why).on_interface(name));
        };
        // The peer's own desired envelope, when the documents declare it here as a veth too.
        let peer_wants = match want.local_peer() {
            Some(p) => desired.get(p).filter(|p| p.is_present() && p.peer == Some(name)),
            None => None,
        };
        out.extend(create(want, peer, have.is_some(), peer_wants.map(|p| &p.envelope)));
        created.insert(name);
        created.extend(want.local_peer());
    }
    Ok(out)
}

/// Why a live pair must be deleted and created again to become the desired one, if it must.
fn repair_reason(want: &Veth, have: &Veth) -> Option<String> {
    // A desired peer of `None` (a snapshot of a pair whose peer's namespace has no name)
    // leaves the pairing alone.
    let peer = want.peer?;
    let place = |p: &str, ns: Option<&str>| match ns {
        Some(ns) => format!("{p} in namespace {ns}"),
        None => p.to_string(),
    };
    let was = match have.peer {
        Some(p) => place(p, have.peer_netns),
        None => "a peer in a namespace without a name".to_string(),
    };
    (have.peer != Some(peer) || have.peer_netns != want.peer_netns)
        .then(|| format!("to pair it with {} (was {was})", place(peer, want.peer_netns)))
}

/// `RTM_DELLINK` for a live end unless its pair is already going.
fn delete<'a>(have: &Veth<'a>, why: Option<&str>, gone: &mut HashSet<&'a str>, out: &mut Vec<Change>) {
    if !gone.insert(have.name) {
        return;
    }
    gone.extend(have.local_peer());
    let mut description = format!("delete veth {}", have.name);
    match (have.peer, have.peer_netns) {
        (Some(p), Some(ns)) => description.push_str(&format!(" and its peer {p} in namespace {ns}")),
        (Some(p), None) => description.push_str(&format!(" and its peer {p}")),
        (None, _) => description.push_str(" and its peer"),
    }
    if let Some(why) = why {
        description.push_str(&format!(" {why}"));
    }
    out.push(LinkOp::Delete { name: have.name.to_string() }.change(have.name, Phase::Delete, description));
}

/// The change that creates a pair with everything the envelopes ask for; when the peer is
/// declared up here, the change that brings it up; when the pair is made again, the enslaving
/// to the master the document gives.
fn create(want: &Veth, peer: &str, again: bool, peer_envelope: Option<&Envelope>) -> Vec<Change> {
    let end = |e: &Envelope| End { mtu: e.mtu, mac: kernel_mac(e).mac };
    let up = want.envelope.state == LinkState::Up;
    let this = end(&want.envelope);
    let other = peer_envelope.map(end).unwrap_or_default();
    let mut said = Vec::new();
    said.extend(this.mtu.map(|m| format!("mtu {m}")));
    said.extend(this.mac.as_ref().map(|m| format!("mac {m}")));
    if up {
        said.push("up".to_string());
    }
    let said = if said.is_empty() { String::new() } else { format!(" ({})", said.join(", ")) };
    let again_text = if again { " again" } else { "" };
    let whose = match want.peer_netns {
        Some(ns) => format!("{peer} in namespace {ns}"),
        None => peer.to_string(),
    };
    let description = format!("create veth {}{again_text} with peer {whose}{said}", want.name);
    let op = VethOp::CreateVeth {
        name: want.name.to_string(),
        peer: peer.to_string(),
        peer_netns: want.peer_netns.map(str::to_string),
        up,
        this,
        other,
    };
    let mut out = vec![op.change(want.name, Phase::Create, description)];
    if let Some(e) = peer_envelope {
        // Only the admin state is left: the create set the peer's MTU and MAC.
        out.extend(envelope_changes(e, None));
    }
    if again {
        // The new link is in no bridge; the master's plugin sees the old port and plans nothing.
        if let Some(master) = &want.envelope.master {
            out.push(enslave_again(want.name, master));
        }
    }
    out
}

#[cfg(test)]
mod tests;
