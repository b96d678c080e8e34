//! The rollback journal: what the kernel (and the store) looked like before changes that may
//! have to be undone later, kept on disk so a crash, a `kill -9` or a reboot cannot lose it.
//!
//! Two things use it. A transaction (`begin` … `commit`/`rollback`, netcf's
//! `ncf_change_begin`) records, for every interface the first time a verb touches it, its live
//! state before that verb ran, plus the whole store as it was at `begin`. A confirmed apply
//! (`apply --confirm SECS`) records the state before the apply and a deadline. Rolling back
//! is the engine's ordinary "plan back to a snapshot", over the interfaces recorded, so it is
//! as exact, ordered and verified as an apply.
//!
//! A third kind makes every apply recoverable: a run journal, written before an apply's first
//! change and removed when it ends, so an apply that dies at any moment (a kill, a crash, a
//! plugin that aborts or hangs) is rolled back by the next netplug that takes the lock.
//!
//! Only the first record of an interface counts: the state before the transaction began, not
//! between two of its steps.
//!
//! Each journal belongs to the network namespace it was recorded in (its nsfs identity, see
//! [`Identity`]) and is rolled back only there; a namespace may have one journal of each kind.
//! Journals are files of the state directory named `KIND-INODE.json`, mode 0600, read without
//! following symlinks.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use netplug_plugin_sdk::{Element, Item, LinkState};
use serde::{Deserialize, Serialize};

use crate::apply::{RollbackReport, Run};
use crate::model::{Config, Interface, StartMode};
pub use crate::netns::{Identity, Whereabouts};
use crate::plan::Snapshot;
use crate::registry::Registry;
use crate::store::{self, StoreError};

/// What a journal is for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Purpose {
    /// `begin` … `commit`/`rollback`.
    Transaction,
    /// `apply --confirm`: roll back unless confirmed by `deadline_ms` (milliseconds since
    /// the epoch).
    Confirm { deadline_ms: u64, pid: u32 },
    /// An apply in progress by `pid`: rolled back by the next netplug if it is still here
    /// when that one holds the lock (its netplug died before it finished).
    Run { pid: u32 },
}

impl Purpose {
    /// The journal's kind, as in its file name.
    pub fn kind(&self) -> Kind {
        match self {
            Purpose::Transaction => Kind::Transaction,
            Purpose::Confirm { .. } => Kind::Confirm,
            Purpose::Run { .. } => Kind::Run,
        }
    }
}

/// The kinds of journal, one file each per namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Transaction,
    Confirm,
    Run,
}

impl Kind {
    const ALL: [Kind; 3] = [Kind::Transaction, Kind::Confirm, Kind::Run];

    fn prefix(self) -> &'static str {
        match self {
            Kind::Transaction => "transaction",
            Kind::Confirm => "confirm",
            Kind::Run => "run",
        }
    }

    /// What the journal is, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Transaction => "transaction",
            Kind::Confirm => "unconfirmed apply",
            Kind::Run => "unfinished apply",
        }
    }
}

/// An interface the journal covers: enough of it for the engine to plan its way back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Covered {
    pub kind: String,
    #[serde(default)]
    pub master: Option<String>,
    #[serde(default)]
    pub parent: Option<String>,
    /// What it requires to exist first (absent in journals from before netplug kept it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requires: Vec<String>,
    /// Whether the ownership record counted it as netplug's creation before it was first
    /// touched: a verified rollback puts the record back to that (see `docs/ownership.md`).
    /// `None` in journals from before netplug kept it: the record is then left as it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owned: Option<bool>,
}

/// A rollback journal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journal {
    pub purpose: Purpose,
    /// Seconds since the epoch when it was opened.
    pub started: u64,
    /// Every interface touched since, with its kind (one created since has no snapshot items:
    /// rolling back removes it).
    pub interfaces: BTreeMap<String, Covered>,
    /// Per plugin, the live items of the covered interfaces before they were first touched.
    pub snapshot: HashMap<String, Vec<Item>>,
    /// For a transaction, the store's files (name → text) at `begin`.
    #[serde(default)]
    pub store: Option<BTreeMap<String, String>>,
    /// The network namespace it was recorded in; none in journals from before netplug
    /// recorded it (taken to be this one's).
    #[serde(default)]
    pub netns: Option<Identity>,
}

