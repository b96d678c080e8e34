//! The libvirt dialect: `<interface type=..>` documents as `virsh iface-dumpxml` prints them
//! (netcf's schema), read by rewriting them into native element trees and written back from
//! the model.
//!
//! Reading never interprets a libvirt document on its own: [`to_native`] rewrites it into
//! native top-level elements whose attributes carry the spans of the libvirt attributes they
//! came from, and [`read`] hands those to [`native::read`], so there is one reader of the
//! envelope and a bad value is still reported at its place in the libvirt file.
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

pub use read::to_native;
pub use write::from_native;

/// Read a libvirt document (one `<interface type=..>`, or several inside `<interfaces>`) into
/// the model: [`to_native`], then [`native::read`] on the result. Diagnostics of both stages
/// are returned, those of the rewrite first.
pub fn read(root: &Element) -> (Vec<Interface>, Vec<Diagnostic>) {
    let (elements, mut diagnostics) = to_native(root);
    let wrapper =
        Element { name: "interfaces".into(), children: elements, span: root.span, ..Default::default() };
    let (interfaces, more) = native::read(wrapper);
    diagnostics.extend(more);
    (interfaces, diagnostics)
}

/// Write interfaces as a libvirt document, as text, with the list of what libvirt could not
/// carry (one line each, starting with the interface's name).
pub fn write_document(interfaces: &[Interface]) -> (String, Vec<String>) {
    let (root, dropped) = from_native(interfaces);
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

/// The kinds libvirt knows, by their `type=` value; the same words as native kinds.
pub const KINDS: [&str; 4] = ["ethernet", "bridge", "bond", "vlan"];

/// libvirt's bond modes: the kernel's names.
pub const BOND_MODES: [&str; 7] =
    ["balance-rr", "active-backup", "balance-xor", "broadcast", "802.3ad", "balance-tlb", "balance-alb"];

/// libvirt's `<link state>` values: the kernel's operational states (RFC 2863).
pub const LINK_STATES: [&str; 7] =
    ["unknown", "notpresent", "down", "lowerlayerdown", "testing", "dormant", "up"];

/// libvirt's `<arpmon validate>` values, a subset of the kernel's `arp_validate`.
pub const ARP_VALIDATE: [&str; 4] = ["none", "active", "backup", "all"];
