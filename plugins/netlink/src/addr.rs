//! IP addresses: the `RTM_NEWADDR`/`RTM_DELADDR` builder and the `RTM_GETADDR` reader.

use std::net::{IpAddr, Ipv4Addr};

use neli::consts::nl::NlmF;

use crate::attr::AttrBuilder;
use crate::consts::*;
use crate::error::Error;
use crate::message::{Message, Request};
use crate::socket::Socket;

/// Size of `struct ifaddrmsg`.
pub const IFADDRMSG_LEN: usize = 8;
/// Lifetime meaning "forever" (`INFINITY_LIFE_TIME`, include/net/addrconf.h).
pub const INFINITY_LIFE_TIME: u32 = u32::MAX;

/// Which address family a dump covers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Family {
    #[default]
    All,
    V4,
    V6,
}

impl Family {
    /// The `AF_*` value for message headers (`AF_UNSPEC` for all).
    pub fn af(self) -> u8 {
        match self {
            Family::All => libc::AF_UNSPEC as u8,
            Family::V4 => libc::AF_INET as u8,
            Family::V6 => libc::AF_INET6 as u8,
        }
    }

    pub fn of(ip: &IpAddr) -> Family {
        if ip.is_ipv4() {
            Family::V4
        } else {
            Family::V6
        }
    }
}

/// Builds an `RTM_NEWADDR`/`RTM_DELADDR` for one address on one interface.
///
/// The kernel's defaults stay unless set: duplicate address detection runs (pass
/// `IFA_F_NODAD` in [`AddrMessage::flags`] to skip it), lifetimes are infinite, no broadcast
/// address is set (the kernel does not compute one; see [`AddrMessage::v4_broadcast`]).
#[derive(Clone, Debug)]
pub struct AddrMessage {
    msg_type: u16,
    flags: NlmF,
    index: u32,
    address: IpAddr,
    prefix_len: u8,
    peer: Option<IpAddr>,
    broadcast: Option<Ipv4Addr>,
    label: Option<String>,
    ifa_flags: u32,
    scope: u8,
    lifetimes: Option<(u32, u32)>,
    proto: Option<u8>,
    verb: &'static str,
}

impl AddrMessage {
    fn new(
        msg_type: u16,
        flags: NlmF,
        index: u32,
        address: IpAddr,
        prefix_len: u8,
        verb: &'static str,
    ) -> Self {
        AddrMessage {
            msg_type,
            flags,
            index,
            address,
            prefix_len,
            peer: None,
            broadcast: None,
            label: None,
            ifa_flags: 0,
            scope: RT_SCOPE_UNIVERSE,
            lifetimes: None,
            proto: None,
            verb,
        }
    }

    /// Adds `address/prefix_len` to the interface; `EEXIST` if it is there.
    pub fn add(index: u32, address: IpAddr, prefix_len: u8) -> Self {
        AddrMessage::new(RTM_NEWADDR, NlmF::CREATE | NlmF::EXCL, index, address, prefix_len, "add")
    }

    /// Adds the address or updates it in place (flags, lifetimes), e.g. on a DHCP renewal.
    pub fn replace(index: u32, address: IpAddr, prefix_len: u8) -> Self {
        AddrMessage::new(RTM_NEWADDR, NlmF::CREATE | NlmF::REPLACE, index, address, prefix_len, "replace")
    }

    /// Removes the address.
    pub fn delete(index: u32, address: IpAddr, prefix_len: u8) -> Self {
        AddrMessage::new(RTM_DELADDR, NlmF::empty(), index, address, prefix_len, "delete")
    }

    /// The IPv4 broadcast address (`IFA_BROADCAST`).
    pub fn broadcast(mut self, broadcast: Ipv4Addr) -> Self {
        self.broadcast = Some(broadcast);
        self
    }

    /// The peer of a point-to-point address (`IFA_ADDRESS` differing from `IFA_LOCAL`).
    pub fn peer(mut self, peer: IpAddr) -> Self {
        self.peer = Some(peer);
        self
    }

    /// The IPv4 label (`IFA_LABEL`), `eth0:1` style; must start with the interface name.
    pub fn label(mut self, label: &str) -> Self {
        self.label = Some(label.to_string());
        self
    }

    /// `IFA_F_*` flags (`IFA_F_NODAD`, `IFA_F_NOPREFIXROUTE`, `IFA_F_MANAGETEMPADDR` …).
    pub fn flags(mut self, flags: u32) -> Self {
        self.ifa_flags = flags;
        self
    }

    pub fn scope(mut self, scope: u8) -> Self {
        self.scope = scope;
        self
    }

