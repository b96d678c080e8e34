//! Routes: the `RTM_NEWROUTE`/`RTM_DELROUTE` builder and the `RTM_GETROUTE` reader.

use std::fmt;
use std::net::IpAddr;

use neli::consts::nl::NlmF;

use crate::addr::Family;
use crate::attr::{AttrBuilder, Attrs};
use crate::consts::*;
use crate::error::Error;
use crate::message::{Message, Op, Request};
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
    rtm_flags: u32,
    rtax: Vec<(u16, u32)>,
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
            rtm_flags: 0,
            rtax: Vec::new(),
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

    /// Adds the route even if others with the same key exist (`NLM_F_CREATE` alone, iproute2's
    /// `ip route prepend`): IPv4 puts it before them, IPv6 makes it a multipath sibling of
    /// routes via a gateway with the same metric.
    pub fn create(dst: IpAddr, dst_len: u8) -> Self {
        RouteMessage::new(RTM_NEWROUTE, NlmF::CREATE, dst, dst_len, "add")
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

    /// Use the gateway even though no subnet of the output interface contains it
    /// (`RTNH_F_ONLINK` in `rtm_flags`; needs [`RouteMessage::oif`]).
    pub fn onlink(mut self) -> Self {
        self.rtm_flags |= RTNH_F_ONLINK;
        self
    }

    /// A route metric (`RTAX_*` inside `RTA_METRICS`), e.g. `RTAX_MTU`.
    pub fn rtax(mut self, kind: u16, value: u32) -> Self {
        self.rtax.push((kind, value));
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
        h[8..12].copy_from_slice(&self.rtm_flags.to_ne_bytes());
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
        if !self.rtax.is_empty() {
            b.nested(RTA_METRICS, |m| {
                for &(kind, value) in &self.rtax {
                    m.put_u32(kind, value);
                }
            });
        }
        let op = Op::Route {
            verb: self.verb,
            dst: self.dst,
            dst_len: self.dst_len,
            gateway: self.gateway,
            table: self.table,
        };
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
    /// `rtnh_flags`: `RTNH_F_ONLINK`, and state bits such as `RTNH_F_LINKDOWN`.
    pub flags: u32,
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
    /// `RTA_METRICS`: the route's `RTAX_*` values that are set.
    pub rtax: Vec<(u16, u32)>,
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
            rtax: Vec::new(),
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
                RTA_METRICS => r.rtax = a.nested().filter_map(|m| Some((m.kind(), m.u32()?))).collect(),
                _ => {}
            }
        }
        Some(r)
    }
}

impl Route {
    /// The value of route metric `kind` (`RTAX_*`), if set.
    pub fn rtax(&self, kind: u16) -> Option<u32> {
        self.rtax.iter().find(|(k, _)| *k == kind).map(|(_, v)| *v)
    }

    /// Each next hop of the route: the one its header and attributes describe, or every
    /// member of `RTA_MULTIPATH` (IPv6 reports siblings with the same metric that way; they
    /// are separate routes to the kernel, deleted one by one by gateway and device).
    pub fn hops(&self) -> Vec<NextHop> {
        if self.multipath.is_empty() {
            return vec![NextHop {
                oif: self.oif.unwrap_or(0),
                gateway: self.gateway,
                weight: 1,
                flags: self.flags,
            }];
        }
        self.multipath.clone()
    }
}

/// What a filtered route dump asks for; `None` matches anything.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RouteFilter {
    pub table: Option<u32>,
    /// `rtm_protocol`, e.g. [`RTPROT_NETPLUG`].
    pub protocol: Option<u8>,
    pub kind: Option<RouteType>,
}

