//! Planning: which clients to start, stop and renew, from the desired `<dhcp>`/`<dhcp6>` items
//! and the live ones `read` reported (an interface whose lease record's address is still on
//! the link). Pure: no kernel, no files; [`plan_at`] takes the clock as a parameter.
//!
//! A live client whose settings match the desired ones (all but `timeout`) is left alone, so an
//! apply of the same file does not ask the server again while the lease holds. Different
//! settings stop the client (phase StopDynamic, with the teardown) and start it again (phase
//! Dynamic, after addresses and routes). A running client whose reported `<lease next>` time
//! has come is renewed (phase Dynamic), which is how `netplug daemon` keeps leases: it
//! re-applies the definition when that time comes.

use std::collections::HashSet;

use netplug_plugin_sdk::{items_by_interface, Change, Element, Item, LinkState, Phase};
use serde::{Deserialize, Serialize};

use crate::config::{Family, Settings};
use crate::lease::Reported;

/// A change's payload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum Op {
    /// Start the client `element` asks for; `kind` is the interface's, kept for `read`.
    Start { kind: String, element: Element },
    /// Release the family's lease and undo what it configured.
    Stop { family: Family },
    /// Renew or rebind the family's lease, or ask for a new one once it has run out: what a
    /// client does when its `<lease next>` time comes (see [`crate::lease`]).
    Renew { family: Family },
}

impl Op {
    fn change(&self, interface: &str, phase: Phase, description: String) -> Change {
        Change::new(interface, phase, description, self)
    }
}

fn family_of(item: &Item) -> Option<Family> {
    Family::of_element(&item.element.name)
}

/// The changes that make the clients of the interfaces in `scope` match `desired` now.
pub fn plan(desired: &[Item], live: &[Item], scope: &[String]) -> Vec<Change> {
    plan_at(desired, live, scope, crate::state::now_unix())
}

/// [`plan`] at `now` (wall-clock seconds): a running client whose lease has something due
/// (T1, T2, a retry, its end) is renewed, rebound or restarted.
pub fn plan_at(desired: &[Item], live: &[Item], scope: &[String], now: u64) -> Vec<Change> {
    let desired = items_by_interface(desired);
    let live = items_by_interface(live);
    let mut out = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    for iface in scope {
        if !seen.insert(iface) {
            continue;
        }
        let desired_here = desired.get(iface.as_str()).map_or(&[][..], Vec::as_slice);
        let live_here = live.get(iface.as_str()).map_or(&[][..], Vec::as_slice);
        for family in Family::ALL {
            let want = desired_here
                .iter()
                .copied()
                .filter(|i| family_of(i) == Some(family))
                .find(|i| i.envelope.as_ref().is_none_or(|e| e.state != LinkState::Absent))
                .and_then(|i| Settings::of(&i.element).map(|s| (i, s)))
                // `<dhcp6 autoconf="no" dhcp="no">` runs nothing (validate warns).
                .filter(|(_, s)| s.client || s.autoconf == Some(true));
            let live_item = live_here.iter().copied().find(|i| family_of(i) == Some(family));
            let have = live_item.and_then(|i| Settings::of(&i.element));
            match (want, have) {
                (Some((_, w)), Some(h)) if w.same_lease(&h) => {
                    // The desired `<lease>` (a snapshot's) is history; only the live one counts.
                    let lease = live_item.and_then(|i| Reported::of(&i.element));
                    if let Some(r) = lease.filter(|r| r.due(now)) {
                        let what = r.action(family.label(), now);
                        out.push(Op::Renew { family }.change(iface, Phase::Dynamic, what));
                    }
                }
                (Some((item, w)), have) => {
                    if have.is_some() {
                        let why =
                            format!("stop {} (settings changed): {}", family.label(), undo_text(family));
                        out.push(Op::Stop { family }.change(iface, Phase::StopDynamic, why));
                    }
                    let op = Op::Start { kind: item.kind.clone(), element: item.element.without_spans() };
                    out.push(op.change(iface, Phase::Dynamic, start_text(&w)));
                }
                (None, Some(_)) => {
                    let why = format!("stop {}: {}", family.label(), undo_text(family));
                    out.push(Op::Stop { family }.change(iface, Phase::StopDynamic, why));
                }
                (None, None) => {}
            }
        }
    }
    out
}

