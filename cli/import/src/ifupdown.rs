//! Debian's `/etc/network/interfaces`, as ifupdown and ifupdown2 read it: `auto`/`allow-*`
//! lines, `iface NAME FAMILY METHOD` stanzas and their options, `source` and
//! `source-directory` includes.

use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};

use crate::addr;
use crate::lines::{self, Line};
use crate::model::{Dhcp6, Import, Kind, Origin, Route, StartMode};

/// Includes nested deeper than this are a loop.
const MAX_INCLUDE_DEPTH: usize = 16;

pub fn read(path: &Path, out: &mut Import) -> io::Result<()> {
    let mut all = Vec::new();
    collect(path, 0, &mut all, out)?;
    let stanzas = stanzas(all, out);
    Reader::default().read(stanzas, out);
    Ok(())
}

/// The lines of `path` with every `source` and `source-directory` replaced by the lines it
/// includes.
fn collect(path: &Path, depth: usize, all: &mut Vec<Line>, out: &mut Import) -> io::Result<()> {
    let here = path.parent().unwrap_or(Path::new("/"));
    for line in lines::read(path, &['#'], true)? {
        let mut words = line.text.split_whitespace();
        let keyword = words.next().unwrap_or_default();
        let rest: Vec<&str> = words.collect();
        let files: Vec<PathBuf> = match keyword {
            "source" => rest.iter().flat_map(|pattern| sourced(here, pattern)).collect(),
            "source-directory" => rest.iter().flat_map(|dir| directory(here, dir)).collect(),
            _ => {
                all.push(line);
                continue;
            }
        };
        if depth >= MAX_INCLUDE_DEPTH {
            out.unsupported(&line.origin, &line.text, "includes nested too deep (a loop?)");
            continue;
        }
        for file in files {
            if let Err(e) = collect(&file, depth + 1, all, out) {
                out.unsupported(&line.origin, &line.text, format!("cannot read {}: {e}", file.display()));
            }
        }
    }
    Ok(())
}

/// The files a `source` pattern names, relative to the including file's directory, sorted as
/// the shell's wildcard expansion sorts them.
fn sourced(here: &Path, pattern: &str) -> Vec<PathBuf> {
    let full = here.join(pattern);
    let mut files: Vec<PathBuf> = match glob::glob(&full.to_string_lossy()) {
        Ok(paths) => paths.flatten().filter(|p| p.is_file()).collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    files
}

/// The files of a `source-directory`: those whose names are letters, digits, `_` and `-`
/// only (as run-parts picks them), in lexical order.
fn directory(here: &Path, dir: &str) -> Vec<PathBuf> {
    let dir = here.join(dir);
    let Ok(entries) = std::fs::read_dir(&dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        })
        .collect();
    files.sort();
    files
}

/// One top-level construct: its first line and the option lines under it.
struct Stanza {
    head: Line,
    options: Vec<Line>,
}

fn stanzas(lines: Vec<Line>, out: &mut Import) -> Vec<Stanza> {
    let mut result: Vec<Stanza> = Vec::new();
    for line in lines {
        let keyword = line.text.split_whitespace().next().unwrap_or_default();
        let starts = matches!(keyword, "iface" | "mapping" | "auto" | "rename" | "template")
            || keyword.starts_with("allow-")
            || keyword == "no-auto-down"
            || keyword == "no-scripts";
        if starts {
            result.push(Stanza { head: line, options: Vec::new() });
        } else {
            match result.last_mut() {
                Some(s) => s.options.push(line),
                None => out.unsupported(&line.origin, &line.text, "an option outside any stanza"),
            }
        }
    }
    result
}

#[derive(Default)]
struct Reader {
    auto: Vec<(String, Origin)>,
    hotplug: Vec<(String, Origin)>,
    /// Interfaces an `iface` stanza declared (an `auto` line alone declares nothing).
    declared: BTreeSet<String>,
    /// `iface lo inet loopback` and aliases (`eth0:1`): not interfaces of their own, so their
    /// `auto` lines are no concern.
    loopback: BTreeSet<String>,
}

