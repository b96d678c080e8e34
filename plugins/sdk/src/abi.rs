//! Plugin ABI 1.1: what a plugin file exports, what the host hands it, and the one encoding
//! every call's request and answer travel in. `docs/plugin-abi.md` is the contract; this
//! module is its code, shared by the host (`netplug-core`) and the SDK's export macro.
//! Plugin code never uses it.
//!
//! * The root module ([`PluginModule`]) has two functions, `init` and `call`, and never grows
//!   within a major version: `abi_stable` lets a host read a plugin's root module only if the
//!   plugin has at least the host's fields, so an entry point a minor adds is a new
//!   [`method`] name, which a host sends only to plugins that declare that minor or later.
//! * Every request and answer is one MessagePack message of the SDK's serde types, structs as
//!   maps: a minor may add a `#[serde(default)]` field, which older readers skip and newer
//!   readers default when an older peer leaves it out.
//! * The ABI version (`major.minor`) is the root module's `abi_stable` version string, so the
//!   host reads it from the file's header before checking anything else. It is not the SDK
//!   crate's version: an SDK release that changes no part of this module keeps it.

use std::ffi::c_void;

use abi_stable::library::RootModule;
use abi_stable::sabi_types::VersionStrings;
use abi_stable::std_types::{RResult, RSlice, RStr, RVec};
use abi_stable::{declare_root_module_statics, StableAbi};
use serde::{Deserialize, Serialize};

use crate::plugin::{Change, Item, PluginInfo};

/// The ABI major version: plugins of another major are refused.
pub const MAJOR: u32 = 1;
/// The ABI minor version: a plugin built for minor `x` loads in every host of minor `y >= x`.
pub const MINOR: u32 = 1;
/// `MAJOR.MINOR.0`, as `abi_stable` stores it in every plugin file's header (a test keeps it
/// equal to [`MAJOR`] and [`MINOR`]).
const VERSION: &str = "1.1.0";

/// The `BASE_NAME` of the root module; a library exporting another `abi_stable` root module
/// is not a netplug plugin.
pub const BASE_NAME: &str = "netplug_plugin";

/// The version of this SDK crate, which a plugin reports in its [`InfoAnswer`].
pub const SDK_VERSION: &str = env!("CARGO_PKG_VERSION");

/// What a plugin file exports.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = PluginModuleRef)))]
pub struct PluginModule {
    /// Called once, right after loading and before `call`: where to send log events and
    /// shared dumps. The plugin value itself is created on the first call that needs it.
    pub init: extern "C" fn(host: HostCallbacksRef),
    /// Run [`method`] `method` on `request` (an encoded request of that method); the answer
    /// is encoded too, and so is the error (a [`PluginError`](crate::PluginError), or an
    /// [`ApplyError`](crate::ApplyError) for `apply`). Never unwinds: a panic in the plugin
    /// comes back as an error naming the plugin.
    #[sabi(last_prefix_field)]
    pub call: extern "C" fn(method: RStr<'_>, request: RSlice<'_, u8>) -> RResult<RVec<u8>, RVec<u8>>,
}

impl RootModule for PluginModuleRef {
    declare_root_module_statics! {PluginModuleRef}
    const BASE_NAME: &'static str = BASE_NAME;
    const NAME: &'static str = "netplug plugin";
    const VERSION_STRINGS: VersionStrings = VersionStrings::new(VERSION);
}

/// The method names of ABI 1.1, with their request and answer types.
pub mod method {
    /// [`InfoRequest`](super::InfoRequest) → [`InfoAnswer`](super::InfoAnswer).
    pub const INFO: &str = "info";
    /// [`ValidateRequest`](super::ValidateRequest) → `Validation` (never an error: a failure is
    /// an error diagnostic).
    pub const VALIDATE: &str = "validate";
    /// [`ReadRequest`](super::ReadRequest) → `Vec<Item>`.
    pub const READ: &str = "read";
    /// [`PlanRequest`](super::PlanRequest) → `Vec<Change>`.
    pub const PLAN: &str = "plan";
    /// [`ApplyRequest`](super::ApplyRequest) → `()`; the error is an `ApplyError`.
    pub const APPLY: &str = "apply";
    /// [`RemoveRequest`](super::RemoveRequest) → `Vec<Change>`.
    pub const REMOVE: &str = "remove";
    /// ABI 1.1: [`ReadPlanRequest`](super::ReadPlanRequest) → `LivePlan`. Sent only to plugins
    /// built for 1.1 or later; an older one is asked `read` and then `plan`.
    pub const READ_PLAN: &str = "read_plan";
    /// ABI 1.1: [`ToNative`](crate::libvirt::ToNative) → [`Native`](crate::libvirt::Native).
    /// Sent only for a kind the plugin lists in `PluginInfo::libvirt`, which no 1.0 plugin does.
    pub const LIBVIRT_TO_NATIVE: &str = "libvirt_to_native";
    /// ABI 1.1: [`FromNative`](crate::libvirt::FromNative) → [`Libvirt`](crate::libvirt::Libvirt),
    /// on the same terms.
    pub const LIBVIRT_FROM_NATIVE: &str = "libvirt_from_native";
}

