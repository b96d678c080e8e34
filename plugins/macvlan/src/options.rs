//! A macvlan as the kernel knows it (`IFLA_MACVLAN_*`, the parent in `IFLA_LINK`) and as the
//! format writes it, and the messages between the two.
//!
//! `macvlan_changelink` changes the mode, the flags, the broadcast queue and source mode's
//! address list in place; it refuses to make a macvlan passthru or to make a passthru one
//! anything else, and nothing changes a macvlan's parent. Those are deleted and created again.

use netplug_plugin_sdk::netlink::uapi as nl;
use netplug_plugin_sdk::netlink::{format_mac, AttrBuilder, Attrs};
use netplug_plugin_sdk::schema::{parse_bool, parse_mac};
use netplug_plugin_sdk::Element;
use serde::{Deserialize, Serialize};

use crate::config::{MacvlanMode, DEFAULT_BC_QUEUE_LEN, DEFAULT_MODE};

pub const IFLA_MACVLAN_MODE: u16 = nl::IFLA_MACVLAN_MODE as u16;
pub const IFLA_MACVLAN_FLAGS: u16 = nl::IFLA_MACVLAN_FLAGS as u16;
pub const IFLA_MACVLAN_MACADDR_MODE: u16 = nl::IFLA_MACVLAN_MACADDR_MODE as u16;
pub const IFLA_MACVLAN_MACADDR: u16 = nl::IFLA_MACVLAN_MACADDR as u16;
pub const IFLA_MACVLAN_MACADDR_DATA: u16 = nl::IFLA_MACVLAN_MACADDR_DATA as u16;
pub const IFLA_MACVLAN_BC_QUEUE_LEN: u16 = nl::IFLA_MACVLAN_BC_QUEUE_LEN as u16;
pub const MACVLAN_FLAG_NOPROMISC: u16 = nl::MACVLAN_FLAG_NOPROMISC as u16;
pub const MACVLAN_FLAG_NODST: u16 = nl::MACVLAN_FLAG_NODST as u16;
/// `MACVLAN_MACADDR_SET`: replace the source list with the one sent.
pub const MACVLAN_MACADDR_SET: u32 = nl::macvlan_macaddr_mode::MACVLAN_MACADDR_SET as u32;

/// Everything the format says about a macvlan besides its parent, each `None` where the kernel
/// does not report it (`bcqueuelen` before Linux 5.11). Desired settings are complete: what a
/// document leaves out is the kernel's default, so a document says the whole device.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub mode: u32,
    pub flags: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bc_queue_len: Option<u32>,
    /// Source mode's senders, lowercase, sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
}

impl Settings {
    /// The settings an element asks for, defaults filled in; an unreadable value is an error
    /// naming it (validation reported it at its place already).
    pub fn of(el: &Element) -> Result<Settings, String> {
        let mode = match el.value("mode") {
            None => DEFAULT_MODE,
            Some(m) => m.parse::<MacvlanMode>().map_err(|_| format!("invalid mode `{m}`"))?,
        };
        let mut flags = 0;
        for (name, bit) in [("nopromisc", MACVLAN_FLAG_NOPROMISC), ("nodst", MACVLAN_FLAG_NODST)] {
            if let Some(v) = el.value(name) {
                if parse_bool(v).ok_or_else(|| format!("invalid {name} `{v}`"))? {
                    flags |= bit;
                }
            }
        }
        let bc_queue_len = match el.value("bcqueuelen") {
            None => DEFAULT_BC_QUEUE_LEN,
            Some(v) => v.trim().parse().map_err(|_| format!("invalid bcqueuelen `{v}`"))?,
        };
        Ok(Settings { mode: mode.value(), flags, bc_queue_len: Some(bc_queue_len), sources: sources(el)? })
    }