impl Reader {
    fn read(mut self, stanzas: Vec<Stanza>, out: &mut Import) {
        for s in stanzas {
            let words: Vec<&str> = s.head.text.split_whitespace().collect();
            match words[0] {
                "auto" | "allow-auto" => {
                    self.auto.extend(words[1..].iter().map(|w| (w.to_string(), s.head.origin.clone())))
                }
                "allow-hotplug" => {
                    self.hotplug.extend(words[1..].iter().map(|w| (w.to_string(), s.head.origin.clone())))
                }
                "iface" => self.iface(&words, &s, out),
                other => {
                    let why = match other {
                        "mapping" => "mappings choose a configuration by running a script",
                        k if k.starts_with("allow-") => {
                            "netplug has no interface classes besides onboot and hotplug"
                        }
                        _ => "netplug has no such construct",
                    };
                    out.unsupported(&s.head.origin, &s.head.text, why);
                    for o in &s.options {
                        out.unsupported(&o.origin, &o.text, format!("part of the `{other}` stanza"));
                    }
                }
            }
        }
        self.start_modes(out);
    }

    fn start_modes(&self, out: &mut Import) {
        for (name, origin) in self.auto.iter().chain(&self.hotplug) {
            let known = self.declared.contains(name.as_str()) || self.loopback.contains(name.as_str());
            if !known && out.document.get(name).is_none() {
                let keyword = if self.auto.iter().any(|(n, _)| n == name) { "auto" } else { "allow-hotplug" };
                out.unsupported(origin, format!("{keyword} {name}"), "no `iface` stanza declares it");
            }
        }
        for iface in &mut out.document.interfaces {
            if !self.declared.contains(iface.name.as_str()) {
                continue;
            }
            iface.startmode = Some(if self.auto.iter().any(|(n, _)| *n == iface.name) {
                StartMode::Onboot
            } else if self.hotplug.iter().any(|(n, _)| *n == iface.name) {
                StartMode::Hotplug
            } else {
                StartMode::Manual
            });
        }
    }

    fn iface(&mut self, words: &[&str], s: &Stanza, out: &mut Import) {
        let origin = &s.head.origin;
        let Some(&name) = words.get(1) else {
            out.unsupported(origin, &s.head.text, "an `iface` without a name");
            return;
        };
        // ifupdown2 allows `iface NAME` alone: manual configuration.
        // ifupdown2 allows `iface NAME` alone, addressed by its `address` lines if any.
        let family = words.get(2).copied().unwrap_or("inet");
        let method = words.get(3).copied().unwrap_or("static");
        let implicit = words.len() == 2;
        if words.len() > 4 {
            out.unsupported(origin, words[4..].join(" "), "netplug has no stanza inheritance or templates");
        }
        if let Some((base, _)) = name.split_once(':') {
            self.loopback.insert(name.to_string());
            self.alias(base, family, method, s, out);
            return;
        }
        if method == "loopback" {
            self.loopback.insert(name.to_string());
            out.unsupported(
                origin,
                &s.head.text,
                "the loopback interface is the kernel's; netplug leaves it alone",
            );
            for o in &s.options {
                out.unsupported(&o.origin, &o.text, "part of the loopback stanza");
            }
            return;
        }
        let supported = matches!(
            (family, method),
            ("inet", "static" | "dhcp" | "manual") | ("inet6", "static" | "dhcp" | "auto" | "manual")
        );
        if !supported {
            out.unsupported(origin, &s.head.text, format!("netplug has no `{family} {method}` method"));
            for o in &s.options {
                out.unsupported(&o.origin, &o.text, format!("part of the `{family} {method}` stanza"));
            }
            return;
        }
        self.declared.insert(name.to_string());
        let kind = kind_of(name, &s.options);
        let iface = out.document.entry(name, kind, origin);
        if kind == Kind::Vlan {
            if let Some((parent, tag)) = name.rsplit_once('.').filter(|(_, t)| t.parse::<u16>().is_ok()) {
                iface.set_option("device", parent);
                iface.set_option("tag", tag);
            } else if let Some(tag) = name.strip_prefix("vlan").filter(|t| t.parse::<u16>().is_ok()) {
                iface.set_option("tag", tag.trim_start_matches('0'));
            }
        }
        match (family, method) {
            ("inet", "dhcp") => iface.dhcp = true,
            ("inet6", "auto") => iface.dhcp6 = Some(Dhcp6 { autoconf: true, dhcp: false }),
            ("inet6", "dhcp") => iface.dhcp6 = Some(Dhcp6 { autoconf: false, dhcp: true }),
            _ => {}
        }
        let mut stanza = StanzaState {
            name,
            family,
            method,
            implicit,
            address: Vec::new(),
            netmask: None,
            metric: None,
            routes_added: Vec::new(),
        };
        for o in &s.options {
            let (key, value) = o.text.split_once(char::is_whitespace).unwrap_or((o.text.as_str(), ""));
            let key = key.replace('_', "-");
            if let Err(why) = stanza.option(&key, value.trim(), o, out) {
                out.unsupported(&o.origin, &o.text, why);
            }
        }
        stanza.finish(s, out);
    }

