//! How the model is split into plugin [`Item`]s: one per interface for its kind's plugin, one
//! per owned child element for a feature plugin, grouped so each plugin is called once.
//!
//! Validation, planning and apply all hand plugins the same split, so it lives here rather than
//! in any one of them. A kind plugin sees its interface's element without the envelope (which
//! core owns and passes as [`Envelope`](netplug_plugin_sdk::Envelope)) and without the children
//! other plugins own; a feature plugin sees only its own element.

use std::collections::HashMap;

use netplug_plugin_sdk::{Element, Item};

use crate::model::{Config, Interface};
use crate::registry::{Registered, Registry};

/// Child elements of the native dialect that belong to feature plugins, not to the interface's
/// kind. They are taken out of the kind plugin's item even when their plugin is not installed,
/// so the missing plugin is reported once by core (with [`crate::registry::install_hint`])
/// instead of as an unknown child by the kind's plugin.
pub const WELL_KNOWN_FEATURES: &[&str] = &["static", "dhcp", "dhcp6", "route", "ethtool"];

/// Attributes of the top-level element that belong to the envelope (besides the name
/// attribute, which depends on the element: see [`Interface::name_attribute_of`]).
pub const ENVELOPE_ATTRIBUTES: &[&str] = &["startmode", "onboot", "state", "mtu"];

/// Child elements that belong to the envelope.
pub const ENVELOPE_CHILDREN: &[&str] = &["hwaddr"];

/// Where a child element of an interface goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChildOwner {
    /// Core: part of the envelope (`<hwaddr>`).
    Envelope,
    /// A registered feature plugin, by index into [`Registry::plugins`].
    Feature(usize),
    /// A well-known feature whose plugin is not installed.
    MissingFeature,
    /// The interface's kind plugin (anything else, including children it does not know).
    Kind,
}

/// Who owns the child element called `name`.
pub fn child_owner(name: &str, registry: &Registry) -> ChildOwner {
    if ENVELOPE_CHILDREN.contains(&name) {
        return ChildOwner::Envelope;
    }
    if let Some(reg) = registry.for_element(name) {
        return ChildOwner::Feature(plugin_index(registry, reg));
    }
    if WELL_KNOWN_FEATURES.contains(&name) {
        return ChildOwner::MissingFeature;
    }
    ChildOwner::Kind
}

/// The index in [`Registry::plugins`] of a plugin the registry returned.
pub fn plugin_index(registry: &Registry, reg: &Registered) -> usize {
    // `for_kind`/`for_element` hand out references into `plugins()`, so identity finds it; a
    // run has a handful of plugins, so the scan costs nothing.
    registry
        .plugins()
        .iter()
        .position(|r| std::ptr::eq(r, reg))
        .expect("a Registered returned by the registry is one of its plugins")
}

/// The index in [`Registry::plugins`] of the plugin that handles `kind`.
pub fn kind_plugin_index(kind: &str, registry: &Registry) -> Option<usize> {
    registry.for_kind(kind).map(|reg| plugin_index(registry, reg))
}

/// The item for an interface's kind plugin: the top-level element without the envelope's
/// attributes and children and without the children feature plugins own.
pub fn kind_item(iface: &Interface, registry: &Registry) -> Item {
    let name_attr = Interface::name_attribute_of(&iface.element.name);
    let el = &iface.element;
    let element = Element {
        name: el.name.clone(),
        attributes: el
            .attributes
            .iter()
            // `<interface>` also accepts `name=` as an alias of `device=`: both are the envelope's.
            .filter(|a| {
                a.name != name_attr
                    && !(name_attr == "device" && a.name == "name")
                    && !ENVELOPE_ATTRIBUTES.contains(&a.name.as_str())
            })
            .cloned()
            .collect(),
        children: el
            .children
            .iter()
            .filter(|c| child_owner(&c.name, registry) == ChildOwner::Kind)
            .cloned()
            .collect(),
        text: el.text.clone(),
        span: el.span,
    };
    Item {
        interface: iface.name.clone(),
        kind: iface.kind.clone(),
        envelope: Some(iface.envelope()),
        element,
    }
}

/// One item per child element a registered feature plugin owns, with that plugin's index in
/// [`Registry::plugins`], in document order. The envelope is included so a feature plugin knows
/// whether the interface is to be removed.
pub fn feature_items(iface: &Interface, registry: &Registry) -> Vec<(usize, Item)> {
    let mut out = Vec::new();
    let mut envelope = None;
    for child in &iface.element.children {
        if let ChildOwner::Feature(plugin) = child_owner(&child.name, registry) {
            let envelope = envelope.get_or_insert_with(|| iface.envelope()).clone();
            out.push((plugin, feature_item(iface, child, envelope)));
        }
    }
    out
}

fn feature_item(iface: &Interface, child: &Element, envelope: netplug_plugin_sdk::Envelope) -> Item {
    Item {
        interface: iface.name.clone(),
        kind: iface.kind.clone(),
        envelope: Some(envelope),
        element: child.clone(),
    }
}

/// Every item of a configuration, one `Vec` per plugin indexed like [`Registry::plugins`], so
/// each plugin is called once with all its items (one call, not one per interface, is what
/// keeps 10,000-interface documents fast). Interfaces of a kind no plugin handles and children
/// of a missing feature plugin are left out; validation reports them.
pub fn items_by_plugin(config: &Config, registry: &Registry) -> Vec<Vec<Item>> {
    let mut out = vec![Vec::new(); registry.plugins().len()];
    for iface in &config.interfaces {
        if let Some(p) = kind_plugin_index(&iface.kind, registry) {
            out[p].push(kind_item(iface, registry));
        }
        for (p, item) in feature_items(iface, registry) {
            out[p].push(item);
        }
    }
    out
}

