//! The bond's vocabulary — its attributes, their defaults and `<slave>` — and the rules the kernel
//! would otherwise enforce only at apply time, or work around silently.
//!
//! Ranges, names and mode restrictions follow `drivers/net/bonding/bond_options.c`: an option
//! whose `unsuppmodes` mask excludes the bond's mode is refused with EACCES, so it is an error
//! here; an option the kernel accepts but ignores in that mode is a warning.

use std::collections::HashMap;
use std::net::Ipv4Addr;

use netplug_plugin_sdk::schema::{self, AttrSpec, ValueKind, ENVELOPE_ATTRIBUTES, FEATURE_ELEMENTS};
use netplug_plugin_sdk::{Attribute, Dependency, Diagnostic, Element, Item, Relation, Span, Validation};

use crate::values::{
    AdSelect, ArpAllTargets, ArpValidate, BondMode, FailOverMac, LacpRate, PrimaryReselect, XmitHashPolicy,
};

/// The kernel stores millisecond options in an `int`.
const MS: ValueKind = ValueKind::Uint { min: 0, max: i32::MAX as u32, unit: "milliseconds" };

/// The kernel's BOND_MAX_ARP_TARGETS.
pub const MAX_ARP_TARGETS: usize = 16;

/// MII monitoring interval the kernel turns on when a bond enters a mode that cannot use ARP
/// monitoring (BOND_DEFAULT_MIIMON, `bond_option_mode_set`).
pub const DEFAULT_MIIMON_NON_ARP: u32 = 100;

const fn spec(name: &'static str, help: &'static str, kind: ValueKind, default: &'static str) -> AttrSpec {
    AttrSpec { name, help, kind, default: Some(default) }
}

pub const MODE: AttrSpec =
    spec("mode", "how traffic is spread over the slaves", BondMode::VALUES, "balance-rr");
pub const MIIMON: AttrSpec = spec("miimon", "MII link check interval; 0 turns MII monitoring off", MS, "0");
pub const UPDELAY: AttrSpec = spec("updelay", "wait before using a slave whose link came up", MS, "0");
pub const DOWNDELAY: AttrSpec =
    spec("downdelay", "wait before dropping a slave whose link went down", MS, "0");
pub const PEER_NOTIF_DELAY: AttrSpec =
    spec("peer_notif_delay", "delay between peer notifications after a failover", MS, "0");
pub const USE_CARRIER: AttrSpec =
    spec("use_carrier", "MII monitoring reads the carrier state, not MII registers", ValueKind::Bool, "yes");
pub const ARP_INTERVAL: AttrSpec = spec("arp_interval", "ARP link check interval; 0 turns it off", MS, "0");
pub const ARP_IP_TARGET: AttrSpec = AttrSpec {
    name: "arp_ip_target",
    help: "addresses ARP monitoring probes",
    kind: ValueKind::Other("up to 16 IPv4 addresses, separated by commas or spaces"),
    default: None,
};
pub const ARP_VALIDATE: AttrSpec =
    spec("arp_validate", "which ARP traffic proves a slave is up", ArpValidate::VALUES, "none");
pub const ARP_ALL_TARGETS: AttrSpec =
    spec("arp_all_targets", "a slave is down when any or all targets fail", ArpAllTargets::VALUES, "any");
pub const ARP_MISSED_MAX: AttrSpec = spec(
    "arp_missed_max",
    "ARP intervals missed before a slave is down",
    ValueKind::Uint { min: 1, max: 255, unit: "" },
    "2",
);
pub const PRIMARY_RESELECT: AttrSpec =
    spec("primary_reselect", "when the primary slave takes over again", PrimaryReselect::VALUES, "always");
pub const FAIL_OVER_MAC: AttrSpec =
    spec("fail_over_mac", "MAC handling on active-backup failover", FailOverMac::VALUES, "none");
pub const XMIT_HASH_POLICY: AttrSpec =
    spec("xmit_hash_policy", "header fields that choose a slave", XmitHashPolicy::VALUES, "layer2");
pub const RESEND_IGMP: AttrSpec = spec(
    "resend_igmp",
    "IGMP reports sent after a failover",
    ValueKind::Uint { min: 0, max: 255, unit: "" },
    "1",
);
pub const NUM_GRAT_ARP: AttrSpec = spec(
    "num_grat_arp",
    "peer notifications sent after a failover",
    ValueKind::Uint { min: 0, max: 255, unit: "" },
    "1",
);
pub const NUM_UNSOL_NA: AttrSpec = spec(
    "num_unsol_na",
    "the same setting as num_grat_arp, by its IPv6 name",
    ValueKind::Uint { min: 0, max: 255, unit: "" },
    "1",
);
pub const ALL_SLAVES_ACTIVE: AttrSpec =
    spec("all_slaves_active", "deliver frames received on inactive slaves", ValueKind::Bool, "no");
