//! `deb`: Debian packages, built from staged trees with `dpkg-deb --build` (no debhelper or
//! cargo-deb needed). `netplug` holds the binary, the base plugins, the systemd units, man
//! pages and completions; each optional plugin is a package of its own, so a distribution
//! ships exactly the kinds it supports. See docs/packaging.md.

use std::fmt::Write as _;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::dist::{self, ZshDir};
use crate::util::{root, run};

/// Plugins in the `netplug` package itself: nearly every document needs them, and `ethernet`
/// answers whether a port or parent a document refers to exists.
pub const BASE_PLUGINS: &[&str] = &["ethernet", "static", "routes"];

/// The kinds and elements of the base plugins other than their names, which the `netplug`
/// package provides as `netplug-plugin-NAME` like the plugin packages do (see
/// [`OptionalPlugin::provides`]).
pub const BASE_PROVIDES: &[&str] = &["interface", "ethtool", "route"];

/// One package per optional plugin: adding a plugin here is all it takes to package it.
pub struct OptionalPlugin {
    pub name: &'static str,
    /// The other kinds and elements its plugin handles: the package provides
    /// `netplug-plugin-NAME` for each, the name netplug's hint for a missing plugin gives
    /// (`core::registry::package_for`).
    pub provides: &'static [&'static str],
    /// The package's one-line summary.
    pub summary: &'static str,
    /// What a document needs it for, and what of the kernel it needs.
    pub description: &'static str,
}

pub const OPTIONAL_PLUGINS: &[OptionalPlugin] = &[
    OptionalPlugin {
        name: "bridge",
        provides: &[],
        summary: "netplug plugin for Linux bridges",
        description: "Configures <bridge> interfaces (the libvirt dialect's type=\"bridge\"): \
                      the bridge, its ports, spanning tree and timers. Needs the kernel's bridge module.",
    },
    OptionalPlugin {
        name: "bond",
        provides: &[],
        summary: "netplug plugin for bonded interfaces",
        description: "Configures <bond> interfaces (the libvirt dialect's type=\"bond\"): \
                      the bond, its mode, link monitoring and slaves. Needs the kernel's bonding module.",
    },
    OptionalPlugin {
        name: "vlan",
        provides: &[],
        summary: "netplug plugin for 802.1Q VLAN interfaces",
        description: "Configures <vlan> interfaces (the libvirt dialect's type=\"vlan\") on a \
                      parent interface. Needs the kernel's 8021q module.",
    },
    OptionalPlugin {
        name: "veth",
        provides: &[],
        summary: "netplug plugin for virtual Ethernet pairs",
        description: "Configures <veth> interfaces: virtual Ethernet pairs, the peer in this \
                      network namespace or created in a named one (peer-netns), as container \
                      hosts connect containers. Needs the kernel's veth module.",
    },
    OptionalPlugin {
        name: "dummy",
        provides: &[],
        summary: "netplug plugin for dummy interfaces",
        description: "Configures <dummy> interfaces: links that belong to no NIC, for service \
                      addresses, router IDs and blackholes. Needs the kernel's dummy module.",
    },
    OptionalPlugin {
        name: "vxlan",
        provides: &[],
        summary: "netplug plugin for VXLAN tunnels",
        description: "Configures <vxlan> interfaces: Ethernet segments tunnelled in UDP to a \
                      remote endpoint, a multicast group or endpoints in the FDB, alone or as \
                      bridge ports. Needs the kernel's vxlan module.",
    },
    OptionalPlugin {
        name: "macvlan",
        provides: &["macvtap"],
        summary: "netplug plugin for macvlan and macvtap interfaces",
        description: "Configures <macvlan> and <macvtap> interfaces on a parent interface: \
                      private, vepa, bridge, passthru and source modes. Needs the kernel's \
                      macvlan module (and macvtap for <macvtap>).",
    },
    OptionalPlugin {
        name: "ipvlan",
        provides: &[],
        summary: "netplug plugin for ipvlan interfaces",
        description: "Configures <ipvlan> interfaces on a parent interface: l2, l3 and l3s \
                      modes, bridge, private and vepa isolation. Needs the kernel's ipvlan module.",
    },
    OptionalPlugin {
        name: "vrf",
        provides: &[],
        summary: "netplug plugin for VRF routing domains",
        description: "Configures <vrf> interfaces, their routing table and member ports; routes \
                      of the members land in the VRF's table. Needs the kernel's vrf module.",
    },
    OptionalPlugin {
        name: "wireguard",
        provides: &[],
        summary: "netplug plugin for WireGuard tunnels",
        description: "Configures <wireguard> interfaces: the tunnel device, its private key (read \
                      from a root-only file), listen port, firewall mark and peers, over the \
                      kernel's generic netlink interface. Needs the kernel's wireguard module.",
    },
    OptionalPlugin {
        name: "dhcp",
        provides: &["dhcp6"],
        summary: "netplug plugin for DHCP and DHCPv6 clients",
        description: "Configures addresses by <dhcp> and <dhcp6> (SLAAC, DHCPv6) with its own \
                      client: no dhclient or other program is run. Writes its leases, and with \
                      peerdns or nis a resolv.conf and yp.conf, under /run/netplug.",
    },
];

