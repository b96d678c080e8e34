//! This crate provides an example netplug plugin, built outside netplug's workspace as any
//! third-party plugin would be: the `veth` interface kind, a virtual Ethernet pair.
//!
//! ```xml
//! <interfaces>
//!   <veth name="v0" peer="v0p" mtu="9000" state="up"/>
//!   <veth name="v0p" peer="v0" state="up"/>   <!-- optional: settings for the other end -->
//! </interfaces>
//! ```
//!
//! [`VethPlugin`] implements the SDK's [`Plugin`] trait; [`config`] declares the vocabulary
//! and validates it, [`query`] reads the kernel back into it, [`plan`] decides the changes
//! and [`netlink`] builds and sends them. `docs/plugin-guide.md` walks through it.
//!
//! One design decision: a pair is created by one change carrying both ends' MTU, MAC and
//! admin state, rather than a create followed by a change per attribute, so creating 10,000
//! pairs (what `cargo xtask bench` does with this plugin) is one burst of 10,000 requests.

pub mod config;
pub mod netlink;
pub mod plan;
pub mod query;

use std::sync::Mutex;

use netplug_plugin_sdk::netlink::LinkTable;
use netplug_plugin_sdk::netlink::Socket;
use netplug_plugin_sdk::{ApplyError, Change, Item, Plugin, PluginError, PluginInfo, Validation};

/// The veth plugin. Cheap to build: the netlink socket is opened on first use, in the network
/// namespace netplug has entered by then (`--netns`).
#[derive(Default)]
pub struct VethPlugin {
    socket: Mutex<Option<Socket>>,
}

impl VethPlugin {
    /// Run `f` with the plugin's socket, opening it on first use.
    fn with_socket<T>(
        &self,
        f: impl FnOnce(&mut Socket) -> Result<T, PluginError>,
    ) -> Result<T, PluginError> {
        // A poisoned lock means an earlier call panicked mid-request (the SDK reported that
        // panic); the socket is still usable, since every request waits for its own answer.
        let mut guard = self.socket.lock().unwrap_or_else(|e| e.into_inner());
        if guard.is_none() {
            *guard = Some(Socket::route()?);
        }
        f(guard.as_mut().expect("just opened"))
    }
}

impl Plugin for VethPlugin {
    fn info(&self) -> PluginInfo {
        PluginInfo {
            name: "veth".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Virtual Ethernet pairs (<veth name= peer=>); an example third-party plugin".into(),
            kinds: vec![config::KIND.into()],
            ..PluginInfo::default()
        }
    }

    fn validate(&self, items: &[Item]) -> Validation {
        config::validate(items)
    }

    fn read(&self, names: Option<&[String]>) -> Result<Vec<Item>, PluginError> {
        // One dump whatever `names` holds: a request per name would cost 10,000 round trips.
        let table = self.with_socket(LinkTable::dump)?;
        let items = query::items(&table, names);
        tracing::debug!(count = items.len(), "read veths");
        Ok(items)
    }

    fn plan(&self, desired: &[Item], live: &[Item], scope: &[String]) -> Result<Vec<Change>, PluginError> {
        plan::plan(desired, live, scope)
    }

    fn apply(&self, changes: &[Change]) -> Result<(), ApplyError> {
        tracing::info!(count = changes.len(), "applying veth changes");
        let result = self
            .with_socket(|sock| Ok(netlink::apply(sock, changes)))
            .map_err(|error| ApplyError { index: 0, error })?;
        if let Err(e) = &result {
            tracing::warn!(index = e.index, "veth change failed: {}", e.error);
        }
        result
    }
}

netplug_plugin_sdk::export_plugin!(VethPlugin::default());
