//! The netlink socket: requests with ACKs, batches, dumps and generic netlink family lookup.
//!
//! The socket is neli's `NlSocket` (socket, bind, send, recv and the extended-ack option);
//! neli's `NlRouter` is not used because it drops the extended-ack text and waits for each ACK
//! before sending the next request.

use std::io::{self, Cursor};
use std::os::fd::AsRawFd;

use neli::consts::nl::NlmF;
use neli::consts::socket::{Msg, NlFamily};
use neli::socket::NlSocket;
use neli::utils::Groups;

use crate::attr::AttrBuilder;
use crate::consts::{CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME, CTRL_CMD_GETFAMILY, GENL_ID_CTRL};
use crate::error::{BatchError, Error};
use crate::message::{Message, Messages, Op, Request, GENL_HDRLEN};

/// How many requests go into one `sendmsg` by default. The ACKs of a chunk must fit the
/// receive buffer (the kernel drops ACKs that do not, `netlink_attachskb`), and a smaller chunk
/// means fewer requests run after a failure; 64 keeps both small while cutting the syscalls.
pub const DEFAULT_CHUNK: usize = 64;
/// Upper bound on the bytes of one chunk, well under the default 208 KiB send buffer.
const CHUNK_BYTES: usize = 64 * 1024;
/// Receive buffer size; dump parts are at most 32 KiB unless one message is larger.
const RX_BUF: usize = 256 * 1024;
/// How often a dump the kernel flags as inconsistent (`NLM_F_DUMP_INTR`) is repeated.
const DUMP_RETRIES: usize = 5;

/// Which netlink protocol a socket speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// `NETLINK_ROUTE`: links, addresses, routes.
    Route,
    /// `NETLINK_GENERIC`: ethtool and other generic netlink families.
    Generic,
}

/// A netlink socket in the network namespace of the thread that opened it.
///
/// Every request is sent with `NLM_F_ACK`; the socket has `NETLINK_EXT_ACK` (errors carry the
/// kernel's explanation) and `NETLINK_CAP_ACK` (errors do not echo the whole request) set.
pub struct Socket {
    sock: NlSocket,
    protocol: Protocol,
    next_seq: u32,
    chunk: usize,
    tx: Cursor<Vec<u8>>,
    rx: Vec<u8>,
}

impl std::fmt::Debug for Socket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Socket")
            .field("protocol", &self.protocol)
            .field("fd", &self.sock.as_raw_fd())
            .finish()
    }
}

impl Socket {
    /// Opens an rtnetlink (`NETLINK_ROUTE`) socket.
    pub fn route() -> Result<Socket, Error> {
        Socket::open(Protocol::Route)
    }

    /// Opens a generic netlink socket; see [`Socket::resolve_family`].
    pub fn generic() -> Result<Socket, Error> {
        Socket::open(Protocol::Generic)
    }

    pub fn open(protocol: Protocol) -> Result<Socket, Error> {
        let family = match protocol {
            Protocol::Route => NlFamily::Route,
            Protocol::Generic => NlFamily::Generic,
        };
        let op = "open netlink socket";
        let sock = NlSocket::connect(family, None, Groups::empty()).map_err(|e| Error::io(op, &e))?;
        sock.enable_ext_ack(true).map_err(|e| Error::io(op, &e))?;
        set_int_option(&sock, libc::NETLINK_CAP_ACK, 1).map_err(|e| Error::io(op, &e))?;
        if protocol == Protocol::Route {
            // Strict checking (Linux 4.20+) lets the kernel filter route dumps by table; older
            // kernels refuse the option and we filter ourselves, so a failure is fine.
            let _ = sock.enable_strict_checking(true);
        }
        // Room for a chunk's ACKs (about 1 KiB of skb each) and then some.
        let _ = sock.set_recv_buffer_size(1 << 20);
        Ok(Socket {
            sock,
            protocol,
            next_seq: 1,
            chunk: DEFAULT_CHUNK,
            tx: Cursor::new(Vec::with_capacity(CHUNK_BYTES)),
            // Filled by `recv_datagram` only: zeroing 256 KiB per socket cost more than the
            // small dumps a run takes.
            rx: Vec::with_capacity(RX_BUF),
        })
    }

    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// Sets how many requests [`Socket::batch`] puts into one `sendmsg` (at least 1). With 1,
    /// no request runs after a failing one.
    pub fn set_chunk_size(&mut self, requests: usize) {
        self.chunk = requests.max(1);
    }

