//! What netplug owns (see `docs/ownership.md`): the record, kept in the state directory, of
//! every virtual interface netplug created, of the enslavements it made, and of the port
//! definitions stored together with their master, and the rules that follow from it — which interfaces `stop` keeps because
//! something else still uses them, and which ones a run prunes because nothing describes them
//! any more.
//!
//! Addresses and routes need no record here: netplug marks them in the kernel itself
//! (`IFA_PROTO` 176 on addresses, its own route protocols), which is where the static and
//! routes plugins look before removing one. Physical devices are never in the record: only a
//! kind plugin's `Create` step puts an interface there, and no plugin creates a physical device.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use netplug_plugin_sdk::{Envelope, LinkState, Phase};
use serde::{Deserialize, Serialize};

use crate::model::{Config, Interface};
use crate::plan::{PlanError, Step};
use crate::registry::Registry;
use crate::store::{self, StoreError};

/// The records' directory in the state directory: its own, beside the journals.
pub const DIR: &str = "ownership";

/// What netplug created (in one network namespace) and what was defined together.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ownership {
    /// Virtual interfaces netplug created in this network namespace and has not deleted
    /// since: name → kind.
    #[serde(default)]
    pub created: BTreeMap<String, String>,
    /// Port definitions stored by the same `define` (or `bridge`) as their master: port →
    /// master. `undefine MASTER` removes them too. Definitions belong to no namespace.
    #[serde(default)]
    pub defined_with: BTreeMap<String, String>,
    /// Enslavements netplug made in this network namespace: port → master. A port netplug
    /// enslaved does not keep its master from being pruned (deleting the master sets it free);
    /// one enslaved by someone else does.
    #[serde(default)]
    pub enslaved: BTreeMap<String, String>,
}

/// Why the record could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum OwnershipError {
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{path}: not a record netplug wrote: {source}")]
    Parse { path: String, source: serde_json::Error },
    #[error(transparent)]
    Write(#[from] StoreError),
}

/// The file of the interfaces created in network namespace `netns` (its inode, as the
/// journals are keyed): a state directory shared by several namespaces keeps each one's apart,
/// so pruning in one never deletes a same-named interface of another.
pub fn created_path(state_dir: &Path, netns: u64) -> PathBuf {
    state_dir.join(DIR).join(format!("created-{netns}.json"))
}

/// The file of the enslavements netplug made in network namespace `netns`.
pub fn enslaved_path(state_dir: &Path, netns: u64) -> PathBuf {
    state_dir.join(DIR).join(format!("enslaved-{netns}.json"))
}

/// The file of the definitions' relations.
pub fn defined_path(state_dir: &Path) -> PathBuf {
    state_dir.join(DIR).join("defined.json")
}

fn read_json<T: serde::de::DeserializeOwned + Default>(path: &Path) -> Result<T, OwnershipError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(T::default()),
        Err(source) => return Err(OwnershipError::Io { path: path.display().to_string(), source }),
    };
    serde_json::from_str(&text)
        .map_err(|source| OwnershipError::Parse { path: path.display().to_string(), source })
}

impl Ownership {
    /// The records in `state_dir` for network namespace `netns`; missing files are empty
    /// records (netplug owns nothing yet).
    pub fn load(state_dir: &Path, netns: u64) -> Result<Ownership, OwnershipError> {
        Ok(Ownership {
            created: read_json(&created_path(state_dir, netns))?,
            defined_with: read_json(&defined_path(state_dir))?,
            enslaved: read_json(&enslaved_path(state_dir, netns))?,
        })
    }

