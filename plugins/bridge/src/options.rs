//! The bridge options netplug reads and changes: each `<bridge>` attribute with its
//! `IFLA_BR_*` attribute, how its value goes to and comes from netlink, and when a desired
//! value and a live one are the same.
//!
//! Times travel in the kernel's clock_t, hundredths of a second (USER_HZ), but the bridge keeps
//! them in jiffies: with HZ=250 a value written as 5 reads back as 4 (`clock_t_to_jiffies`
//! rounds down, then `jiffies_to_clock_t` does again). The loss is under 1/100 s for any HZ of
//! 100 or more, so timers within 1/100 s of each other count as equal; anything else would plan
//! a change on every run.

use netplug_plugin_sdk::netlink::uapi as nl;
use netplug_plugin_sdk::netlink::{AttrBuilder, Attrs};
use netplug_plugin_sdk::schema::parse_bool;
use netplug_plugin_sdk::Element;

use crate::config::{parse_centiseconds, seconds};

/// How an option's value is written and carried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// `on`/`off` as a u32 (`IFLA_BR_STP_STATE`; the kernel reports 2 for user-space STP,
    /// which is on too).
    Switch,
    /// `yes`/`no` as a u8.
    Flag,
    /// Seconds to 1/100 s, as a u32 of hundredths.
    Centiseconds,
    /// A plain u16.
    U16,
}

/// One `<bridge>` attribute the kernel keeps.
#[derive(Clone, Copy, Debug)]
pub struct BridgeOption {
    pub name: &'static str,
    pub attr: u16,
    pub unit: Unit,
    /// What a new bridge has when the option is not sent (`br_dev_setup`, `br_stp_timer_init`).
    /// Creation leaves such values out, which also keeps `vlan_filtering="no"` (read back from
    /// every bridge) from failing with EOPNOTSUPP on kernels built without VLAN filtering: they
    /// refuse the attribute whatever its value.
    pub default: u32,
}

const fn opt(name: &'static str, attr: u16, unit: Unit, default: u32) -> BridgeOption {
    BridgeOption { name, attr, unit, default }
}

/// Every option, in the order read-back writes them.
pub const OPTIONS: &[BridgeOption] = &[
    opt("stp", nl::IFLA_BR_STP_STATE as u16, Unit::Switch, 0),
    opt("hellotime", nl::IFLA_BR_HELLO_TIME as u16, Unit::Centiseconds, 200),
    opt("forwarddelay", nl::IFLA_BR_FORWARD_DELAY as u16, Unit::Centiseconds, 1500),
    opt("maxage", nl::IFLA_BR_MAX_AGE as u16, Unit::Centiseconds, 2000),
    opt("priority", nl::IFLA_BR_PRIORITY as u16, Unit::U16, 32768),
    opt("ageing", nl::IFLA_BR_AGEING_TIME as u16, Unit::Centiseconds, 30000),
    opt("vlan_filtering", nl::IFLA_BR_VLAN_FILTERING as u16, Unit::Flag, 0),
    opt("mcast_snooping", nl::IFLA_BR_MCAST_SNOOPING as u16, Unit::Flag, 1),
];

/// The option called `name`.
pub fn find(name: &str) -> Option<&'static BridgeOption> {
    OPTIONS.iter().find(|o| o.name == name)
}

impl BridgeOption {
    /// The kernel's number for a value as the format writes it.
    pub fn parse(&self, text: &str) -> Option<u32> {
        match self.unit {
            Unit::Switch | Unit::Flag => parse_bool(text).map(u32::from),
            Unit::Centiseconds => parse_centiseconds(text).ok(),
            Unit::U16 => text.trim().parse::<u16>().ok().map(u32::from),
        }
    }

    /// The kernel's number as the format writes it.
    pub fn format(&self, value: u32) -> String {
        match self.unit {
            Unit::Switch => if value != 0 { "on" } else { "off" }.to_string(),
            Unit::Flag => if value != 0 { "yes" } else { "no" }.to_string(),
            Unit::Centiseconds => seconds(value),
            Unit::U16 => value.to_string(),
        }
    }

    /// Append the option to `IFLA_INFO_DATA`.
    pub fn put(&self, data: &mut AttrBuilder, value: u32) {
        match self.unit {
            Unit::Switch | Unit::Centiseconds => data.put_u32(self.attr, value),
            Unit::Flag => data.put_u8(self.attr, value as u8),
            Unit::U16 => data.put_u16(self.attr, value as u16),
        };
    }

    /// The option's value in a bridge's `IFLA_INFO_DATA`, if the kernel reports it.
    pub fn get(&self, data: Attrs<'_>) -> Option<u32> {
        let a = data.get(self.attr)?;
        match self.unit {
            Unit::Switch | Unit::Centiseconds => a.u32(),
            Unit::Flag => a.u8().map(u32::from),
            Unit::U16 => a.u16().map(u32::from),
        }
    }

