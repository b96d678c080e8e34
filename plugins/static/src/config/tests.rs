//! Every rule of the `<static>` vocabulary, checked against documents with exact positions.

use netplug_plugin_sdk::{Plugin, Validation};
use netplug_plugin_testing::{diagnostic_lines, validate_xml};

use crate::StaticPlugin;

fn validate(xml: &str) -> Validation {
    validate_xml(&StaticPlugin, xml)
}

fn diags(xml: &str) -> Vec<String> {
    diagnostic_lines(&validate(xml))
}

fn help(xml: &str, index: usize) -> String {
    validate(xml).diagnostics[index].help.clone().unwrap_or_default()
}

/// One `<static>` in eth0, on line 2 at column 3.
fn one(attrs: &str) -> String {
    format!("<interface device=\"eth0\">\n  <static {attrs}/>\n</interface>")
}

const NONE: [&str; 0] = [];

#[test]
fn info_claims_static_in_the_address_phase() {
    let info = StaticPlugin.info();
    assert_eq!(info.elements, ["static"]);
    assert!(info.kinds.is_empty());
    assert_eq!(info.phase, Some(netplug_plugin_sdk::Phase::Address));
}

#[test]
fn the_proposal_examples_are_clean_and_report_subnets_and_next_hops() {
    let xml = r#"<interfaces>
<interface device="eth1" onboot="yes">
  <static ipaddr="192.168.0.5" gateway="192.168.0.1"
    netmask="255.255.255.0"/>
  <static ip6addr="2001:DB8:C::5/64"/>
  <static ipaddr="2001:DB8:ABCD::1/64"/>
  <static ipaddr="10.1.0.5/16"/>
</interface>
</interfaces>"#;
    let v = validate(xml);
    assert_eq!(v.diagnostics, []);
    let subnets: Vec<_> =
        v.subnets.iter().map(|s| (s.interface.as_str(), s.prefix.as_deref().unwrap())).collect();
    assert_eq!(
        subnets,
        [
            ("eth1", "192.168.0.0/24"),
            ("eth1", "2001:db8:c::/64"),
            ("eth1", "2001:db8:abcd::/64"),
            ("eth1", "10.1.0.0/16"),
        ]
    );
    let hops: Vec<_> = v
        .nexthops
        .iter()
        .map(|n| (n.interface.as_str(), n.address.as_str(), n.span.line, n.span.col))
        .collect();
    assert_eq!(hops, [("eth1", "192.168.0.1", 3, 41)]);
}

