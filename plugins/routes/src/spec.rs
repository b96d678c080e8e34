//! One route as plan compares it: a `<route>` element with every default filled in, and the
//! same route written back as the element `read` reports, so desired and live items meet in
//! one shape whichever way they were spelled (`prefix=` or `destination=`, no metric or the
//! family's default one).

use std::fmt::{self, Write as _};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use netplug_plugin_sdk::ip::{self, Prefix};
use netplug_plugin_sdk::{schema, Attribute, Element, PluginError, Span};

use crate::config::{self, RouteType, TableRef, ATTRIBUTES};
use crate::text;

/// The main routing table (`RT_TABLE_MAIN`), the default.
pub const MAIN: u32 = 254;

/// The table of a route whose interface is to be a port of a VRF that does not exist yet when
/// the plan is made: the VRF's table, looked up when the route is added (`RT_TABLE_UNSPEC`,
/// which no written route has: `table="0"` is refused).
pub const OF_VRF: u32 = 0;

/// The name of a VRF, kept in a route (which is `Copy`) without an allocation: at most
/// `IFNAMSIZ - 1` bytes, as validation made sure.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct VrfName {
    len: u8,
    bytes: [u8; 15],
}

impl VrfName {
    pub fn new(name: &str) -> Result<VrfName, String> {
        if let Some(problem) = schema::ifname_problem(name) {
            return Err(format!("invalid VRF name `{name}`: {problem}"));
        }
        let mut bytes = [0; 15];
        bytes[..name.len()].copy_from_slice(name.as_bytes());
        Ok(VrfName { len: name.len() as u8, bytes })
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).expect("made from a str")
    }
}

impl fmt::Debug for VrfName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// A route with its defaults resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RouteSpec {
    pub destination: IpAddr,
    pub prefix_len: u8,
    pub gateway: Option<IpAddr>,
    /// `RTN_*`.
    pub kind: u8,
    pub metric: u32,
    pub table: u32,
    /// The VRF a `table` named, when it did not exist as the plan was made: `table` is then
    /// [`OF_VRF`] and the VRF's table is looked up when the route is added.
    pub vrf: Option<VrfName>,
    pub onlink: bool,
}

/// What identifies a route in the kernel: destination, table and metric (and the VRF whose
/// table is still to be looked up).
pub type RouteKey = (IpAddr, u8, u32, u32, Option<VrfName>);

/// The tables of the VRFs routes name, by name: a live VRF's table, or [`OF_VRF`] for one this
/// run creates. Plan fills it; a name missing from it is an error.
pub type VrfTables = std::collections::HashMap<String, u32>;

/// The string `f` writes.
fn with(f: impl FnOnce(&mut String)) -> String {
    let mut s = String::new();
    f(&mut s);
    s
}

/// The values of a `<route>`'s attributes in [`ATTRIBUTES`] order, each the first of its name
/// (as [`Element::attr`] finds it), from one pass over the element.
fn written(el: &Element) -> [Option<&str>; ATTRIBUTES.len()] {
    let mut out = [None; ATTRIBUTES.len()];
    for a in &el.attributes {
        if let Some(i) = ATTRIBUTES.iter().position(|s| s.name == a.name) {
            out[i].get_or_insert(a.value.as_str());
        }
    }
    out
}

impl RouteSpec {
    /// The route a `<route>` element asks for. Validation has run, so an error here means an
    /// item that never went through it (a snapshot edited by hand).
    pub fn from_element(el: &Element) -> Result<RouteSpec, String> {
        RouteSpec::from_element_in(el, MAIN, &VrfTables::new())
    }

