//! Desired and live items → changes: create what is missing (with its MTU and MAC in the same
//! request), delete what is no longer wanted, and let the SDK plan the envelope of the rest.

use std::collections::HashMap;

use netplug_plugin_sdk::netlink::{envelope_changes, KindOp, LinkOp};
use netplug_plugin_sdk::{Change, Item, Phase};
use serde::{Deserialize, Serialize};

/// What only this plugin does; everything else is one of the SDK's [`LinkOp`]s.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum IfbOp {
    Create { name: String, mtu: Option<u32>, mac: Option<String> },
}

/// The changes that turn `live` into `desired` for the devices in `scope`.
pub fn plan(desired: &[Item], live: &[Item], scope: &[String]) -> Vec<Change> {
    let want: HashMap<&str, &Item> =
        desired.iter().filter(|i| !i.is_absent()).map(|i| (i.interface.as_str(), i)).collect();
    let have: HashMap<&str, &Item> = live.iter().map(|i| (i.interface.as_str(), i)).collect();
    let mut out = Vec::new();
    for name in scope {
        match (want.get(name.as_str()), have.get(name.as_str())) {
            (None, None) => {}
            (None, Some(_)) => {
                out.push(LinkOp::Delete { name: name.clone() }.change(name, Phase::Delete, "delete ifb"))
            }
            (Some(d), None) => {
                let envelope = d.envelope_or_default();
                let (mtu, mac) = (envelope.mtu, envelope.mac.clone());
                let op = KindOp::Kind(IfbOp::Create { name: name.clone(), mtu, mac });
                out.push(op.change(name, Phase::Create, "create ifb"));
                out.extend(envelope_changes(&envelope, None));
            }
            (Some(d), Some(l)) => {
                out.extend(envelope_changes(&d.envelope_or_default(), Some(&l.envelope_or_default())))
            }
        }
    }
    out
}
