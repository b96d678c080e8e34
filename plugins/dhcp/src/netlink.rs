//! The netlink messages this plugin builds: the leased address marked `IFA_PROTO` 178, routes
//! marked `RTPROT_DHCP`, and an address dump that keeps each address's `IFA_PROTO`.
//!
//! The marks are what make removal safe: an address is deleted only if it still carries 178,
//! a route delete names `RTPROT_DHCP` (the kernel matches the protocol on delete), so neither
//! the static plugin's addresses (176) nor `<route>`s (176, 177) are ever touched, and they
//! never touch ours.

use std::net::{IpAddr, Ipv6Addr};

use netplug_plugin_sdk::netlink::consts::{IFA_PROTO, IFA_PROTO_NETPLUG_DHCP, RTPROT_DHCP, RT_SCOPE_LINK};
use netplug_plugin_sdk::netlink::uapi::IFA_F_DADFAILED;
use netplug_plugin_sdk::netlink::NlmF;
use netplug_plugin_sdk::netlink::IFADDRMSG_LEN;
use netplug_plugin_sdk::netlink::{
    AddrMessage, Address, AttrBuilder, Error, Family, Request, RouteMessage, Socket,
};

use crate::state::AppliedRoute;

/// The metric of routes from a lease, systemd-networkd's for DHCP: a static route (metric 0)
/// to the same destination wins, and neither is refused for the other's existence.
pub const ROUTE_METRIC: u32 = 1024;

/// An address with the mark of who added it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Addr {
    pub index: u32,
    pub ip: IpAddr,
    pub prefix_len: u8,
    /// `IFA_PROTO`; 0 when the adder did not say.
    pub proto: u8,
    pub scope: u8,
    pub flags: u32,
}

impl Addr {
    pub fn is_ours(&self) -> bool {
        self.proto == IFA_PROTO_NETPLUG_DHCP
    }

    pub fn is_tentative(&self) -> bool {
        self.flags & netplug_plugin_sdk::netlink::uapi::IFA_F_TENTATIVE != 0
    }
}

/// Every address of `family` with its `IFA_PROTO` (one dump).
pub fn dump_addrs(sock: &mut Socket, family: Family) -> Result<Vec<Addr>, Error> {
    let mut h = [0u8; IFADDRMSG_LEN];
    h[0] = family.af();
    let req = Request::new(
        netplug_plugin_sdk::netlink::consts::RTM_GETADDR,
        NlmF::empty(),
        h.to_vec(),
        "dump addresses",
    );
    sock.dump(req, |msg| {
        let Some(a) = Address::parse(msg) else { return Ok(None) };
        let Some(ip) = a.ip() else { return Ok(None) };
        let proto = msg.attrs(IFADDRMSG_LEN).get(IFA_PROTO).and_then(|p| p.u8()).unwrap_or(0);
        Ok(Some(Addr { index: a.index, ip, prefix_len: a.prefix_len, proto, scope: a.scope, flags: a.flags }))
    })
}

/// The interface's usable IPv6 link-local address, where DHCPv6 speaks from: `Some(None)` while
/// duplicate address detection still runs on it, `None` when there is none.
pub fn link_local(addrs: &[Addr], index: u32) -> Option<Option<Ipv6Addr>> {
    let mut tentative = false;
    for a in addrs.iter().filter(|a| a.index == index && a.scope == RT_SCOPE_LINK) {
        let IpAddr::V6(ip) = a.ip else { continue };
        if a.flags & IFA_F_DADFAILED != 0 {
            continue;
        }
        if !a.is_tentative() {
            return Some(Some(ip));
        }
        tentative = true;
    }
    tentative.then_some(None)
}

/// Append `IFA_PROTO` = 178 to an address request.
fn marked(req: Request) -> Request {
    let mut attrs = AttrBuilder::new();
    attrs.put_u8(IFA_PROTO, IFA_PROTO_NETPLUG_DHCP);
    let mut payload = req.payload().to_vec();
    payload.extend_from_slice(attrs.as_bytes());
    Request::new(req.msg_type(), req.flags(), payload, req.op())
}

/// Add the leased address with its lifetimes (seconds; `u32::MAX` is forever), so the kernel
/// itself drops it if nobody renews the lease.
pub fn add_address(index: u32, ip: IpAddr, prefix_len: u8, valid: u32, preferred: u32) -> Request {
    let mut msg = AddrMessage::add(index, ip, prefix_len).lifetimes(valid, preferred.min(valid));
    if let IpAddr::V4(v4) = ip {
        if let Some(brd) = AddrMessage::v4_broadcast(v4, prefix_len) {
            msg = msg.broadcast(brd);
        }
    }
    marked(msg.build())
}

