//! Every rule of the `<route>` vocabulary, checked against documents with exact positions.

use netplug_plugin_sdk::{Plugin, Validation};
use netplug_plugin_testing::{diagnostic_lines, validate_xml};

use super::{parse_table, RouteType};
use crate::RoutesPlugin;

fn validate(xml: &str) -> Validation {
    validate_xml(&RoutesPlugin, xml)
}

fn diags(xml: &str) -> Vec<String> {
    diagnostic_lines(&validate(xml))
}

fn help(xml: &str, index: usize) -> String {
    validate(xml).diagnostics[index].help.clone().unwrap_or_default()
}

/// One `<route>` in eth0, on line 2 at column 3; its first attribute starts at column 10.
fn one(attrs: &str) -> String {
    format!("<interface device=\"eth0\">\n  <route {attrs}/>\n</interface>")
}

const NONE: [&str; 0] = [];

#[test]
fn info_claims_route_in_the_route_phase() {
    let info = RoutesPlugin.info();
    assert_eq!(info.elements, ["route"]);
    assert_eq!(info.phase, Some(netplug_plugin_sdk::Phase::Route));
}

#[test]
fn the_proposal_examples_are_clean_and_report_next_hops() {
    let xml = r#"<interface device="eth0">
  <route gateway="192.168.0.1"/>
  <route destination="default" gateway="2001:DB8:C::1"/>
  <route destination="10.0.0.0/8" gateway="192.168.0.2"/>
  <route destination="2001:DB8:C::/64" gateway="2001:DB8:C::1"/>
  <route destination="2001:DB8::/32"/>
  <route prefix="172.16.0.0/12" nexthop="192.168.0.3" metric="100" table="main" type="unicast"/>
</interface>"#;
    let v = validate(xml);
    assert_eq!(v.diagnostics, []);
    let hops: Vec<_> = v.nexthops.iter().map(|n| (n.address.as_str(), n.span.line, n.span.col)).collect();
    assert_eq!(
        hops,
        [
            ("192.168.0.1", 2, 19),
            ("2001:db8:c::1", 3, 41),
            ("192.168.0.2", 4, 44),
            ("2001:db8:c::1", 5, 49),
            ("192.168.0.3", 7, 42),
        ]
    );
}

