//! ethtool over generic netlink: features, link modes, rings and channels.
//!
//! Devices are named in the request header (`ETHTOOL_A_*_HEADER` / `ETHTOOL_A_HEADER_DEV_NAME`)
//! and looked up in the socket's network namespace. Bitsets are requested in compact form
//! (`ETHTOOL_FLAG_COMPACT_BITSETS`) and mapped to names with the kernel's own string sets.

use crate::attr::{AttrBuilder, Attrs};
use crate::consts::*;
use crate::error::Error;
use crate::message::{Request, GENL_HDRLEN};
use crate::socket::Socket;

/// `ETH_SS_LINK_MODES` (linux/ethtool.h `enum ethtool_stringset`): link mode names.
const ETH_SS_LINK_MODES: u32 = 9;

/// A generic netlink socket bound to the `ethtool` family.
#[derive(Debug)]
pub struct Ethtool {
    sock: Socket,
    family: u16,
    feature_names: Option<Vec<String>>,
    link_mode_names: Option<Vec<String>>,
}

/// One netdev feature of a device (`ethtool -k`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Feature {
    /// The kernel's name (`tx-checksum-ip-generic`, `rx-gro` …).
    pub name: String,
    pub active: bool,
    /// What was last requested; differs from `active` when a dependency keeps it off.
    pub wanted: bool,
    /// The driver lets it be changed (`hw_features`); otherwise it is fixed.
    pub changeable: bool,
}

/// All features of a device, in the kernel's bit order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Features {
    pub features: Vec<Feature>,
}

impl Features {
    pub fn get(&self, name: &str) -> Option<&Feature> {
        self.features.iter().find(|f| f.name == name)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Duplex {
    Half,
    Full,
}

/// Speed, duplex and autonegotiation (`ethtool` without options).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LinkModes {
    pub autoneg: Option<bool>,
    /// Mb/s; `None` when unknown (no link).
    pub speed: Option<u32>,
    pub duplex: Option<Duplex>,
    /// Advertised link modes (`1000baseT/Full` …).
    pub advertised: Vec<String>,
    /// Supported link modes.
    pub supported: Vec<String>,
}

/// What to change in [`Ethtool::set_link_modes`]; `None` leaves a value alone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LinkModesChange {
    pub autoneg: Option<bool>,
    pub speed: Option<u32>,
    pub duplex: Option<Duplex>,
}

/// Ring sizes (`ethtool -g`); `None` where the driver reports nothing. In
/// [`Ethtool::set_rings`] only `rx`, `rx_mini`, `rx_jumbo` and `tx` are used.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rings {
    pub rx_max: Option<u32>,
    pub rx_mini_max: Option<u32>,
    pub rx_jumbo_max: Option<u32>,
    pub tx_max: Option<u32>,
    pub rx: Option<u32>,
    pub rx_mini: Option<u32>,
    pub rx_jumbo: Option<u32>,
    pub tx: Option<u32>,
}

/// Channel counts (`ethtool -l`). In [`Ethtool::set_channels`] only the counts are used.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Channels {
    pub rx_max: Option<u32>,
    pub tx_max: Option<u32>,
    pub other_max: Option<u32>,
    pub combined_max: Option<u32>,
    pub rx: Option<u32>,
    pub tx: Option<u32>,
    pub other: Option<u32>,
    pub combined: Option<u32>,
}

/// Writes the nested request header naming the device.
fn header(b: &mut AttrBuilder, attr: u16, ifname: &str, flags: u32) {
    b.nested(attr, |b| {
        b.put_str(ETHTOOL_A_HEADER_DEV_NAME, ifname);
        if flags != 0 {
            b.put_u32(ETHTOOL_A_HEADER_FLAGS, flags);
        }
    });
}

