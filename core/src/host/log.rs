//! Re-emitting a plugin's log events on the host, with the target `netplug::plugin::<name>`.
//!
//! `tracing`'s macros need a target known at compile time, and a plugin's name is known only
//! once it is loaded, so each plugin gets callsites of its own, built at run time (one per
//! level and set of field names its events use) and registered like a macro's. Filters such as `RUST_LOG=netplug::plugin::bond=debug`
//! then work for plugins as for any module, and a plugin's fields reach the host's layers as
//! fields (journald: `NETPLUG_<NAME>=`).

use std::collections::HashMap;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Mutex, OnceLock};

use abi_stable::std_types::RStr;
use netplug_plugin_sdk::abi::{level, HostCallbacks, HostCallbacksRef, LogFields};
use tracing::field::{display, Field, FieldSet, Value};
use tracing::level_filters::LevelFilter;
use tracing::{Event, Level, Metadata};
use tracing_core::callsite::Callsite;
use tracing_core::metadata::Kind;
use tracing_core::Interest;

/// Where one plugin's events go. Leaked: its address is the `context` the plugin passes back,
/// and plugins are never unloaded.
pub(crate) struct Sink {
    /// The name from the file name, used until the plugin has told its own.
    file_name: String,
    name: OnceLock<String>,
    /// `netplug::plugin::<name>` for the file name and for the plugin's own name.
    targets: [OnceLock<&'static str>; 2],
    /// Callsites by target, level and field names.
    callsites: Mutex<HashMap<CallsiteKey, &'static PluginCallsite>>,
}

/// A callsite of a plugin's events: target, level, field names.
type CallsiteKey = (&'static str, Level, Vec<String>);

/// The most fields an event keeps as fields; the rest go into its message.
const MAX_FIELDS: usize = 16;

impl Sink {
    /// A sink for the plugin in file `file_name`, and the callbacks that lead to it.
    pub(crate) fn callbacks(file_name: &str) -> (&'static Sink, HostCallbacksRef) {
        let sink: &'static Sink = Box::leak(Box::new(Sink {
            file_name: file_name.to_string(),
            name: OnceLock::new(),
            targets: Default::default(),
            callsites: Mutex::default(),
        }));
        let callbacks = HostCallbacks {
            context: sink as *const Sink as usize,
            log: forward,
            // The host's subscriber must be in place before plugins are loaded.
            max_level: level::from_filter(LevelFilter::current()),
            shared_get: super::share::shared_get,
            shared_put: super::share::shared_put,
        };
        (sink, callbacks.leak())
    }

    /// The plugin's own name, once `info` has given it (or the plugin index, which remembers it).
    pub(crate) fn set_name(&self, name: &str) {
        let _ = self.name.set(name.to_string());
    }

    fn target(&self) -> &'static str {
        let (i, name) = match self.name.get() {
            Some(name) => (1, name),
            None => (0, &self.file_name),
        };
        self.targets[i].get_or_init(|| Box::leak(format!("netplug::plugin::{name}").into_boxed_str()))
    }

    /// Emit one event, each field its own field in the host's subscriber.
    fn emit(&self, level: Level, message: &str, fields: &[(String, String)]) {
        if LevelFilter::current() < level {
            return;
        }
        let (kept, rest) = fields.split_at(fields.len().min(MAX_FIELDS));
        let mut message = message.to_string();
        for (name, value) in rest {
            message.push_str(&format!(" {name}={value}"));
        }
        let target = self.target();
        let names: Vec<String> = kept.iter().map(|(n, _)| n.clone()).collect();
        let callsite = {
            let mut callsites = self.callsites.lock().unwrap_or_else(|e| e.into_inner());
            *callsites
                .entry((target, level, names.clone()))
                .or_insert_with(|| PluginCallsite::new(target, level, &names))
        };
        let interest = callsite.interest.load(Ordering::Relaxed);
        if interest == NEVER {
            return;
        }
        let metadata = callsite.metadata();
        tracing::dispatcher::get_default(|dispatch| {
            if interest == ALWAYS || dispatch.enabled(metadata) {
                let set = metadata.fields();
                let message = display(message.as_str());
                let values: Vec<_> = kept.iter().map(|(_, v)| display(v.as_str())).collect();
                let mut pairs: Vec<(Field, &dyn Value)> = Vec::with_capacity(kept.len() + 1);
                pairs.extend(set.field("message").map(|f| (f, &message as &dyn Value)));
                for ((name, _), value) in kept.iter().zip(&values) {
                    pairs.extend(set.field(name.as_str()).map(|f| (f, value as &dyn Value)));
                }
                event_with(dispatch, metadata, set, &pairs);
            }
        });
    }
}

