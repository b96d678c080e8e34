//! Live → desired: the changes that create, reconfigure, recreate and delete macvlans and
//! macvtaps.
//!
//! Mode, flags, broadcast queue and source list change in place, in one message. A new parent,
//! a change of kind (macvlan ↔ macvtap) or a change into or out of passthru mode means deleting
//! the link and creating it again (the kernel cannot do those in place); the new link gets back
//! what this plugin knows — its settings, MTU, MAC, admin state and master — and loses what
//! other plugins configured on it, which they plan again on the next run.

use netplug_plugin_sdk::netlink::{plan_links, LinkPlan};
use netplug_plugin_sdk::{Change, Envelope, Item, PluginError};
use serde::{Deserialize, Serialize};

use crate::config::MacvlanMode;
use crate::options::Settings;

/// The plugin's own operations; everything else is one of the SDK's
/// [`LinkOp`](netplug_plugin_sdk::netlink::LinkOp)s.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum MacvlanOp {
    /// Create a `macvlan` or `macvtap` (`kind`) on `parent`.
    Create {
        name: String,
        kind: String,
        parent: String,
        settings: Settings,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mtu: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mac: Option<String>,
    },
    /// Change the settings of an existing link in place.
    Reconfigure { name: String, kind: String, settings: Settings },
}

/// The changes that turn `live` into `desired` for the macvlans and macvtaps in `scope`.
pub fn plan(desired: &[Item], live: &[Item], scope: &[String]) -> Result<Vec<Change>, PluginError> {
    plan_links(&Macvlans, desired, live, scope)
}

struct Macvlans;

fn error(item: &Item, message: String) -> PluginError {
    PluginError::new(message).on_interface(&item.interface)
}

fn parent(item: &Item) -> Option<String> {
    item.element.value("device").map(|d| d.trim().to_string())
}

impl LinkPlan for Macvlans {
    type Op = MacvlanOp;

    fn create(&self, d: &Item, env: &Envelope) -> Result<(MacvlanOp, Vec<String>), PluginError> {
        let settings = Settings::of(&d.element).map_err(|m| error(d, m))?;
        let Some(parent) = parent(d) else {
            return Err(error(d, format!("a {} needs a device to be created", d.kind)));
        };
        let mut words = vec![format!("device {parent}")];
        words.extend(settings.describe());
        let op = MacvlanOp::Create {
            name: d.interface.clone(),
            kind: d.kind.clone(),
            parent,
            settings,
            mtu: env.mtu,
            mac: env.mac.clone(),
        };
        Ok((op, words))
    }

    fn recreate_for(&self, d: &Item, l: &Item) -> Result<Vec<String>, PluginError> {
        let want = Settings::of(&d.element).map_err(|m| error(d, m))?;
        let have = Settings::of_live(&l.element);
        let mut recreate = Vec::new();
        if d.kind != l.kind {
            recreate.push(format!("kind {} (was {})", d.kind, l.kind));
        }
        if let Some(p) = parent(d).filter(|p| parent(l).as_ref() != Some(p)) {
            let was = parent(l).map(|w| format!(" (was {w})")).unwrap_or_default();
            recreate.push(format!("device {p}{was}"));
        }
        let passthru = |s: &Settings| s.mode() == MacvlanMode::Passthru;
        if passthru(&want) != passthru(&have) {
            recreate.push(format!("mode {} (was {})", want.mode(), have.mode()));
        }
        Ok(recreate)
    }

    fn reconfigure(&self, d: &Item, l: &Item) -> Result<Option<(MacvlanOp, Vec<String>)>, PluginError> {
        let want = Settings::of(&d.element).map_err(|m| error(d, m))?;
        let differences = want.differences(&Settings::of_live(&l.element));
        let op = MacvlanOp::Reconfigure { name: d.interface.clone(), kind: d.kind.clone(), settings: want };
        Ok((!differences.is_empty()).then_some((op, differences)))
    }
}

#[cfg(test)]
mod tests;
