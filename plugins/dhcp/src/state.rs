//! Lease records: what each client got and what netplug configured from it, one JSON file per
//! interface and family under the run directory, written atomically.
//!
//! A record is the plugin's memory between runs. `read` reports a `<dhcp>` for an interface whose
//! record's address is still on the link, so a second apply of the same file does not ask the
//! server again; removal undoes exactly what the record lists (never a route or address it did
//! not add); and `netplug daemon` renews from it (the lease's server, times and the wall-clock
//! time it was bound are all here, so a restarted daemon carries on without dropping addresses).

use std::fs;
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

use netplug_plugin_sdk::Element;
use serde::{Deserialize, Serialize};

use crate::config::Family;

/// The directory of lease records under the run directory.
pub const RECORDS: &str = "dhcp";

/// The files this plugin owns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Paths {
    /// netplug's run directory (`NETPLUG_RUN_DIR`, which the CLI sets from `--run-dir`, else
    /// `/run/netplug`: a tmpfs, so leases do not survive a reboot, and neither do the
    /// addresses they describe); records go in its [`RECORDS`] directory.
    pub run_dir: PathBuf,
    /// The resolver file `peerdns` writes: `NETPLUG_RESOLV_CONF`, default `RUN_DIR/resolv.conf`
    /// (point `/etc/resolv.conf` at it, or set this to `/etc/resolv.conf` to have netplug own it).
    pub resolv_conf: PathBuf,
    /// The NIS servers file `nis` writes (yp.conf syntax): `NETPLUG_YP_CONF`, default
    /// `RUN_DIR/yp.conf`.
    pub yp_conf: PathBuf,
}

impl Paths {
    /// Everything under `run_dir`.
    pub fn under(run_dir: impl Into<PathBuf>) -> Paths {
        let run_dir = run_dir.into();
        Paths { resolv_conf: run_dir.join("resolv.conf"), yp_conf: run_dir.join("yp.conf"), run_dir }
    }

    /// From `NETPLUG_RUN_DIR`, `NETPLUG_RESOLV_CONF` and `NETPLUG_YP_CONF`.
    pub fn from_env() -> Paths {
        let var = |name| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
        let mut paths = Paths::under(var("NETPLUG_RUN_DIR").unwrap_or_else(|| "/run/netplug".into()));
        if let Some(p) = var("NETPLUG_RESOLV_CONF") {
            paths.resolv_conf = p;
        }
        if let Some(p) = var("NETPLUG_YP_CONF") {
            paths.yp_conf = p;
        }
        paths
    }

    /// The directory of lease records.
    pub fn leases_dir(&self) -> PathBuf {
        self.run_dir.join(RECORDS)
    }

    /// `RUN_DIR/dhcp/IFACE.dhcp.json` or `IFACE.dhcp6.json`.
    pub fn record_path(&self, interface: &str, family: Family) -> PathBuf {
        self.leases_dir().join(format!("{interface}.{}.json", family.element()))
    }
}

/// One interface's client of one family: its lease and what was configured from it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub interface: String,
    /// The interface's kind when the client started, for the items `read` reports.
    pub kind: String,
    pub family: Family,
    /// The `<dhcp>`/`<dhcp6>` element as configured (without positions); `read` reports it.
    pub element: Element,
    pub ifindex: u32,
    /// The MAC the client identified itself with (the DHCPv4 `chaddr`, the DHCPv6 DUID-LL).
    pub mac: String,
    /// Wall-clock seconds since 1970 when the lease was bound: with the lease's T1, T2 and
    /// lifetime, when to renew, rebind and give up.
    pub bound_at: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease: Option<Lease>,
    #[serde(default)]
    pub applied: Applied,
    /// When to try again after a renewal, rebinding or new lease got no answer (wall-clock
    /// seconds); `None` while the lease is fresh, so the next attempt is at T1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_at: Option<u64>,
}

/// What the server gave.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "family", rename_all = "lowercase")]
pub enum Lease {
    V4(LeaseV4),
    V6(LeaseV6),
}

