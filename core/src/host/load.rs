//! Opening one plugin file: refuse it if someone other than root or us could have changed it,
//! check that it is a netplug plugin of an ABI this host serves, check its root module's
//! layout, and initialise it.
//!
//! The permission check comes first because `dlopen` runs the file's initialisers, as root.
//! The ABI version is read from the file's header before anything else, so a plugin this host
//! cannot serve is refused with one line naming the file, both versions and what to do
//! (`docs/plugin-abi.md`). The layout check runs on every open: the root module is two
//! functions, so it is cheap. `abi_stable`'s own layout dump goes to the debug log.

use std::collections::HashSet;
use std::fs::Metadata;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use abi_stable::library::{lib_header_from_path, LibraryError};
use abi_stable::sabi_types::{VersionNumber, VersionStrings};
use netplug_plugin_sdk::abi::{self, InfoAnswer, PluginModuleRef, BASE_NAME};

use super::index::{self, Indexed, PluginIndex};
use super::log::Sink;
use super::plugin::LoadedPlugin;

/// Why a plugin file was refused. Its message names the file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}: {kind}", path.display())]
pub struct LoadError {
    pub path: PathBuf,
    pub kind: LoadErrorKind,
    /// The plugin ABI version (`major.minor`) the file was built for, when it got that far.
    pub abi_version: Option<String>,
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
    /// Built for a plugin ABI this netplug cannot serve.
    #[error("{0}")]
    Abi(String),
    /// The root module's layout does not match, for a reason the versions do not explain.
    #[error("its plugin interface does not match this netplug's: {0}")]
    Interface(String),
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

/// How loading treats a file the [`PluginIndex`] lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Opening {
    /// Open every file now (what `netplug plugins` does, to report the truth).
    Now,
    /// Register a listed file from the index and open it on its first call.
    OnFirstUse,
}

impl LoadedPlugin {
    /// Load the plugin in `path`. `file_name` is the plugin name its file name implies, used
    /// for its log target until it has said its own name.
    ///
    /// The library is never unloaded, even on error: once `dlopen` has run its code, closing
    /// it again would leave dangling pointers in `abi_stable`'s and `tracing`'s registries.
    pub fn load(path: &Path, file_name: &str) -> Result<LoadedPlugin, LoadError> {
        let (index, trusted) = (&mut PluginIndex::none(), &mut TrustedDirs::default());
        Self::load_checked(path, None, file_name, index, Opening::Now, trusted)
    }

    /// [`LoadedPlugin::load`] of a file whose canonical path `real` may be known already, in a
    /// loading pass that has found the directories in `trusted` safe, with what earlier runs
    /// learnt (see [`PluginIndex`]): with [`Opening::OnFirstUse`] a file the index lists is
    /// registered from what it said and opened (and checked) on its first call; any other file
    /// is loaded now and listed.
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
            abi_version: None,
        })?;
        timings.check_file = start.elapsed();

        if let (Some(listed), Opening::OnFirstUse) = (index.entry(&meta).cloned(), opening) {
            let deferred = Deferred { file_name: file_name.to_string(), identity: index::identity(&meta) };
            let Indexed { abi_version, answer } = listed;
            return Ok(LoadedPlugin::new(
                None,
                answer,
                abi_version,
                path.to_path_buf(),
                timings,
                Some(deferred),
            ));
        }
        let (module, answer, abi_version) = open(path, file_name, &mut timings)?;
        index.record(&meta, Indexed { abi_version: abi_version.clone(), answer: answer.clone() });
        Ok(LoadedPlugin::new(Some(module), answer, abi_version, path.to_path_buf(), timings, None))
    }
}

/// Where a plugin registered from the index is to be opened from, and what the file must
/// still be.
#[derive(Clone, Debug)]
pub(super) struct Deferred {
    pub file_name: String,
    pub identity: String,
}

/// Open a plugin registered from the index, on its first call: checked like any other open.
/// The file must still be the one listed (same device, inode, size and times), so what it
/// said of itself then (its name, its info) still holds and is not asked again.
pub(super) fn open_deferred(path: &Path, deferred: &Deferred, name: &str) -> Result<PluginModuleRef, String> {
    let meta = checked_metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if index::identity(&meta) != deferred.identity {
        return Err(format!("{} was replaced after netplug started; run netplug again", path.display()));
    }
    let (module, sink, _) =
        open_module(path, &deferred.file_name, &mut LoadTimings::default()).map_err(|e| e.to_string())?;
    sink.set_name(name);
    Ok(module)
}

