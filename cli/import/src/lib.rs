//! `netplug import`: read the network configuration a host already has — Debian's ifupdown,
//! RHEL's initscripts (`ifcfg-*`), netplan or systemd-networkd — into netplug's native
//! dialect. Every line or key the native dialect cannot carry is returned as [`Unsupported`]
//! with its file and line; nothing is dropped silently. The sources are only read.
//!
//! One module per source reads its files into the shared [`model`]; [`native`] writes that as
//! a document. The sources know their own vocabulary (`bridge-ports`, `BONDING_OPTS`…); core
//! knows none of it.

pub mod addr;
pub mod ifupdown;
mod lines;
pub mod model;
pub mod native;

use std::io;
use std::path::{Path, PathBuf};

pub use model::{Document, Import, Unsupported};

/// Where a host's configuration comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// `/etc/network/interfaces` (ifupdown, ifupdown2).
    Ifupdown,
}

impl Source {
    /// Where the source keeps its configuration on a standard installation.
    pub fn default_path(self) -> &'static Path {
        match self {
            Source::Ifupdown => Path::new("/etc/network/interfaces"),
        }
    }
}

/// Read a source's configuration at `path` (its default path when `None`).
pub fn import(source: Source, path: Option<&Path>) -> io::Result<Import> {
    let path: PathBuf = path.unwrap_or(source.default_path()).to_path_buf();
    let mut out = Import::default();
    match source {
        Source::Ifupdown => ifupdown::read(&path, &mut out)?,
    }
    Ok(out)
}