pub const MIN_LINKS: AttrSpec = spec(
    "min_links",
    "slaves that must be up for the bond to have carrier",
    ValueKind::Uint { min: 0, max: i32::MAX as u32, unit: "" },
    "0",
);
pub const LP_INTERVAL: AttrSpec = spec(
    "lp_interval",
    "interval of learning packets to the peer switch",
    ValueKind::Uint { min: 1, max: i32::MAX as u32, unit: "seconds" },
    "1",
);
pub const PACKETS_PER_SLAVE: AttrSpec = spec(
    "packets_per_slave",
    "packets sent on a slave before moving to the next; 0 picks at random",
    ValueKind::Uint { min: 0, max: 65535, unit: "" },
    "1",
);
pub const LACP_ACTIVE: AttrSpec =
    spec("lacp_active", "send LACPDUs, not only answer them", ValueKind::Bool, "yes");
pub const LACP_RATE: AttrSpec =
    spec("lacp_rate", "LACPDU rate asked of the partner", LacpRate::VALUES, "slow");
pub const AD_SELECT: AttrSpec =
    spec("ad_select", "how the active aggregator is chosen", AdSelect::VALUES, "stable");
pub const AD_ACTOR_SYS_PRIO: AttrSpec = spec(
    "ad_actor_sys_prio",
    "LACP system priority",
    ValueKind::Uint { min: 1, max: 65535, unit: "" },
    "65535",
);
pub const AD_USER_PORT_KEY: AttrSpec = spec(
    "ad_user_port_key",
    "upper bits of the LACP port key",
    ValueKind::Uint { min: 0, max: 1023, unit: "" },
    "0",
);
pub const AD_ACTOR_SYSTEM: AttrSpec = AttrSpec {
    name: "ad_actor_system",
    help: "LACP system MAC address; the bond's own when absent",
    kind: ValueKind::Other("a unicast MAC address"),
    default: None,
};
pub const TLB_DYNAMIC_LB: AttrSpec =
    spec("tlb_dynamic_lb", "rebalance flows by load, not only by hash", ValueKind::Bool, "yes");

/// Every attribute of `<bond>` besides the envelope's.
pub const ATTRIBUTES: &[AttrSpec] = &[
    MODE,
    MIIMON,
    UPDELAY,
    DOWNDELAY,
    PEER_NOTIF_DELAY,
    USE_CARRIER,
    ARP_INTERVAL,
    ARP_IP_TARGET,
    ARP_VALIDATE,
    ARP_ALL_TARGETS,
    ARP_MISSED_MAX,
    PRIMARY_RESELECT,
    FAIL_OVER_MAC,
    XMIT_HASH_POLICY,
    RESEND_IGMP,
    NUM_GRAT_ARP,
    NUM_UNSOL_NA,
    ALL_SLAVES_ACTIVE,
    MIN_LINKS,
    LP_INTERVAL,
    PACKETS_PER_SLAVE,
    LACP_ACTIVE,
    LACP_RATE,
    AD_SELECT,
    AD_ACTOR_SYS_PRIO,
    AD_USER_PORT_KEY,
    AD_ACTOR_SYSTEM,
    TLB_DYNAMIC_LB,
];

pub const SLAVE_DEVICE: AttrSpec = AttrSpec {
    name: "device",
    help: "the interface to enslave",
    kind: ValueKind::Other("an interface name"),
    default: None,
};
pub const SLAVE_PRIMARY: AttrSpec =
    spec("primary", "prefer this slave (active-backup, balance-tlb, balance-alb)", ValueKind::Bool, "no");

/// The attributes of `<slave>`.
pub const SLAVE_ATTRIBUTES: &[AttrSpec] = &[SLAVE_DEVICE, SLAVE_PRIMARY];

/// The children of `<bond>` this plugin owns.
pub const CHILDREN: &[&str] = &["slave"];

use BondMode::{ActiveBackup, BalanceAlb, BalanceRr, BalanceTlb, BalanceXor, Broadcast, Ieee8023Ad};

/// The modes that can use ARP monitoring.
const ARP_MODES: &[BondMode] = &[BalanceRr, ActiveBackup, BalanceXor, Broadcast];

