//! Test helpers: run code in a network namespace of its own, never the machine's.

use std::io;

use crate::link::LinkMessage;
use crate::socket::Socket;

/// Runs `f` on a new thread that has unshared into a fresh network namespace with `lo` up,
/// and returns its result (a panic in `f` is re-raised here).
///
/// Network namespaces belong to threads, so the namespace, every link made in it and every
/// socket opened by `f` disappear when the thread ends. Needs `CAP_SYS_ADMIN` (root).
pub fn in_new_netns<T, F>(f: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let thread = std::thread::spawn(move || {
        // SAFETY: unshare(2) has no memory effects; CLONE_NEWNET moves only this thread.
        if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
            panic!("unshare(CLONE_NEWNET): {} (needs root)", io::Error::last_os_error());
        }
        let mut sock = Socket::route().expect("rtnetlink socket in the new namespace");
        sock.request(LinkMessage::change_by_name("lo").up().build()).expect("set lo up");
        f()
    });
    match thread.join() {
        Ok(v) => v,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}
