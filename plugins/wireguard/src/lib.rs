//! This crate provides netplug's WireGuard plugin: the `<wireguard>` interface kind, a
//! WireGuard tunnel device with its private key and peers.
//!
//! ```xml
//! <wireguard name="wg0" listen-port="51820">
//!   <private-key file="/etc/netplug/wg0.key"/>
//!   <peer public-key="hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=" endpoint="192.0.2.7:51820"
//!         persistent-keepalive="25">
//!     <allowed-ip prefix="10.10.0.0/24"/>
//!   </peer>
//!   <static ipaddr="10.10.0.1/24"/>
//! </wireguard>
//! ```
//!
//! [`WireGuardPlugin`] implements the SDK's [`Plugin`] trait. The link is an rtnetlink link of
//! kind `wireguard`; its configuration goes over the `wireguard` generic netlink family
//! (`netplug_netlink::wireguard`). The stages follow the data: [`config`] (vocabulary and
//! rules), [`read`] (links and devices back into the vocabulary), [`plan`] (device settings and
//! each peer changed in place), [`apply`]; [`keys`] holds what the three share about keys.
//!
//! Keys are read from root-only files and never written anywhere but to the kernel: items,
//! plans, changes, logs and errors name a private key by its public key and a preshared key by
//! an id (a digest).

pub mod apply;
pub mod config;
pub mod keys;
pub mod plan;
pub mod read;

use netplug_plugin_sdk::{ApplyError, Change, Item, Plugin, PluginError, PluginInfo, Validation};

/// The WireGuard plugin.
pub struct WireGuardPlugin;

impl Plugin for WireGuardPlugin {
    fn info(&self) -> PluginInfo {
        PluginInfo {
            name: "wireguard".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "WireGuard tunnels (<wireguard>): private key, port, firewall mark and peers".into(),
            kinds: vec!["wireguard".into()],
            elements: Vec::new(),
            phase: None,
            // Offloads can be turned off; a tunnel has no link modes, rings or channels.
            device_settings: [("ethtool".to_string(), vec!["feature".to_string()])].into(),
            vocabulary: include_str!("../schema.rng").into(),
            // A new tunnel's firewall mark and MTU: show leaves it out.
            kernel_defaults: [(
                "wireguard".to_string(),
                [("fwmark", "0"), ("mtu", "1420")].map(|(k, v)| (k.to_string(), v.to_string())).into(),
            )]
            .into(),
            observed: [("peer".to_string(), read::OBSERVED.iter().map(|a| a.to_string()).collect())].into(),
            ..PluginInfo::default()
        }
    }

    fn validate(&self, items: &[Item]) -> Validation {
        config::validate(items)
    }

    fn read(&self, names: Option<&[String]>) -> Result<Vec<Item>, PluginError> {
        read::read(names)
    }

    fn plan(&self, desired: &[Item], live: &[Item], scope: &[String]) -> Result<Vec<Change>, PluginError> {
        plan::plan(desired, live, scope)
    }

    fn apply(&self, changes: &[Change]) -> Result<(), ApplyError> {
        apply::apply(changes)
    }
}

netplug_plugin_sdk::export_plugin!(WireGuardPlugin);
