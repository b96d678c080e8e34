//! Times creating 1,000 bridges with one address each and setting them up, in a fresh namespace.
//!
//! `cargo run --release -p netplug-netlink --example bench_bridges [N] [--combined]`. Compare
//! with `unshare -n ip -batch FILE` doing the same three steps. Each run waits until the
//! previous namespaces' teardown (which holds the RTNL lock) has finished, or it would time
//! that instead.

use std::net::{IpAddr, Ipv4Addr};
use std::thread::sleep;
use std::time::{Duration, Instant};

use netplug_netlink::testing::in_new_netns;
use netplug_netlink::{AddrMessage, LinkMessage, Socket};

/// Waits until creating ten bridges in a fresh namespace is quick again.
fn settle() {
    loop {
        let took = in_new_netns(|| {
            let mut s = Socket::route().unwrap();
            let t = Instant::now();
            let reqs = (0..10).map(|i| LinkMessage::create(&format!("s{i}"), "bridge").build()).collect();
            s.batch(reqs).unwrap();
            t.elapsed()
        });
        if took < Duration::from_millis(20) {
            return;
        }
        sleep(Duration::from_millis(500));
    }
}

fn run(n: u32, combined: bool) -> Duration {
    in_new_netns(move || {
        let mut s = Socket::route().unwrap();
        let t = Instant::now();
        let reqs = (0..n)
            .map(|i| {
                let m = LinkMessage::create(&format!("br{i}"), "bridge");
                if combined { m.up() } else { m }.build()
            })
            .collect();
        s.batch(reqs).unwrap();
        let created = t.elapsed();
        let links: Vec<(u32, u32)> = s
            .dump_links()
            .unwrap()
            .into_iter()
            .filter_map(|l| Some((l.index, l.name.strip_prefix("br")?.parse().ok()?)))
            .collect();
        let addrs = links
            .iter()
            .map(|&(index, i)| {
                AddrMessage::add(index, IpAddr::V4(Ipv4Addr::from(0x0a00_0001 + (i << 8))), 24).build()
            })
            .collect();
        s.batch(addrs).unwrap();
        let addressed = t.elapsed();
        if !combined {
            s.batch(links.iter().map(|&(index, _)| LinkMessage::change(index).up().build()).collect())
                .unwrap();
        }
        if std::env::var_os("BENCH_PHASES").is_some() {
            eprintln!("  created {created:?}, addressed {addressed:?}, up {:?}", t.elapsed());
        }
        t.elapsed()
    })
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n = args.iter().find_map(|a| a.parse().ok()).unwrap_or(1000);
    let combined = args.iter().any(|a| a == "--combined");
    for _ in 0..3 {
        settle();
        let took = run(n, combined);
        println!(
            "{n} bridges + addresses + up ({}): {took:?}",
            if combined { "up on create" } else { "3 batches" }
        );
    }
}