/// A bitset attribute, compact (`SIZE`, `VALUE`, `MASK`) or verbose (`BITS`), as two bit
/// vectors: values and mask (all ones for a list without mask).
fn parse_bitset(attrs: Attrs<'_>) -> (Vec<bool>, Vec<bool>) {
    let mut size = 0usize;
    let (mut value, mut mask, mut nomask) = (None, None, false);
    let mut verbose: Vec<(usize, bool)> = Vec::new();
    for a in attrs {
        match a.kind() {
            ETHTOOL_A_BITSET_NOMASK => nomask = true,
            ETHTOOL_A_BITSET_SIZE => size = a.u32().unwrap_or(0) as usize,
            ETHTOOL_A_BITSET_VALUE => value = Some(a.payload()),
            ETHTOOL_A_BITSET_MASK => mask = Some(a.payload()),
            ETHTOOL_A_BITSET_BITS => {
                for bit in a.nested().filter(|b| b.kind() == ETHTOOL_A_BITSET_BITS_BIT) {
                    let inner = bit.nested();
                    if let Some(i) = inner.get(ETHTOOL_A_BITSET_BIT_INDEX).and_then(|x| x.u32()) {
                        verbose.push((i as usize, inner.get(ETHTOOL_A_BITSET_BIT_VALUE).is_some()));
                    }
                }
            }
            _ => {}
        }
    }
    // Compact bitsets are arrays of host-endian u32 words, bit i in word i / 32.
    let bits = |words: Option<&[u8]>| -> Vec<bool> {
        let words = words.unwrap_or(&[]);
        (0..size)
            .map(|i| {
                let w = words
                    .get(i / 32 * 4..i / 32 * 4 + 4)
                    .map_or(0, |w| u32::from_ne_bytes(w.try_into().unwrap()));
                w >> (i % 32) & 1 == 1
            })
            .collect()
    };
    let (mut v, mut m) = (bits(value), if nomask { vec![true; size] } else { bits(mask) });
    for (i, on) in verbose {
        if i >= v.len() {
            v.resize(i + 1, false);
            m.resize(i + 1, nomask);
        }
        v[i] = on;
        m[i] = true;
    }
    (v, m)
}

/// A compact bitset of `size` bits with `bits` (index, value) set in value and mask.
fn put_bitset(b: &mut AttrBuilder, attr: u16, size: usize, bits: &[(usize, bool)]) {
    let words = size.div_ceil(32);
    let (mut value, mut mask) = (vec![0u32; words], vec![0u32; words]);
    for &(i, on) in bits {
        mask[i / 32] |= 1 << (i % 32);
        if on {
            value[i / 32] |= 1 << (i % 32);
        }
    }
    let bytes = |w: &[u32]| w.iter().flat_map(|x| x.to_ne_bytes()).collect::<Vec<u8>>();
    b.nested(attr, |b| {
        b.put_u32(ETHTOOL_A_BITSET_SIZE, size as u32);
        b.put(ETHTOOL_A_BITSET_VALUE, &bytes(&value));
        b.put(ETHTOOL_A_BITSET_MASK, &bytes(&mask));
    });
}

fn on_off(on: bool) -> &'static str {
    if on {
        "on"
    } else {
        "off"
    }
}

impl Ethtool {
    /// Opens a generic netlink socket and resolves the `ethtool` family (Linux 5.6+).
    pub fn open() -> Result<Ethtool, Error> {
        let mut sock = Socket::generic()?;
        let family = sock.resolve_family(ETHTOOL_GENL_NAME)?;
        Ok(Ethtool { sock, family, feature_names: None, link_mode_names: None })
    }

    pub fn family_id(&self) -> u16 {
        self.family
    }

    /// Sends `cmd` and returns the attributes of its one reply (empty if none came).
    fn call(&mut self, cmd: u8, attrs: &AttrBuilder, op: String) -> Result<Vec<u8>, Error> {
        let req = Request::genl(self.family, cmd, ETHTOOL_GENL_VERSION, attrs, op);
        let mut reply = Vec::new();
        self.sock.request_with_replies(req, |msg| {
            reply = msg.payload.get(GENL_HDRLEN..).unwrap_or(&[]).to_vec();
            Ok(())
        })?;
        Ok(reply)
    }

