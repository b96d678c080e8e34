//! Routes: the `RTM_NEWROUTE`/`RTM_DELROUTE` builder and the `RTM_GETROUTE` reader.

use std::fmt;
use std::net::IpAddr;

use neli::consts::nl::NlmF;

use crate::addr::Family;
use crate::attr::{AttrBuilder, Attrs};
use crate::consts::*;
use crate::error::Error;
use crate::message::{Message, Request};
use crate::socket::Socket;

/// Size of `struct rtmsg`.
pub const RTMSG_LEN: usize = 12;
/// Size of `struct rtnexthop`.
const RTNH_LEN: usize = 8;

/// `rtm_type`: what the kernel does with packets matching the route (`RTN_*`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RouteType {
    #[default]
    Unicast,
    Local,
    Broadcast,
    Anycast,
    Multicast,
    Blackhole,
    Unreachable,
    Prohibit,
    Throw,
    Other(u8),
}

impl From<u8> for RouteType {
    fn from(v: u8) -> Self {
        use linux_raw_sys::netlink as nl;
        match v as u32 {
            x if x == nl::RTN_UNICAST as u32 => RouteType::Unicast,
            x if x == nl::RTN_LOCAL as u32 => RouteType::Local,
            x if x == nl::RTN_BROADCAST as u32 => RouteType::Broadcast,
            x if x == nl::RTN_ANYCAST as u32 => RouteType::Anycast,
            x if x == nl::RTN_MULTICAST as u32 => RouteType::Multicast,
            x if x == nl::RTN_BLACKHOLE as u32 => RouteType::Blackhole,
            x if x == nl::RTN_UNREACHABLE as u32 => RouteType::Unreachable,
            x if x == nl::RTN_PROHIBIT as u32 => RouteType::Prohibit,
            x if x == nl::RTN_THROW as u32 => RouteType::Throw,
            _ => RouteType::Other(v),
        }
    }
}

impl From<RouteType> for u8 {
    fn from(t: RouteType) -> u8 {
        use linux_raw_sys::netlink as nl;
        (match t {
            RouteType::Unicast => nl::RTN_UNICAST,
            RouteType::Local => nl::RTN_LOCAL,
            RouteType::Broadcast => nl::RTN_BROADCAST,
            RouteType::Anycast => nl::RTN_ANYCAST,
            RouteType::Multicast => nl::RTN_MULTICAST,
            RouteType::Blackhole => nl::RTN_BLACKHOLE,
            RouteType::Unreachable => nl::RTN_UNREACHABLE,
            RouteType::Prohibit => nl::RTN_PROHIBIT,
            RouteType::Throw => nl::RTN_THROW,
            RouteType::Other(v) => return v,
        }) as u8
    }
}

impl fmt::Display for RouteType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RouteType::Unicast => "unicast",
            RouteType::Local => "local",
            RouteType::Broadcast => "broadcast",
            RouteType::Anycast => "anycast",
            RouteType::Multicast => "multicast",
            RouteType::Blackhole => "blackhole",
            RouteType::Unreachable => "unreachable",
            RouteType::Prohibit => "prohibit",
            RouteType::Throw => "throw",
            RouteType::Other(v) => return write!(f, "{v}"),
        })
    }
}

/// Builds an `RTM_NEWROUTE`/`RTM_DELROUTE`.
///
/// Defaults for add/replace follow iproute2: table main, type unicast, protocol
/// [`RTPROT_NETPLUG`], scope link for a unicast route without gateway (on-link), host for
/// local, universe otherwise. A delete matches any protocol, scope and type unless set.
#[derive(Clone, Debug)]
pub struct RouteMessage {
    msg_type: u16,
    flags: NlmF,
    dst: IpAddr,
    dst_len: u8,
    gateway: Option<IpAddr>,
    oif: Option<u32>,
    metric: Option<u32>,
    table: u32,
    protocol: Option<u8>,
    kind: Option<RouteType>,
    scope: Option<u8>,
    prefsrc: Option<IpAddr>,
    verb: &'static str,
}

impl RouteMessage {
    fn new(msg_type: u16, flags: NlmF, dst: IpAddr, dst_len: u8, verb: &'static str) -> Self {
        RouteMessage {
            msg_type,
            flags,
            dst,
            dst_len,
            gateway: None,
            oif: None,
            metric: None,
            table: RT_TABLE_MAIN,
            protocol: None,
            kind: None,
            scope: None,
            prefsrc: None,
            verb,
        }
    }

    /// Adds a route to `dst/dst_len` (`0.0.0.0/0` or `::/0` for a default route); `EEXIST`
    /// if one with the same key (prefix, metric, table …) exists.
    pub fn add(dst: IpAddr, dst_len: u8) -> Self {
        RouteMessage::new(RTM_NEWROUTE, NlmF::CREATE | NlmF::EXCL, dst, dst_len, "add")
    }

