//! `<ethtool>` as values: [`Settings`] is what an `<ethtool>` element says (desired) or what a
//! device has (live), and [`DeviceState`] is everything the kernel reports about a device,
//! including what [`Settings`] leaves out (fixed features, ring and channel maxima), which plan
//! consults to give clear errors before any driver is asked.

use std::collections::HashMap;

use netplug_plugin_sdk::netlink::{self, Channels, Duplex, Ethtool, Feature, LinkModes, Rings};
use netplug_plugin_sdk::Element;

use crate::config::{
    self, AUTONEG, CHANNELS_ATTRIBUTES, DUPLEX, FEATURE_NAME, FEATURE_STATE, RING_ATTRIBUTES, SPEED,
};

/// ethtool's older names for single kernel features (`ethtool -k` prints them in place of the
/// kernel's), accepted in `<feature name=..>` so documents written from `ethtool -k` output
/// work. Names that stand for several kernel features (`tx-checksumming`) are not accepted:
/// which of them a driver lets change differs, and netplug reports per kernel feature.
pub const FEATURE_ALIASES: &[(&str, &str)] = &[
    ("rx-checksumming", "rx-checksum"),
    ("generic-segmentation-offload", "tx-generic-segmentation"),
    ("generic-receive-offload", "rx-gro"),
    ("large-receive-offload", "rx-lro"),
    ("rx-vlan-offload", "rx-vlan-hw-parse"),
    ("tx-vlan-offload", "tx-vlan-hw-insert"),
    ("ntuple-filters", "rx-ntuple-filter"),
    ("receive-hashing", "rx-hashing"),
];

/// The kernel's name of a feature written as `name`.
pub fn kernel_feature_name(name: &str) -> &str {
    FEATURE_ALIASES.iter().find(|(alias, _)| *alias == name).map_or(name, |(_, kernel)| kernel)
}

/// What an `<ethtool>` element holds. `None` (and an absent feature) means "not said": left
/// alone when desired, not reported by the driver when live.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    pub speed: Option<u32>,
    pub duplex: Option<Duplex>,
    pub autoneg: Option<bool>,
    /// (kernel name, on), in document or kernel bit order.
    pub features: Vec<(String, bool)>,
    /// Only `rx`, `tx`, `rx_mini` and `rx_jumbo` are used.
    pub ring: Option<Rings>,
    /// Only the counts are used.
    pub channels: Option<Channels>,
}

/// The ring sizes `<ring>` names, with their attribute names.
pub fn ring_fields(r: &Rings) -> [(&'static str, Option<u32>, Option<u32>); 4] {
    [
        ("rx", r.rx, r.rx_max),
        ("tx", r.tx, r.tx_max),
        ("rx-mini", r.rx_mini, r.rx_mini_max),
        ("rx-jumbo", r.rx_jumbo, r.rx_jumbo_max),
    ]
}

/// The channel counts `<channels>` names, with their attribute names.
pub fn channel_fields(c: &Channels) -> [(&'static str, Option<u32>, Option<u32>); 4] {
    [
        ("rx", c.rx, c.rx_max),
        ("tx", c.tx, c.tx_max),
        ("other", c.other, c.other_max),
        ("combined", c.combined, c.combined_max),
    ]
}

/// Rings with the named sizes set (the inverse of [`ring_fields`], maxima left out).
pub fn rings_from(fields: &[(&str, Option<u32>)]) -> Rings {
    let get = |n: &str| fields.iter().find(|(f, _)| *f == n).and_then(|(_, v)| *v);
    Rings {
        rx: get("rx"),
        tx: get("tx"),
        rx_mini: get("rx-mini"),
        rx_jumbo: get("rx-jumbo"),
        ..Rings::default()
    }
}

/// Channels with the named counts set (the inverse of [`channel_fields`], maxima left out).
pub fn channels_from(fields: &[(&str, Option<u32>)]) -> Channels {
    let get = |n: &str| fields.iter().find(|(f, _)| *f == n).and_then(|(_, v)| *v);
    Channels {
        rx: get("rx"),
        tx: get("tx"),
        other: get("other"),
        combined: get("combined"),
        ..Channels::default()
    }
}

pub fn duplex_name(d: Duplex) -> &'static str {
    match d {
        Duplex::Half => "half",
        Duplex::Full => "full",
    }
}

pub fn on_off(on: bool) -> &'static str {
    if on {
        "on"
    } else {
        "off"
    }
}

