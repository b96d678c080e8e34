//! Reading libvirt documents: every problem is reported at its place in the libvirt file, with
//! a hint where one helps, and everything native cannot say is a "dropped:" warning.

mod libvirt_support;

use libvirt_support::{errors, fixture, parse, render, spanned};
use netplug_core::dialect::libvirt;
use netplug_core::model::StartMode;
use netplug_plugin_sdk::{Diagnostic, Severity};

/// Read `text`; return the diagnostics with the text each one points at.
fn diagnose(text: &str) -> Vec<(Diagnostic, String)> {
    let (_, diags) = libvirt::read(&parse(text), libvirt_support::registry());
    diags.into_iter().map(|d| (d.clone(), spanned(text, d.span).to_string())).collect()
}

/// The one diagnostic of `text`, asserting there is exactly one.
fn only(text: &str) -> (Diagnostic, String) {
    let mut all = diagnose(text);
    let diags: Vec<Diagnostic> = all.iter().map(|(d, _)| d.clone()).collect();
    assert_eq!(all.len(), 1, "{}", render(text, &diags));
    all.remove(0)
}

#[test]
fn an_envelope_value_is_reported_where_the_libvirt_file_has_it() {
    let text = "<interface type='ethernet' name='eth0'>\n  <mtu size='99999999'/>\n</interface>\n";
    let (d, at) = only(text);
    assert!(d.is_error());
    assert_eq!(at, "99999999");
    assert_eq!((d.span.line, d.span.col), (2, 14));
    assert_eq!(d.interface.as_deref(), Some("eth0"));
}

#[test]
fn a_bad_mac_is_reported_at_the_address() {
    let text = "<interface type='ethernet' name='eth0'>\n  <mac address='01:00:5e:00:00:01'/>\n</interface>";
    let (d, at) = only(text);
    assert!(d.message.contains("multicast"), "{}", d.message);
    assert_eq!(at, "01:00:5e:00:00:01");
}

#[test]
fn unknown_names_get_did_you_mean() {
    let (d, at) = only("<interface type='ethernet' name='eth0'><protocl family='ipv4'/></interface>");
    assert!(d.is_error() && d.message.contains("<protocl>"), "{}", d.message);
    assert_eq!(d.help.as_deref(), Some("did you mean <protocol>?"));
    assert!(at.starts_with("<protocl"), "{at}");

    let (d, at) = only("<interface type='bridge' name='br0'><bridge stp='on' dealy='0'/></interface>");
    assert_eq!(d.help.as_deref(), Some("did you mean `delay`?"));
    assert_eq!(at, "dealy");

    let (d, at) = only("<interface type='bidge' name='br0'><bridge/></interface>");
    assert_eq!(d.help.as_deref(), Some("did you mean `bridge`?"));
    assert_eq!(at, "bidge");

    let (d, _) = only("<interface type='bond' name='b'><bond mode='active-backpu'/></interface>");
    assert_eq!(d.help.as_deref(), Some("did you mean `active-backup`?"));
}

#[test]
fn start_modes_use_libvirt_words() {
    let (d, at) = only("<interface type='ethernet' name='eth0'><start mode='manual'/></interface>");
    assert_eq!(at, "manual");
    assert_eq!(d.help.as_deref(), Some("libvirt spells it `none`"));
    let (ifaces, diags) = libvirt::read(
        &parse("<interface type='ethernet' name='e'><start mode='none'/></interface>"),
        libvirt_support::registry(),
    );
    assert!(diags.is_empty());
    assert_eq!(ifaces[0].start_mode, StartMode::Manual);
    assert_eq!(ifaces[0].element.value("startmode"), Some("manual"));
}

#[test]
fn ports_carry_no_start_mtu_or_addresses() {
    let text = "<interface type='bridge' name='br0'><bridge>\
                <interface type='ethernet' name='eth0'><mtu size='9000'/></interface>\
                </bridge></interface>";
    let (d, at) = only(text);
    assert!(d.message.contains("<mtu> on a port"), "{}", d.message);
    assert!(at.starts_with("<mtu"));
    assert_eq!(d.interface.as_deref(), Some("eth0"));
}

#[test]
fn what_kinds_a_master_holds() {
    let text = "<interface type='bond' name='bond0'><bond>\
                <interface type='vlan' name='eth0.5'><vlan tag='5'><interface name='eth0'/></vlan></interface>\
                </bond></interface>";
    let (d, at) = only(text);
    assert_eq!(at, "vlan");
    assert!(d.message.contains("ethernet"), "{}", d.message);
}

