//! Records a plugin keeps of what it configured, and what the host may conclude from them.
//!
//! Most plugins find what they configured in the kernel (routes by netplug's protocol number,
//! addresses by their flags), so the host must ask them about every interface it manages. A
//! plugin whose configuration lives in its own records — the DHCP plugin's lease records —
//! can declare their directory ([`Plugin::records`](crate::Plugin::records)). A declaration
//! is a promise: for an interface with no record, `read` answers nothing and `plan` of
//! nothing wanted against nothing live changes nothing. The host then answers those calls
//! itself and never opens the plugin's file in a run that has no use for it (`dlopen` of a
//! plugin costs more than the rest of a small apply's work per plugin).

use std::collections::HashSet;
use std::io;
use std::path::{Component, Path, PathBuf};

/// netplug's run directory, where plugins keep run-time state: `NETPLUG_RUN_DIR` (the
/// `netplug` CLI sets it from `--run-dir`), else `/run/netplug`.
pub fn run_dir() -> PathBuf {
    std::env::var_os("NETPLUG_RUN_DIR")
        .filter(|v| !v.is_empty())
        .map_or_else(|| "/run/netplug".into(), PathBuf::from)
}

/// Where a declared records directory is: `name` under [`run_dir`]. `None` for a name that is
/// not one plain path component (such a declaration is ignored, never followed elsewhere).
pub fn records_dir(name: &str) -> Option<PathBuf> {
    let mut parts = Path::new(name).components();
    match (parts.next(), parts.next()) {
        (Some(Component::Normal(_)), None) => Some(run_dir().join(name)),
        _ => None,
    }
}

/// The file-name prefix of `interface`'s records: `eth0.` for `eth0.dhcp.json`.
pub fn record_prefix(interface: &str) -> String {
    format!("{interface}.")
}

/// Whether `dir` holds a record of any interface in `scope` (`None`: of any interface). Hidden
/// files (temporary ones being written) are not records. When in doubt — an unreadable
/// directory — the answer is yes, so the plugin is asked.
pub fn any_recorded(dir: &Path, scope: Option<&[String]>) -> bool {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return false,
        Err(_) => return true,
    };
    let scope: Option<HashSet<&str>> = scope.map(|s| s.iter().map(String::as_str).collect());
    entries.into_iter().any(|entry| {
        let Ok(entry) = entry else { return true };
        let name = entry.file_name();
        let name = name.to_string_lossy();
        // A record of an interface in scope starts with its name and a dot (`record_prefix`):
        // one lookup per dot in the file name, not one comparison per interface in scope.
        let in_scope =
            |scope: &HashSet<&str>| name.match_indices('.').any(|(i, _)| scope.contains(&name[..i]));
        !name.starts_with('.') && scope.as_ref().is_none_or(in_scope)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_name_their_interface_by_prefix() {
        let dir = std::env::temp_dir().join(format!("netplug-records-{}", std::process::id()));
        let scope = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        assert!(!any_recorded(&dir, None), "a missing directory records nothing");
        std::fs::create_dir_all(&dir).unwrap();
        assert!(!any_recorded(&dir, None));
        std::fs::write(dir.join(".eth0.dhcp.json.tmp"), "").unwrap();
        assert!(!any_recorded(&dir, Some(&scope(&["eth0"]))), "hidden files are not records");
        std::fs::write(dir.join("eth0.dhcp.json"), "").unwrap();
        assert!(any_recorded(&dir, None));
        assert!(any_recorded(&dir, Some(&scope(&["br0", "eth0"]))));
        assert!(!any_recorded(&dir, Some(&scope(&["eth1", "eth"]))));
        assert!(!any_recorded(&dir, Some(&scope(&["eth0.100"]))));
        // A name with a dot may match another's records: a needless call, never a missed one.
        std::fs::remove_file(dir.join("eth0.dhcp.json")).unwrap();
        std::fs::write(dir.join("eth0.100.dhcp.json"), "").unwrap();
        assert!(any_recorded(&dir, Some(&scope(&["eth0"]))));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn only_a_plain_name_is_a_records_directory() {
        assert!(records_dir("dhcp").is_some_and(|d| d.ends_with("dhcp")));
        for bad in ["", "..", "/etc", "a/b", "."] {
            assert_eq!(records_dir(bad), None, "{bad:?}");
        }
    }
}
