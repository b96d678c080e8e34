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

/// Which network namespace a journal belongs to: its nsfs device and inode (unique among the
/// namespaces alive at one time; a name can be reused for another namespace), the name it was
/// entered by, and the boot it was recorded in (inode numbers mean nothing across a reboot).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Identity {
    /// `--netns NAME`; none for the namespace netplug was started in (the host's own, for the
    /// boot service and the daemon).
    pub name: Option<String>,
    pub dev: u64,
    pub ino: u64,
    /// `/proc/sys/kernel/random/boot_id` when recorded.
    pub boot: String,
}

/// Where a journal's namespace is, seen from the namespace this netplug acts in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Whereabouts {
    /// This very namespace: its journal is ours to roll back.
    Here,
    /// Another namespace that still exists: not ours to touch.
    Elsewhere,
    /// A namespace that no longer exists (or a previous boot's named one): nothing is left
    /// to roll back.
    Gone,
}

impl Identity {
    /// The namespace the calling thread is in (after [`enter`]), entered as `name`.
    pub fn current(name: Option<&str>) -> std::io::Result<Identity> {
        use std::os::unix::fs::MetadataExt;
        // Namespaces are per thread: ask about this thread, not the process's first one.
        let meta = std::fs::metadata("/proc/thread-self/ns/net")?;
        Ok(Identity { name: name.map(str::to_string), dev: meta.dev(), ino: meta.ino(), boot: boot_id() })
    }

    /// Where this (recorded) namespace is, seen from `here`.
    pub fn whereabouts(&self, here: &Identity) -> Whereabouts {
        if self.boot != here.boot {
            // After a reboot only the namespace netplug starts in is the same one again (the
            // boot service's); every named namespace died with the previous boot.
            return if self.name.is_none() && here.name.is_none() {
                Whereabouts::Here
            } else {
                Whereabouts::Gone
            };
        }
        if (self.dev, self.ino) == (here.dev, here.ino) {
            Whereabouts::Here
        } else if self.exists() {
            Whereabouts::Elsewhere
        } else {
            Whereabouts::Gone
        }
    }

    /// Whether the namespace still exists: a bind mount keeps it (`ip netns add`, container
    /// runtimes), or a process in it.
    fn exists(&self) -> bool {
        use std::os::unix::fs::MetadataExt;
        let tag = format!("net:[{}]", self.ino);
        let mounted = std::fs::read_to_string("/proc/self/mountinfo").is_ok_and(|m| {
            m.lines().any(|l| l.split(' ').nth(3) == Some(tag.as_str()) && l.contains(" - nsfs "))
        });
        if mounted {
            return true;
        }
        let Ok(procs) = std::fs::read_dir("/proc") else { return true };
        procs
            .flatten()
            .filter(|e| e.file_name().to_str().is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit())))
            .any(|e| {
                std::fs::metadata(e.path().join("ns/net"))
                    .is_ok_and(|m| (m.dev(), m.ino()) == (self.dev, self.ino))
            })
    }
}

impl std::fmt::Display for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.name {
            Some(name) => write!(f, "network namespace '{name}' (net:[{}])", self.ino),
            None => write!(f, "the network namespace netplug starts in (net:[{}])", self.ino),
        }
    }
}

/// This boot's id; empty where the kernel does not say (then every journal counts as this
/// boot's).
pub(crate) fn boot_id() -> String {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_current_namespace_is_here_and_another_boots_named_one_is_gone() {
        let here = Identity::current(None).unwrap();
        assert_eq!(here.whereabouts(&here), Whereabouts::Here);
        let earlier_boot = Identity { boot: "another boot".into(), ..here.clone() };
        assert_eq!(earlier_boot.whereabouts(&here), Whereabouts::Here, "the host's own survives a reboot");
        let named = Identity { name: Some("ctr".into()), ..earlier_boot };
        assert_eq!(named.whereabouts(&here), Whereabouts::Gone);
        let vanished = Identity { ino: u64::MAX, ..here.clone() };
        assert_eq!(vanished.whereabouts(&here), Whereabouts::Gone);
    }
}
