//! Address spellings shared by the sources: masks, prefixes, MACs and `ip route` arguments.

use std::net::{IpAddr, Ipv4Addr};

/// The prefix length of a contiguous dotted IPv4 mask, or of a mask already given as a length.
pub fn prefix_of_mask(mask: &str) -> Option<u8> {
    if let Ok(len) = mask.parse::<u8>() {
        return (len <= 128).then_some(len);
    }
    let bits = u32::from(mask.parse::<Ipv4Addr>().ok()?);
    let len = bits.leading_ones();
    (bits.checked_shl(len).unwrap_or(0) == 0).then_some(len as u8)
}

/// `ADDR/LEN` from an address with or without `/LEN` and an optional mask; `None` when the
/// address is not one, or an IPv4 address has no prefix anywhere (no classful guess).
pub fn with_prefix(address: &str, mask: Option<&str>) -> Option<String> {
    let (ip, len) = match address.split_once('/') {
        Some((ip, len)) => (ip, Some(len.parse::<u8>().ok()?)),
        None => (address, None),
    };
    let parsed: IpAddr = ip.parse().ok()?;
    let max = if parsed.is_ipv4() { 32 } else { 128 };
    let len = match (len, mask) {
        (Some(len), _) => len,
        (None, Some(mask)) => prefix_of_mask(mask)?,
        (None, None) if parsed.is_ipv6() => 64,
        (None, None) => return None,
    };
    (len <= max).then(|| format!("{parsed}/{len}"))
}

/// An IP address (no prefix).
pub fn is_ip(s: &str) -> bool {
    s.parse::<IpAddr>().is_ok()
}

/// A route destination: `default`, or an address with an optional prefix.
pub fn destination(s: &str) -> Option<String> {
    match s {
        "default" | "0.0.0.0/0" | "::/0" => Some("default".into()),
        _ => {
            let (ip, len) = s.split_once('/').unwrap_or((s, ""));
            let parsed: IpAddr = ip.parse().ok()?;
            if len.is_empty() {
                return Some(parsed.to_string());
            }
            let len: u8 = len.parse().ok()?;
            (len <= if parsed.is_ipv4() { 32 } else { 128 }).then(|| format!("{parsed}/{len}"))
        }
    }
}

/// A MAC address as six `:`-separated hex octets, lower case.
pub fn mac(s: &str) -> Option<String> {
    let octets: Vec<&str> = s.split([':', '-']).collect();
    let ok = octets.len() == 6 && octets.iter().all(|o| o.len() == 2 && u8::from_str_radix(o, 16).is_ok());
    ok.then(|| octets.join(":").to_ascii_lowercase())
}

/// A boolean as the sources spell them.
pub fn boolean(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "yes" | "on" | "true" | "1" | "y" => Some(true),
        "no" | "off" | "false" | "0" | "n" => Some(false),
        _ => None,
    }
}

pub fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// The arguments of `ip [-4|-6] route add|replace …` as a route on `dev`, if they say nothing
/// else than a native `<route>` can. `Err` names the first argument that cannot be carried.
pub fn ip_route(args: &[&str], dev: &str) -> Result<crate::model::Route, String> {
    let mut r = crate::model::Route::default();
    let mut it = args.iter().copied().peekable();
    let mut destination = None;
    while let Some(word) = it.next() {
        match word {
            "via" => {
                let g = it.next().ok_or("via without an address")?;
                let g =
                    if g == "inet" || g == "inet6" { it.next().ok_or("via without an address")? } else { g };
                if !is_ip(g) {
                    return Err(format!("gateway {g}"));
                }
                r.gateway = Some(g.to_string());
            }
            "dev" => {
                let d = it.next().ok_or("dev without a name")?;
                if d != dev && d != "$IFACE" {
                    return Err(format!("dev {d} (a route of another interface)"));
                }
            }
            "metric" | "preference" | "priority" => {
                let m = it.next().ok_or("metric without a value")?;
                m.parse::<u32>().map_err(|_| format!("metric {m}"))?;
                r.metric = Some(m.to_string());
            }
            "table" => r.table = Some(it.next().ok_or("table without a value")?.to_string()),
            "onlink" => r.onlink = true,
            "proto" if it.peek() == Some(&"static") || it.peek() == Some(&"boot") => {
                it.next();
            }
            "unicast" if destination.is_none() => {}
            "blackhole" | "unreachable" | "prohibit" if destination.is_none() => {
                r.kind = Some(word.to_string())
            }
            "to" if destination.is_none() => {}
            w if destination.is_none() => {
                destination = Some(self::destination(w).ok_or_else(|| format!("destination {w}"))?);
            }
            w => return Err(format!("`{w}`: netplug's <route> has no such setting")),
        }
    }
    r.destination = destination.ok_or("no destination")?;
    if r.gateway.is_none() && r.kind.is_none() {
        // `ip route add PREFIX dev IFACE` is on the link; native's default without a gateway
        // is unreachable.
        r.kind = Some("unicast".into());
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_and_prefixes() {
        assert_eq!(prefix_of_mask("255.255.255.0"), Some(24));
        assert_eq!(prefix_of_mask("255.255.0.255"), None);
        assert_eq!(prefix_of_mask("0.0.0.0"), Some(0));
        assert_eq!(prefix_of_mask("22"), Some(22));
        assert_eq!(with_prefix("10.0.0.1", Some("255.0.0.0")).as_deref(), Some("10.0.0.1/8"));
        assert_eq!(with_prefix("10.0.0.1", None), None);
        assert_eq!(with_prefix("2001:db8::1", None).as_deref(), Some("2001:db8::1/64"));
        assert_eq!(with_prefix("10.0.0.1/33", None), None);
    }

    #[test]
    fn ip_route_arguments() {
        let r =
            ip_route(&["10.9.0.0/16", "via", "10.0.0.254", "dev", "eth0", "metric", "5"], "eth0").unwrap();
        assert_eq!(r.destination, "10.9.0.0/16");
        assert_eq!(r.gateway.as_deref(), Some("10.0.0.254"));
        assert_eq!(r.metric.as_deref(), Some("5"));
        let r = ip_route(&["172.16.0.0/12", "dev", "$IFACE"], "eth0").unwrap();
        assert_eq!(r.kind.as_deref(), Some("unicast"));
        assert!(ip_route(&["10.0.0.0/8", "via", "10.0.0.1", "src", "10.0.0.2"], "eth0").is_err());
        assert!(ip_route(&["10.0.0.0/8", "dev", "eth1"], "eth0").is_err());
    }
}
