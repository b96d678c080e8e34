//! The plan diff, from items alone.

use netplug_plugin_sdk::{Change, Element, Envelope, Item, LinkState, Phase};

use super::plan;
use crate::apply::{Op, RouteOp};

fn item(iface: &str, attrs: &[(&str, &str)]) -> Item {
    let element = attrs.iter().fold(Element::new("route"), |el, (k, v)| el.with_attr(*k, *v));
    let envelope = Envelope { name: iface.into(), kind: "ethernet".into(), ..Default::default() };
    Item { interface: iface.into(), kind: "ethernet".into(), envelope: Some(envelope), element }
}

fn scope(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

/// `PHASE interface: description`.
fn show(changes: &[Change]) -> Vec<String> {
    changes.iter().map(|c| format!("{:?} {}: {}", c.phase, c.interface, c.description)).collect()
}

#[test]
fn missing_routes_are_added_and_matching_ones_left_alone() {
    let want = [
        item("eth0", &[("gateway", "10.0.0.254")]),
        item("eth0", &[("destination", "10.9.0.0/16")]),
        item("eth0", &[("destination", "2001:db8::/32"), ("gateway", "2001:db8:1::1"), ("metric", "1024")]),
    ];
    let live = [item("eth0", &[("destination", "2001:db8::/32"), ("gateway", "2001:db8:1::1")])];
    let changes = plan(&want, &live, &scope(&["eth0"])).unwrap();
    assert_eq!(
        show(&changes),
        ["Route eth0: add route 0.0.0.0/0 via 10.0.0.254", "Route eth0: add unreachable route 10.9.0.0/16"]
    );
    assert!(plan(&want, &want, &scope(&["eth0"])).unwrap().is_empty(), "a plan against itself is empty");
}

#[test]
fn metric_and_table_are_the_key_the_rest_changes_in_place() {
    let live = [
        item("eth0", &[("destination", "10.1.0.0/16"), ("gateway", "10.0.0.1")]),
        item("eth0", &[("destination", "10.2.0.0/16"), ("gateway", "10.0.0.1"), ("table", "100")]),
        item("eth0", &[("destination", "10.3.0.0/16")]),
    ];
    let want = [
        item("eth0", &[("destination", "10.1.0.0/16"), ("gateway", "10.0.0.2"), ("onlink", "yes")]),
        item("eth0", &[("destination", "10.2.0.0/16"), ("gateway", "10.0.0.1"), ("table", "101")]),
        item("eth0", &[("destination", "10.3.0.0/16"), ("type", "blackhole")]),
    ];
    let changes = plan(&want, &live, &scope(&["eth0"])).unwrap();
    assert_eq!(
        show(&changes),
        [
            "RemoveRoute eth0: remove route 10.2.0.0/16 via 10.0.0.1 table 100",
            "Route eth0: change route 10.1.0.0/16: via 10.0.0.2 (was via 10.0.0.1), onlink yes (was no)",
            "Route eth0: add route 10.2.0.0/16 via 10.0.0.1 table 101",
            "Route eth0: change route 10.3.0.0/16: type blackhole (was unreachable)",
        ]
    );
    let op = RouteOp::decode(changes[1].op().unwrap()).unwrap();
    assert_eq!((op.op, op.name, op.route.gateway), (Op::Replace, "eth0", Some("10.0.0.2".parse().unwrap())));
}

#[test]
fn routes_no_longer_declared_are_removed_only_in_scope() {
    let live = [
        item("eth0", &[("destination", "10.1.0.0/16"), ("gateway", "10.0.0.1")]),
        item("eth1", &[("destination", "10.2.0.0/16"), ("type", "prohibit")]),
    ];
    let changes = plan(&[], &live, &scope(&["eth0"])).unwrap();
    assert_eq!(show(&changes), ["RemoveRoute eth0: remove route 10.1.0.0/16 via 10.0.0.1"]);
    let changes = plan(&[], &live, &scope(&["eth0", "eth1"])).unwrap();
    assert_eq!(changes.len(), 2);
    assert_eq!(show(&changes[1..]), ["RemoveRoute eth1: remove prohibit route 10.2.0.0/16"]);
}

#[test]
fn an_absent_interface_loses_its_routes() {
    let mut gone = item("eth0", &[("destination", "10.1.0.0/16"), ("gateway", "10.0.0.1")]);
    gone.envelope.as_mut().unwrap().state = LinkState::Absent;
    let live = [item("eth0", &[("destination", "10.1.0.0/16"), ("gateway", "10.0.0.1")])];
    let changes = plan(&[gone.clone()], &live, &scope(&["eth0"])).unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].phase, Phase::RemoveRoute);
    assert!(plan(&[gone], &[], &scope(&["eth0"])).unwrap().is_empty(), "nothing there, nothing to do");
}

