//! `bridge IFACE BRIDGE` and `unbridge BRIDGE` (libvirt's `virsh iface-bridge` /
//! `iface-unbridge`) as transformations of definitions: put a bridge over an interface and move
//! its IP configuration (addresses, DHCP, routes) onto the bridge, or the reverse. The result
//! is applied like any document, so it is one verified step that rolls back whole.
//!
//! The verbs are libvirt's, and libvirt defines them by a document in its own dialect: a new
//! `<interface type='bridge'>` whose `<bridge stp delay>` nests the device. Core builds exactly
//! that and has it translated like any libvirt document, by the plugin that lists `bridge` in
//! `PluginInfo::libvirt`; so the native bridge's vocabulary (its attributes, how it refers to
//! its ports, the STP delay clamp) stays the plugin's, and core only names libvirt's type.
//! Which children are IP configuration is said by their plugins' phases, not by core.

use netplug_plugin_sdk::{Diagnostic, Element, LinkState, Phase, Relation};

use crate::dialect::{libvirt, native};
use crate::model::{Config, Interface};
use crate::registry::Registry;
use crate::validate::{self, ValidateOptions};

/// libvirt's `type=` of the interface `iface-bridge` makes.
pub const KIND: &str = "bridge";

/// Whether a child element is IP configuration, which belongs on whatever carries the traffic
/// (the bridge once there is one): what its plugin applies in the address, route or dynamic
/// (DHCP) phase. Link settings (`<ethtool>`, the MTU, the MAC) stay on the device.
pub fn is_ip_configuration(child: &Element, registry: &Registry) -> bool {
    registry
        .for_element(&child.name)
        .and_then(|r| r.info.phase)
        .is_some_and(|p| matches!(p, Phase::Address | Phase::Route | Phase::Dynamic))
}

/// Options of a new bridge, as `virsh iface-bridge` has them.
#[derive(Clone, Debug)]
pub struct BridgeOptions {
    pub stp: bool,
    /// Forward delay in seconds; `None` is the kernel's (15 s). With STP on, the kernel needs
    /// at least 2 s: the bridge plugin applies 2 s with a warning, as libvirt's netcf did.
    pub delay: Option<f64>,
}

impl Default for BridgeOptions {
    /// As `virsh iface-bridge`: STP on.
    fn default() -> Self {
        BridgeOptions { stp: true, delay: None }
    }
}

/// `iface` as a port of a new bridge `bridge`, and that bridge carrying `iface`'s IP
/// configuration and start mode; with the translation's warnings. Errors when no installed
/// plugin translates libvirt's bridge or it refuses the options.
pub fn bridge(
    iface: &Interface,
    bridge: &str,
    opts: &BridgeOptions,
    registry: &Registry,
) -> Result<(Interface, Interface, Vec<Diagnostic>), Vec<Diagnostic>> {
    let mut subtree = Element::new(KIND).with_attr("stp", if opts.stp { "on" } else { "off" });
    if let Some(delay) = opts.delay {
        subtree.set_attr("delay", format_seconds(delay));
    }
    // libvirt describes the device to enslave as an existing one, whatever it is; only the
    // bridge's reference to it is kept from the translation.
    subtree.children.push(
        Element::new("interface").with_attr("type", registry.device_kind()).with_attr("name", &iface.name),
    );
    let document =
        Element::new("interface").with_attr("type", KIND).with_attr("name", bridge).with_child(subtree);
    let (elements, mut diagnostics) = libvirt::to_native(&document, registry);
    let element = elements.into_iter().find(|e| registry.kind_of_element(&e.name) == KIND);
    let br = element.and_then(|e| native::read_interface(e, registry, &mut diagnostics));
    let (Some(mut br), false) = (br, diagnostics.iter().any(Diagnostic::is_error)) else {
        return Err(diagnostics);
    };

    let (moved, kept): (Vec<Element>, Vec<Element>) =
        iface.element.children.iter().cloned().partition(|c| is_ip_configuration(c, registry));
    let mut port = iface.clone();
    port.element.children = kept;
    port.master = Some(bridge.to_string());
    port.state = LinkState::Up;
    br.element.children.extend(moved);
    br.start_mode = iface.start_mode;
    br.state = LinkState::Up;
    Ok((port, br, diagnostics))
}

/// The reverse of [`bridge`]: `port` carrying the bridge's IP configuration again, and the
/// bridge marked `absent`.
pub fn unbridge(bridge: &Interface, port: &Interface, registry: &Registry) -> (Interface, Interface) {
    let moved: Vec<Element> =
        bridge.element.children.iter().filter(|c| is_ip_configuration(c, registry)).cloned().collect();
    let mut freed = port.clone();
    freed.master = None;
    freed.element.children.retain(|c| !is_ip_configuration(c, registry));
    freed.element.children.extend(moved);
    freed.start_mode = bridge.start_mode;
    let mut gone = bridge.clone();
    gone.state = LinkState::Absent;
    // An absent bridge keeps nothing: its configuration now lives on the port, and a port it
    // still named would be enslaved to it again.
    gone.element.children.clear();
    (freed, gone)
}

/// The ports a bridge definition names, as its plugin reports them (`Member` dependencies).
pub fn members(bridge: &Interface, registry: &Registry) -> Vec<String> {
    let mut alone = Config { interfaces: vec![bridge.clone()] };
    let report = validate::check(&mut alone, registry, &ValidateOptions::default());
    report
        .dependencies
        .into_iter()
        .filter(|d| d.relation == Relation::Member && d.to == bridge.name)
        .map(|d| d.from)
        .collect()
}

fn format_seconds(s: f64) -> String {
    if s.fract() == 0.0 {
        format!("{}", s as u64)
    } else {
        format!("{s}")
    }
}
