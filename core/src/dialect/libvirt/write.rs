//! Model → libvirt: write the envelope in the order `virsh iface-dumpxml` prints, ask each
//! kind's plugin for its subtree and the ports to nest in it, and list everything libvirt
//! cannot carry.
//!
//! Values come from the native element as written (so `52:54:00:AB:..` stays as it was), and
//! from the envelope when the element lacks them (interfaces built from live state).

use std::collections::HashMap;

use netplug_plugin_sdk::libvirt::{FromNative, Libvirt, PortOut};
use netplug_plugin_sdk::schema::parse_bool;
use netplug_plugin_sdk::Element;

use super::{addressing, list};
use crate::items::{child_owner, ChildOwner};
use crate::model::{Interface, StartMode};
use crate::registry::Registry;

/// Write interfaces as a libvirt document: one `<interface>`, or `<interfaces>` around several
/// (and around none). The second value lists what was not written, one line per thing, each
/// starting with the interface it belongs to: `br0: bridge attribute hellotime`.
pub fn from_native(interfaces: &[Interface], registry: &Registry) -> (Element, Vec<String>) {
    let mut w = Writer::new(interfaces, registry);
    w.translate();
    w.assign_ports();
    let mut tops = Vec::new();
    for i in 0..interfaces.len() {
        if w.port_of[i].is_none() {
            tops.extend(w.top(i));
        }
    }
    let root = if tops.len() == 1 {
        tops.remove(0)
    } else {
        Element { children: tops, ..Element::new("interfaces") }
    };
    (root, w.dropped)
}

/// A port of a master: defined in the model, or only named by it.
#[derive(Clone)]
struct Port {
    out: PortOut,
    index: Option<usize>,
}

/// What ports take from the top-level interface in libvirt.
#[derive(Clone)]
struct Top<'a> {
    name: &'a str,
    startmode: Option<StartMode>,
    mtu: Option<String>,
}

struct Writer<'a> {
    ifaces: &'a [Interface],
    registry: &'a Registry,
    /// The kinds plugins translate.
    kinds: Vec<String>,
    index: HashMap<&'a str, usize>,
    /// Each interface's subtree as its plugin writes it; `None` for one not written.
    subtrees: Vec<Option<Libvirt>>,
    ports: Vec<Vec<Port>>,
    port_of: Vec<Option<usize>>,
    dropped: Vec<String>,
}

impl<'a> Writer<'a> {
    fn new(ifaces: &'a [Interface], registry: &'a Registry) -> Self {
        let mut index = HashMap::new();
        for (i, iface) in ifaces.iter().enumerate() {
            index.entry(iface.name.as_str()).or_insert(i);
        }
        Writer {
            ifaces,
            registry,
            kinds: super::kinds(registry),
            index,
            subtrees: vec![None; ifaces.len()],
            ports: vec![Vec::new(); ifaces.len()],
            port_of: vec![None; ifaces.len()],
            dropped: Vec::new(),
        }
    }

    fn drop(&mut self, iface: &str, what: impl std::fmt::Display) {
        self.dropped.push(format!("{iface}: {what}"));
    }

    /// Ask each writable interface's plugin for its subtree and ports.
    fn translate(&mut self) {
        for (i, iface) in self.ifaces.iter().enumerate() {
            if !self.kinds.contains(&iface.kind) || state(iface) == Some("absent") {
                continue;
            }
            let Some(r) = self.registry.for_kind(&iface.kind) else { continue };
            let request = FromNative { item: crate::items::kind_item(iface, self.registry) };
            match r.plugin.libvirt_from_native(&request) {
                Ok(subtree) => self.subtrees[i] = Some(subtree),
                Err(e) => self.drop(&iface.name, format!("not written: {e}")),
            }
        }
    }