#[test]
fn ipv6_without_a_length_gets_64_and_ipv4_needs_one() {
    let v = validate(&one(r#"ip6addr="2001:db8::5""#));
    assert_eq!(v.subnets[0].prefix.as_deref(), Some("2001:db8::/64"));
    let xml = one(r#"ipaddr="192.168.0.5""#);
    assert_eq!(
        diags(&xml),
        ["2:19 error ipaddr: invalid ipaddr `192.168.0.5`: an IPv4 address needs a prefix length"]
    );
    assert_eq!(help(&xml, 0), "write 192.168.0.5/24 (or the right length), or add netmask=");
}

#[test]
fn an_address_is_required_and_unknown_attributes_are_reported() {
    assert_eq!(
        diags(&one(r#"gatway="10.0.0.1""#)),
        [
            "2:11 error gatway: unknown attribute `gatway` on <static>",
            "2:3 error ipaddr: <static> needs an `ipaddr` or `ip6addr` attribute",
        ]
    );
    assert_eq!(help(&one(r#"gatway="10.0.0.1""#), 0), "did you mean `gateway`?");
}

#[test]
fn addresses_and_lengths_must_parse() {
    assert_eq!(
        diags(&one(r#"ipaddr="192.168.0.256/24" ip6addr="2001:db8::1/129""#)),
        [
            "2:19 error ipaddr: invalid ipaddr `192.168.0.256/24`: `192.168.0.256` is not an IPv4 or IPv6 address",
            "2:46 error ip6addr: invalid ip6addr `2001:db8::1/129`: prefix length 129 is out of range for IPv6 \
             (0-128)",
        ]
    );
    assert_eq!(
        diags(&one(r#"ipaddr="10.0.0.1/33""#)),
        ["2:19 error ipaddr: invalid ipaddr `10.0.0.1/33`: prefix length 33 is out of range for IPv4 (0-32)"]
    );
    assert_eq!(
        diags(&one(r#"ip6addr="10.0.0.1/8""#)),
        ["2:20 error ip6addr: invalid ip6addr `10.0.0.1/8`: ip6addr takes an IPv6 address; use ipaddr for IPv4"]
    );
}

#[test]
fn netmasks_are_contiguous_ipv4_and_agree_with_the_length() {
    assert_eq!(
        diags(&one(r#"ipaddr="192.168.0.5" netmask="255.255.0.255""#)),
        ["2:41 error netmask: invalid netmask `255.255.0.255`: 255.255.0.255 is not a contiguous netmask"]
    );
    let xml = one(r#"ipaddr="192.168.0.5/24" netmask="255.255.0.0""#);
    assert_eq!(diags(&xml), ["2:44 error netmask: netmask 255.255.0.0 (/16) contradicts the /24 of ipaddr"]);
    assert_eq!(help(&xml, 0), "write the prefix once, as /len or as netmask");
    assert_eq!(diags(&one(r#"ipaddr="192.168.0.5/24" netmask="255.255.255.0""#)), NONE);
    assert_eq!(
        diags(&one(r#"ipaddr="2001:db8::5/64" netmask="255.255.255.0""#)),
        ["2:35 error netmask: netmask applies only to an IPv4 ipaddr"]
    );
    assert_eq!(
        diags(&one(r#"ip6addr="2001:db8::5/64" netmask="255.255.255.0""#)),
        ["2:36 error netmask: netmask needs an IPv4 ipaddr"]
    );
}

#[test]
fn network_broadcast_and_special_addresses_are_refused() {
    assert_eq!(
        diags(&one(r#"ipaddr="192.168.0.0/24""#)),
        ["2:19 error ipaddr: invalid ipaddr `192.168.0.0/24`: 192.168.0.0 is the network address of 192.168.0.0/24"]
    );
    assert_eq!(
        diags(&one(r#"ipaddr="192.168.0.255" netmask="255.255.255.0""#)),
        ["2:19 error ipaddr: invalid ipaddr `192.168.0.255`: 192.168.0.255 is the broadcast address of \
          192.168.0.0/24"]
    );
    // Point-to-point /31 and host /32 have neither.
    assert_eq!(diags(&one(r#"ipaddr="10.0.0.0/31""#)), NONE);
    assert_eq!(diags(&one(r#"ipaddr="10.0.0.0/32""#)), NONE);
    assert_eq!(
        diags(&one(r#"ipaddr="127.0.0.2/8" ip6addr="ff02::1""#)),
        [
            "2:19 error ipaddr: invalid ipaddr `127.0.0.2/8`: 127.0.0.2 is a loopback address",
            "2:41 error ip6addr: invalid ip6addr `ff02::1`: ff02::1 is a multicast address",
        ]
    );
    assert_eq!(
        diags(&one(r#"ipaddr="0.0.0.0/0""#)),
        ["2:19 error ipaddr: invalid ipaddr `0.0.0.0/0`: 0.0.0.0 is the unspecified address"]
    );
    assert_eq!(
        diags(&one(r#"ip6addr="2001:db8::/64""#)),
        ["2:20 warning ip6addr: 2001:db8:: is the subnet-router anycast address of 2001:db8::/64"]
    );
}

#[test]
fn an_address_is_configured_once_and_on_one_interface() {
    let xml = r#"<interfaces>
<interface device="eth0">
  <static ipaddr="10.0.0.1/24"/>
  <static ipaddr="10.0.0.1/16"/>
  <static ipaddr="2001:db8::1" ip6addr="2001:DB8::1/64"/>
</interface>
<interface device="eth1"><static ipaddr="10.0.0.1/24"/></interface>
</interfaces>"#;
    assert_eq!(
        diags(xml),
        [
            "4:19 error ipaddr: 10.0.0.1 is already an address of eth0 (at 3:19)",
            "5:41 error ip6addr: 2001:db8::1 is already an address of eth0 (at 5:19)",
            "7:42 error ipaddr: 10.0.0.1 is already an address of eth0 (at 3:19)",
        ]
    );
    assert_eq!(validate(xml).subnets.len(), 2);
}

#[test]
fn gateways_match_the_family_and_are_not_special() {
    assert_eq!(
        diags(&one(r#"ipaddr="10.0.0.5/24" gateway="2001:db8::1""#)),
        ["2:41 error gateway: invalid gateway `2001:db8::1`: an IPv6 gateway needs an IPv6 address in the same <static>"]
    );
    assert_eq!(
        diags(&one(r#"ipaddr="10.0.0.5/24" gateway="10.0.0.5""#)),
        ["2:41 error gateway: invalid gateway `10.0.0.5`: 10.0.0.5 is this interface's own address"]
    );
    assert_eq!(
        diags(&one(r#"ipaddr="10.0.0.5/24" gateway="224.0.0.1""#)),
        ["2:41 error gateway: invalid gateway `224.0.0.1`: 224.0.0.1 is a multicast address"]
    );
    assert_eq!(
        diags(&one(r#"ipaddr="10.0.0.5/24" gateway="10.0.0.1/24""#)),
        ["2:41 error gateway: invalid gateway `10.0.0.1/24`: expected an address without a prefix length"]
    );
    // The address itself is bad: that is the one error, not a second one about the gateway.
    assert_eq!(diags(&one(r#"ipaddr="10.0.0.x/24" gateway="10.0.0.1""#)).len(), 1);
}

#[test]
fn a_gateway_outside_every_subnet_is_warned_about_and_still_reported() {
    let xml = one(r#"ipaddr="192.168.0.5/24" gateway="192.168.1.1""#);
    assert_eq!(diags(&xml), ["2:44 warning gateway: gateway 192.168.1.1 is not in 192.168.0.0/24"]);
    assert_eq!(validate(&xml).nexthops.len(), 1);
    // Reached by another <static> of the same interface: fine.
    let xml =
        "<interface device=\"eth0\">\n  <static ipaddr=\"192.168.0.5/24\" gateway=\"192.168.1.1\"/>\n  \
               <static ipaddr=\"192.168.1.5/24\"/>\n</interface>";
    assert_eq!(diags(xml), NONE);
    // An IPv6 link-local gateway is always on the link.
    let v = validate(&one(r#"ip6addr="2001:db8::5/64" gateway="fe80::1""#));
    assert_eq!(v.diagnostics, []);
    assert!(v.nexthops.is_empty());
}

#[test]
fn one_gateway_per_family_and_interface() {
    let xml = r#"<interface device="eth0">
  <static ipaddr="10.0.0.5/24" gateway="10.0.0.1"/>
  <static ipaddr="10.0.1.5/24" gateway="10.0.1.1"/>
  <static ip6addr="2001:db8::5" gateway="2001:db8::1"/>
</interface>"#;
    assert_eq!(diags(xml), ["3:41 error gateway: eth0 already has an IPv4 gateway (at 2:41)"]);
    assert_eq!(
        help(xml, 0),
        "a second default route of the same metric is refused; use <route> with a metric"
    );
}

#[test]
fn one_gateway_per_family_across_interfaces() {
    let xml = r#"<interfaces>
<interface device="eth0"><static ipaddr="10.0.0.5/24" gateway="10.0.0.1"/></interface>
<interface device="eth1"><static ipaddr="10.1.0.5/24" gateway="10.1.0.1" ip6addr="2001:db8::5"/></interface>
<interface device="eth2"><static ip6addr="2001:db8:1::5" gateway="2001:db8:1::1"/></interface>
</interfaces>"#;
    assert_eq!(diags(xml), ["3:64 error gateway: eth0 already has the IPv4 gateway (at 2:64)"]);
    assert!(help(xml, 0).contains("<route gateway=.. metric=..>"), "{}", help(xml, 0));
}

#[test]
fn the_foreign_mark_of_show_is_refused_with_a_reason() {
    let xml = one(r#"ipaddr="10.0.0.5/24" foreign="manual""#);
    assert_eq!(diags(&xml), ["2:32 error foreign: unknown attribute `foreign` on <static>"]);
    assert!(help(&xml, 0).contains("netplug did not add"), "{}", help(&xml, 0));
}

#[test]
fn static_has_no_children() {
    let xml = "<interface device=\"eth0\">\n  <static ipaddr=\"10.0.0.5/24\"><route/></static>\n</interface>";
    assert_eq!(diags(xml), ["2:32 error route: unknown element <route> in <static>"]);
}
