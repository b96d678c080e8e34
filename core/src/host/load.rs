//! Opening one plugin file: refuse it if someone other than root or us could have changed it,
//! check that it is a netplug plugin of a compatible SDK, and initialise it.
//!
//! The permission check comes first because `dlopen` runs the file's initialisers, as root.
//! What `abi_stable` checks (its own ABI, the SDK version, the root module's layout) and what
//! netplug adds (the module's base name, the wire format) each get a message that says what
//! to do, rather than `abi_stable`'s layout dump, which goes to the debug log.

use std::collections::HashSet;
use std::fs::Metadata;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use abi_stable::library::{lib_header_from_path, LibraryError, RootModule};
use abi_stable::sabi_types::{VersionNumber, VersionStrings};
use netplug_plugin_sdk::ffi::{InfoAnswer, PluginModuleRef, BASE_NAME, WIRE_ABI};

use super::index::{self, Indexed, PluginIndex};
use super::log::Sink;
use super::plugin::LoadedPlugin;

/// Why a plugin file was refused. Its message names the file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}: {kind}", path.display())]
pub struct LoadError {
    pub path: PathBuf,
    pub kind: LoadErrorKind,
    /// The SDK version the plugin was built against, when the file got that far.
    pub sdk_version: Option<String>,
}

/// The kinds of [`LoadError`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LoadErrorKind {
    /// The file, or a directory above it, could be changed by someone other than root or the
    /// user running netplug.
    #[error(
        "refused: {0}; a plugin runs with netplug's privileges, so only root or the user running \
         netplug may be able to change it"
    )]
    Unsafe(String),
    /// `dlopen` failed: not a shared object, a missing dependency, a wrong architecture.
    #[error("cannot be loaded: {0}")]
    Open(String),
    #[error("not a netplug plugin: {0}")]
    NotAPlugin(String),
    /// Built against an SDK this netplug cannot load.
    #[error("{0}")]
    Sdk(String),
    /// The root module's layout does not match, for a reason the versions do not explain.
    #[error("its plugin interface does not match this netplug's: {0}")]
    Interface(String),
    #[error("it speaks netplug wire format {found}, this netplug speaks {expected}")]
    WireAbi { found: u32, expected: u32 },
    /// The plugin loaded but could not describe itself.
    #[error("{0}")]
    Info(String),
}

/// How long each step of loading one plugin took.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoadTimings {
    /// Permission checks on the file and its directories.
    pub check_file: Duration,
    /// `dlopen` and reading `abi_stable`'s header.
    pub open: Duration,
    /// `abi_stable`'s version and layout check, and getting the root module.
    pub check_layout: Duration,
    /// The layout check was skipped: this file passed it before (see [`PluginIndex`]).
    pub layout_remembered: bool,
    /// The plugin's `init` (installing its log forwarding).
    pub init: Duration,
    /// The plugin's `info`, which also builds the plugin value.
    pub info: Duration,
}

impl LoadTimings {
    pub fn total(&self) -> Duration {
        self.check_file + self.open + self.check_layout + self.init + self.info
    }
}

/// How [`LoadedPlugin::load_indexed`] treats a file the index lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Opening {
    /// Open every file now (what `netplug plugins` does, to report the truth).
    Now,
    /// Register a listed file from the index and open it on its first call.
    OnFirstUse,
}

/// What opening a plugin file yields.
pub(super) struct Opened {
    pub module: PluginModuleRef,
    pub answer: InfoAnswer,
    pub sdk_version: String,
}

impl LoadedPlugin {
    /// Load the plugin in `path`. `file_name` is the plugin name its file name implies, used
    /// for its log target until it has said its own name.
    ///
    /// The library is never unloaded, even on error: once `dlopen` has run its code, closing
    /// it again would leave dangling pointers in `abi_stable`'s and `tracing`'s registries.
    pub fn load(path: &Path, file_name: &str) -> Result<LoadedPlugin, LoadError> {
        Self::load_indexed(path, file_name, &mut PluginIndex::none(), Opening::Now)
    }

