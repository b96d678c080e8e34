//! Shared by the `plugins_*` tests: build the fixture plugins of `tests/fixtures/plugins/`
//! once per test binary, and lay them out in temporary plugin directories.
//!
//! The fixtures are standalone cargo projects (as out-of-tree plugins are), built into
//! `target/fixtures` so their dependencies are compiled once for all of them and for later
//! runs.

#![allow(dead_code)] // each test binary uses its own part of this module

use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use netplug_core::host::{load_all, LoadReport, SearchPath};
use netplug_core::registry::Registry;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ is inside the workspace").to_path_buf()
}

/// The shared object of fixture `name` (`tests/fixtures/plugins/<name>`), built on first use.
pub fn fixture(name: &str) -> PathBuf {
    build(name).join(format!("libnetplug_plugin_{name}.so"))
}

/// The executable of fixture project `name`, built on first use.
pub fn fixture_bin(name: &str) -> PathBuf {
    build(name).join(format!("netplug-fixture-{name}"))
}

/// Build fixture project `name` once per test binary; the directory its artifacts are in.
fn build(name: &str) -> PathBuf {
    static BUILT: Mutex<Option<HashMap<String, PathBuf>>> = Mutex::new(None);
    // A failed build panics while holding the lock; the next test reports the same failure.
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    let built = built.get_or_insert_with(HashMap::new);
    if let Some(dir) = built.get(name) {
        return dir.clone();
    }
    let project = workspace().join("tests/fixtures/plugins").join(name);
    let target = workspace().join("target/fixtures");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    // Fixtures are built like the tests: `cargo test --release` measures release plugins.
    let profile = if cfg!(debug_assertions) { "debug" } else { "release" };
    let output = Command::new(cargo)
        .arg("build")
        .args((profile == "release").then_some("--release"))
        .arg("--quiet")
        .arg("--manifest-path")
        .arg(project.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target)
        // The fixture's own Cargo.lock pins what the workspace uses; never rewrite it here.
        .arg("--locked")
        .output()
        .expect("run cargo");
    assert!(
        output.status.success(),
        "building fixture {name} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let dir = target.join(profile);
    built.insert(name.to_string(), dir.clone());
    dir
}

/// A fresh plugin directory holding the named fixtures as `libnetplug_plugin_<name>.so`.
pub fn plugin_dir(names: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for name in names {
        install(dir.path(), name, &format!("libnetplug_plugin_{name}.so"));
    }
    dir
}

/// Copy fixture `name` into `dir` as `file_name`, mode 0755. A copy, not a link: `dlopen`
/// recognises a file it has loaded by its inode, and each test wants its own library.
pub fn install(dir: &Path, name: &str, file_name: &str) -> PathBuf {
    let to = dir.join(file_name);
    std::fs::copy(fixture(name), &to).expect("copy fixture");
    std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    to
}

/// Load everything in `dirs` (and nothing from the environment or the executable).
pub fn load(dirs: &[&Path]) -> (Registry, Vec<LoadReport>) {
    load_all(&SearchPath::only(dirs.iter().map(|d| d.to_path_buf()).collect()))
}

/// The report about the file called `file_name`.
pub fn report<'a>(reports: &'a [LoadReport], file_name: &str) -> &'a LoadReport {
    reports
        .iter()
        .find(|r| r.path.file_name().is_some_and(|f| f == file_name))
        .unwrap_or_else(|| panic!("no report for {file_name}: {reports:#?}"))
}
