//! What a lease makes netplug configure, under each setting.

use std::net::IpAddr;

use netplug_plugin_sdk::Element;

use super::*;

fn lease() -> LeaseV4 {
    LeaseV4 {
        address: "192.0.2.50".parse().unwrap(),
        prefix_len: 24,
        server_id: "192.0.2.1".parse().unwrap(),
        lease_time: 120,
        t1: 60,
        t2: 105,
        routers: vec!["192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap()],
        dns: vec!["192.0.2.53".parse().unwrap()],
        domain_name: Some("test.example".into()),
        hostname: Some("leased".into()),
        nis_domain: Some("nis.example".into()),
        nis_servers: vec!["192.0.2.7".parse().unwrap()],
        ..Default::default()
    }
}

fn settings(attrs: &[(&str, &str)]) -> Settings {
    let el = attrs.iter().fold(Element::new("dhcp"), |el, (k, v)| el.with_attr(*k, *v));
    Settings::of(&el).unwrap()
}

fn routes(a: &Applied) -> Vec<String> {
    a.routes
        .iter()
        .map(|r| {
            format!("{}/{} via {:?} metric {}", r.dst, r.dst_len, r.gateway.map(|g| g.to_string()), r.metric)
        })
        .collect()
}

#[test]
fn defaults_take_the_address_and_the_first_router() {
    let a = intent_v4(&lease(), &settings(&[]), "host", "(none)");
    assert_eq!(a.address, Some(("192.0.2.50".parse::<IpAddr>().unwrap(), 24)));
    assert_eq!(routes(&a), ["0.0.0.0/0 via Some(\"192.0.2.1\") metric 1024"]);
    assert!(a.dns.is_empty() && a.search.is_empty(), "peerdns defaults to no");
    assert_eq!(a.hostname, None, "sethostname defaults to no");
    assert_eq!(a.nis_servers, ["192.0.2.7".parse::<IpAddr>().unwrap()], "nis defaults to yes");
    assert_eq!(a.nisdomain, Some(Replaced { set: "nis.example".into(), previous: "(none)".into() }));
}

#[test]
fn classless_routes_replace_the_router_and_keep_setdefaultroute() {
    let mut l = lease();
    l.classless_routes = vec![
        ("0.0.0.0".parse().unwrap(), 0, "192.0.2.1".parse().unwrap()),
        ("198.51.100.0".parse().unwrap(), 24, "192.0.2.3".parse().unwrap()),
        ("203.0.113.0".parse().unwrap(), 25, "0.0.0.0".parse().unwrap()),
    ];
    let all = intent_v4(&l, &settings(&[]), "h", "d");
    assert_eq!(
        routes(&all),
        [
            "0.0.0.0/0 via Some(\"192.0.2.1\") metric 1024",
            "198.51.100.0/24 via Some(\"192.0.2.3\") metric 1024",
            "203.0.113.0/25 via None metric 1024",
        ]
    );
    let no_default = intent_v4(&l, &settings(&[("setdefaultroute", "no")]), "h", "d");
    assert_eq!(routes(&no_default), &routes(&all)[1..]);
    assert!(intent_v4(&l, &settings(&[("setrouting", "no")]), "h", "d").routes.is_empty());
    assert!(intent_v4(&lease(), &settings(&[("setdefaultroute", "no")]), "h", "d").routes.is_empty());
}

#[test]
fn peerdns_sethostname_and_nis_switches() {
    let on = settings(&[("peerdns", "yes"), ("sethostname", "yes"), ("nis", "no")]);
    let a = intent_v4(&lease(), &on, "before", "d");
    assert_eq!(a.dns, ["192.0.2.53".parse::<IpAddr>().unwrap()]);
    assert_eq!(a.search, ["test.example"], "the domain name stands in for a missing search list");
    assert_eq!(a.hostname, Some(Replaced { set: "leased".into(), previous: "before".into() }));
    assert!(a.nis_servers.is_empty() && a.nisdomain.is_none(), "nis=no turns off setnisdomain too");
    let same = intent_v4(&lease(), &on, "leased", "d");
    assert_eq!(same.hostname, None, "nothing to replace when the name is already the leased one");
}

#[test]
fn dhcp6_address_is_a_host_address() {
    let l = LeaseV6 {
        address: "2001:db8::15".parse().unwrap(),
        dns: vec!["2001:db8::53".parse().unwrap()],
        search: vec!["test.example".into()],
        ..Default::default()
    };
    let s = Settings::of(&Element::new("dhcp6").with_attr("peerdns", "yes")).unwrap();
    let a = intent_v6(&l, &s);
    assert_eq!(a.address, Some(("2001:db8::15".parse::<IpAddr>().unwrap(), 128)));
    assert_eq!(a.dns, ["2001:db8::53".parse::<IpAddr>().unwrap()]);
    let quiet = intent_v6(&l, &Settings::of(&Element::new("dhcp6")).unwrap());
    assert!(quiet.dns.is_empty() && quiet.routes.is_empty());
}