    /// Adds the route or replaces the one with the same key.
    pub fn replace(dst: IpAddr, dst_len: u8) -> Self {
        RouteMessage::new(RTM_NEWROUTE, NlmF::CREATE | NlmF::REPLACE, dst, dst_len, "replace")
    }

    /// Deletes the route; set gateway, oif, metric etc. to pick one of several.
    pub fn delete(dst: IpAddr, dst_len: u8) -> Self {
        RouteMessage::new(RTM_DELROUTE, NlmF::empty(), dst, dst_len, "delete")
    }

    pub fn gateway(mut self, gateway: IpAddr) -> Self {
        self.gateway = Some(gateway);
        self
    }

    /// The output interface (`RTA_OIF`).
    pub fn oif(mut self, index: u32) -> Self {
        self.oif = Some(index);
        self
    }

    /// The metric (`RTA_PRIORITY`); the kernel's default is 0 for IPv4, 1024 for IPv6.
    pub fn metric(mut self, metric: u32) -> Self {
        self.metric = Some(metric);
        self
    }

    /// The routing table; ids above 255 go in `RTA_TABLE` only.
    pub fn table(mut self, table: u32) -> Self {
        self.table = table;
        self
    }

    pub fn protocol(mut self, protocol: u8) -> Self {
        self.protocol = Some(protocol);
        self
    }

    pub fn kind(mut self, kind: RouteType) -> Self {
        self.kind = Some(kind);
        self
    }

    /// `RT_SCOPE_*`; see the defaults above.
    pub fn scope(mut self, scope: u8) -> Self {
        self.scope = Some(scope);
        self
    }

    /// The preferred source address (`RTA_PREFSRC`).
    pub fn prefsrc(mut self, src: IpAddr) -> Self {
        self.prefsrc = Some(src);
        self
    }

    pub fn build(self) -> Request {
        let delete = self.msg_type == RTM_DELROUTE;
        let kind = self.kind.unwrap_or(if delete { RouteType::Other(0) } else { RouteType::Unicast });
        let scope = self.scope.unwrap_or(match kind {
            _ if delete => RT_SCOPE_NOWHERE, // "any scope" to fib_table_delete
            RouteType::Local => RT_SCOPE_HOST,
            RouteType::Unicast if self.gateway.is_none() => RT_SCOPE_LINK,
            RouteType::Broadcast | RouteType::Multicast | RouteType::Anycast => RT_SCOPE_LINK,
            _ => RT_SCOPE_UNIVERSE,
        });
        let protocol = self.protocol.unwrap_or(if delete { 0 } else { RTPROT_NETPLUG });
        let mut h = [0u8; RTMSG_LEN];
        h[0] = Family::of(&self.dst).af();
        h[1] = self.dst_len;
        h[4] = if self.table < 256 { self.table as u8 } else { RT_TABLE_UNSPEC as u8 };
        h[5] = protocol;
        h[6] = scope;
        h[7] = kind.into();
        let mut b = AttrBuilder::with_header(&h);
        if self.dst_len > 0 {
            b.put_ip(RTA_DST, self.dst);
        }
        b.put_u32(RTA_TABLE, self.table);
        if let Some(gw) = self.gateway {
            b.put_ip(RTA_GATEWAY, gw);
        }
        if let Some(oif) = self.oif {
            b.put_u32(RTA_OIF, oif);
        }
        if let Some(metric) = self.metric {
            b.put_u32(RTA_PRIORITY, metric);
        }
        if let Some(src) = self.prefsrc {
            b.put_ip(RTA_PREFSRC, src);
        }
        let mut op = format!("{} route {}/{}", self.verb, self.dst, self.dst_len);
        if let Some(gw) = self.gateway {
            op.push_str(&format!(" via {gw}"));
        }
        if self.table != RT_TABLE_MAIN {
            op.push_str(&format!(" table {}", self.table));
        }
        Request::new(self.msg_type, self.flags, b.into_bytes(), op)
    }
}

/// One next hop of a multipath route (`RTA_MULTIPATH`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NextHop {
    pub oif: u32,
    pub gateway: Option<IpAddr>,
    /// `rtnh_hops + 1`, as `ip route` shows it.
    pub weight: u16,
}

/// A route as the kernel reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub family: Family,
    /// `None` for a default route (`dst_len` 0).
    pub dst: Option<IpAddr>,
    pub dst_len: u8,
    pub table: u32,
    pub protocol: u8,
    pub scope: u8,
    pub kind: RouteType,
    /// `RTM_F_*`.
    pub flags: u32,
    pub gateway: Option<IpAddr>,
    pub oif: Option<u32>,
    /// `RTA_PRIORITY`, the metric.
    pub priority: Option<u32>,
    pub prefsrc: Option<IpAddr>,
    pub multipath: Vec<NextHop>,
}