/// What the host gives a plugin at `init`: a prefix type, so a later minor can append
/// callbacks, which a plugin built for it finds absent (`None`) in an older host.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = HostCallbacksRef)))]
#[sabi(missing_field(option))]
pub struct HostCallbacks {
    /// Opaque to the plugin; passed back on every callback so the host knows who spoke.
    pub context: usize,
    /// Re-emit one log event on the host: a [`level`], the plugin-side target and the
    /// formatted message with its fields. Never unwinds.
    pub log: extern "C" fn(context: usize, level: u8, target: RStr<'_>, message: RStr<'_>),
    /// The most verbose level the host wants ([`level::OFF`] for none).
    pub max_level: u8,
    /// If another plugin shared bytes under `key` in the current read pass (see
    /// [`crate::share`]), call `visit(cookie, bytes)` with them, on this thread, and answer
    /// `true`; the bytes are valid only during that call.
    pub shared_get:
        extern "C" fn(context: usize, key: RStr<'_>, visit: SharedVisitor, cookie: *mut c_void) -> bool,
    /// Hand `value` to the host under `key` for the plugins read after this one in the current
    /// read pass; dropped outside a pass.
    #[sabi(last_prefix_field)]
    pub shared_put: extern "C" fn(context: usize, key: RStr<'_>, value: RVec<u8>),
}

/// ABI 1.1: an event's fields, carried in the `target` argument of [`HostCallbacks::log`]
/// after [`LOG_FIELDS_SEPARATOR`], as JSON. The message argument stays what a 1.0 host prints
/// (the message, then `name=value` for each field); a host that reads this takes the first
/// `message_len` bytes of it as the message and keeps the fields as fields. (A callback
/// appended to [`HostCallbacks`] would have been the plainer way, but `abi_stable`'s layout
/// check then refuses every plugin built for 1.0.)
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogFields {
    pub message_len: usize,
    /// `(name, value)`, each value as text.
    pub fields: Vec<(String, String)>,
}

/// Where the [`LogFields`] start in a `log` target: the ASCII unit separator, which no Rust
/// module path contains.
pub const LOG_FIELDS_SEPARATOR: char = '\u{1f}';

impl LogFields {
    /// The `log` target carrying `self` after `target`.
    pub fn into_target(&self, target: &str) -> String {
        let json = serde_json::to_string(self).expect("strings encode");
        format!("{target}{LOG_FIELDS_SEPARATOR}{json}")
    }

    /// A `log` target's own part, and the fields it carries, if any (and readable).
    pub fn from_target(target: &str) -> (&str, Option<LogFields>) {
        match target.split_once(LOG_FIELDS_SEPARATOR) {
            Some((target, json)) => (target, serde_json::from_str(json).ok()),
            None => (target, None),
        }
    }
}

/// What [`HostCallbacks::shared_get`] calls with the bytes it finds: `func(cookie, bytes)`.
#[repr(transparent)]
#[derive(StableAbi, Clone, Copy)]
pub struct SharedVisitor {
    pub func: extern "C" fn(cookie: *mut c_void, bytes: RSlice<'_, u8>),
}

impl HostCallbacks {
    /// Leak `self` into the pointer the ABI passes. The host does this once per plugin, and
    /// plugins are never unloaded, so the leak is bounded.
    pub fn leak(self) -> HostCallbacksRef {
        abi_stable::prefix_type::PrefixTypeTrait::leak_into_prefix(self)
    }
}

/// Log levels on the wire: 0 is "off", then `tracing`'s levels from least to most verbose.
pub mod level {
    pub const OFF: u8 = 0;
    pub const ERROR: u8 = 1;
    pub const WARN: u8 = 2;
    pub const INFO: u8 = 3;
    pub const DEBUG: u8 = 4;
    pub const TRACE: u8 = 5;

    /// The wire number of a `tracing` level.
    pub fn from_tracing(level: tracing::Level) -> u8 {
        match level {
            tracing::Level::ERROR => ERROR,
            tracing::Level::WARN => WARN,
            tracing::Level::INFO => INFO,
            tracing::Level::DEBUG => DEBUG,
            tracing::Level::TRACE => TRACE,
        }
    }

    /// The wire number of a `tracing` level filter (`OFF` is 0).
    pub fn from_filter(filter: tracing::level_filters::LevelFilter) -> u8 {
        filter.into_level().map_or(OFF, from_tracing)
    }

    /// The `tracing` level of a wire number; unknown numbers (from a newer peer) clamp to the
    /// nearest known level rather than being dropped.
    pub fn to_tracing(level: u8) -> Option<tracing::Level> {
        match level {
            OFF => None,
            ERROR => Some(tracing::Level::ERROR),
            WARN => Some(tracing::Level::WARN),
            INFO => Some(tracing::Level::INFO),
            DEBUG => Some(tracing::Level::DEBUG),
            _ => Some(tracing::Level::TRACE),
        }
    }
}

// Requests are structs, never bare lists, so a minor can add a member. The host encodes
// borrowed slices; the plugin decodes owned values.

/// What `info` gets: nothing yet.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct InfoRequest {}

/// What `info` answers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InfoAnswer {
    pub info: PluginInfo,
    /// The SDK crate version the plugin was built with, for `netplug plugins`.
    #[serde(default)]
    pub sdk_version: String,
}

/// What `validate` gets.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ValidateRequest<T> {
    pub items: T,
}

/// What `read` gets: `None` means every interface the plugin knows about.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ReadRequest<N> {
    pub names: Option<N>,
}

