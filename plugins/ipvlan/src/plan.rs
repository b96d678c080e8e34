//! Live → desired: the changes that create, reconfigure, recreate and delete ipvlans.
//!
//! Mode and flags change in place; a new parent means deleting the ipvlan and creating it
//! again (the kernel cannot move it), with its settings, MTU, admin state and master; what
//! other plugins configured on the old link goes with it, and they plan it again.

use netplug_plugin_sdk::netlink::{kernel_mac, plan_links, LinkPlan};
use netplug_plugin_sdk::{Change, Envelope, Item, PluginError};
use serde::{Deserialize, Serialize};

use crate::options::Settings;

/// The ipvlan plugin's own operations; everything else is one of the SDK's
/// [`LinkOp`](netplug_plugin_sdk::netlink::LinkOp)s.
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

/// The changes that turn `live` into `desired` for the ipvlans in `scope`.
pub fn plan(desired: &[Item], live: &[Item], scope: &[String]) -> Result<Vec<Change>, PluginError> {
    plan_links(&Ipvlans, desired, live, scope)
}

struct Ipvlans;

fn error(item: &Item, message: String) -> PluginError {
    PluginError::new(message).on_interface(&item.interface)
}

fn parent(item: &Item) -> Option<String> {
    item.element.value("device").map(|d| d.trim().to_string())
}

impl LinkPlan for Ipvlans {
    type Op = IpvlanOp;

    fn create(&self, d: &Item, env: &Envelope) -> Result<(IpvlanOp, Vec<String>), PluginError> {
        let settings = Settings::of(&d.element).map_err(|m| error(d, m))?;
        let Some(parent) = parent(d) else {
            return Err(error(d, "an ipvlan needs a device to be created".into()));
        };
        let words = vec![
            format!("device {parent}"),
            format!("mode {}", settings.mode()),
            format!("flags {}", settings.flags()),
        ];
        Ok((IpvlanOp::Create { name: d.interface.clone(), parent, settings, mtu: env.mtu }, words))
    }

    fn recreate_for(&self, d: &Item, l: &Item) -> Result<Vec<String>, PluginError> {
        Ok(match parent(d).filter(|p| parent(l).as_ref() != Some(p)) {
            Some(p) => {
                vec![format!("device {p}{}", parent(l).map(|w| format!(" (was {w})")).unwrap_or_default())]
            }
            None => Vec::new(),
        })
    }

    fn reconfigure(&self, d: &Item, l: &Item) -> Result<Option<(IpvlanOp, Vec<String>)>, PluginError> {
        let want = Settings::of(&d.element).map_err(|m| error(d, m))?;
        let have = Settings::of(&l.element).map_err(|m| error(l, m))?;
        let differences = want.differences(have);
        Ok((!differences.is_empty())
            .then(|| (IpvlanOp::Reconfigure { name: d.interface.clone(), settings: want }, differences)))
    }

    /// An ipvlan has its parent's MAC (validation refuses one of its own), so none is planned.
    fn envelope(&self, d: &Item) -> Envelope {
        Envelope { mac: None, ..kernel_mac(&d.envelope_or_default()) }
    }
}

#[cfg(test)]
mod tests;
