//! Live → desired: the changes that create, reconfigure, recreate and delete ipvlans.
//!
//! Mode and flags change in place; a new parent means deleting the ipvlan and creating it
//! again (the kernel cannot move it), with its settings, MTU, admin state and master; what
//! other plugins configured on the old link goes with it, and they plan it again.

use std::collections::HashMap;

use netplug_plugin_sdk::netlink::{envelope_changes, KindOp, LinkOp};
use netplug_plugin_sdk::{Change, Item, Phase, PluginError};
use serde::{Deserialize, Serialize};

use crate::options::Settings;

/// The ipvlan plugin's own operations; everything else is one of the SDK's [`LinkOp`]s.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum IpvlanOp {
    /// Create the ipvlan on `parent`.
    Create {
        name: String,
        parent: String,
        settings: Settings,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mtu: Option<u32>,
    },
    /// Change mode and flags of an existing ipvlan (and so of its parent's others).
    Reconfigure { name: String, settings: Settings },
}

impl IpvlanOp {
    fn change(&self, interface: &str, phase: Phase, description: String) -> Change {
        KindOp::Kind(self).change(interface, phase, description)
    }
}

/// The changes that turn `live` into `desired` for the ipvlans in `scope`.
pub fn plan(desired: &[Item], live: &[Item], scope: &[String]) -> Result<Vec<Change>, PluginError> {
    let want: HashMap<&str, &Item> =
        desired.iter().filter(|i| !i.is_absent()).map(|i| (i.interface.as_str(), i)).collect();
    let have: HashMap<&str, &Item> = live.iter().map(|i| (i.interface.as_str(), i)).collect();
    let mut out = Vec::new();
    for name in scope {
        match (want.get(name.as_str()), have.get(name.as_str())) {
            (None, None) => {}
            (None, Some(_)) => {
                out.push(LinkOp::Delete { name: name.clone() }.change(name, Phase::Delete, "delete ipvlan"))
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

fn parent(item: &Item) -> Option<String> {
    item.element.value("device").map(|d| d.trim().to_string())
}

fn create(d: &Item, again: bool, out: &mut Vec<Change>) -> Result<(), PluginError> {
    let name = d.interface.as_str();
    let env = d.envelope_or_default();
    let settings = Settings::of(&d.element).map_err(|m| error(d, m))?;
    let Some(parent) = parent(d) else {
        return Err(error(d, "an ipvlan needs a device to be created".into()));
    };
    let mut what = vec![
        format!("device {parent}"),
        format!("mode {}", settings.mode()),
        format!("flags {}", settings.flags()),
    ];
    what.extend(env.mtu.map(|m| format!("mtu {m}")));
    let again_text = if again { " again" } else { "" };
    let op = IpvlanOp::Create { name: name.to_string(), parent, settings, mtu: env.mtu };
    out.push(op.change(name, Phase::Create, format!("create ipvlan{again_text} ({})", what.join(", "))));
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
    if let Some(p) = parent(d).filter(|p| parent(l).as_ref() != Some(p)) {
        let was = parent(l).map(|w| format!(" (was {w})")).unwrap_or_default();
        let why = format!("delete ipvlan to change device {p}{was}");
        out.push(LinkOp::Delete { name: name.to_string() }.change(name, Phase::Delete, why));
        return create(d, true, out);
    }
    let want = Settings::of(&d.element).map_err(|m| error(d, m))?;
    let have = Settings::of(&l.element).map_err(|m| error(l, m))?;
    let differences = want.differences(have);
    if !differences.is_empty() {
        let op = IpvlanOp::Reconfigure { name: name.to_string(), settings: want };
        out.push(op.change(name, Phase::Configure, format!("set {}", differences.join(", "))));
    }
    if let Some(live_env) = &l.envelope {
        let mut desired = d.envelope_or_default();
        desired.mac = None;
        out.extend(envelope_changes(&desired, Some(live_env)));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
