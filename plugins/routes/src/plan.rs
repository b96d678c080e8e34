//! Planning: per interface in scope, the routes to add, change in place and remove, from the
//! desired and live items alone (no kernel request).
//!
//! A route is identified by destination, table and metric (the kernel's key); gateway, type
//! and onlink are what a change in place (`NLM_F_REPLACE`) alters.
//!
//! A route that names no table belongs in the main table, except on a port of a VRF: there it
//! belongs in the VRF's table, as the port's connected routes do (systemd-networkd does the
//! same). Which VRF is the port's master the envelope says; its table the kernel does, so plan
//! takes one link dump when some route needs it. A VRF this run creates has no table yet:
//! such a route is planned "in its VRF's table" and looked up when it is added. Removals run in the
//! `RemoveRoute` phase, before addresses go; additions and changes in the `Route` phase, after
//! links are up and addresses are there, so gateways are reachable.
//!
//! **Default routes are changed make-before-break**: a default route's removal runs last
//! (phase `Dynamic`), after every plugin's routes — a `<static gateway>` taking over, another
//! metric, another interface — are in, so the host has a default route at every moment. By
//! then the kernel may have dropped it (its interface lost its last IPv4 address, or went
//! away): gone is done. A default route moving to another interface with the same key is added
//! beside the one it replaces ([`Op::AddBeside`]), which goes only afterwards.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

use netplug_plugin_sdk::netlink::uapi as nl;
use netplug_plugin_sdk::netlink::LinkTable;
use netplug_plugin_sdk::netlink::{Link, Socket};
use netplug_plugin_sdk::{Change, Item, Phase, PluginError};

use crate::apply::{Op, RouteOp};
use crate::config::{parse_table_ref, TableRef};
use crate::keys::{self, KeyMap};
use crate::spec::{RouteKey, RouteSpec, VrfTables, MAIN, OF_VRF};

const IFLA_VRF_TABLE: u16 = nl::IFLA_VRF_TABLE as u16;

/// The changes that turn `live` into `desired` for the interfaces in `scope`.
pub fn plan(desired: &[Item], live: &[Item], scope: &[String]) -> Result<Vec<Change>, PluginError> {
    let tables = Tables::find(desired, live)?;
    let live = by_interface(live.iter());
    plan_against_in(desired, scope, &tables, |name| {
        Routes::parse(live.get(name).map_or(&[], Vec::as_slice), name, MAIN, &tables.vrfs)
    })
}

/// The tables plan needs from the kernel: that of each interface of `desired` that is to be a
/// port of a VRF and has a route naming no table (the VRF's, or [`OF_VRF`] when the VRF does
/// not exist yet), and that of each VRF a route of `desired` or `live` names (`table="blue"`,
/// [`OF_VRF`] for one this run creates). One link dump, and none when no route needs it.
#[derive(Debug, Default)]
pub struct Tables {
    pub ports: HashMap<String, u32>,
    pub vrfs: VrfTables,
}

impl Tables {
    pub fn find(desired: &[Item], live: &[Item]) -> Result<Tables, PluginError> {
        let mut out = Tables::default();
        let mut links = Links(None);
        for item in desired.iter().filter(|i| !i.is_absent()) {
            let table = match item.element.attr("table") {
                Some(t) => t,
                None => {
                    let Some(master) = item.envelope.as_ref().and_then(|e| e.master.as_deref()) else {
                        continue;
                    };
                    if out.ports.contains_key(&item.interface) {
                        continue;
                    }
                    let table = match links.get()?.by_name(master) {
                        None => OF_VRF,
                        Some(m) => vrf_table(m).unwrap_or(MAIN),
                    };
                    out.ports.insert(item.interface.clone(), table);
                    continue;
                }
            };
            out.vrf(&item.interface, &table.value, &mut links)?;
        }
        for item in live {
            if let Some(t) = item.element.attr("table") {
                out.vrf(&item.interface, &t.value, &mut links)?;
            }
        }
        Ok(out)
    }

    /// Look up the VRF `table` names, if it names one and it was not looked up yet.
    fn vrf(&mut self, interface: &str, table: &str, links: &mut Links) -> Result<(), PluginError> {
        let Ok(TableRef::Vrf(name)) = parse_table_ref(table) else { return Ok(()) };
        if self.vrfs.contains_key(name) {
            return Ok(());
        }
        let table = match links.get()?.by_name(name) {
            None => OF_VRF,
            Some(link) => vrf_table(link).ok_or_else(|| {
                let kind = link.kind.as_deref().unwrap_or("device");
                PluginError::new(format!("<route table=\"{name}\">: {name} is a {kind}, not a VRF"))
                    .on_interface(interface)
            })?,
        };
        self.vrfs.insert(name.to_string(), table);
        Ok(())
    }
}

/// The link table, dumped when first needed.
struct Links(Option<LinkTable>);

impl Links {
    fn get(&mut self) -> Result<&LinkTable, PluginError> {
        if self.0.is_none() {
            let mut sock = Socket::route_reused()?;
            self.0 = Some(LinkTable::dump(&mut sock)?);
        }
        Ok(self.0.as_ref().expect("just filled"))
    }
}

/// The table of a VRF link (`IFLA_VRF_TABLE`); `None` for a link of another kind.
pub fn vrf_table(link: &Link) -> Option<u32> {
    (link.kind.as_deref() == Some("vrf"))
        .then(|| link.info_data().get(IFLA_VRF_TABLE).and_then(|a| a.u32()))
        .flatten()
}

/// The changes that turn each interface's `have` routes into `desired` for the interfaces in
/// `scope`.
pub fn plan_against(
    desired: &[Item],
    scope: &[String],
    have: impl FnMut(&str) -> Result<Routes, PluginError>,
) -> Result<Vec<Change>, PluginError> {
    plan_against_in(desired, scope, &Tables::default(), have)
}

