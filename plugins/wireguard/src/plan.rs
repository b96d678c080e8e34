//! Live → desired: create and delete WireGuard links, and change a device's key, port, mark
//! and peers in place (the kernel changes all of them on a running device; nothing here needs
//! the link recreated).
//!
//! Each peer added, changed or removed is a change of its own, after the device's own settings.
//! What a document leaves out: no `listen-port` keeps the kernel's port, no `endpoint` keeps
//! the one the kernel learnt from the peer's packets; no `fwmark`, `persistent-keepalive` or
//! preshared key means none, and peers not listed are removed.
//!
//! Keys never enter a change: a change names the key file and the public key (or preshared-key
//! id) it must hold, and `apply` reads the file again; a key only a snapshot names is one this
//! process remembers (see [`crate::keys`]).

use std::collections::HashMap;
use std::path::PathBuf;

use netplug_plugin_sdk::netlink::wireguard::{AllowedIp, PublicKey};
use netplug_plugin_sdk::netlink::{plan_links, KindOp, LinkPlan, Worded};
use netplug_plugin_sdk::{Change, Envelope, Item, Phase, PluginError};
use serde::{Deserialize, Serialize};

use crate::config::{self, Config, PresharedKey, PrivateKey};
use crate::keys;

/// Where apply gets a private key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "from", rename_all = "kebab-case")]
pub enum KeySource {
    /// Read the file; it must still hold the key of `public_key`.
    File { path: PathBuf, public_key: String },
    /// The key of `public_key` this process remembers.
    Remembered { public_key: String },
    /// No key.
    None,
}

/// Where apply gets a preshared key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "from", rename_all = "kebab-case")]
pub enum PresharedSource {
    File { path: PathBuf, id: String },
    Remembered { id: String },
    None,
}

/// The WireGuard plugin's own operations; the rest are the SDK's
/// [`LinkOp`](netplug_plugin_sdk::netlink::LinkOp)s.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum WgOp {
    /// Create the link (no device settings yet: those follow as `set-device` and `set-peer`).
    Create {
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mtu: Option<u32>,
    },
    /// Change the device's own settings; `None` leaves one alone.
    SetDevice {
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        private_key: Option<KeySource>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        listen_port: Option<u16>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fwmark: Option<u32>,
    },
    /// Add a peer or change one; `None` leaves a value alone, `allowed_ips` replaces the list.
    SetPeer {
        name: String,
        peer: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        endpoint: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        keepalive: Option<u16>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        preshared_key: Option<PresharedSource>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        allowed_ips: Option<Vec<String>>,
    },
    RemovePeer {
        name: String,
        peer: String,
    },
}

impl WgOp {
    fn change(&self, interface: &str, phase: Phase, description: String) -> Change {
        KindOp::Kind(self).change(interface, phase, description)
    }
}

/// The changes that turn `live` into `desired` for the WireGuard links in `scope`.
pub fn plan(desired: &[Item], live: &[Item], scope: &[String]) -> Result<Vec<Change>, PluginError> {
    plan_links(&WireGuards, desired, live, scope)
}

/// Nothing of a device needs it made again: its key, port, mark and peers follow the envelope
/// on a create and an update alike (core runs them by phase, so before the set-up).
struct WireGuards;

impl LinkPlan for WireGuards {
    type Op = WgOp;

    fn create(&self, d: &Item, env: &Envelope) -> Result<Worded<WgOp>, PluginError> {
        Ok((WgOp::Create { name: d.interface.clone(), mtu: env.mtu }, Vec::new()))
    }

    fn then(&self, d: &Item, l: Option<&Item>, out: &mut Vec<Change>) -> Result<(), PluginError> {
        configure(d, l, out)
    }
}

fn error(interface: &str, message: impl Into<String>) -> PluginError {
    PluginError::new(message).on_interface(interface)
}

/// Short form of a public key for plan lines: enough to tell peers apart.
fn short(key: &str) -> &str {
    &key[..key.len().min(10)]
}

