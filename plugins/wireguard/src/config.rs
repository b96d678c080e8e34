//! The `<wireguard>` vocabulary — the device's port, firewall mark and private key, its peers
//! with their endpoints, keepalives, preshared keys and allowed IPs — with the rules the kernel
//! and WireGuard's design impose, checked at the place each value was written.
//!
//! Names follow systemd-networkd's `[WireGuard]`/`[WireGuardPeer]` sections in the format's
//! spelling (`ListenPort=` → `listen-port`, `PrivateKeyFile=` → `<private-key file>`,
//! `AllowedIPs=` → one `<allowed-ip prefix>` each).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use netplug_plugin_sdk::ip::Prefix;
use netplug_plugin_sdk::netlink::wireguard::{AllowedIp, PublicKey};
use netplug_plugin_sdk::schema::{self, AttrSpec, ValueKind, ENVELOPE_ATTRIBUTES, FEATURE_ELEMENTS};
use netplug_plugin_sdk::{Attribute, Diagnostic, Element, Item, Span, Validation};

use crate::keys;

pub const LISTEN_PORT: AttrSpec = AttrSpec {
    name: "listen-port",
    help: "the UDP port the device listens on",
    kind: ValueKind::Uint { min: 1, max: 65535, unit: "" },
    default: None,
};
pub const FWMARK: AttrSpec = AttrSpec {
    name: "fwmark",
    help: "the firewall mark of the device's outgoing packets (decimal or 0x hex; 0 is none)",
    kind: ValueKind::Other("a 32-bit number"),
    default: Some("0"),
};
/// Every attribute of `<wireguard>` besides the envelope's.
pub const ATTRIBUTES: &[AttrSpec] = &[LISTEN_PORT, FWMARK];

pub const KEY_FILE: AttrSpec = AttrSpec {
    name: "file",
    help: "the file holding the device's private key in base64 (`wg genkey`), mode 0600 or \
           stricter, owned by root",
    kind: ValueKind::Other("an absolute path"),
    default: None,
};
pub const KEY_PUBLIC: AttrSpec = AttrSpec {
    name: "public-key",
    help: "the public key of the private key; what `show` prints. Without `file`, the device \
           keeps the key it has, which must be this one",
    kind: ValueKind::Other("a base64 key"),
    default: None,
};
/// The attributes of `<private-key>`.
pub const PRIVATE_KEY_ATTRIBUTES: &[AttrSpec] = &[KEY_FILE, KEY_PUBLIC];

pub const PEER_PUBLIC_KEY: AttrSpec = AttrSpec {
    name: "public-key",
    help: "the peer's public key",
    kind: ValueKind::Other("a base64 key; required"),
    default: None,
};
pub const ENDPOINT: AttrSpec = AttrSpec {
    name: "endpoint",
    help: "where to reach the peer: ADDRESS:PORT or [IPv6]:PORT; without one the peer's is \
           learnt from its packets",
    kind: ValueKind::Other("an address and port"),
    default: None,
};
pub const KEEPALIVE: AttrSpec = AttrSpec {
    name: "persistent-keepalive",
    help: "send a keepalive every this many seconds, to keep NAT and firewall state (0 or off: never)",
    kind: ValueKind::Other("0-65535 seconds, or off"),
    default: Some("off"),
};
pub const PRESHARED_KEY_FILE: AttrSpec = AttrSpec {
    name: "preshared-key-file",
    help: "a file holding a preshared key shared with this peer (`wg genpsk`), mode 0600 or \
           stricter, owned by root",
    kind: ValueKind::Other("an absolute path"),
    default: None,
};
pub const PRESHARED_KEY_ID: AttrSpec = AttrSpec {
    name: "preshared-key-id",
    help: "a digest naming the peer's preshared key, as `show` prints it instead of the key; \
           without `preshared-key-file`, the peer keeps the key it has, which must be this one",
    kind: ValueKind::Other("16 characters"),
    default: None,
};
/// The attributes of `<peer>`.
pub const PEER_ATTRIBUTES: &[AttrSpec] =
    &[PEER_PUBLIC_KEY, ENDPOINT, KEEPALIVE, PRESHARED_KEY_FILE, PRESHARED_KEY_ID];

pub const PREFIX: AttrSpec = AttrSpec {
    name: "prefix",
    help: "a range of addresses the peer may send from and is sent to (ADDRESS/LENGTH)",
    kind: ValueKind::Other("an IPv4 or IPv6 prefix; required"),
    default: None,
};
/// The attributes of `<allowed-ip>`.
pub const ALLOWED_IP_ATTRIBUTES: &[AttrSpec] = &[PREFIX];

/// Where a private key comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrivateKey {
    /// A key file, with the public key the document expects of it, if it says one.
    File { path: PathBuf, public_key: Option<PublicKey> },
    /// The key the device has, named by its public key (as read back, or as `show` prints).
    Public(PublicKey),
}