/// [`plan_against`], with the table of each interface's routes that name none (the main
/// table for an interface `tables` does not list) and of the VRFs routes name.
pub fn plan_against_in(
    desired: &[Item],
    scope: &[String],
    tables: &Tables,
    mut have: impl FnMut(&str) -> Result<Routes, PluginError>,
) -> Result<Vec<Change>, PluginError> {
    let desired = by_interface(desired.iter().filter(|i| !i.is_absent()));
    let mut sides = Vec::new();
    let mut seen = HashSet::new();
    for name in scope {
        if !seen.insert(name.as_str()) {
            continue;
        }
        let table = tables.ports.get(name).copied().unwrap_or(MAIN);
        let want =
            Routes::parse(desired.get(name.as_str()).map_or(&[], Vec::as_slice), name, table, &tables.vrfs)?;
        sides.push((name.as_str(), want, have(name)?));
    }
    // The keys of default routes this plan removes: a default route added with one of them
    // (moving to another interface) goes in beside the old one, which is removed only later.
    let removed_defaults: HashSet<RouteKey> = sides
        .iter()
        .flat_map(|(_, want, have)| {
            have.list.iter().filter(|r| r.prefix_len == 0 && want.get(&r.key()).is_none())
        })
        .map(RouteSpec::key)
        .collect();
    let mut out = Vec::new();
    for (name, want, have) in &sides {
        plan_interface(name, want, have, &removed_defaults, &mut out);
    }
    // Core orders all plugins' changes by phase anyway; doing it here too lets a route move
    // between interfaces (removed from one, added to the other) in a plain apply of this plan.
    out.sort_by_key(|c| c.phase);
    Ok(out)
}

/// Items grouped by interface, each group in item order, as the SDK's `items_by_interface`
/// groups them; but a run of items of one interface, as a document's routes come, is looked up
/// once rather than once per item.
fn by_interface<'a>(items: impl Iterator<Item = &'a Item>) -> HashMap<&'a str, Vec<&'a Item>> {
    let mut out: HashMap<&str, Vec<&Item>> = HashMap::new();
    let mut run: Option<(&str, Vec<&Item>)> = None;
    let mut end_run = |run: Option<(&'a str, Vec<&'a Item>)>| {
        if let Some((name, items)) = run {
            match out.entry(name) {
                Entry::Occupied(mut e) => e.get_mut().extend(items),
                Entry::Vacant(e) => {
                    e.insert(items);
                }
            }
        }
    };
    for item in items {
        match &mut run {
            Some((name, items)) if *name == item.interface => items.push(item),
            _ => end_run(run.replace((item.interface.as_str(), vec![item]))),
        }
    }
    end_run(run);
    out
}

/// One interface's routes by key, in first-seen order; a later route with the same key
/// replaces an earlier one (only possible in a snapshot edited by hand: validation refuses it).
#[derive(Default)]
pub struct Routes {
    list: Vec<RouteSpec>,
    at: KeyMap<RouteKey, usize>,
}

impl Routes {
    fn with_capacity(n: usize) -> Routes {
        Routes { list: Vec::with_capacity(n), at: keys::with_capacity(n) }
    }

    pub fn push(&mut self, spec: RouteSpec) {
        match self.at.entry(spec.key()) {
            Entry::Occupied(e) => self.list[*e.get()] = spec,
            Entry::Vacant(e) => {
                e.insert(self.list.len());
                self.list.push(spec);
            }
        }
    }

    fn parse(
        items: &[&Item],
        name: &str,
        default_table: u32,
        vrfs: &VrfTables,
    ) -> Result<Routes, PluginError> {
        let mut out = Routes::with_capacity(items.len());
        for item in items {
            out.push(RouteSpec::from_item(name, &item.element, default_table, vrfs)?);
        }
        Ok(out)
    }

    fn get(&self, key: &RouteKey) -> Option<&RouteSpec> {
        self.at.get(key).map(|&i| &self.list[i])
    }
}

fn plan_interface(
    name: &str,
    want: &Routes,
    have: &Routes,
    removed_defaults: &HashSet<RouteKey>,
    out: &mut Vec<Change>,
) {
    for r in have.list.iter().filter(|r| want.get(&r.key()).is_none()) {
        out.push(change(name, Op::Remove, r, None));
    }
    for r in &want.list {
        match have.get(&r.key()) {
            None if r.prefix_len == 0 && removed_defaults.contains(&r.key()) => {
                out.push(change(name, Op::AddBeside, r, None))
            }
            None => out.push(change(name, Op::Add, r, None)),
            Some(was) if was != r => out.push(change(name, Op::Replace, r, Some(was))),
            Some(_) => {}
        }
    }
}

/// The change doing `op` to `route` of interface `name`; `was` is the live route a
/// replacement changes.
fn change(name: &str, op: Op, route: &RouteSpec, was: Option<&RouteSpec>) -> Change {
    let mut description = String::with_capacity(64);
    match was {
        Some(was) => {
            description.push_str("change ");
            route.write_key(&mut description);
            description.push_str(": ");
            route.write_differences(was, &mut description);
        }
        None => {
            description.push_str(if op == Op::Remove { "remove " } else { "add " });
            route.describe(&mut description);
        }
    }
    let phase = match op {
        Op::Remove if route.prefix_len == 0 => Phase::Dynamic,
        Op::Remove => Phase::RemoveRoute,
        Op::Add | Op::AddBeside | Op::Replace => Phase::Route,
    };
    Change::new(name, phase, description, &RouteOp { op, name, route: *route }.encode())
}

#[cfg(test)]
mod tests;
