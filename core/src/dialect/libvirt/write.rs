//! Model → libvirt: nest each bridge's and bond's ports inside it, write the rest in the order
//! `virsh iface-dumpxml` prints, and list everything libvirt cannot carry.
//!
//! Values come from the native element as written (so `52:54:00:AB:..` stays as it was), and
//! from the envelope when the element lacks them (interfaces built from live state).

use std::collections::HashMap;

use netplug_plugin_sdk::schema::parse_bool;
use netplug_plugin_sdk::Element;

use super::{addressing, ARP_VALIDATE, BOND_MODES, KINDS};
use crate::model::{Interface, StartMode};

/// Write interfaces as a libvirt document: one `<interface>`, or `<interfaces>` around several
/// (and around none). The second value lists what was not written, one line per thing, each
/// starting with the interface it belongs to: `br0: bridge attribute hellotime`.
pub fn from_native(interfaces: &[Interface]) -> (Element, Vec<String>) {
    let mut w = Writer::new(interfaces);
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

/// A port of a bridge or bond: defined in the model, or only named by its master.
#[derive(Clone, Copy)]
struct Port<'a> {
    name: &'a str,
    index: Option<usize>,
    /// The `<member>`/`<slave>` element, absent when the port was found by its `master`.
    reference: Option<&'a Element>,
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
    index: HashMap<&'a str, usize>,
    ports: Vec<Vec<Port<'a>>>,
    port_of: Vec<Option<usize>>,
    dropped: Vec<String>,
}

impl<'a> Writer<'a> {
    fn new(ifaces: &'a [Interface]) -> Self {
        let mut index = HashMap::new();
        for (i, iface) in ifaces.iter().enumerate() {
            index.entry(iface.name.as_str()).or_insert(i);
        }
        Writer {
            ifaces,
            index,
            ports: vec![Vec::new(); ifaces.len()],
            port_of: vec![None; ifaces.len()],
            dropped: Vec::new(),
        }
    }

    fn drop(&mut self, iface: &str, what: impl std::fmt::Display) {
        self.dropped.push(format!("{iface}: {what}"));
    }

    /// Decide which interfaces are written inside which master. A bridge holds ethernet,
    /// bond and vlan ports and a bond ethernet slaves, so nesting is at most two deep and
    /// cannot loop.
    fn assign_ports(&mut self) {
        let ifaces = self.ifaces;
        for (m, master) in ifaces.iter().enumerate() {
            let (tag, allowed): (&str, &[&str]) = match master.kind.as_str() {
                "bridge" => ("member", &["ethernet", "bond", "vlan"]),
                "bond" => ("slave", &["ethernet"]),
                _ => continue,
            };
            if state(master) == Some("absent") {
                continue;
            }
            for r in master.element.children_named(tag) {
                let Some(dev) = r.value("device") else {
                    self.drop(&master.name, format!("<{tag}> without device"));
                    continue;
                };
                let index = self.index.get(dev).copied();
                if let Some(p) = index {
                    if let Err(why) = self.can_nest(m, p, allowed) {
                        self.drop(&master.name, format!("{tag} {dev} ({why})"));
                        continue;
                    }
                    self.port_of[p] = Some(m);
                }
                self.ports[m].push(Port { name: dev, index, reference: Some(r) });
            }
        }
        // Ports known only by their `master` (live state read back without the master's list).
        for (p, port) in ifaces.iter().enumerate() {
            let Some(m) = port.master.as_deref().and_then(|n| self.index.get(n).copied()) else { continue };
            let allowed: &[&str] = match ifaces[m].kind.as_str() {
                "bridge" => &["ethernet", "bond", "vlan"],
                "bond" => &["ethernet"],
                _ => continue,
            };
            if self.port_of[p].is_none()
                && state(&ifaces[m]) != Some("absent")
                && self.can_nest(m, p, allowed).is_ok()
            {
                self.port_of[p] = Some(m);
                self.ports[m].push(Port { name: &port.name, index: Some(p), reference: None });
            }
        }
    }

    fn can_nest(&self, m: usize, p: usize, allowed: &[&str]) -> Result<(), String> {
        let port = &self.ifaces[p];
        if p == m {
            return Err("itself".into());
        }
        if state(port) == Some("absent") {
            return Err("it has state absent".into());
        }
        if !allowed.contains(&port.kind.as_str()) {
            let what = if allowed.len() == 1 {
                "bonds hold ethernet slaves"
            } else {
                "bridges hold ethernet, bond and vlan ports"
            };
            return Err(format!("a {}; libvirt {what}", port.kind));
        }
        if let Some(other) = self.port_of[p] {
            return Err(format!("already a port of {}", self.ifaces[other].name));
        }
        Ok(())
    }