    /// A global string set (`ETHTOOL_MSG_STRSET_GET` without a device).
    fn string_set(&mut self, id: u32, op: &str) -> Result<Vec<String>, Error> {
        let mut b = AttrBuilder::new();
        // The header is required (GENL_REQ_ATTR_CHECK in ethnl_default_doit) even when it
        // names no device: an empty one asks for the global sets.
        b.nested(ETHTOOL_A_STRSET_HEADER, |_| {});
        b.nested(ETHTOOL_A_STRSET_STRINGSETS, |b| {
            b.nested(ETHTOOL_A_STRINGSETS_STRINGSET, |b| {
                b.put_u32(ETHTOOL_A_STRINGSET_ID, id);
            });
        });
        let reply = self.call(ETHTOOL_MSG_STRSET_GET, &b, op.to_string())?;
        let mut names = Vec::new();
        let sets = Attrs::new(&reply).get(ETHTOOL_A_STRSET_STRINGSETS).map(|a| a.nested());
        for set in sets.into_iter().flatten().filter(|a| a.kind() == ETHTOOL_A_STRINGSETS_STRINGSET) {
            let set = set.nested();
            if let Some(n) = set.get(ETHTOOL_A_STRINGSET_COUNT).and_then(|a| a.u32()) {
                names.resize(n as usize, String::new());
            }
            let strings = set.get(ETHTOOL_A_STRINGSET_STRINGS).map(|a| a.nested());
            for s in strings.into_iter().flatten().filter(|a| a.kind() == ETHTOOL_A_STRINGS_STRING) {
                let s = s.nested();
                let index = s.get(ETHTOOL_A_STRING_INDEX).and_then(|a| a.u32());
                let value = s.get(ETHTOOL_A_STRING_VALUE).and_then(|a| a.str());
                if let (Some(i), Some(v)) = (index, value) {
                    if i as usize >= names.len() {
                        names.resize(i as usize + 1, String::new());
                    }
                    names[i as usize] = v.to_string();
                }
            }
        }
        if names.is_empty() {
            return Err(Error::other(op, format!("the kernel sent no strings for string set {id}")));
        }
        Ok(names)
    }

    /// The kernel's feature names (`ETH_SS_FEATURES`), indexed by feature bit; fetched once.
    pub fn feature_names(&mut self) -> Result<&[String], Error> {
        if self.feature_names.is_none() {
            self.feature_names = Some(self.string_set(ETH_SS_FEATURES, "get feature names")?);
        }
        Ok(self.feature_names.as_deref().unwrap_or_default())
    }

    /// The features of `ifname` (`ETHTOOL_MSG_FEATURES_GET`).
    pub fn features(&mut self, ifname: &str) -> Result<Features, Error> {
        let names = self.feature_names()?.to_vec();
        let mut b = AttrBuilder::new();
        header(&mut b, ETHTOOL_A_FEATURES_HEADER, ifname, ETHTOOL_FLAG_COMPACT_BITSETS);
        let reply = self.call(ETHTOOL_MSG_FEATURES_GET, &b, "get features".to_string())?;
        Ok(parse_features(&names, &reply))
    }

