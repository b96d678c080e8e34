//! SIGTERM, SIGINT and SIGHUP for a poll(2) loop: the handler notes the signal and writes a
//! byte to a pipe the loop polls, so a signal that arrives just before the loop goes to sleep
//! wakes it at once instead of after the timeout (the self-pipe trick).

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicI32, AtomicU32, Ordering};

/// Signals received and not yet taken, one bit per signal number.
static PENDING: AtomicU32 = AtomicU32::new(0);
/// The pipe's write end, for the handler.
static WAKE_FD: AtomicI32 = AtomicI32::new(-1);

extern "C" fn on_signal(signal: libc::c_int) {
    // Only async-signal-safe work here: an atomic update and write(2), keeping errno intact
    // for whatever the signal interrupted.
    // SAFETY: errno is thread-local; reading and restoring it is what handlers must do.
    let saved = unsafe { *libc::__errno_location() };
    PENDING.fetch_or(1 << signal, Ordering::SeqCst);
    let fd = WAKE_FD.load(Ordering::SeqCst);
    if fd >= 0 {
        // SAFETY: writing one byte from a live buffer to a descriptor we own; a full pipe
        // (EAGAIN) already guarantees a wake-up.
        unsafe { libc::write(fd, [1u8].as_ptr().cast(), 1) };
    }
    unsafe { *libc::__errno_location() = saved };
}

/// What arrived since the last [`Signals::take`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Received {
    /// SIGTERM or SIGINT: exit cleanly.
    pub stop: bool,
    /// SIGHUP: reload the definitions.
    pub reload: bool,
}

/// The installed handlers and the pipe they wake the loop through.
pub struct Signals {
    read: OwnedFd,
    _write: OwnedFd,
}

impl Signals {
    /// Install the handlers for SIGTERM, SIGINT and SIGHUP (once per process).
    pub fn install() -> io::Result<Signals> {
        let mut fds = [0; 2];
        // SAFETY: pipe2 fills two descriptors we then own.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: both descriptors were just created and are owned by nobody else.
        let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        WAKE_FD.store(write.as_raw_fd(), Ordering::SeqCst);
        for signal in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
            // SAFETY: a zeroed sigaction with our handler; SA_RESTART so that plugins' blocking
            // calls are not cut short (poll(2) returns EINTR regardless, which the loop expects).
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
                action.sa_flags = libc::SA_RESTART;
                libc::sigemptyset(&mut action.sa_mask);
                if libc::sigaction(signal, &action, std::ptr::null_mut()) != 0 {
                    return Err(io::Error::last_os_error());
                }
            }
        }
        Ok(Signals { read, _write: write })
    }

    /// The descriptor to poll for readability.
    pub fn fd(&self) -> RawFd {
        self.read.as_raw_fd()
    }

    /// Empty the pipe and say which signals arrived.
    pub fn take(&self) -> Received {
        let mut buf = [0u8; 64];
        // SAFETY: reading into a live buffer of its own length from our non-blocking pipe.
        while unsafe { libc::read(self.read.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) } > 0 {}
        let bits = PENDING.swap(0, Ordering::SeqCst);
        let has = |s: libc::c_int| bits & (1 << s) != 0;
        Received { stop: has(libc::SIGTERM) || has(libc::SIGINT), reload: has(libc::SIGHUP) }
    }
}

/// Wait until one of `fds` is readable or `timeout_ms` passes; which of them are readable.
/// An interrupting signal counts as a wake-up with nothing readable.
pub fn wait(fds: &[RawFd], timeout_ms: i32) -> io::Result<Vec<bool>> {
    let mut polls: Vec<libc::pollfd> =
        fds.iter().map(|&fd| libc::pollfd { fd, events: libc::POLLIN, revents: 0 }).collect();
    // SAFETY: a live array of pollfd of the length given.
    let n = unsafe { libc::poll(polls.as_mut_ptr(), polls.len() as libc::nfds_t, timeout_ms) };
    if n < 0 {
        let e = io::Error::last_os_error();
        if e.kind() == io::ErrorKind::Interrupted {
            return Ok(vec![false; fds.len()]);
        }
        return Err(e);
    }
    Ok(polls.iter().map(|p| p.revents & (libc::POLLIN | libc::POLLERR | libc::POLLHUP) != 0).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signal_wakes_the_poll_and_is_taken_once() {
        let signals = Signals::install().unwrap();
        // SAFETY: raising a signal whose handler we just installed.
        unsafe { libc::raise(libc::SIGHUP) };
        let ready = wait(&[signals.fd()], 1000).unwrap();
        assert_eq!(ready, [true]);
        assert_eq!(signals.take(), Received { stop: false, reload: true });
        assert_eq!(signals.take(), Received::default());
        assert_eq!(wait(&[signals.fd()], 0).unwrap(), [false]);
    }
}
