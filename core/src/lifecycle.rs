//! Which stored definitions a lifecycle verb acts on: `start NAME` (the interface and what it
//! needs), `stop NAME` (the interface and its ports), `apply --all` (every `onboot` definition
//! and what those need). The answer is a [`Config`] that the ordinary engine then applies, so
//! the lifecycle verbs get planning, verification and rollback for free.
//!
//! `stop` takes down the interface and the ports only it uses (a bridge's members, a bond's slaves: a
//! port another interface still uses stays, see [`crate::ownership`]), not its
//! parent: a VLAN's parent usually carries other VLANs too, as `ifdown eth0.10` leaves `eth0`
//! alone. `start` brings up the parent chain as well, since a VLAN cannot be up without it.

use std::collections::{BTreeSet, HashMap};

use netplug_plugin_sdk::LinkState;

use crate::model::{Config, StartMode};
use crate::ownership::{self, Users};

/// `name` is not among the definitions.
#[derive(Debug, thiserror::Error)]
#[error("{0}: no such defined interface")]
pub struct NotDefined(pub String);

/// The interfaces `start name` brings up: `name`, its ports (recursively) and its parents and
/// what it requires (recursively), as defined. `config` must have been validated, so masters are filled in.
pub fn start_set(config: &Config, name: &str) -> Result<Config, NotDefined> {
    let wanted = closure(config, [name], true)?;
    Ok(select(config, &wanted, None))
}

/// What `stop` does: the interfaces it takes down (all marked `absent`), and those among the
/// ports it leaves alone, each with the reason.
#[derive(Clone, Debug, Default)]
pub struct Stop {
    pub config: Config,
    /// (interface, why it stays): a port something else still uses, or an `nfsroot` one.
    pub kept: Vec<(String, String)>,
}

/// Why `stop` refuses.
#[derive(Debug, thiserror::Error)]
pub enum StopError {
    #[error(transparent)]
    NotDefined(#[from] NotDefined),
    #[error("{0}: its start mode is nfsroot (the root file system is reached through it): netplug never takes it down")]
    Nfsroot(String),
}

/// The interfaces `stop name` takes down, all marked `absent`: `name` and the ports only it
/// uses. A port that something outside the stop still uses (`users`: a VLAN on a bond, from
/// the definitions and the live links) stays, with its own ports, and so does an `nfsroot`
/// interface. Removing a virtual link deletes it; an ethernet device is set down and stripped
/// of what netplug configured on it.
pub fn stop_set(config: &Config, name: &str, users: &Users) -> Result<Stop, StopError> {
    let root = config.get(name).ok_or_else(|| NotDefined(name.to_string()))?;
    if root.start_mode == StartMode::Nfsroot {
        return Err(StopError::Nfsroot(name.to_string()));
    }
    let mut going: BTreeSet<String> = closure(config, [name], false)?.into_iter().map(String::from).collect();
    let mut kept = Vec::new();
    for i in &config.interfaces {
        if i.start_mode == StartMode::Nfsroot && going.contains(&i.name) {
            kept.push((i.name.clone(), "its start mode is nfsroot".to_string()));
        }
    }
    let ports = ports_of(config);
    for (n, _) in &kept {
        drop_with_ports(&mut going, n, &ports);
    }
    kept.extend(
        ownership::keep_used(&mut going, users, &ports, &[name])
            .into_iter()
            .map(|(n, user)| (n, format!("still used by {user}"))),
    );
    let names: BTreeSet<&str> = going.iter().map(String::as_str).collect();
    Ok(Stop { config: select(config, &names, Some(LinkState::Absent)), kept })
}

/// Each interface's ports, as defined.
fn ports_of(config: &Config) -> HashMap<String, Vec<String>> {
    let mut ports: HashMap<String, Vec<String>> = HashMap::new();
    for i in &config.interfaces {
        if let Some(m) = &i.master {
            ports.entry(m.clone()).or_default().push(i.name.clone());
        }
    }
    ports
}

fn drop_with_ports(going: &mut BTreeSet<String>, name: &str, ports: &HashMap<String, Vec<String>>) {
    let mut todo = vec![name.to_string()];
    while let Some(n) = todo.pop() {
        if going.remove(&n) {
            todo.extend(ports.get(&n).into_iter().flatten().cloned());
        }
    }
}

/// What `apply --all` applies: every `onboot` definition and what it needs.
pub fn boot_set(config: &Config) -> Config {
    let roots: Vec<&str> = config
        .interfaces
        .iter()
        .filter(|i| i.start_mode == StartMode::Onboot)
        .map(|i| i.name.as_str())
        .collect();
    let wanted = closure(config, roots, true).expect("roots come from the config");
    select(config, &wanted, None)
}

/// The interfaces that cannot be configured without `name`: its master, what is stacked on it
/// (a VLAN), what requires it, and theirs, transitively. What a partial boot leaves out with a missing device.
pub fn dependents(config: &Config, name: &str) -> Vec<String> {
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    let mut todo = vec![name];
    while let Some(n) = todo.pop() {
        for i in &config.interfaces {
            let needs = i.parent.as_deref() == Some(n)
                || i.requires.iter().any(|r| r == n)
                || config.get(n).and_then(|x| x.master.as_deref()) == Some(i.name.as_str());
            if needs && i.name != name && seen.insert(i.name.as_str()) {
                todo.push(i.name.as_str());
            }
        }
    }
    config.interfaces.iter().filter(|i| seen.contains(i.name.as_str())).map(|i| i.name.clone()).collect()
}

/// `roots` plus their ports, and with `parents` their parents and what they require,
/// transitively.
fn closure<'a>(
    config: &'a Config,
    roots: impl IntoIterator<Item = &'a str>,
    parents: bool,
) -> Result<BTreeSet<&'a str>, NotDefined> {
    let mut ports: HashMap<&str, Vec<&str>> = HashMap::new();
    for i in &config.interfaces {
        if let Some(m) = &i.master {
            ports.entry(m.as_str()).or_default().push(i.name.as_str());
        }
    }
    let mut seen = BTreeSet::new();
    let mut todo: Vec<&str> = Vec::new();
    for r in roots {
        let i = config.get(r).ok_or_else(|| NotDefined(r.to_string()))?;
        todo.push(i.name.as_str());
    }
    while let Some(n) = todo.pop() {
        if !seen.insert(n) {
            continue;
        }
        todo.extend(ports.get(n).into_iter().flatten());
        if parents {
            // A parent that is not defined is a device netplug does not manage: leave it.
            let Some(i) = config.get(n) else { continue };
            for p in i.parent.iter().chain(&i.requires).filter_map(|p| config.get(p)) {
                todo.push(p.name.as_str());
            }
        }
    }
    Ok(seen)
}

