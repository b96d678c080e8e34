//! Reading live state: a `<dhcp>` or `<dhcp6>` item for every lease record whose work is still
//! in the kernel, shaped exactly like the desired item it was started from.
//!
//! "Still in the kernel" means the leased address is on the link with netplug's DHCP mark (the
//! kernel drops it when its valid lifetime runs out, so an expired lease is not reported and a
//! re-apply asks for a new one), and every `autoconf` sysctl still holds the value written.

use netplug_plugin_sdk::link::LinkTable;
use netplug_plugin_sdk::netlink::{Family as AddrFamily, Socket};
use netplug_plugin_sdk::{Item, PluginError};

use crate::host;
use crate::netlink::{dump_addrs, Addr};
use crate::state::{self, Paths, Record};

/// Live items for `names` (all recorded interfaces for `None`): one link dump and one address
/// dump, and none at all when there is no record.
pub fn read(paths: &Paths, names: Option<&[String]>) -> Result<Vec<Item>, PluginError> {
    let records: Vec<Record> = state::list(paths)
        .map_err(|e| PluginError::new(format!("reading DHCP lease records: {e}")))?
        .into_iter()
        .filter(|r| names.is_none_or(|n| n.contains(&r.interface)))
        .collect();
    if records.is_empty() {
        return Ok(Vec::new());
    }
    let mut sock = Socket::route().map_err(|e| netplug_plugin_sdk::link::plugin_error("", e))?;
    let table = LinkTable::dump(&mut sock)?;
    let addrs =
        dump_addrs(&mut sock, AddrFamily::All).map_err(|e| netplug_plugin_sdk::link::plugin_error("", e))?;
    let mut out = Vec::new();
    for r in &records {
        let Some(link) = table.by_name(&r.interface) else { continue };
        if !in_kernel(r, link.index, &addrs) {
            continue;
        }
        out.push(Item {
            interface: r.interface.clone(),
            kind: r.kind.clone(),
            envelope: Some(table.envelope(link, &r.kind)),
            element: r.element.clone(),
        });
    }
    Ok(out)
}

/// Whether what `record` configured is still there on the link with index `index`.
pub fn in_kernel(record: &Record, index: u32, addrs: &[Addr]) -> bool {
    let address_there = record.applied.address.is_none_or(|(ip, len)| {
        addrs.iter().any(|a| a.index == index && a.ip == ip && a.prefix_len == len && a.is_ours())
    });
    address_there
        && record
            .applied
            .sysctls
            .iter()
            .all(|s| host::read_sysctl(&record.interface, &s.name).is_ok_and(|v| v == s.set))
}
