//! Changes → netlink: every change of one call goes out in bursts through the SDK's batch,
//! which names the failing change and keeps the kernel's extended-ack text.

use netplug_plugin_sdk::netlink::{apply_kind_changes, parse_mac, Batch, LinkMessage, Request};
use netplug_plugin_sdk::{ApplyError, Change, PluginError};

use crate::plan::IfbOp;
use crate::KIND;

/// Apply changes from [`crate::plan::plan`] in order; stop at the first failure.
pub fn apply(changes: &[Change]) -> Result<(), ApplyError> {
    apply_kind_changes(changes, requests)
}

fn requests(op: &IfbOp, batch: &mut Batch<'_>) -> Result<Vec<Request>, ApplyError> {
    let IfbOp::Create { name, mtu, mac } = op;
    let mut create = LinkMessage::create(name, KIND);
    if let Some(mtu) = mtu {
        create = create.mtu(*mtu);
    }
    if let Some(mac) = mac {
        let bytes = parse_mac(mac).ok_or_else(|| {
            batch.fail(PluginError::new(format!("bad MAC address {mac}")).on_interface(name))
        })?;
        create = create.address(&bytes);
    }
    Ok(vec![create.build()])
}
