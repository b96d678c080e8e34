//! Planning: per interface in scope, the addresses and gateway routes to add and remove, from
//! the desired and live items alone (no kernel request).
//!
//! Decisions:
//!
//! * **Only netplug's addresses are removed.** An address of another origin stays whatever
//!   the documents say (it is reported with `foreign=`).
//! * **A hand-added address that a document declares is adopted**: re-marked as netplug's
//!   (`NLM_F_REPLACE` with `IFA_PROTO` 176, in place, no traffic lost), so that removing it
//!   from the document later removes it from the interface, as with any declared address.
//!   Only permanent addresses without a protocol are adopted; a DHCP lease or a kernel address
//!   belongs to whoever made it. Planning back to a snapshot hands an adopted address back
//!   (clears the mark) and re-creates a hand-added one that went missing.
//! * **Make before break.** While an interface keeps addresses, new ones are added before old
//!   ones are removed, both in the `Address` phase. IPv4 drops every route through an interface
//!   whose last address goes, so removing first would take the gateway and every `<route>`
//!   through it along. Only when the interface loses all its addresses (or is going away) do
//!   removals run early, in `RemoveAddress`, and not even then when it hands its gateway over
//!   (below).
//! * **Secondaries survive.** Deleting the first IPv4 address of a subnet deletes the others of
//!   that subnet too, unless the interface's `promote_secondaries` is on. When others of the
//!   subnet are to stay, the removal first turns that setting on (as systemd does for every
//!   interface), so the kernel promotes the next address instead. Which address is a subnet's
//!   primary is not in the vocabulary: planning back to a snapshot re-creates a removed primary
//!   as a secondary of the promoted one (same addresses, another source address for the
//!   subnet), and leaves the setting on.
//! * IPv6 addresses are added with duplicate address detection, as the kernel does by
//!   default; a tentative address counts as present, so verification passes at once.
//! * The gateway is a default route of protocol 177 through the interface. **A gateway is
//!   replaced make-before-break**: the new default route is added first, next to the old one
//!   (`NLM_F_CREATE` without `NLM_F_EXCL`, as `ip route prepend`: IPv4 puts it first, IPv6
//!   makes it a multipath sibling), and the old one is removed after every plugin's routes are
//!   in (phase `Dynamic`, the last), so a default route exists at every moment. The same late
//!   removal lets a `<route>` default take over (the routes plugin replaces netplug's own
//!   gateway route in place when the keys meet); the removal then finds nothing, which is
//!   done, not an error. The other way round, a gateway replacing a netplug `<route>` default
//!   of the same key takes it over in place (decided at apply, from a dump of the routes
//!   plugin's default routes), and the routes plugin's late removal finds nothing. Never `NLM_F_REPLACE` here, which could replace a default route of
//!   another origin with the same metric. Only when the interface loses all its addresses (or
//!   goes away) is the gateway removed early (`RemoveRoute`), before the kernel drops it with
//!   the last address, unless another interface gains a gateway of the family in this plan
//!   (eth0 handing over to the bridge br0): then that gateway and every address of the
//!   interface go last (`Dynamic`), after the new gateway is in, since IPv4 would drop the
//!   gateway with the last address; what the kernel dropped meanwhile (the interface deleted,
//!   its IPv6 addresses flushed) is done.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use netplug_plugin_sdk::ip::{self, Prefix};
use netplug_plugin_sdk::{items_by_interface, Change, Element, Item, Phase, PluginError};

use crate::apply::StaticOp;
use crate::config::DEFAULT_IPV6_LEN;
use crate::read::{Origin, FOREIGN};

/// What one `<static>` item says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Parsed {
    pub addresses: Vec<Prefix>,
    pub gateway: Option<IpAddr>,
    pub origin: Option<Origin>,
}

/// Read a `<static>` element. Validation has run on documents, so an error here means an item
/// that never went through it (a snapshot edited by hand).
pub fn parse(el: &Element) -> Result<Parsed, String> {
    let mut out = Parsed { origin: Some(Origin::from_marker(el.value(FOREIGN))), ..Parsed::default() };
    for attr in ["ipaddr", "ip6addr"] {
        let Some(text) = el.value(attr) else { continue };
        let (addr, len) = ip::parse_cidr(text).map_err(|why| format!("invalid {attr} `{text}`: {why}"))?;
        let len = match (len, addr, el.value("netmask")) {
            (Some(l), _, _) => l,
            (None, IpAddr::V4(_), Some(m)) => {
                ip::netmask_to_len(m).map_err(|why| format!("invalid netmask: {why}"))?
            }
            (None, IpAddr::V4(_), None) => return Err(format!("{attr} `{text}` has no prefix length")),
            (None, IpAddr::V6(_), _) => DEFAULT_IPV6_LEN,
        };
        out.addresses.push(Prefix { addr, len });
    }
    if let Some(g) = el.value("gateway") {
        out.gateway = Some(ip::parse_addr(g).map_err(|why| format!("invalid gateway `{g}`: {why}"))?);
    }
    Ok(out)
}

