//! One route as plan compares it: a `<route>` element with every default filled in, and the
//! same route written back as the element `read` reports, so desired and live items meet in
//! one shape whichever way they were spelled (`prefix=` or `destination=`, no metric or the
//! family's default one).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use netplug_plugin_sdk::ip::{self, Prefix};
use netplug_plugin_sdk::schema::AttrSpec;
use netplug_plugin_sdk::{Element, PluginError};
use serde::{Deserialize, Serialize};

use crate::config::{self, RouteType, DESTINATION, GATEWAY, METRIC, NEXTHOP, ONLINK, PREFIX, TABLE, TYPE};

/// The main routing table (`RT_TABLE_MAIN`), the default.
pub const MAIN: u32 = 254;

/// A route with its defaults resolved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteSpec {
    pub destination: IpAddr,
    pub prefix_len: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<IpAddr>,
    /// `RTN_*`.
    pub kind: u8,
    pub metric: u32,
    pub table: u32,
    #[serde(default)]
    pub onlink: bool,
}

/// What identifies a route in the kernel: destination, table and metric.
pub type RouteKey = (IpAddr, u8, u32, u32);

impl RouteSpec {
    /// The route a `<route>` element asks for. Validation has run, so an error here means an
    /// item that never went through it (a snapshot edited by hand).
    pub fn from_element(el: &Element) -> Result<RouteSpec, String> {
        let text = |a: &AttrSpec, b: &AttrSpec| a.attr(el).or(b.attr(el)).map(|x| x.value.trim());
        let gateway = match text(&GATEWAY, &NEXTHOP) {
            None => None,
            Some(g) => Some(ip::parse_addr(g).map_err(|why| format!("invalid gateway `{g}`: {why}"))?),
        };
        let destination = match text(&DESTINATION, &PREFIX) {
            None => None,
            Some(d) if d.eq_ignore_ascii_case("default") => None,
            Some(d) => Some(Prefix::parse(d).map_err(|why| format!("invalid destination `{d}`: {why}"))?),
        };
        let destination = destination.unwrap_or(match gateway {
            Some(IpAddr::V6(_)) => Prefix { addr: IpAddr::V6(Ipv6Addr::UNSPECIFIED), len: 0 },
            _ => Prefix { addr: IpAddr::V4(Ipv4Addr::UNSPECIFIED), len: 0 },
        });
        let written = match TYPE.attr(el) {
            None => None,
            Some(a) => Some(a.value.parse::<RouteType>().map_err(|_| format!("invalid type `{}`", a.value))?),
        };
        let table = match TABLE.attr(el) {
            None => MAIN,
            Some(a) => {
                config::parse_table(&a.value).map_err(|why| format!("invalid table `{}`: {why}", a.value))?
            }
        };
        let metric = match METRIC.attr(el) {
            None => config::default_metric(&destination),
            Some(a) => a.value.trim().parse().map_err(|_| format!("invalid metric `{}`", a.value))?,
        };
        Ok(RouteSpec {
            destination: destination.network(),
            prefix_len: destination.len,
            gateway,
            kind: config::effective_type(written, gateway.is_some()).value(),
            metric,
            table,
            onlink: ONLINK.get_bool(el).unwrap_or(false),
        })
    }

    /// [`RouteSpec::from_element`] for an item of `interface`, as a plugin error.
    pub fn from_item(interface: &str, el: &Element) -> Result<RouteSpec, PluginError> {
        RouteSpec::from_element(el)
            .map_err(|why| PluginError::new(format!("<route>: {why}")).on_interface(interface))
    }

    /// The element `read` reports: every attribute plan compares, defaults left out, except that
    /// `type` is written on every route without a gateway: "unicast" is needed there, and on a
    /// refusing route naming the type reads better than "no gateway means unreachable".
    pub fn to_element(&self) -> Element {
        let mut el = Element::new("route");
        let dest = self.prefix();
        // `default` reads back as IPv4 unless the gateway is IPv6, so write ::/0 otherwise.
        let default_reads_back = self.prefix_len == 0 && (dest.is_ipv4() || self.gateway.is_some());
        if default_reads_back {
            el.set_attr("destination", "default");
        } else {
            el.set_attr("destination", dest);
        }
        if let Some(g) = self.gateway {
            el.set_attr("gateway", g);
        }
        if self.metric != config::default_metric(&dest) {
            el.set_attr("metric", self.metric);
        }
        if self.table != MAIN {
            el.set_attr("table", self.table);
        }
        if self.gateway.is_none() || self.kind() != RouteType::Unicast {
            el.set_attr("type", self.kind());
        }
        if self.onlink {
            el.set_attr("onlink", "yes");
        }
        el
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
        (self.destination, self.prefix_len, self.table, self.metric)
    }

    /// What differs from `was` among the attributes that are not the key, for a description.
    pub fn differences(&self, was: &RouteSpec) -> Vec<String> {
        let mut out = Vec::new();
        if self.kind != was.kind {
            out.push(format!("type {} (was {})", self.kind(), was.kind()));
        }
        if self.gateway != was.gateway {
            let show = |g: Option<IpAddr>| g.map_or("no gateway".to_string(), |g| format!("via {g}"));
            out.push(format!("{} (was {})", show(self.gateway), show(was.gateway)));
        }
        if self.onlink != was.onlink {
            out.push(format!("onlink {} (was {})", yes_no(self.onlink), yes_no(was.onlink)));
        }
        out
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

impl RouteSpec {
    /// The key alone, for messages: `route 10.0.0.0/8 metric 100 table 100`.
    pub fn key_text(&self) -> String {
        format!("route {}{}", self.prefix(), self.metric_and_table())
    }

    /// ` metric 100 table 100`, each left out when it is the default.
    fn metric_and_table(&self) -> String {
        let mut s = String::new();
        if self.metric != config::default_metric(&self.prefix()) {
            s.push_str(&format!(" metric {}", self.metric));
        }
        if self.table != MAIN {
            s.push_str(&format!(" table {}", self.table));
        }
        s
    }
}

/// `unreachable route 10.9.0.0/16`, `route 10.0.0.0/8 via 192.168.0.2 metric 100 table 100`,
/// `route 10.2.0.0/16 on the link`.
impl fmt::Display for RouteSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.refuses() {
            write!(f, "{} ", self.kind())?;
        }
        write!(f, "route {}", self.prefix())?;
        match self.gateway {
            Some(g) => write!(f, " via {g}")?,
            None if !self.refuses() => f.write_str(" on the link")?,
            None => {}
        }
        if self.onlink {
            f.write_str(" onlink")?;
        }
        f.write_str(&self.metric_and_table())
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

    #[test]
    fn descriptions_say_what_changed() {
        let a = spec(&[("destination", "10.0.0.0/8"), ("gateway", "10.1.0.1")]);
        let b = spec(&[("destination", "10.0.0.0/8"), ("gateway", "10.1.0.2"), ("onlink", "yes")]);
        assert_eq!(b.differences(&a), ["via 10.1.0.2 (was via 10.1.0.1)", "onlink yes (was no)"]);
        let c = spec(&[("destination", "10.0.0.0/8"), ("type", "prohibit"), ("table", "7")]);
        assert_eq!(c.to_string(), "prohibit route 10.0.0.0/8 table 7");
        assert_eq!(c.differences(&a), ["type prohibit (was unicast)", "no gateway (was via 10.1.0.1)"]);
    }
}
