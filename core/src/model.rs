//! The one model both dialects parse into: a list of interfaces, each a common envelope owned
//! by core plus its native element tree, whose kind-specific parts belong to plugins.
//!
//! Core knows the envelope (name, kind, start mode, state, MAC, MTU) and, after validation,
//! the membership and parent references the plugins reported. It does not know bond modes or
//! bridge timers: those stay inside `element` for the kind's plugin.

use netplug_plugin_sdk::{Element, Envelope, LinkState, Span};

/// How an interface is brought up: when, and by whom.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum StartMode {
    /// At boot (`netplug apply --all`).
    #[default]
    Onboot,
    /// Only when asked (`netplug start`).
    Manual,
    /// When the device appears.
    Hotplug,
    /// When carrier comes.
    Ifplug,
    /// Configured by the initramfs for a network root; never taken down.
    Nfsroot,
}

impl StartMode {
    pub const ALL: [&'static str; 5] = ["onboot", "manual", "hotplug", "ifplug", "nfsroot"];

    pub fn as_str(self) -> &'static str {
        match self {
            StartMode::Onboot => "onboot",
            StartMode::Manual => "manual",
            StartMode::Hotplug => "hotplug",
            StartMode::Ifplug => "ifplug",
            StartMode::Nfsroot => "nfsroot",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "onboot" => StartMode::Onboot,
            "manual" => StartMode::Manual,
            "hotplug" => StartMode::Hotplug,
            "ifplug" => StartMode::Ifplug,
            "nfsroot" => StartMode::Nfsroot,
            _ => return None,
        })
    }
}

/// Which XML dialect a document was written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// netplug's own, the vocabulary of the netcf proposal.
    Native,
    /// libvirt's `<interface type=..>` as printed by `virsh iface-dumpxml`.
    Libvirt,
}

/// One interface as described by a document.
#[derive(Clone, Debug, PartialEq)]
pub struct Interface {
    pub name: String,
    /// The top-level element's name (`bond`, `bridge`, `vlan`, a plugin's own `veth`), or for
    /// `<interface>` the kind of the plugin of physical devices (see [`DEVICE_ELEMENT`]).
    pub kind: String,
    pub start_mode: StartMode,
    pub state: LinkState,
    /// Normalised to lower-case `aa:bb:cc:dd:ee:ff`.
    pub mac: Option<String>,
    pub mtu: Option<u32>,
    /// The master this interface is a port of, from the plugins' dependencies.
    pub master: Option<String>,
    /// The lower device this interface is stacked on, from the plugins' dependencies.
    pub parent: Option<String>,
    /// Other interfaces of the documents this one merely needs to exist first (the plugins'
    /// `Requires` dependencies), in the order they were reported, each once.
    pub requires: Vec<String>,
    /// The whole top-level element in the native vocabulary, spans pointing at the source.
    pub element: Element,
    /// The span of the name attribute (or of the element when there is none).
    pub name_span: Span,
}

/// The native dialect's element for a device that exists (a NIC), configured but never created
/// or deleted: `<interface device="eth0">`. Its kind is not core's to name: it is the kind of the
/// plugin that declares its kinds physical ([`Registry::device_kind`]); every other top-level
/// element is its own kind, named by `name=`.
///
/// [`Registry::device_kind`]: crate::registry::Registry::device_kind
pub const DEVICE_ELEMENT: &str = "interface";

impl Interface {
    /// The attribute holding the interface's name on a top-level element called `element`:
    /// `device` on `<interface>`, `name` everywhere else (a `<vlan>`'s `device` is its parent).
    pub fn name_attribute_of(element: &str) -> &'static str {
        if element == DEVICE_ELEMENT {
            "device"
        } else {
            "name"
        }
    }

    /// The envelope plugins see.
    pub fn envelope(&self) -> Envelope {
        Envelope {
            name: self.name.clone(),
            kind: self.kind.clone(),
            start_mode: self.start_mode.as_str().to_string(),
            state: self.state,
            mac: self.mac.clone(),
            mtu: self.mtu,
            master: self.master.clone(),
            parent: self.parent.clone(),
            ifindex: None,
        }
    }
}

/// A set of interfaces read from one or more documents.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Config {
    pub interfaces: Vec<Interface>,
}

impl Config {
    pub fn get(&self, name: &str) -> Option<&Interface> {
        self.interfaces.iter().find(|i| i.name == name)
    }
}
