//! Applying: each [`RouteOp`] becomes one `RTM_NEWROUTE`/`RTM_DELROUTE`, all sent in bursts
//! through the SDK's batch, stopping at the first failure with the kernel's explanation.
//!
//! Every route carries protocol [`RTPROT_NETPLUG`], an explicit metric (the family's default
//! when none was written) and, when it refuses traffic, its owner's tag (see
//! [`crate::read`]). Additions use `NLM_F_EXCL`: netplug never takes over or joins a route it
//! did not add (an IPv6 route added without it would become a multipath sibling of a foreign
//! route with the same metric, and a protocol-filtered dump would no longer show it). Changes
//! use `NLM_F_REPLACE`, which also re-creates a route the kernel dropped meanwhile (IPv4 drops
//! every route through a device whose last address goes).
//!
//! One exception to `NLM_F_EXCL`: a default route whose key (family, table, metric) is held by
//! netplug's own gateway route (protocol [`RTPROT_NETPLUG_GATEWAY`], the static plugin's) is
//! added with `NLM_F_REPLACE`, taking that route over in place. That is how a `<static
//! gateway>` becomes a `<route>` default make-before-break: the static plugin removes its
//! gateway only after every route is in, and finds it already replaced. Another: a default
//! route moving to another interface under the same key is added beside the one it replaces
//! ([`Op::AddBeside`], `NLM_F_CREATE` alone), which this plugin removes right after.
//!
//! A default route's removal runs after every route is in (see [`crate::plan`]): a route or
//! an interface the kernel dropped meanwhile is then done, not a failure.

use std::net::IpAddr;

use netplug_plugin_sdk::netlink::consts::{RTAX_INITRWND, RTPROT_NETPLUG, RTPROT_NETPLUG_GATEWAY};
use netplug_plugin_sdk::netlink::{self, Batch, Family, Request, Route, RouteFilter, RouteMessage, Socket};
use netplug_plugin_sdk::{ApplyError, Change, PluginError};

use crate::read::owner_tag;
use crate::spec::{RouteSpec, VrfName, MAIN, OF_VRF};
use crate::text;

/// What a [`RouteOp`] does to its route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Add,
    /// Add next to a netplug default route with the same key that this run removes later.
    AddBeside,
    /// Same key (destination, table, metric), other gateway, type or onlink.
    Replace,
    Remove,
}

impl Op {
    fn word(self) -> &'static str {
        match self {
            Op::Add => "add",
            Op::AddBeside => "add-beside",
            Op::Replace => "replace",
            Op::Remove => "remove",
        }
    }
}

/// One route operation, as carried in a [`Change`]'s payload. `name` is the interface the
/// route belongs to: its output device, or for a refusing route the interface that declared it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteOp<'a> {
    pub op: Op,
    pub name: &'a str,
    pub route: RouteSpec,
}

impl<'a> RouteOp<'a> {
    /// The text a change carries as its operation: `OP DEST/LEN GATEWAY|- TYPE METRIC TABLE
    /// ONLINK NAME`, e.g. `add 10.0.0.0/24 192.168.0.2 1 0 254 0 eth0`, the name last so it may
    /// hold anything; TABLE is the VRF's name for a VRF's table that is still to be looked up.
    /// Payloads are planned and applied by this plugin in one run, so the form is private;
    /// plain text, unlike an internally tagged JSON enum, costs one pass each way.
    pub fn encode(&self) -> String {
        let r = &self.route;
        let mut s = String::with_capacity(48 + self.name.len());
        s.push_str(self.op.word());
        s.push(' ');
        text::prefix(&mut s, r.destination, r.prefix_len);
        s.push(' ');
        match r.gateway {
            Some(g) => text::addr(&mut s, g),
            None => s.push('-'),
        }
        for n in [u32::from(r.kind), r.metric] {
            s.push(' ');
            text::number(&mut s, n);
        }
        s.push(' ');
        match r.vrf {
            Some(vrf) => s.push_str(vrf.as_str()),
            None => text::number(&mut s, r.table),
        }
        s.push(' ');
        text::number(&mut s, u32::from(r.onlink));
        s.push(' ');
        s.push_str(self.name);
        s
    }

