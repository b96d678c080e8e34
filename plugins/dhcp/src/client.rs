//! The DHCP conversations themselves, through mozim, turned into this plugin's lease records.
//!
//! mozim is async; each conversation runs on a current-thread tokio runtime built on the
//! calling thread and dropped at the end. Such a runtime starts no threads (`block_on` polls on
//! the caller), so every socket mozim opens (a packet socket for DHCPv4, UDP for DHCPv6 and
//! releases) is opened on the thread core called us on, in the network namespace that thread
//! entered (`--netns`). mozim's `netlink` feature, which would spawn an rtnetlink task, is off:
//! we give it the interface index, MAC and link-local address from our own dumps.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use mozim::{
    DhcpError, DhcpV4Client, DhcpV4Config, DhcpV4Lease, DhcpV4State, DhcpV6Client, DhcpV6Config, DhcpV6Duid,
    DhcpV6IaType, DhcpV6Lease, DhcpV6Mode, DhcpV6State, ErrorKind,
};

use crate::config::Settings;
use crate::host;
use crate::lease::Times;
use crate::state::{hex, unhex, LeaseV4, LeaseV6};

/// DHCPv4 options 40 (NIS domain) and 41 (NIS servers), asked for when `nis="yes"`.
const NIS_OPTIONS: [u8; 2] = [40, 41];
/// DHCPv6 option 2, the server's DUID.
const OPTION_SERVERID: u16 = 2;
/// How long a release may take to leave: it is one datagram, and no reply is awaited.
const RELEASE_TIMEOUT: Duration = Duration::from_secs(2);

/// The interface a client runs on.
#[derive(Clone, Debug)]
pub struct Link {
    pub name: String,
    pub index: u32,
    pub mac: [u8; 6],
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| format!("cannot start the DHCP client's event loop: {e}"))
}

/// Run `fut` to completion on a fresh runtime, giving up with `late` after `limit` (a guard
/// above mozim's own timeout, so nothing here can hang an apply).
fn run<T>(
    limit: Duration,
    late: impl FnOnce() -> String,
    fut: impl std::future::Future<Output = Result<T, String>>,
) -> Result<T, String> {
    runtime()?.block_on(async { tokio::time::timeout(limit, fut).await.unwrap_or_else(|_| Err(late())) })
}

fn whole_seconds(d: Duration) -> u32 {
    d.as_secs_f64().ceil().clamp(1.0, u32::MAX as f64) as u32
}

fn no_lease(family: &str, timeout: Duration) -> String {
    format!("no {family} lease within {} s: no server answered", whole_seconds(timeout))
}

fn explain(family: &str, timeout: Duration, e: DhcpError) -> String {
    match e.kind() {
        ErrorKind::Timeout => no_lease(family, timeout),
        _ => format!("{family} client: {}", e.msg()),
    }
}

/// The client's configuration: a renewal sends the same host name and asks for the same options
/// as the DISCOVER did.
fn config_v4(link: &Link, settings: &Settings, timeout: Duration) -> Result<DhcpV4Config, String> {
    let mut config = DhcpV4Config::new(&link.name);
    config.set_iface_index(link.index);
    config.set_iface_mac_raw(&link.mac).map_err(|e| e.msg().to_string())?;
    config.set_timeout_sec(whole_seconds(timeout));
    if let Some(name) = settings.hostname.clone().or_else(host::sendable_hostname) {
        config.set_host_name(&name);
    }
    if settings.nis {
        config.request_extra_dhcp_opts(&NIS_OPTIONS);
    }
    Ok(config)
}