    /// Turns features on or off by name (`ETHTOOL_MSG_FEATURES_SET`).
    ///
    /// The kernel silently ignores requests to change a fixed feature and reports features it
    /// could not set only in its reply; both become errors here naming the feature: an unknown
    /// name is `EINVAL`, a fixed feature `EOPNOTSUPP` ("the feature is fixed on veth0"), and a
    /// feature the kernel left unchanged (usually a dependency on another feature) an error
    /// without errno. Features already in the requested state are not sent.
    pub fn set_features(&mut self, ifname: &str, changes: &[(&str, bool)]) -> Result<(), Error> {
        let current = self.features(ifname)?;
        let names = self.feature_names()?.to_vec();
        let mut bits = Vec::new();
        for &(name, on) in changes {
            let op = format!("set feature {name} {}", on_off(on));
            let Some(index) = names.iter().position(|n| n == name) else {
                return Err(Error::kernel(op, libc::EINVAL, Some("no such feature".to_string())));
            };
            let feature = current.get(name).expect("feature listed by name");
            // A fixed feature already in the requested state is fine; its `wanted` bit is
            // meaningless (the kernel keeps only changeable bits in `wanted_features`).
            if feature.active == on && (feature.wanted == on || !feature.changeable) {
                continue;
            }
            if !feature.changeable {
                let why = format!("the feature is fixed on {ifname}");
                return Err(Error::kernel(op, libc::EOPNOTSUPP, Some(why)));
            }
            bits.push((index, on));
        }
        if bits.is_empty() {
            return Ok(());
        }
        let mut b = AttrBuilder::new();
        header(&mut b, ETHTOOL_A_FEATURES_HEADER, ifname, ETHTOOL_FLAG_COMPACT_BITSETS);
        put_bitset(&mut b, ETHTOOL_A_FEATURES_WANTED, names.len(), &bits);
        let list: Vec<String> = bits.iter().map(|&(i, on)| format!("{} {}", names[i], on_off(on))).collect();
        let reply = self.call(ETHTOOL_MSG_FEATURES_SET, &b, format!("set features {}", list.join(", ")))?;
        // The reply's WANTED holds, under its mask, the requested bits that did not take.
        if let Some(a) = Attrs::new(&reply).get(ETHTOOL_A_FEATURES_WANTED) {
            let (value, mask) = parse_bitset(a.nested());
            if let Some(i) = mask.iter().position(|&m| m) {
                let on = value[i];
                let why = format!("{ifname} kept it {}; it may depend on another feature", on_off(!on));
                return Err(Error::other(format!("set feature {} {}", names[i], on_off(on)), why));
            }
        }
        Ok(())
    }

    /// Speed, duplex, autonegotiation and link modes (`ETHTOOL_MSG_LINKMODES_GET`).
    pub fn link_modes(&mut self, ifname: &str) -> Result<LinkModes, Error> {
        if self.link_mode_names.is_none() {
            self.link_mode_names = Some(self.string_set(ETH_SS_LINK_MODES, "get link mode names")?);
        }
        let mut b = AttrBuilder::new();
        header(&mut b, ETHTOOL_A_LINKMODES_HEADER, ifname, ETHTOOL_FLAG_COMPACT_BITSETS);
        let reply = self.call(ETHTOOL_MSG_LINKMODES_GET, &b, "get link modes".to_string())?;
        Ok(parse_link_modes(self.link_mode_names.as_deref().unwrap_or_default(), &reply))
    }

    /// Sets speed, duplex and/or autonegotiation (`ETHTOOL_MSG_LINKMODES_SET`).
    pub fn set_link_modes(&mut self, ifname: &str, change: &LinkModesChange) -> Result<(), Error> {
        let mut b = AttrBuilder::new();
        header(&mut b, ETHTOOL_A_LINKMODES_HEADER, ifname, 0);
        let mut what = Vec::new();
        if let Some(an) = change.autoneg {
            b.put_u8(ETHTOOL_A_LINKMODES_AUTONEG, an as u8);
            what.push(format!("autoneg {}", on_off(an)));
        }
        if let Some(speed) = change.speed {
            b.put_u32(ETHTOOL_A_LINKMODES_SPEED, speed);
            what.push(format!("speed {speed}"));
        }
        if let Some(d) = change.duplex {
            b.put_u8(ETHTOOL_A_LINKMODES_DUPLEX, if d == Duplex::Full { DUPLEX_FULL } else { DUPLEX_HALF });
            what.push(format!("duplex {}", if d == Duplex::Full { "full" } else { "half" }));
        }
        self.call(ETHTOOL_MSG_LINKMODES_SET, &b, format!("set {}", what.join(" "))).map(drop)
    }

    /// Ring sizes (`ETHTOOL_MSG_RINGS_GET`); `EOPNOTSUPP` if the driver has none.
    pub fn rings(&mut self, ifname: &str) -> Result<Rings, Error> {
        let mut b = AttrBuilder::new();
        header(&mut b, ETHTOOL_A_RINGS_HEADER, ifname, 0);
        let reply = self.call(ETHTOOL_MSG_RINGS_GET, &b, "get rings".to_string())?;
        Ok(parse_rings(&reply))
    }

