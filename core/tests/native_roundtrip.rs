//! Round trips of the native dialect: `read(write(config))` gives the config back, a document
//! read and written back is unchanged (legacy spellings included), and a property test over
//! random interfaces of random kinds, with children and text that need escaping, through the
//! XML text as well.

use netplug_core::dialect::native;
use netplug_core::model::{Config, Interface, StartMode};
use netplug_core::registry::Registry;
use netplug_core::xml;
use netplug_plugin_sdk::{Element, LinkState, Plugin, PluginInfo, Span};
use proptest::prelude::*;

/// The plugin of physical devices, declared as netplug's `ethernet` declares itself: the kind
/// `<interface device=..>` stands for.
struct Devices;

impl Plugin for Devices {
    fn info(&self) -> PluginInfo {
        PluginInfo {
            name: "ethernet".into(),
            kinds: vec!["ethernet".into()],
            physical: true,
            ..Default::default()
        }
    }
}

fn devices() -> Registry {
    let mut r = Registry::new();
    r.register(std::sync::Arc::new(Devices), "builtin").unwrap();
    r
}

fn without_spans(i: &Interface) -> Interface {
    Interface { element: i.element.without_spans(), name_span: Span::default(), ..i.clone() }
}

fn read_text(text: &str) -> Vec<Interface> {
    let root = xml::parse(text, 0).unwrap();
    let (interfaces, diagnostics) = native::read(root.clone(), &devices());
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    interfaces
}

fn interface(kind: &str, name: &str) -> Interface {
    Interface {
        name: name.to_string(),
        kind: kind.to_string(),
        start_mode: StartMode::default(),
        state: LinkState::Up,
        mac: None,
        mtu: None,
        master: None,
        parent: None,
        requires: Vec::new(),
        element: Element::new(devices().element_of_kind(kind)),
        name_span: Span::default(),
    }
}

#[test]
fn a_document_read_and_written_back_is_unchanged() {
    let text = "<interfaces>\n  <interface name=\"eth0\" onboot=\"no\" mtu=\" 1500\">\n    \
                <hwaddr>00-19-D2-9F-88-96</hwaddr>\n    <static ipaddr=\"192.168.0.5/24\"/>\n  \
                    </interface>\n  \
                <bond name=\"bond0\" mode=\"active-backup\" startmode=\"hotplug\" state=\"up\">\n    \
                <slave device=\"eth0\" primary=\"yes\"/>\n  </bond>\n</interfaces>\n";
    let interfaces = read_text(text);
    let config = Config { interfaces };
    let written = native::write(&config);
    assert_eq!(written.without_spans(), xml::parse(text, 0).unwrap().without_spans());
    let again: Vec<_> = native::read(written.clone(), &devices()).0.iter().map(without_spans).collect();
    assert_eq!(again, config.interfaces.iter().map(without_spans).collect::<Vec<_>>());
}

#[test]
fn changed_fields_are_written_into_the_element() {
    // Two <hwaddr> is an error when read; writing keeps only the model's one.
    let root = xml::parse(
        "<interface name=\"eth0\" onboot=\"no\" mtu=\"1500\" speed=\"1000\">\n  \
         <hwaddr>00:19:d2:9f:88:96</hwaddr>\n  <hwaddr>00:19:d2:9f:88:97</hwaddr>\n  <dhcp/>\n</interface>",
        0,
    )
    .unwrap();
    let mut i = native::read(root.clone(), &devices()).0.remove(0);
    i.name = "eth1".into();
    i.start_mode = StartMode::Onboot;
    i.state = LinkState::Down;
    i.mtu = None;
    i.mac = Some("52:54:00:00:00:01".into());
    let written = native::write(&Config { interfaces: vec![i.clone()] });
    assert_eq!(
        xml::write(&written),
        "<interface device=\"eth1\" speed=\"1000\" state=\"down\">\n  <hwaddr>52:54:00:00:00:01</hwaddr>\n  \
         <dhcp/>\n</interface>\n"
    );
    let back = native::read(written.clone(), &devices()).0.remove(0);
    assert_eq!(without_spans(&back), Interface { element: written.without_spans(), ..without_spans(&i) });
}

#[test]
fn an_interface_built_in_code_is_written_from_its_fields() {
    let mut bond = interface("bond", "bond0");
    bond.start_mode = StartMode::Manual;
    bond.state = LinkState::Absent;
    bond.mtu = Some(9000);
    bond.mac = Some("52:54:00:12:34:56".into());
    let eth = interface("ethernet", "eth0");
    let config = Config { interfaces: vec![eth, bond] };
    let text = xml::write(&native::write(&config));
    assert_eq!(
        text,
        "<interfaces>\n  <interface device=\"eth0\"/>\n  \
         <bond name=\"bond0\" startmode=\"manual\" state=\"absent\" mtu=\"9000\">\n    \
         <hwaddr>52:54:00:12:34:56</hwaddr>\n  </bond>\n</interfaces>\n"
    );
    let back = read_text(&text);
    assert_eq!(
        (back[1].mtu, back[1].state, back[1].start_mode),
        (Some(9000), LinkState::Absent, StartMode::Manual)
    );
}

