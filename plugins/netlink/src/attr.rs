//! Netlink attributes (TLVs): a builder that appends them to a message and a zero-copy parser.
//!
//! neli frames the messages; the attribute payloads are built here because plugins pass kind
//! data (`IFLA_INFO_DATA`) as nested attributes neli has no types for, and because parsing a
//! 10,000-route dump must not allocate per attribute.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::consts::{NLA_F_NESTED, NLA_F_NET_BYTEORDER};

/// Size of `struct nlattr`.
pub const NLA_HDRLEN: usize = 4;

/// Rounds up to the 4-byte alignment netlink uses for messages and attributes.
pub const fn align(len: usize) -> usize {
    (len + 3) & !3
}

/// Appends attributes to a byte buffer that usually starts with a fixed family header
/// (`ifinfomsg`, `genlmsghdr` …).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AttrBuilder {
    buf: Vec<u8>,
}

/// An open nested attribute; close it with [`AttrBuilder::end_nested`].
#[must_use = "close the nest with end_nested"]
#[derive(Debug)]
pub struct Nest(usize);

impl AttrBuilder {
    pub fn new() -> Self {
        AttrBuilder { buf: Vec::with_capacity(64) }
    }

    /// Starts with a fixed header (padded to 4 bytes), e.g. an `ifinfomsg`.
    pub fn with_header(header: &[u8]) -> Self {
        let mut b = AttrBuilder { buf: Vec::with_capacity(64 + header.len()) };
        b.put_raw(header);
        b
    }

    /// Appends bytes that are not an attribute (a header inside a nest), padded to 4 bytes.
    pub fn put_raw(&mut self, bytes: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(bytes);
        self.pad();
        self
    }

    fn pad(&mut self) {
        let padded = align(self.buf.len());
        self.buf.resize(padded, 0);
    }

    /// Appends one attribute with an arbitrary payload.
    pub fn put(&mut self, kind: u16, payload: &[u8]) -> &mut Self {
        let len = (NLA_HDRLEN + payload.len()) as u16;
        self.buf.extend_from_slice(&len.to_ne_bytes());
        self.buf.extend_from_slice(&kind.to_ne_bytes());
        self.buf.extend_from_slice(payload);
        self.pad();
        self
    }

    pub fn put_u8(&mut self, kind: u16, v: u8) -> &mut Self {
        self.put(kind, &[v])
    }

    pub fn put_u16(&mut self, kind: u16, v: u16) -> &mut Self {
        self.put(kind, &v.to_ne_bytes())
    }

    pub fn put_u32(&mut self, kind: u16, v: u32) -> &mut Self {
        self.put(kind, &v.to_ne_bytes())
    }

    pub fn put_u64(&mut self, kind: u16, v: u64) -> &mut Self {
        self.put(kind, &v.to_ne_bytes())
    }

    pub fn put_i32(&mut self, kind: u16, v: i32) -> &mut Self {
        self.put(kind, &v.to_ne_bytes())
    }

    /// A big-endian u16 (`__be16`, e.g. `IFLA_VLAN_PROTOCOL`). The kernel reads these without
    /// looking at `NLA_F_NET_BYTEORDER`, so the flag is not set.
    pub fn put_be16(&mut self, kind: u16, v: u16) -> &mut Self {
        self.put(kind, &v.to_be_bytes())
    }

    /// A NUL-terminated string (`NLA_STRING`/`NLA_NUL_STRING` both accept it).
    pub fn put_str(&mut self, kind: u16, s: &str) -> &mut Self {
        let len = (NLA_HDRLEN + s.len() + 1) as u16;
        self.buf.extend_from_slice(&len.to_ne_bytes());
        self.buf.extend_from_slice(&kind.to_ne_bytes());
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.push(0);
        self.pad();
        self
    }

    /// A flag attribute: present means true, no payload.
    pub fn put_flag(&mut self, kind: u16) -> &mut Self {
        self.put(kind, &[])
    }

