//! `netplug daemon` end to end, the real binary in network namespaces of their own: a DHCP
//! lease renewed before it expires (dnsmasq in a second namespace over a veth pair, nothing
//! leaves the two), shown by `netplug status`, kept across SIGTERM and a restart; a `hotplug`
//! interface configured when its device appears (and one defined later, after SIGHUP); an
//! `ifplug` interface configured and deconfigured as carrier comes and goes.

use std::fs::File;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use netplug_plugin_testing::wait_for;
use netplug_tests::{document, Netns};

/// A running `netplug daemon`, killed if the test ends without stopping it.
struct Daemon {
    child: Child,
    log: PathBuf,
}

impl Daemon {
    fn start(ns: &Netns, tag: &str) -> Daemon {
        Daemon::start_with(ns, tag, &[])
    }

    fn start_with(ns: &Netns, tag: &str, args: &[&str]) -> Daemon {
        let log = ns.dir.path().join(format!("daemon-{tag}.log"));
        let child = ns
            .command()
            .env("NETPLUG_LOG", "info,netplug::cmd::daemon=debug")
            .arg("daemon")
            .args(args)
            .stdin(Stdio::null())
            .stdout(File::create(ns.dir.path().join(format!("daemon-{tag}.out"))).unwrap())
            .stderr(File::create(&log).unwrap())
            .spawn()
            .expect("start netplug daemon");
        let d = Daemon { child, log };
        assert!(
            wait_for(Duration::from_secs(30), || d.log().contains("netplug daemon ready")),
            "{}",
            d.log()
        );
        d
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn signal(&self, name: &str) {
        let ok = Command::new("kill").args([name, &self.child.id().to_string()]).status().unwrap();
        assert!(ok.success());
    }

    /// SIGTERM, then the exit status (within 10 s).
    fn stop(mut self) -> ExitStatus {
        self.signal("-TERM");
        let end = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < end, "the daemon did not exit on SIGTERM:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The IPv4 addresses on `dev` as (address/prefix, valid lifetime in seconds).
fn addrs(ns: &Netns, dev: &str) -> Vec<(String, u64)> {
    let text = ns.ip(&["-j", "-4", "addr", "show", "dev", dev]);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    let mut out = Vec::new();
    for link in v.as_array().into_iter().flatten() {
        for a in link["addr_info"].as_array().into_iter().flatten() {
            out.push((
                format!("{}/{}", a["local"].as_str().unwrap_or(""), a["prefixlen"]),
                a["valid_life_time"].as_u64().unwrap_or(0),
            ));
        }
    }
    out
}

fn link(ns: &Netns, dev: &str) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_str(&ns.ip(&["-j", "link", "show", "dev", dev])).unwrap();
    v[0].clone()
}

fn is_admin_up(ns: &Netns, dev: &str) -> bool {
    link(ns, dev)["flags"].as_array().is_some_and(|f| f.iter().any(|x| x == "UP"))
}

/// dnsmasq serving 192.0.2.0/24 with 2-minute leases and T1 = 10 s, in a namespace of its own
/// joined to the client namespace by the veth pair dcl0 (client) – dsv0 (server).
struct Dnsmasq {
    server: Netns,
    child: Child,
}

impl Dnsmasq {
    fn start(client: &Netns) -> Dnsmasq {
        let server = Netns::new("dsrv");
        // One queue each way: on this kernel (6.18) a veth with two sometimes dropped every
        // packet a packet socket (the DHCP client's) sent for as long as the test ran, counted as
        // TX drops, while other traffic passed.
        client.ip(&[
            "link",
            "add",
            "dcl0",
            "address",
            "02:00:00:00:0e:01",
            "numtxqueues",
            "1",
            "numrxqueues",
            "1",
            "type",
            "veth",
            "peer",
            "name",
            "dsv0",
            "netns",
            &server.name,
            "numtxqueues",
            "1",
            "numrxqueues",
            "1",
        ]);
        client.ip(&["link", "set", "dcl0", "up"]);
        server.ip(&["link", "set", "dsv0", "up"]);
        server.ip(&["addr", "add", "192.0.2.1/24", "dev", "dsv0"]);
        // A link passes traffic only once the kernel's link watcher has given it its queueing
        // discipline (until then packets go to `noop` and are dropped), which can take seconds
        // while other tests keep the RTNL lock busy; DHCP's first DISCOVERs would be lost.
        for (ns, dev) in [(client, "dcl0"), (&server, "dsv0")] {
            let ready = wait_for(Duration::from_secs(20), || {
                let l = link(ns, dev);
                l["operstate"] == "UP" && l["qdisc"] != "noop"
            });
            assert!(ready, "{dev} never became ready: {}", link(ns, dev));
        }
        let file = |n: &str| server.dir.path().join(n);
        let conf = format!(
            "port=0\ninterface=dsv0\nuser=root\ndhcp-authoritative\nlog-dhcp\nno-ping\n\
             dhcp-leasefile={}\npid-file={}\nlog-facility={}\n\
             dhcp-range=192.0.2.50,192.0.2.59,255.255.255.0,2m\n\
             dhcp-option=option:router,192.0.2.1\ndhcp-option=option:T1,10\n",
            file("leases").display(),
            file("pid").display(),
            file("log").display(),
        );
        std::fs::write(file("dnsmasq.conf"), conf).unwrap();
        let child = Command::new("ip")
            .args(["netns", "exec", &server.name, "dnsmasq", "--keep-in-foreground", "--no-resolv"])
            .args(["--no-hosts", "--bind-interfaces"])
            .arg(format!("--conf-file={}", file("dnsmasq.conf").display()))
            .stdin(Stdio::null())
            .stderr(File::create(file("stderr")).unwrap())
            .spawn()
            .expect("start dnsmasq (apt-get install dnsmasq-base)");
        assert!(wait_for(Duration::from_secs(5), || file("pid").exists()), "dnsmasq did not start");
        Dnsmasq { server, child }
    }

    fn log(&self) -> String {
        let read = |n: &str| std::fs::read_to_string(self.server.dir.path().join(n)).unwrap_or_default();
        format!("{}{}", read("stderr"), read("log"))
    }

    /// The expiry dnsmasq recorded for `address` (first field of its lease-file line).
    fn expiry(&self, address: &str) -> Option<u64> {
        let leases = std::fs::read_to_string(self.server.dir.path().join("leases")).unwrap_or_default();
        let line = leases.lines().find(|l| l.split_whitespace().nth(2) == Some(address))?;
        line.split_whitespace().next()?.parse().ok()
    }
}

impl Drop for Dnsmasq {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn renews_a_lease_shows_it_and_keeps_it_across_sigterm_and_restart() {
    let ns = Netns::new("dmn");
    let dnsmasq = Dnsmasq::start(&ns);
    // No NIS, no host name, no resolver file: nothing outside the namespaces is touched.
    let doc = document(
        ns.dir.path(),
        "dcl0.xml",
        r#"<interface device="dcl0" startmode="onboot"><dhcp timeout="20" nis="no"/></interface>"#,
    );
    ns.netplug(&["define", doc.to_str().unwrap()]).ok();
    let daemon = Daemon::start(&ns, "1");
    // The onboot apply at start took the lease.
    // (iproute2 here does not print an address's protocol: the range says it is the lease.)
    let leased = || addrs(&ns, "dcl0").into_iter().find(|(a, _)| a.starts_with("192.0.2.5"));
    let (address, _) = leased()
        .unwrap_or_else(|| panic!("no lease: {:?}\n{}\n{}", addrs(&ns, "dcl0"), daemon.log(), dnsmasq.log()));
    let bound = Instant::now();
    let ip = address.trim_end_matches("/24").to_string();
    let first_expiry = dnsmasq.expiry(&ip).expect("dnsmasq holds the lease");

    // Status shows the lease and the running daemon.
    let status: serde_json::Value = serde_json::from_str(&ns.netplug(&["--json", "status"]).ok()).unwrap();
    assert_eq!(status["daemon"]["running"], true, "{status}");
    let iface = &status["interfaces"][0];
    assert_eq!((iface["name"].as_str(), iface["active"].as_bool()), (Some("dcl0"), Some(true)), "{status}");
    assert_eq!(iface["startmode"], "onboot");
    let lease = &iface["leases"][0];
    assert_eq!((lease["client"].as_str(), lease["address"].as_str()), (Some("dhcp"), Some(address.as_str())));
    assert_eq!(lease["server"], "192.0.2.1");
    let obtained = lease["obtained"].as_u64().unwrap();
    assert_eq!(lease["renew"].as_u64(), Some(obtained + 10), "T1 as the server set it");
    assert!(lease["expires"].as_u64().unwrap().abs_diff(first_expiry) <= 2, "{lease} vs {first_expiry}");
    let text = ns.netplug(&["status"]).ok();
    assert!(text.contains(&format!("dhcp {address} from 192.0.2.1")) && text.contains("expires"), "{text}");
    assert!(text.contains("daemon: running"), "{text}");

    // At T1 the daemon renews: the server's expiry moves and the address's lifetime is fresh.
    let renewed = wait_for(Duration::from_secs(30), || dnsmasq.expiry(&ip) > Some(first_expiry));
    assert!(renewed, "no renewal:\n{}\n{}", daemon.log(), dnsmasq.log());
    let since = bound.elapsed().as_secs();
    assert!(since >= 9, "renewed after {since} s, before T1");
    // dnsmasq writes its lease file as it sends the ACK; the daemon then refreshes the address.
    let fresh = || {
        let (_, valid) = leased().expect("the address stays through the renewal");
        valid + bound.elapsed().as_secs() >= 120 + 5
    };
    assert!(wait_for(Duration::from_secs(5), fresh), "lifetime not refreshed: {:?}", leased());
    assert!(daemon.log().contains("DHCPv4 renewed"), "{}", daemon.log());
    assert_eq!(dnsmasq.log().matches("DHCPDISCOVER").count(), 1, "a renewal, not a new lease");

    // SIGTERM: exit 0, nothing released or removed.
    let status = daemon.stop();
    assert!(status.success(), "{status:?}");
    assert_eq!(leased().map(|l| l.0), Some(address.clone()));
    assert!(!dnsmasq.log().contains("DHCPRELEASE"), "{}", dnsmasq.log());
    let status: serde_json::Value = serde_json::from_str(&ns.netplug(&["--json", "status"]).ok()).unwrap();
    assert_eq!(status["daemon"]["running"], false);

    // A new daemon carries on with the lease: no new DISCOVER, the address never left.
    let again = Daemon::start(&ns, "2");
    assert_eq!(leased().map(|l| l.0), Some(address.clone()), "{}", again.log());
    assert_eq!(dnsmasq.log().matches("DHCPDISCOVER").count(), 1, "{}", again.log());
    assert!(again.stop().success());
}

#[test]
fn hotplug_devices_are_configured_when_they_appear_and_sighup_reloads() {
    let ns = Netns::new("hot");
    let doc = |name: &str, addr: &str| {
        let xml = format!(
            r#"<interface device="{name}" startmode="hotplug" mtu="1400"><static ipaddr="{addr}"/></interface>"#
        );
        document(ns.dir.path(), &format!("{name}.xml"), &xml)
    };
    ns.netplug(&["define", doc("hp0", "192.0.2.10/24").to_str().unwrap()]).ok();
    let daemon = Daemon::start(&ns, "hot");
    let configured = |dev: &str, addr: &str| {
        ns.ip(&["-br", "link"]).contains(dev)
            && addrs(&ns, dev).iter().any(|(a, _)| a == addr)
            && link(&ns, dev)["mtu"] == 1400
            && is_admin_up(&ns, dev)
    };

    ns.ip(&["link", "add", "hp0", "type", "veth", "peer", "name", "hp1"]);
    let appeared = Instant::now();
    assert!(wait_for(Duration::from_secs(3), || configured("hp0", "192.0.2.10/24")), "{}", daemon.log());
    eprintln!("hp0 configured {:?} after it appeared", appeared.elapsed());

    // A definition added while the daemon runs counts once it is told (SIGHUP).
    ns.netplug(&["define", doc("hp2", "192.0.2.12/24").to_str().unwrap()]).ok();
    daemon.signal("-HUP");
    assert!(wait_for(Duration::from_secs(10), || daemon.log().contains("reloading definitions")));
    std::thread::sleep(Duration::from_millis(300));
    ns.ip(&["link", "add", "hp2", "type", "veth", "peer", "name", "hp3"]);
    assert!(wait_for(Duration::from_secs(3), || configured("hp2", "192.0.2.12/24")), "{}", daemon.log());
    // hp1 and hp3 are not defined: left alone.
    assert!(!is_admin_up(&ns, "hp1") && addrs(&ns, "hp1").is_empty());
    assert!(daemon.stop().success());
}

#[test]
fn ifplug_interfaces_follow_carrier() {
    let ns = Netns::new("ifp");
    let doc = document(
        ns.dir.path(),
        "if0.xml",
        r#"<interface device="if0" startmode="ifplug"><static ipaddr="192.0.2.20/24"/></interface>"#,
    );
    ns.netplug(&["define", doc.to_str().unwrap()]).ok();
    ns.ip(&["link", "add", "if0", "type", "veth", "peer", "name", "if1"]);
    let daemon = Daemon::start(&ns, "ifp");
    let has_address = || addrs(&ns, "if0").iter().any(|(a, _)| a == "192.0.2.20/24");

    // No carrier (the peer is down): the link is set up, so carrier can be seen, but not
    // configured.
    assert!(wait_for(Duration::from_secs(3), || is_admin_up(&ns, "if0")), "{}", daemon.log());
    assert!(!has_address());

    ns.ip(&["link", "set", "if1", "up"]);
    assert!(wait_for(Duration::from_secs(3), has_address), "carrier came:\n{}", daemon.log());

    ns.ip(&["link", "set", "if1", "down"]);
    assert!(wait_for(Duration::from_secs(3), || !has_address()), "carrier went:\n{}", daemon.log());
    assert!(is_admin_up(&ns, "if0"), "the link stays up to see carrier come back");

    ns.ip(&["link", "set", "if1", "up"]);
    assert!(wait_for(Duration::from_secs(3), has_address), "carrier came back:\n{}", daemon.log());
    // SIGTERM leaves the configuration as it is.
    assert!(daemon.stop().success());
    assert!(has_address());
}

#[test]
fn the_daemon_rolls_back_an_apply_whose_confirmer_died() {
    let ns = Netns::new("dconf");
    let _daemon = Daemon::start(&ns, "confirm");
    let doc = document(ns.dir.path(), "br.xml", r#"<bridge name="brx" stp="off"/>"#);
    let mut waiting = ns.command().args(["apply", "--confirm", "1", doc.to_str().unwrap()]).spawn().unwrap();
    assert!(wait_for(Duration::from_secs(20), || ns.ip(&["-br", "link", "show"]).contains("brx")));
    let _ = waiting.kill();
    let _ = waiting.wait();
    // Nobody runs netplug now: the daemon notices the deadline pass and rolls back.
    assert!(
        wait_for(Duration::from_secs(15), || !ns.ip(&["-br", "link", "show"]).contains("brx")),
        "the daemon did not roll the unconfirmed bridge back"
    );
}

/// The daemon prunes as `apply --all` does (issue #14): at start, what netplug created and no
/// longer defines goes; after `undefine` and a reload (SIGHUP), too; `--no-prune` keeps it.
#[test]
fn the_daemon_prunes_what_is_no_longer_defined() {
    let ns = Netns::new("dprune");
    let bridges = document(
        ns.dir.path(),
        "bridges.xml",
        r#"<interfaces><bridge name="brkeep" stp="off"/><bridge name="brgone" stp="off"/>
           <bridge name="brlater" stp="off"/></interfaces>"#,
    );
    ns.netplug(&["define", bridges.to_str().unwrap()]).ok();
    ns.netplug(&["apply", "--all"]).ok();
    let has = |name: &str| ns.ip(&["-br", "link"]).lines().any(|l| l.split_whitespace().next() == Some(name));
    ns.netplug(&["undefine", "brgone"]).ok();

    let daemon = Daemon::start_with(&ns, "noprune", &["--no-prune"]);
    assert!(has("brgone"), "--no-prune keeps it: {}", daemon.log());
    assert!(daemon.stop().success());

    let daemon = Daemon::start(&ns, "prune");
    assert!(!has("brgone") && has("brkeep") && has("brlater"), "{}", daemon.log());
    assert!(daemon.log().contains("brgone"), "{}", daemon.log());
    // Undefined while it runs: gone once the daemon is told.
    ns.netplug(&["undefine", "brlater"]).ok();
    daemon.signal("-HUP");
    assert!(wait_for(Duration::from_secs(10), || !has("brlater")), "{}", daemon.log());
    assert!(has("brkeep"));
    assert!(daemon.stop().success());
}

/// A boot with a missing NIC (issue #14, reproduction 2): the daemon's onboot pass configures
/// everything else, names what it left out, and configures that — with what depends on it —
/// once its device appears.
#[test]
fn the_daemon_configures_an_onboot_interface_when_its_missing_device_appears() {
    let ns = Netns::new("dlate");
    let doc = document(
        ns.dir.path(),
        "late.xml",
        r#"<interfaces>
  <bridge name="brnow" stp="off"><static ipaddr="192.0.2.20/24"/></bridge>
  <interface device="late0"/>
  <bridge name="brlate" stp="off"><member device="late0"/><static ipaddr="198.51.100.20/24"/></bridge>
</interfaces>"#,
    );
    ns.netplug(&["define", doc.to_str().unwrap()]).ok();
    let daemon = Daemon::start(&ns, "late");
    let has = |name: &str| ns.ip(&["-br", "link"]).lines().any(|l| l.split_whitespace().next() == Some(name));
    assert!(wait_for(Duration::from_secs(10), || addrs(&ns, "brnow")
        .iter()
        .any(|(a, _)| a == "192.0.2.20/24")));
    assert!(!has("brlate"), "brlate depends on the missing late0: {}", daemon.log());
    assert!(daemon.log().contains("not configured yet: late0"), "{}", daemon.log());

    ns.ip(&["link", "add", "late0", "type", "veth", "peer", "name", "late1"]);
    let configured = || {
        ns.ip(&["link", "show", "late0"]).contains("master brlate")
            && addrs(&ns, "brlate").iter().any(|(a, _)| a == "198.51.100.20/24")
    };
    assert!(wait_for(Duration::from_secs(10), configured), "{}", daemon.log());
    assert!(daemon.stop().success());
}
