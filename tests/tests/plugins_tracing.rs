//! A plugin's `tracing` events reach the host's subscriber, with the target
//! `netplug::plugin::<name>`, filtered by the host's level. Without forwarding they would go to
//! the plugin's own copy of `tracing`, which has no subscriber.

mod plugins_support;

use std::sync::{Arc, Mutex};

use netplug_plugin_sdk::{Element, Item};
use plugins_support::{load, plugin_dir};
use tracing::level_filters::LevelFilter;
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

/// Records every event as (level, target, message and fields).
#[derive(Default)]
struct Capture {
    events: Mutex<Vec<(Level, String, String)>>,
}

impl Subscriber for Capture {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        *metadata.level() <= Level::INFO
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(LevelFilter::INFO)
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        struct Message(String);
        impl tracing::field::Visit for Message {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "message" {
                    self.0 = format!("{value:?}");
                }
            }
        }
        let mut message = Message(String::new());
        event.record(&mut message);
        let m = event.metadata();
        self.events.lock().unwrap().push((*m.level(), m.target().to_string(), message.0));
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

#[test]
fn plugin_events_reach_the_host_subscriber() {
    let capture = Arc::new(Capture::default());
    let dir = plugin_dir(&["hello", "hello2"]);
    // The host's subscriber is in place before plugins load: they learn the level at `init`.
    tracing::subscriber::with_default(capture.clone(), || {
        let (registry, _) = load(&[dir.path()]);
        for name in ["hello", "hello2"] {
            let item = Item {
                interface: "x0".into(),
                kind: name.into(),
                envelope: None,
                element: Element::new(name),
            };
            registry.for_kind(name).unwrap().plugin.validate(&[item]);
        }
    });
    let events = capture.events.lock().unwrap();
    let from_plugins: Vec<_> = events.iter().filter(|(_, t, _)| t.starts_with("netplug::plugin::")).collect();
    assert_eq!(
        from_plugins,
        [
            &(Level::INFO, "netplug::plugin::hello".to_string(), "hello validating items=1".to_string()),
            &(Level::INFO, "netplug::plugin::hello2".to_string(), "hello2 validating items=1".to_string()),
        ],
        "trace events are dropped in the plugin, since the host wants info and above: {events:#?}"
    );
}
