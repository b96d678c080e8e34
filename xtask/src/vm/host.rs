//! The host programs the tier runs (qemu, busybox, the Debian package tools), installed with
//! apt-get when missing and we are root, as on a fresh CI machine.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Once;

use anyhow::{bail, Context, Result};

use crate::util::run;

/// Where `program` is on `PATH`, or in the sbin directories a non-login root shell may lack.
pub fn find_program(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/local/sbin", "/usr/sbin", "/sbin"].map(PathBuf::from))
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

pub fn has_program(program: &str) -> bool {
    find_program(program).is_some()
}

/// Makes sure each `(program, Debian package)` is there, installing the missing packages in
/// one `apt-get install` when we are root.
pub fn require(needs: &[(&str, &str)]) -> Result<()> {
    let missing: Vec<&str> =
        needs.iter().filter(|(prog, _)| !has_program(prog)).map(|(_, pkg)| *pkg).collect();
    if missing.is_empty() {
        return Ok(());
    }
    if !is_root() || !has_program("apt-get") {
        bail!("the vm tier needs these packages: apt-get install {}", missing.join(" "));
    }
    apt_update()?;
    run(Command::new("apt-get")
        .args(["install", "-y", "-q", "--no-install-recommends"])
        .args(&missing)
        .env("DEBIAN_FRONTEND", "noninteractive"))?;
    for (prog, pkg) in needs {
        find_program(prog).with_context(|| format!("{pkg} is installed but {prog} is still missing"))?;
    }
    Ok(())
}

/// `apt-get update`, at most once per run, and only as root (it writes the package lists).
pub fn apt_update() -> Result<()> {
    static ONCE: Once = Once::new();
    let mut result = Ok(());
    ONCE.call_once(|| {
        result = if is_root() {
            run(Command::new("apt-get").args(["update", "-q"]))
        } else {
            Err(anyhow::anyhow!("apt-get update needs root"))
        };
    });
    result
}

pub fn is_root() -> bool {
    // Effective uid is the second field of `Uid:` in /proc/self/status.
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("Uid:")).map(|l| l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}

/// KVM when the CPU can virtualise and `/dev/kvm` opens; otherwise TCG (emulation), which is
/// what these machines have. `NETPLUG_VM_ACCEL=kvm|tcg` overrides.
pub fn accelerator() -> Result<&'static str> {
    match std::env::var("NETPLUG_VM_ACCEL").as_deref() {
        Ok("kvm") => return Ok("kvm"),
        Ok("tcg") => return Ok("tcg"),
        Ok(other) => bail!("NETPLUG_VM_ACCEL must be kvm or tcg, not {other:?}"),
        Err(_) => {}
    }
    let cpu_can = std::fs::read_to_string("/proc/cpuinfo")
        .map(|c| c.split_whitespace().any(|w| w == "vmx" || w == "svm"))
        .unwrap_or(false);
    let usable = cpu_can && std::fs::OpenOptions::new().read(true).write(true).open("/dev/kvm").is_ok();
    Ok(if usable { "kvm" } else { "tcg" })
}
