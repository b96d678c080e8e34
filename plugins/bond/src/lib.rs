//! This crate provides netplug's bond plugin: the `<bond>` interface kind and its `<slave>`s.
//!
//! ```xml
//! <bond name="bond0" mode="active-backup" miimon="100">
//!   <slave device="eth0" primary="yes"/>
//!   <slave device="eth1"/>
//! </bond>
//! ```
//!
//! [`BondPlugin`] implements the SDK's [`Plugin`] trait. The vocabulary — every attribute with
//! its help, values and default — is declared once in [`config`], and that table drives
//! validation; the value enumerations in [`values`] carry the kernel's names and numbers.
//!
//! One design decision: rules follow what the kernel does, not what would be tidy. An option
//! the kernel refuses in the bond's mode (`lacp_rate` outside 802.3ad) is an error, because the
//! apply would fail; one it accepts and ignores (`xmit_hash_policy` in active-backup) is a
//! warning, because the apply would succeed and do nothing.
//!
//! Reading, planning and applying (netlink) are not implemented yet; those trait methods keep
//! the SDK's defaults.

pub mod config;
pub mod values;

use netplug_plugin_sdk::{Item, Plugin, PluginInfo, Validation};

/// The bond plugin.
pub struct BondPlugin;

impl Plugin for BondPlugin {
    fn info(&self) -> PluginInfo {
        PluginInfo {
            name: "bond".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "bonded interfaces (<bond>) and their slaves".into(),
            kinds: vec!["bond".into()],
            elements: Vec::new(),
            phase: None,
        }
    }

    fn validate(&self, items: &[Item]) -> Validation {
        config::validate(items)
    }
}

netplug_plugin_sdk::export_plugin!(BondPlugin);