    /// Write the records atomically (a crash leaves the old record or the new one).
    pub fn save(&self, state_dir: &Path, netns: u64) -> Result<(), OwnershipError> {
        let dir = state_dir.join(DIR);
        std::fs::create_dir_all(&dir)
            .map_err(|source| OwnershipError::Io { path: dir.display().to_string(), source })?;
        let created = serde_json::to_string_pretty(&self.created).expect("the record serialises");
        store::write_atomic(&created_path(state_dir, netns), created.as_bytes())?;
        let defined = serde_json::to_string_pretty(&self.defined_with).expect("the record serialises");
        store::write_atomic(&defined_path(state_dir), defined.as_bytes())?;
        let enslaved = serde_json::to_string_pretty(&self.enslaved).expect("the record serialises");
        store::write_atomic(&enslaved_path(state_dir, netns), enslaved.as_bytes())?;
        Ok(())
    }

    /// Take in the plan of a run about to change the kernel (journal-style, before its first
    /// change): what its kind plugins will create is netplug's from now on, so that a kill at
    /// any point leaves nothing netplug made out of the record. Deletions are noted only once
    /// verified ([`Ownership::note_applied`]): until then the interface may still be there, or
    /// be put back by a rollback. Returns whether the record changed.
    pub fn note_intent(&mut self, config: &Config, registry: &Registry, steps: &[Step]) -> bool {
        let before = self.created.len();
        for (iface, phase) in kind_steps(config, registry, steps) {
            if phase == Phase::Create {
                self.created.insert(iface.name.clone(), iface.kind.clone());
            }
        }
        before != self.created.len()
    }

    /// Take in, before the first change of a run applying `config`, the enslavements it makes:
    /// each port of `config` whose master the live links (`live`, [`live_links`]'s answer)
    /// do not show yet. A port already in its master stays as it is, recorded or not: who put
    /// it there is not known. Returns the enslavements added, for a verified rollback to take
    /// out again ([`Ownership::forget_enslaved`]).
    pub fn note_enslaving(&mut self, config: &Config, live: &[Envelope]) -> Vec<(String, String)> {
        let masters: HashMap<&str, Option<&str>> =
            live.iter().map(|e| (e.name.as_str(), e.master.as_deref())).collect();
        let mut added = Vec::new();
        for i in config.interfaces.iter().filter(|i| i.state != LinkState::Absent) {
            let Some(master) = &i.master else { continue };
            let already = masters.get(i.name.as_str()).copied().flatten() == Some(master.as_str());
            if !already && self.enslaved.get(&i.name) != Some(master) {
                self.enslaved.insert(i.name.clone(), master.clone());
                added.push((i.name.clone(), master.clone()));
            }
        }
        added
    }

    /// Take out enslavements [`Ownership::note_enslaving`] added for a run that was rolled
    /// back: the ports are where they were. Returns whether the record changed.
    pub fn forget_enslaved(&mut self, added: &[(String, String)]) -> bool {
        let before = self.enslaved.len();
        for (port, master) in added {
            if self.enslaved.get(port) == Some(master) {
                self.enslaved.remove(port);
            }
        }
        before != self.enslaved.len()
    }

    /// Take in a verified apply of `config`: what its kind plugins created is netplug's now,
    /// what they deleted (or what the run verified absent) no longer is. Returns whether the
    /// record changed.
    pub fn note_applied(&mut self, config: &Config, registry: &Registry, steps: &[Step]) -> bool {
        let before = self.created.clone();
        // Steps are in phase order: a re-creation (delete, then create) ends up owned.
        for (iface, phase) in kind_steps(config, registry, steps) {
            match phase {
                Phase::Delete => {
                    self.created.remove(&iface.name);
                }
                Phase::Create => {
                    self.created.insert(iface.name.clone(), iface.kind.clone());
                }
                _ => {}
            }
        }
        for iface in &config.interfaces {
            if iface.state == LinkState::Absent {
                self.created.remove(&iface.name);
            }
        }
        // An enslavement is over when its port left the master (or went) or the master went.
        let enslaved_before = self.enslaved.clone();
        self.enslaved.retain(|port, master| {
            let port_left = config
                .get(port)
                .is_some_and(|p| p.state == LinkState::Absent || p.master.as_ref() != Some(master));
            let master_gone = config.get(master).is_some_and(|m| m.state == LinkState::Absent);
            !port_left && !master_gone
        });
        before != self.created || enslaved_before != self.enslaved
    }

