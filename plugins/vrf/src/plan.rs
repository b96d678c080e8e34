//! Live → desired: the changes that create, recreate, re-port and delete VRFs.
//!
//! Membership is the VRF's, as a bridge's is: a `<member>` missing from the kernel is
//! enslaved, a port the document does not list is released. The kernel cannot change a VRF's
//! table (the VRF has no `changelink`), so a new table deletes the VRF — which releases its
//! ports — and creates it again with every member.
//!
//! Putting a port into a VRF or taking it out cycles the port down and up (`cycle_netdev`):
//! its IPv4 routes are flushed and its prefix routes come back in the new table, and its IPv6
//! addresses are flushed unless `keep_addr_on_down` is set. Core applies addresses and routes
//! after enslaving, so a new port gets them in its VRF, and adds again, once, what the kernel
//! dropped from a configured port this run moved (see core's apply).

use std::collections::{HashMap, HashSet};

use netplug_plugin_sdk::netlink::{envelope_changes, KindOp, LinkOp};
use netplug_plugin_sdk::{Change, Element, Item, Phase, PluginError};
use serde::{Deserialize, Serialize};

use crate::config::parse_table;

/// The VRF plugin's own operations; everything else is one of the SDK's [`LinkOp`]s.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum VrfOp {
    /// Create the VRF with its table, MTU and MAC.
    Create {
        name: String,
        table: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mtu: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mac: Option<String>,
    },
}

impl VrfOp {
    fn change(&self, interface: &str, phase: Phase, description: String) -> Change {
        KindOp::Kind(self).change(interface, phase, description)
    }
}

/// The changes that turn `live` into `desired` for the VRFs in `scope`.
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
                out.push(LinkOp::Delete { name: name.clone() }.change(name, Phase::Delete, "delete vrf"))
            }
            (Some(d), None) => create(d, false, &mut out)?,
            (Some(d), Some(l)) => update(d, l, &claimed, &mut out)?,
        }
    }
    Ok(out)
}

/// The ports an element lists.
pub fn members(el: &Element) -> impl Iterator<Item = &str> {
    el.children_named("member").filter_map(|m| m.value("device")).map(str::trim)
}

fn table(item: &Item) -> Result<Option<u32>, PluginError> {
    item.element
        .value("table")
        .map(|t| parse_table(t).map_err(|why| PluginError::new(format!("invalid table `{t}`: {why}"))))
        .transpose()
        .map_err(|e| e.on_interface(&item.interface))
}

fn create(d: &Item, again: bool, out: &mut Vec<Change>) -> Result<(), PluginError> {
    let name = d.interface.as_str();
    let env = d.envelope_or_default();
    let Some(table) = table(d)? else {
        return Err(PluginError::new("a VRF needs a table to be created").on_interface(name));
    };
    let mut what = vec![format!("table {table}")];
    what.extend(env.mtu.map(|m| format!("mtu {m}")));
    what.extend(env.mac.as_ref().map(|m| format!("mac {m}")));
    let again_text = if again { " again" } else { "" };
    let op = VrfOp::Create { name: name.to_string(), table, mtu: env.mtu, mac: env.mac.clone() };
    out.push(op.change(name, Phase::Create, format!("create vrf{again_text} ({})", what.join(", "))));
    out.extend(envelope_changes(&env, None));
    let mut seen = HashSet::new();
    out.extend(members(&d.element).filter(|p| seen.insert(*p)).map(|port| enslave(name, port)));
    Ok(())
}

fn update(d: &Item, l: &Item, claimed: &HashSet<&str>, out: &mut Vec<Change>) -> Result<(), PluginError> {
    let name = d.interface.as_str();
    if let (Some(want), Some(have)) = (table(d)?, table(l)?) {
        if want != have {
            let why = format!("delete vrf to change table {want} (was {have})");
            out.push(LinkOp::Delete { name: name.to_string() }.change(name, Phase::Delete, why));
            return create(d, true, out);
        }
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

fn enslave(vrf: &str, port: &str) -> Change {
    LinkOp::Enslave { name: port.to_string(), master: vrf.to_string() }.change(
        vrf,
        Phase::Enslave,
        format!("enslave {port}"),
    )
}

#[cfg(test)]
mod tests;