    /// [`LoadedPlugin::load`] with what earlier runs learnt (see [`PluginIndex`]): a file the
    /// index lists is opened without the layout check, and with [`Opening::OnFirstUse`] not
    /// opened at all until it is called; a file it does not list is loaded and listed.
    pub fn load_indexed(
        path: &Path,
        file_name: &str,
        index: &mut PluginIndex,
        opening: Opening,
    ) -> Result<LoadedPlugin, LoadError> {
        Self::load_checked(path, None, file_name, index, opening, &mut TrustedDirs::default())
    }

    /// [`LoadedPlugin::load_indexed`] of a file whose canonical path `real` may be known
    /// already, in a loading pass that has found the directories in `trusted` safe.
    pub(super) fn load_checked(
        path: &Path,
        real: Option<&Path>,
        file_name: &str,
        index: &mut PluginIndex,
        opening: Opening,
        trusted: &mut TrustedDirs,
    ) -> Result<LoadedPlugin, LoadError> {
        let mut timings = LoadTimings::default();
        let start = Instant::now();
        let real = match real {
            Some(real) => Ok(real.to_path_buf()),
            None => canonical(path),
        };
        let meta = real.and_then(|real| checked_real(&real, path, trusted)).map_err(|e| LoadError {
            path: path.to_path_buf(),
            kind: LoadErrorKind::Unsafe(e),
            sdk_version: None,
        })?;
        timings.check_file = start.elapsed();

        let listed = index.entry(&meta).cloned();
        let layout_known = listed.is_some();
        if let (Some(listed), Opening::OnFirstUse) = (listed, opening) {
            timings.layout_remembered = true;
            let deferred = Deferred { file_name: file_name.to_string(), identity: index::identity(&meta) };
            return Ok(LoadedPlugin::deferred(path.to_path_buf(), listed, timings, deferred));
        }
        let opened = open(path, file_name, layout_known, &mut timings)?;
        let indexed = Indexed { sdk_version: opened.sdk_version.clone(), answer: opened.answer.clone() };
        index.record(&meta, indexed);
        Ok(LoadedPlugin::new(opened, path.to_path_buf(), timings))
    }
}

/// Where a plugin registered from the index is to be opened from, and what the file must
/// still be.
#[derive(Clone, Debug)]
pub(super) struct Deferred {
    pub file_name: String,
    pub identity: String,
}

/// Open a plugin registered from the index, on its first call. The file must still be the
/// one listed (same device, inode, size and times), so what it said of itself then (its name,
/// its info) still holds and is not asked again.
pub(super) fn open_deferred(path: &Path, deferred: &Deferred, name: &str) -> Result<PluginModuleRef, String> {
    let meta = checked_metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if index::identity(&meta) != deferred.identity {
        return Err(format!("{} was replaced after netplug started; run netplug again", path.display()));
    }
    let (module, sink, _) = open_module(path, &deferred.file_name, true, &mut LoadTimings::default())
        .map_err(|e| e.to_string())?;
    sink.set_name(name);
    Ok(module)
}

/// `dlopen` a checked file, check what it exports (its layout only if `layout_known` is
/// false), initialise it and ask who it is.
fn open(
    path: &Path,
    file_name: &str,
    layout_known: bool,
    timings: &mut LoadTimings,
) -> Result<Opened, LoadError> {
    let (module, sink, sdk_version) = open_module(path, file_name, layout_known, timings)?;
    let start = Instant::now();
    let answer = LoadedPlugin::read_info(module).map_err(|e| LoadError {
        path: path.to_path_buf(),
        kind: LoadErrorKind::Info(e),
        sdk_version: Some(sdk_version.clone()),
    })?;
    timings.info = start.elapsed();
    sink.set_name(&answer.info.name);
    Ok(Opened { module, answer, sdk_version })
}