    /// Decide which interfaces are written inside which master: the ports its plugin names,
    /// then those known only by their `master` (live state read back without the master's
    /// list), each when libvirt lets the master hold its kind.
    fn assign_ports(&mut self) {
        let ifaces = self.ifaces;
        for (m, master) in ifaces.iter().enumerate() {
            let Some(subtree) = &self.subtrees[m] else { continue };
            let (named, kinds) = (subtree.ports.clone(), subtree.port_kinds.clone());
            for out in named {
                let index = self.index.get(out.name.as_str()).copied();
                if let Some(p) = index {
                    if let Err(why) = self.can_nest(m, p, &kinds) {
                        self.drop(&master.name, format!("port {} ({why})", out.name));
                        continue;
                    }
                    self.port_of[p] = Some(m);
                }
                self.ports[m].push(Port { out, index });
            }
        }
        for (p, port) in ifaces.iter().enumerate() {
            let Some(m) = port.master.as_deref().and_then(|n| self.index.get(n).copied()) else { continue };
            let Some(subtree) = &self.subtrees[m] else { continue };
            let kinds = subtree.port_kinds.clone();
            if self.port_of[p].is_none() && self.can_nest(m, p, &kinds).is_ok() {
                self.port_of[p] = Some(m);
                let out = PortOut { name: port.name.clone(), kind: port.kind.clone() };
                self.ports[m].push(Port { out, index: Some(p) });
            }
        }
    }

    fn can_nest(&self, m: usize, p: usize, kinds: &[String]) -> Result<(), String> {
        let port = &self.ifaces[p];
        if p == m {
            return Err("itself".into());
        }
        if state(port) == Some("absent") {
            return Err("it has state absent".into());
        }
        if !kinds.contains(&port.kind) || self.subtrees[p].is_none() {
            let master = &self.ifaces[m].kind;
            return Err(format!(
                "a {}; libvirt's {master} interfaces hold {}",
                port.kind,
                list(kinds, "and")
            ));
        }
        if let Some(other) = self.port_of[p] {
            return Err(format!("already a port of {}", self.ifaces[other].name));
        }
        Ok(())
    }

    fn top(&mut self, i: usize) -> Option<Element> {
        let iface = &self.ifaces[i];
        if !self.kinds.contains(&iface.kind) {
            let has = list(&self.kinds, "and");
            self.drop(&iface.name, format!("kind {} (libvirt has {has}); not written", iface.kind));
            return None;
        }
        if state(iface) == Some("absent") {
            self.drop(
                &iface.name,
                "state absent (libvirt cannot describe removing an interface); not written",
            );
            return None;
        }
        self.interface(i, None)
    }

    /// One interface; `top` is the top-level interface when this one is a port.
    fn interface(&mut self, i: usize, top: Option<&Top<'a>>) -> Option<Element> {
        let ifaces = self.ifaces;
        let iface = &ifaces[i];
        let (name, kind, el) = (iface.name.as_str(), iface.kind.as_str(), &iface.element);
        let subtree = self.subtrees[i].take()?;
        if subtree.omit {
            for d in &subtree.dropped {
                self.drop(name, d);
            }
            return None;
        }
        let mut out = Element::new("interface").with_attr("type", kind).with_attr("name", name);
        let startmode = self.startmode(iface);
        let mtu = explicit_mtu(iface);
        let here;
        let top = match top {
            None => {
                if let Some(sm) = startmode {
                    match start_word(sm) {
                        Some(w) => out.children.push(Element::new("start").with_attr("mode", w)),
                        None => self.drop(
                            name,
                            format!("startmode {} (libvirt has onboot, none and hotplug)", sm.as_str()),
                        ),
                    }
                }
                if let Some(m) = &mtu {
                    out.children.push(Element::new("mtu").with_attr("size", m));
                }
                out.children.extend(addressing::protocols(iface, &mut self.dropped));
                here = Top { name, startmode, mtu };
                &here
            }
            Some(t) => {
                if startmode != t.startmode {
                    let (mine, theirs) = (
                        startmode.map_or("unset", |s| s.as_str()),
                        t.startmode.map_or("unset", |s| s.as_str()),
                    );
                    self.drop(
                        name,
                        format!(
                            "startmode {mine} (a port takes {}'s start mode in libvirt: {theirs})",
                            t.name
                        ),
                    );
                }
                if mtu != t.mtu {
                    let (mine, theirs) =
                        (mtu.as_deref().unwrap_or("unset"), t.mtu.as_deref().unwrap_or("unset"));
                    self.drop(
                        name,
                        format!("mtu {mine} (a port takes {}'s MTU in libvirt: {theirs})", t.name),
                    );
                }
                for c in el.children.iter().filter(|c| is_addressing(&c.name)) {
                    self.drop(
                        name,
                        format!(
                            "<{}> (libvirt has addresses only on the top-level interface, {})",
                            c.name, t.name
                        ),
                    );
                }
                t
            }
        };
        match state(iface) {
            Some("up") if !subtree.no_link => {
                out.children.push(Element::new("link").with_attr("state", "up"))
            }
            Some("up") | None => {}
            Some("down") => {
                self.drop(name, "state down (libvirt has no administrative state; its <link> is live state)")
            }
            Some(other) => self.drop(name, format!("state {other}")),
        }
        let mac = el.child("hwaddr").and_then(|h| h.text.clone()).or_else(|| iface.mac.clone());
        match mac {
            Some(mac) if self.registry.is_physical(kind) => {
                out.children.push(Element::new("mac").with_attr("address", mac.trim()))
            }
            Some(mac) => {
                let devices: Vec<String> =
                    self.kinds.iter().filter(|k| self.registry.is_physical(k)).cloned().collect();
                let devices = list(&devices, "and");
                self.drop(
                    name,
                    format!("hwaddr {mac} (libvirt has a MAC address only on {devices} interfaces)"),
                )
            }
            None => {}
        }
        for d in &subtree.dropped {
            self.drop(name, d);
        }
        if let Some(mut element) = subtree.element {
            for port in self.ports[i].clone() {
                element.children.extend(self.port(port, top));
            }
            out.children.push(element);
        }
        self.leftovers(iface);
        Some(out)
    }

