//! Kernel → vocabulary: every WireGuard link of one link dump, each with its device read over
//! generic netlink, as the `<wireguard>` item a document would hold — keys named by what is not
//! secret (the public key the kernel derived, a preshared key's id), never by the key.

use netplug_plugin_sdk::netlink::wireguard::Device;
use netplug_plugin_sdk::netlink::LinkTable;
use netplug_plugin_sdk::netlink::{Socket, WireGuard};
use netplug_plugin_sdk::{Element, Item, PluginError};

use crate::config::format_allowed_ip;
use crate::keys;

/// The WireGuard links called `names` (all when `None`).
pub fn read(names: Option<&[String]>) -> Result<Vec<Item>, PluginError> {
    let mut sock = Socket::route_reused()?;
    let table = LinkTable::dump(&mut sock)?;
    let links = table.links_of_kind("wireguard", names);
    if links.is_empty() {
        return Ok(Vec::new());
    }
    // The family exists once a wireguard link does (creating one loads the module).
    let mut wg = WireGuard::open()?;
    let mut out = Vec::with_capacity(links.len());
    for link in links {
        let device = wg.device(&link.name).map_err(|e| PluginError::from(e).on_interface(&link.name))?;
        let mut element = Element::new("wireguard");
        write_device(&device, &mut element);
        out.push(Item {
            interface: link.name.clone(),
            kind: "wireguard".into(),
            envelope: Some(table.envelope(link, "wireguard")),
            element,
        });
    }
    Ok(out)
}

/// A peer's attributes that are facts of the tunnel, not settings (`PluginInfo::observed`): its
/// last handshake (seconds since the epoch, as `wg show dump` prints it; left out before the
/// first) and the bytes received from and sent to it.
pub const OBSERVED: &[&str] = &["latest-handshake", "rx-bytes", "tx-bytes"];

/// A device in the format's words; its keys are remembered (see [`keys`]) so that a rollback
/// can put them back.
pub fn write_device(device: &Device, el: &mut Element) {
    // 0: none yet (the kernel picks one when the device goes up); left out, as a document would.
    if device.listen_port != 0 {
        el.set_attr("listen-port", device.listen_port);
    }
    el.set_attr("fwmark", device.fwmark);
    if let Some(private) = &device.private_key {
        let public = keys::remember_private(private);
        el.children.push(Element::new("private-key").with_attr("public-key", keys::format_public(&public)));
    }
    for peer in &device.peers {
        let mut p = Element::new("peer").with_attr("public-key", keys::format_public(&peer.public_key));
        if let Some(endpoint) = &peer.endpoint {
            p.set_attr("endpoint", endpoint);
        }
        // 0: never, as a document that leaves it out says (plan reads absent as 0).
        if peer.persistent_keepalive != 0 {
            p.set_attr("persistent-keepalive", peer.persistent_keepalive);
        }
        if let Some(psk) = &peer.preshared_key {
            p.set_attr("preshared-key-id", keys::remember_preshared(psk));
        }
        for ip in &peer.allowed_ips {
            p.children.push(Element::new("allowed-ip").with_attr("prefix", format_allowed_ip(ip)));
        }
        // Observed only (see `OBSERVED`): `show --observed` prints them, plans ignore them.
        if let Some((secs, _)) = peer.last_handshake {
            p.set_attr("latest-handshake", secs);
        }
        p.set_attr("rx-bytes", peer.rx_bytes);
        p.set_attr("tx-bytes", peer.tx_bytes);
        el.children.push(p);
    }
}