/// Where a peer's preshared key comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PresharedKey {
    File(PathBuf),
    Id(String),
}

/// A `<peer>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Peer {
    pub public_key: PublicKey,
    pub endpoint: Option<SocketAddr>,
    /// Seconds; `None` when not written (off).
    pub keepalive: Option<u16>,
    pub preshared_key: Option<PresharedKey>,
    /// Host bits cleared, as the kernel keeps them; sorted, without duplicates.
    pub allowed_ips: Vec<AllowedIp>,
}

/// A `<wireguard>` element, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub listen_port: Option<u16>,
    pub fwmark: Option<u32>,
    pub private_key: Option<PrivateKey>,
    pub peers: Vec<Peer>,
}

pub fn parse_fwmark(text: &str) -> Result<u32, String> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("off") {
        return Ok(0);
    }
    let parsed = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16),
        None => t.parse::<u32>(),
    };
    parsed.map_err(|_| "expected a 32-bit number (decimal or 0x hex) or off".to_string())
}

pub fn parse_keepalive(text: &str) -> Result<u16, String> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("off") {
        return Ok(0);
    }
    t.parse::<u16>().map_err(|_| "expected 0-65535 seconds or off".to_string())
}

/// `ADDRESS:PORT` or `[IPv6]:PORT`, an address literal: netplug resolves no names (a name's
/// address at boot is whatever DNS says then, and read-back could not compare it).
pub fn parse_endpoint(text: &str) -> Result<SocketAddr, String> {
    let t = text.trim();
    if t.contains('%') {
        return Err("an endpoint takes no IPv6 zone (`%`): use a global address".into());
    }
    match t.parse::<SocketAddr>() {
        Ok(a) if a.port() == 0 => Err("the port must be between 1 and 65535".into()),
        Ok(a) => Ok(a),
        Err(_) => {
            let (host, port) = t.rsplit_once(':').ok_or("expected ADDRESS:PORT or [IPv6]:PORT")?;
            if port.parse::<u16>().is_err() {
                return Err(format!("`{port}` is not a port (1-65535)"));
            }
            if host.parse::<IpAddr>().is_ok_and(|a| a.is_ipv6()) || host.matches(':').count() > 0 {
                return Err("write an IPv6 endpoint in brackets: [ADDRESS]:PORT".into());
            }
            Err(format!("`{host}` is not an IP address; netplug resolves no host names in endpoints"))
        }
    }
}

/// An `<allowed-ip prefix>`: the prefix with host bits cleared, and whether it had any.
pub fn parse_allowed_ip(text: &str) -> Result<(AllowedIp, bool), String> {
    let p = Prefix::parse(text)?;
    let network = p.subnet();
    Ok((AllowedIp { addr: network.addr, cidr: network.len }, p.has_host_bits()))
}

pub fn format_allowed_ip(ip: &AllowedIp) -> String {
    ip.to_string()
}

fn key_path(text: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(text.trim());
    if !path.is_absolute() {
        return Err("a key file must be named by an absolute path".into());
    }
    Ok(path)
}

fn check_id(text: &str) -> Result<String, String> {
    let t = text.trim();
    if t.len() != 16 || !t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/') {
        return Err("expected the 16-character identifier `show` prints".into());
    }
    Ok(t.to_string())
}

impl Config {
    /// The configuration an element states; the first unreadable value is an error naming it.
    /// (Validation reports every problem at its place; this is for plan, on checked items and
    /// on items read back.)
    pub fn of(el: &Element) -> Result<Config, String> {
        let bad = |what: &str, value: &str, m: String| format!("invalid {what} `{value}`: {m}");
        let listen_port = match el.value(LISTEN_PORT.name) {
            None => None,
            Some(v) => Some(v.trim().parse::<u16>().map_err(|_| format!("invalid listen-port `{v}`"))?),
        };
        let fwmark =
            el.value(FWMARK.name).map(|v| parse_fwmark(v).map_err(|m| bad("fwmark", v, m))).transpose()?;
        let private_key = match el.child("private-key") {
            None => None,
            Some(k) => {
                let public_key = k
                    .value("public-key")
                    .map(|v| keys::parse_public(v).map_err(|m| bad("public-key", v, m)))
                    .transpose()?;
                match (k.value("file"), public_key) {
                    (Some(f), public_key) => Some(PrivateKey::File { path: key_path(f)?, public_key }),
                    (None, Some(p)) => Some(PrivateKey::Public(p)),
                    (None, None) => return Err("<private-key> needs a file".into()),
                }
            }
        };
        let mut peers = Vec::new();
        for p in el.children_named("peer") {
            let key = p.value("public-key").ok_or("a <peer> needs a public-key")?;
            let public_key = keys::parse_public(key).map_err(|m| bad("public-key", key, m))?;
            let endpoint = p
                .value("endpoint")
                .map(|v| parse_endpoint(v).map_err(|m| bad("endpoint", v, m)))
                .transpose()?;
            let keepalive = p
                .value("persistent-keepalive")
                .map(|v| parse_keepalive(v).map_err(|m| bad("persistent-keepalive", v, m)))
                .transpose()?;
            let preshared_key = match (p.value("preshared-key-file"), p.value("preshared-key-id")) {
                (Some(f), _) => Some(PresharedKey::File(key_path(f)?)),
                (None, Some(id)) => Some(PresharedKey::Id(check_id(id)?)),
                (None, None) => None,
            };
            let mut allowed_ips = Vec::new();
            for a in p.children_named("allowed-ip") {
                let v = a.value("prefix").ok_or("an <allowed-ip> needs a prefix")?;
                allowed_ips.push(parse_allowed_ip(v).map_err(|m| bad("prefix", v, m))?.0);
            }
            allowed_ips.sort();
            allowed_ips.dedup();
            peers.push(Peer { public_key, endpoint, keepalive, preshared_key, allowed_ips });
        }
        Ok(Config { listen_port, fwmark, private_key, peers })
    }
}