/// A DHCPv4 lease (RFC 2131/2132), the fields netplug uses or a renewal needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseV4 {
    pub address: Ipv4Addr,
    pub prefix_len: u8,
    /// Option 54: where a renewal is unicast and a release is sent.
    pub server_id: Ipv4Addr,
    /// Option 51, seconds.
    pub lease_time: u32,
    /// Options 58 and 59, seconds.
    pub t1: u32,
    pub t2: u32,
    #[serde(default)]
    pub routers: Vec<Ipv4Addr>,
    /// Option 121 (RFC 3442) as (destination, prefix length, gateway; 0.0.0.0 = on link).
    #[serde(default)]
    pub classless_routes: Vec<(Ipv4Addr, u8, Ipv4Addr)>,
    #[serde(default)]
    pub dns: Vec<Ipv4Addr>,
    #[serde(default)]
    pub domain_name: Option<String>,
    /// Option 119.
    #[serde(default)]
    pub search: Vec<String>,
    #[serde(default)]
    pub hostname: Option<String>,
    /// Options 40 and 41.
    #[serde(default)]
    pub nis_domain: Option<String>,
    #[serde(default)]
    pub nis_servers: Vec<Ipv4Addr>,
}

/// A DHCPv6 IA_NA lease (RFC 8415) with its DNS options (RFC 3646).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseV6 {
    pub address: Ipv6Addr,
    pub iaid: u32,
    /// The DUIDs as hex, exactly as sent: a renewal or release must repeat them byte for byte.
    pub client_duid: String,
    pub server_duid: String,
    pub t1: u32,
    pub t2: u32,
    pub preferred: u32,
    pub valid: u32,
    #[serde(default)]
    pub dns: Vec<Ipv6Addr>,
    #[serde(default)]
    pub search: Vec<String>,
}

impl Default for LeaseV4 {
    fn default() -> Self {
        let none = Ipv4Addr::UNSPECIFIED;
        LeaseV4 {
            address: none,
            prefix_len: 0,
            server_id: none,
            lease_time: 0,
            t1: 0,
            t2: 0,
            routers: Vec::new(),
            classless_routes: Vec::new(),
            dns: Vec::new(),
            domain_name: None,
            search: Vec::new(),
            hostname: None,
            nis_domain: None,
            nis_servers: Vec::new(),
        }
    }
}

impl Default for LeaseV6 {
    fn default() -> Self {
        LeaseV6 {
            address: Ipv6Addr::UNSPECIFIED,
            iaid: 0,
            client_duid: String::new(),
            server_duid: String::new(),
            t1: 0,
            t2: 0,
            preferred: 0,
            valid: 0,
            dns: Vec::new(),
            search: Vec::new(),
        }
    }
}

/// What netplug changed because of the lease, so removal undoes exactly that.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    /// The leased address (IFA_PROTO 178).
    #[serde(default)]
    pub address: Option<(IpAddr, u8)>,
    /// Routes added with protocol `RTPROT_DHCP` in the main table.
    #[serde(default)]
    pub routes: Vec<AppliedRoute>,
    /// Name servers and search domains this lease puts in the resolver file (`peerdns`).
    #[serde(default)]
    pub dns: Vec<IpAddr>,
    #[serde(default)]
    pub search: Vec<String>,
    /// NIS domain and servers this lease puts in the yp.conf file (`nis`).
    #[serde(default)]
    pub nis_domain: Option<String>,
    #[serde(default)]
    pub nis_servers: Vec<IpAddr>,
    /// The host name and NIS domain set, with what they were before.
    #[serde(default)]
    pub hostname: Option<Replaced>,
    #[serde(default)]
    pub nisdomain: Option<Replaced>,
    /// `/proc/sys/net/ipv6/conf/IFACE/*` values written for `autoconf`.
    #[serde(default)]
    pub sysctls: Vec<Sysctl>,
}

/// A route netplug added from a lease.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedRoute {
    pub dst: IpAddr,
    pub dst_len: u8,
    #[serde(default)]
    pub gateway: Option<IpAddr>,
    pub metric: u32,
}

/// A system value netplug set, and the value it replaced (restored if still ours on removal).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replaced {
    pub set: String,
    pub previous: String,
}

/// One per-interface IPv6 sysctl netplug wrote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sysctl {
    pub name: String,
    pub previous: String,
    pub set: String,
}

