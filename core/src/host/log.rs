//! Re-emitting a plugin's log events on the host, with the target `netplug::plugin::<name>`.
//!
//! `tracing`'s macros need a target known at compile time, and a plugin's name is known only
//! once it is loaded, so each plugin gets callsites of its own, built at run time (one per
//! level, on its first event) and registered like a macro's. Filters such as
//! `RUST_LOG=netplug::plugin::bond=debug` then work for plugins as for any module.

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::OnceLock;

use abi_stable::std_types::RStr;
use netplug_plugin_sdk::abi::{level, HostCallbacks, HostCallbacksRef};
use tracing::field::Value;
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
}

impl Sink {
    /// A sink for the plugin in file `file_name`, and the callbacks that lead to it.
    pub(crate) fn callbacks(file_name: &str) -> (&'static Sink, HostCallbacksRef) {
        let sink: &'static Sink = Box::leak(Box::new(Sink {
            file_name: file_name.to_string(),
            name: OnceLock::new(),
            early: OnceLock::new(),
            named: OnceLock::new(),
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

/// The `log` callback handed to every plugin.
extern "C" fn forward(context: usize, level: u8, _target: RStr<'_>, message: RStr<'_>) {
    // A subscriber that panics must not unwind into the plugin: that would abort.
    let _ = panic::catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: `context` is the address of a leaked `Sink` that `Sink::callbacks` gave this
        // plugin; the plugin only hands it back.
        let sink = unsafe { &*(context as *const Sink) };
        if let Some(level) = level::to_tracing(level) {
            sink.emit(level, message.as_str());
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

/// A plugin's callsites, by level from error to trace.
struct Callsites([&'static PluginCallsite; 5]);

impl Callsites {
    fn new(plugin: &str) -> Self {
        let target: &'static str = Box::leak(format!("netplug::plugin::{plugin}").into_boxed_str());
        let levels = [Level::ERROR, Level::WARN, Level::INFO, Level::DEBUG, Level::TRACE];
        Callsites(levels.map(|level| {
            let callsite: &'static PluginCallsite = Box::leak(Box::new(PluginCallsite {
                metadata: OnceLock::new(),
                interest: AtomicU8::new(SOMETIMES),
            }));
            let fields =
                tracing::field::FieldSet::new(&["message"], tracing_core::identify_callsite!(callsite));
            let metadata =
                Metadata::new("plugin event", target, level, None, None, Some(target), fields, Kind::EVENT);
            let _ = callsite.metadata.set(metadata);
            tracing_core::callsite::register(callsite);
            callsite
        }))
    }

    fn get(&self, level: Level) -> &'static PluginCallsite {
        let i = match level {
            Level::ERROR => 0,
            Level::WARN => 1,
            Level::INFO => 2,
            Level::DEBUG => 3,
            Level::TRACE => 4,
        };
        self.0[i]
    }
}