/// The plugin ABI as a versioned virtual package (docs/plugin-abi.md): a host speaking ABI
/// `M.y` loads plugins built for `M.x` with `x <= y`, so `netplug` provides `netplug-abi-M (=
/// M.y)` and a plugin built for `M.x` depends on `netplug-abi-M (>= M.x)`.
pub fn abi_package() -> String {
    format!("netplug-abi-{}", netplug_plugin_sdk::abi::MAJOR)
}

/// `M.m`, the ABI this build speaks.
fn abi_version() -> String {
    format!("{}.{}", netplug_plugin_sdk::abi::MAJOR, netplug_plugin_sdk::abi::MINOR)
}

const MAINTAINER: &str = "netplug developers <netplug@example.invalid>";
const HOMEPAGE: &str = "https://example.invalid/netplug";

/// The command line of `deb`.
#[derive(clap::Args)]
pub struct Args {
    /// Where to write the packages (default target/deb).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

pub fn build(args: &Args) -> Result<()> {
    let out = args.out.clone().unwrap_or_else(|| root().join("target/deb"));
    let written = build_all(&out)?;
    for deb in written {
        println!("{}", deb.display());
    }
    Ok(())
}

fn build_all(out: &Path) -> Result<Vec<PathBuf>> {
    for tool in ["dpkg-deb", "dpkg-shlibdeps", "strip", "gzip"] {
        if Command::new("sh").args(["-c", &format!("command -v {tool}")]).output()?.stdout.is_empty() {
            bail!("deb needs `{tool}` (Debian: apt-get install dpkg-dev binutils gzip)");
        }
    }
    let artifacts = dist::build(true)?;
    let arch = capture(Command::new("dpkg").arg("--print-architecture"))?;
    let version = env!("CARGO_PKG_VERSION");
    fs::create_dir_all(out)?;
    let stage = out.join("stage");
    if stage.exists() {
        fs::remove_dir_all(&stage)?;
    }
    let mut written = Vec::new();

    // netplug
    let tree = stage.join("netplug");
    let usr = tree.join("usr");
    fs::create_dir_all(usr.join("bin"))?;
    dist::copy_mode(&artifacts.join("netplug"), &usr.join("bin/netplug"), 0o755)?;
    let base: Vec<String> = BASE_PLUGINS.iter().map(|s| s.to_string()).collect();
    dist::install_plugins(&artifacts, &usr, &base)?;
    // Debian 12's systemd looks in /lib/systemd/system (and /usr/lib on merged-/usr systems).
    dist::install_units(&tree, "/usr/bin")?;
    dist::install_man_and_completions(&usr, ZshDir::VendorCompletions)?;
    let doc = usr.join("share/doc/netplug");
    fs::create_dir_all(&doc)?;
    for f in ["README.md", "docs/format.md", "docs/packaging.md", "docs/plugin-guide.md", "docs/dhcp.md"] {
        let to = doc.join(Path::new(f).file_name().unwrap());
        fs::copy(root().join(f), &to)?;
        fs::set_permissions(&to, fs::Permissions::from_mode(0o644))?;
    }
    let binaries: Vec<PathBuf> =
        std::iter::once(usr.join("bin/netplug")).chain(base.iter().map(|p| plugin_path(&usr, p))).collect();
    let control = Control {
        package: "netplug".into(),
        arch: arch.clone(),
        depends: shlibs(&binaries, &stage)?,
        extra: format!(
            "Provides: {} (= {}), {}\nSuggests: {}\n",
            abi_package(),
            abi_version(),
            provided(BASE_PLUGINS.iter().chain(BASE_PROVIDES)),
            suggests()
        ),
        summary: "declarative configuration of Linux network interfaces".into(),
        description: "netplug makes the kernel's network interfaces match XML documents \
                      (netcf's and libvirt's vocabulary): in order, verified, rolled back on any \
                      failure. Every kind of interface or feature is a plugin talking netlink to \
                      the kernel; no ip, ethtool or dhclient is run. This package holds the \
                      netplug command, the ethernet, static-address and route plugins, the \
                      systemd units, man pages and shell completions; bridges, bonds, VLANs and \
                      DHCP come in netplug-plugin-* packages."
            .into(),
    };
    // Each lintian override with its reason (docs/packaging.md lists them).
    let overrides = usr.join("share/lintian/overrides");
    fs::create_dir_all(&overrides)?;
    fs::write(
        overrides.join("netplug"),
        "# saphyr, the YAML parser of `netplug import --from netplan`, is pure Rust and holds no\n\
         # libyaml code; it reuses libyaml's error messages, which lintian takes for a copy of it.\n\
         netplug: embedded-library libyaml [usr/bin/netplug]\n",
    )?;
    written.push(package(&tree, &control, &binaries, out)?);

    // One package per optional plugin.
    for plugin in OPTIONAL_PLUGINS {
        let name = format!("netplug-plugin-{}", plugin.name);
        let tree = stage.join(&name);
        let usr = tree.join("usr");
        dist::install_plugins(&artifacts, &usr, &[plugin.name.to_string()])?;
        let binaries = vec![plugin_path(&usr, plugin.name)];
        let mut depends = shlibs(&binaries, &stage)?;
        // All plugins of one release come from one build, so they pin it; the ABI dependency
        // is what a third party's plugin package would carry alone.
        depends.push(format!("netplug (= {version})"));
        depends.push(format!("{} (>= {})", abi_package(), abi_version()));
        let control = Control {
            package: name,
            arch: arch.clone(),
            depends,
            extra: if plugin.provides.is_empty() {
                String::new()
            } else {
                format!("Provides: {}\n", provided(plugin.provides.iter()))
            },
            summary: plugin.summary.into(),
            description: plugin.description.into(),
        };
        written.push(package(&tree, &control, &binaries, out)?);
    }
    fs::remove_dir_all(&stage)?;
    Ok(written)
}

/// `netplug-plugin-NAME` for each name, comma-separated.
fn provided<'a>(names: impl Iterator<Item = &'a &'a str>) -> String {
    names.map(|n| format!("netplug-plugin-{n}")).collect::<Vec<_>>().join(", ")
}