/// Check every `<wireguard>` item; wireguard declares no dependencies (its traffic goes by
/// routing, not by a lower device).
pub fn validate(items: &[Item]) -> Validation {
    let mut v = Validation::default();
    // The kernel lets one listening socket per port and family exist in a namespace.
    let mut ports: HashMap<u16, (String, Span)> = HashMap::new();
    for item in items {
        let name = item.interface.as_str();
        let el = &item.element;
        let out = &mut v.diagnostics;
        out.extend(schema::check_specs(el, ATTRIBUTES, ENVELOPE_ATTRIBUTES, name));
        out.extend(schema::check_children_hinting(el, &["private-key", "peer"], FEATURE_ELEMENTS, name));
        if let Some(a) = FWMARK.attr(el) {
            if let Err(m) = parse_fwmark(&a.value) {
                out.push(schema::bad_value(a, name, m));
            }
        }
        if let (Some(a), Some(port)) = (LISTEN_PORT.attr(el), LISTEN_PORT.get_u32(el)) {
            let port = port as u16;
            match ports.get(&port) {
                Some((other, first)) => out.push(
                    schema::bad_value(a, name, format!("port {port} is {other}'s already"))
                        .with_help(format!("{other} takes it at {}:{}", first.line, first.col)),
                ),
                None => {
                    ports.insert(port, (name.to_string(), a.value_span));
                }
            }
        }
        if item.envelope.as_ref().is_some_and(|e| e.mac.is_some()) {
            // The kernel refuses it too (`wg_setup` makes an ARPHRD_NONE device), but only at
            // apply time and without saying where.
            out.push(
                Diagnostic::error(el.span, "a WireGuard device has no MAC address")
                    .on_interface(name)
                    .on_attribute("hwaddr")
                    .with_help("WireGuard is a layer-3 tunnel: leave out <hwaddr>"),
            );
        }
        let own_key = check_private_keys(el, name, item.is_absent(), out);
        check_peers(el, name, own_key, out);
    }
    v
}

/// The `<private-key>` rules; the device's public key when the key file is readable.
fn check_private_keys(
    el: &Element,
    name: &str,
    absent: bool,
    out: &mut Vec<Diagnostic>,
) -> Option<PublicKey> {
    let keys: Vec<&Element> = el.children_named("private-key").collect();
    if keys.is_empty() && !absent {
        out.push(
            Diagnostic::error(el.span, "<wireguard> needs a <private-key file=\"…\"/>")
                .on_interface(name)
                .on_attribute("private-key")
                .with_help("make one with `umask 077; wg genkey > /etc/netplug/NAME.key`"),
        );
    }
    for extra in keys.iter().skip(1) {
        out.push(
            Diagnostic::error(extra.span, "a device has one private key; this is a second <private-key>")
                .on_interface(name)
                .on_attribute("private-key"),
        );
    }
    let k = keys.first()?;
    out.extend(schema::check_specs(k, PRIVATE_KEY_ATTRIBUTES, &[], name));
    out.extend(schema::check_children_hinting(k, &[], &[], name));
    let stated = KEY_PUBLIC.attr(k).and_then(|a| public_attr(a, name, out));
    let Some(file) = KEY_FILE.attr(k) else {
        if KEY_PUBLIC.attr(k).is_none() {
            out.push(schema::missing_attr(k, "file", name));
        }
        return stated;
    };
    let derived = match key_path(&file.value).and_then(|p| read_key_file(&p)) {
        Ok(key) => keys::public_of(&key),
        Err(m) => {
            out.push(schema::bad_value(file, name, m));
            return stated;
        }
    };
    if let (Some(stated), Some(a)) = (stated, KEY_PUBLIC.attr(k)) {
        if stated != derived {
            out.push(
                schema::bad_value(a, name, "is not the public key of the key in `file`")
                    .with_help(format!("the file's public key is {}", keys::format_public(&derived))),
            );
        }
    }
    Some(derived)
}

