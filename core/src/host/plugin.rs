//! A loaded plugin file seen through the SDK's safe [`Plugin`] trait: each method encodes its
//! arguments as JSON, calls through the root module, and decodes the answer.
//!
//! The rest of core never learns that a plugin lives in another file. Anything unreadable
//! that comes back (a plugin built by hand, a wire-format bug) becomes an error naming the
//! plugin rather than a panic in netplug.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock};

use abi_stable::std_types::{RResult, RStr, RString};
use netplug_plugin_sdk::ffi::{
    ApplyRequest, InfoAnswer, PlanRequest, PluginModuleRef, ReadRequest, RemoveRequest, ValidateRequest,
    MEMO_MISS,
};
use netplug_plugin_sdk::{compact, records};
use netplug_plugin_sdk::{
    ApplyError, Change, Diagnostic, Item, Plugin, PluginError, PluginInfo, Span, Validation,
};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::index::Indexed;
use super::load::{open_deferred, Deferred, LoadTimings, Opened};
use super::memo::Memo;

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
    timings: LoadTimings,
    /// What the plugin holds of what it was sent, when it keeps anything (see `memo`).
    memo: Option<Mutex<Memo>>,
    /// The compact form version both sides speak, or 0 for JSON only.
    compact: u32,
    /// Where the plugin records what it configured, if it said (see [`records`]).
    records: Option<PathBuf>,
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
    pub(super) fn new(opened: Opened, path: PathBuf, timings: LoadTimings) -> Self {
        let plugin = Self::with(path, opened.answer, opened.sdk_version, timings, None);
        let _ = plugin.module.set(Ok(opened.module));
        plugin
    }

    /// A plugin known from the index, opened on its first call.
    pub(super) fn deferred(path: PathBuf, listed: Indexed, timings: LoadTimings, deferred: Deferred) -> Self {
        Self::with(path, listed.answer, listed.sdk_version, timings, Some(deferred))
    }

    fn with(
        path: PathBuf,
        answer: InfoAnswer,
        sdk_version: String,
        timings: LoadTimings,
        deferred: Option<Deferred>,
    ) -> Self {
        let InfoAnswer { info, wire, records } = answer;
        let memo = Memo::for_features(wire).map(Mutex::new);
        let compact = if wire.compact == compact::VERSION { compact::VERSION } else { 0 };
        let records = records.as_deref().and_then(records::records_dir);
        LoadedPlugin {
            module: OnceLock::new(),
            deferred,
            info,
            path,
            sdk_version,
            timings,
            memo,
            compact,
            records,
        }
    }

    /// Whether the plugin keeps records of what it configured (see [`records`]) and has
    /// none for `scope` (`None`: for any interface): then, by its promise, it has nothing to
    /// read there, and nothing to plan when nothing is wanted.
    fn nothing_recorded(&self, scope: Option<&[String]>) -> bool {
        self.records.as_deref().is_some_and(|dir| !records::any_recorded(dir, scope))
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

    /// Ask a freshly loaded module who it is, and what its side of the wire can do.
    pub(super) fn read_info(module: PluginModuleRef) -> Result<InfoAnswer, String> {
        let answer = (module.info())();
        decode_result::<InfoAnswer>(answer, "info").map_err(|e| format!("its info() failed: {e}")).and_then(
            |answer| {
                if answer.info.name.is_empty() {
                    Err("its info() gives no name".to_string())
                } else {
                    Ok(answer)
                }
            },
        )
    }

    fn memo(&self) -> Option<MutexGuard<'_, Memo>> {
        self.memo.as_ref().map(|m| m.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Whether an error is the plugin saying it no longer holds a list the request named;
    /// the host then forgets what it thought the plugin held.
    fn missed(&self, e: &PluginError) -> bool {
        let missed = e.message.starts_with(MEMO_MISS);
        if missed {
            if let Some(mut memo) = self.memo() {
                memo.clear();
            }
        }
        missed
    }

    /// One plan request; `kept_live` names a live list the plugin kept from a quiet read.
    fn plan_once(
        &self,
        desired: &[Item],
        live: &[Item],
        scope: &[String],
        by_reference: bool,
        kept_live: Option<u64>,
    ) -> Result<Vec<Change>, PluginError> {
        let (desired_ref, live_ref, keep_as) = match (by_reference, self.memo()) {
            (true, Some(memo)) => {
                (memo.find_items(desired), kept_live.or_else(|| memo.find_items(live)), Some(memo.reserve()))
            }
            (false, Some(memo)) => (None, None, Some(memo.reserve())),
            (_, None) => (None, None, None),
        };
        let request = self.request(&PlanRequest {
            desired: Cow::Borrowed(if desired_ref.is_some() { &[] } else { desired }),
            live: Cow::Borrowed(if live_ref.is_some() { &[] } else { live }),
            scope: Cow::Borrowed(scope),
            desired_ref,
            live_ref,
            keep_as,
            compact: self.compact,
        });
        let answer = (self.module()?.plan())(RStr::from_str(&request));
        let changes = decode_with(answer, "plan", compact::read_changes)?;
        if let (Some(id), Some(mut memo)) = (keep_as, self.memo()) {
            memo.kept_plan(id, &changes);
        }
        Ok(changes)
    }

    fn apply_once(&self, changes: &[Change], by_reference: bool) -> Result<(), ApplyError> {
        let from_plan = if by_reference { self.memo().and_then(|m| m.find_picks(changes)) } else { None };
        let request = self.request(&ApplyRequest {
            changes: Cow::Borrowed(if from_plan.is_some() { &[] } else { changes }),
            from_plan,
        });
        match (self.module().map_err(|error| ApplyError { index: 0, error })?.apply())(RStr::from_str(
            &request,
        )) {
            RResult::ROk(_) => Ok(()),
            RResult::RErr(json) => Err(serde_json::from_str::<ApplyError>(json.as_str())
                .unwrap_or_else(|_| ApplyError { index: 0, error: decode_error(json.as_str()) })),
        }
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
    decode_with(answer, method, |_| Err(compact::Error::UNEXPECTED))
}

/// [`decode_result`] for an answer that may come in the compact form, read by `read_compact`.
fn decode_with<T: DeserializeOwned>(
    answer: RResult<RString, RString>,
    method: &str,
    read_compact: fn(&str) -> Result<T, compact::Error>,
) -> Result<T, PluginError> {
    match answer {
        RResult::ROk(text) => read_answer(&text, read_compact)
            .map_err(|e| PluginError::new(format!("unreadable answer from {method}: {e}"))),
        RResult::RErr(json) => Err(decode_error(json.as_str())),
    }
}

/// An answer in whichever form it came: the compact one (read by `read_compact`) or JSON.
fn read_answer<T: DeserializeOwned>(
    text: &str,
    read_compact: fn(&str) -> Result<T, compact::Error>,
) -> Result<T, String> {
    if compact::is_compact(text) {
        read_compact(text).map_err(|e| e.to_string())
    } else {
        serde_json::from_str(text).map_err(|e| e.to_string())
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
        let module = match self.module() {
            Ok(module) => module,
            Err(e) => {
                return Validation {
                    diagnostics: vec![Diagnostic::error(Span::default(), e.message)],
                    ..Validation::default()
                }
            }
        };
        let keep_as = self.memo().map(|m| m.reserve());
        let request = if self.compact != 0 {
            compact::validate_request(items, keep_as)
        } else {
            self.request(&ValidateRequest { items: Cow::Borrowed(items), keep_as })
        };
        let answer = (module.validate())(RStr::from_str(&request));
        if let (Some(id), Some(mut memo)) = (keep_as, self.memo()) {
            memo.kept_items(id, items);
        }
        read_answer(&answer, compact::read_validation).unwrap_or_else(|e| Validation {
            diagnostics: vec![Diagnostic::error(
                Span::default(),
                format!("plugin '{}': unreadable answer from validate: {e}", self.name()),
            )],
            ..Validation::default()
        })
    }

    fn read(&self, names: Option<&[String]>) -> Result<Vec<Item>, PluginError> {
        if self.nothing_recorded(names) {
            return Ok(Vec::new());
        }
        let keep_as = self.memo().map(|m| m.reserve());
        let request = self.request(&ReadRequest {
            names: names.map(Cow::Borrowed),
            keep_as,
            quiet: false,
            compact: self.compact,
        });
        let answer = (self.module()?.read())(RStr::from_str(&request));
        let items = decode_with(answer, "read", compact::read_items).map_err(|e| self.named(e))?;
        if let (Some(id), Some(mut memo)) = (keep_as, self.memo()) {
            memo.kept_items(id, &items);
        }
        Ok(items)
    }

    fn plan(&self, desired: &[Item], live: &[Item], scope: &[String]) -> Result<Vec<Change>, PluginError> {
        if desired.is_empty() && live.is_empty() && self.nothing_recorded(Some(scope)) {
            return Ok(Vec::new());
        }
        match self.plan_once(desired, live, scope, true, None) {
            Err(e) if self.missed(&e) => self.plan_once(desired, live, scope, false, None),
            other => other,
        }
        .map_err(|e| self.named(e))
    }

    fn replan(&self, desired: &[Item], scope: &[String]) -> Result<Vec<Change>, PluginError> {
        if desired.is_empty() && self.nothing_recorded(Some(scope)) {
            return Ok(Vec::new());
        }
        let Some(id) = self.memo().map(|m| m.reserve()) else {
            let live = self.read(Some(scope))?;
            return self.plan(desired, &live, scope);
        };
        // The plugin reads and keeps its answer; the plan names it. Only the changes cross.
        let names = Cow::Borrowed(scope);
        let request = self.request(&ReadRequest {
            names: Some(names),
            keep_as: Some(id),
            quiet: true,
            compact: self.compact,
        });
        let answer = (self.module()?.read())(RStr::from_str(&request));
        let answered = decode_with(answer, "read", compact::read_items).map_err(|e| self.named(e))?;
        if let Some(mut memo) = self.memo() {
            memo.kept_unseen(id);
        }
        match self.plan_once(desired, &answered, scope, true, Some(id)) {
            Err(e) if self.missed(&e) => {
                let live = self.read(Some(scope))?;
                self.plan_once(desired, &live, scope, false, None)
            }
            other => other,
        }
        .map_err(|e| self.named(e))
    }

    fn apply(&self, changes: &[Change]) -> Result<(), ApplyError> {
        match self.apply_once(changes, true) {
            // Nothing ran: the plugin resolves the picks before applying any of them.
            Err(e) if self.missed(&e.error) => self.apply_once(changes, false),
            other => other,
        }
        .map_err(|e| ApplyError { index: e.index, error: self.named(e.error) })
    }

    fn remove(&self, interface: &str, live: &[Item]) -> Result<Vec<Change>, PluginError> {
        if live.is_empty() && self.nothing_recorded(Some(std::slice::from_ref(&interface.to_string()))) {
            return Ok(Vec::new());
        }
        let request =
            self.request(&RemoveRequest { interface: Cow::Borrowed(interface), live: Cow::Borrowed(live) });
        self.answer((self.module().map_err(|e| self.named(e))?.remove())(RStr::from_str(&request)), "remove")
    }
}
