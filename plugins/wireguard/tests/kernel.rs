//! The WireGuard plugin against a real kernel, each test in a network namespace of its own.
//!
//! The development hosts' kernels have no WireGuard, so every test is `#[ignore]`d: the host
//! reports them as ignored, and `cargo xtask vm-test` runs them (with `--include-ignored`) in a
//! Debian kernel that has it. What the kernel holds is checked through the generic netlink
//! layer directly, not through the plugin's own read.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use netplug_plugin_sdk::netlink::wireguard::Device;
use netplug_plugin_sdk::netlink::{Socket, WireGuard};
use netplug_plugin_testing::in_new_netns;

use netplug_plugin_sdk::{Element, Envelope, Item, Plugin};
use netplug_plugin_wireguard::keys;
use netplug_plugin_wireguard::WireGuardPlugin;

/// RFC 7748 section 6.1: Alice's and Bob's private keys, and their public keys.
const ALICE_PRIVATE: &str = "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=";
const ALICE_PUBLIC: &str = "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=";
const BOB_PRIVATE: &str = "XasIfmJKikt54X+Lg4AO5m87sSkmGLb9HC+LJ/+I4Os=";
const BOB_PUBLIC: &str = "3p7bfXt9wbTTW2HC7OQ1Nz+DQ8hbeGdNrfx+FG+IK08=";
/// Two more peers' public keys (any 32 bytes are a Curve25519 point's encoding).
const CAROL_PUBLIC: &str = "Q2Fyb2wgcHVibGljIGtleSwgdGhpcnR5LXR3byBieXQ=";
const PSK: &str = "cHJlc2hhcmVkIGtleSBvZiBleGFjdGx5IDMyIGJ5dGU=";

fn key_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    let mut f = std::fs::File::create(&path).unwrap();
    f.write_all(format!("{text}\n").as_bytes()).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}

fn wg(key: &Path, extra: &[(&str, &str)], peers: Vec<Element>) -> Item {
    let mut element = Element::new("wireguard");
    for (k, v) in extra {
        element.set_attr(*k, *v);
    }
    element.children.push(Element::new("private-key").with_attr("file", key.display()));
    element.children.extend(peers);
    let envelope = Envelope { name: "wg0".into(), kind: "wireguard".into(), ..Envelope::default() };
    Item { interface: "wg0".into(), kind: "wireguard".into(), envelope: Some(envelope), element }
}

fn peer(key: &str, attrs: &[(&str, &str)], ips: &[&str]) -> Element {
    let mut p = Element::new("peer").with_attr("public-key", key);
    for (k, v) in attrs {
        p.set_attr(*k, *v);
    }
    for ip in ips {
        p.children.push(Element::new("allowed-ip").with_attr("prefix", ip));
    }
    p
}

fn scope() -> Vec<String> {
    vec!["wg0".to_string()]
}

/// The device as the kernel reports it to anyone asking over generic netlink.
fn device() -> Device {
    WireGuard::open().unwrap().device("wg0").unwrap()
}

fn b64(key: &[u8; 32]) -> String {
    keys::format_public(&netplug_plugin_sdk::netlink::wireguard::PublicKey(*key))
}

#[test]
#[ignore = "needs wireguard: runs in the qemu guest (cargo xtask vm-test)"]
fn a_device_reads_back_every_attribute_and_replans_to_nothing() {
    in_new_netns(|| {
        let dir = tempfile::tempdir().unwrap();
        let key = key_file(dir.path(), "wg0.key", ALICE_PRIVATE);
        let psk = key_file(dir.path(), "bob.psk", PSK);
        let bob = peer(
            BOB_PUBLIC,
            &[
                ("endpoint", "192.0.2.2:51821"),
                ("persistent-keepalive", "25"),
                ("preshared-key-file", &psk.display().to_string()),
            ],
            &["10.9.0.2/32", "fd09::/64"],
        );
        let carol = peer(CAROL_PUBLIC, &[("endpoint", "[2001:db8::3]:4500")], &["10.9.3.0/24"]);
        let want = [wg(&key, &[("listen-port", "51820"), ("fwmark", "0x2a")], vec![bob, carol])];
        netplug_plugin_testing::converge(&WireGuardPlugin, &want, &scope());

        let d = device();
        assert_eq!(d.public_key.map(|k| b64(&k.0)).as_deref(), Some(ALICE_PUBLIC));
        assert_eq!((d.listen_port, d.fwmark), (51820, 42));
        assert_eq!(d.peers.len(), 2);
        let bob = &d.peers[0];
        assert_eq!(b64(&bob.public_key.0), BOB_PUBLIC);
        assert_eq!(bob.endpoint, Some("192.0.2.2:51821".parse().unwrap()));
        assert_eq!(bob.persistent_keepalive, 25);
        assert_eq!(bob.preshared_key.as_ref().map(|k| b64(k.bytes())).as_deref(), Some(PSK));
        let ips: Vec<String> = bob.allowed_ips.iter().map(ToString::to_string).collect();
        assert_eq!(ips, ["10.9.0.2/32", "fd09::/64"]);
        assert_eq!(d.peers[1].endpoint, Some("[2001:db8::3]:4500".parse().unwrap()));

        // The plugin's read says the same, naming keys without them.
        let live = WireGuardPlugin.read(Some(&scope())).unwrap();
        let el = &live[0].element;
        assert_eq!((el.value("listen-port"), el.value("fwmark")), (Some("51820"), Some("42")));
        assert_eq!(el.child("private-key").unwrap().value("public-key"), Some(ALICE_PUBLIC));
        let text = format!("{live:?}");
        assert!(!text.contains(ALICE_PRIVATE) && !text.contains(PSK), "{text}");
        let bob = el.children_named("peer").next().unwrap();
        assert_eq!(bob.value("preshared-key-id").map(str::len), Some(16));
        assert_eq!(live[0].envelope.as_ref().unwrap().mtu, Some(1420));

        assert_eq!(netplug_plugin_testing::replan(&WireGuardPlugin, &want, &scope()), Vec::<String>::new());
    });
}

