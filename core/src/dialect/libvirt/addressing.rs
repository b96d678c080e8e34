//! Native addressing (`<static>`, `<dhcp>`, `<dhcp6>`, default `<route>`s) → libvirt's one
//! `<protocol>` per family, families in the order they first appear in the native element.

use std::net::Ipv4Addr;

use netplug_plugin_sdk::schema::parse_bool;
use netplug_plugin_sdk::Element;

use crate::model::Interface;

/// The `<protocol>` elements of a top-level interface; what they cannot hold is appended to
/// `dropped`.
pub(super) fn protocols(iface: &Interface, dropped: &mut Vec<String>) -> Vec<Element> {
    let mut p = Protocols { name: &iface.name, list: Vec::new(), dropped };
    for c in &iface.element.children {
        match c.name.as_str() {
            "static" => p.address(c),
            "dhcp" => p.dhcp(c),
            "dhcp6" => p.dhcp6(c),
            "route" => p.route(c),
            _ => {}
        }
    }
    p.list.into_iter().map(Protocol::into_element).collect()
}

/// One family's addressing, in the order libvirt prints it.
struct Protocol {
    family: &'static str,
    autoconf: bool,
    dhcp: Option<Element>,
    ips: Vec<Element>,
    gateway: Option<String>,
}

impl Protocol {
    fn into_element(self) -> Element {
        let mut e = Element::new("protocol").with_attr("family", self.family);
        if self.autoconf {
            e.children.push(Element::new("autoconf"));
        }
        e.children.extend(self.dhcp);
        e.children.extend(self.ips);
        if let Some(g) = self.gateway {
            e.children.push(Element::new("route").with_attr("gateway", g));
        }
        e
    }
}

struct Protocols<'a> {
    name: &'a str,
    list: Vec<Protocol>,
    dropped: &'a mut Vec<String>,
}