    /// [`RouteSpec::from_element`], with `table` for a route that names none (the table of its
    /// interface's VRF for a port of one, see [`crate::plan`]) and the tables of the VRFs
    /// routes name.
    pub fn from_element_in(el: &Element, default_table: u32, vrfs: &VrfTables) -> Result<RouteSpec, String> {
        let [destination, prefix, gateway, nexthop, metric, table, kind, onlink] = written(el);
        let gateway = match gateway.or(nexthop).map(str::trim) {
            None => None,
            Some(g) => Some(ip::parse_addr(g).map_err(|why| format!("invalid gateway `{g}`: {why}"))?),
        };
        let destination = match destination.or(prefix).map(str::trim) {
            None => None,
            Some(d) if d.eq_ignore_ascii_case("default") => None,
            Some(d) => Some(Prefix::parse(d).map_err(|why| format!("invalid destination `{d}`: {why}"))?),
        };
        let destination = destination.unwrap_or(match gateway {
            Some(IpAddr::V6(_)) => Prefix { addr: IpAddr::V6(Ipv6Addr::UNSPECIFIED), len: 0 },
            _ => Prefix { addr: IpAddr::V4(Ipv4Addr::UNSPECIFIED), len: 0 },
        });
        let written = match kind {
            None => None,
            Some(t) => Some(t.parse::<RouteType>().map_err(|_| format!("invalid type `{t}`"))?),
        };
        let (table, vrf) = match table {
            None => (default_table, None),
            Some(t) => {
                match config::parse_table_ref(t).map_err(|why| format!("invalid table `{t}`: {why}"))? {
                    TableRef::Number(n) => (n, None),
                    TableRef::Vrf(name) => match vrfs.get(name) {
                        None => return Err(format!("table `{name}`: no VRF {name}")),
                        Some(&OF_VRF) => (OF_VRF, Some(VrfName::new(name)?)),
                        Some(&n) => (n, None),
                    },
                }
            }
        };
        let metric = match metric {
            None => config::default_metric(&destination),
            Some(m) => m.trim().parse().map_err(|_| format!("invalid metric `{m}`"))?,
        };
        Ok(RouteSpec {
            destination: destination.network(),
            prefix_len: destination.len,
            gateway,
            kind: config::effective_type(written, gateway.is_some()).value(),
            metric,
            table,
            vrf,
            onlink: onlink.and_then(schema::parse_bool).unwrap_or(false),
        })
    }

    /// [`RouteSpec::from_element_in`] for an item of `interface`, as a plugin error.
    pub fn from_item(
        interface: &str,
        el: &Element,
        default_table: u32,
        vrfs: &VrfTables,
    ) -> Result<RouteSpec, PluginError> {
        RouteSpec::from_element_in(el, default_table, vrfs)
            .map_err(|why| PluginError::new(format!("<route>: {why}")).on_interface(interface))
    }

    /// The element `read` reports: every attribute plan compares, defaults left out, except that
    /// `type` is written on every route without a gateway: "unicast" is needed there, and on a
    /// refusing route naming the type reads better than "no gateway means unreachable".
    /// [`RouteSpec::read_back`] is this route as plan parses that element again.
    pub fn to_element(&self) -> Element {
        let mut attributes = Vec::with_capacity(3);
        let mut put = |name: &str, value: String| {
            attributes.push(Attribute {
                name: name.to_string(),
                value,
                span: Span::default(),
                value_span: Span::default(),
            })
        };
        let dest = self.prefix();
        if self.default_reads_back() {
            put("destination", String::from("default"));
        } else {
            put("destination", with(|s| text::prefix(s, self.destination, self.prefix_len)));
        }
        if let Some(g) = self.gateway {
            put("gateway", with(|s| text::addr(s, g)));
        }
        if self.metric != config::default_metric(&dest) {
            put("metric", with(|s| text::number(s, self.metric)));
        }
        if let Some(vrf) = self.vrf {
            put("table", vrf.as_str().to_string());
        } else if self.table != MAIN && self.table != OF_VRF {
            put("table", with(|s| text::number(s, self.table)));
        }
        if self.gateway.is_none() || self.kind() != RouteType::Unicast {
            put("type", self.kind().name().map_or_else(|| self.kind.to_string(), String::from));
        }
        if self.onlink {
            put("onlink", "yes".to_string());
        }
        Element { attributes, ..Element::new("route") }
    }

    /// Whether `to_element` writes the destination as `default`: a default route that reads
    /// back as IPv4 unless the gateway is IPv6 (an IPv6 one without a gateway is written ::/0).
    fn default_reads_back(&self) -> bool {
        self.prefix_len == 0 && (self.destination.is_ipv4() || self.gateway.is_some())
    }

