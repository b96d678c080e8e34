//! A VXLAN as the kernel knows it (`IFLA_VXLAN_*` in `IFLA_INFO_DATA`) and as the format writes
//! it, and the messages between the two.
//!
//! What the kernel can change on a live VXLAN (`vxlan_nl2conf` with `changelink`): the remote
//! or group and the local address within their address family, the device, TTL (not its
//! `inherit` flag), TOS, flow label, DF, learning and ageing. Everything else — the VNI, ports,
//! FDB limit, checksum, proxy and external (metadata) flags — is refused with EOPNOTSUPP even
//! when unchanged, so a change message carries only what changes, and a VXLAN whose fixed
//! options change is made again.

use std::net::IpAddr;

use netplug_plugin_sdk::netlink::uapi as nl;
use netplug_plugin_sdk::netlink::{AttrBuilder, Attrs};
use netplug_plugin_sdk::schema::parse_bool;
use netplug_plugin_sdk::Element;
use serde::{Deserialize, Serialize};

const fn attr(a: u32) -> u16 {
    a as u16
}

pub const IFLA_VXLAN_ID: u16 = attr(nl::IFLA_VXLAN_ID as u32);
pub const IFLA_VXLAN_GROUP: u16 = attr(nl::IFLA_VXLAN_GROUP as u32);
pub const IFLA_VXLAN_LINK: u16 = attr(nl::IFLA_VXLAN_LINK as u32);
pub const IFLA_VXLAN_LOCAL: u16 = attr(nl::IFLA_VXLAN_LOCAL as u32);
pub const IFLA_VXLAN_TTL: u16 = attr(nl::IFLA_VXLAN_TTL as u32);
pub const IFLA_VXLAN_TOS: u16 = attr(nl::IFLA_VXLAN_TOS as u32);
pub const IFLA_VXLAN_LEARNING: u16 = attr(nl::IFLA_VXLAN_LEARNING as u32);
pub const IFLA_VXLAN_AGEING: u16 = attr(nl::IFLA_VXLAN_AGEING as u32);
pub const IFLA_VXLAN_LIMIT: u16 = attr(nl::IFLA_VXLAN_LIMIT as u32);
pub const IFLA_VXLAN_PORT_RANGE: u16 = attr(nl::IFLA_VXLAN_PORT_RANGE as u32);
pub const IFLA_VXLAN_PROXY: u16 = attr(nl::IFLA_VXLAN_PROXY as u32);
pub const IFLA_VXLAN_RSC: u16 = attr(nl::IFLA_VXLAN_RSC as u32);
pub const IFLA_VXLAN_L2MISS: u16 = attr(nl::IFLA_VXLAN_L2MISS as u32);
pub const IFLA_VXLAN_L3MISS: u16 = attr(nl::IFLA_VXLAN_L3MISS as u32);
pub const IFLA_VXLAN_PORT: u16 = attr(nl::IFLA_VXLAN_PORT as u32);
pub const IFLA_VXLAN_GROUP6: u16 = attr(nl::IFLA_VXLAN_GROUP6 as u32);
pub const IFLA_VXLAN_LOCAL6: u16 = attr(nl::IFLA_VXLAN_LOCAL6 as u32);
pub const IFLA_VXLAN_UDP_CSUM: u16 = attr(nl::IFLA_VXLAN_UDP_CSUM as u32);
pub const IFLA_VXLAN_UDP_ZERO_CSUM6_TX: u16 = attr(nl::IFLA_VXLAN_UDP_ZERO_CSUM6_TX as u32);
pub const IFLA_VXLAN_UDP_ZERO_CSUM6_RX: u16 = attr(nl::IFLA_VXLAN_UDP_ZERO_CSUM6_RX as u32);
pub const IFLA_VXLAN_TTL_INHERIT: u16 = attr(nl::IFLA_VXLAN_TTL_INHERIT as u32);
pub const IFLA_VXLAN_COLLECT_METADATA: u16 = attr(nl::IFLA_VXLAN_COLLECT_METADATA as u32);
pub const IFLA_VXLAN_LABEL: u16 = attr(nl::IFLA_VXLAN_LABEL as u32);
pub const IFLA_VXLAN_DF: u16 = attr(nl::IFLA_VXLAN_DF as u32);

