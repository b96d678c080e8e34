//! Verification through a real plugin file: after an apply, core re-reads and re-plans, and
//! anything left to do is a mismatch that rolls the run back. Verification is a `read` and a
//! `plan` like any other.
//!
//! The `hello` fixture never converges (its plan always has a change for every desired
//! interface), which is exactly a kernel that does not match after an apply.

mod plugins_support;

use netplug_core::apply::{ApplyError, ApplyOptions, Run};
use netplug_core::load::load_str;
use netplug_core::model::Config;
use netplug_core::source::SourceMap;
use netplug_core::validate::{validate, ValidateOptions};
use netplug_plugin_sdk::Severity;
use plugins_support::{load, plugin_dir};

#[test]
fn a_mismatch_after_apply_is_reported_and_rolled_back() {
    let dir = plugin_dir(&["hello"]);
    let (registry, _) = load(&[dir.path()]);
    let mut sources = SourceMap::default();
    let (interfaces, diagnostics, _) =
        load_str("doc.xml", r#"<interfaces><hello name="h0"/></interfaces>"#, &mut sources, &registry);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let mut config = Config { interfaces };
    let diagnostics = validate(&mut config, &registry, &ValidateOptions::default());
    assert!(diagnostics.iter().all(|d| d.severity != Severity::Error), "{diagnostics:?}");

    let run = Run::new(&config, &registry);
    match run.apply(&ApplyOptions::default()) {
        Err(ApplyError::Verify { mismatch, rollback }) => {
            let left: Vec<_> = mismatch.iter().map(|s| s.change.description.as_str()).collect();
            assert_eq!(left, ["hello creates h0"]);
            assert!(!rollback.steps.is_empty(), "the rollback ran: {rollback:?}");
            assert!(!rollback.verified, "and could not verify either, as hello never converges");
        }
        other => panic!("expected a verification failure, got {other:?}"),
    }
}
