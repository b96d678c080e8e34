//! Plugins built for another plugin ABI than the host's (`docs/plugin-abi.md`): a host
//! serving ABI 1.y loads plugins built for 1.x with x <= y and refuses any other with one line
//! naming the file, both versions and what to do.
//!
//! The fixtures `nextminor` and `nextmajor` are built against a stand-in SDK
//! (`tests/fixtures/plugins/sdk-future`) whose root module has exactly ABI 1.0's layout but
//! declares ABI 1.2 or 2.0: so the refusal is for the version, which the test shows by
//! `abi_stable` alone accepting the 1.2 file.

mod plugins_support;

use abi_stable::library::lib_header_from_path;
use netplug_core::host::LoadStatus;
use netplug_plugin_sdk::abi::{PluginModuleRef, MAJOR, MINOR};
use plugins_support::{install, load, plugin_dir, report};

fn refusal(name: &str) -> (String, String) {
    let dir = plugin_dir(&[name]);
    let (registry, reports) = load(&[dir.path()]);
    assert!(registry.plugins().is_empty());
    let file = dir.path().join(format!("libnetplug_plugin_{name}.so"));
    let r = report(&reports, &format!("libnetplug_plugin_{name}.so"));
    match &r.status {
        LoadStatus::Refused { reason } => (reason.clone(), file.display().to_string()),
        other => panic!("expected {name} to be refused, got {other:?}"),
    }
}

#[test]
fn a_plugin_built_for_the_next_minor_is_refused_in_one_line() {
    assert_eq!((MAJOR, MINOR), (1, 1), "the fixtures declare 1.2 and 2.0: move them with the ABI");
    let (reason, file) = refusal("nextminor");
    assert_eq!(
        reason,
        format!(
            "{file}: built for plugin ABI 1.2, this netplug speaks ABI 1.1: upgrade netplug to one \
             that speaks ABI 1.2 or later"
        )
    );
    assert!(!reason.contains('\n'));

    // abi_stable alone would take it (same major, same layout): the refusal is the host's rule.
    let dir = tempfile::tempdir().unwrap();
    let path = install(dir.path(), "nextminor", "lib.so");
    lib_header_from_path(&path).unwrap().init_root_module::<PluginModuleRef>().map(drop).unwrap();
}

#[test]
fn a_plugin_built_for_the_next_major_is_refused_in_one_line() {
    let (reason, file) = refusal("nextmajor");
    assert_eq!(
        reason,
        format!(
            "{file}: built for plugin ABI 2.0, this netplug speaks ABI 1.1: upgrade netplug to one \
             that speaks ABI 2.0 or later"
        )
    );
}

#[test]
fn a_plugin_of_this_abi_reports_its_versions() {
    let dir = plugin_dir(&["hello"]);
    let (_, reports) = load(&[dir.path()]);
    let r = report(&reports, "libnetplug_plugin_hello.so");
    assert_eq!(r.status, LoadStatus::Loaded, "{r:#?}");
    assert_eq!(r.abi_version.as_deref(), Some("1.1"));
    assert_eq!(r.sdk_version.as_deref(), Some(netplug_plugin_sdk::abi::SDK_VERSION));
}
