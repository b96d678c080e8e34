//! This crate provides netplug's ethernet plugin: the `<interface>` kind (a physical or
//! otherwise pre-existing Ethernet device) and the `<ethtool>` element, which may appear in any
//! interface.
//!
//! ```xml
//! <interface device="eth0">
//!   <ethtool speed="1000" duplex="full" autoneg="yes">
//!     <feature name="tx-checksum-ip-generic" state="off"/>
//!     <ring rx="4096" tx="4096"/>
//!     <channels combined="8"/>
//!   </ethtool>
//! </interface>
//! ```
//!
//! [`EthernetPlugin`] implements the SDK's [`Plugin`] trait; the vocabulary, its defaults and
//! its rules are declared in [`config`]. The kind itself has no attributes of its own: an
//! ethernet interface is named by `device` and otherwise described by the envelope (MTU, MAC,
//! start mode) and its features, so the plugin's kind check is that nothing else is left.
//!
//! Reading, planning and applying (netlink and ethtool) are not implemented yet; those trait
//! methods keep the SDK's defaults.

pub mod config;

use netplug_plugin_sdk::{Item, Phase, Plugin, PluginInfo, Validation};

/// The ethernet plugin.
pub struct EthernetPlugin;

impl Plugin for EthernetPlugin {
    fn info(&self) -> PluginInfo {
        PluginInfo {
            name: "ethernet".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Ethernet devices (<interface>) and their ethtool settings (<ethtool>)".into(),
            kinds: vec!["ethernet".into()],
            elements: vec!["ethtool".into()],
            phase: Some(Phase::Configure),
        }
    }

    fn validate(&self, items: &[Item]) -> Validation {
        config::validate(items)
    }
}

netplug_plugin_sdk::export_plugin!(EthernetPlugin);
