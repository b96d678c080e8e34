//! Live → desired: create the dummies the documents add (with their MTU and MAC in the one
//! request), change the envelope of those that exist, delete those removed. The kernel can
//! change everything a dummy has in place, so none is ever made again.

use std::collections::HashMap;

use netplug_plugin_sdk::netlink::{envelope_changes, KindOp, LinkOp};
use netplug_plugin_sdk::netlink::{format_mac, parse_mac};
use netplug_plugin_sdk::{Change, Envelope, Item, Phase, PluginError};
use serde::{Deserialize, Serialize};

/// The dummy plugin's own operation; everything else is one of the SDK's [`LinkOp`]s.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum DummyOp {
    /// Create the dummy with its MTU and MAC.
    CreateDummy {
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mtu: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mac: Option<String>,
    },
}

/// The changes that turn `live` into `desired` for the dummies in `scope`.
pub fn plan(desired: &[Item], live: &[Item], scope: &[String]) -> Result<Vec<Change>, PluginError> {
    let want: HashMap<&str, &Item> =
        desired.iter().filter(|i| !i.is_absent()).map(|i| (i.interface.as_str(), i)).collect();
    let have: HashMap<&str, &Item> = live.iter().map(|i| (i.interface.as_str(), i)).collect();
    let mut out = Vec::new();
    for name in scope {
        let name = name.as_str();
        match (want.get(name), have.get(name)) {
            (None, None) => {}
            (None, Some(_)) => {
                out.push(LinkOp::Delete { name: name.into() }.change(name, Phase::Delete, "delete dummy"))
            }
            (Some(d), None) => {
                let env = normalized(&d.envelope_or_default());
                let mut what = Vec::new();
                what.extend(env.mtu.map(|m| format!("mtu {m}")));
                what.extend(env.mac.as_ref().map(|m| format!("mac {m}")));
                let what = if what.is_empty() { String::new() } else { format!(" ({})", what.join(", ")) };
                let op = DummyOp::CreateDummy { name: name.into(), mtu: env.mtu, mac: env.mac.clone() };
                out.push(KindOp::Kind(op).change(name, Phase::Create, format!("create dummy{what}")));
                out.extend(envelope_changes(&env, None));
            }
            (Some(d), Some(l)) => {
                if let Some(live_env) = &l.envelope {
                    out.extend(envelope_changes(&normalized(&d.envelope_or_default()), Some(live_env)));
                }
            }
        }
    }
    Ok(out)
}

/// The envelope with its MAC spelled as the kernel reads back (lower case), so a document
/// writing `02:AA:…` does not plan a change on every run.
fn normalized(e: &Envelope) -> Envelope {
    let mac = e.mac.as_deref().map(|m| parse_mac(m).map(|b| format_mac(&b)).unwrap_or_else(|| m.to_string()));
    Envelope { mac, ..e.clone() }
}

#[cfg(test)]
mod tests {
    use netplug_plugin_sdk::{Element, LinkState};

    use super::*;

    fn dummy(name: &str, state: LinkState, mtu: Option<u32>, mac: Option<&str>) -> Item {
        let envelope = Envelope {
            name: name.into(),
            kind: "dummy".into(),
            state,
            mtu,
            mac: mac.map(str::to_string),
            ..Envelope::default()
        };
        Item {
            interface: name.into(),
            kind: "dummy".into(),
            envelope: Some(envelope),
            element: Element::new("dummy"),
        }
    }

    fn scope(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn described(changes: &[Change]) -> Vec<(Phase, &str)> {
        changes.iter().map(|c| (c.phase, c.description.as_str())).collect()
    }

    #[test]
    fn create_carries_mtu_and_mac_and_up_follows() {
        let want = [dummy("d0", LinkState::Up, Some(9000), Some("02:AA:00:00:00:01"))];
        let got = plan(&want, &[], &scope(&["d0"])).unwrap();
        assert_eq!(
            described(&got),
            [(Phase::Create, "create dummy (mtu 9000, mac 02:aa:00:00:00:01)"), (Phase::Up, "set up")]
        );
        assert_eq!(
            got[0].op::<KindOp<DummyOp>>().unwrap(),
            KindOp::Kind(DummyOp::CreateDummy {
                name: "d0".into(),
                mtu: Some(9000),
                mac: Some("02:aa:00:00:00:01".into())
            })
        );
    }

    #[test]
    fn the_envelope_changes_in_place_and_a_match_needs_nothing() {
        let live = [dummy("d0", LinkState::Up, Some(1500), Some("02:aa:00:00:00:01"))];
        let want = [dummy("d0", LinkState::Down, Some(9000), Some("02:AA:00:00:00:02"))];
        let got = plan(&want, &live, &scope(&["d0"])).unwrap();
        assert_eq!(
            described(&got),
            [
                (Phase::Configure, "set mtu 9000 (was 1500)"),
                (Phase::Configure, "set mac 02:aa:00:00:00:02 (was 02:aa:00:00:00:01)"),
                (Phase::Down, "set down"),
            ]
        );
        let same = [dummy("d0", LinkState::Up, None, Some("02:AA:00:00:00:01"))];
        assert!(plan(&same, &live, &scope(&["d0"])).unwrap().is_empty());
    }

    #[test]
    fn absent_or_undesired_dummies_are_deleted_and_others_left_alone() {
        let live = [dummy("d0", LinkState::Up, None, None), dummy("other", LinkState::Up, None, None)];
        for want in [vec![dummy("d0", LinkState::Absent, None, None)], vec![]] {
            let got = plan(&want, &live, &scope(&["d0"])).unwrap();
            assert_eq!(described(&got), [(Phase::Delete, "delete dummy")]);
        }
        assert!(plan(&[], &[], &scope(&["d0"])).unwrap().is_empty());
    }
}
