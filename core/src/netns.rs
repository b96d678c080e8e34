//! Entering a named network namespace (`--netns NAME`) before any plugin opens a socket.
//!
//! Network namespaces are per thread: `setns` moves only the calling thread, and every socket a
//! plugin opens afterwards on that thread lives in the namespace. Core calls plugins from the
//! thread that entered, so all of a run's netlink traffic stays inside it.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::PathBuf;

/// Why a namespace could not be entered.
#[derive(Debug, thiserror::Error)]
pub enum NetnsError {
    #[error("network namespace '{name}': {path}: {source}")]
    Open { name: String, path: String, source: std::io::Error },
    #[error("network namespace '{name}': setns: {source}")]
    Setns { name: String, source: std::io::Error },
    #[error("invalid network namespace name '{0}'")]
    BadName(String),
}

/// Where `ip netns add NAME` puts a namespace (`NETPLUG_NETNS_DIR` overrides, for tests).
pub fn path_of(name: &str) -> PathBuf {
    let dir = std::env::var_os("NETPLUG_NETNS_DIR").map(PathBuf::from).unwrap_or_else(|| "/run/netns".into());
    dir.join(name)
}

/// Move the calling thread into the named network namespace.
pub fn enter(name: &str) -> Result<(), NetnsError> {
    if name.is_empty() || name.contains('/') || name == "." || name == ".." {
        return Err(NetnsError::BadName(name.to_string()));
    }
    let path = path_of(name);
    let file = File::open(&path).map_err(|source| NetnsError::Open {
        name: name.to_string(),
        path: path.display().to_string(),
        source,
    })?;
    // SAFETY: setns on a valid, open namespace file descriptor; it only changes this thread.
    let rc = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
    if rc != 0 {
        return Err(NetnsError::Setns { name: name.to_string(), source: std::io::Error::last_os_error() });
    }
    Ok(())
}