impl Route {
    /// Parses an `RTM_NEWROUTE` message.
    pub fn parse(msg: &Message<'_>) -> Option<Route> {
        if msg.msg_type != RTM_NEWROUTE || msg.payload.len() < RTMSG_LEN {
            return None;
        }
        let p = msg.payload;
        let family = match p[0] as i32 {
            libc::AF_INET => Family::V4,
            libc::AF_INET6 => Family::V6,
            _ => return None,
        };
        let mut r = Route {
            family,
            dst: None,
            dst_len: p[1],
            table: p[4] as u32,
            protocol: p[5],
            scope: p[6],
            kind: RouteType::from(p[7]),
            flags: u32::from_ne_bytes([p[8], p[9], p[10], p[11]]),
            gateway: None,
            oif: None,
            priority: None,
            prefsrc: None,
            multipath: Vec::new(),
        };
        for a in msg.attrs(RTMSG_LEN) {
            match a.kind() {
                RTA_DST => r.dst = a.ip(),
                RTA_TABLE => r.table = a.u32().unwrap_or(r.table),
                RTA_GATEWAY => r.gateway = a.ip(),
                RTA_OIF => r.oif = a.u32(),
                RTA_PRIORITY => r.priority = a.u32(),
                RTA_PREFSRC => r.prefsrc = a.ip(),
                RTA_MULTIPATH => r.multipath = parse_multipath(a.payload()),
                _ => {}
            }
        }
        Some(r)
    }
}

/// `RTA_MULTIPATH`: a packed array of `struct rtnexthop` each followed by its attributes.
fn parse_multipath(mut buf: &[u8]) -> Vec<NextHop> {
    let mut hops = Vec::new();
    while buf.len() >= RTNH_LEN {
        let len = u16::from_ne_bytes([buf[0], buf[1]]) as usize;
        if len < RTNH_LEN || len > buf.len() {
            break;
        }
        let oif = u32::from_ne_bytes([buf[4], buf[5], buf[6], buf[7]]);
        let gateway = Attrs::new(&buf[RTNH_LEN..len]).get(RTA_GATEWAY).and_then(|a| a.ip());
        hops.push(NextHop { oif, gateway, weight: buf[3] as u16 + 1 });
        buf = buf.get(crate::attr::align(len)..).unwrap_or(&[]);
    }
    hops
}

impl Socket {
    /// The routes of `family` in `table` (all tables for `None`), from one `RTM_GETROUTE`
    /// dump. Cached clones (`RTM_F_CLONED`, IPv6 exceptions) are left out.
    pub fn dump_routes(&mut self, family: Family, table: Option<u32>) -> Result<Vec<Route>, Error> {
        let mut h = [0u8; RTMSG_LEN];
        h[0] = family.af();
        let mut b = AttrBuilder::new();
        if let Some(t) = table {
            // With strict checking the kernel filters by table itself; without, we do below.
            h[4] = if t < 256 { t as u8 } else { RT_TABLE_UNSPEC as u8 };
            b.put_u32(RTA_TABLE, t);
        }
        let mut payload = AttrBuilder::with_header(&h);
        payload.append(&b);
        let req = Request::new(RTM_GETROUTE, NlmF::empty(), payload.into_bytes(), "dump routes");
        self.dump(req, |msg| {
            Ok(Route::parse(msg)
                .filter(|r| r.flags & RTM_F_CLONED == 0 && table.is_none_or(|t| r.table == t)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_link_route_bytes() {
        let req = RouteMessage::add("10.9.0.0".parse().unwrap(), 16).oif(4).metric(50).table(100).build();
        assert_eq!(req.op(), "add route 10.9.0.0/16 table 100");
        #[rustfmt::skip]
        let expected: Vec<u8> = [
            &[libc::AF_INET as u8, 16, 0, 0][..],     // rtmsg: family, dst_len, src_len, tos
            &[100, RTPROT_NETPLUG, RT_SCOPE_LINK, 1], //   table, protocol, scope (on-link), RTN_UNICAST
            &0u32.to_ne_bytes(),                      //   rtm_flags
            &[8, 0, 1, 0], &[10, 9, 0, 0],            // RTA_DST
            &[8, 0, 15, 0], &100u32.to_ne_bytes(),    // RTA_TABLE
            &[8, 0, 4, 0], &4u32.to_ne_bytes(),       // RTA_OIF
            &[8, 0, 6, 0], &50u32.to_ne_bytes(),      // RTA_PRIORITY
        ]
        .concat();
        assert_eq!(req.payload(), &expected[..]);
    }

    #[test]
    fn delete_matches_anything_unset() {
        let req = RouteMessage::delete("10.0.0.0".parse().unwrap(), 8).table(1000).build();
        let p = req.payload();
        assert_eq!((p[4], p[5], p[6], p[7]), (0, 0, RT_SCOPE_NOWHERE, 0));
    }

    #[test]
    fn route_type_round_trip() {
        for t in [RouteType::Unicast, RouteType::Unreachable, RouteType::Blackhole, RouteType::Other(77)] {
            assert_eq!(RouteType::from(u8::from(t)), t);
        }
        assert_eq!(RouteType::Prohibit.to_string(), "prohibit");
    }
}