    /// Whether writing `desired` leaves the kernel with `live` (see the module docs on timers).
    pub fn same(&self, desired: u32, live: u32) -> bool {
        match self.unit {
            Unit::Switch | Unit::Flag => (desired != 0) == (live != 0),
            Unit::Centiseconds => desired.abs_diff(live) <= 1,
            Unit::U16 => desired == live,
        }
    }
}

/// The options an element sets, in table order, as kernel numbers; an unreadable value is an
/// error naming the attribute (validation reports it first in a normal run).
pub fn of_element(el: &Element) -> Result<Vec<(&'static BridgeOption, u32)>, String> {
    let mut out = Vec::new();
    for o in OPTIONS {
        if let Some(text) = el.value(o.name) {
            let v = o.parse(text).ok_or_else(|| format!("invalid {} `{text}`", o.name))?;
            out.push((o, v));
        }
    }
    Ok(out)
}

/// `IFLA_INFO_DATA` setting these `(name, value)` pairs, values as the format writes them.
pub fn info_data(options: &[(String, String)]) -> Result<AttrBuilder, String> {
    let mut data = AttrBuilder::new();
    for (name, text) in options {
        let o = find(name).ok_or_else(|| format!("unknown bridge option {name}"))?;
        let v = o.parse(text).ok_or_else(|| format!("invalid {name} `{text}`"))?;
        o.put(&mut data, v);
    }
    Ok(data)
}

/// The `IFLA_INFO_DATA` of the requests that change options of an existing bridge, in order.
/// The kernel applies the forward delay before the STP state (`br_changelink`) and checks its
/// range only while STP runs, so turning STP off and the delay below 2 s in one request fails
/// with ERANGE; turning STP off goes first, alone.
pub fn change_data(options: &[(String, String)]) -> Result<Vec<AttrBuilder>, String> {
    let stp_off = options.iter().position(|(n, v)| n == "stp" && parse_bool(v) == Some(false));
    match stp_off {
        Some(i) if options.len() > 1 => {
            let mut rest = options.to_vec();
            let stp = rest.remove(i);
            Ok(vec![info_data(&[stp])?, info_data(&rest)?])
        }
        _ => Ok(vec![info_data(options)?]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_through_kernel_numbers() {
        let hello = find("hellotime").unwrap();
        assert_eq!(hello.parse("2.5"), Some(250));
        assert_eq!(hello.format(250), "2.5");
        assert_eq!(hello.format(205), "2.05");
        let stp = find("stp").unwrap();
        assert_eq!(stp.parse("yes"), Some(1));
        assert_eq!(stp.format(2), "on", "user-space STP is on");
        assert!(stp.same(1, 2));
        assert_eq!(find("priority").unwrap().parse("70000"), None);
        assert_eq!(find("vlan_filtering").unwrap().format(0), "no");
    }

    #[test]
    fn timers_allow_the_kernels_jiffy_rounding() {
        let ageing = find("ageing").unwrap();
        assert!(ageing.same(1005, 1004), "HZ=250 reads 10.05 s back as 10.04 s");
        assert!(!ageing.same(1005, 1003));
        assert!(!find("priority").unwrap().same(4096, 4095));
    }

    #[test]
    fn info_data_bytes() {
        let data = info_data(&[("stp".into(), "on".into()), ("priority".into(), "4096".into())]).unwrap();
        #[rustfmt::skip]
        let expected: Vec<u8> = [
            &[8u8, 0, nl::IFLA_BR_STP_STATE as u8, 0][..], &1u32.to_ne_bytes(), // IFLA_BR_STP_STATE 1
            &[6, 0, nl::IFLA_BR_PRIORITY as u8, 0], &4096u16.to_ne_bytes(), &[0, 0], // u16 + pad
        ]
        .concat();
        assert_eq!(data.as_bytes(), &expected[..]);
        assert!(info_data(&[("stp".into(), "maybe".into())]).is_err());
        assert!(info_data(&[("colour".into(), "red".into())]).is_err());
    }

    #[test]
    fn stp_off_goes_before_a_forward_delay_it_allows() {
        let opts = |list: &[(&str, &str)]| -> Vec<(String, String)> {
            list.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
        };
        let off = change_data(&opts(&[("stp", "off"), ("forwarddelay", "0")])).unwrap();
        assert_eq!(off.len(), 2);
        assert_eq!(off[0], info_data(&opts(&[("stp", "off")])).unwrap());
        assert_eq!(off[1], info_data(&opts(&[("forwarddelay", "0")])).unwrap());
        assert_eq!(change_data(&opts(&[("stp", "on"), ("forwarddelay", "4")])).unwrap().len(), 1);
        assert_eq!(change_data(&opts(&[("stp", "off")])).unwrap().len(), 1);
    }
}
