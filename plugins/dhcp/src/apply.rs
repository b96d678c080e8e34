//! Applying: starting a client (take a lease, then configure from it) and stopping one
//! (release, then undo exactly what its record lists).
//!
//! A start changes nothing until it holds a lease: a server that never answers fails the change
//! with the kernel and the files as they were. Then the whole intent (address, routes, name
//! servers, host name, sysctls, each with the value it replaces) is written to the lease
//! record *before* the first change, so a failure half-way, a crash, or core's rollback can
//! undo it from the record; undoing is idempotent.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::{Duration, Instant};

use netplug_plugin_sdk::netlink::LinkTable;
use netplug_plugin_sdk::netlink::{format_mac, Family as AddrFamily, Socket};
use netplug_plugin_sdk::{ApplyError, Change, Element, PluginError};

use crate::client::{self, Link};
use crate::config::{Family, Settings};
use crate::netlink::{self as nl, Addr, ROUTE_METRIC};
use crate::plan::Op;
use crate::state::{self, Applied, AppliedRoute, Lease, LeaseV4, LeaseV6, Paths, Record, Replaced, Sysctl};
use crate::{files, host};

/// How often to look again while the IPv6 link-local address finishes duplicate address
/// detection (about a second after the link comes up).
const LINK_LOCAL_POLL: Duration = Duration::from_millis(100);

/// Apply `changes` in order; stop at the first failure.
pub fn apply(paths: &Paths, changes: &[Change]) -> Result<(), ApplyError> {
    for (index, c) in changes.iter().enumerate() {
        let fail = |error: PluginError| ApplyError { index, error };
        let op: Op = c.op().map_err(fail)?;
        match op {
            Op::Start { kind, element } => start(paths, &c.interface, &kind, &element),
            Op::Stop { family } => stop(paths, &c.interface, family),
            Op::Renew { family } => crate::renew::renew(paths, &c.interface, family),
        }
        .map_err(fail)?;
    }
    Ok(())
}

/// Refuse a plan whose clients would write a resolver or NIS file netplug does not own, at plan
/// time: a settings change stops the old client (releasing its lease) in the teardown, long
/// before the new one would find the file is not netplug's, and the interface would sit
/// without an address while the run rolls back. A plan error changes nothing.
pub fn refuse_foreign_files(paths: &Paths, changes: &[Change]) -> Result<(), PluginError> {
    for c in changes {
        let Ok(Op::Start { element, .. }) = c.op::<Op>() else { continue };
        let Some(settings) = Settings::of(&element) else { continue };
        check_files(paths, &c.interface, &settings)?;
    }
    Ok(())
}

/// The files a client with `settings` would write must be netplug's (or not exist).
fn check_files(paths: &Paths, interface: &str, settings: &Settings) -> Result<(), PluginError> {
    if settings.peerdns {
        files::check_ours(&paths.resolv_conf, "NETPLUG_RESOLV_CONF").map_err(|m| err(interface, m))?;
    }
    if settings.nis {
        files::check_ours(&paths.yp_conf, "NETPLUG_YP_CONF").map_err(|m| err(interface, m))?;
    }
    Ok(())
}

pub(crate) fn err(interface: &str, message: impl Into<String>) -> PluginError {
    PluginError::new(message).on_interface(interface)
}

pub(crate) fn route_socket() -> Result<Socket, PluginError> {
    Socket::route().map_err(PluginError::from)
}

/// The interface a client will run on, checked for what DHCP needs.
pub(crate) fn client_link(table: &LinkTable, interface: &str, family: Family) -> Result<Link, PluginError> {
    let link = table.by_name(interface).ok_or_else(|| err(interface, "no such device"))?;
    if !link.is_up() {
        return Err(err(interface, format!("{} needs the link up; it is down", family.label())));
    }
    let mac = link.address.as_deref().and_then(|a| <[u8; 6]>::try_from(a).ok()).ok_or_else(|| {
        err(interface, format!("{} needs an Ethernet MAC address; the link has none", family.label()))
    })?;
    Ok(Link { name: interface.to_string(), index: link.index, mac })
}

