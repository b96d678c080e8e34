//! Every rule of the ethernet vocabulary, checked against documents with exact positions.

use netplug_plugin_sdk::{Plugin, Validation};
use netplug_plugin_testing::{diagnostic_lines, validate_xml};

use super::Duplex;
use crate::EthernetPlugin;

fn validate(xml: &str) -> Validation {
    validate_xml(&EthernetPlugin, xml)
}

fn diags(xml: &str) -> Vec<String> {
    diagnostic_lines(&validate(xml))
}

fn help(xml: &str, index: usize) -> String {
    validate(xml).diagnostics[index].help.clone().unwrap_or_default()
}

const NONE: [&str; 0] = [];

#[test]
fn info_claims_the_kind_and_ethtool() {
    let info = EthernetPlugin.info();
    assert_eq!(info.kinds, ["ethernet"]);
    assert_eq!(info.elements, ["ethtool"]);
    assert_eq!(info.phase, Some(netplug_plugin_sdk::Phase::Configure));
}

#[test]
fn a_full_ethtool_is_clean() {
    let xml = r#"<interface device="eth0" startmode="onboot" mtu="9000">
  <hwaddr>00:19:d2:9f:88:96</hwaddr>
  <ethtool speed="1000" duplex="full" autoneg="yes">
    <feature name="tx-checksum-ip-generic" state="off"/>
    <feature name="tx-udp_tnl-segmentation" state="on"/>
    <feature name="gro" state="yes"/>
    <ring rx="4096" tx="4096" rx-mini="0" rx-jumbo="0"/>
    <channels rx="0" tx="0" other="1" combined="8"/>
  </ethtool>
  <dhcp/>
</interface>"#;
    assert_eq!(diags(xml), NONE);
    assert_eq!("FULL".parse::<Duplex>(), Ok(Duplex::Full));
    assert_eq!("0".parse::<Duplex>(), Ok(Duplex::Half));
}

#[test]
fn the_interface_kind_has_nothing_of_its_own() {
    // (`type=` would make it a libvirt document)
    let xml = r#"<interface device="eth0" onbot="yes" kind="ethernet">
  <ethtol speed="100"/>
  <stattic ipaddr="10.0.0.1/24"/>
</interface>"#;
    assert_eq!(
        diags(xml),
        [
            "1:26 error onbot: unknown attribute `onbot` on <interface>",
            "1:38 error kind: unknown attribute `kind` on <interface>",
            "2:3 error ethtol: unknown element <ethtol> in <interface>",
            "3:3 error stattic: unknown element <stattic> in <interface>",
        ]
    );
    assert_eq!(help(xml, 0), "did you mean `onboot`?");
    assert_eq!(help(xml, 2), "did you mean <ethtool>?");
    assert_eq!(help(xml, 3), "did you mean <static>?");
}

#[test]
fn link_settings_are_checked() {
    let xml = r#"<interface device="eth0"><ethtool speed="0" duplex="ful" autoneg="sometimes" sped="1"/></interface>"#;
    assert_eq!(
        diags(xml),
        [
            "1:42 error speed: invalid speed `0`: must be between 1 and 4294967294 Mb/s",
            "1:53 error duplex: invalid duplex `ful`: expected one of half, full",
            "1:67 error autoneg: invalid autoneg `sometimes`: expected yes or no",
            "1:78 error sped: unknown attribute `sped` on <ethtool>",
        ]
    );
    assert_eq!(help(xml, 1), "did you mean `full`?");
    assert_eq!(help(xml, 3), "did you mean `speed`?");
}

#[test]
fn ethtool_works_in_any_interface_but_only_once() {
    let xml = r#"<bond name="bond0">
  <ethtool><feature name="gro" state="off"/></ethtool>
  <ethtool/>
</bond>"#;
    assert_eq!(diags(xml), ["3:3 error ethtool: an interface has at most one <ethtool>"]);
    assert_eq!(help(xml, 0), "merge it into the one at 2:3");
}

#[test]
fn features_need_a_well_formed_unique_name_and_a_state() {
    let xml = r#"<interface device="eth0">
  <ethtool>
    <feature name="gro" state="on"/>
    <feature name="gro" state="off"/>
    <feature name="TX Checksum" state="on"/>
    <feature state="on"/>
    <feature name="tso"/>
    <feature name="a-very-long-feature-name-indeed-32" state="on" value="1"/>
    <featur name="lro" state="on"/>
  </ethtool>
</interface>"#;
    assert_eq!(
        diags(xml),
        [
            "4:20 error name: feature gro is already set at 3:20",
            "5:20 error name: invalid name `TX Checksum`: feature names are lower-case letters, digits, `-` and `_`, \
             as `ethtool -k` prints them",
            "6:5 error name: <feature> needs a `name` attribute",
            "7:5 error state: <feature> needs a `state` attribute",
            "8:67 error value: unknown attribute `value` on <feature>",
            "8:20 error name: invalid name `a-very-long-feature-name-indeed-32`: feature names are at most 31 \
             characters",
            "9:5 error featur: unknown element <featur> in <ethtool>",
        ]
    );
    assert_eq!(help(xml, 6), "did you mean <feature>?");
}

#[test]
fn rings_and_channels_are_counts_and_appear_once() {
    let xml = r#"<interface device="eth0">
  <ethtool>
    <ring rx="0" tx="many" rx_jumbo="0"/>
    <ring tx="512"/>
    <channels rx="0" combined="0" tx="1"/>
  </ethtool>
</interface>"#;
    assert_eq!(
        diags(xml),
        [
            "3:15 error rx: invalid rx `0`: must be between 1 and 4294967295",
            "3:22 error tx: invalid tx `many`: expected a non-negative integer",
            "3:28 error rx_jumbo: unknown attribute `rx_jumbo` on <ring>",
            "4:5 error ring: <ethtool> has at most one <ring>",
            "5:22 error combined: rx=\"0\" and combined=\"0\" leave no rx channel",
        ]
    );
    assert_eq!(help(xml, 2), "did you mean `rx-jumbo`?");
}
