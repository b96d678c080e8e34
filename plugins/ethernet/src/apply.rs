//! Applying: the operations this plugin plans ([`EthOp`] beside the SDK's `LinkOp`s) and
//! running them — link changes batched into bursts of rtnetlink requests, ethtool changes over
//! the generic netlink socket, in the order given, stopping at the first failure.

use netplug_plugin_sdk::netlink::{
    self, Channels, Duplex, Ethtool, LinkMessage, LinkModesChange, Rings, Socket,
};
use netplug_plugin_sdk::netlink::{Batch, KindOp};
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
        KindOp::Kind(self).change(interface, phase, description)
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

/// Apply `changes` in order. Link requests are queued and sent in bursts; an ethtool request
/// first flushes them, because it names the device and may follow a rename or need the MTU
/// already set. Errors name the device and carry the kernel's extended-ack text.
pub fn apply(changes: &[Change]) -> Result<(), ApplyError> {
    if changes.is_empty() {
        return Ok(());
    }
    let mut sock = Socket::route_reused()?;
    let mut batch = Batch::new(&mut sock);
    let mut ethtool: Option<Ethtool> = None;
    for (i, c) in changes.iter().enumerate() {
        batch.begin(i, &c.interface);
        let op: KindOp<EthOp> = c.op().map_err(|error| batch.fail(error))?;
        match op {
            KindOp::Link(op) => {
                batch.begin(i, op.name());
                let req = op.request(&mut batch)?;
                batch.push(req);
            }
            KindOp::Kind(EthOp::Rename { name, to }) => {
                batch.begin(i, &name);
                let index = batch.index_of(&name)?;
                batch.push(LinkMessage::change(index).rename(&to).build());
                // A device renamed back is no longer one to restore.
                renames::forget(&name);
            }
            KindOp::Kind(op) => {
                batch.flush()?;
                batch.begin(i, op.name());
                if ethtool.is_none() {
                    ethtool = Some(
                        Ethtool::open()
                            .map_err(|e| batch.fail(PluginError::from(e).on_interface(op.name())))?,
                    );
                }
                let sock = ethtool.as_mut().expect("just opened");
                op.run(sock).map_err(|e| batch.fail(PluginError::from(e).on_interface(op.name())))?;
            }
        }
    }
    batch.flush()
}

#[cfg(test)]
mod tests {
    use netplug_plugin_sdk::netlink::LinkOp;

    use super::*;

    #[test]
    fn payloads_tell_link_ops_from_ours() {
        let link = LinkOp::SetMtu { name: "eth0".into(), mtu: 9000 }.change("eth0", Phase::Configure, "x");
        assert!(matches!(link.op::<KindOp<EthOp>>(), Ok(KindOp::Link(LinkOp::SetMtu { .. }))));
        let rename =
            EthOp::Rename { name: "eth3".into(), to: "lan0".into() }.change("lan0", Phase::Configure, "x");
        assert!(matches!(rename.op::<KindOp<EthOp>>(), Ok(KindOp::Kind(EthOp::Rename { .. }))));
        let f = EthOp::Features { name: "eth0".into(), features: vec![("rx-gro".into(), true)] };
        let back = f.clone().change("eth0", Phase::Configure, "x").op::<KindOp<EthOp>>().unwrap();
        assert!(matches!(back, KindOp::Kind(op) if op == f));
    }
}
