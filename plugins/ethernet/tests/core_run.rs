//! The plugin under core's engine: a document is validated, planned, applied and verified,
//! and an apply that fails at any step is rolled back to exactly what was there.

mod common;

use std::sync::Arc;

use common::*;
use netplug_core::apply::{ApplyError, ApplyOptions, Run};
use netplug_core::load;
use netplug_core::registry::Registry;
use netplug_core::source::SourceMap;
use netplug_core::validate::{validate, ValidateOptions};
use netplug_plugin_ethernet::EthernetPlugin;
use netplug_plugin_sdk::Plugin;
use netplug_plugin_testing::in_new_netns;

const DOC: &str = r#"<interfaces>
  <interface device="lan0" mtu="4000">
    <hwaddr>52:54:00:12:34:56</hwaddr>
    <ethtool>
      <feature name="tx-checksum-ip-generic" state="off"/>
      <feature name="rx-gro" state="on"/>
      <channels rx="2"/>
    </ethtool>
  </interface>
  <interface device="eth1" state="down" mtu="9000"/>
</interfaces>"#;

fn registry() -> Registry {
    let mut r = Registry::new();
    r.register(Arc::new(EthernetPlugin), "builtin").unwrap();
    r
}

fn config(registry: &Registry) -> netplug_core::model::Config {
    let mut sources = SourceMap::default();
    let (interfaces, diagnostics, _) = load::load_str("test.xml", DOC, &mut sources, registry);
    assert_eq!(diagnostics, []);
    let mut config = netplug_core::model::Config { interfaces };
    assert_eq!(validate(&mut config, registry, &ValidateOptions::default()), []);
    config
}

/// Everything this plugin reads about the two devices, under their old or new names.
fn state() -> Vec<netplug_plugin_sdk::Item> {
    EthernetPlugin.read(Some(&names(&["eth0", "lan0", "eth1"]))).unwrap()
}

#[test]
fn a_document_applies_verifies_and_rolls_back_at_every_step() {
    in_new_netns(|| {
        nic("eth0", "52:54:00:12:34:56", true);
        nic("eth1", "02:00:00:00:00:01", true);
        let registry = registry();
        let config = config(&registry);
        let run = Run::new(&config, &registry);
        let before = state();

        let (plan, _) = run.plan().unwrap();
        let steps = plan.steps.len();
        assert_eq!(steps, 8, "{:#?}", plan.steps.iter().map(|s| &s.change.description).collect::<Vec<_>>());
        for k in 1..=steps {
            let err = run.apply(&ApplyOptions { inject_failure_at: Some(k) }).unwrap_err();
            let ApplyError::Step { rollback, .. } = &err else { panic!("step {k}: {err}") };
            assert!(rollback.verified, "step {k}: rollback not verified: {:?}", rollback.errors);
            assert_eq!(state(), before, "step {k}: not restored");
        }

        let applied = run.apply(&ApplyOptions::default()).unwrap();
        assert_eq!(applied.len(), steps);
        let live = live_envelope("lan0");
        assert_eq!((live.mtu, live.mac.as_deref()), (Some(4000), Some("52:54:00:12:34:56")));
        assert_eq!(feature("lan0", "rx-gro").as_deref(), Some("on"));
        assert_eq!(live_envelope("eth1").mtu, Some(9000));
        assert!(run.plan().unwrap().0.steps.is_empty(), "a second apply has nothing to do");
    });
}
