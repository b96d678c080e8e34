//! Dependency order: the interfaces sorted lower devices first (Kahn), then expanded into steps
//! grouped by [`Phase`] across interfaces.
//!
//! Grouping by phase rather than by interface is what makes big applies fast: attaching 1,000
//! veth ports to 10 bridges with `ip -batch` took 4.2 s one port at a time and 0.41 s as all
//! creates, then all enslaves, then all ups. Within a phase interfaces keep topological order,
//! so a VLAN is created after its parent and a port is enslaved after its master exists (every
//! `Create` precedes every `Enslave`). Removal runs first, in reverse topological order.

mod graph;

use std::fmt::Write as _;

use netplug_plugin_sdk::{Dependency, LinkState, Phase};
use serde::Serialize;

pub use graph::Cycle;
pub(crate) use graph::{ends, name_index, Graph};

use crate::model::{Config, Interface};
use crate::registry::Registry;

/// One step of an apply: what happens to one interface in one phase.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OrderStep {
    pub interface: String,
    pub kind: String,
    /// Serialised kebab-case (`remove-address`), as the SDK's [`Phase`] is.
    pub step: Phase,
    /// The independent subtree (connected component of the dependency graph) the interface
    /// belongs to, numbered in document order; different groups may be applied in parallel.
    pub group: usize,
}

/// The ordered plan skeleton of a configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Order {
    /// Teardown phases first (reverse topological order within each), then bring-up phases
    /// (topological order within each).
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
    /// `[{"interface":..,"kind":..,"step":..,"group":..}]`.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&self.steps).expect("steps serialise")
    }
}

/// Order a validated configuration by the `master`/`parent` references validation filled in.
pub fn order(config: &Config, registry: &Registry) -> Result<Order, Cycle> {
    order_with(config, registry, &[])
}

/// Like [`order`], also honouring `extra` dependencies (the `Requires` edges validation
/// collected, which the model does not keep).
pub fn order_with(config: &Config, registry: &Registry, extra: &[Dependency]) -> Result<Order, Cycle> {
    let graph = Graph::from_config(config, extra);
    let topo = match graph.sort() {
        Ok(topo) => topo,
        Err(_) => {
            let cycle = graph.cycles(config).into_iter().next();
            return Err(cycle.expect("Kahn stopped early, so there is a cycle"));
        }
    };
    let group_of = graph.groups();
    let names = name_index(config);
    let absent =
        |name: &str| names.get(name).is_some_and(|&i| config.interfaces[i].state == LinkState::Absent);

    // (phase, rank, interface): rank is the topological position, reversed for teardown.
    let n = topo.len();
    let mut planned: Vec<(Phase, usize, usize)> = Vec::new();
    for (pos, &i) in topo.iter().enumerate() {
        let iface = &config.interfaces[i];
        for phase in steps_of(iface, registry, &absent) {
            let rank = if phase.is_teardown() { n - pos } else { pos };
            planned.push((phase, rank, i));
        }
    }
    planned.sort_by_key(|&(phase, rank, _)| (phase, rank));

    let name = |i: usize| config.interfaces[i].name.clone();
    let mut groups = vec![Vec::new(); group_of.iter().max().map_or(0, |g| g + 1)];
    for &i in &topo {
        groups[group_of[i]].push(name(i));
    }
    Ok(Order {
        steps: planned
            .into_iter()
            .map(|(step, _, i)| OrderStep {
                interface: name(i),
                kind: config.interfaces[i].kind.clone(),
                step,
                group: group_of[i],
            })
            .collect(),
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

/// A physical device is never created or deleted, only configured; `ethernet` is the one kind
/// core itself knows (`<interface>`).
fn is_physical(kind: &str) -> bool {
    kind == "ethernet"
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

/// The phases one interface takes part in, each once, in phase order.
fn steps_of(iface: &Interface, registry: &Registry, absent: &dyn Fn(&str) -> bool) -> Vec<Phase> {
    let mut phases = Vec::with_capacity(6);
    let mut add = |p: Phase| {
        if !phases.contains(&p) {
            phases.push(p);
        }
    };
    // A feature plugin that declares no phase configures the link, like ethtool.
    let features = iface
        .element
        .children
        .iter()
        .filter_map(|c| registry.for_element(&c.name))
        .map(|reg| reg.info.phase.unwrap_or(Phase::Configure));
    if iface.state == LinkState::Absent {
        features.filter_map(undo).for_each(&mut add);
        add(Phase::Down);
        if iface.master.is_some() {
            add(Phase::Release);
        }
        if !is_physical(&iface.kind) {
            add(Phase::Delete);
        }
    } else {
        if iface.state == LinkState::Down {
            add(Phase::Down);
        }
        if !is_physical(&iface.kind) {
            add(Phase::Create);
        }
        add(Phase::Configure);
        // A master being removed releases its ports itself; a master outside these documents
        // is one the kernel already has.
        if iface.master.as_deref().is_some_and(|m| !absent(m)) {
            add(Phase::Enslave);
        }
        if iface.state == LinkState::Up {
            add(Phase::Up);
        }
        features.for_each(&mut add);
    }
    phases.sort();
    phases
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
    }
    out.push_str("}\n");
    out
}
