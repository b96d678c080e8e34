//! Every rule of the VRF vocabulary, checked against documents with exact positions.

use netplug_plugin_sdk::{Item, Plugin, Relation};
use netplug_plugin_testing::{diagnostic_lines, items_from_xml, validate_xml};

use crate::VrfPlugin;

/// Items as netplug hands them to this plugin.
fn items(xml: &str) -> Vec<Item> {
    items_from_xml(&VrfPlugin, xml)
}

/// Diagnostics as `LINE:COL severity attribute: message`.
fn diags(xml: &str) -> Vec<String> {
    diagnostic_lines(&validate_xml(&VrfPlugin, xml))
}

const NONE: [&str; 0] = [];

#[test]
fn a_complete_document_is_clean_and_its_members_depend_on_it() {
    let xml = r#"<interfaces>
  <vrf name="blue" table="1001">
    <member device="eth1"/>
    <member device="br0"/>
  </vrf>
  <vrf name="red" table="1002"/>
</interfaces>"#;
    assert_eq!(diags(xml), NONE);
    let v = VrfPlugin.validate(&items(xml));
    let deps: Vec<_> = v.dependencies.iter().map(|d| (d.from.as_str(), d.to.as_str(), d.relation)).collect();
    assert_eq!(deps, [("eth1", "blue", Relation::Member), ("br0", "blue", Relation::Member)]);
}

#[test]
fn tables_are_required_usable_and_not_shared() {
    let xml = r#"<interfaces>
  <vrf name="a"/>
  <vrf name="b" table="0"/>
  <vrf name="c" table="main"/>
  <vrf name="d" table="254"/>
  <vrf name="e" table="10"/>
  <vrf name="f" table="10"/>
  <vrf name="g" state="absent"/>
</interfaces>"#;
    assert_eq!(
        diags(xml),
        [
            "2:3 error table: <vrf> needs a `table` attribute",
            "3:24 error table: invalid table `0`: table 0 means \"unspecified\"; the kernel needs a table number",
            "4:24 error table: invalid table `main`: expected a table number from 1 to 4294967295",
            "5:24 error table: invalid table `254`: tables 253-255 are the host's default, main and local tables",
            "7:24 error table: e already has table 10",
        ]
    );
}

#[test]
fn members_are_named_once_and_never_the_vrf_or_loopback() {
    let xml = r#"<vrf name="blue" table="5">
  <member device="eth0"/>
  <member device="eth0"/>
  <member device="blue"/>
  <member device="lo"/>
  <member/>
  <member device="eth1" bogus="x"/>
</vrf>"#;
    assert_eq!(
        diags(xml),
        [
            "3:19 error device: eth0 is already a member of blue (at 2:19)",
            "4:19 error device: blue cannot be a member of itself",
            "5:19 error device: the loopback device cannot be put in a VRF",
            "6:3 error device: <member> needs a `device` attribute",
            "7:25 error bogus: unknown attribute `bogus` on <member>",
        ]
    );
}
