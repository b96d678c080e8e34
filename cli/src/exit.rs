//! netplug's exit statuses: one table, used by every verb and documented in docs/json.md (and
//! the man page). Scripts and units rely on these numbers; never reuse one for another meaning.

use std::process::ExitCode;

use netplug_core::lifecycle::NotDefined;
use netplug_core::lock::LockError;
use netplug_core::netns::NetnsError;
use netplug_core::store::StoreError;

/// What a run of netplug came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// 0: done; the kernel matches (or nothing needed doing).
    Ok,
    /// 1: invalid documents, drift found, or an apply failed and was rolled back; also an
    /// error while running (a netlink or file failure).
    Failed,
    /// 2: bad usage: an unknown option, verb or interface name, or a verb that does not fit the
    /// state (a second `begin`).
    Usage,
    /// 3: applied, but some interfaces could not be (they are left as they were).
    Partial,
    /// 4: another netplug held the lock for longer than `--wait`.
    Busy,
    /// 77: not permitted: the verb needs root (CAP_NET_ADMIN), or a file was not accessible
    /// (BSD's EX_NOPERM).
    Permission,
}

impl Exit {
    pub const fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Failed => 1,
            Exit::Usage => 2,
            Exit::Partial => 3,
            Exit::Busy => 4,
            Exit::Permission => 77,
        }
    }

    /// 1 when `failed`, else 0.
    pub fn failed_if(failed: bool) -> ExitCode {
        if failed {
            Exit::Failed.into()
        } else {
            Exit::Ok.into()
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e.code())
    }
}

/// An error that says which exit status it ends the run with.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Refused {
    pub exit: Exit,
    pub message: String,
}

/// A usage error (exit 2): an unknown name, or a verb that does not fit the state.
pub fn usage(message: impl Into<String>) -> anyhow::Error {
    Refused { exit: Exit::Usage, message: message.into() }.into()
}

/// The exit status an error ends the run with: the first cause in its chain that says.
pub fn of_error(e: &anyhow::Error) -> Exit {
    for cause in e.chain() {
        if let Some(r) = cause.downcast_ref::<Refused>() {
            return r.exit;
        }
        if let Some(LockError::Busy { .. }) = cause.downcast_ref::<LockError>() {
            return Exit::Busy;
        }
        if cause.is::<NotDefined>()
            || matches!(cause.downcast_ref::<StoreError>(), Some(StoreError::NotDefined(_)))
        {
            return Exit::Usage;
        }
        match cause.downcast_ref::<NetnsError>() {
            Some(NetnsError::BadName(_)) => return Exit::Usage,
            Some(NetnsError::Open { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                return Exit::Usage
            }
            _ => {}
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            if is_permission(io) {
                return Exit::Permission;
            }
        }
    }
    Exit::Failed
}

/// EACCES or EPERM.
pub fn is_permission(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::PermissionDenied || e.raw_os_error() == Some(libc::EPERM)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_map_to_their_status() {
        assert_eq!(of_error(&usage("x: no such interface")), Exit::Usage);
        let denied = std::io::Error::from_raw_os_error(libc::EACCES);
        let lock = LockError::Io { path: "/run/netplug/lock".into(), source: denied };
        assert_eq!(of_error(&anyhow::Error::from(lock)), Exit::Permission);
        let busy = LockError::Busy { path: "l".into(), holder: "pid 1".into(), waited: 0.3 };
        assert_eq!(of_error(&anyhow::Error::from(busy).context("apply")), Exit::Busy);
        assert_eq!(of_error(&anyhow::anyhow!("netlink said no")), Exit::Failed);
    }
}