/// Why the journal could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{path}: {error}")]
    Io { path: String, error: std::io::Error },
    #[error("{path}: not a netplug journal: {error}; {DISCARD_HINT}")]
    Format { path: String, error: serde_json::Error },
}

/// What `netplug` tells the operator to do about a journal it cannot read.
pub const DISCARD_HINT: &str =
    "if it cannot be repaired, `netplug rollback --discard` removes it and leaves the interfaces as they are";

impl Journal {
    /// An empty journal for `purpose`, belonging to namespace `netns`.
    pub fn new(purpose: Purpose, netns: Identity) -> Journal {
        Journal {
            purpose,
            started: now(),
            interfaces: BTreeMap::new(),
            snapshot: HashMap::new(),
            store: None,
            netns: Some(netns),
        }
    }

    /// Where its namespace is, seen from `here`.
    pub fn whereabouts(&self, here: &Identity) -> Whereabouts {
        self.netns.as_ref().map_or(Whereabouts::Here, |ns| ns.whereabouts(here))
    }

    /// Whether the netplug that opened it (a waiting `apply --confirm`, a run) may still be
    /// running: another process of this boot with its pid. The caller holds the lock, which
    /// such a holder would hold, so this only matters for netplugs with other run directories.
    pub fn holder_alive(&self) -> bool {
        let pid = match self.purpose {
            Purpose::Confirm { pid, .. } | Purpose::Run { pid } => pid,
            Purpose::Transaction => return false,
        };
        let this_boot = self.netns.as_ref().is_none_or(|ns| ns.boot == crate::netns::boot_id());
        this_boot && pid != std::process::id() && running(pid)
    }

    /// Record the interfaces of `config` not covered yet, with their state in `before` (the
    /// snapshot a run read before changing anything).
    pub fn record(&mut self, config: &Config, before: &Snapshot) {
        let fresh: Vec<&Interface> =
            config.interfaces.iter().filter(|i| !self.interfaces.contains_key(&i.name)).collect();
        for i in &fresh {
            let covered = Covered {
                kind: i.kind.clone(),
                master: i.master.clone(),
                parent: i.parent.clone(),
                requires: i.requires.clone(),
                owned: None,
            };
            self.interfaces.insert(i.name.clone(), covered);
        }
        for (plugin, items) in &before.items {
            let keep = items.iter().filter(|it| fresh.iter().any(|i| i.name == it.interface)).cloned();
            self.snapshot.entry(plugin.clone()).or_default().extend(keep);
        }
    }

    /// Note, for each covered interface not noted yet, whether `created` (the ownership record
    /// before the run's first change) counts it as netplug's.
    pub fn record_ownership(&mut self, created: &BTreeMap<String, String>) {
        for (name, c) in &mut self.interfaces {
            c.owned.get_or_insert_with(|| created.contains_key(name));
        }
    }

    /// What the ownership record said of the covered interfaces before they were first touched:
    /// name → `Some(kind)` when netplug had created it, `None` when not. Interfaces of older
    /// journals, which did not keep it, are left out.
    pub fn ownership_before(&self) -> BTreeMap<String, Option<String>> {
        self.interfaces
            .iter()
            .filter_map(|(name, c)| c.owned.map(|o| (name.clone(), o.then(|| c.kind.clone()))))
            .collect()
    }

    /// The interfaces to roll back, as a configuration the engine can scope and order a run by.
    /// Their elements are empty: the desired state is the snapshot, not a document.
    pub fn config(&self, registry: &Registry) -> Config {
        let interfaces = self
            .interfaces
            .iter()
            .map(|(name, c)| Interface {
                name: name.clone(),
                kind: c.kind.clone(),
                start_mode: StartMode::Manual,
                state: LinkState::Up,
                mac: None,
                mtu: None,
                master: c.master.clone(),
                parent: c.parent.clone(),
                requires: c.requires.clone(),
                element: Element::new(registry.element_of_kind(&c.kind)),
                name_span: Default::default(),
            })
            .collect();
        Config { interfaces }
    }