/// `dlopen` a checked file, check what it exports, initialise it and ask who it is.
fn open(
    path: &Path,
    file_name: &str,
    timings: &mut LoadTimings,
) -> Result<(PluginModuleRef, InfoAnswer, String), LoadError> {
    let (module, sink, abi_version) = open_module(path, file_name, timings)?;
    let start = Instant::now();
    let answer = LoadedPlugin::read_info(module).map_err(|e| LoadError {
        path: path.to_path_buf(),
        kind: LoadErrorKind::Info(e),
        abi_version: Some(abi_version.clone()),
    })?;
    timings.info = start.elapsed();
    sink.set_name(&answer.info.name);
    Ok((module, answer, abi_version))
}

/// [`open`] up to and including the plugin's `init`: the module, its log sink (named after
/// the file until the plugin says its name) and the ABI version it was built for.
fn open_module(
    path: &Path,
    file_name: &str,
    timings: &mut LoadTimings,
) -> Result<(PluginModuleRef, &'static Sink, String), LoadError> {
    let error = |kind| LoadError { path: path.to_path_buf(), kind, abi_version: None };
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
    let error = |kind| LoadError { path: path.to_path_buf(), kind, abi_version: Some(abi_version(found)) };
    check_abi_version(found).map_err(|e| error(LoadErrorKind::Abi(e)))?;

    let start = Instant::now();
    let module = header.init_root_module::<PluginModuleRef>().map_err(|e| error(layout_error(e)))?;
    timings.check_layout = start.elapsed();

    let start = Instant::now();
    let (sink, callbacks) = Sink::callbacks(file_name);
    (module.init())(callbacks);
    timings.init = start.elapsed();

    Ok((module, sink, abi_version(found)))
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
            LoadErrorKind::Abi(format!(
                "it was built with abi_stable ABI {}.{}, this netplug uses {}.{}: \
                 rebuild it against this netplug's SDK",
                found.abi_major, found.abi_minor, ours.abi_major, ours.abi_minor
            ))
        }
        other => LoadErrorKind::Interface(one_line(&other.to_string())),
    }
}

/// `major.minor` of an ABI version as `abi_stable` stores it (`major.minor.0`).
fn abi_version(v: VersionStrings) -> String {
    match VersionNumber::new(v) {
        Ok(n) => format!("{}.{}", n.major, n.minor),
        Err(_) => v.to_string(),
    }
}

/// Whether this host serves a plugin built for ABI `found`: the same major, and a minor no
/// later than the host's. The error is the rest of the one line a refusal prints: both
/// versions and what to do.
fn check_abi_version(found: VersionStrings) -> Result<(), String> {
    let Ok(f) = VersionNumber::new(found) else {
        return Err(format!("it names an unreadable plugin ABI version '{found}'"));
    };
    let (major, minor) = (abi::MAJOR, abi::MINOR);
    let built =
        format!("built for plugin ABI {}.{}, this netplug speaks ABI {major}.{minor}", f.major, f.minor);
    if f.major == major && f.minor <= minor {
        Ok(())
    } else if f.major < major {
        Err(format!("{built}: rebuild the plugin against a netplug-plugin-sdk for ABI {major}.x"))
    } else {
        Err(format!("{built}: upgrade netplug to one that speaks ABI {}.{} or later", f.major, f.minor))
    }
}

fn layout_error(e: LibraryError) -> LoadErrorKind {
    let detail = e.to_string();
    tracing::debug!(target: "netplug::host", "abi_stable layout check: {detail}");
    match e {
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
    fn a_host_serves_its_major_up_to_its_minor() {
        let v = |s: &'static str| check_abi_version(VersionStrings::new(s));
        assert_eq!((abi::MAJOR, abi::MINOR), (1, 1), "move these versions with the ABI");
        assert!(v("1.0.0").is_ok());
        assert!(v("1.1.0").is_ok());
        assert!(v("1.0.7").is_ok(), "the third number is not part of the ABI version");
        let newer = v("1.2.0").unwrap_err();
        assert_eq!(newer, "built for plugin ABI 1.2, this netplug speaks ABI 1.1: upgrade netplug to one that speaks ABI 1.2 or later");
        assert!(v("2.0.0").unwrap_err().contains("upgrade netplug to one that speaks ABI 2.0"));
        let old = v("0.1.1").unwrap_err();
        assert!(old.contains("ABI 0.1, this netplug speaks ABI 1.1: rebuild the plugin"), "{old}");
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
