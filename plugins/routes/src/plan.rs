//! Planning: per interface in scope, the routes to add, change in place and remove, from the
//! desired and live items alone (no kernel request).
//!
//! A route is identified by destination, table and metric (the kernel's key); gateway, type
//! and onlink are what a change in place (`NLM_F_REPLACE`) alters. Removals run in the
//! `RemoveRoute` phase, before addresses go; additions and changes in the `Route` phase, after
//! links are up and addresses are there, so gateways are reachable.

use std::collections::{HashMap, HashSet};

use netplug_plugin_sdk::{items_by_interface, Change, Item, Phase, PluginError};

use crate::apply::RouteOp;
use crate::spec::{RouteKey, RouteSpec};

/// The changes that turn `live` into `desired` for the interfaces in `scope`.
pub fn plan(desired: &[Item], live: &[Item], scope: &[String]) -> Result<Vec<Change>, PluginError> {
    let desired = items_by_interface(desired.iter().filter(|i| !i.is_absent()));
    let live = items_by_interface(live.iter());
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for name in scope {
        if !seen.insert(name.as_str()) {
            continue;
        }
        let want = specs(desired.get(name.as_str()).into_iter().flatten().copied(), name)?;
        let have = specs(live.get(name.as_str()).into_iter().flatten().copied(), name)?;
        plan_interface(name, &want, &have, &mut out);
    }
    // Core orders all plugins' changes by phase anyway; doing it here too lets a route move
    // between interfaces (removed from one, added to the other) in a plain apply of this plan.
    out.sort_by_key(|c| c.phase);
    Ok(out)
}

/// Routes by key, in item order; a later item with the same key replaces an earlier one (only
/// possible in a snapshot edited by hand: validation refuses it).
fn specs<'a>(items: impl Iterator<Item = &'a Item>, name: &str) -> Result<Vec<RouteSpec>, PluginError> {
    let mut out: Vec<RouteSpec> = Vec::new();
    let mut at: HashMap<RouteKey, usize> = HashMap::new();
    for item in items {
        let spec = RouteSpec::from_item(name, &item.element)?;
        match at.get(&spec.key()) {
            Some(&i) => out[i] = spec,
            None => {
                at.insert(spec.key(), out.len());
                out.push(spec);
            }
        }
    }
    Ok(out)
}

fn plan_interface(name: &str, want: &[RouteSpec], have: &[RouteSpec], out: &mut Vec<Change>) {
    let live: HashMap<RouteKey, &RouteSpec> = have.iter().map(|r| (r.key(), r)).collect();
    let wanted: HashSet<RouteKey> = want.iter().map(RouteSpec::key).collect();
    for r in have.iter().filter(|r| !wanted.contains(&r.key())) {
        out.push(RouteOp::Remove { name: name.into(), route: r.clone() }.change(format!("remove {r}")));
    }
    for r in want {
        match live.get(&r.key()) {
            None => out.push(RouteOp::Add { name: name.into(), route: r.clone() }.change(format!("add {r}"))),
            Some(was) if *was != r => {
                let what = r.differences(was).join(", ");
                let description = format!("change {}: {what}", r.key_text());
                out.push(RouteOp::Replace { name: name.into(), route: r.clone() }.change(description));
            }
            Some(_) => {}
        }
    }
}

impl RouteOp {
    fn phase(&self) -> Phase {
        match self {
            RouteOp::Remove { .. } => Phase::RemoveRoute,
            RouteOp::Add { .. } | RouteOp::Replace { .. } => Phase::Route,
        }
    }

    /// Package as a [`Change`] on the interface the route belongs to.
    pub fn change(self, description: String) -> Change {
        Change {
            interface: self.name().to_string(),
            phase: self.phase(),
            description,
            payload: serde_json::to_string(&self).expect("route ops serialise"),
        }
    }
}

#[cfg(test)]
mod tests;