fn suggests() -> String {
    OPTIONAL_PLUGINS.iter().map(|p| format!("netplug-plugin-{}", p.name)).collect::<Vec<_>>().join(", ")
}

fn plugin_path(usr: &Path, name: &str) -> PathBuf {
    usr.join(format!("lib/netplug/plugins/libnetplug_plugin_{name}.so"))
}

struct Control {
    package: String,
    arch: String,
    depends: Vec<String>,
    /// Further fields, each a line.
    extra: String,
    summary: String,
    description: String,
}

/// Finish a staged tree (strip, doc files, DEBIAN/) and build it; return the .deb's path.
fn package(tree: &Path, control: &Control, binaries: &[PathBuf], out: &Path) -> Result<PathBuf> {
    let version = env!("CARGO_PKG_VERSION");
    for bin in binaries {
        // As dh_strip does: no debugging symbols in the package, no build-path notes.
        run(Command::new("strip")
            .args(["--strip-unneeded", "--remove-section=.comment", "--remove-section=.note"])
            .arg(bin))?;
    }
    let doc = tree.join("usr/share/doc").join(&control.package);
    fs::create_dir_all(&doc)?;
    fs::write(doc.join("copyright"), copyright())?;
    // A native package (no Debian revision): its one changelog is `changelog`.
    let changelog = doc.join("changelog");
    fs::write(&changelog, changelog_entry(&control.package))?;
    run(Command::new("gzip").args(["-9", "-n", "-f"]).arg(&changelog))?;

    // Directories 0755 and files 0644 (executables 0755), whoever's umask built them.
    normalize_modes(tree)?;
    let size_kib = tree_size(tree)?.div_ceil(1024);
    let sums = md5sums(tree)?;
    let debian = tree.join("DEBIAN");
    fs::create_dir_all(&debian)?;
    let mut text = format!(
        "Package: {}\nVersion: {version}\nArchitecture: {}\nMaintainer: {MAINTAINER}\n\
         Installed-Size: {size_kib}\nDepends: {}\n{}Section: net\nPriority: optional\n\
         Homepage: {HOMEPAGE}\nDescription: {}\n",
        control.package,
        control.arch,
        control.depends.join(", "),
        control.extra,
        control.summary
    );
    for line in wrap(&control.description, 78) {
        writeln!(text, " {line}")?;
    }
    fs::write(debian.join("control"), text)?;
    fs::write(debian.join("md5sums"), sums)?;
    normalize_modes(&debian)?;
    let deb = out.join(format!("{}_{version}_{}.deb", control.package, control.arch));
    // Its "building package" line on stderr: stdout lists the packages written, for scripts.
    run(Command::new("dpkg-deb")
        .args(["--root-owner-group", "-Zxz", "--build"])
        .arg(tree)
        .arg(&deb)
        .stdout(std::io::stderr()))?;
    Ok(deb)
}

