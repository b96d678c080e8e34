//! What plugin files said about themselves in earlier runs, so later runs need not open files
//! they do not use.
//!
//! Opening a plugin costs `dlopen` (70-100 µs for a Rust library of a megabyte or so); with
//! seven plugins installed that was a third of a small apply, most of it for plugins the apply
//! never called. What a plugin says about itself (`info`: its kinds and elements, which route
//! items to it) is the same every time for the same file. So the files that loaded are listed
//! in `<run dir>/plugin-index`, each by what identifies a file's content without reading it
//! (device, inode, size, modification and change times; replacing or rewriting a file gives it
//! a new change time, which no one but the clock sets), with its ABI version and the info it answered, under the
//! identity of the netplug executable that loaded them. A listed file is registered from the
//! list and opened on its first call, where it is checked (permissions, ABI version, layout)
//! like any other; any other file is loaded as before, and listed. The run
//! directory is a tmpfs, so the list starts empty at each boot. A list that cannot be read,
//! was written by another netplug, or could be written by others than root or the user
//! running netplug is not used.

use std::collections::HashMap;
use std::fs::Metadata;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use netplug_plugin_sdk::abi::InfoAnswer;

/// The list's file name in the run directory.
pub const FILE_NAME: &str = "plugin-index";

/// What a file said when it loaded: the plugin ABI version it was built for, and its `info`
/// answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Indexed {
    pub abi_version: String,
    pub answer: InfoAnswer,
}

/// The files known to load, and whether this run changed the list.
#[derive(Debug, Default)]
pub struct PluginIndex {
    /// Where the list lives; `None` keeps nothing (tests, or no run directory).
    file: Option<PathBuf>,
    /// The netplug executable's identity; the first line of the list.
    host: String,
    known: HashMap<String, Indexed>,
    changed: bool,
}

impl PluginIndex {
    /// Keep nothing: every file is opened and checked.
    pub fn none() -> Self {
        PluginIndex::default()
    }

    /// The list kept in `run_dir`, read now.
    pub fn in_dir(run_dir: &Path) -> Self {
        let host =
            std::env::current_exe().and_then(std::fs::metadata).map(|m| identity(&m)).unwrap_or_default();
        if host.is_empty() {
            return PluginIndex::none();
        }
        let file = run_dir.join(FILE_NAME);
        let known = read(&file, &host).unwrap_or_default();
        PluginIndex { file: Some(file), host, known, changed: false }
    }

    /// What the file with this metadata said when it loaded before.
    pub fn entry(&self, meta: &Metadata) -> Option<&Indexed> {
        self.file.as_ref()?;
        self.known.get(&identity(meta))
    }

    /// The file with this metadata loaded now and said this. Its vocabulary is left out: it is
    /// the bulk of an answer, every run reads the list, and only `netplug schema` needs it,
    /// which opens every file.
    pub fn record(&mut self, meta: &Metadata, mut indexed: Indexed) {
        if self.file.is_none() {
            return;
        }
        indexed.answer.info.vocabulary.clear();
        let id = identity(meta);
        if self.known.get(&id) != Some(&indexed) {
            self.known.insert(id, indexed);
            self.changed = true;
        }
    }

    /// Write the list back if this run changed it: a new file renamed over the old one, so a
    /// reader never sees half a list. Failing to is not an error; the next run opens again.
    pub fn save(&self) {
        let (Some(file), true) = (&self.file, self.changed) else { return };
        let mut text = format!("{}\n", self.host);
        let mut known: Vec<(&String, &Indexed)> = self.known.iter().collect();
        known.sort_by_key(|(id, _)| *id);
        for (id, i) in known {
            let json = serde_json::to_string(&i.answer).expect("plugin info serialises");
            text.push_str(&format!("{id}\t{}\t{json}\n", i.abi_version));
        }
        let temp = file.with_extension(format!("{}.new", std::process::id()));
        // The first run on a machine may be one that takes no lock (`netplug plugins`), which
        // is what would otherwise have made the run directory.
        if let Some(dir) = file.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let written = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .open(&temp)
            .and_then(|mut f| f.write_all(text.as_bytes()))
            .and_then(|()| std::fs::rename(&temp, file));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&temp);
            tracing::debug!(target: "netplug::host", "could not keep the plugin index in {}: {e}", file.display());
        }
    }
}