    /// `iface eth0:1 inet static`: an alias, whose address netplug puts on the interface itself.
    fn alias(&mut self, base: &str, family: &str, method: &str, s: &Stanza, out: &mut Import) {
        if method != "static" {
            out.unsupported(&s.head.origin, &s.head.text, "an alias interface carries static addresses only");
            for o in &s.options {
                out.unsupported(&o.origin, &o.text, "part of an alias stanza");
            }
            return;
        }
        out.document.entry(base, Kind::Ethernet, &s.head.origin);
        let mut stanza = StanzaState {
            name: base,
            family,
            method,
            implicit: false,
            address: Vec::new(),
            netmask: None,
            metric: None,
            routes_added: Vec::new(),
        };
        for o in &s.options {
            let (key, value) = o.text.split_once(char::is_whitespace).unwrap_or((o.text.as_str(), ""));
            match key {
                "address" | "netmask" => {
                    if let Err(why) = stanza.option(key, value.trim(), o, out) {
                        out.unsupported(&o.origin, &o.text, why);
                    }
                }
                _ => out.unsupported(
                    &o.origin,
                    &o.text,
                    "an alias carries only its address (no label in netplug)",
                ),
            }
        }
        stanza.finish(s, out);
    }
}

/// The kind a stanza's name and options say.
fn kind_of(name: &str, options: &[Line]) -> Kind {
    let has = |prefix: &str| {
        options.iter().any(|o| {
            o.text.split_whitespace().next().is_some_and(|k| k.replace('_', "-").starts_with(prefix))
        })
    };
    if has("bridge-ports") {
        Kind::Bridge
    } else if has("bond-slaves") || (has("bond-mode") && !has("bond-master")) {
        Kind::Bond
    } else if has("vlan-raw-device")
        || has("vlan-id")
        || name.rsplit_once('.').is_some_and(|(p, t)| !p.is_empty() && t.parse::<u16>().is_ok())
    {
        Kind::Vlan
    } else {
        Kind::Ethernet
    }
}

struct StanzaState<'a> {
    name: &'a str,
    family: &'a str,
    method: &'a str,
    /// `iface NAME` without family and method (ifupdown2).
    implicit: bool,
    /// `address` lines, each with where it was read.
    address: Vec<(String, Origin)>,
    netmask: Option<String>,
    /// The gateway route's metric.
    metric: Option<(String, Origin)>,
    routes_added: Vec<Route>,
}

/// The bond options ifupdown and ifupdown2 take as `bond-NAME`, which are the kernel's
/// options of the same name (`-` for `_`).
const BOND_OPTIONS: &[&str] = &[
    "mode",
    "miimon",
    "updelay",
    "downdelay",
    "use-carrier",
    "peer-notif-delay",
    "arp-interval",
    "arp-ip-target",
    "arp-validate",
    "arp-all-targets",
    "arp-missed-max",
    "primary-reselect",
    "fail-over-mac",
    "xmit-hash-policy",
    "resend-igmp",
    "num-grat-arp",
    "num-unsol-na",
    "all-slaves-active",
    "min-links",
    "lp-interval",
    "packets-per-slave",
    "lacp-active",
    "lacp-rate",
    "ad-select",
    "ad-actor-sys-prio",
    "ad-user-port-key",
    "ad-actor-system",
    "tlb-dynamic-lb",
];

const BOND_BOOLEANS: &[&str] = &["use-carrier", "all-slaves-active", "lacp-active", "tlb-dynamic-lb"];

/// ifupdown's bridge options (bridge-utils-interfaces(5), ifupdown2) and their native names.
const BRIDGE_OPTIONS: &[(&str, &str)] = &[
    ("bridge-stp", "stp"),
    ("bridge-fd", "forwarddelay"),
    ("bridge-hello", "hellotime"),
    ("bridge-maxage", "maxage"),
    ("bridge-ageing", "ageing"),
    ("bridge-bridgeprio", "priority"),
    ("bridge-vlan-aware", "vlan_filtering"),
    ("bridge-mcsnoop", "mcast_snooping"),
];

