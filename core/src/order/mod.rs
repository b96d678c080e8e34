//! Dependency order: the one order of an apply's steps, which `netplug order` prints too.
//!
//! [`Ranks`] places every interface: its dependency level (0 for one that needs nothing in the
//! documents, else one more than the deepest interface it needs) and its position in the
//! topological sort (Kahn, lower devices first, ties in document order). [`sort`] orders steps
//! by phase, then level, then plugin, then position; the planner sorts the plugins' changes
//! with it (`crate::plan`), and [`order`] sorts the steps it predicts from the documents alone
//! with it, so the two cannot disagree.
//!
//! Grouping by phase rather than by interface is what makes big applies fast: attaching 1,000
//! veth ports to 10 bridges with `ip -batch` took 4.2 s one port at a time and 0.41 s as all
//! creates, then all enslaves, then all ups. Within a phase a lower level goes first, so a VLAN
//! is created after its parent and a port is enslaved after its master exists (every `Create`
//! precedes every `Enslave`); sorting by level before position keeps one level's interfaces
//! (often all of one kind) together, so each plugin gets long batches. Teardown runs first,
//! upper devices first.

mod graph;

use std::collections::HashMap;
use std::fmt::Write as _;

use netplug_plugin_sdk::{LinkState, Phase};
use serde::Serialize;

pub use graph::Cycle;
pub(crate) use graph::{ends, name_index, Graph};

use crate::model::{Config, Interface};
use crate::registry::Registry;

/// Where each interface of a configuration stands in an apply.
#[derive(Clone, Debug, Default)]
pub struct Ranks {
    by_name: HashMap<String, Rank>,
}

#[derive(Clone, Copy, Debug)]
struct Rank {
    level: usize,
    position: usize,
}

/// The rank of an interface the documents do not name (a plugin may change a device they only
/// refer to): after every named one, in the plugin's own order.
const UNRANKED: Rank = Rank { level: usize::MAX / 2, position: usize::MAX / 2 };

impl Ranks {
    /// Rank a validated configuration by its `master`, `parent` and `requires` references.
    pub fn of(config: &Config) -> Result<Ranks, Cycle> {
        let graph = Graph::from_config(config);
        let topo = sorted(&graph, config)?;
        Ok(Ranks::from_sorted(&graph, &topo, config))
    }

    fn from_sorted(graph: &Graph, topo: &[usize], config: &Config) -> Ranks {
        let mut level = vec![0; topo.len()];
        let mut by_name = HashMap::with_capacity(topo.len());
        for (position, &i) in topo.iter().enumerate() {
            // Everything `i` needs is sorted before it, so its level is final.
            level[i] = graph.lower[i].iter().map(|&(l, _)| level[l] + 1).max().unwrap_or(0);
            by_name.entry(config.interfaces[i].name.clone()).or_insert(Rank { level: level[i], position });
        }
        Ranks { by_name }
    }

    fn of_interface(&self, name: &str) -> Rank {
        self.by_name.get(name).copied().unwrap_or(UNRANKED)
    }
}

/// Put steps in the order an apply runs them: by phase; then by the interface's dependency
/// level and topological position (both reversed for teardown, which takes upper devices
/// first); then by plugin, in `plugins` order, so that each plugin gets its steps of one level
/// in one batch. The sort is stable: a plugin's several steps for one interface in one phase,
/// and its steps for interfaces the documents do not name, keep the plugin's order.
///
/// `key` gives a step's phase, interface and plugin. This is the only ordering of steps: the
/// planner sorts the plugins' changes with it, and [`order`] the steps it predicts.
pub fn sort<T>(steps: &mut [T], ranks: &Ranks, plugins: &[String], key: impl Fn(&T) -> (Phase, &str, &str)) {
    let plugin_rank: HashMap<&str, usize> =
        plugins.iter().enumerate().map(|(i, p)| (p.as_str(), i)).collect();
    steps.sort_by_cached_key(|step| {
        let (phase, interface, plugin) = key(step);
        let Rank { level, position } = ranks.of_interface(interface);
        let (level, position) =
            if phase.is_teardown() { (usize::MAX - level, usize::MAX - position) } else { (level, position) };
        (phase, level, plugin_rank.get(plugin).copied().unwrap_or(usize::MAX), position)
    });
}