/// One side of an interface: its addresses with their origin, in item order, and its gateways
/// per family (`[IPv4, IPv6]`).
#[derive(Clone, Debug, Default)]
struct Side {
    addresses: Vec<(Prefix, Origin)>,
    /// Where each address is in `addresses`, so lookups stay constant-time however many
    /// addresses an interface has.
    at: HashMap<Prefix, usize>,
    gateways: [Vec<IpAddr>; 2],
}

impl Side {
    fn origin(&self, p: &Prefix) -> Option<Origin> {
        self.at.get(p).map(|&i| self.addresses[i].1)
    }
}

fn side<'a>(items: impl Iterator<Item = &'a Item>, name: &str) -> Result<Side, PluginError> {
    let mut s = Side::default();
    for item in items {
        let p = parse(&item.element)
            .map_err(|why| PluginError::new(format!("<static>: {why}")).on_interface(name))?;
        let origin = p.origin.unwrap_or(Origin::Netplug);
        for a in p.addresses {
            if let Entry::Vacant(slot) = s.at.entry(a) {
                slot.insert(s.addresses.len());
                s.addresses.push((a, origin));
            }
        }
        if let Some(g) = p.gateway {
            let list = &mut s.gateways[usize::from(g.is_ipv6())];
            if !list.contains(&g) {
                list.push(g);
            }
        }
    }
    Ok(s)
}

/// The changes that turn `live` into `desired` for the interfaces in `scope`.
pub fn plan(desired: &[Item], live: &[Item], scope: &[String]) -> Result<Vec<Change>, PluginError> {
    let desired = items_by_interface(desired.iter().filter(|i| !i.is_absent()));
    let live = items_by_interface(live.iter());
    // Which families have a netplug gateway live anywhere: a new gateway is added beside it.
    let mut gateway_families = [false; 2];
    for g in live.values().flatten().filter_map(|i| i.element.value("gateway")) {
        gateway_families[usize::from(g.contains(':'))] = true;
    }
    let mut sides = Vec::new();
    let mut seen = HashSet::new();
    for name in scope {
        if !seen.insert(name.as_str()) {
            continue;
        }
        let want = side(desired.get(name.as_str()).into_iter().flatten().copied(), name)?;
        let have = side(live.get(name.as_str()).into_iter().flatten().copied(), name)?;
        sides.push((name.as_str(), want, have));
    }
    // Per family, the interfaces this plan gives a new gateway: one losing its gateway and all
    // its addresses may be handing them over (eth0 to the bridge br0 that takes its place).
    let mut gaining: [HashSet<&str>; 2] = Default::default();
    for (name, want, have) in &sides {
        for (f, gaining) in gaining.iter_mut().enumerate() {
            if want.gateways[f].first().is_some_and(|g| !have.gateways[f].contains(g)) {
                gaining.insert(*name);
            }
        }
    }
    let mut out = Vec::new();
    for (name, want, have) in &sides {
        let handed_over = [0, 1].map(|f| gaining[f].iter().any(|other| other != name));
        plan_interface(name, want, have, gateway_families, handed_over, &mut out);
    }
    out.sort_by_key(|c| c.phase);
    Ok(out)
}