fn undo_text(family: Family) -> &'static str {
    match family {
        Family::V4 => "release the lease, remove its address, routes and name servers",
        Family::V6 => "release the lease, remove its address and name servers, restore the SLAAC settings",
    }
}

/// `start DHCPv4 client (no default route, host name web1, timeout 30 s)`.
fn start_text(s: &Settings) -> String {
    let mut notes = Vec::new();
    match s.autoconf {
        Some(true) if !s.client => {
            return "turn on SLAAC (accept router advertisements, autoconf)".to_string()
        }
        Some(true) => notes.push("SLAAC on".to_string()),
        Some(false) => notes.push("SLAAC off".to_string()),
        None => {}
    }
    if let Some(h) = &s.hostname {
        notes.push(format!("host name {h}"));
    }
    if s.family == Family::V4 {
        if !s.setrouting {
            notes.push("no routes".to_string());
        } else if !s.setdefaultroute {
            notes.push("no default route".to_string());
        }
    }
    if s.peerdns {
        notes.push("name servers".to_string());
    }
    notes.push(format!("timeout {} s", s.timeout));
    format!("start {} client ({})", s.family.label(), notes.join(", "))
}

#[cfg(test)]
mod tests {
    use netplug_plugin_sdk::Envelope;

    use super::*;

    fn item(iface: &str, el: Element) -> Item {
        let envelope = Envelope { name: iface.into(), kind: "ethernet".into(), ..Default::default() };
        Item { interface: iface.into(), kind: "ethernet".into(), envelope: Some(envelope), element: el }
    }

    fn dhcp() -> Element {
        Element::new("dhcp")
    }