/// `df`'s words, at the kernel's values (`enum ifla_vxlan_df`): whether the outer IPv4 header
/// says don't-fragment — never, always, or as the inner packet does.
pub const DF_NAMES: &[&str] = &["unset", "set", "inherit"];

/// The largest IPv6 flow label (20 bits).
pub const MAX_FLOWLABEL: u32 = 0xF_FFFF;

/// The IANA port (RFC 7348), which netplug asks for when a document names none: the kernel's
/// own default is Linux's pre-standard 8472.
pub const DEFAULT_DSTPORT: u16 = 4789;

/// The `<vxlan>` attributes that are on/off switches: (name, attribute, changes in place).
pub const FLAGS: &[(&str, u16, bool)] = &[
    ("learning", IFLA_VXLAN_LEARNING, true),
    ("proxy", IFLA_VXLAN_PROXY, false),
    ("rsc", IFLA_VXLAN_RSC, false),
    ("l2miss", IFLA_VXLAN_L2MISS, false),
    ("l3miss", IFLA_VXLAN_L3MISS, false),
    ("udpcsum", IFLA_VXLAN_UDP_CSUM, false),
    ("udp6zerocsumtx", IFLA_VXLAN_UDP_ZERO_CSUM6_TX, false),
    ("udp6zerocsumrx", IFLA_VXLAN_UDP_ZERO_CSUM6_RX, false),
    ("external", IFLA_VXLAN_COLLECT_METADATA, false),
];

/// The switches of [`FLAGS`] that have a default, and that default.
pub const DEFAULT_FLAGS: &[(&str, bool)] = &[
    ("learning", true),
    ("proxy", false),
    ("rsc", false),
    ("l2miss", false),
    ("l3miss", false),
    ("udp6zerocsumtx", false),
    ("udp6zerocsumrx", false),
    ("external", false),
];

/// The outer packets' TTL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ttl {
    /// The route's hop limit (the kernel's 0).
    Auto,
    /// The inner packet's TTL (`IFLA_VXLAN_TTL_INHERIT`).
    Inherit,
    Hops(u8),
}

impl Ttl {
    pub fn parse(text: &str) -> Option<Ttl> {
        match text.trim() {
            "auto" => Some(Ttl::Auto),
            "inherit" => Some(Ttl::Inherit),
            n => n.parse::<u8>().ok().filter(|&n| n > 0).map(Ttl::Hops),
        }
    }
}

impl std::fmt::Display for Ttl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ttl::Auto => f.write_str("auto"),
            Ttl::Inherit => f.write_str("inherit"),
            Ttl::Hops(n) => write!(f, "{n}"),
        }
    }
}

/// `tos`: a number, or `inherit` (the kernel's 1).
pub fn parse_tos(text: &str) -> Option<u8> {
    match text.trim() {
        "inherit" => Some(1),
        n => n.parse::<u8>().ok(),
    }
}

fn tos_text(tos: u8) -> String {
    if tos == 1 {
        "inherit".into()
    } else {
        tos.to_string()
    }
}

/// `df`: one of [`DF_NAMES`], as the kernel's value.
pub fn parse_df(text: &str) -> Option<u8> {
    DF_NAMES.iter().position(|n| n.eq_ignore_ascii_case(text.trim())).map(|i| i as u8)
}

fn df_text(df: u8) -> String {
    DF_NAMES.get(usize::from(df)).map_or_else(|| df.to_string(), |n| n.to_string())
}

/// `srcport`: `MIN-MAX`, both 1–65535, MIN ≤ MAX.
pub fn parse_port_range(text: &str) -> Option<(u16, u16)> {
    let (lo, hi) = text.trim().split_once('-')?;
    let (lo, hi) = (lo.trim().parse::<u16>().ok()?, hi.trim().parse::<u16>().ok()?);
    (lo >= 1 && lo <= hi).then_some((lo, hi))
}

