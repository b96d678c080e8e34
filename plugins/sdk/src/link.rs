//! What every kind plugin shares: a link table from one dump, the common envelope read back
//! from it, the envelope changes (MTU, MAC, admin state, ports) and a batcher that turns
//! changes into one burst of netlink requests while resolving interface names to indexes.
//!
//! Core owns the envelope's vocabulary; the kernel side of it is the same for a bridge, a bond
//! or a NIC, so it lives here once rather than in each plugin (systemd-networkd's core writes
//! the envelope of every netdev the same way).

use std::collections::HashMap;
use std::rc::Rc;

use serde::{Deserialize, Serialize};

use netplug_netlink::{self as netlink, Link, LinkMessage, Request, Socket};

use crate::plugin::{ApplyError, Change, Envelope, LinkState, Phase, PluginError};

/// The kernel's answer (errno and extended-ack text) as a plugin error; name the interface
/// with [`PluginError::on_interface`].
impl From<netlink::Error> for PluginError {
    fn from(e: netlink::Error) -> Self {
        PluginError { message: e.op, interface: None, errno: e.errno, ext_ack: e.ext_ack }
    }
}

/// A kernel error before any change was sent (opening a socket), charged to change 0.
impl From<netlink::Error> for ApplyError {
    fn from(e: netlink::Error) -> Self {
        ApplyError { index: 0, error: e.into() }
    }
}

fn on_interface(interface: &str, e: netlink::Error) -> PluginError {
    let error = PluginError::from(e);
    if interface.is_empty() {
        error
    } else {
        error.on_interface(interface)
    }
}

/// Every link of the namespace, from one `RTM_GETLINK` dump, indexed by name and ifindex.
#[derive(Clone, Debug, Default)]
pub struct LinkTable {
    links: Vec<Link>,
    by_name: HashMap<String, usize>,
    by_index: HashMap<u32, usize>,
    /// Positions of each master's ports, in table order: a master's ports are looked up once
    /// per master, and scanning every link each time made reading N bridges O(N²).
    ports: HashMap<u32, Vec<usize>>,
}

impl LinkTable {
    /// Every link, from one `RTM_GETLINK` dump, or from the dump another plugin took earlier
    /// in the same read pass (see [`crate::share`]).
    pub fn dump(sock: &mut Socket) -> Result<LinkTable, PluginError> {
        let links =
            crate::share::parse_or_make(crate::share::LINKS, netlink::parse_links, || sock.dump_links_raw())?;
        Ok(LinkTable::from_links(links))
    }

    pub fn from_links(links: Vec<Link>) -> LinkTable {
        let by_name = links.iter().enumerate().map(|(i, l)| (l.name.clone(), i)).collect();
        let by_index = links.iter().enumerate().map(|(i, l)| (l.index, i)).collect();
        let mut ports: HashMap<u32, Vec<usize>> = HashMap::new();
        for (i, l) in links.iter().enumerate() {
            if let Some(master) = l.master {
                ports.entry(master).or_default().push(i);
            }
        }
        LinkTable { links, by_name, by_index, ports }
    }

    pub fn links(&self) -> &[Link] {
        &self.links
    }

    pub fn by_name(&self, name: &str) -> Option<&Link> {
        self.by_name.get(name).map(|&i| &self.links[i])
    }

    pub fn by_index(&self, index: u32) -> Option<&Link> {
        self.by_index.get(&index).map(|&i| &self.links[i])
    }

    pub fn name_of(&self, index: u32) -> Option<&str> {
        self.by_index(index).map(|l| l.name.as_str())
    }

    /// The ports of a master (bridge or bond), in ifindex order.
    pub fn ports_of(&self, master: u32) -> impl Iterator<Item = &Link> {
        self.ports.get(&master).into_iter().flatten().map(|&i| &self.links[i])
    }

