//! This crate provides netplug's routes plugin: the `<route>` element, which may appear any
//! number of times in any interface.
//!
//! ```xml
//! <interface device="eth0">
//!   <static ipaddr="192.168.0.5/24"/>
//!   <route gateway="192.168.0.1"/>
//!   <route destination="10.0.0.0/8" gateway="192.168.0.2" metric="100"/>
//!   <route destination="172.16.0.0/12" type="unicast"/>
//!   <route destination="2001:DB8::/32"/>
//!   <route destination="198.51.100.0/24" type="blackhole" table="100"/>
//! </interface>
//! ```
//!
//! The third route is on the link (no gateway, asked for with `type="unicast"`); the fourth,
//! without a gateway or a type, is unreachable, as the netcf proposal defined it.
//!
//! [`RoutesPlugin`] implements the SDK's [`Plugin`] trait:
//!
//! * [`config`] declares the vocabulary, its defaults and its rules; validation reports every
//!   gateway as a next hop, so core can check that some subnet of the interface (static or
//!   learned by DHCP) reaches it.
//! * [`read`](mod@read) reports netplug's routes — those of protocol 176 (`RTPROT_NETPLUG`), in
//!   every table — from one route dump the kernel filters itself, each as a `<route>` of the
//!   interface it belongs to, in the shape [`spec`] gives every route.
//! * [`plan`](mod@plan) adds, changes in place and removes routes, comparing destination,
//!   table and metric (the kernel's key, the family's default metric filled in) and then
//!   gateway, type and onlink; it never touches a route of another protocol.
//! * [`apply`](mod@apply) sends one request per change in bursts, adding exclusively, and
//!   stops at the first failure with the kernel's extended-ack text.
//!
//! One design decision: a route that refuses traffic (unreachable, blackhole, prohibit) has
//! no device in the kernel, yet it is declared inside an interface and removed with it, also
//! by a run that covers only some interfaces (`netplug stop eth0`). So the owner is written
//! into the route (a hash of the interface's name in the `RTAX_INITRWND` metric, which such a
//! route never uses) rather than guessed from whichever documents one run holds.

pub mod apply;
pub mod config;
mod keys;
pub mod plan;
pub mod read;
pub mod spec;
mod text;

use netplug_plugin_sdk::{ApplyError, Change, Item, Phase, Plugin, PluginError, PluginInfo, Validation};

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

netplug_plugin_sdk::export_plugin!(RoutesPlugin);