/// DISCOVER, OFFER, REQUEST, ACK: a DHCPv4 lease for `link`, or why there is none.
pub fn acquire_v4(link: &Link, settings: &Settings, timeout: Duration) -> Result<LeaseV4, String> {
    let config = config_v4(link, settings, timeout)?;
    let lease = run(timeout + Duration::from_secs(2), || no_lease("DHCPv4", timeout), async {
        let mut client = DhcpV4Client::init(config, None).await.map_err(|e| explain("DHCPv4", timeout, e))?;
        loop {
            match client.run().await.map_err(|e| explain("DHCPv4", timeout, e))? {
                DhcpV4State::Done(lease) => return Ok(*lease),
                state => tracing::debug!(interface = %link.name, "DHCPv4 {state}"),
            }
        }
    })?;
    Ok(lease_v4(&lease))
}

/// Our record of mozim's lease.
fn lease_v4(l: &DhcpV4Lease) -> LeaseV4 {
    // get_option_raw gives code, length, data.
    let raw = |code: u8| l.get_option_raw(code).map(|v| v.get(2..).unwrap_or_default().to_vec());
    LeaseV4 {
        address: l.yiaddr,
        prefix_len: l.prefix_length(),
        server_id: if l.srv_id.is_unspecified() { l.siaddr } else { l.srv_id },
        lease_time: l.lease_time_sec,
        t1: l.t1_sec,
        t2: l.t2_sec,
        routers: l.gateways.clone().unwrap_or_default(),
        classless_routes: l
            .classless_routes
            .iter()
            .flatten()
            .map(|r| (r.destination, r.prefix_length, r.router))
            .collect(),
        dns: l.dns_srvs.clone().unwrap_or_default(),
        domain_name: l.domain_name.clone(),
        search: l.domain_search.clone().unwrap_or_default(),
        hostname: l.host_name.clone(),
        nis_domain: raw(40)
            .map(|b| String::from_utf8_lossy(&b).trim_end_matches('\0').to_string())
            .filter(|d| !d.is_empty()),
        nis_servers: raw(41)
            .unwrap_or_default()
            .chunks_exact(4)
            .map(|c| Ipv4Addr::new(c[0], c[1], c[2], c[3]))
            .collect(),
    }
}

/// Tell the server the lease is given back (RFC 2131 4.4.6). Sent from the leased address, so
/// call it before removing the address.
pub fn release_v4(link: &Link, lease: &LeaseV4) -> Result<(), String> {
    let mut config = DhcpV4Config::new(&link.name);
    config.set_iface_index(link.index);
    config.set_iface_mac_raw(&link.mac).map_err(|e| e.msg().to_string())?;
    let mut l = DhcpV4Lease::default();
    l.yiaddr = lease.address;
    l.srv_id = lease.server_id;
    l.siaddr = lease.server_id;
    l.lease_time_sec = lease.lease_time;
    l.t1_sec = lease.t1;
    l.t2_sec = lease.t2;
    run(RELEASE_TIMEOUT, || "the release could not be sent in time".into(), async {
        let mut client = DhcpV4Client::init(config, None).await.map_err(|e| e.msg().to_string())?;
        client.release(&l).await.map_err(|e| e.msg().to_string())
    })
}

/// DUID-LL (RFC 8415 11.4): type 3, hardware type 1 (Ethernet), the MAC, as mozim's
/// `set_duid_by_iface_mac` sends it. Derived from the link alone, so a restart (or the daemon)
/// identifies itself the same way without stored state; recorded for `netplug status`.
pub fn duid_ll(mac: &[u8; 6]) -> Vec<u8> {
    let mut d = vec![0, 3, 0, 1];
    d.extend_from_slice(mac);
    d
}