/// [`items_by_plugin`] keyed by plugin name (every registered plugin has an entry), the form
/// `plan`/`apply` pass around.
pub fn desired_by_plugin(config: &Config, registry: &Registry) -> HashMap<String, Vec<Item>> {
    registry.plugins().iter().map(|r| r.info.name.clone()).zip(items_by_plugin(config, registry)).collect()
}

/// The items validation built and sent, kept for the run that follows so it need not build
/// them again (with 10,000 routes, building and dropping them was several percent of an
/// apply). Validation fills in masters and parents as it goes, so the envelopes' are brought
/// up to date when the run takes them.
#[derive(Clone, Debug)]
pub struct ValidatedItems {
    per_plugin: Vec<Vec<Item>>,
    interfaces: usize,
}

impl ValidatedItems {
    pub(crate) fn new(per_plugin: Vec<Vec<Item>>, config: &Config) -> Self {
        ValidatedItems { per_plugin, interfaces: config.interfaces.len() }
    }

    /// What [`desired_by_plugin`] would build from `config` now (built afresh if `config`
    /// or `registry` are not the ones validated).
    pub fn into_desired(mut self, config: &Config, registry: &Registry) -> HashMap<String, Vec<Item>> {
        if self.interfaces != config.interfaces.len() || self.per_plugin.len() != registry.plugins().len() {
            return desired_by_plugin(config, registry);
        }
        let by_name: HashMap<&str, &Interface> =
            config.interfaces.iter().map(|i| (i.name.as_str(), i)).collect();
        for items in &mut self.per_plugin {
            // Items come grouped by interface: look each group's interface up once.
            let mut last: Option<&Interface> = None;
            for item in items.iter_mut() {
                if last.is_none_or(|i| i.name != item.interface) {
                    last = by_name.get(item.interface.as_str()).copied();
                }
                if let (Some(envelope), Some(iface)) = (&mut item.envelope, last) {
                    envelope.master.clone_from(&iface.master);
                    envelope.parent.clone_from(&iface.parent);
                }
            }
        }
        registry.plugins().iter().map(|r| r.info.name.clone()).zip(self.per_plugin).collect()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use netplug_plugin_sdk::{LinkState, Plugin, PluginInfo, Span};

    use super::*;
    use crate::model::StartMode;

    struct Fake(PluginInfo);
    impl Plugin for Fake {
        fn info(&self) -> PluginInfo {
            self.0.clone()
        }
    }

    fn registry() -> Registry {
        let mut r = Registry::new();
        for (name, kinds, elements) in [
            ("vlan", vec!["vlan"], vec![]),
            ("static", vec![], vec!["static"]),
            ("eth", vec!["ethernet"], vec!["ethtool"]),
        ] {
            let info = PluginInfo {
                name: name.into(),
                kinds: kinds.into_iter().map(String::from).collect(),
                elements: elements.into_iter().map(String::from).collect(),
                ..Default::default()
            };
            r.register(Arc::new(Fake(info)), "builtin").unwrap();
        }
        r
    }

    fn iface(kind: &str, element: Element) -> Interface {
        Interface {
            name: "x".into(),
            kind: kind.into(),
            start_mode: StartMode::Onboot,
            state: LinkState::Up,
            mac: None,
            mtu: None,
            master: None,
            parent: None,
            requires: Vec::new(),
            element,
            name_span: Span::default(),
        }
    }

    #[test]
    fn vlan_keeps_its_parent_device_and_loses_the_envelope() {
        let el = Element::new("vlan")
            .with_attr("name", "eth0.10")
            .with_attr("device", "eth0")
            .with_attr("tag", "10")
            .with_attr("mtu", "1500")
            .with_attr("state", "up")
            .with_child(Element::new("hwaddr").with_attr("address", "52:54:00:00:00:01"))
            .with_child(Element::new("static").with_attr("address", "10.0.0.1/24"))
            .with_child(Element::new("dhcp"))
            .with_child(Element::new("frobnicate"));
        let r = registry();
        let item = kind_item(&iface("vlan", el.clone()), &r);
        let names: Vec<_> = item.element.attributes.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["device", "tag"]);
        let children: Vec<_> = item.element.children.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(children, ["frobnicate"], "dhcp is a well-known feature even without its plugin");
        let features = feature_items(&iface("vlan", el), &r);
        assert_eq!(features.len(), 1);
        assert_eq!(features[0].0, 1);
        assert_eq!(features[0].1.element.name, "static");
    }

    #[test]
    fn ethernet_loses_device_and_groups_per_plugin() {
        let el = Element::new("interface")
            .with_attr("device", "eth0")
            .with_attr("startmode", "onboot")
            .with_child(Element::new("ethtool"));
        let r = registry();
        let config = Config { interfaces: vec![iface("ethernet", el)] };
        let groups = items_by_plugin(&config, &r);
        assert_eq!(groups.iter().map(Vec::len).collect::<Vec<_>>(), [0, 0, 2]);
        assert!(groups[2][0].element.attributes.is_empty());
        assert!(groups[2][0].element.children.is_empty());
        assert_eq!(groups[2][1].element.name, "ethtool");
    }
}