    fn top(&mut self, i: usize) -> Option<Element> {
        let ifaces = self.ifaces;
        let iface = &ifaces[i];
        if !KINDS.contains(&iface.kind.as_str()) {
            self.drop(
                &iface.name,
                format!("kind {} (libvirt has ethernet, bridge, bond and vlan); not written", iface.kind),
            );
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
        let vlan = if kind == "vlan" { Some(self.vlan(iface)?) } else { None };
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
            Some("up") if kind != "bridge" => {
                out.children.push(Element::new("link").with_attr("state", "up"))
            }
            Some("up") | None => {}
            Some("down") => {
                self.drop(name, "state down (libvirt has no administrative state; its <link> is live state)")
            }
            Some(other) => self.drop(name, format!("state {other}")),
        }
        let mac = el.child("hwaddr").and_then(|h| h.text.clone()).or_else(|| iface.mac.clone());
        match (kind, mac) {
            ("ethernet", Some(mac)) => {
                out.children.push(Element::new("mac").with_attr("address", mac.trim()))
            }
            (_, Some(mac)) => self
                .drop(name, format!("hwaddr {mac} (libvirt has a MAC address only on ethernet interfaces)")),
            _ => {}
        }
        match kind {
            "bridge" => out.children.push(self.bridge(i, top)),
            "bond" => out.children.push(self.bond(i, top)),
            _ => out.children.extend(vlan),
        }
        self.leftovers(iface);
        Some(out)
    }

