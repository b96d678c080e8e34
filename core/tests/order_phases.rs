//! Dependency order: Kahn's sort (lower devices first, ties in document order), steps grouped
//! by phase across interfaces, teardown reversed, independent groups, cycles, DOT and JSON.
//! Interfaces are built with `master`/`parent` already filled in, as validation leaves them.

use std::sync::Arc;

use netplug_core::model::{Config, Interface, StartMode};
use netplug_core::order::{order, to_dot, Order};
use netplug_core::registry::Registry;
use netplug_plugin_sdk::{Dependency, Element, LinkState, Phase, Plugin, PluginInfo, Relation, Span};

use Phase::*;

/// A plugin that only says what it handles (ordering never calls `validate`).
struct Fake(PluginInfo);

impl Plugin for Fake {
    fn info(&self) -> PluginInfo {
        self.0.clone()
    }
}

/// Name, kinds, elements and the phase of its elements.
type Spec = (&'static str, &'static [&'static str], &'static [&'static str], Option<Phase>);

fn registry() -> Registry {
    let mut r = Registry::new();
    let plugins: [Spec; 8] = [
        ("ethernet", &["ethernet"], &["ethtool"], Some(Configure)),
        ("bond", &["bond"], &[], None),
        ("bridge", &["bridge"], &[], None),
        ("vlan", &["vlan"], &[], None),
        ("static", &[], &["static"], Some(Address)),
        ("dhcp", &[], &["dhcp"], Some(Dynamic)),
        ("routes", &[], &["route"], Some(Route)),
        ("lldp", &[], &["lldp"], None),
    ];
    for (name, kinds, elements, phase) in plugins {
        let info = PluginInfo {
            name: name.into(),
            kinds: kinds.iter().map(|s| s.to_string()).collect(),
            elements: elements.iter().map(|s| s.to_string()).collect(),
            phase,
            physical: name == "ethernet",
            ..Default::default()
        };
        r.register(Arc::new(Fake(info)), "builtin").unwrap();
    }
    r
}

/// An interface of `kind` called `name`, on line `line`, with feature children.
fn i(line: u32, kind: &str, name: &str, features: &[&str]) -> Interface {
    let span = Span { file: 0, start: line * 100, end: line * 100 + 5, line, col: 1 };
    let mut element = Element::new(registry().element_of_kind(kind));
    element.span = span;
    element.children = features.iter().map(|f| Element::new(*f)).collect();
    Interface {
        name: name.into(),
        kind: kind.into(),
        start_mode: StartMode::Onboot,
        state: LinkState::Up,
        mac: None,
        mtu: None,
        master: None,
        parent: None,
        requires: Vec::new(),
        element,
        name_span: span,
    }
}

fn master(mut iface: Interface, m: &str) -> Interface {
    iface.master = Some(m.into());
    iface
}

fn parent(mut iface: Interface, p: &str) -> Interface {
    iface.parent = Some(p.into());
    iface
}

fn state(mut iface: Interface, s: LinkState) -> Interface {
    iface.state = s;
    iface
}

fn run(interfaces: Vec<Interface>) -> Order {
    order(&Config { interfaces }, &registry()).expect("no cycle")
}

/// `(phase, interface)` of each step.
fn steps(o: &Order) -> Vec<(Phase, &str)> {
    o.steps.iter().map(|s| (s.step, s.interface.as_str())).collect()
}

#[test]
fn a_bond_over_two_ethernets() {
    let o = run(vec![
        i(1, "bond", "bond0", &[]),
        master(i(2, "ethernet", "eth0", &[]), "bond0"),
        master(i(3, "ethernet", "eth1", &[]), "bond0"),
    ]);
    assert_eq!(o.topological, ["eth0", "eth1", "bond0"]);
    assert_eq!(
        steps(&o),
        [
            (Create, "bond0"),
            (Configure, "eth0"),
            (Configure, "eth1"),
            (Configure, "bond0"),
            // The bond's plugin enslaves its ports: the change is the bond's.
            (Enslave, "bond0"),
            (Up, "eth0"),
            (Up, "eth1"),
            (Up, "bond0"),
        ]
    );
}

#[test]
fn a_bridge_over_a_bond() {
    let o = run(vec![
        i(1, "bridge", "br0", &["static"]),
        master(i(2, "bond", "bond0", &[]), "br0"),
        master(i(3, "ethernet", "eth0", &[]), "bond0"),
    ]);
    assert_eq!(o.topological, ["eth0", "bond0", "br0"]);
    assert_eq!(
        steps(&o),
        [
            (Create, "bond0"),
            (Create, "br0"),
            (Configure, "eth0"),
            (Configure, "bond0"),
            (Configure, "br0"),
            (Enslave, "bond0"),
            (Enslave, "br0"),
            (Up, "eth0"),
            (Up, "bond0"),
            (Up, "br0"),
            (Address, "br0"),
        ]
    );
}

#[test]
fn a_vlan_over_a_bridge_is_created_after_it() {
    let o = run(vec![parent(i(1, "vlan", "br0.10", &[]), "br0"), i(2, "bridge", "br0", &[])]);
    assert_eq!(o.topological, ["br0", "br0.10"]);
    assert_eq!(
        steps(&o),
        [
            (Create, "br0"),
            (Create, "br0.10"),
            (Configure, "br0"),
            (Configure, "br0.10"),
            (Up, "br0"),
            (Up, "br0.10")
        ]
    );
}

/// bond0(eth0, eth1) < br0 < br0.10, written top-down; features of every phase.
fn full_stack() -> Vec<Interface> {
    vec![
        parent(i(1, "vlan", "br0.10", &["static", "route", "dhcp"]), "br0"),
        i(2, "bridge", "br0", &[]),
        master(i(3, "bond", "bond0", &[]), "br0"),
        master(i(4, "ethernet", "eth1", &["ethtool", "lldp"]), "bond0"),
        master(i(5, "ethernet", "eth0", &[]), "bond0"),
    ]
}

#[test]
fn a_full_stack_runs_phase_by_phase_lower_devices_first() {
    let o = run(full_stack());
    assert_eq!(o.topological, ["eth1", "eth0", "bond0", "br0", "br0.10"]);
    assert_eq!(
        steps(&o),
        [
            (Create, "bond0"),
            (Create, "br0"),
            (Create, "br0.10"),
            // The ethernet plugin configures the link and its <ethtool> in one step; a plugin
            // that declares no phase configures it too, after the level's ethernet steps.
            (Configure, "eth1"),
            (Configure, "eth0"),
            (Configure, "eth1"),
            (Configure, "bond0"),
            (Configure, "br0"),
            (Configure, "br0.10"),
            (Enslave, "bond0"),
            (Enslave, "br0"),
            (Up, "eth1"),
            (Up, "eth0"),
            (Up, "bond0"),
            (Up, "br0"),
            (Up, "br0.10"),
            (Address, "br0.10"),
            (Route, "br0.10"),
            (Dynamic, "br0.10"),
        ]
    );
    assert_eq!(o.groups, [["eth1", "eth0", "bond0", "br0", "br0.10"]]);
    assert!(o.steps.iter().all(|s| s.group == 0));
}

#[test]
fn a_cycle_is_an_error_naming_it() {
    let err = order(
        &Config {
            interfaces: vec![
                master(i(1, "bridge", "br0", &[]), "bond0"),
                master(i(2, "bond", "bond0", &[]), "br0"),
            ],
        },
        &registry(),
    )
    .unwrap_err();
    // The model keeps each membership on the port, so the reference written last is bond0's
    // (line 2): br0 needing bond0 closes the cycle.
    assert_eq!(err.to_string(), "dependency cycle: bond0 -> br0 -> bond0");
    assert_eq!(err.interfaces, ["bond0", "br0", "bond0"]);
    assert_eq!(err.span.line, 2);
}

#[test]
fn absent_interfaces_are_torn_down_first_in_reverse_order() {
    let o = run(vec![
        i(1, "ethernet", "eth2", &["static"]),
        state(parent(i(2, "vlan", "br0.10", &["dhcp"]), "br0"), LinkState::Absent),
        state(i(3, "bridge", "br0", &[]), LinkState::Absent),
        state(master(i(4, "bond", "bond0", &["static"]), "br0"), LinkState::Absent),
        // A port of a bond being removed: released by the deletion, not enslaved again.
        master(i(5, "ethernet", "eth0", &[]), "bond0"),
    ]);
    assert_eq!(o.teardown, ["br0.10", "br0", "bond0"]);
    assert_eq!(
        steps(&o),
        [
            (StopDynamic, "br0.10"),
            (RemoveAddress, "bond0"),
            (Down, "br0.10"),
            (Down, "br0"),
            (Down, "bond0"),
            (Delete, "br0.10"),
            (Delete, "br0"),
            (Delete, "bond0"),
            (Configure, "eth2"),
            (Configure, "eth0"),
            (Up, "eth2"),
            (Up, "eth0"),
            (Address, "eth2"),
        ]
    );
}

#[test]
fn a_kept_master_releases_a_port_being_removed_before_it_is_deleted() {
    let o = run(vec![
        i(1, "bridge", "br0", &[]),
        master(i(2, "bridge", "br1", &[]), "br0"),
        state(master(i(3, "vlan", "eth0.5", &[]), "br0"), LinkState::Absent),
    ]);
    assert_eq!(
        steps(&o),
        [
            (Down, "eth0.5"),
            (Release, "br0"),
            (Delete, "eth0.5"),
            (Create, "br1"),
            (Create, "br0"),
            (Configure, "br1"),
            (Configure, "br0"),
            (Enslave, "br0"),
            (Up, "br1"),
            (Up, "br0"),
        ]
    );
}

#[test]
fn a_down_interface_is_set_down_and_never_up() {
    let o = run(vec![state(i(1, "bridge", "br0", &["static"]), LinkState::Down)]);
    assert_eq!(steps(&o), [(Down, "br0"), (Create, "br0"), (Configure, "br0"), (Address, "br0")]);
}

#[test]
fn independent_subtrees_are_numbered_in_document_order() {
    // Two stacks interleaved, plus a lone interface written first.
    let o = run(vec![
        i(1, "ethernet", "lo1", &[]),
        i(2, "bridge", "brA", &[]),
        i(3, "bridge", "brB", &[]),
        master(i(4, "ethernet", "ethB", &[]), "brB"),
        master(i(5, "ethernet", "ethA", &[]), "brA"),
        parent(i(6, "vlan", "brA.5", &[]), "brA"),
    ]);
    assert_eq!(o.groups, vec![vec!["lo1"], vec!["ethA", "brA", "brA.5"], vec!["ethB", "brB"]]);
    let group = |n: &str| o.steps.iter().find(|s| s.interface == n).unwrap().group;
    assert_eq!([group("lo1"), group("brA.5"), group("ethA"), group("ethB")], [0, 1, 1, 2]);
}

/// A kind whose `after="X"` says an interface merely needs X to exist first: the `Requires`
/// dependency a plugin reports from `validate`.
struct Needy;

impl Plugin for Needy {
    fn info(&self) -> PluginInfo {
        PluginInfo { name: "needy".into(), kinds: vec!["needy".into()], ..Default::default() }
    }

    fn validate(&self, items: &[netplug_plugin_sdk::Item]) -> netplug_plugin_sdk::Validation {
        let dependencies = items
            .iter()
            .filter_map(|item| {
                let after = item.element.attr("after")?;
                Some(Dependency {
                    from: item.interface.clone(),
                    to: after.value.clone(),
                    relation: Relation::Requires,
                    span: after.value_span,
                })
            })
            .collect();
        netplug_plugin_sdk::Validation { dependencies, ..Default::default() }
    }
}

#[test]
fn requires_dependencies_order_like_any_other() {
    let mut registry = registry();
    registry.register(Arc::new(Needy), "builtin").unwrap();
    let mut needs = i(1, "needy", "n1", &["static"]);
    needs.element.set_attr("name", "n1");
    needs.element.set_attr("after", "n0");
    let mut needed = i(2, "needy", "n0", &["static"]);
    needed.element.set_attr("name", "n0");
    let mut config = Config { interfaces: vec![needs, needed] };
    // Before validation the model has no reference: document order.
    assert_eq!(order(&config, &registry).unwrap().topological, ["n1", "n0"]);

    let d = netplug_core::validate::validate(&mut config, &registry, &Default::default());
    assert!(d.iter().all(|d| !d.is_error()), "{d:?}");
    assert_eq!(config.interfaces[0].requires, ["n0"]);
    let o = order(&config, &registry).unwrap();
    assert_eq!(o.topological, ["n0", "n1"]);
    // The sort apply uses puts n0 first in every phase both take part in.
    let at = |name: &str, phase: Phase| {
        o.steps.iter().position(|s| s.interface == name && s.step == phase).unwrap()
    };
    for phase in [Create, Up, Address] {
        assert!(at("n0", phase) < at("n1", phase), "{phase:?}: {:#?}", o.steps);
    }
    assert!(to_dot(&config).contains("\"n1\" -> \"n0\" [label=\"requires\"]"), "{}", to_dot(&config));

    // A requirement that closes a loop is a cycle like any other.
    config.interfaces[1].element.set_attr("after", "n1");
    let d = netplug_core::validate::validate(&mut config, &registry, &Default::default());
    assert!(d.iter().any(|d| d.is_error() && d.message.contains("dependency cycle")), "{d:?}");
}

#[test]
fn json_has_one_object_per_step_with_kebab_case_phases() {
    let o = run(vec![state(i(1, "bond", "bond0", &["static"]), LinkState::Absent)]);
    let json: serde_json::Value = serde_json::from_str(&o.to_json()).unwrap();
    assert_eq!(
        json,
        serde_json::json!([
            {"interface": "bond0", "kind": "bond", "step": "remove-address", "plugin": "static", "group": 0},
            {"interface": "bond0", "kind": "bond", "step": "down", "plugin": "bond", "group": 0},
            {"interface": "bond0", "kind": "bond", "step": "delete", "plugin": "bond", "group": 0},
        ])
    );
}

#[test]
fn dot_draws_an_arrow_to_what_must_exist_first() {
    let config = Config { interfaces: full_stack() };
    let dot = to_dot(&config);
    assert!(dot.starts_with("/* netplug"), "{dot}");
    assert!(dot.contains("digraph interfaces {\n"), "{dot}");
    assert!(dot.contains("  \"br0.10\" [label=\"br0.10\\nvlan\"];\n"), "{dot}");
    assert!(dot.contains("  \"bond0\" -> \"eth0\" [label=\"member\"];\n"), "{dot}");
    assert!(dot.contains("  \"br0.10\" -> \"br0\" [label=\"parent\"];\n"), "{dot}");
    assert!(dot.ends_with("}\n"));
}