/// `dev:ino:size:mtime:ctime`, times in nanoseconds.
pub(super) fn identity(m: &Metadata) -> String {
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

/// The entries listed in `file` under `host`, if it is ours to trust; lines that do not read
/// are left out.
fn read(file: &Path, host: &str) -> Option<HashMap<String, Indexed>> {
    let meta = std::fs::symlink_metadata(file).ok()?;
    // The same rule as for the plugin files themselves.
    let trusted = if meta.is_file() {
        super::load::check_owner_and_mode(&meta, false)
    } else {
        Err("not a file".into())
    };
    if let Err(why) = trusted {
        tracing::debug!(target: "netplug::host", "not using {}: it is {why}", file.display());
        return None;
    }
    let text = std::fs::read_to_string(file).ok()?;
    let mut lines = text.lines();
    if lines.next() != Some(host) {
        return None;
    }
    let entry = |line: &str| {
        let mut fields = line.splitn(3, '\t');
        let (id, abi_version, json) = (fields.next()?, fields.next()?, fields.next()?);
        let answer: InfoAnswer = serde_json::from_str(json).ok()?;
        Some((id.to_string(), Indexed { abi_version: abi_version.to_string(), answer }))
    };
    Some(lines.filter_map(entry).collect())
}

#[cfg(test)]
mod tests {
    use netplug_plugin_sdk::PluginInfo;

    use super::*;

    fn said(name: &str) -> Indexed {
        let info = PluginInfo {
            name: name.into(),
            version: "1.0".into(),
            kinds: vec!["k".into()],
            ..Default::default()
        };
        Indexed { abi_version: "1.0".into(), answer: InfoAnswer { info, sdk_version: "0.2.0".into() } }
    }

    /// `netplug plugins` takes no lock, so on a fresh machine it is the first to write there.
    #[test]
    fn the_first_list_makes_the_run_directory() {
        let dir = tempfile::tempdir().unwrap();
        let run = dir.path().join("run");
        let plugin = dir.path().join("libnetplug_plugin_x.so");
        std::fs::write(&plugin, b"one").unwrap();
        let meta = std::fs::metadata(&plugin).unwrap();
        let mut index = PluginIndex::in_dir(&run);
        index.record(&meta, said("x"));
        index.save();
        assert_eq!(PluginIndex::in_dir(&run).entry(&meta), Some(&said("x")), "kept, info and all");
    }

    #[test]
    fn entries_are_kept_per_file_identity_and_per_host() {
        let run = tempfile::tempdir().unwrap();
        let plugin = run.path().join("libnetplug_plugin_x.so");
        std::fs::write(&plugin, b"one").unwrap();
        let meta = std::fs::metadata(&plugin).unwrap();

        let mut index = PluginIndex::in_dir(run.path());
        assert_eq!(index.entry(&meta), None);
        index.record(&meta, said("x"));
        index.save();
        assert_eq!(PluginIndex::in_dir(run.path()).entry(&meta), Some(&said("x")));

        // Rewritten in place: a new change time, so not the file that was listed.
        std::thread::sleep(std::time::Duration::from_millis(10));
        std::fs::write(&plugin, b"two").unwrap();
        assert_eq!(PluginIndex::in_dir(run.path()).entry(&std::fs::metadata(&plugin).unwrap()), None);

        // Another netplug's list is not used.
        let list = run.path().join(FILE_NAME);
        let text = std::fs::read_to_string(&list).unwrap().replacen(':', ";", 1);
        std::fs::write(&list, text).unwrap();
        assert_eq!(PluginIndex::in_dir(run.path()).entry(&meta), None);
        assert_eq!(PluginIndex::none().entry(&meta), None);
    }

    #[test]
    fn a_list_others_could_write_is_not_used() {
        use std::os::unix::fs::PermissionsExt;
        let run = tempfile::tempdir().unwrap();
        let meta = std::fs::metadata(run.path()).unwrap();
        let mut index = PluginIndex::in_dir(run.path());
        index.record(&meta, said("x"));
        index.save();
        let list = run.path().join(FILE_NAME);
        std::fs::set_permissions(&list, std::fs::Permissions::from_mode(0o666)).unwrap();
        assert_eq!(PluginIndex::in_dir(run.path()).entry(&meta), None);
        std::fs::set_permissions(&list, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(PluginIndex::in_dir(run.path()).entry(&meta).is_some());
        // A damaged line is left out; a missing run directory keeps nothing and fails nothing.
        std::fs::write(&list, std::fs::read_to_string(&list).unwrap().replace("\"name\"", "\"nom\""))
            .unwrap();
        assert_eq!(PluginIndex::in_dir(run.path()).entry(&meta), None);
        let mut gone = PluginIndex::in_dir(&run.path().join("missing"));
        gone.record(&meta, said("x"));
        gone.save();
    }
}
