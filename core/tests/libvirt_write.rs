//! Writing libvirt documents: what libvirt cannot say is listed precisely, one line per thing
//! and starting with the interface's name, never lost silently.

mod libvirt_support;

use libvirt_support::{normal, parse};
use netplug_core::dialect::{libvirt, native};
use netplug_core::model::{Interface, StartMode};
use netplug_core::xml;
use netplug_plugin_sdk::{Element, LinkState, Span};

fn write(doc: &str) -> (Element, Vec<String>) {
    let (ifaces, diags) = native::read(parse(doc), libvirt_support::registry());
    assert!(diags.is_empty(), "{diags:?}");
    libvirt::from_native(&ifaces, libvirt_support::registry())
}

#[test]
fn everything_libvirt_cannot_say_is_listed() {
    let doc = r#"<interfaces>
      <bridge name="br0" stp="yes" hellotime="2" maxage="20" priority="100" ageing="300">
        <member device="eth0"/>
        <member device="br9"/>
      </bridge>
      <bridge name="br9"/>
      <interface device="eth0" mtu="9000">
        <static ipaddr="10.0.0.2/24"/>
        <ethtool speed="1000"/>
      </interface>
      <bond name="bond0" mode="802.3ad" miimon="100" xmit_hash_policy="layer3+4" lacp_rate="fast" arp_interval="100">
        <slave device="eth1" queue_id="2"/>
        <slave device="eth2" primary="yes"/>
      </bond>
      <interface device="eth3" startmode="ifplug" state="down">
        <dhcp hostname="h" sethostname="yes" setrouting="no" setdefaultroute="no" nis="no" setnisdomain="no"/>
        <route destination="10.0.0.0/8" gateway="192.168.0.2"/>
        <route gateway="192.168.0.1" metric="100"/>
        <route gateway="192.168.0.9"/>
        <route gateway="192.168.0.1" table="100"/>
        <static ipaddr="192.168.0.3" netmask="255.0.255.0" gateway="192.168.0.1"/>
      </interface>
      <vlan name="vlan5" device="eth3" tag="5" protocol="802.1ad"/>
      <interface device="eth4" state="absent"/>
      <veth name="veth0" peer="veth1"/>
      <bond name="bond1" mode="active-backup"><slave device="eth8"/><slave device="eth9"/></bond>
    </interfaces>"#;
    let (root, dropped) = write(doc);
    assert_eq!(
        dropped,
        [
            "br0: port br9 (a bridge; libvirt's bridge interfaces hold ethernet, bond and vlan)",
            "br0: bridge attribute hellotime",
            "br0: bridge attribute maxage",
            "br0: bridge attribute priority",
            "br0: bridge attribute ageing",
            "eth0: mtu 9000 (a port takes br0's MTU in libvirt: unset)",
            "eth0: <static> (libvirt has addresses only on the top-level interface, br0)",
            "eth0: <ethtool> (libvirt has no <ethtool>)",
            "bond0: bond attribute arp_interval (libvirt has miimon or arpmon; miimon is kept)",
            "bond0: bond attribute xmit_hash_policy",
            "bond0: bond attribute lacp_rate",
            "bond0: slave eth1 attribute queue_id",
            "bond0: slave eth2 primary (libvirt has a primary only in active-backup mode)",
            "eth3: startmode ifplug (libvirt has onboot, none and hotplug)",
            "eth3: dhcp attribute hostname",
            "eth3: dhcp attribute sethostname",
            "eth3: dhcp attribute setrouting",
            "eth3: dhcp attribute setdefaultroute",
            "eth3: dhcp attribute nis",
            "eth3: dhcp attribute setnisdomain",
            "eth3: route 10.0.0.0/8 via 192.168.0.2 (libvirt has only a default gateway per family)",
            "eth3: route default via 192.168.0.1 attribute metric",
            "eth3: default route via 192.168.0.9 (libvirt keeps one default gateway per family; 192.168.0.1 is kept)",
            "eth3: route default via 192.168.0.1 in table 100 (libvirt has no routing tables)",
            "eth3: static netmask 255.0.255.0 (not a contiguous IPv4 mask)",
            "eth3: state down (libvirt has no administrative state; its <link> is live state)",
            "vlan5: vlan protocol 802.1ad (libvirt VLANs are 802.1Q)",
            "eth4: state absent (libvirt cannot describe removing an interface); not written",
            "veth0: kind veth (libvirt has ethernet, bond, bridge and vlan); not written",
            "bond1: no primary slave (libvirt makes the first slave, eth8, primary)",
        ]
    );
    let names: Vec<&str> = root.children.iter().filter_map(|c| c.value("name")).collect();
    assert_eq!(names, ["br0", "br9", "bond0", "eth3", "vlan5", "bond1"]);
}