    /// Take in a verified rollback: the kernel is as it was before the run (or transaction)
    /// first touched these interfaces, so the record is too. `before` is what the journal kept
    /// of it (see [`crate::journal::Journal::ownership_before`]). Returns whether it changed.
    pub fn restore(&mut self, before: &BTreeMap<String, Option<String>>) -> bool {
        let old = self.created.clone();
        for (name, kind) in before {
            match kind {
                Some(kind) => self.created.insert(name.clone(), kind.clone()),
                None => self.created.remove(name),
            };
        }
        old != self.created
    }

    /// Forget the interfaces netplug created that are gone from the kernel (`live` is
    /// [`live_links`]'s answer): deleted by hand, or never made by a run that was killed
    /// after recording its intent. Nothing is left to own, and a same-named interface made
    /// later by someone else must not be taken for netplug's. Returns whether it changed.
    pub fn forget_gone(&mut self, live: &[Envelope]) -> bool {
        let present: BTreeSet<&str> = live.iter().map(|e| e.name.as_str()).collect();
        let before = (self.created.len(), self.enslaved.len());
        self.created.retain(|name, _| present.contains(name.as_str()));
        // Likewise an enslavement the kernel no longer shows (released or deleted by hand, or
        // rolled back by a later netplug): a port put back by someone else is theirs.
        let masters: HashMap<&str, Option<&str>> =
            live.iter().map(|e| (e.name.as_str(), e.master.as_deref())).collect();
        self.enslaved
            .retain(|port, master| masters.get(port.as_str()).copied().flatten() == Some(master.as_str()));
        before != (self.created.len(), self.enslaved.len())
    }

    /// Take in a `define` of `config` (validated, so masters are known): each port defined in
    /// the same documents as its master is recorded as defined with it.
    pub fn note_defined(&mut self, config: &Config) {
        for iface in &config.interfaces {
            match &iface.master {
                Some(m) if config.get(m).is_some() => {
                    self.defined_with.insert(iface.name.clone(), m.clone());
                }
                _ => {
                    // Redefined on its own: it no longer goes with a master.
                    self.defined_with.remove(&iface.name);
                }
            }
        }
    }

    /// The port definitions `undefine master` removes with it: those defined with it,
    /// recursively (a bridge's bond and the bond's NICs), unless a remaining definition still
    /// needs one (a VLAN on the bond). Returns (removed, kept with the name of what needs it).
    pub fn ports_defined_with(&self, definitions: &Config, master: &str) -> PortsOf {
        let mut going: BTreeSet<&str> = BTreeSet::from([master]);
        let mut todo = vec![master];
        while let Some(m) = todo.pop() {
            for (port, of) in &self.defined_with {
                if of == m && definitions.get(port).is_some() && going.insert(port.as_str()) {
                    todo.push(port.as_str());
                }
            }
        }
        let users = defined_users(definitions);
        let mut kept = Vec::new();
        // A port some definition that stays still stacks on stays, with its own ports.
        loop {
            let needed = going.iter().copied().filter(|p| *p != master).find_map(|p| {
                users.get(p).and_then(|us| us.iter().find(|u| !going.contains(*u))).map(|u| (p, *u))
            });
            let Some((port, user)) = needed else { break };
            let mut drop = vec![port];
            while let Some(p) = drop.pop() {
                if going.remove(p) {
                    drop.extend(self.defined_with.iter().filter(|(_, m)| *m == p).map(|(q, _)| q.as_str()));
                }
            }
            kept.push((port.to_string(), user.to_string()));
        }
        going.remove(master);
        PortsOf { removed: going.into_iter().map(String::from).collect(), kept }
    }

    /// Forget `name`'s definition links (it was undefined).
    pub fn forget_definition(&mut self, name: &str) {
        self.defined_with.remove(name);
    }
}

