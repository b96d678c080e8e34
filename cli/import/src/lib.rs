//! `netplug import`: read the network configuration a host already has — Debian's ifupdown,
//! RHEL's initscripts (`ifcfg-*`), netplan or systemd-networkd — into netplug's native
//! dialect. Every line or key the native dialect cannot carry is returned as [`Unsupported`]
//! with its file and line; nothing is dropped silently. The sources are only read.
//!
//! One module per source reads its files into the shared [`model`]; [`native`] writes that as
//! a document. The sources know their own vocabulary (`bridge-ports`, `BONDING_OPTS`…); core
//! knows none of it.

mod addr;
mod ifcfg;
mod ifupdown;
mod lines;
pub mod model;
pub mod native;
mod netplan;
mod networkd;

use std::io;
use std::path::{Path, PathBuf};

pub use model::{Document, Import, Unsupported};

/// Where a host's configuration comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// `/etc/network/interfaces` (ifupdown, ifupdown2).
    Ifupdown,
    /// `/etc/sysconfig/network-scripts` (RHEL's initscripts: `ifcfg-*`, `route-*`).
    Ifcfg,
    /// `/etc/netplan` (netplan's YAML).
    Netplan,
    /// `/etc/systemd/network` (systemd-networkd's `.netdev` and `.network` files).
    Networkd,
}

/// The links the host has, for sources that choose an interface by its MAC address.
pub trait Links {
    /// The names of the links with this MAC address (lower case, `:`-separated).
    fn by_mac(&self, mac: &str) -> Vec<String>;
}

/// No links: every match by MAC address is reported as unresolved.
pub struct NoLinks;

impl Links for NoLinks {
    fn by_mac(&self, _: &str) -> Vec<String> {
        Vec::new()
    }
}

/// A fixed table of `(name, mac)`.
pub struct LinkTable<'a>(pub &'a [(&'a str, &'a str)]);

impl Links for LinkTable<'_> {
    fn by_mac(&self, mac: &str) -> Vec<String> {
        self.0.iter().filter(|(_, m)| m.eq_ignore_ascii_case(mac)).map(|(n, _)| n.to_string()).collect()
    }
}

impl Source {
    /// Where the source keeps its configuration on a standard installation.
    pub fn default_path(self) -> &'static Path {
        match self {
            Source::Ifupdown => Path::new("/etc/network/interfaces"),
            Source::Ifcfg => Path::new("/etc/sysconfig/network-scripts"),
            Source::Netplan => Path::new("/etc/netplan"),
            Source::Networkd => Path::new("/etc/systemd/network"),
        }
    }
}

/// Read a source's configuration at `path` (its default path when `None`); `links` resolves
/// matches by MAC address.
pub fn import(source: Source, path: Option<&Path>, links: &dyn Links) -> io::Result<Import> {
    let path: PathBuf = path.unwrap_or(source.default_path()).to_path_buf();
    let mut out = Import::default();
    match source {
        Source::Ifupdown => ifupdown::read(&path, &mut out)?,
        Source::Ifcfg => ifcfg::read(&path, &mut out)?,
        Source::Netplan => netplan::read(&path, links, &mut out)?,
        Source::Networkd => networkd::read(&path, links, &mut out)?,
    }
    Ok(out)
}
