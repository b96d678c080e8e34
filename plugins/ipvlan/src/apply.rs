//! Changes → netlink: every change of one call goes out in bursts through the SDK's batch.

use netplug_plugin_sdk::netlink::{apply_kind_changes, Batch};
use netplug_plugin_sdk::netlink::{LinkMessage, Request};
use netplug_plugin_sdk::{ApplyError, Change, Phase};

use crate::plan::IpvlanOp;

/// Apply changes from [`crate::plan::plan`] in order; stop at the first failure.
pub fn apply(changes: &[Change]) -> Result<(), ApplyError> {
    apply_kind_changes(changes, requests).map_err(|e| explain_missing_kind(e, changes))
}

/// The kernel loads a link kind's module on demand (`rtnl-link-KIND`); a create that still
/// finds no such kind (`EOPNOTSUPP`, "Unknown device type") means the module is not there.
fn explain_missing_kind(mut e: ApplyError, changes: &[Change]) -> ApplyError {
    let creating = changes.get(e.index).is_some_and(|c| c.phase == Phase::Create);
    if creating && e.error.errno == Some(libc::EOPNOTSUPP) {
        e.error.message.push_str(" (this kernel has no ipvlan support: is its ipvlan module installed?)");
    }
    e
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
