//! One netplug at a time: an advisory lock that every verb changing the store or the kernel
//! takes first, so two processes never interleave writes or applies.
//!
//! The lock is `flock(2)` on a file in the run directory (`/run/netplug/lock` by default): the
//! kernel drops it when the holder dies, so a `kill -9` never leaves a stale lock behind. The
//! holder writes its pid and command line into the file, so a process that gives up waiting
//! can say who holds it.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long a second netplug waits for the lock by default.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(30);

/// A held lock; released when dropped (or when the process dies).
#[derive(Debug)]
pub struct Lock {
    file: File,
    path: PathBuf,
}

/// Why the lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("another netplug holds {path} ({holder}); gave up after {waited:.1} s")]
    Busy { path: String, holder: String, waited: f64 },
}

impl Lock {
    /// Take the lock in `run_dir`, waiting up to `wait` for another holder to finish.
    pub fn acquire(run_dir: &Path, wait: Duration) -> Result<Lock, LockError> {
        let path = run_dir.join("lock");
        let err = |source| LockError::Io { path: path.display().to_string(), source };
        std::fs::create_dir_all(run_dir).map_err(err)?;
        // Never through a symlink: one planted here would have the holder text written into
        // whatever it points at.
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o644)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&path)
            .map_err(|e| match e.raw_os_error() {
                Some(libc::ELOOP) => err(std::io::Error::other(
                    "it is a symbolic link, which netplug does not follow (remove it)",
                )),
                _ => err(e),
            })?;
        let started = Instant::now();
        loop {
            // SAFETY: flock on a file descriptor we own; no memory is involved.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
                break;
            }
            let e = std::io::Error::last_os_error();
            if e.raw_os_error() != Some(libc::EWOULDBLOCK) {
                return Err(err(e));
            }
            if started.elapsed() >= wait {
                return Err(LockError::Busy {
                    path: path.display().to_string(),
                    holder: holder(&path),
                    waited: started.elapsed().as_secs_f64(),
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let mut lock = Lock { file, path };
        lock.describe_holder();
        Ok(lock)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Record who holds the lock; best effort, the lock itself is the flock.
    fn describe_holder(&mut self) {
        let cmdline = std::env::args().collect::<Vec<_>>().join(" ");
        let text = format!("pid {}: {cmdline}\n", std::process::id());
        // Overwrite, then cut off what is left of a longer earlier text: truncating to zero
        // first makes the file system free and reallocate the block on every run.
        let _ = self.file.seek(SeekFrom::Start(0));
        let _ = self.file.write_all(text.as_bytes());
        let written = text.len() as u64;
        if self.file.metadata().is_ok_and(|m| m.len() > written) {
            let _ = self.file.set_len(written);
        }
    }
}

/// What the lock file says about its holder.
fn holder(path: &Path) -> String {
    let mut text = String::new();
    let _ = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .and_then(|mut f| f.read_to_string(&mut text));
    let text = text.trim();
    if text.is_empty() {
        "holder unknown".to_string()
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_holder_waits_then_names_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let first = Lock::acquire(dir.path(), Duration::ZERO).unwrap();
        // flock locks belong to open file descriptions: a second open in this process conflicts
        // just as another process would.
        let err = Lock::acquire(dir.path(), Duration::from_millis(60)).unwrap_err();
        let text = err.to_string();
        assert!(text.contains(&format!("pid {}", std::process::id())), "{text}");
        drop(first);
        Lock::acquire(dir.path(), Duration::ZERO).expect("free once the holder is gone");
    }

    #[test]
    fn a_symlink_at_the_lock_is_refused_and_its_target_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        std::fs::write(&target, "kept\n").unwrap();
        std::os::unix::fs::symlink(&target, dir.path().join("lock")).unwrap();
        let err = Lock::acquire(dir.path(), Duration::ZERO).unwrap_err().to_string();
        assert!(err.contains("symbolic link"), "{err}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "kept\n");
    }
}
