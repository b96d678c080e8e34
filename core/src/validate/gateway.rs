//! The gateway check: every next hop should lie inside some subnet an interface in these
//! documents is on, else the kernel refuses the route ("Nexthop has invalid gateway").
//!
//! Subnets are indexed by prefix length, so each gateway costs one hash lookup per distinct
//! length rather than one comparison per subnet.

use std::collections::HashSet;
use std::net::IpAddr;

use netplug_plugin_sdk::{Diagnostic, Nexthop, Subnet};

/// An address as (is IPv6, bits) so both families share one table.
type Bits = (bool, u128);

fn bits(addr: IpAddr) -> Bits {
    match addr {
        IpAddr::V4(a) => (false, u32::from(a) as u128),
        IpAddr::V6(a) => (true, u128::from(a)),
    }
}

fn width(v6: bool) -> u32 {
    if v6 {
        128
    } else {
        32
    }
}

/// The network part of `bits` for a prefix of `len` bits.
fn network((v6, bits): Bits, len: u32) -> u128 {
    let host = width(v6) - len;
    if host >= 128 {
        0
    } else {
        bits >> host << host
    }
}

/// `10.0.0.0/24`, `10.0.0.7/24` (host bits are ignored) or a bare address (a host route).
fn parse_prefix(s: &str) -> Option<(Bits, u32)> {
    let (addr, len) = match s.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (s, None),
    };
    let b = bits(addr.trim().parse().ok()?);
    let len = match len {
        Some(l) => l.trim().parse().ok().filter(|&l| l <= width(b.0))?,
        None => width(b.0),
    };
    Some((b, len))
}

/// Why an IPv4 address cannot be a next hop on its subnet of `len` bits: it is the network or
/// the broadcast address (a /31 or /32 has neither). `None` for a host.
fn unusable(b: Bits, len: u32) -> Option<String> {
    if b.0 || len > 30 {
        return None;
    }
    let net = network(b, len);
    let subnet = format!("{}/{len}", std::net::Ipv4Addr::from(net as u32));
    let broadcast = net | ((1u128 << (32 - len)) - 1);
    if b.1 == net {
        Some(format!("the network address of {subnet}"))
    } else if b.1 == broadcast {
        Some(format!("the broadcast address of {subnet}"))
    } else {
        None
    }
}

/// A gateway that is always reachable without a configured subnet: IPv6 link-local.
fn on_link(addr: IpAddr) -> bool {
    matches!(addr, IpAddr::V6(a) if a.segments()[0] & 0xffc0 == 0xfe80)
}

/// Warn about each next hop no subnet reaches. Unparseable values are the reporting plugin's
/// business; they are skipped here.
pub(super) fn check(subnets: &[Subnet], nexthops: &[Nexthop], out: &mut Vec<Diagnostic>) {
    if nexthops.is_empty() {
        return;
    }
    let mut networks: HashSet<(bool, u32, u128)> = HashSet::with_capacity(subnets.len());
    let mut lengths: Vec<(bool, u32)> = Vec::new();
    // Interfaces whose addresses are learnt at run time (DHCP): any gateway is plausible there.
    let mut dynamic: HashSet<&str> = HashSet::new();
    for s in subnets {
        match &s.prefix {
            None => {
                dynamic.insert(&s.interface);
            }
            Some(p) => {
                if let Some((b, len)) = parse_prefix(p) {
                    networks.insert((b.0, len, network(b, len)));
                    if !lengths.contains(&(b.0, len)) {
                        lengths.push((b.0, len));
                    }
                }
            }
        }
    }
    for hop in nexthops {
        // A zone index (`fe80::1%eth0`) names the link, not the address.
        let text = hop.address.split('%').next().unwrap_or_default().trim();
        let Ok(addr) = text.parse::<IpAddr>() else { continue };
        if addr.is_unspecified() || on_link(addr) || dynamic.contains(hop.interface.as_str()) {
            continue;
        }
        let b = bits(addr);
        let mut reached = lengths
            .iter()
            .filter(|(v6, _)| *v6 == b.0)
            .filter(|&&(v6, len)| networks.contains(&(v6, len, network(b, len))))
            .peekable();
        if reached.peek().is_some() {
            if let Some(why) = reached.find_map(|&(_, len)| unusable(b, len)) {
                out.push(
                    Diagnostic::error(
                        hop.span,
                        format!("{}: gateway {} is {why}", hop.interface, hop.address),
                    )
                    .on_interface(&hop.interface)
                    .with_help("a next hop must be a host on the subnet"),
                );
            }
        } else {
            out.push(
                Diagnostic::warning(
                    hop.span,
                    format!("{}: gateway {} is not inside any configured subnet", hop.interface, hop.address),
                )
                .on_interface(&hop.interface)
                .with_help("no address in these documents is on a subnet that reaches it; the kernel will refuse the route unless one exists"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        let (b, len) = parse_prefix("192.168.1.77/24").unwrap();
        assert_eq!(len, 24);
        assert_eq!(network(b, len), u32::from(std::net::Ipv4Addr::new(192, 168, 1, 0)) as u128);
        assert_eq!(parse_prefix("10.0.0.1/33"), None);
        assert_eq!(parse_prefix("2001:db8::1").map(|(_, l)| l), Some(128));
        let (b, len) = parse_prefix("0.0.0.0/0").unwrap();
        assert_eq!(network(b, len), 0);
        assert!(on_link("fe80::1".parse().unwrap()));
        assert!(!on_link("fec0::1".parse().unwrap()));
    }

    #[test]
    fn network_and_broadcast_addresses_are_no_next_hops() {
        let subnet = |p: &str| Subnet { interface: "br0".into(), prefix: Some(p.into()) };
        let hop = |a: &str| Nexthop { interface: "br0".into(), address: a.into(), span: Default::default() };
        let mut out = Vec::new();
        let subnets = [subnet("10.0.0.0/24"), subnet("10.1.0.0/31"), subnet("2001:db8::/64")];
        let hops = [hop("10.0.0.0"), hop("10.0.0.255"), hop("10.0.0.1"), hop("10.1.0.0"), hop("2001:db8::")];
        check(&subnets, &hops, &mut out);
        let messages: Vec<_> = out.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "br0: gateway 10.0.0.0 is the network address of 10.0.0.0/24",
                "br0: gateway 10.0.0.255 is the broadcast address of 10.0.0.0/24"
            ]
        );
        assert!(out.iter().all(|d| d.is_error()));
    }
}