    /// Children of other plugins that libvirt has no place for, each listed as dropped (the
    /// kind's plugin lists its own).
    fn leftovers(&mut self, iface: &Interface) {
        for c in &iface.element.children {
            let n = c.name.as_str();
            if n == "hwaddr" || is_addressing(n) || child_owner(n, self.registry) == ChildOwner::Kind {
                continue;
            }
            self.drop(&iface.name, format!("<{n}> (libvirt has no <{n}>)"));
        }
    }

    /// The start mode if the document (or a non-default envelope) says one.
    fn startmode(&mut self, iface: &Interface) -> Option<StartMode> {
        let el = &iface.element;
        if let Some(v) = el.value("startmode") {
            let parsed = StartMode::parse(v.trim());
            if parsed.is_none() {
                self.drop(&iface.name, format!("startmode {v} (not a start mode)"));
            }
            return parsed;
        }
        if let Some(v) = el.value("onboot") {
            return parse_bool(v).map(|b| if b { StartMode::Onboot } else { StartMode::Manual });
        }
        (iface.start_mode != StartMode::default()).then_some(iface.start_mode)
    }

    fn port(&mut self, port: Port, top: &Top<'a>) -> Option<Element> {
        match port.index {
            Some(p) => self.interface(p, Some(top)),
            None => Some(
                Element::new("interface").with_attr("type", port.out.kind).with_attr("name", port.out.name),
            ),
        }
    }
}

fn is_addressing(name: &str) -> bool {
    matches!(name, "static" | "dhcp" | "dhcp6" | "route")
}

/// The interface's `state`, as written or from a non-default envelope.
fn state(iface: &Interface) -> Option<&str> {
    match iface.element.value("state") {
        Some(s) => Some(s.trim()),
        None => match iface.state {
            netplug_plugin_sdk::LinkState::Up => None,
            netplug_plugin_sdk::LinkState::Down => Some("down"),
            netplug_plugin_sdk::LinkState::Absent => Some("absent"),
        },
    }
}

fn explicit_mtu(iface: &Interface) -> Option<String> {
    iface.element.value("mtu").map(|m| m.trim().to_string()).or_else(|| iface.mtu.map(|m| m.to_string()))
}

fn start_word(mode: StartMode) -> Option<&'static str> {
    match mode {
        StartMode::Onboot => Some("onboot"),
        StartMode::Manual => Some("none"),
        StartMode::Hotplug => Some("hotplug"),
        StartMode::Ifplug | StartMode::Nfsroot => None,
    }
}
