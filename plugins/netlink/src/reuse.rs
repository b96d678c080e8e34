//! One rtnetlink socket per thread and network namespace, kept between a plugin's calls.
//!
//! A run calls a plugin several times (read, apply, verify), each of which needs a socket;
//! opening one (socket, bind, four options) and closing it cost more than the small requests
//! of a small run. A socket belongs to the namespace it was opened in, and a thread may move
//! (`--netns`, the tests' per-thread namespaces), so the kept socket is handed out again only
//! in the namespace it came from.

use std::cell::RefCell;
use std::ops::{Deref, DerefMut};
use std::os::unix::fs::MetadataExt;

use crate::error::Error;
use crate::socket::Socket;

/// A network namespace, by the identity of its `nsfs` inode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct NetnsId {
    dev: u64,
    ino: u64,
}

thread_local! {
    static KEPT: RefCell<Option<(NetnsId, Socket)>> = const { RefCell::new(None) };
}

/// The namespace the calling thread is in; `None` if `/proc` cannot say (nothing is kept).
fn current_netns() -> Option<NetnsId> {
    std::fs::metadata("/proc/thread-self/ns/net").ok().map(|m| NetnsId { dev: m.dev(), ino: m.ino() })
}

/// An rtnetlink socket that goes back to its thread when dropped (see [`Socket::route_reused`]).
#[derive(Debug)]
pub struct Reused {
    sock: Option<Socket>,
    netns: Option<NetnsId>,
}

impl Socket {
    /// The calling thread's rtnetlink socket for its current network namespace: the one an
    /// earlier call kept, or a new one, kept in turn when the returned value is dropped. Replies
    /// a dropped operation left unread are skipped by sequence number, as on any socket.
    pub fn route_reused() -> Result<Reused, Error> {
        let netns = current_netns();
        let kept = KEPT.try_with(|k| k.borrow_mut().take()).ok().flatten();
        let sock = match (kept, netns) {
            (Some((was, sock)), Some(now)) if was == now => sock,
            _ => Socket::route()?,
        };
        Ok(Reused { sock: Some(sock), netns })
    }
}

impl Deref for Reused {
    type Target = Socket;
    fn deref(&self) -> &Socket {
        self.sock.as_ref().expect("present until dropped")
    }
}

impl DerefMut for Reused {
    fn deref_mut(&mut self) -> &mut Socket {
        self.sock.as_mut().expect("present until dropped")
    }
}

impl Drop for Reused {
    fn drop(&mut self) {
        if let (Some(sock), Some(netns)) = (self.sock.take(), self.netns) {
            // At thread exit the slot may be gone already; the socket then just closes.
            let _ = KEPT.try_with(|k| *k.borrow_mut() = Some((netns, sock)));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::os::fd::AsRawFd;

    use super::*;

    #[test]
    fn a_thread_gets_its_socket_back_in_the_same_namespace() {
        let first = Socket::route_reused().unwrap();
        let fd = first.as_raw_fd();
        drop(first);
        let again = Socket::route_reused().unwrap();
        assert_eq!(again.as_raw_fd(), fd, "kept and handed out again");
        // Taken while another is out: a socket of its own.
        let other = Socket::route_reused().unwrap();
        assert_ne!(other.as_raw_fd(), fd);
    }
}
