//! Gateway and default-route changes are make-before-break (issue #14, reproduction 9): while
//! netplug changes a gateway, or hands it over from `<static gateway>` to a `<route>` default,
//! the namespace has a default route of each family at every moment. The kernel's own route
//! events (`ip monitor route`) are replayed one by one, so no moment between two changes, or
//! inside a plugin's burst, goes unseen.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use netplug_tests::{document, Netns};

/// The namespace's default routes of both families, as `ip route` prints them.
fn defaults(ns: &Netns) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for family in ["-4", "-6"] {
        for line in ns.ip(&[family, "route", "show", "default"]).lines() {
            out.insert(format!("{family} {}", route_key(line)));
        }
    }
    out
}

/// A default route line reduced to what names it (dropping what `ip monitor` and `ip route`
/// print differently, such as `pref` or trailing spaces), in one order.
fn route_key(line: &str) -> String {
    let words: Vec<&str> = line.split_whitespace().collect();
    let mut key = Vec::new();
    for field in ["via", "dev", "proto", "metric"] {
        if let Some(i) = words.iter().position(|w| *w == field) {
            key.push(format!("{field} {}", words.get(i + 1).unwrap_or(&"")));
        }
    }
    key.join(" ")
}

/// The route events of `log` between the markers, one per route: a multipath event (an IPv6
/// route with siblings, a header line then one `nexthop` line each) becomes one per next hop.
fn default_route_events(log: &str) -> Vec<(bool, String)> {
    let lines: Vec<&str> = log
        .lines()
        .skip_while(|l| !l.contains("203.0.113.201"))
        .skip(1)
        .take_while(|l| !l.contains("203.0.113.202"))
        .collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let head = lines[i];
        let mut hops = Vec::new();
        i += 1;
        while i < lines.len() && lines[i].starts_with(char::is_whitespace) {
            hops.push(lines[i]);
            i += 1;
        }
        let (deleted, route) = match head.strip_prefix("Deleted ") {
            Some(r) => (true, r),
            None => (false, head),
        };
        if !route.starts_with("default ") {
            continue;
        }
        if hops.is_empty() {
            out.push((deleted, route_key(route)));
        }
        for hop in hops {
            out.push((deleted, route_key(&format!("{route} {hop}"))));
        }
    }
    out
}

/// `-6` for a route key whose gateway is IPv6, else `-4`.
fn family_of(key: &str) -> &'static str {
    if key.split_whitespace().nth(1).is_some_and(|gw| gw.contains(':')) {
        "-6"
    } else {
        "-4"
    }
}

