//! The `<dhcp>` (DHCPv4) and `<dhcp6>` (DHCPv6 and SLAAC) vocabularies with their defaults.
//!
//! Defaults: `setrouting`, `setdefaultroute`, `nis` and `setnisdomain` are `yes`, as the netcf
//! proposal wrote them. `peerdns` and `sethostname` are `no`: the resolver configuration and the
//! host name belong to the whole host, and other tools (systemd-resolved, NetworkManager) often
//! own them, so netplug takes them over only when asked. `<dhcp6>` runs a DHCPv6 client
//! (`dhcp="yes"`) and leaves SLAAC off (`autoconf="no"`), as libvirt's `<protocol>` does, so the
//! two dialects mean the same thing.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use netplug_plugin_sdk::schema::{self, AttrSpec, ValueKind};
use netplug_plugin_sdk::{Diagnostic, Element, Item, Span, Subnet, Validation};

const fn flag(name: &'static str, help: &'static str, default: &'static str) -> AttrSpec {
    AttrSpec { name, help, kind: ValueKind::Bool, default: Some(default) }
}

pub const PEERDNS: AttrSpec = flag("peerdns", "use the name servers the server offers", "no");
pub const HOSTNAME: AttrSpec = AttrSpec {
    name: "hostname",
    help: "the host name to send to the server",
    kind: ValueKind::Other("a host name (RFC 1123)"),
    default: None,
};
pub const SETHOSTNAME: AttrSpec = flag("sethostname", "set the host name the server offers", "no");
pub const SETROUTING: AttrSpec = flag("setrouting", "install the routes the server offers", "yes");
pub const SETDEFAULTROUTE: AttrSpec =
    flag("setdefaultroute", "install the default route the server offers", "yes");
pub const NIS: AttrSpec = flag("nis", "use the NIS servers the server offers", "yes");
pub const SETNISDOMAIN: AttrSpec = flag("setnisdomain", "set the NIS domain the server offers", "yes");
pub const TIMEOUT: AttrSpec = AttrSpec {
    name: "timeout",
    help: "how long to wait for a lease before giving up",
    kind: ValueKind::Uint { min: 1, max: 86_400, unit: "seconds" },
    default: Some("30"),
};

/// [`TIMEOUT`]'s default: long enough for a DHCP server's first retransmission round (mozim
/// resends a DISCOVER after 3-5 s, then 7-9 s), short enough that an apply against a dead
/// network fails while someone is still watching.
pub const DEFAULT_TIMEOUT_SECS: u32 = 30;

/// The attributes of `<dhcp>`.
pub const DHCP_ATTRIBUTES: &[AttrSpec] =
    &[PEERDNS, HOSTNAME, SETHOSTNAME, SETROUTING, SETDEFAULTROUTE, NIS, SETNISDOMAIN, TIMEOUT];

pub const AUTOCONF: AttrSpec =
    flag("autoconf", "configure addresses from router advertisements (SLAAC)", "no");
pub const DHCP6_CLIENT: AttrSpec = flag("dhcp", "run a DHCPv6 client", "yes");

/// The attributes of `<dhcp6>`.
pub const DHCP6_ATTRIBUTES: &[AttrSpec] = &[PEERDNS, AUTOCONF, DHCP6_CLIENT, HOSTNAME, TIMEOUT];

/// Why `name` is not a host name (RFC 1123 2.1, RFC 1035 2.3.4): dot-separated labels of
/// 1-63 letters, digits and hyphens, not starting or ending with a hyphen, 253 bytes at most.
pub fn hostname_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("a host name cannot be empty".into());
    }
    if name.len() > 253 {
        return Some("a host name is at most 253 characters".into());
    }
    for label in name.split('.') {
        if label.is_empty() {
            return Some("a host name has no empty labels (two dots, or a dot at either end)".into());
        }
        if label.len() > 63 {
            return Some(format!("label `{label}` is longer than 63 characters"));
        }
        if let Some(c) = label.chars().find(|c| !c.is_ascii_alphanumeric() && *c != '-') {
            return Some(format!("`{c}` is not allowed; use letters, digits and hyphens"));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Some(format!("label `{label}` starts or ends with a hyphen"));
        }
    }
    None
}

