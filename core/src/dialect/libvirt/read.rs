//! libvirt → native: rewrite `<interface type=..>` trees into native top-level elements whose
//! attributes keep the spans of the libvirt attributes they came from.
//!
//! Only what libvirt spells differently is checked here (types, start modes, families,
//! prefixes, enumerations); values copied as they are (MTU, MAC, addresses, timers) are left
//! to `native::read` and the plugins, which report them at the carried span.

use std::net::IpAddr;

use netplug_plugin_sdk::libvirt::{Native, ToNative};
use netplug_plugin_sdk::schema::{bad_value, check_attributes, check_children, did_you_mean, enum_attr};
use netplug_plugin_sdk::{Attribute, Diagnostic, Element, Span};

use super::{list, LINK_STATES};
use crate::model::{Interface, StartMode};
use crate::registry::Registry;

/// The children of an `<interface>` core reads, besides its kind's subtree.
const ENVELOPE_CHILDREN: [&str; 5] = ["start", "mtu", "protocol", "link", "mac"];

/// Rewrite a libvirt document into native top-level elements, a master before its ports.
///
/// Accepts one `<interface type=..>` or several inside `<interfaces>`. Each kind's plugin
/// translates its subtree. Problems are errors pinned to the libvirt source; what native cannot
/// express is a warning starting "dropped:". Nothing is left out without one or the other.
pub fn to_native(root: &Element, registry: &Registry) -> (Vec<Element>, Vec<Diagnostic>) {
    let mut r = Reader { registry, kinds: super::kinds(registry), out: Vec::new(), diags: Vec::new() };
    match root.name.as_str() {
        "interface" => {
            r.interface(root, Place::Top, &Inherited::default());
        }
        "interfaces" => {
            r.check(root, &[], &["interface"], "");
            for i in root.children_named("interface") {
                r.interface(i, Place::Top, &Inherited::default());
            }
        }
        other => {
            let d = Diagnostic::error(
                root.span,
                format!("unexpected root element <{other}>: a libvirt document is one <interface> or <interfaces>"),
            );
            r.diags.push(match did_you_mean(other, ["interface", "interfaces"]) {
                Some(s) => d.with_help(format!("did you mean <{s}>?")),
                None => d,
            });
        }
    }
    // The SDK's checkers always name an interface; the wrapper has none.
    for d in &mut r.diags {
        if d.interface.as_deref() == Some("") {
            d.interface = None;
        }
    }
    (r.out, r.diags)
}

struct Reader<'r> {
    registry: &'r Registry,
    /// The `type=` values some plugin translates, physical devices first.
    kinds: Vec<String>,
    out: Vec<Element>,
    diags: Vec<Diagnostic>,
}

/// Where an `<interface>` sits: libvirt allows different content at each place.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Top,
    /// Nested in its master's subtree, which allows the kinds given.
    Port,
}

/// What a port takes from its top-level interface: libvirt writes start mode and MTU only
/// there, and netcf gave every port the same (`ONBOOT`, `MTU` in each port's ifcfg).
#[derive(Clone, Default)]
struct Inherited {
    startmode: Option<Attribute>,
    mtu: Option<Attribute>,
}

