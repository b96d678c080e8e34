//! The systemd units of cli/systemd, as systemd itself judges them: `systemd-analyze verify`
//! finds nothing wrong, and `systemd-analyze security` rates each at an exposure of 5.0 or
//! less. Both work on unit files without a running systemd (.ci/run installs `systemd`).

use std::path::{Path, PathBuf};
use std::process::Command;

use netplug_tests::{netplug, workspace};

const UNITS: [&str; 3] = ["netplug-apply.service", "netplug-daemon.service", "netplug-wait-online.service"];

/// The units as `cargo xtask install` writes them, pointing at this build's binary.
fn installed_units(dir: &Path) -> Vec<PathBuf> {
    let bindir = netplug().parent().unwrap().display().to_string();
    UNITS
        .iter()
        .map(|name| {
            let text = std::fs::read_to_string(workspace().join("cli/systemd").join(name)).unwrap();
            let path = dir.join(name);
            std::fs::write(&path, text.replace("@BINDIR@", &bindir)).unwrap();
            path
        })
        .collect()
}

fn systemd_analyze() -> Command {
    let probe = Command::new("systemd-analyze").arg("--version").output();
    assert!(
        probe.is_ok_and(|o| o.status.success()),
        "systemd-analyze is needed (apt-get install systemd; .ci/run does)"
    );
    Command::new("systemd-analyze")
}

#[test]
fn systemd_analyze_verify_finds_nothing_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let units = installed_units(dir.path());
    // `Documentation=man:netplug(8)` is checked too: with the pages `cargo xtask man` makes
    // (what install, dist and the packages install) on MANPATH.
    let pages = dir.path().join("man");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let made = Command::new(cargo)
        .current_dir(workspace())
        .args(["run", "--quiet", "-p", "xtask", "--", "man", "--out"])
        .arg(&pages)
        .output()
        .unwrap();
    assert!(made.status.success(), "cargo xtask man: {}", String::from_utf8_lossy(&made.stderr));
    assert!(
        Command::new("man").arg("--version").output().is_ok_and(|o| o.status.success()),
        "man is needed (apt-get install man-db; .ci/run does)"
    );
    let out = systemd_analyze().arg("verify").args(&units).env("MANPATH", &pages).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stderr.trim().is_empty(), "systemd-analyze verify:\n{stderr}");
}

#[test]
fn every_unit_is_hardened_to_an_exposure_of_at_most_5() {
    let dir = tempfile::tempdir().unwrap();
    for unit in installed_units(dir.path()) {
        let out = systemd_analyze().args(["security", "--offline=true"]).arg(&unit).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let line = stdout.lines().find(|l| l.contains("Overall exposure level")).unwrap_or_else(|| {
            panic!("{}: no overall rating:\n{stdout}{}", unit.display(), String::from_utf8_lossy(&out.stderr))
        });
        let exposure: f64 = line
            .rsplit(':')
            .next()
            .and_then(|rating| rating.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("cannot read the rating in {line:?}"));
        assert!(exposure <= 5.0, "{}: {line}\n{stdout}", unit.display());
    }
}