    /// The settings of a live item (as [`crate::read`] writes it): a broadcast queue the
    /// kernel did not report stays unknown rather than defaulted.
    pub fn of_live(el: &Element) -> Settings {
        let mut s = Settings::of(el).unwrap_or_default();
        s.bc_queue_len = el.value("bcqueuelen").and_then(|v| v.trim().parse().ok());
        s
    }

    pub fn mode(&self) -> MacvlanMode {
        MacvlanMode::from(self.mode)
    }

    /// What differs from the live settings, for the plan's description; a setting the kernel
    /// does not report is not compared.
    pub fn differences(&self, live: &Settings) -> Vec<String> {
        let mut out = Vec::new();
        if self.mode != live.mode {
            out.push(format!("mode {} (was {})", self.mode(), live.mode()));
        }
        for (name, bit) in [("nopromisc", MACVLAN_FLAG_NOPROMISC), ("nodst", MACVLAN_FLAG_NODST)] {
            let (want, was) = (self.flags & bit != 0, live.flags & bit != 0);
            if want != was {
                out.push(format!("{name} {} (was {})", yes_no(want), yes_no(was)));
            }
        }
        if let (Some(want), Some(was)) = (self.bc_queue_len, live.bc_queue_len) {
            if want != was {
                out.push(format!("bcqueuelen {want} (was {was})"));
            }
        }
        if self.sources != live.sources && (self.mode() == MacvlanMode::Source) {
            out.push(format!("sources {}", list(&self.sources)));
        }
        out
    }

    /// `IFLA_INFO_DATA` carrying these settings, for a create or a change. A kernel before 5.11
    /// ignores the broadcast queue (the kernel parses link data leniently) and does not report
    /// it, so it is not compared there.
    pub fn info_data(&self) -> Result<AttrBuilder, String> {
        let mut data = AttrBuilder::new();
        data.put_u32(IFLA_MACVLAN_MODE, self.mode);
        data.put_u16(IFLA_MACVLAN_FLAGS, self.flags);
        if let Some(len) = self.bc_queue_len {
            data.put_u32(IFLA_MACVLAN_BC_QUEUE_LEN, len);
        }
        if self.mode() == MacvlanMode::Source {
            let mut macs = Vec::new();
            for s in &self.sources {
                macs.push(parse_mac(s).ok_or_else(|| format!("bad MAC address {s}"))?);
            }
            data.put_u32(IFLA_MACVLAN_MACADDR_MODE, MACVLAN_MACADDR_SET);
            data.nested(IFLA_MACVLAN_MACADDR_DATA, |n| {
                for mac in &macs {
                    n.put(IFLA_MACVLAN_MACADDR, mac);
                }
            });
        }
        Ok(data)
    }

    /// The settings a live link reports.
    pub fn read(data: Attrs<'_>) -> Settings {
        let mut sources: Vec<String> = data
            .get(IFLA_MACVLAN_MACADDR_DATA)
            .map(|d| {
                d.nested()
                    .filter(|a| a.kind() == IFLA_MACVLAN_MACADDR && a.payload().len() == 6)
                    .map(|a| format_mac(a.payload()))
                    .collect()
            })
            .unwrap_or_default();
        sources.sort();
        Settings {
            mode: data.get(IFLA_MACVLAN_MODE).and_then(|a| a.u32()).unwrap_or(DEFAULT_MODE.value()),
            flags: data.get(IFLA_MACVLAN_FLAGS).and_then(|a| a.u16()).unwrap_or(0),
            bc_queue_len: data.get(IFLA_MACVLAN_BC_QUEUE_LEN).and_then(|a| a.u32()),
            sources,
        }
    }

    /// Write these settings into an element as the format spells them, every one.
    pub fn write(&self, el: &mut Element) {
        el.set_attr("mode", self.mode());
        el.set_attr("nopromisc", yes_no(self.flags & MACVLAN_FLAG_NOPROMISC != 0));
        el.set_attr("nodst", yes_no(self.flags & MACVLAN_FLAG_NODST != 0));
        if let Some(len) = self.bc_queue_len {
            el.set_attr("bcqueuelen", len);
        }
        for s in &self.sources {
            el.children.push(Element::new("source").with_attr("mac", s));
        }
    }

