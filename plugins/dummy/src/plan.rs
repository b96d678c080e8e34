//! Live → desired: create the dummies the documents add (with their MTU and MAC in the one
//! request), change the envelope of those that exist, delete those removed. The kernel can
//! change everything a dummy has in place, so none is ever made again.

use netplug_plugin_sdk::netlink::{plan_links, LinkPlan};
use netplug_plugin_sdk::{Change, Envelope, Item, PluginError};
use serde::{Deserialize, Serialize};

/// The dummy plugin's own operation; everything else is one of the SDK's
/// [`LinkOp`](netplug_plugin_sdk::netlink::LinkOp)s.
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
    plan_links(&Dummies, desired, live, scope)
}

/// A dummy has nothing of its own: the envelope is all there is to plan.
struct Dummies;

impl LinkPlan for Dummies {
    type Op = DummyOp;

    fn create(&self, d: &Item, env: &Envelope) -> Result<(DummyOp, Vec<String>), PluginError> {
        Ok((
            DummyOp::CreateDummy { name: d.interface.clone(), mtu: env.mtu, mac: env.mac.clone() },
            Vec::new(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use netplug_plugin_sdk::netlink::KindOp;
    use netplug_plugin_sdk::{Element, LinkState, Phase};

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
