//! A WireGuard tunnel between two network namespaces, each end configured by netplug from a
//! document: pings cross it; `show` reads back every attribute and never a key; re-applying
//! changes nothing; a failure at every step of a plan (creating the tunnel, and rotating its
//! key and peers) leaves the namespace and the device as they were; removal takes it; a key file
//! others can read is refused at its place. The host kernel has no WireGuard, so this runs in
//! the qemu guest (`cargo xtask vm-test -- wireguard`).
//!
//! What the kernel holds is read over generic netlink by `netplug-netlink` directly (iproute2
//! cannot show a WireGuard device's configuration, and `wg` is not installed).

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use netplug_netlink::wireguard::Device;
use netplug_netlink::WireGuard;
use netplug_tests::{assert_same_state, document, Netns};

/// RFC 7748 section 6.1: Alice's and Bob's keys.
const A_PRIVATE: &str = "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=";
const A_PUBLIC: &str = "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=";
const B_PRIVATE: &str = "XasIfmJKikt54X+Lg4AO5m87sSkmGLb9HC+LJ/+I4Os=";
const B_PUBLIC: &str = "3p7bfXt9wbTTW2HC7OQ1Nz+DQ8hbeGdNrfx+FG+IK08=";
/// A key A rotates to (any 32 bytes make a private key).
const A2_PRIVATE: &str = "cm90YXRlZCBwcml2YXRlIGtleSBvZiAzMiBieXRlcyE=";
const PSK: &str = "cHJlc2hhcmVkIGtleSBvZiBleGFjdGx5IDMyIGJ5dGU=";
/// Another peer of A (a public key; nobody answers for it).
const C_PUBLIC: &str = "Q2Fyb2wgcHVibGljIGtleSwgdGhpcnR5LXR3byBieXQ=";

fn key_file(dir: &Path, name: &str, text: &str, mode: u32) -> PathBuf {
    let path = dir.join(name);
    let mut f = std::fs::File::create(&path).unwrap();
    f.write_all(format!("{text}\n").as_bytes()).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    path
}

/// One end of the tunnel: `wg0` on port `port` with `addr`, and one peer.
fn end(key: &Path, port: u16, addr: &str, peer: &str, endpoint: &str, allowed: &str, psk: &Path) -> String {
    format!(
        r#"<interfaces>
  <wireguard name="wg0" listen-port="{port}">
    <private-key file="{}"/>
    <peer public-key="{peer}" endpoint="{endpoint}" persistent-keepalive="25"
          preshared-key-file="{}">
      <allowed-ip prefix="{allowed}"/>
    </peer>
    <static ipaddr="{addr}"/>
  </wireguard>
</interfaces>
"#,
        key.display(),
        psk.display()
    )
}

/// The device `wg0` of a namespace, as the kernel reports it over generic netlink.
fn device(ns: &Netns) -> Device {
    let path = format!("/run/netns/{}", ns.name);
    std::thread::spawn(move || {
        let file = std::fs::File::open(&path).unwrap();
        nix::sched::setns(file, nix::sched::CloneFlags::CLONE_NEWNET).unwrap();
        WireGuard::open().unwrap().device("wg0").unwrap()
    })
    .join()
    .unwrap()
}

/// What a device holds that configuration decides (not counters or handshakes).
fn config_of(d: &Device) -> String {
    let peers: Vec<String> = d
        .peers
        .iter()
        .map(|p| {
            format!(
                "{:?} {:?} {} {} {:?}",
                p.public_key,
                p.endpoint,
                p.persistent_keepalive,
                p.preshared_key.is_some(),
                p.allowed_ips
            )
        })
        .collect();
    format!("{:?} port={} mark={} {peers:?}", d.public_key, d.listen_port, d.fwmark)
}

fn ping(ns: &Netns, addr: &str) -> bool {
    Command::new("ip")
        .args(["netns", "exec", &ns.name, "ping", "-c", "2", "-w", "20", addr])
        .status()
        .expect("run ping")
        .success()
}