    /// This route as `from_element(&self.to_element())` gives it, without the strings. They
    /// differ only for a default route whose gateway is of the other family (IPv4 via IPv6,
    /// which the kernel allows though the dump parser reads no `RTA_VIA` yet): `default` then
    /// reads back in the gateway's family.
    pub fn read_back(mut self) -> RouteSpec {
        self.destination = self.prefix().network();
        if self.default_reads_back() {
            let v6 = matches!(self.gateway, Some(IpAddr::V6(_)));
            if v6 != self.destination.is_ipv6() {
                let was_default = self.metric == config::default_metric(&self.prefix());
                self.destination =
                    if v6 { Ipv6Addr::UNSPECIFIED.into() } else { Ipv4Addr::UNSPECIFIED.into() };
                if was_default {
                    self.metric = config::default_metric(&self.prefix());
                }
            }
        }
        self
    }

    pub fn prefix(&self) -> Prefix {
        Prefix { addr: self.destination, len: self.prefix_len }
    }

    pub fn kind(&self) -> RouteType {
        RouteType::from(self.kind)
    }

    /// Unreachable, blackhole or prohibit: a route with no device and no gateway.
    pub fn refuses(&self) -> bool {
        self.kind() != RouteType::Unicast
    }

    pub fn key(&self) -> RouteKey {
        (self.destination, self.prefix_len, self.table, self.metric, self.vrf)
    }

    /// What differs from `was` among the attributes that are not the key, for a description:
    /// `via 10.1.0.2 (was via 10.1.0.1), onlink yes (was no)`.
    pub fn write_differences(&self, was: &RouteSpec, out: &mut String) {
        let start = out.len();
        let next = |out: &mut String| {
            if out.len() > start {
                out.push_str(", ");
            }
        };
        if self.kind != was.kind {
            next(out);
            let _ = write!(out, "type {} (was {})", self.kind(), was.kind());
        }
        if self.gateway != was.gateway {
            next(out);
            write_gateway(out, self.gateway);
            out.push_str(" (was ");
            write_gateway(out, was.gateway);
            out.push(')');
        }
        if self.onlink != was.onlink {
            next(out);
            let _ = write!(out, "onlink {} (was {})", yes_no(self.onlink), yes_no(was.onlink));
        }
    }

    /// The key alone, for messages: `route 10.0.0.0/8 metric 100 table 100`.
    pub fn write_key(&self, out: &mut String) {
        out.push_str("route ");
        text::prefix(out, self.destination, self.prefix_len);
        self.write_metric_and_table(out);
    }

    /// [`RouteSpec::write_key`] as a string.
    pub fn key_text(&self) -> String {
        let mut s = String::new();
        self.write_key(&mut s);
        s
    }

    /// The route for a description: `unreachable route 10.9.0.0/16`,
    /// `route 10.0.0.0/8 via 192.168.0.2 metric 100 table 100`, `route 10.2.0.0/16 on the link`.
    pub fn describe(&self, out: &mut String) {
        if self.refuses() {
            let _ = write!(out, "{} ", self.kind());
        }
        out.push_str("route ");
        text::prefix(out, self.destination, self.prefix_len);
        match self.gateway {
            Some(g) => {
                out.push_str(" via ");
                text::addr(out, g);
            }
            None if !self.refuses() => out.push_str(" on the link"),
            None => {}
        }
        if self.onlink {
            out.push_str(" onlink");
        }
        self.write_metric_and_table(out);
    }

    /// ` metric 100 table 100`, each left out when it is the default.
    fn write_metric_and_table(&self, out: &mut String) {
        if self.metric != config::default_metric(&self.prefix()) {
            out.push_str(" metric ");
            text::number(out, self.metric);
        }
        if let Some(vrf) = self.vrf {
            out.push_str(" table ");
            out.push_str(vrf.as_str());
        } else if self.table == OF_VRF {
            out.push_str(" in its VRF's table");
        } else if self.table != MAIN {
            out.push_str(" table ");
            text::number(out, self.table);
        }
    }
}

