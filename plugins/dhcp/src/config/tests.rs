//! Every rule of the `<dhcp>` and `<dhcp6>` vocabularies, checked with exact positions.

use netplug_plugin_sdk::{Plugin, Subnet, Validation};
use netplug_plugin_testing::{diagnostic_lines, validate_xml};

use super::hostname_problem;
use crate::DhcpPlugin;

fn validate(xml: &str) -> Validation {
    validate_xml(&DhcpPlugin::default(), xml)
}

fn diags(xml: &str) -> Vec<String> {
    diagnostic_lines(&validate(xml))
}

/// One element (e.g. `dhcp peerdns="yes"`) in eth0, on line 2 at column 3.
fn one(element: &str) -> String {
    format!("<interface device=\"eth0\">\n  <{element}/>\n</interface>")
}

const NONE: [&str; 0] = [];

#[test]
fn info_claims_dhcp_and_dhcp6_in_the_dynamic_phase() {
    let info = DhcpPlugin::default().info();
    assert_eq!(info.elements, ["dhcp", "dhcp6"]);
    assert_eq!(info.phase, Some(netplug_plugin_sdk::Phase::Dynamic));
}

#[test]
fn the_proposal_examples_are_clean_and_make_the_interface_dynamic() {
    let xml = r#"<interfaces>
<interface device="eth0" onboot="yes">
  <hwaddr>00:19:d2:9f:88:96</hwaddr>
  <dhcp peerdns="yes" hostname="foo" sethostname="no" setrouting="yes" setdefaultroute="yes" nis="yes"
        setnisdomain="yes" timeout="30"/>
  <dhcp6 peerdns="no" autoconf="yes" dhcp="no" hostname="foo.example.com" timeout="60"/>
</interface>
<bridge name="br0" stp="off" onboot="yes"><member device="eth2"/><dhcp peerdns="yes"/></bridge>
</interfaces>"#;
    let v = validate(xml);
    assert_eq!(v.diagnostics, []);
    assert_eq!(
        v.subnets,
        [Subnet { interface: "eth0".into(), prefix: None }, Subnet { interface: "br0".into(), prefix: None }]
    );
}

#[test]
fn flags_are_yes_or_no_and_unknown_attributes_are_hinted() {
    let xml = one(r#"dhcp peerdns="maybe" setdefaultrout="yes" autoconf="yes""#);
    let v = validate(&xml);
    assert_eq!(
        diags(&xml),
        [
            "2:18 error peerdns: invalid peerdns `maybe`: expected yes or no",
            "2:25 error setdefaultrout: unknown attribute `setdefaultrout` on <dhcp>",
            "2:46 error autoconf: unknown attribute `autoconf` on <dhcp>",
        ]
    );
    assert_eq!(v.diagnostics[1].help.as_deref(), Some("did you mean `setdefaultroute`?"));
    assert_eq!(
        diags(&one(r#"dhcp6 setrouting="no""#)),
        ["2:10 error setrouting: unknown attribute `setrouting` on <dhcp6>"]
    );
}

#[test]
fn timeouts_are_seconds_up_to_a_day() {
    assert_eq!(
        diags(&one(r#"dhcp timeout="0""#)),
        ["2:18 error timeout: invalid timeout `0`: must be between 1 and 86400 seconds"]
    );
}

#[test]
fn host_names_follow_rfc_1123() {
    assert_eq!(hostname_problem("web-1.example.com"), None);
    assert_eq!(hostname_problem("9lives"), None);
    assert!(hostname_problem(&"a".repeat(64)).is_some());
    assert!(hostname_problem(&["a"; 128].join(".")).is_some());
    assert_eq!(
        diags(&one(r#"dhcp hostname="web_1""#)),
        ["2:19 error hostname: invalid hostname `web_1`: `_` is not allowed; use letters, digits and hyphens"]
    );
    assert_eq!(
        diags(&one(r#"dhcp6 hostname="-web.example.""#)),
        ["2:20 error hostname: invalid hostname `-web.example.`: label `-web` starts or ends with a hyphen"]
    );
    assert_eq!(
        diags(&one(r#"dhcp hostname="web..example""#)),
        ["2:19 error hostname: invalid hostname `web..example`: a host name has no empty labels (two dots, or a dot \
          at either end)"]
    );
    assert_eq!(
        diags(&one(r#"dhcp hostname="""#)),
        ["2:19 error hostname: invalid hostname ``: a host name cannot be empty"]
    );
}

#[test]
fn one_client_per_family_and_interface() {
    let xml = "<interface device=\"eth0\">\n  <dhcp/>\n  <dhcp6/>\n  <dhcp peerdns=\"yes\"/>\n</interface>";
    let v = validate(xml);
    assert_eq!(diags(xml), ["4:3 error dhcp: an interface has at most one <dhcp>"]);
    assert_eq!(v.diagnostics[0].help.as_deref(), Some("the first is at 2:3"));
    assert_eq!(v.subnets.len(), 1);
}

#[test]
fn switched_off_features_make_their_details_unused() {
    assert_eq!(
        diags(&one(r#"dhcp setrouting="no" setdefaultroute="yes" nis="no" setnisdomain="yes""#)),
        [
            "2:25 warning setdefaultroute: setdefaultroute has no effect with setrouting=\"no\"",
            "2:56 warning setnisdomain: setnisdomain has no effect with nis=\"no\"",
        ]
    );
    // Defaults are not a contradiction.
    assert_eq!(diags(&one(r#"dhcp setrouting="no" nis="no""#)), NONE);
    assert_eq!(
        diags(&one(r#"dhcp6 dhcp="no""#)),
        ["2:3 warning dhcp: <dhcp6> with autoconf=\"no\" and dhcp=\"no\" configures nothing"]
    );
    assert_eq!(diags(&one(r#"dhcp6 dhcp="no" autoconf="yes""#)), NONE);
}

#[test]
fn dhcp_has_no_children() {
    let xml = "<interface device=\"eth0\">\n  <dhcp><route/></dhcp>\n</interface>";
    assert_eq!(diags(xml), ["2:9 error route: unknown element <route> in <dhcp>"]);
}

#[test]
fn a_lease_pasted_from_show_is_ignored_with_a_warning() {
    let xml = "<interface device=\"eth0\">\n  <dhcp><lease address=\"192.0.2.50/24\"/></dhcp>\n</interface>";
    assert_eq!(diags(xml), ["2:9 warning lease: <lease> in <dhcp> is ignored"]);
}
