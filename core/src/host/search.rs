//! Where plugin files are looked for, and in which order.
//!
//! Like `PATH`: directories are searched in order and the first file of a plugin name wins.
//! The order is every `--plugin-dir` given, then `NETPLUG_PLUGIN_PATH`, then the installed
//! default next to the executable (`<exe_dir>/../lib/netplug/plugins`), then — in a
//! development build, where cargo left `libnetplug_plugin_*.so` beside the executable — the
//! executable's own directory, so `cargo run` finds the workspace's plugins with no setup.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// The file name prefix of netplug plugins: `libnetplug_plugin_<name>.so`.
pub const FILE_PREFIX: &str = "libnetplug_plugin_";
/// The environment variable holding extra plugin directories, separated by `:`.
pub const ENV_PATH: &str = "NETPLUG_PLUGIN_PATH";
/// Where plugins are installed, relative to the directory of the `netplug` executable.
pub const INSTALLED_DIR: &str = "../lib/netplug/plugins";

/// Which part of the search path a directory (and so a plugin) came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// A `--plugin-dir` option.
    PluginDir,
    /// An entry of `NETPLUG_PLUGIN_PATH`.
    EnvPath,
    /// `<exe_dir>/../lib/netplug/plugins`.
    Installed,
    /// The executable's own directory in a development build.
    Development,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Source::PluginDir => "--plugin-dir",
            Source::EnvPath => ENV_PATH,
            Source::Installed => "installed",
            Source::Development => "development build",
        })
    }
}

/// What to search. Build it with [`SearchPath::new`] for the real thing, or fill in only
/// `plugin_dirs` (tests), which searches nothing else.
#[derive(Clone, Debug, Default)]
pub struct SearchPath {
    /// `--plugin-dir` values, in the order given.
    pub plugin_dirs: Vec<PathBuf>,
    /// The value of `NETPLUG_PLUGIN_PATH`, if set.
    pub env_path: Option<OsString>,
    /// The running executable; `None` skips the installed default and the development build.
    pub exe: Option<PathBuf>,
}

/// One directory of the search path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchDir {
    pub path: PathBuf,
    pub source: Source,
    /// Whether any `*.so` here is a plugin, or only `libnetplug_plugin_*.so` (the
    /// executable's directory holds other libraries too).
    pub any_library: bool,
}

/// A plugin file found on the search path, not yet loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub path: PathBuf,
    /// Its canonical path: what `path` leads to, and whose directories are checked.
    pub real: PathBuf,
    /// The plugin name its file name implies (`bond` for `libnetplug_plugin_bond.so`); a file
    /// of the same name later on the path is shadowed by this one.
    pub name: String,
    pub source: Source,
}

impl SearchPath {
    /// The search path of this process: `plugin_dirs` (from `--plugin-dir`), then
    /// `NETPLUG_PLUGIN_PATH`, then the directories found from the running executable.
    pub fn new(plugin_dirs: Vec<PathBuf>) -> Self {
        SearchPath { plugin_dirs, env_path: std::env::var_os(ENV_PATH), exe: std::env::current_exe().ok() }
    }

    /// Only these directories: nothing from the environment or the executable.
    pub fn only(plugin_dirs: Vec<PathBuf>) -> Self {
        SearchPath { plugin_dirs, ..Default::default() }
    }

    /// The directories to search, in order. Directories that do not exist are kept (the
    /// caller may want to say so) except the two guessed from the executable.
    pub fn dirs(&self) -> Vec<SearchDir> {
        let mut dirs: Vec<SearchDir> = Vec::new();
        let mut push = |path: PathBuf, source, any_library| {
            if !dirs.iter().any(|d| d.path == path) {
                dirs.push(SearchDir { path, source, any_library });
            }
        };
        for d in &self.plugin_dirs {
            push(d.clone(), Source::PluginDir, true);
        }
        if let Some(env) = &self.env_path {
            // An empty entry (`a::b`, a leading or trailing `:`) means nothing, not ".".
            for d in std::env::split_paths(env).filter(|d| !d.as_os_str().is_empty()) {
                push(d, Source::EnvPath, true);
            }
        }
        if let Some(exe_dir) = self.exe.as_deref().and_then(Path::parent) {
            let installed = normalize(&exe_dir.join(INSTALLED_DIR));
            if installed.is_dir() {
                push(installed, Source::Installed, true);
            }
            if has_plugin_files(exe_dir) {
                push(exe_dir.to_path_buf(), Source::Development, false);
            }
        }
        dirs
    }
}

