//! The systemd boot: the guest's root (the host's, as for the tier) booted with Debian's
//! systemd as PID 1 and netplug's units installed and enabled as a package would, to check
//! what only a real boot shows: the onboot interfaces are configured before `network.target`,
//! `netplug-wait-online.service` orders `network-online.target`, the daemon answers `systemctl
//! reload`, and its logs reach the journal with their priorities and fields.
//!
//! To keep it fast under emulation the boot starts a target of our own (`netplug-vm.target`)
//! instead of `multi-user.target`: the units enabled into it, and a check unit that runs
//! `tests/tests/systemd_boot.rs` (ignored elsewhere) once `network-online.target` is reached.

use std::fs;
use std::path::Path;

use anyhow::{bail, Context, Result};

use super::initramfs::SystemdBoot;
use crate::util::root;

/// The target the guest boots into.
pub const TARGET: &str = "netplug-vm.target";
/// Where the guest sees the build's `netplug` and plugins: units may not run programs from
/// under /home or /root (`ProtectHome=`), where a checkout may be.
const GUEST_BINDIR: &str = "/opt/netplug";

/// Units of a real boot that have nothing to do with networking, masked: under emulation each
/// costs seconds.
const MASKED: &[&str] = &[
    "systemd-binfmt.service",
    "proc-sys-fs-binfmt_misc.automount",
    "systemd-journal-flush.service",
    "systemd-random-seed.service",
    "systemd-sysusers.service",
    "systemd-tmpfiles-setup.service",
    "systemd-update-utmp.service",
    "systemd-timesyncd.service",
    "systemd-pstore.service",
    "systemd-modules-load.service",
    "systemd-machine-id-commit.service",
    "systemd-firstboot.service",
    "systemd-repart.service",
    "ldconfig.service",
    "systemd-hwdb-update.service",
    "systemd-journal-catalog-update.service",
    "sys-kernel-debug.mount",
    "sys-kernel-tracing.mount",
    "sys-fs-fuse-connections.mount",
    "sys-kernel-config.mount",
    "dev-hugepages.mount",
];

/// The definitions the boot applies (the guest's own /etc, a throw-away overlay).
const DEFINITIONS: &[(&str, &str)] =
    &[("nbr0.xml", r#"<bridge name="nbr0" startmode="onboot"><static ipaddr="192.0.2.1/24"/></bridge>"#)];

/// What to add to the guest's root: the units of cli/systemd (pointing at `bindir`, the
/// build's, bound at [`GUEST_BINDIR`]), enabled per their `[Install]` sections into our target,
/// the target, the check unit, and the definitions.
pub fn boot(bindir: &Path) -> Result<SystemdBoot> {
    let mut files = Vec::new();
    let mut links = Vec::new();
    let units_dir = root().join("cli/systemd");
    let mut names: Vec<String> = fs::read_dir(&units_dir)?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".service"))
        .collect();
    names.sort();
    if names.is_empty() {
        bail!("no units in {}", units_dir.display());
    }
    for name in &names {
        let text = fs::read_to_string(units_dir.join(name)).with_context(|| format!("reading {name}"))?;
        for wanted_by in install_wanted_by(&text) {
            // multi-user.target is what a real boot reaches; ours stands in for it.
            let by = if wanted_by == "multi-user.target" { TARGET.to_string() } else { wanted_by };
            links.push((
                format!("/etc/systemd/system/{by}.wants/{name}"),
                format!("/etc/systemd/system/{name}"),
            ));
        }
        files.push((
            format!("/etc/systemd/system/{name}"),
            0o644,
            text.replace("@BINDIR@", GUEST_BINDIR).into_bytes(),
        ));
    }
    files.push((format!("/etc/systemd/system/{TARGET}"), 0o644, TARGET_UNIT.as_bytes().to_vec()));
    files.push((
        "/etc/systemd/system/netplug-vm-check.service".into(),
        0o644,
        CHECK_UNIT.as_bytes().to_vec(),
    ));
    for unit in MASKED {
        links.push((format!("/etc/systemd/system/{unit}"), "/dev/null".into()));
    }
    for (name, xml) in DEFINITIONS {
        files.push((format!("/etc/netplug/{name}"), 0o644, format!("{xml}\n").into_bytes()));
    }
    Ok(SystemdBoot {
        files,
        links,
        binds: vec![(bindir.display().to_string(), GUEST_BINDIR.into())],
        unit: TARGET.into(),
    })
}

/// The `WantedBy=` of a unit's `[Install]` section.
fn install_wanted_by(unit: &str) -> Vec<String> {
    let mut section = "";
    let mut wanted = Vec::new();
    for line in unit.lines().map(str::trim) {
        if line.starts_with('[') {
            section = line;
        } else if section == "[Install]" {
            if let Some(v) = line.strip_prefix("WantedBy=") {
                wanted.extend(v.split_whitespace().map(str::to_string));
            }
        }
    }
    wanted
}

const TARGET_UNIT: &str = "\
[Unit]
Description=netplug's systemd boot test (stands in for multi-user.target)
Requires=sysinit.target
After=sysinit.target
Wants=netplug-vm-check.service
AllowIsolate=yes
";

/// Runs the tests once the network is online; they end by powering the guest off.
const CHECK_UNIT: &str = "\
[Unit]
Description=netplug's systemd boot checks
Wants=network-online.target
After=network-online.target netplug-daemon.service

[Service]
Type=oneshot
ExecStart=/run/vm/busybox sh /run/vm/stage2
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_are_enabled_into_our_target_as_their_install_sections_say() {
        let boot = boot(Path::new("/build/debug")).unwrap();
        let link = |l: &str| boot.links.iter().any(|(path, _)| path == l);
        assert!(link("/etc/systemd/system/netplug-vm.target.wants/netplug-apply.service"));
        assert!(link("/etc/systemd/system/netplug-vm.target.wants/netplug-daemon.service"));
        assert!(link("/etc/systemd/system/network-online.target.wants/netplug-wait-online.service"));
        let apply = boot.files.iter().find(|(p, ..)| p.ends_with("/netplug-apply.service")).unwrap();
        assert!(String::from_utf8_lossy(&apply.2).contains("ExecStart=/opt/netplug/netplug apply --all"));
        assert_eq!(boot.binds, [("/build/debug".to_string(), GUEST_BINDIR.to_string())]);
    }
}