/// The device's settings and its peers: `live == None` for a device created in this run.
fn configure(d: &Item, l: Option<&Item>, out: &mut Vec<Change>) -> Result<(), PluginError> {
    let name = d.interface.as_str();
    let want = Config::of(&d.element).map_err(|m| error(name, m))?;
    let have = match l {
        Some(l) => Some(Config::of(&l.element).map_err(|m| error(name, m))?),
        None => None,
    };
    let live_public = match have.as_ref().and_then(|h| h.private_key.as_ref()) {
        Some(PrivateKey::Public(p)) => Some(*p),
        _ => None,
    };

    let mut what = Vec::new();
    let private_key = match (&want.private_key, live_public) {
        (None, None) => None,
        (None, Some(_)) => {
            what.push("remove the private key".to_string());
            Some(KeySource::None)
        }
        (Some(PrivateKey::File { path, public_key }), live) => {
            let key = keys::read_key_file(path).map_err(|m| error(name, m))?;
            let derived = keys::remember_private(&key);
            if public_key.is_some_and(|p| p != derived) {
                return Err(error(
                    name,
                    format!("{}: not the key of the public-key the document gives", path.display()),
                ));
            }
            (live != Some(derived)).then(|| {
                let public = keys::format_public(&derived);
                what.push(format!("private key from {} (public key {public})", path.display()));
                KeySource::File { path: path.clone(), public_key: public }
            })
        }
        (Some(PrivateKey::Public(p)), live) if live != Some(*p) => {
            let public = keys::format_public(p);
            if keys::remembered_private(p).is_none() {
                return Err(error(
                    name,
                    format!(
                        "cannot put back the private key of public key {public}: netplug keeps no \
                         copy of keys outside the run that read them; apply a document with its \
                         <private-key file> instead"
                    ),
                ));
            }
            what.push(format!("private key back to public key {public}"));
            Some(KeySource::Remembered { public_key: public })
        }
        (Some(PrivateKey::Public(_)), _) => None,
    };
    let live_port = have.as_ref().and_then(|h| h.listen_port);
    let listen_port = want.listen_port.filter(|p| Some(*p) != live_port);
    if let Some(p) = listen_port {
        what.push(format!("listen-port {p}{}", was(live_port)));
    }
    let live_mark = have.as_ref().and_then(|h| h.fwmark).unwrap_or(0);
    let fwmark = Some(want.fwmark.unwrap_or(0)).filter(|m| *m != live_mark);
    if let Some(m) = fwmark {
        what.push(format!("fwmark {m} (was {live_mark})"));
    }
    if !what.is_empty() {
        let op = WgOp::SetDevice { name: name.to_string(), private_key, listen_port, fwmark };
        out.push(op.change(name, Phase::Configure, format!("set {}", what.join(", "))));
    }

    let live_peers: HashMap<PublicKey, &config::Peer> =
        have.iter().flat_map(|h| &h.peers).map(|p| (p.public_key, p)).collect();
    let wanted: std::collections::HashSet<PublicKey> = want.peers.iter().map(|p| p.public_key).collect();
    // Removals first: an allowed IP moving from a removed peer to a new one is then free.
    for p in have.iter().flat_map(|h| &h.peers).filter(|p| !wanted.contains(&p.public_key)) {
        let key = keys::format_public(&p.public_key);
        let description = format!("remove peer {}", short(&key));
        out.push(WgOp::RemovePeer { name: name.to_string(), peer: key }.change(
            name,
            Phase::Configure,
            description,
        ));
    }
    for p in &want.peers {
        if let Some(change) = peer_change(name, p, live_peers.get(&p.public_key).copied())? {
            out.push(change);
        }
    }
    Ok(())
}

fn was<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map(|v| format!(" (was {v})")).unwrap_or_default()
}

fn ips_text(ips: &[AllowedIp]) -> String {
    if ips.is_empty() {
        return "none".into();
    }
    ips.iter().map(ToString::to_string).collect::<Vec<_>>().join(" ")
}

/// The change adding a peer (`live == None`) or making a live one match; `None` if it does.
fn peer_change(
    name: &str,
    p: &config::Peer,
    live: Option<&config::Peer>,
) -> Result<Option<Change>, PluginError> {
    let key = keys::format_public(&p.public_key);
    let peer = short(&key).to_string();
    let mut what = Vec::new();
    let endpoint = p.endpoint.filter(|e| live.and_then(|l| l.endpoint) != Some(*e));
    if let Some(e) = endpoint {
        what.push(format!("endpoint {e}{}", was(live.and_then(|l| l.endpoint))));
    }
    let live_keepalive = live.and_then(|l| l.keepalive).unwrap_or(0);
    let keepalive = Some(p.keepalive.unwrap_or(0)).filter(|k| *k != live_keepalive);
    if let Some(k) = keepalive.filter(|k| live.is_some() || *k != 0) {
        what.push(format!("persistent-keepalive {k}"));
    }
    let live_psk = live.and_then(|l| match &l.preshared_key {
        Some(PresharedKey::Id(id)) => Some(id.clone()),
        _ => None,
    });
    let preshared_key = match &p.preshared_key {
        None => live_psk.as_ref().map(|_| {
            what.push("no preshared key".into());
            PresharedSource::None
        }),
        Some(PresharedKey::File(path)) => {
            let k = keys::read_key_file(path).map_err(|m| error(name, m))?;
            let id = keys::remember_preshared(&k);
            (live_psk.as_deref() != Some(id.as_str())).then(|| {
                what.push(format!("preshared key from {} (id {id})", path.display()));
                PresharedSource::File { path: path.clone(), id }
            })
        }
        Some(PresharedKey::Id(id)) if live_psk.as_deref() != Some(id.as_str()) => {
            if keys::remembered_preshared(id).is_none() {
                return Err(error(
                    name,
                    format!(
                        "cannot put back preshared key {id} of peer {peer}: netplug keeps no copy of \
                         keys outside the run that read them; apply a document with its \
                         preshared-key-file instead"
                    ),
                ));
            }
            what.push(format!("preshared key back to id {id}"));
            Some(PresharedSource::Remembered { id: id.clone() })
        }
        Some(PresharedKey::Id(_)) => None,
    };
    let live_ips = live.map(|l| l.allowed_ips.clone()).unwrap_or_default();
    let allowed_ips = (p.allowed_ips != live_ips || live.is_none()).then(|| {
        if live.is_some() {
            what.push(format!("allowed-ips {} (was {})", ips_text(&p.allowed_ips), ips_text(&live_ips)));
        } else {
            what.push(format!("allowed-ips {}", ips_text(&p.allowed_ips)));
        }
        p.allowed_ips.iter().map(ToString::to_string).collect::<Vec<_>>()
    });
    if live.is_some() && what.is_empty() {
        return Ok(None);
    }
    let verb = if live.is_some() { "change" } else { "add" };
    let description = format!("{verb} peer {peer} ({})", what.join(", "));
    let op = WgOp::SetPeer {
        name: name.to_string(),
        peer: key,
        endpoint: endpoint.map(|e| e.to_string()),
        keepalive,
        preshared_key,
        allowed_ips,
    };
    Ok(Some(op.change(name, Phase::Configure, description)))
}

#[cfg(test)]
mod tests;