impl StanzaState<'_> {
    fn option(&mut self, key: &str, value: &str, line: &Line, out: &mut Import) -> Result<(), String> {
        let words: Vec<&str> = value.split_whitespace().collect();
        let need = |v: &str| if v.is_empty() { Err(format!("`{key}` without a value")) } else { Ok(()) };
        let static_ = self.method == "static";
        let iface = out.document.get_mut(self.name).expect("the stanza's interface was entered");
        match key {
            "address" if static_ => {
                need(value)?;
                self.address.push((value.to_string(), line.origin.clone()));
            }
            "netmask" if static_ => {
                need(value)?;
                self.netmask = Some(value.to_string());
            }
            "gateway" if static_ => {
                if !addr::is_ip(value) {
                    return Err(format!("gateway {value} is not an address"));
                }
                iface.gateways.push(value.to_string());
            }
            "broadcast" if static_ && (value == "+" || value == "-") => {}
            "metric" if static_ => {
                value.parse::<u32>().map_err(|_| format!("metric {value} is not a number"))?;
                self.metric = Some((value.to_string(), line.origin.clone()));
            }
            "autoconf" if self.family == "inet6" => {
                let on = addr::boolean(value).ok_or("autoconf is 0 or 1")?;
                match &mut iface.dhcp6 {
                    Some(d) => d.autoconf = on,
                    None if on => iface.dhcp6 = Some(Dhcp6 { autoconf: true, dhcp: false }),
                    None => {}
                }
            }
            "dhcp" if self.family == "inet6" && self.method == "auto" => {
                let on = addr::boolean(value).ok_or("dhcp is 0 or 1")?;
                if let Some(d) = &mut iface.dhcp6 {
                    d.dhcp = on;
                }
            }
            "hostname" if self.family == "inet" && self.method == "dhcp" => {
                need(value)?;
                iface.dhcp_options.push(("hostname".into(), value.to_string()));
            }
            "mtu" => {
                value.parse::<u32>().map_err(|_| format!("mtu {value} is not a number"))?;
                iface.mtu = Some(value.to_string());
            }
            "hwaddress" | "bridge-hw" => {
                let mac = words.last().copied().unwrap_or_default();
                let mac = addr::mac(mac).ok_or("netplug sets a fixed MAC address only")?;
                iface.hwaddr = Some(mac);
            }
            "bridge-ports" => {
                if words.iter().any(|w| matches!(*w, "regex" | "glob" | "all"))
                    || value.contains(['*', '?', '['])
                {
                    return Err("ports chosen by pattern: netplug names each port".into());
                }
                for w in words.iter().filter(|w| **w != "none") {
                    iface.add_port(w);
                }
            }
            "bond-slaves" => {
                if words.iter().any(|w| *w == "all" || w.contains(['*', '?'])) {
                    return Err("slaves chosen by pattern: netplug names each slave".into());
                }
                for w in words.iter().filter(|w| **w != "none") {
                    iface.add_port(w);
                }
            }
            "bond-master" => {
                need(value)?;
                let port = self.name.to_string();
                let bond = out.document.entry(value, Kind::Bond, &line.origin);
                bond.add_port(&port);
            }
            "bond-primary" => {
                need(value)?;
                let bond_name = if iface.kind == Kind::Bond { Some(self.name.to_string()) } else { None };
                let bond_name =
                    bond_name.or_else(|| master_of(out, self.name)).ok_or("bond-primary outside a bond")?;
                out.document.get_mut(&bond_name).expect("found above").primary = Some(words[0].to_string());
            }
            k if k.starts_with("bond-") && BOND_OPTIONS.contains(&&k[5..]) => {
                need(value)?;
                let option = &k[5..];
                let value = if BOND_BOOLEANS.contains(&option) {
                    addr::yes_no(addr::boolean(value).ok_or(format!("{k} {value} is not a boolean"))?)
                        .to_string()
                } else if option == "lacp-rate" {
                    match value {
                        "0" => "slow".into(),
                        "1" => "fast".into(),
                        v => v.to_string(),
                    }
                } else if option == "arp-ip-target" {
                    words.join(",")
                } else {
                    value.to_string()
                };
                let target = if iface.kind == Kind::Bond {
                    Some(self.name.to_string())
                } else {
                    // ifenslave reads bond options given on a slave's stanza for its master.
                    master_of(out, self.name)
                };
                let target = target.ok_or("a bond option outside a bond")?;
                let bond = out.document.get_mut(&target).expect("found above");
                if target == self.name || bond.option(&option.replace('-', "_")).is_none() {
                    bond.set_option(&option.replace('-', "_"), value);
                }
            }
            k if BRIDGE_OPTIONS.iter().any(|(b, _)| *b == k) && iface.kind == Kind::Bridge => {
                need(value)?;
                let native = BRIDGE_OPTIONS.iter().find(|(b, _)| *b == k).expect("matched").1;
                let value = match native {
                    "stp" | "vlan_filtering" | "mcast_snooping" => {
                        addr::yes_no(addr::boolean(value).ok_or(format!("{k} {value} is not a boolean"))?)
                            .to_string()
                    }
                    _ => value.to_string(),
                };
                iface.set_option(native, value);
            }
            "bridge-waitport" | "bridge-maxwait" => {
                return Err("netplug does not wait for bridge ports at start-up".into())
            }
            "vlan-raw-device" if iface.kind == Kind::Vlan => {
                need(value)?;
                iface.set_option("device", value);
            }
            "vlan-id" if iface.kind == Kind::Vlan => {
                value.parse::<u16>().map_err(|_| format!("vlan-id {value} is not a number"))?;
                iface.set_option("tag", value);
            }
            "up" | "post-up" => {
                let route = route_command(value, self.name, "add")?;
                self.routes_added.push(route.clone());
                iface.routes.push(route);
            }
            "down" | "pre-down" | "post-down" => {
                // Taking down what an `up` line added is what netplug does by itself.
                let route = route_command(value, self.name, "del")?;
                if !self.routes_added.iter().any(|r| r.destination == route.destination) {
                    return Err("removes a route this stanza did not add".into());
                }
            }
            "pre-up" => return Err("netplug runs no commands".into()),
            k if k.starts_with("dns-") => {
                return Err("netplug writes name servers from DHCP only (<dhcp peerdns>)".into())
            }
            "address" | "netmask" | "gateway" | "metric" => {
                return Err(format!(
                    "`{key}` belongs in a static stanza, not `{} {}`",
                    self.family, self.method
                ))
            }
            _ => return Err(format!("netplug has no equivalent of `{key}`")),
        }
        Ok(())
    }

    /// The addresses, once the stanza's `netmask` is known.
    fn finish(self, s: &Stanza, out: &mut Import) {
        if self.method == "static" && !self.implicit && self.address.is_empty() {
            out.unsupported(&s.head.origin, &s.head.text, "a static stanza without an address");
        }
        if let Some((metric, origin)) = self.metric {
            // ifupdown gives `metric` to the default route through `gateway`.
            let iface = out.document.get_mut(self.name).expect("entered");
            let family = |g: &String| g.contains(':') == (self.family == "inet6");
            match iface.gateways.iter().position(family) {
                Some(at) => {
                    let gateway = iface.gateways.remove(at);
                    iface.routes.push(Route {
                        destination: "default".into(),
                        gateway: Some(gateway),
                        metric: Some(metric),
                        ..Route::default()
                    });
                }
                None => out.unsupported(&origin, format!("metric {metric}"), "a metric without a gateway"),
            }
        }
        for (address, origin) in self.address {
            match addr::with_prefix(&address, self.netmask.as_deref()) {
                Some(a) if a.contains(':') == (self.family == "inet6") => {
                    out.document.get_mut(self.name).expect("entered").add_address(a)
                }
                Some(_) => out.unsupported(
                    &origin,
                    format!("address {address}"),
                    format!("not an {} address", self.family),
                ),
                None => out.unsupported(
                    &origin,
                    format!("address {address}"),
                    "not an address with a prefix (give /LEN or a netmask; netplug guesses no classful mask)",
                ),
            }
        }
    }
}