/// [`open`] up to and including the plugin's `init`: the module, its log sink (named after
/// the file until the plugin says its name) and the SDK version it was built with.
fn open_module(
    path: &Path,
    file_name: &str,
    layout_known: bool,
    timings: &mut LoadTimings,
) -> Result<(PluginModuleRef, &'static Sink, String), LoadError> {
    let error = |kind| LoadError { path: path.to_path_buf(), kind, sdk_version: None };
    let start = Instant::now();
    super::elf::check(path).map_err(|e| error(LoadErrorKind::Open(e)))?;
    let header = lib_header_from_path(path).map_err(|e| error(open_error(e)))?;
    timings.open = start.elapsed();

    let consts = header.root_mod_consts();
    if consts.base_name().as_str() != BASE_NAME {
        let why = format!("it exports the abi_stable module '{}', not '{BASE_NAME}'", consts.base_name());
        return Err(error(LoadErrorKind::NotAPlugin(why)));
    }
    let found = header.version_strings();
    let error = |kind| LoadError { path: path.to_path_buf(), kind, sdk_version: Some(found.to_string()) };
    check_sdk_version(found).map_err(|e| error(LoadErrorKind::Sdk(e)))?;

    let start = Instant::now();
    let module = if layout_known {
        // SAFETY: this very file (same device, inode, size and times) passed the layout
        // check against this very netplug executable; the check would say the same again.
        unsafe { header.init_root_module_with_unchecked_layout::<PluginModuleRef>() }
    } else {
        header.init_root_module::<PluginModuleRef>()
    }
    .map_err(|e| error(layout_error(found, e)))?;
    timings.check_layout = start.elapsed();
    timings.layout_remembered = layout_known;
    if module.abi() != WIRE_ABI {
        return Err(error(LoadErrorKind::WireAbi { found: module.abi(), expected: WIRE_ABI }));
    }

    let start = Instant::now();
    let (sink, callbacks) = Sink::callbacks(file_name);
    (module.init())(callbacks);
    timings.init = start.elapsed();

    Ok((module, sink, found.to_string()))
}

/// Refuse a file that anyone but root or the current user could have written: its owner, its
/// mode, and those of every directory above it (whoever can write a directory can replace
/// the file in it). A directory with the sticky bit (`/tmp`) is fine: others may add files
/// there but not replace ours. Symlinks are followed; the target is what gets loaded.
pub fn check_file(path: &Path) -> Result<(), String> {
    checked_metadata(path).map(drop)
}