/// The leased address again with a renewed lease's lifetimes: `NLM_F_REPLACE` updates them in
/// place, so the address (and the routes through it) never goes away during a renewal.
pub fn refresh_address(index: u32, ip: IpAddr, prefix_len: u8, valid: u32, preferred: u32) -> Request {
    let mut msg = AddrMessage::replace(index, ip, prefix_len).lifetimes(valid, preferred.min(valid));
    if let IpAddr::V4(v4) = ip {
        if let Some(brd) = AddrMessage::v4_broadcast(v4, prefix_len) {
            msg = msg.broadcast(brd);
        }
    }
    marked(msg.build())
}

pub fn delete_address(index: u32, ip: IpAddr, prefix_len: u8) -> Request {
    AddrMessage::delete(index, ip, prefix_len).build()
}

/// Add a route from the lease. `NLM_F_APPEND` rather than `EXCL`: two DHCP interfaces may both
/// be given a default route with the same metric, and both are kept (the first one wins).
pub fn add_route(index: u32, route: &AppliedRoute, src: IpAddr) -> Request {
    let mut msg = RouteMessage::add(route.dst, route.dst_len)
        .oif(index)
        .metric(route.metric)
        .protocol(RTPROT_DHCP)
        .prefsrc(src);
    if let Some(gw) = route.gateway {
        msg = msg.gateway(gw);
    }
    let req = msg.build();
    Request::new(req.msg_type(), NlmF::CREATE | NlmF::APPEND, req.payload().to_vec(), req.op())
}

/// Delete a route from the lease; only a route with protocol `RTPROT_DHCP` matches.
pub fn delete_route(index: u32, route: &AppliedRoute) -> Request {
    let mut msg =
        RouteMessage::delete(route.dst, route.dst_len).oif(index).metric(route.metric).protocol(RTPROT_DHCP);
    if let Some(gw) = route.gateway {
        msg = msg.gateway(gw);
    }
    msg.build()
}

/// Send `req`, treating "it is not there" as done: removal is idempotent.
pub fn remove(sock: &mut Socket, req: Request) -> Result<(), Error> {
    match sock.request(req) {
        Err(e) if e.is_not_found() || e.errno == Some(libc::EADDRNOTAVAIL) => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leased_address_bytes() {
        let req = add_address(3, "192.0.2.50".parse().unwrap(), 24, 120, 120);
        assert_eq!(req.op(), "add address 192.0.2.50/24");
        #[rustfmt::skip]
        let expected: Vec<u8> = [
            &[libc::AF_INET as u8, 24, 0, 0][..],   // ifaddrmsg: family, prefix, flags, scope
            &3u32.to_ne_bytes(),                    //   ifa_index
            &[8, 0, 2, 0], &[192, 0, 2, 50],        // IFA_LOCAL
            &[8, 0, 1, 0], &[192, 0, 2, 50],        // IFA_ADDRESS
            &[8, 0, 4, 0], &[192, 0, 2, 255],       // IFA_BROADCAST
            &[20, 0, 6, 0],                         // IFA_CACHEINFO
            &120u32.to_ne_bytes(), &120u32.to_ne_bytes(), &[0; 8], // preferred, valid, stamps
            &[5, 0, 11, 0], &[178, 0, 0, 0],        // IFA_PROTO 178, padded
        ]
        .concat();
        assert_eq!(req.payload(), &expected[..]);
    }

    #[test]
    fn a_refresh_replaces_in_place_with_the_mark() {
        let add = add_address(3, "192.0.2.50".parse().unwrap(), 24, 120, 120);
        let refresh = refresh_address(3, "192.0.2.50".parse().unwrap(), 24, 120, 120);
        assert_eq!(refresh.flags(), NlmF::CREATE | NlmF::REPLACE);
        assert_eq!(refresh.payload(), add.payload(), "the same address, lifetimes and mark");
    }

    #[test]
    fn routes_append_with_the_dhcp_protocol() {
        let r = AppliedRoute {
            dst: "0.0.0.0".parse().unwrap(),
            dst_len: 0,
            gateway: Some("192.0.2.1".parse().unwrap()),
            metric: ROUTE_METRIC,
        };
        let add = add_route(3, &r, "192.0.2.50".parse().unwrap());
        assert_eq!(add.flags(), NlmF::CREATE | NlmF::APPEND);
        assert_eq!(add.payload()[5], RTPROT_DHCP);
        assert_eq!(delete_route(3, &r).payload()[5], RTPROT_DHCP, "a delete matches only DHCP routes");
        assert_eq!(add.op(), "add route 0.0.0.0/0 via 192.0.2.1");
    }
}
