//! Tests of the native dialect's envelope rules, each asserting the exact rendered diagnostic
//! (`FILE:LINE:COL: severity: message`), and of what `native::read` keeps.

mod libvirt_support;

use netplug_core::dialect::native;
use netplug_core::load::load_str;
use netplug_core::model::{Dialect, Interface, StartMode};
use netplug_core::source::SourceMap;
use netplug_plugin_sdk::LinkState;

/// Load `text` as `net.xml`: the interfaces and the rendered diagnostics.
fn load(text: &str) -> (Vec<Interface>, Vec<String>) {
    let mut sources = SourceMap::new();
    let (interfaces, diagnostics, dialect) =
        load_str("net.xml", text, &mut sources, libvirt_support::registry());
    if !diagnostics.iter().any(|d| d.message.contains("XML") || d.message.contains("document")) {
        assert_eq!(dialect, Some(Dialect::Native));
    }
    (interfaces, diagnostics.iter().map(|d| sources.render(d)).collect())
}

fn one(text: &str) -> Interface {
    let (mut interfaces, diagnostics) = load(text);
    assert_eq!(diagnostics, Vec::<String>::new());
    assert_eq!(interfaces.len(), 1);
    interfaces.remove(0)
}

fn errors(text: &str) -> Vec<String> {
    load(text).1
}

#[test]
fn the_envelope_of_an_ethernet_interface() {
    let i = one("<interface device=\"eth0\" startmode=\"hotplug\" state=\"down\" mtu=\"9000\">\n  \
         <hwaddr>00:19:D2:9F:88:96</hwaddr>\n  <dhcp peerdns=\"yes\"/>\n</interface>");
    assert_eq!((i.name.as_str(), i.kind.as_str()), ("eth0", "ethernet"));
    assert_eq!((i.start_mode, i.state, i.mtu), (StartMode::Hotplug, LinkState::Down, Some(9000)));
    assert_eq!(i.mac.as_deref(), Some("00:19:d2:9f:88:96"));
    assert_eq!((i.master.as_deref(), i.parent.as_deref()), (None, None));
    assert_eq!((i.name_span.line, i.name_span.col, i.name_span.start), (1, 20, 19));
    // The whole element is kept, with its spans: plugins read their parts from it.
    assert_eq!(i.element.children.len(), 2);
    assert_eq!(i.element.children[1].attr("peerdns").unwrap().value_span.line, 3);
}

#[test]
fn defaults() {
    let i = one("<interface device=\"eth0\"/>");
    assert_eq!((i.start_mode, i.state, i.mtu, i.mac), (StartMode::Onboot, LinkState::Up, None, None));
}

#[test]
fn every_other_element_is_its_own_kind_named_by_name() {
    let (interfaces, diagnostics) = load(
        "<interfaces>\n  <bond name=\"bond0\"/>\n  <vlan name=\"eth0.42\" device=\"eth0\" tag=\"42\"/>\n  \
         <veth name=\"v0\" peer=\"v1\"/>\n  <interface name=\"eth1\"/>\n</interfaces>\n",
    );
    assert_eq!(diagnostics, Vec::<String>::new());
    let got: Vec<_> = interfaces.iter().map(|i| (i.kind.as_str(), i.name.as_str())).collect();
    assert_eq!(got, [("bond", "bond0"), ("vlan", "eth0.42"), ("veth", "v0"), ("ethernet", "eth1")]);
}

#[test]
fn missing_names() {
    assert_eq!(
        load("<interfaces>\n  <bond mode=\"802.3ad\"/>\n  <interface/>\n</interfaces>"),
        (
            vec![],
            vec![
                "net.xml:2:3: error: missing attribute `name` on <bond>".to_string(),
                "net.xml:3:3: error: missing attribute `device` on <interface>".to_string(),
            ]
        )
    );
    // A vlan's `device` is its parent, not its name.
    assert_eq!(errors("<vlan device=\"eth0\"/>"), ["net.xml:1:1: error: missing attribute `name` on <vlan>"]);
}

#[test]
fn name_and_device_must_agree_on_interface() {
    assert_eq!(
        errors("<interface device=\"eth0\" name=\"eth1\"/>"),
        ["net.xml:1:32: error: eth0: `name` (an alias of `device`) disagrees with device=\"eth0\" (give \
            only `device`)"]
    );
    assert_eq!(one("<interface device=\"eth0\" name=\"eth0\"/>").name, "eth0");
}