/// Every plugin file on the search path, in search order. A file reached twice (the same
/// directory listed twice, or through a symlink) is listed once; files of the same plugin name
/// in different directories are all listed, and [`load_all`](super::load_all) loads the first.
pub fn discover(search: &SearchPath) -> Vec<Candidate> {
    let mut found: Vec<Candidate> = Vec::new();
    let mut seen: Vec<PathBuf> = Vec::new();
    for dir in search.dirs() {
        let entries = match std::fs::read_dir(&dir.path) {
            Ok(entries) => entries,
            Err(e) => {
                if dir.source == Source::PluginDir || e.kind() != std::io::ErrorKind::NotFound {
                    let dir = dir.path.display();
                    tracing::warn!(target: "netplug::host", "cannot read plugin directory {dir}: {e}");
                }
                continue;
            }
        };
        let mut files: Vec<(String, PathBuf, bool)> = entries
            .filter_map(Result::ok)
            .filter_map(|e| {
                let file_name = e.file_name().into_string().ok()?;
                let name = plugin_name(&file_name, dir.any_library)?;
                // Unknown (no d_type from this file system): resolve it to be sure.
                let is_symlink = e.file_type().map_or(true, |t| t.is_symlink());
                Some((name, e.path(), is_symlink))
            })
            .collect();
        files.sort();
        // One canonical directory for the plain files in it; only a symlink needs resolving.
        let real_dir = std::fs::canonicalize(&dir.path).ok();
        for (name, path, is_symlink) in files {
            let real = match (&real_dir, is_symlink) {
                (Some(real_dir), false) => {
                    real_dir.join(path.file_name().expect("a directory entry has a name"))
                }
                _ => std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone()),
            };
            if seen.contains(&real) {
                continue;
            }
            seen.push(real.clone());
            found.push(Candidate { path, real, name, source: dir.source });
        }
    }
    found
}

/// The plugin name a file name implies, if the file is a plugin candidate at all.
fn plugin_name(file_name: &str, any_library: bool) -> Option<String> {
    let stem = file_name.strip_suffix(".so")?;
    if let Some(name) = stem.strip_prefix(FILE_PREFIX) {
        return (!name.is_empty()).then(|| name.to_string());
    }
    if !any_library || stem.is_empty() || stem.starts_with('.') {
        return None;
    }
    Some(stem.strip_prefix("lib").filter(|s| !s.is_empty()).unwrap_or(stem).to_string())
}

fn has_plugin_files(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .filter_map(Result::ok)
            .any(|e| e.file_name().to_str().is_some_and(|n| n.starts_with(FILE_PREFIX) && n.ends_with(".so")))
    })
}

/// `a/bin/../lib` → `a/lib`, without touching the file system (the executable's directory
/// may be reached through a symlink, and `..` must apply to the path as installed).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::ParentDir if out.file_name().is_some() => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_give_plugin_names() {
        assert_eq!(plugin_name("libnetplug_plugin_bond.so", false).as_deref(), Some("bond"));
        assert_eq!(plugin_name("libnetplug_plugin_bond.so", true).as_deref(), Some("bond"));
        assert_eq!(plugin_name("libveth.so", true).as_deref(), Some("veth"));
        assert_eq!(plugin_name("veth.so", true).as_deref(), Some("veth"));
        assert_eq!(plugin_name("libstd-1234.so", false), None);
        assert_eq!(plugin_name("libnetplug_plugin_bond.so.1", true), None);
        assert_eq!(plugin_name("libnetplug_plugin_.so", true), None);
        assert_eq!(plugin_name(".hidden.so", true), None);
    }

    #[test]
    fn order_is_options_then_environment_then_executable() {
        let exe_root = tempfile::tempdir().unwrap();
        let bin = exe_root.path().join("bin");
        let installed = exe_root.path().join("lib/netplug/plugins");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::create_dir_all(&installed).unwrap();
        std::fs::write(bin.join("libnetplug_plugin_dev.so"), b"").unwrap();
        let search = SearchPath {
            plugin_dirs: vec!["/a".into(), "/b".into(), "/a".into()],
            env_path: Some("/c::/b:/d".into()),
            exe: Some(bin.join("netplug")),
        };
        let got: Vec<(PathBuf, Source)> = search.dirs().into_iter().map(|d| (d.path, d.source)).collect();
        assert_eq!(
            got,
            [
                ("/a".into(), Source::PluginDir),
                ("/b".into(), Source::PluginDir),
                ("/c".into(), Source::EnvPath),
                ("/d".into(), Source::EnvPath),
                (installed, Source::Installed),
                (bin, Source::Development),
            ]
        );
    }

    #[test]
    fn the_executables_directory_counts_only_in_a_development_build() {
        let dir = tempfile::tempdir().unwrap();
        let search = SearchPath { exe: Some(dir.path().join("netplug")), ..Default::default() };
        assert!(search.dirs().is_empty());
    }

    #[test]
    fn first_directory_listed_first_and_files_sorted() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        for f in ["libnetplug_plugin_z.so", "libnetplug_plugin_bond.so", "notes.txt"] {
            std::fs::write(a.path().join(f), b"").unwrap();
        }
        std::fs::write(b.path().join("libnetplug_plugin_bond.so"), b"").unwrap();
        let found = discover(&SearchPath::only(vec![a.path().into(), b.path().into()]));
        let got: Vec<(&str, &Path)> = found.iter().map(|c| (c.name.as_str(), c.path.as_path())).collect();
        assert_eq!(
            got,
            [
                ("bond", a.path().join("libnetplug_plugin_bond.so").as_path()),
                ("z", a.path().join("libnetplug_plugin_z.so").as_path()),
                ("bond", b.path().join("libnetplug_plugin_bond.so").as_path()),
            ]
        );
    }
}
