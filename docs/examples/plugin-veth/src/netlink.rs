//! The messages this plugin builds, and `apply`: every change of one call goes out in one
//! burst through the SDK's [`Batch`].
//!
//! A change's payload is this plugin's own JSON: either a [`CreatePair`] or one of the SDK's
//! [`LinkOp`]s (set MTU, MAC, up/down, delete), which every kind plugin shares.

use serde::{Deserialize, Serialize};

use netplug_plugin_sdk::netlink::consts::{IFLA_ADDRESS, IFLA_IFNAME, IFLA_MTU, VETH_INFO_PEER};
use netplug_plugin_sdk::netlink::{parse_mac, AttrBuilder, LinkMessage, Request, Socket};
use netplug_plugin_sdk::netlink::{Batch, KindOp, LinkOp};
use netplug_plugin_sdk::{ApplyError, Change, Phase, PluginError};

/// What to set on one end of a pair as it is created.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct End {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mtu: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
}

/// Create the pair `name`/`peer`: one `RTM_NEWLINK` carrying both ends' settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename = "create-veth")]
pub struct CreatePair {
    pub name: String,
    pub peer: String,
    /// Bring `name` up as it is created. Only this end: the kernel opens the peer before the
    /// two are linked, so `IFF_UP` on the peer fails with `ENOTCONN` (`veth_open`); a peer that
    /// is to be up gets a set-up change of its own.
    #[serde(default)]
    pub up: bool,
    pub this: End,
    pub other: End,
}

impl CreatePair {
    pub fn change(&self, phase: Phase, description: String) -> Change {
        KindOp::Kind(self).change(&self.name, phase, description)
    }

    /// The request. The peer's settings travel inside `IFLA_INFO_DATA`/`VETH_INFO_PEER` as an
    /// `ifinfomsg` and attributes of its own (drivers/net/veth.c, `veth_newlink`), so one
    /// message sets up both ends; `IFF_UP` in the outer `ifinfomsg` brings `name` up as it is
    /// made.
    pub fn request(&self) -> Result<Request, PluginError> {
        let mac = |end: &End, name: &str| -> Result<Option<Vec<u8>>, PluginError> {
            end.mac
                .as_deref()
                .map(|m| {
                    parse_mac(m)
                        .ok_or_else(|| PluginError::new(format!("bad MAC address {m}")).on_interface(name))
                })
                .transpose()
        };
        let mut msg = LinkMessage::create(&self.name, "veth");
        if self.up {
            msg = msg.up();
        }
        if let Some(mtu) = self.this.mtu {
            msg = msg.mtu(mtu);
        }
        if let Some(mac) = mac(&self.this, &self.name)? {
            msg = msg.address(&mac);
        }
        let other_mac = mac(&self.other, &self.peer)?;
        let mut data = AttrBuilder::new();
        data.nested(VETH_INFO_PEER, |b| {
            // The peer's `ifinfomsg`: AF_UNSPEC, no index (the kernel assigns one), no flags.
            b.put_raw(&[0u8; 16]);
            b.put_str(IFLA_IFNAME, &self.peer);
            if let Some(mtu) = self.other.mtu {
                b.put_u32(IFLA_MTU, mtu);
            }
            if let Some(mac) = &other_mac {
                b.put(IFLA_ADDRESS, mac);
            }
        });
        Ok(msg.info_data(data).build())
    }
}

/// A change's payload, decoded.
#[derive(Debug)]
enum Op {
    Create(CreatePair),
    Link(LinkOp),
}

fn decode(change: &Change) -> Result<Op, PluginError> {
    Ok(match change.op::<KindOp<CreatePair>>()? {
        KindOp::Link(op) => Op::Link(op),
        KindOp::Kind(create) => Op::Create(create),
    })
}

/// Apply `changes` in order as one burst; stop at the first failure and say which change it was.
///
/// Creates need no interface index, so any number of them are sent without a dump; the first
/// change that names an existing link (a delete, a set-up) makes the batch dump the links once.
pub fn apply(sock: &mut Socket, changes: &[Change]) -> Result<(), ApplyError> {
    let mut batch = Batch::new(sock);
    for (i, change) in changes.iter().enumerate() {
        batch.begin(i, &change.interface);
        let request = match decode(change).map_err(|e| batch.fail(e))? {
            Op::Create(create) => create.request().map_err(|e| batch.fail(e))?,
            Op::Link(op) => op.request(&mut batch)?,
        };
        tracing::trace!(interface = %change.interface, "queued: {}", change.description);
        batch.push(request);
    }
    batch.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_carries_both_ends() {
        let c = CreatePair {
            name: "v0".into(),
            peer: "v0p".into(),
            up: true,
            this: End { mtu: Some(9000), mac: None },
            other: End { mtu: Some(1400), mac: Some("02:00:00:00:00:01".into()) },
        };
        let req = c.request().unwrap();
        assert_eq!(req.op(), "create veth, set up, set mtu 9000");
        let bytes = req.payload();
        // The peer's name, MTU and MAC are inside the message, after the first end's.
        let find = |needle: &[u8]| bytes.windows(needle.len()).position(|w| w == needle);
        let peer_name = find(b"v0p\0").expect("peer name");
        assert!(find(&1400u32.to_ne_bytes()).unwrap() > peer_name);
        assert!(find(&[2, 0, 0, 0, 0, 1]).unwrap() > peer_name);
    }

    #[test]
    fn payloads_round_trip_and_link_ops_are_told_apart() {
        let create = CreatePair {
            name: "a".into(),
            peer: "b".into(),
            up: false,
            this: End::default(),
            other: End::default(),
        };
        let change = create.change(Phase::Create, "create".into());
        assert!(matches!(decode(&change), Ok(Op::Create(c)) if c == create));
        let delete = LinkOp::Delete { name: "a".into() }.change("a", Phase::Delete, "delete");
        assert!(matches!(decode(&delete), Ok(Op::Link(LinkOp::Delete { .. }))));
        let junk = Change { payload: "{}".into(), ..delete };
        assert!(decode(&junk).unwrap_err().message.starts_with("bad change payload"));
    }
}