#[test]
fn one_interface_is_written_alone_and_none_as_an_empty_wrapper() {
    let one = native::write(&Config { interfaces: vec![interface("vlan", "eth0.42")] });
    assert_eq!(xml::write(&one), "<vlan name=\"eth0.42\"/>\n");
    assert_eq!(xml::write(&native::write(&Config::default())), "<interfaces/>\n");
}

// ---- property test ------------------------------------------------------------------------

const ENVELOPE: [&str; 6] = ["name", "device", "startmode", "onboot", "state", "mtu"];

fn text_with_escapes() -> impl Strategy<Value = String> {
    "[a-z0-9 &<>\"'\t\n;#é]{1,12}"
}

fn extra_attributes() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec(("[a-z][a-z_-]{0,8}", text_with_escapes()), 0..4).prop_map(|attrs| {
        let mut out: Vec<(String, String)> = Vec::new();
        for (name, value) in attrs {
            if !ENVELOPE.contains(&name.as_str()) && out.iter().all(|(n, _)| *n != name) {
                out.push((name, value));
            }
        }
        out
    })
}

fn child() -> impl Strategy<Value = Element> {
    let leaf = ("[a-z][a-z0-9]{0,6}", extra_attributes(), prop::option::of(text_with_escapes())).prop_map(
        |(name, attrs, text)| {
            let mut e = Element::new(name);
            for (n, v) in attrs {
                e.set_attr(n, v);
            }
            e.text = text.filter(|t| !t.is_empty());
            e
        },
    );
    leaf.prop_recursive(2, 10, 3, |inner| {
        (inner.clone(), prop::collection::vec(inner, 0..3)).prop_map(|(mut e, children)| {
            e.children = children;
            e
        })
    })
    .prop_filter("envelope children", |e| e.name != "hwaddr" && e.name != "interfaces")
}

fn unicast_mac() -> impl Strategy<Value = String> {
    prop::array::uniform6(any::<u8>())
        .prop_map(|mut b| {
            b[0] &= 0xfe;
            b
        })
        .prop_filter("not all-zero", |b| *b != [0; 6])
        .prop_map(|b| b.iter().map(|o| format!("{o:02x}")).collect::<Vec<_>>().join(":"))
}

fn random_interface() -> impl Strategy<Value = Interface> {
    let kind = prop::sample::select(vec!["ethernet", "bond", "bridge", "vlan", "veth", "x-tunnel"]);
    let name = "[a-z][a-z0-9._-]{0,14}";
    let mode = prop::sample::select(StartMode::ALL.to_vec());
    let state = prop::sample::select(vec![LinkState::Up, LinkState::Down, LinkState::Absent]);
    let mtu = prop::option::of(native::MTU_MIN..=native::MTU_MAX);
    let mac = prop::option::of(unicast_mac());
    (kind, name, mode, state, mtu, mac, extra_attributes(), prop::collection::vec(child(), 0..4)).prop_map(
        |(kind, name, mode, state, mtu, mac, attrs, children)| {
            let mut element = Element::new(devices().element_of_kind(kind));
            for (n, v) in attrs {
                element.set_attr(n, v);
            }
            element.children = children;
            Interface {
                start_mode: StartMode::parse(mode).unwrap(),
                state,
                mtu,
                mac,
                element,
                ..interface(kind, &name)
            }
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn config_to_text_and_back(interfaces in prop::collection::vec(random_interface(), 0..5)) {
        let config = Config { interfaces };
        let text = xml::write(&native::write(&config));
        let root = xml::parse(&text, 0).unwrap_or_else(|d| panic!("{d:?}\n{text}"));
        let (read, diagnostics) = native::read(root.clone(), &devices());
        prop_assert!(diagnostics.is_empty(), "{:?}\n{}", diagnostics, text);
        // What comes back is the config with its envelope written into each element.
        let expected: Vec<_> = config
            .interfaces
            .iter()
            .map(|i| without_spans(&Interface { element: native::write_interface(i), ..i.clone() }))
            .collect();
        prop_assert_eq!(read.iter().map(without_spans).collect::<Vec<_>>(), expected);
        // And writing what was read gives the same text: nothing drifts.
        prop_assert_eq!(xml::write(&native::write(&Config { interfaces: read })), text);
    }
}
