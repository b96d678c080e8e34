//! The bond options netplug reads and changes: each `<bond>` attribute with its `IFLA_BOND_*`
//! attribute, its text and wire forms, the state the kernel wants the bond in to change it,
//! and when a desired value and a live one are the same.
//!
//! Delays (`updelay`, `downdelay`, `peer_notif_delay`) are kept by the kernel in MII intervals
//! and reported as intervals × `miimon`, so 250 ms with `miimon="100"` reads back as 200: a
//! desired delay is compared rounded down to the MII interval, as the kernel stores it.

use std::net::Ipv4Addr;

use netplug_plugin_sdk::netlink::uapi as nl;
use netplug_plugin_sdk::netlink::{format_mac, AttrBuilder, Attrs};
use netplug_plugin_sdk::schema::{parse_bool, parse_mac};

use crate::config::DEFAULT_MIIMON_NON_ARP;
use crate::values::{
    AdSelect, ArpAllTargets, ArpValidate, BondMode, FailOverMac, LacpRate, PrimaryReselect, XmitHashPolicy,
};

/// How an option is written in the format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Text {
    Mode,
    XmitHash,
    ArpValidate,
    ArpAllTargets,
    PrimaryReselect,
    FailOverMac,
    LacpRate,
    AdSelect,
    /// `yes`/`no`.
    Flag,
    /// A decimal number.
    Number,
    /// Milliseconds the kernel keeps in MII intervals.
    Delay,
    /// IPv4 addresses separated by commas or whitespace (`IFLA_BOND_ARP_IP_TARGET`, nested).
    Targets,
    /// A MAC address; all zeroes means unset (`IFLA_BOND_AD_ACTOR_SYSTEM`).
    Mac,
}

/// The width of a number on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wire {
    U8,
    U16,
    U32,
}

/// What the kernel wants of the bond before the option may change (`BOND_OPTFLAG_*`):
/// EBUSY "unable to set option because the bond is up", ENOTEMPTY "… has slaves".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Needs {
    pub down: bool,
    pub no_slaves: bool,
}

/// One `<bond>` attribute the kernel keeps.
#[derive(Clone, Copy, Debug)]
pub struct BondOption {
    pub name: &'static str,
    pub attr: u16,
    pub text: Text,
    pub wire: Wire,
    pub needs: Needs,
}

const ANY: Needs = Needs { down: false, no_slaves: false };
const DOWN: Needs = Needs { down: true, no_slaves: false };

const fn opt(name: &'static str, attr: u16, text: Text, wire: Wire, needs: Needs) -> BondOption {
    BondOption { name, attr, text, wire, needs }
}

use Text::*;
use Wire::*;

