//! Live → desired: the changes that create, reflag, recreate and delete VLANs.
//!
//! A VLAN whose tag, protocol or parent changes is deleted and created again (the kernel has no
//! way to change them in place). The new link loses what the old one had from elsewhere; the
//! plan puts back what this plugin can know — its options, MTU, MAC, admin state, and its place
//! as a port of the master the document gives it (the master's plugin sees the old port and
//! plans nothing). Addresses other plugins configured go with the old link.

use netplug_plugin_sdk::netlink::{plan_links, LinkPlan};
use netplug_plugin_sdk::schema::parse_bool;
use netplug_plugin_sdk::{Change, Envelope, Item, PluginError};
use serde::{Deserialize, Serialize};

use crate::options::{flags_of, Identity};

/// The VLAN plugin's own operations; everything else is one of the SDK's
/// [`LinkOp`](netplug_plugin_sdk::netlink::LinkOp)s.
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

/// The changes that turn `live` into `desired` for the VLANs in `scope`.
pub fn plan(desired: &[Item], live: &[Item], scope: &[String]) -> Result<Vec<Change>, PluginError> {
    plan_links(&Vlans, desired, live, scope)
}

struct Vlans;

fn error(item: &Item, message: String) -> PluginError {
    PluginError::new(message).on_interface(&item.interface)
}

fn yes_no(v: bool) -> &'static str {
    if v {
        "yes"
    } else {
        "no"
    }
}

impl LinkPlan for Vlans {
    type Op = VlanOp;

    fn create(&self, d: &Item, env: &Envelope) -> Result<(VlanOp, Vec<String>), PluginError> {
        let id = Identity::of(&d.element).map_err(|m| error(d, m))?;
        let (Some(parent), Some(tag)) = (id.parent.clone(), id.tag) else {
            return Err(error(d, "a VLAN needs a device and a tag to be created".into()));
        };
        let flags: Vec<(String, bool)> = flags_of(&d.element)
            .map_err(|m| error(d, m))?
            .into_iter()
            .map(|(n, v)| (n.to_string(), v))
            .collect();
        let mut words = vec![format!("device {parent}"), format!("tag {tag}")];
        words.extend(id.protocol.map(|p| format!("protocol {p}")));
        words.extend(flags.iter().map(|(n, v)| format!("{n} {}", yes_no(*v))));
        let op = VlanOp::Create {
            name: d.interface.clone(),
            parent,
            tag,
            protocol: id.protocol.map(|p| p.to_string()),
            flags,
            mtu: env.mtu,
            mac: env.mac.clone(),
        };
        Ok((op, words))
    }

    fn recreate_for(&self, d: &Item, l: &Item) -> Result<Vec<String>, PluginError> {
        let want = Identity::of(&d.element).map_err(|m| error(d, m))?;
        let have = Identity::of(&l.element).map_err(|m| error(l, m))?;
        Ok(want.differences(&have))
    }

    fn reconfigure(&self, d: &Item, l: &Item) -> Result<Option<(VlanOp, Vec<String>)>, PluginError> {
        let mut flags = Vec::new();
        let mut what = Vec::new();
        for (flag, on) in flags_of(&d.element).map_err(|m| error(d, m))? {
            let was = l.element.value(flag).and_then(parse_bool);
            if was == Some(on) {
                continue;
            }
            flags.push((flag.to_string(), on));
            what.push(match was {
                Some(w) => format!("{flag} {} (was {})", yes_no(on), yes_no(w)),
                None => format!("{flag} {}", yes_no(on)),
            });
        }
        Ok((!flags.is_empty()).then(|| (VlanOp::SetFlags { name: d.interface.clone(), flags }, what)))
    }
}

#[cfg(test)]
mod tests;
