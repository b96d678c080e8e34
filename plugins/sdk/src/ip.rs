//! IP addresses, prefixes and netmasks as the format writes them, for every plugin that
//! configures layer 3 (`static`, `route`, a bond's ARP targets).
//!
//! The parsers return messages meant to follow "invalid ATTRIBUTE `VALUE`: ", so a plugin
//! passes them straight to [`crate::schema::bad_value`].

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// An address with a prefix length: `192.168.0.5/24` (a host address on a subnet) or
/// `10.0.0.0/8` (a destination). Host bits are kept; [`Prefix::network`] clears them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Prefix {
    pub addr: IpAddr,
    pub len: u8,
}

/// The longest prefix of an address's family: 32 or 128.
pub fn max_len(addr: &IpAddr) -> u8 {
    match addr {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    }
}

/// `IPv4` or `IPv6`, for messages.
pub fn family(addr: &IpAddr) -> &'static str {
    match addr {
        IpAddr::V4(_) => "IPv4",
        IpAddr::V6(_) => "IPv6",
    }
}

/// Parse a bare address (no prefix length).
pub fn parse_addr(text: &str) -> Result<IpAddr, String> {
    let t = text.trim();
    if t.contains('/') {
        return Err("expected an address without a prefix length".into());
    }
    t.parse().map_err(|_| "not an IPv4 or IPv6 address".to_string())
}

/// Parse `ADDR` or `ADDR/LEN`; the length is `None` when absent.
pub fn parse_cidr(text: &str) -> Result<(IpAddr, Option<u8>), String> {
    let t = text.trim();
    let (a, l) = match t.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (t, None),
    };
    let addr: IpAddr = a.parse().map_err(|_| format!("`{a}` is not an IPv4 or IPv6 address"))?;
    let Some(l) = l else { return Ok((addr, None)) };
    let max = max_len(&addr);
    match l.parse::<u32>() {
        Ok(n) if n <= u32::from(max) => Ok((addr, Some(n as u8))),
        Ok(n) => Err(format!("prefix length {n} is out of range for {} (0-{max})", family(&addr))),
        Err(_) => Err(format!("`{l}` is not a prefix length")),
    }
}

/// Turn a dotted IPv4 netmask into a prefix length; the ones must be contiguous.
pub fn netmask_to_len(text: &str) -> Result<u8, String> {
    let t = text.trim();
    let mask: Ipv4Addr = t.parse().map_err(|_| format!("`{t}` is not a dotted IPv4 netmask"))?;
    let bits = u32::from(mask);
    let len = bits.leading_ones();
    if bits.checked_shl(len).unwrap_or(0) != 0 {
        return Err(format!("{t} is not a contiguous netmask"));
    }
    Ok(len as u8)
}

/// The dotted netmask of an IPv4 prefix length (`24` → `255.255.255.0`).
pub fn len_to_netmask(len: u8) -> Ipv4Addr {
    Ipv4Addr::from(u32::MAX.checked_shl(32 - u32::from(len.min(32))).unwrap_or(0))
}

/// Why an address cannot be a host's own address or a next hop, if it cannot.
pub fn special_address(addr: &IpAddr) -> Option<&'static str> {
    if addr.is_unspecified() {
        Some("the unspecified address")
    } else if addr.is_loopback() {
        Some("a loopback address")
    } else if addr.is_multicast() {
        Some("a multicast address")
    } else if *addr == IpAddr::V4(Ipv4Addr::BROADCAST) {
        Some("the limited broadcast address")
    } else {
        None
    }
}

impl Prefix {
    /// A prefix; `len` must not exceed the family's maximum.
    pub fn new(addr: IpAddr, len: u8) -> Option<Self> {
        (len <= max_len(&addr)).then_some(Prefix { addr, len })
    }