#[test]
fn live_link_state_keeps_up_and_reports_the_rest() {
    let text = "<interface type='ethernet' name='eth0'><link speed='100' state='down'/></interface>";
    let all = diagnose(text);
    assert_eq!(all.len(), 2);
    assert!(all.iter().all(|(d, _)| d.severity == Severity::Warning && d.message.starts_with("dropped:")));
    assert_eq!(all.iter().map(|(_, at)| at.as_str()).collect::<Vec<_>>(), ["100", "down"]);
    let (ifaces, _) = libvirt::read(&parse(text), libvirt_support::registry());
    assert_eq!(ifaces[0].element.value("state"), None);

    let (ifaces, diags) = libvirt::read(&parse("<interface type='vlan' name='v'><link state='up'/><vlan tag='5'><interface name='eth0'/></vlan></interface>"), libvirt_support::registry());
    assert!(diags.is_empty());
    assert_eq!(ifaces[0].element.value("state"), Some("up"));

    let (d, at) = only("<interface type='ethernet' name='eth0'><link state='lowerlayerdown'/></interface>");
    assert!(d.severity == Severity::Warning && at == "lowerlayerdown");

    let (d, _) = only("<interface type='bridge' name='br0'><link state='up'/><bridge/></interface>");
    assert!(d.is_error());
}

#[test]
fn addressing_is_checked_against_its_family() {
    let (d, at) = only("<interface type='ethernet' name='e'><protocol family='ipv6'><ip address='10.0.0.1'/></protocol></interface>");
    assert!(d.is_error() && d.message.contains("IPv4 address"), "{}", d.message);
    assert_eq!(at, "10.0.0.1");

    let (d, at) = only("<interface type='ethernet' name='e'><protocol family='ipv4'><ip address='10.0.0.1' prefix='33'/></protocol></interface>");
    assert!(d.message.contains("0 to 32"), "{}", d.message);
    assert_eq!(at, "33");

    let (d, _) = only(
        "<interface type='ethernet' name='e'><protocol family='ipv4'><autoconf/></protocol></interface>",
    );
    assert!(d.is_error() && d.message.contains("IPv6 only"));

    let (d, at) = only("<interface type='ethernet' name='e'><protocol family='ipx'/></interface>");
    assert_eq!(at, "ipx");
    assert!(d.is_error());

    let (d, _) = only("<interface type='ethernet' name='e'><protocol family='ipv6'/></interface>");
    assert!(d.severity == Severity::Warning && d.message.starts_with("dropped:"));

    let text = "<interface type='ethernet' name='e'><protocol family='ipv4'><dhcp/></protocol>\
                <protocol family='ipv4'><dhcp/></protocol></interface>";
    let (d, _) = only(text);
    assert!(d.message.contains("second <protocol"), "{}", d.message);
}

#[test]
fn the_kind_elements_are_checked() {
    let (d, _) = only("<interface type='bond' name='b'><bond><miimon freq='1'/><arpmon interval='1' target='1.2.3.4'/></bond></interface>");
    assert!(d.message.contains("not both"));
    let (d, _) = only("<interface type='bond' name='b'><bond><miimon/></bond></interface>");
    assert!(d.message.contains("freq"));
    let (d, _) =
        only("<interface type='bond' name='b'><mac address='52:54:00:00:00:01'/><bond/></interface>");
    assert!(d.message.contains("only on ethernet"), "{}", d.message);
    let (d, _) = only("<interface type='bridge' name='b'><bond/><bridge/></interface>");
    assert!(d.message.contains("<bond> in an interface of type bridge"), "{}", d.message);
    let (d, _) = only("<interface type='vlan' name='v'><vlan tag='5'/></interface>");
    assert!(d.message.contains("no parent"));
    let (d, _) = only("<interface type='ethernet' name='e'><mac address='52:54:00:00:00:01'/><mac address='52:54:00:00:00:02'/></interface>");
    assert!(d.message.contains("second <mac>"));
    let (d, _) = only("<network><name>default</name></network>");
    assert!(d.message.contains("unexpected root element <network>"));
}

#[test]
fn a_vlan_without_a_name_is_named_parent_dot_tag() {
    let (ifaces, diags) = libvirt::read(
        &parse("<interface type='vlan'><vlan tag='42'><interface name='eth0'/></vlan></interface>"),
        libvirt_support::registry(),
    );
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(ifaces[0].name, "eth0.42");
    assert_eq!(ifaces[0].element.value("device"), Some("eth0"));
    assert_eq!(ifaces[0].element.value("tag"), Some("42"));
}

