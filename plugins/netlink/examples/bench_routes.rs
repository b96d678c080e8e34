//! The raw-netlink floor of the bench's `routes` case: in the named network namespace, the
//! same end state as `netplug apply` and `ip -batch` reach — bridge `rt0` up with
//! 192.168.0.1/24, then N routes 10.a.b.0/24 via 192.168.0.2 with netplug's protocol — from
//! one process with one socket, the routes sent in batches and their ACKs read as the kernel
//! sends them (`Socket::batch`).
//!
//! `cargo run --release -p netplug-netlink --example bench_routes -- NETNS N`. `cargo xtask
//! bench` times it as a whole process, like the two tools, in a fresh namespace.

use std::fs::File;
use std::net::{IpAddr, Ipv4Addr};
use std::os::fd::AsRawFd;

use netplug_netlink::{AddrMessage, LinkMessage, RouteMessage, Socket};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [netns, n] = args.as_slice() else {
        eprintln!("usage: bench_routes NETNS N");
        std::process::exit(2);
    };
    let n: u32 = n.parse().expect("N is a number");
    let ns = File::open(format!("/run/netns/{netns}")).expect("the namespace exists (ip netns add)");
    // SAFETY: setns(2) on a valid namespace descriptor; it only moves this (single) thread.
    if unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
        panic!("setns {netns}: {}", std::io::Error::last_os_error());
    }
    let mut s = Socket::route().expect("rtnetlink socket");
    s.request(LinkMessage::create("rt0", "bridge").up().build()).expect("create rt0");
    let index = s.dump_links().expect("link dump").into_iter().find(|l| l.name == "rt0").expect("rt0").index;
    s.request(AddrMessage::add(index, IpAddr::V4(Ipv4Addr::new(192, 168, 0, 1)), 24).build())
        .expect("address");
    let gateway = IpAddr::V4(Ipv4Addr::new(192, 168, 0, 2));
    let routes = (0..n)
        .map(|i| {
            let dst = IpAddr::V4(Ipv4Addr::new(10, (i >> 8) as u8, i as u8, 0));
            RouteMessage::add(dst, 24).gateway(gateway).oif(index).build()
        })
        .collect();
    s.batch(routes).expect("routes");
}
