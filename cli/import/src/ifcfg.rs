//! RHEL/Fedora initscripts' `ifcfg-*` files (the format netcf wrote) and their `route-*` and
//! `route6-*` companions, in `/etc/sysconfig/network-scripts`.

use std::io;
use std::path::{Path, PathBuf};

use crate::addr;
use crate::lines::{self, Line};
use crate::model::{Dhcp6, Import, Kind, Origin, Route, StartMode};

/// One `KEY=value` with its line; the value unquoted.
struct Var {
    key: String,
    value: String,
    line: Line,
}

fn unquote(value: &str) -> String {
    let v = value.trim();
    for q in ['"', '\''] {
        if let Some(inner) = v.strip_prefix(q).and_then(|v| v.strip_suffix(q)) {
            return inner.to_string();
        }
    }
    v.to_string()
}

fn vars(path: &Path, out: &mut Import) -> io::Result<Vec<Var>> {
    let mut result = Vec::new();
    for line in lines::read(path, &['#'], false)? {
        match line.text.split_once('=') {
            Some((key, value)) if !key.trim().is_empty() && !key.contains(char::is_whitespace) => {
                result.push(Var { key: key.trim().to_string(), value: unquote(value), line })
            }
            _ => out.unsupported(&line.origin, &line.text, "not a `KEY=value` line"),
        }
    }
    Ok(result)
}

/// Backup copies initscripts skips.
fn ignored(name: &str) -> bool {
    [".bak", ".orig", ".rpmnew", ".rpmorig", ".rpmsave", "~", ".old"].iter().any(|s| name.ends_with(s))
}

pub fn read(dir: &Path, out: &mut Import) -> io::Result<()> {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(dir)?.flatten().map(|e| e.path()).filter(|p| p.is_file()).collect();
    files.sort();
    let name_of = |p: &PathBuf| p.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
    for file in &files {
        let name = name_of(file);
        if let Some(suffix) = name.strip_prefix("ifcfg-").filter(|_| !ignored(&name)) {
            let vars = vars(file, out)?;
            ifcfg(file, suffix, vars, out);
        }
    }
    for file in &files {
        let name = name_of(file);
        if ignored(&name) {
            continue;
        }
        if let Some(dev) = name.strip_prefix("route-").or_else(|| name.strip_prefix("route6-")) {
            routes(file, dev, out)?;
        } else if name.starts_with("rule-") || name.starts_with("rule6-") {
            for line in lines::read(file, &['#'], false)? {
                out.unsupported(&line.origin, &line.text, "netplug has no routing policy rules");
            }
        }
    }
    Ok(())
}

/// The bond options of `BONDING_OPTS` that are the kernel's (and netplug's) under the same name.
const BOND_OPTIONS: &[&str] = &[
    "mode",
    "miimon",
    "updelay",
    "downdelay",
    "use_carrier",
    "peer_notif_delay",
    "arp_interval",
    "arp_ip_target",
    "arp_validate",
    "arp_all_targets",
    "arp_missed_max",
    "primary_reselect",
    "fail_over_mac",
    "xmit_hash_policy",
    "resend_igmp",
    "num_grat_arp",
    "num_unsol_na",
    "all_slaves_active",
    "min_links",
    "lp_interval",
    "packets_per_slave",
    "lacp_active",
    "lacp_rate",
    "ad_select",
    "ad_actor_sys_prio",
    "ad_user_port_key",
    "ad_actor_system",
    "tlb_dynamic_lb",
];

/// `BRIDGING_OPTS` names (sysfs's) and the native ones; times there are in seconds.
const BRIDGING_OPTS: &[(&str, &str)] = &[
    ("hello_time", "hellotime"),
    ("max_age", "maxage"),
    ("forward_delay", "forwarddelay"),
    ("ageing_time", "ageing"),
    ("priority", "priority"),
    ("stp_state", "stp"),
    ("vlan_filtering", "vlan_filtering"),
    ("multicast_snooping", "mcast_snooping"),
];

