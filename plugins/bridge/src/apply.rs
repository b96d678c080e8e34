//! Changes → netlink: every change of one call goes out in bursts through the SDK's batch.

use netplug_plugin_sdk::netlink::{apply_kind_changes, Batch};
use netplug_plugin_sdk::netlink::{parse_mac, LinkMessage, Request};
use netplug_plugin_sdk::{ApplyError, Change, PluginError};

use crate::options;
use crate::plan::BridgeOp;

/// Apply changes from [`crate::plan::plan`] in order; stop at the first failure.
pub fn apply(changes: &[Change]) -> Result<(), ApplyError> {
    apply_kind_changes(changes, requests)
}

fn requests(op: &BridgeOp, batch: &mut Batch<'_>) -> Result<Vec<Request>, ApplyError> {
    let fail = |batch: &Batch<'_>, name: &str, message: String| {
        batch.fail(PluginError::new(message).on_interface(name))
    };
    match op {
        BridgeOp::Create { name, options, mtu, mac, up } => {
            let mut create = LinkMessage::create(name, "bridge");
            if *up {
                create = create.up();
            }
            if !options.is_empty() {
                create = create.info_data(options::info_data(options).map_err(|m| fail(batch, name, m))?);
            }
            if let Some(mac) = mac {
                let bytes =
                    parse_mac(mac).ok_or_else(|| fail(batch, name, format!("bad MAC address {mac}")))?;
                create = create.address(&bytes);
            }
            let mut out = vec![create.build()];
            // An MTU given at creation is not the bridge's own: the first port's smaller MTU
            // replaces it (br_mtu_auto_adjust). Set on the existing bridge, it sticks
            // (br_change_mtu marks it as set by the user).
            if let Some(mtu) = mtu {
                out.push(LinkMessage::change_by_name(name).mtu(*mtu).build());
            }
            Ok(out)
        }
        BridgeOp::SetOptions { name, options } => {
            let data = options::change_data(options).map_err(|m| fail(batch, name, m))?;
            let index = batch.index_of(name)?;
            Ok(data
                .into_iter()
                .map(|d| LinkMessage::change(index).kind("bridge").info_data(d).build())
                .collect())
        }
    }
}