/// A VXLAN's options; `None` where the element leaves them out (left as the kernel has them).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Options {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local: Option<IpAddr>,
    /// `remote` or `group`: one kernel attribute; multicast makes it a group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote: Option<IpAddr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dstport: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub srcport: Option<(u16, u16)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<Ttl>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tos: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ageing: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maxaddress: Option<u32>,
    /// The outer IPv6 header's flow label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flowlabel: Option<u32>,
    /// `df`, as the kernel's value (an index of [`DF_NAMES`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub df: Option<u8>,
    /// Switches of [`FLAGS`] the element sets, in table order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<(String, bool)>,
}

impl Options {
    /// The options an element gives; an unreadable value is an error naming it (validation has
    /// refused such documents; a read item never has one).
    pub fn of(el: &Element) -> Result<Options, String> {
        let bad = |name: &str, v: &str| format!("invalid {name} `{v}`");
        let ip = |name: &str| -> Result<Option<IpAddr>, String> {
            el.value(name).map(|v| v.trim().parse::<IpAddr>().map_err(|_| bad(name, v))).transpose()
        };
        let num = |name: &str| -> Result<Option<u32>, String> {
            el.value(name).map(|v| v.trim().parse::<u32>().map_err(|_| bad(name, v))).transpose()
        };
        let mut flags = Vec::new();
        for (name, _, _) in FLAGS {
            if let Some(v) = el.value(name) {
                flags.push((name.to_string(), parse_bool(v).ok_or_else(|| bad(name, v))?));
            }
        }
        Ok(Options {
            id: num("id")?,
            local: ip("local")?,
            remote: match ip("remote")? {
                Some(r) => Some(r),
                None => ip("group")?,
            },
            device: el.value("device").map(|d| d.trim().to_string()),
            dstport: el
                .value("dstport")
                .map(|v| v.trim().parse::<u16>().map_err(|_| bad("dstport", v)))
                .transpose()?,
            srcport: el
                .value("srcport")
                .map(|v| parse_port_range(v).ok_or_else(|| bad("srcport", v)))
                .transpose()?,
            ttl: el.value("ttl").map(|v| Ttl::parse(v).ok_or_else(|| bad("ttl", v))).transpose()?,
            tos: el.value("tos").map(|v| parse_tos(v).ok_or_else(|| bad("tos", v))).transpose()?,
            ageing: num("ageing")?,
            maxaddress: num("maxaddress")?,
            flowlabel: num("flowlabel")?,
            df: el.value("df").map(|v| parse_df(v).ok_or_else(|| bad("df", v))).transpose()?,
            flags,
        })
    }

    /// These options with the format's defaults filled in where the element is silent: what a
    /// document means, since a default is what netplug makes true when an attribute is left
    /// out. The endpoints, device and source ports have none (left out, they are left alone),
    /// nor has `udpcsum` (the kernel's default has changed between releases).
    pub fn with_defaults(mut self) -> Options {
        self.dstport.get_or_insert(DEFAULT_DSTPORT);
        self.ttl.get_or_insert(Ttl::Auto);
        self.tos.get_or_insert(0);
        self.ageing.get_or_insert(300);
        self.maxaddress.get_or_insert(0);
        self.flowlabel.get_or_insert(0);
        self.df.get_or_insert(0);
        for (name, default) in DEFAULT_FLAGS {
            if self.flag(name).is_none() {
                self.flags.push((name.to_string(), *default));
            }
        }
        // Table order, as read back, so descriptions and payloads do not depend on the document.
        self.flags.sort_by_key(|(n, _)| FLAGS.iter().position(|(f, _, _)| f == n));
        self
    }

    /// The value of switch `name`, when set.
    pub fn flag(&self, name: &str) -> Option<bool> {
        self.flags.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
    }

