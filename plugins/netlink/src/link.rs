//! Links: the `RTM_NEWLINK`/`RTM_DELLINK` builders and the `RTM_GETLINK` reader.

use std::fmt;

use neli::consts::nl::NlmF;

use crate::attr::{AttrBuilder, Attrs};
use crate::consts::*;
use crate::error::Error;
use crate::message::{Message, Messages, Request};
use crate::socket::Socket;

/// Size of `struct ifinfomsg`.
pub const IFINFOMSG_LEN: usize = 16;

/// `struct ifinfomsg`: family, type, index, flags, change.
fn ifinfomsg(index: u32, flags: u32, change: u32) -> [u8; IFINFOMSG_LEN] {
    let mut h = [0u8; IFINFOMSG_LEN];
    h[0] = libc::AF_UNSPEC as u8;
    h[4..8].copy_from_slice(&index.to_ne_bytes());
    h[8..12].copy_from_slice(&flags.to_ne_bytes());
    h[12..16].copy_from_slice(&change.to_ne_bytes());
    h
}

/// Builds an `RTM_NEWLINK` that creates a link or changes an existing one.
///
/// Only what is set is sent; everything else keeps the kernel's value. The kind's own
/// attributes go in [`LinkMessage::info_data`] (inside `IFLA_LINKINFO`/`IFLA_INFO_DATA`).
///
/// ```
/// use netplug_netlink::{AttrBuilder, LinkMessage};
/// # use linux_raw_sys::netlink::IFLA_BR_STP_STATE;
/// let mut br = AttrBuilder::new();
/// br.put_u32(IFLA_BR_STP_STATE as u16, 1);
/// let create = LinkMessage::create("br0", "bridge").info_data(br).mtu(9000).up().build();
/// let enslave = LinkMessage::change(7).master(5).build();
/// assert_eq!(enslave.op(), "set master 5");
/// ```
#[derive(Clone, Debug)]
pub struct LinkMessage {
    flags: NlmF,
    index: u32,
    ifi_flags: u32,
    ifi_change: u32,
    attrs: AttrBuilder,
    kind: Option<String>,
    info_data: Option<AttrBuilder>,
    slave_data: Option<AttrBuilder>,
    op: Vec<String>,
}

impl LinkMessage {
    fn blank(flags: NlmF, index: u32, op: String) -> Self {
        LinkMessage {
            flags,
            index,
            ifi_flags: 0,
            ifi_change: 0,
            attrs: AttrBuilder::new(),
            kind: None,
            info_data: None,
            slave_data: None,
            op: vec![op],
        }
    }

    /// Creates link `name` of `kind` (`bridge`, `bond`, `vlan`, `veth` …); fails with
    /// `EEXIST` if it exists.
    pub fn create(name: &str, kind: &str) -> Self {
        let mut m = LinkMessage::blank(NlmF::CREATE | NlmF::EXCL, 0, format!("create {kind}"));
        m.attrs.put_str(IFLA_IFNAME, name);
        m.kind = Some(kind.to_string());
        m
    }

    /// Changes the existing link with this index.
    pub fn change(index: u32) -> Self {
        let mut m = LinkMessage::blank(NlmF::empty(), index, String::new());
        m.op.clear();
        m
    }

    /// Changes the existing link called `name` (the kernel looks it up by `IFLA_IFNAME`).
    pub fn change_by_name(name: &str) -> Self {
        let mut m = LinkMessage::change(0);
        m.attrs.put_str(IFLA_IFNAME, name);
        m
    }

    pub fn mtu(mut self, mtu: u32) -> Self {
        self.attrs.put_u32(IFLA_MTU, mtu);
        self.op.push(format!("set mtu {mtu}"));
        self
    }

    /// Sets the hardware address (6 bytes for Ethernet).
    pub fn address(mut self, mac: &[u8]) -> Self {
        self.attrs.put(IFLA_ADDRESS, mac);
        self.op.push(format!("set address {}", format_mac(mac)));
        self
    }