fn ifcfg(file: &Path, suffix: &str, vars: Vec<Var>, out: &mut Import) {
    let get = |key: &str| vars.iter().rev().find(|v| v.key == key).map(|v| v.value.as_str());
    let name = get("DEVICE").unwrap_or(suffix).to_string();
    if name == "lo" {
        for v in &vars {
            out.unsupported(&v.line.origin, &v.line.text, "the loopback interface is the kernel's");
        }
        return;
    }
    let origin = vars.first().map(|v| v.line.origin.clone()).unwrap_or_else(|| Origin::new(file, 1));
    // An alias (`eth0:1`) carries addresses for its interface.
    let (name, alias) = match name.split_once(':') {
        Some((base, _)) => (base.to_string(), true),
        None => (name, false),
    };
    let ty = get("TYPE").unwrap_or_default().to_ascii_lowercase();
    let kind = if ty == "bridge" {
        Kind::Bridge
    } else if ty == "bond"
        || get("BONDING_MASTER").is_some_and(|v| addr::boolean(v) == Some(true))
        || get("BONDING_OPTS").is_some() && get("MASTER").is_none()
    {
        Kind::Bond
    } else if ty == "vlan" || get("VLAN").and_then(addr::boolean) == Some(true) {
        Kind::Vlan
    } else {
        Kind::Ethernet
    };
    if !matches!(ty.as_str(), "" | "ethernet" | "bridge" | "bond" | "vlan") {
        for v in &vars {
            out.unsupported(
                &v.line.origin,
                &v.line.text,
                format!("netplug imports no TYPE={}", get("TYPE").unwrap_or_default()),
            );
        }
        return;
    }
    let iface = out.document.entry(&name, if alias { Kind::Ethernet } else { kind }, &origin);
    if !alias {
        iface.startmode = Some(StartMode::Onboot);
    }
    if kind == Kind::Vlan && !alias {
        if let Some((parent, tag)) = name.rsplit_once('.').filter(|(_, t)| t.parse::<u16>().is_ok()) {
            iface.set_option("device", parent);
            iface.set_option("tag", tag);
        }
    }
    let bootproto = get("BOOTPROTO").unwrap_or("none").to_ascii_lowercase();
    let ipv6 = get("IPV6INIT").and_then(addr::boolean).unwrap_or(false);
    let mut rejected: Vec<(Line, String)> = Vec::new();
    let mut masters: Vec<(String, Kind)> = Vec::new();
    let mut primary: Option<String> = None;
    // Addresses by index: "" for IPADDR, "0".."255" for IPADDRn.
    let mut addresses: Vec<(String, String, Origin)> = Vec::new();
    // IPv6 ones, written after the IPv4 ones whose prefixes are known only at the end.
    let mut v6_addresses: Vec<String> = Vec::new();
    for v in &vars {
        let key = v.key.as_str();
        let value = v.value.as_str();
        let iface = out.document.get_mut(&name).expect("entered above");
        let (stem, index) = split_index(key);
        let result: Result<(), String> = match (stem, index) {
            ("DEVICE" | "TYPE", "") => Ok(()),
            ("ONBOOT", "") if !alias => match addr::boolean(value) {
                Some(b) => {
                    iface.startmode = Some(if b { StartMode::Onboot } else { StartMode::Manual });
                    Ok(())
                }
                None => Err("not yes or no".into()),
            },
            ("BOOTPROTO", "") => match bootproto.as_str() {
                "none" | "static" | "" => Ok(()),
                "dhcp" => {
                    iface.dhcp = true;
                    Ok(())
                }
                _ => Err(format!("netplug has no BOOTPROTO={value}")),
            },
            ("IPADDR", _) => {
                addresses.push((index.to_string(), value.to_string(), v.line.origin.clone()));
                Ok(())
            }
            ("PREFIX" | "NETMASK", _) => Ok(()),
            ("GATEWAY", "") => {
                if addr::is_ip(value) {
                    iface.gateways.push(value.to_string());
                    Ok(())
                } else {
                    Err("not an address".into())
                }
            }
            ("DEFROUTE", "") if addr::boolean(value) == Some(true) => Ok(()),
            ("MTU", "") => value
                .parse::<u32>()
                .map(|_| iface.mtu = Some(value.to_string()))
                .map_err(|_| "not a number".into()),
            ("HWADDR" | "MACADDR", "") => addr::mac(value)
                .map(|m| iface.hwaddr = Some(m))
                .ok_or_else(|| "not a MAC address".to_string()),
            ("PEERDNS", "") if iface.dhcp || bootproto == "dhcp" => match addr::boolean(value) {
                Some(b) => {
                    iface.dhcp_options.push(("peerdns".into(), addr::yes_no(b).into()));
                    Ok(())
                }
                None => Err("not yes or no".into()),
            },
            ("DHCP_HOSTNAME", "") if bootproto == "dhcp" => {
                iface.dhcp_options.push(("hostname".into(), value.to_string()));
                Ok(())
            }
            ("BRIDGE", "") => {
                masters.push((value.to_string(), Kind::Bridge));
                Ok(())
            }
            ("MASTER", "") => {
                masters.push((value.to_string(), Kind::Bond));
                Ok(())
            }
            ("SLAVE", "") if addr::boolean(value) == Some(true) => Ok(()),
            ("BONDING_MASTER", "") if kind == Kind::Bond => Ok(()),
            ("STP", "") if kind == Kind::Bridge => addr::boolean(value)
                .map(|b| iface.set_option("stp", addr::yes_no(b)))
                .ok_or_else(|| "not on or off".to_string()),
            ("DELAY", "") if kind == Kind::Bridge => value
                .parse::<f64>()
                .map(|_| iface.set_option("forwarddelay", value))
                .map_err(|_| "not a number of seconds".into()),
            ("BONDING_OPTS", "") if kind == Kind::Bond => {
                let mut bad = Vec::new();
                for opt in value.split_whitespace() {
                    let Some((k, v)) = opt.split_once('=') else {
                        bad.push(opt.to_string());
                        continue;
                    };
                    if k == "primary" {
                        primary = Some(v.to_string());
                    } else if k == "arp_ip_target" {
                        let targets: Vec<&str> = v.split(',').map(|t| t.trim_start_matches('+')).collect();
                        iface.set_option("arp_ip_target", targets.join(","));
                    } else if BOND_OPTIONS.contains(&k) {
                        iface.set_option(k, v);
                    } else {
                        bad.push(opt.to_string());
                    }
                }
                if bad.is_empty() {
                    Ok(())
                } else {
                    Err(format!("netplug has no bond option {}", bad.join(" ")))
                }
            }
            ("BRIDGING_OPTS", "") if kind == Kind::Bridge => {
                let mut bad = Vec::new();
                for opt in value.split_whitespace() {
                    match opt.split_once('=').and_then(|(k, v)| {
                        BRIDGING_OPTS.iter().find(|(n, _)| *n == k).map(|(_, nv)| (*nv, v))
                    }) {
                        Some((native, v)) => {
                            let v = match native {
                                "stp" | "vlan_filtering" | "mcast_snooping" => {
                                    addr::boolean(v).map(addr::yes_no).unwrap_or(v).to_string()
                                }
                                _ => v.to_string(),
                            };
                            iface.set_option(native, v);
                        }
                        None => bad.push(opt.to_string()),
                    }
                }
                if bad.is_empty() {
                    Ok(())
                } else {
                    Err(format!("netplug has no bridge option {}", bad.join(" ")))
                }
            }
            ("VLAN", "") if kind == Kind::Vlan => Ok(()),
            ("PHYSDEV", "") if kind == Kind::Vlan => {
                iface.set_option("device", value);
                Ok(())
            }
            ("VLAN_ID", "") if kind == Kind::Vlan => value
                .parse::<u16>()
                .map(|_| iface.set_option("tag", value))
                .map_err(|_| "not a VLAN ID".into()),
            ("REORDER_HDR" | "GVRP" | "MVRP", "") if kind == Kind::Vlan => addr::boolean(value)
                .map(|b| iface.set_option(&key.to_ascii_lowercase(), addr::yes_no(b)))
                .ok_or_else(|| "not yes or no".to_string()),
            ("IPV6INIT", "") => Ok(()),
            ("IPV6ADDR", "") | ("IPV6ADDR_SECONDARIES", "") if ipv6 => {
                for a in value.split_whitespace() {
                    match addr::with_prefix(a, None).filter(|a| a.contains(':')) {
                        Some(a) => v6_addresses.push(a),
                        None => rejected.push((v.line.clone(), format!("{a} is not an IPv6 address"))),
                    }
                }
                Ok(())
            }
            ("IPV6_DEFAULTGW", "") if ipv6 => {
                // `ADDR%IFACE` names the interface the gateway is reached through.
                let gw = value.split('%').next().unwrap_or_default();
                if addr::is_ip(gw) {
                    iface.gateways.push(gw.to_string());
                    Ok(())
                } else {
                    Err("not an address".into())
                }
            }
            ("IPV6_AUTOCONF", "") if ipv6 => match addr::boolean(value) {
                Some(true) => {
                    iface.dhcp6.get_or_insert(Dhcp6 { autoconf: true, dhcp: false }).autoconf = true;
                    Ok(())
                }
                Some(false) => Ok(()),
                None => Err("not yes or no".into()),
            },
            ("DHCPV6C", "") if ipv6 => match addr::boolean(value) {
                Some(true) => {
                    iface.dhcp6.get_or_insert(Dhcp6 { autoconf: false, dhcp: true }).dhcp = true;
                    Ok(())
                }
                Some(false) => Ok(()),
                None => Err("not yes or no".into()),
            },
            ("DNS" | "DOMAIN", _) => Err("netplug writes name servers from DHCP only".into()),
            ("ETHTOOL_OPTS", "") => Err("ethtool options are not imported; write them as <ethtool>".into()),
            _ => Err(format!("netplug has no equivalent of {key}")),
        };
        if let Err(why) = result {
            rejected.push((v.line.clone(), why));
        }
    }
    if bootproto == "none" || bootproto == "static" {
        for (index, address, at) in addresses {
            let prefix = get(&format!("PREFIX{index}")).or_else(|| get(&format!("NETMASK{index}")));
            match addr::with_prefix(&address, prefix) {
                Some(a) => out.document.get_mut(&name).expect("entered").add_address(a),
                None => out.unsupported(
                    &at,
                    format!("IPADDR{index}={address}"),
                    "an address without PREFIX or NETMASK (netplug guesses no classful mask)",
                ),
            }
        }
    } else {
        for (index, address, at) in addresses {
            out.unsupported(
                &at,
                format!("IPADDR{index}={address}"),
                format!("an address with BOOTPROTO={bootproto}"),
            );
        }
    }
    for a in v6_addresses {
        out.document.get_mut(&name).expect("entered").add_address(a);
    }
    for (master, kind) in masters {
        let m = out.document.entry(&master, kind, &origin);
        m.add_port(&name);
    }
    if let Some(p) = primary {
        out.document.get_mut(&name).expect("entered").primary = Some(p);
    }
    for (line, why) in rejected {
        out.unsupported(&line.origin, &line.text, why);
    }
}

