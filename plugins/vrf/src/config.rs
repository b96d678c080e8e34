//! The VRF's vocabulary — its routing table and `<member>` ports — with the kernel's rules
//! (`drivers/net/vrf.c`).
//!
//! A VRF is an L3 master device: its ports' connected and local routes, and the routes netplug
//! adds through them (`<route>` without a `table` in a port, see the routes plugin), live in
//! the VRF's table, so the ports route apart from the rest of the host.

use std::collections::HashMap;

use netplug_plugin_sdk::schema::{self, AttrSpec, ValueKind, ENVELOPE_ATTRIBUTES, FEATURE_ELEMENTS};
use netplug_plugin_sdk::{Diagnostic, Item, Span, Validation};

pub const TABLE: AttrSpec = AttrSpec {
    name: "table",
    help: "the routing table of the VRF's ports; fixed for the VRF's life (a new one recreates it)",
    kind: ValueKind::Other("a table number, 1-4294967295 but 253-255 (default, main, local); required"),
    default: None,
};

/// Every attribute of `<vrf>` besides the envelope's.
pub const ATTRIBUTES: &[AttrSpec] = &[TABLE];

pub const MEMBER_DEVICE: AttrSpec = AttrSpec {
    name: "device",
    help: "the interface to put in the VRF",
    kind: ValueKind::Other("an interface name"),
    default: None,
};

/// The attributes of `<member>`.
pub const MEMBER_ATTRIBUTES: &[AttrSpec] = &[MEMBER_DEVICE];

/// The children of `<vrf>` this plugin owns.
pub const CHILDREN: &[&str] = &["member"];

/// Parse a VRF's table: a number the kernel takes (`RT_TABLE_UNSPEC` is refused by
/// `vrf_newlink`) that is not one of the tables the host's own routing uses.
pub fn parse_table(text: &str) -> Result<u32, &'static str> {
    match text.trim().parse::<u32>() {
        Ok(0) => Err("table 0 means \"unspecified\"; the kernel needs a table number"),
        Ok(253..=255) => Err("tables 253-255 are the host's default, main and local tables"),
        Ok(t) => Ok(t),
        Err(_) => Err("expected a table number from 1 to 4294967295"),
    }
}

/// Check every VRF item; report diagnostics and one `Member` dependency per member.
pub fn validate(items: &[Item]) -> Validation {
    let mut v = Validation::default();
    // table → the VRF that has it and where.
    let mut tables: HashMap<u32, (String, Span)> = HashMap::new();
    for item in items {
        let el = &item.element;
        let name = item.interface.as_str();
        let out = &mut v.diagnostics;
        out.extend(schema::check_specs(el, ATTRIBUTES, ENVELOPE_ATTRIBUTES, name));
        out.extend(schema::check_children_hinting(el, CHILDREN, FEATURE_ELEMENTS, name));
        match TABLE.attr(el) {
            None if item.is_absent() => {}
            None => out.push(schema::missing_attr(el, "table", name)),
            Some(a) => match parse_table(&a.value) {
                Err(why) => out.push(schema::bad_value(a, name, why)),
                Ok(_) if item.is_absent() => {}
                Ok(t) => match tables.get(&t) {
                    Some((other, first)) => out.push(
                        Diagnostic::error(a.value_span, format!("{other} already has table {t}"))
                            .on_interface(name)
                            .on_attribute("table")
                            .with_help(format!(
                                "VRFs sharing a table share their routes (the first is at {}:{})",
                                first.line, first.col
                            )),
                    ),
                    None => {
                        tables.insert(t, (name.to_string(), a.value_span));
                    }
                },
            },
        }
        schema::check_members(item, MEMBER_ATTRIBUTES, &mut v, |port| {
            (port == "lo").then(|| "the loopback device cannot be put in a VRF".to_string())
        });
    }
    v
}

#[cfg(test)]
mod tests;
