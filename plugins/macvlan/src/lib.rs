//! This crate provides netplug's macvlan plugin: the `<macvlan>` and `<macvtap>` interface
//! kinds, virtual interfaces with MAC addresses of their own on a parent device (a macvtap
//! also gives user space a `/dev/tapN` character device, as a VM's NIC).
//!
//! ```xml
//! <macvlan name="mv0" device="eth0" mode="bridge">
//!   <static ipaddr="192.168.1.20/24"/>
//! </macvlan>
//! ```
//!
//! [`MacvlanPlugin`] implements the SDK's [`Plugin`] trait; the vocabulary, its defaults and its
//! rules are declared in [`config`]. `device` is the parent, reported as a `Parent` dependency
//! so core creates the parent first and knows removing it takes the macvlan along.
//!
//! The kernel side follows the data: [`read`] turns the kernel's macvlans and macvtaps into
//! items (every setting, from one link dump), [`plan`] compares them with the document — the
//! mode, flags, broadcast queue and source list change in place; a new parent or kind, or a
//! change into or out of passthru mode, deletes the link and creates it again — and [`apply`]
//! sends the changes in bursts. [`options`] holds the messages and their parsing.

pub mod apply;
pub mod config;
pub mod options;
pub mod plan;
pub mod read;

use netplug_plugin_sdk::{ApplyError, Change, Item, Plugin, PluginError, PluginInfo, Validation};

/// The kinds this plugin creates: the kernel's names, which the format uses as element names.
pub const KINDS: &[&str] = &["macvlan", "macvtap"];

/// The macvlan plugin.
pub struct MacvlanPlugin;

impl Plugin for MacvlanPlugin {
    fn info(&self) -> PluginInfo {
        PluginInfo {
            name: "macvlan".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "MAC-address VLANs (<macvlan>) and their tap devices (<macvtap>) on a parent device"
                .into(),
            kinds: KINDS.iter().map(|k| k.to_string()).collect(),
            elements: Vec::new(),
            phase: None,
            // A macvlan's offloads can be turned off; its link is its parent's.
            device_settings: [("ethtool".to_string(), vec!["feature".to_string()])].into(),
            vocabulary: include_str!("../schema.rng").into(),
            // A new macvlan's (macvtap's) settings and its parent's MTU, as read back: show leaves
            // them out.
            kernel_defaults: KINDS
                .iter()
                .map(|k| {
                    let defaults = [
                        ("mode", "vepa"),
                        ("nopromisc", "no"),
                        ("nodst", "no"),
                        ("bcqueuelen", "1000"),
                        ("mtu", "parent"),
                    ];
                    (k.to_string(), defaults.map(|(k, v)| (k.to_string(), v.to_string())).into())
                })
                .collect(),
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

netplug_plugin_sdk::export_plugin!(MacvlanPlugin);
