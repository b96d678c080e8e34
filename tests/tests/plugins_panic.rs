//! A panicking plugin must not take netplug down: every call comes back as an error (or, for
//! `validate`, an error diagnostic) naming the plugin, the method and the panic.

mod plugins_support;

use netplug_plugin_sdk::{Element, Item, Severity};
use plugins_support::{load, plugin_dir};

fn item() -> Item {
    Item { interface: "p0".into(), kind: "panicky".into(), envelope: None, element: Element::new("panicky") }
}

#[test]
fn panics_become_errors_naming_the_plugin() {
    let dir = plugin_dir(&["panicky"]);
    let (registry, _) = load(&[dir.path()]);
    let plugin = &registry.for_kind("panicky").expect("panicky loads: it only panics when called").plugin;

    let validation = plugin.validate(&[item()]);
    let d = &validation.diagnostics[0];
    assert_eq!(d.severity, Severity::Error);
    assert!(
        d.message.starts_with("plugin 'panicky' panicked in validate: validate got 1 items and gave up"),
        "{d:?}"
    );
    assert!(d.message.contains("src/lib.rs:"), "the message says where: {d:?}");

    let err = plugin.plan(&[item()], &[], &["p0".into()]).unwrap_err();
    assert!(err.message.starts_with("plugin 'panicky' panicked in plan: index out of bounds"), "{err}");

    // A payload that is not a string still gives an error, and apply charges it to change 0.
    let change = netplug_plugin_sdk::Change::new("p0", netplug_plugin_sdk::Phase::Create, "", &());
    let err = plugin.apply(&[change]).unwrap_err();
    assert_eq!(err.index, 0);
    assert!(err.error.message.contains("panicked in apply: (a panic payload that is not a string)"), "{err}");

    // The plugin is still usable after panicking.
    assert_eq!(plugin.read(None), Ok(Vec::new()));
    assert!(plugin.plan(&[], &[], &[]).is_err());
}
