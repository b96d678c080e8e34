//! `<dhcp6>` against a real DHCPv6 server and router advertisements (dnsmasq) in a namespace of
//! its own: a stateful IA_NA lease with name servers, released on removal; and `autoconf`
//! through the kernel's own SLAAC sysctls, restored on removal.

mod lab;

use std::net::IpAddr;
use std::time::Duration;

use lab::{client_addrs, item, read_file, scope, wait_for, without_lease, Lab, CLIENT_IF};
use netplug_plugin_dhcp::host;
use netplug_plugin_sdk::netlink::Family;
use netplug_plugin_sdk::{Element, Phase, Plugin};

#[test]
fn lease_with_name_servers_then_release() {
    let mut lab = Lab::new();
    lab.start_dnsmasq(
        "dhcp-range=2001:db8::10,2001:db8::1f,64,2m\n\
         dhcp-option=option6:dns-server,[2001:db8::53]\n\
         dhcp-option=option6:domain-search,test.example\n",
    );
    let plugin = lab.plugin();
    let paths = lab.paths();
    let want = [item(Element::new("dhcp6").with_attr("peerdns", "yes").with_attr("timeout", "20"))];
    let log = lab.dir.path().join("dnsmasq.log");
    // The client's link-local address is still in duplicate address detection here: the
    // plugin waits for it.
    let leased = lab.in_client(false, move || {
        let changes = plugin.plan(&want, &plugin.read(None).unwrap(), &scope()).unwrap();
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].description, "start DHCPv6 client (SLAAC off, name servers, timeout 20 s)");
        assert_eq!(host::read_sysctl(CLIENT_IF, "autoconf").unwrap(), "1", "the kernel's default");
        plugin.apply(&changes).unwrap_or_else(|e| panic!("{e}\n{}", read_file(&log)));
        assert_eq!(host::read_sysctl(CLIENT_IF, "autoconf").unwrap(), "0", "autoconf defaults to no");
        let ours: Vec<_> = client_addrs(Family::V6).into_iter().filter(|a| a.is_ours()).collect();
        assert_eq!(ours.len(), 1, "{ours:?}");
        assert_eq!(ours[0].prefix_len, 128);
        let IpAddr::V6(ip) = ours[0].ip else { panic!("not IPv6") };
        assert_eq!(ip.segments()[..7], [0x2001, 0xdb8, 0, 0, 0, 0, 0], "{ip}");
        assert!((0x10..=0x1f).contains(&ip.segments()[7]), "{ip}");
        let resolv = read_file(&paths.resolv_conf);
        assert!(
            resolv.contains("nameserver 2001:db8::53\n") && resolv.contains("search test.example\n"),
            "{resolv}"
        );

        let live = plugin.read(Some(&scope())).unwrap();
        assert_eq!(live.len(), 1);
        assert_eq!(without_lease(&live[0].element), want[0].element);
        assert!(live[0].element.child("lease").and_then(|l| l.value("address")).is_some());
        assert!(plugin.plan(&want, &live, &scope()).unwrap().is_empty(), "the same file plans nothing");

        // At T1 the plan renews (RENEW to the server), and the record is bound again.
        let family = netplug_plugin_dhcp::config::Family::V6;
        let before = netplug_plugin_dhcp::state::load(&paths, CLIENT_IF, family).unwrap().unwrap();
        let t1: u64 = live[0].element.child("lease").unwrap().value("next").unwrap().parse().unwrap();
        std::thread::sleep(Duration::from_millis(1100)); // so the new bound_at differs
        let renew = netplug_plugin_dhcp::plan::plan_at(&want, &live, &scope(), t1);
        assert_eq!(renew.len(), 1, "{renew:?}");
        assert!(
            renew[0].description.starts_with("renew DHCPv6 lease 2001:db8::"),
            "{}",
            renew[0].description
        );
        plugin.apply(&renew).unwrap_or_else(|e| panic!("{e}\n{}", read_file(&log)));
        let after = netplug_plugin_dhcp::state::load(&paths, CLIENT_IF, family).unwrap().unwrap();
        assert!(after.bound_at > before.bound_at && after.retry_at.is_none(), "{after:?}");
        assert_eq!(after.applied, before.applied, "the same address and name servers");
        // The renewal asks with the time left and a one-second T1, which are only hints: the
        // server's full lifetimes come back and T1 is its own, so leases do not shrink.
        let times = |r: &netplug_plugin_dhcp::state::Record| match &r.lease {
            Some(netplug_plugin_dhcp::state::Lease::V6(l)) => (l.t1, l.preferred, l.valid),
            other => panic!("{other:?}"),
        };
        let ((t1, preferred, valid), (_, preferred0, valid0)) = (times(&after), times(&before));
        assert_eq!((preferred, valid), (preferred0, valid0));
        assert!(t1 >= 30, "T1 {t1}");
        assert!(read_file(&log).contains("DHCPRENEW(dsv0)"), "{}", read_file(&log));
        let live = plugin.read(Some(&scope())).unwrap();

        let changes = plugin.plan(&[], &live, &scope()).unwrap();
        assert_eq!(changes[0].phase, Phase::StopDynamic);
        plugin.apply(&changes).unwrap();
        assert!(client_addrs(Family::V6).iter().all(|a| !a.is_ours()));
        assert!(!read_file(&paths.resolv_conf).contains("nameserver"));
        assert!(plugin.read(None).unwrap().is_empty());
        assert_eq!(host::read_sysctl(CLIENT_IF, "autoconf").unwrap(), "1", "restored");
        ip.to_string()
    });
    let released = wait_for(Duration::from_secs(3), || !lab.server_leases().contains(&leased));
    assert!(released, "dnsmasq still holds {leased}:\n{}\n{}", lab.server_leases(), lab.dnsmasq_log());
    assert!(lab.dnsmasq_log().contains("DHCPRELEASE(dsv0)"), "{}", lab.dnsmasq_log());
}