    /// The envelope of a live link, as `kind`.
    pub fn envelope(&self, link: &Link, kind: &str) -> Envelope {
        Envelope {
            name: link.name.clone(),
            kind: kind.to_string(),
            start_mode: String::new(),
            state: if link.is_up() { LinkState::Up } else { LinkState::Down },
            mac: link.address.as_deref().map(netlink::format_mac),
            mtu: link.mtu,
            master: link.master.and_then(|m| self.name_of(m)).map(str::to_string),
            parent: match link.link_netnsid {
                Some(_) => None,
                None => link.parent.and_then(|p| self.name_of(p)).map(str::to_string),
            },
            ifindex: Some(link.index),
        }
    }
}

/// A change to a link's envelope, as carried in a [`Change`]'s payload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum LinkOp {
    SetMtu {
        name: String,
        mtu: u32,
    },
    SetMac {
        name: String,
        mac: String,
    },
    Up {
        name: String,
    },
    Down {
        name: String,
    },
    /// Make `name` a port of `master`. Bonds want their slaves down first; the caller plans a
    /// `Down` before this when the master needs it.
    Enslave {
        name: String,
        master: String,
    },
    Release {
        name: String,
    },
    Delete {
        name: String,
    },
}

impl LinkOp {
    /// The interface the operation acts on.
    pub fn name(&self) -> &str {
        match self {
            LinkOp::SetMtu { name, .. }
            | LinkOp::SetMac { name, .. }
            | LinkOp::Up { name }
            | LinkOp::Down { name }
            | LinkOp::Enslave { name, .. }
            | LinkOp::Release { name }
            | LinkOp::Delete { name } => name,
        }
    }

    /// Package as a [`Change`] for `interface` in `phase`, as a [`KindOp::Link`].
    pub fn change(self, interface: &str, phase: Phase, description: impl Into<String>) -> Change {
        KindOp::<()>::Link(self).change(interface, phase, description)
    }

    /// Build the request, resolving names through `batch`.
    pub fn request(&self, batch: &mut Batch<'_>) -> Result<Request, ApplyError> {
        let index = batch.index_of(self.name())?;
        Ok(match self {
            LinkOp::SetMtu { mtu, .. } => LinkMessage::change(index).mtu(*mtu).build(),
            LinkOp::SetMac { mac, .. } => {
                let bytes = netlink::parse_mac(mac).ok_or_else(|| {
                    batch.fail(PluginError::new(format!("bad MAC address {mac}")).on_interface(self.name()))
                })?;
                LinkMessage::change(index).address(&bytes).build()
            }
            LinkOp::Up { .. } => LinkMessage::change(index).up().build(),
            LinkOp::Down { .. } => LinkMessage::change(index).down().build(),
            LinkOp::Enslave { master, .. } => {
                let m = batch.index_of(master)?;
                LinkMessage::change(index).master(m).build()
            }
            LinkOp::Release { .. } => LinkMessage::change(index).nomaster().build(),
            LinkOp::Delete { .. } => netlink::delete_link(index),
        })
    }
}

/// The changes that make a live link's MTU, MAC and admin state match the desired envelope.
/// `live == None` means the link is being created in this run: only what creation does not set
/// (the admin state) is planned. Ports are the master's plugin's business, not the envelope's.
pub fn envelope_changes(desired: &Envelope, live: Option<&Envelope>) -> Vec<Change> {
    let name = desired.name.as_str();
    let mut out = Vec::new();
    if let Some(live) = live {
        if let Some(mtu) = desired.mtu.filter(|m| live.mtu != Some(*m)) {
            let was = live.mtu.map(|m| format!(" (was {m})")).unwrap_or_default();
            out.push(LinkOp::SetMtu { name: name.into(), mtu }.change(
                name,
                Phase::Configure,
                format!("set mtu {mtu}{was}"),
            ));
        }
        if let Some(mac) = desired.mac.as_ref().filter(|m| live.mac.as_deref() != Some(m.as_str())) {
            let was = live.mac.as_ref().map(|m| format!(" (was {m})")).unwrap_or_default();
            out.push(LinkOp::SetMac { name: name.into(), mac: mac.clone() }.change(
                name,
                Phase::Configure,
                format!("set mac {mac}{was}"),
            ));
        }
    }
    let live_up = live.map(|l| l.state == LinkState::Up).unwrap_or(false);
    match desired.state {
        LinkState::Up if !live_up => {
            out.push(LinkOp::Up { name: name.into() }.change(name, Phase::Up, "set up"))
        }
        LinkState::Down if live_up => {
            out.push(LinkOp::Down { name: name.into() }.change(name, Phase::Down, "set down"))
        }
        _ => {}
    }
    out
}

