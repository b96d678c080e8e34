//! Finding, checking and loading plugin files, so the rest of core sees only a [`Registry`]
//! of [`Plugin`](netplug_plugin_sdk::Plugin)s.
//!
//! [`load_all`] walks the [`SearchPath`] (`--plugin-dir`s, `NETPLUG_PLUGIN_PATH`, the
//! installed directory, a development build's target directory), loads the first file of
//! each plugin name and reports on every file it saw: loaded, refused (and why), or shadowed
//! by an earlier one. A refused plugin never stops netplug; it is logged as a warning and
//! listed by `netplug plugins`.
//!
//! Loading is cheap by design — the permission checks, `dlopen`, the ABI version and
//! `abi_stable`'s layout check, the plugin's `init` and `info` — and a plugin builds its own
//! state on its first real call, so a command that touches only bridges never wakes the bond
//! plugin. The CLI goes further with the [`PluginIndex`] of its run directory: a file an
//! earlier run loaded is registered from what it said then and opened (and checked) only if
//! called.
//!
//! ```no_run
//! use netplug_core::host::{load_all, LoadStatus, SearchPath};
//!
//! let (registry, reports) = load_all(&SearchPath::new(vec!["/opt/netplug-extra".into()]));
//! for r in reports.iter().filter(|r| r.status != LoadStatus::Loaded) {
//!     eprintln!("{}: {:?}", r.path.display(), r.status);
//! }
//! let bond = registry.for_kind("bond");
//! # let _ = bond;
//! ```

mod elf;
mod index;
mod load;
mod log;
mod plugin;
mod search;
mod share;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

use crate::registry::{Registry, RegistryError};

pub use index::{Indexed, PluginIndex};
use load::TrustedDirs;
pub use load::{check_dir, check_file, LoadError, LoadErrorKind, LoadTimings, Opening};
pub use plugin::LoadedPlugin;
pub use search::{discover, Candidate, SearchDir, SearchPath, Source, ENV_PATH, FILE_PREFIX, INSTALLED_DIR};
pub use share::ReadPass;

/// What happened to one plugin file, for `netplug plugins` (and its `--json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LoadReport {
    pub path: PathBuf,
    /// Which part of the search path the file was found through.
    pub source: Source,
    /// The plugin's own name once loaded; before that, the one its file name implies.
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    pub kinds: Vec<String>,
    pub elements: Vec<String>,
    /// The `netplug-plugin-sdk` version the file was built against, once loaded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sdk_version: Option<String>,
    /// The plugin ABI version (`major.minor`) the file was built for, when it got that far.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub abi_version: Option<String>,
    #[serde(flatten)]
    pub status: LoadStatus,
    /// Time spent loading the file, in microseconds (loaded plugins only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub load_micros: Option<u64>,
    /// Registered from the [`PluginIndex`], to be opened on its first call.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub deferred: bool,
}

/// Whether a plugin file is in use.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum LoadStatus {
    Loaded,
    /// Not loaded, or loaded but not registered; `reason` names the file.
    Refused {
        reason: String,
    },
    /// An earlier file of the same plugin name is used instead: `by`.
    Shadowed {
        by: PathBuf,
    },
}

impl std::fmt::Display for LoadStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadStatus::Loaded => f.write_str("loaded"),
            LoadStatus::Refused { reason } => write!(f, "refused: {reason}"),
            LoadStatus::Shadowed { by } => write!(f, "shadowed by {}", by.display()),
        }
    }
}

/// Load every plugin on the search path into a new registry.
pub fn load_all(search: &SearchPath) -> (Registry, Vec<LoadReport>) {
    load_all_indexed(search, &mut PluginIndex::none(), Opening::Now)
}

/// [`load_all`] with what earlier runs learnt (see [`PluginIndex`]), saving what this one
/// learns: what the CLI does, with the index in its run directory. With
/// [`Opening::OnFirstUse`] a file the index lists is registered from it and opened only if
/// it is called.
pub fn load_all_indexed(
    search: &SearchPath,
    index: &mut PluginIndex,
    opening: Opening,
) -> (Registry, Vec<LoadReport>) {
    let mut registry = Registry::new();
    let reports = load_each(&discover(search), &mut registry, index, opening);
    index.save();
    (registry, reports)
}

/// Load `candidates` in order into `registry`. The first file of each plugin name is loaded;
/// later ones are reported as shadowed without being opened.
fn load_each(
    candidates: &[Candidate],
    registry: &mut Registry,
    index: &mut PluginIndex,
    opening: Opening,
) -> Vec<LoadReport> {
    let mut first_by_name: HashMap<&str, &PathBuf> = HashMap::new();
    let mut trusted = TrustedDirs::default();
    let mut reports = Vec::with_capacity(candidates.len());
    for candidate in candidates {
        let mut report = LoadReport {
            path: candidate.path.clone(),
            source: candidate.source,
            name: candidate.name.clone(),
            version: None,
            description: String::new(),
            kinds: Vec::new(),
            elements: Vec::new(),
            sdk_version: None,
            abi_version: None,
            status: LoadStatus::Loaded,
            load_micros: None,
            deferred: false,
        };
        if let Some(first) = first_by_name.get(candidate.name.as_str()) {
            report.status = LoadStatus::Shadowed { by: (*first).clone() };
        } else {
            first_by_name.insert(&candidate.name, &candidate.path);
            load_one(candidate, registry, index, opening, &mut trusted, &mut report);
        }
        match &report.status {
            LoadStatus::Loaded => tracing::debug!(
                target: "netplug::host",
                "{} plugin '{}' {} from {} in {} µs",
                if report.deferred { "registered (from the index)" } else { "loaded" },
                report.name,
                report.version.as_deref().unwrap_or(""),
                report.path.display(),
                report.load_micros.unwrap_or(0),
            ),
            LoadStatus::Refused { reason } => tracing::warn!(target: "netplug::host", "{reason}"),
            LoadStatus::Shadowed { by } => tracing::info!(
                target: "netplug::host",
                "{} is shadowed by {}, which is loaded instead",
                report.path.display(),
                by.display()
            ),
        }
        reports.push(report);
    }
    reports
}

fn load_one(
    candidate: &Candidate,
    registry: &mut Registry,
    index: &mut PluginIndex,
    opening: Opening,
    trusted: &mut TrustedDirs,
    report: &mut LoadReport,
) {
    let real = Some(candidate.real.as_path());
    let plugin =
        match LoadedPlugin::load_checked(&candidate.path, real, &candidate.name, index, opening, trusted) {
            Ok(plugin) => plugin,
            Err(e) => {
                report.abi_version = e.abi_version.clone();
                report.status = LoadStatus::Refused { reason: e.to_string() };
                return;
            }
        };
    let info = netplug_plugin_sdk::Plugin::info(&plugin);
    report.name = info.name;
    report.version = Some(info.version);
    report.description = info.description;
    report.kinds = info.kinds;
    report.elements = info.elements;
    report.sdk_version = Some(plugin.sdk_version().to_string());
    report.load_micros = Some(u64::try_from(plugin.timings().total().as_micros()).unwrap_or(u64::MAX));
    report.abi_version = Some(plugin.abi_version().to_string());
    report.deferred = !plugin.is_open();
    let origin = candidate.path.display().to_string();
    report.status = match registry.register(Arc::new(plugin), origin) {
        Ok(()) => LoadStatus::Loaded,
        Err(RegistryError::DuplicateName { other_origin, .. }) => {
            LoadStatus::Shadowed { by: PathBuf::from(other_origin) }
        }
        Err(e) => LoadStatus::Refused { reason: e.to_string() },
    };
}