/// The steps of `steps` that a kind plugin took on an interface of its own kind in `config`,
/// with their phase: the only ones that create or delete an interface.
fn kind_steps<'a>(
    config: &'a Config,
    registry: &'a Registry,
    steps: &'a [Step],
) -> impl Iterator<Item = (&'a Interface, Phase)> + 'a {
    steps.iter().filter_map(move |step| {
        let iface = config.get(&step.change.interface)?;
        let by_kind_plugin = registry.for_kind(&iface.kind).is_some_and(|r| r.info.name == step.plugin);
        by_kind_plugin.then_some((iface, step.change.phase))
    })
}

/// The answer of [`Ownership::ports_defined_with`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PortsOf {
    pub removed: Vec<String>,
    /// (port, the definition that still needs it).
    pub kept: Vec<(String, String)>,
}

/// For each interface, the defined interfaces stacked on it (their parent).
fn defined_users(config: &Config) -> HashMap<&str, Vec<&str>> {
    let mut users: HashMap<&str, Vec<&str>> = HashMap::new();
    for i in &config.interfaces {
        if let Some(p) = &i.parent {
            users.entry(p.as_str()).or_default().push(i.name.as_str());
        }
    }
    users
}

/// Who uses an interface, so that netplug keeps it: interfaces stacked on it (a VLAN on a
/// bond), and the master it is a port of. Built from definitions and from the live links the
/// kind plugins report.
#[derive(Clone, Debug, Default)]
pub struct Users {
    by: HashMap<String, BTreeSet<String>>,
}

impl Users {
    /// Users according to `definitions` (validated: parents and masters filled in), plus the
    /// live links' envelopes.
    pub fn of(definitions: &Config, live: &[Envelope]) -> Users {
        let mut u = Users::default();
        for i in &definitions.interfaces {
            if i.state == LinkState::Absent {
                continue;
            }
            u.add(i.parent.as_deref(), &i.name);
            if let Some(m) = &i.master {
                u.add(Some(&i.name), m);
            }
        }
        for e in live {
            u.add(e.parent.as_deref(), &e.name);
            if let Some(m) = &e.master {
                u.add(Some(&e.name), m);
            }
        }
        u
    }

    fn add(&mut self, used: Option<&str>, user: &str) {
        if let Some(used) = used.filter(|u| *u != user) {
            self.by.entry(used.to_string()).or_default().insert(user.to_string());
        }
    }

    /// Users of `name` outside `going`.
    pub fn outside<'a>(&'a self, name: &str, going: &'a BTreeSet<String>) -> impl Iterator<Item = &'a str> {
        self.by.get(name).into_iter().flatten().filter(move |u| !going.contains(*u)).map(String::as_str)
    }
}

/// Of `going` (interfaces about to be taken down or deleted), those that must stay because
/// something not going still uses them; `ports` gives each interface's ports, which stay with
/// it. `keep_always` (the interface a user named) never stays. Returns the kept interfaces
/// with a user each, and removes them from `going`.
pub fn keep_used(
    going: &mut BTreeSet<String>,
    users: &Users,
    ports: &HashMap<String, Vec<String>>,
    named: &[&str],
) -> Vec<(String, String)> {
    let mut kept = Vec::new();
    loop {
        let found = going
            .iter()
            .filter(|n| !named.contains(&n.as_str()))
            .find_map(|n| users.outside(n, going).next().map(|u| (n.clone(), u.to_string())));
        let Some((name, user)) = found else { break };
        let mut drop = vec![name.clone()];
        while let Some(p) = drop.pop() {
            if going.remove(&p) {
                drop.extend(ports.get(&p).into_iter().flatten().cloned());
            }
        }
        kept.push((name, user));
    }
    kept
}

