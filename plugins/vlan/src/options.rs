//! A VLAN as the kernel knows it (`IFLA_VLAN_ID`, `IFLA_VLAN_PROTOCOL`, `IFLA_VLAN_FLAGS`,
//! the parent in `IFLA_LINK`) and as the format writes it, and the messages between the two.
//!
//! The tag, protocol and parent make the VLAN what it is: the kernel cannot change them on an
//! existing link (`vlan_changelink` only takes flags and QoS maps), so a VLAN whose identity
//! changes is deleted and created again. The flags change in place.

use netplug_plugin_sdk::netlink::consts::{
    VLAN_FLAG_BRIDGE_BINDING, VLAN_FLAG_GVRP, VLAN_FLAG_LOOSE_BINDING, VLAN_FLAG_MVRP, VLAN_FLAG_REORDER_HDR,
};
use netplug_plugin_sdk::netlink::uapi as nl;
use netplug_plugin_sdk::netlink::{AttrBuilder, Attrs};
use netplug_plugin_sdk::schema::parse_bool;
use netplug_plugin_sdk::Element;

use crate::config::VlanProtocol;

pub const IFLA_VLAN_ID: u16 = nl::IFLA_VLAN_ID as u16;
pub const IFLA_VLAN_FLAGS: u16 = nl::IFLA_VLAN_FLAGS as u16;
pub const IFLA_VLAN_PROTOCOL: u16 = nl::IFLA_VLAN_PROTOCOL as u16;

/// The `<vlan>` attributes that are kernel VLAN flags, with their bits.
pub const FLAGS: &[(&str, u32)] = &[
    ("reorder_hdr", VLAN_FLAG_REORDER_HDR),
    ("gvrp", VLAN_FLAG_GVRP),
    ("mvrp", VLAN_FLAG_MVRP),
    ("loose_binding", VLAN_FLAG_LOOSE_BINDING),
    ("bridge_binding", VLAN_FLAG_BRIDGE_BINDING),
];

/// What makes a VLAN the VLAN it is; `None` where the element leaves it out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Identity {
    pub parent: Option<String>,
    pub tag: Option<u16>,
    pub protocol: Option<VlanProtocol>,
}

impl Identity {
    /// The identity an element gives; an unreadable tag or protocol is an error naming it.
    pub fn of(el: &Element) -> Result<Identity, String> {
        let tag = match el.value("tag") {
            None => None,
            Some(t) => Some(t.trim().parse::<u16>().map_err(|_| format!("invalid tag `{t}`"))?),
        };
        let protocol = match el.value("protocol") {
            None => None,
            Some(p) => Some(p.parse::<VlanProtocol>().map_err(|_| format!("invalid protocol `{p}`"))?),
        };
        Ok(Identity { parent: el.value("device").map(|d| d.trim().to_string()), tag, protocol })
    }

    /// What differs between a desired identity and the live one; what the desired one leaves
    /// out is left alone.
    pub fn differences(&self, live: &Identity) -> Vec<String> {
        let mut out = Vec::new();
        let was = |v: Option<String>| v.map(|v| format!(" (was {v})")).unwrap_or_default();
        if let Some(p) = self.parent.as_ref().filter(|p| live.parent.as_ref() != Some(*p)) {
            out.push(format!("device {p}{}", was(live.parent.clone())));
        }
        if let Some(t) = self.tag.filter(|t| live.tag != Some(*t)) {
            out.push(format!("tag {t}{}", was(live.tag.map(|t| t.to_string()))));
        }
        if let Some(p) = self.protocol.filter(|p| live.protocol.map(VlanProtocol::value) != Some(p.value())) {
            out.push(format!("protocol {p}{}", was(live.protocol.map(|p| p.to_string()))));
        }
        out
    }
}

/// The flags an element sets, in table order.
pub fn flags_of(el: &Element) -> Result<Vec<(&'static str, bool)>, String> {
    let mut out = Vec::new();
    for (name, _) in FLAGS {
        if let Some(v) = el.value(name) {
            out.push((*name, parse_bool(v).ok_or_else(|| format!("invalid {name} `{v}`"))?));
        }
    }
    Ok(out)
}