/// Start the client `element` asks for on `interface`.
pub(crate) fn start(
    paths: &Paths,
    interface: &str,
    kind: &str,
    element: &Element,
) -> Result<(), PluginError> {
    let settings =
        Settings::of(element).ok_or_else(|| err(interface, format!("<{}> is not DHCP", element.name)))?;
    let family = settings.family;
    let mut sock = route_socket()?;
    let link = client_link(&LinkTable::dump(&mut sock)?, interface, family)?;
    // Refuse before asking any server (plan refused already; the file may have changed since).
    check_files(paths, interface, &settings)?;
    // A record whose work is gone from the kernel (the lease expired, the address was removed
    // by hand): clear what is left of it first.
    if let Some(old) = state::load(paths, interface, family).map_err(|e| err(interface, e.to_string()))? {
        undo(paths, &mut sock, &old, false)?;
    }
    let timeout = Duration::from_secs(settings.timeout.into());
    let mut record = Record {
        interface: interface.to_string(),
        kind: kind.to_string(),
        family,
        element: element.without_spans(),
        ifindex: link.index,
        mac: format_mac(&link.mac),
        bound_at: 0,
        lease: None,
        applied: Applied::default(),
        retry_at: None,
    };
    let current = |name: &str| host::read_sysctl(interface, name).ok();
    match family {
        Family::V4 => {
            let lease = client::acquire_v4(&link, &settings, timeout).map_err(|m| err(interface, m))?;
            record.applied = intent_v4(
                &lease,
                &settings,
                &host::hostname().unwrap_or_default(),
                &host::nisdomain().unwrap_or_default(),
            );
            record.lease = Some(Lease::V4(lease));
        }
        Family::V6 => {
            let writes = host::autoconf_writes(settings.autoconf == Some(true), current);
            let sysctls: Vec<Sysctl> = writes
                .into_iter()
                .map(|(name, set)| Sysctl {
                    name: name.to_string(),
                    previous: current(name).unwrap_or_default(),
                    set,
                })
                .collect();
            // SLAAC is the kernel's: set it up before the DHCPv6 exchange, which may need the
            // link-local address that addr_gen_mode makes.
            record.applied.sysctls = sysctls;
            if !record.applied.sysctls.is_empty() {
                save(paths, &record)?;
                for s in &record.applied.sysctls {
                    if let Err(e) = host::write_sysctl(interface, &s.name, &s.set) {
                        let _ = undo(paths, &mut sock, &record, false);
                        return Err(err(interface, format!("set {} to {}: {e}", s.name, s.set)));
                    }
                }
            }
            if settings.client {
                let got = acquire_v6(&mut sock, &link, timeout);
                let lease = match got {
                    Ok(l) => l,
                    Err(m) => {
                        let _ = undo(paths, &mut sock, &record, false);
                        return Err(err(interface, m));
                    }
                };
                let sysctls = std::mem::take(&mut record.applied.sysctls);
                record.applied = Applied { sysctls, ..intent_v6(&lease, &settings) };
                record.lease = Some(Lease::V6(lease));
            }
        }
    }
    record.bound_at = state::now_unix();
    save(paths, &record)?;
    if let Err(e) = configure(paths, &mut sock, &record) {
        let _ = undo(paths, &mut sock, &record, true);
        return Err(e);
    }
    tracing::info!(interface, "{} bound: {}", family.label(), describe(&record));
    Ok(())
}

pub(crate) fn save(paths: &Paths, record: &Record) -> Result<(), PluginError> {
    state::save(paths, record).map_err(|e| err(&record.interface, format!("saving the lease record: {e}")))
}

fn describe(record: &Record) -> String {
    match &record.applied.address {
        Some((ip, len)) => format!("{ip}/{len}"),
        None => "SLAAC settings".to_string(),
    }
}

/// Wait (within `timeout`) for a usable link-local address, then take a DHCPv6 lease.
fn acquire_v6(sock: &mut Socket, link: &Link, timeout: Duration) -> Result<LeaseV6, String> {
    let deadline = Instant::now() + timeout;
    let link_local = loop {
        let addrs = nl::dump_addrs(sock, AddrFamily::V6).map_err(|e| e.to_string())?;
        match nl::link_local(&addrs, link.index) {
            Some(Some(ip)) => break ip,
            found if Instant::now() >= deadline => {
                return Err(match found {
                    Some(None) => "DHCPv6 needs the IPv6 link-local address, which is still tentative (duplicate address detection)",
                    _ => "DHCPv6 needs an IPv6 link-local address; the link has none (addr_gen_mode none, or IPv6 disabled)",
                }
                .to_string())
            }
            _ => std::thread::sleep(LINK_LOCAL_POLL),
        }
    };
    let left = deadline.saturating_duration_since(Instant::now()).max(Duration::from_secs(1));
    client::acquire_v6(link, link_local, left)
}

