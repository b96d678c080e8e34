//! Which stored definitions a lifecycle verb acts on: `start NAME` (the interface and what it
//! needs), `stop NAME` (the interface and its ports), `apply --all` (every `onboot` definition
//! and what those need). The answer is a [`Config`] that the ordinary engine then applies, so
//! the lifecycle verbs get planning, verification and rollback for free.
//!
//! `stop` takes down the interface and its ports (a bridge's members, a bond's slaves), not its
//! parent: a VLAN's parent usually carries other VLANs too, as `ifdown eth0.10` leaves `eth0`
//! alone. `start` brings up the parent chain as well, since a VLAN cannot be up without it.

use std::collections::{BTreeSet, HashMap};

use netplug_plugin_sdk::LinkState;

use crate::model::{Config, StartMode};

/// `name` is not among the definitions.
#[derive(Debug, thiserror::Error)]
#[error("{0}: no such defined interface")]
pub struct NotDefined(pub String);

/// The interfaces `start name` brings up: `name`, its ports (recursively) and its parents
/// (recursively), as defined. `config` must have been validated, so masters are filled in.
pub fn start_set(config: &Config, name: &str) -> Result<Config, NotDefined> {
    let wanted = closure(config, [name], true)?;
    Ok(select(config, &wanted, None))
}

/// The interfaces `stop name` takes down, all marked `absent`: `name` and its ports. Removing
/// a virtual link deletes it; an ethernet device is set down and stripped of what netplug
/// configured on it.
pub fn stop_set(config: &Config, name: &str) -> Result<Config, NotDefined> {
    let wanted = closure(config, [name], false)?;
    Ok(select(config, &wanted, Some(LinkState::Absent)))
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

/// `roots` plus their ports, and with `parents` their parents, transitively.
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
            if let Some(p) = config.get(n).and_then(|i| i.parent.as_deref()).and_then(|p| config.get(p)) {
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
        let s = stop_set(&c, "br0.10").unwrap();
        assert_eq!(names(&s), ["br0.10"]);
        assert!(s.interfaces.iter().all(|i| i.state == LinkState::Absent));
        assert_eq!(names(&stop_set(&c, "br0").unwrap()), ["eth0", "eth1", "bond0", "br0"]);
    }

    #[test]
    fn boot_is_onboot_and_what_it_needs() {
        assert_eq!(names(&boot_set(&config())), ["eth0", "eth1", "bond0", "br0"]);
    }
}