    /// Sets the administrative state: up (`IFF_UP` in `ifi_flags`) or down; `ifi_change`
    /// limits the change to that one flag.
    pub fn admin_up(mut self, up: bool) -> Self {
        if up {
            self.ifi_flags |= IFF_UP;
        } else {
            self.ifi_flags &= !IFF_UP;
        }
        self.ifi_change |= IFF_UP;
        self.op.push(if up { "set up" } else { "set down" }.to_string());
        self
    }

    pub fn up(self) -> Self {
        self.admin_up(true)
    }

    pub fn down(self) -> Self {
        self.admin_up(false)
    }

    /// Enslaves the link to the bridge or bond with this index.
    pub fn master(mut self, master: u32) -> Self {
        self.attrs.put_u32(IFLA_MASTER, master);
        self.op.push(format!("set master {master}"));
        self
    }

    /// Releases the link from its master (`IFLA_MASTER` = 0).
    pub fn nomaster(mut self) -> Self {
        self.attrs.put_u32(IFLA_MASTER, 0);
        self.op.push("set nomaster".to_string());
        self
    }

    /// Renames a link found by index.
    pub fn rename(mut self, name: &str) -> Self {
        self.attrs.put_str(IFLA_IFNAME, name);
        self.op.push(format!("rename to {name}"));
        self
    }

    /// The lower device (`IFLA_LINK`), e.g. a VLAN's parent.
    pub fn parent(mut self, index: u32) -> Self {
        self.attrs.put_u32(IFLA_LINK, index);
        self
    }

    pub fn txqlen(mut self, len: u32) -> Self {
        self.attrs.put_u32(IFLA_TXQLEN, len);
        self.op.push(format!("set txqlen {len}"));
        self
    }

    /// The kind, needed when changing kind data of an existing link (the kernel picks the
    /// `changelink` of that kind and refuses a mismatch with `EOPNOTSUPP`).
    pub fn kind(mut self, kind: &str) -> Self {
        self.kind = Some(kind.to_string());
        self
    }

    /// The kind's attributes (`IFLA_BR_*`, `IFLA_BOND_*`, `IFLA_VLAN_*` …), sent nested in
    /// `IFLA_LINKINFO`/`IFLA_INFO_DATA`.
    pub fn info_data(mut self, data: AttrBuilder) -> Self {
        if self.op.is_empty() {
            self.op.push(format!("set {} options", self.kind.as_deref().unwrap_or("link")));
        }
        self.info_data = Some(data);
        self
    }

    /// Port options for the master (`IFLA_BRPORT_*`, `IFLA_BOND_SLAVE_*`), sent in
    /// `IFLA_LINKINFO`/`IFLA_INFO_SLAVE_DATA`.
    pub fn slave_data(mut self, data: AttrBuilder) -> Self {
        self.op.push("set port options".to_string());
        self.slave_data = Some(data);
        self
    }

    /// For `veth`: the peer's name (`VETH_INFO_PEER`: an `ifinfomsg` and `IFLA_IFNAME`).
    pub fn veth_peer(self, name: &str) -> Self {
        let mut data = AttrBuilder::new();
        data.nested(VETH_INFO_PEER, |b| {
            b.put_raw(&ifinfomsg(0, 0, 0));
            b.put_str(IFLA_IFNAME, name);
        });
        self.info_data(data)
    }

    /// Any other top-level attribute.
    pub fn attr(mut self, f: impl FnOnce(&mut AttrBuilder)) -> Self {
        f(&mut self.attrs);
        self
    }

