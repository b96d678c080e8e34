//! This crate provides netplug's veth plugin: the `<veth>` interface kind, a virtual Ethernet
//! pair whose other end may live in another network namespace.
//!
//! ```xml
//! <veth name="v0" peer="v0p" mtu="9000"/>
//! <veth name="ct1" peer="eth0" peer-netns="container1"/>
//! ```
//!
//! [`VethPlugin`] implements the SDK's [`Plugin`] trait; the vocabulary and its rules are
//! declared in [`config`]. A pair is made by one request that carries both ends' settings and,
//! with `peer-netns`, the namespace the peer is created in (the peer never appears here).
//!
//! The kernel side follows the data: [`read`] turns the kernel's veths into `<veth>` items
//! (the peer, and its namespace by name when it lives in a named one: [`netns`]), [`plan`]
//! compares them with the document — the envelope changes in place, a new peer or peer
//! namespace means deleting the pair and creating it again — and [`apply`] sends the changes in
//! bursts.

pub mod apply;
pub mod config;
pub mod netns;
pub mod plan;
pub mod read;

use netplug_plugin_sdk::{ApplyError, Change, Item, Plugin, PluginError, PluginInfo, Validation};

/// The veth plugin.
pub struct VethPlugin;

impl Plugin for VethPlugin {
    fn info(&self) -> PluginInfo {
        PluginInfo {
            name: "veth".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Virtual Ethernet pairs (<veth name= peer=>), the peer here or in a named namespace"
                .into(),
            kinds: vec![config::KIND.into()],
            elements: Vec::new(),
            phase: None,
            // A veth has offloads and (for XDP) channels; it has no link modes or rings.
            device_settings: [("ethtool".to_string(), vec!["feature".to_string(), "channels".to_string()])]
                .into(),
            vocabulary: include_str!("../schema.rng").into(),
            // A new veth's MTU: show leaves it out.
            kernel_defaults: [(
                config::KIND.to_string(),
                [("mtu", "1500")].map(|(k, v)| (k.to_string(), v.to_string())).into(),
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

netplug_plugin_sdk::export_plugin!(VethPlugin);