#[test]
fn a_route_moving_between_interfaces_is_removed_then_added() {
    let live = [item("eth0", &[("destination", "10.1.0.0/16"), ("type", "unreachable")])];
    let want = [item("eth1", &[("destination", "10.1.0.0/16")])];
    let changes = plan(&want, &live, &scope(&["eth0", "eth1"])).unwrap();
    assert_eq!(
        show(&changes),
        [
            "RemoveRoute eth0: remove unreachable route 10.1.0.0/16",
            "Route eth1: add unreachable route 10.1.0.0/16",
        ]
    );
}

#[test]
fn a_broken_item_is_an_error_naming_the_interface() {
    let want = [item("eth0", &[("destination", "10.1.0.0/99")])];
    let err = plan(&want, &[], &scope(&["eth0"])).unwrap_err();
    assert_eq!(err.interface.as_deref(), Some("eth0"));
    assert!(err.message.contains("invalid destination"), "{err}");
}

#[test]
fn interfaces_come_in_scope_order_and_routes_in_item_order() {
    let want = [
        item("eth0", &[("destination", "10.1.0.0/16")]),
        item("eth1", &[("destination", "10.2.0.0/16")]),
        item("eth0", &[("destination", "10.3.0.0/16")]),
        item("eth1", &[("destination", "10.4.0.0/16")]),
    ];
    let changes = plan(&want, &[], &scope(&["eth1", "eth0", "eth1"])).unwrap();
    assert_eq!(
        show(&changes),
        [
            "Route eth1: add unreachable route 10.2.0.0/16",
            "Route eth1: add unreachable route 10.4.0.0/16",
            "Route eth0: add unreachable route 10.1.0.0/16",
            "Route eth0: add unreachable route 10.3.0.0/16",
        ]
    );
}

#[test]
fn a_vrf_port_routes_in_its_vrf_table_unless_the_route_names_one() {
    use std::collections::HashMap;

    use crate::spec::OF_VRF;

    let want = [
        item("eth1", &[("destination", "10.1.0.0/16"), ("gateway", "10.0.0.1")]),
        item("eth1", &[("destination", "10.2.0.0/16"), ("gateway", "10.0.0.1"), ("table", "main")]),
        item("eth2", &[("destination", "10.3.0.0/16"), ("gateway", "10.0.0.1")]),
    ];
    // eth1 is a port of a live VRF with table 1001; eth2 of a VRF this run creates.
    let ports: HashMap<String, u32> = [("eth1".to_string(), 1001), ("eth2".to_string(), OF_VRF)].into();
    let tables = super::Tables { ports, ..Default::default() };
    // eth1's first route is in the main table now: it moves.
    let live = [item("eth1", &[("destination", "10.1.0.0/16"), ("gateway", "10.0.0.1")])];
    let live_routes = |name: &str| {
        super::Routes::parse(
            &live.iter().filter(|i| i.interface == name).collect::<Vec<_>>(),
            name,
            crate::spec::MAIN,
            &tables.vrfs,
        )
    };
    let changes = super::plan_against_in(&want, &scope(&["eth1", "eth2"]), &tables, live_routes).unwrap();
    assert_eq!(
        show(&changes),
        [
            "RemoveRoute eth1: remove route 10.1.0.0/16 via 10.0.0.1",
            "Route eth1: add route 10.1.0.0/16 via 10.0.0.1 table 1001",
            "Route eth1: add route 10.2.0.0/16 via 10.0.0.1",
            "Route eth2: add route 10.3.0.0/16 via 10.0.0.1 in its VRF's table",
        ]
    );
    let op = RouteOp::decode(changes[3].op().unwrap()).unwrap();
    assert_eq!((op.op, op.route.table), (Op::Add, OF_VRF));
}

