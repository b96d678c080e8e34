//! Live → desired: the changes that create, reflag, recreate and delete VLANs.
//!
//! A VLAN whose tag, protocol or parent changes is deleted and created again (the kernel has no
//! way to change them in place). The new link loses what the old one had from elsewhere; the
//! plan puts back what this plugin can know — its options, MTU, MAC, admin state, and its place
//! as a port of the master the document gives it (the master's plugin sees the old port and
//! plans nothing). Addresses other plugins configured go with the old link.

use std::collections::HashMap;

use netplug_plugin_sdk::netlink::{envelope_changes, KindOp, LinkOp};
use netplug_plugin_sdk::schema::parse_bool;
use netplug_plugin_sdk::{Change, Item, Phase, PluginError};
use serde::{Deserialize, Serialize};

use crate::options::{flags_of, Identity};

/// The VLAN plugin's own operations; everything else is one of the SDK's [`LinkOp`]s.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum VlanOp {
    /// Create the VLAN on `parent` with its tag, protocol, flags, MTU and MAC.
    Create {
        name: String,
        parent: String,
        tag: u16,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        protocol: Option<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        flags: Vec<(String, bool)>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mtu: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mac: Option<String>,
    },
    /// Change flags of an existing VLAN (only those named).
    SetFlags { name: String, flags: Vec<(String, bool)> },
}

impl VlanOp {
    fn change(&self, interface: &str, phase: Phase, description: String) -> Change {
        KindOp::Kind(self).change(interface, phase, description)
    }
}

/// The changes that turn `live` into `desired` for the VLANs in `scope`.
pub fn plan(desired: &[Item], live: &[Item], scope: &[String]) -> Result<Vec<Change>, PluginError> {
    let want: HashMap<&str, &Item> =
        desired.iter().filter(|i| !i.is_absent()).map(|i| (i.interface.as_str(), i)).collect();
    let have: HashMap<&str, &Item> = live.iter().map(|i| (i.interface.as_str(), i)).collect();
    let mut out = Vec::new();
    for name in scope {
        match (want.get(name.as_str()), have.get(name.as_str())) {
            (None, None) => {}
            (None, Some(_)) => {
                out.push(LinkOp::Delete { name: name.clone() }.change(name, Phase::Delete, "delete vlan"))
            }
            (Some(d), None) => create(d, false, &mut out)?,
            (Some(d), Some(l)) => update(d, l, &mut out)?,
        }
    }
    Ok(out)
}

fn error(item: &Item, message: String) -> PluginError {
    PluginError::new(message).on_interface(&item.interface)
}

fn create(d: &Item, again: bool, out: &mut Vec<Change>) -> Result<(), PluginError> {
    let name = d.interface.as_str();
    let env = d.envelope_or_default();
    let id = Identity::of(&d.element).map_err(|m| error(d, m))?;
    let (Some(parent), Some(tag)) = (id.parent.clone(), id.tag) else {
        return Err(error(d, "a VLAN needs a device and a tag to be created".into()));
    };
    let flags: Vec<(String, bool)> =
        flags_of(&d.element).map_err(|m| error(d, m))?.into_iter().map(|(n, v)| (n.to_string(), v)).collect();
    let mut what = vec![format!("device {parent}"), format!("tag {tag}")];
    what.extend(id.protocol.map(|p| format!("protocol {p}")));
    what.extend(flags.iter().map(|(n, v)| format!("{n} {}", if *v { "yes" } else { "no" })));
    what.extend(env.mtu.map(|m| format!("mtu {m}")));
    what.extend(env.mac.as_ref().map(|m| format!("mac {m}")));
    let again_text = if again { " again" } else { "" };
    let op = VlanOp::Create {
        name: name.to_string(),
        parent,
        tag,
        protocol: id.protocol.map(|p| p.to_string()),
        flags,
        mtu: env.mtu,
        mac: env.mac.clone(),
    };
    out.push(op.change(name, Phase::Create, format!("create vlan{again_text} ({})", what.join(", "))));
    out.extend(envelope_changes(&env, None));
    if again {
        if let Some(master) = &env.master {
            let op = LinkOp::Enslave { name: name.to_string(), master: master.clone() };
            out.push(op.change(name, Phase::Enslave, format!("enslave to {master} again")));
        }
    }
    Ok(())
}

fn update(d: &Item, l: &Item, out: &mut Vec<Change>) -> Result<(), PluginError> {
    let name = d.interface.as_str();
    let want = Identity::of(&d.element).map_err(|m| error(d, m))?;
    let have = Identity::of(&l.element).map_err(|m| error(l, m))?;
    let differences = want.differences(&have);
    if !differences.is_empty() {
        let why = format!("delete to change {}", differences.join(", "));
        out.push(LinkOp::Delete { name: name.to_string() }.change(name, Phase::Delete, why));
        return create(d, true, out);
    }
    let mut flags = Vec::new();
    let mut what = Vec::new();
    for (flag, on) in flags_of(&d.element).map_err(|m| error(d, m))? {
        let was = l.element.value(flag).and_then(parse_bool);
        if was == Some(on) {
            continue;
        }
        let text = |v: bool| if v { "yes" } else { "no" };
        flags.push((flag.to_string(), on));
        what.push(match was {
            Some(w) => format!("{flag} {} (was {})", text(on), text(w)),
            None => format!("{flag} {}", text(on)),
        });
    }
    if !flags.is_empty() {
        let op = VlanOp::SetFlags { name: name.to_string(), flags };
        out.push(op.change(name, Phase::Configure, format!("set {}", what.join(", "))));
    }
    if let Some(live_env) = &l.envelope {
        out.extend(envelope_changes(&d.envelope_or_default(), Some(live_env)));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
