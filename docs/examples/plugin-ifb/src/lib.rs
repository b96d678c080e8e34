//! This crate provides an example netplug plugin, built outside netplug's workspace as any
//! third-party plugin would be: the `ifb` interface kind, an Intermediate Functional Block
//! device (traffic redirected to it with `tc` can be shaped on the way in).
//!
//! ```xml
//! <interfaces>
//!   <ifb name="ifb0" mtu="9000"/>
//!   <ifb name="ifb1" state="down"><hwaddr>02:00:00:00:00:01</hwaddr></ifb>
//! </interfaces>
//! ```
//!
//! The kind has no settings of its own: name, MTU, MAC and state are netplug's envelope.
//! [`IfbPlugin`] implements the SDK's [`Plugin`] trait; [`config`] checks the vocabulary,
//! [`read`] reads the kernel back into it, [`plan`] decides the changes and [`apply`] sends
//! them. `docs/plugin-guide.md` walks through it.

pub mod apply;
pub mod config;
pub mod plan;
pub mod read;

use netplug_plugin_sdk::{ApplyError, Change, Item, Plugin, PluginError, PluginInfo, Validation};

/// The kind this plugin creates: `<ifb>` in documents, `ifb` to the kernel.
pub const KIND: &str = "ifb";

/// The ifb plugin. It holds nothing: sockets are opened per call, in the network namespace
/// netplug has entered by then (`--netns`).
#[derive(Default)]
pub struct IfbPlugin;

impl Plugin for IfbPlugin {
    fn info(&self) -> PluginInfo {
        PluginInfo {
            name: "ifb".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Intermediate Functional Block devices (<ifb name=>); an example plugin".into(),
            kinds: vec![KIND.into()],
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
        Ok(plan::plan(desired, live, scope))
    }

    fn apply(&self, changes: &[Change]) -> Result<(), ApplyError> {
        apply::apply(changes)
    }
}

netplug_plugin_sdk::export_plugin!(IfbPlugin);
