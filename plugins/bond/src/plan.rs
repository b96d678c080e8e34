//! Live → desired: the changes that create, reconfigure, re-slave and delete bonds.
//!
//! The kernel takes some options only in a given state (`BOND_OPTFLAG_*`): `mode` with the bond
//! down and without slaves, `fail_over_mac` without slaves, the LACP options and
//! `tlb_dynamic_lb` with the bond down. When one of those changes, the plan sets the bond down
//! (phase Down), releases every slave (Release), sets the options (Configure), enslaves the
//! desired slaves again (Enslave) and sets the bond up (Up); core runs each phase for every
//! interface before the next, so this holds whatever else the run does.
//!
//! A mode change also resets options behind the plan's back (`arp_validate`, and `miimon` in
//! the modes without ARP monitoring), so with a mode change every desired option is sent, not
//! only those that differ; likewise the delays with a `miimon` change, since the kernel keeps
//! them in MII intervals.

use std::collections::{HashMap, HashSet};

use netplug_plugin_sdk::netlink::{envelope_changes, KindOp, LinkOp};
use netplug_plugin_sdk::schema::parse_bool;
use netplug_plugin_sdk::{Change, Item, LinkState, Phase, PluginError};
use serde::{Deserialize, Serialize};

use crate::options::{self, effective_miimon, BondOption, Needs, Text, Value, OPTIONS};
use crate::values::BondMode;

/// The bond plugin's own operations; everything else is one of the SDK's [`LinkOp`]s.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum BondOp {
    /// Create the bond with these options (as the format writes them), MAC and MTU.
    Create {
        name: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        options: Vec<(String, String)>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mtu: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mac: Option<String>,
    },
    /// Change options of an existing bond; `primary` names the primary slave (empty: none).
    SetOptions {
        name: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        options: Vec<(String, String)>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        primary: Option<String>,
    },
    /// Set `name` down (the kernel refuses to enslave an up device: "Device can not be
    /// enslaved while up") and enslave it; the bond sets it up again itself.
    AddSlave { name: String, bond: String },
    /// Release `name`, leaving it up if it was (releasing closes it).
    RemoveSlave { name: String },
}

impl BondOp {
    fn change(&self, interface: &str, phase: Phase, description: String) -> Change {
        KindOp::Kind(self).change(interface, phase, description)
    }
}

/// A `<bond>` element, parsed.
struct Bond<'a> {
    options: Vec<(&'static BondOption, Value)>,
    slaves: Vec<&'a str>,
    /// The slave marked `primary="yes"`.
    primary: Option<&'a str>,
    /// Slaves marked `primary="no"`.
    not_primary: HashSet<&'a str>,
}

