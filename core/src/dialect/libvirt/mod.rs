//! The libvirt dialect: `<interface type=..>` documents as `virsh iface-dumpxml` prints them
//! (netcf's schema), read by rewriting them into native element trees and written back from
//! the model.
//!
//! Reading never interprets a libvirt document on its own: [`to_native`] rewrites it into
//! native top-level elements whose attributes carry the spans of the libvirt attributes they
//! came from, and [`read`] hands those to [`native::read`], so there is one reader of the
//! envelope and a bad value is still reported at its place in the libvirt file.
//!
//! Core reads and writes the envelope (`<interface type name>`, `<start>`, `<mtu>`, `<mac>`,
//! `<link>`, `<protocol>`); each kind's plugin translates its own subtree (`<bond>`,
//! `<bridge>`, `<vlan>`) both ways (`PluginInfo::libvirt`, ABI 1.1), so a kind core has never
//! heard of takes part as the in-tree ones do.
//!
//! libvirt nests the ports of a bridge or bond inside it and gives them the top-level
//! interface's start mode and MTU; native defines each port as its own top-level element and
//! refers to it by name. Everything one dialect has and the other lacks is reported — as a
//! warning when reading, as a line of the dropped list when writing — never lost silently.
//! `docs/format.md` has the full table.

mod addressing;
mod read;
mod write;

use netplug_plugin_sdk::{Diagnostic, Element};

use super::native;
use crate::model::Interface;
use crate::registry::Registry;

pub use read::to_native;
pub use write::from_native;

/// Read a libvirt document (one `<interface type=..>`, or several inside `<interfaces>`) into
/// the model: [`to_native`], then [`native::read`] on the result. Diagnostics of both stages
/// are returned, those of the rewrite first.
pub fn read(root: &Element, registry: &Registry) -> (Vec<Interface>, Vec<Diagnostic>) {
    let (elements, mut diagnostics) = to_native(root, registry);
    let wrapper =
        Element { name: "interfaces".into(), children: elements, span: root.span, ..Default::default() };
    let (interfaces, more) = native::read(wrapper, registry);
    diagnostics.extend(more);
    (interfaces, diagnostics)
}

/// Write interfaces as a libvirt document, as text, with the list of what libvirt could not
/// carry (one line each, starting with the interface's name).
pub fn write_document(interfaces: &[Interface], registry: &Registry) -> (String, Vec<String>) {
    let (root, dropped) = from_native(interfaces, registry);
    (crate::xml::write(&root), dropped)
}

/// True when `root` is a libvirt document rather than a native one: an `<interface>` with a
/// `type` attribute (native's has `device`), or an `<interfaces>` wrapper whose interfaces do.
pub fn looks_like(root: &Element) -> bool {
    let is_libvirt = |e: &Element| e.name == "interface" && e.attr("type").is_some();
    match root.name.as_str() {
        "interface" => is_libvirt(root),
        "interfaces" => {
            let mut top = root.children.iter().peekable();
            top.peek().is_some() && top.all(is_libvirt)
        }
        _ => false,
    }
}

/// The kinds some plugin translates in the libvirt dialect (`PluginInfo::libvirt`), by their
/// `type=` value (the kind's own word): physical devices first, then by name.
pub fn kinds(registry: &Registry) -> Vec<String> {
    let mut kinds: Vec<String> = registry
        .plugins()
        .iter()
        .flat_map(|r| r.info.libvirt.iter().filter(|k| r.info.kinds.contains(k)).cloned())
        .collect();
    kinds.sort_by_key(|k| (!registry.is_physical(k), k.clone()));
    kinds.dedup();
    kinds
}

/// `a, b or c` (`conjunction` "or"/"and"); `nothing` for none.
pub(crate) fn list(words: &[String], conjunction: &str) -> String {
    match words {
        [] => "nothing".to_string(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} {conjunction} {last}", init.join(", ")),
    }
}

/// libvirt's `<link state>` values: the kernel's operational states (RFC 2863).
pub const LINK_STATES: [&str; 7] =
    ["unknown", "notpresent", "down", "lowerlayerdown", "testing", "dormant", "up"];
