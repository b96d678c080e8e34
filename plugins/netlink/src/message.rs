//! Requests (encoded by neli's `Nlmsghdr`) and received messages (a zero-copy view).
//!
//! Received messages are parsed here rather than with neli's `Nlmsghdr::from_bytes` because
//! with `NETLINK_CAP_ACK` the kernel echoes only the failed request's *header* in an
//! `NLMSG_ERROR` while keeping its original `nlmsg_len`; neli then reads the missing payload
//! from the extended-ack attributes and loses the message text. A borrowed view also keeps a
//! 10,000-route dump free of per-message allocations.

use std::fmt;
use std::io::Cursor;
use std::net::IpAddr;

use neli::{
    consts::nl::{NlmF, Nlmsg},
    nl::{NlPayload, NlmsghdrBuilder},
    types::Buffer,
    ToBytes,
};

use crate::attr::{align, AttrBuilder, Attrs};
use crate::consts::{NLMSGERR_ATTR_MISS_TYPE, NLMSGERR_ATTR_MSG, NLMSGERR_ATTR_OFFS, RT_TABLE_MAIN};
use crate::error::Error;

/// Size of `struct nlmsghdr`.
pub const NLMSG_HDRLEN: usize = 16;
/// Size of `struct genlmsghdr`.
pub const GENL_HDRLEN: usize = 4;

/// One request to the kernel: message type, flags, payload (family header + attributes) and a
/// description of the operation for error messages.
///
/// `NLM_F_REQUEST` and `NLM_F_ACK` are always added when sending, except that dumps are sent
/// without `NLM_F_ACK` (the kernel ends a dump with `NLMSG_DONE` instead).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub(crate) msg_type: u16,
    pub(crate) flags: NlmF,
    pub(crate) payload: Vec<u8>,
    pub(crate) op: Op,
}

/// What a request does, the prefix of its errors: `set mtu 9000`, `add route 10.0.0.0/24 via
/// 192.0.2.1`. A route's is kept as its parts and written out only for an error: formatting
/// two addresses for each of 10,000 routes cost more than building their messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    Text(String),
    Route { verb: &'static str, dst: IpAddr, dst_len: u8, gateway: Option<IpAddr>, table: u32 },
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Text(s) => f.write_str(s),
            Op::Route { verb, dst, dst_len, gateway, table } => {
                write!(f, "{verb} route {dst}/{dst_len}")?;
                if let Some(gw) = gateway {
                    write!(f, " via {gw}")?;
                }
                if *table != RT_TABLE_MAIN {
                    write!(f, " table {table}")?;
                }
                Ok(())
            }
        }
    }
}

impl From<String> for Op {
    fn from(s: String) -> Op {
        Op::Text(s)
    }
}

impl From<&str> for Op {
    fn from(s: &str) -> Op {
        Op::Text(s.to_string())
    }
}

impl Request {
    /// A request of `msg_type` (`RTM_NEWLINK` …) with extra `flags` (`NlmF::CREATE` …).
    pub fn new(msg_type: u16, flags: NlmF, payload: Vec<u8>, op: impl Into<Op>) -> Self {
        Request { msg_type, flags, payload, op: op.into() }
    }

    /// A generic netlink request: `genlmsghdr { cmd, version }` followed by `attrs`.
    pub fn genl(family: u16, cmd: u8, version: u8, attrs: &AttrBuilder, op: impl Into<Op>) -> Self {
        let mut payload = Vec::with_capacity(GENL_HDRLEN + attrs.as_bytes().len());
        payload.extend_from_slice(&[cmd, version, 0, 0]);
        payload.extend_from_slice(attrs.as_bytes());
        Request::new(family, NlmF::empty(), payload, op)
    }

    pub fn msg_type(&self) -> u16 {
        self.msg_type
    }

    pub fn flags(&self) -> NlmF {
        self.flags
    }

    /// The payload after the netlink header: family header and attributes.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// What this request does, e.g. "set mtu 9000"; the prefix of its errors.
    pub fn op(&self) -> String {
        self.op.to_string()
    }

    /// Appends this request, framed by neli with sequence number `seq`, to `out`.
    pub(crate) fn encode(self, seq: u32, dump: bool, out: &mut Cursor<Vec<u8>>) -> Result<Op, Error> {
        let ack = if dump { NlmF::DUMP } else { NlmF::ACK };
        let msg = NlmsghdrBuilder::default()
            .nl_type(self.msg_type)
            .nl_flags(self.flags | NlmF::REQUEST | ack)
            .nl_seq(seq)
            .nl_pid(0)
            .nl_payload(NlPayload::Payload(Buffer::from(self.payload)))
            .build()
            .map_err(|e| Error::other(&self.op, format!("cannot build message: {e}")))?;
        msg.to_bytes(out).map_err(|e| Error::other(&self.op, format!("cannot encode message: {e}")))?;
        Ok(self.op)
    }

