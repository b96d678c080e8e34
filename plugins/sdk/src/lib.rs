//! This crate provides everything a netplug plugin needs, and nothing else: the safe
//! [`Plugin`] trait and the values that cross it ([`Item`], [`Element`], [`Change`],
//! [`Validation`], [`Diagnostic`]…), [`export_plugin!`] that makes a `cdylib` a plugin file
//! an unmodified `netplug` loads, helpers for checking a vocabulary ([`schema`], [`ip`],
//! [`kernel_enum!`]) and, under the `netlink` feature, the kernel side in one module
//! ([`netlink`]). Tests use the companion crate `netplug-plugin-testing`.
//!
//! The FFI behind the macro is plugin ABI 1.0 (`docs/plugin-abi.md`); only `netplug` itself
//! sees it, through the `host` feature. See `docs/plugin-guide.md` for a walk-through.

#[cfg(feature = "host")]
pub mod abi;
#[cfg(not(feature = "host"))]
#[allow(dead_code)] // the host's half (borrowed requests, callbacks' constructors) goes unused
mod abi;
mod diagnostic;
mod element;
pub mod export;
pub mod ip;
pub mod libvirt;
#[cfg(feature = "netlink")]
mod link;
#[cfg(feature = "netlink")]
mod link_plan;
mod log;
#[cfg(feature = "netlink")]
pub mod netlink;
mod plugin;
pub mod schema;
#[cfg_attr(not(feature = "netlink"), allow(dead_code))]
mod share;

pub use diagnostic::{Diagnostic, Severity};
pub use element::{Attribute, Element, Span};
pub use plugin::{
    items_by_interface, ApplyError, Change, Dependency, Envelope, Item, LinkState, LivePlan, Nexthop,
    Payload, Phase, Plugin, PluginError, PluginInfo, Relation, Subnet, Validation,
};
