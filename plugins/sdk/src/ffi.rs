//! The stable ABI between `netplug` and a plugin file: the root module every plugin exports,
//! the callbacks the host hands it, and the JSON requests that travel through both.
//!
//! Plugin authors never touch this module; [`export_plugin!`](crate::export_plugin) fills the
//! root module in, and `netplug-core`'s `host` module calls it. It is public because both sides
//! must agree on it, byte for byte.
//!
//! Two layers keep old and new builds talking:
//!
//! * The root module is an `abi_stable` *prefix type*. Its fields up to `remove` (marked
//!   `last_prefix_field`) exist in every plugin. As measured (`tests/tests/plugins_abi.rs`):
//!   a plugin with fields appended after the host was built loads, and the host never calls
//!   them; a host with fields appended refuses plugins built before them ("too many
//!   fields"), as it refuses a `netplug-plugin-sdk` of another `0.minor` series. Only the
//!   `HostCallbacks` the host hands a plugin read as `None` where the host predates them. The
//!   rules are in `docs/plugin-guide.md`, section 9.
//! * Everything a method takes or returns is the SDK's serde types as JSON in an `RStr` /
//!   `RString`. Adding a `#[serde(default)]` field to a wire type changes no layout, so old
//!   and new plugins keep working; [`WIRE_ABI`] is bumped only when the JSON itself changes
//!   incompatibly. With thousands of items JSON is not free, so plugins that announce
//!   [`WireFeatures::memo`] keep what they were sent and answered, and the host names it by
//!   id instead of sending it again (the SDK's `memo` module and core's `host::memo`), and
//!   those that announce [`WireFeatures::compact`] exchange item lists, plans and validations
//!   in the [compact form](crate::compact) rather than JSON.

use std::borrow::Cow;
use std::ffi::c_void;

use abi_stable::library::RootModule;
use abi_stable::prefix_type::PrefixTypeTrait;
use abi_stable::sabi_types::VersionStrings;
use abi_stable::std_types::{RResult, RSlice, RStr, RString, RVec};
use abi_stable::{declare_root_module_statics, package_version_strings, StableAbi};
use serde::{Deserialize, Serialize};

use crate::plugin::{Change, Item};

/// The version of the JSON wire format: what the requests below and the SDK's serde types
/// look like. A host refuses a plugin whose `abi` differs from its own. Bump it only for a
/// change an old reader cannot absorb (a renamed or removed field, a changed meaning), never
/// for an added `#[serde(default)]` field.
pub const WIRE_ABI: u32 = 1;

/// The `BASE_NAME` of the root module; a library exporting another `abi_stable` root module
/// is not a netplug plugin.
pub const BASE_NAME: &str = "netplug_plugin";

/// The version of this SDK, as compiled into every plugin built against it.
pub const SDK_VERSION: &str = env!("CARGO_PKG_VERSION");