/// Collects requests for one `apply` call and sends them in bursts, remembering which change
/// each came from so a kernel error names the right change.
///
/// Names resolve through a link table taken lazily; a name it does not know (a link created
/// earlier in this call) flushes what is pending and re-dumps, so a run of creates followed by
/// enslaves costs one extra dump, not one lookup per link.
pub struct Batch<'s> {
    sock: &'s mut Socket,
    table: Option<LinkTable>,
    pending: Vec<Request>,
    /// The change and interface of each pending request. Runs of changes share an interface
    /// (10,000 routes of one bridge), so the name is shared, not copied per request.
    owners: Vec<(usize, Rc<str>)>,
    current: (usize, Rc<str>),
}

impl<'s> Batch<'s> {
    pub fn new(sock: &'s mut Socket) -> Self {
        Batch { sock, table: None, pending: Vec::new(), owners: Vec::new(), current: (0, Rc::from("")) }
    }

    /// The socket, for requests that need a reply (flush first if order matters).
    pub fn socket(&mut self) -> &mut Socket {
        self.sock
    }

    /// Say which change (index into the slice given to `apply`) the next requests belong to.
    pub fn begin(&mut self, change: usize, interface: &str) {
        self.current.0 = change;
        if *self.current.1 != *interface {
            self.current.1 = Rc::from(interface);
        }
    }

    /// Queue a request for the current change.
    pub fn push(&mut self, req: Request) {
        self.pending.push(req);
        self.owners.push((self.current.0, Rc::clone(&self.current.1)));
    }

    /// The ifindex of `name`, flushing and re-dumping when the table does not know it yet.
    pub fn index_of(&mut self, name: &str) -> Result<u32, ApplyError> {
        if let Some(l) = self.table.as_ref().and_then(|t| t.by_name(name)) {
            return Ok(l.index);
        }
        self.flush()?;
        let table = LinkTable::dump(self.sock).map_err(|error| self.fail(error))?;
        let found = table.by_name(name).map(|l| l.index);
        self.table = Some(table);
        found.ok_or_else(|| self.fail(PluginError::new(format!("no such device {name}")).on_interface(name)))
    }

    /// The link table as of the last dump (taking one if none was taken).
    pub fn table(&mut self) -> Result<&LinkTable, ApplyError> {
        if self.table.is_none() {
            self.flush()?;
            self.table = Some(LinkTable::dump(self.sock).map_err(|error| self.fail(error))?);
        }
        Ok(self.table.as_ref().expect("just filled"))
    }

    /// An error for the current change.
    pub fn fail(&self, error: PluginError) -> ApplyError {
        ApplyError { index: self.current.0, error }
    }

    /// Send everything pending.
    pub fn flush(&mut self) -> Result<(), ApplyError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let requests = std::mem::take(&mut self.pending);
        let owners = std::mem::take(&mut self.owners);
        self.sock.batch(requests).map_err(|e| {
            let (index, interface) = owners[e.index.min(owners.len() - 1)].clone();
            ApplyError { index, error: on_interface(&interface, e.error) }
        })
    }
}

impl LinkTable {
    /// The links a MAC address identifies, as netcf's `ncf_lookup_by_mac_string` finds them:
    /// those whose burnt-in address (`IFLA_PERM_ADDRESS`) is `mac`, or, when none is, the
    /// devices without a kind (NICs) or veths whose current address is. Bridges, bonds and
    /// VLANs are never matched by current address: they carry a port's or parent's address.
    /// More than one link means the address is ambiguous; the caller says so.
    pub fn links_with_mac(&self, mac: &[u8]) -> Vec<&Link> {
        let permanent: Vec<&Link> =
            self.links.iter().filter(|l| l.permanent_address.as_deref() == Some(mac)).collect();
        if !permanent.is_empty() {
            return permanent;
        }
        self.links
            .iter()
            .filter(|l| matches!(l.kind.as_deref(), None | Some("veth")))
            .filter(|l| l.address.as_deref() == Some(mac))
            .collect()
    }
}

