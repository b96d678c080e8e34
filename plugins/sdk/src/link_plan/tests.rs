use serde::Serialize;

use super::*;
use crate::plugin::LinkState;

/// A kind with a `size` that changes in place and a `slot` that does not.
struct Thing;

#[derive(Serialize, Debug, PartialEq)]
enum ThingOp {
    Create { size: u32 },
    Resize { size: u32 },
}

fn value(item: &Item, attr: &str) -> Option<u32> {
    item.element.value(attr).and_then(|v| v.parse().ok())
}

impl LinkPlan for Thing {
    type Op = ThingOp;

    fn create(&self, d: &Item, _: &Envelope) -> Result<(ThingOp, Vec<String>), PluginError> {
        let size = value(d, "size")
            .ok_or_else(|| PluginError::new("a thing needs a size").on_interface(&d.interface))?;
        Ok((ThingOp::Create { size }, vec![format!("size {size}")]))
    }

    fn recreate_for(&self, d: &Item, l: &Item) -> Result<Vec<String>, PluginError> {
        let (want, have) = (value(d, "slot"), value(l, "slot"));
        Ok((want.is_some() && want != have)
            .then(|| format!("slot {} (was {})", want.unwrap(), have.unwrap_or_default()))
            .into_iter()
            .collect())
    }

    fn reconfigure(&self, d: &Item, l: &Item) -> Result<Option<(ThingOp, Vec<String>)>, PluginError> {
        let (want, have) = (value(d, "size"), value(l, "size"));
        Ok(want
            .filter(|w| Some(*w) != have)
            .map(|size| (ThingOp::Resize { size }, vec![format!("size {size}")])))
    }

    fn then(&self, d: &Item, l: Option<&Item>, out: &mut Vec<Change>) -> Result<(), PluginError> {
        let ports = MemberPorts::new(std::slice::from_ref(d), std::slice::from_ref(&d.interface));
        out.extend(ports.changes(&d.interface, &d.element, l.map(|l| &l.element)));
        Ok(())
    }
}

fn thing(name: &str, attrs: &[(&str, &str)], members: &[&str], master: Option<&str>) -> Item {
    let mut element = Element::new("thing");
    for (a, v) in attrs {
        element.set_attr(*a, *v);
    }
    for m in members {
        element = element.with_child(Element::new("member").with_attr("device", m));
    }
    let envelope = Envelope {
        name: name.into(),
        kind: "thing".into(),
        state: LinkState::Up,
        mac: Some("02:AA:00:00:00:01".into()),
        master: master.map(str::to_string),
        ..Envelope::default()
    };
    Item { interface: name.into(), kind: "thing".into(), envelope: Some(envelope), element }
}

fn described(changes: &[Change]) -> Vec<String> {
    changes.iter().map(|c| format!("{:?} {}", c.phase, c.description)).collect()
}

fn scope() -> Vec<String> {
    vec!["t0".into()]
}

#[test]
fn a_new_link_is_created_with_its_words_then_set_up_then_given_its_ports() {
    let want = [thing("t0", &[("size", "3")], &["p0", "p1", "p0"], None)];
    let got = plan_links(&Thing, &want, &[], &scope()).unwrap();
    assert_eq!(
        described(&got),
        [
            "Create create thing (size 3, mac 02:aa:00:00:00:01)",
            "Up set up",
            "Enslave enslave p0",
            "Enslave enslave p1"
        ]
    );
    let missing = plan_links(&Thing, &[thing("t0", &[], &[], None)], &[], &scope()).unwrap_err();
    assert_eq!(missing.interface.as_deref(), Some("t0"));
}

#[test]
fn in_place_changes_come_before_the_envelope_and_the_ports() {
    let mut live = thing("t0", &[("size", "3")], &["p0", "hand"], None);
    live.envelope.as_mut().unwrap().mac = Some("02:aa:00:00:00:01".into());
    let want = [thing("t0", &[("size", "4")], &["p1"], None)];
    let got = plan_links(&Thing, &want, std::slice::from_ref(&live), &scope()).unwrap();
    assert_eq!(
        described(&got),
        ["Configure set size 4", "Enslave enslave p1", "Release release p0", "Release release hand"]
    );
    let same = [thing("t0", &[("size", "3")], &["p0", "hand"], None)];
    assert!(plan_links(&Thing, &same, &[live], &scope()).unwrap().is_empty());
}

#[test]
fn what_cannot_change_in_place_is_deleted_and_made_again_back_in_its_master() {
    let live = [thing("t0", &[("size", "3"), ("slot", "1")], &[], Some("br0"))];
    let want = [thing("t0", &[("size", "3"), ("slot", "2")], &[], Some("br0"))];
    let got = plan_links(&Thing, &want, &live, &scope()).unwrap();
    assert_eq!(
        described(&got),
        [
            "Delete delete thing to change slot 2 (was 1)",
            "Create create thing again (size 3, mac 02:aa:00:00:00:01)",
            "Up set up",
            "Enslave enslave to br0 again",
        ]
    );
}

#[test]
fn absent_or_undesired_links_in_scope_are_deleted_and_others_left_alone() {
    let live = [thing("t0", &[], &[], None), thing("other", &[], &[], None)];
    let mut absent = thing("t0", &[], &[], None);
    absent.envelope.as_mut().unwrap().state = LinkState::Absent;
    for want in [vec![absent], vec![]] {
        assert_eq!(described(&plan_links(&Thing, &want, &live, &scope()).unwrap()), ["Delete delete thing"]);
    }
}

#[test]
fn a_port_another_master_in_scope_lists_is_moved_not_released() {
    let desired = [thing("a", &[], &[], None), thing("b", &[], &["p0"], None)];
    let ports = MemberPorts::new(&desired, &["a".into(), "b".into()]);
    let live_a = Element::new("thing").with_child(Element::new("member").with_attr("device", "p0"));
    assert!(ports.changes("a", &desired[0].element, Some(&live_a)).is_empty());
}