    /// Valid and preferred lifetimes in seconds (`IFA_CACHEINFO`), for leased addresses.
    pub fn lifetimes(mut self, valid: u32, preferred: u32) -> Self {
        self.lifetimes = Some((valid, preferred));
        self
    }

    /// Who added the address (`IFA_PROTO`, Linux 5.18+), e.g.
    /// [`IFA_PROTO_NETPLUG`](crate::consts::IFA_PROTO_NETPLUG); older kernels ignore it. A
    /// replace updates the mark of an existing address.
    pub fn proto(mut self, proto: u8) -> Self {
        self.proto = Some(proto);
        self
    }

    /// The conventional broadcast of an IPv4 network: all host bits set (none for /31, /32).
    pub fn v4_broadcast(address: Ipv4Addr, prefix_len: u8) -> Option<Ipv4Addr> {
        if prefix_len >= 31 {
            return None;
        }
        let host_mask = u32::MAX >> prefix_len;
        Some(Ipv4Addr::from(u32::from(address) | host_mask))
    }

    pub fn build(self) -> Request {
        let mut h = [0u8; IFADDRMSG_LEN];
        h[0] = Family::of(&self.address).af();
        h[1] = self.prefix_len;
        h[2] = self.ifa_flags as u8; // older kernels read only these 8 bits
        h[3] = self.scope;
        h[4..8].copy_from_slice(&self.index.to_ne_bytes());
        let mut b = AttrBuilder::with_header(&h);
        // As iproute2 does: IFA_LOCAL is the address, IFA_ADDRESS the peer or the address again.
        b.put_ip(IFA_LOCAL, self.address);
        b.put_ip(IFA_ADDRESS, self.peer.unwrap_or(self.address));
        if let Some(brd) = self.broadcast {
            b.put_ip(IFA_BROADCAST, IpAddr::V4(brd));
        }
        if let Some(label) = &self.label {
            b.put_str(IFA_LABEL, label);
        }
        if self.ifa_flags != 0 {
            b.put_u32(IFA_FLAGS, self.ifa_flags);
        }
        if let Some((valid, preferred)) = self.lifetimes {
            // struct ifa_cacheinfo { ifa_prefered, ifa_valid, cstamp, tstamp }; the kernel
            // reads only the first two.
            let mut ci = [0u8; 16];
            ci[0..4].copy_from_slice(&preferred.to_ne_bytes());
            ci[4..8].copy_from_slice(&valid.to_ne_bytes());
            b.put(IFA_CACHEINFO, &ci);
        }
        if let Some(proto) = self.proto {
            b.put_u8(IFA_PROTO, proto);
        }
        let op = format!("{} address {}/{}", self.verb, self.address, self.prefix_len);
        Request::new(self.msg_type, self.flags, b.into_bytes(), op)
    }
}

/// An address as the kernel reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Address {
    pub index: u32,
    pub family: Family,
    pub prefix_len: u8,
    /// `IFA_F_*`, from `IFA_FLAGS` when present (it holds the bits above 8).
    pub flags: u32,
    pub scope: u8,
    /// `IFA_LOCAL`: the address itself (IPv4 always; IPv6 only point-to-point).
    pub local: Option<IpAddr>,
    /// `IFA_ADDRESS`: the address (IPv6) or the peer (IPv4 point-to-point).
    pub address: Option<IpAddr>,
    pub broadcast: Option<Ipv4Addr>,
    pub label: Option<String>,
    /// Seconds; [`INFINITY_LIFE_TIME`] for permanent addresses.
    pub valid_lifetime: Option<u32>,
    pub preferred_lifetime: Option<u32>,
    /// `IFA_PROTO`: who added the address (`IFAPROT_KERNEL_LL` for the kernel's link-local
    /// address, [`IFA_PROTO_NETPLUG`](crate::consts::IFA_PROTO_NETPLUG) for netplug's);
    /// `None` when the kernel predates it or the address carries none (added by hand).
    pub proto: Option<u8>,
}

impl Address {
    /// The interface's own address: `IFA_LOCAL` if present, else `IFA_ADDRESS`.
    pub fn ip(&self) -> Option<IpAddr> {
        self.local.or(self.address)
    }

    /// Still running duplicate address detection (`IFA_F_TENTATIVE`).
    pub fn is_tentative(&self) -> bool {
        self.flags & linux_raw_sys::netlink::IFA_F_TENTATIVE != 0
    }

    /// An IPv4 address that is not the first of its subnet on its interface
    /// (`IFA_F_SECONDARY`): deleting that first one deletes it too, unless the
    /// `promote_secondaries` sysctl is set.
    pub fn is_secondary(&self) -> bool {
        self.flags & linux_raw_sys::netlink::IFA_F_SECONDARY != 0
    }