    pub fn build(self) -> Request {
        let mut b = AttrBuilder::with_header(&ifinfomsg(self.index, self.ifi_flags, self.ifi_change));
        b.append(&self.attrs);
        if self.kind.is_some() || self.info_data.is_some() || self.slave_data.is_some() {
            b.nested(IFLA_LINKINFO, |b| {
                if let Some(kind) = &self.kind {
                    b.put_str(IFLA_INFO_KIND, kind);
                }
                if let Some(data) = &self.info_data {
                    b.nested(IFLA_INFO_DATA, |b| {
                        b.append(data);
                    });
                }
                if let Some(data) = &self.slave_data {
                    b.nested(IFLA_INFO_SLAVE_DATA, |b| {
                        b.append(data);
                    });
                }
            });
        }
        let op = if self.op.is_empty() { "change link".to_string() } else { self.op.join(", ") };
        Request::new(RTM_NEWLINK, self.flags, b.into_bytes(), op)
    }
}

/// Deletes the link with this index.
pub fn delete_link(index: u32) -> Request {
    Request::new(RTM_DELLINK, NlmF::empty(), ifinfomsg(index, 0, 0).to_vec(), "delete link")
}

/// Operational state (`IFLA_OPERSTATE`, RFC 2863), as in `/sys/class/net/*/operstate`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OperState {
    #[default]
    Unknown,
    NotPresent,
    Down,
    LowerLayerDown,
    Testing,
    Dormant,
    Up,
    Other(u8),
}

impl From<u8> for OperState {
    fn from(v: u8) -> Self {
        match v {
            0 => OperState::Unknown,
            1 => OperState::NotPresent,
            2 => OperState::Down,
            3 => OperState::LowerLayerDown,
            4 => OperState::Testing,
            5 => OperState::Dormant,
            6 => OperState::Up,
            v => OperState::Other(v),
        }
    }
}

impl fmt::Display for OperState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OperState::Unknown => f.write_str("unknown"),
            OperState::NotPresent => f.write_str("notpresent"),
            OperState::Down => f.write_str("down"),
            OperState::LowerLayerDown => f.write_str("lowerlayerdown"),
            OperState::Testing => f.write_str("testing"),
            OperState::Dormant => f.write_str("dormant"),
            OperState::Up => f.write_str("up"),
            OperState::Other(v) => write!(f, "{v}"),
        }
    }
}

/// A link as the kernel reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Link {
    pub index: u32,
    pub name: String,
    /// `ARPHRD_*` (1 = Ethernet, 772 = loopback).
    pub link_type: u16,
    /// `IFF_*` flags; see [`Link::is_up`], [`Link::is_lower_up`].
    pub flags: u32,
    pub mtu: Option<u32>,
    pub min_mtu: Option<u32>,
    pub max_mtu: Option<u32>,
    pub address: Option<Vec<u8>>,
    /// The burnt-in address (`IFLA_PERM_ADDRESS`, Linux 5.5+), for NICs that have one.
    pub permanent_address: Option<Vec<u8>>,
    /// Index of the bridge or bond this link is a port of.
    pub master: Option<u32>,
    /// `IFLA_LINK`: the lower device (a VLAN's parent, a veth's peer). Omitted when it is the
    /// link itself, as the kernel reports for plain devices.
    pub parent: Option<u32>,
    /// When set, `parent` lives in the namespace with this id, not in ours.
    pub link_netnsid: Option<i32>,
    pub operstate: OperState,
    /// `IFLA_INFO_KIND`: `bridge`, `bond`, `vlan`, `veth` …; `None` for physical NICs.
    pub kind: Option<String>,
    /// Raw `IFLA_INFO_DATA` of the kind; parse with [`Link::info_data`].
    pub info_data: Option<Vec<u8>>,
    /// `IFLA_INFO_SLAVE_KIND`: the master's kind (`bridge`, `bond`) for ports.
    pub slave_kind: Option<String>,
    /// Raw `IFLA_INFO_SLAVE_DATA` (`IFLA_BRPORT_*`, `IFLA_BOND_SLAVE_*`).
    pub slave_data: Option<Vec<u8>>,
}

impl Link {
    /// Administratively up (`IFF_UP`).
    pub fn is_up(&self) -> bool {
        self.flags & IFF_UP != 0
    }

    /// Carrier present (`IFF_LOWER_UP`).
    pub fn is_lower_up(&self) -> bool {
        self.flags & IFF_LOWER_UP != 0
    }

