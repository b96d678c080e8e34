//! `install` and `dist`: build netplug and put the binary and a chosen set of plugins into an
//! install tree (`bin/netplug`, `lib/netplug/plugins/libnetplug_plugin_<name>.so`), or a
//! tarball of one. Distributions pick plugins with `--plugins`; see docs/packaging.md.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::util::{cargo, flag, option, root, run};

/// Every plugin this repository ships, by the name `--plugins` takes.
pub const PLUGINS: &[&str] = &["ethernet", "bond", "bridge", "vlan", "static", "dhcp", "routes"];

fn chosen_plugins(args: &[String]) -> Result<Vec<String>> {
    let Some(list) = option(args, "--plugins") else {
        return Ok(PLUGINS.iter().map(|s| s.to_string()).collect());
    };
    let mut out = Vec::new();
    for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if !PLUGINS.contains(&name) {
            bail!("unknown plugin `{name}` (known: {})", PLUGINS.join(", "));
        }
        if !out.iter().any(|n| n == name) {
            out.push(name.to_string());
        }
    }
    Ok(out)
}

/// Build the CLI and the chosen plugins; return the directory holding the artifacts.
fn build(plugins: &[String], release: bool) -> Result<PathBuf> {
    let mut cmd = cargo();
    cmd.arg("build").args(["--package", "netplug"]);
    for p in plugins {
        cmd.args(["--package", &format!("netplug-plugin-{p}")]);
    }
    if release {
        cmd.arg("--release");
    }
    run(&mut cmd)?;
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root().join("target"));
    Ok(target.join(if release { "release" } else { "debug" }))
}

/// Install the systemd units of `cli/systemd/` into `prefix/lib/systemd/system`, naming
/// `bindir` as where `netplug` is. Installing does not enable them: that is the
/// administrator's (or the package's) decision.
fn install_units(prefix: &Path, bindir: &str) -> Result<()> {
    let units = prefix.join("lib/systemd/system");
    fs::create_dir_all(&units)?;
    for entry in fs::read_dir(root().join("cli/systemd"))? {
        let path = entry?.path();
        if path.extension().and_then(|e| e.to_str()) != Some("service") {
            continue;
        }
        let text = fs::read_to_string(&path)?.replace("@BINDIR@", bindir);
        let to = units.join(path.file_name().expect("a unit file has a name"));
        fs::write(&to, text).with_context(|| format!("writing {}", to.display()))?;
        fs::set_permissions(&to, fs::Permissions::from_mode(0o644))?;
    }
    Ok(())
}

/// Copy the binary and plugins from `artifacts` into the tree at `prefix`.
fn populate(artifacts: &Path, prefix: &Path, plugins: &[String]) -> Result<()> {
    let bin = prefix.join("bin");
    let plugdir = prefix.join("lib/netplug/plugins");
    fs::create_dir_all(&bin)?;
    fs::create_dir_all(&plugdir)?;
    copy_mode(&artifacts.join("netplug"), &bin.join("netplug"), 0o755)?;
    // A plugin left from an earlier install that is no longer chosen would still load: clear them.
    for entry in fs::read_dir(&plugdir)? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if name.starts_with("libnetplug_plugin_") && name.ends_with(".so") {
            fs::remove_file(&path)?;
        }
    }
    for p in plugins {
        let file = format!("libnetplug_plugin_{p}.so");
        copy_mode(&artifacts.join(&file), &plugdir.join(&file), 0o644)?;
    }
    Ok(())
}

/// Copy through a temporary name and rename, so a running netplug never sees half a file.
fn copy_mode(from: &Path, to: &Path, mode: u32) -> Result<()> {
    let tmp = to.with_extension("tmp-install");
    fs::copy(from, &tmp).with_context(|| format!("copying {} to {}", from.display(), tmp.display()))?;
    fs::set_permissions(&tmp, fs::Permissions::from_mode(mode))?;
    fs::rename(&tmp, to)?;
    Ok(())
}

pub fn install(args: &[String]) -> Result<()> {
    let prefix = PathBuf::from(option(args, "--prefix").unwrap_or_else(|| "/usr/local".into()));
    let plugins = chosen_plugins(args)?;
    let artifacts = build(&plugins, !flag(args, "--debug"))?;
    populate(&artifacts, &prefix, &plugins)?;
    let bindir = fs::canonicalize(prefix.join("bin"))?;
    install_units(&prefix, &bindir.display().to_string())?;
    eprintln!(
        "installed {} and {} plugin(s) ({}) under {}",
        prefix.join("bin/netplug").display(),
        plugins.len(),
        plugins.join(", "),
        prefix.join("lib/netplug/plugins").display()
    );
    Ok(())
}

pub fn dist(args: &[String]) -> Result<()> {
    let plugins = chosen_plugins(args)?;
    let out = PathBuf::from(
        option(args, "--out").unwrap_or_else(|| root().join("target/dist").display().to_string()),
    );
    let artifacts = build(&plugins, true)?;
    let version = env!("CARGO_PKG_VERSION");
    let name = format!("netplug-{version}-{}", std::env::consts::ARCH);
    let tree = out.join(&name);
    if tree.exists() {
        fs::remove_dir_all(&tree)?;
    }
    populate(&artifacts, &tree, &plugins)?;
    // A distribution tarball is unpacked under /usr (see docs/packaging.md).
    install_units(&tree, "/usr/bin")?;
    let doc = tree.join("share/doc/netplug");
    fs::create_dir_all(&doc)?;
    for f in ["README.md", "docs/format.md", "docs/packaging.md", "docs/plugin-guide.md", "docs/dhcp.md"] {
        let src = root().join(f);
        if src.exists() {
            fs::copy(&src, doc.join(Path::new(f).file_name().unwrap()))?;
        }
    }
    let tarball = out.join(format!("{name}.tar.gz"));
    // Entries owned by root whoever builds: root's tar keeps owners on extraction, and netplug
    // refuses a plugin file owned by anyone but root (or the user running it).
    let mut tar = Command::new("tar");
    tar.args(["--owner=0", "--group=0", "--numeric-owner", "-czf"])
        .arg(&tarball)
        .arg("-C")
        .arg(&out)
        .arg(&name);
    run(&mut tar)?;
    eprintln!(
        "wrote {} (install tree {}) with plugins: {}",
        tarball.display(),
        tree.display(),
        plugins.join(", ")
    );
    Ok(())
}
