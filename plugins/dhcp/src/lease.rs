//! Lease timing: when a lease is renewed (T1), rebound (T2) and lost, when the next attempt is
//! due after one went unanswered, and the `<lease>` element `read` puts inside the `<dhcp>` or
//! `<dhcp6>` it reports. Pure: the clock is a parameter.
//!
//! The `<lease>` element is how the lease leaves the plugin. `plan` plans a renewal when its
//! `next` time has come; `netplug status` prints it; `netplug daemon` sleeps until the earliest
//! `next` of all of them. So neither core nor the CLI knows where or how leases are stored, and
//! what the daemon waits for is exactly what `plan` acts on. Planning compares only the
//! attributes of `<dhcp>`/`<dhcp6>`, never this child, so a snapshot that carries it still
//! restores exactly.

use netplug_plugin_sdk::Element;

use crate::config::Settings;
use crate::state::{Lease, Record};

/// The name of the informational child element.
pub const LEASE: &str = "lease";

/// RFC 2131 4.4.5: after an unanswered renewal or rebinding REQUEST, wait half the time left
/// until T2 (or until the lease ends), but at least this long.
pub const MIN_RETRY_SECS: u64 = 60;

/// How long to wait before asking for a new lease again, once the old one has ended and
/// nobody answered.
pub const REACQUIRE_RETRY_SECS: u64 = 60;

/// A lease's times in wall-clock seconds since 1970; `u64::MAX` for "never" (an infinite
/// lease, RFC 2131's 0xffffffff).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Times {
    pub obtained: u64,
    /// T1: renew with the server that gave the lease.
    pub renew: u64,
    /// T2: rebind with any server.
    pub rebind: u64,
    pub expires: u64,
}

/// Where a lease is in its life at a given moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    Bound,
    Renewing,
    Rebinding,
    Expired,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Bound => "bound",
            Stage::Renewing => "renewing",
            Stage::Rebinding => "rebinding",
            Stage::Expired => "expired",
        }
    }
}

fn at(base: u64, secs: u32) -> u64 {
    if secs == u32::MAX {
        u64::MAX
    } else {
        base + u64::from(secs)
    }
}

impl Times {
    /// The times of `record`'s lease; `None` when it holds none (SLAAC only, or waiting for a
    /// new lease).
    pub fn of(record: &Record) -> Option<Times> {
        let (t1, t2, end) = match record.lease.as_ref()? {
            Lease::V4(l) => (l.t1, l.t2, l.lease_time),
            Lease::V6(l) => (l.t1, l.t2, l.valid),
        };
        let b = record.bound_at;
        Some(Times { obtained: b, renew: at(b, t1), rebind: at(b, t2), expires: at(b, end) })
    }

    pub fn stage(&self, now: u64) -> Stage {
        if now >= self.expires {
            Stage::Expired
        } else if now >= self.rebind {
            Stage::Rebinding
        } else if now >= self.renew {
            Stage::Renewing
        } else {
            Stage::Bound
        }
    }

    /// When to try again after an attempt at `now` went unanswered: half the time left until
    /// T2 while renewing, half the time left until the end while rebinding, at least
    /// [`MIN_RETRY_SECS`] but never past the next stage, where the client acts at once.
    pub fn retry_after(&self, now: u64) -> u64 {
        let boundary = if now < self.rebind { self.rebind } else { self.expires };
        if now >= boundary {
            return now + REACQUIRE_RETRY_SECS;
        }
        let wait = ((boundary - now) / 2).max(MIN_RETRY_SECS);
        now.saturating_add(wait).min(boundary)
    }
}

/// When the client acts next: the pending retry, else T1. `None` when it never has to (an
/// infinite lease, or SLAAC alone, which the kernel runs).
pub fn next_action(record: &Record) -> Option<u64> {
    match Times::of(record) {
        Some(t) => record.retry_at.or((t.renew != u64::MAX).then_some(t.renew)),
        None if runs_client(record) => Some(record.retry_at.unwrap_or(record.bound_at)),
        None => None,
    }
}

/// Whether the record's element asks for a DHCP client (not SLAAC alone).
pub fn runs_client(record: &Record) -> bool {
    Settings::of(&record.element).is_some_and(|s| s.client)
}

/// The `<lease>` element reported for `record` at `now`: state, address, server and times
/// (wall-clock seconds since 1970; a time that never comes is left out). `None` for SLAAC
/// alone.
pub fn element(record: &Record, now: u64) -> Option<Element> {
    let next = next_action(record);
    let Some(t) = Times::of(record) else {
        return next.map(|n| Element::new(LEASE).with_attr("state", "waiting").with_attr("next", n));
    };
    let (address, server) = match record.lease.as_ref()? {
        Lease::V4(l) => (format!("{}/{}", l.address, l.prefix_len), l.server_id.to_string()),
        Lease::V6(l) => (format!("{}/128", l.address), l.server_duid.clone()),
    };
    let mut el = Element::new(LEASE)
        .with_attr("state", t.stage(now).as_str())
        .with_attr("address", address)
        .with_attr("server", server)
        .with_attr("obtained", t.obtained);
    for (name, value) in [("renew", t.renew), ("rebind", t.rebind), ("expires", t.expires)] {
        if value != u64::MAX {
            el.set_attr(name, value);
        }
    }
    if let Some(n) = next {
        el.set_attr("next", n);
    }
    Some(el)
}