    /// An IPv4 or IPv6 address in network byte order (4 or 16 bytes).
    pub fn put_ip(&mut self, kind: u16, ip: IpAddr) -> &mut Self {
        match ip {
            IpAddr::V4(v4) => self.put(kind, &v4.octets()),
            IpAddr::V6(v6) => self.put(kind, &v6.octets()),
        }
    }

    /// Opens a nested attribute. `NLA_F_NESTED` is always set: strictly validated families
    /// (ethtool) reject nests without it ("NLA_F_NESTED is missing"), and rtnetlink's liberal
    /// parsing masks the flag off.
    pub fn begin_nested(&mut self, kind: u16) -> Nest {
        let at = self.buf.len();
        self.buf.extend_from_slice(&0u16.to_ne_bytes());
        self.buf.extend_from_slice(&(kind | NLA_F_NESTED).to_ne_bytes());
        Nest(at)
    }

    /// Closes a nest: writes its length now that its content is known.
    pub fn end_nested(&mut self, nest: Nest) -> &mut Self {
        let len = (self.buf.len() - nest.0) as u16;
        self.buf[nest.0..nest.0 + 2].copy_from_slice(&len.to_ne_bytes());
        self
    }

    /// A nested attribute whose content `f` writes.
    pub fn nested(&mut self, kind: u16, f: impl FnOnce(&mut AttrBuilder)) -> &mut Self {
        let nest = self.begin_nested(kind);
        f(self);
        self.end_nested(nest)
    }

    /// Appends attributes built elsewhere (already aligned TLVs), e.g. a caller's kind data.
    pub fn append(&mut self, attrs: &AttrBuilder) -> &mut Self {
        self.buf.extend_from_slice(&attrs.buf);
        self.pad();
        self
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    /// Mutable access to the fixed header at the start (to patch flags after building).
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.buf
    }
}

/// One attribute seen by the parser; borrows the receive buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attr<'a> {
    raw_kind: u16,
    payload: &'a [u8],
}

impl<'a> Attr<'a> {
    /// The attribute type without the `NLA_F_NESTED`/`NLA_F_NET_BYTEORDER` flags.
    pub fn kind(&self) -> u16 {
        self.raw_kind & !(NLA_F_NESTED | NLA_F_NET_BYTEORDER)
    }

    /// True when the sender marked the attribute as nested.
    pub fn has_nested_flag(&self) -> bool {
        self.raw_kind & NLA_F_NESTED != 0
    }

    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }

    pub fn u8(&self) -> Option<u8> {
        self.payload.first().copied()
    }

    pub fn u16(&self) -> Option<u16> {
        Some(u16::from_ne_bytes(self.payload.get(..2)?.try_into().ok()?))
    }

    pub fn be16(&self) -> Option<u16> {
        Some(u16::from_be_bytes(self.payload.get(..2)?.try_into().ok()?))
    }

    pub fn u32(&self) -> Option<u32> {
        Some(u32::from_ne_bytes(self.payload.get(..4)?.try_into().ok()?))
    }

    pub fn i32(&self) -> Option<i32> {
        Some(i32::from_ne_bytes(self.payload.get(..4)?.try_into().ok()?))
    }

    pub fn u64(&self) -> Option<u64> {
        Some(u64::from_ne_bytes(self.payload.get(..8)?.try_into().ok()?))
    }

    /// The string up to the first NUL (the kernel NUL-terminates; the NUL is not required).
    pub fn str(&self) -> Option<&'a str> {
        let end = self.payload.iter().position(|&b| b == 0).unwrap_or(self.payload.len());
        std::str::from_utf8(&self.payload[..end]).ok()
    }

    /// An IPv4 (4 bytes) or IPv6 (16 bytes) address.
    pub fn ip(&self) -> Option<IpAddr> {
        match self.payload.len() {
            4 => Some(IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(self.payload).ok()?))),
            16 => Some(IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(self.payload).ok()?))),
            _ => None,
        }
    }

    /// The attributes nested inside this one.
    pub fn nested(&self) -> Attrs<'a> {
        Attrs::new(self.payload)
    }
}

/// Iterates over the attributes in a buffer. Iteration stops at the first malformed header
/// (shorter than 4 bytes or running past the buffer), as the kernel's `nla_for_each_attr` does.
#[derive(Clone, Copy, Debug)]
pub struct Attrs<'a> {
    buf: &'a [u8],
}