/// The bond whose slaves include `port`.
fn master_of(out: &Import, port: &str) -> Option<String> {
    out.document
        .interfaces
        .iter()
        .find(|i| i.kind == Kind::Bond && i.ports.iter().any(|p| p == port))
        .map(|i| i.name.clone())
}

/// `ip [-4|-6] route add|replace …` (or `del` for `verb == "del"`) as a route of `dev`.
fn route_command(command: &str, dev: &str, verb: &str) -> Result<Route, String> {
    let not_plain = || "netplug runs no commands; only a plain `ip route add` is imported".to_string();
    let words: Vec<&str> = command.split_whitespace().collect();
    let mut rest = words.as_slice();
    match rest.first() {
        Some(&("ip" | "/sbin/ip" | "/bin/ip" | "/usr/sbin/ip" | "/usr/bin/ip")) => rest = &rest[1..],
        _ => return Err(not_plain()),
    }
    while rest.first().is_some_and(|f| matches!(*f, "-4" | "-6")) {
        rest = &rest[1..];
    }
    match rest {
        [object, v, args @ ..]
            if matches!(*object, "route" | "ro" | "r")
                && if verb == "add" {
                    matches!(*v, "add" | "a" | "replace" | "append")
                } else {
                    matches!(*v, "del" | "delete" | "d")
                } =>
        {
            if args.iter().any(|a| a.contains(['|', '&', ';', '`', '$']) && *a != "$IFACE") {
                return Err(not_plain());
            }
            addr::ip_route(args, dev)
        }
        _ => Err(not_plain()),
    }
}
