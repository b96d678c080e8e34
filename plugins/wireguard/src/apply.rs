//! Changes → kernel: links over rtnetlink in bursts (the SDK's batch), device settings and peers
//! over the `wireguard` generic netlink family, each after what was queued before it.

use std::path::Path;

use netplug_plugin_sdk::netlink::wireguard::{AllowedIp, DeviceChange, PeerChange, SecretKey};
use netplug_plugin_sdk::netlink::{apply_kind_changes, Batch};
use netplug_plugin_sdk::netlink::{LinkMessage, Request, WireGuard};
use netplug_plugin_sdk::{ApplyError, Change, PluginError};

use crate::config::{parse_allowed_ip, parse_endpoint};
use crate::keys;
use crate::plan::{KeySource, PresharedSource, WgOp};

/// Apply changes from [`crate::plan::plan`] in order; stop at the first failure.
pub fn apply(changes: &[Change]) -> Result<(), ApplyError> {
    // Opened at the first device change: the family exists only once a link made it load.
    let mut wg: Option<WireGuard> = None;
    apply_kind_changes(changes, |op: &WgOp, batch| requests(op, batch, &mut wg))
}

fn requests(
    op: &WgOp,
    batch: &mut Batch<'_>,
    wg: &mut Option<WireGuard>,
) -> Result<Vec<Request>, ApplyError> {
    let name = match op {
        WgOp::Create { name, mtu } => {
            let mut create = LinkMessage::create(name, "wireguard");
            if let Some(mtu) = mtu {
                create = create.mtu(*mtu);
            }
            return Ok(vec![create.build()]);
        }
        WgOp::SetDevice { name, .. } | WgOp::SetPeer { name, .. } | WgOp::RemovePeer { name, .. } => name,
    };
    let fail = |batch: &Batch<'_>, message: String| batch.fail(PluginError::new(message).on_interface(name));
    let change = device_change(op).map_err(|m| fail(batch, m))?;
    // The link must exist before the family can be asked about it.
    batch.flush()?;
    if wg.is_none() {
        *wg = Some(WireGuard::open().map_err(|e| batch.fail(PluginError::from(e).on_interface(name)))?);
    }
    let socket = wg.as_mut().expect("just opened");
    socket.set(&change).map_err(|e| batch.fail(PluginError::from(e).on_interface(name)))?;
    Ok(Vec::new())
}

/// The generic netlink change an operation makes, keys read from their files or from memory.
fn device_change(op: &WgOp) -> Result<DeviceChange, String> {
    match op {
        WgOp::Create { .. } => unreachable!("links are created over rtnetlink"),
        WgOp::SetDevice { name, private_key, listen_port, fwmark } => Ok(DeviceChange {
            ifname: name.clone(),
            private_key: private_key.as_ref().map(private_key_of).transpose()?,
            listen_port: *listen_port,
            fwmark: *fwmark,
            replace_peers: false,
            peers: Vec::new(),
        }),
        WgOp::SetPeer { name, peer, endpoint, keepalive, preshared_key, allowed_ips } => {
            let mut change = PeerChange::new(keys::parse_public(peer)?);
            change.endpoint = endpoint.as_deref().map(parse_endpoint).transpose()?;
            change.persistent_keepalive = *keepalive;
            change.preshared_key = preshared_key.as_ref().map(preshared_key_of).transpose()?;
            if let Some(ips) = allowed_ips {
                change.replace_allowed_ips = true;
                change.allowed_ips = ips
                    .iter()
                    .map(|t| parse_allowed_ip(t).map(|(ip, _)| ip))
                    .collect::<Result<Vec<AllowedIp>, _>>()?;
            }
            Ok(DeviceChange { ifname: name.clone(), peers: vec![change], ..Default::default() })
        }
        WgOp::RemovePeer { name, peer } => {
            let change = PeerChange { remove: true, ..PeerChange::new(keys::parse_public(peer)?) };
            Ok(DeviceChange { ifname: name.clone(), peers: vec![change], ..Default::default() })
        }
    }
}

fn private_key_of(source: &KeySource) -> Result<SecretKey, String> {
    match source {
        KeySource::None => Ok(SecretKey::none()),
        KeySource::File { path, public_key } => {
            let key = keys::read_key_file(path)?;
            let public = keys::format_public(&keys::remember_private(&key));
            if &public != public_key {
                return Err(changed(path));
            }
            Ok(key)
        }
        KeySource::Remembered { public_key } => keys::remembered_private(&keys::parse_public(public_key)?)
            .ok_or_else(|| format!("the private key of public key {public_key} is not known to this run")),
    }
}

fn preshared_key_of(source: &PresharedSource) -> Result<SecretKey, String> {
    match source {
        PresharedSource::None => Ok(SecretKey::none()),
        PresharedSource::File { path, id } => {
            let key = keys::read_key_file(path)?;
            if &keys::remember_preshared(&key) != id {
                return Err(changed(path));
            }
            Ok(key)
        }
        PresharedSource::Remembered { id } => keys::remembered_preshared(id)
            .ok_or_else(|| format!("preshared key {id} is not known to this run")),
    }
}

fn changed(path: &Path) -> String {
    format!("{}: the key file changed since the plan was made; plan again", path.display())
}