/// The envelopes of every live link the kind plugins know (one dump each, in one read pass):
/// who is a port of what and stacked on what, for [`Users`].
pub fn live_links(registry: &Registry) -> Result<Vec<Envelope>, PlanError> {
    let _pass = crate::host::ReadPass::begin();
    let mut out = Vec::new();
    for r in registry.plugins().iter().filter(|r| !r.info.kinds.is_empty()) {
        let items = r.plugin.read(None).map_err(|error| PlanError { plugin: r.info.name.clone(), error })?;
        out.extend(items.into_iter().filter_map(|i| i.envelope));
    }
    Ok(out)
}

/// What pruning removes: interfaces netplug created that `described` (defined, or in the
/// documents applied) no longer names and that nothing else still uses, each as an `absent`
/// interface of its recorded kind. `live` is [`live_links`]'s answer; a recorded interface that
/// is gone from the kernel is left out (there is nothing to remove; the next verified run drops
/// it from the record).
pub fn prune_set(
    record: &Ownership,
    described: &dyn Fn(&str) -> bool,
    definitions: &Config,
    live: &[Envelope],
) -> (Vec<Interface>, Vec<(String, String)>) {
    let present: BTreeSet<&str> = live.iter().map(|e| e.name.as_str()).collect();
    let mut going: BTreeSet<String> =
        record.created.keys().filter(|n| !described(n) && present.contains(n.as_str())).cloned().collect();
    // A defined master's own definition says whether it keeps a port (it names it, and the
    // definitions' users cover that); only a master netplug does not manage keeps one live.
    let live: Vec<Envelope> = live
        .iter()
        .cloned()
        .map(|mut e| {
            if e.master.as_deref().is_some_and(|m| definitions.get(m).is_some()) {
                e.master = None;
            }
            e
        })
        .collect();
    let mut users = Users::of(definitions, &live);
    // A master with a live port that stays (one netplug does not manage, say) still carries
    // that port's traffic: deleting it would cut the port off. Unless netplug enslaved that
    // port itself: deleting the master sets it free, as it was before.
    for e in &live {
        if e.master.is_some() && record.enslaved.get(&e.name) == e.master.as_ref() {
            continue;
        }
        users.add(e.master.as_deref(), &e.name);
    }
    // Something that stays stacked on, enslaving or enslaved to a candidate keeps it; the
    // candidate's ports are not dropped with it (they are candidates of their own or stay).
    let kept = keep_used(&mut going, &users, &HashMap::new(), &[]);
    let set = going.iter().map(|n| absent(n, &record.created[n])).collect();
    (set, kept)
}

