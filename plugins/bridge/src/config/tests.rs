//! Every rule of the bridge vocabulary, checked against documents with exact positions.

use netplug_plugin_sdk::{Plugin, Relation, Validation};
use netplug_plugin_testing::{diagnostic_lines, validate_xml};

use super::parse_centiseconds;
use crate::BridgePlugin;

fn validate(xml: &str) -> Validation {
    validate_xml(&BridgePlugin, xml)
}

fn diags(xml: &str) -> Vec<String> {
    diagnostic_lines(&validate(xml))
}

fn help(xml: &str, index: usize) -> String {
    validate(xml).diagnostics[index].help.clone().unwrap_or_default()
}

const NONE: [&str; 0] = [];

#[test]
fn info_claims_the_bridge_kind() {
    let info = BridgePlugin.info();
    assert_eq!((info.name.as_str(), info.kinds.as_slice()), ("bridge", ["bridge".to_string()].as_slice()));
    assert!(info.elements.is_empty());
}

#[test]
fn a_good_bridge_is_clean_and_declares_its_members() {
    let xml = r#"<bridge name="br0" stp="on" hellotime="2" forwarddelay="15" maxage="20" priority="4096"
        ageing="300" vlan_filtering="yes" mcast_snooping="no" onboot="yes">
  <member device="eth2"/>
  <member device="eth3"/>
  <dhcp peerdns="yes"/>
</bridge>"#;
    let v = validate(xml);
    assert_eq!(v.diagnostics, []);
    let deps: Vec<_> = v
        .dependencies
        .iter()
        .map(|d| (d.from.as_str(), d.to.as_str(), d.relation, d.span.line, d.span.col))
        .collect();
    assert_eq!(deps, [("eth2", "br0", Relation::Member, 3, 19), ("eth3", "br0", Relation::Member, 4, 19)]);
}

#[test]
fn the_proposal_example_has_two_mistakes() {
    // From the netcf proposal, verbatim: a misspelt attribute and a max age below the kernel's 6 s.
    let xml = r#"<bridge name="br0" stp="on" hellotime="1"
maxage="4" fowarddelay="4"/>"#;
    assert_eq!(
        diags(xml),
        [
            "2:12 error fowarddelay: unknown attribute `fowarddelay` on <bridge>",
            "2:9 error maxage: invalid maxage `4`: must be between 6 and 40 seconds",
        ]
    );
    assert_eq!(help(xml, 0), "did you mean `forwarddelay`?");
}

#[test]
fn unknown_children_are_reported_with_hints() {
    let xml = "<bridge name=\"br0\">\n  <membr device=\"eth0\"/>\n  <rout gateway=\"10.0.0.1\"/>\n</bridge>";
    assert_eq!(
        diags(xml),
        [
            "2:3 error membr: unknown element <membr> in <bridge>",
            "3:3 error rout: unknown element <rout> in <bridge>"
        ]
    );
    assert_eq!(help(xml, 0), "did you mean <member>?");
    assert_eq!(help(xml, 1), "did you mean <route>?");
}

