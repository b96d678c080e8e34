//! Changes → netlink: every change of one call goes out in bursts through the SDK's batch.

use netplug_plugin_sdk::netlink::{apply_kind_changes, Batch};
use netplug_plugin_sdk::netlink::{parse_mac, LinkMessage, Request};
use netplug_plugin_sdk::{ApplyError, Change, PluginError};

use crate::options::data;
use crate::plan::VxlanOp;

/// Apply changes from [`crate::plan::plan`] in order; stop at the first failure.
pub fn apply(changes: &[Change]) -> Result<(), ApplyError> {
    apply_kind_changes(changes, requests)
}

fn requests(op: &VxlanOp, batch: &mut Batch<'_>) -> Result<Vec<Request>, ApplyError> {
    match op {
        VxlanOp::CreateVxlan { name, options, mtu, mac } => {
            let device = options.device.as_deref().map(|d| batch.index_of(d)).transpose()?;
            let mut create = LinkMessage::create(name, "vxlan").info_data(data(options, device, true));
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
        VxlanOp::SetVxlan { name, options } => {
            let device = options.device.as_deref().map(|d| batch.index_of(d)).transpose()?;
            let index = batch.index_of(name)?;
            Ok(vec![LinkMessage::change(index).kind("vxlan").info_data(data(options, device, false)).build()])
        }
    }
}
