//! The native dialect: each top-level element is an interface, read into the model's common
//! envelope (name, kind, start mode, state, MTU, MAC); everything else stays in the element for
//! the kind's plugin.
//!
//! `<interface device=..>` is a device that exists, of the kind the plugin of physical devices
//! declares (netplug's `ethernet`); any other element name is its own kind (`bond`, `bridge`,
//! `vlan`, a plugin's `veth`), named by `name=`. Whether the kind exists and
//! what its own attributes mean is for validation and the plugins: core reads the envelope only,
//! so a third-party kind needs nothing from this file.

use netplug_plugin_sdk::schema::{bad_value, did_you_mean, parse_bool};
use netplug_plugin_sdk::{Attribute, Diagnostic, Element, LinkState};

use crate::model::{Config, Interface, StartMode};
use crate::registry::Registry;

/// The element that holds several interfaces in one document.
pub const WRAPPER: &str = "interfaces";
/// The smallest MTU IPv4 allows (RFC 791); the kernel refuses less on an IPv4 interface.
pub const MTU_MIN: u32 = 68;
/// The largest MTU an IP packet's 16-bit length can use.
pub const MTU_MAX: u32 = 65535;
/// Linux's `IFNAMSIZ` less the terminating NUL.
pub const IFNAME_MAX: usize = 15;

const STATES: [&str; 3] = ["up", "down", "absent"];

/// Read every interface of a native document: one interface element, or `<interfaces>`
/// holding many. Interfaces without a name are left out (after reporting it); every other
/// problem is reported and the interface kept, so plugins can still check the rest of it.
pub fn read(root: Element, registry: &Registry) -> (Vec<Interface>, Vec<Diagnostic>) {
    let mut interfaces = Vec::new();
    let mut diagnostics = Vec::new();
    if root.name != WRAPPER {
        interfaces.extend(read_interface(root, registry, &mut diagnostics));
        return (interfaces, diagnostics);
    }
    for a in &root.attributes {
        diagnostics.push(
            Diagnostic::error(a.span, format!("unknown attribute `{}` on <{WRAPPER}>", a.name))
                .on_attribute(&a.name),
        );
    }
    if let Some(text) = &root.text {
        diagnostics.push(Diagnostic::error(
            root.span,
            format!("text is not allowed directly inside <{WRAPPER}>: `{}`", shorten(text)),
        ));
    }
    for child in root.children {
        if child.name == WRAPPER {
            diagnostics.push(Diagnostic::error(child.span, format!("<{WRAPPER}> cannot be nested")));
        } else {
            interfaces.extend(read_interface(child, registry, &mut diagnostics));
        }
    }
    (interfaces, diagnostics)
}

/// Read one top-level element as an interface. `None` when it has no name to be known by.
/// The libvirt dialect calls this on the native trees it builds, so the envelope has one reader.
pub fn read_interface(element: Element, registry: &Registry, out: &mut Vec<Diagnostic>) -> Option<Interface> {
    let kind = registry.kind_of_element(&element.name).to_string();
    let name_attr = name_attribute(&element, out)?;
    let (name, name_span) = (name_attr.value.clone(), name_attr.value_span);
    if let Err(why) = check_ifname(&name) {
        out.push(bad_value(name_attr, &name, why));
    }
    forbid_nested_wrapper(&element, &name, out);
    Some(Interface {
        start_mode: read_start_mode(&element, &name, out),
        state: read_state(&element, &name, out),
        mtu: read_mtu(&element, &name, out),
        mac: read_mac(&element, &name, out),
        master: None,
        parent: None,
        requires: Vec::new(),
        element,
        name_span,
        kind,
        name,
    })
}

/// The attribute naming the interface: `device=` (or its alias `name=`) on `<interface>`,
/// `name=` on every other kind.
fn name_attribute<'a>(element: &'a Element, out: &mut Vec<Diagnostic>) -> Option<&'a Attribute> {
    let wanted = Interface::name_attribute_of(&element.name);
    let primary = element.attr(wanted);
    let alias = if wanted == "device" { element.attr("name") } else { None };
    match (primary, alias) {
        (Some(d), Some(n)) if d.value != n.value => {
            out.push(
                Diagnostic::error(
                    n.value_span,
                    format!("`name` (an alias of `device`) disagrees with device=\"{}\"", d.value),
                )
                .on_interface(&d.value)
                .on_attribute("name")
                .with_help("give only `device`"),
            );
            Some(d)
        }
        (Some(a), _) | (None, Some(a)) => Some(a),
        (None, None) => {
            out.push(
                Diagnostic::error(
                    element.span,
                    format!("missing attribute `{wanted}` on <{}>", element.name),
                )
                .on_attribute(wanted),
            );
            None
        }
    }
}

