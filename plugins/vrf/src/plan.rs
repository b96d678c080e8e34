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

use netplug_plugin_sdk::netlink::{plan_links, LinkPlan, MemberPorts};
use netplug_plugin_sdk::{Change, Envelope, Item, PluginError};
use serde::{Deserialize, Serialize};

use crate::config::parse_table;

/// The VRF plugin's own operations; everything else is one of the SDK's
/// [`LinkOp`](netplug_plugin_sdk::netlink::LinkOp)s.
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

/// The changes that turn `live` into `desired` for the VRFs in `scope`.
pub fn plan(desired: &[Item], live: &[Item], scope: &[String]) -> Result<Vec<Change>, PluginError> {
    plan_links(&Vrfs { ports: MemberPorts::new(desired, scope) }, desired, live, scope)
}

struct Vrfs<'a> {
    ports: MemberPorts<'a>,
}

impl LinkPlan for Vrfs<'_> {
    type Op = VrfOp;

    fn create(&self, d: &Item, env: &Envelope) -> Result<(VrfOp, Vec<String>), PluginError> {
        let Some(table) = table(d)? else {
            return Err(PluginError::new("a VRF needs a table to be created").on_interface(&d.interface));
        };
        let op = VrfOp::Create { name: d.interface.clone(), table, mtu: env.mtu, mac: env.mac.clone() };
        Ok((op, vec![format!("table {table}")]))
    }

    fn recreate_for(&self, d: &Item, l: &Item) -> Result<Vec<String>, PluginError> {
        Ok(match (table(d)?, table(l)?) {
            (Some(want), Some(have)) if want != have => vec![format!("table {want} (was {have})")],
            _ => Vec::new(),
        })
    }

    fn then(&self, d: &Item, l: Option<&Item>, out: &mut Vec<Change>) -> Result<(), PluginError> {
        out.extend(self.ports.changes(&d.interface, &d.element, l.map(|l| &l.element)));
        Ok(())
    }
}

fn table(item: &Item) -> Result<Option<u32>, PluginError> {
    item.element
        .value("table")
        .map(|t| parse_table(t).map_err(|why| PluginError::new(format!("invalid table `{t}`: {why}"))))
        .transpose()
        .map_err(|e| e.on_interface(&item.interface))
}

#[cfg(test)]
mod tests;
