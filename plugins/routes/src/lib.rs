//! This crate provides netplug's routes plugin: the `<route>` element, which may appear any
//! number of times in any interface.
//!
//! ```xml
//! <interface device="eth0">
//!   <static ipaddr="192.168.0.5/24"/>
//!   <route gateway="192.168.0.1"/>
//!   <route destination="10.0.0.0/8" gateway="192.168.0.2" metric="100"/>
//!   <route destination="172.16.0.0/12"/>
//!   <route destination="2001:DB8::/32" type="unreachable"/>
//! </interface>
//! ```
//!
//! [`RoutesPlugin`] implements the SDK's [`Plugin`] trait; the vocabulary, its defaults and its
//! rules are declared in [`config`]. Validation reports every gateway as a next hop, so core can
//! check that some subnet of the interface (static or learned by DHCP) reaches it.
//!
//! Reading, planning and applying (netlink) are not implemented yet; those trait methods keep
//! the SDK's defaults.

pub mod config;

use netplug_plugin_sdk::{Item, Phase, Plugin, PluginInfo, Validation};

/// The routes plugin.
pub struct RoutesPlugin;

impl Plugin for RoutesPlugin {
    fn info(&self) -> PluginInfo {
        PluginInfo {
            name: "routes".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "static routes (<route>)".into(),
            kinds: Vec::new(),
            elements: vec!["route".into()],
            phase: Some(Phase::Route),
        }
    }

    fn validate(&self, items: &[Item]) -> Validation {
        config::validate(items)
    }
}

netplug_plugin_sdk::export_plugin!(RoutesPlugin);