impl<'a> Bond<'a> {
    fn parse(item: &'a Item) -> Result<Bond<'a>, PluginError> {
        let el = &item.element;
        let mut options = Vec::new();
        for o in OPTIONS {
            let Some(text) = el.value(o.name) else { continue };
            // num_grat_arp and num_unsol_na set the same kernel value; take the first given.
            if options.iter().any(|(p, _): &(&BondOption, Value)| p.attr == o.attr) {
                continue;
            }
            let v = o.parse(text).ok_or_else(|| {
                PluginError::new(format!("invalid {} `{text}`", o.name)).on_interface(&item.interface)
            })?;
            options.push((o, v));
        }
        let mut bond = Bond { options, slaves: Vec::new(), primary: None, not_primary: HashSet::new() };
        for s in el.children_named("slave") {
            let Some(dev) = s.value("device").map(str::trim) else { continue };
            if !bond.slaves.contains(&dev) {
                bond.slaves.push(dev);
            }
            match s.value("primary").and_then(parse_bool) {
                Some(true) if bond.primary.is_none() => bond.primary = Some(dev),
                Some(false) => {
                    bond.not_primary.insert(dev);
                }
                _ => {}
            }
        }
        Ok(bond)
    }

    fn value(&self, name: &str) -> Option<&Value> {
        let attr = options::find(name)?.attr;
        self.options.iter().find(|(o, _)| o.attr == attr).map(|(_, v)| v)
    }

    fn num(&self, name: &str) -> Option<u32> {
        match self.value(name) {
            Some(Value::Num(n)) => Some(*n),
            _ => None,
        }
    }

    fn mode(&self) -> Option<BondMode> {
        self.num("mode").map(|m| BondMode::from(m as u8))
    }
}

/// The changes that turn `live` into `desired` for the bonds in `scope`.
pub fn plan(desired: &[Item], live: &[Item], scope: &[String]) -> Result<Vec<Change>, PluginError> {
    let want: HashMap<&str, &Item> =
        desired.iter().filter(|i| !i.is_absent()).map(|i| (i.interface.as_str(), i)).collect();
    let have: HashMap<&str, &Item> = live.iter().map(|i| (i.interface.as_str(), i)).collect();
    let mut claimed = HashSet::new();
    for item in scope.iter().filter_map(|n| want.get(n.as_str())) {
        claimed.extend(Bond::parse(item)?.slaves);
    }
    let mut out = Vec::new();
    for name in scope {
        match (want.get(name.as_str()), have.get(name.as_str())) {
            (None, None) => {}
            (None, Some(_)) => {
                out.push(LinkOp::Delete { name: name.clone() }.change(name, Phase::Delete, "delete bond"))
            }
            (Some(d), None) => create(d, &mut out)?,
            (Some(d), Some(l)) => update(d, l, &claimed, &mut out)?,
        }
    }
    Ok(out)
}

/// `(name, text)` pairs for a payload, leaving out delays the kernel would refuse: it takes
/// none, not even 0, while MII monitoring is off (EPERM, `bond_option_updelay_set`).
fn payload(options: &[(&'static BondOption, Value)], miimon: u32) -> Vec<(String, String)> {
    options
        .iter()
        .filter(|(o, v)| !(o.text == Text::Delay && miimon == 0 && *v == Value::Num(0)))
        .map(|(o, v)| (o.name.to_string(), o.format(v)))
        .collect()
}

fn create(d: &Item, out: &mut Vec<Change>) -> Result<(), PluginError> {
    let name = d.interface.as_str();
    let env = d.envelope_or_default();
    let bond = Bond::parse(d)?;
    let miimon = effective_miimon(bond.num("miimon"), None, Some(bond.mode().unwrap_or(BondMode::BalanceRr)));
    let options = payload(&bond.options, miimon);
    let mut what: Vec<String> = options.iter().map(|(n, v)| format!("{n} {v}")).collect();
    what.extend(env.mtu.map(|m| format!("mtu {m}")));
    what.extend(env.mac.as_ref().map(|m| format!("mac {m}")));
    let description = if what.is_empty() {
        "create bond".to_string()
    } else {
        format!("create bond ({})", what.join(", "))
    };
    let op = BondOp::Create { name: name.to_string(), options, mtu: env.mtu, mac: env.mac.clone() };
    out.push(op.change(name, Phase::Create, description));
    // The primary is given by name and must exist, so it is set once every link is created.
    if let Some(p) = bond.primary {
        let op =
            BondOp::SetOptions { name: name.to_string(), options: Vec::new(), primary: Some(p.to_string()) };
        out.push(op.change(name, Phase::Configure, format!("set primary {p}")));
    }
    out.extend(envelope_changes(&env, None));
    out.extend(bond.slaves.iter().map(|s| add_slave(name, s, "")));
    Ok(())
}

fn update(d: &Item, l: &Item, claimed: &HashSet<&str>, out: &mut Vec<Change>) -> Result<(), PluginError> {
    let name = d.interface.as_str();
    let want = Bond::parse(d)?;
    let have = Bond::parse(l)?;
    let mode = want.mode().or(have.mode());
    let miimon = effective_miimon(want.num("miimon"), have.num("miimon"), mode);

    let mut what = Vec::new();
    let mut changed: Vec<&'static str> = Vec::new();
    for (o, v) in &want.options {
        let was = have.value(o.name);
        if was.is_some_and(|w| o.same(v, w, miimon)) {
            continue;
        }
        changed.push(o.name);
        what.push(match was {
            Some(w) => format!("{} {} (was {})", o.name, o.format(v), o.format(w)),
            None => format!("{} {}", o.name, o.format(v)),
        });
    }
    let mode_changed = changed.contains(&"mode");
    let send: Vec<(&'static BondOption, Value)> = want
        .options
        .iter()
        .filter(|(o, _)| {
            mode_changed
                || changed.contains(&o.name)
                || (o.text == Text::Delay && changed.contains(&"miimon"))
        })
        .cloned()
        .collect();

    let live_primary = have.primary;
    let primary = match want.primary {
        Some(p) if live_primary != Some(p) || mode_changed => Some(p.to_string()),
        None => live_primary.filter(|p| want.not_primary.contains(p)).map(|_| String::new()),
        _ => None,
    };
    match primary.as_deref() {
        Some("") => what.push("primary none".to_string()),
        Some(p) if live_primary != Some(p) => what.push(format!("primary {p}")),
        _ => {}
    }

    // The kernel checks the bond's state before the value, so an option sent unchanged (after
    // a mode change) needs that state as much as a changed one.
    let needs = send.iter().fold(Needs::default(), |n, (o, _)| Needs {
        down: n.down || o.needs.down,
        no_slaves: n.no_slaves || o.needs.no_slaves,
    });
    let why = send.iter().filter(|(o, _)| o.needs != Needs::default()).map(|(o, _)| o.name);
    let why = why.collect::<Vec<_>>().join(", ");
    let mut live_env = l.envelope_or_default();
    if needs.down && live_env.state == LinkState::Up {
        out.push(LinkOp::Down { name: name.to_string() }.change(
            name,
            Phase::Down,
            format!("set down to change {why}"),
        ));
        live_env.state = LinkState::Down;
    }
    let empty_first = needs.no_slaves && !have.slaves.is_empty();
    if empty_first {
        // Releasing the last slave gives the bond a random address, and the first slave
        // enslaved then lends it its own (bond_enslave): a desired address is set again.
        live_env.mac = None;
        for s in &have.slaves {
            let op = BondOp::RemoveSlave { name: s.to_string() };
            out.push(op.change(name, Phase::Release, format!("release {s} to change {why}")));
        }
    }
    if !send.is_empty() || primary.is_some() {
        let op = BondOp::SetOptions { name: name.to_string(), options: payload(&send, miimon), primary };
        out.push(op.change(name, Phase::Configure, format!("set {}", what.join(", "))));
    }
    out.extend(envelope_changes(&d.envelope_or_default(), Some(&live_env)));
    if empty_first {
        out.extend(want.slaves.iter().map(|s| add_slave(name, s, " again")));
    } else {
        out.extend(want.slaves.iter().filter(|s| !have.slaves.contains(s)).map(|s| add_slave(name, s, "")));
        for s in have.slaves.iter().filter(|s| !want.slaves.contains(s) && !claimed.contains(*s)) {
            out.push(BondOp::RemoveSlave { name: s.to_string() }.change(
                name,
                Phase::Release,
                format!("release {s}"),
            ));
        }
    }
    Ok(())
}

fn add_slave(bond: &str, slave: &str, again: &str) -> Change {
    BondOp::AddSlave { name: slave.to_string(), bond: bond.to_string() }.change(
        bond,
        Phase::Enslave,
        format!("enslave {slave}{again}"),
    )
}

#[cfg(test)]
mod tests;
