//! Changes → netlink: every change of one call goes out in bursts through the SDK's batch.

use netplug_plugin_sdk::netlink::{apply_kind_changes, Batch};
use netplug_plugin_sdk::netlink::{parse_mac, LinkMessage, Request};
use netplug_plugin_sdk::{ApplyError, Change, Phase, PluginError};

use crate::plan::MacvlanOp;

/// Apply changes from [`crate::plan::plan`] in order; stop at the first failure.
pub fn apply(changes: &[Change]) -> Result<(), ApplyError> {
    apply_kind_changes(changes, requests).map_err(|e| explain_missing_kind(e, changes))
}

/// The kernel loads a link kind's module on demand (`rtnl-link-KIND`); a create that still
/// finds no such kind (`EOPNOTSUPP`, "Unknown device type") means the module is not there.
fn explain_missing_kind(mut e: ApplyError, changes: &[Change]) -> ApplyError {
    let creating = changes.get(e.index).is_some_and(|c| c.phase == Phase::Create);
    if creating && e.error.errno == Some(libc::EOPNOTSUPP) {
        e.error
            .message
            .push_str(" (this kernel has no such link kind: is its module, macvlan or macvtap, installed?)");
    }
    e
}

fn requests(op: &MacvlanOp, batch: &mut Batch<'_>) -> Result<Vec<Request>, ApplyError> {
    let fail = |batch: &Batch<'_>, name: &str, message: String| {
        batch.fail(PluginError::new(message).on_interface(name))
    };
    match op {
        MacvlanOp::Create { name, kind, parent, settings, mtu, mac } => {
            let data = settings.info_data().map_err(|m| fail(batch, name, m))?;
            let parent = batch.index_of(parent)?;
            let mut create = LinkMessage::create(name, kind).parent(parent).info_data(data);
            if let Some(mtu) = mtu {
                create = create.mtu(*mtu);
            }
            if let Some(mac) = mac {
                let bytes =
                    parse_mac(mac).ok_or_else(|| fail(batch, name, format!("bad MAC address {mac}")))?;
                create = create.address(&bytes);
            }
            Ok(vec![create.build()])
        }
        MacvlanOp::Reconfigure { name, kind, settings } => {
            let data = settings.info_data().map_err(|m| fail(batch, name, m))?;
            let index = batch.index_of(name)?;
            Ok(vec![LinkMessage::change(index).kind(kind).info_data(data).build()])
        }
    }
}
