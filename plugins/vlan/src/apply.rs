//! Changes → netlink: every change of one call goes out in bursts through the SDK's batch.

use netplug_plugin_sdk::netlink::{apply_kind_changes, Batch};
use netplug_plugin_sdk::netlink::{parse_mac, AttrBuilder, LinkMessage, Request};
use netplug_plugin_sdk::{ApplyError, Change, PluginError};

use crate::options::{create_data, put_flags};
use crate::plan::VlanOp;

/// Apply changes from [`crate::plan::plan`] in order; stop at the first failure.
pub fn apply(changes: &[Change]) -> Result<(), ApplyError> {
    apply_kind_changes(changes, requests)
}

fn requests(op: &VlanOp, batch: &mut Batch<'_>) -> Result<Vec<Request>, ApplyError> {
    let fail = |batch: &Batch<'_>, name: &str, message: String| {
        batch.fail(PluginError::new(message).on_interface(name))
    };
    match op {
        VlanOp::Create { name, parent, tag, protocol, flags, mtu, mac } => {
            let data = create_data(*tag, protocol.as_deref(), flags).map_err(|m| fail(batch, name, m))?;
            let parent = batch.index_of(parent)?;
            let mut create = LinkMessage::create(name, "vlan").parent(parent).info_data(data);
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
        VlanOp::SetFlags { name, flags } => {
            let mut data = AttrBuilder::new();
            put_flags(&mut data, flags).map_err(|m| fail(batch, name, m))?;
            let index = batch.index_of(name)?;
            Ok(vec![LinkMessage::change(index).kind("vlan").info_data(data).build()])
        }
    }
}
