//! WireGuard over generic netlink (family `wireguard`, `include/uapi/linux/wireguard.h`): read a
//! device with its peers (`WG_CMD_GET_DEVICE`) and change it (`WG_CMD_SET_DEVICE`).
//!
//! The link itself is an rtnetlink link of kind `wireguard` ([`crate::LinkMessage`]); this
//! module is its configuration. Private and preshared keys travel as [`SecretKey`]s, which
//! never print and are wiped when dropped; an error names the operation and the device, never a
//! key.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use zeroize::Zeroize;

use crate::attr::{AttrBuilder, Attrs};
use crate::error::Error;
use crate::message::{Request, GENL_HDRLEN};
use crate::socket::Socket;

pub const WG_GENL_NAME: &str = "wireguard";
pub const WG_GENL_VERSION: u8 = 1;
pub const WG_KEY_LEN: usize = 32;

pub const WG_CMD_GET_DEVICE: u8 = 0;
pub const WG_CMD_SET_DEVICE: u8 = 1;

pub const WGDEVICE_F_REPLACE_PEERS: u32 = 1 << 0;

pub const WGDEVICE_A_IFINDEX: u16 = 1;
pub const WGDEVICE_A_IFNAME: u16 = 2;
pub const WGDEVICE_A_PRIVATE_KEY: u16 = 3;
pub const WGDEVICE_A_PUBLIC_KEY: u16 = 4;
pub const WGDEVICE_A_FLAGS: u16 = 5;
pub const WGDEVICE_A_LISTEN_PORT: u16 = 6;
pub const WGDEVICE_A_FWMARK: u16 = 7;
pub const WGDEVICE_A_PEERS: u16 = 8;

pub const WGPEER_F_REMOVE_ME: u32 = 1 << 0;
pub const WGPEER_F_REPLACE_ALLOWEDIPS: u32 = 1 << 1;
pub const WGPEER_F_UPDATE_ONLY: u32 = 1 << 2;

pub const WGPEER_A_PUBLIC_KEY: u16 = 1;
pub const WGPEER_A_PRESHARED_KEY: u16 = 2;
pub const WGPEER_A_FLAGS: u16 = 3;
pub const WGPEER_A_ENDPOINT: u16 = 4;
pub const WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL: u16 = 5;
pub const WGPEER_A_LAST_HANDSHAKE_TIME: u16 = 6;
pub const WGPEER_A_RX_BYTES: u16 = 7;
pub const WGPEER_A_TX_BYTES: u16 = 8;
pub const WGPEER_A_ALLOWEDIPS: u16 = 9;
pub const WGPEER_A_PROTOCOL_VERSION: u16 = 10;

pub const WGALLOWEDIP_A_FAMILY: u16 = 1;
pub const WGALLOWEDIP_A_IPADDR: u16 = 2;
pub const WGALLOWEDIP_A_CIDR_MASK: u16 = 3;

/// The most attribute bytes one `WG_CMD_SET_DEVICE` carries. A nest's length is a u16, so the
/// peer list of one message must stay under 64 KiB; longer lists go in several messages, as
/// `wg(8)` sends them.
pub const SET_MESSAGE_BUDGET: usize = 32 * 1024;

/// A public key: not secret, printed as hex in debug output only.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PublicKey(pub [u8; WG_KEY_LEN]);

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey(")?;
        for b in &self.0[..4] {
            write!(f, "{b:02x}")?;
        }
        write!(f, "…)")
    }
}

/// A private or preshared key: never printed, wiped from memory when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey(Box<[u8; WG_KEY_LEN]>);

impl SecretKey {
    pub fn new(bytes: [u8; WG_KEY_LEN]) -> SecretKey {
        let mut bytes = bytes;
        let key = SecretKey(Box::new(bytes));
        bytes.zeroize();
        key
    }

    /// The all-zero key, which the kernel takes as "none" (no private key, no preshared key).
    pub fn none() -> SecretKey {
        SecretKey(Box::new([0; WG_KEY_LEN]))
    }

    pub fn is_none(&self) -> bool {
        self.0.iter().all(|&b| b == 0)
    }

    pub fn bytes(&self) -> &[u8; WG_KEY_LEN] {
        &self.0
    }

