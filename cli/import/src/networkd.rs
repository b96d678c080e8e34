//! systemd-networkd's `.netdev` and `.network` files (systemd.netdev(5), systemd.network(5)):
//! the virtual devices the `.netdev` files create, each configured by the `.network` file that
//! matches it, and the ports and VLANs the `.network` files attach to them.

use std::io;
use std::path::{Path, PathBuf};

use crate::addr;
use crate::lines::{self, Line};
use crate::model::{Dhcp6, Import, Kind, Origin, Route, StartMode};
use crate::Links;

/// One `Key=Value` of a unit file, with its section.
struct Entry {
    section: String,
    /// Which section of the file, counting repeated ones (`[Route]` twice is two routes).
    section_index: usize,
    key: String,
    value: String,
    line: Line,
}

/// A unit file's entries in order. Lines outside a section or without `=` are reported.
fn entries(path: &Path, out: &mut Import) -> io::Result<Vec<Entry>> {
    let mut section = String::new();
    let mut section_index = 0;
    let mut result = Vec::new();
    for line in lines::read(path, &['#', ';'], true)? {
        if let Some(name) = line.text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            section = name.trim().to_string();
            section_index += 1;
            continue;
        }
        match line.text.split_once('=') {
            Some((key, value)) if !section.is_empty() => result.push(Entry {
                section: section.clone(),
                section_index,
                key: key.trim().to_string(),
                value: value.trim().to_string(),
                line,
            }),
            _ => out.unsupported(&line.origin, &line.text, "not a `Key=Value` line of a section"),
        }
    }
    Ok(result)
}

pub fn read(dir: &Path, links: &dyn Links, out: &mut Import) -> io::Result<()> {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(dir)?.flatten().map(|e| e.path()).filter(|p| p.is_file()).collect();
    // networkd reads the files of all its directories in the lexical order of their names.
    files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    let with = |ext: &str| {
        files.iter().filter(|p| p.extension().is_some_and(|e| e == ext)).cloned().collect::<Vec<_>>()
    };
    for file in with("netdev") {
        let entries = entries(&file, out)?;
        netdev(&file, entries, out);
    }
    let mut seen = Networks::default();
    for file in with("network") {
        let entries = entries(&file, out)?;
        network(entries, links, &mut seen, out);
    }
    for (vlan, parent, origin) in seen.vlans {
        match out.document.get_mut(&vlan) {
            Some(v) if v.kind == Kind::Vlan => v.set_option("device", parent),
            _ => out.unsupported(&origin, format!("VLAN={vlan}"), "no .netdev file creates that VLAN"),
        }
    }
    // A VLAN no .network file stacks on a parent cannot be created.
    let orphans: Vec<(String, Origin)> = out
        .document
        .interfaces
        .iter()
        .filter(|i| i.kind == Kind::Vlan && i.option("device").is_none())
        .map(|i| (i.name.clone(), i.origin.clone()))
        .collect();
    for (name, origin) in orphans {
        out.unsupported(
            &origin,
            format!("Name={name}"),
            "a VLAN that no .network file names in `VLAN=` has no parent",
        );
        out.document.interfaces.retain(|i| i.name != name);
    }
    for file in files {
        let ext = file.extension().and_then(|e| e.to_str()).unwrap_or_default();
        if ext == "link" {
            for line in lines::read(&file, &['#', ';'], true)? {
                out.unsupported(
                    &line.origin,
                    &line.text,
                    "a .link file is udev's (device naming and link settings)",
                );
            }
        }
    }
    Ok(())
}

/// Time spans as systemd writes them (`100ms`, `1s`, `2min`, a bare number of seconds), in ms.
pub(crate) fn timespan_ms(value: &str) -> Option<f64> {
    let mut total = 0.0;
    for part in value.split_whitespace() {
        let split = part.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(part.len());
        let (number, unit) = part.split_at(split);
        let number: f64 = number.parse().ok()?;
        let scale = match unit {
            "" | "s" | "sec" | "second" | "seconds" => 1000.0,
            "ms" | "msec" => 1.0,
            "us" | "usec" => 0.001,
            "m" | "min" | "minute" | "minutes" => 60_000.0,
            "h" | "hr" | "hour" | "hours" => 3_600_000.0,
            _ => return None,
        };
        total += number * scale;
    }
    Some(total)
}

