//! Planning: read the kernel's live state through the plugins, ask each plugin for the changes
//! that make it match the desired state, and put all changes in one order.
//!
//! The order is [`crate::order::sort`]'s, the one `netplug order` prints: by phase first (all
//! teardown, then all creates, all enslaves, all ups, all addresses, all routes…), then by the
//! dependency order of the interfaces (reversed for teardown). Grouping by phase across
//! interfaces is what lets a plugin batch a thousand creations into one burst of netlink
//! messages.

use std::collections::HashMap;

use netplug_plugin_sdk::{Change, Item, PluginError, PluginInfo};
use serde::Serialize;

use crate::model::Config;
use crate::order::{self, Ranks};
use crate::registry::{Registered, Registry};

/// Live state read from the plugins, per plugin name. Kept from before the first change so a
/// failed apply can plan its way back to it.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    pub items: HashMap<String, Vec<Item>>,
}

impl Snapshot {
    /// Every live item of every plugin.
    pub fn all(&self) -> impl Iterator<Item = (&str, &Item)> {
        self.items.iter().flat_map(|(p, items)| items.iter().map(move |i| (p.as_str(), i)))
    }
}

/// One change in the global order, with the plugin that planned it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    pub plugin: String,
    #[serde(flatten)]
    pub change: Change,
}

/// What one run will do.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    /// The interfaces this run governs: exactly those the documents name.
    pub scope: Vec<String>,
    /// The plugins involved, in registry order.
    pub plugins: Vec<String>,
    pub steps: Vec<Step>,
}

/// An error from a plugin during read or plan, naming the plugin.
#[derive(Debug, Clone, thiserror::Error)]
#[error("plugin '{plugin}': {error}")]
pub struct PlanError {
    pub plugin: String,
    pub error: PluginError,
}

/// The plugins a configuration involves: the kind plugins of its kinds, and every feature
/// plugin (a feature removed from the file must still be removed from the kernel).
pub fn involved_plugins(config: &Config, registry: &Registry) -> Vec<String> {
    let mut kinds: Vec<&str> = config.interfaces.iter().map(|i| i.kind.as_str()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    registry
        .plugins()
        .iter()
        .filter(|r| !r.info.elements.is_empty() || r.info.kinds.iter().any(|k| kinds.contains(&k.as_str())))
        .map(|r| r.info.name.clone())
        .collect()
}

/// The interfaces a plugin is asked about: a kind plugin only those of its kinds, a feature
/// plugin all of them.
pub fn plugin_scope(config: &Config, registry: &Registry, plugin: &str) -> Vec<String> {
    let Some(r) = registry.plugins().iter().find(|r| r.info.name == plugin) else {
        return Vec::new();
    };
    // A plugin that owns a kind as well as elements (ethernet and <ethtool>) is asked only about
    // its kind's interfaces and those declaring its elements: its elements are device settings
    // that a document leaves alone where it does not declare them (see `read_live`), and asking
    // about every interface would cost it a read of every device's settings.
    let device_settings = !r.info.kinds.is_empty();
    config
        .interfaces
        .iter()
        .filter(|i| {
            r.info.kinds.contains(&i.kind)
                || (!r.info.elements.is_empty()
                    && (!device_settings
                        || i.element.children.iter().any(|c| r.info.elements.contains(&c.name))))
        })
        .map(|i| i.name.clone())
        .collect()
}

/// An involved plugin and the interfaces it is asked about.
fn involved<'a>(config: &Config, registry: &'a Registry, name: &str) -> (&'a Registered, Vec<String>) {
    let r = registry.plugins().iter().find(|r| r.info.name == name).expect("involved plugin is registered");
    (r, plugin_scope(config, registry, name))
}

/// Read live state for `scope` from each plugin: one call (one dump) per plugin.
pub fn read_live(registry: &Registry, plugins: &[String], config: &Config) -> Result<Snapshot, PlanError> {
    let mut snapshot = Snapshot::default();
    // The plugins parse one link dump between them (the first to need it takes it).
    let _pass = crate::host::ReadPass::begin();
    let devices = DeviceSettings::of(config);
    for name in plugins {
        let (r, scope) = involved(config, registry, name);
        snapshot.items.insert(name.clone(), read_one(r, &scope, &devices)?);
    }
    Ok(snapshot)
}

/// One plugin's live items for `scope`, inside a read pass.
fn read_one(r: &Registered, scope: &[String], devices: &DeviceSettings) -> Result<Vec<Item>, PlanError> {
    let name = &r.info.name;
    if scope.is_empty() {
        // Nothing to ask about: spare the plugin its kernel dump.
        return Ok(Vec::new());
    }
    let _watch = crate::watchdog::watch(name, "read");
    let mut items = r.plugin.read(Some(scope)).map_err(|error| PlanError { plugin: name.clone(), error })?;
    devices.keep_managed(&r.info, &mut items);
    Ok(items)
}