    fn from_slice(bytes: &[u8]) -> Option<SecretKey> {
        let mut key = SecretKey::none();
        key.0.copy_from_slice(bytes.get(..WG_KEY_LEN).filter(|_| bytes.len() == WG_KEY_LEN)?);
        Some(key)
    }
}

impl Drop for SecretKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.is_none() { "SecretKey(none)" } else { "SecretKey(hidden)" })
    }
}

/// One allowed IP range of a peer: `addr/cidr`, host bits cleared by the kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AllowedIp {
    pub addr: IpAddr,
    pub cidr: u8,
}

impl fmt::Display for AllowedIp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.cidr)
    }
}

/// A peer as the kernel reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Peer {
    pub public_key: PublicKey,
    /// `None` when the peer has none (the kernel reports all zeroes).
    pub preshared_key: Option<SecretKey>,
    pub endpoint: Option<SocketAddr>,
    /// Seconds; 0 is off.
    pub persistent_keepalive: u16,
    pub allowed_ips: Vec<AllowedIp>,
    /// Seconds and nanoseconds since the epoch of the last handshake; `None` before the first.
    pub last_handshake: Option<(i64, i64)>,
    pub rx_bytes: u64,
    pub tx_bytes: u64,
}

/// A device as the kernel reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Device {
    pub ifindex: u32,
    pub ifname: String,
    /// `None` until a private key is set.
    pub private_key: Option<SecretKey>,
    /// Derived by the kernel from the private key.
    pub public_key: Option<PublicKey>,
    /// The UDP port; the kernel picks one when the device goes up with none set.
    pub listen_port: u16,
    pub fwmark: u32,
    pub peers: Vec<Peer>,
}

/// What one `WG_CMD_SET_DEVICE` changes on a device; `None` leaves a value alone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeviceChange {
    pub ifname: String,
    /// [`SecretKey::none`] removes the device's key.
    pub private_key: Option<SecretKey>,
    pub listen_port: Option<u16>,
    pub fwmark: Option<u32>,
    /// Remove every peer not in `peers` (`WGDEVICE_F_REPLACE_PEERS`).
    pub replace_peers: bool,
    pub peers: Vec<PeerChange>,
}

/// What a set does to one peer; `None` leaves a value alone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerChange {
    pub public_key: PublicKey,
    /// Remove the peer (`WGPEER_F_REMOVE_ME`); nothing else is sent.
    pub remove: bool,
    /// Change the peer only if it exists (`WGPEER_F_UPDATE_ONLY`).
    pub update_only: bool,
    /// [`SecretKey::none`] removes the peer's preshared key.
    pub preshared_key: Option<SecretKey>,
    pub endpoint: Option<SocketAddr>,
    pub persistent_keepalive: Option<u16>,
    /// Replace the peer's allowed IPs with `allowed_ips` (`WGPEER_F_REPLACE_ALLOWEDIPS`);
    /// otherwise `allowed_ips` are added.
    pub replace_allowed_ips: bool,
    pub allowed_ips: Vec<AllowedIp>,
}

impl PeerChange {
    /// A change that only names the peer.
    pub fn new(public_key: PublicKey) -> PeerChange {
        PeerChange {
            public_key,
            remove: false,
            update_only: false,
            preshared_key: None,
            endpoint: None,
            persistent_keepalive: None,
            replace_allowed_ips: false,
            allowed_ips: Vec::new(),
        }
    }
}

/// A generic netlink socket bound to the `wireguard` family.
#[derive(Debug)]
pub struct WireGuard {
    sock: Socket,
    family: u16,
}

impl WireGuard {
    /// Opens a generic netlink socket and resolves the `wireguard` family; fails with `ENOENT`
    /// when the module is not loaded (the kernel loads it when a `wireguard` link is created).
    pub fn open() -> Result<WireGuard, Error> {
        let mut sock = Socket::generic()?;
        let family = sock.resolve_family(WG_GENL_NAME)?;
        Ok(WireGuard { sock, family })
    }

    pub fn family_id(&self) -> u16 {
        self.family
    }

