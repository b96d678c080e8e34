//! The plugin files this netplug has already checked, so later runs need not check them again.
//!
//! `abi_stable`'s check of a plugin's root-module layout costs about 130 µs a plugin (as much
//! as `dlopen` itself, a fifth of a small apply with seven plugins installed), and it gives the
//! same answer every time for the same file and the same netplug. So the files that passed
//! are remembered in `<run dir>/layout-checked`, each by what identifies a file's content
//! without reading it (device, inode, size, modification and change times; replacing or
//! rewriting a file gives it a new change time, which no one but the clock sets), under the
//! same identity of the netplug executable that checked them. A file listed there is loaded
//! with its layout taken as checked; any other is checked as before. The run directory is a
//! tmpfs, so the list starts empty at each boot. A list that cannot be read, was written by
//! another netplug, or could be written by others than root or the user running netplug is
//! not used.

use std::collections::HashSet;
use std::fs::Metadata;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// The list's file name in the run directory.
pub const FILE_NAME: &str = "layout-checked";

/// The files known to have passed, and whether this run added any.
#[derive(Debug, Default)]
pub struct LayoutChecks {
    /// Where the list lives; `None` remembers nothing (tests, or no run directory).
    file: Option<PathBuf>,
    /// The netplug executable's identity; the first line of the list.
    host: String,
    known: HashSet<String>,
    added: bool,
}

impl LayoutChecks {
    /// Remember nothing: every file is checked.
    pub fn none() -> Self {
        LayoutChecks::default()
    }

    /// The list kept in `run_dir`, read now.
    pub fn in_dir(run_dir: &Path) -> Self {
        let host =
            std::env::current_exe().and_then(std::fs::metadata).map(|m| identity(&m)).unwrap_or_default();
        let file = run_dir.join(FILE_NAME);
        let mut checks = LayoutChecks { file: Some(file.clone()), host, ..LayoutChecks::default() };
        if checks.host.is_empty() {
            checks.file = None;
            return checks;
        }
        if let Some(known) = read(&file, &checks.host) {
            checks.known = known;
        }
        checks
    }

    /// Whether the file with this metadata passed before.
    pub fn passed(&self, meta: &Metadata) -> bool {
        self.file.is_some() && self.known.contains(&identity(meta))
    }

    /// The file with this metadata passed now.
    pub fn record(&mut self, meta: &Metadata) {
        if self.file.is_some() && self.known.insert(identity(meta)) {
            self.added = true;
        }
    }

    /// Write the list back if this run added to it: a new file renamed over the old one, so a
    /// reader never sees half a list. Failing to is not an error; the next run checks again.
    pub fn save(&self) {
        let (Some(file), true) = (&self.file, self.added) else { return };
        let mut text = format!("{}\n", self.host);
        let mut known: Vec<&String> = self.known.iter().collect();
        known.sort();
        for k in known {
            text.push_str(k);
            text.push('\n');
        }
        let temp = file.with_extension(format!("{}.new", std::process::id()));
        let written = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .open(&temp)
            .and_then(|mut f| f.write_all(text.as_bytes()))
            .and_then(|()| std::fs::rename(&temp, file));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&temp);
            tracing::debug!(target: "netplug::host", "could not remember checked plugins in {}: {e}", file.display());
        }
    }
}

/// `dev:ino:size:mtime:ctime`, times in nanoseconds.
fn identity(m: &Metadata) -> String {
    let ns = |s: i64, n: i64| i128::from(s) * 1_000_000_000 + i128::from(n);
    format!(
        "{}:{}:{}:{}:{}",
        m.dev(),
        m.ino(),
        m.size(),
        ns(m.mtime(), m.mtime_nsec()),
        ns(m.ctime(), m.ctime_nsec())
    )
}

/// The identities listed in `file` under `host`, if it is ours to trust.
fn read(file: &Path, host: &str) -> Option<HashSet<String>> {
    let meta = std::fs::symlink_metadata(file).ok()?;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    let trusted = meta.is_file() && (meta.uid() == 0 || meta.uid() == me) && meta.mode() & 0o022 == 0;
    if !trusted {
        tracing::debug!(target: "netplug::host", "not using {}: not owned by us or writable by others", file.display());
        return None;
    }
    let text = std::fs::read_to_string(file).ok()?;
    let mut lines = text.lines();
    (lines.next() == Some(host)).then(|| lines.map(str::to_string).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_are_remembered_per_file_identity_and_per_host() {
        let run = tempfile::tempdir().unwrap();
        let plugin = run.path().join("libnetplug_plugin_x.so");
        std::fs::write(&plugin, b"one").unwrap();
        let meta = std::fs::metadata(&plugin).unwrap();

        let mut checks = LayoutChecks::in_dir(run.path());
        assert!(!checks.passed(&meta));
        checks.record(&meta);
        checks.save();
        assert!(LayoutChecks::in_dir(run.path()).passed(&meta));

        // Rewritten in place: a new change time, so checked again.
        std::thread::sleep(std::time::Duration::from_millis(10));
        std::fs::write(&plugin, b"two").unwrap();
        assert!(!LayoutChecks::in_dir(run.path()).passed(&std::fs::metadata(&plugin).unwrap()));

        // Another netplug's list is not used.
        let list = run.path().join(FILE_NAME);
        let text = std::fs::read_to_string(&list).unwrap().replacen(':', ";", 1);
        std::fs::write(&list, text).unwrap();
        assert!(!LayoutChecks::in_dir(run.path()).passed(&meta));
        assert!(!LayoutChecks::none().passed(&meta));
    }

    #[test]
    fn a_list_others_could_write_is_not_used() {
        use std::os::unix::fs::PermissionsExt;
        let run = tempfile::tempdir().unwrap();
        let meta = std::fs::metadata(run.path()).unwrap();
        let mut checks = LayoutChecks::in_dir(run.path());
        checks.record(&meta);
        checks.save();
        let list = run.path().join(FILE_NAME);
        std::fs::set_permissions(&list, std::fs::Permissions::from_mode(0o666)).unwrap();
        assert!(!LayoutChecks::in_dir(run.path()).passed(&meta));
        std::fs::set_permissions(&list, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(LayoutChecks::in_dir(run.path()).passed(&meta));
        // A missing run directory: nothing remembered, nothing fails.
        let mut gone = LayoutChecks::in_dir(&run.path().join("missing"));
        gone.record(&meta);
        gone.save();
    }
}