#[test]
#[ignore = "needs wireguard: runs in the qemu guest (cargo xtask vm-test)"]
fn a_tunnel_between_two_namespaces_carries_pings_and_keeps_its_keys() {
    let (a, b) = (Netns::new("wga"), Netns::new("wgb"));
    // The underlay: a veth pair between the namespaces.
    a.ip(&["link", "add", "ua", "type", "veth", "peer", "name", "ub", "netns", &b.name]);
    a.ip(&["addr", "add", "192.0.2.1/24", "dev", "ua"]);
    a.ip(&["link", "set", "ua", "up"]);
    b.ip(&["addr", "add", "192.0.2.2/24", "dev", "ub"]);
    b.ip(&["link", "set", "ub", "up"]);

    let keys = tempfile::tempdir().unwrap();
    let a_key = key_file(keys.path(), "a.key", A_PRIVATE, 0o644);
    let b_key = key_file(keys.path(), "b.key", B_PRIVATE, 0o600);
    let psk = key_file(keys.path(), "ab.psk", PSK, 0o400);
    let a_doc = document(
        a.dir.path(),
        "a.xml",
        &end(&a_key, 51820, "10.9.0.1/24", B_PUBLIC, "192.0.2.2:51821", "10.9.0.2/32", &psk),
    );
    let b_doc = document(
        b.dir.path(),
        "b.xml",
        &end(&b_key, 51821, "10.9.0.2/24", A_PUBLIC, "192.0.2.1:51820", "10.9.0.1/32", &psk),
    );
    let a_path = a_doc.to_str().unwrap();

    // A key file others can read is refused at its place, and nothing changes.
    let before = a.state();
    let run = a.netplug(&["apply", a_path]);
    assert_ne!(run.code(), 0);
    assert!(run.stderr().contains("a.xml:3:24: error: wg0: invalid file"), "{}", run.stderr());
    assert!(run.stderr().contains("mode 0644 lets others read the key"), "{}", run.stderr());
    assert_same_state(&before, &a.state(), "after the refused key file");
    std::fs::set_permissions(&a_key, std::fs::Permissions::from_mode(0o600)).unwrap();

    // The plan, in text and JSON, names keys by their public key or id, never by the key.
    for args in [&["plan", a_path][..], &["--json", "plan", a_path][..]] {
        let out = a.netplug(args).ok();
        assert!(out.contains(A_PUBLIC) && !out.contains(A_PRIVATE) && !out.contains(PSK), "{out}");
    }

    // A failure at every step of creating the tunnel rolls back to nothing.
    a.fail_at_every_step(&a_doc, 5);

    // Both ends, logging everything: no key in the logs either.
    let run = a.command().env("NETPLUG_LOG", "trace").args(["apply", a_path]).output().unwrap();
    let log = String::from_utf8_lossy(&run.stderr).into_owned() + &String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{log}");
    assert!(!log.contains(A_PRIVATE) && !log.contains(PSK), "a key in the log:\n{log}");
    assert!(b.netplug(&["apply", b_doc.to_str().unwrap()]).ok().contains("verified"));
    assert!(ping(&a, "10.9.0.2"), "no ping across the tunnel from a to b");
    assert!(ping(&b, "10.9.0.1"), "no ping across the tunnel from b to a");

    // Read-back: the kernel holds every attribute; `show` says each, no key.
    let d = device(&a);
    assert_eq!(d.listen_port, 51820);
    assert_eq!(d.peers.len(), 1);
    assert_eq!(d.peers[0].endpoint, Some("192.0.2.2:51821".parse().unwrap()));
    assert_eq!(d.peers[0].persistent_keepalive, 25);
    assert!(d.peers[0].preshared_key.is_some());
    assert_eq!(d.peers[0].allowed_ips.iter().map(ToString::to_string).collect::<Vec<_>>(), ["10.9.0.2/32"]);
    for args in [&["show", "wg0"][..], &["--json", "show", "wg0"][..]] {
        let shown = a.netplug(args).ok();
        for what in [A_PUBLIC, B_PUBLIC, "51820", "192.0.2.2:51821", "10.9.0.2/32", "preshared-key-id"] {
            assert!(shown.contains(what), "{what} missing from show:\n{shown}");
        }
        assert!(!shown.contains(A_PRIVATE) && !shown.contains(PSK), "a key in show:\n{shown}");
        assert!(!shown.contains("rx-bytes") && !shown.contains("latest-handshake"), "{shown}");
    }
    // The tunnel's facts are `--observed` only: the pings made a handshake and moved bytes.
    let observed = a.netplug(&["show", "--observed", "wg0"]).ok();
    let number = |attr: &str| -> u64 {
        let at = observed.find(&format!("{attr}=\"")).unwrap_or_else(|| panic!("no {attr}:\n{observed}"));
        let rest = &observed[at + attr.len() + 2..];
        rest[..rest.find('"').unwrap()].parse().unwrap()
    };
    assert!(number("latest-handshake") > 1_600_000_000, "{observed}");
    assert!(number("rx-bytes") > 0 && number("tx-bytes") > 0, "{observed}");

    // Re-applying changes nothing.
    assert!(a.netplug(&["apply", a_path]).ok().contains("no changes"));

    // Rotate a's key and add a peer: a failure at every step restores key, peers and all.
    let a2_key = key_file(keys.path(), "a2.key", A2_PRIVATE, 0o600);
    let rotated = end(&a2_key, 51822, "10.9.0.1/24", B_PUBLIC, "192.0.2.2:51821", "10.9.0.2/32", &psk)
        .replace(
            "    <static",
            &format!(
            "    <peer public-key=\"{C_PUBLIC}\"><allowed-ip prefix=\"10.9.3.0/24\"/></peer>\n    <static"
        ),
        );
    let rotated = document(a.dir.path(), "rotated.xml", &rotated);
    let kernel_before = config_of(&device(&a));
    let state_before = a.state();
    let n = a.plan_len(&rotated);
    assert!(n >= 2, "{n}");
    for k in 1..=n {
        let run = a.netplug(&["apply", "--inject-failure-at", &k.to_string(), rotated.to_str().unwrap()]);
        assert_eq!(run.code(), 1, "step {k}: {}", run.stderr());
        assert!(run.stderr().contains("as it was before"), "step {k}: {}", run.stderr());
        assert_eq!(config_of(&device(&a)), kernel_before, "step {k}");
        assert_same_state(&state_before, &a.state(), &format!("step {k} of {n}"));
    }
    assert!(ping(&a, "10.9.0.2"), "the tunnel works after the rollbacks");
    a.netplug(&["apply", rotated.to_str().unwrap()]).ok();
    let d = device(&a);
    assert_ne!(config_of(&d), kernel_before);
    assert_eq!((d.listen_port, d.peers.len()), (51822, 2));
    assert!(a.netplug(&["apply", rotated.to_str().unwrap()]).ok().contains("no changes"));

    // Removal.
    let gone = document(a.dir.path(), "gone.xml", r#"<wireguard name="wg0" state="absent"/>"#);
    a.netplug(&["apply", gone.to_str().unwrap()]).ok();
    assert!(!a.ip(&["-br", "link", "show"]).contains("wg0"));
}