    /// The bytes neli puts on the wire for this request, for golden-byte tests.
    pub fn to_wire(&self, seq: u32) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        self.clone().encode(seq, false, &mut out).expect("encodable request");
        out.into_inner()
    }
}

/// A received netlink message, borrowing the receive buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Message<'a> {
    pub msg_type: u16,
    pub flags: u16,
    pub seq: u32,
    /// Everything after the 16-byte `nlmsghdr`.
    pub payload: &'a [u8],
}

impl Message<'_> {
    /// Appends the message framed again (`nlmsghdr`, payload, padding) to `out`, so
    /// [`Messages`] reads it back from a buffer of such messages.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        let len = NLMSG_HDRLEN + self.payload.len();
        out.reserve(align(len));
        out.extend_from_slice(&(len as u32).to_ne_bytes());
        out.extend_from_slice(&self.msg_type.to_ne_bytes());
        out.extend_from_slice(&self.flags.to_ne_bytes());
        out.extend_from_slice(&self.seq.to_ne_bytes());
        out.extend_from_slice(&0u32.to_ne_bytes());
        out.extend_from_slice(self.payload);
        out.resize(out.len() + align(len) - len, 0);
    }
}

/// What an `NLMSG_ERROR` or `NLMSG_DONE` says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Status {
    /// 0 for an ACK, else the positive errno.
    pub errno: i32,
    pub ext_ack: Option<String>,
}

impl<'a> Message<'a> {
    pub fn is_error(&self) -> bool {
        self.msg_type == u16::from(Nlmsg::Error)
    }

    pub fn is_done(&self) -> bool {
        self.msg_type == u16::from(Nlmsg::Done)
    }

    /// True when the kernel flagged a dump part as inconsistent (`NLM_F_DUMP_INTR`): the
    /// object list changed while dumping, so the dump must be repeated.
    pub fn is_dump_interrupted(&self) -> bool {
        self.flags & u16::from(NlmF::DUMP_INTR) != 0
    }

    /// The payload after a fixed family header of `header_len` bytes, as attributes.
    pub fn attrs(&self, header_len: usize) -> Attrs<'a> {
        Attrs::new(self.payload.get(align(header_len)..).unwrap_or(&[]))
    }

    /// The status an `NLMSG_ERROR` (ACK or error) or `NLMSG_DONE` carries.
    pub(crate) fn status(&self) -> Option<Status> {
        let errno = -i32::from_ne_bytes(self.payload.get(..4)?.try_into().ok()?);
        let tlvs = if self.is_error() {
            // int error; struct nlmsghdr msg (+ the request's payload unless NLM_F_CAPPED).
            let orig_len = u32::from_ne_bytes(self.payload.get(4..8)?.try_into().ok()?) as usize;
            let skip = if self.flags & u16::from(NlmF::CAPPED) != 0 { NLMSG_HDRLEN } else { orig_len };
            self.payload.get(4 + align(skip)..).unwrap_or(&[])
        } else {
            &self.payload[4..]
        };
        let ext_ack = if self.flags & u16::from(NlmF::ACK_TLVS) != 0 { ext_ack_text(tlvs) } else { None };
        Some(Status { errno, ext_ack })
    }
}

/// The extended-ack message, or a description of the missing/offending attribute when the
/// kernel sent only that (policy violations carry an offset, not always a text).
fn ext_ack_text(tlvs: &[u8]) -> Option<String> {
    let mut msg = None;
    let mut offset = None;
    let mut missing = None;
    for a in Attrs::new(tlvs) {
        match a.kind() {
            NLMSGERR_ATTR_MSG => msg = a.str().map(str::to_string),
            NLMSGERR_ATTR_OFFS => offset = a.u32(),
            NLMSGERR_ATTR_MISS_TYPE => missing = a.u32(),
            _ => {}
        }
    }
    match (msg, missing, offset) {
        (Some(m), _, _) => Some(m),
        (None, Some(t), _) => Some(format!("missing attribute type {t}")),
        (None, None, Some(o)) => Some(format!("invalid attribute at byte {o} of the request")),
        _ => None,
    }
}

