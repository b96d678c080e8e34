//! `bridge IFACE BRIDGE` and `unbridge BRIDGE` (libvirt's `virsh iface-bridge` /
//! `iface-unbridge`) as transformations of definitions: put a bridge over an interface and move
//! its IP configuration (addresses, DHCP, routes) onto the bridge, or the reverse. The result
//! is applied like any document, so it is one verified step that rolls back whole.

use netplug_plugin_sdk::{Element, LinkState};

use crate::model::Interface;

/// Children that describe IP configuration, which belongs on whatever carries the traffic:
/// the bridge once there is one. Link settings (`<ethtool>`, the MTU, the MAC) stay on the
/// device.
pub const IP_CONFIGURATION: &[&str] = &["static", "dhcp", "dhcp6", "route"];

/// Options of a new bridge.
#[derive(Clone, Debug)]
pub struct BridgeOptions {
    pub stp: bool,
    /// Forward delay in seconds; `None` is the kernel's (15 s), which STP needs (the kernel
    /// refuses less than 2 s while STP is on).
    pub delay: Option<f64>,
}

impl Default for BridgeOptions {
    /// As `virsh iface-bridge`: STP on.
    fn default() -> Self {
        BridgeOptions { stp: true, delay: None }
    }
}

/// `iface` as a port of a new bridge `bridge`, and that bridge carrying `iface`'s IP
/// configuration and start mode.
pub fn bridge(iface: &Interface, bridge: &str, opts: &BridgeOptions) -> (Interface, Interface) {
    let (moved, kept): (Vec<Element>, Vec<Element>) =
        iface.element.children.iter().cloned().partition(|c| IP_CONFIGURATION.contains(&c.name.as_str()));
    let mut port = iface.clone();
    port.element.children = kept;
    port.master = Some(bridge.to_string());
    port.state = LinkState::Up;

    let mut el = Element::new("bridge")
        .with_attr("name", bridge)
        .with_attr("stp", if opts.stp { "on" } else { "off" });
    if let Some(delay) = opts.delay {
        el.set_attr("forwarddelay", format_seconds(delay));
    }
    el.children.push(Element::new("member").with_attr("device", &iface.name));
    el.children.extend(moved);
    let br = Interface {
        name: bridge.to_string(),
        kind: "bridge".into(),
        start_mode: iface.start_mode,
        state: LinkState::Up,
        mac: None,
        mtu: None,
        master: None,
        parent: None,
        requires: Vec::new(),
        element: el,
        name_span: Default::default(),
    };
    (port, br)
}

/// The reverse of [`bridge`]: `port` carrying the bridge's IP configuration again, and the
/// bridge marked `absent`.
pub fn unbridge(bridge: &Interface, port: &Interface) -> (Interface, Interface) {
    let moved: Vec<Element> = bridge
        .element
        .children
        .iter()
        .filter(|c| IP_CONFIGURATION.contains(&c.name.as_str()))
        .cloned()
        .collect();
    let mut freed = port.clone();
    freed.master = None;
    freed.element.children.retain(|c| !IP_CONFIGURATION.contains(&c.name.as_str()));
    freed.element.children.extend(moved);
    freed.start_mode = bridge.start_mode;
    let mut gone = bridge.clone();
    gone.state = LinkState::Absent;
    // An absent bridge keeps nothing: its configuration now lives on the port.
    gone.element.children.retain(|c| c.name != "member" && !IP_CONFIGURATION.contains(&c.name.as_str()));
    (freed, gone)
}

/// The member devices a bridge definition lists.
pub fn members(bridge: &Interface) -> Vec<String> {
    bridge.element.children_named("member").filter_map(|m| m.value("device")).map(str::to_string).collect()
}

fn format_seconds(s: f64) -> String {
    if s.fract() == 0.0 {
        format!("{}", s as u64)
    } else {
        format!("{s}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::StartMode;

    fn eth0() -> Interface {
        Interface {
            name: "eth0".into(),
            kind: "ethernet".into(),
            start_mode: StartMode::Onboot,
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
        let (port, br) = bridge(&eth0(), "br0", &BridgeOptions::default());
        assert_eq!(names(&port.element), ["ethtool"]);
        assert_eq!(port.master.as_deref(), Some("br0"));
        assert_eq!(port.mtu, Some(9000));
        assert_eq!(names(&br.element), ["member", "static", "route"]);
        assert_eq!(br.element.value("stp"), Some("on"));
        assert_eq!(br.element.value("forwarddelay"), None);
        let (_, quick) = bridge(&eth0(), "br0", &BridgeOptions { stp: false, delay: Some(0.0) });
        assert_eq!(quick.element.value("forwarddelay"), Some("0"));
        assert_eq!(members(&br), ["eth0"]);
        assert_eq!(br.start_mode, StartMode::Onboot);

        let (back, gone) = unbridge(&br, &port);
        assert_eq!(names(&back.element), ["ethtool", "static", "route"]);
        assert_eq!(back.master, None);
        assert_eq!(gone.state, LinkState::Absent);
    }
}