    fn take_seqs(&mut self, n: usize) -> u32 {
        let base = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(n as u32);
        base
    }

    /// Sends one request and waits for its ACK.
    pub fn request(&mut self, req: Request) -> Result<(), Error> {
        self.request_with_replies(req, |_| Ok(()))
    }

    /// Sends one request and hands every reply message (e.g. a generic netlink GET's reply)
    /// to `on_reply` before the ACK arrives.
    pub fn request_with_replies(
        &mut self,
        req: Request,
        mut on_reply: impl FnMut(&Message<'_>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let seq = self.take_seqs(1);
        self.tx.get_mut().clear();
        self.tx.set_position(0);
        let op = req.encode(seq, false, &mut self.tx)?;
        self.send(&op)?;
        let mut failure = None;
        loop {
            let len = self.recv(&op)?;
            for msg in Messages::new(&self.rx[..len]) {
                let msg = msg.map_err(|e| Error::other(&op, e))?;
                if msg.seq != seq {
                    continue; // left over from an earlier, abandoned operation
                }
                if msg.is_error() {
                    let st = msg.status().ok_or_else(|| Error::other(&op, "short NLMSG_ERROR"))?;
                    if st.errno != 0 {
                        return Err(Error::kernel(op, st.errno, st.ext_ack));
                    }
                    return failure.map_or(Ok(()), Err);
                }
                if failure.is_none() {
                    if let Err(e) = on_reply(&msg) {
                        failure = Some(e); // keep reading up to the ACK so the socket stays in sync
                    }
                }
            }
        }
    }

    /// Sends many requests and collects their ACKs, stopping at the first failure.
    ///
    /// Requests go out in chunks of [`DEFAULT_CHUNK`] (see [`Socket::set_chunk_size`]) per
    /// `sendmsg`; after each chunk every ACK is read before the next chunk is sent. The kernel
    /// runs the messages of one `sendmsg` in order, synchronously, and carries on after an
    /// error (`netlink_rcv_skb`), so when request `i` fails:
    ///
    /// * every request before `i` ran and took effect;
    /// * the requests after `i` in the same chunk also ran (each may have failed too,
    ///   listed in [`BatchError::later_failures`]);
    /// * no later chunk was sent.
    ///
    /// [`BatchError::executed`] is the end of the failing chunk and
    /// [`BatchError::succeeded`] lists exactly what a rollback must undo. If `sendmsg` itself
    /// fails, nothing of that chunk ran and `executed` is the chunk's start (= `index`).
    pub fn batch(&mut self, requests: Vec<Request>) -> Result<(), BatchError> {
        let total = requests.len();
        let base = self.take_seqs(total);
        let mut requests = requests.into_iter();
        let mut ops: Vec<Op> = Vec::with_capacity(total);
        let mut start = 0;
        while start < total {
            // Encode one chunk.
            self.tx.get_mut().clear();
            self.tx.set_position(0);
            let mut end = start;
            while end < total && end - start < self.chunk && self.tx.get_ref().len() < CHUNK_BYTES {
                let req = requests.next().expect("request count");
                let seq = base.wrapping_add(end as u32);
                match req.encode(seq, false, &mut self.tx) {
                    Ok(op) => ops.push(op),
                    Err(error) => {
                        return Err(BatchError { index: end, error, executed: start, later_failures: vec![] })
                    }
                }
                end += 1;
            }
            if let Err(error) = self.send(&ops[start]) {
                return Err(BatchError { index: start, error, executed: start, later_failures: vec![] });
            }
            // Collect the chunk's ACKs.
            let mut acked = vec![false; end - start];
            let mut pending = end - start;
            let mut failures: Vec<(usize, Error)> = Vec::new();
            while pending > 0 {
                let len = match self.recv(&ops[start]) {
                    Ok(len) => len,
                    Err(error) => {
                        // ACKs lost (receive buffer overrun): the outcome of the rest is unknown.
                        let index = start + acked.iter().position(|a| !a).unwrap_or(0);
                        let error = Error { op: ops[index].to_string(), ..error };
                        return Err(BatchError { index, error, executed: end, later_failures: failures });
                    }
                };
                for msg in Messages::new(&self.rx[..len]) {
                    let Ok(msg) = msg else { continue };
                    let off = msg.seq.wrapping_sub(base) as usize;
                    if !msg.is_error() || off < start || off >= end || acked[off - start] {
                        continue;
                    }
                    acked[off - start] = true;
                    pending -= 1;
                    match msg.status() {
                        Some(st) if st.errno == 0 => {}
                        Some(st) => failures.push((off, Error::kernel(&ops[off], st.errno, st.ext_ack))),
                        None => failures.push((off, Error::other(&ops[off], "short NLMSG_ERROR"))),
                    }
                }
            }
            if !failures.is_empty() {
                failures.sort_by_key(|(i, _)| *i);
                let (index, error) = failures.remove(0);
                return Err(BatchError { index, error, executed: end, later_failures: failures });
            }
            start = end;
        }
        Ok(())
    }

    /// Runs a dump request (`NLM_F_DUMP`) and parses each message with `parse`, which returns
    /// `None` for messages to skip. The dump is repeated when the kernel flags it as
    /// interrupted by a concurrent change (`NLM_F_DUMP_INTR`).
    pub fn dump<T>(
        &mut self,
        req: Request,
        mut parse: impl FnMut(&Message<'_>) -> Result<Option<T>, Error>,
    ) -> Result<Vec<T>, Error> {
        self.dump_retrying(req, Vec::new, |out, msg| {
            if let Some(item) = parse(msg)? {
                out.push(item);
            }
            Ok(())
        })
    }

    /// Runs a dump request and returns the messages `keep` accepts, framed back to back as
    /// the kernel sent them (see `Message::write_to`), retrying an interrupted dump like
    /// [`Socket::dump`].
    pub fn dump_raw(&mut self, req: Request, keep: impl Fn(&Message<'_>) -> bool) -> Result<Vec<u8>, Error> {
        self.dump_retrying(req, Vec::new, |out, msg| {
            if keep(msg) {
                msg.write_to(out);
            }
            Ok(())
        })
    }

    /// One dump into a fresh `start()`, again from a fresh one while the kernel flags the dump
    /// as interrupted by a concurrent change (`NLM_F_DUMP_INTR`), up to [`DUMP_RETRIES`] times.
    fn dump_retrying<A>(
        &mut self,
        req: Request,
        start: impl Fn() -> A,
        mut on_msg: impl FnMut(&mut A, &Message<'_>) -> Result<(), Error>,
    ) -> Result<A, Error> {
        let mut attempt = 0;
        loop {
            let mut out = start();
            let mut interrupted = false;
            self.dump_once(req.clone(), |msg| {
                interrupted |= msg.is_dump_interrupted();
                on_msg(&mut out, msg)
            })?;
            attempt += 1;
            if !interrupted || attempt > DUMP_RETRIES {
                return Ok(out);
            }
        }
    }

    fn dump_once(
        &mut self,
        req: Request,
        mut on_msg: impl FnMut(&Message<'_>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let seq = self.take_seqs(1);
        self.tx.get_mut().clear();
        self.tx.set_position(0);
        let op = req.encode(seq, true, &mut self.tx)?;
        self.send(&op)?;
        let mut failure = None;
        loop {
            let len = self.recv(&op)?;
            for msg in Messages::new(&self.rx[..len]) {
                let msg = msg.map_err(|e| Error::other(&op, e))?;
                if msg.seq != seq {
                    continue;
                }
                if msg.is_done() || msg.is_error() {
                    let st = msg.status().ok_or_else(|| Error::other(&op, "short NLMSG_DONE"))?;
                    if st.errno != 0 {
                        return Err(Error::kernel(op, st.errno, st.ext_ack));
                    }
                    return failure.map_or(Ok(()), Err);
                }
                if failure.is_none() {
                    if let Err(e) = on_msg(&msg) {
                        failure = Some(e); // drain the dump: a new one would get EBUSY
                    }
                }
            }
        }
    }

    /// Looks up a generic netlink family's id by name (`CTRL_CMD_GETFAMILY`).
    pub fn resolve_family(&mut self, name: &str) -> Result<u16, Error> {
        let mut attrs = AttrBuilder::new();
        attrs.put_str(CTRL_ATTR_FAMILY_NAME, name);
        let op = format!("resolve generic netlink family {name}");
        let req = Request::genl(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 2, &attrs, op.clone());
        let mut id = None;
        self.request_with_replies(req, |msg| {
            id = msg.attrs(GENL_HDRLEN).get(CTRL_ATTR_FAMILY_ID).and_then(|a| a.u16());
            Ok(())
        })?;
        id.ok_or_else(|| Error::other(op, "reply without CTRL_ATTR_FAMILY_ID"))
    }

    fn send(&mut self, op: &dyn std::fmt::Display) -> Result<(), Error> {
        loop {
            match self.sock.send(self.tx.get_ref(), Msg::empty()) {
                Ok(_) => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::io(op, &e)),
            }
        }
    }

    /// Receives one datagram into `self.rx`, returning its length.
    fn recv(&mut self, op: &dyn std::fmt::Display) -> Result<usize, Error> {
        loop {
            match self.recv_datagram(0) {
                Ok(len) if len > self.rx.len() => {
                    return Err(Error::other(op, format!("netlink datagram of {len} bytes truncated")))
                }
                Ok(len) => return Ok(len),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::io(op, &e)),
            }
        }
    }
}

impl Socket {
    /// Receives one datagram into `self.rx` (its whole capacity, none of it initialised
    /// beforehand), answering the datagram's full length (`MSG_TRUNC`), which is more than
    /// `self.rx` holds if it was cut.
    fn recv_datagram(&mut self, flags: libc::c_int) -> io::Result<usize> {
        self.rx.clear();
        let room = self.rx.spare_capacity_mut();
        // SAFETY: the kernel writes at most `room.len()` bytes into memory we own.
        let rc = unsafe {
            libc::recv(self.sock.as_raw_fd(), room.as_mut_ptr().cast(), room.len(), flags | libc::MSG_TRUNC)
        };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        let len = rc as usize;
        // SAFETY: the kernel initialised the first min(len, capacity) bytes.
        unsafe { self.rx.set_len(len.min(self.rx.capacity())) };
        Ok(len)
    }
}

fn set_int_option(sock: &NlSocket, option: libc::c_int, value: libc::c_int) -> io::Result<()> {
    // SAFETY: a valid fd and a pointer to a live c_int with its size.
    let rc = unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            libc::SOL_NETLINK,
            option,
            (&value as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Flags for a request that creates an object and fails if it exists.
pub fn create_flags() -> NlmF {
    NlmF::CREATE | NlmF::EXCL
}

/// Notifications: a socket that listens to rtnetlink multicast groups, as `ip monitor` does, so
/// a long-running process (`netplug daemon`) learns of links appearing, going and losing carrier.
impl Socket {
    /// Opens an rtnetlink socket subscribed to `groups`, a bitmask of `RTMGRP_*` values
    /// (`RTMGRP_LINK` for `RTM_NEWLINK`/`RTM_DELLINK`). Keep it for notifications only: replies
    /// to requests sent on it would arrive mixed with them.
    pub fn route_events(groups: u32) -> Result<Socket, Error> {
        let sock = Socket::open(Protocol::Route)?;
        sock.sock
            .add_mcast_membership(Groups::new_bitmask(groups))
            .map_err(|e| Error::io("join rtnetlink multicast groups", &e))?;
        Ok(sock)
    }

    /// Hands every notification already queued to `on_event`, without waiting (wait with
    /// poll(2) on [`AsRawFd::as_raw_fd`] first); returns how many there were. An error with
    /// errno `ENOBUFS` means the kernel dropped notifications because the receive buffer was
    /// full: the caller should re-read what it watches with a dump.
    pub fn recv_events(&mut self, mut on_event: impl FnMut(&Message<'_>)) -> Result<usize, Error> {
        let op = "receive rtnetlink notifications";
        let mut count = 0;
        loop {
            let len = match self.recv_datagram(libc::MSG_DONTWAIT) {
                Ok(len) if len > self.rx.len() => {
                    return Err(Error::other(op, format!("netlink datagram of {len} bytes truncated")))
                }
                Ok(len) => len,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(count),
                Err(e) => return Err(Error::io(op, &e)),
            };
            for msg in Messages::new(&self.rx[..len]) {
                let msg = msg.map_err(|e| Error::other(op, e))?;
                count += 1;
                on_event(&msg);
            }
        }
    }
}

impl AsRawFd for Socket {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.sock.as_raw_fd()
    }
}