/// `handed_over` per family: whether another interface gains a gateway of that family in this
/// plan, so that one losing its own with all its addresses keeps both until the new one is in.
fn plan_interface(
    name: &str,
    want: &Side,
    have: &Side,
    gateway_families: [bool; 2],
    handed_over: [bool; 2],
    out: &mut Vec<Change>,
) {
    let origin_in = |side: &Side, p: &Prefix| side.origin(p);
    let wanted: Vec<Prefix> =
        want.addresses.iter().filter(|(_, o)| *o == Origin::Netplug).map(|(p, _)| *p).collect();
    let op = |op: StaticOp, phase: Phase, what: String| op.change(name, phase, what);

    // Gateways: additions once addresses are there; removals after every route is in while
    // the interface keeps addresses (make before break), early when it loses them all, unless
    // another interface takes the gateway over: then the gateway and the addresses go last,
    // after the new gateway is in (IPv4 would drop the gateway with the last address).
    let keeps_addresses = !want.addresses.is_empty();
    let mut hands_over = false;
    for (f, family) in ["IPv4", "IPv6"].iter().enumerate() {
        let (want_gw, have_gw) = (&want.gateways[f], &have.gateways[f]);
        let keep = want_gw.first();
        for g in have_gw.iter().filter(|g| Some(*g) != keep) {
            let late = keeps_addresses || handed_over[f];
            hands_over |= !keeps_addresses && handed_over[f];
            let remove = StaticOp::RemoveGateway { name: name.into(), gateway: *g, after_replacement: late };
            let phase = if late { Phase::Dynamic } else { Phase::RemoveRoute };
            out.push(op(remove, phase, format!("remove {family} gateway {g}")));
        }
        if let Some(g) = keep.filter(|g| !have_gw.contains(g)) {
            // Next to an old gateway that goes only later, or one on another interface.
            let beside = gateway_families[f];
            let add = StaticOp::AddGateway { name: name.into(), gateway: *g, beside_own: beside };
            out.push(op(add, Phase::Route, format!("add {family} gateway {g}")));
        }
    }

    // Addresses to add, adopt, hand back or restore.
    let mut adds: Vec<Prefix> = Vec::new();
    for p in &wanted {
        match origin_in(have, p) {
            None => {
                adds.push(*p);
                let add = StaticOp::AddAddress {
                    name: name.into(),
                    address: p.addr,
                    prefix_len: p.len,
                    proto: Origin::Netplug.proto(),
                };
                out.push(op(add, Phase::Address, format!("add address {p}")));
            }
            Some(Origin::Manual) => {
                let mark = StaticOp::MarkAddress {
                    name: name.into(),
                    address: p.addr,
                    prefix_len: p.len,
                    proto: Origin::Netplug.proto(),
                };
                out.push(op(mark, Phase::Address, format!("adopt address {p} (added outside netplug)")));
            }
            Some(_) => {}
        }
    }
    for (p, origin) in want.addresses.iter().filter(|(_, o)| *o == Origin::Manual) {
        match origin_in(have, p) {
            Some(Origin::Netplug) => {
                let mark = StaticOp::MarkAddress {
                    name: name.into(),
                    address: p.addr,
                    prefix_len: p.len,
                    proto: origin.proto(),
                };
                out.push(op(mark, Phase::Address, format!("hand back address {p} (added outside netplug)")));
            }
            None => {
                adds.push(*p);
                let add = StaticOp::AddAddress {
                    name: name.into(),
                    address: p.addr,
                    prefix_len: p.len,
                    proto: origin.proto(),
                };
                out.push(op(add, Phase::Address, format!("restore address {p} (added outside netplug)")));
            }
            Some(_) => {}
        }
    }

    // Removals: netplug's addresses no document (or snapshot) has, the later first so that
    // secondaries go before their primary.
    let keep_any = !want.addresses.is_empty();
    let gone: HashSet<Prefix> = have
        .addresses
        .iter()
        .filter(|(p, o)| *o == Origin::Netplug && origin_in(want, p).is_none())
        .map(|(p, _)| *p)
        .collect();
    if gone.is_empty() {
        return;
    }
    // Per IPv4 subnet: where its first address (the primary) is, and its last one that stays.
    let mut primary_at: HashMap<Prefix, usize> = HashMap::new();
    let mut last_kept_at: HashMap<Prefix, usize> = HashMap::new();
    for (i, (q, _)) in have.addresses.iter().enumerate().filter(|(_, (q, _))| q.is_ipv4()) {
        primary_at.entry(q.subnet()).or_insert(i);
        if !gone.contains(q) {
            last_kept_at.insert(q.subnet(), i);
        }
    }
    let added_subnets: HashSet<Prefix> = adds.iter().filter(|a| a.is_ipv4()).map(Prefix::subnet).collect();
    let mut added_lens: HashMap<IpAddr, Vec<u8>> = HashMap::new();
    for a in &adds {
        added_lens.entry(a.addr).or_default().push(a.len);
    }
    for (i, (p, _)) in have.addresses.iter().enumerate().rev() {
        if !gone.contains(p) {
            continue;
        }
        // An IPv6 address is one per interface whatever its length: make room for the new one.
        let collides = added_lens.get(&p.addr).is_some_and(|lens| lens.iter().any(|&l| l != p.len));
        let late = hands_over;
        let early = !late && (!keep_any || (collides && !p.is_ipv4()));
        let subnet = p.subnet();
        let primary = p.is_ipv4() && primary_at.get(&subnet) == Some(&i);
        let survivors = p.is_ipv4()
            && (last_kept_at.get(&subnet).is_some_and(|&j| j > i)
                || (!early && added_subnets.contains(&subnet)));
        let remove = StaticOp::RemoveAddress {
            name: name.into(),
            address: p.addr,
            prefix_len: p.len,
            promote: primary && survivors,
            after_replacement: late,
        };
        let phase = if late {
            Phase::Dynamic
        } else if early {
            Phase::RemoveAddress
        } else {
            Phase::Address
        };
        out.push(op(remove, phase, format!("remove address {p}")));
    }
}

impl StaticOp {
    /// Package as a [`Change`] for `interface` in `phase`.
    pub fn change(self, interface: &str, phase: Phase, description: String) -> Change {
        Change::new(interface, phase, description, &self)
    }
}

#[cfg(test)]
mod tests;
