//! `bridge`/`unbridge` (libvirt's `iface-bridge`) as transformations of definitions: core
//! writes libvirt's bridge document and the bridge plugin translates it, as for any libvirt
//! document; IP configuration is what its plugins apply in the address, route and dynamic
//! phases.

mod libvirt_support;

use std::sync::Arc;

use netplug_core::model::{Interface, StartMode};
use netplug_core::rebridge::{bridge, members, unbridge, BridgeOptions};
use netplug_core::registry::Registry;
use netplug_plugin_sdk::{Element, LinkState, Phase, Plugin, PluginInfo};

/// A feature plugin that only says what it handles and when.
struct Feature(&'static str, Phase);

impl Plugin for Feature {
    fn info(&self) -> PluginInfo {
        PluginInfo {
            name: self.0.into(),
            elements: vec![self.0.into()],
            phase: Some(self.1),
            ..Default::default()
        }
    }
}

/// The real bond, bridge, ethernet and vlan plugins, with address and route stand-ins.
fn registry() -> Registry {
    let mut r = Registry::new();
    for p in libvirt_support::registry().plugins() {
        r.register(p.plugin.clone(), p.origin.clone()).unwrap();
    }
    r.register(Arc::new(Feature("static", Phase::Address)), "builtin").unwrap();
    r.register(Arc::new(Feature("route", Phase::Route)), "builtin").unwrap();
    r
}

fn eth0() -> Interface {
    Interface {
        name: "eth0".into(),
        kind: "ethernet".into(),
        start_mode: StartMode::Hotplug,
        state: LinkState::Up,
        mac: Some("52:54:00:00:00:01".into()),
        mtu: Some(9000),
        master: None,
        parent: None,
        requires: Vec::new(),
        element: Element::new("interface")
            .with_attr("device", "eth0")
            .with_child(Element::new("static").with_attr("ipaddr", "192.0.2.5/24"))
            .with_child(Element::new("route").with_attr("destination", "198.51.100.0/24"))
            .with_child(Element::new("ethtool")),
        name_span: Default::default(),
    }
}

fn names(el: &Element) -> Vec<&str> {
    el.children.iter().map(|c| c.name.as_str()).collect()
}

#[test]
fn ip_configuration_moves_and_link_settings_stay() {
    let registry = registry();
    let (port, br, warnings) = bridge(&eth0(), "br0", &BridgeOptions::default(), &registry).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(names(&port.element), ["ethtool"]);
    assert_eq!(port.master.as_deref(), Some("br0"));
    assert_eq!(port.mtu, Some(9000));
    // The bridge is the plugin's native <bridge>, its port referred to as the plugin does.
    assert_eq!((br.kind.as_str(), br.element.name.as_str()), ("bridge", "bridge"));
    assert_eq!(names(&br.element), ["member", "static", "route"]);
    assert_eq!(br.element.value("stp"), Some("on"));
    assert_eq!(br.element.value("forwarddelay"), None);
    assert_eq!((br.start_mode, br.state), (StartMode::Hotplug, LinkState::Up));
    assert_eq!(members(&br, &registry), ["eth0"]);

    let (_, quick, _) =
        bridge(&eth0(), "br0", &BridgeOptions { stp: false, delay: Some(0.0) }, &registry).unwrap();
    assert_eq!(quick.element.value("stp"), Some("off"));
    assert_eq!(quick.element.value("forwarddelay"), Some("0"));
    // With STP on the kernel needs 2 s: the plugin's clamp, with its warning.
    let (_, clamped, warnings) =
        bridge(&eth0(), "br0", &BridgeOptions { stp: true, delay: Some(0.5) }, &registry).unwrap();
    assert_eq!(clamped.element.value("forwarddelay"), Some("2"));
    assert_eq!(warnings.len(), 1, "{warnings:?}");

    let (back, gone) = unbridge(&br, &port, &registry);
    assert_eq!(names(&back.element), ["ethtool", "static", "route"]);
    assert_eq!((back.master.as_deref(), back.start_mode), (None, StartMode::Hotplug));
    assert_eq!(gone.state, LinkState::Absent);
    assert!(gone.element.children.is_empty());
}

#[test]
fn without_a_plugin_for_libvirts_bridge_nothing_is_made() {
    let mut registry = Registry::new();
    let ethernet = libvirt_support::registry().for_kind("ethernet").unwrap();
    registry.register(ethernet.plugin.clone(), ethernet.origin.clone()).unwrap();
    let diagnostics = bridge(&eth0(), "br0", &BridgeOptions::default(), &registry).unwrap_err();
    assert!(diagnostics.iter().any(|d| d.is_error()), "{diagnostics:?}");
}
