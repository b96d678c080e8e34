//! netplan's YAML (netplan.io's reference, version 2): `ethernets`, `bonds`, `bridges` and
//! `vlans` under `network:`, read with saphyr, which keeps the line of every key so that what
//! cannot be imported is reported where it is written.

use std::io;
use std::path::{Path, PathBuf};

use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};

use crate::addr;
use crate::model::{Dhcp6, Import, Interface, Kind, Origin, Route, StartMode};
use crate::networkd::{number, timespan_ms};
use crate::Links;

/// A directory's `*.yaml` files in the lexical order netplan reads them in, or one file.
fn files(path: &Path) -> io::Result<Vec<PathBuf>> {
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    Ok(files)
}

pub fn read(path: &Path, links: &dyn Links, out: &mut Import) -> io::Result<()> {
    let mut reader = Reader { links, ids: Vec::new(), pending_ports: Vec::new() };
    for file in files(path)? {
        let text = std::fs::read_to_string(&file)?;
        let docs = MarkedYaml::load_from_str(&text).map_err(|e| {
            let m = e.marker();
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}:{}:{}: {}", file.display(), m.line(), m.col() + 1, e.info()),
            )
        })?;
        for doc in &docs {
            reader.document(&file, doc, out);
        }
    }
    reader.ports(out);
    Ok(())
}

fn origin(file: &Path, node: &MarkedYaml) -> Origin {
    Origin::new(file, node.span.start.line() as u32)
}

/// A scalar as text, whatever type YAML resolved it to.
fn scalar(node: &MarkedYaml) -> Option<String> {
    match &node.data {
        YamlData::Value(Scalar::String(s)) => Some(s.to_string()),
        YamlData::Value(Scalar::Integer(i)) => Some(i.to_string()),
        YamlData::Value(Scalar::FloatingPoint(f)) => Some(f.to_string()),
        YamlData::Value(Scalar::Boolean(b)) => Some(b.to_string()),
        YamlData::Representation(s, _, _) => Some(s.to_string()),
        _ => None,
    }
}

/// A mapping's entries as `(key text, key node, value node)`.
fn entries<'a, 'b>(node: &'a MarkedYaml<'b>) -> Vec<(String, &'a MarkedYaml<'b>, &'a MarkedYaml<'b>)> {
    match &node.data {
        YamlData::Mapping(map) => map.iter().map(|(k, v)| (scalar(k).unwrap_or_default(), k, v)).collect(),
        _ => Vec::new(),
    }
}

fn sequence<'a, 'b>(node: &'a MarkedYaml<'b>) -> Vec<&'a MarkedYaml<'b>> {
    match &node.data {
        YamlData::Sequence(items) => items.iter().collect(),
        _ => vec![node],
    }
}

/// A short spelling of a value for messages: the scalar, or `…` for a structure.
fn shown(key: &str, value: &MarkedYaml) -> String {
    match scalar(value) {
        Some(v) => format!("{key}: {v}"),
        None => format!("{key}: …"),
    }
}

struct Reader<'l> {
    links: &'l dyn Links,
    /// netplan's IDs and the interface names they stand for.
    ids: Vec<(String, String)>,
    /// Ports named by ID in a bridge's or bond's `interfaces`, resolved once all IDs are known.
    pending_ports: Vec<(String, String, Origin)>,
}

/// `parameters` of a bond: netplan's name, the native one, and how the value is written.
enum Unit {
    Plain,
    Millis,
    Seconds,
    Boolean,
}

const BOND_PARAMETERS: &[(&str, &str, Unit)] = &[
    ("mode", "mode", Unit::Plain),
    ("lacp-rate", "lacp_rate", Unit::Plain),
    ("mii-monitor-interval", "miimon", Unit::Millis),
    ("min-links", "min_links", Unit::Plain),
    ("transmit-hash-policy", "xmit_hash_policy", Unit::Plain),
    ("ad-select", "ad_select", Unit::Plain),
    ("all-slaves-active", "all_slaves_active", Unit::Boolean),
    ("arp-interval", "arp_interval", Unit::Millis),
    ("arp-validate", "arp_validate", Unit::Plain),
    ("arp-all-targets", "arp_all_targets", Unit::Plain),
    ("up-delay", "updelay", Unit::Millis),
    ("down-delay", "downdelay", Unit::Millis),
    ("fail-over-mac-policy", "fail_over_mac", Unit::Plain),
    ("gratuitous-arp", "num_grat_arp", Unit::Plain),
    ("packets-per-slave", "packets_per_slave", Unit::Plain),
    ("primary-reselect-policy", "primary_reselect", Unit::Plain),
    ("resend-igmp", "resend_igmp", Unit::Plain),
    ("learn-packet-interval", "lp_interval", Unit::Seconds),
];

