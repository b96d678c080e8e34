//! This crate provides netplug's VLAN plugin: the `<vlan>` interface kind, an 802.1Q or 802.1ad
//! VLAN stacked on a parent device.
//!
//! ```xml
//! <vlan name="eth0.42" device="eth0" tag="42">
//!   <static ipaddr="192.168.42.5/24"/>
//! </vlan>
//! ```
//!
//! [`VlanPlugin`] implements the SDK's [`Plugin`] trait; the vocabulary, its defaults and its
//! rules are declared in [`config`]. A VLAN's `device` is its parent, not its name (which is
//! `name`, as on every kind but `<interface>`); the plugin reports it as a `Parent`
//! dependency, so core creates the parent first and knows removing it takes the VLAN along.
//!
//! Reading, planning and applying (netlink) are not implemented yet; those trait methods keep
//! the SDK's defaults.

pub mod config;

use netplug_plugin_sdk::{Item, Plugin, PluginInfo, Validation};

/// The VLAN plugin.
pub struct VlanPlugin;

impl Plugin for VlanPlugin {
    fn info(&self) -> PluginInfo {
        PluginInfo {
            name: "vlan".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "802.1Q and 802.1ad VLANs (<vlan>) on a parent device".into(),
            kinds: vec!["vlan".into()],
            elements: Vec::new(),
            phase: None,
        }
    }

    fn validate(&self, items: &[Item]) -> Validation {
        config::validate(items)
    }
}

netplug_plugin_sdk::export_plugin!(VlanPlugin);
