//! Applying: each [`StaticOp`] becomes one or two rtnetlink requests, all sent in bursts
//! through the SDK's batch, stopping at the first failure with the kernel's explanation.

use std::net::IpAddr;

use netplug_plugin_sdk::netlink::consts::{RTPROT_NETPLUG, RTPROT_NETPLUG_GATEWAY};
use netplug_plugin_sdk::netlink::Batch;
use netplug_plugin_sdk::netlink::{
    AddrMessage, Family, LinkMessage, Request, Route, RouteFilter, RouteMessage, Socket,
};
use netplug_plugin_sdk::{ApplyError, Change, PluginError};
use serde::{Deserialize, Serialize};

/// `IFLA_AF_SPEC`, `IFLA_INET_CONF` (linux/if_link.h) and `IPV4_DEVCONF_PROMOTE_SECONDARIES`
/// (linux/ip.h, not in linux-raw-sys): an interface's IPv4 settings over rtnetlink.
const IFLA_AF_SPEC: u16 = 26;
const IFLA_INET_CONF: u16 = 1;
const IPV4_DEVCONF_PROMOTE_SECONDARIES: u16 = 20;
/// `AF_INET`, the family nest inside `IFLA_AF_SPEC`.
const AF_INET: u16 = 2;

/// One operation, as carried in a [`Change`]'s payload; `name` is the interface.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum StaticOp {
    /// Add an address marked with `proto` (netplug's, or its former owner's when restoring).
    AddAddress {
        name: String,
        address: IpAddr,
        prefix_len: u8,
        #[serde(default)]
        proto: Option<u8>,
    },
    /// Re-mark an address in place (`NLM_F_REPLACE`): adopt it, or hand it back (`None`).
    MarkAddress {
        name: String,
        address: IpAddr,
        prefix_len: u8,
        #[serde(default)]
        proto: Option<u8>,
    },
    /// Remove an address; `promote` first turns on `promote_secondaries` so the other
    /// addresses of its subnet stay. `after_replacement` when it runs after every route is in
    /// (the interface loses all its addresses): the kernel may have dropped it meanwhile, with
    /// the interface or its IPv6 configuration; gone is then done.
    RemoveAddress {
        name: String,
        address: IpAddr,
        prefix_len: u8,
        #[serde(default)]
        promote: bool,
        #[serde(default)]
        after_replacement: bool,
    },
    /// Add the gateway's default route; `beside_own` when a netplug gateway of the family is
    /// live (the one it replaces, removed only afterwards): added next to it rather than
    /// refused for having its key.
    AddGateway {
        name: String,
        gateway: IpAddr,
        #[serde(default)]
        beside_own: bool,
    },
    /// Remove the gateway's default route; `after_replacement` when it runs after the new
    /// default routes are in, one of which may have replaced it in place, or after the kernel
    /// dropped it (with its interface's last IPv4 address, or the interface): gone is then done.
    RemoveGateway {
        name: String,
        gateway: IpAddr,
        #[serde(default)]
        after_replacement: bool,
    },
}

impl StaticOp {
    pub fn name(&self) -> &str {
        match self {
            StaticOp::AddAddress { name, .. }
            | StaticOp::MarkAddress { name, .. }
            | StaticOp::RemoveAddress { name, .. }
            | StaticOp::AddGateway { name, .. }
            | StaticOp::RemoveGateway { name, .. } => name,
        }
    }

    /// Whether it runs after every route is in, where what it removes may already be gone.
    fn after_replacement(&self) -> bool {
        matches!(
            self,
            StaticOp::RemoveAddress { after_replacement: true, .. }
                | StaticOp::RemoveGateway { after_replacement: true, .. }
        )
    }

    /// The requests, resolving the interface through `batch`. `takes_over` when a netplug
    /// `<route>` default holds the gateway route's key: the gateway's route replaces it in place
    /// (`NLM_F_REPLACE`, as the routes plugin takes a gateway's over; IPv6 would refuse a
    /// sibling with the same next hop), and the routes plugin's removal, which runs after every
    /// route is in, finds nothing of its protocol left: make before break.
    pub fn requests(&self, batch: &mut Batch<'_>, takes_over: bool) -> Result<Vec<Request>, ApplyError> {
        let index = batch.index_of(self.name())?;
        Ok(match *self {
            StaticOp::AddAddress { address, prefix_len, proto, .. } => {
                vec![with_proto(
                    broadcast(AddrMessage::add(index, address, prefix_len), address, prefix_len),
                    proto,
                )]
            }
            StaticOp::MarkAddress { address, prefix_len, proto, .. } => {
                vec![with_proto(
                    broadcast(AddrMessage::replace(index, address, prefix_len), address, prefix_len),
                    proto,
                )]
            }
            StaticOp::RemoveAddress { address, prefix_len, promote, .. } => {
                let mut out = Vec::with_capacity(2);
                if promote {
                    out.push(promote_secondaries(index));
                }
                out.push(AddrMessage::delete(index, address, prefix_len).build());
                out
            }
            StaticOp::AddGateway { gateway, beside_own, .. } => {
                let new = match (takes_over, beside_own) {
                    (true, _) => RouteMessage::replace,
                    (false, true) => RouteMessage::create,
                    (false, false) => RouteMessage::add,
                };
                vec![gateway_route(new, gateway, index)]
            }
            StaticOp::RemoveGateway { gateway, .. } => {
                vec![gateway_route(RouteMessage::delete, gateway, index)]
            }
        })
    }
}