#[test]
fn times_are_seconds_to_a_hundredth() {
    assert_eq!(parse_centiseconds("2"), Ok(200));
    assert_eq!(parse_centiseconds("0.5"), Ok(50));
    assert_eq!(parse_centiseconds("2.25"), Ok(225));
    assert!(parse_centiseconds("2.").is_err());
    assert!(parse_centiseconds("-1").is_err());
    assert!(parse_centiseconds("1e3").is_err());
    assert_eq!(
        diags(r#"<bridge name="br0" hellotime="1.005" maxage="x"/>"#),
        [
            "1:31 error hellotime: invalid hellotime `1.005`: the kernel counts in hundredths of a second",
            "1:46 error maxage: invalid maxage `x`: expected seconds, such as 2 or 0.5",
        ]
    );
    assert_eq!(
        diags(r#"<bridge name="br0" stp="on" hellotime="1.5" forwarddelay="4.5" maxage="6.5"/>"#),
        NONE
    );
}

#[test]
fn timers_are_within_the_kernel_limits() {
    assert_eq!(
        diags(r#"<bridge name="br0" hellotime="0.5" maxage="41"/>"#),
        [
            "1:31 error hellotime: invalid hellotime `0.5`: must be between 1 and 10 seconds",
            "1:44 error maxage: invalid maxage `41`: must be between 6 and 40 seconds",
        ]
    );
    assert_eq!(
        diags(r#"<bridge name="br0" priority="65536"/>"#),
        ["1:30 error priority: invalid priority `65536`: must be between 0 and 65535"]
    );
}

#[test]
fn forward_delay_is_checked_only_with_stp() {
    let xml = r#"<bridge name="br0" stp="on" forwarddelay="1"/>"#;
    assert_eq!(
        diags(xml),
        ["1:43 error forwarddelay: invalid forwarddelay `1`: must be between 2 and 30 seconds with STP on"]
    );
    assert_eq!(help(xml, 0), "without STP the forward delay is unused, and 0 is common");
    assert_eq!(diags(r#"<bridge name="br0" stp="off" forwarddelay="0"/>"#), NONE);
    assert_eq!(
        diags(r#"<bridge name="br0" forwarddelay="45"/>"#),
        ["1:34 warning forwarddelay: forwarddelay is unused without STP, and clamped to 30 s if STP is turned on"]
    );
    // A bad stp value is reported, and the timers are then judged as if STP were on.
    assert_eq!(
        diags(r#"<bridge name="br0" stp="maybe" forwarddelay="0"/>"#),
        [
            "1:25 error stp: invalid stp `maybe`: expected yes or no",
            "1:46 error forwarddelay: invalid forwarddelay `0`: must be between 2 and 30 seconds with STP on",
        ]
    );
}

#[test]
fn stp_timers_should_keep_the_8021d_relation() {
    let xml = r#"<bridge name="br0" stp="yes" forwarddelay="4"/>"#;
    assert_eq!(
        diags(xml),
        ["1:30 warning forwarddelay: STP timers break the 802.1D rule: maxage 20 exceeds 2 × (forwarddelay − 1) = 6"]
    );
    assert_eq!(
        diags(r#"<bridge name="br0" stp="yes" hellotime="4" maxage="8"/>"#),
        ["1:44 warning maxage: STP timers break the 802.1D rule: maxage 8 is below 2 × (hellotime + 1) = 10"]
    );
    // Without STP the timers do nothing, so their relation does not matter.
    assert_eq!(diags(r#"<bridge name="br0" forwarddelay="4"/>"#), NONE);
}

#[test]
fn ageing_is_zero_or_ten_seconds_to_a_million() {
    assert_eq!(diags(r#"<bridge name="br0" ageing="0"/>"#), NONE);
    assert_eq!(diags(r#"<bridge name="br0" ageing="1000000"/>"#), NONE);
    assert_eq!(
        diags(r#"<bridge name="br0" ageing="5"/>"#),
        ["1:28 error ageing: invalid ageing `5`: must be 0 or between 10 and 1000000 seconds"]
    );
}

#[test]
fn members_need_a_valid_unique_device() {
    let xml = r#"<bridge name="br0">
  <member/>
  <member device="eth0"/>
  <member device="eth0"/>
  <member device="br0"/>
  <member device="" port="1"/>
</bridge>"#;
    assert_eq!(
        diags(xml),
        [
            "2:3 error device: <member> needs a `device` attribute",
            "4:19 error device: eth0 is already a member of br0 (at 3:19)",
            "5:19 error device: br0 cannot be a member of itself",
            "6:21 error port: unknown attribute `port` on <member>",
            "6:19 error device: invalid device ``: an interface name cannot be empty",
        ]
    );
    assert_eq!(validate(xml).dependencies.len(), 1);
}