#[test]
fn aliases_are_one_attribute() {
    assert_eq!(
        diags(&one(r#"destination="10.0.0.0/8" prefix="10.0.0.0/8" gateway="10.1.0.1" nexthop="10.1.0.1""#)),
        [
            "2:35 error prefix: destination and prefix are the same attribute; write one",
            "2:74 error nexthop: gateway and nexthop are the same attribute; write one",
        ]
    );
}

#[test]
fn destinations_parse_and_have_no_host_bits() {
    let xml = one(r#"destination="10.0.0.1/8" gateway="10.1.0.1""#);
    assert_eq!(
        diags(&xml),
        ["2:23 error destination: invalid destination `10.0.0.1/8`: 10.0.0.1/8 has host bits set"]
    );
    assert_eq!(help(&xml, 0), "did you mean 10.0.0.0/8?");
    assert_eq!(
        diags(&one(r#"prefix="10.0.0.0/33""#)),
        ["2:18 error prefix: invalid prefix `10.0.0.0/33`: prefix length 33 is out of range for IPv4 (0-32)"]
    );
    assert_eq!(
        diags(&one(r#"destination="2001:db8::/129""#)),
        ["2:23 error destination: invalid destination `2001:db8::/129`: prefix length 129 is out of range for IPv6 \
          (0-128)"]
    );
    assert_eq!(
        diags(&one(r#"destination="defualt""#)),
        ["2:23 error destination: invalid destination `defualt`: `defualt` is not an IPv4 or IPv6 address"]
    );
    // No /len: a host route, as in iproute2.
    assert_eq!(diags(&one(r#"destination="10.0.0.1" gateway="10.1.0.1""#)), NONE);
}

#[test]
fn gateways_are_addresses_of_the_destination_family() {
    assert_eq!(
        diags(&one(r#"destination="10.0.0.0/8" gateway="2001:db8::1""#)),
        ["2:44 error gateway: invalid gateway `2001:db8::1`: an IPv6 gateway cannot reach the IPv4 destination \
          10.0.0.0/8"]
    );
    assert_eq!(
        diags(&one(r#"nexthop="0.0.0.0""#)),
        ["2:19 error nexthop: invalid nexthop `0.0.0.0`: 0.0.0.0 is the unspecified address"]
    );
    assert_eq!(
        diags(&one(r#"gateway="192.168.0.1/24""#)),
        ["2:19 error gateway: invalid gateway `192.168.0.1/24`: expected an address without a prefix length"]
    );
}

#[test]
fn types_other_than_unicast_have_no_gateway() {
    assert_eq!("blackhole".parse::<RouteType>(), Ok(RouteType::Blackhole));
    assert_eq!("7".parse::<RouteType>(), Ok(RouteType::Unreachable));
    let xml = one(r#"destination="10.0.0.0/8" gateway="10.1.0.1" type="blackhole""#);
    assert_eq!(diags(&xml), ["2:35 error gateway: a blackhole route has no gateway"]);
    assert_eq!(help(&xml, 0), "remove the gateway, or make the route unicast");
    assert_eq!(
        diags(&one(r#"destination="10.0.0.0/8" type="drop""#)),
        ["2:41 error type: invalid type `drop`: expected one of unicast, blackhole, unreachable, prohibit"]
    );
    // Without a gateway: unreachable by default, or a route on the link when unicast.
    assert_eq!(diags(&one(r#"destination="10.0.0.0/8""#)), NONE);
    assert_eq!(diags(&one(r#"destination="10.0.0.0/8" type="unicast""#)), NONE);
    assert_eq!(diags(&one(r#"destination="10.0.0.0/8" type="prohibit""#)), NONE);
}

#[test]
fn a_route_without_a_gateway_is_unreachable_unless_typed() {
    use super::effective_type;
    assert_eq!(effective_type(None, false), RouteType::Unreachable);
    assert_eq!(effective_type(None, true), RouteType::Unicast);
    assert_eq!(effective_type(Some(RouteType::Unicast), false), RouteType::Unicast);
    assert_eq!(effective_type(Some(RouteType::Blackhole), false), RouteType::Blackhole);
    // No gateway reports no next hop, whatever the type.
    assert!(validate(&one(r#"destination="10.0.0.0/8" type="unicast""#)).nexthops.is_empty());
}

#[test]
fn onlink_needs_a_gateway_and_skips_the_reachability_check() {
    assert_eq!(
        diags(&one(r#"destination="10.0.0.0/8" onlink="yes""#)),
        ["2:35 error onlink: onlink applies only to a route with a gateway"]
    );
    let v = validate(&one(r#"gateway="203.0.113.1" onlink="yes""#));
    assert_eq!(v.diagnostics, []);
    assert!(v.nexthops.is_empty());
    assert!(validate(&one(r#"gateway="fe80::1""#)).nexthops.is_empty(), "link-local is always on the link");
}

#[test]
fn tables_are_names_or_non_zero_numbers() {
    assert_eq!(parse_table("MAIN"), Ok(254));
    assert_eq!(parse_table("local"), Ok(255));
    assert_eq!(parse_table("4294967295"), Ok(u32::MAX));
    assert_eq!(
        diags(&one(r#"gateway="10.1.0.1" table="0""#)),
        ["2:36 error table: invalid table `0`: table 0 means \"unspecified\"; write main (254) or a table number"]
    );
    assert_eq!(
        diags(&one(r#"gateway="10.1.0.1" table="99999999999" metric="-1""#)),
        [
            "2:57 error metric: invalid metric `-1`: expected a non-negative integer",
            "2:36 error table: invalid table `99999999999`: expected main, default, local or a table number \
             from 1 to 4294967295",
        ]
    );
    assert_eq!(
        diags(&one(r#"gateway="10.1.0.1" table="a/b""#)),
        ["2:36 error table: invalid table `a/b`: expected main, default, local, a table number from 1 to \
             4294967295 or a VRF's name (an interface name cannot contain `/`, `:` or whitespace)"]
    );
}

#[test]
fn a_table_may_name_a_vrf_which_the_route_then_requires() {
    let xml = r#"<interfaces>
<interface device="eth0">
  <route destination="10.1.0.0/16" gateway="10.1.0.1" table="blue"/>
  <route destination="10.1.0.0/16" gateway="10.1.0.1" table="red"/>
</interface>
<vrf name="blue">
  <route destination="default" type="unreachable" table="blue"/>
</vrf>
</interfaces>"#;
    let v = validate(xml);
    assert_eq!(diagnostic_lines(&v), NONE, "one destination in two VRFs' tables");
    let deps: Vec<_> =
        v.dependencies.iter().map(|d| (d.from.as_str(), d.to.as_str(), d.span.line, d.span.col)).collect();
    // The VRF's own route names it without depending on itself.
    assert_eq!(deps, [("eth0", "blue", 3, 62), ("eth0", "red", 4, 62)]);
    assert!(v.dependencies.iter().all(|d| d.relation == netplug_plugin_sdk::Relation::Requires));
}

#[test]
fn a_route_is_configured_once_per_destination_table_and_metric() {
    let xml = r#"<interfaces>
<interface device="eth0">
  <route destination="10.0.0.0/8" gateway="192.168.0.2"/>
  <route prefix="10.0.0.0/8" gateway="192.168.0.3"/>
  <route destination="10.0.0.0/8" gateway="192.168.0.3" metric="100"/>
  <route destination="10.0.0.0/8" gateway="192.168.0.3" table="254" metric="100"/>
  <route destination="10.0.0.0/8" gateway="192.168.0.3" table="10"/>
  <route gateway="192.168.0.1"/>
  <route destination="default" gateway="192.168.0.1"/>
</interface>
<interface device="eth1"><route destination="10.0.0.0/8" gateway="172.16.0.1"/></interface>
<interface device="eth2"><route destination="2001:db8::/32" gateway="2001:db8:1::1"/></interface>
<interface device="eth3"><route destination="2001:db8::/32" gateway="2001:db8:2::1"/></interface>
<interface device="eth4"><route destination="2001:db8::/32" gateway="2001:db8:3::1" metric="1024"/></interface>
<interface device="eth5"><route destination="2001:db8::/32" gateway="2001:db8:4::1" metric="1"/></interface>
</interfaces>"#;
    assert_eq!(
        diags(xml),
        [
            "4:18 error destination: eth0 already has a route to 10.0.0.0/8 in this table with this metric",
            "6:23 error destination: eth0 already has a route to 10.0.0.0/8 in this table with this metric",
            "9:23 error destination: eth0 already has a route to 0.0.0.0/0 in this table with this metric",
            // Across interfaces too: netplug adds routes exclusively, so the kernel would refuse
            // the second; IPv6's 1024 is the default metric written out.
            "11:46 error destination: eth0 already has a route to 10.0.0.0/8 in this table with this metric",
            "13:46 error destination: eth2 already has a route to 2001:db8::/32 in this table with this metric",
            "14:46 error destination: eth2 already has a route to 2001:db8::/32 in this table with this metric",
        ]
    );
    assert!(help(xml, 3).ends_with("give one a different metric"), "{}", help(xml, 3));
}

#[test]
fn route_has_no_children() {
    let xml = "<interface device=\"eth0\">\n  <route gateway=\"10.1.0.1\"><via/></route>\n</interface>";
    assert_eq!(diags(xml), ["2:29 error via: unknown element <via> in <route>"]);
}