/// What a plugin file exports. Every function exchanges the SDK's types as JSON; errors are
/// the JSON of a [`PluginError`](crate::PluginError) (or [`ApplyError`](crate::ApplyError) for
/// `apply`). None of them unwinds: the SDK turns a panic into an error naming the plugin.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = PluginModuleRef)))]
#[sabi(missing_field(option))]
pub struct PluginModule {
    /// [`WIRE_ABI`] of the SDK the plugin was built with.
    pub abi: u32,
    /// Called once, right after loading and before any other function: where to send log
    /// events. Cheap; the plugin value itself is created on the first call that needs it.
    pub init: extern "C" fn(host: HostCallbacksRef),
    /// `PluginInfo` as JSON.
    pub info: extern "C" fn() -> RResult<RString, RString>,
    /// [`ValidateRequest`] in, `Validation` out. A failure (bad JSON, a panic) comes back as an
    /// error diagnostic, since validation has nowhere else to report.
    pub validate: extern "C" fn(request: RStr<'_>) -> RString,
    /// [`ReadRequest`] in, `Vec<Item>` out.
    pub read: extern "C" fn(request: RStr<'_>) -> RResult<RString, RString>,
    /// [`PlanRequest`] in, `Vec<Change>` out.
    pub plan: extern "C" fn(request: RStr<'_>) -> RResult<RString, RString>,
    /// [`ApplyRequest`] in, `null` out; the error is an `ApplyError`.
    pub apply: extern "C" fn(request: RStr<'_>) -> RResult<RString, RString>,
    /// [`RemoveRequest`] in, `Vec<Change>` out.
    ///
    /// This is the last field every plugin has; append new ones below it, never above, and
    /// only in a patch release of the SDK (see the ABI rules in `docs/plugin-guide.md`).
    #[sabi(last_prefix_field)]
    pub remove: extern "C" fn(request: RStr<'_>) -> RResult<RString, RString>,
}

impl RootModule for PluginModuleRef {
    declare_root_module_statics! {PluginModuleRef}
    const BASE_NAME: &'static str = BASE_NAME;
    const NAME: &'static str = "netplug plugin";
    const VERSION_STRINGS: VersionStrings = package_version_strings!();
}

/// What the host gives a plugin at `init`. A prefix type too, so the host can offer more
/// later (fields appended below `max_level`) without breaking plugins built before.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = HostCallbacksRef)))]
#[sabi(missing_field(option))]
pub struct HostCallbacks {
    /// Opaque to the plugin (a token, not a pointer it may use); passed back on every call so
    /// the host knows which plugin spoke.
    pub context: usize,
    /// Re-emit one event on the host: a level (see [`level`]), the plugin-side target and the
    /// formatted message with its fields. Never unwinds.
    pub log: extern "C" fn(context: usize, level: u8, target: RStr<'_>, message: RStr<'_>),
    /// The most verbose level the host wants ([`level::OFF`] for none); the plugin drops the
    /// rest before formatting them.
    #[sabi(last_prefix_field)]
    pub max_level: u8,
    /// If another plugin shared something under `key` during the current read pass (see
    /// [`crate::share`]), call `visit(cookie, bytes)` with it, on this thread, before
    /// returning `true`; the bytes are valid only during that call. Absent in hosts before
    /// SDK 0.1.1.
    pub shared_get:
        extern "C" fn(context: usize, key: RStr<'_>, visit: SharedVisitor, cookie: *mut c_void) -> bool,
    /// Hand `value` to the host under `key` for the plugins read after this one in the current
    /// read pass; dropped outside a pass. Absent in hosts before SDK 0.1.1.
    pub shared_put: extern "C" fn(context: usize, key: RStr<'_>, value: RVec<u8>),
}

/// What [`HostCallbacks::shared_get`] calls with the bytes it finds: `func(cookie, bytes)`.
/// (`abi_stable` takes a function pointer inside another's parameters only wrapped.)
#[repr(transparent)]
#[derive(StableAbi, Clone, Copy)]
pub struct SharedVisitor {
    pub func: extern "C" fn(cookie: *mut c_void, bytes: RSlice<'_, u8>),
}

impl HostCallbacks {
    /// Leak `self` into the pointer the ABI passes. The host does this once per plugin, and
    /// plugins are never unloaded, so the leak is bounded.
    pub fn leak(self) -> HostCallbacksRef {
        self.leak_into_prefix()
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

// The requests are objects, not bare arrays, so a later SDK can add a `#[serde(default)]`
// member without breaking plugins built before. `Cow` lets the host serialise borrowed slices
// while the plugin deserialises owned ones.

/// What `validate` gets, as JSON; or in the [compact form](crate::compact) when the plugin
/// announced it, and then the answer is compact too.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ValidateRequest<'a> {
    pub items: Cow<'a, [Item]>,
    /// Keep the items under this id for later requests to name (see [`WireFeatures::memo`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_as: Option<u64>,
}

/// What `read` gets: `None` means every interface the plugin knows about.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ReadRequest<'a> {
    #[serde(default)]
    pub names: Option<Cow<'a, [String]>>,
    /// Keep the answer under this id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_as: Option<u64>,
    /// With `keep_as`: answer an empty list; the host will name the kept one in a plan
    /// (verification, which needs only the plan). The SDK reads when that plan comes, through
    /// [`Plugin::replan`](crate::Plugin::replan) when the plan's scope is these names.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub quiet: bool,
    /// Answer in this version of the [compact form](crate::compact) (0: JSON).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub compact: u32,
}

/// What `plan` gets. `desired_ref` / `live_ref`, when set, name item lists the plugin kept
/// (and `desired` / `live` are then empty).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct PlanRequest<'a> {
    pub desired: Cow<'a, [Item]>,
    pub live: Cow<'a, [Item]>,
    pub scope: Cow<'a, [String]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired_ref: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live_ref: Option<u64>,
    /// Keep the planned changes under this id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_as: Option<u64>,
    /// Answer in this version of the [compact form](crate::compact) (0: JSON).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub compact: u32,
}

fn is_zero(v: &u32) -> bool {
    *v == 0
}

/// What `apply` gets: `changes`, or, when `from_plan` is set, those picks of a kept plan.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ApplyRequest<'a> {
    pub changes: Cow<'a, [Change]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_plan: Option<PlanPicks>,
}

/// Changes of a kept plan, by position, in the order to apply them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanPicks {
    pub plan: u64,
    pub indices: Vec<u32>,
}

/// What `remove` gets.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct RemoveRequest<'a> {
    pub interface: Cow<'a, str>,
    pub live: Cow<'a, [Item]>,
}

/// What the SDK's side of the wire can do beyond the basic requests, sent beside the
/// plugin's info. A host uses a feature only with plugins that announce it, so plugins built
/// before it keep working.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireFeatures {
    /// The plugin keeps the item lists and plans it was sent or answered under the ids the
    /// host gives (`keep_as`), the last [`MEMO_SLOTS`] of them, so later requests can name
    /// them instead of sending them again: large configurations cross the boundary once per
    /// run instead of four or five times. A name it no longer holds is answered with an
    /// error starting [`MEMO_MISS`], and the host sends the full request instead.
    #[serde(default)]
    pub memo: bool,
    /// The version of the [compact form](crate::compact) the plugin reads and writes (0:
    /// none). A host that speaks the same version sends validation requests in it and asks
    /// for read and plan answers in it; any other host goes on with JSON.
    #[serde(default)]
    pub compact: u32,
}

/// How many kept lists a plugin holds (the oldest goes first).
pub const MEMO_SLOTS: usize = 8;

/// The start of the error a plugin answers when a request names something it does not hold.
pub const MEMO_MISS: &str = "netplug wire: no kept list";

/// The `info` answer: the plugin's [`PluginInfo`](crate::PluginInfo) with the SDK's
/// [`WireFeatures`] beside it (a host that predates `wire` ignores it).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InfoAnswer {
    #[serde(flatten)]
    pub info: crate::plugin::PluginInfo,
    #[serde(default)]
    pub wire: WireFeatures,
    /// [`Plugin::records`](crate::Plugin::records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_round_trip() {
        for l in [tracing::Level::ERROR, tracing::Level::WARN, tracing::Level::INFO, tracing::Level::TRACE] {
            assert_eq!(level::to_tracing(level::from_tracing(l)), Some(l));
        }
        assert_eq!(level::to_tracing(level::OFF), None);
        assert_eq!(level::to_tracing(200), Some(tracing::Level::TRACE));
    }

    #[test]
    fn requests_accept_missing_optional_members() {
        let r: ReadRequest = serde_json::from_str("{}").unwrap();
        assert!(r.names.is_none());
        let r: ReadRequest = serde_json::from_str(r#"{"names":["eth0"],"later":1}"#).unwrap();
        assert_eq!(r.names.unwrap().as_ref(), ["eth0".to_string()]);
    }
}