const BRIDGE_PARAMETERS: &[(&str, &str, Unit)] = &[
    ("ageing-time", "ageing", Unit::Seconds),
    ("aging-time", "ageing", Unit::Seconds),
    ("priority", "priority", Unit::Plain),
    ("forward-delay", "forwarddelay", Unit::Seconds),
    ("hello-time", "hellotime", Unit::Seconds),
    ("max-age", "maxage", Unit::Seconds),
    ("stp", "stp", Unit::Boolean),
];

fn convert(value: &str, unit: &Unit) -> Option<String> {
    match unit {
        Unit::Plain => Some(value.to_string()),
        // netplan's times without a unit are in the parameter's own unit.
        Unit::Millis => value.parse::<f64>().ok().or_else(|| timespan_ms(value)).map(number),
        Unit::Seconds => {
            value.parse::<f64>().ok().or_else(|| timespan_ms(value).map(|ms| ms / 1000.0)).map(number)
        }
        Unit::Boolean => addr::boolean(value).map(|b| addr::yes_no(b).to_string()),
    }
}

impl Reader<'_> {
    fn document(&mut self, file: &Path, doc: &MarkedYaml, out: &mut Import) {
        for (key, k, v) in entries(doc) {
            if key != "network" {
                out.unsupported(&origin(file, k), shown(&key, v), "netplan reads only `network:`");
                continue;
            }
            for (key, k, v) in entries(v) {
                let kind = match key.as_str() {
                    "version" | "renderer" => continue,
                    "ethernets" => Kind::Ethernet,
                    "bonds" => Kind::Bond,
                    "bridges" => Kind::Bridge,
                    "vlans" => Kind::Vlan,
                    _ => {
                        out.unsupported(
                            &origin(file, k),
                            shown(&key, v),
                            format!("netplug imports no netplan `{key}`"),
                        );
                        continue;
                    }
                };
                for (id, k, v) in entries(v) {
                    self.definition(file, kind, &id, k, v, out);
                }
            }
        }
    }

    /// The interface name an ID stands for: its `set-name`, its `match` resolved, or the ID.
    fn name(&self, file: &Path, id: &str, def: &MarkedYaml, out: &mut Import) -> Option<String> {
        let fields = entries(def);
        let field = |name: &str| fields.iter().find(|(k, _, _)| k == name);
        let set_name = field("set-name").and_then(|(_, _, v)| scalar(v));
        let Some((_, mk, matcher)) = field("match") else { return Some(set_name.unwrap_or(id.to_string())) };
        let mut by_name = None;
        let mut by_mac = None;
        for (key, k, v) in entries(matcher) {
            let value = scalar(v).unwrap_or_default();
            match key.as_str() {
                "name" if !value.contains(['*', '?', '[']) => by_name = Some(value),
                "macaddress" => match addr::mac(&value) {
                    Some(mac) => by_mac = Some((mac, origin(file, k))),
                    None => out.unsupported(&origin(file, k), shown(&key, v), "not a MAC address"),
                },
                _ => out.unsupported(
                    &origin(file, k),
                    shown(&key, v),
                    "netplug names each interface; it matches no devices by pattern or driver",
                ),
            }
        }
        if let Some((mac, at)) = by_mac {
            let found = self.links.by_mac(&mac);
            match (found.as_slice(), &set_name) {
                ([live], Some(n)) if live != n => out.unsupported(
                    &at,
                    format!("macaddress: {mac}"),
                    format!("the link with this MAC is {live}; netplug renames no link, so this imports {n}"),
                ),
                ([live], None) => return Some(live.clone()),
                ([], None) => {
                    out.unsupported(&at, format!("macaddress: {mac}"), "no link has this MAC address now");
                    return None;
                }
                (_, None) => {
                    out.unsupported(&at, format!("macaddress: {mac}"), "several links have this MAC address");
                    return None;
                }
                _ => {}
            }
        }
        match (set_name, by_name) {
            (Some(n), _) | (None, Some(n)) => Some(n),
            (None, None) => {
                out.unsupported(
                    &origin(file, mk),
                    format!("{id}: match"),
                    "the match names no one interface",
                );
                None
            }
        }
    }

    fn definition(
        &mut self,
        file: &Path,
        kind: Kind,
        id: &str,
        key: &MarkedYaml,
        def: &MarkedYaml,
        out: &mut Import,
    ) {
        let at = origin(file, key);
        let Some(name) = self.name(file, id, def, out) else { return };
        self.ids.push((id.to_string(), name.clone()));
        let iface = out.document.entry(&name, kind, &at);
        iface.startmode = Some(StartMode::Onboot);
        let mut rejected: Vec<(Origin, String, String)> = Vec::new();
        for (field, k, v) in entries(def) {
            let here = origin(file, k);
            let value = scalar(v);
            let text = value.clone().unwrap_or_default();
            let result: Result<(), String> = match field.as_str() {
                "match" | "set-name" => Ok(()),
                "dhcp4" => addr::boolean(&text).map(|b| iface.dhcp |= b).ok_or("not a boolean".into()),
                "dhcp6" => match addr::boolean(&text) {
                    Some(true) => {
                        iface.dhcp6.get_or_insert(Dhcp6 { autoconf: false, dhcp: true }).dhcp = true;
                        Ok(())
                    }
                    Some(false) => Ok(()),
                    None => Err("not a boolean".into()),
                },
                "accept-ra" => match addr::boolean(&text) {
                    Some(true) => {
                        iface.dhcp6.get_or_insert(Dhcp6 { autoconf: true, dhcp: false }).autoconf = true;
                        Ok(())
                    }
                    Some(false) => Ok(()),
                    None => Err("not a boolean".into()),
                },
                "addresses" => {
                    for item in sequence(v) {
                        match scalar(item).and_then(|a| addr::with_prefix(&a, None)) {
                            Some(a) => iface.add_address(a),
                            // `- 10.0.0.1/24: {label: …, lifetime: …}`: the address, not its options.
                            None => rejected.push((
                                origin(file, item),
                                shown("addresses", item),
                                "an address with a prefix (no label or lifetime)".into(),
                            )),
                        }
                    }
                    Ok(())
                }
                "gateway4" | "gateway6" if value.as_deref().is_some_and(addr::is_ip) => {
                    iface.gateways.push(text);
                    Ok(())
                }
                "mtu" => text
                    .parse::<u32>()
                    .map(|_| iface.mtu = Some(text.clone()))
                    .map_err(|_| "not a number".into()),
                "macaddress" => {
                    addr::mac(&text).map(|m| iface.hwaddr = Some(m)).ok_or("not a MAC address".into())
                }
                "routes" => {
                    for item in sequence(v) {
                        if let Some(r) = route(file, item, &mut rejected) {
                            iface.routes.push(r);
                        }
                    }
                    Ok(())
                }
                "interfaces" if matches!(kind, Kind::Bridge | Kind::Bond) => {
                    for item in sequence(v) {
                        if let Some(port) = scalar(item) {
                            self.pending_ports.push((name.clone(), port, origin(file, item)));
                        }
                    }
                    Ok(())
                }
                "parameters" if matches!(kind, Kind::Bridge | Kind::Bond) => {
                    let table = if kind == Kind::Bond { BOND_PARAMETERS } else { BRIDGE_PARAMETERS };
                    for (p, pk, pv) in entries(v) {
                        let pvalue = scalar(pv).unwrap_or_default();
                        if kind == Kind::Bond && p == "primary" {
                            iface.primary = Some(pvalue);
                            continue;
                        }
                        if kind == Kind::Bond && p == "arp-ip-targets" {
                            let targets: Vec<String> = sequence(pv).into_iter().filter_map(scalar).collect();
                            iface.set_option("arp_ip_target", targets.join(","));
                            continue;
                        }
                        match table.iter().find(|(n, _, _)| *n == p) {
                            Some((_, native, unit)) => match convert(&pvalue, unit) {
                                Some(v) => iface.set_option(native, v),
                                None => rejected.push((
                                    origin(file, pk),
                                    shown(&p, pv),
                                    "not a value of its kind".into(),
                                )),
                            },
                            None => rejected.push((
                                origin(file, pk),
                                shown(&p, pv),
                                format!("netplug has no equivalent of the parameter `{p}`"),
                            )),
                        }
                    }
                    Ok(())
                }
                "id" if kind == Kind::Vlan => text
                    .parse::<u16>()
                    .map(|_| iface.set_option("tag", text.clone()))
                    .map_err(|_| "not a VLAN ID".into()),
                "link" if kind == Kind::Vlan => {
                    self.pending_ports.push((name.clone(), format!("\u{0}{text}"), here.clone()));
                    Ok(())
                }
                "nameservers" => Err("netplug writes name servers from DHCP only".into()),
                "optional" | "critical" => Err("netplug does not wait for interfaces at boot".into()),
                _ => Err(format!("netplug has no equivalent of `{field}`")),
            };
            if let Err(why) = result {
                rejected.push((here, shown(&field, v), why));
            }
        }
        for (at, what, why) in rejected {
            out.unsupported(&at, what, why);
        }
    }

    /// Ports and VLAN parents, named by netplan ID, as interface names.
    fn ports(&mut self, out: &mut Import) {
        for (master, port, _) in std::mem::take(&mut self.pending_ports) {
            let (vlan_parent, id) = match port.strip_prefix('\u{0}') {
                Some(id) => (true, id.to_string()),
                None => (false, port),
            };
            let name = self.ids.iter().find(|(i, _)| *i == id).map(|(_, n)| n.clone()).unwrap_or(id);
            let m = out.document.get_mut(&master).expect("entered when read");
            if vlan_parent {
                m.set_option("device", name);
            } else {
                m.add_port(&name);
            }
        }
        for i in &mut out.document.interfaces {
            // `primary` names an ID too.
            if let Some(p) = i.primary.clone() {
                if let Some((_, n)) = self.ids.iter().find(|(id, _)| *id == p) {
                    i.primary = Some(n.clone());
                }
            }
        }
        let orphans: Vec<Interface> = out
            .document
            .interfaces
            .iter()
            .filter(|i| i.kind == Kind::Vlan && (i.option("device").is_none() || i.option("tag").is_none()))
            .cloned()
            .collect();
        for o in orphans {
            out.unsupported(&o.origin, o.name.clone(), "a VLAN needs both `id` and `link`");
            out.document.interfaces.retain(|i| i.name != o.name);
        }
    }
}

