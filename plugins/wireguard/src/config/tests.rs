//! Every rule of the WireGuard vocabulary, checked against documents with exact positions.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use netplug_plugin_sdk::{Item, Plugin, Validation};
use netplug_plugin_testing::{diagnostic_lines, items_from_xml};

use crate::WireGuardPlugin;

/// RFC 7748 section 6.1's keys: Alice's private key and Bob's public key.
pub const ALICE_PRIVATE: &str = "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=";
pub const ALICE_PUBLIC: &str = "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=";
pub const BOB_PUBLIC: &str = "3p7bfXt9wbTTW2HC7OQ1Nz+DQ8hbeGdNrfx+FG+IK08=";

/// A key file holding `text` with `mode`, in `dir`.
pub fn key_file(dir: &Path, name: &str, text: &str, mode: u32) -> PathBuf {
    let path = dir.join(name);
    let mut f = std::fs::File::create(&path).unwrap();
    f.write_all(text.as_bytes()).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    path
}

/// Items as core hands them to a kind plugin.
pub fn items(xml: &str) -> Vec<Item> {
    items_from_xml(&WireGuardPlugin, xml)
}

fn validate(xml: &str) -> Validation {
    WireGuardPlugin.validate(&items(xml))
}

/// Diagnostics as `LINE:COL severity attribute: message`.
fn diags(xml: &str) -> Vec<String> {
    diagnostic_lines(&validate(xml))
}

/// Whether the tests run as root, as key files must be root's to be read.
pub fn is_root() -> bool {
    std::fs::metadata("/proc/self").map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0).unwrap_or(false)
}

#[test]
fn info_claims_the_wireguard_kind() {
    let info = WireGuardPlugin.info();
    assert_eq!((info.name.as_str(), info.kinds.as_slice()), ("wireguard", &["wireguard".to_string()][..]));
}

#[test]
fn a_complete_document_is_clean() {
    let dir = tempfile::tempdir().unwrap();
    let key = key_file(dir.path(), "wg0.key", &format!("{ALICE_PRIVATE}\n"), 0o600);
    let psk = key_file(dir.path(), "peer.psk", &format!("{BOB_PUBLIC}\n"), 0o400);
    let xml = format!(
        r#"<wireguard name="wg0" listen-port="51820" fwmark="0x42" mtu="1420">
  <private-key file="{}" public-key="{ALICE_PUBLIC}"/>
  <peer public-key="{BOB_PUBLIC}" endpoint="[2001:db8::7]:51820" persistent-keepalive="25"
        preshared-key-file="{}">
    <allowed-ip prefix="10.10.0.0/24"/>
    <allowed-ip prefix="fd00::/64"/>
  </peer>
  <static ipaddr="10.10.0.1/24"/>
</wireguard>"#,
        key.display(),
        psk.display()
    );
    assert_eq!(diags(&xml), Vec::<String>::new());
}

#[test]
fn key_files_open_to_others_or_missing_are_refused_at_their_place() {
    let dir = tempfile::tempdir().unwrap();
    let open = key_file(dir.path(), "open.key", ALICE_PRIVATE, 0o644);
    let xml = format!("<wireguard name=\"wg0\">\n  <private-key file=\"{}\"/>\n</wireguard>", open.display());
    let d = diags(&xml);
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(d[0].starts_with("2:22 error file: invalid file"), "{d:?}");
    // Root sees the mode; anyone else sees the owner first or cannot open the file.
    if is_root() {
        assert!(d[0].contains("mode 0644 lets others read the key"), "{d:?}");
    }
    assert!(!d[0].contains(ALICE_PRIVATE), "the key leaked into {d:?}");

    let xml = "<wireguard name=\"wg0\">\n  <private-key file=\"/nonexistent/wg0.key\"/>\n</wireguard>";
    assert_eq!(
        diags(xml),
        ["2:22 error file: invalid file `/nonexistent/wg0.key`: No such file or directory"]
    );
    let xml = "<wireguard name=\"wg0\">\n  <private-key file=\"wg0.key\"/>\n</wireguard>";
    assert!(diags(xml)[0].contains("absolute path"));
}

