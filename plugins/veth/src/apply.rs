//! Changes → netlink: every change of one call goes out in bursts through the SDK's batch.

use std::fs::File;
use std::os::fd::AsRawFd;

use netplug_plugin_sdk::netlink::consts::{IFLA_ADDRESS, IFLA_IFNAME, IFLA_MTU, VETH_INFO_PEER};
use netplug_plugin_sdk::netlink::{apply_kind_changes, Batch};
use netplug_plugin_sdk::netlink::{parse_mac, AttrBuilder, LinkMessage, Request};
use netplug_plugin_sdk::{ApplyError, Change, PluginError};

use crate::netns::{self, IFLA_NET_NS_FD};
use crate::plan::{End, VethOp};

/// Apply changes from [`crate::plan::plan`] in order; stop at the first failure.
pub fn apply(changes: &[Change]) -> Result<(), ApplyError> {
    // The namespaces peers are created in, open until the last burst is sent: the kernel
    // reads `IFLA_NET_NS_FD` when it runs the request, not when it is queued.
    let mut namespaces: Vec<File> = Vec::new();
    apply_kind_changes(changes, |op: &VethOp, batch: &mut Batch<'_>| {
        let VethOp::CreateVeth { name, peer, peer_netns, up, this, other } = op;
        let fail =
            |batch: &Batch<'_>, message: String| batch.fail(PluginError::new(message).on_interface(name));
        let netns_fd = match peer_netns {
            Some(ns) => {
                let file = netns::open(ns).map_err(|m| fail(batch, m))?;
                let fd = file.as_raw_fd();
                namespaces.push(file);
                Some(fd)
            }
            None => None,
        };
        let request = create_request(name, peer, netns_fd, *up, this, other).map_err(|m| fail(batch, m))?;
        Ok(vec![request])
    })
}

/// The one `RTM_NEWLINK` that makes a pair. The peer's settings travel inside
/// `IFLA_INFO_DATA`/`VETH_INFO_PEER` as an `ifinfomsg` and attributes of its own
/// (drivers/net/veth.c, `veth_newlink`), among them `IFLA_NET_NS_FD` for a peer made in another
/// namespace; `IFF_UP` in the outer `ifinfomsg` brings `name` up as it is made.
pub fn create_request(
    name: &str,
    peer: &str,
    peer_netns_fd: Option<i32>,
    up: bool,
    this: &End,
    other: &End,
) -> Result<Request, String> {
    let mac = |end: &End| -> Result<Option<Vec<u8>>, String> {
        end.mac.as_deref().map(|m| parse_mac(m).ok_or_else(|| format!("bad MAC address {m}"))).transpose()
    };
    let mut msg = LinkMessage::create(name, "veth");
    if up {
        msg = msg.up();
    }
    if let Some(mtu) = this.mtu {
        msg = msg.mtu(mtu);
    }
    if let Some(mac) = mac(this)? {
        msg = msg.address(&mac);
    }
    let other_mac = mac(other)?;
    let mut data = AttrBuilder::new();
    data.nested(VETH_INFO_PEER, |b| {
        // The peer's `ifinfomsg`: AF_UNSPEC, no index (the kernel assigns one), no flags.
        b.put_raw(&[0u8; 16]);
        b.put_str(IFLA_IFNAME, peer);
        if let Some(mtu) = other.mtu {
            b.put_u32(IFLA_MTU, mtu);
        }
        if let Some(mac) = &other_mac {
            b.put(IFLA_ADDRESS, mac);
        }
        if let Some(fd) = peer_netns_fd {
            b.put_u32(IFLA_NET_NS_FD, fd as u32);
        }
    });
    Ok(msg.info_data(data).build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_carries_both_ends_and_the_peers_namespace() {
        let this = End { mtu: Some(9000), mac: None };
        let other = End { mtu: Some(1400), mac: Some("02:00:00:00:00:01".into()) };
        let req = create_request("v0", "v0p", Some(7), true, &this, &other).unwrap();
        assert_eq!(req.op(), "create veth, set up, set mtu 9000");
        let bytes = req.payload();
        let find = |needle: &[u8]| bytes.windows(needle.len()).position(|w| w == needle);
        let peer_name = find(b"v0p\0").expect("peer name");
        // The peer's MTU, MAC and namespace are inside the message, after the first end's.
        assert!(find(&1400u32.to_ne_bytes()).unwrap() > peer_name);
        assert!(find(&[2, 0, 0, 0, 0, 1]).unwrap() > peer_name);
        let ns_attr = [&[8u8, 0][..], &IFLA_NET_NS_FD.to_ne_bytes(), &7u32.to_ne_bytes()].concat();
        assert!(find(&ns_attr).unwrap() > peer_name);

        let here = create_request("v0", "v0p", None, false, &End::default(), &End::default()).unwrap();
        assert!(!here.payload().windows(4).any(|w| w == &ns_attr[..4]), "no namespace attribute");
        let bad = End { mtu: None, mac: Some("nope".into()) };
        assert_eq!(
            create_request("v0", "v0p", None, false, &End::default(), &bad).unwrap_err(),
            "bad MAC address nope"
        );
    }
}