/// An interface that removes `name`, a `kind` netplug created (what pruning applies).
pub fn absent(name: &str, kind: &str) -> Interface {
    use netplug_plugin_sdk::Element;
    Interface {
        name: name.to_string(),
        kind: kind.to_string(),
        start_mode: crate::model::StartMode::Manual,
        state: LinkState::Absent,
        mac: None,
        mtu: None,
        master: None,
        parent: None,
        requires: Vec::new(),
        // Created kinds are named by their own element (`<bridge name=..>`); only `<interface>`
        // (a device, never created) differs.
        element: Element::new(kind).with_attr(Interface::name_attribute_of(kind), name),
        name_span: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::StartMode;

    fn iface(name: &str, master: Option<&str>, parent: Option<&str>) -> Interface {
        Interface {
            name: name.into(),
            kind: "x".into(),
            start_mode: StartMode::Onboot,
            state: LinkState::Up,
            mac: None,
            mtu: None,
            master: master.map(Into::into),
            parent: parent.map(Into::into),
            requires: Vec::new(),
            element: Default::default(),
            name_span: Default::default(),
        }
    }

    #[test]
    fn record_round_trips_and_missing_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Ownership::load(dir.path(), 1).unwrap(), Ownership::default());
        let mut o = Ownership::default();
        o.created.insert("br0".into(), "bridge".into());
        o.defined_with.insert("eth0".into(), "br0".into());
        o.save(dir.path(), 1).unwrap();
        assert_eq!(Ownership::load(dir.path(), 1).unwrap(), o);
        // Another namespace has created nothing, but shares the definitions.
        let other = Ownership::load(dir.path(), 2).unwrap();
        assert!(other.created.is_empty() && other.defined_with == o.defined_with);
        std::fs::write(created_path(dir.path(), 1), "{").unwrap();
        assert!(Ownership::load(dir.path(), 1).unwrap_err().to_string().contains("created-1.json"));
    }

    #[test]
    fn undefine_takes_ports_defined_with_it_unless_still_needed() {
        let defs = Config {
            interfaces: vec![
                iface("eth0", Some("bond0"), None),
                iface("eth1", Some("bond0"), None),
                iface("bond0", Some("br0"), None),
                iface("br0", None, None),
                iface("bond0.100", None, Some("bond0")),
            ],
        };
        let mut o = Ownership::default();
        o.note_defined(&Config { interfaces: defs.interfaces[..4].to_vec() });
        let p = o.ports_defined_with(&defs, "br0");
        assert!(p.removed.is_empty(), "{p:?}");
        assert_eq!(p.kept, [("bond0".to_string(), "bond0.100".to_string())]);
        let defs = Config { interfaces: defs.interfaces[..4].to_vec() };
        let p = o.ports_defined_with(&defs, "br0");
        assert_eq!(p.removed, ["bond0", "eth0", "eth1"]);
    }

    fn envelope(name: &str, master: Option<&str>) -> Envelope {
        Envelope { name: name.into(), master: master.map(Into::into), ..Default::default() }
    }

    #[test]
    fn a_port_netplug_enslaved_does_not_keep_its_master() {
        let mut record = Ownership::default();
        record.created.insert("br0".into(), "bridge".into());
        let desired =
            Config { interfaces: vec![iface("e0", Some("br0"), None), iface("e1", Some("br0"), None)] };
        // e1 was in br0 before netplug: who put it there is not known.
        let before = [envelope("br0", None), envelope("e0", None), envelope("e1", Some("br0"))];
        let added = record.note_enslaving(&desired, &before);
        assert_eq!(added, [("e0".to_string(), "br0".to_string())]);
        let live = [envelope("br0", None), envelope("e0", Some("br0")), envelope("e1", Some("br0"))];
        let nothing = Config::default();
        let (set, kept) = prune_set(&record, &|_| false, &nothing, &live);
        assert!(set.is_empty() && kept == [("br0".to_string(), "e1".to_string())], "{set:?} {kept:?}");
        let live = [envelope("br0", None), envelope("e0", Some("br0")), envelope("e1", None)];
        let (set, kept) = prune_set(&record, &|_| false, &nothing, &live);
        assert_eq!((set.len(), kept.len()), (1, 0), "{set:?} {kept:?}");
        // Released by hand: forgotten.
        assert!(record.forget_gone(&[envelope("br0", None), envelope("e0", None)]));
        assert!(record.enslaved.is_empty());
        // A rolled-back run takes its enslavements out again.
        let added = record.note_enslaving(&desired, &before);
        assert!(record.forget_enslaved(&added) && record.enslaved.is_empty());
    }

    #[test]
    fn used_ports_stay_with_their_own_ports() {
        let defs = Config {
            interfaces: vec![
                iface("eth0", Some("bond0"), None),
                iface("bond0", Some("br0"), None),
                iface("br0", None, None),
                iface("bond0.100", Some("br100"), Some("bond0")),
                iface("br100", None, None),
            ],
        };
        let users = Users::of(&defs, &[]);
        let mut going: BTreeSet<String> = ["br0", "bond0", "eth0"].map(String::from).into();
        let ports = HashMap::from([
            ("br0".to_string(), vec!["bond0".to_string()]),
            ("bond0".to_string(), vec!["eth0".to_string()]),
        ]);
        let kept = keep_used(&mut going, &users, &ports, &["br0"]);
        assert_eq!(kept, [("bond0".to_string(), "bond0.100".to_string())]);
        assert_eq!(going, BTreeSet::from(["br0".to_string()]));
    }
}
