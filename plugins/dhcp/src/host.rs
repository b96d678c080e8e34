//! Host-wide values a lease may change: the host name (`sethostname`), the NIS domain
//! (`setnisdomain`), and the per-interface IPv6 sysctls `<dhcp6 autoconf=>` writes.
//!
//! The host and NIS domain names belong to the calling thread's UTS namespace, and
//! `/proc/sys/net/...` resolves in the calling thread's network namespace (the kernel looks the
//! table up through `current->nsproxy`), so both follow `--netns` and a test's `unshare`.

use std::ffi::CStr;
use std::io;
use std::path::PathBuf;

/// The host name and NIS domain name (`uname(2)`'s `nodename` and `domainname`).
fn uts() -> io::Result<(String, String)> {
    // SAFETY: utsname is plain old data; uname fills it and NUL-terminates every field.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    if unsafe { libc::uname(&mut u) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let field = |f: &[libc::c_char]| {
        // SAFETY: the kernel NUL-terminates each utsname field within its array.
        unsafe { CStr::from_ptr(f.as_ptr()) }.to_string_lossy().into_owned()
    };
    Ok((field(&u.nodename), field(&u.domainname)))
}

pub fn hostname() -> io::Result<String> {
    uts().map(|(h, _)| h)
}

/// The NIS domain name; `(none)` is the kernel's way of saying there is none.
pub fn nisdomain() -> io::Result<String> {
    uts().map(|(_, d)| d)
}

pub fn set_hostname(name: &str) -> io::Result<()> {
    // SAFETY: the pointer and length describe `name`'s bytes, which outlive the call.
    let rc = unsafe { libc::sethostname(name.as_ptr().cast(), name.len()) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

pub fn set_nisdomain(name: &str) -> io::Result<()> {
    // SAFETY: as for sethostname.
    let rc = unsafe { libc::setdomainname(name.as_ptr().cast(), name.len()) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The system's host name as a DHCP client should send it: not when it says nothing.
pub fn sendable_hostname() -> Option<String> {
    let h = hostname().ok()?;
    let h = h.split('.').next().unwrap_or_default().to_string();
    (!h.is_empty() && h != "localhost" && h != "(none)").then_some(h)
}

fn sysctl_path(interface: &str, name: &str) -> PathBuf {
    PathBuf::from(format!("/proc/sys/net/ipv6/conf/{interface}/{name}"))
}

/// `/proc/sys/net/ipv6/conf/IFACE/NAME`, trimmed.
pub fn read_sysctl(interface: &str, name: &str) -> io::Result<String> {
    std::fs::read_to_string(sysctl_path(interface, name)).map(|s| s.trim().to_string())
}

pub fn write_sysctl(interface: &str, name: &str, value: &str) -> io::Result<()> {
    std::fs::write(sysctl_path(interface, name), value)
}

/// The sysctl writes that make `<dhcp6 autoconf=..>` true on `interface`, as (name, value),
/// given a reader of the current values. `autoconf="yes"` needs router advertisements accepted
/// (`accept_ra` 1, or 2 when the interface forwards, since the kernel ignores RAs on a
/// forwarding interface at 1), addresses made from their prefixes (`autoconf` 1), and an
/// interface identifier to make them with (`addr_gen_mode` none, 1, has none: use EUI-64).
/// `autoconf="no"` (the default) only stops address configuration; RAs still give routes.
pub fn autoconf_writes(
    autoconf: bool,
    current: impl Fn(&str) -> Option<String>,
) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let is = |name: &str, v: &str| current(name).as_deref() == Some(v);
    if autoconf {
        let want_ra = if is("forwarding", "1") { "2" } else { "1" };
        if is("accept_ra", "0") || (want_ra == "2" && !is("accept_ra", "2")) {
            out.push(("accept_ra", want_ra.to_string()));
        }
        if !is("autoconf", "1") {
            out.push(("autoconf", "1".to_string()));
        }
        if is("addr_gen_mode", "1") {
            out.push(("addr_gen_mode", "0".to_string()));
        }
    } else if !is("autoconf", "0") {
        out.push(("autoconf", "0".to_string()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn writes(autoconf: bool, values: &[(&str, &str)]) -> Vec<(&'static str, String)> {
        autoconf_writes(autoconf, |n| values.iter().find(|(k, _)| *k == n).map(|(_, v)| v.to_string()))
    }

    #[test]
    fn autoconf_turns_on_only_what_is_off() {
        let defaults = [("forwarding", "0"), ("accept_ra", "1"), ("autoconf", "1"), ("addr_gen_mode", "0")];
        assert!(writes(true, &defaults).is_empty());
        let off = [("forwarding", "0"), ("accept_ra", "0"), ("autoconf", "0"), ("addr_gen_mode", "1")];
        assert_eq!(
            writes(true, &off),
            [("accept_ra", "1".into()), ("autoconf", "1".into()), ("addr_gen_mode", "0".into())]
        );
        let router = [("forwarding", "1"), ("accept_ra", "1"), ("autoconf", "1"), ("addr_gen_mode", "2")];
        assert_eq!(writes(true, &router), [("accept_ra", "2".into())]);
        assert_eq!(writes(false, &defaults), [("autoconf", "0".into())]);
        assert!(writes(false, &off).is_empty());
    }
}
