//! A synthetic workload for `cargo xtask bench`: validate and order many interfaces with
//! in-process stand-in plugins, so the measurement is core's own cost (no kernel, no FFI).
//!
//! The shape is the common large deployment: bridges each with one ethernet port and a static
//! address with a gateway, which exercises every cross-interface check (membership, cycles,
//! gateways) and every bring-up phase.

use std::sync::Arc;
use std::time::{Duration, Instant};

use netplug_plugin_sdk::{
    Attribute, Dependency, Element, Item, LinkState, Nexthop, Phase, Plugin, PluginInfo, Relation, Span,
    Subnet, Validation,
};

use crate::model::{Config, Interface, StartMode};
use crate::registry::Registry;
use crate::validate::ValidateOptions;

/// What one run of [`run`] measured.
#[derive(Clone, Debug)]
pub struct Measurement {
    pub interfaces: usize,
    pub diagnostics: usize,
    pub steps: usize,
    pub validate: Duration,
    pub order: Duration,
}

/// Validate and order [`synthetic_config`]`(n)` with [`synthetic_registry`], timing each.
pub fn run(n: usize) -> Measurement {
    let registry = synthetic_registry();
    let mut config = synthetic_config(n);
    let start = Instant::now();
    let diagnostics = crate::validate::validate(&mut config, &registry, &ValidateOptions::default());
    let validate = start.elapsed();
    let start = Instant::now();
    let order = crate::order::order(&config, &registry).expect("the synthetic graph has no cycle");
    Measurement {
        interfaces: config.interfaces.len(),
        diagnostics: diagnostics.len(),
        steps: order.steps.len(),
        validate,
        order: start.elapsed(),
    }
}

/// `n` interfaces: pairs of `ethI` and bridge `brI` with `<member device="ethI"/>` and
/// `<static address="10.A.B.1/24" gateway="10.A.B.254"/>` (plus one more ethernet when `n`
/// is odd). Every element and attribute has a distinct synthetic position, one interface per
/// line, as if parsed from one file.
pub fn synthetic_config(n: usize) -> Config {
    let registry = synthetic_registry();
    let mut interfaces = Vec::with_capacity(n);
    for k in 0..n {
        let line = k as u32 + 1;
        let i = k / 2;
        let element = if k % 2 == 0 {
            element("interface", line, 1).attr("device", &format!("eth{i}")).0
        } else {
            let net = format!("10.{}.{}", (i >> 8) & 255, i & 255);
            element("bridge", line, 1)
                .attr("name", &format!("br{i}"))
                .child(element("member", line, 30).attr("device", &format!("eth{i}")))
                .child(
                    element("static", line, 60)
                        .attr("address", &format!("{net}.1/24"))
                        .attr("gateway", &format!("{net}.254")),
                )
                .0
        };
        interfaces.push(interface(element, &registry));
    }
    Config { interfaces }
}

/// Stand-ins for the ethernet, bridge and static plugins, doing the work real ones do per item
/// (walking children, reporting dependencies, subnets and next hops).
pub fn synthetic_registry() -> Registry {
    let mut registry = Registry::new();
    for plugin in [Synthetic::Ethernet, Synthetic::Bridge, Synthetic::Static] {
        registry.register(Arc::new(plugin), "builtin").expect("the synthetic plugins do not overlap");
    }
    registry
}

#[derive(Clone, Copy)]
enum Synthetic {
    Ethernet,
    Bridge,
    Static,
}

impl Plugin for Synthetic {
    fn info(&self) -> PluginInfo {
        let (name, kinds, elements, phase) = match self {
            Synthetic::Ethernet => ("synthetic-ethernet", vec!["ethernet".to_string()], vec![], None),
            Synthetic::Bridge => ("synthetic-bridge", vec!["bridge".to_string()], vec![], None),
            Synthetic::Static => {
                ("synthetic-static", vec![], vec!["static".to_string()], Some(Phase::Address))
            }
        };
        let physical = matches!(self, Synthetic::Ethernet);
        PluginInfo {
            name: name.into(),
            version: "0".into(),
            kinds,
            elements,
            phase,
            physical,
            ..Default::default()
        }
    }

    fn validate(&self, items: &[Item]) -> Validation {
        let mut v = Validation::default();
        for item in items {
            match self {
                Synthetic::Ethernet => {}
                Synthetic::Bridge => {
                    for member in item.element.children_named("member") {
                        if let Some(device) = member.attr("device") {
                            v.dependencies.push(Dependency {
                                from: device.value.clone(),
                                to: item.interface.clone(),
                                relation: Relation::Member,
                                span: device.value_span,
                            });
                        }
                    }
                }
                Synthetic::Static => {
                    let el = &item.element;
                    let prefix = el.value("address").map(String::from);
                    v.subnets.push(Subnet { interface: item.interface.clone(), prefix });
                    if let Some(gw) = el.attr("gateway") {
                        v.nexthops.push(Nexthop {
                            interface: item.interface.clone(),
                            address: gw.value.clone(),
                            span: gw.value_span,
                        });
                    }
                }
            }
        }
        v
    }
}

/// An element under construction whose spans advance along one line like parsed text.
struct Build(Element, u32, u32);

fn span(line: u32, col: u32, len: usize) -> Span {
    // Lines of 200 bytes: distinct, ordered byte offsets without a real text.
    let start = (line - 1) * 200 + col - 1;
    Span { file: 0, start, end: start + len as u32, line, col }
}

fn element(name: &str, line: u32, col: u32) -> Build {
    let el = Element { span: span(line, col, name.len() + 1), ..Element::new(name) };
    Build(el, line, col + name.len() as u32 + 2)
}

impl Build {
    fn attr(mut self, name: &str, value: &str) -> Self {
        let (line, col) = (self.1, self.2);
        let value_col = col + name.len() as u32 + 2;
        self.0.attributes.push(Attribute {
            name: name.into(),
            value: value.into(),
            span: span(line, col, name.len()),
            value_span: span(line, value_col, value.len()),
        });
        self.2 = value_col + value.len() as u32 + 2;
        self
    }

    fn child(mut self, child: Build) -> Self {
        self.0.children.push(child.0);
        self
    }
}

/// The model of one top-level element, as the native dialect reads it (name and kind only).
fn interface(element: Element, registry: &Registry) -> Interface {
    let kind = registry.kind_of_element(&element.name).to_string();
    let name_attr =
        element.attr(Interface::name_attribute_of(&element.name)).expect("synthetic elements are named");
    Interface {
        name: name_attr.value.clone(),
        name_span: name_attr.value_span,
        kind,
        start_mode: StartMode::Onboot,
        state: LinkState::Up,
        mac: None,
        mtu: None,
        master: None,
        parent: None,
        requires: Vec::new(),
        element,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn synthetic_documents_are_clean_and_ordered() {
        let m = super::run(101);
        assert_eq!(m.interfaces, 101);
        assert_eq!(m.diagnostics, 0);
        // 51 ethernets: configure, up; 50 bridges: create, configure, enslave (their port), up,
        // address.
        assert_eq!(m.steps, 51 * 2 + 50 * 5);
    }
}