    /// The device `ifname` with every peer (`WG_CMD_GET_DEVICE`, a dump: a device with many
    /// peers comes in several messages, a peer's allowed IPs possibly split across two).
    pub fn device(&mut self, ifname: &str) -> Result<Device, Error> {
        let mut attrs = AttrBuilder::new();
        attrs.put_str(WGDEVICE_A_IFNAME, ifname);
        let op = format!("get wireguard device {ifname}");
        let req = Request::genl(self.family, WG_CMD_GET_DEVICE, WG_GENL_VERSION, &attrs, op);
        let mut device = Device::default();
        self.sock.dump(req, |msg| {
            parse_device_message(msg.payload.get(GENL_HDRLEN..).unwrap_or(&[]), &mut device);
            Ok(None::<()>)
        })?;
        Ok(device)
    }

    /// Applies `change` (`WG_CMD_SET_DEVICE`), in as many messages as its peers need.
    pub fn set(&mut self, change: &DeviceChange) -> Result<(), Error> {
        for (i, mut attrs) in set_messages(change, SET_MESSAGE_BUDGET).into_iter().enumerate() {
            let op = match i {
                0 => format!("set wireguard device {}", change.ifname),
                n => format!("set wireguard device {} (message {})", change.ifname, n + 1),
            };
            let req = Request::genl(self.family, WG_CMD_SET_DEVICE, WG_GENL_VERSION, &attrs, op);
            // The request's own copy of a key is the socket's business; ours is wiped here.
            attrs.bytes_mut().zeroize();
            self.sock.request(req)?;
        }
        Ok(())
    }
}

/// Folds one message of a `WG_CMD_GET_DEVICE` dump into `device`: the first message carries
/// the device's own attributes, every message some peers; a peer whose allowed IPs did not fit
/// continues at the start of the next message under the same public key.
pub fn parse_device_message(attrs: &[u8], device: &mut Device) {
    for a in Attrs::new(attrs) {
        match a.kind() {
            WGDEVICE_A_IFINDEX => device.ifindex = a.u32().unwrap_or(device.ifindex),
            WGDEVICE_A_IFNAME => device.ifname = a.str().unwrap_or_default().to_string(),
            WGDEVICE_A_PRIVATE_KEY => device.private_key = SecretKey::from_slice(a.payload()),
            WGDEVICE_A_PUBLIC_KEY => device.public_key = public_key(a.payload()),
            WGDEVICE_A_LISTEN_PORT => device.listen_port = a.u16().unwrap_or(0),
            WGDEVICE_A_FWMARK => device.fwmark = a.u32().unwrap_or(0),
            WGDEVICE_A_PEERS => {
                for p in a.nested() {
                    let Some(peer) = parse_peer(p.nested()) else { continue };
                    match device.peers.last_mut() {
                        Some(last) if last.public_key == peer.public_key => {
                            last.allowed_ips.extend(peer.allowed_ips)
                        }
                        _ => device.peers.push(peer),
                    }
                }
            }
            _ => {}
        }
    }
    // The kernel sends no key attributes without a private key; an all-zero one means none.
    if device.private_key.as_ref().is_some_and(SecretKey::is_none) {
        device.private_key = None;
        device.public_key = None;
    }
}

fn public_key(bytes: &[u8]) -> Option<PublicKey> {
    Some(PublicKey(bytes.try_into().ok()?))
}