#[test]
fn the_primary_slave_goes_first() {
    let (root, dropped) = write(
        r#"<bond name="bond0" mode="1"><slave device="eth0"/><slave device="eth1" primary="yes"/></bond>"#,
    );
    assert!(dropped.is_empty(), "{dropped:?}");
    let expected = parse(
        "<interface type='bond' name='bond0'><bond mode='active-backup'>
           <interface type='ethernet' name='eth1'/><interface type='ethernet' name='eth0'/>
         </bond></interface>",
    );
    assert_eq!(normal(&root), normal(&expected), "{}", xml::write(&root));
}

#[test]
fn a_port_that_differs_from_its_top_level_interface_is_listed() {
    let (_, dropped) = write(
        r#"<interfaces>
             <bridge name="br0" startmode="manual"><member device="eth0"/><member device="eth1"/></bridge>
             <interface device="eth0" startmode="hotplug"/>
             <interface device="eth1" startmode="manual"><dhcp/></interface>
           </interfaces>"#,
    );
    assert_eq!(
        dropped,
        [
            "eth0: startmode hotplug (a port takes br0's start mode in libvirt: manual)",
            "eth1: <dhcp> (libvirt has addresses only on the top-level interface, br0)",
        ]
    );
}

#[test]
fn netmask_ip6addr_and_static_gateway_are_spelt_the_libvirt_way() {
    let (root, dropped) = write(
        r#"<interface device="eth0">
             <static ipaddr="192.168.0.5" netmask="255.255.255.0" gateway="192.168.0.1" ip6addr="2001:db8::5/64"/>
             <route destination="default" nexthop="192.168.0.1"/>
             <dhcp6 autoconf="yes" dhcp="no"/>
           </interface>"#,
    );
    assert!(dropped.is_empty(), "{dropped:?}");
    let expected = parse(
        "<interface type='ethernet' name='eth0'>
           <protocol family='ipv4'><ip address='192.168.0.5' prefix='24'/><route gateway='192.168.0.1'/></protocol>
           <protocol family='ipv6'><autoconf/><ip address='2001:db8::5' prefix='64'/></protocol>
         </interface>",
    );
    assert_eq!(normal(&root), normal(&expected), "{}", xml::write(&root));
}

/// An interface as live state gives it: the envelope filled in, the element bare.
fn live(name: &str, kind: &str, element: Element) -> Interface {
    Interface {
        name: name.into(),
        kind: kind.into(),
        start_mode: StartMode::Manual,
        state: LinkState::Up,
        mac: Some("52:54:00:00:00:07".into()),
        mtu: Some(1400),
        master: None,
        parent: None,
        requires: Vec::new(),
        element,
        name_span: Span::default(),
    }
}

#[test]
fn the_envelope_stands_in_for_attributes_the_element_lacks() {
    let bridge = live("br0", "bridge", Element::new("bridge").with_attr("name", "br0"));
    let mut port = live("eth0", "ethernet", Element::new("interface").with_attr("device", "eth0"));
    port.master = Some("br0".into());
    let (root, dropped) = libvirt::from_native(&[bridge, port], libvirt_support::registry());
    assert_eq!(
        dropped,
        ["br0: hwaddr 52:54:00:00:00:07 (libvirt has a MAC address only on ethernet interfaces)"]
    );
    let expected = parse(
        "<interface type='bridge' name='br0'><start mode='none'/><mtu size='1400'/>
           <bridge><interface type='ethernet' name='eth0'><mac address='52:54:00:00:00:07'/></interface></bridge>
         </interface>",
    );
    assert_eq!(normal(&root), normal(&expected), "{}", xml::write(&root));
}

#[test]
fn no_interfaces_is_an_empty_wrapper() {
    let (root, dropped) = libvirt::from_native(&[], libvirt_support::registry());
    assert_eq!(root, Element::new("interfaces"));
    assert!(dropped.is_empty());
}
