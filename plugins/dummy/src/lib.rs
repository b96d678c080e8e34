//! This crate provides netplug's dummy plugin: the `<dummy>` interface kind, a link that drops
//! what it is sent — a place for addresses that must not depend on any NIC (a service address,
//! a router ID, a blackhole), as `ip link add NAME type dummy` makes.
//!
//! ```xml
//! <dummy name="svc0" mtu="9000">
//!   <static ipaddr="192.0.2.53/32"/>
//! </dummy>
//! ```
//!
//! A dummy has no options of its own: only the envelope (MTU, MAC, admin state, master). So
//! [`read`] reports the kernel's dummies, [`plan`] creates, changes in place and deletes (no
//! change ever needs a dummy made again), and [`apply`] sends the changes in bursts.

pub mod apply;
pub mod plan;
pub mod read;

use netplug_plugin_sdk::schema::{self, ENVELOPE_ATTRIBUTES, FEATURE_ELEMENTS};
use netplug_plugin_sdk::{ApplyError, Change, Item, Plugin, PluginError, PluginInfo, Validation};

/// The interface kind this plugin adds.
pub const KIND: &str = "dummy";

/// The dummy plugin.
pub struct DummyPlugin;

impl Plugin for DummyPlugin {
    fn info(&self) -> PluginInfo {
        PluginInfo {
            name: "dummy".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Dummy links (<dummy>): addresses that belong to no NIC".into(),
            kinds: vec![KIND.into()],
            elements: Vec::new(),
            phase: None,
            // A dummy's offloads can be switched; it has no link modes, rings or channels.
            device_settings: [("ethtool".to_string(), vec!["feature".to_string()])].into(),
            vocabulary: include_str!("../schema.rng").into(),
            // A new dummy's MTU: show leaves it out.
            kernel_defaults: [(
                KIND.to_string(),
                [("mtu", "1500")].map(|(k, v)| (k.to_string(), v.to_string())).into(),
            )]
            .into(),
            ..PluginInfo::default()
        }
    }

    fn validate(&self, items: &[Item]) -> Validation {
        let mut v = Validation::default();
        for item in items {
            let name = item.interface.as_str();
            v.diagnostics.extend(schema::check_specs(&item.element, &[], ENVELOPE_ATTRIBUTES, name));
            v.diagnostics.extend(schema::check_children_hinting(&item.element, &[], FEATURE_ELEMENTS, name));
        }
        v
    }

    fn read(&self, names: Option<&[String]>) -> Result<Vec<Item>, PluginError> {
        read::read(names)
    }

    fn plan(&self, desired: &[Item], live: &[Item], scope: &[String]) -> Result<Vec<Change>, PluginError> {
        plan::plan(desired, live, scope)
    }

    fn apply(&self, changes: &[Change]) -> Result<(), ApplyError> {
        apply::apply(changes)
    }
}

netplug_plugin_sdk::export_plugin!(DummyPlugin);

#[cfg(test)]
mod tests {
    use netplug_plugin_sdk::{Attribute, Element, Envelope, Span};

    use super::*;

    #[test]
    fn a_dummy_takes_only_the_envelope() {
        let mut el = Element::new(KIND);
        el.attributes.push(Attribute {
            name: "mut".into(),
            value: "9000".into(),
            span: Span { line: 2, col: 20, ..Span::default() },
            value_span: Span::default(),
        });
        el.children.push(Element::new("statc"));
        let item = Item {
            interface: "d0".into(),
            kind: KIND.into(),
            envelope: Some(Envelope { name: "d0".into(), kind: KIND.into(), ..Envelope::default() }),
            element: el,
        };
        let got: Vec<(String, Option<String>)> =
            DummyPlugin.validate(&[item]).diagnostics.into_iter().map(|d| (d.message, d.help)).collect();
        assert_eq!(
            got,
            [
                ("unknown attribute `mut` on <dummy>".to_string(), Some("did you mean `mtu`?".to_string())),
                (
                    "unknown element <statc> in <dummy>".to_string(),
                    Some("did you mean <static>?".to_string())
                ),
            ]
        );
    }
}