    /// Sets ring sizes (`ETHTOOL_MSG_RINGS_SET`); fields left `None` are not sent.
    pub fn set_rings(&mut self, ifname: &str, rings: &Rings) -> Result<(), Error> {
        let mut b = AttrBuilder::new();
        header(&mut b, ETHTOOL_A_RINGS_HEADER, ifname, 0);
        let fields = [
            (ETHTOOL_A_RINGS_RX, rings.rx, "rx"),
            (ETHTOOL_A_RINGS_RX_MINI, rings.rx_mini, "rx-mini"),
            (ETHTOOL_A_RINGS_RX_JUMBO, rings.rx_jumbo, "rx-jumbo"),
            (ETHTOOL_A_RINGS_TX, rings.tx, "tx"),
        ];
        let op = put_counts(&mut b, "set rings", &fields);
        self.call(ETHTOOL_MSG_RINGS_SET, &b, op).map(drop)
    }

    /// Channel counts (`ETHTOOL_MSG_CHANNELS_GET`); `EOPNOTSUPP` if the driver has none.
    pub fn channels(&mut self, ifname: &str) -> Result<Channels, Error> {
        let mut b = AttrBuilder::new();
        header(&mut b, ETHTOOL_A_CHANNELS_HEADER, ifname, 0);
        let reply = self.call(ETHTOOL_MSG_CHANNELS_GET, &b, "get channels".to_string())?;
        Ok(parse_channels(&reply))
    }

    /// Sets channel counts (`ETHTOOL_MSG_CHANNELS_SET`); fields left `None` are not sent.
    pub fn set_channels(&mut self, ifname: &str, ch: &Channels) -> Result<(), Error> {
        let mut b = AttrBuilder::new();
        header(&mut b, ETHTOOL_A_CHANNELS_HEADER, ifname, 0);
        let fields = [
            (ETHTOOL_A_CHANNELS_RX_COUNT, ch.rx, "rx"),
            (ETHTOOL_A_CHANNELS_TX_COUNT, ch.tx, "tx"),
            (ETHTOOL_A_CHANNELS_OTHER_COUNT, ch.other, "other"),
            (ETHTOOL_A_CHANNELS_COMBINED_COUNT, ch.combined, "combined"),
        ];
        let op = put_counts(&mut b, "set channels", &fields);
        self.call(ETHTOOL_MSG_CHANNELS_SET, &b, op).map(drop)
    }
}

/// Puts the set u32 fields and returns the op text ("set channels rx 1 tx 1").
fn put_counts(b: &mut AttrBuilder, verb: &str, fields: &[(u16, Option<u32>, &str)]) -> String {
    let mut op = verb.to_string();
    for &(attr, value, name) in fields {
        if let Some(v) = value {
            b.put_u32(attr, v);
            op.push_str(&format!(" {name} {v}"));
        }
    }
    op
}

/// A `FEATURES_GET` reply's attributes, with the kernel's feature names.
fn parse_features(names: &[String], reply: &[u8]) -> Features {
    let set = |attr| Attrs::new(reply).get(attr).map(|a| parse_bitset(a.nested()).0).unwrap_or_default();
    let (hw, wanted, active) =
        (set(ETHTOOL_A_FEATURES_HW), set(ETHTOOL_A_FEATURES_WANTED), set(ETHTOOL_A_FEATURES_ACTIVE));
    let bit = |v: &Vec<bool>, i: usize| v.get(i).copied().unwrap_or(false);
    let features = names
        .iter()
        .enumerate()
        .filter(|(_, name)| !name.is_empty())
        .map(|(i, name)| Feature {
            name: name.clone(),
            active: bit(&active, i),
            wanted: bit(&wanted, i),
            changeable: bit(&hw, i),
        })
        .collect();
    Features { features }
}