#[test]
#[ignore = "needs wireguard: runs in the qemu guest (cargo xtask vm-test)"]
fn key_and_peers_change_in_place_and_the_device_goes() {
    in_new_netns(|| {
        let dir = tempfile::tempdir().unwrap();
        let alice = key_file(dir.path(), "alice.key", ALICE_PRIVATE);
        let bob_key = key_file(dir.path(), "bob.key", BOB_PRIVATE);
        let first = [wg(
            &alice,
            &[],
            vec![
                peer(BOB_PUBLIC, &[("endpoint", "192.0.2.2:51820")], &["10.9.0.2/32"]),
                peer(CAROL_PUBLIC, &[], &["10.9.3.0/24"]),
            ],
        )];
        netplug_plugin_testing::converge(&WireGuardPlugin, &first, &scope());
        let index = Socket::route().unwrap().link_by_name("wg0").unwrap().unwrap().index;

        // Rotate the key (to Bob's: so Bob cannot stay a peer), drop Bob, move Carol.
        let second = [wg(
            &bob_key,
            &[],
            vec![peer(CAROL_PUBLIC, &[("endpoint", "198.51.100.3:51820")], &["10.9.3.0/24", "10.9.4.0/24"])],
        )];
        let changes = netplug_plugin_testing::converge(&WireGuardPlugin, &second, &scope());
        let lines: Vec<&str> = changes.iter().map(|c| c.description.as_str()).collect();
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert!(lines[0].starts_with("set private key from"), "{lines:?}");
        assert!(lines[1].starts_with("remove peer 3p7bfXt9wb"), "{lines:?}");
        assert!(lines[2].starts_with("change peer Q2Fyb2wgcH (endpoint 198.51.100.3:51820"), "{lines:?}");
        let d = device();
        assert_eq!(d.public_key.map(|k| b64(&k.0)).as_deref(), Some(BOB_PUBLIC));
        assert_eq!(d.peers.len(), 1);
        assert_eq!(d.peers[0].allowed_ips.len(), 2);
        let same = Socket::route().unwrap().link_by_name("wg0").unwrap().unwrap().index;
        assert_eq!(same, index, "changed in place, not recreated");
        assert_eq!(netplug_plugin_testing::replan(&WireGuardPlugin, &second, &scope()), Vec::<String>::new());

        // Back to the first state from what read-back says (as a rollback does): Alice's key is
        // put back from what this process read.
        let live_first = {
            netplug_plugin_testing::converge(&WireGuardPlugin, &first, &scope());
            WireGuardPlugin.read(Some(&scope())).unwrap()
        };
        netplug_plugin_testing::converge(&WireGuardPlugin, &second, &scope());
        netplug_plugin_testing::converge(&WireGuardPlugin, &live_first, &scope());
        assert_eq!(device().public_key.map(|k| b64(&k.0)).as_deref(), Some(ALICE_PUBLIC));
        assert_eq!(device().peers.len(), 2);

        netplug_plugin_testing::converge(&WireGuardPlugin, &[], &scope());
        assert!(Socket::route().unwrap().link_by_name("wg0").unwrap().is_none());
    });
}

#[test]
#[ignore = "needs wireguard: runs in the qemu guest (cargo xtask vm-test)"]
fn a_key_file_that_changed_since_the_plan_is_not_applied() {
    in_new_netns(|| {
        let dir = tempfile::tempdir().unwrap();
        let key = key_file(dir.path(), "wg0.key", ALICE_PRIVATE);
        let want = [wg(&key, &[], vec![])];
        let mut changes = WireGuardPlugin.plan(&want, &[], &scope()).unwrap();
        changes.sort_by_key(|c| c.phase);
        key_file(dir.path(), "wg0.key", BOB_PRIVATE);
        let e = WireGuardPlugin.apply(&changes).unwrap_err();
        assert_eq!(e.index, 1, "{e}");
        assert!(e.to_string().contains("the key file changed since the plan"), "{e}");
        assert!(!e.to_string().contains(BOB_PRIVATE) && !e.to_string().contains(ALICE_PRIVATE));
    });
}
