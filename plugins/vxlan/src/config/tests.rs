use netplug_plugin_sdk::{Element, Envelope, LinkState};

use super::*;

fn at(line: u32, col: u32) -> Span {
    Span { file: 0, start: 0, end: 0, line, col }
}

/// `<vxlan name=NAME attrs..>` on line `line`, each attribute value at column 10·(i+1).
fn vxlan(line: u32, name: &str, attrs: &[(&str, &str)]) -> Item {
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
    let envelope =
        Envelope { name: name.into(), kind: KIND.into(), state: LinkState::Up, ..Envelope::default() };
    Item { interface: name.into(), kind: KIND.into(), envelope: Some(envelope), element: el }
}

fn messages(items: &[Item]) -> Vec<(u32, u32, String)> {
    validate(items).diagnostics.into_iter().map(|d| (d.span.line, d.span.col, d.message)).collect()
}

#[test]
fn a_complete_vxlan_is_fine_and_its_device_comes_first() {
    let v = validate(&[vxlan(
        1,
        "vx0",
        &[("id", "42"), ("local", "192.0.2.1"), ("remote", "192.0.2.2"), ("device", "eth0"), ("ttl", "64")],
    )]);
    assert!(v.diagnostics.is_empty(), "{:?}", v.diagnostics);
    assert_eq!(v.dependencies.len(), 1);
    assert_eq!((v.dependencies[0].to.as_str(), v.dependencies[0].relation), ("eth0", Relation::Parent));
    let group = [vxlan(1, "vx0", &[("id", "1"), ("group", "ff05::100"), ("device", "eth0")])];
    assert!(messages(&group).is_empty());
}

#[test]
fn every_rule_points_at_its_value() {
    assert_eq!(messages(&[vxlan(2, "vx0", &[])]), [(2, 1, "<vxlan> needs a `id` attribute".to_string())]);
    let got = messages(&[vxlan(3, "vx0", &[("id", "16777216"), ("remote", "239.1.1.1"), ("ttl", "0")])]);
    assert_eq!(
        got,
        [
            (3, 10, "invalid id `16777216`: must be between 0 and 16777215".to_string()),
            (3, 20, "invalid remote `239.1.1.1`: a multicast address is a group, not a remote".to_string()),
            (3, 30, "invalid ttl `0`: expected 1-255, inherit or auto".to_string()),
        ]
    );
    let got = messages(&[vxlan(4, "vx0", &[("id", "1"), ("group", "192.0.2.9"), ("local", "2001:db8::1")])]);
    assert_eq!(
        got,
        [
            (4, 20, "invalid group `192.0.2.9`: a group must be a multicast address".to_string()),
            (4, 30, "invalid local `2001:db8::1`: the local address and the remote or group must be of one family".to_string()),
        ]
    );
    let got = messages(&[vxlan(
        5,
        "vx0",
        &[("id", "1"), ("group", "239.1.1.1"), ("srcport", "9-1"), ("lerning", "no")],
    )]);
    assert_eq!(
        got,
        [
            (5, 35, "unknown attribute `lerning` on <vxlan>".to_string()),
            (5, 20, "invalid group `239.1.1.1`: a multicast group needs a device to join it on".to_string()),
            (
                5,
                30,
                "invalid srcport `9-1`: expected MIN-MAX, two ports 1-65535 with MIN no more than MAX"
                    .to_string()
            ),
        ]
    );
}

#[test]
fn one_vni_per_port_and_local_address() {
    let two = [
        vxlan(1, "vx0", &[("id", "7")]),
        vxlan(2, "vx1", &[("id", "7"), ("dstport", "4789")]),
        vxlan(3, "vx2", &[("id", "7"), ("dstport", "8472")]),
    ];
    assert_eq!(messages(&two), [(2, 10, "another VXLAN already has VNI 7 on port 4789".to_string())]);
}

#[test]
fn removal_needs_only_the_name() {
    let mut gone = vxlan(1, "vx0", &[]);
    gone.envelope.as_mut().unwrap().state = LinkState::Absent;
    assert!(messages(&[gone]).is_empty());
}

#[test]
fn an_external_vxlan_needs_no_id_and_df_and_flowlabel_are_checked() {
    assert!(messages(&[vxlan(1, "vxm", &[("external", "yes"), ("df", "inherit")])]).is_empty());
    assert!(messages(&[vxlan(2, "vx6", &[("id", "6"), ("remote", "2001:db8::2"), ("flowlabel", "7")])])
        .is_empty());
    assert_eq!(
        messages(&[vxlan(4, "vx4", &[("id", "4"), ("remote", "192.0.2.2"), ("flowlabel", "7")])]),
        [(4, 30, "invalid flowlabel `7`: a flow label is an IPv6 header's: this VXLAN is IPv4".to_string())]
    );
    assert_eq!(
        messages(&[vxlan(
            3,
            "vx0",
            &[
                ("id", "1"),
                ("df", "maybe"),
                ("flowlabel", "1048576"),
                ("external", "perhaps"),
                ("local", "::1")
            ]
        )]),
        [
            (3, 20, "invalid df `maybe`: expected one of unset, set, inherit".to_string()),
            (3, 30, "invalid flowlabel `1048576`: must be between 0 and 1048575".to_string()),
            (3, 40, "invalid external `perhaps`: expected yes or no".to_string()),
        ]
    );
}
