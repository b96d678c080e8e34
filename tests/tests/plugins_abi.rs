//! Plugins built against other SDK releases than the host's, as `docs/plugin-guide.md`
//! describes: each case is loaded through `netplug_core::host` and, to show the host's rule is
//! `abi_stable`'s and not stricter, through `abi_stable` alone.
//!
//! The fixtures `old`, `new` and `next` are built against stand-in SDKs
//! (`tests/fixtures/plugins/sdk-*`) named `netplug-plugin-sdk` like the real one:
//!
//! | fixture | SDK   | root module                      | result                          |
//! |---------|-------|----------------------------------|---------------------------------|
//! | `old`   | 0.0.9 | one function fewer (no `remove`) | refused: needs >= 0.1.1         |
//! | `new`   | 0.1.2 | one function appended            | loads; the extra one is unused  |
//! | `next`  | 0.2.0 | one function appended            | refused: newer than 0.1.x       |
//!
//! And the other way round, a host one patch release ahead (`host-new`, on `sdk-new`) refuses
//! plugins built before its appended function: abi_stable lets a plugin's root module have
//! more fields than the host's, never fewer.

mod plugins_support;

use abi_stable::library::{lib_header_from_path, LibraryError};
use netplug_core::host::LoadStatus;
use netplug_plugin_sdk::ffi::PluginModuleRef;
use netplug_plugin_sdk::{Element, Item};
use plugins_support::{fixture, fixture_bin, install, load, plugin_dir, report};

/// What `abi_stable` itself says about the fixture, loaded from a copy of its own.
fn abi_stable_verdict(name: &str) -> Result<(), LibraryError> {
    let dir = tempfile::tempdir().unwrap();
    let path = install(dir.path(), name, "lib.so");
    lib_header_from_path(&path)?.init_root_module::<PluginModuleRef>().map(drop)
}

fn refusal(name: &str) -> String {
    let dir = plugin_dir(&[name]);
    let (registry, reports) = load(&[dir.path()]);
    assert!(registry.plugins().is_empty());
    let r = report(&reports, &format!("libnetplug_plugin_{name}.so"));
    match &r.status {
        LoadStatus::Refused { reason } => {
            println!("{reason}");
            reason.clone()
        }
        other => panic!("expected {name} to be refused, got {other:?}"),
    }
}

#[test]
fn a_plugin_built_against_an_older_sdk_is_refused() {
    let reason = refusal("old");
    assert!(
        reason.contains("libnetplug_plugin_old.so: plugin built against netplug-plugin-sdk 0.0.9"),
        "{reason}"
    );
    assert!(
        reason.contains(&format!("this netplug needs >= {}", netplug_plugin_sdk::ffi::SDK_VERSION)),
        "{reason}"
    );

    let verdict = abi_stable_verdict("old");
    assert!(matches!(verdict, Err(LibraryError::IncompatibleVersionNumber { .. })), "{verdict:?}");
}

#[test]
fn a_plugin_built_against_a_newer_patch_release_loads() {
    let dir = plugin_dir(&["new"]);
    let (registry, reports) = load(&[dir.path()]);
    let r = report(&reports, "libnetplug_plugin_new.so");
    assert_eq!(r.status, LoadStatus::Loaded, "{r:#?}");
    assert_eq!(r.sdk_version.as_deref(), Some("0.1.2"));

    // It answers through the functions the host knows; its info carries a member this host's
    // PluginInfo lacks, which is ignored.
    let plugin = &registry.for_kind("new").unwrap().plugin;
    assert_eq!(plugin.info().version, "1.0.0");
    let item =
        Item { interface: "n0".into(), kind: "new".into(), envelope: None, element: Element::new("new") };
    assert_eq!(plugin.validate(&[item]).diagnostics[0].message, "new says hi");

    abi_stable_verdict("new").expect("abi_stable accepts a newer patch release with appended fields");
}

#[test]
fn a_plugin_built_against_a_newer_minor_release_is_refused() {
    let reason = refusal("next");
    assert!(
        reason.contains("plugin built against netplug-plugin-sdk 0.2.0, newer than this netplug's SDK"),
        "{reason}"
    );
    assert!(reason.contains("upgrade netplug"), "{reason}");

    // abi_stable's version check lets it through (0.2 >= 0.1), but its layout check compares
    // the package version of every type, and in 0.x a minor release is a breaking one.
    let verdict = abi_stable_verdict("next");
    let Err(LibraryError::AbiInstability(e)) = verdict else { panic!("{verdict:?}") };
    println!("abi_stable alone: {e}");
    assert!(e.to_string().contains("0.2.0"), "{e}");
}

#[test]
fn a_host_with_an_appended_function_refuses_plugins_built_before_it() {
    let output = std::process::Command::new(fixture_bin("host-new"))
        .args([fixture("hello"), fixture("new")])
        .output()
        .expect("run the host-new fixture");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let verdicts: Vec<&str> = stdout.lines().collect();
    assert_eq!(verdicts, ["refused: layout: Error:too many fields", "ok: describe is there"], "{stdout}");
}