    /// For a plan's description: `mode bridge, nodst yes, 2 sources`.
    pub fn describe(&self) -> Vec<String> {
        let mut out = vec![format!("mode {}", self.mode())];
        if self.flags & MACVLAN_FLAG_NOPROMISC != 0 {
            out.push("nopromisc yes".into());
        }
        if self.flags & MACVLAN_FLAG_NODST != 0 {
            out.push("nodst yes".into());
        }
        if let Some(len) = self.bc_queue_len.filter(|l| *l != DEFAULT_BC_QUEUE_LEN) {
            out.push(format!("bcqueuelen {len}"));
        }
        if !self.sources.is_empty() {
            out.push(format!("sources {}", list(&self.sources)));
        }
        out
    }
}

fn sources(el: &Element) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for s in el.children_named("source") {
        let text = s.value("mac").unwrap_or_default();
        let mac = parse_mac(text).ok_or_else(|| format!("invalid source mac `{text}`"))?;
        out.push(format_mac(&mac));
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn yes_no(v: bool) -> &'static str {
    if v {
        "yes"
    } else {
        "no"
    }
}

fn list(macs: &[String]) -> String {
    if macs.is_empty() {
        "none".to_string()
    } else {
        macs.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_element_without_settings_is_the_kernels_defaults() {
        let s = Settings::of(&Element::new("macvlan")).unwrap();
        assert_eq!(s, Settings { mode: 2, flags: 0, bc_queue_len: Some(1000), sources: vec![] });
    }

    #[test]
    fn settings_round_trip_through_the_kernels_attributes() {
        let el = Element::new("macvtap")
            .with_attr("mode", "source")
            .with_attr("nodst", "yes")
            .with_attr("bcqueuelen", "64")
            .with_child(Element::new("source").with_attr("mac", "52:54:00:AA:00:02"))
            .with_child(Element::new("source").with_attr("mac", "52-54-00-aa-00-01"));
        let want = Settings::of(&el).unwrap();
        assert_eq!(want.sources, ["52:54:00:aa:00:01", "52:54:00:aa:00:02"]);
        let data = want.info_data().unwrap();
        // The kernel reports the list it keeps, without the operation.
        let back = Settings::read(Attrs::new(data.as_bytes()));
        assert_eq!(back, want);
        let mut written = Element::new("macvtap");
        back.write(&mut written);
        assert_eq!(Settings::of(&written).unwrap(), want);
        assert!(want.differences(&back).is_empty());
    }

    #[test]
    fn differences_name_each_setting_and_skip_what_the_kernel_does_not_report() {
        let want =
            Settings { mode: 4, flags: MACVLAN_FLAG_NOPROMISC, bc_queue_len: Some(10), sources: vec![] };
        let live = Settings { mode: 2, flags: 0, bc_queue_len: None, sources: vec![] };
        assert_eq!(want.differences(&live), ["mode bridge (was vepa)", "nopromisc yes (was no)"]);
    }

    #[test]
    fn the_source_list_goes_out_whole_with_set() {
        let s =
            Settings { mode: 16, flags: 0, bc_queue_len: None, sources: vec!["52:54:00:00:00:01".into()] };
        let data = s.info_data().unwrap();
        let attrs = Attrs::new(data.as_bytes());
        assert_eq!(attrs.get(IFLA_MACVLAN_MACADDR_MODE).and_then(|a| a.u32()), Some(MACVLAN_MACADDR_SET));
        let macs: Vec<_> = attrs.get(IFLA_MACVLAN_MACADDR_DATA).unwrap().nested().collect();
        assert_eq!(macs.len(), 1);
        assert_eq!(macs[0].payload(), [0x52, 0x54, 0, 0, 0, 1]);
    }
}
