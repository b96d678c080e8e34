//! This crate provides netplug's ethernet plugin: the `<interface>` kind (a physical or
//! otherwise pre-existing Ethernet device) and the `<ethtool>` element, which may appear in any
//! interface.
//!
//! ```xml
//! <interface device="eth0">
//!   <ethtool speed="1000" duplex="full" autoneg="yes">
//!     <feature name="tx-checksum-ip-generic" state="off"/>
//!     <ring rx="4096" tx="4096"/>
//!     <channels combined="8"/>
//!   </ethtool>
//! </interface>
//! ```
//!
//! [`EthernetPlugin`] implements the SDK's [`Plugin`] trait; the vocabulary, its defaults and
//! its rules are declared in [`config`]. The kind itself has no attributes of its own: an
//! ethernet interface is named by `device` and otherwise described by the envelope (MTU, MAC,
//! state) and its features, so the plugin's kind check is that nothing else is left.
//!
//! * [`read`](mod@read) reports devices as `<interface>` items (envelope only) and their
//!   `<ethtool>`: every feature the driver lets change, link settings, ring sizes and channel
//!   counts, in the vocabulary [`config`] validates, so a snapshot read before an apply can be
//!   planned back to. One link dump and four ethtool dumps, however many devices; when
//!   planning (`read_plan`), the ethtool dumps only if some device declares `<ethtool>`, and
//!   only those devices' settings are built.
//! * [`plan`](mod@plan) changes the envelope with the SDK's `envelope_changes` and `<ethtool>`
//!   settings that differ. The kind cannot create devices: a device missing by name is looked
//!   up by MAC (as netcf does) and renamed, and `state="absent"` sets a device down, never
//!   deletes it. What the driver cannot do (a fixed feature, a ring beyond its maximum) is a
//!   plan error, before anything is changed. A renamed device is not in the snapshot core
//!   rolls back to, so [`renames`] remembers it and a rollback renames it back.
//! * [`apply`](mod@apply) batches link changes and sends ethtool changes over generic netlink,
//!   stopping at the first failure with the kernel's extended-ack text.
//!
//! One design decision: planning runs on the items alone and asks the kernel (through
//! [`plan::Kernel`]) only for what items do not carry — the links to search by MAC, a
//! driver's fixed features and maxima — and only when a change needs it, so a re-plan that
//! finds nothing to do costs no request beyond the read.

pub mod apply;
pub mod config;
pub mod ethtool;
pub mod plan;
pub mod read;
pub mod renames;

use std::collections::HashSet;

use netplug_plugin_sdk::{
    ApplyError, Change, Item, LivePlan, Phase, Plugin, PluginError, PluginInfo, Validation,
};

/// The ethernet plugin.
pub struct EthernetPlugin;

impl Plugin for EthernetPlugin {
    fn info(&self) -> PluginInfo {
        PluginInfo {
            name: "ethernet".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Ethernet devices (<interface>) and their ethtool settings (<ethtool>)".into(),
            kinds: vec!["ethernet".into()],
            elements: vec!["ethtool".into()],
            phase: Some(Phase::Configure),
            vocabulary: include_str!("../schema.rng").into(),
            physical: true,
            // A NIC has no subtree in libvirt: the envelope is all of it.
            libvirt: vec!["ethernet".into()],
            // A NIC's MTU unless someone set one: show leaves it out.
            kernel_defaults: [(
                "interface".to_string(),
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
        plan::plan(desired, live, scope, &mut plan::LiveKernel::default())
    }

    /// `read` then `plan`, reading `<ethtool>` state only of the devices `desired` declares it
    /// for: the settings of the others are left alone (`LivePlan::keep_declared`), so their
    /// dumps would be thrown away.
    fn read_plan(
        &self,
        desired: &[Item],
        scope: &[String],
        keep_live: bool,
    ) -> Result<LivePlan, PluginError> {
        let declared: HashSet<&str> =
            desired.iter().filter(|i| i.element.name == "ethtool").map(|i| i.interface.as_str()).collect();
        let mut live = read::read_settings_of(Some(scope), |name| declared.contains(name))?;
        LivePlan::keep_declared(&self.info(), desired, &mut live);
        let changes = plan::plan(desired, &live, scope, &mut plan::LiveKernel::default())?;
        let live = if keep_live && !changes.is_empty() { live } else { Vec::new() };
        Ok(LivePlan { changes, live })
    }

    fn apply(&self, changes: &[Change]) -> Result<(), ApplyError> {
        apply::apply(changes)
    }
}

netplug_plugin_sdk::export_plugin!(EthernetPlugin);