    /// Parse `ADDR/LEN`, or `ADDR` alone as a host prefix (/32, /128) as iproute2 does.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (addr, len) = parse_cidr(text)?;
        Ok(Prefix { addr, len: len.unwrap_or_else(|| max_len(&addr)) })
    }

    pub fn is_ipv4(&self) -> bool {
        self.addr.is_ipv4()
    }

    fn mask(&self) -> u128 {
        let width = u32::from(max_len(&self.addr));
        let ones = u128::MAX.checked_shl(128 - u32::from(self.len)).unwrap_or(0);
        ones >> (128 - width)
    }

    fn bits(addr: &IpAddr) -> u128 {
        match addr {
            IpAddr::V4(a) => u128::from(u32::from(*a)),
            IpAddr::V6(a) => u128::from(*a),
        }
    }

    fn with_bits(&self, bits: u128) -> IpAddr {
        match self.addr {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::from(bits as u32)),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::from(bits)),
        }
    }

    /// The subnet's first address (host bits cleared).
    pub fn network(&self) -> IpAddr {
        self.with_bits(Self::bits(&self.addr) & self.mask())
    }

    /// The subnet itself: `192.168.0.5/24` → `192.168.0.0/24`.
    pub fn subnet(&self) -> Prefix {
        Prefix { addr: self.network(), len: self.len }
    }

    /// The subnet's last address (all host bits set): the broadcast address for IPv4.
    pub fn last(&self) -> IpAddr {
        let width_ones = match self.addr {
            IpAddr::V4(_) => u128::from(u32::MAX),
            IpAddr::V6(_) => u128::MAX,
        };
        self.with_bits(Self::bits(&self.addr) | (!self.mask() & width_ones))
    }

    /// True when the address has bits set beyond the prefix length.
    pub fn has_host_bits(&self) -> bool {
        self.addr != self.network()
    }

    /// True when `addr` is of the same family and inside this subnet.
    pub fn contains(&self, addr: &IpAddr) -> bool {
        addr.is_ipv4() == self.addr.is_ipv4() && Self::bits(addr) & self.mask() == Self::bits(&self.network())
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Prefix {
        Prefix::parse(s).unwrap()
    }

    #[test]
    fn cidr_parsing() {
        assert_eq!(parse_cidr("192.168.0.5/24"), Ok(("192.168.0.5".parse().unwrap(), Some(24))));
        assert_eq!(parse_cidr("2001:db8::1"), Ok(("2001:db8::1".parse().unwrap(), None)));
        assert_eq!(
            parse_cidr("10.0.0.1/33").unwrap_err(),
            "prefix length 33 is out of range for IPv4 (0-32)"
        );
        assert_eq!(parse_cidr("::/129").unwrap_err(), "prefix length 129 is out of range for IPv6 (0-128)");
        assert_eq!(parse_cidr("10.0.0.256").unwrap_err(), "`10.0.0.256` is not an IPv4 or IPv6 address");
        assert_eq!(parse_cidr("10.0.0.0/x").unwrap_err(), "`x` is not a prefix length");
        assert_eq!(p("10.0.0.1").len, 32);
    }

    #[test]
    fn netmasks() {
        assert_eq!(netmask_to_len("255.255.255.0"), Ok(24));
        assert_eq!(netmask_to_len("0.0.0.0"), Ok(0));
        assert_eq!(netmask_to_len("255.255.255.255"), Ok(32));
        assert_eq!(netmask_to_len("255.255.0.255").unwrap_err(), "255.255.0.255 is not a contiguous netmask");
        assert!(netmask_to_len("24").is_err());
        assert_eq!(len_to_netmask(20), Ipv4Addr::new(255, 255, 240, 0));
        assert_eq!(len_to_netmask(0), Ipv4Addr::UNSPECIFIED);
    }

    #[test]
    fn subnets() {
        let a = p("192.168.0.5/24");
        assert_eq!(a.subnet().to_string(), "192.168.0.0/24");
        assert_eq!(a.last().to_string(), "192.168.0.255");
        assert!(a.has_host_bits());
        assert!(a.contains(&"192.168.0.1".parse().unwrap()));
        assert!(!a.contains(&"192.168.1.1".parse().unwrap()));
        assert!(!a.contains(&"::1".parse().unwrap()));
        assert!(p("0.0.0.0/0").contains(&"8.8.8.8".parse().unwrap()));
        let b = p("2001:db8:c::5/64");
        assert_eq!(b.subnet().to_string(), "2001:db8:c::/64");
        assert!(b.contains(&"2001:db8:c::1".parse().unwrap()));
        assert!(!p("10.0.0.0/8").has_host_bits());
    }

    #[test]
    fn special_addresses() {
        assert!(special_address(&"0.0.0.0".parse().unwrap()).is_some());
        assert!(special_address(&"127.0.0.2".parse().unwrap()).is_some());
        assert!(special_address(&"224.0.0.1".parse().unwrap()).is_some());
        assert!(special_address(&"255.255.255.255".parse().unwrap()).is_some());
        assert!(special_address(&"ff02::1".parse().unwrap()).is_some());
        assert!(special_address(&"fe80::1".parse().unwrap()).is_none());
    }
}