/// `tracing` builds a value set only from an array of known length: one per field count.
fn event_with(
    dispatch: &tracing::Dispatch,
    metadata: &'static Metadata<'static>,
    set: &FieldSet,
    pairs: &[(Field, &dyn Value)],
) {
    fn emit<const N: usize>(
        dispatch: &tracing::Dispatch,
        metadata: &'static Metadata<'static>,
        set: &FieldSet,
        pairs: &[(Field, &dyn Value)],
    ) {
        let values: [(&Field, Option<&dyn Value>); N] =
            std::array::from_fn(|i| (&pairs[i].0, Some(pairs[i].1)));
        dispatch.event(&Event::new(metadata, &set.value_set(&values)));
    }
    macro_rules! by_len {
        ($($n:literal)*) => {
            match pairs.len() {
                $($n => emit::<$n>(dispatch, metadata, set, pairs),)*
                _ => unreachable!("at most MAX_FIELDS fields and the message"),
            }
        };
    }
    by_len!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17);
}

/// The `log` callback handed to every plugin.
extern "C" fn forward(context: usize, level: u8, target: RStr<'_>, message: RStr<'_>) {
    // A subscriber that panics must not unwind into the plugin: that would abort.
    let _ = panic::catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: `context` is the address of a leaked `Sink` that `Sink::callbacks` gave this
        // plugin; the plugin only hands it back.
        let sink = unsafe { &*(context as *const Sink) };
        let Some(level) = level::to_tracing(level) else { return };
        let message = message.as_str();
        // ABI 1.1: the fields apart; the message then starts with the event's own message.
        match LogFields::from_target(target.as_str()).1 {
            Some(carried) if message.is_char_boundary(carried.message_len) => {
                sink.emit(level, &message[..carried.message_len], &carried.fields)
            }
            _ => sink.emit(level, message, &[]),
        }
    }));
}

const NEVER: u8 = 0;
const SOMETIMES: u8 = 1;
const ALWAYS: u8 = 2;

/// One run-time callsite: a plugin's events of one level.
struct PluginCallsite {
    metadata: OnceLock<Metadata<'static>>,
    interest: AtomicU8,
}

impl Callsite for PluginCallsite {
    fn set_interest(&self, interest: Interest) {
        let value = if interest.is_never() {
            NEVER
        } else if interest.is_always() {
            ALWAYS
        } else {
            SOMETIMES
        };
        self.interest.store(value, Ordering::Relaxed);
    }

    fn metadata(&self) -> &Metadata<'_> {
        self.metadata.get().expect("metadata is set before the callsite is registered")
    }
}

impl PluginCallsite {
    /// A registered callsite of `target` at `level` whose events carry a message and `fields`.
    fn new(target: &'static str, level: Level, fields: &[String]) -> &'static PluginCallsite {
        let callsite: &'static PluginCallsite = Box::leak(Box::new(PluginCallsite {
            metadata: OnceLock::new(),
            interest: AtomicU8::new(SOMETIMES),
        }));
        let names: Vec<&'static str> = std::iter::once("message")
            .chain(fields.iter().map(|f| &*Box::leak(f.clone().into_boxed_str())))
            .collect();
        let names: &'static [&'static str] = Box::leak(names.into_boxed_slice());
        let fields = FieldSet::new(names, tracing_core::identify_callsite!(callsite));
        let metadata =
            Metadata::new("plugin event", target, level, None, None, Some(target), fields, Kind::EVENT);
        let _ = callsite.metadata.set(metadata);
        tracing_core::callsite::register(callsite);
        callsite
    }
}
