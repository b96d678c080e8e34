//! The wire memo between the host and a real plugin file (the `hello` fixture, built against
//! the SDK in this repository): lists named by reference give the same answers as lists sent
//! in full, and a plugin that no longer holds a list it is named is sent the list again.
//! The fixture speaks the SDK's compact form, so this runs over it (the JSON path is the
//! `new` fixture's, in `plugins_abi.rs`).
//!
//! Two registries loading the same file share one library, so one of them can push the
//! other's kept lists out of the plugin without the other knowing, which is the case the
//! retry exists for.

mod plugins_support;

use netplug_plugin_sdk::ffi::MEMO_SLOTS;
use netplug_plugin_sdk::{Element, Item, Plugin};
use plugins_support::{load, plugin_dir};

fn item(name: &str, payload: &str) -> Item {
    Item {
        interface: name.into(),
        kind: "hello".into(),
        envelope: None,
        element: Element::new("hello").with_attr("payload", payload),
    }
}

/// Fill every slot of the plugin's memo with lists of `plugin`'s own.
fn push_out(plugin: &dyn Plugin) {
    for i in 0..MEMO_SLOTS * 2 {
        plugin.validate(&[item(&format!("other{i}"), "ok")]);
    }
}

#[test]
fn named_lists_answer_like_full_ones_and_a_lost_one_is_sent_again() {
    let dir = plugin_dir(&["hello"]);
    let (mine, _) = load(&[dir.path()]);
    let (other, _) = load(&[dir.path()]);
    let plugin = &mine.for_kind("hello").expect("hello loads").plugin;
    let intruder = &other.for_kind("hello").expect("hello loads twice").plugin;
    let desired = vec![item("h0", "ok"), item("h1", "fail")];
    let scope = vec!["h0".to_string(), "h1".to_string()];

    // Validation leaves the desired list with the plugin; plan and apply name it and its plan.
    plugin.validate(&desired);
    let changes = plugin.plan(&desired, &[], &scope).unwrap();
    let described: Vec<_> = changes.iter().map(|c| c.description.as_str()).collect();
    assert_eq!(described, ["hello creates h0", "hello creates h1"]);
    let err = plugin.apply(&changes).unwrap_err();
    assert_eq!(err.index, 1, "{err}");
    assert!(err.error.message.contains("told to fail"), "{err}");

    // Another host pushes everything out; the names this host sends now miss, and it resends.
    push_out(intruder.as_ref());
    assert_eq!(plugin.plan(&desired, &[], &scope).unwrap(), changes);
    push_out(intruder.as_ref());
    let err = plugin.apply(&changes).unwrap_err();
    assert_eq!(err.index, 1, "{err}");
    assert!(err.error.message.contains("told to fail"), "{err}");
    assert!(plugin.apply(&changes[..1]).is_ok());
}