/// Check every `<dhcp>` and `<dhcp6>`; report diagnostics and a dynamic subnet per interface.
pub fn validate(items: &[Item]) -> Validation {
    let mut v = Validation::default();
    // (interface, element name) → the first occurrence: one client per family.
    let mut first: HashMap<(&str, &str), Span> = HashMap::new();
    for item in items {
        let name = item.interface.as_str();
        let el = &item.element;
        let specs = if el.name == "dhcp6" { DHCP6_ATTRIBUTES } else { DHCP_ATTRIBUTES };
        v.diagnostics.extend(schema::check_specs(el, specs, &[], name));
        v.diagnostics.extend(schema::check_children_hinting(el, &[crate::lease::LEASE], &[], name));
        // `netplug show` reports the lease inside the element; a document pasted from it (or a
        // definition `netplug bridge` built from live state) still means the same client.
        for lease in el.children_named(crate::lease::LEASE) {
            v.diagnostics.push(
                Diagnostic::warning(lease.span, format!("<lease> in <{}> is ignored", el.name))
                    .on_interface(name)
                    .on_attribute(crate::lease::LEASE)
                    .with_help("`netplug show` reports the current lease this way; delete it from documents"),
            );
        }
        if let Some(f) = first.get(&(name, el.name.as_str())) {
            v.diagnostics.push(
                Diagnostic::error(el.span, format!("an interface has at most one <{}>", el.name))
                    .on_interface(name)
                    .on_attribute(&el.name)
                    .with_help(format!("the first is at {}:{}", f.line, f.col)),
            );
        } else {
            first.insert((name, el.name.as_str()), el.span);
        }
        if let Some(a) = HOSTNAME.attr(el) {
            if let Some(why) = hostname_problem(a.value.trim()) {
                v.diagnostics.push(schema::bad_value(a, name, why));
            }
        }
        if el.name == "dhcp6" {
            // autoconf defaults to no; an invalid value was reported and is not guessed at.
            let autoconf = AUTOCONF.attr(el).map_or(Some(false), |_| AUTOCONF.get_bool(el));
            if autoconf == Some(false) && DHCP6_CLIENT.get_bool(el) == Some(false) {
                v.diagnostics.push(
                    Diagnostic::warning(
                        el.span,
                        "<dhcp6> with autoconf=\"no\" and dhcp=\"no\" configures nothing",
                    )
                    .on_interface(name)
                    .on_attribute("dhcp"),
                );
            }
        } else {
            unused_unless(el, &SETDEFAULTROUTE, &SETROUTING, name, &mut v.diagnostics);
            unused_unless(el, &SETNISDOMAIN, &NIS, name, &mut v.diagnostics);
        }
        // Addresses arrive at run time: every gateway on this interface is plausible.
        let dynamic = Subnet { interface: name.to_string(), prefix: None };
        if !v.subnets.contains(&dynamic) {
            v.subnets.push(dynamic);
        }
    }
    v
}

/// Warn when `dependent="yes"` is written but `switch` is written `no`, which turns it off.
fn unused_unless(
    el: &Element,
    dependent: &AttrSpec,
    switch: &AttrSpec,
    name: &str,
    out: &mut Vec<Diagnostic>,
) {
    if dependent.get_bool(el) == Some(true) && switch.get_bool(el) == Some(false) {
        let a = dependent.attr(el).expect("a value implies the attribute");
        out.push(
            Diagnostic::warning(
                a.span,
                format!("{} has no effect with {}=\"no\"", dependent.name, switch.name),
            )
            .on_interface(name)
            .on_attribute(dependent.name),
        );
    }
}

/// Which client an element runs: `<dhcp>` is DHCPv4, `<dhcp6>` DHCPv6 and/or SLAAC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    V4,
    V6,
}

impl Family {
    pub const ALL: [Family; 2] = [Family::V4, Family::V6];

    /// The element that asks for this family's client.
    pub fn element(self) -> &'static str {
        match self {
            Family::V4 => "dhcp",
            Family::V6 => "dhcp6",
        }
    }

    pub fn of_element(name: &str) -> Option<Family> {
        match name {
            "dhcp" => Some(Family::V4),
            "dhcp6" => Some(Family::V6),
            _ => None,
        }
    }

    /// `DHCPv4` or `DHCPv6`, for messages.
    pub fn label(self) -> &'static str {
        match self {
            Family::V4 => "DHCPv4",
            Family::V6 => "DHCPv6",
        }
    }
}

/// What one `<dhcp>` or `<dhcp6>` asks for, with the defaults applied. Values a validated
/// document cannot hold (a bad boolean) fall back to the default: validation has refused them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub family: Family,
    pub peerdns: bool,
    /// The name to send; `None` sends the system's host name.
    pub hostname: Option<String>,
    pub sethostname: bool,
    pub setrouting: bool,
    pub setdefaultroute: bool,
    pub nis: bool,
    pub setnisdomain: bool,
    /// Seconds to wait for a lease.
    pub timeout: u32,
    /// `<dhcp6 autoconf=>`: `Some(true)` turns SLAAC on, `Some(false)` (also when not written:
    /// the default is `no`, as netcf's initscripts wrote `IPV6_AUTOCONF=no`) turns it off.
    /// Always `None` for `<dhcp>`.
    pub autoconf: Option<bool>,
    /// Run the DHCP client (`<dhcp6 dhcp=>`; always true for `<dhcp>`).
    pub client: bool,
}

impl Settings {
    /// The settings of a `<dhcp>` or `<dhcp6>` element; `None` for any other element.
    pub fn of(el: &Element) -> Option<Settings> {
        let family = Family::of_element(&el.name)?;
        let flag = |spec: &AttrSpec| {
            spec.get_bool(el).unwrap_or_else(|| spec.default.and_then(schema::parse_bool).unwrap_or(false))
        };
        let v4 = family == Family::V4;
        Some(Settings {
            family,
            peerdns: flag(&PEERDNS),
            hostname: HOSTNAME.attr(el).map(|a| a.value.trim().to_string()).filter(|h| !h.is_empty()),
            sethostname: v4 && flag(&SETHOSTNAME),
            setrouting: v4 && flag(&SETROUTING),
            setdefaultroute: v4 && flag(&SETROUTING) && flag(&SETDEFAULTROUTE),
            nis: v4 && flag(&NIS),
            setnisdomain: v4 && flag(&NIS) && flag(&SETNISDOMAIN),
            timeout: TIMEOUT.get_u32(el).unwrap_or(DEFAULT_TIMEOUT_SECS),
            autoconf: if v4 { None } else { Some(flag(&AUTOCONF)) },
            client: v4 || flag(&DHCP6_CLIENT),
        })
    }

    /// Whether a lease taken with `self` serves `other` too: everything but the timeout, which
    /// only matters while acquiring.
    pub fn same_lease(&self, other: &Settings) -> bool {
        Settings { timeout: 0, ..self.clone() } == Settings { timeout: 0, ..other.clone() }
    }
}

#[cfg(test)]
mod tests;
