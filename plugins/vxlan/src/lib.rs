//! This crate provides netplug's VXLAN plugin: the `<vxlan>` interface kind, an Ethernet
//! segment tunnelled in UDP (RFC 7348) to one remote endpoint, a multicast group, or endpoints
//! in the FDB — the overlay a hypervisor's bridge joins.
//!
//! ```xml
//! <vxlan name="vx42" id="42" local="192.0.2.1" remote="192.0.2.2" device="eth0"/>
//! <bridge name="br42"><member device="vx42"/></bridge>
//! ```
//!
//! [`VxlanPlugin`] implements the SDK's [`Plugin`] trait; the vocabulary and its rules are in
//! [`config`]. The `device` is a `Parent` dependency, as a VLAN's: core creates it first (and
//! the kernel deletes the VXLAN with it), and a bridge holding the VXLAN waits for it as for
//! any member.
//!
//! The kernel side follows the data: [`read`] turns the kernel's VXLANs into `<vxlan>` items
//! (every option, from one link dump), [`plan`] compares them with the document — what the
//! kernel changes in place changes in place, the rest makes the VXLAN again — and [`apply`]
//! sends the changes in bursts. [`options`] holds the messages and their parsing.

pub mod apply;
pub mod config;
pub mod options;
pub mod plan;
pub mod read;

use netplug_plugin_sdk::{ApplyError, Change, Item, Plugin, PluginError, PluginInfo, Validation};

/// The VXLAN plugin.
pub struct VxlanPlugin;

impl Plugin for VxlanPlugin {
    fn info(&self) -> PluginInfo {
        PluginInfo {
            name: "vxlan".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "VXLAN tunnels (<vxlan>): Ethernet over UDP to a remote, a group or the FDB".into(),
            kinds: vec![config::KIND.into()],
            elements: Vec::new(),
            phase: None,
            // A VXLAN's offloads can be switched; it has no link modes, rings or channels.
            device_settings: [("ethtool".to_string(), vec!["feature".to_string()])].into(),
            vocabulary: include_str!("../schema.rng").into(),
            // What the plugin gives a new VXLAN when nothing is set, as read back; its MTU is its device's less the IPv4 encapsulation (an IPv6 one takes 20 more, and is printed): show leaves it out.
            kernel_defaults: [(
                config::KIND.to_string(),
                [
                    ("dstport", "4789"),
                    ("ttl", "auto"),
                    ("tos", "0"),
                    ("ageing", "300"),
                    ("maxaddress", "0"),
                    ("learning", "yes"),
                    ("proxy", "no"),
                    ("rsc", "no"),
                    ("l2miss", "no"),
                    ("l3miss", "no"),
                    ("udpcsum", "yes"),
                    ("udp6zerocsumtx", "no"),
                    ("udp6zerocsumrx", "no"),
                    ("flowlabel", "0"),
                    ("df", "unset"),
                    ("external", "no"),
                    ("mtu", "parent-50|1500"),
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
}

netplug_plugin_sdk::export_plugin!(VxlanPlugin);