fn write_gateway(out: &mut String, gateway: Option<IpAddr>) {
    match gateway {
        Some(g) => {
            out.push_str("via ");
            text::addr(out, g);
        }
        None => out.push_str("no gateway"),
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// As [`RouteSpec::describe`] writes it.
impl fmt::Display for RouteSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        self.describe(&mut s);
        f.write_str(&s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(attrs: &[(&str, &str)]) -> RouteSpec {
        let el = attrs.iter().fold(Element::new("route"), |el, (k, v)| el.with_attr(*k, *v));
        RouteSpec::from_element(&el).unwrap()
    }

    #[test]
    fn defaults_resolve_by_family_and_gateway() {
        let r = spec(&[("gateway", "192.168.0.1")]);
        assert_eq!(
            (r.prefix().to_string(), r.kind(), r.metric, r.table),
            ("0.0.0.0/0".into(), RouteType::Unicast, 0, 254)
        );
        let r = spec(&[("nexthop", "2001:db8::1")]);
        assert_eq!((r.prefix().to_string(), r.metric), ("::/0".into(), 1024));
        let r = spec(&[("prefix", "10.9.0.0/16")]);
        assert_eq!(r.kind(), RouteType::Unreachable, "no gateway: unreachable");
        let r = spec(&[("destination", "10.9.0.0/16"), ("type", "unicast")]);
        assert_eq!((r.kind(), r.gateway), (RouteType::Unicast, None));
        assert_eq!(r.to_string(), "route 10.9.0.0/16 on the link");
        assert_eq!(
            spec(&[("destination", "2001:db8::/32"), ("metric", "1024")]),
            spec(&[("destination", "2001:db8::/32")])
        );
        assert_eq!(
            spec(&[("destination", "10.0.0.1"), ("table", "local")]).prefix().to_string(),
            "10.0.0.1/32"
        );
    }

    #[test]
    fn the_element_read_reports_means_the_same_route() {
        for attrs in [
            &[("gateway", "192.168.0.1")][..],
            &[("gateway", "2001:db8::1")],
            &[("destination", "::/0"), ("type", "blackhole")],
            &[("destination", "10.0.0.0/8"), ("type", "unicast"), ("metric", "5"), ("table", "100")],
            &[("destination", "10.0.0.0/8"), ("gateway", "203.0.113.1"), ("onlink", "yes")],
            &[("destination", "2001:db8::/32"), ("type", "prohibit"), ("metric", "0")],
        ] {
            let r = spec(attrs);
            assert_eq!(RouteSpec::from_element(&r.to_element()).unwrap(), r, "{attrs:?}");
        }
        let el = spec(&[("destination", "10.9.0.0/16")]).to_element();
        assert_eq!(el.value("type"), Some("unreachable"));
        assert_eq!(el.value("metric"), None);
    }

    fn differences(r: &RouteSpec, was: &RouteSpec) -> String {
        let mut s = String::new();
        r.write_differences(was, &mut s);
        s
    }

    #[test]
    fn read_back_is_the_element_parsed_again() {
        let v4: IpAddr = "10.1.0.1".parse().unwrap();
        let v6: IpAddr = "2001:db8::1".parse().unwrap();
        for (dest, len) in [("0.0.0.0", 0), ("::", 0), ("10.0.0.0", 8), ("2001:db8::", 32)] {
            for gateway in [None, Some(v4), Some(v6)] {
                for kind in [RouteType::Unicast, RouteType::Blackhole] {
                    for metric in [0, 5, 1024] {
                        let r = RouteSpec {
                            destination: dest.parse().unwrap(),
                            prefix_len: len,
                            gateway,
                            kind: kind.value(),
                            metric,
                            table: MAIN,
                            vrf: None,
                            onlink: gateway.is_some(),
                        };
                        let parsed = RouteSpec::from_element(&r.to_element()).unwrap();
                        assert_eq!(r.read_back(), parsed, "{r:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn descriptions_say_what_changed() {
        let a = spec(&[("destination", "10.0.0.0/8"), ("gateway", "10.1.0.1")]);
        let b = spec(&[("destination", "10.0.0.0/8"), ("gateway", "10.1.0.2"), ("onlink", "yes")]);
        assert_eq!(differences(&b, &a), "via 10.1.0.2 (was via 10.1.0.1), onlink yes (was no)");
        let c = spec(&[("destination", "10.0.0.0/8"), ("type", "prohibit"), ("table", "7")]);
        assert_eq!(c.to_string(), "prohibit route 10.0.0.0/8 table 7");
        assert_eq!(differences(&c, &a), "type prohibit (was unicast), no gateway (was via 10.1.0.1)");
    }
}
