//! An ipvlan as the kernel knows it (`IFLA_IPVLAN_MODE`, `IFLA_IPVLAN_FLAGS`, the parent in
//! `IFLA_LINK`) and as the format writes it.
//!
//! `ipvlan_nl_changelink` changes mode and flags in place (for the whole parent); nothing
//! changes an ipvlan's parent, so a new parent means deleting it and creating it again.

use netplug_plugin_sdk::netlink::uapi as nl;
use netplug_plugin_sdk::netlink::{AttrBuilder, Attrs};
use netplug_plugin_sdk::Element;
use serde::{Deserialize, Serialize};

use crate::config::{IpvlanFlags, IpvlanMode, DEFAULT_FLAGS, DEFAULT_MODE};

pub const IFLA_IPVLAN_MODE: u16 = nl::IFLA_IPVLAN_MODE as u16;
pub const IFLA_IPVLAN_FLAGS: u16 = nl::IFLA_IPVLAN_FLAGS as u16;

/// Mode and flags, as the kernel's numbers. Desired settings are complete: what a document
/// leaves out is the kernel's default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub mode: u16,
    pub flags: u16,
}

impl Settings {
    /// The settings an element asks for, defaults filled in.
    pub fn of(el: &Element) -> Result<Settings, String> {
        let mode = match el.value("mode") {
            None => DEFAULT_MODE,
            Some(m) => m.parse::<IpvlanMode>().map_err(|_| format!("invalid mode `{m}`"))?,
        };
        let flags = match el.value("flags") {
            None => DEFAULT_FLAGS,
            Some(f) => f.parse::<IpvlanFlags>().map_err(|_| format!("invalid flags `{f}`"))?,
        };
        Ok(Settings { mode: mode.value(), flags: flags.value() })
    }

    pub fn mode(self) -> IpvlanMode {
        IpvlanMode::from(self.mode)
    }

    pub fn flags(self) -> IpvlanFlags {
        IpvlanFlags::from(self.flags)
    }

    /// What differs from the live settings, for the plan's description.
    pub fn differences(self, live: Settings) -> Vec<String> {
        let mut out = Vec::new();
        if self.mode != live.mode {
            out.push(format!("mode {} (was {})", self.mode(), live.mode()));
        }
        if self.flags != live.flags {
            out.push(format!("flags {} (was {})", self.flags(), live.flags()));
        }
        out
    }

    /// `IFLA_INFO_DATA` for a create or a change: both, always, since the kernel sets them for
    /// every ipvlan of the parent.
    pub fn info_data(self) -> AttrBuilder {
        let mut data = AttrBuilder::new();
        data.put_u16(IFLA_IPVLAN_MODE, self.mode);
        data.put_u16(IFLA_IPVLAN_FLAGS, self.flags);
        data
    }

    /// The settings a live link reports (a kernel before 4.15 has no flags: bridge).
    pub fn read(data: Attrs<'_>) -> Settings {
        Settings {
            mode: data.get(IFLA_IPVLAN_MODE).and_then(|a| a.u16()).unwrap_or(DEFAULT_MODE.value()),
            flags: data.get(IFLA_IPVLAN_FLAGS).and_then(|a| a.u16()).unwrap_or(DEFAULT_FLAGS.value()),
        }
    }

    /// Write both into an element as the format spells them.
    pub fn write(self, el: &mut Element) {
        el.set_attr("mode", self.mode());
        el.set_attr("flags", self.flags());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_through_the_kernels_attributes() {
        let el = Element::new("ipvlan").with_attr("mode", "L3S").with_attr("flags", "private");
        let want = Settings::of(&el).unwrap();
        assert_eq!(want, Settings { mode: 2, flags: 1 });
        let data = want.info_data();
        #[rustfmt::skip]
        let expected: Vec<u8> = [
            &[6u8, 0, IFLA_IPVLAN_MODE as u8, 0][..], &2u16.to_ne_bytes(), &[0, 0],
            &[6, 0, IFLA_IPVLAN_FLAGS as u8, 0], &1u16.to_ne_bytes(), &[0, 0],
        ]
        .concat();
        assert_eq!(data.as_bytes(), &expected[..]);
        let back = Settings::read(Attrs::new(data.as_bytes()));
        let mut written = Element::new("ipvlan");
        back.write(&mut written);
        assert_eq!(written.value("mode"), Some("l3s"));
        assert_eq!(Settings::of(&written).unwrap(), want);
    }

    #[test]
    fn defaults_are_the_kernels() {
        assert_eq!(Settings::of(&Element::new("ipvlan")).unwrap(), Settings { mode: 1, flags: 0 });
        let s = Settings { mode: 0, flags: 2 };
        assert_eq!(
            s.differences(Settings { mode: 1, flags: 0 }),
            ["mode l2 (was l3)", "flags vepa (was bridge)"]
        );
    }
}