/// Every option, in the order read-back writes them. `num_unsol_na` is the kernel's other name
/// for `num_grat_arp` (one `IFLA_BOND_NUM_PEER_NOTIF`); read-back writes the first.
pub const OPTIONS: &[BondOption] = &[
    opt("mode", nl::IFLA_BOND_MODE as u16, Mode, U8, Needs { down: true, no_slaves: true }),
    opt("miimon", nl::IFLA_BOND_MIIMON as u16, Number, U32, ANY),
    opt("updelay", nl::IFLA_BOND_UPDELAY as u16, Delay, U32, ANY),
    opt("downdelay", nl::IFLA_BOND_DOWNDELAY as u16, Delay, U32, ANY),
    opt("peer_notif_delay", nl::IFLA_BOND_PEER_NOTIF_DELAY as u16, Delay, U32, ANY),
    opt("use_carrier", nl::IFLA_BOND_USE_CARRIER as u16, Flag, U8, ANY),
    opt("arp_interval", nl::IFLA_BOND_ARP_INTERVAL as u16, Number, U32, ANY),
    opt("arp_ip_target", nl::IFLA_BOND_ARP_IP_TARGET as u16, Targets, U32, ANY),
    opt("arp_validate", nl::IFLA_BOND_ARP_VALIDATE as u16, ArpValidate, U32, ANY),
    opt("arp_all_targets", nl::IFLA_BOND_ARP_ALL_TARGETS as u16, ArpAllTargets, U32, ANY),
    opt("arp_missed_max", nl::IFLA_BOND_MISSED_MAX as u16, Number, U8, ANY),
    opt("primary_reselect", nl::IFLA_BOND_PRIMARY_RESELECT as u16, PrimaryReselect, U8, ANY),
    opt(
        "fail_over_mac",
        nl::IFLA_BOND_FAIL_OVER_MAC as u16,
        FailOverMac,
        U8,
        Needs { down: false, no_slaves: true },
    ),
    opt("xmit_hash_policy", nl::IFLA_BOND_XMIT_HASH_POLICY as u16, XmitHash, U8, ANY),
    opt("resend_igmp", nl::IFLA_BOND_RESEND_IGMP as u16, Number, U32, ANY),
    opt("num_grat_arp", nl::IFLA_BOND_NUM_PEER_NOTIF as u16, Number, U8, ANY),
    opt("num_unsol_na", nl::IFLA_BOND_NUM_PEER_NOTIF as u16, Number, U8, ANY),
    opt("all_slaves_active", nl::IFLA_BOND_ALL_SLAVES_ACTIVE as u16, Flag, U8, ANY),
    opt("min_links", nl::IFLA_BOND_MIN_LINKS as u16, Number, U32, ANY),
    opt("lp_interval", nl::IFLA_BOND_LP_INTERVAL as u16, Number, U32, ANY),
    opt("packets_per_slave", nl::IFLA_BOND_PACKETS_PER_SLAVE as u16, Number, U32, ANY),
    opt("lacp_active", nl::IFLA_BOND_AD_LACP_ACTIVE as u16, Flag, U8, DOWN),
    opt("lacp_rate", nl::IFLA_BOND_AD_LACP_RATE as u16, LacpRate, U8, DOWN),
    opt("ad_select", nl::IFLA_BOND_AD_SELECT as u16, AdSelect, U8, DOWN),
    opt("ad_actor_sys_prio", nl::IFLA_BOND_AD_ACTOR_SYS_PRIO as u16, Number, U16, ANY),
    opt("ad_user_port_key", nl::IFLA_BOND_AD_USER_PORT_KEY as u16, Number, U16, DOWN),
    opt("ad_actor_system", nl::IFLA_BOND_AD_ACTOR_SYSTEM as u16, Mac, U8, ANY),
    opt("tlb_dynamic_lb", nl::IFLA_BOND_TLB_DYNAMIC_LB as u16, Flag, U8, DOWN),
];

/// `IFLA_BOND_PRIMARY`: the primary slave's ifindex, 0 for none. Written on `<slave>`, so not
/// in [`OPTIONS`].
pub const PRIMARY_ATTR: u16 = nl::IFLA_BOND_PRIMARY as u16;

/// The option called `name`.
pub fn find(name: &str) -> Option<&'static BondOption> {
    OPTIONS.iter().find(|o| o.name == name)
}

/// An option's value, in the kernel's terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Num(u32),
    Targets(Vec<Ipv4Addr>),
    Mac([u8; 6]),
}

/// The MII interval delays are counted in: the desired `miimon`, else the live one, else what
/// the kernel starts a bond of `mode` with (100 ms in the modes that cannot use ARP monitoring,
/// `bond_option_mode_set`; none otherwise).
pub fn effective_miimon(desired: Option<u32>, live: Option<u32>, mode: Option<BondMode>) -> u32 {
    desired.or(live).unwrap_or(match mode {
        Some(m) if !m.uses_arp() => DEFAULT_MIIMON_NON_ARP,
        _ => 0,
    })
}

fn parse_enum<T: std::str::FromStr>(text: &str, value: impl Fn(T) -> u32) -> Option<u32> {
    text.parse::<T>().ok().map(value)
}

impl BondOption {
    /// The kernel's value for a value as the format writes it.
    pub fn parse(&self, text: &str) -> Option<Value> {
        let t = text.trim();
        let num = match self.text {
            Mode => parse_enum(t, |v: BondMode| v.value().into()),
            XmitHash => parse_enum(t, |v: XmitHashPolicy| v.value().into()),
            ArpValidate => parse_enum(t, |v: ArpValidate| v.value().into()),
            ArpAllTargets => parse_enum(t, |v: ArpAllTargets| v.value().into()),
            PrimaryReselect => parse_enum(t, |v: PrimaryReselect| v.value().into()),
            FailOverMac => parse_enum(t, |v: FailOverMac| v.value().into()),
            LacpRate => parse_enum(t, |v: LacpRate| v.value().into()),
            AdSelect => parse_enum(t, |v: AdSelect| v.value().into()),
            Flag => parse_bool(t).map(u32::from),
            Number | Delay => t.parse().ok(),
            Targets => {
                let list: Option<Vec<Ipv4Addr>> = t
                    .split(|c: char| c == ',' || c.is_whitespace())
                    .filter(|s| !s.is_empty())
                    .map(|s| s.parse().ok())
                    .collect();
                return list.map(Value::Targets);
            }
            Mac => return parse_mac(t).map(Value::Mac),
        };
        num.map(Value::Num)
    }

