//! Plugins run as root, so a file anyone but root (or the user running netplug) could have
//! written is refused before it is opened, with a message naming the file and the fix.

mod plugins_support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use netplug_core::host::LoadStatus;
use plugins_support::{load, plugin_dir, report};

const FILE: &str = "libnetplug_plugin_hello.so";

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn refusal(dir: &Path) -> String {
    let (registry, reports) = load(&[dir]);
    assert!(registry.plugins().is_empty(), "a refused plugin must not be registered");
    match &report(&reports, FILE).status {
        LoadStatus::Refused { reason } => {
            println!("{reason}");
            reason.clone()
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn a_world_writable_file_is_refused() {
    let dir = plugin_dir(&["hello"]);
    chmod(&dir.path().join(FILE), 0o757);
    let reason = refusal(dir.path());
    assert!(reason.starts_with(&dir.path().join(FILE).display().to_string()), "names the file: {reason}");
    assert!(reason.contains("writable by others (mode 0757; chmod go-w)"), "{reason}");
    assert!(reason.contains("a plugin runs with netplug's privileges"), "{reason}");
}

#[test]
fn a_group_writable_file_is_refused() {
    let dir = plugin_dir(&["hello"]);
    chmod(&dir.path().join(FILE), 0o775);
    assert!(refusal(dir.path()).contains("writable by group (mode 0775"));
}

#[test]
fn a_file_in_a_writable_directory_is_refused() {
    let dir = plugin_dir(&["hello"]);
    chmod(dir.path(), 0o777);
    let reason = refusal(dir.path());
    assert!(
        reason.contains(&format!("its directory {} is writable by group and others", dir.path().display()))
    );
    // With the sticky bit (as on /tmp) nobody else can replace the file: accepted.
    chmod(dir.path(), 0o1777);
    let (_, reports) = load(&[dir.path()]);
    assert_eq!(report(&reports, FILE).status, LoadStatus::Loaded);
}

#[test]
fn a_file_owned_by_another_user_is_refused() {
    let dir = plugin_dir(&["hello"]);
    let file = dir.path().join(FILE);
    // Giving a file away needs root (as netplug and CI run); elsewhere there is nothing to test.
    if std::os::unix::fs::chown(&file, Some(65534), None).is_err() {
        eprintln!("skipped: chown needs root");
        return;
    }
    let reason = refusal(dir.path());
    assert!(reason.contains("owned by uid 65534, not root"), "{reason}");
}

#[test]
fn a_symlink_is_judged_by_its_target() {
    let real = plugin_dir(&["hello"]);
    let links = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(real.path().join(FILE), links.path().join(FILE)).unwrap();
    let (_, reports) = load(&[links.path()]);
    assert_eq!(report(&reports, FILE).status, LoadStatus::Loaded);

    chmod(&real.path().join(FILE), 0o646);
    let reason = refusal(links.path());
    assert!(reason.contains(&format!("(reached as {})", real.path().join(FILE).display())), "{reason}");
}