    /// The snapshot to plan back to.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot { items: self.snapshot.clone() }
    }

    /// Plan from the kernel's state now back to the snapshot, over every covered interface,
    /// and apply that (see [`Run::rollback`]). The store is the caller's to restore.
    pub fn roll_back(&self, registry: &Registry) -> RollbackReport {
        let config = self.config(registry);
        Run::new(&config, registry).rollback(&self.snapshot())
    }

    /// Whether a confirmed apply's deadline has passed.
    pub fn expired(&self) -> bool {
        matches!(self.purpose, Purpose::Confirm { deadline_ms, .. } if now_ms() >= deadline_ms)
    }

    /// Read a journal; `None` if there is none. A symlink at `path` is refused, not followed.
    pub fn load(path: &Path) -> Result<Option<Journal>, JournalError> {
        use std::io::Read;
        use std::os::unix::fs::OpenOptionsExt;
        let io = |error| JournalError::Io { path: path.display().to_string(), error };
        let mut file = match std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NOFOLLOW).open(path)
        {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(e)),
        };
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(io)?;
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|error| JournalError::Format { path: path.display().to_string(), error })
    }

    /// Write atomically, mode 0600 (the directory is created if needed). A run journal skips
    /// the fsyncs: it describes kernel state, which does not outlive the machine either.
    pub fn save(&self, path: &Path) -> Result<(), JournalError> {
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)
            .map_err(|source| JournalError::Io { path: dir.display().to_string(), error: source })?;
        let bytes = serde_json::to_vec(self).expect("journals serialise");
        let durable = !matches!(self.purpose, Purpose::Run { .. });
        Ok(store::write_file(path, &bytes, 0o600, durable)?)
    }

    pub fn remove(path: &Path) -> Result<(), JournalError> {
        match std::fs::remove_file(path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(error) => Err(JournalError::Io { path: path.display().to_string(), error }),
        }
    }
}

/// Where namespace `netns`'s journal of `kind` is written in the state directory.
pub fn path(state_dir: &Path, kind: Kind, netns: &Identity) -> PathBuf {
    state_dir.join(format!("{}-{}.json", kind.prefix(), netns.ino))
}

/// A journal file found in the state directory, read or not.
#[derive(Debug)]
pub struct Found {
    pub kind: Kind,
    pub path: PathBuf,
    pub journal: Result<Journal, JournalError>,
}

/// Every journal file in the state directory (of every namespace, and of earlier boots),
/// sorted by path. A missing directory has none.
pub fn list(state_dir: &Path) -> Result<Vec<Found>, JournalError> {
    let entries = match std::fs::read_dir(state_dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(JournalError::Io { path: state_dir.display().to_string(), error }),
    };
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(stem) = name.strip_suffix(".json") else { continue };
        // `transaction.json` and `confirm.json`: what netplug wrote before journals had
        // namespaces.
        let Some(kind) = Kind::ALL.into_iter().find(|k| {
            stem == k.prefix()
                || stem
                    .strip_prefix(k.prefix())
                    .and_then(|r| r.strip_prefix('-'))
                    .is_some_and(|ino| !ino.is_empty() && ino.bytes().all(|b| b.is_ascii_digit()))
        }) else {
            continue;
        };
        let path = entry.path();
        let journal = match Journal::load(&path) {
            Ok(Some(j)) => Ok(j),
            Ok(None) => continue,
            Err(e) => Err(e),
        };
        found.push(Found { kind, path, journal });
    }
    found.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(found)
}

/// Namespace `here`'s journal of `kind`, with its path; `None` if it has none. A journal of
/// that kind that cannot be read is an error (it may be this namespace's).
pub fn find(
    state_dir: &Path,
    kind: Kind,
    here: &Identity,
) -> Result<Option<(PathBuf, Journal)>, JournalError> {
    for f in list(state_dir)?.into_iter().filter(|f| f.kind == kind) {
        let j = f.journal?;
        if j.whereabouts(here) == Whereabouts::Here {
            return Ok(Some((f.path, j)));
        }
    }
    Ok(None)
}