    fn scope(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn texts(changes: &[Change]) -> Vec<String> {
        changes.iter().map(|c| format!("{} {:?} {}", c.interface, c.phase, c.description)).collect()
    }

    #[test]
    fn starts_what_is_not_running_and_nothing_when_it_is() {
        let want = [item("eth0", dhcp().with_attr("setdefaultroute", "no"))];
        let changes = plan(&want, &[], &scope(&["eth0"]));
        assert_eq!(texts(&changes), ["eth0 Dynamic start DHCPv4 client (no default route, timeout 30 s)"]);
        let op: Op = changes[0].op().unwrap();
        assert_eq!(op, Op::Start { kind: "ethernet".into(), element: want[0].element.clone() });
        assert!(plan(&want, &want, &scope(&["eth0"])).is_empty());
    }

    #[test]
    fn defaults_written_out_and_a_new_timeout_change_nothing() {
        let want = [item("eth0", dhcp().with_attr("timeout", "5").with_attr("peerdns", "no"))];
        let live = [item("eth0", dhcp().with_attr("setrouting", "yes"))];
        assert!(plan(&want, &live, &scope(&["eth0"])).is_empty());
    }

    #[test]
    fn changed_settings_restart_the_client() {
        let want = [item("eth0", dhcp().with_attr("peerdns", "yes").with_attr("hostname", "web1"))];
        let live = [item("eth0", dhcp())];
        assert_eq!(
            texts(&plan(&want, &live, &scope(&["eth0"]))),
            [
                "eth0 StopDynamic stop DHCPv4 (settings changed): release the lease, remove its address, \
                 routes and name servers",
                "eth0 Dynamic start DHCPv4 client (host name web1, name servers, timeout 30 s)",
            ]
        );
    }

    #[test]
    fn removed_absent_or_out_of_scope() {
        let live = [item("eth0", dhcp()), item("eth1", Element::new("dhcp6")), item("eth9", dhcp())];
        let mut absent = item("eth1", Element::new("dhcp6"));
        absent.envelope.as_mut().unwrap().state = LinkState::Absent;
        let changes = plan(&[absent], &live, &scope(&["eth0", "eth1"]));
        assert_eq!(
            texts(&changes),
            [
                "eth0 StopDynamic stop DHCPv4: release the lease, remove its address, routes and name servers",
                "eth1 StopDynamic stop DHCPv6: release the lease, remove its address and name servers, \
                 restore the SLAAC settings",
            ]
        );
        assert_eq!(changes[1].op::<Op>().unwrap(), Op::Stop { family: Family::V6 });
    }

    #[test]
    fn dhcp6_wording_and_the_empty_dhcp6() {
        let cases = [
            (Element::new("dhcp6"), "start DHCPv6 client (SLAAC off, timeout 30 s)"),
            (
                Element::new("dhcp6").with_attr("autoconf", "yes"),
                "start DHCPv6 client (SLAAC on, timeout 30 s)",
            ),
            (
                Element::new("dhcp6").with_attr("autoconf", "yes").with_attr("dhcp", "no"),
                "turn on SLAAC (accept router advertisements, autoconf)",
            ),
        ];
        for (el, text) in cases {
            let changes = plan(&[item("eth0", el)], &[], &scope(&["eth0"]));
            assert_eq!(changes.len(), 1);
            assert_eq!(changes[0].description, text);
        }
        let nothing = Element::new("dhcp6").with_attr("dhcp", "no");
        assert!(plan(&[item("eth0", nothing)], &[], &scope(&["eth0"])).is_empty());
    }

    #[test]
    fn a_due_lease_is_renewed_and_a_snapshots_lease_is_ignored() {
        let lease = |next: u64| {
            Element::new("lease")
                .with_attr("address", "192.0.2.50/24")
                .with_attr("next", next)
                .with_attr("rebind", 1105)
                .with_attr("expires", 1120)
        };
        let want = [item("eth0", dhcp())];
        let live = [item("eth0", dhcp().with_child(lease(1060)))];
        assert!(plan_at(&want, &live, &scope(&["eth0"]), 1059).is_empty());
        let changes = plan_at(&want, &live, &scope(&["eth0"]), 1060);
        assert_eq!(texts(&changes), ["eth0 Dynamic renew DHCPv4 lease 192.0.2.50/24 (T1 passed)"]);
        assert_eq!(changes[0].op::<Op>().unwrap(), Op::Renew { family: Family::V4 });
        // Rolling back to a snapshot taken before a renewal: its old <lease> is no reason to
        // renew again.
        let snapshot = [item("eth0", dhcp().with_child(lease(1000)))];
        let renewed = [item("eth0", dhcp().with_child(lease(2000)))];
        assert!(plan_at(&snapshot, &renewed, &scope(&["eth0"]), 1500).is_empty());
    }

    #[test]
    fn v4_and_v6_are_independent() {
        let want = [item("eth0", dhcp()), item("eth0", Element::new("dhcp6"))];
        let live = [item("eth0", Element::new("dhcp6"))];
        assert_eq!(
            texts(&plan(&want, &live, &scope(&["eth0", "eth0"]))),
            ["eth0 Dynamic start DHCPv4 client (timeout 30 s)"]
        );
    }

    #[test]
    fn interfaces_come_in_scope_order_whatever_the_item_order() {
        let want = [
            item("eth0", dhcp()),
            item("eth1", Element::new("dhcp6")),
            item("eth0", Element::new("dhcp6")),
            item("eth1", dhcp()),
        ];
        let live = [item("eth2", dhcp()), item("eth0", dhcp())];
        assert_eq!(
            texts(&plan(&want, &live, &scope(&["eth2", "eth1", "eth0", "eth1"]))),
            [
                "eth2 StopDynamic stop DHCPv4: release the lease, remove its address, routes and name servers",
                "eth1 Dynamic start DHCPv4 client (timeout 30 s)",
                "eth1 Dynamic start DHCPv6 client (SLAAC off, timeout 30 s)",
                "eth0 Dynamic start DHCPv6 client (SLAAC off, timeout 30 s)",
            ]
        );
    }
}
