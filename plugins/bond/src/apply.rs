//! Changes → netlink: every change of one call goes out in bursts through the SDK's batch.

use netplug_plugin_sdk::netlink::{apply_kind_changes, Batch};
use netplug_plugin_sdk::netlink::{parse_mac, LinkMessage, Request};
use netplug_plugin_sdk::{ApplyError, Change, PluginError};

use crate::options::info_data;
use crate::plan::BondOp;

/// Apply changes from [`crate::plan::plan`] in order; stop at the first failure.
pub fn apply(changes: &[Change]) -> Result<(), ApplyError> {
    apply_kind_changes(changes, requests)
}

fn requests(op: &BondOp, batch: &mut Batch<'_>) -> Result<Vec<Request>, ApplyError> {
    let fail = |batch: &Batch<'_>, name: &str, message: String| {
        batch.fail(PluginError::new(message).on_interface(name))
    };
    match op {
        BondOp::Create { name, options, mtu, mac } => {
            let mut create = LinkMessage::create(name, "bond");
            if !options.is_empty() {
                create = create.info_data(info_data(options, None).map_err(|m| fail(batch, name, m))?);
            }
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
        BondOp::SetOptions { name, options, primary } => {
            let primary = match primary.as_deref() {
                None => None,
                Some("") => Some(0),
                Some(slave) => Some(batch.index_of(slave)?),
            };
            let data = info_data(options, primary).map_err(|m| fail(batch, name, m))?;
            let index = batch.index_of(name)?;
            Ok(vec![LinkMessage::change(index).kind("bond").info_data(data).build()])
        }
        BondOp::AddSlave { name, bond } => {
            let master = batch.index_of(bond)?;
            batch.acting_on(name);
            let slave = batch.index_of(name)?;
            Ok(vec![
                LinkMessage::change(slave).down().build(),
                LinkMessage::change(slave).master(master).build(),
            ])
        }
        BondOp::RemoveSlave { name } => {
            batch.acting_on(name);
            let index = batch.index_of(name)?;
            let was_up = batch.table()?.by_index(index).is_some_and(|l| l.is_up());
            let mut out = vec![LinkMessage::change(index).nomaster().build()];
            if was_up {
                out.push(LinkMessage::change(index).up().build());
            }
            Ok(out)
        }
    }
}