/// The kernel's `dev_valid_name()`: 1 to 15 bytes, not `.` or `..`, no `/`, `:` or whitespace.
pub fn check_ifname(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("interface names cannot be empty".into());
    }
    if name.len() > IFNAME_MAX {
        return Err(format!("interface names are at most {IFNAME_MAX} bytes, this one is {}", name.len()));
    }
    if name == "." || name == ".." {
        return Err("`.` and `..` are not interface names".into());
    }
    if name.contains('/') {
        return Err("interface names cannot contain `/`".into());
    }
    if name.contains(':') {
        return Err(
            "interface names cannot contain `:` (`eth0:1` is an address label, not an interface)".into()
        );
    }
    // The kernel's isspace(): ASCII whitespace including vertical tab and form feed.
    if name.bytes().any(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')) {
        return Err("interface names cannot contain whitespace".into());
    }
    Ok(())
}

fn forbid_nested_wrapper(element: &Element, interface: &str, out: &mut Vec<Diagnostic>) {
    for child in &element.children {
        if child.name == WRAPPER {
            out.push(
                Diagnostic::error(child.span, format!("<{WRAPPER}> cannot appear inside an interface"))
                    .on_interface(interface)
                    .on_attribute(WRAPPER),
            );
        } else {
            forbid_nested_wrapper(child, interface, out);
        }
    }
}

/// `startmode=`, or the legacy `onboot="yes|no"` (onboot or manual); both given must agree.
fn read_start_mode(element: &Element, interface: &str, out: &mut Vec<Diagnostic>) -> StartMode {
    let explicit = element.attr("startmode").and_then(|a| {
        let mode = StartMode::parse(&a.value);
        if mode.is_none() {
            let d = bad_value(a, interface, format!("expected one of {}", StartMode::ALL.join(", ")));
            out.push(match did_you_mean(&a.value, StartMode::ALL) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None => d,
            });
        }
        mode
    });
    let legacy = element.attr("onboot").and_then(|a| match parse_bool(&a.value) {
        Some(true) => Some((a, StartMode::Onboot)),
        Some(false) => Some((a, StartMode::Manual)),
        None => {
            out.push(bad_value(a, interface, "expected yes or no"));
            None
        }
    });
    match (explicit, legacy) {
        (Some(mode), Some((a, old))) if mode != old => {
            out.push(
                Diagnostic::error(
                    a.value_span,
                    format!("onboot=\"{}\" conflicts with startmode=\"{}\"", a.value, mode.as_str()),
                )
                .on_interface(interface)
                .on_attribute("onboot")
                .with_help("`onboot` is the legacy spelling of `startmode`; keep only `startmode`"),
            );
            mode
        }
        (Some(mode), _) | (None, Some((_, mode))) => mode,
        (None, None) => StartMode::default(),
    }
}

fn read_state(element: &Element, interface: &str, out: &mut Vec<Diagnostic>) -> LinkState {
    let Some(a) = element.attr("state") else { return LinkState::Up };
    match a.value.as_str() {
        "up" => LinkState::Up,
        "down" => LinkState::Down,
        "absent" => LinkState::Absent,
        other => {
            let d = bad_value(a, interface, format!("expected one of {}", STATES.join(", ")));
            out.push(match did_you_mean(other, STATES) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None => d,
            });
            LinkState::Up
        }
    }
}

fn read_mtu(element: &Element, interface: &str, out: &mut Vec<Diagnostic>) -> Option<u32> {
    let a = element.attr("mtu")?;
    let range = format!("between {MTU_MIN} and {MTU_MAX}");
    match a.value.trim().parse::<u64>() {
        Ok(v) if (u64::from(MTU_MIN)..=u64::from(MTU_MAX)).contains(&v) => Some(v as u32),
        Ok(_) => {
            out.push(bad_value(a, interface, format!("must be {range} ({MTU_MIN} is the IPv4 minimum)")));
            None
        }
        Err(_) => {
            out.push(bad_value(a, interface, format!("expected a number of bytes {range}")));
            None
        }
    }
}

