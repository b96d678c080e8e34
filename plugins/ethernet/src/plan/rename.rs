//! Renames: a device missing by name is looked up by its MAC and renamed (netcf's
//! `ncf_lookup_by_mac_string`), and renamed back when a rollback no longer wants the new name.

use netplug_plugin_sdk::netlink;
use netplug_plugin_sdk::netlink::{envelope_changes, LinkOp};
use netplug_plugin_sdk::{Change, Envelope, LinkState, Phase, PluginError};

use super::{is_ethtool, settings, Context, Device, Kernel, ETHERNET};
use crate::apply::EthOp;
use crate::renames::{self, Before};

/// Find the device the desired MAC identifies and plan its rename to the interface's name:
/// down (older kernels refuse to rename a running link), rename, then the envelope as for any
/// device. The device as it is is remembered for a rollback ([`crate::renames`]).
pub(super) fn rename_found(
    ctx: Context<'_>,
    envelope: &Envelope,
    kernel: &mut dyn Kernel,
    out: &mut Vec<Change>,
) -> Result<Device<'static>, PluginError> {
    let name = ctx.name;
    let old = find_by_mac(&ctx, envelope, kernel)?;
    ctx.claimed.insert(old.name.clone());
    let ethtool = kernel.device(&old.name)?.settings().to_element();
    renames::remember(name, Before { envelope: old.clone(), ethtool });
    let mac = envelope.mac.as_deref().unwrap_or_default();
    let mut now = old.clone();
    if old.state == LinkState::Up {
        let why = format!("set {} down to rename it", old.name);
        out.push(LinkOp::Down { name: old.name.clone() }.change(name, Phase::Down, why));
        now.state = LinkState::Down;
    }
    let op = EthOp::Rename { name: old.name.clone(), to: name.to_string() };
    out.push(op.change(
        name,
        Phase::Configure,
        format!("rename {} to {name} (found by MAC {mac})", old.name),
    ));
    now.name = name.to_string();
    out.extend(envelope_changes(envelope, Some(&now)));
    Ok(Device::Renamed(old.name))
}

/// Restore the device this process planned to rename to `name` (`live`: its envelope if it
/// exists under that name): renamed back, or, if the run stopped before the rename, where it
/// is. False (nothing planned) when neither or both names exist.
pub(super) fn restore(
    name: &str,
    live: Option<&Envelope>,
    before: Before,
    kernel: &mut dyn Kernel,
    out: &mut Vec<Change>,
) -> Result<bool, PluginError> {
    let old = before.envelope.name.as_str();
    let table = kernel.links()?;
    let in_place = table.by_name(old).map(|l| table.envelope(l, ETHERNET));
    let mut changes = Vec::new();
    match (live, in_place) {
        (Some(live), None) => {
            let mut now = live.clone();
            if live.state == LinkState::Up {
                let why = format!("set down to rename it back to {old}");
                out.push(LinkOp::Down { name: name.into() }.change(name, Phase::Down, why));
                now.state = LinkState::Down;
            }
            let op = EthOp::Rename { name: name.into(), to: old.into() };
            out.push(op.change(
                name,
                Phase::Configure,
                format!("rename back to {old} (renamed by MAC in this run)"),
            ));
            now.name = old.to_string();
            changes.extend(envelope_changes(&before.envelope, Some(&now)));
            changes.extend(settings::plan_ethtool(
                old,
                &before.ethtool,
                Device::Renamed(name.into()),
                kernel,
            )?);
        }
        (None, Some(now)) => {
            changes.extend(envelope_changes(&before.envelope, Some(&now)));
            changes.extend(settings::plan_ethtool(old, &before.ethtool, Device::Named(None), kernel)?);
        }
        _ => return Ok(false),
    }
    // Ordered with the interface the documents name; the device is `old` by then.
    for c in &mut changes {
        c.interface = name.to_string();
    }
    out.extend(changes);
    Ok(true)
}

/// The envelope of the one link the desired MAC identifies.
fn find_by_mac(
    ctx: &Context<'_>,
    envelope: &Envelope,
    kernel: &mut dyn Kernel,
) -> Result<Envelope, PluginError> {
    let name = ctx.name;
    let fail = |msg: String| PluginError::new(msg).on_interface(name);
    let Some(mac) = envelope.mac.as_deref() else {
        return Err(fail(format!("no device {name}, and no MAC address (<hwaddr>) to find it by")));
    };
    let bytes = netlink::parse_mac(mac).ok_or_else(|| fail(format!("bad MAC address {mac}")))?;
    let table = kernel.links()?;
    let found: Vec<_> =
        table.links_with_mac(&bytes).into_iter().filter(|l| !ctx.claimed.contains(&l.name)).collect();
    match found.as_slice() {
        [] => Err(fail(format!("no device {name} and no device with MAC {mac}"))),
        [link] => {
            // Renaming a device the documents configure under its own name would undo that.
            let configured = ctx.desired.iter().any(|i| i.interface == link.name && !is_ethtool(i));
            if configured {
                return Err(fail(format!(
                    "no device {name}; the device with MAC {mac} is {}, which is configured under that name",
                    link.name
                )));
            }
            Ok(table.envelope(link, ETHERNET))
        }
        many => {
            let names: Vec<&str> = many.iter().map(|l| l.name.as_str()).collect();
            Err(fail(format!("no device {name}, and MAC {mac} is on several devices: {}", names.join(", "))))
        }
    }
}