/// `Depends:` for the shared libraries these binaries link (libc, libgcc), as dpkg-shlibdeps
/// finds them from the installed packages' symbol files.
fn shlibs(binaries: &[PathBuf], stage: &Path) -> Result<Vec<String>> {
    // dpkg-shlibdeps wants to run in a source tree: give it an empty one.
    let src = stage.join("shlibdeps");
    fs::create_dir_all(src.join("debian"))?;
    fs::write(src.join("debian/control"), "Source: netplug\n\nPackage: netplug\nArchitecture: any\n")?;
    let mut cmd = Command::new("dpkg-shlibdeps");
    cmd.current_dir(&src).arg("-O").args(binaries);
    let out = capture(&mut cmd)?;
    let deps = out
        .lines()
        .find_map(|l| l.strip_prefix("shlibs:Depends="))
        .with_context(|| format!("dpkg-shlibdeps said no dependencies: {out}"))?;
    Ok(deps.split(',').map(|d| d.trim().to_string()).filter(|d| !d.is_empty()).collect())
}

fn copyright() -> String {
    let year = commit_date("%ad", "--date=format:%Y").unwrap_or_else(|_| "2026".into());
    format!(
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\
     Upstream-Name: netplug\n\
     Source: https://example.invalid/netplug\n\
     \n\
     Files: *\n\
     Copyright: {year} netplug developers\n\
     License: LGPL-2.1+\n \
     This library is free software; you can redistribute it and/or modify it under the terms\n \
     of the GNU Lesser General Public License as published by the Free Software Foundation;\n \
     either version 2.1 of the License, or (at your option) any later version.\n \
     .\n \
     On Debian systems, the complete text of the GNU Lesser General Public License version\n \
     2.1 can be found in `/usr/share/common-licenses/LGPL-2.1'.\n"
    )
}

/// The date of the commit built, so the same source gives the same package.
fn commit_date(format: &str, date_option: &str) -> Result<String> {
    capture(Command::new("git").current_dir(root()).args([
        "log",
        "-1",
        date_option,
        &format!("--format={format}"),
    ]))
}

fn changelog_entry(package: &str) -> String {
    let version = env!("CARGO_PKG_VERSION");
    let date =
        commit_date("%aD", "--date=default").unwrap_or_else(|_| "Thu, 01 Jan 1970 00:00:00 +0000".into());
    format!(
        "{package} ({version}) unstable; urgency=medium\n\n  * Built by `cargo xtask deb` from the netplug \
         workspace.\n\n -- {MAINTAINER}  {date}\n"
    )
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let line = lines.last_mut().unwrap();
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(word.to_string());
        } else {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    lines
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let mut entries: Vec<_> = fs::read_dir(dir)?.collect::<std::io::Result<_>>()?;
    entries.sort_by_key(|e| e.path());
    for e in entries {
        let path = e.path();
        if path.is_dir() {
            files(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

fn normalize_modes(dir: &Path) -> Result<()> {
    fs::set_permissions(dir, fs::Permissions::from_mode(0o755))?;
    for e in fs::read_dir(dir)? {
        let path = e?.path();
        if path.is_dir() {
            normalize_modes(&path)?;
        } else {
            let executable = fs::metadata(&path)?.permissions().mode() & 0o111 != 0
                && path.extension().is_none_or(|x| x != "so");
            fs::set_permissions(&path, fs::Permissions::from_mode(if executable { 0o755 } else { 0o644 }))?;
        }
    }
    Ok(())
}

fn tree_size(tree: &Path) -> Result<u64> {
    let mut all = Vec::new();
    files(tree, &mut all)?;
    Ok(all.iter().map(|f| fs::metadata(f).map(|m| m.len()).unwrap_or(0)).sum())
}

fn md5sums(tree: &Path) -> Result<String> {
    let mut all = Vec::new();
    files(tree, &mut all)?;
    let rel: Vec<PathBuf> = all.iter().map(|f| f.strip_prefix(tree).unwrap().to_path_buf()).collect();
    let mut cmd = Command::new("md5sum");
    cmd.current_dir(tree).args(&rel);
    capture(&mut cmd)
}

fn capture(cmd: &mut Command) -> Result<String> {
    let out = cmd.output().with_context(|| format!("running {cmd:?}"))?;
    if !out.status.success() {
        bail!("{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim_end().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_plugin_is_in_one_package() {
        let mut packaged: Vec<&str> = BASE_PLUGINS.to_vec();
        packaged.extend(OPTIONAL_PLUGINS.iter().map(|p| p.name));
        packaged.sort();
        let mut shipped = dist::PLUGINS.to_vec();
        shipped.sort();
        assert_eq!(packaged, shipped);
    }

    #[test]
    fn every_plugin_package_name_is_had_once() {
        // The hint for a missing plugin names netplug-plugin-ELEMENT: exactly one package may
        // be it or provide it.
        let mut names: Vec<&str> = BASE_PLUGINS.iter().chain(BASE_PROVIDES).copied().collect();
        for p in OPTIONAL_PLUGINS {
            names.push(p.name);
            names.extend(p.provides);
        }
        let count = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), count, "{names:?}");
    }

    #[test]
    fn descriptions_wrap() {
        assert_eq!(wrap("a bb ccc", 4), ["a bb", "ccc"]);
    }
}
