//! Changes → netlink: every change of one call goes out in bursts through the SDK's batch.

use netplug_plugin_sdk::link::{apply_kind_changes, Batch};
use netplug_plugin_sdk::netlink::{LinkMessage, Request};
use netplug_plugin_sdk::{ApplyError, Change};

use crate::plan::IpvlanOp;

/// Apply changes from [`crate::plan::plan`] in order; stop at the first failure.
pub fn apply(changes: &[Change]) -> Result<(), ApplyError> {
    apply_kind_changes(changes, requests)
}

fn requests(op: &IpvlanOp, batch: &mut Batch<'_>) -> Result<Vec<Request>, ApplyError> {
    match op {
        IpvlanOp::Create { name, parent, settings, mtu } => {
            let parent = batch.index_of(parent)?;
            let mut create =
                LinkMessage::create(name, "ipvlan").parent(parent).info_data(settings.info_data());
            if let Some(mtu) = mtu {
                create = create.mtu(*mtu);
            }
            Ok(vec![create.build()])
        }
        IpvlanOp::Reconfigure { name, settings } => {
            let index = batch.index_of(name)?;
            Ok(vec![LinkMessage::change(index).kind("ipvlan").info_data(settings.info_data()).build()])
        }
    }
}
