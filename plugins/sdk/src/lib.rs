//! This crate provides everything a netplug plugin needs, and nothing else: the
//! position-carrying [`Element`] tree, [`Diagnostic`]s, the safe [`Plugin`] trait, helpers for
//! checking a vocabulary ([`schema`]), and the stable ABI that lets an unmodified `netplug`
//! load a plugin built outside this repository.
//!
//! A plugin author implements [`Plugin`] and calls one export macro; the SDK hides the FFI.
//! See `docs/plugin-guide.md` for a walk-through and the ABI rules.

pub mod compact;
pub mod diagnostic;
pub mod element;
#[doc(hidden)]
pub mod export;
pub mod ffi;
pub mod ip;
#[cfg(feature = "netlink")]
pub mod link;
mod log;
mod memo;
pub mod plugin;
pub mod records;
pub mod schema;
pub mod share;
pub mod testing;

/// Raw netlink (rtnetlink and ethtool genetlink), the one way plugins talk to the kernel.
#[cfg(feature = "netlink")]
pub use netplug_netlink as netlink;

pub use diagnostic::{Diagnostic, Severity};
pub use element::{Attribute, Element, Span};
pub use plugin::{
    items_by_interface, ApplyError, Change, Dependency, Envelope, Item, LinkState, Nexthop, Phase, Plugin,
    PluginError, PluginInfo, Relation, Subnet, Validation,
};
