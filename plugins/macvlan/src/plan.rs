//! Live → desired: the changes that create, reconfigure, recreate and delete macvlans and
//! macvtaps.
//!
//! Mode, flags, broadcast queue and source list change in place, in one message. A new parent,
//! a change of kind (macvlan ↔ macvtap) or a change into or out of passthru mode means deleting
//! the link and creating it again (the kernel cannot do those in place); the new link gets back
//! what this plugin knows — its settings, MTU, MAC, admin state and master — and loses what
//! other plugins configured on it, which they plan again on the next run.

use std::collections::HashMap;

use netplug_plugin_sdk::netlink::{envelope_changes, KindOp, LinkOp};
use netplug_plugin_sdk::{Change, Item, Phase, PluginError};
use serde::{Deserialize, Serialize};

use crate::config::MacvlanMode;
use crate::options::Settings;

/// The plugin's own operations; everything else is one of the SDK's [`LinkOp`]s.
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

impl MacvlanOp {
    fn change(&self, interface: &str, phase: Phase, description: String) -> Change {
        KindOp::Kind(self).change(interface, phase, description)
    }
}

/// The changes that turn `live` into `desired` for the macvlans and macvtaps in `scope`.
pub fn plan(desired: &[Item], live: &[Item], scope: &[String]) -> Result<Vec<Change>, PluginError> {
    let want: HashMap<&str, &Item> =
        desired.iter().filter(|i| !i.is_absent()).map(|i| (i.interface.as_str(), i)).collect();
    let have: HashMap<&str, &Item> = live.iter().map(|i| (i.interface.as_str(), i)).collect();
    let mut out = Vec::new();
    for name in scope {
        match (want.get(name.as_str()), have.get(name.as_str())) {
            (None, None) => {}
            (None, Some(l)) => out.push(LinkOp::Delete { name: name.clone() }.change(
                name,
                Phase::Delete,
                format!("delete {}", l.kind),
            )),
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
        return Err(error(d, format!("a {} needs a device to be created", d.kind)));
    };
    let mut what = vec![format!("device {parent}")];
    what.extend(settings.describe());
    what.extend(env.mtu.map(|m| format!("mtu {m}")));
    what.extend(env.mac.as_ref().map(|m| format!("mac {m}")));
    let again_text = if again { " again" } else { "" };
    let description = format!("create {}{again_text} ({})", d.kind, what.join(", "));
    let op = MacvlanOp::Create {
        name: name.to_string(),
        kind: d.kind.clone(),
        parent,
        settings,
        mtu: env.mtu,
        mac: env.mac.clone(),
    };
    out.push(op.change(name, Phase::Create, description));
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
    if !recreate.is_empty() {
        let why = format!("delete {} to change {}", l.kind, recreate.join(", "));
        out.push(LinkOp::Delete { name: name.to_string() }.change(name, Phase::Delete, why));
        return create(d, true, out);
    }
    let differences = want.differences(&have);
    if !differences.is_empty() {
        let op = MacvlanOp::Reconfigure { name: name.to_string(), kind: d.kind.clone(), settings: want };
        out.push(op.change(name, Phase::Configure, format!("set {}", differences.join(", "))));
    }
    if let Some(live_env) = &l.envelope {
        out.extend(envelope_changes(&d.envelope_or_default(), Some(live_env)));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