    /// The value as the format writes it (the kernel's names for enumerations).
    pub fn format(&self, value: &Value) -> String {
        match value {
            Value::Targets(list) => list.iter().map(Ipv4Addr::to_string).collect::<Vec<_>>().join(","),
            Value::Mac(mac) => format_mac(mac),
            Value::Num(n) => {
                let n = *n;
                match self.text {
                    Mode => BondMode::from(n as u8).to_string(),
                    XmitHash => XmitHashPolicy::from(n as u8).to_string(),
                    ArpValidate => ArpValidate::from(n as u8).to_string(),
                    ArpAllTargets => ArpAllTargets::from(n as u8).to_string(),
                    PrimaryReselect => PrimaryReselect::from(n as u8).to_string(),
                    FailOverMac => FailOverMac::from(n as u8).to_string(),
                    LacpRate => LacpRate::from(n as u8).to_string(),
                    AdSelect => AdSelect::from(n as u8).to_string(),
                    Flag => if n != 0 { "yes" } else { "no" }.to_string(),
                    Number | Delay | Targets | Mac => n.to_string(),
                }
            }
        }
    }

    /// The option's value in a bond's `IFLA_INFO_DATA`, if the kernel reports one. No targets
    /// reads as an empty list; an all-zero actor system as unset.
    pub fn get(&self, data: Attrs<'_>) -> Option<Value> {
        let a = data.get(self.attr);
        match self.text {
            Targets => {
                let list = a.map(|a| a.nested().filter_map(|t| t.ip()).filter_map(as_v4).collect());
                Some(Value::Targets(list.unwrap_or_default()))
            }
            Mac => {
                let mac: [u8; 6] = a?.payload().get(..6)?.try_into().ok()?;
                (mac != [0; 6]).then_some(Value::Mac(mac))
            }
            _ => {
                let a = a?;
                let n = match self.wire {
                    U8 => a.u8().map(u32::from),
                    U16 => a.u16().map(u32::from),
                    U32 => a.u32(),
                };
                n.map(Value::Num)
            }
        }
    }

    /// Append the option to `IFLA_INFO_DATA`.
    pub fn put(&self, data: &mut AttrBuilder, value: &Value) {
        match value {
            Value::Targets(list) => {
                data.nested(self.attr, |b| {
                    for (i, ip) in list.iter().enumerate() {
                        b.put(i as u16, &ip.octets());
                    }
                });
            }
            Value::Mac(mac) => {
                data.put(self.attr, mac);
            }
            Value::Num(n) => {
                match self.wire {
                    U8 => data.put_u8(self.attr, *n as u8),
                    U16 => data.put_u16(self.attr, *n as u16),
                    U32 => data.put_u32(self.attr, *n),
                };
            }
        }
    }

    /// Whether writing `desired` leaves the kernel with `live`; `miimon` is the MII interval
    /// the bond will have (see [`effective_miimon`]).
    pub fn same(&self, desired: &Value, live: &Value, miimon: u32) -> bool {
        match (desired, live) {
            (Value::Num(d), Value::Num(l)) if self.text == Delay => {
                let stored = d.checked_div(miimon).map_or(*d, |n| n * miimon);
                stored == *l
            }
            (Value::Num(d), Value::Num(l)) if self.text == Flag => (*d != 0) == (*l != 0),
            (Value::Targets(d), Value::Targets(l)) => {
                let (mut d, mut l) = (d.clone(), l.clone());
                d.sort_unstable();
                d.dedup();
                l.sort_unstable();
                d == l
            }
            (d, l) => d == l,
        }
    }
}

fn as_v4(ip: std::net::IpAddr) -> Option<Ipv4Addr> {
    match ip {
        std::net::IpAddr::V4(v4) => Some(v4),
        std::net::IpAddr::V6(_) => None,
    }
}

/// `IFLA_INFO_DATA` setting these `(name, value)` pairs, values as the format writes them.
/// `primary` is the primary slave's ifindex (0 clears it), when it is to be set.
pub fn info_data(options: &[(String, String)], primary: Option<u32>) -> Result<AttrBuilder, String> {
    let mut data = AttrBuilder::new();
    for (name, text) in options {
        let o = find(name).ok_or_else(|| format!("unknown bond option {name}"))?;
        let v = o.parse(text).ok_or_else(|| format!("invalid {name} `{text}`"))?;
        o.put(&mut data, &v);
    }
    if let Some(index) = primary {
        data.put_u32(PRIMARY_ATTR, index);
    }
    Ok(data)
}

#[cfg(test)]
mod tests;
