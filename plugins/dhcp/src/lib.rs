//! This crate provides netplug's DHCP plugin: the `<dhcp>` element (a DHCPv4 client) and the
//! `<dhcp6>` element (a DHCPv6 client and/or SLAAC), either of which may appear once in any
//! interface.
//!
//! ```xml
//! <interface device="eth0">
//!   <dhcp peerdns="yes" hostname="web1"/>
//!   <dhcp6 autoconf="yes" dhcp="no"/>
//! </interface>
//! ```
//!
//! [`DhcpPlugin`] implements the SDK's [`Plugin`] trait; the vocabulary, its defaults and its
//! rules are declared in [`config`]. Validation reports each DHCP interface as having a subnet
//! learned at run time, so core does not call a gateway on it unreachable.
//!
//! Reading, planning and applying (starting and stopping the client) are not implemented yet;
//! those trait methods keep the SDK's defaults.

pub mod config;

use netplug_plugin_sdk::{Item, Phase, Plugin, PluginInfo, Validation};

/// The DHCP plugin.
pub struct DhcpPlugin;

impl Plugin for DhcpPlugin {
    fn info(&self) -> PluginInfo {
        PluginInfo {
            name: "dhcp".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "DHCPv4 (<dhcp>), DHCPv6 and SLAAC (<dhcp6>) clients".into(),
            kinds: Vec::new(),
            elements: vec!["dhcp".into(), "dhcp6".into()],
            phase: Some(Phase::Dynamic),
        }
    }

    fn validate(&self, items: &[Item]) -> Validation {
        config::validate(items)
    }
}

netplug_plugin_sdk::export_plugin!(DhcpPlugin);