impl Batch<'_> {
    /// Drop the link table, so the next name lookup flushes and re-dumps. Needed after deleting
    /// a link whose name is created again in the same call (a VLAN whose tag changed): the old
    /// table would resolve the new link's name to the deleted link's index.
    pub fn forget_links(&mut self) {
        self.table = None;
    }
}

/// What a kind plugin's change does: one of the shared [`LinkOp`]s, or the plugin's own
/// operation `T`. Tagged by variant (`{"link": …}` / `{"kind": …}`), so the two never mix up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KindOp<T> {
    Link(LinkOp),
    Kind(T),
}

impl<T: Serialize> KindOp<T> {
    /// Package as a [`Change`] for `interface` in `phase`; [`apply_kind_changes`] reads it back.
    pub fn change(&self, interface: &str, phase: Phase, description: impl Into<String>) -> Change {
        Change::new(interface, phase, description, self)
    }
}

/// [`apply_kind_ops`] on a routing socket of its own, opened only when there is something to
/// apply: what a kind plugin's `apply` is.
pub fn apply_kind_changes<T, F>(changes: &[Change], build: F) -> Result<(), ApplyError>
where
    T: serde::de::DeserializeOwned,
    F: FnMut(&T, &mut Batch<'_>) -> Result<Vec<Request>, ApplyError>,
{
    if changes.is_empty() {
        return Ok(());
    }
    let mut sock = Socket::route_reused()?;
    apply_kind_ops(&mut sock, changes, build)
}

/// Apply changes whose payloads are [`KindOp`]s, in order and in bursts: link ops as the SDK
/// builds them, the plugin's own through `build`, which returns the requests of one operation
/// (resolving names through the batch). Errors name the interface acted on (the port, for
/// enslave and release) and carry the index of their change.
fn apply_kind_ops<T, F>(sock: &mut Socket, changes: &[Change], mut build: F) -> Result<(), ApplyError>
where
    T: serde::de::DeserializeOwned,
    F: FnMut(&T, &mut Batch<'_>) -> Result<Vec<Request>, ApplyError>,
{
    let mut batch = Batch::new(sock);
    let mut deleted = false;
    for (i, c) in changes.iter().enumerate() {
        batch.begin(i, &c.interface);
        let op: KindOp<T> = c.op().map_err(|error| batch.fail(error))?;
        let is_delete = matches!(op, KindOp::Link(LinkOp::Delete { .. }));
        // Deletes resolve names against one table; what follows them must not see their indexes.
        if deleted && !is_delete {
            batch.forget_links();
            deleted = false;
        }
        match &op {
            KindOp::Link(link) => {
                batch.begin(i, link.name());
                let req = link.request(&mut batch)?;
                batch.push(req);
            }
            KindOp::Kind(own) => {
                for req in build(own, &mut batch)? {
                    batch.push(req);
                }
            }
        }
        deleted |= is_delete;
    }
    batch.flush()
}

impl LinkTable {
    /// The links of `kind` (`IFLA_INFO_KIND`), limited to `names` when given: what a kind
    /// plugin's `read` reports, from the one dump it took.
    pub fn links_of_kind<'a>(&'a self, kind: &'a str, names: Option<&[String]>) -> Vec<&'a Link> {
        let wanted: Option<std::collections::HashSet<&str>> =
            names.map(|n| n.iter().map(String::as_str).collect());
        self.links
            .iter()
            .filter(|l| l.kind.as_deref() == Some(kind))
            .filter(|l| wanted.as_ref().is_none_or(|w| w.contains(l.name.as_str())))
            .collect()
    }
}

impl Batch<'_> {
    /// Name a different interface in the errors of the current change's requests from here on,
    /// e.g. the port a master's change enslaves, so the kernel's complaint names the device it
    /// is about.
    pub fn acting_on(&mut self, interface: &str) {
        self.current.1 = Rc::from(interface);
    }
}