    /// Attributes and children nothing above consumed, each listed as dropped.
    fn leftovers(&mut self, iface: &Interface) {
        let el = &iface.element;
        let consumed: &[&str] = match iface.kind.as_str() {
            "bridge" => &["stp", "forwarddelay"],
            "bond" => &[
                "mode",
                "miimon",
                "updelay",
                "downdelay",
                "use_carrier",
                "arp_interval",
                "arp_ip_target",
                "arp_validate",
            ],
            "vlan" => &["tag", "device", "protocol"],
            _ => &[],
        };
        // `name=` is also native's alias of `device=` on `<interface>`.
        let envelope =
            [Interface::name_attribute_for(&iface.kind), "name", "startmode", "onboot", "state", "mtu"];
        for a in &el.attributes {
            if !envelope.contains(&a.name.as_str()) && !consumed.contains(&a.name.as_str()) {
                self.drop(&iface.name, format!("{} attribute {}", el.name, a.name));
            }
        }
        let owned = match iface.kind.as_str() {
            "bridge" => "member",
            "bond" => "slave",
            _ => "hwaddr",
        };
        for c in &el.children {
            match c.name.as_str() {
                n if n == owned || n == "hwaddr" || is_addressing(n) => {}
                "ethtool" => self.drop(&iface.name, "<ethtool> (libvirt has no ethtool settings)"),
                n => self.drop(&iface.name, format!("<{n}>")),
            }
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

    fn port(&mut self, port: Port<'a>, master: &str, top: &Top<'a>) -> Option<Element> {
        if let Some(r) = port.reference {
            for a in r.attributes.iter().filter(|a| !matches!(a.name.as_str(), "device" | "primary")) {
                self.drop(master, format!("{} {} attribute {}", r.name, port.name, a.name));
            }
        }
        match port.index {
            Some(p) => self.interface(p, Some(top)),
            None => {
                Some(Element::new("interface").with_attr("type", "ethernet").with_attr("name", port.name))
            }
        }
    }

    fn bridge(&mut self, i: usize, top: &Top<'a>) -> Element {
        let ifaces = self.ifaces;
        let iface = &ifaces[i];
        let mut b = Element::new("bridge");
        if let Some(stp) = iface.element.value("stp") {
            match parse_bool(stp) {
                Some(on) => b.set_attr("stp", if on { "on" } else { "off" }),
                None => self.drop(&iface.name, format!("bridge stp {stp} (not on or off)")),
            }
        }
        if let Some(d) = iface.element.value("forwarddelay") {
            b.set_attr("delay", d);
        }
        for port in self.ports[i].clone() {
            b.children.extend(self.port(port, &iface.name, top));
        }
        b
    }

    fn bond(&mut self, i: usize, top: &Top<'a>) -> Element {
        let ifaces = self.ifaces;
        let iface = &ifaces[i];
        let (name, el) = (iface.name.as_str(), &iface.element);
        let mut b = Element::new("bond");
        let mode = el.value("mode").and_then(|m| match bond_mode(m) {
            Some(m) => Some(m),
            None => {
                self.drop(name, format!("bond mode {m} (not one libvirt knows)"));
                None
            }
        });
        b.children.extend(self.monitor(iface));
        if let Some(m) = mode {
            b.set_attr("mode", m);
        }
        let mut ports = self.ports[i].clone();
        let primary =
            |p: &Port| p.reference.and_then(|r| r.value("primary")).and_then(parse_bool) == Some(true);
        let primaries: Vec<usize> = (0..ports.len()).filter(|k| primary(&ports[*k])).collect();
        for k in primaries.iter().skip(1) {
            self.drop(
                name,
                format!(
                    "slave {} primary (a bond has one primary; {} is kept)",
                    ports[*k].name, ports[primaries[0]].name
                ),
            );
        }
        if mode == Some("active-backup") {
            // libvirt: the first slave of an active-backup bond is its primary.
            match primaries.first() {
                Some(&k) => {
                    let p = ports.remove(k);
                    ports.insert(0, p);
                }
                None => {
                    if let Some(p) = ports.first() {
                        self.drop(
                            name,
                            format!("no primary slave (libvirt makes the first slave, {}, primary)", p.name),
                        );
                    }
                }
            }
        } else if let Some(&k) = primaries.first() {
            self.drop(
                name,
                format!("slave {} primary (libvirt has a primary only in active-backup mode)", ports[k].name),
            );
        }
        for port in ports {
            b.children.extend(self.port(port, name, top));
        }
        b
    }

    /// `<miimon>` or `<arpmon>`: libvirt has one of the two, each needing its interval.
    fn monitor(&mut self, iface: &Interface) -> Option<Element> {
        let (name, el) = (iface.name.as_str(), &iface.element);
        let v = |a: &str| el.value(a);
        let mut arp =
            ["arp_interval", "arp_ip_target", "arp_validate"].into_iter().filter(|a| v(a).is_some());
        if let Some(freq) = v("miimon") {
            let mut m = Element::new("miimon").with_attr("freq", freq);
            for a in ["downdelay", "updelay"] {
                if let Some(x) = v(a) {
                    m.set_attr(a, x);
                }
            }
            if let Some(c) = v("use_carrier") {
                match parse_bool(c) {
                    Some(netif) => m.set_attr("carrier", if netif { "netif" } else { "ioctl" }),
                    None => self.drop(name, format!("bond use_carrier {c} (not yes or no)")),
                }
            }
            for a in arp {
                self.drop(name, format!("bond attribute {a} (libvirt has miimon or arpmon; miimon is kept)"));
            }
            return Some(m);
        }
        for a in ["updelay", "downdelay", "use_carrier"].into_iter().filter(|a| v(a).is_some()) {
            self.drop(name, format!("bond attribute {a} (libvirt has it only with miimon)"));
        }
        let (Some(interval), Some(target)) = (v("arp_interval"), v("arp_ip_target")) else {
            for a in arp.by_ref() {
                self.drop(
                    name,
                    format!("bond attribute {a} (libvirt's arpmon needs arp_interval and arp_ip_target)"),
                );
            }
            return None;
        };
        let mut m = Element::new("arpmon").with_attr("interval", interval).with_attr("target", target);
        if let Some(x) = v("arp_validate") {
            if let Some(word) = kernel_word(x, &ARP_VALIDATE) {
                m.set_attr("validate", word);
            } else {
                self.drop(name, format!("bond arp_validate {x} (libvirt has none, active, backup and all)"));
            }
        }
        Some(m)
    }

    /// `<vlan tag=..><interface name=PARENT/></vlan>`; `None` (and a dropped line) without a tag.
    fn vlan(&mut self, iface: &Interface) -> Option<Element> {
        let el = &iface.element;
        let Some(tag) = el.value("tag") else {
            self.drop(&iface.name, "vlan without tag (libvirt needs one); not written");
            return None;
        };
        if let Some(p) = el.value("protocol") {
            // 33024 is ETH_P_8021Q, which the vlan plugin also accepts.
            if !matches!(p.trim().to_ascii_lowercase().as_str(), "802.1q" | "33024") {
                self.drop(&iface.name, format!("vlan protocol {p} (libvirt VLANs are 802.1Q)"));
            }
        }
        let mut v = Element::new("vlan").with_attr("tag", tag);
        if let Some(parent) = el.value("device").map(str::to_string).or_else(|| iface.parent.clone()) {
            v.children.push(Element::new("interface").with_attr("name", parent));
        }
        Some(v)
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

/// A kernel bond mode by name or number, as libvirt spells it.
fn bond_mode(mode: &str) -> Option<&'static str> {
    kernel_word(mode, &BOND_MODES)
}

/// The name of a kernel enumeration value given by name (any case) or by number, when it is
/// one of `words` (which are in the kernel's order from 0).
fn kernel_word(value: &str, words: &[&'static str]) -> Option<&'static str> {
    let value = value.trim();
    match value.parse::<usize>() {
        Ok(n) => words.get(n).copied(),
        Err(_) => words.iter().copied().find(|w| w.eq_ignore_ascii_case(value)),
    }
}
