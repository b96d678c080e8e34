//! Live → desired: the changes that create, reconfigure, re-port and delete bridges.
//!
//! Creation is one change per bridge (so a thousand creates go out as one burst), created up
//! with its options, MAC and MTU; options of an existing bridge are one change with only those that
//! differ. Membership is the bridge's: a `<member>` missing from the kernel is enslaved, a port
//! the document does not list (one added by hand, too) is released. A port moving from one
//! bridge to another is only enslaved to the new one: the kernel detaches it from the old
//! master itself (`do_set_master`), and a release would only add a moment without a master.

use std::collections::{HashMap, HashSet};

use netplug_plugin_sdk::netlink::{envelope_changes, KindOp, LinkOp};
use netplug_plugin_sdk::{Change, Element, Item, LinkState, Phase, PluginError};
use serde::{Deserialize, Serialize};

use crate::options;

/// The bridge plugin's own operations; everything else is one of the SDK's [`LinkOp`]s.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum BridgeOp {
    /// Create the bridge with these options (as the format writes them), MAC and MTU.
    Create {
        name: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        options: Vec<(String, String)>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mtu: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mac: Option<String>,
        /// Created already up (`IFF_UP` in the create request): one request less than a
        /// create and a set-up, `ip`'s way.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        up: bool,
    },
    /// Change options of an existing bridge.
    SetOptions { name: String, options: Vec<(String, String)> },
}

impl BridgeOp {
    fn change(&self, interface: &str, phase: Phase, description: String) -> Change {
        KindOp::Kind(self).change(interface, phase, description)
    }
}

/// The changes that turn `live` into `desired` for the bridges in `scope`.
pub fn plan(desired: &[Item], live: &[Item], scope: &[String]) -> Result<Vec<Change>, PluginError> {
    let want: HashMap<&str, &Item> =
        desired.iter().filter(|i| !i.is_absent()).map(|i| (i.interface.as_str(), i)).collect();
    let have: HashMap<&str, &Item> = live.iter().map(|i| (i.interface.as_str(), i)).collect();
    let claimed: HashSet<&str> =
        scope.iter().filter_map(|n| want.get(n.as_str())).flat_map(|i| members(&i.element)).collect();
    let mut out = Vec::new();
    for name in scope {
        match (want.get(name.as_str()), have.get(name.as_str())) {
            (None, None) => {}
            (None, Some(_)) => {
                out.push(LinkOp::Delete { name: name.clone() }.change(name, Phase::Delete, "delete bridge"))
            }
            (Some(d), None) => create(d, &mut out)?,
            (Some(d), Some(l)) => update(d, l, &claimed, &mut out)?,
        }
    }
    Ok(out)
}

/// The ports an element lists.
pub fn members(el: &Element) -> impl Iterator<Item = &str> {
    el.children_named("member").filter_map(|m| m.value("device")).map(str::trim)
}

fn bad_value(name: &str, message: String) -> PluginError {
    PluginError::new(message).on_interface(name)
}

fn create(d: &Item, out: &mut Vec<Change>) -> Result<(), PluginError> {
    let name = d.interface.as_str();
    let env = d.envelope_or_default();
    // Options at their default are left out of the create: a new bridge has them anyway, the
    // message stays small, and a kernel without an option (vlan_filtering needs
    // CONFIG_BRIDGE_VLAN_FILTERING) still takes a snapshot that reports it at its default.
    let options: Vec<(String, String)> = options::of_element(&d.element)
        .map_err(|m| bad_value(name, m))?
        .into_iter()
        .filter(|(o, v)| !o.same(*v, o.default))
        .map(|(o, v)| (o.name.to_string(), o.format(v)))
        .collect();
    let up = env.state == LinkState::Up;
    let mut what: Vec<String> = options.iter().map(|(n, v)| format!("{n} {v}")).collect();
    what.extend(env.mtu.map(|m| format!("mtu {m}")));
    what.extend(env.mac.as_ref().map(|m| format!("mac {m}")));
    if up {
        what.push("up".to_string());
    }
    let description = if what.is_empty() {
        "create bridge".to_string()
    } else {
        format!("create bridge ({})", what.join(", "))
    };
    // Up in the create request itself, before its ports are enslaved: the kernel brings the
    // ports' bridge state up as each joins (br_add_if), as after `ip`'s create, enslave, up.
    let op = BridgeOp::Create { name: name.to_string(), options, mtu: env.mtu, mac: env.mac.clone(), up };
    out.push(op.change(name, Phase::Create, description));
    out.extend(members(&d.element).map(|port| enslave(name, port)));
    Ok(())
}

fn update(d: &Item, l: &Item, claimed: &HashSet<&str>, out: &mut Vec<Change>) -> Result<(), PluginError> {
    let name = d.interface.as_str();
    let mut set = Vec::new();
    let mut what = Vec::new();
    for (o, v) in options::of_element(&d.element).map_err(|m| bad_value(name, m))? {
        let was = l.element.value(o.name).and_then(|t| o.parse(t));
        if was.is_some_and(|w| o.same(v, w)) {
            continue;
        }
        set.push((o.name.to_string(), o.format(v)));
        what.push(match was {
            Some(w) => format!("{} {} (was {})", o.name, o.format(v), o.format(w)),
            None => format!("{} {}", o.name, o.format(v)),
        });
    }
    if !set.is_empty() {
        let op = BridgeOp::SetOptions { name: name.to_string(), options: set };
        out.push(op.change(name, Phase::Configure, format!("set {}", what.join(", "))));
    }
    if let Some(live_env) = &l.envelope {
        out.extend(envelope_changes(&d.envelope_or_default(), Some(live_env)));
    }
    let wanted: HashSet<&str> = members(&d.element).collect();
    let present: HashSet<&str> = members(&l.element).collect();
    // Document order for enslaves, kernel (ifindex) order for releases: plans read the same
    // on every run.
    let mut seen = HashSet::new();
    for port in members(&d.element).filter(|p| !present.contains(p) && seen.insert(*p)) {
        out.push(enslave(name, port));
    }
    for port in members(&l.element).filter(|p| !wanted.contains(p) && !claimed.contains(p)) {
        out.push(LinkOp::Release { name: port.to_string() }.change(
            name,
            Phase::Release,
            format!("release {port}"),
        ));
    }
    Ok(())
}

fn enslave(bridge: &str, port: &str) -> Change {
    LinkOp::Enslave { name: port.to_string(), master: bridge.to_string() }.change(
        bridge,
        Phase::Enslave,
        format!("enslave {port}"),
    )
}

#[cfg(test)]
mod tests;