/// What a DHCPv4 lease makes netplug configure under `settings`; `hostname` and `nisdomain` are
/// the system's current values (what a set would replace).
pub fn intent_v4(lease: &LeaseV4, settings: &Settings, hostname: &str, nisdomain: &str) -> Applied {
    let mut a =
        Applied { address: Some((IpAddr::V4(lease.address), lease.prefix_len)), ..Default::default() };
    let route = |dst: Ipv4Addr, dst_len: u8, gw: Ipv4Addr| AppliedRoute {
        dst: IpAddr::V4(dst),
        dst_len,
        gateway: (!gw.is_unspecified()).then_some(IpAddr::V4(gw)),
        metric: ROUTE_METRIC,
    };
    if settings.setrouting {
        if !lease.classless_routes.is_empty() {
            // RFC 3442: with option 121 the client ignores the router option; a default route,
            // if any, is among the classless routes.
            for &(dst, len, gw) in &lease.classless_routes {
                if len > 0 || settings.setdefaultroute {
                    a.routes.push(route(dst, len, gw));
                }
            }
        } else if let Some(&gw) = lease.routers.first().filter(|_| settings.setdefaultroute) {
            a.routes.push(route(Ipv4Addr::UNSPECIFIED, 0, gw));
        }
    }
    if settings.peerdns {
        a.dns = lease.dns.iter().map(|&d| IpAddr::V4(d)).collect();
        a.search = if lease.search.is_empty() {
            lease.domain_name.iter().cloned().collect()
        } else {
            lease.search.clone()
        };
    }
    if settings.nis {
        a.nis_servers = lease.nis_servers.iter().map(|&s| IpAddr::V4(s)).collect();
        a.nis_domain = lease.nis_domain.clone();
    }
    let replace = |set: &Option<String>, now: &str| {
        set.as_ref()
            .filter(|s| s.as_str() != now)
            .map(|s| Replaced { set: s.clone(), previous: now.to_string() })
    };
    if settings.sethostname {
        a.hostname = replace(&lease.hostname, hostname);
    }
    if settings.setnisdomain {
        a.nisdomain = replace(&lease.nis_domain, nisdomain);
    }
    a
}

/// What a DHCPv6 lease makes netplug configure: the address (a /128: on-link prefixes come from
/// router advertisements) and, with `peerdns`, its name servers.
pub fn intent_v6(lease: &LeaseV6, settings: &Settings) -> Applied {
    let mut a = Applied { address: Some((IpAddr::V6(lease.address), 128)), ..Default::default() };
    if settings.peerdns {
        a.dns = lease.dns.iter().map(|&d| IpAddr::V6(d)).collect();
        a.search = lease.search.clone();
    }
    a
}

/// Make the kernel and the files match `record.applied`.
pub(crate) fn configure(paths: &Paths, sock: &mut Socket, record: &Record) -> Result<(), PluginError> {
    let iface = record.interface.as_str();
    let a = &record.applied;
    let kernel = |e| PluginError::from(e).on_interface(iface);
    if let (Some((ip, len)), Some(lease)) = (a.address, &record.lease) {
        let (valid, preferred) = match lease {
            Lease::V4(l) => (l.lease_time, l.lease_time),
            Lease::V6(l) => (l.valid, l.preferred),
        };
        sock.request(nl::add_address(record.ifindex, ip, len, valid, preferred)).map_err(kernel)?;
        for r in &a.routes {
            sock.request(nl::add_route(record.ifindex, r, ip)).map_err(kernel)?;
        }
    }
    refresh_files(paths, iface)?;
    if let Some(h) = &a.hostname {
        host::set_hostname(&h.set).map_err(|e| err(iface, format!("set the host name to {}: {e}", h.set)))?;
    }
    if let Some(d) = &a.nisdomain {
        host::set_nisdomain(&d.set)
            .map_err(|e| err(iface, format!("set the NIS domain to {}: {e}", d.set)))?;
    }
    Ok(())
}

pub(crate) fn refresh_files(paths: &Paths, iface: &str) -> Result<(), PluginError> {
    let records = state::list(paths).map_err(|e| err(iface, format!("reading DHCP lease records: {e}")))?;
    files::refresh(paths, &records).map_err(|m| err(iface, m))
}

