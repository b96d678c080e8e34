//! Every rule of the macvlan vocabulary, checked against documents with exact positions.

use netplug_plugin_sdk::{Item, Plugin, Relation};
use netplug_plugin_testing::{diagnostic_lines, items_from_xml, validate_xml};

use crate::MacvlanPlugin;

/// Items as netplug hands them to this plugin.
fn items(xml: &str) -> Vec<Item> {
    items_from_xml(&MacvlanPlugin, xml)
}

/// Diagnostics as `LINE:COL severity attribute: message`.
fn diags(xml: &str) -> Vec<String> {
    diagnostic_lines(&validate_xml(&MacvlanPlugin, xml))
}

const NONE: [&str; 0] = [];

#[test]
fn info_claims_both_kinds() {
    let info = MacvlanPlugin.info();
    assert_eq!(info.name, "macvlan");
    assert_eq!(info.kinds, ["macvlan", "macvtap"]);
}

#[test]
fn a_complete_document_is_clean_and_depends_on_its_parent() {
    let xml = r#"<interfaces>
  <macvlan name="mv0" device="eth0" mode="bridge" bcqueuelen="100"/>
  <macvtap name="tap0" device="eth0" mode="source" nodst="yes">
    <source mac="52:54:00:00:00:01"/>
    <source mac="52:54:00:00:00:02"/>
  </macvtap>
</interfaces>"#;
    assert_eq!(diags(xml), NONE);
    let v = MacvlanPlugin.validate(&items(xml));
    let deps: Vec<_> = v.dependencies.iter().map(|d| (d.from.as_str(), d.to.as_str(), d.relation)).collect();
    assert_eq!(deps, [("mv0", "eth0", Relation::Parent), ("tap0", "eth0", Relation::Parent)]);
}

#[test]
fn values_are_checked_where_they_are_written() {
    let xml = r#"<interfaces>
  <macvlan name="a" mode="bridged" device="eth0/1" bcqueuelen="-1" bogus="1"/>
  <macvlan name="b"/>
  <macvlan name="c" device="c"/>
</interfaces>"#;
    assert_eq!(
        diags(xml),
        [
            "2:27 error mode: invalid mode `bridged`: expected one of private, vepa, bridge, passthru, source",
            "2:64 error bcqueuelen: invalid bcqueuelen `-1`: expected a non-negative integer",
            "2:68 error bogus: unknown attribute `bogus` on <macvlan>",
            "2:44 error device: invalid device `eth0/1`: an interface name cannot contain `/`, `:` or whitespace",
            "3:3 error device: <macvlan> needs a `device` attribute",
            "4:29 error device: c cannot be its own parent device",
        ]
    );
}

#[test]
fn sources_need_source_mode_and_unicast_addresses_once_each() {
    let xml = r#"<interfaces>
  <macvlan name="a" device="eth0" mode="bridge"><source mac="52:54:00:00:00:01"/></macvlan>
  <macvlan name="b" device="eth0" mode="source">
    <source mac="01:00:5e:00:00:01"/>
    <source mac="52:54:00:00:00:01"/>
    <source mac="52-54-00-00-00-01"/>
    <source mac="nope"/>
    <source/>
  </macvlan>
</interfaces>"#;
    assert_eq!(
        diags(xml),
        [
            "2:49 error source: <source> addresses need mode=\"source\"",
            "4:18 error mac: invalid mac `01:00:5e:00:00:01`: must be a unicast address, not all zero",
            "6:18 error mac: 52-54-00-00-00-01 is listed twice",
            "7:18 error mac: invalid mac `nope`: expected a MAC address such as 52:54:00:12:34:56",
            "8:5 error mac: <source> needs a `mac` attribute",
        ]
    );
}

#[test]
fn flags_outside_their_mode_are_warned_about() {
    let xml = r#"<interfaces>
  <macvlan name="a" device="eth0" nopromisc="yes" nodst="no"/>
  <macvlan name="b" device="eth1" mode="passthru" nopromisc="yes" nodst="yes"/>
</interfaces>"#;
    assert_eq!(
        diags(xml),
        [
            "2:35 warning nopromisc: nopromisc has no effect outside mode=\"passthru\"",
            "3:67 warning nodst: nodst has no effect outside mode=\"source\"",
        ]
    );
}

#[test]
fn a_passthru_macvlan_is_alone_on_its_parent_and_has_no_mac_of_its_own() {
    let xml = r#"<interfaces>
  <macvlan name="a" device="eth0" mode="passthru"><hwaddr>52:54:00:00:00:01</hwaddr></macvlan>
  <macvtap name="b" device="eth0"/>
  <macvlan name="c" device="eth1"/>
</interfaces>"#;
    assert_eq!(
        diags(xml),
        [
            "2:3 error hwaddr: a passthru macvlan takes its parent's MAC address",
            "3:29 error device: eth0 already has the passthru macvlan a",
        ]
    );
}

#[test]
fn an_absent_macvlan_needs_only_its_name() {
    assert_eq!(diags(r#"<macvlan name="a" state="absent"/>"#), NONE);
}
