//! What the importers produce: interfaces in the native dialect's terms, each with the place it
//! was read from, before they are written as elements.

use std::fmt;
use std::path::{Path, PathBuf};

/// A line of a source file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Origin {
    pub file: PathBuf,
    pub line: u32,
}

impl Origin {
    pub fn new(file: &Path, line: u32) -> Origin {
        Origin { file: file.to_path_buf(), line }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// A line or key that the native document does not carry, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unsupported {
    pub origin: Origin,
    /// The construct as the source spells it (the line, or `key: value`).
    pub what: String,
    pub why: String,
}

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: not imported: {}: {}", self.origin, self.what, self.why)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Ethernet,
    Bridge,
    Bond,
    Vlan,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartMode {
    Onboot,
    Manual,
    Hotplug,
}

impl StartMode {
    pub fn as_str(self) -> &'static str {
        match self {
            StartMode::Onboot => "onboot",
            StartMode::Manual => "manual",
            StartMode::Hotplug => "hotplug",
        }
    }
}

/// One static address, `ADDR/LEN`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Address {
    pub address: String,
}

impl Address {
    pub fn is_ipv6(&self) -> bool {
        self.address.contains(':')
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Route {
    /// `default` or `ADDR[/LEN]`.
    pub destination: String,
    pub gateway: Option<String>,
    pub metric: Option<String>,
    pub table: Option<String>,
    pub onlink: bool,
    /// `unicast` for an on-link route without gateway, or a refusing type.
    pub kind: Option<String>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Dhcp6 {
    pub autoconf: bool,
    pub dhcp: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interface {
    pub name: String,
    pub kind: Kind,
    /// Where the interface was first declared.
    pub origin: Origin,
    pub startmode: Option<StartMode>,
    pub mtu: Option<String>,
    pub hwaddr: Option<String>,
    /// The kind's attributes under their native names (`stp`, `mode`, `tag`…), in the order met.
    pub options: Vec<(String, String)>,
    /// A bridge's members or a bond's slaves.
    pub ports: Vec<String>,
    /// A bond's primary slave.
    pub primary: Option<String>,
    pub addresses: Vec<Address>,
    /// Default gateways, at most one per family.
    pub gateways: Vec<String>,
    pub dhcp: bool,
    /// `<dhcp>` attributes (`peerdns`, `hostname`).
    pub dhcp_options: Vec<(String, String)>,
    pub dhcp6: Option<Dhcp6>,
    pub routes: Vec<Route>,
}

impl Interface {
    pub fn new(name: &str, kind: Kind, origin: Origin) -> Interface {
        Interface {
            name: name.to_string(),
            kind,
            origin,
            startmode: None,
            mtu: None,
            hwaddr: None,
            options: Vec::new(),
            ports: Vec::new(),
            primary: None,
            addresses: Vec::new(),
            gateways: Vec::new(),
            dhcp: false,
            dhcp_options: Vec::new(),
            dhcp6: None,
            routes: Vec::new(),
        }
    }

    /// Set a kind attribute, replacing an earlier value of the same name.
    pub fn set_option(&mut self, name: &str, value: impl Into<String>) {
        let value = value.into();
        match self.options.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value,
            None => self.options.push((name.to_string(), value)),
        }
    }

    pub fn option(&self, name: &str) -> Option<&str> {
        self.options.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    pub fn add_port(&mut self, port: &str) {
        if !self.ports.iter().any(|p| p == port) {
            self.ports.push(port.to_string());
        }
    }

    pub fn add_address(&mut self, address: String) {
        if !self.addresses.iter().any(|a| a.address == address) {
            self.addresses.push(Address { address });
        }
    }
}

/// The interfaces read from one source, in the order they were first declared.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Document {
    pub interfaces: Vec<Interface>,
}

impl Document {
    pub fn get(&self, name: &str) -> Option<&Interface> {
        self.interfaces.iter().find(|i| i.name == name)
    }

    pub fn get_mut(&mut self, name: &str) -> Option<&mut Interface> {
        self.interfaces.iter_mut().find(|i| i.name == name)
    }

    /// The interface of that name, declared here as `kind` if it is new. An interface first
    /// met as an ethernet (a port stanza) takes the kind a later declaration gives it.
    pub fn entry(&mut self, name: &str, kind: Kind, origin: &Origin) -> &mut Interface {
        let index = match self.interfaces.iter().position(|i| i.name == name) {
            Some(i) => i,
            None => {
                self.interfaces.push(Interface::new(name, kind, origin.clone()));
                self.interfaces.len() - 1
            }
        };
        let iface = &mut self.interfaces[index];
        if iface.kind == Kind::Ethernet && kind != Kind::Ethernet {
            iface.kind = kind;
        }
        iface
    }
}

/// What an import found: the document and everything it had to leave out.
#[derive(Clone, Debug, Default)]
pub struct Import {
    pub document: Document,
    pub unsupported: Vec<Unsupported>,
}

impl Import {
    pub fn unsupported(&mut self, origin: &Origin, what: impl Into<String>, why: impl Into<String>) {
        self.unsupported.push(Unsupported { origin: origin.clone(), what: what.into(), why: why.into() });
    }
}
