//! Every rule of the ipvlan vocabulary, checked against documents with exact positions.

use netplug_plugin_sdk::{Item, Plugin, Relation};
use netplug_plugin_testing::{diagnostic_lines, items_from_xml, validate_xml};

use crate::IpvlanPlugin;

/// Items as netplug hands them to this plugin.
fn items(xml: &str) -> Vec<Item> {
    items_from_xml(&IpvlanPlugin, xml)
}

/// Diagnostics as `LINE:COL severity attribute: message`.
fn diags(xml: &str) -> Vec<String> {
    diagnostic_lines(&validate_xml(&IpvlanPlugin, xml))
}

const NONE: [&str; 0] = [];

#[test]
fn a_complete_document_is_clean_and_depends_on_its_parent() {
    let xml = r#"<interfaces>
  <ipvlan name="a" device="eth0" mode="l2" flags="private"/>
  <ipvlan name="b" device="eth0" mode="L2" flags="private"/>
  <ipvlan name="c" device="eth1"/>
</interfaces>"#;
    assert_eq!(diags(xml), NONE);
    let v = IpvlanPlugin.validate(&items(xml));
    let deps: Vec<_> = v.dependencies.iter().map(|d| (d.from.as_str(), d.to.as_str(), d.relation)).collect();
    assert_eq!(
        deps,
        [("a", "eth0", Relation::Parent), ("b", "eth0", Relation::Parent), ("c", "eth1", Relation::Parent)]
    );
}

#[test]
fn values_are_checked_where_they_are_written() {
    let xml = r#"<interfaces>
  <ipvlan name="a" device="eth0" mode="l4" flags="vepa,private"><hwaddr>52:54:00:00:00:01</hwaddr></ipvlan>
  <ipvlan name="b"/>
  <ipvlan name="c" device="c"/>
</interfaces>"#;
    assert_eq!(
        diags(xml),
        [
            "2:40 error mode: invalid mode `l4`: expected one of l2, l3, l3s",
            "2:51 error flags: invalid flags `vepa,private`: expected one of bridge, private, vepa",
            "2:3 error hwaddr: an ipvlan has its parent's MAC address and no other",
            "3:3 error device: <ipvlan> needs a `device` attribute",
            "4:28 error device: c cannot be its own parent device",
        ]
    );
}

#[test]
fn ipvlans_of_one_parent_agree_on_mode_and_flags() {
    let xml = r#"<interfaces>
  <ipvlan name="a" device="eth0" mode="l2"/>
  <ipvlan name="b" device="eth0"/>
  <ipvlan name="c" device="eth0" mode="l2" flags="vepa"/>
</interfaces>"#;
    assert_eq!(
        diags(xml),
        [
            "3:28 error flags: a on eth0 has mode l2 flags bridge; this ipvlan has mode l3 flags bridge",
            "4:40 error mode: a on eth0 has mode l2 flags bridge; this ipvlan has mode l2 flags vepa",
        ]
    );
}