fn parse_peer(attrs: Attrs<'_>) -> Option<Peer> {
    let mut peer = Peer {
        public_key: PublicKey([0; WG_KEY_LEN]),
        preshared_key: None,
        endpoint: None,
        persistent_keepalive: 0,
        allowed_ips: Vec::new(),
        last_handshake: None,
        rx_bytes: 0,
        tx_bytes: 0,
    };
    let mut have_key = false;
    for a in attrs {
        match a.kind() {
            WGPEER_A_PUBLIC_KEY => {
                if let Some(k) = public_key(a.payload()) {
                    peer.public_key = k;
                    have_key = true;
                }
            }
            WGPEER_A_PRESHARED_KEY => {
                peer.preshared_key = SecretKey::from_slice(a.payload()).filter(|k| !k.is_none())
            }
            WGPEER_A_ENDPOINT => peer.endpoint = parse_sockaddr(a.payload()),
            WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL => peer.persistent_keepalive = a.u16().unwrap_or(0),
            WGPEER_A_LAST_HANDSHAKE_TIME => {
                let p = a.payload();
                if p.len() == 16 {
                    let secs = i64::from_ne_bytes(p[..8].try_into().expect("8 bytes"));
                    let nanos = i64::from_ne_bytes(p[8..].try_into().expect("8 bytes"));
                    peer.last_handshake = (secs != 0 || nanos != 0).then_some((secs, nanos));
                }
            }
            WGPEER_A_RX_BYTES => peer.rx_bytes = a.u64().unwrap_or(0),
            WGPEER_A_TX_BYTES => peer.tx_bytes = a.u64().unwrap_or(0),
            WGPEER_A_ALLOWEDIPS => {
                for ip in a.nested() {
                    let ip = ip.nested();
                    let addr = ip.get(WGALLOWEDIP_A_IPADDR).and_then(|x| x.ip());
                    let cidr = ip.get(WGALLOWEDIP_A_CIDR_MASK).and_then(|x| x.u8());
                    if let (Some(addr), Some(cidr)) = (addr, cidr) {
                        peer.allowed_ips.push(AllowedIp { addr, cidr });
                    }
                }
            }
            _ => {}
        }
    }
    have_key.then_some(peer)
}

/// A `struct sockaddr_in` or `sockaddr_in6` (port and address in network byte order).
pub fn parse_sockaddr(b: &[u8]) -> Option<SocketAddr> {
    let family = u16::from_ne_bytes(b.get(..2)?.try_into().ok()?);
    let port = u16::from_be_bytes(b.get(2..4)?.try_into().ok()?);
    match i32::from(family) {
        libc::AF_INET if b.len() >= 16 => {
            let ip = Ipv4Addr::from(<[u8; 4]>::try_from(&b[4..8]).ok()?);
            Some(SocketAddr::V4(SocketAddrV4::new(ip, port)))
        }
        libc::AF_INET6 if b.len() >= 28 => {
            let flowinfo = u32::from_be_bytes(b[4..8].try_into().ok()?);
            let ip = Ipv6Addr::from(<[u8; 16]>::try_from(&b[8..24]).ok()?);
            let scope = u32::from_ne_bytes(b[24..28].try_into().ok()?);
            Some(SocketAddr::V6(SocketAddrV6::new(ip, port, flowinfo, scope)))
        }
        _ => None,
    }
}

/// The `struct sockaddr_in`/`sockaddr_in6` bytes of `addr`.
pub fn sockaddr_bytes(addr: &SocketAddr) -> Vec<u8> {
    match addr {
        SocketAddr::V4(a) => {
            let mut b = vec![0u8; 16];
            b[..2].copy_from_slice(&(libc::AF_INET as u16).to_ne_bytes());
            b[2..4].copy_from_slice(&a.port().to_be_bytes());
            b[4..8].copy_from_slice(&a.ip().octets());
            b
        }
        SocketAddr::V6(a) => {
            let mut b = vec![0u8; 28];
            b[..2].copy_from_slice(&(libc::AF_INET6 as u16).to_ne_bytes());
            b[2..4].copy_from_slice(&a.port().to_be_bytes());
            b[4..8].copy_from_slice(&a.flowinfo().to_be_bytes());
            b[8..24].copy_from_slice(&a.ip().octets());
            b[24..28].copy_from_slice(&a.scope_id().to_ne_bytes());
            b
        }
    }
}