    /// Write every option set into `el`, as a document spells it.
    pub fn write(&self, el: &mut Element) {
        if let Some(id) = self.id {
            el.set_attr("id", id);
        }
        if let Some(local) = self.local {
            el.set_attr("local", local);
        }
        if let Some(remote) = self.remote {
            el.set_attr(if remote.is_multicast() { "group" } else { "remote" }, remote);
        }
        if let Some(device) = &self.device {
            el.set_attr("device", device);
        }
        if let Some(port) = self.dstport {
            el.set_attr("dstport", port);
        }
        if let Some((lo, hi)) = self.srcport {
            el.set_attr("srcport", format!("{lo}-{hi}"));
        }
        if let Some(ttl) = self.ttl {
            el.set_attr("ttl", ttl);
        }
        if let Some(tos) = self.tos {
            el.set_attr("tos", tos_text(tos));
        }
        if let Some(ageing) = self.ageing {
            el.set_attr("ageing", ageing);
        }
        if let Some(max) = self.maxaddress {
            el.set_attr("maxaddress", max);
        }
        if let Some(label) = self.flowlabel {
            el.set_attr("flowlabel", label);
        }
        if let Some(df) = self.df {
            el.set_attr("df", df_text(df));
        }
        for (name, on) in &self.flags {
            el.set_attr(name.as_str(), if *on { "yes" } else { "no" });
        }
    }
}

/// How a desired VXLAN differs from the live one: what changes in place and what makes it
/// again. What the desired one leaves out is left alone.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Differences {
    /// The options to send in one change, and their description.
    pub in_place: Options,
    pub in_place_text: Vec<String>,
    /// Why the VXLAN must be made again, if it must.
    pub recreate: Vec<String>,
}

/// Compare `want` with `have`.
pub fn differences(want: &Options, have: &Options) -> Differences {
    let mut d = Differences::default();
    fn text<T: std::fmt::Display>(name: &str, want: T, have: Option<T>) -> String {
        match have {
            Some(h) => format!("{name} {want} (was {h})"),
            None => format!("{name} {want}"),
        }
    }
    let family_changes = |w: &IpAddr, h: Option<&IpAddr>| h.is_some_and(|h| h.is_ipv4() != w.is_ipv4());
    if let Some(id) = want.id.filter(|i| have.id != Some(*i)) {
        d.recreate.push(text("id", id, have.id));
    }
    if let Some(port) = want.dstport.filter(|p| have.dstport != Some(*p)) {
        d.recreate.push(text("dstport", port, have.dstport));
    }
    if let Some(range) = want.srcport.filter(|r| have.srcport != Some(*r)) {
        let show = |(lo, hi): (u16, u16)| format!("{lo}-{hi}");
        d.recreate.push(text("srcport", show(range), have.srcport.map(show)));
    }
    if let Some(max) = want.maxaddress.filter(|m| have.maxaddress != Some(*m)) {
        d.recreate.push(text("maxaddress", max, have.maxaddress));
    }
    if let Some(remote) = want.remote.filter(|r| have.remote != Some(*r)) {
        let name = if remote.is_multicast() { "group" } else { "remote" };
        let line = text(name, remote, have.remote);
        if family_changes(&remote, have.remote.as_ref()) || have.remote.is_none() {
            // A first remote, or one of another family, is not a change `changelink` takes.
            d.recreate.push(line);
        } else {
            d.in_place.remote = Some(remote);
            d.in_place_text.push(line);
        }
    }
    if let Some(local) = want.local.filter(|l| have.local != Some(*l)) {
        let line = text("local", local, have.local);
        if family_changes(&local, have.local.as_ref()) || have.local.is_none() {
            d.recreate.push(line);
        } else {
            d.in_place.local = Some(local);
            d.in_place_text.push(line);
        }
    }
    if let Some(device) = want.device.as_ref().filter(|w| have.device.as_ref() != Some(*w)) {
        let line = text("device", device.clone(), have.device.clone());
        // A VXLAN's device is its route to the remote: the kernel moves it between devices, but
        // not onto one from none.
        if have.device.is_none() {
            d.recreate.push(line);
        } else {
            d.in_place.device = Some(device.clone());
            d.in_place_text.push(line);
        }
    }
    if let Some(ttl) = want.ttl.filter(|t| have.ttl != Some(*t)) {
        let line = text("ttl", ttl, have.ttl);
        let inherit = |t: Option<Ttl>| t == Some(Ttl::Inherit);
        if inherit(Some(ttl)) != inherit(have.ttl) {
            d.recreate.push(line);
        } else {
            d.in_place.ttl = Some(ttl);
            d.in_place_text.push(line);
        }
    }
    if let Some(tos) = want.tos.filter(|t| have.tos != Some(*t)) {
        d.in_place.tos = Some(tos);
        d.in_place_text.push(text("tos", tos_text(tos), have.tos.map(tos_text)));
    }
    if let Some(ageing) = want.ageing.filter(|a| have.ageing != Some(*a)) {
        d.in_place.ageing = Some(ageing);
        d.in_place_text.push(text("ageing", ageing, have.ageing));
    }
    if let Some(label) = want.flowlabel.filter(|l| have.flowlabel != Some(*l)) {
        d.in_place.flowlabel = Some(label);
        d.in_place_text.push(text("flowlabel", label, have.flowlabel));
    }
    if let Some(df) = want.df.filter(|v| have.df != Some(*v)) {
        d.in_place.df = Some(df);
        d.in_place_text.push(text("df", df_text(df), have.df.map(df_text)));
    }
    let yes = |v: bool| if v { "yes" } else { "no" };
    for (name, _, changeable) in FLAGS {
        let Some(on) = want.flag(name) else { continue };
        let was = have.flag(name);
        if was == Some(on) {
            continue;
        }
        let line = text(name, yes(on), was.map(yes));
        if *changeable {
            d.in_place.flags.push((name.to_string(), on));
            d.in_place_text.push(line);
        } else {
            d.recreate.push(line);
        }
    }
    d
}

