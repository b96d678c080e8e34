//! Named network namespaces, as `ip netns` keeps them: a file under `/run/netns` per name,
//! a bind mount of the namespace's `nsfs` inode.
//!
//! The kernel reports a veth whose peer lives elsewhere with the peer's ifindex and the
//! peer namespace's *id* (`IFLA_LINK_NETNSID`), a number local to the namespace reading it.
//! Turning that id into a name means asking, for each named namespace, which id it has here
//! (`RTM_GETNSID` with the namespace's file descriptor); the peer's name is then one
//! `RTM_GETLINK` in that namespace by id (`IFLA_TARGET_NETNSID`, Linux 4.20+). Nothing is
//! entered: the plugin's thread stays where netplug put it.

use std::collections::HashMap;
use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::PathBuf;

use netplug_plugin_sdk::netlink::consts::{IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS};
use netplug_plugin_sdk::netlink::uapi as nl;
use netplug_plugin_sdk::netlink::NlmF;
use netplug_plugin_sdk::netlink::{AttrBuilder, Error, Link, Request, Socket};

/// Where `ip netns` keeps named namespaces.
pub const NETNS_DIR: &str = "/run/netns";

const RTM_GETNSID: u16 = nl::RTM_GETNSID as u16;
const RTM_NEWNSID: u16 = nl::RTM_NEWNSID as u16;
const RTM_GETLINK: u16 = nl::RTM_GETLINK as u16;
/// `NETNSA_NSID` and `NETNSA_FD` (linux/net_namespace.h, not in linux-raw-sys).
const NETNSA_NSID: u16 = 1;
const NETNSA_FD: u16 = 3;
/// `IFLA_TARGET_NETNSID`: look the link up in the namespace with this id.
pub const IFLA_TARGET_NETNSID: u16 = nl::IFLA_TARGET_NETNSID as u16;
/// `IFLA_NET_NS_FD`: create the link in the namespace this file descriptor refers to.
pub const IFLA_NET_NS_FD: u16 = nl::IFLA_NET_NS_FD as u16;

/// The file of the namespace called `name`.
pub fn path(name: &str) -> PathBuf {
    PathBuf::from(NETNS_DIR).join(name)
}

/// Open the namespace called `name`, for `IFLA_NET_NS_FD`; the error says which namespace.
pub fn open(name: &str) -> Result<File, String> {
    let path = path(name);
    File::open(&path).map_err(|e| format!("cannot open network namespace {name} ({}): {e}", path.display()))
}

/// The id the namespace open as `file` has in the caller's namespace; `None` if it has none
/// (the kernel gives one when a link first refers across, so a peer's namespace has one).
pub fn id_of(sock: &mut Socket, file: &File) -> Result<Option<i32>, Error> {
    // `struct rtgenmsg`: AF_UNSPEC, padded to 4 bytes.
    let mut b = AttrBuilder::with_header(&[libc::AF_UNSPEC as u8, 0, 0, 0]);
    b.put_u32(NETNSA_FD, file.as_raw_fd() as u32);
    let req = Request::new(RTM_GETNSID, NlmF::empty(), b.into_bytes(), "get namespace id");
    let mut id = None;
    sock.request_with_replies(req, |msg| {
        if msg.msg_type == RTM_NEWNSID {
            id = msg.attrs(4).get(NETNSA_NSID).and_then(|a| a.i32());
        }
        Ok(())
    })?;
    Ok(id.filter(|&i| i >= 0))
}

/// Names of the namespaces under [`NETNS_DIR`] by their id here: one `RTM_GETNSID` per named
/// namespace, taken only when a veth's peer lives elsewhere. Namespaces that cannot be opened
/// or have no id here are left out; an unreadable directory is an empty map.
pub fn names_by_id(sock: &mut Socket) -> Result<HashMap<i32, String>, Error> {
    let mut out = HashMap::new();
    let Ok(dir) = std::fs::read_dir(NETNS_DIR) else { return Ok(out) };
    let mut names: Vec<String> = dir.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect();
    names.sort();
    for name in names {
        let Ok(file) = File::open(path(&name)) else { continue };
        match id_of(sock, &file) {
            Ok(Some(id)) => {
                out.entry(id).or_insert(name);
            }
            Ok(None) => {}
            // Not a namespace (a stray file); anything else is worth reporting.
            Err(e) if e.errno == Some(libc::EINVAL) || e.errno == Some(libc::EBADF) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// The link with `index` in the namespace with id `netnsid` here, if there is one.
pub fn link_in(sock: &mut Socket, netnsid: i32, index: u32) -> Result<Option<Link>, Error> {
    let mut header = [0u8; 16];
    header[4..8].copy_from_slice(&index.to_ne_bytes());
    let mut b = AttrBuilder::with_header(&header);
    b.put_u32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
    b.put_i32(IFLA_TARGET_NETNSID, netnsid);
    let req = Request::new(RTM_GETLINK, NlmF::empty(), b.into_bytes(), "get peer link");
    let mut link = None;
    match sock.request_with_replies(req, |msg| {
        link = Link::parse(msg);
        Ok(())
    }) {
        Ok(()) => Ok(link),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}
