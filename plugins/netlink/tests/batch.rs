//! Batches against the real kernel: speed, and exactly which requests ran after a failure.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Instant;

use netplug_netlink::testing::in_new_netns;
use netplug_netlink::{AddrMessage, Family, LinkMessage, Request, Socket};

fn bridges(names: &[String]) -> Vec<Request> {
    names.iter().map(|n| LinkMessage::create(n, "bridge").build()).collect()
}

fn names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("br{i}")).collect()
}

fn existing(s: &mut Socket) -> Vec<String> {
    s.dump_links().unwrap().into_iter().map(|l| l.name).filter(|n| n != "lo").collect()
}

#[test]
fn thousand_bridges_with_an_address_each() {
    in_new_netns(|| {
        let mut s = Socket::route().unwrap();
        let t = Instant::now();
        let reqs = (0..1000).map(|i| LinkMessage::create(&format!("br{i}"), "bridge").up().build()).collect();
        s.batch(reqs).unwrap();
        let links = s.dump_links().unwrap();
        let addrs = links
            .iter()
            .filter_map(|l| Some((l.index, l.name.strip_prefix("br")?.parse::<u32>().ok()?)))
            .map(|(index, i)| {
                let ip = IpAddr::V4(Ipv4Addr::from(0x0a00_0001 + (i << 8)));
                AddrMessage::add(index, ip, 24).build()
            })
            .collect::<Vec<_>>();
        assert_eq!(addrs.len(), 1000);
        s.batch(addrs).unwrap();
        let took = t.elapsed();
        eprintln!("1,000 bridges (up) + 1,000 addresses: {took:?}");
        let v4 = s.dump_addrs(Family::V4).unwrap();
        assert_eq!(v4.iter().filter(|a| a.index != 1).count(), 1000);
        assert!(s.dump_links().unwrap().iter().filter(|l| l.name.starts_with("br")).all(|l| l.is_up()));
    });
}

#[test]
fn failure_mid_chunk_reports_index_and_what_ran() {
    in_new_netns(|| {
        let mut s = Socket::route().unwrap();
        let mut n = names(10);
        n[5] = "br2".to_string(); // exists by then: EEXIST
        let err = s.batch(bridges(&n)).unwrap_err();
        assert_eq!(err.index, 5);
        assert!(err.error.is_exists(), "{}", err.error);
        assert_eq!(err.error.op, "create bridge");
        // One chunk: the kernel ran all ten, and the later ones took effect.
        assert_eq!(err.executed, 10);
        assert!(err.later_failures.is_empty());
        assert_eq!(err.succeeded().collect::<Vec<_>>(), vec![0, 1, 2, 3, 4, 6, 7, 8, 9]);
        let mut have = existing(&mut s);
        have.sort();
        let mut want: Vec<String> = [0, 1, 2, 3, 4, 6, 7, 8, 9].iter().map(|i| format!("br{i}")).collect();
        want.sort();
        assert_eq!(have, want);
    });
}

#[test]
fn chunk_of_one_stops_right_at_the_failure() {
    in_new_netns(|| {
        let mut s = Socket::route().unwrap();
        s.set_chunk_size(1);
        let mut n = names(10);
        n[5] = "br2".to_string();
        let err = s.batch(bridges(&n)).unwrap_err();
        assert_eq!((err.index, err.executed), (5, 6));
        assert_eq!(existing(&mut s).len(), 5, "nothing after the failure ran");
    });
}

#[test]
fn later_chunks_are_not_sent() {
    in_new_netns(|| {
        let mut s = Socket::route().unwrap();
        let mut n = names(200);
        n[100] = "br7".to_string();
        n[110] = "br8".to_string();
        let err = s.batch(bridges(&n)).unwrap_err();
        // Chunks of 64: [64, 128) holds the failures; 128.. never went out.
        assert_eq!((err.index, err.executed), (100, 128));
        assert_eq!(err.later_failures.len(), 1);
        assert_eq!(err.later_failures[0].0, 110);
        assert_eq!(existing(&mut s).len(), 128 - 2);
        assert_eq!(err.succeeded().count(), 126);
        assert!(s.link_by_name("br128").unwrap().is_none());
        // The socket stays usable and in step after the failure.
        s.request(LinkMessage::create("after", "bridge").build()).unwrap();
    });
}