/// Options the kernel refuses outside these modes (their `unsuppmodes` masks).
const REFUSED_OUTSIDE: &[(&str, &[BondMode])] = &[
    ("arp_interval", ARP_MODES),
    ("arp_validate", ARP_MODES),
    ("arp_missed_max", ARP_MODES),
    ("packets_per_slave", &[BalanceRr]),
    ("lacp_active", &[Ieee8023Ad]),
    ("lacp_rate", &[Ieee8023Ad]),
    ("ad_actor_sys_prio", &[Ieee8023Ad]),
    ("ad_actor_system", &[Ieee8023Ad]),
    ("ad_user_port_key", &[Ieee8023Ad]),
    ("tlb_dynamic_lb", &[BalanceTlb, BalanceAlb]),
];

/// Options the kernel stores in any mode but uses only in these (Documentation/networking/
/// bonding.rst), so setting them elsewhere is likely a mistake.
const IGNORED_OUTSIDE: &[(&str, &[BondMode])] = &[
    ("xmit_hash_policy", &[BalanceXor, Ieee8023Ad, BalanceTlb]),
    ("ad_select", &[Ieee8023Ad]),
    ("min_links", &[Ieee8023Ad]),
    ("fail_over_mac", &[ActiveBackup]),
    ("lp_interval", &[BalanceTlb, BalanceAlb]),
];

/// The modes in which `primary` is honoured (`BOND_OPT_PRIMARY`'s `unsuppmodes`). The rule we
/// started from said "primary only on active-backup", but the kernel also uses the primary
/// slave in balance-tlb and balance-alb (it picks the slave that receives), so those are
/// accepted without comment.
const PRIMARY_MODES: &[BondMode] = &[ActiveBackup, BalanceTlb, BalanceAlb];

/// Whether the kernel refuses `option` in `mode` (its `unsuppmodes` mask; EACCES, "option not
/// supported in mode"). Read-back leaves such options out, so a snapshot never asks for them.
pub fn refused_in(option: &str, mode: BondMode) -> bool {
    REFUSED_OUTSIDE.iter().any(|(opt, modes)| *opt == option && !modes.contains(&mode))
}

/// Whether `mode` has a primary slave.
pub fn uses_primary(mode: BondMode) -> bool {
    PRIMARY_MODES.contains(&mode)
}

