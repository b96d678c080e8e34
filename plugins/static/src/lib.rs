//! This crate provides netplug's static addressing plugin: the `<static>` element, which may
//! appear any number of times in any interface, one address family or both per element, and
//! optionally the interface's default gateway.
//!
//! ```xml
//! <interface device="eth1">
//!   <static ipaddr="192.168.0.5" netmask="255.255.255.0" gateway="192.168.0.1"/>
//!   <static ip6addr="2001:db8:c::5/64"/>
//! </interface>
//! ```
//!
//! [`StaticPlugin`] implements the SDK's [`Plugin`] trait:
//!
//! * [`config`] declares the vocabulary, its defaults and its rules. Besides diagnostics,
//!   validation reports each address's subnet and each gateway as a next hop, so core can
//!   check gateways against every subnet of the configuration, including those other plugins
//!   (DHCP) contribute.
//! * [`read`](mod@read) reports every address of the interfaces asked about (one `<static>`
//!   each; those netplug did not add marked `foreign=`) and netplug's gateway routes, from one
//!   address dump and one route dump the kernel filters down to netplug's gateways.
//! * [`plan`](mod@plan) adds and removes netplug's addresses (`IFA_PROTO` 176) and gateway
//!   default routes (routing protocol 177), adopting a hand-added address a document declares,
//!   adding before removing so routes through the interface survive.
//! * [`apply`](mod@apply) sends the requests in bursts and stops at the first failure with the
//!   kernel's extended-ack text.
//!
//! One design decision: ownership lives in the kernel, not in a state file. Addresses carry
//! `IFA_PROTO` 176 (Linux 5.18+) and gateway routes protocol 177 — not the routes plugin's
//! 176, so neither plugin ever removes the other's routes — and read tells netplug's objects
//! from everyone else's by that mark alone, so any run, from any document, removes exactly
//! what netplug added and nothing an administrator or a DHCP client did.

pub mod apply;
pub mod config;
pub mod plan;
pub mod read;

use netplug_plugin_sdk::{ApplyError, Change, Item, Phase, Plugin, PluginError, PluginInfo, Validation};

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
            vocabulary: include_str!("../schema.rng").into(),
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

netplug_plugin_sdk::export_plugin!(StaticPlugin);