impl Reader<'_> {
    /// Read one interface and its ports; returns its name for the master's reference.
    /// `allowed` is the master's rule for its ports' kinds, when this is one.
    fn interface(&mut self, el: &Element, place: Place, inherited: &Inherited) -> Option<String> {
        self.interface_allowed(el, place, inherited, None)
    }

    fn interface_allowed(
        &mut self,
        el: &Element,
        place: Place,
        inherited: &Inherited,
        allowed: Option<(&[String], &str)>,
    ) -> Option<String> {
        let kind = self.kind(el, allowed)?;
        let native = self.translate(el, &kind)?;
        let name = match el.attr("name") {
            Some(a) => a.value.clone(),
            None => match &native.name {
                Some(n) => n.clone(),
                None => {
                    self.error(el.span, format!("<interface type='{kind}'> has no name"), "", "name", None);
                    return None;
                }
            },
        };
        let iface = name.as_str();
        let kinds = self.kinds.clone();
        let mut children: Vec<&str> = ENVELOPE_CHILDREN.to_vec();
        children.extend(kinds.iter().map(String::as_str));
        self.check(el, &["type", "name"], &children, iface);
        let once: Vec<String> = ["start", "mtu", "link", "mac"]
            .iter()
            .map(|s| s.to_string())
            .chain(self.kinds.iter().cloned())
            .collect();
        self.duplicates(el, &once, iface);
        for other in self.kinds.clone().iter().filter(|t| **t != kind) {
            if let Some(c) = el.child(other) {
                let msg = format!("<{other}> in an interface of type {kind}");
                self.error(c.span, msg, iface, other, Some(format!("it belongs in type='{other}'")));
            }
        }

        let mut out = Element {
            name: self.registry.element_of_kind(&kind).into(),
            span: el.span,
            ..Default::default()
        };
        out.attributes.push(match el.attr("name") {
            Some(a) => renamed(a, Interface::name_attribute_of(&out.name)),
            None => synthesized("name", &name, el.span),
        });
        let inherit = if place == Place::Top {
            Inherited { startmode: self.start(el, iface), mtu: self.mtu(el, iface) }
        } else {
            for tag in ["start", "mtu", "protocol"] {
                if let Some(c) = el.child(tag) {
                    let msg = format!("<{tag}> on a port: libvirt takes it only on the top-level interface");
                    self.error(c.span, msg, iface, tag, Some("ports follow the top-level interface".into()));
                }
            }
            inherited.clone()
        };
        out.attributes.extend(inherit.startmode.clone());
        out.attributes.extend(inherit.mtu.clone());
        self.link(el, iface, &mut out);
        let physical = self.registry.is_physical(&kind);
        if let Some(m) = el.child("mac") {
            if physical {
                self.mac(m, iface, &mut out);
            } else {
                let devices =
                    self.kinds.iter().filter(|k| self.registry.is_physical(k)).cloned().collect::<Vec<_>>();
                let msg = format!(
                    "<mac> on an interface of type {kind}: libvirt reads it only on {}",
                    list(&devices, "or")
                );
                self.error(m.span, msg, iface, "mac", None);
            }
        }
        if place == Place::Top {
            self.protocols(el, iface, &mut out);
        }

        // The kind's subtree, as its plugin reads it. Ports are pushed while reading the
        // master; the master goes before them.
        let at = self.out.len();
        let Native { attributes, children, ports, port_kinds, port_rule, diagnostics, .. } = native;
        out.attributes.extend(attributes);
        out.children.extend(children);
        self.diags.extend(diagnostics);
        for port in ports {
            let allowed = Some((port_kinds.as_slice(), port_rule.as_str()));
            if let Some(port_name) = self.interface_allowed(&port.interface, Place::Port, &inherit, allowed) {
                let device = match port.interface.attr("name") {
                    Some(a) => renamed(a, "device"),
                    None => synthesized("device", &port_name, port.interface.span),
                };
                let mut reference = port.reference;
                reference.attributes.insert(0, device);
                out.children.push(reference);
            }
        }
        // A port with nothing but its name is only referred to, as native writes an unconfigured
        // port; the writer nests such a reference as a bare physical device again.
        let bare = place != Place::Top && physical && out.attributes.len() == 1 && out.children.is_empty();
        if !bare {
            self.out.insert(at, out);
        }
        Some(name)
    }

    /// Ask the kind's plugin for its subtree; its failure is an error at the interface.
    fn translate(&mut self, el: &Element, kind: &str) -> Option<Native> {
        let plugin = &self.registry.for_kind(kind)?.plugin;
        let request = ToNative {
            kind: kind.to_string(),
            interface: el.value("name").unwrap_or_default().to_string(),
            element: el.clone(),
        };
        match plugin.libvirt_to_native(&request) {
            Ok(native) => Some(native),
            Err(e) => {
                let name = el.value("name").unwrap_or_default();
                self.diags.push(Diagnostic::error(el.span, e.to_string()).on_interface(name));
                None
            }
        }
    }

    /// The `type=`, checked against the kinds plugins translate and, for a port, its master's
    /// rule.
    fn kind(&mut self, el: &Element, allowed: Option<(&[String], &str)>) -> Option<String> {
        let iface = el.value("name").unwrap_or_default();
        let known = list(&self.kinds, "or");
        let Some(ty) = el.attr("type") else {
            let msg = format!("<interface> has no type ({known})");
            self.error(el.span, msg, iface, "type", None);
            return None;
        };
        let Some(kind) = self.kinds.iter().find(|k| **k == ty.value).cloned() else {
            let kinds: Vec<&str> = self.kinds.iter().map(String::as_str).collect();
            let d = match self.registry.for_kind(&ty.value) {
                Some(r) => bad_value(ty, iface, format!("the '{}' plugin has no libvirt form of it", r.info.name))
                    .with_help("write it in the native dialect, or use a plugin that lists the kind in PluginInfo::libvirt (plugin ABI 1.1)"),
                None if kinds.is_empty() => bad_value(ty, iface, "no installed plugin reads libvirt's dialect"),
                None => with_suggestion(bad_value(ty, iface, format!("expected {known}")), &ty.value, &kinds),
            };
            self.diags.push(d);
            return None;
        };
        if let Some((kinds, rule)) = allowed {
            if !kinds.contains(&kind) {
                self.diags.push(bad_value(ty, iface, rule));
                return None;
            }
        }
        Some(kind)
    }

    fn start(&mut self, el: &Element, iface: &str) -> Option<Attribute> {
        let s = el.child("start")?;
        self.check(s, &["mode"], &[], iface);
        let mode = self.required(s, "mode", iface)?;
        let native = match mode.value.as_str() {
            "onboot" => "onboot",
            "none" => "manual",
            "hotplug" => "hotplug",
            other => {
                let d = bad_value(mode, iface, "expected onboot, none or hotplug");
                self.diags.push(match StartMode::parse(other) {
                    Some(StartMode::Manual) => d.with_help("libvirt spells it `none`"),
                    Some(_) => d.with_help(format!("libvirt has no `{other}`; native startmode= has")),
                    None => with_suggestion(d, other, &["onboot", "none", "hotplug"]),
                });
                return None;
            }
        };
        Some(revalued(mode, "startmode", native))
    }

    fn mtu(&mut self, el: &Element, iface: &str) -> Option<Attribute> {
        let m = el.child("mtu")?;
        self.check(m, &["size"], &[], iface);
        self.required(m, "size", iface).map(|a| renamed(a, "mtu"))
    }

    /// `<link>` is live state. Only `up` says something native can (and it is the default);
    /// the rest is reported as dropped. A kind libvirt gives no `<link>` says so itself.
    fn link(&mut self, el: &Element, iface: &str, out: &mut Element) {
        let Some(l) = el.child("link") else { return };
        self.check(l, &["speed", "state"], &[], iface);
        if let Some(speed) = l.attr("speed") {
            let msg = format!("dropped: live link speed {} Mb/s", speed.value);
            let help = "a measurement, not a setting; native <ethtool speed=..> would force it";
            self.warning(speed.value_span, msg, iface, "speed", help);
        }
        let Some(state) = enum_attr(l, "state", &LINK_STATES, iface, &mut self.diags) else { return };
        let attr = l.attr("state").expect("enum_attr found it");
        if state == "up" {
            out.attributes.push(renamed(attr, "state"));
            return;
        }
        let help = if state == "down" {
            "the kernel also says `down` for a link that is up without carrier, so it is not read as state=\"down\""
        } else {
            "an operational state, not a setting; only `up` is read (as state=\"up\")"
        };
        self.warning(attr.value_span, format!("dropped: live link state `{state}`"), iface, "state", help);
    }

    fn mac(&mut self, m: &Element, iface: &str, out: &mut Element) {
        self.check(m, &["address"], &[], iface);
        if let Some(a) = self.required(m, "address", iface) {
            // The element's span is the value's, so a bad MAC is reported at its characters.
            let hwaddr = Element {
                name: "hwaddr".into(),
                text: Some(a.value.clone()),
                span: a.value_span,
                ..Default::default()
            };
            out.children.push(hwaddr);
        }
    }

    /// `<protocol>`s in document order become `<dhcp>`/`<dhcp6>`, `<static>` and `<route>`.
    fn protocols(&mut self, el: &Element, iface: &str, out: &mut Element) {
        let mut seen: Vec<&str> = Vec::new();
        for p in el.children_named("protocol") {
            self.check(p, &["family"], &["autoconf", "dhcp", "ip", "route"], iface);
            if self.required(p, "family", iface).is_none() {
                continue;
            }
            let Some(family) = enum_attr(p, "family", &["ipv4", "ipv6"], iface, &mut self.diags) else {
                continue;
            };
            if seen.contains(&family) {
                let help = Some("libvirt keeps one <protocol> per family; merge them".to_string());
                self.error(p.span, format!("second <protocol family='{family}'>"), iface, "protocol", help);
                continue;
            }
            seen.push(family);
            self.duplicates(p, &["autoconf", "dhcp", "route"], iface);
            let v6 = family == "ipv6";
            if p.children.is_empty() {
                let help = if v6 {
                    "libvirt's way of enabling IPv6 with a link-local address only; native has no element for it"
                } else {
                    "it configures nothing"
                };
                self.warning(
                    p.span,
                    format!("dropped: <protocol family='{family}'> with no addressing"),
                    iface,
                    "protocol",
                    help,
                );
            }
            self.dynamic(p, v6, iface, out);
            for ip in p.children_named("ip") {
                if let Some(s) = self.ip(ip, v6, iface) {
                    out.children.push(s);
                }
            }
            if let Some(r) = p.child("route") {
                self.check(r, &["gateway"], &[], iface);
                if let Some(g) = self.required(r, "gateway", iface) {
                    self.family(g, v6, iface);
                    let route = Element {
                        name: "route".into(),
                        attributes: vec![renamed(g, "gateway")],
                        span: r.span,
                        ..Default::default()
                    };
                    out.children.push(route);
                }
            }
        }
    }

    /// `<dhcp>` → `<dhcp>` (IPv4); `<autoconf/>` and `<dhcp>` → one `<dhcp6>` (IPv6).
    fn dynamic(&mut self, p: &Element, v6: bool, iface: &str, out: &mut Element) {
        let autoconf = p.child("autoconf");
        let dhcp = p.child("dhcp");
        if let Some(a) = autoconf {
            self.check(a, &[], &[], iface);
            if !v6 {
                self.error(a.span, "<autoconf/> is IPv6 only", iface, "autoconf", None);
            }
        }
        let mut peerdns = None;
        if let Some(d) = dhcp {
            self.check(d, &["peerdns"], &[], iface);
            if enum_attr(d, "peerdns", &["yes", "no"], iface, &mut self.diags).is_some() {
                peerdns = d.attr("peerdns").map(|a| renamed(a, "peerdns"));
            }
        }
        if !v6 {
            if let Some(d) = dhcp {
                out.children.push(Element {
                    name: "dhcp".into(),
                    attributes: peerdns.into_iter().collect(),
                    span: d.span,
                    ..Default::default()
                });
            }
            return;
        }
        let Some(first) = dhcp.or(autoconf) else { return };
        let mut e = Element { name: "dhcp6".into(), span: first.span, ..Default::default() };
        if let Some(a) = autoconf {
            e.attributes.push(synthesized("autoconf", "yes", a.span));
            if dhcp.is_none() {
                e.attributes.push(synthesized("dhcp", "no", a.span));
            }
        }
        e.attributes.extend(peerdns);
        out.children.push(e);
    }

    /// `<ip address=A prefix=P/>` → `<static ipaddr="A/P"/>`, the value spanning the address.
    fn ip(&mut self, ip: &Element, v6: bool, iface: &str) -> Option<Element> {
        self.check(ip, &["address", "prefix"], &[], iface);
        let addr = self.required(ip, "address", iface)?;
        self.family(addr, v6, iface);
        let mut value = addr.value.clone();
        if ip.attr("prefix").is_none() && !v6 {
            // netcf left the netmask to the classful default, and libvirt's and netcf's own
            // test documents rely on it: take it, with a warning.
            if let Some(len) = addr.value.trim().parse::<std::net::Ipv4Addr>().ok().and_then(classful_prefix)
            {
                self.warning(
                    addr.value_span,
                    format!("no prefix: taking the classful default /{len} for {}", addr.value.trim()),
                    iface,
                    "address",
                    &format!("write prefix='{len}' (or the real one) to say so"),
                );
                value = format!("{}/{len}", addr.value.trim());
            }
        }
        if let Some(p) = ip.attr("prefix") {
            let max = if v6 { 128 } else { 32 };
            match p.value.trim().parse::<u8>() {
                Ok(len) if len <= max => value = format!("{}/{len}", addr.value),
                _ => {
                    self.diags.push(bad_value(p, iface, format!("expected a prefix length from 0 to {max}")))
                }
            }
        }
        let attributes = vec![revalued(addr, "ipaddr", value)];
        Some(Element { name: "static".into(), attributes, span: ip.span, ..Default::default() })
    }

    /// An address of the wrong family for its `<protocol>`; unparsable ones are left to the
    /// plugin that owns the value.
    fn family(&mut self, a: &Attribute, v6: bool, iface: &str) {
        if let Ok(ip) = a.value.trim().parse::<IpAddr>() {
            if ip.is_ipv6() != v6 {
                let (is, want) = if v6 { ("IPv4", "ipv6") } else { ("IPv6", "ipv4") };
                self.diags.push(bad_value(
                    a,
                    iface,
                    format!("an {is} address in <protocol family='{want}'>"),
                ));
            }
        }
    }

    /// Unknown attributes and children (with did-you-mean), and text where libvirt has none.
    fn check(&mut self, el: &Element, attributes: &[&str], children: &[&str], iface: &str) {
        self.diags.extend(check_attributes(el, attributes, iface));
        self.diags.extend(check_children(el, children, iface));
        if el.text.is_some() {
            let help = (el.name == "mac").then(|| "write <mac address='..'/>".to_string());
            self.error(el.span, format!("unexpected text in <{}>", el.name), iface, &el.name, help);
        }
    }

    /// A second occurrence of an element libvirt reads once.
    fn duplicates(&mut self, el: &Element, names: &[impl AsRef<str>], iface: &str) {
        for name in names.iter().map(AsRef::as_ref) {
            for extra in el.children_named(name).skip(1) {
                let help = Some("libvirt reads only the first".to_string());
                self.error(extra.span, format!("second <{name}> in <{}>", el.name), iface, name, help);
            }
        }
    }

    fn required<'a>(&mut self, el: &'a Element, name: &str, iface: &str) -> Option<&'a Attribute> {
        let a = el.attr(name);
        if a.is_none() {
            self.error(el.span, format!("<{}> has no {name} attribute", el.name), iface, name, None);
        }
        a
    }

    fn error(
        &mut self,
        span: Span,
        msg: impl Into<String>,
        iface: &str,
        attribute: &str,
        help: Option<String>,
    ) {
        let d = Diagnostic::error(span, msg).on_interface(iface).on_attribute(attribute);
        self.diags.push(match help {
            Some(h) => d.with_help(h),
            None => d,
        });
    }

    fn warning(&mut self, span: Span, msg: String, iface: &str, attribute: &str, help: &str) {
        self.diags
            .push(Diagnostic::warning(span, msg).on_interface(iface).on_attribute(attribute).with_help(help));
    }
}

