//! This crate provides netplug's static addressing plugin: the `<static>` element, which may
//! appear any number of times in any interface, one address family or both per element.
//!
//! ```xml
//! <interface device="eth1">
//!   <static ipaddr="192.168.0.5" netmask="255.255.255.0" gateway="192.168.0.1"/>
//!   <static ip6addr="2001:db8:c::5/64"/>
//! </interface>
//! ```
//!
//! [`StaticPlugin`] implements the SDK's [`Plugin`] trait; the vocabulary, its defaults and its
//! rules are declared in [`config`]. Besides diagnostics, validation reports each address's
//! subnet and each gateway as a next hop, so core can check gateways against every subnet of
//! the configuration, including those other plugins (DHCP) contribute.
//!
//! Reading, planning and applying (netlink) are not implemented yet; those trait methods keep
//! the SDK's defaults.

pub mod config;

use netplug_plugin_sdk::{Item, Phase, Plugin, PluginInfo, Validation};

/// The static addressing plugin.
pub struct StaticPlugin;

impl Plugin for StaticPlugin {
    fn info(&self) -> PluginInfo {
        PluginInfo {
            name: "static".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "static IPv4 and IPv6 addresses and gateways (<static>)".into(),
            kinds: Vec::new(),
            elements: vec!["static".into()],
            phase: Some(Phase::Address),
        }
    }

    fn validate(&self, items: &[Item]) -> Validation {
        config::validate(items)
    }
}

netplug_plugin_sdk::export_plugin!(StaticPlugin);