impl Protocols<'_> {
    fn drop(&mut self, what: impl std::fmt::Display) {
        self.dropped.push(format!("{}: {what}", self.name));
    }

    fn get(&mut self, v6: bool) -> &mut Protocol {
        let family = if v6 { "ipv6" } else { "ipv4" };
        let i = match self.list.iter().position(|p| p.family == family) {
            Some(i) => i,
            None => {
                self.list.push(Protocol {
                    family,
                    autoconf: false,
                    dhcp: None,
                    ips: Vec::new(),
                    gateway: None,
                });
                self.list.len() - 1
            }
        };
        &mut self.list[i]
    }

    /// `ipaddr="A/P"` (or `ipaddr` + `netmask`, or `ip6addr`) → `<ip address=A prefix=P/>`;
    /// `gateway` → the family's `<route gateway>`.
    fn address(&mut self, s: &Element) {
        let mut netmask_used = false;
        if let Some(a) = s.value("ipaddr") {
            let (addr, len) = split(a);
            let v6 = addr.contains(':');
            let len = match (len, s.value("netmask")) {
                (None, Some(mask)) if !v6 => {
                    netmask_used = true;
                    let len = netmask_len(mask);
                    if len.is_none() {
                        self.drop(format!("static netmask {mask} (not a contiguous IPv4 mask)"));
                    }
                    len.map(|l| l.to_string())
                }
                (len, _) => len.map(str::to_string),
            };
            self.ip(v6, addr, len);
        }
        if let Some(a) = s.value("ip6addr") {
            let (addr, len) = split(a);
            self.ip(true, addr, len.map(str::to_string));
        }
        if let Some(g) = s.value("gateway") {
            self.gateway(g.trim(), "static gateway");
        }
        for a in &s.attributes {
            let used = match a.name.as_str() {
                "ipaddr" | "ip6addr" | "gateway" => true,
                "netmask" => netmask_used,
                _ => false,
            };
            if !used {
                self.drop(format!("static attribute {}", a.name));
            }
        }
    }

    fn ip(&mut self, v6: bool, addr: &str, len: Option<String>) {
        let mut ip = Element::new("ip").with_attr("address", addr);
        if let Some(len) = len {
            ip.set_attr("prefix", len);
        }
        self.get(v6).ips.push(ip);
    }

    /// The family's one default gateway; a second, different one is dropped.
    fn gateway(&mut self, gw: &str, what: &str) {
        let v6 = gw.contains(':');
        match self.get(v6).gateway.clone() {
            None => self.get(v6).gateway = Some(gw.to_string()),
            Some(kept) if kept == gw => {}
            Some(kept) => {
                let msg =
                    format!("{what} {gw} (libvirt keeps one default gateway per family; {kept} is kept)");
                self.drop(msg);
            }
        }
    }

    /// `peerdns` as yes/no, or `None` (and a dropped line) when it is neither.
    fn peerdns(&mut self, el: &Element) -> Option<&'static str> {
        let v = el.value("peerdns")?;
        let parsed = parse_bool(v).map(|b| if b { "yes" } else { "no" });
        if parsed.is_none() {
            self.drop(format!("{} peerdns {v} (not yes or no)", el.name));
        }
        parsed
    }

    fn dhcp(&mut self, d: &Element) {
        let peerdns = self.peerdns(d);
        for a in d.attributes.iter().filter(|a| a.name != "peerdns") {
            self.drop(format!("dhcp attribute {}", a.name));
        }
        self.client(false, peerdns);
    }

    /// `autoconf` → `<autoconf/>`; the DHCPv6 client (unless `dhcp="no"`) → `<dhcp>`.
    fn dhcp6(&mut self, d: &Element) {
        let mut flag = |name: &str, default: bool| match d.value(name) {
            None => default,
            Some(v) => parse_bool(v).unwrap_or_else(|| {
                self.dropped.push(format!("{}: dhcp6 {name} {v} (not yes or no)", self.name));
                default
            }),
        };
        let (autoconf, client) = (flag("autoconf", false), flag("dhcp", true));
        let peerdns = self.peerdns(d);
        for a in d.attributes.iter().filter(|a| !matches!(a.name.as_str(), "autoconf" | "dhcp" | "peerdns")) {
            self.drop(format!("dhcp6 attribute {}", a.name));
        }
        if autoconf {
            self.get(true).autoconf = true;
        }
        if client {
            self.client(true, peerdns);
        } else if peerdns.is_some() {
            self.drop("dhcp6 attribute peerdns (no DHCPv6 client with dhcp=\"no\")");
        }
    }

    fn client(&mut self, v6: bool, peerdns: Option<&str>) {
        let mut e = Element::new("dhcp");
        if let Some(p) = peerdns {
            e.set_attr("peerdns", p);
        }
        if self.get(v6).dhcp.is_some() {
            self.drop(if v6 { "second <dhcp6>" } else { "second <dhcp>" });
        } else {
            self.get(v6).dhcp = Some(e);
        }
    }

    /// A default route with a gateway becomes the family's `<route gateway>`; libvirt has no
    /// other routes, metrics or tables.
    fn route(&mut self, r: &Element) {
        let dest = r.value("destination").or_else(|| r.value("prefix")).map(str::trim);
        let gw = r.value("gateway").or_else(|| r.value("nexthop")).map(str::trim);
        let what = match gw {
            Some(g) => format!("route {} via {g}", dest.unwrap_or("default")),
            None => format!("route {}", dest.unwrap_or("default")),
        };
        if !dest.is_none_or(|d| matches!(d, "default" | "0.0.0.0/0" | "::/0")) {
            self.drop(format!("{what} (libvirt has only a default gateway per family)"));
            return;
        }
        let Some(gw) = gw else {
            self.drop(format!("{what} without a gateway (libvirt has only a default gateway per family)"));
            return;
        };
        if let Some(t) = r.value("table").map(str::trim).filter(|t| !matches!(*t, "main" | "254")) {
            self.drop(format!("{what} in table {t} (libvirt has no routing tables)"));
            return;
        }
        self.gateway(gw, "default route via");
        let known = ["destination", "prefix", "gateway", "nexthop", "table"];
        for a in r.attributes.iter().filter(|a| !known.contains(&a.name.as_str())) {
            self.drop(format!("{what} attribute {}", a.name));
        }
    }
}

/// `A/P` → (`A`, `Some(P)`); `A` → (`A`, `None`).
fn split(value: &str) -> (&str, Option<&str>) {
    match value.trim().split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (value.trim(), None),
    }
}

/// The prefix length of a contiguous IPv4 netmask (`255.255.255.0` → 24).
fn netmask_len(mask: &str) -> Option<u32> {
    let bits = u32::from(mask.trim().parse::<Ipv4Addr>().ok()?);
    let len = bits.leading_ones();
    (bits.checked_shl(len).unwrap_or(0) == 0).then_some(len)
}