/// As `ip addr add … brd +`: the kernel computes no IPv4 broadcast address itself.
fn broadcast(msg: AddrMessage, address: IpAddr, prefix_len: u8) -> AddrMessage {
    match address {
        IpAddr::V4(a) => match AddrMessage::v4_broadcast(a, prefix_len) {
            Some(b) => msg.broadcast(b),
            None => msg,
        },
        IpAddr::V6(_) => msg,
    }
}

fn with_proto(msg: AddrMessage, proto: Option<u8>) -> Request {
    match proto {
        Some(p) => msg.proto(p).build(),
        None => msg.build(),
    }
}

/// The default route through `gateway` out of interface `index`, of protocol 177.
fn gateway_route(new: fn(IpAddr, u8) -> RouteMessage, gateway: IpAddr, index: u32) -> Request {
    let any = match gateway {
        IpAddr::V4(_) => IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
        IpAddr::V6(_) => IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
    };
    new(any, 0).gateway(gateway).oif(index).protocol(RTPROT_NETPLUG_GATEWAY).build()
}

/// `promote_secondaries = 1` on one interface (`IFLA_AF_SPEC` → `AF_INET` → `IFLA_INET_CONF`).
fn promote_secondaries(index: u32) -> Request {
    LinkMessage::change(index)
        .attr(|b| {
            b.nested(IFLA_AF_SPEC, |b| {
                b.nested(AF_INET, |b| {
                    b.nested(IFLA_INET_CONF, |b| {
                        b.put_u32(IPV4_DEVCONF_PROMOTE_SECONDARIES, 1);
                    });
                });
            });
        })
        .build()
}

/// Apply changes in order, in bursts.
pub fn apply(changes: &[Change]) -> Result<(), ApplyError> {
    let mut sock = Socket::route_reused()?;
    let mut ops = Vec::with_capacity(changes.len());
    // netplug's `<route>` defaults, read once when the first gateway is added.
    let mut route_defaults: Option<Vec<Route>> = None;
    let result = (|| {
        let mut batch = Batch::new(&mut sock);
        for (i, c) in changes.iter().enumerate() {
            batch.begin(i, &c.interface);
            let op: StaticOp = c.op().map_err(|error| batch.fail(error))?;
            if op.after_replacement() {
                // Alone, so that "no such route, address or device" (replaced in place or
                // dropped by the kernel meanwhile) is not a failure.
                batch.flush()?;
                if batch.table()?.by_name(op.name()).is_none() {
                    ops.push(op);
                    continue;
                }
                let requests = op.requests(&mut batch, false)?;
                for req in requests {
                    match batch.socket().request(req) {
                        Err(e) if e.is_not_found() || e.errno == Some(libc::EADDRNOTAVAIL) => {}
                        other => {
                            other.map_err(|e| batch.fail(PluginError::from(e).on_interface(&c.interface)))?
                        }
                    }
                }
                ops.push(op);
                continue;
            }
            let takes_over = match op {
                StaticOp::AddGateway { gateway, beside_own: false, .. } => route_defaults
                    .get_or_insert_with(|| netplug_route_defaults(batch.socket()))
                    .iter()
                    .any(|r| holds_gateway_key(r, gateway)),
                _ => false,
            };
            for req in op.requests(&mut batch, takes_over)? {
                batch.push(req);
            }
            ops.push(op);
        }
        batch.flush()
    })();
    result.map_err(|mut e| {
        if let Some(StaticOp::AddGateway { gateway, .. }) = ops.get(e.index) {
            explain_gateway(*gateway, &mut e.error);
        }
        e
    })
}

/// The routes plugin's default routes (a failed read is no takeover: the add then says why).
fn netplug_route_defaults(sock: &mut Socket) -> Vec<Route> {
    let filter = RouteFilter { protocol: Some(RTPROT_NETPLUG), ..Default::default() };
    let mut routes = sock.dump_routes_filtered(Family::All, &filter).unwrap_or_default();
    routes.retain(|r| r.dst_len == 0);
    routes
}

/// Whether `live`, a default route, has the key of `gateway`'s route: its family, the main
/// table and the family's default metric (0 for IPv4, 1024 for IPv6), which the gateway's
/// route takes.
fn holds_gateway_key(live: &Route, gateway: IpAddr) -> bool {
    let (family, metric) = match gateway {
        IpAddr::V4(_) => (Family::V4, 0),
        IpAddr::V6(_) => (Family::V6, 1024),
    };
    live.dst_len == 0 && live.family == family && live.table == 254 && live.priority.unwrap_or(0) == metric
}

/// The kernel says only "File exists" when a default route with the same metric is there.
fn explain_gateway(gateway: IpAddr, error: &mut PluginError) {
    let exists = error.errno.map(std::io::Error::from_raw_os_error).map(|e| e.kind())
        == Some(std::io::ErrorKind::AlreadyExists);
    if exists && error.ext_ack.is_none() {
        let family = if gateway.is_ipv4() { "IPv4" } else { "IPv6" };
        error.ext_ack = Some(format!(
            "another {family} default route with the default metric exists; netplug neither replaces nor joins \
             a route it did not add: remove that one, or declare this gateway as a <route> with another metric"
        ));
    }
}
