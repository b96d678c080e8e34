//! Reading live state: a `<dhcp>` or `<dhcp6>` item for every lease record whose client is
//! still running, shaped exactly like the desired item it was started from, plus a `<lease>`
//! child with the lease's address, server and times (see [`lease`]; planning ignores it).
//!
//! "Still running" means the leased address is on the link with netplug's DHCP mark and every
//! `autoconf` sysctl still holds the value written; or the lease ran out on its own (the kernel
//! drops the address when its valid lifetime ends) or the client is waiting to ask again, in
//! which case `<lease next>` says when `plan` asks for a new lease. An address removed by hand
//! before its end means the client is gone, and the next apply starts it afresh.

use netplug_plugin_sdk::netlink::LinkTable;
use netplug_plugin_sdk::netlink::{Family as AddrFamily, Socket};
use netplug_plugin_sdk::{Item, PluginError};

use crate::netlink::{dump_addrs, Addr};
use crate::state::{self, Paths, Record};
use crate::{host, lease};

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
    let mut sock = Socket::route()?;
    let table = LinkTable::dump(&mut sock)?;
    let addrs = dump_addrs(&mut sock, AddrFamily::All)?;
    let now = state::now_unix();
    let mut out = Vec::new();
    for r in &records {
        let Some(link) = table.by_name(&r.interface) else { continue };
        if !in_kernel(r, link.index, &addrs) && !lapsed(r, now) {
            continue;
        }
        let mut element = r.element.clone();
        element.children.extend(lease::element(r, now));
        out.push(Item {
            interface: r.interface.clone(),
            kind: r.kind.clone(),
            envelope: Some(table.envelope(link, &r.kind)),
            element,
        });
    }
    Ok(out)
}

/// Whether the record's lease ended on its own (the kernel dropped the address at the end of
/// its lifetime) or the client is waiting to ask again: the client is still running, and its
/// `<lease next>` says when it asks for a new lease. An address removed by hand before the end
/// is not this: the client is reported as gone and the next apply starts it afresh.
fn lapsed(record: &Record, now: u64) -> bool {
    match lease::Times::of(record) {
        Some(t) => now >= t.expires,
        None => lease::runs_client(record),
    }
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
