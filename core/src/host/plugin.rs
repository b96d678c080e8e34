//! A loaded plugin file seen through the SDK's safe [`Plugin`] trait: each method encodes its
//! arguments as JSON, calls through the root module, and decodes the answer.
//!
//! The rest of core never learns that a plugin lives in another file. Anything unreadable
//! that comes back (a plugin built by hand, a wire-format bug) becomes an error naming the
//! plugin rather than a panic in netplug.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use abi_stable::std_types::{RResult, RStr, RString};
use netplug_plugin_sdk::ffi::{
    ApplyRequest, PlanRequest, PluginModuleRef, ReadRequest, RemoveRequest, ValidateRequest,
};
use netplug_plugin_sdk::{
    ApplyError, Change, Diagnostic, Item, Plugin, PluginError, PluginInfo, Span, Validation,
};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::load::LoadTimings;

/// A plugin loaded from a shared object. Cheap to keep around: the plugin builds its own
/// state on the first call that needs it.
pub struct LoadedPlugin {
    module: PluginModuleRef,
    info: PluginInfo,
    path: PathBuf,
    sdk_version: String,
    timings: LoadTimings,
}

impl std::fmt::Debug for LoadedPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedPlugin")
            .field("name", &self.info.name)
            .field("path", &self.path)
            .field("sdk_version", &self.sdk_version)
            .finish_non_exhaustive()
    }
}

impl LoadedPlugin {
    pub(super) fn new(
        module: PluginModuleRef,
        info: PluginInfo,
        path: PathBuf,
        sdk_version: String,
        timings: LoadTimings,
    ) -> Self {
        LoadedPlugin { module, info, path, sdk_version, timings }
    }

    /// Ask a freshly loaded module who it is.
    pub(super) fn read_info(module: PluginModuleRef) -> Result<PluginInfo, String> {
        let answer = (module.info())();
        decode_result::<PluginInfo>(answer, "info").map_err(|e| format!("its info() failed: {e}")).and_then(
            |info| {
                if info.name.is_empty() {
                    Err("its info() gives no name".to_string())
                } else {
                    Ok(info)
                }
            },
        )
    }

    /// The file it was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The `netplug-plugin-sdk` version it was built against.
    pub fn sdk_version(&self) -> &str {
        &self.sdk_version
    }

    /// How long loading it took, step by step.
    pub fn timings(&self) -> LoadTimings {
        self.timings
    }

    fn name(&self) -> &str {
        &self.info.name
    }

    fn request<T: Serialize>(&self, request: &T) -> String {
        serde_json::to_string(request).expect("SDK types serialise to JSON")
    }

    /// Decode an answer, or the error it carries, into `T` / a `PluginError`.
    fn answer<T: DeserializeOwned>(
        &self,
        answer: RResult<RString, RString>,
        method: &str,
    ) -> Result<T, PluginError> {
        decode_result(answer, method).map_err(|e| self.named(e))
    }

    /// Make sure an error says which plugin it came from (the SDK already does for panics).
    fn named(&self, mut e: PluginError) -> PluginError {
        let prefix = format!("plugin '{}'", self.name());
        if !e.message.starts_with(&prefix) {
            e.message = format!("{prefix}: {}", e.message);
        }
        e
    }
}

fn decode_result<T: DeserializeOwned>(
    answer: RResult<RString, RString>,
    method: &str,
) -> Result<T, PluginError> {
    match answer {
        RResult::ROk(json) => serde_json::from_str(json.as_str())
            .map_err(|e| PluginError::new(format!("unreadable answer from {method}: {e}"))),
        RResult::RErr(json) => Err(decode_error(json.as_str())),
    }
}

/// A plugin's error JSON; text that is not one is kept as the message.
fn decode_error(json: &str) -> PluginError {
    serde_json::from_str(json).unwrap_or_else(|_| PluginError::new(json))
}

impl Plugin for LoadedPlugin {
    fn info(&self) -> PluginInfo {
        self.info.clone()
    }

    fn validate(&self, items: &[Item]) -> Validation {
        let request = self.request(&ValidateRequest { items: Cow::Borrowed(items) });
        let answer = (self.module.validate())(RStr::from_str(&request));
        serde_json::from_str(answer.as_str()).unwrap_or_else(|e| Validation {
            diagnostics: vec![Diagnostic::error(
                Span::default(),
                format!("plugin '{}': unreadable answer from validate: {e}", self.name()),
            )],
            ..Validation::default()
        })
    }

    fn read(&self, names: Option<&[String]>) -> Result<Vec<Item>, PluginError> {
        let request = self.request(&ReadRequest { names: names.map(Cow::Borrowed) });
        self.answer((self.module.read())(RStr::from_str(&request)), "read")
    }

    fn plan(&self, desired: &[Item], live: &[Item], scope: &[String]) -> Result<Vec<Change>, PluginError> {
        let request = self.request(&PlanRequest {
            desired: Cow::Borrowed(desired),
            live: Cow::Borrowed(live),
            scope: Cow::Borrowed(scope),
        });
        self.answer((self.module.plan())(RStr::from_str(&request)), "plan")
    }

    fn apply(&self, changes: &[Change]) -> Result<(), ApplyError> {
        let request = self.request(&ApplyRequest { changes: Cow::Borrowed(changes) });
        match (self.module.apply())(RStr::from_str(&request)) {
            RResult::ROk(_) => Ok(()),
            RResult::RErr(json) => {
                let e = serde_json::from_str::<ApplyError>(json.as_str())
                    .unwrap_or_else(|_| ApplyError { index: 0, error: decode_error(json.as_str()) });
                Err(ApplyError { index: e.index, error: self.named(e.error) })
            }
        }
    }

    fn remove(&self, interface: &str, live: &[Item]) -> Result<Vec<Change>, PluginError> {
        let request =
            self.request(&RemoveRequest { interface: Cow::Borrowed(interface), live: Cow::Borrowed(live) });
        self.answer((self.module.remove())(RStr::from_str(&request)), "remove")
    }
}