/// A `LINKMODES_GET` reply's attributes, with the kernel's link mode names.
fn parse_link_modes(names: &[String], reply: &[u8]) -> LinkModes {
    let mut m = LinkModes::default();
    for a in Attrs::new(reply) {
        match a.kind() {
            ETHTOOL_A_LINKMODES_AUTONEG => m.autoneg = a.u8().map(|v| v != 0),
            ETHTOOL_A_LINKMODES_SPEED => m.speed = a.u32().filter(|&s| s != SPEED_UNKNOWN),
            ETHTOOL_A_LINKMODES_DUPLEX => {
                m.duplex = match a.u8() {
                    Some(DUPLEX_HALF) => Some(Duplex::Half),
                    Some(DUPLEX_FULL) => Some(Duplex::Full),
                    _ => None,
                }
            }
            ETHTOOL_A_LINKMODES_OURS => {
                let (value, mask) = parse_bitset(a.nested());
                let pick = |v: &[bool]| -> Vec<String> {
                    v.iter()
                        .enumerate()
                        .filter(|(_, &on)| on)
                        .map(|(i, _)| names.get(i).cloned().unwrap_or_else(|| format!("mode {i}")))
                        .collect()
                };
                m.advertised = pick(&value);
                m.supported = pick(&mask);
            }
            _ => {}
        }
    }
    m
}

fn parse_rings(reply: &[u8]) -> Rings {
    let get = |k| Attrs::new(reply).get(k).and_then(|a| a.u32());
    Rings {
        rx_max: get(ETHTOOL_A_RINGS_RX_MAX),
        rx_mini_max: get(ETHTOOL_A_RINGS_RX_MINI_MAX),
        rx_jumbo_max: get(ETHTOOL_A_RINGS_RX_JUMBO_MAX),
        tx_max: get(ETHTOOL_A_RINGS_TX_MAX),
        rx: get(ETHTOOL_A_RINGS_RX),
        rx_mini: get(ETHTOOL_A_RINGS_RX_MINI),
        rx_jumbo: get(ETHTOOL_A_RINGS_RX_JUMBO),
        tx: get(ETHTOOL_A_RINGS_TX),
    }
}

fn parse_channels(reply: &[u8]) -> Channels {
    let get = |k| Attrs::new(reply).get(k).and_then(|a| a.u32());
    Channels {
        rx_max: get(ETHTOOL_A_CHANNELS_RX_MAX),
        tx_max: get(ETHTOOL_A_CHANNELS_TX_MAX),
        other_max: get(ETHTOOL_A_CHANNELS_OTHER_MAX),
        combined_max: get(ETHTOOL_A_CHANNELS_COMBINED_MAX),
        rx: get(ETHTOOL_A_CHANNELS_RX_COUNT),
        tx: get(ETHTOOL_A_CHANNELS_TX_COUNT),
        other: get(ETHTOOL_A_CHANNELS_OTHER_COUNT),
        combined: get(ETHTOOL_A_CHANNELS_COMBINED_COUNT),
    }
}

/// Dumps: one request covers every device of the namespace, for reads about many devices
/// (a `GET` per device and setting would cost four round trips per interface). Each entry is
/// the device's ifindex and what the `GET` of that device returns.
impl Ethtool {
    /// Runs a `*_GET` dump and returns each device's (ifindex, reply attributes). The kernel
    /// leaves out devices whose driver lacks the setting (`EOPNOTSUPP`).
    fn dump_replies(
        &mut self,
        cmd: u8,
        header_attr: u16,
        flags: u32,
        op: &str,
    ) -> Result<Vec<(u32, Vec<u8>)>, Error> {
        let mut b = AttrBuilder::new();
        b.nested(header_attr, |b| {
            if flags != 0 {
                b.put_u32(ETHTOOL_A_HEADER_FLAGS, flags);
            }
        });
        let req = Request::genl(self.family, cmd, ETHTOOL_GENL_VERSION, &b, op);
        self.sock.dump(req, |msg| {
            let attrs = msg.payload.get(GENL_HDRLEN..).unwrap_or(&[]);
            let header = Attrs::new(attrs).get(header_attr).map(|h| h.nested());
            let index = header.and_then(|h| h.get(ETHTOOL_A_HEADER_DEV_INDEX)).and_then(|a| a.u32());
            Ok(index.map(|i| (i, attrs.to_vec())))
        })
    }