/// Stop `interface`'s client of `family`: release, undo, forget.
fn stop(paths: &Paths, interface: &str, family: Family) -> Result<(), PluginError> {
    let Some(record) = state::load(paths, interface, family).map_err(|e| err(interface, e.to_string()))?
    else {
        return Ok(());
    };
    let mut sock = route_socket()?;
    undo(paths, &mut sock, &record, true)?;
    tracing::info!(interface, "{} stopped: {}", family.label(), describe(&record));
    Ok(())
}

/// Undo what `record` configured (what is still there of it) and forget the record; with
/// `release`, first give the lease back to the server. Carries on past failures and reports
/// the first.
pub(crate) fn undo(
    paths: &Paths,
    sock: &mut Socket,
    record: &Record,
    release: bool,
) -> Result<(), PluginError> {
    let iface = record.interface.as_str();
    let mut first: Option<PluginError> = None;
    let mut note = |r: Result<(), PluginError>| {
        if let Err(e) = r {
            tracing::warn!("{e}");
            first.get_or_insert(e);
        }
    };
    let table = LinkTable::dump(sock)?;
    let link = table.by_name(iface).filter(|l| l.index == record.ifindex);
    if let Some(link) = link {
        let addrs =
            nl::dump_addrs(sock, AddrFamily::All).map_err(|e| PluginError::from(e).on_interface(iface))?;
        let ours = |ip: IpAddr, len: u8| -> Option<&Addr> {
            addrs.iter().find(|a| a.index == link.index && a.ip == ip && a.prefix_len == len && a.is_ours())
        };
        let address = record.applied.address.and_then(|(ip, len)| ours(ip, len).map(|_| (ip, len)));
        // Also when the address never made it (a failure half-way): the server should not
        // keep it reserved. mozim sends from the address if it can, else from a packet socket.
        if release && record.lease.is_some() {
            if let Err(m) = give_back(record, link.index, &addrs) {
                tracing::warn!(interface = iface, "{} release not sent: {m}", record.family.label());
            }
        }
        for r in &record.applied.routes {
            note(
                nl::remove(sock, nl::delete_route(link.index, r))
                    .map_err(|e| PluginError::from(e).on_interface(iface)),
            );
        }
        if let Some((ip, len)) = address {
            note(
                nl::remove(sock, nl::delete_address(link.index, ip, len))
                    .map_err(|e| PluginError::from(e).on_interface(iface)),
            );
        }
        for s in record.applied.sysctls.iter().rev() {
            if host::read_sysctl(iface, &s.name).is_ok_and(|v| v == s.set) {
                note(
                    host::write_sysctl(iface, &s.name, &s.previous)
                        .map_err(|e| err(iface, format!("restore {} to {}: {e}", s.name, s.previous))),
                );
            }
        }
    }
    // Put back what was replaced, unless someone has changed it again since.
    if let Some(h) = &record.applied.hostname {
        if host::hostname().is_ok_and(|now| now == h.set) {
            note(
                host::set_hostname(&h.previous)
                    .map_err(|e| err(iface, format!("restore the host name: {e}"))),
            );
        }
    }
    if let Some(d) = &record.applied.nisdomain {
        if host::nisdomain().is_ok_and(|now| now == d.set) {
            note(
                host::set_nisdomain(&d.previous)
                    .map_err(|e| err(iface, format!("restore the NIS domain: {e}"))),
            );
        }
    }
    note(
        state::remove(paths, iface, record.family)
            .map_err(|e| err(iface, format!("removing the lease record: {e}"))),
    );
    note(refresh_files(paths, iface));
    first.map_or(Ok(()), Err)
}

/// Send the RELEASE for `record`'s lease.
fn give_back(record: &Record, index: u32, addrs: &[Addr]) -> Result<(), String> {
    let mac = netplug_plugin_sdk::netlink::parse_mac(&record.mac)
        .and_then(|m| <[u8; 6]>::try_from(m).ok())
        .ok_or("no MAC in the lease record")?;
    let link = Link { name: record.interface.clone(), index, mac };
    match &record.lease {
        Some(Lease::V4(l)) => client::release_v4(&link, l),
        Some(Lease::V6(l)) => {
            let ll: Ipv6Addr =
                nl::link_local(addrs, index).flatten().ok_or("no usable link-local address")?;
            client::release_v6(&link, ll, l)
        }
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests;
