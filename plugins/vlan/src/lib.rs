//! This crate provides netplug's VLAN plugin: the `<vlan>` interface kind, an 802.1Q or 802.1ad
//! VLAN stacked on a parent device.
//!
//! ```xml
//! <vlan name="eth0.42" device="eth0" tag="42">
//!   <static ipaddr="192.168.42.5/24"/>
//! </vlan>
//! ```
//!
//! [`VlanPlugin`] implements the SDK's [`Plugin`] trait; the vocabulary, its defaults and its
//! rules are declared in [`config`]. A VLAN's `device` is its parent, not its name (which is
//! `name`, as on every kind but `<interface>`); the plugin reports it as a `Parent`
//! dependency, so core creates the parent first and knows removing it takes the VLAN along.
//!
//! The kernel side follows the data: [`read`] turns the kernel's VLANs into `<vlan>` items
//! (parent, tag, protocol and every flag, from one link dump), [`plan`] compares them with the
//! document — flags change in place, a new tag, protocol or parent means deleting the VLAN and
//! creating it again, since the kernel cannot change those — and [`apply`] sends the changes in
//! bursts. [`options`] holds the messages and their parsing.
//!
//! ```no_run
//! use netplug_plugin_vlan::VlanPlugin;
//! use netplug_plugin_sdk::{Element, Envelope, Item, Plugin};
//!
//! let want = Item {
//!     interface: "eth0.42".into(),
//!     kind: "vlan".into(),
//!     envelope: Some(Envelope { name: "eth0.42".into(), kind: "vlan".into(), ..Default::default() }),
//!     element: Element::new("vlan").with_attr("device", "eth0").with_attr("tag", "42"),
//! };
//! let scope = ["eth0.42".to_string()];
//! let live = VlanPlugin.read(Some(&scope))?;
//! let changes = VlanPlugin.plan(&[want], &live, &scope)?; // create on eth0, set up
//! VlanPlugin.apply(&changes)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod apply;
pub mod config;
pub mod libvirt;
pub mod options;
pub mod plan;
pub mod read;

use netplug_plugin_sdk::libvirt::{FromNative, Libvirt, Native, ToNative};
use netplug_plugin_sdk::{ApplyError, Change, Item, Plugin, PluginError, PluginInfo, Validation};

/// The VLAN plugin.
pub struct VlanPlugin;

impl Plugin for VlanPlugin {
    fn info(&self) -> PluginInfo {
        PluginInfo {
            name: "vlan".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "802.1Q and 802.1ad VLANs (<vlan>) on a parent device".into(),
            kinds: vec!["vlan".into()],
            elements: Vec::new(),
            phase: None,
            // A VLAN's offloads can be turned off; its link is its parent's.
            device_settings: [("ethtool".to_string(), vec!["feature".to_string()])].into(),
            libvirt: vec!["vlan".into()],
            vocabulary: include_str!("../schema.rng").into(),
            // A new VLAN's protocol and flags, and its parent's MTU, as read back: show leaves it out.
            kernel_defaults: [(
                "vlan".to_string(),
                [
                    ("protocol", "802.1Q"),
                    ("reorder_hdr", "yes"),
                    ("gvrp", "no"),
                    ("mvrp", "no"),
                    ("loose_binding", "no"),
                    ("bridge_binding", "no"),
                    ("mtu", "parent"),
                ]
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

    fn libvirt_to_native(&self, request: &ToNative) -> Result<Native, PluginError> {
        Ok(libvirt::to_native(request))
    }

    fn libvirt_from_native(&self, request: &FromNative) -> Result<Libvirt, PluginError> {
        Ok(libvirt::from_native(request))
    }
}

netplug_plugin_sdk::export_plugin!(VlanPlugin);