#[test]
fn interface_names_follow_the_kernel() {
    let cases = [
        ("", "net.xml:1:15: error: invalid name ``: interface names cannot be empty"),
        (
            "a23456789012345x",
            "net.xml:1:15: error: a23456789012345x: invalid name `a23456789012345x`: interface names are \
                at most 15 bytes, this one is 16",
        ),
        (".", "net.xml:1:15: error: .: invalid name `.`: `.` and `..` are not interface names"),
        ("..", "net.xml:1:15: error: ..: invalid name `..`: `.` and `..` are not interface names"),
        ("br/0", "net.xml:1:15: error: br/0: invalid name `br/0`: interface names cannot contain `/`"),
        (
            "br0:1",
            "net.xml:1:15: error: br0:1: invalid name `br0:1`: interface names cannot contain `:` \
                (`eth0:1` is an address label, not an interface)",
        ),
        ("br 0", "net.xml:1:15: error: br 0: invalid name `br 0`: interface names cannot contain whitespace"),
        (
            "br&#9;0",
            "net.xml:1:15: error: br\t0: invalid name `br\t0`: interface names cannot contain \
            whitespace",
        ),
    ];
    for (name, expected) in cases {
        assert_eq!(errors(&format!("<bridge name=\"{name}\"/>")), [expected], "{name:?}");
    }
    // Bytes, not characters: 15 bytes of UTF-8 is fine, 16 is not.
    assert_eq!(one("<bridge name=\"ééééééé1\"/>").name, "ééééééé1");
    assert_eq!(
        errors("<bridge name=\"éééééééé\"/>"),
        ["net.xml:1:15: error: éééééééé: invalid name `éééééééé`: interface names are at most 15 bytes, \
            this one is 16"]
    );
    // An invalid name is reported, but the interface is kept so the rest is still checked.
    assert_eq!(load("<bridge name=\"br/0\"/>").0.len(), 1);
}

#[test]
fn start_mode() {
    assert_eq!(one("<bond name=\"b\" startmode=\"nfsroot\"/>").start_mode, StartMode::Nfsroot);
    assert_eq!(one("<bond name=\"b\" onboot=\"yes\"/>").start_mode, StartMode::Onboot);
    assert_eq!(one("<bond name=\"b\" onboot=\"no\"/>").start_mode, StartMode::Manual);
    assert_eq!(one("<bond name=\"b\" onboot=\"no\" startmode=\"manual\"/>").start_mode, StartMode::Manual);
    assert_eq!(
        errors("<bond name=\"b\"\n      startmode=\"onbot\"/>"),
        ["net.xml:2:18: error: b: invalid startmode `onbot`: expected one of onboot, manual, hotplug, \
                ifplug, nfsroot \
             (did you mean `onboot`?)"]
    );
    assert_eq!(
        errors("<bond name=\"b\" startmode=\"sometimes\"/>"),
        ["net.xml:1:27: error: b: invalid startmode `sometimes`: expected one of onboot, manual, hotplug, \
            ifplug, nfsroot"]
    );
    assert_eq!(
        errors("<bond name=\"b\" onboot=\"perhaps\"/>"),
        ["net.xml:1:24: error: b: invalid onboot `perhaps`: expected yes or no"]
    );
    assert_eq!(
        errors("<bond name=\"b\" startmode=\"manual\" onboot=\"yes\"/>"),
        ["net.xml:1:43: error: b: onboot=\"yes\" conflicts with startmode=\"manual\" \
             (`onboot` is the legacy spelling of `startmode`; keep only `startmode`)"]
    );
}

#[test]
fn state() {
    assert_eq!(one("<bond name=\"b\" state=\"absent\"/>").state, LinkState::Absent);
    assert_eq!(
        errors("<bond name=\"b\" state=\"dwon\"/>"),
        ["net.xml:1:23: error: b: invalid state `dwon`: expected one of up, down, absent (did you mean \
            `down`?)"]
    );
}

#[test]
fn mtu() {
    assert_eq!(one("<bond name=\"b\" mtu=\"68\"/>").mtu, Some(68));
    assert_eq!(one("<bond name=\"b\" mtu=\"65535\"/>").mtu, Some(65535));
    let bad = [
        ("67", "must be between 68 and 65535 (68 is the IPv4 minimum)"),
        ("65536", "must be between 68 and 65535 (68 is the IPv4 minimum)"),
        ("-1", "expected a number of bytes between 68 and 65535"),
        ("1500b", "expected a number of bytes between 68 and 65535"),
        ("", "expected a number of bytes between 68 and 65535"),
    ];
    for (value, why) in bad {
        assert_eq!(
            errors(&format!("<bond name=\"b\" mtu=\"{value}\"/>")),
            [format!("net.xml:1:21: error: b: invalid mtu `{value}`: {why}")]
        );
    }
}

