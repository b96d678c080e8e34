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

use netplug_plugin_sdk::link::{plugin_error, Batch};
use netplug_plugin_sdk::netlink::consts::{RTAX_INITRWND, RTPROT_NETPLUG};
use netplug_plugin_sdk::netlink::{self, Request, RouteMessage, Socket};
use netplug_plugin_sdk::{ApplyError, Change, PluginError};
use serde::{Deserialize, Serialize};

use crate::read::owner_tag;
use crate::spec::RouteSpec;

/// One route operation, as carried in a [`Change`]'s payload. `name` is the interface the
/// route belongs to: its output device, or for a refusing route the interface that declared it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum RouteOp {
    Add {
        name: String,
        route: RouteSpec,
    },
    /// Same key (destination, table, metric), other gateway, type or onlink.
    Replace {
        name: String,
        route: RouteSpec,
    },
    Remove {
        name: String,
        route: RouteSpec,
    },
}

impl RouteOp {
    pub fn name(&self) -> &str {
        match self {
            RouteOp::Add { name, .. } | RouteOp::Replace { name, .. } | RouteOp::Remove { name, .. } => name,
        }
    }

    pub fn route(&self) -> &RouteSpec {
        match self {
            RouteOp::Add { route, .. } | RouteOp::Replace { route, .. } | RouteOp::Remove { route, .. } => {
                route
            }
        }
    }

    /// The request, resolving the output device through `batch`.
    pub fn request(&self, batch: &mut Batch<'_>) -> Result<Request, ApplyError> {
        let r = self.route();
        let (dst, len) = (r.destination, r.prefix_len);
        let msg = match self {
            RouteOp::Add { .. } => RouteMessage::add(dst, len),
            RouteOp::Replace { .. } => RouteMessage::replace(dst, len),
            RouteOp::Remove { .. } => RouteMessage::delete(dst, len),
        };
        let mut msg = msg
            .table(r.table)
            .metric(r.metric)
            .protocol(RTPROT_NETPLUG)
            .kind(netlink::RouteType::from(r.kind));
        if r.refuses() {
            // A delete finds the route by key, protocol and type; only one can have them.
            if !matches!(self, RouteOp::Remove { .. }) {
                msg = msg.rtax(RTAX_INITRWND, owner_tag(self.name()));
            }
        } else {
            msg = msg.oif(batch.index_of(self.name())?);
            if let Some(g) = r.gateway {
                msg = msg.gateway(g);
            }
            if r.onlink && !matches!(self, RouteOp::Remove { .. }) {
                msg = msg.onlink();
            }
        }
        Ok(msg.build())
    }
}

/// Apply route changes in order, in bursts.
pub fn apply(changes: &[Change]) -> Result<(), ApplyError> {
    let mut sock = Socket::route().map_err(|e| ApplyError { index: 0, error: plugin_error("", e) })?;
    let mut ops = Vec::with_capacity(changes.len());
    let result = (|| {
        let mut batch = Batch::new(&mut sock);
        for (i, c) in changes.iter().enumerate() {
            batch.begin(i, &c.interface);
            let op: RouteOp = serde_json::from_str(&c.payload).map_err(|e| {
                batch.fail(PluginError::new(format!("bad change payload: {e}")).on_interface(&c.interface))
            })?;
            let req = op.request(&mut batch)?;
            batch.push(req);
            ops.push(op);
        }
        batch.flush()
    })();
    result.map_err(|mut e| {
        if let Some(op) = ops.get(e.index) {
            explain(op, &mut e.error);
        }
        e
    })
}

/// The kernel says only "File exists" when a route with the same key is there already; say
/// which route, and why netplug does not take it over.
fn explain(op: &RouteOp, error: &mut PluginError) {
    let exists = error.errno.map(std::io::Error::from_raw_os_error).map(|e| e.kind())
        == Some(std::io::ErrorKind::AlreadyExists);
    if let (RouteOp::Add { route, .. }, true, None) = (op, exists, &error.ext_ack) {
        error.ext_ack = Some(format!(
            "another {} exists; netplug neither replaces nor joins a route it did not add: \
             remove that one, or give this one another metric",
            route.key_text()
        ));
    }
}
