//! This crate provides everything a netplug plugin needs, and nothing else: the
//! position-carrying [`Element`] tree, [`Diagnostic`]s, the safe [`Plugin`] trait, helpers for
//! checking a vocabulary ([`schema`]), and the export macro that lets an unmodified `netplug`
//! load a plugin built outside this repository.
//!
//! A plugin author implements [`Plugin`] and calls [`export_plugin!`]; the SDK hides the FFI
//! ([`abi`], the contract of `docs/plugin-abi.md`, which only the host and the macro use).
//! See `docs/plugin-guide.md` for a walk-through.

pub mod abi;
pub mod diagnostic;
pub mod element;
pub mod export;
pub mod ip;
pub mod libvirt;
#[cfg(feature = "netlink")]
pub mod link;
mod log;
pub mod plugin;
pub mod schema;
pub mod share;
pub mod testing;

/// Raw netlink (rtnetlink and ethtool genetlink), the one way plugins talk to the kernel.
#[cfg(feature = "netlink")]
pub use netplug_netlink as netlink;

pub use diagnostic::{Diagnostic, Severity};
pub use element::{Attribute, Element, Span};
pub use plugin::{
    items_by_interface, ApplyError, Change, Dependency, Envelope, Item, LinkState, LivePlan, Nexthop, Phase,
    Plugin, PluginError, PluginInfo, Relation, Subnet, Validation,
};