/// One step of an apply: what one plugin does to one interface in one phase.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OrderStep {
    pub interface: String,
    pub kind: String,
    /// Serialised kebab-case (`remove-address`), as the SDK's [`Phase`] is.
    pub step: Phase,
    /// The plugin that plans the step.
    pub plugin: String,
    /// The independent subtree (connected component of the dependency graph) the interface
    /// belongs to, numbered in document order; different groups may be applied in parallel.
    pub group: usize,
}

/// The ordered plan skeleton of a configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Order {
    /// Every step an apply from scratch may take, in the order it takes them ([`sort`]): a
    /// plan leaves out what the kernel already has.
    pub steps: Vec<OrderStep>,
    /// Every interface, lower devices first; ties keep document order.
    pub topological: Vec<String>,
    /// The interfaces to remove (`state="absent"`), in the order they are torn down.
    pub teardown: Vec<String>,
    /// The interfaces of each group, in topological order.
    pub groups: Vec<Vec<String>>,
}

impl Order {
    /// The steps as `netplug order --json` prints them:
    /// `[{"interface":..,"kind":..,"step":..,"plugin":..,"group":..}]`.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&self.steps).expect("steps serialise")
    }
}

/// Order a validated configuration by the `master`, `parent` and `requires` references
/// validation filled in.
pub fn order(config: &Config, registry: &Registry) -> Result<Order, Cycle> {
    let graph = Graph::from_config(config);
    let topo = sorted(&graph, config)?;
    let ranks = Ranks::from_sorted(&graph, &topo, config);
    let group_of = graph.groups();
    let name = |i: usize| config.interfaces[i].name.clone();

    // Per master: whether it has ports to enslave, and ports being removed.
    let mut ports: HashMap<&str, Ports> = HashMap::new();
    for iface in &config.interfaces {
        if let Some(m) = iface.master.as_deref() {
            let p = ports.entry(m).or_default();
            if iface.state == LinkState::Absent {
                p.removed = true;
            } else {
                p.kept = true;
            }
        }
    }
    let mut steps = Vec::new();
    for &i in &topo {
        let iface = &config.interfaces[i];
        let ports = ports.get(iface.name.as_str()).copied().unwrap_or_default();
        for (phase, plugin) in steps_of(iface, ports, registry) {
            steps.push(OrderStep {
                interface: iface.name.clone(),
                kind: iface.kind.clone(),
                step: phase,
                plugin,
                group: group_of[i],
            });
        }
    }
    let plugins = crate::plan::involved_plugins(config, registry);
    sort(&mut steps, &ranks, &plugins, |s| (s.step, s.interface.as_str(), s.plugin.as_str()));

    let mut groups = vec![Vec::new(); group_of.iter().max().map_or(0, |g| g + 1)];
    for &i in &topo {
        groups[group_of[i]].push(name(i));
    }
    Ok(Order {
        steps,
        topological: topo.iter().map(|&i| name(i)).collect(),
        teardown: topo
            .iter()
            .rev()
            .filter(|&&i| config.interfaces[i].state == LinkState::Absent)
            .map(|&i| name(i))
            .collect(),
        groups,
    })
}

/// Kahn's order of the graph, or the first cycle that stopped it.
fn sorted(graph: &Graph, config: &Config) -> Result<Vec<usize>, Cycle> {
    graph.sort().map_err(|_| {
        let cycle = graph.cycles(config).into_iter().next();
        cycle.expect("Kahn stopped early, so there is a cycle")
    })
}

/// The ports the documents give a master.
#[derive(Clone, Copy, Debug, Default)]
struct Ports {
    /// Some port stays: the master's plugin enslaves it.
    kept: bool,
    /// Some port is being removed: the master's plugin releases it first.
    removed: bool,
}

