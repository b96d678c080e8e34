//! A loaded plugin file seen through the SDK's safe [`Plugin`] trait: each method encodes its
//! request, calls the root module's `call` and decodes the answer (ABI 1.0,
//! `docs/plugin-abi.md`).
//!
//! The rest of core never learns that a plugin lives in another file. Anything unreadable
//! that comes back (a plugin built by hand, an encoding bug) becomes an error naming the
//! plugin rather than a panic in netplug.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use abi_stable::std_types::{RResult, RSlice, RStr, RVec};
use netplug_plugin_sdk::abi::{self, method, InfoAnswer, PluginModuleRef};
use netplug_plugin_sdk::libvirt;
use netplug_plugin_sdk::{
    ApplyError, Change, Diagnostic, Item, LivePlan, Plugin, PluginError, PluginInfo, Span, Validation,
};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::load::{open_deferred, Deferred, LoadTimings};

/// A plugin loaded from a shared object, or registered from the plugin index and opened on
/// its first call. Cheap to keep around: the plugin builds its own state on the first call
/// that needs it.
pub struct LoadedPlugin {
    /// The root module, once open (or why it could not be opened).
    module: OnceLock<Result<PluginModuleRef, String>>,
    /// How to open it, for a plugin registered from the index.
    deferred: Option<Deferred>,
    info: PluginInfo,
    path: PathBuf,
    sdk_version: String,
    abi_version: String,
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
        module: Option<PluginModuleRef>,
        answer: InfoAnswer,
        abi_version: String,
        path: PathBuf,
        timings: LoadTimings,
        deferred: Option<Deferred>,
    ) -> Self {
        let plugin = LoadedPlugin {
            module: OnceLock::new(),
            deferred,
            info: answer.info,
            path,
            sdk_version: answer.sdk_version,
            abi_version,
            timings,
        };
        if let Some(module) = module {
            let _ = plugin.module.set(Ok(module));
        }
        plugin
    }

    /// Whether the file has been opened (a plugin registered from the index is opened by its
    /// first call).
    pub fn is_open(&self) -> bool {
        self.module.get().is_some()
    }

    /// The root module, opening the file first if this is its first call.
    fn module(&self) -> Result<PluginModuleRef, PluginError> {
        let opened = self.module.get_or_init(|| {
            let deferred = self.deferred.as_ref().expect("a plugin not opened at load is deferred");
            let start = std::time::Instant::now();
            let opened = open_deferred(&self.path, deferred, &self.info.name);
            tracing::debug!(
                target: "netplug::host",
                "opened plugin '{}' on its first call in {} µs",
                self.info.name,
                start.elapsed().as_micros()
            );
            opened
        });
        opened
            .clone()
            .map_err(|e| PluginError::new(format!("plugin '{}' cannot be opened: {e}", self.info.name)))
    }

    /// Ask a freshly loaded module who it is.
    pub(super) fn read_info(module: PluginModuleRef) -> Result<InfoAnswer, String> {
        let answer: InfoAnswer = call(module, method::INFO, &abi::InfoRequest {})
            .map_err(|e| format!("its info() failed: {e}"))?;
        if answer.info.name.is_empty() {
            return Err("its info() gives no name".to_string());
        }
        Ok(answer)
    }

    /// The file it was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The `netplug-plugin-sdk` version it was built against.
    pub fn sdk_version(&self) -> &str {
        &self.sdk_version
    }

    /// The plugin ABI version (`major.minor`) it was built for.
    pub fn abi_version(&self) -> &str {
        &self.abi_version
    }

    /// Whether the file was built for ABI minor `minor` or later (of this host's major), and so
    /// answers that minor's methods.
    fn speaks_minor(&self, minor: u32) -> bool {
        self.abi_version.split_once('.').and_then(|(_, m)| m.parse::<u32>().ok()).is_some_and(|m| m >= minor)
    }

    /// How long loading it took, step by step.
    pub fn timings(&self) -> LoadTimings {
        self.timings
    }

    /// One call, its error named after the plugin.
    fn call<R: Serialize, A: DeserializeOwned>(&self, method: &str, request: &R) -> Result<A, PluginError> {
        call(self.module()?, method, request).map_err(|e| self.named(e))
    }

    /// Make sure an error says which plugin it came from (the SDK already does for panics).
    fn named(&self, mut e: PluginError) -> PluginError {
        let prefix = format!("plugin '{}'", self.info.name);
        if !e.message.starts_with(&prefix) {
            e.message = format!("{prefix}: {}", e.message);
        }
        e
    }
}