/// What `plan` gets.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PlanRequest<T, N> {
    pub desired: T,
    pub live: T,
    pub scope: N,
}

/// What `read_plan` gets (ABI 1.1): `plan`'s request without the live items, which the plugin
/// reads itself, and whether to send them back when there are changes.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ReadPlanRequest<T, N> {
    pub desired: T,
    pub scope: N,
    #[serde(default)]
    pub keep_live: bool,
}

/// What `apply` gets.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ApplyRequest<C> {
    pub changes: C,
}

/// What `remove` gets.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RemoveRequest<S, T> {
    pub interface: S,
    pub live: T,
}

/// The requests as the host sends them (borrowed) …
pub type ValidateRef<'a> = ValidateRequest<&'a [Item]>;
pub type ReadRef<'a> = ReadRequest<&'a [String]>;
pub type PlanRef<'a> = PlanRequest<&'a [Item], &'a [String]>;
pub type ReadPlanRef<'a> = ReadPlanRequest<&'a [Item], &'a [String]>;
pub type ApplyRef<'a> = ApplyRequest<&'a [Change]>;
pub type RemoveRef<'a> = RemoveRequest<&'a str, &'a [Item]>;
/// … and as the plugin reads them (owned).
pub type Validate = ValidateRequest<Vec<Item>>;
pub type Read = ReadRequest<Vec<String>>;
pub type Plan = PlanRequest<Vec<Item>, Vec<String>>;
pub type ReadPlan = ReadPlanRequest<Vec<Item>, Vec<String>>;
pub type Apply = ApplyRequest<Vec<Change>>;
pub type Remove = RemoveRequest<String, Vec<Item>>;

/// Encode a request or an answer: MessagePack, structs as maps.
pub fn encode<T: Serialize + ?Sized>(value: &T) -> RVec<u8> {
    // The SDK's types are plain data with string keys; encoding them cannot fail.
    rmp_serde::to_vec_named(value).expect("SDK types encode").into()
}

/// Decode what [`encode`] wrote.
pub fn decode<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> Result<T, String> {
    rmp_serde::from_slice(bytes).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_version_is_major_dot_minor() {
        assert_eq!(VERSION, format!("{MAJOR}.{MINOR}.0"));
    }

    /// What a minor may do to a type: add a defaulted member, which an older reader skips and
    /// a newer one defaults.
    #[test]
    fn appended_members_cross_both_ways() {
        #[derive(Serialize, Deserialize, PartialEq, Debug)]
        struct Old {
            a: String,
        }
        #[derive(Serialize, Deserialize, PartialEq, Debug)]
        struct New {
            a: String,
            #[serde(default)]
            b: Option<u32>,
        }
        let new = New { a: "x".into(), b: Some(3) };
        assert_eq!(decode::<Old>(&encode(&new)).unwrap(), Old { a: "x".into() });
        let old = Old { a: "y".into() };
        assert_eq!(decode::<New>(&encode(&old)).unwrap(), New { a: "y".into(), b: None });
    }
}
