//! Changes → netlink: every change of one call goes out in bursts through the SDK's batch.

use netplug_plugin_sdk::netlink::{apply_kind_changes, Batch};
use netplug_plugin_sdk::netlink::{parse_mac, AttrBuilder, LinkMessage, Request};
use netplug_plugin_sdk::{ApplyError, Change, Phase, PluginError};

use crate::plan::VrfOp;
use crate::read::IFLA_VRF_TABLE;

/// Apply changes from [`crate::plan::plan`] in order; stop at the first failure.
pub fn apply(changes: &[Change]) -> Result<(), ApplyError> {
    apply_kind_changes(changes, requests).map_err(|e| explain_missing_kind(e, changes))
}

/// The kernel loads a link kind's module on demand (`rtnl-link-KIND`); a create that still
/// finds no such kind (`EOPNOTSUPP`, "Unknown device type") means the module is not there.
fn explain_missing_kind(mut e: ApplyError, changes: &[Change]) -> ApplyError {
    let creating = changes.get(e.index).is_some_and(|c| c.phase == Phase::Create);
    if creating && e.error.errno == Some(libc::EOPNOTSUPP) {
        e.error.message.push_str(" (this kernel has no VRF support: is its vrf module installed?)");
    }
    e
}

fn requests(op: &VrfOp, batch: &mut Batch<'_>) -> Result<Vec<Request>, ApplyError> {
    match op {
        VrfOp::Create { name, table, mtu, mac } => {
            let mut data = AttrBuilder::new();
            data.put_u32(IFLA_VRF_TABLE, *table);
            let mut create = LinkMessage::create(name, "vrf").info_data(data);
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
    }
}
