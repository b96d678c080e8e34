//! Keeping a lease: what a `renew` change does when a client's `<lease next>` time has come
//! (see [`crate::lease`]). Before T2 it renews with the server that gave the lease, before
//! the end it rebinds with any server, after the end it asks for a new lease.
//!
//! An unanswered renewal is not a failed change: the lease and its address stay valid, and the
//! client tries again later (RFC 2131 4.4.5), which it records as the lease's `retry_at`. Failing
//! the change instead would make core roll back whatever else the same apply did (a hotplug
//! interface coming up) for a server that is merely slow. Likewise a lease that ran out with no
//! server answering leaves a waiting record that is asked again every minute.

use netplug_plugin_sdk::netlink::LinkTable;
use netplug_plugin_sdk::netlink::{Family as AddrFamily, Socket};
use netplug_plugin_sdk::PluginError;

use crate::apply::{self, err};
use crate::client;
use crate::config::{Family, Settings};
use crate::host;
use crate::lease::{Times, REACQUIRE_RETRY_SECS};
use crate::netlink as nl;
use crate::state::{self, now_unix, Applied, Lease, Paths, Record};

/// Renew, rebind or re-acquire `interface`'s `family` lease, as its time says.
pub fn renew(paths: &Paths, interface: &str, family: Family) -> Result<(), PluginError> {
    let Some(record) = state::load(paths, interface, family).map_err(|e| err(interface, e.to_string()))?
    else {
        return Ok(()); // stopped since the plan was made
    };
    let now = now_unix();
    let Some(times) = Times::of(&record).filter(|t| now < t.expires) else {
        return reacquire(paths, &record, now);
    };
    let mut sock = apply::route_socket()?;
    let table = LinkTable::dump(&mut sock)?;
    let link = apply::client_link(&table, interface, family)?;
    if link.index != record.ifindex {
        // The device was replaced: its address went with the old one.
        return reacquire(paths, &record, now);
    }
    let settings = Settings::of(&record.element).ok_or_else(|| {
        err(interface, format!("<{}> in the lease record is not DHCP", record.element.name))
    })?;
    let got = match &record.lease {
        Some(Lease::V4(l)) => client::renew_v4(&link, &settings, l, &times, now).map(Lease::V4),
        Some(Lease::V6(l)) => {
            let addrs = nl::dump_addrs(&mut sock, AddrFamily::V6)
                .map_err(|e| PluginError::from(e).on_interface(interface))?;
            match nl::link_local(&addrs, link.index).flatten() {
                Some(ll) => client::renew_v6(&link, ll, l, &times, now).map(Lease::V6),
                None => Err("no usable IPv6 link-local address to speak from".to_string()),
            }
        }
        None => unreachable!("Times::of needs a lease"),
    };
    match got {
        Ok(lease) => rebound(paths, &mut sock, record, lease, &settings, now),
        Err(why) => {
            let retry = times.retry_after(now);
            let stage = times.stage(now).as_str();
            tracing::warn!(
                interface,
                "{} {stage}: {why}; the lease holds until {}, trying again in {} s",
                family.label(),
                times.expires,
                retry - now
            );
            apply::save(paths, &Record { retry_at: Some(retry), ..record })
        }
    }
}

/// The server extended the lease: refresh the address's lifetimes in place (no moment without
/// it), or, when the server changed what the lease says (address, routes, name servers),
/// undo the old configuration and apply the new one.
fn rebound(
    paths: &Paths,
    sock: &mut Socket,
    old: Record,
    lease: Lease,
    settings: &Settings,
    now: u64,
) -> Result<(), PluginError> {
    let iface = old.interface.clone();
    let applied = match &lease {
        Lease::V4(l) => {
            let mut a = apply::intent_v4(
                l,
                settings,
                &host::hostname().unwrap_or_default(),
                &host::nisdomain().unwrap_or_default(),
            );
            // The names netplug set are current now, so the intent records nothing to replace;
            // keep what they replaced, for removal to put back.
            if old.applied.hostname.as_ref().is_some_and(|h| l.hostname.as_ref() == Some(&h.set)) {
                a.hostname = old.applied.hostname.clone();
            }
            if old.applied.nisdomain.as_ref().is_some_and(|d| l.nis_domain.as_ref() == Some(&d.set)) {
                a.nisdomain = old.applied.nisdomain.clone();
            }
            a
        }
        Lease::V6(l) => Applied { sysctls: old.applied.sysctls.clone(), ..apply::intent_v6(l, settings) },
    };
    let new = Record { lease: Some(lease), bound_at: now, applied, retry_at: None, ..old.clone() };
    if new.applied == old.applied {
        apply::save(paths, &new)?;
        if let (Some((ip, len)), Some((valid, preferred))) = (new.applied.address, lifetimes(&new)) {
            sock.request(nl::refresh_address(new.ifindex, ip, len, valid, preferred))
                .map_err(|e| PluginError::from(e).on_interface(&iface))?;
        }
        tracing::info!(interface = %iface, "{} renewed: {}", new.family.label(), summary(&new));
        return Ok(());
    }
    tracing::info!(interface = %iface, "{} renewed with different settings: reconfiguring", new.family.label());
    apply::undo(paths, sock, &old, false)?;
    apply::save(paths, &new)?;
    if let Err(e) = apply::configure(paths, sock, &new) {
        let _ = apply::undo(paths, sock, &new, true);
        return Err(e);
    }
    tracing::info!(interface = %iface, "{} renewed: {}", new.family.label(), summary(&new));
    Ok(())
}

/// Ask for a new lease after the old one ended (or the device was replaced). If no server
/// answers, keep a waiting record (no lease, nothing configured) so the client stays reported
/// and is asked again in [`REACQUIRE_RETRY_SECS`].
fn reacquire(paths: &Paths, record: &Record, now: u64) -> Result<(), PluginError> {
    let iface = record.interface.as_str();
    match apply::start(paths, iface, &record.kind, &record.element) {
        Ok(()) => Ok(()),
        Err(e) => {
            tracing::warn!(interface = iface, "{e}; asking again in {REACQUIRE_RETRY_SECS} s");
            let waiting = Record {
                lease: None,
                applied: Applied::default(),
                retry_at: Some(now_unix().max(now) + REACQUIRE_RETRY_SECS),
                ..record.clone()
            };
            apply::save(paths, &waiting)
        }
    }
}

/// The (valid, preferred) lifetimes a record's address gets.
fn lifetimes(record: &Record) -> Option<(u32, u32)> {
    match record.lease.as_ref()? {
        Lease::V4(l) => Some((l.lease_time, l.lease_time)),
        Lease::V6(l) => Some((l.valid, l.preferred)),
    }
}

fn summary(record: &Record) -> String {
    match (&record.applied.address, Times::of(record)) {
        (Some((ip, len)), Some(t)) => format!("{ip}/{len} until {}", t.expires),
        _ => "no address".to_string(),
    }
}