/// Apply `doc` while `ip monitor route` records every route event, then replay the events
/// from the table as it was and assert that each family that had a default route keeps one
/// after every event. Returns the events seen.
fn apply_watched(ns: &Netns, doc: &Path) -> Vec<String> {
    let log = ns.dir.path().join("monitor.log");
    let out = std::fs::File::create(&log).unwrap();
    // Line-buffered: ip's stdio would otherwise hold the events until it exits.
    let mut monitor = Command::new("stdbuf")
        .args(["-oL", "ip", "-n", &ns.name, "monitor", "route"])
        .stdout(out)
        .stderr(Stdio::null())
        .spawn()
        .expect("run ip monitor");
    // Markers: an event before the apply proves the monitor listens; one after it, that every
    // event of the apply has been written.
    // The monitor subscribes a moment after it starts: the first marker is made again until
    // it is seen.
    let marker = |addr: &str| {
        let start = Instant::now();
        loop {
            ns.ip(&["route", "replace", "unreachable", addr]);
            for _ in 0..10 {
                if std::fs::read_to_string(&log).unwrap_or_default().contains(addr) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            assert!(start.elapsed() < Duration::from_secs(20), "ip monitor never reported {addr}");
            ns.ip(&["route", "del", "unreachable", addr]);
        }
    };
    marker("203.0.113.201");
    let before = defaults(ns);
    let run = ns.netplug(&["apply", doc.to_str().unwrap()]);
    marker("203.0.113.202");
    let _ = monitor.kill();
    let _ = monitor.wait();
    run.ok();
    for addr in ["203.0.113.201", "203.0.113.202"] {
        ns.ip(&["route", "del", "unreachable", addr]);
    }

    let events = default_route_events(&std::fs::read_to_string(&log).unwrap());
    let mut live: BTreeSet<String> = before.clone();
    let families: BTreeSet<&str> = before.iter().map(|k| &k[..2]).collect();
    let show = |events: &[(bool, String)]| {
        events.iter().map(|(d, k)| format!("{}{k}", if *d { "deleted " } else { "" })).collect::<Vec<_>>()
    };
    for (n, (deleted, key)) in events.iter().enumerate() {
        let entry = format!("{} {key}", family_of(key));
        if *deleted {
            live.remove(&entry);
        } else {
            live.insert(entry);
        }
        for family in &families {
            assert!(
                live.iter().any(|k| k.starts_with(family)),
                "no {family} default route after event {} of {}; all events: {:#?}\nbefore: {before:?}",
                n + 1,
                events.len(),
                show(&events)
            );
        }
    }
    show(&events)
}

const VETH: (&str, &str) = ("gw0", "gw1");

fn setup(tag: &str) -> Netns {
    let ns = Netns::new(tag);
    ns.ip(&["link", "add", VETH.0, "type", "veth", "peer", "name", VETH.1]);
    ns.ip(&["link", "set", VETH.1, "up"]);
    ns
}

fn doc(ns: &Netns, file: &str, body: &str) -> std::path::PathBuf {
    document(ns.dir.path(), file, &format!(r#"<interface device="{}">{body}</interface>"#, VETH.0))
}

#[test]
fn a_gateway_change_keeps_a_default_route_at_every_moment() {
    let ns = setup("gwchange");
    let first = doc(
        &ns,
        "first.xml",
        r#"<static ipaddr="10.9.0.2/24" gateway="10.9.0.1"/><static ip6addr="2001:db8:9::2/64" gateway="2001:db8:9::1"/>"#,
    );
    ns.netplug(&["apply", first.to_str().unwrap()]).ok();
    assert_eq!(defaults(&ns).len(), 2, "{:?}", defaults(&ns));

    let second = doc(
        &ns,
        "second.xml",
        r#"<static ipaddr="10.9.0.2/24" gateway="10.9.0.254"/><static ip6addr="2001:db8:9::2/64" gateway="2001:db8:9::fe"/>"#,
    );
    let events = apply_watched(&ns, &second);
    assert!(events.len() >= 4, "both gateways were replaced: {events:?}");
    let now = ns.ip(&["route", "show", "default"]) + &ns.ip(&["-6", "route", "show", "default"]);
    assert!(now.contains("via 10.9.0.254") && now.contains("via 2001:db8:9::fe"), "{now}");
    assert!(!now.contains("via 10.9.0.1 ") && !now.contains("via 2001:db8:9::1 "), "{now}");
    let again = ns.netplug(&["apply", second.to_str().unwrap()]).ok();
    assert!(again.contains("already matches"), "{again}");
}

#[test]
fn a_static_gateway_becomes_a_route_default_without_a_gap() {
    let ns = setup("gwroute");
    let first = doc(
        &ns,
        "first.xml",
        r#"<static ipaddr="10.9.0.2/24" gateway="10.9.0.1"/><static ip6addr="2001:db8:9::2/64" gateway="2001:db8:9::1"/>"#,
    );
    ns.netplug(&["apply", first.to_str().unwrap()]).ok();

    // The same key (default, main table, the family's default metric): taken over in place.
    let same_key = doc(
        &ns,
        "same_key.xml",
        r#"<static ipaddr="10.9.0.2/24"/><static ip6addr="2001:db8:9::2/64"/>
           <route gateway="10.9.0.1"/><route gateway="2001:db8:9::fe"/>"#,
    );
    apply_watched(&ns, &same_key);
    let now = ns.ip(&["route", "show", "default"]) + &ns.ip(&["-6", "route", "show", "default"]);
    assert!(now.contains("via 10.9.0.1 ") && now.contains("via 2001:db8:9::fe "), "{now}");
    assert!(!now.contains("proto 177"), "the static gateways are gone: {now}");
    let again = ns.netplug(&["apply", same_key.to_str().unwrap()]).ok();
    assert!(again.contains("already matches"), "{again}");

    // Back to static gateways, then to <route> defaults of another metric: added beside.
    ns.netplug(&["apply", first.to_str().unwrap()]).ok();
    let other_metric = doc(
        &ns,
        "other_metric.xml",
        r#"<static ipaddr="10.9.0.2/24"/><static ip6addr="2001:db8:9::2/64"/>
           <route gateway="10.9.0.254" metric="50"/><route gateway="2001:db8:9::fe" metric="50"/>"#,
    );
    apply_watched(&ns, &other_metric);
    let now = ns.ip(&["route", "show", "default"]) + &ns.ip(&["-6", "route", "show", "default"]);
    assert!(now.contains("via 10.9.0.254 ") && now.contains("via 2001:db8:9::fe "), "{now}");
    assert!(!now.contains("proto 177"), "{now}");
}

#[test]
fn a_route_default_becomes_a_static_gateway_without_a_gap() {
    let ns = setup("routegw");
    let routes = doc(
        &ns,
        "routes.xml",
        r#"<static ipaddr="10.9.0.2/24"/><static ip6addr="2001:db8:9::2/64"/>
           <route gateway="10.9.0.1"/><route gateway="2001:db8:9::1"/>"#,
    );
    ns.netplug(&["apply", routes.to_str().unwrap()]).ok();
    assert_eq!(defaults(&ns).len(), 2, "{:?}", defaults(&ns));

    // The same key (default, main table, the family's default metric) and the same next hop:
    // the gateway takes the route over in place.
    let same_hop = doc(
        &ns,
        "same_hop.xml",
        r#"<static ipaddr="10.9.0.2/24" gateway="10.9.0.1"/><static ip6addr="2001:db8:9::2/64" gateway="2001:db8:9::1"/>"#,
    );
    apply_watched(&ns, &same_hop);
    let now = ns.ip(&["route", "show", "default"]) + &ns.ip(&["-6", "route", "show", "default"]);
    assert!(now.contains("via 10.9.0.1 ") && now.contains("via 2001:db8:9::1 "), "{now}");
    assert!(!now.contains("proto 176"), "the <route> defaults are gone: {now}");
    assert!(ns.netplug(&["apply", same_hop.to_str().unwrap()]).ok().contains("already matches"));
    ns.netplug(&["apply", routes.to_str().unwrap()]).ok();

    // The same key, another next hop: taken over in place too; the route's removal, last,
    // finds nothing left of it.
    let gateways = doc(
        &ns,
        "gateways.xml",
        r#"<static ipaddr="10.9.0.2/24" gateway="10.9.0.254"/><static ip6addr="2001:db8:9::2/64" gateway="2001:db8:9::fe"/>"#,
    );
    let events = apply_watched(&ns, &gateways);
    assert!(events.len() >= 2, "both defaults were replaced: {events:?}");
    let now = ns.ip(&["route", "show", "default"]) + &ns.ip(&["-6", "route", "show", "default"]);
    assert!(now.contains("via 10.9.0.254 ") && now.contains("via 2001:db8:9::fe "), "{now}");
    assert!(!now.contains("proto 176"), "the <route> defaults are gone: {now}");
    let again = ns.netplug(&["apply", gateways.to_str().unwrap()]).ok();
    assert!(again.contains("already matches"), "{again}");

    // Back to <route> defaults of another metric, then to the gateways: the key differs.
    let other_metric = doc(
        &ns,
        "other_metric.xml",
        r#"<static ipaddr="10.9.0.2/24"/><static ip6addr="2001:db8:9::2/64"/>
           <route gateway="10.9.0.1" metric="50"/><route gateway="2001:db8:9::1" metric="50"/>"#,
    );
    apply_watched(&ns, &other_metric);
    apply_watched(&ns, &gateways);
    let now = ns.ip(&["route", "show", "default"]) + &ns.ip(&["-6", "route", "show", "default"]);
    assert!(now.contains("via 10.9.0.254 ") && now.contains("via 2001:db8:9::fe "), "{now}");
    assert!(!now.contains("proto 176"), "{now}");
}

#[test]
fn a_route_default_changes_metric_and_interface_without_a_gap() {
    let ns = setup("routemove");
    ns.ip(&["link", "add", "gw2", "type", "veth", "peer", "name", "gw3"]);
    ns.ip(&["link", "set", "gw3", "up"]);
    let two = |file: &str, first: &str, second: &str| {
        document(
            ns.dir.path(),
            file,
            &format!(
                r#"<interfaces><interface device="gw0"><static ipaddr="10.9.0.2/24"/><static ip6addr="2001:db8:9::2/64"/>{first}</interface>
                   <interface device="gw2"><static ipaddr="10.8.0.2/24"/><static ip6addr="2001:db8:8::2/64"/>{second}</interface></interfaces>"#
            ),
        )
    };
    let start = two("start.xml", r#"<route gateway="10.9.0.1"/><route gateway="2001:db8:9::1"/>"#, "");
    ns.netplug(&["apply", start.to_str().unwrap()]).ok();
    assert_eq!(defaults(&ns).len(), 2, "{:?}", defaults(&ns));

    // Another metric on the same interface.
    let metric = two(
        "metric.xml",
        r#"<route gateway="10.9.0.1" metric="20"/><route gateway="2001:db8:9::1" metric="20"/>"#,
        "",
    );
    apply_watched(&ns, &metric);
    let now = ns.ip(&["route", "show", "default"]) + &ns.ip(&["-6", "route", "show", "default"]);
    assert!(now.contains("metric 20") && !now.contains("metric 1024"), "{now}");

    // The same key on the other interface: added beside the old one, which goes last.
    let moved = two(
        "moved.xml",
        "",
        r#"<route gateway="10.8.0.1" metric="20"/><route gateway="2001:db8:8::1" metric="20"/>"#,
    );
    let events = apply_watched(&ns, &moved);
    assert!(events.len() >= 4, "both defaults moved: {events:?}");
    let now = ns.ip(&["route", "show", "default"]) + &ns.ip(&["-6", "route", "show", "default"]);
    assert!(now.contains("via 10.8.0.1 dev gw2") && now.contains("via 2001:db8:8::1 dev gw2"), "{now}");
    assert!(!now.contains("dev gw0"), "{now}");
    let again = ns.netplug(&["apply", moved.to_str().unwrap()]).ok();
    assert!(again.contains("already matches"), "{again}");
}

#[test]
fn addresses_and_gateways_moving_to_a_bridge_keep_a_default_route() {
    // `netplug bridge eth0 br0`, as virsh iface-bridge does: the veth gw0 stands in for eth0.
    let ns = setup("gwbridge");
    let statics = r#"<static ipaddr="10.9.0.2/24" gateway="10.9.0.1"/><static ip6addr="2001:db8:9::2/64" gateway="2001:db8:9::1"/>"#;
    let first = doc(&ns, "first.xml", statics);
    ns.netplug(&["apply", first.to_str().unwrap()]).ok();
    assert_eq!(defaults(&ns).len(), 2, "{:?}", defaults(&ns));

    let bridged = document(
        ns.dir.path(),
        "bridged.xml",
        &format!(
            r#"<interfaces><interface device="gw0"/>
                 <bridge name="br0" stp="off" forwarddelay="0"><member device="gw0"/>{statics}</bridge></interfaces>"#
        ),
    );
    let events = apply_watched(&ns, &bridged);
    assert!(events.len() >= 4, "both defaults moved: {events:?}");
    let now = ns.ip(&["route", "show", "default"]) + &ns.ip(&["-6", "route", "show", "default"]);
    assert!(now.contains("via 10.9.0.1 dev br0") && now.contains("via 2001:db8:9::1 dev br0"), "{now}");
    assert!(!now.contains("dev gw0"), "{now}");
    let addrs = ns.ip(&["addr", "show", "dev", "gw0"]);
    assert!(!addrs.contains("10.9.0.2") && !addrs.contains("2001:db8:9::2"), "{addrs}");
    let again = ns.netplug(&["apply", bridged.to_str().unwrap()]).ok();
    assert!(again.contains("already matches"), "{again}");

    // And back, the bridge going: its removals, planned last, find it gone, which is done. Not
    // gapless: the kernel drops the bridge's routes with it (phase Delete), before gw0, a port
    // until then, gets its addresses and gateways.
    let unbridged = document(
        ns.dir.path(),
        "unbridged.xml",
        &format!(
            r#"<interfaces><interface device="gw0">{statics}</interface><bridge name="br0" state="absent"/></interfaces>"#
        ),
    );
    ns.netplug(&["apply", unbridged.to_str().unwrap()]).ok();
    let now = ns.ip(&["route", "show", "default"]) + &ns.ip(&["-6", "route", "show", "default"]);
    assert!(now.contains("via 10.9.0.1 dev gw0") && now.contains("via 2001:db8:9::1 dev gw0"), "{now}");
    assert!(!ns.ip(&["link", "show"]).contains("br0"), "the bridge is gone");
}
