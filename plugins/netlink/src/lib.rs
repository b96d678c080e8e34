//! This crate provides netplug's raw netlink layer: everything a plugin sends to or reads
//! from the kernel about interfaces, addresses, routes and ethtool settings, so that plugins
//! never run `ip` or `ethtool` and core never builds a netlink message.
//!
//! The main types are [`Socket`] (an rtnetlink or generic netlink socket with
//! [`request`](Socket::request), [`batch`](Socket::batch) and the dumps
//! [`dump_links`](Socket::dump_links), [`dump_addrs`](Socket::dump_addrs) and
//! [`dump_routes`](Socket::dump_routes)), the builders [`LinkMessage`], [`AddrMessage`] and
//! [`RouteMessage`] that produce [`Request`]s, [`Ethtool`] for features, link modes, rings
//! and channels, [`WireGuard`] for WireGuard devices and their peers, and [`Error`], which keeps
//! the kernel's extended-ack text.
//!
//! One design decision: neli provides the socket and frames outgoing messages, but attribute
//! payloads are built and parsed by this crate's small [`AttrBuilder`]/[`Attrs`], and replies
//! are read through a borrowed [`Message`] view. neli's typed attribute builders cannot
//! express the kind data plugins pass through (`IFLA_INFO_DATA` of any kind), its reply
//! parser loses the extended-ack text of capped errors, and it allocates per attribute,
//! which a 10,000-route dump cannot afford.
//!
//! Sockets work in the network namespace of the thread that opens them; tests use
//! [`testing::in_new_netns`] so they never touch the machine's interfaces.
//!
//! ```no_run
//! use netplug_netlink::{AddrMessage, LinkMessage, Socket};
//!
//! let mut sock = Socket::route()?;
//! sock.request(LinkMessage::create("br0", "bridge").up().build())?;
//! let br0 = sock.link_by_name("br0")?.expect("just created");
//! sock.request(AddrMessage::add(br0.index, "192.0.2.1".parse().unwrap(), 24).build())
//!     .map_err(|e| format!("br0: {e}"))?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod addr;
pub mod attr;
pub mod consts;
pub mod error;
pub mod ethtool;
pub mod link;
pub mod message;
pub mod reuse;
pub mod route;
pub mod socket;
pub mod testing;
pub mod wireguard;

pub use addr::{AddrMessage, Address, Family};
pub use attr::{Attr, AttrBuilder, Attrs};
pub use error::{BatchError, Error};
pub use ethtool::{Channels, Duplex, Ethtool, Feature, Features, LinkModes, LinkModesChange, Rings};
pub use link::{delete_link, format_mac, parse_links, parse_mac, Link, LinkMessage, OperState};
pub use message::{Message, Op, Request};
pub use reuse::Reused;
pub use route::{NextHop, Route, RouteMessage, RouteType};
pub use socket::{Protocol, Socket};
pub use wireguard::WireGuard;

/// Re-exported so plugins use the same neli and kernel constants as this crate.
pub use linux_raw_sys;
pub use neli;