impl Settings {
    /// Read a validated `<ethtool>` element. Feature names are turned into the kernel's.
    pub fn from_element(el: &Element) -> Settings {
        let duplex =
            DUPLEX.attr(el).and_then(|a| a.value.parse::<config::Duplex>().ok()).and_then(|d| match d {
                config::Duplex::Half => Some(Duplex::Half),
                config::Duplex::Full => Some(Duplex::Full),
                _ => None,
            });
        let mut s = Settings {
            speed: SPEED.get_u32(el),
            duplex,
            autoneg: AUTONEG.get_bool(el),
            ..Settings::default()
        };
        for f in el.children_named("feature") {
            if let (Some(name), Some(on)) = (FEATURE_NAME.attr(f), FEATURE_STATE.get_bool(f)) {
                s.features.push((kernel_feature_name(name.value.trim()).to_string(), on));
            }
        }
        let counts = |el: &Element,
                      specs: &[netplug_plugin_sdk::schema::AttrSpec]|
         -> Vec<(&'static str, Option<u32>)> {
            specs.iter().map(|spec| (spec.name, spec.get_u32(el))).collect()
        };
        s.ring = el.child("ring").map(|r| rings_from(&counts(r, RING_ATTRIBUTES)));
        s.channels = el.child("channels").map(|c| channels_from(&counts(c, CHANNELS_ATTRIBUTES)));
        s
    }

    /// The `<ethtool>` element saying exactly these settings.
    pub fn to_element(&self) -> Element {
        let mut el = Element::new("ethtool");
        if let Some(speed) = self.speed {
            el.set_attr("speed", speed);
        }
        if let Some(d) = self.duplex {
            el.set_attr("duplex", duplex_name(d));
        }
        if let Some(an) = self.autoneg {
            el.set_attr("autoneg", if an { "yes" } else { "no" });
        }
        for (name, on) in &self.features {
            el.children.push(Element::new("feature").with_attr("name", name).with_attr("state", on_off(*on)));
        }
        let counts = |name: &str, fields: &[(&'static str, Option<u32>, Option<u32>)]| {
            let mut c = Element::new(name);
            for (attr, value, _) in fields {
                if let Some(v) = value {
                    c.set_attr(*attr, v);
                }
            }
            c
        };
        if let Some(r) = &self.ring {
            el.children.push(counts("ring", &ring_fields(r)));
        }
        if let Some(c) = &self.channels {
            el.children.push(counts("channels", &channel_fields(c)));
        }
        el
    }

    /// The state of a feature, by kernel name, if these settings say it.
    pub fn feature(&self, name: &str) -> Option<bool> {
        self.features.iter().find(|(n, _)| n == name).map(|(_, on)| *on)
    }
}

/// Everything the kernel reports about one device's ethtool settings. `None` where the driver
/// does not support the request (`EOPNOTSUPP`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeviceState {
    /// Every feature, fixed ones included.
    pub features: Vec<Feature>,
    pub link_modes: Option<LinkModes>,
    pub rings: Option<Rings>,
    pub channels: Option<Channels>,
}

/// `Ok(None)` for an operation the driver does not support.
fn supported<T>(r: Result<T, netlink::Error>) -> Result<Option<T>, netlink::Error> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is_not_supported() => Ok(None),
        Err(e) => Err(e),
    }
}

impl DeviceState {
    /// Four ethtool requests: features, link modes, rings, channels.
    pub fn query(ethtool: &mut Ethtool, device: &str) -> Result<DeviceState, netlink::Error> {
        Ok(DeviceState {
            features: ethtool.features(device)?.features,
            link_modes: supported(ethtool.link_modes(device))?,
            rings: supported(ethtool.rings(device))?,
            channels: supported(ethtool.channels(device))?,
        })
    }

