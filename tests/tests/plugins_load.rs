//! Loading real plugin files through `netplug_core::host`: several at once, each answering as
//! itself; shadowing; conflicting claims; files that are not plugins; and how long it takes.

mod plugins_support;

use std::time::Duration;

use netplug_core::host::{
    discover, load_all_indexed, LoadReport, LoadStatus, LoadedPlugin, Opening, PluginIndex, SearchPath,
    Source,
};
use netplug_plugin_sdk::{Change, Element, Item, Phase};
use plugins_support::{fixture, install, load, plugin_dir, report};

fn item(kind: &str, interface: &str) -> Item {
    Item { interface: interface.into(), kind: kind.into(), envelope: None, element: Element::new(kind) }
}

#[test]
fn two_plugins_each_answer_as_themselves() {
    // abi_stable's `RootModule::load_from_file` keeps one module per type, so a second file
    // would answer as the first; the host must bypass that cache.
    let dir = plugin_dir(&["hello", "hello2"]);
    let (registry, reports) = load(&[dir.path()]);
    assert!(reports.iter().all(|r| r.status == LoadStatus::Loaded), "{reports:#?}");

    for name in ["hello", "hello2"] {
        let plugin = &registry.for_kind(name).unwrap_or_else(|| panic!("no plugin for kind {name}")).plugin;
        assert_eq!(plugin.info().name, name);
        let validation = plugin.validate(&[item(name, "x0")]);
        assert_eq!(validation.diagnostics[0].message, format!("hello from {name}"));
        let live = plugin.read(None).unwrap();
        assert_eq!(live[0].element.value("by"), Some(name));
        let changes = plugin.plan(&[item(name, "x0")], &[], &["x0".into()]).unwrap();
        assert_eq!(changes[0].description, format!("{name} creates x0"));
        assert_eq!(registry.for_element(&format!("{name}-greeting")).unwrap().info.name, name);
    }

    let report = report(&reports, "libnetplug_plugin_hello2.so");
    assert_eq!(report.version.as_deref(), Some("0.1.0"));
    assert_eq!(report.kinds, ["hello2"]);
    assert_eq!(report.sdk_version.as_deref(), Some(netplug_plugin_sdk::abi::SDK_VERSION));
    assert_eq!(report.source, Source::PluginDir);
}

#[test]
fn apply_errors_keep_their_index_and_name_the_plugin() {
    let dir = plugin_dir(&["hello"]);
    let (registry, _) = load(&[dir.path()]);
    let plugin = &registry.for_kind("hello").unwrap().plugin;
    let change = |payload: &str| Change::new("x0", Phase::Create, "", &payload);
    assert_eq!(plugin.apply(&[change("ok")]), Ok(()));
    let err = plugin.apply(&[change("ok"), change("fail")]).unwrap_err();
    assert_eq!(err.index, 1);
    assert_eq!(err.error.interface.as_deref(), Some("x0"));
    assert_eq!(err.error.message, "plugin 'hello': told to fail");
}

#[test]
fn the_first_file_of_a_name_wins_and_later_ones_are_not_opened() {
    let first = plugin_dir(&["hello"]);
    let second = tempfile::tempdir().unwrap();
    // Same file name, different plugin inside: if it were opened, `hello2` would be loaded.
    let shadowed = install(second.path(), "hello2", "libnetplug_plugin_hello.so");
    let (registry, reports) = load(&[first.path(), second.path()]);
    assert_eq!(registry.plugins().len(), 1);
    let r = report(&reports, "libnetplug_plugin_hello.so");
    assert_eq!(r.status, LoadStatus::Loaded);
    let s = reports.iter().find(|r| r.path == shadowed).unwrap();
    assert_eq!(s.status, LoadStatus::Shadowed { by: first.path().join("libnetplug_plugin_hello.so") });
    assert_eq!(s.version, None, "a shadowed file is not loaded");
}

#[test]
fn two_files_claiming_one_plugin_name_load_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let a = install(dir.path(), "hello", "a-hello.so");
    let b = install(dir.path(), "hello", "b-hello.so");
    let (registry, reports) = load(&[dir.path()]);
    assert_eq!(registry.plugins().len(), 1);
    let b_report = reports.iter().find(|r| r.path == b).unwrap();
    assert_eq!(b_report.status, LoadStatus::Shadowed { by: a.clone() });
}

#[test]
fn a_second_claim_on_a_kind_is_refused() {
    // `clash` claims the kind `hello`, which `hello`, earlier on the path, already has.
    let first = plugin_dir(&["hello"]);
    let second = plugin_dir(&["clash"]);
    let (registry, reports) = load(&[first.path(), second.path()]);
    assert_eq!(registry.for_kind("hello").unwrap().info.name, "hello");
    let r = report(&reports, "libnetplug_plugin_clash.so");
    let LoadStatus::Refused { reason } = &r.status else { panic!("{r:#?}") };
    assert!(
        reason.contains("plugin 'clash' claims kind 'hello', already claimed by plugin 'hello'"),
        "{reason}"
    );
    assert!(reason.contains("libnetplug_plugin_clash.so"), "the message names the file: {reason}");
    assert_eq!(r.name, "clash", "a refused plugin that loaded still says who it is");
}