/// Plan `desired` against the kernel as it is now, each plugin reading and planning in one
/// call ([`Plugin::read_plan`](netplug_plugin_sdk::Plugin::read_plan)), so live items cross
/// the plugin boundary only when they are needed: a run with nothing to do sends back no
/// live state at all. With `keep_live`, a plan with steps comes with the snapshot of every
/// plugin's live items (a plugin with nothing to change is then read for it), the state a
/// rollback returns to; without steps, or without `keep_live`, the snapshot is `None`.
pub fn plan_live(
    config: &Config,
    registry: &Registry,
    plugins: &[String],
    desired: &HashMap<String, Vec<Item>>,
    ranks: &Ranks,
    keep_live: bool,
) -> Result<(Vec<Step>, Option<Snapshot>), PlanError> {
    let empty = Vec::new();
    let mut steps = Vec::new();
    let mut snapshot = Snapshot::default();
    // Plugins whose live items did not come back with their plan.
    let mut unread = Vec::new();
    {
        let _pass = crate::host::ReadPass::begin();
        let devices = DeviceSettings::of(config);
        for name in plugins {
            let (r, scope) = involved(config, registry, name);
            let want = desired.get(name).unwrap_or(&empty);
            let fail = |error| PlanError { plugin: name.clone(), error };
            let changes = if scope.is_empty() {
                // Nothing to read (still, items without an interface in scope are planned).
                let live = read_one(r, &scope, &devices)?;
                if scope.is_empty() && want.is_empty() {
                    snapshot.items.insert(name.clone(), live);
                    continue;
                }
                let _watch = crate::watchdog::watch(name, "plan");
                let changes = r.plugin.plan(want, &live, &scope).map_err(fail)?;
                snapshot.items.insert(name.clone(), live);
                changes
            } else {
                let _watch = crate::watchdog::watch(name, "read_plan");
                // A plugin with kinds and elements reads and plans only what `want` manages
                // (`LivePlan::keep_declared`: device settings where declared, so a no-change
                // run reads no ethtool state of ports that declare none).
                let mut answer = r.plugin.read_plan(want, &scope, keep_live).map_err(fail)?;
                // Live items come back with changes (or from a plugin that read them anyway).
                if answer.changes.is_empty() && answer.live.is_empty() {
                    unread.push(r);
                } else {
                    devices.keep_managed(&r.info, &mut answer.live);
                    snapshot.items.insert(name.clone(), answer.live);
                }
                answer.changes
            };
            steps.extend(changes.into_iter().map(|change| Step { plugin: name.clone(), change }));
        }
    }
    order::sort(&mut steps, ranks, plugins, |s| (s.change.phase, &s.change.interface, &s.plugin));
    if !keep_live || steps.is_empty() {
        return Ok((steps, None));
    }
    let _pass = crate::host::ReadPass::begin();
    let devices = DeviceSettings::of(config);
    for r in unread {
        let scope = plugin_scope(config, registry, &r.info.name);
        snapshot.items.insert(r.info.name.clone(), read_one(r, &scope, &devices)?);
    }
    Ok((steps, Some(snapshot)))
}

/// What a plugin with both a kind and elements (ethernet and `<ethtool>`) may report as live
/// state of this run. It is asked about every interface for its elements; its view of an
/// interface of another kind as its own kind is not live state of anything this run manages
/// (planning back to it would fight the interface's own kind plugin). And its elements are
/// settings of a device, which a document that does not declare them leaves alone: a run never
/// changes them there, so a rollback must not "restore" them either (a bond's offloads follow
/// its slaves).
struct DeviceSettings<'a> {
    /// The documents' interfaces by name. Whether one declares an element is asked of its
    /// children only for the few live items that need it; a set of every (interface, child)
    /// pair cost more than the rest of a verify of 10,000 routes' plan.
    by_name: HashMap<&'a str, &'a crate::model::Interface>,
}

impl<'a> DeviceSettings<'a> {
    fn of(config: &'a Config) -> Self {
        DeviceSettings { by_name: config.interfaces.iter().map(|i| (i.name.as_str(), i)).collect() }
    }

    /// Whether `plugin`'s live items need [`DeviceSettings::keep_managed`].
    fn applies_to(plugin: &PluginInfo) -> bool {
        !plugin.elements.is_empty() && !plugin.kinds.is_empty()
    }

    fn keep_managed(&self, plugin: &PluginInfo, items: &mut Vec<Item>) {
        if !Self::applies_to(plugin) {
            return;
        }
        items.retain(|item| match self.by_name.get(item.interface.as_str()) {
            None => true,
            Some(iface) if plugin.elements.contains(&item.element.name) => {
                iface.element.children.iter().any(|c| c.name == item.element.name)
            }
            Some(iface) => plugin.kinds.contains(&iface.kind),
        });
    }
}

/// Read the kernel again and plan `desired` against it: what verification does. Nothing to
/// do means the kernel matches, so no live state is kept.
pub fn replan_changes(
    config: &Config,
    registry: &Registry,
    plugins: &[String],
    desired: &HashMap<String, Vec<Item>>,
    ranks: &Ranks,
) -> Result<Vec<Step>, PlanError> {
    plan_live(config, registry, plugins, desired, ranks, false).map(|(steps, _)| steps)
}

/// Plan the changes that turn `live` into `desired` for every involved plugin, in global order.
/// `desired` holds each plugin's desired items (see [`crate::items`]).
pub fn plan_changes(
    config: &Config,
    registry: &Registry,
    plugins: &[String],
    desired: &HashMap<String, Vec<Item>>,
    live: &Snapshot,
    ranks: &Ranks,
) -> Result<Vec<Step>, PlanError> {
    let empty = Vec::new();
    let mut steps = Vec::new();
    for name in plugins {
        let (r, scope) = involved(config, registry, name);
        let want = desired.get(name).unwrap_or(&empty);
        let have = live.items.get(name).unwrap_or(&empty);
        if scope.is_empty() && want.is_empty() {
            continue;
        }
        let _watch = crate::watchdog::watch(name, "plan");
        let changes =
            r.plugin.plan(want, have, &scope).map_err(|error| PlanError { plugin: name.clone(), error })?;
        steps.extend(changes.into_iter().map(|change| Step { plugin: name.clone(), change }));
    }
    order::sort(&mut steps, ranks, plugins, |s| (s.change.phase, &s.change.interface, &s.plugin));
    Ok(steps)
}