    /// Every device's state, by ifindex, from four dumps: the cost of a read does not grow
    /// with the number of interfaces asked about.
    pub fn dump(ethtool: &mut Ethtool) -> Result<HashMap<u32, DeviceState>, netlink::Error> {
        let mut out: HashMap<u32, DeviceState> = ethtool
            .dump_features()?
            .into_iter()
            .map(|(i, f)| (i, DeviceState { features: f.features, ..DeviceState::default() }))
            .collect();
        for (i, m) in ethtool.dump_link_modes()? {
            out.entry(i).or_default().link_modes = Some(m);
        }
        for (i, r) in ethtool.dump_rings()? {
            out.entry(i).or_default().rings = Some(r);
        }
        for (i, c) in ethtool.dump_channels()? {
            out.entry(i).or_default().channels = Some(c);
        }
        Ok(out)
    }

    pub fn feature(&self, name: &str) -> Option<&Feature> {
        self.features.iter().find(|f| f.name == name)
    }

    /// The settings as `<ethtool>` says them: every feature the driver lets change, link
    /// settings as [`link_settings`] reads them, and the ring sizes and channel counts the
    /// driver has (a maximum of 0 means it has none of that kind).
    pub fn settings(&self) -> Settings {
        let (speed, duplex, autoneg) = self.link_modes.as_ref().map(link_settings).unwrap_or_default();
        let has = |max: Option<u32>| max.is_some_and(|m| m > 0);
        let ring = self
            .rings
            .as_ref()
            .map(|r| rings_from(&ring_fields(r).map(|(name, v, max)| (name, v.filter(|_| has(max))))));
        let channels = self
            .channels
            .as_ref()
            .map(|c| channels_from(&channel_fields(c).map(|(name, v, max)| (name, v.filter(|_| has(max))))));
        Settings {
            speed,
            duplex,
            autoneg,
            features: self
                .features
                .iter()
                .filter(|f| f.changeable)
                .map(|f| (f.name.clone(), f.active))
                .collect(),
            ring: ring.filter(|r| ring_fields(r).iter().any(|(_, v, _)| v.is_some())),
            channels: channels.filter(|c| channel_fields(c).iter().any(|(_, v, _)| v.is_some())),
        }
    }
}

/// Speed, duplex and autonegotiation in `<ethtool>`'s sense. With autonegotiation off they are
/// the forced values. With it on, `speed`/`duplex` mean "advertise only these", so they are
/// reported only when every advertised mode has the same one; the speed negotiated with the
/// partner is not configuration and reporting it would, fed back, narrow what is advertised.
pub fn link_settings(m: &LinkModes) -> (Option<u32>, Option<Duplex>, Option<bool>) {
    if m.autoneg != Some(true) {
        return (m.speed, m.duplex, m.autoneg);
    }
    let modes: Vec<(u32, Duplex)> = m.advertised.iter().filter_map(|n| mode_speed_duplex(n)).collect();
    (single(modes.iter().map(|m| m.0)), single(modes.iter().map(|m| m.1)), Some(true))
}

/// The one value all of `values` have, if they have one.
fn single<T: PartialEq>(mut values: impl Iterator<Item = T>) -> Option<T> {
    let first = values.next()?;
    values.all(|v| v == first).then_some(first)
}

