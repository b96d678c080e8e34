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
//! Only the first record of an interface counts: the state before the transaction began, not
//! between two of its steps.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use netplug_plugin_sdk::{Element, Item, LinkState};
use serde::{Deserialize, Serialize};

use crate::apply::{RollbackReport, Run};
use crate::model::{Config, Interface, StartMode};
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
}

/// An interface the journal covers: enough of it for the engine to plan its way back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Covered {
    pub kind: String,
    #[serde(default)]
    pub master: Option<String>,
    #[serde(default)]
    pub parent: Option<String>,
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
}

/// Why the journal could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{path}: not a netplug journal: {source}")]
    Format { path: String, source: serde_json::Error },
}

impl Journal {
    pub fn new(purpose: Purpose) -> Journal {
        Journal {
            purpose,
            started: now(),
            interfaces: BTreeMap::new(),
            snapshot: HashMap::new(),
            store: None,
        }
    }

    /// Record the interfaces of `config` not covered yet, with their state in `before` (the
    /// snapshot a run read before changing anything).
    pub fn record(&mut self, config: &Config, before: &Snapshot) {
        let fresh: Vec<&Interface> =
            config.interfaces.iter().filter(|i| !self.interfaces.contains_key(&i.name)).collect();
        for i in &fresh {
            let covered =
                Covered { kind: i.kind.clone(), master: i.master.clone(), parent: i.parent.clone() };
            self.interfaces.insert(i.name.clone(), covered);
        }
        for (plugin, items) in &before.items {
            let keep = items.iter().filter(|it| fresh.iter().any(|i| i.name == it.interface)).cloned();
            self.snapshot.entry(plugin.clone()).or_default().extend(keep);
        }
    }

    /// The interfaces to roll back, as a configuration the engine can scope and order a run by.
    /// Their elements are empty: the desired state is the snapshot, not a document.
    pub fn config(&self) -> Config {
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
                element: Element::new(Interface::element_name_for(&c.kind)),
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
        let config = self.config();
        Run::new(&config, registry).rollback(&self.snapshot())
    }

    /// Whether a confirmed apply's deadline has passed.
    pub fn expired(&self) -> bool {
        matches!(self.purpose, Purpose::Confirm { deadline_ms, .. } if now_ms() >= deadline_ms)
    }

    pub fn load(path: &Path) -> Result<Option<Journal>, JournalError> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|source| JournalError::Format { path: path.display().to_string(), source }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(JournalError::Io { path: path.display().to_string(), source }),
        }
    }

    /// Write atomically (the directory is created if needed).
    pub fn save(&self, path: &Path) -> Result<(), JournalError> {
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)
            .map_err(|source| JournalError::Io { path: dir.display().to_string(), source })?;
        let bytes = serde_json::to_vec(self).expect("journals serialise");
        Ok(store::write_atomic(path, &bytes)?)
    }

    pub fn remove(path: &Path) -> Result<(), JournalError> {
        match std::fs::remove_file(path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(JournalError::Io { path: path.display().to_string(), source }),
        }
    }
}

/// Where the journal of an open transaction lives in the state directory.
pub fn transaction_path(state_dir: &Path) -> PathBuf {
    state_dir.join("transaction.json")
}

/// Where a confirmed apply's pending rollback lives.
pub fn confirm_path(state_dir: &Path) -> PathBuf {
    state_dir.join("confirm.json")
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
        let mut j = Journal::new(Purpose::Transaction);
        let config = Config { interfaces: vec![iface("br0", "bridge")] };
        let before = Snapshot { items: [("bridge".to_string(), vec![item("br0", 1500)])].into() };
        j.record(&config, &before);
        let later = Snapshot { items: [("bridge".to_string(), vec![item("br0", 9000)])].into() };
        j.record(&config, &later);
        let config2 = Config { interfaces: vec![iface("br1", "bridge")] };
        j.record(&config2, &Snapshot::default());
        assert_eq!(j.snapshot["bridge"], vec![item("br0", 1500)]);
        assert_eq!(j.config().interfaces.len(), 2, "br1 was created inside: rolling back removes it");

        let dir = tempfile::tempdir().unwrap();
        let path = transaction_path(dir.path());
        j.save(&path).unwrap();
        assert_eq!(Journal::load(&path).unwrap(), Some(j));
        Journal::remove(&path).unwrap();
        assert_eq!(Journal::load(&path).unwrap(), None);
    }
}