impl<'a> Attrs<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Attrs { buf }
    }

    /// The first attribute of type `kind`.
    pub fn get(mut self, kind: u16) -> Option<Attr<'a>> {
        Iterator::find(&mut self, |a| a.kind() == kind)
    }
}

impl<'a> Iterator for Attrs<'a> {
    type Item = Attr<'a>;

    fn next(&mut self) -> Option<Attr<'a>> {
        if self.buf.len() < NLA_HDRLEN {
            return None;
        }
        let len = u16::from_ne_bytes([self.buf[0], self.buf[1]]) as usize;
        let raw_kind = u16::from_ne_bytes([self.buf[2], self.buf[3]]);
        if len < NLA_HDRLEN || len > self.buf.len() {
            self.buf = &[];
            return None;
        }
        let attr = Attr { raw_kind, payload: &self.buf[NLA_HDRLEN..len] };
        self.buf = self.buf.get(align(len)..).unwrap_or(&[]);
        Some(attr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_and_parses_nested_attributes() {
        let mut b = AttrBuilder::with_header(&[1, 2, 3]);
        b.put_str(3, "br0").put_u32(4, 1500).nested(18, |b| {
            b.put_str(1, "bridge");
            b.nested(2, |b| {
                b.put_u32(5, 1);
            });
        });
        #[rustfmt::skip]
        let expected: Vec<u8> = [
            &[1u8, 2, 3, 0][..],                        // header, padded to 4
            &[8, 0, 3, 0], b"br0\0",                    // len 8, type 3 (IFLA_IFNAME), "br0\0"
            &[8, 0, 4, 0], &1500u32.to_ne_bytes(),      // len 8, type 4 (IFLA_MTU)
            &[28, 0, 18, 0x80],                         // len 28, type 18 | NLA_F_NESTED
            &[11, 0, 1, 0], b"bridge\0", &[0],          // len 11 + 1 pad, IFLA_INFO_KIND
            &[12, 0, 2, 0x80],                          // len 12, IFLA_INFO_DATA | NLA_F_NESTED
            &[8, 0, 5, 0], &1u32.to_ne_bytes(),         // IFLA_BR_STP_STATE = 1
        ]
        .concat();
        assert_eq!(b.as_bytes(), &expected[..]);

        let attrs: Vec<_> = Attrs::new(&b.as_bytes()[4..]).collect();
        assert_eq!(attrs.len(), 3);
        assert_eq!(attrs[0].str(), Some("br0"));
        assert_eq!(attrs[1].u32(), Some(1500));
        assert_eq!(attrs[2].kind(), 18);
        assert!(attrs[2].has_nested_flag());
        let info = attrs[2].nested();
        assert_eq!(info.get(1).and_then(|a| a.str()), Some("bridge"));
        let data = info.get(2).unwrap().nested();
        assert_eq!(data.get(5).and_then(|a| a.u32()), Some(1));
    }

    #[test]
    fn parser_stops_at_malformed_header() {
        let buf = [8u8, 0, 1, 0, 1, 2, 3, 4, 200, 0, 2, 0];
        let attrs: Vec<_> = Attrs::new(&buf).collect();
        assert_eq!(attrs.len(), 1);
        assert_eq!(Attrs::new(&[2, 0, 1]).count(), 0);
    }

    #[test]
    fn ip_and_be16() {
        let mut b = AttrBuilder::new();
        b.put_ip(1, "10.0.0.1".parse().unwrap()).put_ip(2, "2001:db8::1".parse().unwrap());
        b.put_be16(3, 0x8100);
        let a: Vec<_> = Attrs::new(b.as_bytes()).collect();
        assert_eq!(a[0].ip(), Some("10.0.0.1".parse().unwrap()));
        assert_eq!(a[1].ip(), Some("2001:db8::1".parse().unwrap()));
        assert_eq!(a[2].payload(), &[0x81, 0x00]);
        assert_eq!(a[2].be16(), Some(0x8100));
    }
}