/// Encode `request`, call `method`, decode the answer or the error.
fn call<R: Serialize, A: DeserializeOwned>(
    module: PluginModuleRef,
    method: &str,
    request: &R,
) -> Result<A, PluginError> {
    match raw_call(module, method, request) {
        RResult::ROk(bytes) => {
            abi::decode(&bytes).map_err(|e| PluginError::new(format!("unreadable answer from {method}: {e}")))
        }
        RResult::RErr(bytes) => Err(decode_error(&bytes)),
    }
}

fn raw_call<R: Serialize>(module: PluginModuleRef, method: &str, request: &R) -> RResult<RVec<u8>, RVec<u8>> {
    let request = abi::encode(request);
    (module.call())(RStr::from_str(method), RSlice::from_slice(&request))
}

/// A plugin's encoded error; bytes that are not one are kept as the message.
fn decode_error(bytes: &[u8]) -> PluginError {
    abi::decode(bytes).unwrap_or_else(|_| PluginError::new(String::from_utf8_lossy(bytes)))
}

impl Plugin for LoadedPlugin {
    fn info(&self) -> PluginInfo {
        self.info.clone()
    }

    fn validate(&self, items: &[Item]) -> Validation {
        self.call(method::VALIDATE, &abi::ValidateRef { items }).unwrap_or_else(|e| Validation {
            diagnostics: vec![Diagnostic::error(Span::default(), e.message)],
            ..Validation::default()
        })
    }

    fn read(&self, names: Option<&[String]>) -> Result<Vec<Item>, PluginError> {
        self.call(method::READ, &abi::ReadRef { names })
    }

    fn plan(&self, desired: &[Item], live: &[Item], scope: &[String]) -> Result<Vec<Change>, PluginError> {
        self.call(method::PLAN, &abi::PlanRef { desired, live, scope })
    }

    fn read_plan(
        &self,
        desired: &[Item],
        scope: &[String],
        keep_live: bool,
    ) -> Result<LivePlan, PluginError> {
        if !self.speaks_minor(1) {
            // Read and plan are two calls then, the live items already crossed: keep them even
            // without changes, so core need not read this plugin again for a snapshot.
            let mut live = self.read(Some(scope))?;
            LivePlan::keep_declared(&self.info, desired, &mut live);
            let changes = self.plan(desired, &live, scope)?;
            return Ok(LivePlan { changes, live: if keep_live { live } else { Vec::new() } });
        }
        self.call(method::READ_PLAN, &abi::ReadPlanRef { desired, scope, keep_live })
    }

    fn apply(&self, changes: &[Change]) -> Result<(), ApplyError> {
        let module = self.module().map_err(|error| ApplyError { index: 0, error })?;
        match raw_call(module, method::APPLY, &abi::ApplyRef { changes }) {
            RResult::ROk(_) => Ok(()),
            RResult::RErr(bytes) => {
                let e = abi::decode::<ApplyError>(&bytes)
                    .unwrap_or_else(|_| ApplyError { index: 0, error: decode_error(&bytes) });
                Err(ApplyError { index: e.index, error: self.named(e.error) })
            }
        }
    }

    fn remove(&self, interface: &str, live: &[Item]) -> Result<Vec<Change>, PluginError> {
        self.call(method::REMOVE, &abi::RemoveRef { interface, live })
    }

    // ABI 1.1: core sends these only for kinds the plugin lists in `PluginInfo::libvirt`, which
    // a 1.0 plugin cannot, so a plugin without the method is never asked.
    fn libvirt_to_native(&self, request: &libvirt::ToNative) -> Result<libvirt::Native, PluginError> {
        self.call(method::LIBVIRT_TO_NATIVE, request)
    }

    fn libvirt_from_native(&self, request: &libvirt::FromNative) -> Result<libvirt::Libvirt, PluginError> {
        self.call(method::LIBVIRT_FROM_NATIVE, request)
    }
}
