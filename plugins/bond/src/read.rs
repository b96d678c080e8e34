//! Kernel → vocabulary: every bond as the `<bond>` item a document would hold — each option the
//! kernel accepts in the bond's mode, its slaves as `<slave>`s (with `primary` in the modes that
//! have one) — from one link dump.
//!
//! Options the kernel refuses in the bond's mode are left out, so a snapshot fed back as the
//! desired state never asks for them; options it keeps but ignores there are read, so a
//! rollback restores them too.

use netplug_plugin_sdk::netlink::LinkTable;
use netplug_plugin_sdk::netlink::{Link, Socket};
use netplug_plugin_sdk::{Element, Item, PluginError};

use crate::config::{refused_in, uses_primary};
use crate::options::{self, Text, Value, OPTIONS};
use crate::values::BondMode;

/// The bonds called `names` (all bonds when `None`).
pub fn read(names: Option<&[String]>) -> Result<Vec<Item>, PluginError> {
    let mut sock = Socket::route_reused()?;
    let table = LinkTable::dump(&mut sock)?;
    Ok(items(&table, names))
}

/// The bond items of a link table.
pub fn items(table: &LinkTable, names: Option<&[String]>) -> Vec<Item> {
    table.links_of_kind("bond", names).into_iter().map(|l| item(table, l)).collect()
}

fn item(table: &LinkTable, link: &Link) -> Item {
    let data = link.info_data();
    let mode = match options::find("mode").and_then(|o| o.get(data)) {
        Some(Value::Num(m)) => Some(BondMode::from(m as u8)),
        _ => None,
    };
    let mut element = Element::new("bond");
    let mut seen_attrs = Vec::new();
    for o in OPTIONS {
        if seen_attrs.contains(&o.attr) || mode.is_some_and(|m| refused_in(o.name, m)) {
            continue;
        }
        // Targets matter only where ARP monitoring can run; elsewhere an empty list is noise.
        if o.text == Text::Targets && !mode.is_some_and(BondMode::uses_arp) {
            continue;
        }
        if let Some(v) = o.get(data) {
            element.set_attr(o.name, o.format(&v));
            seen_attrs.push(o.attr);
        }
    }
    let primary = data.get(options::PRIMARY_ATTR).and_then(|a| a.u32());
    let has_primary = mode.is_some_and(uses_primary);
    for port in table.ports_of(link.index) {
        let mut slave = Element::new("slave").with_attr("device", &port.name);
        if has_primary {
            slave.set_attr("primary", if primary == Some(port.index) { "yes" } else { "no" });
        }
        element.children.push(slave);
    }
    let mut envelope = table.envelope(link, "bond");
    // With fail_over_mac="active" the bond always wears its active slave's address
    // (bond_do_fail_over_mac): it is not the bond's to keep, so it is not reported.
    if element.value("fail_over_mac") == Some("active") {
        envelope.mac = None;
    }
    Item { interface: link.name.clone(), kind: "bond".into(), envelope: Some(envelope), element }
}