    /// The kind's attributes, e.g. `IFLA_BR_STP_STATE` for a bridge.
    pub fn info_data(&self) -> Attrs<'_> {
        Attrs::new(self.info_data.as_deref().unwrap_or(&[]))
    }

    /// The port's attributes as its master reports them.
    pub fn slave_data(&self) -> Attrs<'_> {
        Attrs::new(self.slave_data.as_deref().unwrap_or(&[]))
    }

    /// Parses an `RTM_NEWLINK` message (a dump entry or a GET reply).
    pub fn parse(msg: &Message<'_>) -> Option<Link> {
        if msg.msg_type != RTM_NEWLINK || msg.payload.len() < IFINFOMSG_LEN {
            return None;
        }
        let p = msg.payload;
        let mut link = Link {
            link_type: u16::from_ne_bytes([p[2], p[3]]),
            index: u32::from_ne_bytes([p[4], p[5], p[6], p[7]]),
            flags: u32::from_ne_bytes([p[8], p[9], p[10], p[11]]),
            ..Link::default()
        };
        for a in msg.attrs(IFINFOMSG_LEN) {
            match a.kind() {
                IFLA_IFNAME => link.name = a.str().unwrap_or_default().to_string(),
                IFLA_MTU => link.mtu = a.u32(),
                IFLA_MIN_MTU => link.min_mtu = a.u32(),
                IFLA_MAX_MTU => link.max_mtu = a.u32(),
                IFLA_ADDRESS => link.address = Some(a.payload().to_vec()),
                IFLA_PERM_ADDRESS => link.permanent_address = Some(a.payload().to_vec()),
                IFLA_MASTER => link.master = a.u32().filter(|&m| m != 0),
                IFLA_LINK => link.parent = a.u32(),
                IFLA_LINK_NETNSID => link.link_netnsid = a.i32(),
                IFLA_OPERSTATE => link.operstate = a.u8().map(OperState::from).unwrap_or_default(),
                IFLA_LINKINFO => {
                    for i in a.nested() {
                        match i.kind() {
                            IFLA_INFO_KIND => link.kind = i.str().map(str::to_string),
                            IFLA_INFO_DATA => link.info_data = Some(i.payload().to_vec()),
                            IFLA_INFO_SLAVE_KIND => link.slave_kind = i.str().map(str::to_string),
                            IFLA_INFO_SLAVE_DATA => link.slave_data = Some(i.payload().to_vec()),
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        if link.parent == Some(link.index) && link.link_netnsid.is_none() {
            link.parent = None;
        }
        Some(link)
    }
}

/// `RTM_GETLINK` header and the mask that leaves statistics out (they are most of a link
/// message and nobody here reads them).
fn getlink(index: u32) -> AttrBuilder {
    let mut b = AttrBuilder::with_header(&ifinfomsg(index, 0, 0));
    b.put_u32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
    b
}

impl Socket {
    /// All links in the namespace (one `RTM_GETLINK` dump).
    pub fn dump_links(&mut self) -> Result<Vec<Link>, Error> {
        let req = Request::new(RTM_GETLINK, NlmF::empty(), getlink(0).into_bytes(), "dump links");
        self.dump(req, |msg| Ok(Link::parse(msg)))
    }

    /// The messages of one `dump_links`, unparsed: each `nlmsghdr` and payload as the kernel
    /// sent it, back to back, for [`parse_links`] here or in another plugin (a read pass
    /// shares one dump among plugins; see the SDK's `share` module).
    pub fn dump_links_raw(&mut self) -> Result<Vec<u8>, Error> {
        let req = Request::new(RTM_GETLINK, NlmF::empty(), getlink(0).into_bytes(), "dump links");
        self.dump_raw(req, |msg| msg.msg_type == RTM_NEWLINK)
    }

    /// The link with this index, or `None` if there is none.
    pub fn link_by_index(&mut self, index: u32) -> Result<Option<Link>, Error> {
        self.get_link(getlink(index), "get link")
    }

    /// The link called `name`, or `None` if there is none.
    pub fn link_by_name(&mut self, name: &str) -> Result<Option<Link>, Error> {
        let mut b = getlink(0);
        b.put_str(IFLA_IFNAME, name);
        self.get_link(b, "get link")
    }

    fn get_link(&mut self, b: AttrBuilder, op: &str) -> Result<Option<Link>, Error> {
        let mut link = None;
        let req = Request::new(RTM_GETLINK, NlmF::empty(), b.into_bytes(), op);
        match self.request_with_replies(req, |msg| {
            link = Link::parse(msg);
            Ok(())
        }) {
            Ok(()) => Ok(link),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// The links in the bytes of a [`Socket::dump_links_raw`]; a malformed tail is ignored.
pub fn parse_links(raw: &[u8]) -> Vec<Link> {
    Messages::new(raw).map_while(Result::ok).filter_map(|m| Link::parse(&m)).collect()
}

/// `aa:bb:cc:dd:ee:ff`, lower case, as iproute2 prints it.
pub fn format_mac(mac: &[u8]) -> String {
    let mut s = String::with_capacity(mac.len() * 3);
    for (i, b) in mac.iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// Parses `aa:bb:cc:dd:ee:ff` (or `-` separated, any case) into bytes.
pub fn parse_mac(s: &str) -> Option<Vec<u8>> {
    let parts: Vec<&str> = s.split([':', '-']).collect();
    if parts.len() < 2 || parts.iter().any(|p| p.len() != 2) {
        return None;
    }
    parts.iter().map(|p| u8::from_str_radix(p, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_bridge_bytes() {
        let mut br = AttrBuilder::new();
        br.put_u32(linux_raw_sys::netlink::IFLA_BR_STP_STATE as u16, 1);
        let req = LinkMessage::create("br0", "bridge").info_data(br).up().build();
        assert_eq!(req.op(), "create bridge, set up");
        #[rustfmt::skip]
        let expected: Vec<u8> = [
            &[0u8, 0, 0, 0][..],                         // ifinfomsg: AF_UNSPEC, pad, type 0
            &0u32.to_ne_bytes(),                         //   ifi_index 0: the kernel picks
            &1u32.to_ne_bytes(), &1u32.to_ne_bytes(),    //   ifi_flags = ifi_change = IFF_UP
            &[8, 0, 3, 0], b"br0\0",                     // IFLA_IFNAME "br0"
            &[28, 0, 18, 0x80],                          // IFLA_LINKINFO | NLA_F_NESTED
            &[11, 0, 1, 0], b"bridge\0", &[0],           //   IFLA_INFO_KIND "bridge" + pad
            &[12, 0, 2, 0x80],                           //   IFLA_INFO_DATA | NLA_F_NESTED
            &[8, 0, 5, 0], &1u32.to_ne_bytes(),          //     IFLA_BR_STP_STATE 1
        ]
        .concat();
        assert_eq!(req.payload(), &expected[..]);
        assert_eq!(u16::from(req.flags()), 0x600); // NLM_F_CREATE | NLM_F_EXCL
    }

    #[test]
    fn change_ops_describe_the_change() {
        assert_eq!(LinkMessage::change(3).mtu(100).build().op(), "set mtu 100");
        assert_eq!(LinkMessage::change(3).down().nomaster().build().op(), "set down, set nomaster");
        let veth = LinkMessage::create("v0", "veth").veth_peer("v1").build();
        assert_eq!(veth.op(), "create veth");
    }

    #[test]
    fn mac_round_trip() {
        let mac = parse_mac("02:AB:cd:00:01:ff").unwrap();
        assert_eq!(mac, vec![2, 0xab, 0xcd, 0, 1, 0xff]);
        assert_eq!(format_mac(&mac), "02:ab:cd:00:01:ff");
        assert!(parse_mac("02:ab").is_some());
        assert!(parse_mac("zz:00").is_none());
        assert!(parse_mac("0:1:2").is_none());
    }
}
