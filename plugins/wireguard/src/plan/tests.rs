//! Plan logic without a kernel: creation, changes in place, peers one by one, keys named but
//! never written.

use netplug_plugin_sdk::netlink::wireguard::{Device, Peer as LivePeer, SecretKey};
use netplug_plugin_sdk::netlink::KindOp;
use netplug_plugin_sdk::{Element, Envelope};

use super::*;
use crate::config::tests::{items, key_file, ALICE_PRIVATE, ALICE_PUBLIC, BOB_PUBLIC};
use crate::read::write_device;

fn scope() -> Vec<String> {
    vec!["wg0".to_string()]
}

fn lines(changes: &[Change]) -> Vec<String> {
    changes.iter().map(|c| format!("{:?} {}", c.phase, c.description)).collect()
}

fn alice() -> SecretKey {
    let public = keys::parse_public(ALICE_PRIVATE).unwrap();
    SecretKey::new(public.0)
}

/// A live `wg0` as read back: Alice's key, port 51820, Bob as a peer.
fn live(endpoint: &str, ips: &[&str]) -> Item {
    let device = Device {
        ifindex: 7,
        ifname: "wg0".into(),
        private_key: Some(alice()),
        public_key: Some(keys::parse_public(ALICE_PUBLIC).unwrap()),
        listen_port: 51820,
        fwmark: 0,
        peers: vec![LivePeer {
            public_key: keys::parse_public(BOB_PUBLIC).unwrap(),
            preshared_key: None,
            endpoint: Some(endpoint.parse().unwrap()),
            persistent_keepalive: 25,
            allowed_ips: ips.iter().map(|t| crate::config::parse_allowed_ip(t).unwrap().0).collect(),
            last_handshake: None,
            rx_bytes: 0,
            tx_bytes: 0,
        }],
    };
    let mut element = Element::new("wireguard");
    write_device(&device, &mut element);
    let envelope =
        Envelope { name: "wg0".into(), kind: "wireguard".into(), mtu: Some(1420), ..Envelope::default() };
    Item { interface: "wg0".into(), kind: "wireguard".into(), envelope: Some(envelope), element }
}

fn document(dir: &std::path::Path, peer_extra: &str, ips: &[&str]) -> Item {
    let key = key_file(dir, "wg0.key", &format!("{ALICE_PRIVATE}\n"), 0o600);
    let ips: String = ips.iter().map(|p| format!("<allowed-ip prefix=\"{p}\"/>")).collect();
    let xml = format!(
        r#"<wireguard name="wg0" listen-port="51820"><private-key file="{}"/><peer public-key="{BOB_PUBLIC}" persistent-keepalive="25" {peer_extra}>{ips}</peer></wireguard>"#,
        key.display()
    );
    items(&xml).remove(0)
}

#[test]
fn a_new_device_is_created_keyed_peered_and_set_up() {
    let dir = tempfile::tempdir().unwrap();
    let want = document(dir.path(), r#"endpoint="192.0.2.7:51820""#, &["10.10.0.0/24", "fd00::/64"]);
    let changes = plan(&[want], &[], &scope()).unwrap();
    let key = dir.path().join("wg0.key");
    assert_eq!(
        lines(&changes),
        [
            "Create create wireguard".to_string(),
            "Up set up".into(),
            format!("Configure set private key from {} (public key {ALICE_PUBLIC}), listen-port 51820", key.display()),
            "Configure add peer 3p7bfXt9wb (endpoint 192.0.2.7:51820, persistent-keepalive 25, allowed-ips 10.10.0.0/24 fd00::/64)".into(),
        ]
    );
    for c in &changes {
        assert!(!carries(c, ALICE_PRIVATE) && !c.description.contains(ALICE_PRIVATE), "{c:?}");
    }
    let op: KindOp<WgOp> = changes[2].op().unwrap();
    assert_eq!(
        op,
        KindOp::Kind(WgOp::SetDevice {
            name: "wg0".into(),
            private_key: Some(KeySource::File { path: key, public_key: ALICE_PUBLIC.into() }),
            listen_port: Some(51820),
            fwmark: None,
        })
    );
}

#[test]
fn a_matching_device_plans_nothing_and_peers_change_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let have = live("192.0.2.7:51820", &["10.10.0.0/24"]);
    let same = document(dir.path(), r#"endpoint="192.0.2.7:51820""#, &["10.10.0.0/24"]);
    assert_eq!(lines(&plan(&[same], std::slice::from_ref(&have), &scope()).unwrap()), Vec::<String>::new());

    // Without an endpoint the learnt one stays; a new allowed IP replaces the list in place.
    let changed = document(dir.path(), "", &["10.10.0.0/24", "10.20.0.0/24"]);
    assert_eq!(
        lines(&plan(&[changed], std::slice::from_ref(&have), &scope()).unwrap()),
        ["Configure change peer 3p7bfXt9wb (allowed-ips 10.10.0.0/24 10.20.0.0/24 (was 10.10.0.0/24))"]
    );

    // A peer gone from the document is removed; the device keeps its key.
    let key = dir.path().join("wg0.key");
    let alone =
        items(&format!(r#"<wireguard name="wg0"><private-key file="{}"/></wireguard>"#, key.display()))
            .remove(0);
    assert_eq!(
        lines(&plan(&[alone], std::slice::from_ref(&have), &scope()).unwrap()),
        ["Configure remove peer 3p7bfXt9wb"]
    );

    // Gone from the scope's document altogether: deleted.
    assert_eq!(lines(&plan(&[], &[have], &scope()).unwrap()), ["Delete delete wireguard"]);
}

#[test]
fn a_snapshot_puts_back_keys_this_process_read_and_refuses_others() {
    // The snapshot read Alice's key from the kernel (write_device remembered it); the device now
    // has another key.
    let snapshot = live("192.0.2.7:51820", &["10.10.0.0/24"]);
    let mut now = snapshot.clone();
    let other = SecretKey::new([0x42; 32]);
    let other_public = keys::format_public(&keys::public_of(&other));
    now.element.children[0].set_attr("public-key", &other_public);
    let changes = plan(std::slice::from_ref(&snapshot), &[now], &scope()).unwrap();
    assert_eq!(lines(&changes), [format!("Configure set private key back to public key {ALICE_PUBLIC}")]);

    // A key no run of this process has seen cannot be put back; the error says why.
    let mut unknown = snapshot.clone();
    unknown.element.children[0].set_attr("public-key", BOB_PUBLIC);
    let e = plan(&[unknown], &[snapshot], &scope()).unwrap_err();
    assert!(e.render().contains("netplug keeps no copy of keys"), "{e}");
}

#[test]
fn preshared_keys_are_named_by_id() {
    let dir = tempfile::tempdir().unwrap();
    let psk_text = "c2VjcmV0IHNlY3JldCBzZWNyZXQgc2VjcmV0IDMyIGI=";
    let psk = key_file(dir.path(), "bob.psk", psk_text, 0o600);
    let have = live("192.0.2.7:51820", &[]);
    let want = document(dir.path(), &format!(r#"preshared-key-file="{}""#, psk.display()), &[]);
    let changes = plan(&[want], &[have], &scope()).unwrap();
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert!(changes[0].description.starts_with("change peer 3p7bfXt9wb (preshared key from "), "{changes:?}");
    assert!(!carries(&changes[0], psk_text) && !changes[0].description.contains(psk_text));
}

/// Whether a change's encoded operation holds `text` (MessagePack keeps strings as they are).
fn carries(change: &netplug_plugin_sdk::Change, text: &str) -> bool {
    change.payload.as_bytes().windows(text.len()).any(|w| w == text.as_bytes())
}
