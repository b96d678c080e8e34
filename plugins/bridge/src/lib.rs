//! This crate provides netplug's bridge plugin: the `<bridge>` interface kind and its
//! `<member>` ports.
//!
//! ```xml
//! <bridge name="br0" stp="on" forwarddelay="4" hellotime="1" maxage="6">
//!   <member device="eth2"/>
//! </bridge>
//! ```
//!
//! [`BridgePlugin`] implements the SDK's [`Plugin`] trait; the vocabulary, its defaults and its
//! rules are declared in [`config`].
//!
//! One design decision: times are written in seconds and may carry decimals down to 1/100 s,
//! the unit the kernel's netlink interface uses, so `forwarddelay="2.5"` is exact rather than
//! rounded, and anything finer is refused instead of silently truncated.
//!
//! The work follows the data: [`read`] turns the kernel's bridges into `<bridge>` items (every
//! option plan can change, ports as `<member>`s, from one link dump), [`plan`] compares them
//! with the document and says what to change, each change in its phase, and [`apply`] sends the
//! changes in bursts. [`options`] is the one table of attributes, `IFLA_BR_*` numbers and units
//! those three share.
//!
//! ```no_run
//! use netplug_plugin_bridge::BridgePlugin;
//! use netplug_plugin_sdk::{Element, Envelope, Item, Plugin};
//!
//! let want = Item {
//!     interface: "br0".into(),
//!     kind: "bridge".into(),
//!     envelope: Some(Envelope { name: "br0".into(), kind: "bridge".into(), ..Default::default() }),
//!     element: Element::new("bridge")
//!         .with_attr("stp", "on")
//!         .with_child(Element::new("member").with_attr("device", "eth0")),
//! };
//! let scope = ["br0".to_string()];
//! let live = BridgePlugin.read(Some(&scope))?;
//! let changes = BridgePlugin.plan(&[want], &live, &scope)?; // create (up), enslave eth0
//! BridgePlugin.apply(&changes)?;
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

/// The bridge plugin.
pub struct BridgePlugin;

impl Plugin for BridgePlugin {
    fn info(&self) -> PluginInfo {
        PluginInfo {
            name: "bridge".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Ethernet bridges (<bridge>) and their member ports".into(),
            kinds: vec!["bridge".into()],
            elements: Vec::new(),
            phase: None,
            // A bridge's offloads are computed from its ports, and it has no link to negotiate.
            device_settings: [("ethtool".to_string(), Vec::new())].into(),
            libvirt: vec!["bridge".into()],
            vocabulary: include_str!("../schema.rng").into(),
            // What a bridge made without these options has, and its MTU, as read back: show leaves
            // them out.
            kernel_defaults: [(
                "bridge".to_string(),
                options::OPTIONS
                    .iter()
                    .map(|o| (o.name.to_string(), o.format(o.default)))
                    // Its ports' smallest MTU, 1500 without ports.
                    .chain([("mtu".to_string(), "ports|1500".to_string())])
                    .collect(),
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

netplug_plugin_sdk::export_plugin!(BridgePlugin);