/// The options of a live VXLAN from its `IFLA_INFO_DATA`; `device_name` names an ifindex.
pub fn read_data(data: Attrs<'_>, device_name: impl Fn(u32) -> Option<String>) -> Options {
    let mut o = Options::default();
    let mut ttl = None;
    let mut inherit = false;
    for a in data {
        let p = a.payload();
        match a.kind() {
            IFLA_VXLAN_ID => o.id = a.u32(),
            IFLA_VXLAN_GROUP | IFLA_VXLAN_GROUP6 => o.remote = ip(p).filter(|ip| !ip.is_unspecified()),
            IFLA_VXLAN_LOCAL | IFLA_VXLAN_LOCAL6 => o.local = ip(p).filter(|ip| !ip.is_unspecified()),
            IFLA_VXLAN_LINK => o.device = a.u32().filter(|&i| i != 0).and_then(&device_name),
            IFLA_VXLAN_PORT => o.dstport = a.be16(),
            IFLA_VXLAN_PORT_RANGE if p.len() >= 4 => {
                let (lo, hi) = (u16::from_be_bytes([p[0], p[1]]), u16::from_be_bytes([p[2], p[3]]));
                o.srcport = (lo != 0 || hi != 0).then_some((lo, hi));
            }
            IFLA_VXLAN_TTL => ttl = a.u8(),
            IFLA_VXLAN_TTL_INHERIT => inherit = p.first().is_none_or(|&b| b != 0),
            IFLA_VXLAN_TOS => o.tos = a.u8(),
            IFLA_VXLAN_AGEING => o.ageing = a.u32(),
            IFLA_VXLAN_LIMIT => o.maxaddress = a.u32(),
            IFLA_VXLAN_LABEL if p.len() == 4 => {
                o.flowlabel = Some(u32::from_be_bytes([p[0], p[1], p[2], p[3]]))
            }
            IFLA_VXLAN_DF => o.df = a.u8(),
            _ => {}
        }
    }
    o.ttl = match (inherit, ttl) {
        (true, _) => Some(Ttl::Inherit),
        (false, Some(0)) => Some(Ttl::Auto),
        (false, Some(n)) => Some(Ttl::Hops(n)),
        (false, None) => None,
    };
    for (name, kind, _) in FLAGS {
        if let Some(v) = data.get(*kind).and_then(|a| a.u8()) {
            o.flags.push((name.to_string(), v != 0));
        }
    }
    o
}