fn mode_list(modes: &[BondMode]) -> String {
    modes.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

/// Check every bond item; report diagnostics and one `Member` dependency per slave.
pub fn validate(items: &[Item]) -> Validation {
    let mut v = Validation::default();
    for item in items {
        check_bond(item, &mut v);
    }
    v
}

fn check_bond(item: &Item, v: &mut Validation) {
    let el = &item.element;
    let name = item.interface.as_str();
    let out = &mut v.diagnostics;
    out.extend(schema::check_specs(el, ATTRIBUTES, ENVELOPE_ATTRIBUTES, name));
    out.extend(schema::check_children_hinting(el, CHILDREN, FEATURE_ELEMENTS, name));

    // A bad mode was reported above; rules that depend on the mode are skipped rather than
    // guessed at.
    let mode = match MODE.attr(el) {
        None => Some(BalanceRr),
        Some(_) => MODE.get::<BondMode>(el),
    };
    if let Some(mode) = mode {
        check_mode_restrictions(el, mode, name, out);
    }
    check_monitoring(el, mode, name, out);
    if let Some(a) = ARP_IP_TARGET.attr(el) {
        check_arp_targets(a, name, out);
    }
    if let (Some(a), Some(b)) = (NUM_GRAT_ARP.attr(el), NUM_UNSOL_NA.attr(el)) {
        if NUM_GRAT_ARP.get_u32(el).is_some() && NUM_GRAT_ARP.get_u32(el) != NUM_UNSOL_NA.get_u32(el) {
            out.push(
                Diagnostic::error(
                    b.value_span,
                    format!("num_unsol_na={} contradicts num_grat_arp={}", b.value, a.value),
                )
                .on_interface(name)
                .on_attribute("num_unsol_na")
                .with_help("both set the kernel's one count of peer notifications; keep one"),
            );
        }
    }
    if let Some(a) = AD_ACTOR_SYSTEM.attr(el) {
        match schema::parse_mac(&a.value) {
            None => out.push(schema::bad_value(a, name, "expected a MAC address like 02:00:00:00:00:01")),
            Some(mac) if mac[0] & 1 == 1 => {
                out.push(schema::bad_value(a, name, "a multicast MAC address cannot identify an LACP system"))
            }
            Some(_) => {}
        }
    }
    check_slaves(item, mode, v);
}

fn check_mode_restrictions(el: &Element, mode: BondMode, name: &str, out: &mut Vec<Diagnostic>) {
    let find = |table: &[(&'static str, &'static [BondMode])], a: &Attribute| {
        table.iter().find(|(opt, modes)| *opt == a.name && !modes.contains(&mode)).copied()
    };
    // In document order, so messages read top to bottom.
    for a in &el.attributes {
        if let Some((opt, modes)) = find(REFUSED_OUTSIDE, a) {
            let msg = format!(
                "{opt} is not supported in {mode} mode; the kernel accepts it only in {}",
                mode_list(modes)
            );
            out.push(Diagnostic::error(a.span, msg).on_interface(name).on_attribute(opt));
        } else if let Some((opt, modes)) = find(IGNORED_OUTSIDE, a) {
            let msg = format!("{opt} has no effect in {mode} mode; it is used in {}", mode_list(modes));
            out.push(Diagnostic::warning(a.span, msg).on_interface(name).on_attribute(opt));
        }
    }
}

/// MII and ARP monitoring, and the delays that count in MII intervals.
fn check_monitoring(el: &Element, mode: Option<BondMode>, name: &str, out: &mut Vec<Diagnostic>) {
    let miimon = MIIMON.get_u32(el);
    let arp_interval = ARP_INTERVAL.get_u32(el);
    if let (Some(m), Some(a)) = (miimon, arp_interval) {
        if m > 0 && a > 0 {
            let span = ARP_INTERVAL.attr(el).map_or(el.span, |a| a.span);
            out.push(
                Diagnostic::error(span, "miimon and arp_interval are mutually exclusive")
                    .on_interface(name)
                    .on_attribute("arp_interval")
                    .with_help("the kernel turns MII monitoring off when ARP monitoring is set; choose one"),
            );
        }
    }
    // What the kernel's MII interval will be: as written, or 100 ms in the modes that cannot use
    // ARP monitoring; unknown when either value is invalid (already reported).
    let effective = match (MIIMON.attr(el), mode) {
        (Some(_), _) => miimon,
        (None, Some(m)) if !m.uses_arp() => Some(DEFAULT_MIIMON_NON_ARP),
        (None, Some(_)) => Some(0),
        (None, None) => None,
    };
    for spec in [UPDELAY, DOWNDELAY, PEER_NOTIF_DELAY] {
        // A delay of 0 is what the kernel has anyway; only a real delay needs MII monitoring.
        let (Some(a), Some(delay), Some(mii)) = (spec.attr(el), spec.get_u32(el), effective) else {
            continue;
        };
        if delay == 0 {
            continue;
        }
        if mii == 0 {
            out.push(
                Diagnostic::error(a.span, format!("{} needs MII monitoring", spec.name))
                    .on_interface(name)
                    .on_attribute(spec.name)
                    .with_help("set miimon (e.g. miimon=\"100\"); the kernel refuses delays without it"),
            );
        } else if delay % mii != 0 {
            out.push(
                Diagnostic::warning(
                    a.value_span,
                    format!(
                        "{}={delay} is not a multiple of miimon={mii}; the kernel rounds it down to {}",
                        spec.name,
                        delay / mii * mii
                    ),
                )
                .on_interface(name)
                .on_attribute(spec.name),
            );
        }
    }
    let has_targets = ARP_IP_TARGET.attr(el).is_some_and(|a| !a.value.trim().is_empty());
    if arp_interval.is_some_and(|a| a > 0) && !has_targets && mode.is_none_or(|m| m.uses_arp()) {
        let a = ARP_INTERVAL.attr(el).expect("arp_interval has a value");
        out.push(
            Diagnostic::warning(
                a.span,
                "ARP monitoring without arp_ip_target: no slave will ever be seen up",
            )
            .on_interface(name)
            .on_attribute("arp_interval"),
        );
    }
    // An invalid arp_interval was reported already; only a known "off" makes targets useless.
    let arp_off = ARP_INTERVAL.attr(el).is_none() || arp_interval == Some(0);
    if let Some(a) = ARP_IP_TARGET.attr(el).filter(|_| has_targets && arp_off) {
        out.push(
            Diagnostic::warning(a.span, "arp_ip_target has no effect without arp_interval")
                .on_interface(name)
                .on_attribute("arp_ip_target"),
        );
    }
    // A bond in a mode that may use ARP starts with no monitoring at all; the kernel only
    // warns about that when the module is loaded, and then never notices a dead slave.
    if mode.is_some_and(BondMode::uses_arp) && MIIMON.attr(el).is_none() && ARP_INTERVAL.attr(el).is_none() {
        out.push(
            Diagnostic::warning(el.span, "no link monitoring: a failed slave will not be detected")
                .on_interface(name)
                .on_attribute("miimon")
                .with_help("set miimon=\"100\" (or arp_interval with arp_ip_target)"),
        );
    }
}

/// `arp_ip_target`: IPv4 addresses the kernel will take (`bond_is_ip_target_ok`), each at most
/// once, at most 16; each problem points at its own address.
fn check_arp_targets(a: &Attribute, name: &str, out: &mut Vec<Diagnostic>) {
    let mut seen: HashMap<Ipv4Addr, Span> = HashMap::new();
    let mut count = 0;
    for (range, text) in list_items(&a.value) {
        let span = schema::sub_span(a, range);
        let err = |msg: String| {
            Diagnostic::error(span, format!("invalid arp_ip_target `{text}`: {msg}"))
                .on_interface(name)
                .on_attribute("arp_ip_target")
        };
        count += 1;
        if count == MAX_ARP_TARGETS + 1 {
            out.push(err(format!("a bond has at most {MAX_ARP_TARGETS} ARP targets")));
        }
        let Ok(ip) = text.parse::<Ipv4Addr>() else {
            out.push(err("expected an IPv4 address".into()));
            continue;
        };
        if ip.octets()[0] == 0 || ip == Ipv4Addr::BROADCAST {
            out.push(err("the kernel refuses 0.0.0.0/8 and 255.255.255.255 as ARP targets".into()));
        } else if let Some(first) = seen.get(&ip) {
            out.push(err(format!("already listed at {}:{}", first.line, first.col)));
        } else {
            seen.insert(ip, span);
        }
    }
}

/// The items of a list separated by commas and/or whitespace, with their byte ranges.
fn list_items(value: &str) -> impl Iterator<Item = (std::ops::Range<usize>, &str)> {
    let sep = |c: char| c == ',' || c.is_whitespace();
    let mut pos = 0;
    std::iter::from_fn(move || {
        let rest = &value[pos..];
        let start = pos + rest.find(|c: char| !sep(c))?;
        let len = value[start..].find(sep).unwrap_or(value.len() - start);
        pos = start + len;
        Some((start..pos, &value[start..pos]))
    })
}

fn check_slaves(item: &Item, mode: Option<BondMode>, v: &mut Validation) {
    let name = item.interface.as_str();
    let mut seen: HashMap<&str, Span> = HashMap::new();
    let mut primary: Option<Span> = None;
    for slave in item.element.children_named("slave") {
        let out = &mut v.diagnostics;
        out.extend(schema::check_specs(slave, SLAVE_ATTRIBUTES, &[], name));
        out.extend(schema::check_children_hinting(slave, &[], &[], name));
        if let Some(p) = SLAVE_PRIMARY.attr(slave).filter(|_| SLAVE_PRIMARY.get_bool(slave) == Some(true)) {
            if let Some(m) = mode.filter(|m| !PRIMARY_MODES.contains(m)) {
                out.push(
                    Diagnostic::error(
                        p.span,
                        format!(
                            "primary is not supported in {m} mode; the kernel accepts it only in {}",
                            mode_list(PRIMARY_MODES)
                        ),
                    )
                    .on_interface(name)
                    .on_attribute("primary"),
                );
            } else if let Some(first) = primary {
                out.push(
                    Diagnostic::error(p.value_span, "a bond has only one primary slave")
                        .on_interface(name)
                        .on_attribute("primary")
                        .with_help(format!("the first primary is at {}:{}", first.line, first.col)),
                );
            } else {
                primary = Some(p.value_span);
            }
        }
        let Some(dev) = SLAVE_DEVICE.attr(slave) else {
            out.push(schema::missing_attr(slave, "device", name));
            continue;
        };
        let slave_name = dev.value.trim();
        let err =
            |msg: String| Diagnostic::error(dev.value_span, msg).on_interface(name).on_attribute("device");
        if let Some(problem) = schema::ifname_problem(slave_name) {
            out.push(err(format!("invalid device `{slave_name}`: {problem}")));
        } else if slave_name == name {
            out.push(err(format!("{name} cannot be a slave of itself")));
        } else if let Some(first) = seen.get(slave_name) {
            out.push(err(format!(
                "{slave_name} is already a slave of {name} (at {}:{})",
                first.line, first.col
            )));
        } else {
            seen.insert(slave_name, dev.value_span);
            v.dependencies.push(Dependency {
                from: slave_name.to_string(),
                to: name.to_string(),
                relation: Relation::Member,
                span: dev.value_span,
            });
        }
    }
}

#[cfg(test)]
mod tests;
