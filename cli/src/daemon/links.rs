//! Which links exist and which have carrier, and what changed: the input for bringing up
//! `hotplug` interfaces when their device appears and `ifplug` ones when carrier comes.
//!
//! Notifications are only a trigger here: on any batch of them the daemon dumps the links
//! again and compares with what it saw before. So a notification that is stale by the time it
//! is read, or lost when the socket's buffer overflowed (`ENOBUFS`), can never leave the
//! daemon believing something false; a flap faster than one dump is simply not seen, and
//! nothing needs doing about it.

use std::collections::HashMap;

use netplug_netlink::linux_raw_sys::netlink::RTMGRP_LINK;
use netplug_netlink::{Error, Socket};

/// One link as the daemon tracks it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    pub index: u32,
    pub name: String,
    /// `IFF_LOWER_UP`.
    pub carrier: bool,
}

/// A change between two dumps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// A link with this name appeared (a new device, or one renamed to the name).
    Appeared { name: String, carrier: bool },
    /// Carrier came (`true`) or went on a link seen before.
    Carrier { name: String, up: bool },
    /// The link went away (or was renamed away from the name).
    Gone { name: String },
}

/// The links of the last dump, by interface index.
#[derive(Clone, Debug, Default)]
pub struct Links {
    by_index: HashMap<u32, Seen>,
}

impl Links {
    /// Whether a link called `name` exists, and its carrier.
    pub fn carrier(&self, name: &str) -> Option<bool> {
        self.by_index.values().find(|s| s.name == name).map(|s| s.carrier)
    }

    /// Take `now` as the current state and say what changed since the last call.
    pub fn update(&mut self, now: Vec<Seen>) -> Vec<Change> {
        let mut changes = Vec::new();
        let mut next = HashMap::with_capacity(now.len());
        for s in now {
            match self.by_index.remove(&s.index) {
                Some(old) if old.name == s.name => {
                    if old.carrier != s.carrier {
                        changes.push(Change::Carrier { name: s.name.clone(), up: s.carrier });
                    }
                }
                Some(old) => {
                    changes.push(Change::Gone { name: old.name });
                    changes.push(Change::Appeared { name: s.name.clone(), carrier: s.carrier });
                }
                None => changes.push(Change::Appeared { name: s.name.clone(), carrier: s.carrier }),
            }
            next.insert(s.index, s);
        }
        let mut gone: Vec<Seen> = self.by_index.drain().map(|(_, s)| s).collect();
        gone.sort_by_key(|s| s.index);
        // Gone first: a device replaced under the same name is gone, then appeared.
        let mut out: Vec<Change> = gone.into_iter().map(|s| Change::Gone { name: s.name }).collect();
        out.append(&mut changes);
        self.by_index = next;
        out
    }
}

/// Every link in the namespace, with its carrier (one dump on `sock`).
pub fn dump(sock: &mut Socket) -> Result<Vec<Seen>, Error> {
    Ok(sock
        .dump_links()?
        .into_iter()
        .map(|l| Seen { carrier: l.is_lower_up(), index: l.index, name: l.name })
        .collect())
}

/// The socket link notifications (`RTM_NEWLINK`, `RTM_DELLINK`) arrive on.
pub struct Watcher {
    sock: Socket,
}

impl Watcher {
    pub fn open() -> Result<Watcher, Error> {
        Ok(Watcher { sock: Socket::route_events(RTMGRP_LINK)? })
    }

    pub fn fd(&self) -> std::os::fd::RawFd {
        use std::os::fd::AsRawFd;
        self.sock.as_raw_fd()
    }

    /// Read every queued notification; how many there were. Lost notifications (`ENOBUFS`)
    /// count as one: the caller dumps anyway.
    pub fn drain(&mut self) -> Result<usize, Error> {
        match self.sock.recv_events(|_| {}) {
            Err(e) if e.errno == Some(libc::ENOBUFS) => {
                tracing::debug!("link notifications were lost (receive buffer full); dumping");
                Ok(1 + self.sock.recv_events(|_| {}).unwrap_or(0))
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(index: u32, name: &str, carrier: bool) -> Seen {
        Seen { index, name: name.into(), carrier }
    }

    #[test]
    fn appear_carrier_rename_and_replace() {
        let mut links = Links::default();
        let first = links.update(vec![seen(1, "lo", true), seen(2, "eth0", false)]);
        assert_eq!(first.len(), 2, "everything appears on the first dump");
        assert_eq!(links.carrier("eth0"), Some(false));
        assert!(links.update(vec![seen(1, "lo", true), seen(2, "eth0", false)]).is_empty());
        assert_eq!(
            links.update(vec![seen(1, "lo", true), seen(2, "eth0", true), seen(3, "hp0", false)]),
            [
                Change::Carrier { name: "eth0".into(), up: true },
                Change::Appeared { name: "hp0".into(), carrier: false }
            ]
        );
        // Renamed: the old name is gone, the new one appears.
        assert_eq!(
            links.update(vec![seen(1, "lo", true), seen(2, "wan", true), seen(3, "hp0", false)]),
            [Change::Gone { name: "eth0".into() }, Change::Appeared { name: "wan".into(), carrier: true }]
        );
        // Replaced under the same name (a new index): gone, then appeared.
        assert_eq!(
            links.update(vec![seen(1, "lo", true), seen(2, "wan", true), seen(4, "hp0", true)]),
            [Change::Gone { name: "hp0".into() }, Change::Appeared { name: "hp0".into(), carrier: true }]
        );
        assert_eq!(links.carrier("eth0"), None);
    }

    #[test]
    fn notifications_arrive_and_a_dump_sees_the_new_link() {
        use netplug_netlink::LinkMessage;
        netplug_netlink::testing::in_new_netns(|| {
            let mut watcher = Watcher::open().unwrap();
            let mut sock = Socket::route().unwrap();
            let mut links = Links::default();
            links.update(dump(&mut sock).unwrap());
            assert_eq!(watcher.drain().unwrap(), 0);
            sock.request(LinkMessage::create("ev0", "veth").veth_peer("ev1").build()).unwrap();
            let ready = super::super::signals::wait(&[watcher.fd()], 2000).unwrap();
            assert_eq!(ready, [true]);
            assert!(watcher.drain().unwrap() >= 1);
            let changes = links.update(dump(&mut sock).unwrap());
            assert!(
                changes.contains(&Change::Appeared { name: "ev0".into(), carrier: false }),
                "{changes:?}"
            );
        });
    }
}
