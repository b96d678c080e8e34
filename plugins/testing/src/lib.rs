//! Test helpers for netplug plugins, used as a dev-dependency beside `netplug-plugin-sdk`.
//!
//! * Vocabulary tests: [`items_from_xml`] gives the [`Item`]s netplug would hand a plugin for a
//!   document, read by netplug's own reader, so positions and the split
//!   between a kind's element, the envelope and other plugins' children are the real ones;
//!   [`validate_xml`] validates them and [`diagnostic_lines`] prints the result compactly;
//!   [`element_from_xml`] and [`element_to_xml`] read and write one element.
//! * Kernel tests: [`in_new_netns`] runs a test in a network namespace of its own (never the
//!   machine's); [`converge`] and [`replan`] read, plan and apply as netplug would;
//!   [`wait_for`] polls for what the kernel does a moment later.

use std::sync::Arc;
use std::time::{Duration, Instant};

use netplug_core::items::items_by_plugin;
use netplug_core::model::Config;
use netplug_core::registry::Registry;
use netplug_core::source::SourceMap;
use netplug_plugin_sdk::{Change, Element, Envelope, Item, Plugin, PluginInfo, Validation};

pub use netplug_netlink::testing::in_new_netns;

/// The items netplug hands `plugin` for the native document `xml` (one interface or many): for a kind plugin one per interface of its kinds (the element without
/// the envelope's attributes and other plugins' children, and the [`Envelope`]), for a feature
/// plugin one per element it owns. Panics when netplug reads no interface from the document
/// (not well-formed, or an `<interface type=…>` taken for libvirt's); netplug's own checks of
/// the envelope are not applied (a plugin is called despite them too). A libvirt document is
/// read too, but a kind's own subtree comes out empty: translating it is the plugin's
/// `libvirt_to_native`, which this helper, given only `&dyn Plugin`, does not call.
///
/// [`Envelope`]: netplug_plugin_sdk::Envelope
pub fn items_from_xml(plugin: &dyn Plugin, xml: &str) -> Vec<Item> {
    let mut registry = Registry::new();
    registry.register(Arc::new(Described(plugin.info())), "test").expect("one plugin registers");
    if registry.physical().is_none() {
        // `<interface device=..>` is of the kind netplug's plugin of physical devices declares.
        let devices = PluginInfo {
            name: "netplug-testing-devices".into(),
            kinds: vec!["ethernet".into()],
            physical: true,
            ..PluginInfo::default()
        };
        // A plugin under test that claims `ethernet` itself leaves `<interface>` to it.
        let _ = registry.register(Arc::new(Described(devices)), "test");
    }
    let mut sources = SourceMap::default();
    let (interfaces, diagnostics, dialect) =
        netplug_core::load::load_str("test.xml", xml, &mut sources, &registry);
    if dialect.is_none() || interfaces.is_empty() {
        panic!("netplug reads no interface from the test document ({dialect:?}): {diagnostics:#?}");
    }
    items_by_plugin(&Config { interfaces }, &registry).swap_remove(0)
}

/// `plugin.validate` of [`items_from_xml`].
pub fn validate_xml(plugin: &dyn Plugin, xml: &str) -> Validation {
    plugin.validate(&items_from_xml(plugin, xml))
}

/// Each diagnostic as `LINE:COL severity ATTRIBUTE: message`, the form vocabulary tests compare.
/// Panics on a diagnostic that names no interface or no attribute: every diagnostic a plugin
/// reports about a document must say where it is.
pub fn diagnostic_lines(validation: &Validation) -> Vec<String> {
    validation
        .diagnostics
        .iter()
        .map(|d| {
            assert!(d.interface.is_some(), "no interface on {d:?}");
            let attr = d.attribute.as_deref().unwrap_or_else(|| panic!("no attribute on {d:?}"));
            format!("{}:{} {} {attr}: {}", d.span.line, d.span.col, d.severity, d.message)
        })
        .collect()
}

/// One element written as XML (`<static ipaddr="192.0.2.1/24"/>`), with the positions netplug's
/// reader gives it: what a plugin's own unit tests build items from. Panics when it is not
/// well-formed.
pub fn element_from_xml(xml: &str) -> Element {
    netplug_core::xml::parse(xml, 0).unwrap_or_else(|d| panic!("the test element is not well-formed: {d:?}"))
}

/// An element as netplug writes it (`netplug show`), for comparing what a plugin read back.
pub fn element_to_xml(element: &Element) -> String {
    netplug_core::xml::write(element)
}

/// A link item as core hands it to a kind plugin for `<KIND name=NAME ATTRS…/>`: the kind's
/// element with `attrs`, and an envelope that names the link and sets nothing else.
pub fn link_item(kind: &str, name: &str, attrs: &[(&str, &str)]) -> Item {
    let mut element = Element::new(kind);
    for (k, v) in attrs {
        element.set_attr(*k, *v);
    }
    let envelope = Envelope { name: name.into(), kind: kind.into(), ..Envelope::default() };
    Item { interface: name.into(), kind: kind.into(), envelope: Some(envelope), element }
}

/// Interface names as a plugin's `scope` takes them.
pub fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// Only what a plugin says about itself, which is all routing needs.
struct Described(PluginInfo);

impl Plugin for Described {
    fn info(&self) -> PluginInfo {
        self.0.clone()
    }
}

/// Read the kernel for `scope`, plan towards `desired`, and apply the changes in phase order as
/// core sorts them (every create, then every enslave, every up…); the changes applied. Panics
/// with the kernel's error and the plan on failure.
pub fn converge(plugin: &dyn Plugin, desired: &[Item], scope: &[String]) -> Vec<Change> {
    let live = plugin.read(Some(scope)).expect("read");
    let mut changes = plugin.plan(desired, &live, scope).expect("plan");
    changes.sort_by_key(|c| c.phase);
    plugin.apply(&changes).unwrap_or_else(|e| panic!("{e}\n{changes:#?}"));
    changes
}

/// What a new plan towards `desired` would still do, as descriptions: empty when the kernel
/// matches.
pub fn replan(plugin: &dyn Plugin, desired: &[Item], scope: &[String]) -> Vec<String> {
    let live = plugin.read(Some(scope)).expect("read");
    plugin.plan(desired, &live, scope).expect("plan").into_iter().map(|c| c.description).collect()
}

/// Poll `ok` every 50 ms until it holds or `limit` passes; whether it held. For what the kernel
/// or a daemon does a moment after a request (a lease renewed, a carrier seen).
pub fn wait_for(limit: Duration, mut ok: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + limit;
    loop {
        if ok() {
            return true;
        }
        if Instant::now() >= end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