/// The pre-CIDR prefix of an IPv4 address's class: A /8, B /16, C /24; none for D and E
/// (multicast and reserved, which no interface address can be).
fn classful_prefix(a: std::net::Ipv4Addr) -> Option<u8> {
    match a.octets()[0] {
        0..=127 => Some(8),
        128..=191 => Some(16),
        192..=223 => Some(24),
        _ => None,
    }
}

fn with_suggestion(d: Diagnostic, word: &str, candidates: &[&str]) -> Diagnostic {
    match did_you_mean(word, candidates.iter().copied()) {
        Some(s) => d.with_help(format!("did you mean `{s}`?")),
        None => d,
    }
}

/// The same attribute under its native name, spans kept.
fn renamed(a: &Attribute, name: &str) -> Attribute {
    Attribute { name: name.into(), ..a.clone() }
}

/// A native attribute whose value is spelled differently, at the libvirt value's place.
fn revalued(a: &Attribute, name: &str, value: impl Into<String>) -> Attribute {
    Attribute { name: name.into(), value: value.into(), span: a.span, value_span: a.value_span }
}

/// A native attribute libvirt implies with an element (`<autoconf/>`) or a position (the
/// first slave); it points at that element.
fn synthesized(name: &str, value: &str, span: Span) -> Attribute {
    Attribute { name: name.into(), value: value.into(), span, value_span: span }
}