/// Iterates over the messages in one received datagram.
pub(crate) struct Messages<'a> {
    buf: &'a [u8],
}

impl<'a> Messages<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Messages { buf }
    }
}

impl<'a> Iterator for Messages<'a> {
    type Item = Result<Message<'a>, &'static str>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.buf.is_empty() {
            return None;
        }
        if self.buf.len() < NLMSG_HDRLEN {
            self.buf = &[];
            return Some(Err("truncated netlink header"));
        }
        let b = self.buf;
        let len = u32::from_ne_bytes([b[0], b[1], b[2], b[3]]) as usize;
        if len < NLMSG_HDRLEN || len > b.len() {
            self.buf = &[];
            return Some(Err("netlink message length runs past the datagram"));
        }
        let msg = Message {
            msg_type: u16::from_ne_bytes([b[4], b[5]]),
            flags: u16::from_ne_bytes([b[6], b[7]]),
            seq: u32::from_ne_bytes([b[8], b[9], b[10], b[11]]),
            payload: &b[NLMSG_HDRLEN..len],
        };
        self.buf = b.get(align(len)..).unwrap_or(&[]);
        Some(Ok(msg))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_framed_again_reads_back_the_same() {
        let wire = Request::new(16, NlmF::empty(), vec![1, 2, 3, 4, 5], "x").to_wire(9);
        let msg = Messages::new(&wire).next().unwrap().unwrap();
        let mut again = Vec::new();
        msg.write_to(&mut again);
        assert_eq!(Messages::new(&again).next().unwrap().unwrap(), msg);
    }

    #[test]
    fn neli_frames_the_request() {
        let req = Request::new(16, NlmF::CREATE | NlmF::EXCL, vec![1, 2, 3, 4, 5], "x");
        #[rustfmt::skip]
        let expected: Vec<u8> = [
            &24u32.to_ne_bytes()[..],        // nlmsg_len: 16 + 5 payload + 3 pad
            &16u16.to_ne_bytes(),            // nlmsg_type RTM_NEWLINK
            &0x0605u16.to_ne_bytes(),        // REQUEST | ACK | EXCL | CREATE
            &7u32.to_ne_bytes(),             // nlmsg_seq
            &0u32.to_ne_bytes(),             // nlmsg_pid: the kernel
            &[1, 2, 3, 4, 5, 0, 0, 0],       // payload, padded
        ]
        .concat();
        assert_eq!(req.to_wire(7), expected);
    }

    #[test]
    fn capped_error_keeps_ext_ack() {
        // An NLMSG_ERROR as the kernel sends it with NETLINK_CAP_ACK and NETLINK_EXT_ACK.
        let text = b"mtu less than device minimum\0";
        let mut tlv = Vec::new();
        tlv.extend_from_slice(&((4 + text.len()) as u16).to_ne_bytes());
        tlv.extend_from_slice(&NLMSGERR_ATTR_MSG.to_ne_bytes());
        tlv.extend_from_slice(text);
        tlv.resize(align(tlv.len()), 0);
        let mut payload = (-libc::EINVAL).to_ne_bytes().to_vec();
        payload.extend_from_slice(&64u32.to_ne_bytes()); // original length: 64, body not echoed
        payload.extend_from_slice(&[0; 12]);
        payload.extend_from_slice(&tlv);
        let flags = u16::from(NlmF::CAPPED | NlmF::ACK_TLVS);
        let msg = Message { msg_type: 2, flags, seq: 1, payload: &payload };
        let st = msg.status().unwrap();
        assert_eq!(st.errno, libc::EINVAL);
        assert_eq!(st.ext_ack.as_deref(), Some("mtu less than device minimum"));
    }

    #[test]
    fn messages_split_a_datagram() {
        let a = Request::new(20, NlmF::empty(), vec![9; 3], "a").to_wire(1);
        let b = Request::new(21, NlmF::empty(), vec![], "b").to_wire(2);
        let buf = [a, b].concat();
        let msgs: Vec<_> = Messages::new(&buf).map(Result::unwrap).collect();
        assert_eq!(msgs.len(), 2);
        assert_eq!((msgs[0].msg_type, msgs[0].seq, msgs[0].payload), (20, 1, &[9, 9, 9, 0][..]));
        assert_eq!((msgs[1].msg_type, msgs[1].seq, msgs[1].payload.len()), (21, 2, 0));
        assert!(Messages::new(&[1, 2, 3]).next().unwrap().is_err());
    }
}