impl RouteFilter {
    fn matches(&self, r: &Route) -> bool {
        self.table.is_none_or(|t| r.table == t)
            && self.protocol.is_none_or(|p| r.protocol == p)
            && self.kind.is_none_or(|k| r.kind == k)
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
        hops.push(NextHop { oif, gateway, weight: buf[3] as u16 + 1, flags: u32::from(buf[2]) });
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

impl Socket {
    /// The routes of `family` that match `filter`, from one `RTM_GETROUTE` dump that the
    /// kernel filters itself: with strict checking (`NETLINK_GET_STRICT_CHK`, Linux 4.20+,
    /// which [`Socket::route`] turns on) it sends only the routes of that table, protocol and
    /// type, so reading netplug's dozen routes beside a full BGP table costs the kernel one
    /// walk and this process a dozen messages. Older kernels send everything and the filter is
    /// applied here. Cached clones are left out.
    ///
    /// An IPv4 table that does not exist yet yields no routes (the kernel refuses the dump
    /// with `ENOENT`).
    pub fn dump_routes_filtered(
        &mut self,
        family: Family,
        filter: &RouteFilter,
    ) -> Result<Vec<Route>, Error> {
        let mut h = [0u8; RTMSG_LEN];
        h[0] = family.af();
        h[5] = filter.protocol.unwrap_or(0);
        h[7] = filter.kind.map_or(0, u8::from);
        if let Some(t) = filter.table {
            h[4] = if t < 256 { t as u8 } else { RT_TABLE_UNSPEC as u8 };
        }
        let mut b = AttrBuilder::with_header(&h);
        if let Some(t) = filter.table {
            b.put_u32(RTA_TABLE, t);
        }
        let req = Request::new(RTM_GETROUTE, NlmF::empty(), b.into_bytes(), "dump routes");
        let result = self.dump(req, |msg| {
            Ok(Route::parse(msg).filter(|r| r.flags & RTM_F_CLONED == 0 && filter.matches(r)))
        });
        match result {
            Err(e) if filter.table.is_some() && e.errno == Some(libc::ENOENT) => Ok(Vec::new()),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_link_route_bytes() {
        let req = RouteMessage::add("10.9.0.0".parse().unwrap(), 16).oif(4).metric(50).table(100).build();
        assert_eq!(req.op(), "add route 10.9.0.0/16 table 100");
        let via = RouteMessage::delete("2001:db8::".parse().unwrap(), 32).gateway("fe80::1".parse().unwrap());
        assert_eq!(via.build().op(), "delete route 2001:db8::/32 via fe80::1");
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
    fn unreachable_route_with_a_metric_attribute() {
        let req = RouteMessage::add("10.3.0.0".parse().unwrap(), 16)
            .kind(RouteType::Unreachable)
            .metric(0)
            .rtax(RTAX_INITRWND, 0xdead_beef)
            .build();
        #[rustfmt::skip]
        let expected: Vec<u8> = [
            &[libc::AF_INET as u8, 16, 0, 0][..],           // rtmsg: family, dst_len, src_len, tos
            &[254, RTPROT_NETPLUG, RT_SCOPE_UNIVERSE, 7],   //   main, protocol, scope, RTN_UNREACHABLE
            &0u32.to_ne_bytes(),                            //   rtm_flags
            &[8, 0, 1, 0], &[10, 3, 0, 0],                  // RTA_DST
            &[8, 0, 15, 0], &254u32.to_ne_bytes(),          // RTA_TABLE
            &[8, 0, 6, 0], &0u32.to_ne_bytes(),             // RTA_PRIORITY
            &[12, 0, 8, 0x80],                              // RTA_METRICS | NLA_F_NESTED
            &[8, 0, 14, 0], &0xdead_beefu32.to_ne_bytes(),  //   RTAX_INITRWND
        ]
        .concat();
        assert_eq!(req.payload(), &expected[..]);
    }

    #[test]
    fn onlink_and_create_without_excl() {
        let req = RouteMessage::create("10.8.0.0".parse().unwrap(), 16)
            .gateway("192.0.2.1".parse().unwrap())
            .oif(3)
            .onlink()
            .build();
        assert_eq!(req.flags(), NlmF::CREATE);
        assert_eq!(req.payload()[6], RT_SCOPE_UNIVERSE, "a gateway route is universe-scoped");
        assert_eq!(u32::from_ne_bytes(req.payload()[8..12].try_into().unwrap()), RTNH_F_ONLINK);
    }

    #[test]
    fn multipath_hops_keep_their_flags() {
        #[rustfmt::skip]
        let buf: Vec<u8> = [
            &16u16.to_ne_bytes()[..], &[RTNH_F_ONLINK as u8, 0], &7u32.to_ne_bytes(), // rtnexthop
            &[8, 0, 5, 0], &[192, 0, 2, 1],                                            // RTA_GATEWAY
            &8u16.to_ne_bytes()[..], &[0, 1], &9u32.to_ne_bytes(),                     // no gateway, hops 1
        ]
        .concat();
        let hops = parse_multipath(&buf);
        assert_eq!(hops.len(), 2);
        assert_eq!(
            (hops[0].oif, hops[0].flags, hops[0].gateway),
            (7, RTNH_F_ONLINK, Some("192.0.2.1".parse().unwrap()))
        );
        assert_eq!((hops[1].oif, hops[1].weight, hops[1].gateway), (9, 2, None));
    }

    #[test]
    fn filter_matches_what_the_kernel_would_send() {
        let f = RouteFilter { protocol: Some(RTPROT_NETPLUG), table: Some(100), kind: None };
        let mut r = Route {
            family: Family::V4,
            dst: None,
            dst_len: 0,
            table: 100,
            protocol: RTPROT_NETPLUG,
            scope: 0,
            kind: RouteType::Unicast,
            flags: 0,
            gateway: None,
            oif: Some(2),
            priority: None,
            prefsrc: None,
            multipath: Vec::new(),
            rtax: Vec::new(),
        };
        assert!(f.matches(&r));
        assert_eq!(r.hops()[0].oif, 2);
        r.protocol = RTPROT_BOOT;
        assert!(!f.matches(&r));
    }

    #[test]
    fn route_type_round_trip() {
        for t in [RouteType::Unicast, RouteType::Unreachable, RouteType::Blackhole, RouteType::Other(77)] {
            assert_eq!(RouteType::from(u8::from(t)), t);
        }
        assert_eq!(RouteType::Prohibit.to_string(), "prohibit");
    }
}