#[test]
fn files_that_are_not_netplug_plugins_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.so"), b"not an ELF file").unwrap();
    // A real shared object that is not a plugin: the system's libm.
    let libc = ["/lib/x86_64-linux-gnu/libm.so.6", "/usr/lib/x86_64-linux-gnu/libm.so.6", "/lib64/libm.so.6"]
        .into_iter()
        .find(|p| std::path::Path::new(p).is_file());
    if let Some(lib) = libc {
        std::fs::copy(lib, dir.path().join("libm.so")).unwrap();
    }
    let (registry, reports) = load(&[dir.path()]);
    assert!(registry.plugins().is_empty());

    let LoadStatus::Refused { reason } = &report(&reports, "notes.so").status else { panic!("{reports:#?}") };
    assert!(reason.contains("notes.so: cannot be loaded"), "{reason}");
    if libc.is_some() {
        let LoadStatus::Refused { reason } = &report(&reports, "libm.so").status else {
            panic!("{reports:#?}")
        };
        assert!(reason.contains("libm.so: not a netplug plugin: it exports no plugin module"), "{reason}");
    }
}

#[test]
fn reports_serialise_for_json_output() {
    let first = plugin_dir(&["hello"]);
    let second = plugin_dir(&["clash"]);
    let (_, reports) = load(&[first.path(), second.path()]);
    let json = serde_json::to_value(&reports).unwrap();
    let clash = json.as_array().unwrap().iter().find(|r| r["name"] == "clash").unwrap();
    assert_eq!(clash["status"], "refused");
    assert!(clash["reason"].as_str().unwrap().contains("claims kind 'hello'"));
    assert_eq!(clash["source"], "plugin-dir");
    let hello = json.as_array().unwrap().iter().find(|r| r["name"] == "hello").unwrap();
    assert_eq!(hello["status"], "loaded");
    assert_eq!(hello["kinds"], serde_json::json!(["hello"]));
}

/// What a run learns goes to the plugin index: the next run registers those files from it and
/// opens one (checking it like any other) only when it is called; `Opening::Now` opens all.
/// A file replaced since it was listed is loaded afresh, and one replaced between registration
/// and its first call is refused at that call.
#[test]
fn the_plugin_index_defers_opening_until_a_plugin_is_called() {
    let dir = plugin_dir(&["hello", "hello2"]);
    let run = tempfile::tempdir().unwrap();
    let search = SearchPath::only(vec![dir.path().into()]);
    let load = |opening| load_all_indexed(&search, &mut PluginIndex::in_dir(run.path()), opening);
    let how =
        |reports: &[LoadReport]| reports.iter().map(|r| (r.name.clone(), r.deferred)).collect::<Vec<_>>();
    let h = |a: &str, deferred| (a.to_string(), deferred);
    let (_, first) = load(Opening::OnFirstUse);
    assert_eq!(how(&first), [h("hello", false), h("hello2", false)]);

    let (registry, second) = load(Opening::OnFirstUse);
    assert!(second.iter().all(|r| r.status == LoadStatus::Loaded), "{second:#?}");
    assert_eq!(how(&second), [h("hello", true), h("hello2", true)]);
    assert_eq!(second[0].abi_version.as_deref(), Some("1.1"), "from the index");
    assert_eq!(registry.for_kind("hello2").unwrap().info.kinds, ["hello2"], "routed from the index");
    let plugin = &registry.for_kind("hello").unwrap().plugin;
    assert_eq!(plugin.validate(&[item("hello", "x0")]).diagnostics[0].message, "hello from hello");

    let (_, now) = load(Opening::Now);
    assert_eq!(how(&now), [h("hello", false), h("hello2", false)]);

    // Replaced after it was listed: loaded and checked afresh.
    let replace = || {
        std::fs::remove_file(dir.path().join("libnetplug_plugin_hello.so")).unwrap();
        install(dir.path(), "hello", "libnetplug_plugin_hello.so");
    };
    replace();
    let (_, third) = load(Opening::OnFirstUse);
    assert_eq!(how(&third), [h("hello", false), h("hello2", true)]);

    // Replaced after this run registered it: its first call says so.
    let (registry, _) = load(Opening::OnFirstUse);
    replace();
    let plugin = &registry.for_kind("hello").unwrap().plugin;
    let err = plugin.read(None).unwrap_err();
    assert!(err.message.contains("was replaced after netplug started"), "{err}");
    let v = plugin.validate(&[item("hello", "x0")]);
    assert!(v.diagnostics[0].message.contains("cannot be opened"), "{v:?}");
}

#[test]
fn discovery_lists_files_not_yet_loaded() {
    let dir = plugin_dir(&["hello", "hello2"]);
    let found = discover(&SearchPath::only(vec![dir.path().into()]));
    let names: Vec<&str> = found.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["hello", "hello2"]);
}

/// Loading eight plugins: permission checks, `dlopen`, abi_stable's layout check, `init` and
/// `info` (which builds the plugin value), each step timed. Printed for the record
/// (`--nocapture`); how fast is for `cargo xtask bench` to say, not a test.
#[test]
fn eight_plugins_load_and_report_their_timings() {
    let dir = tempfile::tempdir().unwrap();
    fixture("hello");
    let paths: Vec<_> =
        (0..8).map(|i| install(dir.path(), "hello", &format!("libnetplug_plugin_timing{i}.so"))).collect();
    let mut total = Duration::ZERO;
    let mut sum = netplug_core::host::LoadTimings::default();
    for (i, path) in paths.iter().enumerate() {
        let plugin = LoadedPlugin::load(path, &format!("timing{i}")).unwrap();
        let t = plugin.timings();
        println!("plugin {i}: {t:?}");
        sum.check_file += t.check_file;
        sum.open += t.open;
        sum.check_layout += t.check_layout;
        sum.init += t.init;
        sum.info += t.info;
        total += t.total();
    }
    println!(
        "8 plugins: total {total:?} (check_file {:?}, dlopen+header {:?}, layout check {:?}, \
         init {:?}, info {:?})",
        sum.check_file, sum.open, sum.check_layout, sum.init, sum.info
    );
    assert!(total > Duration::ZERO && sum.open > Duration::ZERO, "the steps are timed: {sum:?}");
}