    /// Parses an `RTM_NEWADDR` message.
    pub fn parse(msg: &Message<'_>) -> Option<Address> {
        if msg.msg_type != RTM_NEWADDR || msg.payload.len() < IFADDRMSG_LEN {
            return None;
        }
        let p = msg.payload;
        let family = match p[0] as i32 {
            libc::AF_INET => Family::V4,
            libc::AF_INET6 => Family::V6,
            _ => return None,
        };
        let mut a = Address {
            index: u32::from_ne_bytes([p[4], p[5], p[6], p[7]]),
            family,
            prefix_len: p[1],
            flags: p[2] as u32,
            scope: p[3],
            local: None,
            address: None,
            broadcast: None,
            label: None,
            valid_lifetime: None,
            preferred_lifetime: None,
            proto: None,
        };
        for attr in msg.attrs(IFADDRMSG_LEN) {
            match attr.kind() {
                IFA_LOCAL => a.local = attr.ip(),
                IFA_ADDRESS => a.address = attr.ip(),
                IFA_BROADCAST => {
                    a.broadcast = match attr.ip() {
                        Some(IpAddr::V4(v4)) => Some(v4),
                        _ => None,
                    }
                }
                IFA_LABEL => a.label = attr.str().map(str::to_string),
                IFA_FLAGS => a.flags = attr.u32().unwrap_or(a.flags),
                IFA_PROTO => a.proto = attr.u8(),
                IFA_CACHEINFO => {
                    let ci = attr.payload();
                    if ci.len() >= 8 {
                        a.preferred_lifetime = Some(u32::from_ne_bytes([ci[0], ci[1], ci[2], ci[3]]));
                        a.valid_lifetime = Some(u32::from_ne_bytes([ci[4], ci[5], ci[6], ci[7]]));
                    }
                }
                _ => {}
            }
        }
        Some(a)
    }
}

impl Socket {
    /// All addresses of `family` on every interface (one `RTM_GETADDR` dump).
    pub fn dump_addrs(&mut self, family: Family) -> Result<Vec<Address>, Error> {
        let mut h = [0u8; IFADDRMSG_LEN];
        h[0] = family.af();
        let req = Request::new(RTM_GETADDR, NlmF::empty(), h.to_vec(), "dump addresses");
        self.dump(req, |msg| Ok(Address::parse(msg)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_v4_bytes() {
        let req = AddrMessage::add(5, "192.0.2.1".parse().unwrap(), 24)
            .broadcast("192.0.2.255".parse().unwrap())
            .build();
        assert_eq!(req.op(), "add address 192.0.2.1/24");
        #[rustfmt::skip]
        let expected: Vec<u8> = [
            &[libc::AF_INET as u8, 24, 0, 0][..],   // ifaddrmsg: family, prefix, flags, scope
            &5u32.to_ne_bytes(),                    //   ifa_index
            &[8, 0, 2, 0], &[192, 0, 2, 1],         // IFA_LOCAL
            &[8, 0, 1, 0], &[192, 0, 2, 1],         // IFA_ADDRESS (no peer: the address)
            &[8, 0, 4, 0], &[192, 0, 2, 255],       // IFA_BROADCAST
        ]
        .concat();
        assert_eq!(req.payload(), &expected[..]);
    }

    #[test]
    fn add_v6_with_owner_and_flags_bytes() {
        let nodad = linux_raw_sys::netlink::IFA_F_NODAD;
        let req = AddrMessage::replace(2, "2001:db8::1".parse().unwrap(), 64).flags(nodad).proto(176).build();
        assert_eq!(req.flags(), NlmF::CREATE | NlmF::REPLACE);
        let p = req.payload();
        assert_eq!(&p[..4], &[libc::AF_INET6 as u8, 64, nodad as u8, 0]);
        #[rustfmt::skip]
        let tail: Vec<u8> = [
            &[8, 0, 8, 0][..], &nodad.to_ne_bytes(),  // IFA_FLAGS
            &[5, 0, 11, 0, 176, 0, 0, 0],             // IFA_PROTO, padded
        ]
        .concat();
        assert_eq!(&p[p.len() - tail.len()..], &tail[..]);
    }

    #[test]
    fn broadcast_of_prefix() {
        let b = |a: &str, l| AddrMessage::v4_broadcast(a.parse().unwrap(), l);
        assert_eq!(b("10.1.2.3", 8), Some("10.255.255.255".parse().unwrap()));
        assert_eq!(b("10.1.2.3", 0), Some("255.255.255.255".parse().unwrap()));
        assert_eq!(b("10.1.2.3", 31), None);
    }
}
