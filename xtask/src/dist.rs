//! `install` and `dist`: build netplug and put the binary, a chosen set of plugins, the systemd
//! units, man pages and shell completions into an install tree (`bin/netplug`,
//! `lib/netplug/plugins/libnetplug_plugin_<name>.so`, `share/...`), or a tarball of one.
//! Distributions pick plugins with `--plugins`; see docs/packaging.md.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::util::{cargo, root, run};

/// Every plugin this repository ships, by the name `--plugins` takes.
pub const PLUGINS: &[&str] = &[
    "ethernet",
    "bond",
    "bridge",
    "vlan",
    "veth",
    "dummy",
    "vxlan",
    "macvlan",
    "ipvlan",
    "vrf",
    "wireguard",
    "static",
    "dhcp",
    "routes",
];

/// The command line of `install`.
#[derive(clap::Args)]
pub struct InstallArgs {
    /// Install under DIR: DIR/bin/netplug, DIR/lib/netplug/plugins/*.so, DIR/share/...
    #[arg(long, value_name = "DIR", default_value = "/usr/local")]
    prefix: PathBuf,
    /// The plugins to install, comma-separated (default: all).
    #[arg(long, value_name = "A,B,..", value_delimiter = ',')]
    plugins: Option<Vec<String>>,
    /// A debug build instead of a release one.
    #[arg(long)]
    debug: bool,
}

/// The command line of `dist`.
#[derive(clap::Args)]
pub struct DistArgs {
    /// The plugins to ship, comma-separated (default: all).
    #[arg(long, value_name = "A,B,..", value_delimiter = ',')]
    plugins: Option<Vec<String>>,
    /// Where to write the tarball and its unpacked tree (default target/dist).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

fn chosen_plugins(list: &Option<Vec<String>>) -> Result<Vec<String>> {
    let Some(list) = list else {
        return Ok(PLUGINS.iter().map(|s| s.to_string()).collect());
    };
    let mut out = Vec::new();
    for name in list.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        if !PLUGINS.contains(&name) {
            bail!("unknown plugin `{name}` (known: {})", PLUGINS.join(", "));
        }
        if !out.iter().any(|n| n == name) {
            out.push(name.to_string());
        }
    }
    Ok(out)
}

/// Build the CLI and every plugin; return the directory holding the artifacts. Always every
/// plugin, whichever are chosen: cargo unifies the features of shared dependencies over the
/// packages of one build, so building a subset would compile the binary and the rest again,
/// a second release build of minutes beside the one `deb` and `bench` make.
pub fn build(release: bool) -> Result<PathBuf> {
    let mut cmd = cargo();
    cmd.arg("build").args(["--package", "netplug"]);
    for p in PLUGINS {
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
pub fn install_units(prefix: &Path, bindir: &str) -> Result<()> {
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

/// Copy the binary from `artifacts` into the tree at `prefix`, and the chosen plugins.
fn populate(artifacts: &Path, prefix: &Path, plugins: &[String]) -> Result<()> {
    let bin = prefix.join("bin");
    fs::create_dir_all(&bin)?;
    copy_mode(&artifacts.join("netplug"), &bin.join("netplug"), 0o755)?;
    install_plugins(artifacts, prefix, plugins)
}

/// Copy the chosen plugins from `artifacts` into `prefix/lib/netplug/plugins`, removing others.
pub fn install_plugins(artifacts: &Path, prefix: &Path, plugins: &[String]) -> Result<()> {
    let plugdir = prefix.join("lib/netplug/plugins");
    fs::create_dir_all(&plugdir)?;
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

/// Where the zsh completion goes under `share/`: zsh's own search path has
/// `/usr/local/share/zsh/site-functions`; Debian's zsh adds `vendor-completions` for packages.
pub enum ZshDir {
    SiteFunctions,
    VendorCompletions,
}

/// Write the man pages (gzipped) and the bash, zsh and fish completions under `prefix/share`.
pub fn install_man_and_completions(prefix: &Path, zsh: ZshDir) -> Result<()> {
    let share = prefix.join("share");
    let man = share.join("man");
    let pages = crate::man::write_pages(&man)?;
    for page in &pages {
        fs::set_permissions(page, fs::Permissions::from_mode(0o644))?;
    }
    // -n: no name or time stamp inside, so the same page gives the same bytes; -f replaces
    // the pages of an earlier install.
    run(Command::new("gzip").args(["-9", "-n", "-f"]).args(&pages))?;
    let scripts = crate::completions::scripts()?;
    let zsh_dir = match zsh {
        ZshDir::SiteFunctions => "zsh/site-functions",
        ZshDir::VendorCompletions => "zsh/vendor-completions",
    };
    for (dir, file, text) in [
        ("bash-completion/completions", "netplug", &scripts.bash),
        (zsh_dir, "_netplug", &scripts.zsh),
        ("fish/vendor_completions.d", "netplug.fish", &scripts.fish),
    ] {
        let dir = share.join(dir);
        fs::create_dir_all(&dir)?;
        let path = dir.join(file);
        fs::write(&path, text)?;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644))?;
    }
    Ok(())
}

/// Copy through a temporary name and rename, so a running netplug never sees half a file.
pub fn copy_mode(from: &Path, to: &Path, mode: u32) -> Result<()> {
    let tmp = to.with_extension("tmp-install");
    fs::copy(from, &tmp).with_context(|| format!("copying {} to {}", from.display(), tmp.display()))?;
    fs::set_permissions(&tmp, fs::Permissions::from_mode(mode))?;
    fs::rename(&tmp, to)?;
    Ok(())
}

pub fn install(args: &InstallArgs) -> Result<()> {
    let prefix = &args.prefix;
    let plugins = chosen_plugins(&args.plugins)?;
    let artifacts = build(!args.debug)?;
    populate(&artifacts, prefix, &plugins)?;
    let bindir = fs::canonicalize(prefix.join("bin"))?;
    install_units(prefix, &bindir.display().to_string())?;
    install_man_and_completions(prefix, ZshDir::SiteFunctions)?;
    eprintln!(
        "installed {} and {} plugin(s) ({}) under {}",
        prefix.join("bin/netplug").display(),
        plugins.len(),
        plugins.join(", "),
        prefix.join("lib/netplug/plugins").display()
    );
    Ok(())
}

pub fn dist(args: &DistArgs) -> Result<()> {
    let plugins = chosen_plugins(&args.plugins)?;
    let out = args.out.clone().unwrap_or_else(|| root().join("target/dist"));
    let artifacts = build(true)?;
    let version = env!("CARGO_PKG_VERSION");
    let name = format!("netplug-{version}-{}", std::env::consts::ARCH);
    let tree = out.join(&name);
    if tree.exists() {
        fs::remove_dir_all(&tree)?;
    }
    populate(&artifacts, &tree, &plugins)?;
    // A distribution tarball is unpacked under /usr (see docs/packaging.md).
    install_units(&tree, "/usr/bin")?;
    install_man_and_completions(&tree, ZshDir::SiteFunctions)?;
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