fn route(file: &Path, node: &MarkedYaml, rejected: &mut Vec<(Origin, String, String)>) -> Option<Route> {
    let mut r = Route { destination: String::new(), ..Route::default() };
    let mut ok = true;
    for (key, k, v) in entries(node) {
        let value = scalar(v).unwrap_or_default();
        let result: Result<(), String> = match key.as_str() {
            "to" => addr::destination(&value).map(|d| r.destination = d).ok_or("not a destination".into()),
            "via" if addr::is_ip(&value) => {
                r.gateway = Some(value);
                Ok(())
            }
            "metric" => value
                .parse::<u32>()
                .map(|_| r.metric = Some(value.clone()))
                .map_err(|_| "not a number".into()),
            "table" => {
                r.table = Some(value);
                Ok(())
            }
            "on-link" => addr::boolean(&value).map(|b| r.onlink = b).ok_or("not a boolean".into()),
            "type" if matches!(value.as_str(), "unicast" | "blackhole" | "unreachable" | "prohibit") => {
                r.kind = Some(value);
                Ok(())
            }
            _ => Err(format!("netplug's <route> has no equivalent of `{key}`")),
        };
        if let Err(why) = result {
            ok = false;
            rejected.push((origin(file, k), shown(&key, v), format!("{why}; the route is not imported")));
        }
    }
    if r.destination.is_empty() {
        rejected.push((origin(file, node), "routes: …".into(), "a route without `to`".into()));
        return None;
    }
    if r.gateway.is_none() && r.kind.is_none() {
        r.kind = Some("unicast".into());
    }
    ok.then_some(r)
}