fn ip(payload: &[u8]) -> Option<IpAddr> {
    match payload.len() {
        4 => Some(IpAddr::from(<[u8; 4]>::try_from(payload).ok()?)),
        16 => Some(IpAddr::from(<[u8; 16]>::try_from(payload).ok()?)),
        _ => None,
    }
}

fn put_ip(data: &mut AttrBuilder, v4: u16, v6: u16, addr: IpAddr) {
    match addr {
        IpAddr::V4(a) => data.put(v4, &a.octets()),
        IpAddr::V6(a) => data.put(v6, &a.octets()),
    };
}

/// `IFLA_INFO_DATA` carrying `o`: for a new VXLAN every option set (and the IANA port when
/// none is), for a change only what changes in place (see the module's note). `device` is the
/// device's ifindex.
pub fn data(o: &Options, device: Option<u32>, create: bool) -> AttrBuilder {
    let mut data = AttrBuilder::new();
    if let Some(id) = o.id.filter(|_| create) {
        data.put_u32(IFLA_VXLAN_ID, id);
    }
    if let Some(remote) = o.remote {
        put_ip(&mut data, IFLA_VXLAN_GROUP, IFLA_VXLAN_GROUP6, remote);
    }
    if let Some(local) = o.local {
        put_ip(&mut data, IFLA_VXLAN_LOCAL, IFLA_VXLAN_LOCAL6, local);
    }
    if let Some(index) = device {
        data.put_u32(IFLA_VXLAN_LINK, index);
    }
    if create {
        data.put_be16(IFLA_VXLAN_PORT, o.dstport.unwrap_or(DEFAULT_DSTPORT));
        if let Some((lo, hi)) = o.srcport {
            let mut range = [0u8; 4];
            range[..2].copy_from_slice(&lo.to_be_bytes());
            range[2..].copy_from_slice(&hi.to_be_bytes());
            data.put(IFLA_VXLAN_PORT_RANGE, &range);
        }
        if let Some(max) = o.maxaddress {
            data.put_u32(IFLA_VXLAN_LIMIT, max);
        }
    }
    match o.ttl {
        Some(Ttl::Auto) => {
            data.put_u8(IFLA_VXLAN_TTL, 0);
        }
        Some(Ttl::Hops(n)) => {
            data.put_u8(IFLA_VXLAN_TTL, n);
        }
        Some(Ttl::Inherit) if create => {
            data.put_flag(IFLA_VXLAN_TTL_INHERIT);
        }
        _ => {}
    }
    if let Some(tos) = o.tos {
        data.put_u8(IFLA_VXLAN_TOS, tos);
    }
    if let Some(ageing) = o.ageing {
        data.put_u32(IFLA_VXLAN_AGEING, ageing);
    }
    if let Some(label) = o.flowlabel {
        data.put(IFLA_VXLAN_LABEL, &label.to_be_bytes());
    }
    if let Some(df) = o.df {
        data.put_u8(IFLA_VXLAN_DF, df);
    }
    for (name, kind, changeable) in FLAGS {
        if let Some(on) = o.flag(name).filter(|_| create || *changeable) {
            data.put_u8(*kind, u8::from(on));
        }
    }
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    fn el(attrs: &[(&str, &str)]) -> Element {
        let mut el = Element::new("vxlan");
        for (k, v) in attrs {
            el.set_attr(*k, *v);
        }
        el
    }

    #[test]
    fn element_options_and_back() {
        let e = el(&[
            ("id", "42"),
            ("local", "192.0.2.1"),
            ("group", "239.1.1.1"),
            ("device", "eth0"),
            ("srcport", "4000-5000"),
            ("ttl", "inherit"),
            ("tos", "inherit"),
            ("learning", "no"),
            ("udpcsum", "yes"),
        ]);
        let o = Options::of(&e).unwrap();
        assert_eq!((o.id, o.remote.unwrap().to_string()), (Some(42), "239.1.1.1".to_string()));
        assert_eq!((o.srcport, o.ttl, o.tos), (Some((4000, 5000)), Some(Ttl::Inherit), Some(1)));
        assert_eq!(o.flags, [("learning".to_string(), false), ("udpcsum".to_string(), true)]);
        let mut back = Element::new("vxlan");
        o.write(&mut back);
        assert_eq!(Options::of(&back).unwrap(), o);
        assert_eq!(back.value("group"), Some("239.1.1.1"));
        assert!(Options::of(&el(&[("ttl", "0")])).is_err());
        assert!(Options::of(&el(&[("srcport", "5000-4000")])).is_err());
    }

    #[test]
    fn what_changes_in_place_and_what_makes_it_again() {
        let have = Options::of(&el(&[
            ("id", "1"),
            ("remote", "192.0.2.2"),
            ("local", "192.0.2.1"),
            ("ttl", "64"),
            ("learning", "yes"),
            ("proxy", "no"),
            ("dstport", "4789"),
        ]))
        .unwrap();
        let want =
            Options::of(&el(&[("id", "1"), ("remote", "192.0.2.3"), ("ttl", "10"), ("learning", "no")]))
                .unwrap();
        let d = differences(&want, &have);
        assert!(d.recreate.is_empty(), "{d:?}");
        assert_eq!(
            d.in_place_text,
            ["remote 192.0.2.3 (was 192.0.2.2)", "ttl 10 (was 64)", "learning no (was yes)"]
        );
        let bytes = data(&d.in_place, None, false);
        // A change carries no fixed option, not even unchanged ones: the kernel refuses them.
        let kinds: Vec<u16> = Attrs::new(bytes.as_bytes()).map(|a| a.kind()).collect();
        assert_eq!(kinds, [IFLA_VXLAN_GROUP, IFLA_VXLAN_TTL, IFLA_VXLAN_LEARNING]);

        let want =
            Options::of(&el(&[("id", "2"), ("remote", "2001:db8::2"), ("proxy", "yes"), ("ttl", "inherit")]))
                .unwrap();
        let d = differences(&want, &have);
        assert_eq!(
            d.recreate,
            [
                "id 2 (was 1)",
                "remote 2001:db8::2 (was 192.0.2.2)",
                "ttl inherit (was 64)",
                "proxy yes (was no)"
            ]
        );
    }

    #[test]
    fn defaults_fill_what_the_element_leaves_out() {
        let o = Options::of(&el(&[("id", "1"), ("proxy", "yes")])).unwrap().with_defaults();
        assert_eq!(
            (o.dstport, o.ttl, o.tos, o.ageing, o.maxaddress),
            (Some(4789), Some(Ttl::Auto), Some(0), Some(300), Some(0))
        );
        assert_eq!(o.flag("learning"), Some(true));
        assert_eq!(o.flag("proxy"), Some(true), "what the element says stays");
        assert_eq!((o.remote, o.device.as_deref(), o.srcport, o.flag("udpcsum")), (None, None, None, None));
        assert_eq!(o.flags.first().map(|(n, _)| n.as_str()), Some("learning"), "table order");
    }

    #[test]
    fn kernel_data_reads_back_as_written() {
        let o = Options::of(&el(&[
            ("id", "7"),
            ("local", "2001:db8::1"),
            ("remote", "2001:db8::2"),
            ("dstport", "8472"),
            ("srcport", "1000-2000"),
            ("ttl", "auto"),
            ("tos", "16"),
            ("ageing", "60"),
            ("maxaddress", "100"),
            ("learning", "yes"),
            ("l2miss", "yes"),
        ]))
        .unwrap();
        let bytes = data(&o, Some(3), true);
        let back = read_data(Attrs::new(bytes.as_bytes()), |i| (i == 3).then(|| "eth0".to_string()));
        assert_eq!(back, Options { device: Some("eth0".into()), ..o.clone() });
        // The IANA port when the document names none.
        let bytes = data(&Options { dstport: None, ..o }, None, true);
        assert_eq!(Attrs::new(bytes.as_bytes()).get(IFLA_VXLAN_PORT).and_then(|a| a.be16()), Some(4789));
    }
}
