//! This crate provides netplug's VRF plugin: the `<vrf>` interface kind, a virtual routing and
//! forwarding domain, and its `<member>` ports.
//!
//! ```xml
//! <vrf name="blue" table="1001">
//!   <member device="eth1"/>
//! </vrf>
//! ```
//!
//! [`VrfPlugin`] implements the SDK's [`Plugin`] trait; the vocabulary and its rules are
//! declared in [`config`]. Members are reported as `Member` dependencies, as a bridge's are, so
//! core creates the VRF before enslaving them and enslaves them before their addresses and
//! routes are configured: those land in the VRF's table.
//!
//! The kernel side follows the data: [`read`] turns the kernel's VRFs into items (table and
//! ports, from one link dump), [`plan`] compares them with the document — ports are enslaved
//! and released, a new table deletes the VRF and creates it again — and [`apply`] sends the
//! changes in bursts.

pub mod apply;
pub mod config;
pub mod plan;
pub mod read;

use netplug_plugin_sdk::{ApplyError, Change, Item, Plugin, PluginError, PluginInfo, Validation};

/// The VRF plugin.
pub struct VrfPlugin;

impl Plugin for VrfPlugin {
    fn info(&self) -> PluginInfo {
        PluginInfo {
            name: "vrf".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "VRF routing domains (<vrf>) and their member ports".into(),
            kinds: vec!["vrf".into()],
            elements: Vec::new(),
            phase: None,
            // A VRF is a routing domain: it has no link and no offloads of its own.
            device_settings: [("ethtool".to_string(), Vec::new())].into(),
            vocabulary: include_str!("../schema.rng").into(),
            // A new VRF's MTU (IPv6's largest): show leaves it out.
            kernel_defaults: [(
                "vrf".to_string(),
                [("mtu", "65575")].map(|(k, v)| (k.to_string(), v.to_string())).into(),
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

netplug_plugin_sdk::export_plugin!(VrfPlugin);
