//! One daemon per run directory: `RUN_DIR/daemon.pid` holds the daemon's pid and an exclusive
//! `flock(2)` for as long as it runs, so a second daemon refuses to start and `netplug status`
//! can tell a running daemon from a stale file (the kernel drops the lock when the process dies).

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

pub fn path(run_dir: &Path) -> PathBuf {
    run_dir.join("daemon.pid")
}

/// The held pid file; released when dropped or when the process dies.
#[derive(Debug)]
pub struct PidFile {
    _file: File,
}

fn try_lock(file: &File, kind: libc::c_int) -> std::io::Result<bool> {
    // SAFETY: flock on a descriptor we own.
    if unsafe { libc::flock(file.as_raw_fd(), kind | libc::LOCK_NB) } == 0 {
        return Ok(true);
    }
    let e = std::io::Error::last_os_error();
    if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
        Ok(false)
    } else {
        Err(e)
    }
}

/// Take the pid file, or say which daemon holds it.
pub fn acquire(run_dir: &Path) -> Result<PidFile> {
    let path = path(run_dir);
    std::fs::create_dir_all(run_dir).with_context(|| run_dir.display().to_string())?;
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&path)
        .with_context(|| path.display().to_string())?;
    if !try_lock(&file, libc::LOCK_EX).with_context(|| path.display().to_string())? {
        let mut pid = String::new();
        let _ = file.read_to_string(&mut pid);
        bail!("another netplug daemon is running (pid {}, {})", pid.trim(), path.display());
    }
    file.set_len(0)?;
    file.seek(SeekFrom::Start(0))?;
    writeln!(file, "{}", std::process::id())?;
    Ok(PidFile { _file: file })
}

/// The pid of the daemon running with this run directory, if one is.
pub fn running(run_dir: &Path) -> Option<u32> {
    let mut file = File::open(path(run_dir)).ok()?;
    if try_lock(&file, libc::LOCK_SH).ok()? {
        return None; // nobody holds it: a stale file
    }
    let mut pid = String::new();
    file.read_to_string(&mut pid).ok()?;
    pid.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_daemon_per_run_directory() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(running(dir.path()), None);
        let held = acquire(dir.path()).unwrap();
        assert_eq!(running(dir.path()), Some(std::process::id()));
        let e = acquire(dir.path()).unwrap_err().to_string();
        assert!(e.contains(&format!("pid {}", std::process::id())), "{e}");
        drop(held);
        assert_eq!(running(dir.path()), None, "a stale file is not a running daemon");
    }
}