#[test]
fn hwaddr() {
    let mac =
        |text: &str| one(&format!("<interface device=\"eth9\"><hwaddr>{text}</hwaddr></interface>")).mac;
    assert_eq!(mac("52-54-00-AB-cd-EF").as_deref(), Some("52:54:00:ab:cd:ef"));
    assert_eq!(mac("\n  52:54:00:12:34:56\n").as_deref(), Some("52:54:00:12:34:56"));
    let bad =
        |text: &str| errors(&format!("<interface device=\"eth9\">\n  <hwaddr>{text}</hwaddr>\n</interface>"));
    let expected = "expected six hex octets such as 52:54:00:12:34:56";
    for text in [
        "52:54:00:12:34",
        "52:54:00:12:34:56:78",
        "52:54:00:12:34:5",
        "52:54-00:12:34:56",
        "zz:54:00:12:34:56",
        "+2:54:00:12:34:56",
    ] {
        assert_eq!(bad(text), [format!("net.xml:2:3: error: eth9: invalid hwaddr `{text}`: {expected}")]);
    }
    assert_eq!(bad(""), [format!("net.xml:2:3: error: eth9: empty <hwaddr>: {expected}")]);
    assert_eq!(
        bad("01:00:5e:00:00:01"),
        ["net.xml:2:3: error: eth9: invalid hwaddr `01:00:5e:00:00:01`: multicast MAC cannot be an \
            interface address"]
    );
    assert_eq!(
        bad("FF:FF:FF:FF:FF:FF"),
        ["net.xml:2:3: error: eth9: invalid hwaddr `FF:FF:FF:FF:FF:FF`: multicast MAC cannot be an \
            interface address"]
    );
    assert_eq!(
        bad("00:00:00:00:00:00"),
        ["net.xml:2:3: error: eth9: invalid hwaddr `00:00:00:00:00:00`: all-zero MAC cannot be an \
            interface address"]
    );
    assert_eq!(
        errors(
            "<interface device=\"eth9\">\n  <hwaddr>52:54:00:12:34:56</hwaddr>\n  \
            <hwaddr>52:54:00:12:34:57</hwaddr>\n</interface>"
        ),
        ["net.xml:3:3: error: eth9: more than one <hwaddr> (the first is at 2:3)"]
    );
}

#[test]
fn diagnostics_name_the_interface_and_attribute() {
    let mut sources = SourceMap::new();
    let (_, diagnostics, _) =
        load_str("net.xml", "<bond name=\"b\" mtu=\"1\"/>", &mut sources, libvirt_support::registry());
    assert_eq!(diagnostics[0].interface.as_deref(), Some("b"));
    assert_eq!(diagnostics[0].attribute.as_deref(), Some("mtu"));
    assert_eq!(sources.to_json(&diagnostics[0]).column, 21);
}

#[test]
fn the_interfaces_wrapper() {
    assert_eq!(load("<interfaces/>"), (vec![], vec![]));
    assert_eq!(
        errors("<interfaces>\n  stray\n  <bond name=\"b\"/>\n</interfaces>"),
        ["net.xml:1:1: error: text is not allowed directly inside <interfaces>: `stray`"]
    );
    assert_eq!(
        errors("<interfaces version=\"2\"/>"),
        ["net.xml:1:13: error: unknown attribute `version` on <interfaces>"]
    );
    assert_eq!(
        load("<interfaces>\n  <interfaces/>\n  <bond name=\"b\"/>\n</interfaces>").1,
        ["net.xml:2:3: error: <interfaces> cannot be nested"]
    );
    assert_eq!(
        errors(
            "<bridge name=\"br0\">\n  <member device=\"eth0\">\n    <interfaces/>\n  </member>\n</bridge>"
        ),
        ["net.xml:3:5: error: br0: <interfaces> cannot appear inside an interface"]
    );
}

#[test]
fn read_collects_every_problem_in_order() {
    let text = "<interfaces>\n  <bond name=\"b0\" mtu=\"1\" state=\"x\"/>\n  <bond/>\n  <bridge \
        name=\"br/0\"/>\n</interfaces>";
    let (interfaces, diagnostics) = load(text);
    assert_eq!(interfaces.len(), 2);
    assert_eq!(
        diagnostics.iter().map(|d| d.split(": error").next().unwrap()).collect::<Vec<_>>(),
        ["net.xml:2:34", "net.xml:2:24", "net.xml:3:3", "net.xml:4:17"]
    );
}

#[test]
fn native_read_on_a_tree_built_in_code() {
    use netplug_plugin_sdk::Element;
    let (interfaces, diagnostics) =
        native::read(Element::new("bond").with_attr("name", "bond0"), libvirt_support::registry());
    assert!(diagnostics.is_empty());
    assert_eq!(interfaces[0].name, "bond0");
    assert!(!interfaces[0].name_span.is_known());
}