/// Whether process `pid` exists and has not died (a zombie has, though its parent has not
/// reaped it yet).
fn running(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return false };
    // "PID (COMM) STATE ...": COMM may hold anything, so the state follows the last ')'.
    stat.rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .is_some_and(|state| state != "Z" && state != "X")
}

/// Seconds since the epoch.
pub fn now() -> u64 {
    now_ms() / 1000
}

/// Milliseconds since the epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use netplug_plugin_sdk::Envelope;

    use super::*;

    fn iface(name: &str, kind: &str) -> Interface {
        Interface {
            name: name.into(),
            kind: kind.into(),
            start_mode: StartMode::Onboot,
            state: LinkState::Up,
            mac: None,
            mtu: None,
            master: None,
            parent: None,
            requires: Vec::new(),
            element: Element::new("x"),
            name_span: Default::default(),
        }
    }

    fn item(name: &str, mtu: u32) -> Item {
        Item {
            interface: name.into(),
            kind: "bridge".into(),
            envelope: Some(Envelope { name: name.into(), mtu: Some(mtu), ..Default::default() }),
            element: Element::new("bridge"),
        }
    }

    #[test]
    fn first_record_of_an_interface_wins_and_survives_a_round_trip() {
        let here = Identity::current(None).unwrap();
        let mut j = Journal::new(Purpose::Transaction, here.clone());
        let config = Config { interfaces: vec![iface("br0", "bridge")] };
        let before = Snapshot { items: [("bridge".to_string(), vec![item("br0", 1500)])].into() };
        j.record(&config, &before);
        let later = Snapshot { items: [("bridge".to_string(), vec![item("br0", 9000)])].into() };
        j.record(&config, &later);
        let config2 = Config { interfaces: vec![iface("br1", "bridge")] };
        j.record(&config2, &Snapshot::default());
        assert_eq!(j.snapshot["bridge"], vec![item("br0", 1500)]);
        assert_eq!(
            j.config(&Registry::new()).interfaces.len(),
            2,
            "br1 was created inside: rolling back removes it"
        );

        let dir = tempfile::tempdir().unwrap();
        let path = path(dir.path(), Kind::Transaction, &here);
        j.save(&path).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(Journal::load(&path).unwrap(), Some(j.clone()));
        let (found, journal) = find(dir.path(), Kind::Transaction, &here).unwrap().unwrap();
        assert_eq!((found.as_path(), &journal), (path.as_path(), &j));
        Journal::remove(&path).unwrap();
        assert_eq!(Journal::load(&path).unwrap(), None);
    }

    #[test]
    fn a_symlinked_journal_is_refused_and_a_corrupt_one_named() {
        let dir = tempfile::tempdir().unwrap();
        let here = Identity::current(None).unwrap();
        let target = dir.path().join("elsewhere");
        std::fs::write(&target, b"{}").unwrap();
        let link = path(dir.path(), Kind::Confirm, &here);
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(matches!(Journal::load(&link), Err(JournalError::Io { .. })));
        std::fs::remove_file(&link).unwrap();
        std::fs::write(&link, b"{ truncated").unwrap();
        let err = find(dir.path(), Kind::Confirm, &here).unwrap_err().to_string();
        assert!(err.starts_with(&link.display().to_string()), "{err}");
    }

    #[test]
    fn another_namespaces_journal_is_not_here() {
        let dir = tempfile::tempdir().unwrap();
        let here = Identity::current(None).unwrap();
        let gone = Identity { ino: u64::MAX, name: Some("gone".into()), ..here.clone() };
        let j = Journal::new(Purpose::Run { pid: 1 }, gone.clone());
        j.save(&path(dir.path(), Kind::Run, &gone)).unwrap();
        assert_eq!(find(dir.path(), Kind::Run, &here).unwrap(), None);
        let all = list(dir.path()).unwrap();
        assert_eq!(all[0].journal.as_ref().unwrap().whereabouts(&here), Whereabouts::Gone);
    }
}