    /// The operation [`RouteOp::encode`] wrote.
    pub fn decode(payload: &'a str) -> Result<RouteOp<'a>, String> {
        let bad = |what: &str| format!("{what} in `{payload}`");
        let mut fields = payload.splitn(8, ' ');
        let mut next = |what: &str| fields.next().ok_or_else(|| bad(&format!("no {what}")));
        let op = match next("operation")? {
            "add" => Op::Add,
            "add-beside" => Op::AddBeside,
            "replace" => Op::Replace,
            "remove" => Op::Remove,
            _ => return Err(bad("unknown operation")),
        };
        let (destination, prefix_len) = next("destination")?.split_once('/').ok_or_else(|| bad("no /"))?;
        let gateway = match next("gateway")? {
            "-" => None,
            g => Some(g.parse::<IpAddr>().map_err(|_| bad("bad gateway"))?),
        };
        let mut number = |what: &str| next(what)?.parse::<u32>().map_err(|_| bad(&format!("bad {what}")));
        let kind = u8::try_from(number("type")?).map_err(|_| bad("bad type"))?;
        let metric = number("metric")?;
        let (table, vrf) = match next("table")? {
            t if t.starts_with(|c: char| c.is_ascii_digit()) => {
                (t.parse().map_err(|_| bad("bad table"))?, None)
            }
            vrf => (OF_VRF, Some(VrfName::new(vrf).map_err(|why| bad(&why))?)),
        };
        let mut number = |what: &str| next(what)?.parse::<u32>().map_err(|_| bad(&format!("bad {what}")));
        let onlink = match number("onlink")? {
            0 => false,
            1 => true,
            _ => return Err(bad("bad onlink")),
        };
        let name = next("name")?;
        let route = RouteSpec {
            destination: destination.parse().map_err(|_| bad("bad destination"))?,
            prefix_len: prefix_len.parse().map_err(|_| bad("bad prefix length"))?,
            gateway,
            kind,
            metric,
            table,
            vrf,
            onlink,
        };
        Ok(RouteOp { op, name, route })
    }

    /// The table of a VRF planned before it existed: the VRF the route's `table` named, or
    /// the one the route's interface is a port of (the main table if the master turned out
    /// to be no VRF).
    fn vrf_table(&self, batch: &mut Batch<'_>) -> Result<u32, ApplyError> {
        if let Some(vrf) = self.route.vrf {
            let table = batch.table()?.by_name(vrf.as_str()).and_then(crate::plan::vrf_table);
            return table.ok_or_else(|| {
                let vrf = vrf.as_str();
                batch.fail(
                    PluginError::new(format!("table {vrf}: no VRF {vrf} exists")).on_interface(self.name),
                )
            });
        }
        let links = batch.table()?;
        let master = links.by_name(self.name).and_then(|l| l.master).and_then(|m| links.by_index(m));
        Ok(master.and_then(crate::plan::vrf_table).unwrap_or(MAIN))
    }

    /// The request, resolving the output device through `batch`.
    pub fn request(&self, batch: &mut Batch<'_>, takes_over: bool) -> Result<Request, ApplyError> {
        let r = &self.route;
        let (dst, len) = (r.destination, r.prefix_len);
        let msg = match self.op {
            Op::Add if takes_over => RouteMessage::replace(dst, len),
            Op::Add => RouteMessage::add(dst, len),
            Op::AddBeside => RouteMessage::create(dst, len),
            Op::Replace => RouteMessage::replace(dst, len),
            Op::Remove => RouteMessage::delete(dst, len),
        };
        let table = match r.table {
            OF_VRF => self.vrf_table(batch)?,
            t => t,
        };
        let mut msg =
            msg.table(table).metric(r.metric).protocol(RTPROT_NETPLUG).kind(netlink::RouteType::from(r.kind));
        if r.refuses() {
            // A delete finds the route by key, protocol and type; only one can have them.
            if self.op != Op::Remove {
                msg = msg.rtax(RTAX_INITRWND, owner_tag(self.name));
            }
        } else {
            msg = msg.oif(batch.index_of(self.name)?);
            if let Some(g) = r.gateway {
                msg = msg.gateway(g);
            }
            if r.onlink && self.op != Op::Remove {
                msg = msg.onlink();
            }
        }
        Ok(msg.build())
    }
}

/// Apply route changes in order, in bursts.
pub fn apply(changes: &[Change]) -> Result<(), ApplyError> {
    let mut sock = Socket::route_reused()?;
    // netplug's gateway routes, read once when the first default route is added.
    let mut gateways: Option<Vec<Route>> = None;
    let result = (|| {
        let mut batch = Batch::new(&mut sock);
        for (i, c) in changes.iter().enumerate() {
            batch.begin(i, &c.interface);
            let op = c.op::<&str>().and_then(|text| {
                RouteOp::decode(text).map_err(|why| {
                    PluginError::new(format!("bad change payload: {why}")).on_interface(&c.interface)
                })
            });
            let op = op.map_err(|e| batch.fail(e))?;
            let takes_over = op.op == Op::Add
                && op.route.prefix_len == 0
                && gateways
                    .get_or_insert_with(|| own_gateways(batch.socket()))
                    .iter()
                    .any(|g| op.holds_key_of(g));
            if op.op == Op::Remove && op.route.prefix_len == 0 {
                // Alone, after what replaces it: "no such route" or "no such device" (the
                // kernel dropped it with its interface's addresses or the interface) is done.
                batch.flush()?;
                if !op.route.refuses() && batch.table()?.by_name(op.name).is_none() {
                    continue;
                }
                let req = op.request(&mut batch, false)?;
                match batch.socket().request(req) {
                    Err(e) if e.is_not_found() => {}
                    other => {
                        other.map_err(|e| batch.fail(PluginError::from(e).on_interface(&c.interface)))?
                    }
                }
                continue;
            }
            let req = op.request(&mut batch, takes_over)?;
            batch.push(req);
        }
        batch.flush()
    })();
    result.map_err(|mut e| {
        // Decoded again: only a failure, rare, needs the operation back.
        if let Some(Ok(op)) = changes.get(e.index).and_then(|c| c.op::<&str>().ok()).map(RouteOp::decode) {
            explain(&op, &mut e.error);
        }
        e
    })
}

/// The static plugin's gateway routes (a failed read is no takeover: the add then says why).
fn own_gateways(sock: &mut Socket) -> Vec<Route> {
    let filter = RouteFilter { protocol: Some(RTPROT_NETPLUG_GATEWAY), ..Default::default() };
    sock.dump_routes_filtered(Family::All, &filter).unwrap_or_default()
}

impl RouteOp<'_> {
    /// Whether `live`, a default route, has this route's key: family, table and metric.
    fn holds_key_of(&self, live: &Route) -> bool {
        let r = &self.route;
        live.dst_len == 0
            && live.table == r.table
            && live.priority.unwrap_or(0) == r.metric
            && matches!((live.family, r.destination.is_ipv4()), (Family::V4, true) | (Family::V6, false))
    }
}