/// `1000baseT/Full` → (1000, Full); `Autoneg`, `Pause`, `TP` and the like → `None`.
pub fn mode_speed_duplex(name: &str) -> Option<(u32, Duplex)> {
    let digits = name.bytes().take_while(u8::is_ascii_digit).count();
    let speed = name[..digits].parse().ok()?;
    let rest = &name[digits..];
    if !rest.starts_with("base") {
        return None;
    }
    let duplex = match rest.rsplit_once('/')?.1 {
        "Full" => Duplex::Full,
        "Half" => Duplex::Half,
        _ => return None,
    };
    Some((speed, duplex))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn element_round_trip() {
        let s = Settings {
            speed: Some(1000),
            duplex: Some(Duplex::Full),
            autoneg: Some(false),
            features: vec![("rx-gro".into(), true), ("tx-checksum-ip-generic".into(), false)],
            ring: Some(Rings { rx: Some(512), tx: Some(256), ..Rings::default() }),
            channels: Some(Channels { combined: Some(4), ..Channels::default() }),
        };
        let el = s.to_element();
        assert_eq!(el.value("autoneg"), Some("no"));
        assert_eq!(el.children[0].value("state"), Some("on"));
        assert_eq!(el.child("ring").unwrap().attributes.len(), 2);
        assert_eq!(Settings::from_element(&el), s);
        // What to_element writes is what config.rs accepts.
        let item = netplug_plugin_sdk::Item {
            interface: "eth0".into(),
            kind: "ethernet".into(),
            envelope: None,
            element: el,
        };
        assert_eq!(config::validate(&[item]).diagnostics, []);
    }

    #[test]
    fn aliases_become_kernel_names() {
        let el = Element::new("ethtool").with_child(
            Element::new("feature").with_attr("name", "generic-receive-offload").with_attr("state", "yes"),
        );
        assert_eq!(Settings::from_element(&el).features, [("rx-gro".to_string(), true)]);
        assert_eq!(kernel_feature_name("tx-checksum-ip-generic"), "tx-checksum-ip-generic");
    }

    #[test]
    fn link_modes_in_ethtool_terms() {
        assert_eq!(mode_speed_duplex("1000baseT/Full"), Some((1000, Duplex::Full)));
        assert_eq!(mode_speed_duplex("10baseT/Half"), Some((10, Duplex::Half)));
        assert_eq!(mode_speed_duplex("Autoneg"), None);
        assert_eq!(mode_speed_duplex("Asym_Pause"), None);
        let modes = |autoneg, adv: &[&str]| LinkModes {
            autoneg: Some(autoneg),
            speed: Some(1000),
            duplex: Some(Duplex::Full),
            advertised: adv.iter().map(|s| s.to_string()).collect(),
            supported: Vec::new(),
        };
        // Forced: the configured values.
        assert_eq!(link_settings(&modes(false, &[])), (Some(1000), Some(Duplex::Full), Some(false)));
        // Negotiated with everything advertised: the negotiated speed is not reported.
        let all = ["10baseT/Half", "100baseT/Full", "1000baseT/Full", "Autoneg", "TP"];
        assert_eq!(link_settings(&modes(true, &all)), (None, None, Some(true)));
        let full = ["100baseT/Full", "1000baseT/Full", "Pause"];
        assert_eq!(link_settings(&modes(true, &full)), (None, Some(Duplex::Full), Some(true)));
        // Capped: one speed advertised.
        let capped = ["1000baseT/Full", "Autoneg"];
        assert_eq!(link_settings(&modes(true, &capped)), (Some(1000), Some(Duplex::Full), Some(true)));
    }

    #[test]
    fn settings_leave_out_fixed_features_and_absent_rings() {
        let f = |name: &str, active, changeable| Feature {
            name: name.into(),
            active,
            wanted: active,
            changeable,
        };
        let dev = DeviceState {
            features: vec![f("rx-gro", false, true), f("loopback", false, false)],
            link_modes: None,
            rings: Some(Rings {
                rx_max: Some(4096),
                rx: Some(256),
                rx_mini_max: Some(0),
                rx_mini: Some(0),
                ..Rings::default()
            }),
            channels: Some(Channels {
                rx_max: Some(2),
                rx: Some(1),
                tx_max: Some(2),
                tx: Some(1),
                ..Channels::default()
            }),
        };
        let s = dev.settings();
        assert_eq!(s.features, [("rx-gro".to_string(), false)]);
        assert_eq!(s.ring, Some(Rings { rx: Some(256), ..Rings::default() }));
        assert_eq!(s.channels, Some(Channels { rx: Some(1), tx: Some(1), ..Channels::default() }));
        assert_eq!(s.speed, None);
        let empty = DeviceState { rings: Some(Rings::default()), ..DeviceState::default() };
        assert_eq!(empty.settings().ring, None);
    }
}