#[test]
fn a_device_needs_one_private_key() {
    assert_eq!(
        diags(r#"<wireguard name="wg0"/>"#),
        ["1:1 error private-key: <wireguard> needs a <private-key file=\"…\"/>"]
    );
    assert!(diags(r#"<wireguard name="wg0" state="absent"/>"#).is_empty());
    let xml = format!(
        "<wireguard name=\"wg0\">\n  <private-key public-key=\"{ALICE_PUBLIC}\"/>\n  <private-key public-key=\"{ALICE_PUBLIC}\"/>\n</wireguard>"
    );
    assert_eq!(
        diags(&xml),
        ["3:3 error private-key: a device has one private key; this is a second <private-key>"]
    );
}

#[test]
fn a_mac_address_is_refused_where_the_device_is_written() {
    let xml = format!(
        "<interfaces>\n  <wireguard name=\"wg0\">\n    <hwaddr>02:00:00:00:00:01</hwaddr>\n    \
         <private-key public-key=\"{ALICE_PUBLIC}\"/>\n  </wireguard>\n</interfaces>"
    );
    assert_eq!(diags(&xml), ["2:3 error hwaddr: a WireGuard device has no MAC address"]);
}

#[test]
fn peers_endpoints_and_allowed_ips_are_checked() {
    let xml = format!(
        r#"<wireguard name="wg0" listen-port="0" fwmark="mark">
  <private-key public-key="{ALICE_PUBLIC}"/>
  <peer public-key="short" endpoint="vpn.example.com:51820" persistent-keepalive="99999"/>
  <peer public-key="{BOB_PUBLIC}" endpoint="2001:db8::1:51820" preshared-key-id="x">
    <allowed-ip prefix="10.0.0.1/24"/>
    <allowed-ip prefix="10.0.0.0/33"/>
    <allowed-ip/>
  </peer>
  <peer public-key="{BOB_PUBLIC}" endpoint="192.0.2.1:0">
    <allowed-ip prefix="10.0.0.0/24"/>
  </peer>
  <peer public-key="{ALICE_PUBLIC}" endpont="192.0.2.1:1"/>
</wireguard>"#
    );
    let d = diags(&xml);
    let expect = [
        "1:36 error listen-port: invalid listen-port `0`: must be between 1 and 65535",
        "1:47 error fwmark: invalid fwmark `mark`: expected a 32-bit number (decimal or 0x hex) or off",
        "3:21 error public-key: invalid public-key `short`: not a base64 key (expected 44 characters, as `wg genkey` writes)",
        "3:38 error endpoint: invalid endpoint `vpn.example.com:51820`: `vpn.example.com` is not an IP address; netplug resolves no host names in endpoints",
        "3:83 error persistent-keepalive: invalid persistent-keepalive `99999`: expected 0-65535 seconds or off",
        "4:77 error endpoint: invalid endpoint `2001:db8::1:51820`: write an IPv6 endpoint in brackets: [ADDRESS]:PORT",
        "4:114 error preshared-key-id: invalid preshared-key-id `x`: expected the 16-character identifier `show` prints",
        "5:25 warning prefix: 10.0.0.1/24 has host bits set; the kernel keeps 10.0.0.0/24",
        "6:25 error prefix: invalid prefix `10.0.0.0/33`: prefix length 33 is out of range for IPv4 (0-32)",
        "7:5 error prefix: <allowed-ip> needs a `prefix` attribute",
        "9:21 error public-key: invalid public-key `3p7bfXt9wbTTW2HC7OQ1Nz+DQ8hbeGdNrfx+FG+IK08=`: names a peer already listed",
        "9:77 error endpoint: invalid endpoint `192.0.2.1:0`: the port must be between 1 and 65535",
        "10:25 error prefix: invalid prefix `10.0.0.0/24`: 10.0.0.0/24 is allowed to 3p7bfXt9wbTTW2HC7OQ1Nz+DQ8hbeGdNrfx+FG+IK08= already; a range belongs to one peer",
        "12:67 error endpont: unknown attribute `endpont` on <peer>",
        "12:21 error public-key: invalid public-key `hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=`: is the device's own public key; the kernel would drop this peer",
    ];
    assert_eq!(d, expect);
}

#[test]
fn two_devices_cannot_share_a_port() {
    let xml = format!(
        r#"<interfaces>
  <wireguard name="wg0" listen-port="51820"><private-key public-key="{ALICE_PUBLIC}"/></wireguard>
  <wireguard name="wg1" listen-port="51820"><private-key public-key="{BOB_PUBLIC}"/></wireguard>
</interfaces>"#
    );
    let d = diags(&xml);
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(
        d[0].starts_with("3:38 error listen-port: invalid listen-port `51820`: port 51820 is wg0's already"),
        "{d:?}"
    );
}