/// Refuse a directory netplug keeps its own files in (definitions, the lock, journals, the
/// plugin index) that anyone but root or the current user could change, as [`check_file`] does
/// a plugin: the directory itself (sticky or not: others must not add files netplug would
/// read) and every directory above it. One that does not exist yet is judged by the nearest
/// one that does, where it will be made.
pub fn check_dir(path: &Path) -> Result<(), String> {
    let Some(real) = path.ancestors().find_map(|p| std::fs::canonicalize(p).ok()) else { return Ok(()) };
    let exists = path.is_dir();
    for (i, dir) in real.ancestors().enumerate() {
        let meta = std::fs::metadata(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        let itself = i == 0 && exists;
        check_owner_and_mode(&meta, !itself).map_err(|e| match itself {
            true => format!("it is {e}"),
            false => format!("{} above it is {e}", dir.display()),
        })?;
    }
    Ok(())
}

/// [`check_file`], answering the file's metadata.
fn checked_metadata(path: &Path) -> Result<Metadata, String> {
    checked_real(&canonical(path)?, path, &mut TrustedDirs::default())
}

/// What `path` leads to, symlinks followed: the file that is checked and loaded.
fn canonical(path: &Path) -> Result<PathBuf, String> {
    std::fs::canonicalize(path).map_err(|e| format!("cannot resolve the path: {e}"))
}

/// Directories one loading pass has found safe. Plugins lie side by side, so each directory
/// above them is checked once per pass rather than once per file; a later pass (the daemon's
/// reload) checks again.
#[derive(Debug, Default)]
pub(super) struct TrustedDirs(HashSet<PathBuf>);

/// [`checked_metadata`] of the canonical path `real` (reached as `path`), skipping the
/// directories already in `trusted` and adding the ones it checks.
fn checked_real(real: &Path, path: &Path, trusted: &mut TrustedDirs) -> Result<Metadata, String> {
    let meta = std::fs::metadata(real).map_err(|e| format!("cannot read {}: {e}", real.display()))?;
    if !meta.is_file() {
        return Err(format!("{} is not a regular file", real.display()));
    }
    let via = if real == path { String::new() } else { format!(" (reached as {})", real.display()) };
    check_owner_and_mode(&meta, false).map_err(|e| format!("it{via} is {e}"))?;
    // A trusted directory was checked with all the directories above it.
    for dir in real.ancestors().skip(1).take_while(|d| !trusted.0.contains(*d)) {
        let meta = std::fs::metadata(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        check_owner_and_mode(&meta, true).map_err(|e| format!("its directory {} is {e}", dir.display()))?;
    }
    trusted.0.extend(real.ancestors().skip(1).map(Path::to_path_buf));
    Ok(meta)
}

/// Refuse what anyone but root or the current user could have written; the error completes
/// "it is …".
pub(super) fn check_owner_and_mode(meta: &Metadata, is_dir: bool) -> Result<(), String> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    let uid = meta.uid();
    if uid != 0 && uid != me {
        let who = if me == 0 { "root".to_string() } else { format!("root or uid {me}") };
        return Err(format!("owned by uid {uid}, not {who} (chown it)"));
    }
    let mode = meta.permissions().mode();
    let sticky = is_dir && mode & 0o1000 != 0;
    let who = match (mode & 0o020 != 0, mode & 0o002 != 0) {
        _ if sticky => return Ok(()),
        (true, true) => "group and others",
        (true, false) => "group",
        (false, true) => "others",
        (false, false) => return Ok(()),
    };
    Err(format!("writable by {who} (mode {:04o}; chmod go-w)", mode & 0o7777))
}

fn open_error(e: LibraryError) -> LoadErrorKind {
    match e {
        LibraryError::OpenError { err, .. } => LoadErrorKind::Open(err.to_string()),
        LibraryError::GetSymbolError { .. } => LoadErrorKind::NotAPlugin(
            "it exports no plugin module (a plugin calls netplug_plugin_sdk::export_plugin!)".into(),
        ),
        LibraryError::InvalidAbiHeader(found) => {
            let ours = abi_stable::library::AbiHeader::VALUE;
            LoadErrorKind::Sdk(format!(
                "it was built with abi_stable ABI {}.{}, this netplug uses {}.{}: \
                 rebuild it against this netplug's SDK",
                found.abi_major, found.abi_minor, ours.abi_major, ours.abi_minor
            ))
        }
        other => LoadErrorKind::Interface(one_line(&other.to_string())),
    }
}

/// The SDK versions a host accepts, by `abi_stable`'s rules: the same major version, and in
/// `0.x` the same minor (there `abi_stable` treats a minor release as breaking). Which patch
/// releases work is the layout check's business: a plugin may have more root-module
/// functions than the host knows, not fewer.
fn check_sdk_version(found: VersionStrings) -> Result<(), String> {
    let ours = PluginModuleRef::VERSION_STRINGS;
    let (Ok(f), Ok(o)) = (VersionNumber::new(found), VersionNumber::new(ours)) else {
        return Err(format!("it names an unreadable netplug-plugin-sdk version '{found}'"));
    };
    let series = |v: VersionNumber| if v.major == 0 { format!("0.{}", v.minor) } else { v.major.to_string() };
    let compatible = f.major == o.major && (o.major != 0 || f.minor == o.minor);
    if compatible {
        return Ok(());
    }
    let built = format!("plugin built against netplug-plugin-sdk {f}");
    if (f.major, f.minor) < (o.major, o.minor) {
        Err(format!("{built}, this netplug needs >= {o} ({}.x): rebuild the plugin against it", series(o)))
    } else {
        Err(format!("{built}, newer than this netplug's SDK {o} ({}.x): upgrade netplug", series(o)))
    }
}

fn layout_error(found: VersionStrings, e: LibraryError) -> LoadErrorKind {
    let detail = e.to_string();
    tracing::debug!(target: "netplug::host", "abi_stable layout check: {detail}");
    let ours = PluginModuleRef::VERSION_STRINGS;
    let older = match (VersionNumber::new(found), VersionNumber::new(ours)) {
        (Ok(f), Ok(o)) => (f.major, f.minor, f.patch) < (o.major, o.minor, o.patch),
        _ => false,
    };
    match e {
        LibraryError::AbiInstability(_) if older => LoadErrorKind::Sdk(format!(
            "plugin built against netplug-plugin-sdk {found}, this netplug needs >= {ours} \
             (the plugin lacks functions added since): rebuild the plugin against it"
        )),
        LibraryError::RootModule { .. } => {
            LoadErrorKind::Info(format!("its root module failed: {}", one_line(&detail)))
        }
        _ => LoadErrorKind::Interface(one_line(&detail)),
    }
}

/// `abi_stable`'s messages span many lines; a report wants one.
fn one_line(s: &str) -> String {
    let joined = s.split_whitespace().collect::<Vec<_>>().join(" ");
    match joined.char_indices().nth(300) {
        Some((i, _)) => format!("{}… (details in the debug log)", &joined[..i]),
        None => joined,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_follow_abi_stables_rules() {
        assert!(check_sdk_version(PluginModuleRef::VERSION_STRINGS).is_ok());
        let old = check_sdk_version(VersionStrings::new("0.0.9")).unwrap_err();
        assert!(old.contains("sdk 0.0.9, this netplug needs >= 0.1"), "{old}");
        let new = check_sdk_version(VersionStrings::new("0.2.0")).unwrap_err();
        assert!(new.contains("newer than"), "{new}");
        assert!(check_sdk_version(VersionStrings::new("0.1.7")).is_ok());
    }

    /// Within one pass a directory is checked once, but every file still is.
    #[test]
    fn a_pass_checks_each_directory_once_and_every_file() {
        let dir = tempfile::tempdir().unwrap();
        let real = std::fs::canonicalize(dir.path()).unwrap();
        let (a, b) = (real.join("libnetplug_plugin_a.so"), real.join("libnetplug_plugin_b.so"));
        for (file, mode) in [(&a, 0o644), (&b, 0o666)] {
            std::fs::write(file, b"").unwrap();
            std::fs::set_permissions(file, std::fs::Permissions::from_mode(mode)).unwrap();
        }
        let mut trusted = TrustedDirs::default();
        assert!(checked_real(&a, &a, &mut trusted).is_ok());
        assert!(trusted.0.contains(real.as_path()) && trusted.0.contains(Path::new("/")));
        let refused = checked_real(&b, &b, &mut trusted).unwrap_err();
        assert!(refused.contains("writable by group and others"), "{refused}");
        // A directory gone bad is seen by the next pass.
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(checked_real(&a, &a, &mut trusted).is_ok(), "trusted for the rest of this pass");
        let refused = checked_real(&a, &a, &mut TrustedDirs::default()).unwrap_err();
        assert!(refused.contains("its directory"), "{refused}");
    }

    #[test]
    fn modes_writable_by_others_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("libnetplug_plugin_x.so");
        std::fs::write(&file, b"").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(check_file(&file), Ok(()));
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o664)).unwrap();
        assert!(check_file(&file).unwrap_err().contains("writable by group (mode 0664"));
        let own = dir.path().join("state");
        std::fs::create_dir(&own).unwrap();
        std::fs::set_permissions(&own, std::fs::Permissions::from_mode(0o1777)).unwrap();
        let refused = check_dir(&own).unwrap_err();
        assert!(refused.contains("it is writable by group and others (mode 1777"), "{refused}");
        // Made later inside a sticky directory, as in /tmp: nobody else can replace it.
        check_dir(&own.join("not/yet")).unwrap();
        std::fs::set_permissions(&own, std::fs::Permissions::from_mode(0o777)).unwrap();
        let refused = check_dir(&own.join("not/yet")).unwrap_err();
        assert!(refused.starts_with(&format!("{} above it is writable", own.display())), "{refused}");
        std::fs::set_permissions(&own, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        let e = check_file(&file).unwrap_err();
        assert!(e.contains("its directory") && e.contains("group and others"), "{e}");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o1777)).unwrap();
        assert_eq!(check_file(&file), Ok(()));
    }
}