pub(crate) fn number(f: f64) -> String {
    let s = format!("{f:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// `[Bond]` keys and their native names; the `Sec` ones are times in ms.
const BOND_KEYS: &[(&str, &str)] = &[
    ("Mode", "mode"),
    ("TransmitHashPolicy", "xmit_hash_policy"),
    ("LACPTransmitRate", "lacp_rate"),
    ("MIIMonitorSec", "miimon"),
    ("UpDelaySec", "updelay"),
    ("DownDelaySec", "downdelay"),
    ("PeerNotifyDelaySec", "peer_notif_delay"),
    ("ARPIntervalSec", "arp_interval"),
    ("ARPIPTargets", "arp_ip_target"),
    ("ARPValidate", "arp_validate"),
    ("ARPAllTargets", "arp_all_targets"),
    ("ARPMissedMax", "arp_missed_max"),
    ("PrimaryReselectPolicy", "primary_reselect"),
    ("FailOverMACPolicy", "fail_over_mac"),
    ("AdSelect", "ad_select"),
    ("AdActorSystemPriority", "ad_actor_sys_prio"),
    ("AdUserPortKey", "ad_user_port_key"),
    ("AdActorSystem", "ad_actor_system"),
    ("MinLinks", "min_links"),
    ("ResendIGMP", "resend_igmp"),
    ("PacketsPerSlave", "packets_per_slave"),
    ("GratuitousARP", "num_grat_arp"),
    ("AllSlavesActive", "all_slaves_active"),
    ("DynamicTransmitLoadBalancing", "tlb_dynamic_lb"),
    ("LearnPacketIntervalSec", "lp_interval"),
];

/// `[Bridge]` keys and their native names; the `Sec` ones are times in seconds.
const BRIDGE_KEYS: &[(&str, &str)] = &[
    ("STP", "stp"),
    ("ForwardDelaySec", "forwarddelay"),
    ("HelloTimeSec", "hellotime"),
    ("MaxAgeSec", "maxage"),
    ("AgeingTimeSec", "ageing"),
    ("Priority", "priority"),
    ("VLANFiltering", "vlan_filtering"),
    ("MulticastSnooping", "mcast_snooping"),
];

const VLAN_BOOLEANS: &[(&str, &str)] = &[
    ("GVRP", "gvrp"),
    ("MVRP", "mvrp"),
    ("LooseBinding", "loose_binding"),
    ("ReorderHeader", "reorder_hdr"),
    ("BridgeBinding", "bridge_binding"),
];

fn netdev(file: &Path, entries: Vec<Entry>, out: &mut Import) {
    let find = |key: &str| entries.iter().find(|e| e.section == "NetDev" && e.key == key);
    let (Some(name), Some(kind)) = (find("Name"), find("Kind")) else {
        for e in &entries {
            out.unsupported(&e.line.origin, &e.line.text, "a .netdev file without `Name=` and `Kind=`");
        }
        if entries.is_empty() {
            out.unsupported(
                &Origin::new(file, 1),
                "(empty file)",
                "a .netdev file without `Name=` and `Kind=`",
            );
        }
        return;
    };
    let kind = match kind.value.as_str() {
        "bridge" => Kind::Bridge,
        "bond" => Kind::Bond,
        "vlan" => Kind::Vlan,
        other => {
            for e in &entries {
                out.unsupported(
                    &e.line.origin,
                    &e.line.text,
                    format!("netplug imports no `Kind={other}` netdev"),
                );
            }
            return;
        }
    };
    let name = name.value.clone();
    let iface = out.document.entry(&name, kind, &find("Name").expect("found").line.origin);
    iface.startmode = Some(StartMode::Onboot);
    let mut rejected = Vec::new();
    for e in &entries {
        let value = e.value.as_str();
        let result: Result<(), String> = match (e.section.as_str(), e.key.as_str()) {
            ("NetDev", "Name" | "Kind") => Ok(()),
            ("NetDev", "MTUBytes") => mtu(value).map(|m| iface.mtu = Some(m)),
            ("NetDev", "MACAddress") => addr::mac(value)
                .ok_or_else(|| "not a MAC address".to_string())
                .map(|m| iface.hwaddr = Some(m)),
            ("Bond", key) if kind == Kind::Bond => match BOND_KEYS.iter().find(|(k, _)| *k == key) {
                Some((key, native)) => {
                    let v = if key.ends_with("Sec") && *native != "lp_interval" {
                        timespan_ms(value).map(number).ok_or(format!("{value} is not a time span"))
                    } else if *native == "lp_interval" {
                        timespan_ms(value)
                            .map(|ms| number(ms / 1000.0))
                            .ok_or(format!("{value} is not a time span"))
                    } else if matches!(*native, "all_slaves_active" | "tlb_dynamic_lb") {
                        addr::boolean(value)
                            .map(|b| addr::yes_no(b).to_string())
                            .ok_or("not a boolean".into())
                    } else if *native == "arp_ip_target" {
                        Ok(value.split_whitespace().collect::<Vec<_>>().join(","))
                    } else {
                        Ok(value.to_string())
                    };
                    v.map(|v| iface.set_option(native, v))
                }
                None => Err(format!("netplug has no equivalent of [Bond] {key}")),
            },
            ("Bridge", key) if kind == Kind::Bridge => match BRIDGE_KEYS.iter().find(|(k, _)| *k == key) {
                Some((key, native)) => {
                    let v = if key.ends_with("Sec") {
                        timespan_ms(value)
                            .map(|ms| number(ms / 1000.0))
                            .ok_or(format!("{value} is not a time span"))
                    } else if matches!(*native, "stp" | "vlan_filtering" | "mcast_snooping") {
                        addr::boolean(value)
                            .map(|b| addr::yes_no(b).to_string())
                            .ok_or("not a boolean".into())
                    } else {
                        Ok(value.to_string())
                    };
                    v.map(|v| iface.set_option(native, v))
                }
                None => Err(format!("netplug has no equivalent of [Bridge] {key}")),
            },
            ("VLAN", "Id") if kind == Kind::Vlan => value
                .parse::<u16>()
                .map_err(|_| "not a VLAN ID".to_string())
                .map(|_| iface.set_option("tag", value)),
            ("VLAN", "Protocol") if kind == Kind::Vlan => match value.to_ascii_lowercase().as_str() {
                "802.1q" => {
                    iface.set_option("protocol", "802.1Q");
                    Ok(())
                }
                "802.1ad" => {
                    iface.set_option("protocol", "802.1ad");
                    Ok(())
                }
                _ => Err("not a VLAN protocol".into()),
            },
            ("VLAN", key) if kind == Kind::Vlan => match VLAN_BOOLEANS.iter().find(|(k, _)| *k == key) {
                Some((_, native)) => addr::boolean(value)
                    .map(|b| iface.set_option(native, addr::yes_no(b)))
                    .ok_or_else(|| "not a boolean".to_string()),
                None => Err(format!("netplug has no equivalent of [VLAN] {key}")),
            },
            ("Match", _) => Err("netplug creates its devices unconditionally".into()),
            (section, key) => Err(format!("netplug has no equivalent of [{section}] {key}")),
        };
        if let Err(why) = result {
            rejected.push((e.line.clone(), why));
        }
    }
    for (line, why) in rejected {
        out.unsupported(&line.origin, &line.text, why);
    }
}

fn mtu(value: &str) -> Result<String, String> {
    // networkd takes K, M and G suffixes (1024-based); an MTU is written in bytes in practice.
    let (digits, scale) = match value.strip_suffix(['K', 'k']) {
        Some(d) => (d, 1024),
        None => (value, 1),
    };
    digits.parse::<u32>().map(|n| (n * scale).to_string()).map_err(|_| format!("MTU {value} is not a number"))
}

/// The interfaces a `.network` file has configured already, and the VLANs stacked on them.
#[derive(Default)]
struct Networks {
    configured: Vec<String>,
    vlans: Vec<(String, String, Origin)>,
}

fn network(entries: Vec<Entry>, links: &dyn Links, seen: &mut Networks, out: &mut Import) {
    let Networks { configured, vlans } = seen;
    let Some(first) = entries.first() else { return };
    let matches: Vec<&Entry> = entries.iter().filter(|e| e.section == "Match").collect();
    let mut name: Option<String> = None;
    let mut mismatch: Option<String> = None;
    for m in &matches {
        match m.key.as_str() {
            "Name" if !m.value.contains(['*', '?', '[']) && m.value.split_whitespace().count() == 1 => {
                name = Some(m.value.clone())
            }
            "MACAddress" | "PermanentMACAddress" if m.value.split_whitespace().count() == 1 => {
                match addr::mac(&m.value).map(|mac| links.by_mac(&mac)) {
                    Some(found) if found.len() == 1 => match &name {
                        Some(n) if *n != found[0] => {
                            mismatch = Some(format!("{} is {}, not {n}", m.value, found[0]))
                        }
                        _ => name = Some(found[0].clone()),
                    },
                    Some(found) if found.is_empty() => {
                        mismatch = Some(format!("no link has MAC address {}", m.value));
                    }
                    _ => mismatch = Some(format!("{} is not one link's MAC address", m.value)),
                }
            }
            _ => mismatch = Some(format!("netplug names each interface; it cannot match `{}`", m.line.text)),
        }
    }
    let name = match (name, mismatch) {
        (Some(n), None) => n,
        (_, why) => {
            let why = why.unwrap_or_else(|| "no [Match] Name= names one interface".into());
            for e in &entries {
                out.unsupported(&e.line.origin, &e.line.text, why.clone());
            }
            return;
        }
    };
    let origin = first.line.origin.clone();
    if configured.contains(&name) {
        for e in &entries {
            out.unsupported(
                &e.line.origin,
                &e.line.text,
                format!("networkd applies only the first .network file matching {name}"),
            );
        }
        return;
    }
    configured.push(name.clone());
    let iface = out.document.entry(&name, Kind::Ethernet, &origin);
    if iface.startmode.is_none() {
        iface.startmode = Some(StartMode::Onboot);
    }
    let mut routes: Vec<(Route, Origin)> = Vec::new();
    let mut current_route: Option<usize> = None;
    let mut rejected: Vec<(Line, String)> = Vec::new();
    let mut masters: Vec<(String, Kind, Origin)> = Vec::new();
    let mut primary = false;
    let mut section_seen = usize::MAX;
    for e in &entries {
        let iface = out.document.get_mut(&name).expect("entered above");
        let value = e.value.as_str();
        if e.section_index != section_seen {
            section_seen = e.section_index;
            current_route = None;
        }
        let result: Result<(), String> = match (e.section.as_str(), e.key.as_str()) {
            ("Match", _) => Ok(()),
            ("Link", "MTUBytes") => mtu(value).map(|m| iface.mtu = Some(m)),
            ("Link", "MACAddress") => addr::mac(value)
                .ok_or_else(|| "not a MAC address".to_string())
                .map(|m| iface.hwaddr = Some(m)),
            ("Link", "ActivationPolicy") => match value {
                "up" | "always-up" => {
                    iface.startmode = Some(StartMode::Onboot);
                    Ok(())
                }
                "manual" => {
                    iface.startmode = Some(StartMode::Manual);
                    Ok(())
                }
                _ => Err("netplug brings defined interfaces up".into()),
            },
            ("Link", "RequiredForOnline") => Err("netplug has no notion of online".into()),
            ("Network", "DHCP") => match value {
                "yes" | "true" | "both" => {
                    iface.dhcp = true;
                    iface.dhcp6 = Some(
                        iface
                            .dhcp6
                            .map(|d| Dhcp6 { dhcp: true, ..d })
                            .unwrap_or(Dhcp6 { autoconf: false, dhcp: true }),
                    );
                    Ok(())
                }
                "ipv4" => {
                    iface.dhcp = true;
                    Ok(())
                }
                "ipv6" => {
                    iface.dhcp6 = Some(
                        iface
                            .dhcp6
                            .map(|d| Dhcp6 { dhcp: true, ..d })
                            .unwrap_or(Dhcp6 { autoconf: false, dhcp: true }),
                    );
                    Ok(())
                }
                "no" | "false" => Ok(()),
                _ => Err("not a DHCP= value".into()),
            },
            ("Network", "IPv6AcceptRA") => match addr::boolean(value) {
                Some(true) => {
                    let d = iface.dhcp6.get_or_insert(Dhcp6 { autoconf: true, dhcp: false });
                    d.autoconf = true;
                    Ok(())
                }
                Some(false) => Ok(()),
                None => Err("not a boolean".into()),
            },
            ("Network" | "Address", "Address") => match addr::with_prefix(value, None) {
                Some(a) => {
                    iface.add_address(a);
                    Ok(())
                }
                None => Err("not an address with a prefix".into()),
            },
            ("Network", "Gateway") if addr::is_ip(value) => {
                iface.gateways.push(value.to_string());
                Ok(())
            }
            ("Network", "Bridge") => {
                masters.push((value.to_string(), Kind::Bridge, e.line.origin.clone()));
                Ok(())
            }
            ("Network", "Bond") => {
                masters.push((value.to_string(), Kind::Bond, e.line.origin.clone()));
                Ok(())
            }
            ("Network", "PrimarySlave") => {
                addr::boolean(value).map(|b| primary = b).ok_or("not a boolean".into())
            }
            ("Network", "VLAN") => {
                vlans.push((value.to_string(), name.clone(), e.line.origin.clone()));
                Ok(())
            }
            ("Network", "DNS" | "Domains" | "NTP") => {
                Err("netplug writes name servers from DHCP only".into())
            }
            ("Route", key) => {
                let at = *current_route.get_or_insert_with(|| {
                    routes.push((
                        Route { destination: "default".into(), ..Route::default() },
                        e.line.origin.clone(),
                    ));
                    routes.len() - 1
                });
                let r = &mut routes[at].0;
                match key {
                    "Destination" => {
                        addr::destination(value).map(|d| r.destination = d).ok_or("not a destination".into())
                    }
                    "Gateway" if addr::is_ip(value) => {
                        r.gateway = Some(value.to_string());
                        Ok(())
                    }
                    "Metric" => value
                        .parse::<u32>()
                        .map(|_| r.metric = Some(value.to_string()))
                        .map_err(|_| "not a number".into()),
                    "Table" => {
                        r.table = Some(value.to_string());
                        Ok(())
                    }
                    "GatewayOnLink" => {
                        addr::boolean(value).map(|b| r.onlink = b).ok_or("not a boolean".into())
                    }
                    "Type" if matches!(value, "unicast" | "blackhole" | "unreachable" | "prohibit") => {
                        r.kind = Some(value.to_string());
                        Ok(())
                    }
                    _ => Err(format!("netplug's <route> has no equivalent of {key}={value}")),
                }
            }
            (section, key) => Err(format!("netplug has no equivalent of [{section}] {key}")),
        };
        if let Err(why) = result {
            rejected.push((e.line.clone(), why));
        }
    }
    let iface = out.document.get_mut(&name).expect("entered above");
    for (mut r, _) in routes {
        if r.gateway.is_none() && r.kind.is_none() {
            // networkd's route without a gateway is on the link.
            r.kind = Some("unicast".into());
        }
        iface.routes.push(r);
    }
    for (master, kind, origin) in masters {
        let m = out.document.entry(&master, kind, &origin);
        m.add_port(&name);
        if primary && kind == Kind::Bond {
            m.primary = Some(name.clone());
        }
    }
    for (line, why) in rejected {
        out.unsupported(&line.origin, &line.text, why);
    }
}
