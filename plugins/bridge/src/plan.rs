//! Live → desired: the changes that create, reconfigure, re-port and delete bridges.
//!
//! Creation is one change per bridge (so a thousand creates go out as one burst), created up
//! with its options, MAC and MTU; options of an existing bridge are one change with only those that
//! differ. Membership is the bridge's: a `<member>` missing from the kernel is enslaved, a port
//! the document does not list (one added by hand, too) is released. A port moving from one
//! bridge to another is only enslaved to the new one: the kernel detaches it from the old
//! master itself (`do_set_master`), and a release would only add a moment without a master.

use netplug_plugin_sdk::netlink::{plan_links, LinkPlan, MemberPorts};
use netplug_plugin_sdk::{Change, Envelope, Item, LinkState, PluginError};
use serde::{Deserialize, Serialize};

use crate::options;

/// The bridge plugin's own operations; everything else is one of the SDK's
/// [`LinkOp`](netplug_plugin_sdk::netlink::LinkOp)s.
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
        /// create and a set-up, `ip`'s way. Absent (older journals): false.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        up: bool,
    },
    /// Change options of an existing bridge.
    SetOptions { name: String, options: Vec<(String, String)> },
}

/// The changes that turn `live` into `desired` for the bridges in `scope`.
pub fn plan(desired: &[Item], live: &[Item], scope: &[String]) -> Result<Vec<Change>, PluginError> {
    plan_links(&Bridges { ports: MemberPorts::new(desired, scope) }, desired, live, scope)
}

struct Bridges<'a> {
    ports: MemberPorts<'a>,
}

fn bad_value(name: &str, message: String) -> PluginError {
    PluginError::new(message).on_interface(name)
}

impl LinkPlan for Bridges<'_> {
    type Op = BridgeOp;

    fn create(&self, d: &Item, env: &Envelope) -> Result<(BridgeOp, Vec<String>), PluginError> {
        let name = d.interface.as_str();
        // Options at their default are left out of the create: a new bridge has them anyway, the
        // message stays small, and a kernel without an option (vlan_filtering needs
        // CONFIG_BRIDGE_VLAN_FILTERING) still takes a snapshot that reports it at its default.
        let options: Vec<(String, String)> = options::of_element(&d.element)
            .map_err(|m| bad_value(name, m))?
            .into_iter()
            .filter(|(o, v)| !o.same(*v, o.default))
            .map(|(o, v)| (o.name.to_string(), o.format(v)))
            .collect();
        let words = options.iter().map(|(n, v)| format!("{n} {v}")).collect();
        let up = env.state == LinkState::Up;
        Ok((
            BridgeOp::Create { name: name.to_string(), options, mtu: env.mtu, mac: env.mac.clone(), up },
            words,
        ))
    }

    /// Up in the create request itself, before its ports are enslaved: the kernel brings each
    /// port's bridge state up as it joins (br_add_if), as after `ip`'s create, enslave, up.
    fn creates_up(&self) -> bool {
        true
    }

    fn reconfigure(&self, d: &Item, l: &Item) -> Result<Option<(BridgeOp, Vec<String>)>, PluginError> {
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
        Ok((!set.is_empty()).then(|| (BridgeOp::SetOptions { name: name.to_string(), options: set }, what)))
    }

    fn then(&self, d: &Item, l: Option<&Item>, out: &mut Vec<Change>) -> Result<(), PluginError> {
        out.extend(self.ports.changes(&d.interface, &d.element, l.map(|l| &l.element)));
        Ok(())
    }
}

#[cfg(test)]
mod tests;