/// What `plan` needs from a reported `<lease>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reported {
    pub address: Option<String>,
    pub next: Option<u64>,
    pub rebind: Option<u64>,
    pub expires: Option<u64>,
}

impl Reported {
    /// The `<lease>` inside a reported `<dhcp>`/`<dhcp6>`, if any.
    pub fn of(dhcp: &Element) -> Option<Reported> {
        let el = dhcp.child(LEASE)?;
        let time = |name: &str| el.value(name).and_then(|v| v.parse().ok());
        Some(Reported {
            address: el.value("address").map(str::to_string),
            next: time("next"),
            rebind: time("rebind"),
            expires: time("expires"),
        })
    }

    /// Whether the client has something to do at `now`.
    pub fn due(&self, now: u64) -> bool {
        self.next.is_some_and(|n| now >= n)
    }

    /// What a due client does, for the change's description.
    pub fn action(&self, label: &str, now: u64) -> String {
        let Some(address) = &self.address else {
            return format!("ask again for a {label} lease (the last one ended unanswered)");
        };
        if self.expires.is_some_and(|e| now >= e) {
            format!("ask for a new {label} lease ({address} expired)")
        } else if self.rebind.is_some_and(|r| now >= r) {
            format!("rebind {label} lease {address} with any server (T2 passed)")
        } else {
            format!("renew {label} lease {address} (T1 passed)")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Family;
    use crate::state::{Applied, LeaseV4};

    fn record(t1: u32, t2: u32, lease_time: u32) -> Record {
        Record {
            interface: "eth0".into(),
            kind: "ethernet".into(),
            family: Family::V4,
            element: Element::new("dhcp"),
            ifindex: 2,
            mac: "02:00:00:00:00:01".into(),
            bound_at: 1000,
            lease: Some(Lease::V4(LeaseV4 {
                address: "192.0.2.50".parse().unwrap(),
                prefix_len: 24,
                server_id: "192.0.2.1".parse().unwrap(),
                lease_time,
                t1,
                t2,
                ..Default::default()
            })),
            applied: Applied::default(),
            retry_at: None,
        }
    }

    #[test]
    fn stages_and_the_rfc_2131_retry_schedule() {
        let t = Times::of(&record(3600, 6300, 7200)).unwrap();
        assert_eq!((t.renew, t.rebind, t.expires), (4600, 7300, 8200));
        assert_eq!(t.stage(4599), Stage::Bound);
        assert_eq!(t.stage(4600), Stage::Renewing);
        assert_eq!(t.stage(7300), Stage::Rebinding);
        assert_eq!(t.stage(8200), Stage::Expired);
        // Half the time to T2, then at least a minute, never past T2 or the end.
        assert_eq!(t.retry_after(4600), 4600 + 1350);
        assert_eq!(t.retry_after(7200), 7260, "a minute, still before T2");
        assert_eq!(t.retry_after(7280), 7300);
        assert_eq!(t.retry_after(7300), 7300 + 450);
        assert_eq!(t.retry_after(8190), 8200);
        assert_eq!(t.retry_after(8200), 8200 + REACQUIRE_RETRY_SECS);
    }

    #[test]
    fn next_action_is_t1_then_the_retry() {
        let mut r = record(60, 105, 120);
        assert_eq!(next_action(&r), Some(1060));
        r.retry_at = Some(1080);
        assert_eq!(next_action(&r), Some(1080));
        assert_eq!(next_action(&record(u32::MAX, u32::MAX, u32::MAX)), None, "an infinite lease");
        let mut waiting = record(60, 105, 120);
        waiting.lease = None;
        waiting.retry_at = Some(2000);
        assert_eq!(next_action(&waiting), Some(2000));
        waiting.element = Element::new("dhcp6").with_attr("dhcp", "no").with_attr("autoconf", "yes");
        waiting.family = Family::V6;
        assert_eq!(next_action(&waiting), None, "SLAAC alone is the kernel's");
    }

    #[test]
    fn reported_element_round_trips_into_plan_terms() {
        let el = element(&record(60, 105, 120), 1070).unwrap();
        assert_eq!(el.value("state"), Some("renewing"));
        assert_eq!(el.value("address"), Some("192.0.2.50/24"));
        assert_eq!(el.value("server"), Some("192.0.2.1"));
        assert_eq!(el.value("expires"), Some("1120"));
        let dhcp = Element::new("dhcp").with_child(el);
        let r = Reported::of(&dhcp).unwrap();
        assert!(!r.due(1059) && r.due(1060));
        assert_eq!(r.action("DHCPv4", 1060), "renew DHCPv4 lease 192.0.2.50/24 (T1 passed)");
        assert_eq!(r.action("DHCPv4", 1105), "rebind DHCPv4 lease 192.0.2.50/24 with any server (T2 passed)");
        assert_eq!(r.action("DHCPv4", 1120), "ask for a new DHCPv4 lease (192.0.2.50/24 expired)");
        let forever = element(&record(u32::MAX, u32::MAX, u32::MAX), 5000).unwrap();
        assert_eq!((forever.value("expires"), forever.value("next")), (None, None));
    }
}