#[test]
fn native_attributes_carry_the_libvirt_positions() {
    let text = fixture("bridge-bond.xml");
    let (elements, diags) = libvirt::to_native(&parse(&text), libvirt_support::registry());
    assert!(diags.is_empty());
    let at =
        |e: &netplug_plugin_sdk::Element, a: &str| spanned(&text, e.attr(a).unwrap().value_span).to_string();
    let (br1, bond0, eth0) = (&elements[0], &elements[1], &elements[2]);
    assert_eq!(at(br1, "startmode"), "onboot");
    assert_eq!(at(br1, "forwarddelay"), "0");
    assert_eq!(at(br1.child("member").unwrap(), "device"), "bond0");
    assert_eq!(at(bond0, "use_carrier"), "ioctl", "a respelt value points at the libvirt one");
    assert_eq!(at(bond0, "mode"), "802.3ad");
    // What a port inherits points at the top-level interface's value.
    assert_eq!(eth0.attr("mtu").unwrap().value_span, br1.attr("mtu").unwrap().value_span);
    assert_eq!(at(eth0, "device"), "eth0");
    assert!(spanned(&text, eth0.span).starts_with("<interface type='ethernet' name='eth0'"));
    let ip = br1.child("static").unwrap();
    assert_eq!(ip.value("ipaddr"), Some("172.16.1.10/24"));
    assert_eq!(at(ip, "ipaddr"), "172.16.1.10");
}

#[test]
fn nothing_but_warnings_for_a_clean_live_dump() {
    let text = fixture("live-state.xml");
    let (ifaces, diags) = libvirt::read(&parse(&text), libvirt_support::registry());
    assert!(errors(&diags).is_empty());
    assert_eq!(diags.len(), 1, "{}", render(&text, &diags));
    assert_eq!(ifaces[0].element.children_named("static").count(), 3);
}

/// What `virsh iface-bridge` writes: STP on with no forward delay. The kernel needs 2 s while
/// STP is on; netplug applies 2 s and says so where the document has the 0 (issue #14, 12).
#[test]
fn stp_on_with_a_delay_under_2_s_is_applied_as_2_s_with_a_warning() {
    let text = "<interface type='bridge' name='br0'><bridge stp='on' delay='0'><interface type='ethernet' name='eth0'/></bridge></interface>";
    let (ifaces, diags) = libvirt::read(&parse(text), libvirt_support::registry());
    assert_eq!(diags.len(), 1, "{}", render(text, &diags));
    assert!(
        diags[0].severity == Severity::Warning && diags[0].message.contains("applying 2 s"),
        "{:?}",
        diags[0]
    );
    assert_eq!(spanned(text, diags[0].span), "0");
    assert_eq!(ifaces[0].element.value("forwarddelay"), Some("2"));
    // With STP off no delay is needed, and 2 s or more is kept as written.
    for (stp, delay) in [("off", "0"), ("on", "2"), ("on", "2.5")] {
        let text =
            format!("<interface type='bridge' name='br0'><bridge stp='{stp}' delay='{delay}'/></interface>");
        let (ifaces, diags) = libvirt::read(&parse(&text), libvirt_support::registry());
        assert!(diags.is_empty(), "{}", render(&text, &diags));
        assert_eq!(ifaces[0].element.value("forwarddelay"), Some(delay));
    }
}

/// netcf's and libvirt's test documents carry `<ip address='192.168.0.5'/>` with no prefix:
/// the classful default, with a warning at the address (issue #14, 12).
#[test]
fn an_ipv4_address_without_prefix_takes_the_classful_default() {
    for (addr, len) in [("10.1.2.3", 8), ("172.16.0.5", 16), ("192.168.0.5", 24)] {
        let text = format!(
            "<interface type='ethernet' name='e'><protocol family='ipv4'><ip address='{addr}'/></protocol></interface>"
        );
        let (ifaces, diags) = libvirt::read(&parse(&text), libvirt_support::registry());
        assert_eq!(diags.len(), 1, "{}", render(&text, &diags));
        assert!(diags[0].severity == Severity::Warning, "{:?}", diags[0]);
        assert!(diags[0].message.contains(&format!("classful default /{len}")), "{}", diags[0].message);
        assert_eq!(spanned(&text, diags[0].span), addr);
        let st = ifaces[0].element.child("static").expect("a <static>");
        assert_eq!(st.value("ipaddr"), Some(format!("{addr}/{len}").as_str()));
    }
}
