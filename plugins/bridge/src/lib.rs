//! This crate provides netplug's bridge plugin: the `<bridge>` interface kind and its
//! `<member>` ports.
//!
//! ```xml
//! <bridge name="br0" stp="on" forwarddelay="4" hellotime="1" maxage="6">
//!   <member device="eth2"/>
//! </bridge>
//! ```
//!
//! [`BridgePlugin`] implements the SDK's [`Plugin`] trait; the vocabulary, its defaults and its
//! rules are declared in [`config`].
//!
//! One design decision: times are written in seconds and may carry decimals down to 1/100 s,
//! the unit the kernel's netlink interface uses, so `forwarddelay="2.5"` is exact rather than
//! rounded, and anything finer is refused instead of silently truncated.
//!
//! Reading, planning and applying (netlink) are not implemented yet; those trait methods keep
//! the SDK's defaults.

pub mod config;

use netplug_plugin_sdk::{Item, Plugin, PluginInfo, Validation};

/// The bridge plugin.
pub struct BridgePlugin;

impl Plugin for BridgePlugin {
    fn info(&self) -> PluginInfo {
        PluginInfo {
            name: "bridge".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Ethernet bridges (<bridge>) and their member ports".into(),
            kinds: vec!["bridge".into()],
            elements: Vec::new(),
            phase: None,
        }
    }

    fn validate(&self, items: &[Item]) -> Validation {
        config::validate(items)
    }
}

netplug_plugin_sdk::export_plugin!(BridgePlugin);
