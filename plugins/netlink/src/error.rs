//! The one error type: which operation failed, the kernel's errno and its extended-ack text.

use std::io;

/// A failed netlink operation.
///
/// `op` says what was attempted ("set mtu 100"); the caller prefixes the interface name, which
/// this crate often only knows as an index. `errno` is the kernel's (positive) error number, or
/// the socket's for I/O failures; `None` means netplug found the problem itself (a malformed
/// reply). `ext_ack` is the kernel's extended-ack message (`NLMSGERR_ATTR_MSG`), or, when
/// netplug detects a problem the kernel would silently accept (a fixed ethtool feature), its
/// own explanation in the same place.
///
/// Displays as `set mtu 100: Invalid argument (mtu less than device minimum)`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{op}: {}", describe(*.errno, .ext_ack.as_deref()))]
pub struct Error {
    pub op: String,
    pub errno: Option<i32>,
    pub ext_ack: Option<String>,
}

fn describe(errno: Option<i32>, ext_ack: Option<&str>) -> String {
    match (errno, ext_ack) {
        (Some(e), Some(msg)) => format!("{} ({msg})", strerror(e)),
        (Some(e), None) => strerror(e),
        (None, Some(msg)) => msg.to_string(),
        (None, None) => "unknown error".to_string(),
    }
}

/// `strerror` without the " (os error N)" suffix `io::Error` adds.
fn strerror(errno: i32) -> String {
    let text = io::Error::from_raw_os_error(errno).to_string();
    match text.rfind(" (os error ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

impl Error {
    /// An error the kernel returned, with its extended-ack text if it sent one.
    pub fn kernel(op: impl ToString, errno: i32, ext_ack: Option<String>) -> Self {
        Error { op: op.to_string(), errno: Some(errno), ext_ack }
    }

    /// A socket-level failure (send, receive, setsockopt).
    pub fn io(op: impl ToString, err: &io::Error) -> Self {
        Error { op: op.to_string(), errno: err.raw_os_error(), ext_ack: None }
    }

    /// A problem netplug found itself, e.g. a reply it cannot parse.
    pub fn other(op: impl ToString, message: impl Into<String>) -> Self {
        Error { op: op.to_string(), errno: None, ext_ack: Some(message.into()) }
    }

    /// True when the kernel said the object does not exist (`ENOENT`, `ENODEV`, `ESRCH`).
    pub fn is_not_found(&self) -> bool {
        matches!(self.errno, Some(libc::ENOENT) | Some(libc::ENODEV) | Some(libc::ESRCH))
    }

    /// True when the object already exists (`EEXIST`).
    pub fn is_exists(&self) -> bool {
        self.errno == Some(libc::EEXIST)
    }

    /// True when the kernel or driver does not support the operation (`EOPNOTSUPP`).
    pub fn is_not_supported(&self) -> bool {
        self.errno == Some(libc::EOPNOTSUPP)
    }
}

/// A batch stopped at a failing request. See [`Socket::batch`](crate::Socket::batch) for
/// exactly which requests the kernel executed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("request {index} of the batch failed: {error}")]
pub struct BatchError {
    /// Index of the first failing request.
    pub index: usize,
    pub error: Error,
    /// The kernel executed requests `0..executed` (the failing one included), and none after.
    /// Those after `index` were in the same `sendmsg` as the failure; the kernel carries on
    /// within one `sendmsg` after an error.
    pub executed: usize,
    /// Later requests in `index + 1..executed` that failed too; the rest of that range took
    /// effect.
    pub later_failures: Vec<(usize, Error)>,
}

impl BatchError {
    /// Indices of the requests that took effect: every executed request except the failures.
    /// A rollback undoes exactly these.
    pub fn succeeded(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.executed)
            .filter(move |&i| i != self.index && !self.later_failures.iter().any(|(j, _)| *j == i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_joins_errno_and_ext_ack() {
        let e = Error::kernel("set mtu 100", libc::EINVAL, Some("mtu less than device minimum".into()));
        assert_eq!(e.to_string(), "set mtu 100: Invalid argument (mtu less than device minimum)");
        let e = Error::kernel("delete link", libc::ENODEV, None);
        assert_eq!(e.to_string(), "delete link: No such device");
        assert!(e.is_not_found());
        let e = Error::other("dump links", "truncated message");
        assert_eq!(e.to_string(), "dump links: truncated message");
    }

    #[test]
    fn succeeded_skips_failures() {
        let b = BatchError {
            index: 1,
            error: Error::other("x", "y"),
            executed: 5,
            later_failures: vec![(3, Error::other("x", "z"))],
        };
        assert_eq!(b.succeeded().collect::<Vec<_>>(), vec![0, 2, 4]);
    }
}