/// `struct ifla_vlan_flags` setting the named flags, and only those (the mask).
pub fn put_flags(data: &mut AttrBuilder, flags: &[(String, bool)]) -> Result<(), String> {
    let (mut set, mut mask) = (0u32, 0u32);
    for (name, on) in flags {
        let bit = FLAGS.iter().find(|(n, _)| n == name).map(|(_, b)| *b);
        let bit = bit.ok_or_else(|| format!("unknown VLAN flag {name}"))?;
        mask |= bit;
        if *on {
            set |= bit;
        }
    }
    let mut payload = [0u8; 8];
    payload[..4].copy_from_slice(&set.to_ne_bytes());
    payload[4..].copy_from_slice(&mask.to_ne_bytes());
    data.put(IFLA_VLAN_FLAGS, &payload);
    Ok(())
}

/// The VLAN's `IFLA_INFO_DATA` as the format writes it: tag, protocol and every flag.
pub fn read_data(data: Attrs<'_>, element: &mut Element) {
    if let Some(id) = data.get(IFLA_VLAN_ID).and_then(|a| a.u16()) {
        element.set_attr("tag", id);
    }
    if let Some(p) = data.get(IFLA_VLAN_PROTOCOL).and_then(|a| a.be16()) {
        element.set_attr("protocol", VlanProtocol::from(p));
    }
    if let Some(f) = data.get(IFLA_VLAN_FLAGS).and_then(|a| a.u32()) {
        for (name, bit) in FLAGS {
            element.set_attr(*name, if f & bit != 0 { "yes" } else { "no" });
        }
    }
}

/// `IFLA_INFO_DATA` creating a VLAN.
pub fn create_data(
    tag: u16,
    protocol: Option<&str>,
    flags: &[(String, bool)],
) -> Result<AttrBuilder, String> {
    let mut data = AttrBuilder::new();
    data.put_u16(IFLA_VLAN_ID, tag);
    if let Some(p) = protocol {
        let p: VlanProtocol = p.parse().map_err(|_| format!("invalid protocol `{p}`"))?;
        data.put_be16(IFLA_VLAN_PROTOCOL, p.value());
    }
    if !flags.is_empty() {
        put_flags(&mut data, flags)?;
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_differences_say_what_and_leave_the_unsaid_alone() {
        let el = Element::new("vlan").with_attr("device", "eth1").with_attr("tag", "42");
        let want = Identity::of(&el).unwrap();
        let live =
            Identity { parent: Some("eth0".into()), tag: Some(42), protocol: Some(VlanProtocol::Ieee8021Ad) };
        assert_eq!(want.differences(&live), ["device eth1 (was eth0)"]);
        let el = el.with_attr("protocol", "802.1q");
        assert_eq!(Identity::of(&el).unwrap().differences(&live)[1], "protocol 802.1Q (was 802.1ad)");
        assert!(Identity::of(&Element::new("vlan").with_attr("tag", "x")).is_err());
    }

    #[test]
    fn create_data_bytes() {
        let flags = vec![("reorder_hdr".to_string(), false), ("loose_binding".to_string(), true)];
        let data = create_data(100, Some("802.1ad"), &flags).unwrap();
        #[rustfmt::skip]
        let expected: Vec<u8> = [
            &[6u8, 0, IFLA_VLAN_ID as u8, 0][..], &100u16.to_ne_bytes(), &[0, 0], // IFLA_VLAN_ID 100
            &[6, 0, IFLA_VLAN_PROTOCOL as u8, 0, 0x88, 0xa8, 0, 0],          // 802.1ad, big-endian
            &[12, 0, IFLA_VLAN_FLAGS as u8, 0],                               // ifla_vlan_flags:
            &VLAN_FLAG_LOOSE_BINDING.to_ne_bytes(),                           //   flags
            &(VLAN_FLAG_REORDER_HDR | VLAN_FLAG_LOOSE_BINDING).to_ne_bytes(), //   mask
        ]
        .concat();
        assert_eq!(data.as_bytes(), &expected[..]);
    }

    #[test]
    fn read_data_names_every_flag() {
        let data = create_data(7, Some("802.1Q"), &[("reorder_hdr".into(), true)]).unwrap();
        let mut el = Element::new("vlan");
        read_data(Attrs::new(data.as_bytes()), &mut el);
        let attrs: Vec<(&str, &str)> =
            el.attributes.iter().map(|a| (a.name.as_str(), a.value.as_str())).collect();
        assert_eq!(
            attrs,
            [
                ("tag", "7"),
                ("protocol", "802.1Q"),
                ("reorder_hdr", "yes"),
                ("gvrp", "no"),
                ("mvrp", "no"),
                ("loose_binding", "no"),
                ("bridge_binding", "no"),
            ]
        );
    }
}