    /// Every device's features (one `ETHTOOL_MSG_FEATURES_GET` dump).
    pub fn dump_features(&mut self) -> Result<Vec<(u32, Features)>, Error> {
        let names = self.feature_names()?.to_vec();
        let replies = self.dump_replies(
            ETHTOOL_MSG_FEATURES_GET,
            ETHTOOL_A_FEATURES_HEADER,
            ETHTOOL_FLAG_COMPACT_BITSETS,
            "dump features",
        )?;
        Ok(replies.into_iter().map(|(i, r)| (i, parse_features(&names, &r))).collect())
    }

    /// Every device's link modes (one `ETHTOOL_MSG_LINKMODES_GET` dump).
    pub fn dump_link_modes(&mut self) -> Result<Vec<(u32, LinkModes)>, Error> {
        if self.link_mode_names.is_none() {
            self.link_mode_names = Some(self.string_set(ETH_SS_LINK_MODES, "get link mode names")?);
        }
        let replies = self.dump_replies(
            ETHTOOL_MSG_LINKMODES_GET,
            ETHTOOL_A_LINKMODES_HEADER,
            ETHTOOL_FLAG_COMPACT_BITSETS,
            "dump link modes",
        )?;
        let names = self.link_mode_names.as_deref().unwrap_or_default();
        Ok(replies.into_iter().map(|(i, r)| (i, parse_link_modes(names, &r))).collect())
    }

    /// Every device's ring sizes (one `ETHTOOL_MSG_RINGS_GET` dump).
    pub fn dump_rings(&mut self) -> Result<Vec<(u32, Rings)>, Error> {
        let replies = self.dump_replies(ETHTOOL_MSG_RINGS_GET, ETHTOOL_A_RINGS_HEADER, 0, "dump rings")?;
        Ok(replies.into_iter().map(|(i, r)| (i, parse_rings(&r))).collect())
    }

    /// Every device's channel counts (one `ETHTOOL_MSG_CHANNELS_GET` dump).
    pub fn dump_channels(&mut self) -> Result<Vec<(u32, Channels)>, Error> {
        let replies =
            self.dump_replies(ETHTOOL_MSG_CHANNELS_GET, ETHTOOL_A_CHANNELS_HEADER, 0, "dump channels")?;
        Ok(replies.into_iter().map(|(i, r)| (i, parse_channels(&r))).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_bitset_round_trip() {
        let mut b = AttrBuilder::new();
        put_bitset(&mut b, 3, 40, &[(1, true), (33, false), (34, true)]);
        let attr = Attrs::new(b.as_bytes()).next().unwrap();
        assert!(attr.has_nested_flag());
        let (value, mask) = parse_bitset(attr.nested());
        assert_eq!(value.len(), 40);
        let set = |v: &[bool]| v.iter().enumerate().filter(|(_, &x)| x).map(|(i, _)| i).collect::<Vec<_>>();
        assert_eq!(set(&value), vec![1, 34]);
        assert_eq!(set(&mask), vec![1, 33, 34]);
    }

    #[test]
    fn verbose_bitset_is_understood() {
        let mut b = AttrBuilder::new();
        b.put_flag(ETHTOOL_A_BITSET_NOMASK).put_u32(ETHTOOL_A_BITSET_SIZE, 8);
        b.nested(ETHTOOL_A_BITSET_BITS, |b| {
            b.nested(ETHTOOL_A_BITSET_BITS_BIT, |b| {
                b.put_u32(ETHTOOL_A_BITSET_BIT_INDEX, 5).put_str(ETHTOOL_A_BITSET_BIT_NAME, "x");
                b.put_flag(ETHTOOL_A_BITSET_BIT_VALUE);
            });
        });
        let (value, _) = parse_bitset(Attrs::new(b.as_bytes()));
        assert!(value[5] && !value[4]);
    }
}