fn select(config: &Config, names: &BTreeSet<&str>, state: Option<LinkState>) -> Config {
    let interfaces = config
        .interfaces
        .iter()
        .filter(|i| names.contains(i.name.as_str()))
        .cloned()
        .map(|mut i| {
            if let Some(s) = state {
                i.state = s;
            }
            i
        })
        .collect();
    Config { interfaces }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Interface;

    fn iface(name: &str, mode: StartMode, master: Option<&str>, parent: Option<&str>) -> Interface {
        Interface {
            name: name.into(),
            kind: "x".into(),
            start_mode: mode,
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

    fn config() -> Config {
        use StartMode::*;
        Config {
            interfaces: vec![
                iface("eth0", Manual, Some("bond0"), None),
                iface("eth1", Manual, Some("bond0"), None),
                iface("bond0", Manual, Some("br0"), None),
                iface("br0", Onboot, None, None),
                iface("br0.10", Manual, None, Some("br0")),
                iface("lone", Manual, None, None),
            ],
        }
    }

    fn names(c: &Config) -> Vec<&str> {
        c.interfaces.iter().map(|i| i.name.as_str()).collect()
    }

    #[test]
    fn start_brings_ports_and_parents() {
        let c = config();
        assert_eq!(names(&start_set(&c, "br0.10").unwrap()), ["eth0", "eth1", "bond0", "br0", "br0.10"]);
        assert_eq!(names(&start_set(&c, "bond0").unwrap()), ["eth0", "eth1", "bond0"]);
        assert!(start_set(&c, "nope").is_err());
    }

    #[test]
    fn stop_takes_ports_not_parents() {
        let c = config();
        let none = Users::default();
        let s = stop_set(&c, "br0.10", &none).unwrap().config;
        assert_eq!(names(&s), ["br0.10"]);
        assert!(s.interfaces.iter().all(|i| i.state == LinkState::Absent));
        assert_eq!(names(&stop_set(&c, "br0", &none).unwrap().config), ["eth0", "eth1", "bond0", "br0"]);
    }

    #[test]
    fn stop_keeps_shared_ports_and_nfsroot() {
        use StartMode::*;
        let mut c = config();
        c.interfaces.push(iface("bond0.100", Manual, Some("br100"), Some("bond0")));
        c.interfaces.push(iface("br100", Onboot, None, None));
        let users = Users::of(&c, &[]);
        let s = stop_set(&c, "br0", &users).unwrap();
        assert_eq!(names(&s.config), ["br0"]);
        assert_eq!(s.kept, [("bond0".to_string(), "still used by bond0.100".to_string())]);
        // A live VLAN nobody defined counts as much as a defined one.
        let c = config();
        let live = [netplug_plugin_sdk::Envelope {
            name: "bond0.7".into(),
            parent: Some("bond0".into()),
            ..Default::default()
        }];
        let s = stop_set(&c, "br0", &Users::of(&c, &live)).unwrap();
        assert_eq!(names(&s.config), ["br0"]);
        let mut c = config();
        c.interfaces[0].start_mode = Nfsroot;
        let s = stop_set(&c, "bond0", &none_users()).unwrap();
        assert_eq!(names(&s.config), ["eth1", "bond0"]);
        assert_eq!(s.kept[0].0, "eth0");
        c.interfaces[3].start_mode = Nfsroot;
        assert!(matches!(stop_set(&c, "br0", &none_users()), Err(StopError::Nfsroot(_))));
    }

    fn none_users() -> Users {
        Users::default()
    }

    #[test]
    fn dependents_are_masters_and_what_stacks_on_them() {
        let c = config();
        assert_eq!(dependents(&c, "eth0"), ["bond0", "br0", "br0.10"]);
        assert_eq!(dependents(&c, "br0.10"), Vec::<String>::new());
        assert_eq!(dependents(&c, "lone"), Vec::<String>::new());
    }

    #[test]
    fn what_an_interface_requires_is_started_with_it_and_depends_on_it() {
        let mut c = config();
        c.interfaces[5].requires = vec!["br0.10".into()];
        assert_eq!(
            names(&start_set(&c, "lone").unwrap()),
            ["eth0", "eth1", "bond0", "br0", "br0.10", "lone"]
        );
        assert_eq!(dependents(&c, "br0.10"), ["lone"]);
        assert_eq!(dependents(&c, "eth0"), ["bond0", "br0", "br0.10", "lone"]);
    }

    #[test]
    fn boot_is_onboot_and_what_it_needs() {
        assert_eq!(names(&boot_set(&config())), ["eth0", "eth1", "bond0", "br0"]);
    }
}
