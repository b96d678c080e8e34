//! Planning: the envelope of ethernet devices (MTU, MAC, admin state), finding a device by MAC
//! and renaming it, deconfiguring, and the `<ethtool>` settings of any interface.
//!
//! Planning is computed from the desired and live items; the kernel is asked (through
//! [`Kernel`]) only for what items do not carry: the other links when a device must be found
//! by MAC, and a device's fixed features and ring/channel maxima when a change needs them, so
//! a no-op plan costs no request at all.

use std::collections::{HashMap, HashSet};

use netplug_plugin_sdk::netlink::{envelope_changes, LinkOp, LinkTable};
use netplug_plugin_sdk::netlink::{Ethtool, Socket};
use netplug_plugin_sdk::{Change, Envelope, Item, LinkState, Phase, PluginError};

use crate::ethtool::DeviceState;
use crate::renames;

mod rename;
mod settings;
#[cfg(test)]
mod tests;

/// The kernel facts planning may need beyond the items.
pub trait Kernel {
    /// Every link of the namespace.
    fn links(&mut self) -> Result<&LinkTable, PluginError>;
    /// Everything ethtool reports about `device`.
    fn device(&mut self, device: &str) -> Result<&DeviceState, PluginError>;
}

/// [`Kernel`] on real sockets, opened on first use; each answer is asked for once per plan.
#[derive(Default)]
pub struct LiveKernel {
    table: Option<LinkTable>,
    ethtool: Option<Ethtool>,
    devices: HashMap<String, DeviceState>,
}

impl Kernel for LiveKernel {
    fn links(&mut self) -> Result<&LinkTable, PluginError> {
        if self.table.is_none() {
            let mut sock = Socket::route_reused()?;
            self.table = Some(LinkTable::dump(&mut sock)?);
        }
        Ok(self.table.as_ref().expect("just filled"))
    }

    fn device(&mut self, device: &str) -> Result<&DeviceState, PluginError> {
        if !self.devices.contains_key(device) {
            if self.ethtool.is_none() {
                self.ethtool = Some(Ethtool::open().map_err(|e| PluginError::from(e).on_interface(device))?);
            }
            let ethtool = self.ethtool.as_mut().expect("just opened");
            let state =
                DeviceState::query(ethtool, device).map_err(|e| PluginError::from(e).on_interface(device))?;
            self.devices.insert(device.to_string(), state);
        }
        Ok(&self.devices[device])
    }
}

/// A live link's envelope kind when it is an ethernet device; [`crate::read`] reports other
/// kinds (a bridge asked about by name) under their kernel kind.
pub const ETHERNET: &str = "ethernet";

/// Items by (interface, is `<ethtool>`), the first of each: one kind item and one `<ethtool>`
/// per interface, found without a scan per interface (documents have thousands).
fn index(items: &[Item]) -> HashMap<(&str, bool), &Item> {
    let mut map = HashMap::with_capacity(items.len());
    for item in items {
        map.entry((item.interface.as_str(), is_ethtool(item))).or_insert(item);
    }
    map
}

fn is_ethtool(item: &Item) -> bool {
    item.element.name == "ethtool"
}

/// Whether an item describes an ethernet device (as opposed to another kind's link that this
/// plugin read by name, or an `<ethtool>` inside another kind).
fn is_ethernet(item: &Item) -> bool {
    item.envelope.as_ref().map_or(item.kind == ETHERNET, |e| e.kind == ETHERNET)
}

/// Where an interface's device is, for its `<ethtool>`.
enum Device<'a> {
    /// Under its own name, with its live `<ethtool>` item if one was read.
    Named(Option<&'a Item>),
    /// Under another name, renamed in this run.
    Renamed(String),
    /// Not there yet: another plugin creates it in this run.
    Missing,
    /// Nothing is to be configured on it: absent, deconfigured, or not present (hotplug).
    Skip,
}

