//! This crate provides netplug's bond plugin: the `<bond>` interface kind and its `<slave>`s.
//!
//! ```xml
//! <bond name="bond0" mode="active-backup" miimon="100">
//!   <slave device="eth0" primary="yes"/>
//!   <slave device="eth1"/>
//! </bond>
//! ```
//!
//! [`BondPlugin`] implements the SDK's [`Plugin`] trait. The vocabulary — every attribute with
//! its help, values and default — is declared once in [`config`], and that table drives
//! validation; the value enumerations in [`values`] carry the kernel's names and numbers.
//!
//! One design decision: rules follow what the kernel does, not what would be tidy. An option
//! the kernel refuses in the bond's mode (`lacp_rate` outside 802.3ad) is an error, because the
//! apply would fail; one it accepts and ignores (`xmit_hash_policy` in active-backup) is a
//! warning, because the apply would succeed and do nothing.
//!
//! The kernel side follows the data: [`read`] turns the kernel's bonds into `<bond>` items
//! (every option the bond's mode takes, slaves with their primary, from one link dump),
//! [`plan`] compares them with the document and sequences what the kernel accepts only in some
//! states — a mode change sets the bond down, releases its slaves, changes the mode and enslaves
//! them again — and [`apply`] sends the changes in bursts. [`options`] is the one table of
//! attributes, `IFLA_BOND_*` numbers, wire widths and state requirements the three share.
//!
//! ```no_run
//! use netplug_plugin_bond::BondPlugin;
//! use netplug_plugin_sdk::{Element, Envelope, Item, Plugin};
//!
//! let want = Item {
//!     interface: "bond0".into(),
//!     kind: "bond".into(),
//!     envelope: Some(Envelope { name: "bond0".into(), kind: "bond".into(), ..Default::default() }),
//!     element: Element::new("bond")
//!         .with_attr("mode", "active-backup")
//!         .with_child(Element::new("slave").with_attr("device", "eth0")),
//! };
//! let scope = ["bond0".to_string()];
//! let live = BondPlugin.read(Some(&scope))?;
//! let changes = BondPlugin.plan(&[want], &live, &scope)?; // create, set up, enslave eth0
//! BondPlugin.apply(&changes)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod apply;
pub mod config;
pub mod libvirt;
pub mod options;
pub mod plan;
pub mod read;
pub mod values;

use netplug_plugin_sdk::libvirt::{FromNative, Libvirt, Native, ToNative};
use netplug_plugin_sdk::{ApplyError, Change, Item, Plugin, PluginError, PluginInfo, Validation};

/// The bond plugin.
pub struct BondPlugin;

impl Plugin for BondPlugin {
    fn info(&self) -> PluginInfo {
        PluginInfo {
            name: "bond".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "bonded interfaces (<bond>) and their slaves".into(),
            kinds: vec!["bond".into()],
            elements: Vec::new(),
            phase: None,
            // A bond's offloads are computed from its slaves, and it has no link to negotiate.
            device_settings: [("ethtool".to_string(), Vec::new())].into(),
            libvirt: vec!["bond".into()],
            vocabulary: include_str!("../schema.rng").into(),
            // A new bond's options (miimon 100 in the modes that need link monitoring) and MTU, as read back: show leaves it out.
            kernel_defaults: [(
                "bond".to_string(),
                [
                    ("mode", "balance-rr"),
                    ("miimon", "0"),
                    ("miimon if mode=802.3ad", "100"),
                    ("miimon if mode=balance-tlb", "100"),
                    ("miimon if mode=balance-alb", "100"),
                    ("updelay", "0"),
                    ("downdelay", "0"),
                    ("peer_notif_delay", "0"),
                    ("use_carrier", "yes"),
                    ("arp_interval", "0"),
                    ("arp_ip_target", ""),
                    ("arp_validate", "none"),
                    ("arp_all_targets", "any"),
                    ("arp_missed_max", "2"),
                    ("primary_reselect", "always"),
                    ("fail_over_mac", "none"),
                    ("xmit_hash_policy", "layer2"),
                    ("resend_igmp", "1"),
                    ("num_grat_arp", "1"),
                    ("num_unsol_na", "1"),
                    ("all_slaves_active", "no"),
                    ("min_links", "0"),
                    ("lp_interval", "1"),
                    ("packets_per_slave", "1"),
                    ("lacp_active", "yes"),
                    ("lacp_rate", "slow"),
                    ("ad_select", "stable"),
                    ("ad_actor_sys_prio", "65535"),
                    ("ad_user_port_key", "0"),
                    ("ad_actor_system", "00:00:00:00:00:00"),
                    ("tlb_dynamic_lb", "yes"),
                    ("mtu", "1500"),
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

netplug_plugin_sdk::export_plugin!(BondPlugin);