/// The `<hwaddr>` child, normalised; at most one.
fn read_mac(element: &Element, interface: &str, out: &mut Vec<Diagnostic>) -> Option<String> {
    let mut hwaddrs = element.children_named("hwaddr");
    let first = hwaddrs.next()?;
    for extra in hwaddrs {
        let s = first.span;
        out.push(
            Diagnostic::error(extra.span, "more than one <hwaddr>")
                .on_interface(interface)
                .on_attribute("hwaddr")
                .with_help(format!("the first is at {}:{}", s.line, s.col)),
        );
    }
    let text = first.text.as_deref().unwrap_or("").trim();
    match parse_mac(text) {
        Ok(mac) => Some(mac),
        Err(why) => {
            let message = if text.is_empty() {
                format!("empty <hwaddr>: {why}")
            } else {
                format!("invalid hwaddr `{text}`: {why}")
            };
            out.push(Diagnostic::error(first.span, message).on_interface(interface).on_attribute("hwaddr"));
            None
        }
    }
}

/// Parse a MAC address written `aa:bb:cc:dd:ee:ff` or `AA-BB-CC-DD-EE-FF` into lower-case
/// colon form; refuse what cannot be an interface's own address.
pub fn parse_mac(text: &str) -> Result<String, &'static str> {
    const EXPECTED: &str = "expected six hex octets such as 52:54:00:12:34:56";
    let sep = if text.contains(':') { ':' } else { '-' };
    let mut octets = [0u8; 6];
    let mut parts = text.split(sep);
    for octet in &mut octets {
        let part = parts.next().ok_or(EXPECTED)?;
        if part.len() != 2 || !part.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(EXPECTED);
        }
        *octet = u8::from_str_radix(part, 16).map_err(|_| EXPECTED)?;
    }
    if parts.next().is_some() {
        return Err(EXPECTED);
    }
    // The I/G bit: a group address is never a source address (kernel is_valid_ether_addr).
    if octets[0] & 1 == 1 {
        return Err("multicast MAC cannot be an interface address");
    }
    if octets == [0; 6] {
        return Err("all-zero MAC cannot be an interface address");
    }
    Ok(octets.iter().map(|o| format!("{o:02x}")).collect::<Vec<_>>().join(":"))
}

/// Write a configuration as a native document: one interface as its element alone, any other
/// number wrapped in `<interfaces>`.
pub fn write(config: &Config) -> Element {
    let mut elements: Vec<Element> = config.interfaces.iter().map(write_interface).collect();
    if elements.len() == 1 {
        return elements.remove(0);
    }
    Element { name: WRAPPER.to_string(), children: elements, ..Element::default() }
}

/// One interface's element: its own element with the envelope's attributes brought in line
/// with the model. Attributes that already say the same thing are left as written (a legacy
/// `onboot`, a `name=` alias), so reading a document and writing it back changes nothing.
pub fn write_interface(interface: &Interface) -> Element {
    // The element already has its kind's name (`registry::element_of_kind` for one built from
    // live state).
    let mut el = interface.element.clone();
    let scratch = &mut Vec::new();

    let name_attr = Interface::name_attribute_of(&el.name);
    let written = el.value(name_attr).or(if name_attr == "device" { el.value("name") } else { None });
    if written != Some(interface.name.as_str()) {
        if name_attr == "device" {
            el.remove_attr("name");
        }
        el.set_attr(name_attr, &interface.name);
        // The name leads, as people write it (a tree built from live state has none yet).
        if let Some(at) = el.attributes.iter().position(|a| a.name == name_attr) {
            let a = el.attributes.remove(at);
            el.attributes.insert(0, a);
        }
    }

    if read_start_mode(&el, "", scratch) != interface.start_mode || !scratch.is_empty() {
        el.remove_attr("onboot");
        match interface.start_mode {
            StartMode::Onboot => drop(el.remove_attr("startmode")),
            mode => el.set_attr("startmode", mode.as_str()),
        }
    }
    scratch.clear();
    if read_state(&el, "", scratch) != interface.state || !scratch.is_empty() {
        match interface.state {
            LinkState::Up => drop(el.remove_attr("state")),
            state => el.set_attr("state", state),
        }
    }
    scratch.clear();
    if read_mtu(&el, "", scratch) != interface.mtu || !scratch.is_empty() {
        match interface.mtu {
            None => drop(el.remove_attr("mtu")),
            Some(mtu) => el.set_attr("mtu", mtu),
        }
    }
    scratch.clear();
    if read_mac(&el, "", scratch) != interface.mac || !scratch.is_empty() {
        let at = el.children.iter().position(|c| c.name == "hwaddr").unwrap_or(0);
        el.children.retain(|c| c.name != "hwaddr");
        if let Some(mac) = &interface.mac {
            el.children.insert(at.min(el.children.len()), Element::new("hwaddr").with_text(mac));
        }
    }
    el
}

/// Long text cut short for a message.
fn shorten(text: &str) -> String {
    const MAX: usize = 30;
    match text.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text.to_string(),
    }
}