/// Seconds since 1970 now.
pub fn now_unix() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// Write `bytes` to `path` so a reader sees the old file or the new one, never a part: a
/// temporary file beside it (an unpredictable name created with `O_EXCL`, so nothing planted
/// there is followed), fsync, rename over, fsync the directory.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut tmp = tempfile::Builder::new().prefix(&format!(".{name}.")).suffix(".tmp").tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    fs::File::open(dir)?.sync_all()
}

/// Save a record (atomically).
pub fn save(paths: &Paths, record: &Record) -> io::Result<()> {
    let json = serde_json::to_vec_pretty(record).map_err(io::Error::other)?;
    write_atomic(&paths.record_path(&record.interface, record.family), &json)
}

/// The record of `interface`'s `family` client, if there is one.
pub fn load(paths: &Paths, interface: &str, family: Family) -> io::Result<Option<Record>> {
    read_record(&paths.record_path(interface, family))
}

fn read_record(path: &Path) -> io::Result<Option<Record>> {
    match fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("{}: {e}", path.display()))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Forget a record.
pub fn remove(paths: &Paths, interface: &str, family: Family) -> io::Result<()> {
    match fs::remove_file(paths.record_path(interface, family)) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Every record, sorted by interface then family. A file that does not parse is skipped with a
/// warning: one damaged record must not hide the others.
pub fn list(paths: &Paths) -> io::Result<Vec<Record>> {
    let entries = match fs::read_dir(paths.leases_dir()) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for entry in entries {
        let path = entry?.path();
        let is_record = path.extension().is_some_and(|e| e == "json")
            && !path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if !is_record {
            continue;
        }
        match read_record(&path) {
            Ok(Some(r)) => out.push(r),
            Ok(None) => {}
            Err(e) => tracing::warn!("skipping DHCP lease record {}: {e}", path.display()),
        }
    }
    out.sort_by(|a, b| (&a.interface, a.family).cmp(&(&b.interface, b.family)));
    Ok(out)
}

/// `bytes` as lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hex back to bytes (`None` if malformed).
pub fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> Record {
        Record {
            interface: "eth0".into(),
            kind: "ethernet".into(),
            family: Family::V4,
            element: Element::new("dhcp").with_attr("peerdns", "yes"),
            ifindex: 2,
            mac: "02:00:00:00:00:01".into(),
            bound_at: 1_700_000_000,
            lease: Some(Lease::V4(LeaseV4 {
                address: "192.0.2.50".parse().unwrap(),
                prefix_len: 24,
                server_id: "192.0.2.1".parse().unwrap(),
                lease_time: 120,
                t1: 60,
                t2: 105,
                ..Default::default()
            })),
            applied: Applied { address: Some(("192.0.2.50".parse().unwrap(), 24)), ..Default::default() },
            retry_at: None,
        }
    }

    #[test]
    fn records_round_trip_and_list_sorted() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::under(dir.path());
        let mut v6 = record();
        v6.family = Family::V6;
        v6.lease = None;
        save(&paths, &v6).unwrap();
        save(&paths, &record()).unwrap();
        assert_eq!(load(&paths, "eth0", Family::V4).unwrap(), Some(record()));
        assert_eq!(
            list(&paths).unwrap().iter().map(|r| r.family).collect::<Vec<_>>(),
            [Family::V4, Family::V6]
        );
        std::fs::write(paths.leases_dir().join("junk.dhcp.json"), "{").unwrap();
        assert_eq!(list(&paths).unwrap().len(), 2, "a damaged record is skipped");
        remove(&paths, "eth0", Family::V4).unwrap();
        remove(&paths, "eth0", Family::V4).unwrap();
        assert_eq!(load(&paths, "eth0", Family::V4).unwrap(), None);
        let leftovers: Vec<_> = std::fs::read_dir(paths.leases_dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".tmp-"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn hex_round_trips() {
        assert_eq!(hex(&[0, 3, 0xab]), "0003ab");
        assert_eq!(unhex("0003ab"), Some(vec![0, 3, 0xab]));
        assert_eq!(unhex("0g"), None);
        assert_eq!(unhex("abc"), None);
    }
}