#[test]
fn autoconf_turns_on_the_kernels_slaac_and_removal_restores_it() {
    let mut lab = Lab::new();
    let plugin = lab.plugin();
    // SLAAC off on the client, as a host that had it turned off would be.
    lab.in_client(false, || host::write_sysctl(CLIENT_IF, "autoconf", "0").unwrap());
    let want = [item(Element::new("dhcp6").with_attr("autoconf", "yes").with_attr("dhcp", "no"))];
    let p = plugin.clone();
    let w = want.clone();
    lab.in_client(false, move || {
        let changes = p.plan(&w, &p.read(None).unwrap(), &scope()).unwrap();
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].description, "turn on SLAAC (accept router advertisements, autoconf)");
        p.apply(&changes).unwrap();
        assert_eq!(host::read_sysctl(CLIENT_IF, "autoconf").unwrap(), "1");
        let live = p.read(Some(&scope())).unwrap();
        assert_eq!(live.len(), 1);
        assert!(p.plan(&w, &live, &scope()).unwrap().is_empty());
    });
    // The sysctl was written in the client namespace only: the server's is untouched.
    assert_eq!(lab.in_server(|| host::read_sysctl(lab::SERVER_IF, "autoconf").unwrap()), "1");
    // A router now advertises 2001:db8:1::/64; the kernel configures an address from it.
    lab.start_dnsmasq("enable-ra\ndhcp-range=2001:db8:1::,ra-only,64,2m\n");
    let slaac = lab.in_client(false, || {
        wait_for(Duration::from_secs(10), || {
            client_addrs(Family::V6)
                .iter()
                .any(|a| a.ip.to_string().starts_with("2001:db8:1:") && a.prefix_len == 64)
        })
    });
    assert!(slaac, "no SLAAC address:\n{}", lab.dnsmasq_log());
    lab.in_client(false, move || {
        let live = plugin.read(Some(&scope())).unwrap();
        plugin.apply(&plugin.plan(&[], &live, &scope()).unwrap()).unwrap();
        assert_eq!(host::read_sysctl(CLIENT_IF, "autoconf").unwrap(), "0", "restored");
        assert!(plugin.read(None).unwrap().is_empty());
    });
}