/// `route-IFACE` and `route6-IFACE`: `ip route` arguments one per line, or (IPv4 only)
/// `ADDRESSn`/`NETMASKn`/`GATEWAYn`/`METRICn` groups.
fn routes(file: &Path, dev: &str, out: &mut Import) -> io::Result<()> {
    let lines = lines::read(file, &['#'], false)?;
    if out.document.get(dev).is_none() {
        for line in &lines {
            out.unsupported(&line.origin, &line.text, format!("no ifcfg file defines {dev}"));
        }
        return Ok(());
    }
    let mut routes: Vec<Route> = Vec::new();
    let grouped = lines.iter().all(|l| l.text.contains('=') && !l.text.contains(' '));
    if grouped && !lines.is_empty() {
        let mut groups: Vec<RouteGroup> = Vec::new();
        for line in &lines {
            let (key, value) = line.text.split_once('=').expect("checked");
            let value = unquote(value);
            let (stem, index) = split_index(key);
            let index = index.to_string();
            let at = match groups.iter().position(|g| g.index == index) {
                Some(at) => at,
                None => {
                    groups.push(RouteGroup {
                        index: index.clone(),
                        origin: line.origin.clone(),
                        ..RouteGroup::default()
                    });
                    groups.len() - 1
                }
            };
            let g = &mut groups[at];
            match stem {
                "ADDRESS" => g.address = Some(value),
                "NETMASK" => g.netmask = Some(value),
                "GATEWAY" => g.gateway = Some(value),
                "METRIC" => g.metric = Some(value),
                _ => out.unsupported(&line.origin, &line.text, "netplug's <route> has no such setting"),
            }
        }
        for g in groups {
            let Some(address) = g.address else {
                out.unsupported(&g.origin, format!("route {}", g.index), "a route without ADDRESS");
                continue;
            };
            let destination = match g.netmask.as_deref() {
                Some(mask) => addr::with_prefix(&address, Some(mask)),
                None => addr::destination(&address),
            };
            let Some(destination) = destination else {
                out.unsupported(&g.origin, format!("ADDRESS{}={address}", g.index), "not a destination");
                continue;
            };
            let kind = g.gateway.is_none().then(|| "unicast".to_string());
            routes.push(Route {
                destination,
                gateway: g.gateway,
                metric: g.metric,
                kind,
                ..Route::default()
            });
        }
    } else {
        for line in &lines {
            let args: Vec<&str> = line.text.split_whitespace().collect();
            match addr::ip_route(&args, dev) {
                Ok(r) => routes.push(r),
                Err(why) => out.unsupported(&line.origin, &line.text, why),
            }
        }
    }
    out.document.get_mut(dev).expect("checked above").routes.extend(routes);
    Ok(())
}

/// `ADDRESSn`, `NETMASKn`, `GATEWAYn`, `METRICn` of one `n`.
#[derive(Default)]
struct RouteGroup {
    index: String,
    origin: Origin,
    address: Option<String>,
    netmask: Option<String>,
    gateway: Option<String>,
    metric: Option<String>,
}

/// `IPADDR1` as `("IPADDR", "1")`; `IPV6INIT` as `("IPV6INIT", "")`.
fn split_index(key: &str) -> (&str, &str) {
    let stem = key.trim_end_matches(|c: char| c.is_ascii_digit());
    (stem, &key[stem.len()..])
}
