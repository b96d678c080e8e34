//! The native document: each imported interface as the element of its kind, built as an element
//! tree and written by core's XML writer.

use netplug_core::sdk::Element;

use crate::model::{Document, Interface, Kind, Route};

/// The whole document: `<interfaces>` holding one element per interface.
pub fn document(doc: &Document) -> Element {
    let mut root = Element::new("interfaces");
    root.children = doc.interfaces.iter().map(interface).collect();
    root
}

/// The document as text, as `netplug validate` reads it.
pub fn write(doc: &Document) -> String {
    format!("<?xml version=\"1.0\"?>\n{}", netplug_core::xml::write(&document(doc)))
}

fn interface(i: &Interface) -> Element {
    let (element, name_attr) = match i.kind {
        Kind::Ethernet => ("interface", "device"),
        Kind::Bridge => ("bridge", "name"),
        Kind::Bond => ("bond", "name"),
        Kind::Vlan => ("vlan", "name"),
    };
    let mut e = Element::new(element).with_attr(name_attr, i.name.as_str());
    if let Some(mode) = i.startmode {
        e = e.with_attr("startmode", mode.as_str());
    }
    if let Some(mtu) = &i.mtu {
        e = e.with_attr("mtu", mtu.as_str());
    }
    for (name, value) in &i.options {
        e = e.with_attr(name.as_str(), value.as_str());
    }
    if let Some(mac) = &i.hwaddr {
        e = e.with_child(Element::new("hwaddr").with_text(mac.as_str()));
    }
    let port = if i.kind == Kind::Bond { "slave" } else { "member" };
    for p in &i.ports {
        let mut child = Element::new(port).with_attr("device", p.as_str());
        if i.primary.as_deref() == Some(p.as_str()) {
            child = child.with_attr("primary", "yes");
        }
        e = e.with_child(child);
    }
    // A gateway goes on the first address of its family, as `address`/`gateway` are written
    // in the sources; without one it is a default route of its own.
    let mut gateways: Vec<&str> = i.gateways.iter().map(String::as_str).collect();
    for a in &i.addresses {
        let mut s = Element::new("static").with_attr("ipaddr", a.address.as_str());
        if let Some(at) = gateways.iter().position(|g| g.contains(':') == a.is_ipv6()) {
            s = s.with_attr("gateway", gateways.remove(at));
        }
        e = e.with_child(s);
    }
    if i.dhcp {
        let mut d = Element::new("dhcp");
        for (name, value) in &i.dhcp_options {
            d = d.with_attr(name.as_str(), value.as_str());
        }
        e = e.with_child(d);
    }
    if let Some(d6) = i.dhcp6 {
        let mut d = Element::new("dhcp6");
        if d6.autoconf {
            d = d.with_attr("autoconf", "yes");
        }
        if !d6.dhcp {
            d = d.with_attr("dhcp", "no");
        }
        e = e.with_child(d);
    }
    for g in gateways {
        e = e.with_child(Element::new("route").with_attr("gateway", g));
    }
    for r in &i.routes {
        e = e.with_child(route(r));
    }
    e
}

fn route(r: &Route) -> Element {
    let mut e = Element::new("route");
    if r.destination != "default" {
        e = e.with_attr("destination", r.destination.as_str());
    }
    if let Some(g) = &r.gateway {
        e = e.with_attr("gateway", g.as_str());
    }
    if let Some(t) = &r.kind {
        e = e.with_attr("type", t.as_str());
    }
    if r.onlink {
        e = e.with_attr("onlink", "yes");
    }
    if let Some(m) = &r.metric {
        e = e.with_attr("metric", m.as_str());
    }
    if let Some(t) = &r.table {
        e = e.with_attr("table", t.as_str());
    }
    e
}
