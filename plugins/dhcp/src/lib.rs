//! This crate provides netplug's DHCP plugin: the `<dhcp>` element (a DHCPv4 client) and the
//! `<dhcp6>` element (a DHCPv6 client and/or SLAAC), either of which may appear once in any
//! interface.
//!
//! ```xml
//! <interface device="eth0">
//!   <dhcp peerdns="yes" hostname="web1" setdefaultroute="yes"/>
//!   <dhcp6 autoconf="yes"/>
//! </interface>
//! ```
//!
//! [`DhcpPlugin`] implements the SDK's [`Plugin`] trait. The vocabulary, its defaults and its
//! rules are in [`config`]; [`plan`] decides which clients to start and stop; [`apply`] takes a
//! lease through [`client`] (mozim) and configures from it: the address with the lease's
//! lifetimes (marked `IFA_PROTO` 178, see [`netlink`]), the router or classless routes
//! (`RTPROT_DHCP`), the name servers in a resolver file netplug owns ([`files`]), the host
//! name and NIS domain ([`host`]); `<dhcp6 autoconf>` sets the kernel's own SLAAC sysctls.
//! Stopping releases the lease and undoes exactly that.
//!
//! One design decision: every lease leaves a record under the run directory ([`state`],
//! `/run/netplug/dhcp/`, `NETPLUG_RUN_DIR`), written before the first change it describes.
//! `read` reports a client as running while its record's address is still on the link, so a
//! re-apply of the same file is a no-op while the lease holds; removal and rollback undo from
//! the record, so netplug never removes what it did not add. `read` also puts a `<lease>` child
//! with the lease's times in each item ([`lease`]); when its `next` time comes (T1, T2, a retry,
//! the end) `plan` plans a renewal, which [`renew`] carries out, so `netplug daemon` keeps
//! leases by re-applying definitions at those times. The reasons for mozim over a hand-written
//! client are in `docs/dhcp.md`.
//!
//! ```no_run
//! use netplug_plugin_dhcp::{state::Paths, DhcpPlugin};
//! use netplug_plugin_sdk::{Element, Envelope, Item, Plugin};
//!
//! let plugin = DhcpPlugin::with_paths(Paths::under("/tmp/netplug-run"));
//! let want = [Item {
//!     interface: "eth0".into(),
//!     kind: "ethernet".into(),
//!     envelope: Some(Envelope { name: "eth0".into(), kind: "ethernet".into(), ..Default::default() }),
//!     element: Element::new("dhcp").with_attr("timeout", "10"),
//! }];
//! let scope = ["eth0".to_string()];
//! let live = plugin.read(Some(&scope))?;
//! let changes = plugin.plan(&want, &live, &scope)?; // "start DHCPv4 client (timeout 10 s)"
//! plugin.apply(&changes).map_err(|e| e.error)?;
//! # Ok::<(), netplug_plugin_sdk::PluginError>(())
//! ```

pub mod apply;
pub mod client;
pub mod config;
pub mod files;
pub mod host;
pub mod lease;
pub mod netlink;
pub mod plan;
pub mod query;
pub mod renew;
pub mod state;

use netplug_plugin_sdk::{ApplyError, Change, Item, Phase, Plugin, PluginError, PluginInfo, Validation};

use crate::state::Paths;

/// The DHCP plugin, with the files it keeps its leases and writes its resolver file in.
#[derive(Clone, Debug)]
pub struct DhcpPlugin {
    paths: Paths,
}

impl DhcpPlugin {
    /// The plugin using `paths` (tests use a temporary run directory).
    pub fn with_paths(paths: Paths) -> DhcpPlugin {
        DhcpPlugin { paths }
    }

    pub fn paths(&self) -> &Paths {
        &self.paths
    }
}

impl Default for DhcpPlugin {
    /// Paths from `NETPLUG_RUN_DIR`, `NETPLUG_RESOLV_CONF` and `NETPLUG_YP_CONF`.
    fn default() -> Self {
        DhcpPlugin::with_paths(Paths::from_env())
    }
}

impl Plugin for DhcpPlugin {
    fn info(&self) -> PluginInfo {
        PluginInfo {
            name: "dhcp".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "DHCPv4 (<dhcp>), DHCPv6 and SLAAC (<dhcp6>) clients".into(),
            kinds: Vec::new(),
            elements: vec!["dhcp".into(), "dhcp6".into()],
            phase: Some(Phase::Dynamic),
            vocabulary: include_str!("../schema.rng").into(),
            ..PluginInfo::default()
        }
    }

    fn validate(&self, items: &[Item]) -> Validation {
        config::validate(items)
    }

    fn read(&self, names: Option<&[String]>) -> Result<Vec<Item>, PluginError> {
        query::read(&self.paths, names)
    }

    fn plan(&self, desired: &[Item], live: &[Item], scope: &[String]) -> Result<Vec<Change>, PluginError> {
        let changes = plan::plan(desired, live, scope);
        apply::refuse_foreign_files(&self.paths, &changes)?;
        Ok(changes)
    }

    fn apply(&self, changes: &[Change]) -> Result<(), ApplyError> {
        apply::apply(&self.paths, changes)
    }
}

netplug_plugin_sdk::export_plugin!(DhcpPlugin::default());