/// [`keys::read_key_file`] for a diagnostic, which quotes the path already.
fn read_key_file(
    path: &std::path::Path,
) -> Result<netplug_plugin_sdk::netlink::wireguard::SecretKey, String> {
    let prefix = format!("{}: ", path.display());
    keys::read_key_file(path).map_err(|m| m.strip_prefix(&prefix).map(str::to_string).unwrap_or(m))
}

fn public_attr(a: &Attribute, name: &str, out: &mut Vec<Diagnostic>) -> Option<PublicKey> {
    match keys::parse_public(&a.value) {
        Ok(k) => Some(k),
        Err(m) => {
            out.push(schema::bad_value(a, name, m));
            None
        }
    }
}

fn check_peers(el: &Element, name: &str, own_key: Option<PublicKey>, out: &mut Vec<Diagnostic>) {
    let mut seen_keys: HashMap<PublicKey, Span> = HashMap::new();
    let mut seen_ips: HashMap<AllowedIp, (String, Span)> = HashMap::new();
    for p in el.children_named("peer") {
        out.extend(schema::check_specs(p, PEER_ATTRIBUTES, &[], name));
        out.extend(schema::check_children_hinting(p, &["allowed-ip"], &[], name));
        let key = match PEER_PUBLIC_KEY.attr(p) {
            None => {
                out.push(schema::missing_attr(p, "public-key", name));
                None
            }
            Some(a) => public_attr(a, name, out).map(|k| (k, a)),
        };
        let peer_name = key.map(|(k, _)| keys::format_public(&k)).unwrap_or_else(|| "a peer".into());
        if let Some((k, a)) = key {
            if Some(k) == own_key {
                out.push(schema::bad_value(
                    a,
                    name,
                    "is the device's own public key; the kernel would drop this peer",
                ));
            } else if let Some(first) = seen_keys.get(&k) {
                out.push(
                    schema::bad_value(a, name, "names a peer already listed")
                        .with_help(format!("the first is at {}:{}", first.line, first.col)),
                );
            } else {
                seen_keys.insert(k, a.value_span);
            }
        }
        if let Some(a) = ENDPOINT.attr(p) {
            if let Err(m) = parse_endpoint(&a.value) {
                out.push(schema::bad_value(a, name, m));
            }
        }
        if let Some(a) = KEEPALIVE.attr(p) {
            if let Err(m) = parse_keepalive(&a.value) {
                out.push(schema::bad_value(a, name, m));
            }
        }
        match (PRESHARED_KEY_FILE.attr(p), PRESHARED_KEY_ID.attr(p)) {
            (Some(_), Some(id)) => out.push(schema::bad_value(
                id,
                name,
                "a peer's preshared key comes from `preshared-key-file` or is kept by its id, not both",
            )),
            (Some(f), None) => {
                if let Err(m) = key_path(&f.value).and_then(|p| read_key_file(&p)) {
                    out.push(schema::bad_value(f, name, m));
                }
            }
            (None, Some(id)) => {
                if let Err(m) = check_id(&id.value) {
                    out.push(schema::bad_value(id, name, m));
                }
            }
            (None, None) => {}
        }
        for ip in p.children_named("allowed-ip") {
            out.extend(schema::check_specs(ip, ALLOWED_IP_ATTRIBUTES, &[], name));
            out.extend(schema::check_children_hinting(ip, &[], &[], name));
            let Some(a) = PREFIX.attr(ip) else {
                out.push(schema::missing_attr(ip, "prefix", name));
                continue;
            };
            match parse_allowed_ip(&a.value) {
                Err(m) => out.push(schema::bad_value(a, name, m)),
                Ok((allowed, host_bits)) => {
                    if host_bits {
                        out.push(
                            Diagnostic::warning(
                                a.value_span,
                                format!("{} has host bits set; the kernel keeps {allowed}", a.value.trim()),
                            )
                            .on_interface(name)
                            .on_attribute("prefix"),
                        );
                    }
                    match seen_ips.get(&allowed) {
                        Some((other, first)) => out.push(
                            schema::bad_value(
                                a,
                                name,
                                format!(
                                    "{allowed} is allowed to {other} already; a range belongs to one peer"
                                ),
                            )
                            .with_help(format!("the first is at {}:{}", first.line, first.col)),
                        ),
                        None => {
                            seen_ips.insert(allowed, (peer_name.clone(), a.value_span));
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
