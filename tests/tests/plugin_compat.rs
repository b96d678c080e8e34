//! Compatibility across SDK releases of one plugin ABI (`docs/plugin-abi.md`): the out-of-tree
//! example `docs/examples/plugin-ifb` is built twice, against the current SDK and against the
//! SDK frozen when ABI 1.0 was declared (`tests/fixtures/sdk-abi-1.0`), and both files load in
//! the current host and answer through it. Each build reports the SDK it was built with, so
//! the test cannot pass by loading one build twice.

mod plugins_support;

use std::path::{Path, PathBuf};
use std::process::Command;

use netplug_core::host::LoadStatus;
use netplug_plugin_sdk::{Element, Envelope, Item};
use netplug_tests::{document, Netns};
use plugins_support::{load, report};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ is inside the workspace").to_path_buf()
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| workspace().join("target"))
}

/// Build the project whose manifest is `manifest` into the example's target directory; the
/// directory holding its `.so`.
fn build(manifest: &Path, locked: bool) -> PathBuf {
    let release = !cfg!(debug_assertions);
    let target = target_dir().join("plugin-ifb");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args(["build", "--quiet", "--manifest-path"])
        .arg(manifest)
        .arg("--target-dir")
        .arg(&target)
        .args(locked.then_some("--locked"))
        .args(release.then_some("--release"))
        .output()
        .expect("run cargo");
    assert!(
        output.status.success(),
        "building {} failed:\n{}",
        manifest.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    target.join(if release { "release" } else { "debug" })
}

/// A copy of the example whose SDK dependency is the frozen ABI 1.0 SDK, as a third party's
/// plugin pinned to the first SDK of ABI 1.0 would be. Only the library is built, so the copy
/// leaves out the dev-dependencies (the test helpers, which take the current SDK by path).
fn frozen_example() -> PathBuf {
    let from = workspace().join("docs/examples/plugin-ifb");
    let to = target_dir().join("plugin-ifb-frozen-sdk");
    let _ = std::fs::remove_dir_all(to.join("src"));
    copy_tree(&from.join("src"), &to.join("src"));
    let frozen = workspace().join("tests/fixtures/sdk-abi-1.0");
    let manifest = std::fs::read_to_string(from.join("Cargo.toml")).unwrap();
    let pinned = manifest
        .replace("path = \"../../../plugins/sdk\"", &format!("path = {:?}", frozen.display().to_string()));
    assert_ne!(pinned, manifest, "the example's manifest no longer names the SDK by that path");
    let pinned = pinned.split("\n[dev-dependencies]").next().unwrap().to_string();
    std::fs::write(to.join("Cargo.toml"), pinned).unwrap();
    std::fs::copy(from.join("Cargo.lock"), to.join("Cargo.lock")).unwrap();
    to.join("Cargo.toml")
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &to.join(entry.file_name()));
        } else {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

/// Put the built `.so` alone in a fresh plugin directory.
fn plugin_dir(built: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("libnetplug_plugin_ifb.so");
    std::fs::copy(built.join("libnetplug_plugin_ifb.so"), &file).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    dir
}

/// Load the plugin in `dir`, check it was built for ABI `abi`, and call it: its SDK version as
/// it reports it.
fn load_and_call(dir: &Path, abi: &str) -> String {
    let (registry, reports) = load(&[dir]);
    let r = report(&reports, "libnetplug_plugin_ifb.so");
    assert_eq!(r.status, LoadStatus::Loaded, "{r:#?}");
    assert_eq!(r.abi_version.as_deref(), Some(abi));
    let plugin = &registry.for_kind("ifb").expect("the ifb kind is registered").plugin;
    let mut element = Element::new("ifb").with_attr("mtuu", "9000");
    element.span.line = 3;
    let item = Item {
        interface: "ifb0".into(),
        kind: "ifb".into(),
        envelope: Some(Envelope { name: "ifb0".into(), kind: "ifb".into(), ..Default::default() }),
        element,
    };
    let validation = plugin.validate(&[item]);
    let messages: Vec<&str> = validation.diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(messages, ["unknown attribute `mtuu` on <ifb>"], "{validation:#?}");
    r.sdk_version.clone().expect("a loaded plugin reports its SDK")
}

#[test]
fn the_example_built_against_the_frozen_abi_1_0_sdk_and_the_current_one_both_load() {
    let current = plugin_dir(&build(&workspace().join("docs/examples/plugin-ifb/Cargo.toml"), true));
    let this_abi = format!("{}.{}", netplug_plugin_sdk::abi::MAJOR, netplug_plugin_sdk::abi::MINOR);
    assert_eq!(load_and_call(current.path(), &this_abi), netplug_plugin_sdk::abi::SDK_VERSION);
    applies_and_removes(current.path());

    let frozen = plugin_dir(&build(&frozen_example(), false));
    // An older minor's plugin, in this host.
    assert_eq!(load_and_call(frozen.path(), "1.0"), "1.0.0 (frozen ABI 1.0 copy)");
    applies_and_removes(frozen.path());
}

/// The plugin in `dir` creates, verifies and removes an ifb through the netplug binary, in a
/// namespace of its own: its changes' payloads cross to core and back into its `apply`. The
/// 1.0 build's are JSON text, which the host must hand back as it came; the current build's
/// are MessagePack.
fn applies_and_removes(dir: &Path) {
    let ns = Netns::new("compat");
    let with_plugin = |args: &[&str]| {
        let mut all = vec!["--plugin-dir", dir.to_str().unwrap()];
        all.extend_from_slice(args);
        ns.netplug(&all)
    };
    let doc = document(ns.dir.path(), "ifb.xml", r#"<ifb name="ifb0" mtu="9000"/>"#);
    with_plugin(&["apply", doc.to_str().unwrap()]).ok();
    assert!(ns.ip(&["link", "show", "ifb0"]).contains("mtu 9000"));
    let again = with_plugin(&["--json", "plan", doc.to_str().unwrap()]).ok();
    assert!(again.contains(r#""steps": []"#), "a no-op after apply: {again}");
    let absent = document(ns.dir.path(), "absent.xml", r#"<ifb name="ifb0" state="absent"/>"#);
    with_plugin(&["apply", absent.to_str().unwrap()]).ok();
    assert!(!ns.ip(&["-o", "link", "show"]).contains("ifb0"), "removed");
}