#[test]
fn a_route_naming_a_vrf_is_in_its_table_looked_up_now_or_when_added() {
    use crate::spec::OF_VRF;

    let want = [
        item("wg0", &[("destination", "10.1.0.0/16"), ("type", "unicast"), ("table", "blue")]),
        item("wg0", &[("destination", "10.2.0.0/16"), ("type", "unicast"), ("table", "red")]),
        item("wg0", &[("destination", "10.3.0.0/16"), ("type", "unicast"), ("table", "1001")]),
    ];
    // blue is a live VRF with table 1001; red one this run creates.
    let vrfs = [("blue".to_string(), 1001), ("red".to_string(), OF_VRF)].into();
    let tables = super::Tables { vrfs, ..Default::default() };
    // What read reports: a route in blue's table names blue, whatever the document wrote.
    let live = [
        item("wg0", &[("destination", "10.1.0.0/16"), ("type", "unicast"), ("table", "blue")]),
        item("wg0", &[("destination", "10.3.0.0/16"), ("type", "unicast"), ("table", "blue")]),
    ];
    let live_routes = |name: &str| {
        super::Routes::parse(
            &live.iter().filter(|i| i.interface == name).collect::<Vec<_>>(),
            name,
            crate::spec::MAIN,
            &tables.vrfs,
        )
    };
    let changes = super::plan_against_in(&want, &scope(&["wg0"]), &tables, live_routes).unwrap();
    assert_eq!(show(&changes), ["Route wg0: add route 10.2.0.0/16 on the link table red"]);
    let op = RouteOp::decode(changes[0].op().unwrap()).unwrap();
    assert_eq!((op.route.table, op.route.vrf.map(|v| v.as_str().to_string())), (OF_VRF, Some("red".into())));
    assert_eq!(RouteOp::decode(&op.encode()).unwrap(), op);
    assert_eq!(op.route.to_element().value("table"), Some("red"));

    // A name plan was not told about is an error naming the interface.
    let unknown = [item("wg0", &[("destination", "10.4.0.0/16"), ("type", "unicast"), ("table", "green")])];
    let err = super::plan_against_in(&unknown, &scope(&["wg0"]), &tables, |_| Ok(super::Routes::default()))
        .unwrap_err();
    assert!(err.to_string().contains("no VRF green"), "{err}");
}

#[test]
fn a_default_route_goes_last_and_its_successor_under_the_key_goes_beside() {
    // Another metric on the same interface: the new one first, the old one last.
    let live = [item("eth0", &[("gateway", "10.0.0.1")])];
    let want = [item("eth0", &[("gateway", "10.0.0.1"), ("metric", "50")])];
    let changes = plan(&want, &live, &scope(&["eth0"])).unwrap();
    assert_eq!(
        show(&changes),
        [
            "Route eth0: add route 0.0.0.0/0 via 10.0.0.1 metric 50",
            "Dynamic eth0: remove route 0.0.0.0/0 via 10.0.0.1"
        ]
    );
    // The same key on another interface: added beside the one it replaces.
    let want = [item("eth1", &[("gateway", "10.0.1.1")])];
    let changes = plan(&want, &live, &scope(&["eth0", "eth1"])).unwrap();
    assert_eq!(
        show(&changes),
        ["Route eth1: add route 0.0.0.0/0 via 10.0.1.1", "Dynamic eth0: remove route 0.0.0.0/0 via 10.0.0.1"]
    );
    assert_eq!(RouteOp::decode(changes[0].op().unwrap()).unwrap().op, Op::AddBeside);
    // A route that is not a default one still goes before addresses do.
    let live = [item("eth0", &[("destination", "10.1.0.0/16"), ("gateway", "10.0.0.1")])];
    assert_eq!(plan(&[], &live, &scope(&["eth0"])).unwrap()[0].phase, Phase::RemoveRoute);
}
