//! Forwarding a plugin's `tracing` events to the host.
//!
//! A `cdylib` carries its own copy of `tracing`, with its own global dispatcher, so without
//! help a plugin's `tracing::info!` would reach no subscriber at all. At `init` the SDK
//! installs, as the plugin's global default, a small subscriber that hands each event to the
//! host's `log` callback: the message followed by `key=value` fields, and the fields apart
//! ([`LogFields`], ABI 1.1, which a 1.0 host ignores). The host re-emits it with the target
//! `netplug::plugin::<name>`, so the host's filters and output apply to plugins as to
//! everything else, and its fields stay fields (`tracing::info!(interface = %name, ..)` is
//! `NETPLUG_INTERFACE=` in the journal).
//!
//! Spans are accepted but not forwarded: a plugin's span context does not reach the host.

use std::fmt::{self, Write as _};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use abi_stable::std_types::RStr;
use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Metadata, Subscriber};

use crate::abi::{level, HostCallbacksRef, LogFields};

/// The host's callbacks, set once by the first `init`.
static HOST: OnceLock<HostCallbacksRef> = OnceLock::new();

/// Remember the host's callbacks and make the forwarding subscriber this plugin's global
/// default. Only the first call has an effect: `tracing` allows one global default per
/// process image, and a plugin file is initialised once.
pub(crate) fn install(host: HostCallbacksRef) {
    if HOST.set(host).is_err() {
        return;
    }
    let max = match level::to_tracing(host.max_level()) {
        Some(l) => LevelFilter::from_level(l),
        None => LevelFilter::OFF,
    };
    // Fails only if the plugin set a global default of its own; then that one wins.
    let _ = tracing::subscriber::set_global_default(Forwarder { max, next_span: AtomicU64::new(1) });
}

/// True once a host has called `init`.
pub(crate) fn has_host() -> bool {
    HOST.get().is_some()
}

/// The host's callbacks, once `init` has run.
pub(crate) fn host() -> Option<&'static HostCallbacksRef> {
    HOST.get()
}

/// Send one formatted event to the host, if it gave a callback.
pub(crate) fn emit(level: u8, target: &str, message: &str) {
    if let Some(host) = HOST.get() {
        (host.log())(host.context(), level, RStr::from_str(target), RStr::from_str(message));
    }
}

/// Send one event to the host: its message followed by `name=value` for each field, which
/// any host prints, and the fields apart in the target (ABI 1.1, [`LogFields`]), which a 1.1
/// host keeps as fields.
fn emit_event(level: u8, target: &str, event: Format) {
    if event.fields.is_empty() {
        return emit(level, target, &event.message);
    }
    let message_len = event.message.len();
    let carried = LogFields { message_len, fields: event.fields.clone() };
    emit(level, &carried.into_target(target), &event.finish());
}

/// The plugin-side subscriber: filters by the host's maximum level, formats, forwards.
struct Forwarder {
    max: LevelFilter,
    next_span: AtomicU64,
}

impl Forwarder {
    fn wants(&self, metadata: &Metadata<'_>) -> bool {
        *metadata.level() <= self.max
    }
}

impl Subscriber for Forwarder {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if self.wants(metadata) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        self.wants(metadata)
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(self.max)
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        // Ids must be non-zero and distinct; nothing is kept per span.
        Id::from_u64(self.next_span.fetch_add(1, Ordering::Relaxed))
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let metadata = event.metadata();
        let mut fields = Format::default();
        event.record(&mut fields);
        emit_event(level::from_tracing(*metadata.level()), metadata.target(), fields);
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

/// An event's message and its other fields, each as text: a string as it is, any other value
/// as `Debug` writes it.
#[derive(Default)]
struct Format {
    message: String,
    fields: Vec<(String, String)>,
}

impl Format {
    /// Like `tracing-subscriber`'s compact output: the message, then the other fields as
    /// `name=value`, for a host that takes no fields.
    fn finish(self) -> String {
        let mut out = self.message;
        for (name, value) in &self.fields {
            if !out.is_empty() {
                out.push(' ');
            }
            let _ = write!(out, "{name}={value}");
        }
        out
    }
}

impl Visit for Format {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            self.fields.push((field.name().to_string(), value.to_string()));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            self.fields.push((field.name().to_string(), format!("{value:?}")));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_formatted_message_first() {
        struct Capture(std::sync::Mutex<Vec<String>>);
        impl Subscriber for Capture {
            fn enabled(&self, _: &Metadata<'_>) -> bool {
                true
            }
            fn new_span(&self, _: &Attributes<'_>) -> Id {
                Id::from_u64(1)
            }
            fn record(&self, _: &Id, _: &Record<'_>) {}
            fn record_follows_from(&self, _: &Id, _: &Id) {}
            fn event(&self, event: &Event<'_>) {
                let mut f = Format::default();
                event.record(&mut f);
                self.0.lock().unwrap().push(f.finish());
            }
            fn enter(&self, _: &Id) {}
            fn exit(&self, _: &Id) {}
        }
        let capture = std::sync::Arc::new(Capture(Default::default()));
        tracing::subscriber::with_default(capture.clone(), || {
            tracing::info!(mtu = 9000, name = "eth0", "set mtu on {}", "eth0");
            tracing::warn!(kind = "bond");
        });
        let got = capture.0.lock().unwrap().clone();
        assert_eq!(got, ["set mtu on eth0 mtu=9000 name=eth0", "kind=bond"]);
    }
}

#[cfg(test)]
mod fields_tests {
    use crate::abi::LogFields;

    #[test]
    fn fields_ride_in_the_target_and_a_10_host_still_reads_the_message() {
        let carried = LogFields { message_len: 14, fields: vec![("interface".into(), "br0".into())] };
        let target = carried.into_target("netplug_plugin_dhcp::renew");
        assert_eq!(LogFields::from_target(&target), ("netplug_plugin_dhcp::renew", Some(carried)));
        assert_eq!(
            LogFields::from_target("netplug_plugin_dhcp::renew"),
            ("netplug_plugin_dhcp::renew", None)
        );
    }
}
