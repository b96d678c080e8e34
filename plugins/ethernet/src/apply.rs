//! Applying: the operations this plugin plans ([`EthOp`] beside the SDK's [`LinkOp`]) and
//! running them — link changes batched into bursts of rtnetlink requests, ethtool changes over
//! the generic netlink socket, in the order given, stopping at the first failure.

use netplug_plugin_sdk::link::{plugin_error, Batch, LinkOp};
use netplug_plugin_sdk::netlink::{
    self, Channels, Duplex, Ethtool, LinkMessage, LinkModesChange, Rings, Socket,
};
use netplug_plugin_sdk::{ApplyError, Change, Phase, PluginError};
use serde::{Deserialize, Serialize};

use crate::renames;

/// What only this plugin does, as carried in a [`Change`]'s payload. `name` is the device the
/// operation acts on, as it is named when the operation runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum EthOp {
    /// The kernel refuses to rename a link that is up on older kernels (`EBUSY`); plan sets
    /// it down first.
    Rename {
        name: String,
        to: String,
    },
    /// One `ETHTOOL_MSG_FEATURES_SET` for all of a device's features, so features that depend
    /// on each other (checksumming and segmentation offloads) change together.
    Features {
        name: String,
        features: Vec<(String, bool)>,
    },
    LinkModes {
        name: String,
        speed: Option<u32>,
        duplex: Option<String>,
        autoneg: Option<bool>,
    },
    Rings {
        name: String,
        rx: Option<u32>,
        tx: Option<u32>,
        rx_mini: Option<u32>,
        rx_jumbo: Option<u32>,
    },
    Channels {
        name: String,
        rx: Option<u32>,
        tx: Option<u32>,
        other: Option<u32>,
        combined: Option<u32>,
    },
}

impl EthOp {
    pub fn name(&self) -> &str {
        match self {
            EthOp::Rename { name, .. }
            | EthOp::Features { name, .. }
            | EthOp::LinkModes { name, .. }
            | EthOp::Rings { name, .. }
            | EthOp::Channels { name, .. } => name,
        }
    }

    /// Package as a [`Change`] for `interface` in `phase`.
    pub fn change(self, interface: &str, phase: Phase, description: impl Into<String>) -> Change {
        Change {
            interface: interface.to_string(),
            phase,
            description: description.into(),
            payload: serde_json::to_string(&self).expect("ethernet ops serialise"),
        }
    }

    /// Run an ethtool operation (not [`EthOp::Rename`], which is batched as a link change).
    fn run(&self, ethtool: &mut Ethtool) -> Result<(), netlink::Error> {
        match self {
            EthOp::Rename { .. } => unreachable!("renames are link requests"),
            EthOp::Features { name, features } => {
                let list: Vec<(&str, bool)> = features.iter().map(|(f, on)| (f.as_str(), *on)).collect();
                ethtool.set_features(name, &list)
            }
            EthOp::LinkModes { name, speed, duplex, autoneg } => {
                let duplex = duplex.as_deref().map(|d| if d == "half" { Duplex::Half } else { Duplex::Full });
                ethtool.set_link_modes(name, &LinkModesChange { autoneg: *autoneg, speed: *speed, duplex })
            }
            EthOp::Rings { name, rx, tx, rx_mini, rx_jumbo } => ethtool.set_rings(
                name,
                &Rings { rx: *rx, tx: *tx, rx_mini: *rx_mini, rx_jumbo: *rx_jumbo, ..Rings::default() },
            ),
            EthOp::Channels { name, rx, tx, other, combined } => ethtool.set_channels(
                name,
                &Channels { rx: *rx, tx: *tx, other: *other, combined: *combined, ..Channels::default() },
            ),
        }
    }
}

/// A change's payload: an envelope operation shared with the other kind plugins, or one of ours.
#[derive(Deserialize)]
#[serde(untagged)]
enum Payload {
    Link(LinkOp),
    Eth(EthOp),
}

/// Apply `changes` in order. Link requests are queued and sent in bursts; an ethtool request
/// first flushes them, because it names the device and may follow a rename or need the MTU
/// already set. Errors name the device and carry the kernel's extended-ack text.
pub fn apply(changes: &[Change]) -> Result<(), ApplyError> {
    if changes.is_empty() {
        return Ok(());
    }
    let mut sock = Socket::route_reused().map_err(|e| ApplyError { index: 0, error: plugin_error("", e) })?;
    let mut batch = Batch::new(&mut sock);
    let mut ethtool: Option<Ethtool> = None;
    for (i, c) in changes.iter().enumerate() {
        batch.begin(i, &c.interface);
        let payload: Payload = serde_json::from_str(&c.payload).map_err(|e| {
            batch.fail(PluginError::new(format!("bad change payload: {e}")).on_interface(&c.interface))
        })?;
        match payload {
            Payload::Link(op) => {
                batch.begin(i, op.name());
                let req = op.request(&mut batch)?;
                batch.push(req);
            }
            Payload::Eth(EthOp::Rename { name, to }) => {
                batch.begin(i, &name);
                let index = batch.index_of(&name)?;
                batch.push(LinkMessage::change(index).rename(&to).build());
                // A device renamed back is no longer one to restore.
                renames::forget(&name);
            }
            Payload::Eth(op) => {
                batch.flush()?;
                batch.begin(i, op.name());
                if ethtool.is_none() {
                    ethtool = Some(Ethtool::open().map_err(|e| batch.fail(plugin_error(op.name(), e)))?);
                }
                let sock = ethtool.as_mut().expect("just opened");
                op.run(sock).map_err(|e| batch.fail(plugin_error(op.name(), e)))?;
            }
        }
    }
    batch.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_tell_link_ops_from_ours() {
        let link = LinkOp::SetMtu { name: "eth0".into(), mtu: 9000 }.change("eth0", Phase::Configure, "x");
        assert!(matches!(serde_json::from_str(&link.payload), Ok(Payload::Link(LinkOp::SetMtu { .. }))));
        let rename =
            EthOp::Rename { name: "eth3".into(), to: "lan0".into() }.change("lan0", Phase::Configure, "x");
        assert_eq!(rename.payload, r#"{"op":"rename","name":"eth3","to":"lan0"}"#);
        let back: Payload = serde_json::from_str(&rename.payload).unwrap();
        assert!(matches!(back, Payload::Eth(EthOp::Rename { .. })));
        let f = EthOp::Features { name: "eth0".into(), features: vec![("rx-gro".into(), true)] };
        let back: Payload =
            serde_json::from_str(&f.clone().change("eth0", Phase::Configure, "x").payload).unwrap();
        assert!(matches!(back, Payload::Eth(op) if op == f));
    }
}