/// The kernel says only "File exists" when a route with the same key is there already; say
/// which route, and why netplug does not take it over.
fn explain(op: &RouteOp<'_>, error: &mut PluginError) {
    let exists = error.errno.map(std::io::Error::from_raw_os_error).map(|e| e.kind())
        == Some(std::io::ErrorKind::AlreadyExists);
    if let (Op::Add, true, None) = (op.op, exists, &error.ext_ack) {
        error.ext_ack = Some(format!(
            "another {} exists; netplug neither replaces nor joins a route it did not add: \
             remove that one, or give this one another metric",
            op.route.key_text()
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(destination: &str, prefix_len: u8, gateway: Option<&str>) -> RouteSpec {
        RouteSpec {
            destination: destination.parse().unwrap(),
            prefix_len,
            gateway: gateway.map(|g| g.parse().unwrap()),
            kind: 1,
            metric: 0,
            table: crate::spec::MAIN,
            vrf: None,
            onlink: false,
        }
    }

    #[test]
    fn payloads_round_trip() {
        let ops = [
            RouteOp { op: Op::Add, name: "rt0", route: route("10.0.0.0", 24, Some("192.168.0.2")) },
            RouteOp { op: Op::AddBeside, name: "rt1", route: route("0.0.0.0", 0, Some("192.168.0.1")) },
            RouteOp {
                op: Op::Replace,
                name: "eth0",
                route: RouteSpec { onlink: true, metric: 7, table: 1000, ..route("::", 0, Some("fe80::1")) },
            },
            RouteOp {
                op: Op::Remove,
                name: "a name with spaces",
                route: RouteSpec { kind: 7, metric: 1024, ..route("2001:db8::", 32, None) },
            },
        ];
        for op in ops {
            let payload = op.encode();
            assert_eq!(RouteOp::decode(&payload).unwrap(), op, "{payload}");
        }
        let add = RouteOp { op: Op::Add, name: "rt0", route: route("10.0.0.0", 24, Some("192.168.0.2")) };
        assert_eq!(add.encode(), "add 10.0.0.0/24 192.168.0.2 1 0 254 0 rt0");
    }

    #[test]
    fn a_broken_payload_is_an_error() {
        for bad in [
            "",
            "add",
            "move 10.0.0.0/24 - 1 0 254 0 rt0",
            "add 10.0.0.0 - 1 0 254 0 rt0",
            "add 10.0.0.0/24 nowhere 1 0 254 0 rt0",
            "add 10.0.0.0/24 - 300 0 254 0 rt0",
            "add 10.0.0.0/24 - 1 0 254 2 rt0",
            "add 10.0.0.0/24 - 1 0 254 0",
            r#"{"op":"add","name":"rt0"}"#,
        ] {
            assert!(RouteOp::decode(bad).is_err(), "{bad:?}");
        }
    }
}
