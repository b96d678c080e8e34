//! This crate provides netplug's ipvlan plugin: the `<ipvlan>` interface kind, virtual
//! interfaces on a parent device that share its MAC address and are told apart by IP address
//! (for hosts whose switch port admits one MAC, and for containers).
//!
//! ```xml
//! <ipvlan name="ipv0" device="eth0" mode="l2" flags="private">
//!   <static ipaddr="192.168.1.21/24"/>
//! </ipvlan>
//! ```
//!
//! [`IpvlanPlugin`] implements the SDK's [`Plugin`] trait; the vocabulary, its defaults and its
//! rules are declared in [`config`]. `device` is the parent, reported as a `Parent`
//! dependency.
//!
//! The kernel side follows the data: [`read`] turns the kernel's ipvlans into items (parent,
//! mode and flags, from one link dump), [`plan`] compares them with the document — mode and
//! flags change in place, a new parent deletes the ipvlan and creates it again — and [`apply`]
//! sends the changes in bursts. [`options`] holds the messages and their parsing.

pub mod apply;
pub mod config;
pub mod options;
pub mod plan;
pub mod read;

use netplug_plugin_sdk::{ApplyError, Change, Item, Plugin, PluginError, PluginInfo, Validation};

/// The ipvlan plugin.
pub struct IpvlanPlugin;

impl Plugin for IpvlanPlugin {
    fn info(&self) -> PluginInfo {
        PluginInfo {
            name: "ipvlan".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "IP-address VLANs (<ipvlan>) sharing a parent device's MAC address".into(),
            kinds: vec!["ipvlan".into()],
            elements: Vec::new(),
            phase: None,
            // An ipvlan's offloads can be turned off; its link is its parent's.
            device_settings: [("ethtool".to_string(), vec!["feature".to_string()])].into(),
            vocabulary: include_str!("../schema.rng").into(),
            // A new ipvlan's mode and flags, and its parent's MTU: show leaves it out.
            kernel_defaults: [(
                "ipvlan".to_string(),
                [("mode", "l3"), ("flags", "bridge"), ("mtu", "parent")]
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .into(),
            )]
            .into(),
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

netplug_plugin_sdk::export_plugin!(IpvlanPlugin);