/// The changes for the interfaces in `scope`: see the crate documentation for the rules.
pub fn plan(
    desired: &[Item],
    live: &[Item],
    scope: &[String],
    kernel: &mut dyn Kernel,
) -> Result<Vec<Change>, PluginError> {
    let mut out = Vec::new();
    let mut claimed = HashSet::new();
    let mut done = HashSet::new();
    let (wanted, had) = (index(desired), index(live));
    for name in scope {
        if !done.insert(name.as_str()) {
            continue;
        }
        let key = |ethtool| (name.as_str(), ethtool);
        let (want, want_ethtool) = (wanted.get(&key(false)).copied(), wanted.get(&key(true)).copied());
        let (have, have_ethtool) = (had.get(&key(false)).copied(), had.get(&key(true)).copied());
        let ctx = Context { name, desired, claimed: &mut claimed };
        let device = plan_device(ctx, want, want_ethtool, have, have_ethtool, kernel, &mut out)?;
        if let Some(w) = want_ethtool {
            if !w.is_absent() {
                out.extend(settings::plan_ethtool(name, &w.element, device, kernel)?);
            }
        }
    }
    Ok(out)
}

struct Context<'a> {
    name: &'a str,
    desired: &'a [Item],
    /// Links already claimed by MAC for another interface.
    claimed: &'a mut HashSet<String>,
}

/// The envelope changes of one interface, and where its device will be.
fn plan_device<'a>(
    ctx: Context<'_>,
    want: Option<&Item>,
    want_ethtool: Option<&Item>,
    have: Option<&Item>,
    have_ethtool: Option<&'a Item>,
    kernel: &mut dyn Kernel,
    out: &mut Vec<Change>,
) -> Result<Device<'a>, PluginError> {
    let name = ctx.name;
    let live_up = |h: &Item| h.envelope.as_ref().is_some_and(|e| e.state == LinkState::Up);
    let set_down = |out: &mut Vec<Change>| {
        out.push(LinkOp::Down { name: name.into() }.change(name, Phase::Down, "set down (deconfigure)"))
    };
    if let Some(snapshot) = want.filter(|w| !is_ethernet(w)) {
        // A device of another link kind (a macvlan, a vxlan, a bridge made with `ip`) that a
        // document names as an `<interface>`: only a rollback's snapshot describes it so (the
        // documents' own items are ethernet, and core keeps no such live item of an interface
        // the documents give another kind), and what the run changed of it is its envelope.
        if let (Some(w), Some(h)) = (snapshot.envelope.as_ref(), have) {
            out.extend(envelope_changes(w, h.envelope.as_ref()));
            return Ok(Device::Named(have_ethtool));
        }
        return Ok(Device::Skip);
    }
    let Some(want) = want else {
        return Ok(match have {
            // In scope with nothing desired: deconfigure. Only ethernet devices, though: a
            // bridge named in the documents is in this plugin's scope too (for <ethtool>).
            Some(h) if want.is_none() && want_ethtool.is_none() && is_ethernet(h) => {
                // A device this process renamed (a rollback to before the rename): back.
                let restored = match (renames::recall(name), h.envelope.as_ref()) {
                    (Some(before), Some(live)) => rename::restore(name, Some(live), before, kernel, out)?,
                    _ => false,
                };
                if !restored && live_up(h) {
                    set_down(out);
                }
                Device::Skip
            }
            // A rollback that stopped before a rename: the device is still under its old name.
            None if want.is_none() && want_ethtool.is_none() => {
                if let Some(before) = renames::recall(name) {
                    rename::restore(name, None, before, kernel, out)?;
                }
                Device::Skip
            }
            Some(_) => Device::Named(have_ethtool),
            None => Device::Missing,
        });
    };
    let envelope = want.envelope.clone().unwrap_or_else(|| Envelope {
        name: name.to_string(),
        kind: ETHERNET.to_string(),
        ..Envelope::default()
    });
    if envelope.state == LinkState::Absent {
        // Never deleted: netplug did not create it. Feature plugins remove their addresses.
        if have.is_some_and(live_up) {
            set_down(out);
        }
        return Ok(Device::Skip);
    }
    if let Some(h) = have {
        out.extend(envelope_changes(&envelope, h.envelope.as_ref()));
        return Ok(Device::Named(have_ethtool));
    }
    if envelope.start_mode == "hotplug" {
        // Configured when it appears, not an error while it is away.
        return Ok(Device::Skip);
    }
    rename::rename_found(ctx, &envelope, kernel, out)
}
