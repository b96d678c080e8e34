use netplug_plugin_sdk::{Element, LinkState, Phase};

use super::*;

fn vxlan(name: &str, attrs: &[(&str, &str)]) -> Item {
    let mut element = Element::new("vxlan");
    for (k, v) in attrs {
        element.set_attr(*k, *v);
    }
    let envelope =
        Envelope { name: name.into(), kind: "vxlan".into(), state: LinkState::Up, ..Envelope::default() };
    Item { interface: name.into(), kind: "vxlan".into(), envelope: Some(envelope), element }
}

/// The item as the kernel reads it back: every option with its default where not given.
fn with_kernel_defaults(item: &Item) -> Item {
    let mut element = Element::new("vxlan");
    Options::of(&item.element).unwrap().with_defaults().write(&mut element);
    Item { element, ..item.clone() }
}

#[test]
fn a_default_left_out_is_made_true() {
    let live = [with_kernel_defaults(&vxlan("vx0", &[("id", "42"), ("dstport", "8472")]))];
    let got = plan(&[vxlan("vx0", &[("id", "42")])], &live, &scope(&["vx0"])).unwrap();
    assert_eq!(got[0].description, "delete vxlan to change dstport 4789 (was 8472)");
    let live = [with_kernel_defaults(&vxlan("vx0", &[("id", "42"), ("learning", "no")]))];
    let got = plan(&[vxlan("vx0", &[("id", "42")])], &live, &scope(&["vx0"])).unwrap();
    assert_eq!(described(&got), [(Phase::Configure, "set learning yes (was no)")]);
}

fn scope(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

fn described(changes: &[Change]) -> Vec<(Phase, &str)> {
    changes.iter().map(|c| (c.phase, c.description.as_str())).collect()
}

#[test]
fn a_new_vxlan_is_created_with_every_option_and_set_up() {
    let want = [vxlan("vx0", &[("id", "42"), ("remote", "192.0.2.2"), ("device", "eth0")])];
    let got = plan(&want, &[], &scope(&["vx0"])).unwrap();
    assert_eq!(
        described(&got),
        [(Phase::Create, "create vxlan (id 42, remote 192.0.2.2, device eth0)"), (Phase::Up, "set up")]
    );
}

#[test]
fn changes_the_kernel_takes_are_made_in_place() {
    let live = [with_kernel_defaults(&vxlan("vx0", &[("id", "42"), ("remote", "192.0.2.2")]))];
    let want = [vxlan("vx0", &[("id", "42"), ("remote", "192.0.2.3"), ("ttl", "32"), ("learning", "no")])];
    let got = plan(&want, &live, &scope(&["vx0"])).unwrap();
    assert_eq!(
        described(&got),
        [(
            Phase::Configure,
            "set remote 192.0.2.3 (was 192.0.2.2), ttl 32 (was auto), learning no (was yes)"
        )]
    );
    assert!(plan(&live, &live, &scope(&["vx0"])).unwrap().is_empty());
}

#[test]
fn fixed_options_make_it_again_in_its_bridge() {
    let live = [with_kernel_defaults(&vxlan("vx0", &[("id", "42")]))];
    let mut want = vxlan("vx0", &[("id", "43"), ("dstport", "4789"), ("proxy", "yes")]);
    want.envelope.as_mut().unwrap().master = Some("br0".into());
    let got = plan(&[want], &live, &scope(&["vx0"])).unwrap();
    assert_eq!(
        described(&got),
        [
            (Phase::Delete, "delete vxlan to change id 43 (was 42), proxy yes (was no)"),
            (Phase::Create, "create vxlan again (id 43, dstport 4789, proxy yes)"),
            (Phase::Up, "set up"),
            (Phase::Enslave, "enslave to br0 again"),
        ]
    );
}

#[test]
fn removed_vxlans_are_deleted() {
    let live = [vxlan("vx0", &[("id", "1")])];
    let mut absent = vxlan("vx0", &[]);
    absent.envelope.as_mut().unwrap().state = LinkState::Absent;
    for want in [vec![absent], vec![]] {
        assert_eq!(
            described(&plan(&want, &live, &scope(&["vx0"])).unwrap()),
            [(Phase::Delete, "delete vxlan")]
        );
    }
}
