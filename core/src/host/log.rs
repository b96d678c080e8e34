//! Re-emitting a plugin's log events on the host, with the target `netplug::plugin::<name>`.
//!
//! `tracing`'s macros need a target known at compile time, and a plugin's name is known only
//! once it is loaded, so each plugin gets callsites of its own, built at run time (one per
//! level, on its first event, and one per level and set of field names its events with fields
//! use) and registered like a macro's. Filters such as `RUST_LOG=netplug::plugin::bond=debug`
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
    early: OnceLock<Callsites>,
    named: OnceLock<Callsites>,
    /// Callsites of events with fields, by target, level and field names.
    fielded: Mutex<HashMap<FieldedKey, &'static PluginCallsite>>,
}

/// A callsite of events with fields: target, level, field names.
type FieldedKey = (&'static str, Level, Vec<String>);

/// The most fields an event keeps as fields; the rest go into its message.
const MAX_FIELDS: usize = 16;

impl Sink {
    /// A sink for the plugin in file `file_name`, and the callbacks that lead to it.
    pub(crate) fn callbacks(file_name: &str) -> (&'static Sink, HostCallbacksRef) {
        let sink: &'static Sink = Box::leak(Box::new(Sink {
            file_name: file_name.to_string(),
            name: OnceLock::new(),
            early: OnceLock::new(),
            named: OnceLock::new(),
            fielded: Mutex::default(),
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

    fn callsites(&self) -> &Callsites {
        match self.name.get() {
            Some(name) if *name != self.file_name => self.named.get_or_init(|| Callsites::new(name)),
            _ => self.early.get_or_init(|| Callsites::new(&self.file_name)),
        }
    }

    fn emit(&self, level: Level, message: &str) {
        if LevelFilter::current() < level {
            return;
        }
        let callsite = self.callsites().get(level);
        let interest = callsite.interest.load(Ordering::Relaxed);
        if interest == NEVER {
            return;
        }
        let metadata = callsite.metadata();
        tracing::dispatcher::get_default(|dispatch| {
            if interest == ALWAYS || dispatch.enabled(metadata) {
                let fields = metadata.fields();
                let Some(field) = fields.field("message") else { return };
                let message = format_args!("{message}");
                let values = [(&field, Some(&message as &dyn Value))];
                dispatch.event(&Event::new(metadata, &fields.value_set(&values)));
            }
        });
    }
}

impl Sink {
    /// Emit an event with fields, each its own field in the host's subscriber.
    fn emit_fields(&self, level: Level, message: &str, fields: &[(String, String)]) {
        if LevelFilter::current() < level {
            return;
        }
        let (kept, rest) = fields.split_at(fields.len().min(MAX_FIELDS));
        let mut message = message.to_string();
        for (name, value) in rest {
            message.push_str(&format!(" {name}={value}"));
        }
        let target = self.callsites().target;
        let names: Vec<String> = kept.iter().map(|(n, _)| n.clone()).collect();
        let callsite = {
            let mut fielded = self.fielded.lock().unwrap_or_else(|e| e.into_inner());
            *fielded
                .entry((target, level, names.clone()))
                .or_insert_with(|| PluginCallsite::new(target, level, &names))
        };
        if callsite.interest.load(Ordering::Relaxed) == NEVER {
            return;
        }
        let metadata = callsite.metadata();
        tracing::dispatcher::get_default(|dispatch| {
            if callsite.interest.load(Ordering::Relaxed) == ALWAYS || dispatch.enabled(metadata) {
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
                sink.emit_fields(level, &message[..carried.message_len], &carried.fields)
            }
            _ => sink.emit(level, message),
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

/// A plugin's callsites, by level from error to trace.
struct Callsites {
    target: &'static str,
    levels: [&'static PluginCallsite; 5],
}

impl Callsites {
    fn new(plugin: &str) -> Self {
        let target: &'static str = Box::leak(format!("netplug::plugin::{plugin}").into_boxed_str());
        let levels = [Level::ERROR, Level::WARN, Level::INFO, Level::DEBUG, Level::TRACE];
        Callsites { target, levels: levels.map(|level| PluginCallsite::new(target, level, &[])) }
    }

    fn get(&self, level: Level) -> &'static PluginCallsite {
        let i = match level {
            Level::ERROR => 0,
            Level::WARN => 1,
            Level::INFO => 2,
            Level::DEBUG => 3,
            Level::TRACE => 4,
        };
        self.levels[i]
    }
}