/// SOLICIT, ADVERTISE, REQUEST, REPLY: an IA_NA lease for `link`, spoken from `link_local`.
pub fn acquire_v6(link: &Link, link_local: Ipv6Addr, timeout: Duration) -> Result<LeaseV6, String> {
    let duid = duid_ll(&link.mac);
    let mut config = DhcpV6Config::new(&link.name, DhcpV6Mode::NonTemporaryAddresses);
    config
        .set_iface_index(link.index)
        .set_link_local_ip(link_local)
        // Typed, not `Raw`: mozim checks the reply's client id against this with `==` on the
        // parsed form, and a DUID-LL parses as `LinkLayerAddress`.
        .set_duid_by_iface_mac(&link.mac)
        .set_timeout_sec(whole_seconds(timeout));
    let lease = run(timeout + Duration::from_secs(2), || no_lease("DHCPv6", timeout), async {
        let mut client = DhcpV6Client::init(config, None).await.map_err(|e| explain("DHCPv6", timeout, e))?;
        loop {
            match client.run().await.map_err(|e| explain("DHCPv6", timeout, e))? {
                DhcpV6State::Done(lease) => return Ok(*lease),
                state => tracing::debug!(interface = %link.name, "DHCPv6 {state}"),
            }
        }
    })?;
    lease_v6(&lease, &duid)
}

/// Our record of mozim's DHCPv6 lease.
fn lease_v6(lease: &DhcpV6Lease, duid: &[u8]) -> Result<LeaseV6, String> {
    if lease.address.is_unspecified() {
        return Err("the DHCPv6 server gave no address (IA_NA)".into());
    }
    // mozim hands the whole option back, code and length first (despite its docs).
    let server_id =
        lease.get_option_raw(OPTION_SERVERID).and_then(|v| v.into_iter().next()).unwrap_or_default();
    let server_duid = match server_id.get(..2) {
        Some(code) if code == OPTION_SERVERID.to_be_bytes() => {
            server_id.get(4..).unwrap_or_default().to_vec()
        }
        _ => server_id,
    };
    Ok(LeaseV6 {
        address: lease.address,
        iaid: lease.iaid,
        client_duid: hex(duid),
        server_duid: hex(&server_duid),
        t1: lease.t1_sec,
        t2: lease.t2_sec,
        preferred: lease.preferred_time_sec,
        valid: lease.valid_time_sec,
        dns: lease.dns_srvs.clone(),
        search: lease.domain_list.clone(),
    })
}

/// Give an IA_NA lease back (RFC 8415 18.2.7), from `link_local`.
pub fn release_v6(link: &Link, link_local: Ipv6Addr, lease: &LeaseV6) -> Result<(), String> {
    let server_duid = unhex(&lease.server_duid).ok_or("bad server DUID in the lease record")?;
    let mut config = DhcpV6Config::new(&link.name, DhcpV6Mode::NonTemporaryAddresses);
    config.set_iface_index(link.index).set_link_local_ip(link_local).set_duid_by_iface_mac(&link.mac);
    let mut l = DhcpV6Lease::default();
    l.address = lease.address;
    l.iaid = lease.iaid;
    l.ia_type = Some(DhcpV6IaType::NonTemporaryAddresses);
    l.t1_sec = lease.t1;
    l.t2_sec = lease.t2;
    l.preferred_time_sec = lease.preferred;
    l.valid_time_sec = lease.valid;
    l.srv_duid = DhcpV6Duid::Raw(server_duid);
    run(RELEASE_TIMEOUT, || "the release could not be sent in time".into(), async {
        let mut client = DhcpV6Client::init(config, None).await.map_err(|e| e.msg().to_string())?;
        client.release(&l).await.map_err(|e| e.msg().to_string())
    })
}

/// How long one renewal or rebinding attempt may take, including the second mozim first waits
/// (it cannot be started in RENEWING: it is handed the lease with T1 one second away).
pub const RENEW_ATTEMPT: Duration = Duration::from_secs(6);

/// Whole seconds from `now` until `at`, as a lease time.
fn left(at: u64, now: u64) -> u32 {
    at.saturating_sub(now).min(u64::from(u32::MAX - 1)) as u32
}

fn unanswered(family: &str, e: DhcpError) -> String {
    match e.kind() {
        ErrorKind::Timeout => {
            format!("{family} server did not answer within {} s", RENEW_ATTEMPT.as_secs())
        }
        _ => format!("{family} client: {}", e.msg()),
    }
}