/// The attributes of the `WG_CMD_SET_DEVICE` messages that make `change`, each at most about
/// `budget` bytes: the device's own settings go in the first; a peer list too long for one
/// message continues in the next, and a peer whose allowed IPs do not fit is named again there
/// with the rest (without `WGPEER_F_REPLACE_ALLOWEDIPS`, which would drop the first part).
pub fn set_messages(change: &DeviceChange, budget: usize) -> Vec<AttrBuilder> {
    let start = |first: bool| {
        let mut b = AttrBuilder::new();
        b.put_str(WGDEVICE_A_IFNAME, &change.ifname);
        if first {
            if let Some(key) = &change.private_key {
                b.put(WGDEVICE_A_PRIVATE_KEY, key.bytes());
            }
            if let Some(port) = change.listen_port {
                b.put_u16(WGDEVICE_A_LISTEN_PORT, port);
            }
            if let Some(mark) = change.fwmark {
                b.put_u32(WGDEVICE_A_FWMARK, mark);
            }
            if change.replace_peers {
                b.put_u32(WGDEVICE_A_FLAGS, WGDEVICE_F_REPLACE_PEERS);
            }
        }
        b
    };
    let mut out = Vec::new();
    let mut msg = start(true);
    let mut peers = None;
    for peer in &change.peers {
        let mut ips = peer.allowed_ips.as_slice();
        let mut first_part = true;
        loop {
            if msg.as_bytes().len() + 256 > budget && peers.is_some() {
                let nest = peers.take().expect("open");
                msg.end_nested(nest);
                out.push(std::mem::replace(&mut msg, start(false)));
            }
            let nest = peers.get_or_insert_with(|| msg.begin_nested(WGDEVICE_A_PEERS));
            let _ = nest;
            let entry = msg.begin_nested(0);
            msg.put(WGPEER_A_PUBLIC_KEY, &peer.public_key.0);
            if first_part {
                let mut flags = 0;
                if peer.remove {
                    flags |= WGPEER_F_REMOVE_ME;
                }
                if peer.update_only {
                    flags |= WGPEER_F_UPDATE_ONLY;
                }
                if peer.replace_allowed_ips && !peer.remove {
                    flags |= WGPEER_F_REPLACE_ALLOWEDIPS;
                }
                if flags != 0 {
                    msg.put_u32(WGPEER_A_FLAGS, flags);
                }
                if !peer.remove {
                    if let Some(psk) = &peer.preshared_key {
                        msg.put(WGPEER_A_PRESHARED_KEY, psk.bytes());
                    }
                    if let Some(endpoint) = &peer.endpoint {
                        msg.put(WGPEER_A_ENDPOINT, &sockaddr_bytes(endpoint));
                    }
                    if let Some(k) = peer.persistent_keepalive {
                        msg.put_u16(WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, k);
                    }
                }
            }
            first_part = false;
            if !peer.remove && !ips.is_empty() {
                let list = msg.begin_nested(WGPEER_A_ALLOWEDIPS);
                while let Some((ip, rest)) = ips.split_first() {
                    if msg.as_bytes().len() + 64 > budget {
                        break;
                    }
                    msg.nested(0, |b| {
                        let family = if ip.addr.is_ipv4() { libc::AF_INET } else { libc::AF_INET6 };
                        b.put_u16(WGALLOWEDIP_A_FAMILY, family as u16);
                        b.put_ip(WGALLOWEDIP_A_IPADDR, ip.addr);
                        b.put_u8(WGALLOWEDIP_A_CIDR_MASK, ip.cidr);
                    });
                    ips = rest;
                }
                msg.end_nested(list);
            }
            msg.end_nested(entry);
            if peer.remove || ips.is_empty() {
                break;
            }
            // The message is full: close it and name the peer again in the next one.
            let nest = peers.take().expect("open");
            msg.end_nested(nest);
            out.push(std::mem::replace(&mut msg, start(false)));
        }
    }
    if let Some(nest) = peers.take() {
        msg.end_nested(nest);
    }
    out.push(msg);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> PublicKey {
        PublicKey([n; WG_KEY_LEN])
    }

    fn ip(text: &str, cidr: u8) -> AllowedIp {
        AllowedIp { addr: text.parse().unwrap(), cidr }
    }

    #[test]
    fn sockaddrs_round_trip() {
        for text in ["192.0.2.1:51820", "[2001:db8::1]:443"] {
            let addr: SocketAddr = text.parse().unwrap();
            assert_eq!(parse_sockaddr(&sockaddr_bytes(&addr)), Some(addr));
        }
        assert_eq!(parse_sockaddr(&[0; 4]), None);
    }

    #[test]
    fn secret_keys_never_print() {
        let k = SecretKey::new([7; WG_KEY_LEN]);
        assert_eq!(format!("{k:?}"), "SecretKey(hidden)");
        assert_eq!(format!("{:?}", SecretKey::none()), "SecretKey(none)");
        let change = DeviceChange { private_key: Some(k), ..Default::default() };
        assert!(!format!("{change:?}").contains('7'), "{change:?}");
    }

    /// What the messages of a change say, read back as a device (a SET's attributes are a
    /// GET's, with flags besides).
    fn read_back(msgs: &[AttrBuilder]) -> Device {
        let mut device = Device::default();
        for m in msgs {
            parse_device_message(m.as_bytes(), &mut device);
        }
        device
    }

    #[test]
    fn one_message_carries_device_and_peers() {
        let mut peer = PeerChange::new(key(1));
        peer.endpoint = Some("192.0.2.1:51820".parse().unwrap());
        peer.persistent_keepalive = Some(25);
        peer.replace_allowed_ips = true;
        peer.allowed_ips = vec![ip("10.0.0.0", 24), ip("2001:db8::", 64)];
        let change = DeviceChange {
            ifname: "wg0".into(),
            private_key: Some(SecretKey::new([9; WG_KEY_LEN])),
            listen_port: Some(51820),
            fwmark: Some(0x42),
            replace_peers: true,
            peers: vec![peer],
        };
        let msgs = set_messages(&change, SET_MESSAGE_BUDGET);
        assert_eq!(msgs.len(), 1);
        let flags = Attrs::new(msgs[0].as_bytes()).get(WGDEVICE_A_FLAGS).and_then(|a| a.u32());
        assert_eq!(flags, Some(WGDEVICE_F_REPLACE_PEERS));
        let d = read_back(&msgs);
        assert_eq!((d.ifname.as_str(), d.listen_port, d.fwmark), ("wg0", 51820, 0x42));
        assert_eq!(d.private_key, Some(SecretKey::new([9; WG_KEY_LEN])));
        assert_eq!(d.peers.len(), 1);
        assert_eq!(d.peers[0].endpoint, Some("192.0.2.1:51820".parse().unwrap()));
        assert_eq!(d.peers[0].persistent_keepalive, 25);
        assert_eq!(d.peers[0].allowed_ips, change.peers[0].allowed_ips);
    }

    #[test]
    fn long_peer_lists_split_and_a_split_peer_continues_without_replacing() {
        let mut big = PeerChange::new(key(1));
        big.replace_allowed_ips = true;
        big.allowed_ips =
            (0..2000u32).map(|i| ip(&Ipv4Addr::from(0x0a00_0000 + (i << 8)).to_string(), 24)).collect();
        let mut small = PeerChange::new(key(2));
        small.allowed_ips = vec![ip("192.168.0.0", 16)];
        let remove = PeerChange { remove: true, ..PeerChange::new(key(3)) };
        let change = DeviceChange {
            ifname: "wg0".into(),
            listen_port: Some(1),
            replace_peers: true,
            peers: vec![big.clone(), small, remove],
            ..Default::default()
        };
        let msgs = set_messages(&change, 4096);
        assert!(msgs.len() > 10, "{} messages", msgs.len());
        for m in &msgs {
            assert!(m.as_bytes().len() <= 4096, "a message of {} bytes", m.as_bytes().len());
            assert_eq!(Attrs::new(m.as_bytes()).get(WGDEVICE_A_IFNAME).and_then(|a| a.str()), Some("wg0"));
        }
        // Device settings and REPLACE_PEERS only in the first message.
        let later = Attrs::new(msgs[1].as_bytes());
        assert!(later.get(WGDEVICE_A_FLAGS).is_none() && later.get(WGDEVICE_A_LISTEN_PORT).is_none());
        // REPLACE_ALLOWEDIPS only with the first part of the big peer.
        let replacing = msgs
            .iter()
            .filter(|m| {
                let peers = Attrs::new(m.as_bytes()).get(WGDEVICE_A_PEERS).unwrap();
                peers.nested().any(|p| {
                    p.nested().get(WGPEER_A_FLAGS).and_then(|f| f.u32()).unwrap_or(0)
                        & WGPEER_F_REPLACE_ALLOWEDIPS
                        != 0
                })
            })
            .count();
        assert_eq!(replacing, 1);
        let d = read_back(&msgs);
        assert_eq!(d.peers.len(), 3);
        assert_eq!(d.peers[0].allowed_ips, big.allowed_ips);
        assert_eq!(d.peers[2].allowed_ips, vec![]);
    }
}