/// What removing a feature takes, for a feature of an interface being removed.
fn undo(phase: Phase) -> Option<Phase> {
    match phase {
        Phase::Address => Some(Phase::RemoveAddress),
        Phase::Route => Some(Phase::RemoveRoute),
        Phase::Dynamic => Some(Phase::StopDynamic),
        _ => None,
    }
}

/// The steps one interface takes part in from scratch, each (phase, plugin) once, as the
/// plugins plan them: the kind's plugin creates, configures, sets up and down and deletes the
/// link; a master's plugin enslaves its ports and releases those being removed (the change is
/// the master's); each feature's plugin adds or removes its feature.
fn steps_of(iface: &Interface, ports: Ports, registry: &Registry) -> Vec<(Phase, String)> {
    let mut steps: Vec<(Phase, String)> = Vec::with_capacity(6);
    let mut add = |p: Phase, plugin: &str| {
        if !steps.iter().any(|(q, n)| *q == p && n == plugin) {
            steps.push((p, plugin.to_string()));
        }
    };
    let kind_plugin = registry.for_kind(&iface.kind).map_or(iface.kind.as_str(), |r| r.info.name.as_str());
    let physical = registry.is_physical(&iface.kind);
    // A feature plugin that declares no phase configures the link, like ethtool.
    let features: Vec<(Phase, &str)> = iface
        .element
        .children
        .iter()
        .filter_map(|c| registry.for_element(&c.name))
        .map(|reg| (reg.info.phase.unwrap_or(Phase::Configure), reg.info.name.as_str()))
        .collect();
    if iface.state == LinkState::Absent {
        for &(phase, plugin) in &features {
            if let Some(undo) = undo(phase) {
                add(undo, plugin);
            }
        }
        add(Phase::Down, kind_plugin);
        if !physical {
            // Deleting a master releases its ports with it.
            add(Phase::Delete, kind_plugin);
        }
    } else {
        if iface.state == LinkState::Down {
            add(Phase::Down, kind_plugin);
        }
        if !physical {
            add(Phase::Create, kind_plugin);
        }
        add(Phase::Configure, kind_plugin);
        if ports.removed {
            add(Phase::Release, kind_plugin);
        }
        if ports.kept {
            add(Phase::Enslave, kind_plugin);
        }
        if iface.state == LinkState::Up {
            add(Phase::Up, kind_plugin);
        }
        for &(phase, plugin) in &features {
            add(phase, plugin);
        }
    }
    steps.sort_by_key(|(phase, _)| *phase);
    steps
}

/// The dependency graph in Graphviz DOT, ifupdown2-style: an arrow points from an interface to
/// one it needs first (a master to its ports, a VLAN to its parent). Works on a configuration
/// with cycles too, which is when a picture helps most. Interfaces being removed are dashed.
pub fn to_dot(config: &Config) -> String {
    fn quote(s: &str) -> String {
        format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
    }
    let mut out =
        String::from("/* netplug: an arrow points to what must exist first */\ndigraph interfaces {\n");
    for iface in &config.interfaces {
        let style = if iface.state == LinkState::Absent { ", style=dashed" } else { "" };
        let label = quote(&format!("{}\n{}", iface.name, iface.kind)).replace('\n', "\\n");
        let _ = writeln!(out, "  {} [label={label}{style}];", quote(&iface.name));
    }
    for iface in &config.interfaces {
        if let Some(m) = &iface.master {
            let _ = writeln!(out, "  {} -> {} [label=\"member\"];", quote(m), quote(&iface.name));
        }
        if let Some(p) = &iface.parent {
            let _ = writeln!(out, "  {} -> {} [label=\"parent\"];", quote(&iface.name), quote(p));
        }
        for r in &iface.requires {
            let _ = writeln!(out, "  {} -> {} [label=\"requires\"];", quote(&iface.name), quote(r));
        }
    }
    out.push_str("}\n");
    out
}
