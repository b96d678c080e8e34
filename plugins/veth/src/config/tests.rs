use netplug_plugin_sdk::{Attribute, Element, Span};

use super::*;

fn at(line: u32, col: u32) -> Span {
    Span { file: 0, start: 0, end: 0, line, col }
}

/// `<veth name=NAME attrs..>` on line `line`, each attribute value at column 10·(i+1).
fn veth(line: u32, name: &str, attrs: &[(&str, &str)], state: LinkState) -> Item {
    let mut el = Element::new(KIND);
    el.span = at(line, 1);
    for (i, (n, v)) in attrs.iter().enumerate() {
        let col = 10 * (i as u32 + 1);
        el.attributes.push(Attribute {
            name: n.to_string(),
            value: v.to_string(),
            span: at(line, col - 5),
            value_span: at(line, col),
        });
    }
    let envelope = Envelope { name: name.into(), kind: KIND.into(), state, ..Envelope::default() };
    Item { interface: name.into(), kind: KIND.into(), envelope: Some(envelope), element: el }
}

fn messages(items: &[Item]) -> Vec<(u32, u32, String, Option<String>)> {
    validate(items).diagnostics.into_iter().map(|d| (d.span.line, d.span.col, d.message, d.help)).collect()
}

#[test]
fn a_pair_with_a_peer_is_fine() {
    assert!(messages(&[veth(1, "v0", &[("peer", "v0p")], LinkState::Up)]).is_empty());
    let both = [
        veth(1, "v0", &[("peer", "v0p")], LinkState::Up),
        veth(2, "v0p", &[("peer", "v0")], LinkState::Down),
    ];
    assert!(messages(&both).is_empty());
    // A peer in another namespace may have this end's name.
    assert!(
        messages(&[veth(1, "eth0", &[("peer", "eth0"), ("peer-netns", "ctr1")], LinkState::Up)]).is_empty()
    );
}

#[test]
fn unknown_attributes_get_hints() {
    let got =
        messages(&[veth(3, "v0", &[("peer", "v0p"), ("mut", "9000"), ("peer_netns", "x")], LinkState::Up)]);
    assert_eq!(
        got,
        [
            (3, 15, "unknown attribute `mut` on <veth>".to_string(), Some("did you mean `mtu`?".to_string())),
            (
                3,
                25,
                "unknown attribute `peer_netns` on <veth>".to_string(),
                Some("did you mean `peer-netns`?".to_string())
            ),
        ]
    );
}

#[test]
fn a_missing_peer_is_a_warning_and_nothing_when_removing() {
    let got = messages(&[veth(2, "v0", &[], LinkState::Up)]);
    assert_eq!(got.len(), 1);
    assert_eq!((got[0].0, got[0].1), (2, 1), "points at the element");
    assert_eq!(got[0].2, "<veth> has no `peer`: v0 must exist already");
    let severity = validate(&[veth(2, "v0", &[], LinkState::Up)]).diagnostics[0].severity;
    assert_eq!(
        severity,
        netplug_plugin_sdk::Severity::Warning,
        "show's output for a peer it cannot name applies back"
    );
    assert!(messages(&[veth(2, "v0", &[], LinkState::Absent)]).is_empty());
}

#[test]
fn bad_peer_and_namespace_names_point_at_the_value() {
    let got = messages(&[veth(4, "v0", &[("peer", "v0")], LinkState::Up)]);
    assert_eq!(got, [(4, 10, "invalid peer `v0`: a veth's peer needs a name of its own".to_string(), None)]);
    let got = messages(&[veth(4, "v0", &[("peer", "a-name-far-too-long")], LinkState::Up)]);
    assert_eq!((got[0].0, got[0].1), (4, 10));
    assert!(got[0].2.contains("at most 15 bytes"), "{}", got[0].2);
    let got = messages(&[veth(5, "v0", &[("peer", "p"), ("peer-netns", "../etc")], LinkState::Up)]);
    assert_eq!((got[0].0, got[0].1), (5, 20));
    assert_eq!(
        got[0].2,
        "invalid peer-netns `../etc`: must be a file name under /run/netns (no `/`, not `.` or `..`)"
    );
}

#[test]
fn ends_must_agree() {
    let crossed =
        [veth(1, "v0", &[("peer", "v1")], LinkState::Up), veth(2, "v1", &[("peer", "v2")], LinkState::Up)];
    assert_eq!(messages(&crossed)[0].2, "invalid peer `v1`: v1 is declared with peer=\"v2\", not v0");

    let shared =
        [veth(1, "v0", &[("peer", "p")], LinkState::Up), veth(2, "v1", &[("peer", "p")], LinkState::Up)];
    assert_eq!(
        messages(&shared),
        [(
            2,
            10,
            "invalid peer `p`: p is already the peer of v0".to_string(),
            Some("each veth end belongs to exactly one pair".to_string())
        )]
    );
    // The same peer name in two namespaces is two peers.
    let apart = [
        veth(1, "v0", &[("peer", "eth0"), ("peer-netns", "a")], LinkState::Up),
        veth(2, "v1", &[("peer", "eth0"), ("peer-netns", "b")], LinkState::Up),
    ];
    assert!(messages(&apart).is_empty());

    let half = [
        veth(1, "v0", &[("peer", "v0p")], LinkState::Up),
        veth(2, "v0p", &[("peer", "v0")], LinkState::Absent),
    ];
    let got = messages(&half);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].2.starts_with("v0p is to be removed but its peer v0 is to stay"), "{}", got[0].2);
}

#[test]
fn a_peer_in_another_namespace_is_not_declared_here() {
    let both = [
        veth(1, "v0", &[("peer", "v0p"), ("peer-netns", "ctr1")], LinkState::Up),
        veth(2, "v0p", &[("peer", "v0")], LinkState::Up),
    ];
    assert_eq!(
        messages(&both),
        [(
            1,
            20,
            "invalid peer-netns `ctr1`: v0p is created in namespace ctr1, so it cannot be declared here too"
                .to_string(),
            Some("configure v0p with `netplug --netns ctr1`".to_string())
        )]
    );
}