/// RENEWING (a REQUEST unicast to the server that gave the lease) or, past T2, REBINDING (one
/// broadcast to any server): the lease extended, or why not. The exchange is mozim's RFC 2131
/// state machine, started from the lease with its remaining T2 and lifetime; one attempt only,
/// since the caller schedules the next (see [`crate::lease::Times::retry_after`]).
pub fn renew_v4(
    link: &Link,
    settings: &Settings,
    lease: &LeaseV4,
    times: &Times,
    now: u64,
) -> Result<LeaseV4, String> {
    let config = config_v4(link, settings, RENEW_ATTEMPT)?;
    let mut l = DhcpV4Lease::default();
    l.yiaddr = lease.address;
    l.srv_id = lease.server_id;
    l.siaddr = lease.server_id;
    l.t1_sec = 1;
    l.t2_sec = left(times.rebind, now).max(2);
    l.lease_time_sec = left(times.expires, now).max(l.t2_sec + 1);
    let got = run(RENEW_ATTEMPT + Duration::from_secs(2), || unanswered_late("DHCPv4"), async {
        let mut client = DhcpV4Client::init(config, None).await.map_err(|e| unanswered("DHCPv4", e))?;
        client.done(l).map_err(|e| unanswered("DHCPv4", e))?;
        loop {
            match client.run().await.map_err(|e| unanswered("DHCPv4", e))? {
                DhcpV4State::Done(lease) => return Ok(*lease),
                // mozim gave up on the lease and would DISCOVER: that is a new lease, not this.
                DhcpV4State::InitReboot => return Err("the lease ran out before any server answered".into()),
                state => tracing::debug!(interface = %link.name, "DHCPv4 {state}"),
            }
        }
    })?;
    Ok(lease_v4(&got))
}

fn unanswered_late(family: &str) -> String {
    format!("{family} server did not answer within {} s", RENEW_ATTEMPT.as_secs())
}

/// RENEW, or past T2 REBIND, of an IA_NA lease, spoken from `link_local`; as [`renew_v4`].
pub fn renew_v6(
    link: &Link,
    link_local: Ipv6Addr,
    lease: &LeaseV6,
    times: &Times,
    now: u64,
) -> Result<LeaseV6, String> {
    let duid = duid_ll(&link.mac);
    let server_duid = unhex(&lease.server_duid).ok_or("bad server DUID in the lease record")?;
    let mut config = DhcpV6Config::new(&link.name, DhcpV6Mode::NonTemporaryAddresses);
    config
        .set_iface_index(link.index)
        .set_link_local_ip(link_local)
        .set_duid_by_iface_mac(&link.mac)
        .set_timeout_sec(whole_seconds(RENEW_ATTEMPT));
    let mut l = DhcpV6Lease::default();
    l.address = lease.address;
    l.iaid = lease.iaid;
    l.ia_type = Some(DhcpV6IaType::NonTemporaryAddresses);
    l.srv_duid = DhcpV6Duid::Raw(server_duid);
    l.t1_sec = 1;
    l.t2_sec = left(times.rebind, now).max(2);
    l.valid_time_sec = left(times.expires, now).max(l.t2_sec + 1);
    let preferred_end = times.obtained.saturating_add(u64::from(lease.preferred));
    l.preferred_time_sec = left(preferred_end, now).min(l.valid_time_sec);
    let got = run(RENEW_ATTEMPT + Duration::from_secs(2), || unanswered_late("DHCPv6"), async {
        let mut client = DhcpV6Client::init(config, None).await.map_err(|e| unanswered("DHCPv6", e))?;
        client.done(l).map_err(|e| unanswered("DHCPv6", e))?;
        loop {
            match client.run().await.map_err(|e| unanswered("DHCPv6", e))? {
                DhcpV6State::Done(lease) => return Ok(*lease),
                DhcpV6State::Solicit => return Err("the lease ran out before any server answered".into()),
                state => tracing::debug!(interface = %link.name, "DHCPv6 {state}"),
            }
        }
    })?;
    lease_v6(&got, &duid)
}
