//! Every rule of the VLAN vocabulary, checked against documents with exact positions.

use netplug_plugin_sdk::{Plugin, Relation, Validation};
use netplug_plugin_testing::{diagnostic_lines, validate_xml};

use super::VlanProtocol;
use crate::VlanPlugin;

fn validate(xml: &str) -> Validation {
    validate_xml(&VlanPlugin, xml)
}

fn diags(xml: &str) -> Vec<String> {
    diagnostic_lines(&validate(xml))
}

const NONE: [&str; 0] = [];

#[test]
fn info_claims_the_vlan_kind() {
    let info = VlanPlugin.info();
    assert_eq!(info.name, "vlan");
    assert_eq!(info.kinds, ["vlan"]);
}

#[test]
fn protocols_are_kernel_names_in_any_case_or_ethertypes() {
    assert_eq!("802.1q".parse::<VlanProtocol>(), Ok(VlanProtocol::Ieee8021Q));
    assert_eq!("802.1AD".parse::<VlanProtocol>(), Ok(VlanProtocol::Ieee8021Ad));
    assert_eq!("34984".parse::<VlanProtocol>(), Ok(VlanProtocol::Ieee8021Ad));
    assert_eq!(VlanProtocol::Ieee8021Q.to_string(), "802.1Q");
}

#[test]
fn a_good_vlan_is_clean_and_depends_on_its_parent() {
    let xml = r#"<vlan name="eth0.42" device="eth0" tag="42" protocol="802.1q" reorder_hdr="yes" gvrp="yes"
      mvrp="no" loose_binding="no" bridge_binding="no" mtu="1500">
  <static ipaddr="192.168.42.5/24"/>
</vlan>"#;
    let v = validate(xml);
    assert_eq!(v.diagnostics, []);
    let deps: Vec<_> = v
        .dependencies
        .iter()
        .map(|d| (d.from.as_str(), d.to.as_str(), d.relation, d.span.line, d.span.col))
        .collect();
    assert_eq!(deps, [("eth0.42", "eth0", Relation::Parent, 1, 30)]);
}

#[test]
fn device_and_tag_are_required() {
    assert_eq!(
        diags(r#"<vlan name="v"/>"#),
        [
            "1:1 error tag: <vlan> needs a `tag` attribute",
            "1:1 error device: <vlan> needs a `device` attribute"
        ]
    );
}

#[test]
fn removing_a_vlan_needs_only_its_name() {
    assert_eq!(diags(r#"<vlan name="bond0.7" state="absent"/>"#), NONE);
}

#[test]
fn tags_are_1_to_4094() {
    assert_eq!(
        diags(r#"<vlan name="v" device="eth0" tag="0"/>"#),
        ["1:35 error tag: invalid tag `0`: VLAN IDs 0 and 4095 are reserved (0 marks priority-only frames); use 1-4094"]
    );
    assert_eq!(
        diags(r#"<vlan name="v" device="eth0" tag="4095"/>"#),
        ["1:35 error tag: invalid tag `4095`: VLAN IDs 0 and 4095 are reserved (0 marks priority-only frames); use \
          1-4094"]
    );
    assert_eq!(
        diags(r#"<vlan name="v" device="eth0" tag="5000"/>"#),
        ["1:35 error tag: invalid tag `5000`: must be between 1 and 4094"]
    );
    assert_eq!(
        diags(r#"<vlan name="v" device="eth0" tag="x"/>"#),
        ["1:35 error tag: invalid tag `x`: expected a VLAN ID between 1 and 4094"]
    );
    assert_eq!(diags(r#"<vlan name="v" device="eth0" tag="4094"/>"#), NONE);
}

#[test]
fn protocol_and_flags_are_checked() {
    let xml = r#"<vlan name="v" device="eth0" tag="1" protocol="802.1x" gvrp="maybe"/>"#;
    assert_eq!(
        diags(xml),
        [
            "1:48 error protocol: invalid protocol `802.1x`: expected one of 802.1Q, 802.1ad",
            "1:62 error gvrp: invalid gvrp `maybe`: expected yes or no",
        ]
    );
    assert_eq!(
        diags(r#"<vlan name="v" device="eth0" tag="1" protocol="802.1ad" gvrp="yes" mvrp="on"/>"#),
        [
            "1:57 warning gvrp: gvrp has no effect on an 802.1ad VLAN",
            "1:68 warning mvrp: mvrp has no effect on an 802.1ad VLAN",
        ]
    );
}

#[test]
fn unknown_attributes_and_children_are_reported_with_hints() {
    let xml = "<vlan name=\"v\" device=\"eth0\" tag=\"1\" vlanid=\"3\" stat=\"up\">\n  <dhcpv6/>\n</vlan>";
    let v = validate(xml);
    assert_eq!(
        diags(xml),
        [
            "1:38 error vlanid: unknown attribute `vlanid` on <vlan>",
            "1:49 error stat: unknown attribute `stat` on <vlan>",
            "2:3 error dhcpv6: unknown element <dhcpv6> in <vlan>",
        ]
    );
    assert_eq!(v.diagnostics[0].help, None);
    assert_eq!(v.diagnostics[1].help.as_deref(), Some("did you mean `state`?"));
    assert_eq!(v.diagnostics[2].help.as_deref(), Some("did you mean <dhcp6>?"));
}

#[test]
fn a_vlan_is_not_its_own_parent_and_the_parent_is_a_name() {
    assert_eq!(
        diags(r#"<vlan name="eth0" device="eth0" tag="5"/>"#),
        ["1:27 error device: eth0 cannot be its own parent device"]
    );
    assert_eq!(
        diags(r#"<vlan name="v" device="eth0 " tag="5"/>"#),
        NONE,
        "surrounding blanks are trimmed like every other value"
    );
    assert_eq!(
        diags(r#"<vlan name="v" device="en/0" tag="5"/>"#),
        ["1:24 error device: invalid device `en/0`: an interface name cannot contain `/`, `:` or whitespace"]
    );
    assert!(validate(r#"<vlan name="eth0" device="eth0" tag="5"/>"#).dependencies.is_empty());
}

#[test]
fn one_vlan_per_parent_protocol_and_tag() {
    let xml = r#"<interfaces>
  <vlan name="a" device="eth0" tag="5"/>
  <vlan name="b" device="eth0" tag="5"/>
  <vlan name="c" device="eth0" tag="5" protocol="802.1ad"/>
  <vlan name="d" device="eth1" tag="5"/>
</interfaces>"#;
    let v = validate(xml);
    assert_eq!(diags(xml), ["3:37 error tag: eth0 already has 802.1Q VLAN 5"]);
    assert_eq!(v.diagnostics[0].help.as_deref(), Some("the first is at 2:37"));
    assert_eq!(v.diagnostics[0].interface.as_deref(), Some("b"));
}
