//! A DHCP lab: a server namespace running dnsmasq and a client namespace, joined by a veth pair,
//! both made for one test and removed when it ends, so no DHCP packet leaves them.
//!
//! The namespaces are named (`ip netns add`) because dnsmasq is a separate process that has to
//! be started inside one (`ip netns exec`); the plugin is called on a fresh thread that entered
//! the client namespace with setns, as `netplug --netns` does.

#![allow(dead_code)] // each test file uses a different part of the lab

use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use netplug_plugin_dhcp::netlink::{dump_addrs, Addr};
use netplug_plugin_dhcp::state::Paths;
use netplug_plugin_dhcp::DhcpPlugin;
use netplug_plugin_sdk::netlink::{Family, Route, Socket};
use netplug_plugin_sdk::{Element, Envelope, Item};
pub use netplug_plugin_testing::wait_for;

/// The client's interface (in the client namespace) and its MAC.
pub const CLIENT_IF: &str = "dcl0";
pub const CLIENT_MAC: &str = "02:00:00:00:0d:01";
/// The server's end, with 192.0.2.1/24, 2001:db8::1/64 and 2001:db8:1::1/64.
pub const SERVER_IF: &str = "dsv0";

static NEXT: AtomicU32 = AtomicU32::new(0);

pub struct Lab {
    pub client_ns: String,
    pub server_ns: String,
    pub dir: tempfile::TempDir,
    dnsmasq: Option<Child>,
}

fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().expect("run ip");
    assert!(out.status.success(), "ip {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr));
}

impl Lab {
    /// Two namespaces, the veth pair up, the server's addresses; no server running yet.
    pub fn new() -> Lab {
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let base = format!("npdhcp-{}-{n}", std::process::id());
        let lab = Lab {
            client_ns: format!("{base}-c"),
            server_ns: format!("{base}-s"),
            dir: tempfile::tempdir().expect("temp dir"),
            dnsmasq: None,
        };
        ip(&["netns", "add", &lab.client_ns]);
        ip(&["netns", "add", &lab.server_ns]);
        // The server answers at once instead of after its own duplicate address detection.
        lab.in_server(|| std::fs::write("/proc/sys/net/ipv6/conf/default/accept_dad", "0").unwrap());
        ip(&[
            "-n",
            &lab.client_ns,
            "link",
            "add",
            CLIENT_IF,
            "address",
            CLIENT_MAC,
            // One queue each way: with two, this kernel (6.18) sometimes dropped every frame the
            // DHCP client's packet socket sent, for the whole test (seen as TX drops).
            "numtxqueues",
            "1",
            "numrxqueues",
            "1",
            "type",
            "veth",
            "peer",
            "name",
            SERVER_IF,
            "netns",
            &lab.server_ns,
            "numtxqueues",
            "1",
            "numrxqueues",
            "1",
        ]);
        for (ns, dev) in [(&lab.client_ns, CLIENT_IF), (&lab.server_ns, SERVER_IF), (&lab.client_ns, "lo")] {
            ip(&["-n", ns, "link", "set", dev, "up"]);
        }
        for addr in ["192.0.2.1/24", "2001:db8::1/64", "2001:db8:1::1/64"] {
            ip(&["-n", &lab.server_ns, "addr", "add", addr, "dev", SERVER_IF]);
        }
        lab
    }

    /// The plugin with its run directory (leases, resolver file) inside this lab's temp dir.
    pub fn plugin(&self) -> DhcpPlugin {
        DhcpPlugin::with_paths(self.paths())
    }

    pub fn paths(&self) -> Paths {
        Paths::under(self.dir.path().join("run"))
    }

    pub fn server_file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Start dnsmasq in the server namespace with `config` added to a base that serves only
    /// the veth, no DNS, no resolv.conf or hosts file, its own lease, pid and log files.
    pub fn start_dnsmasq(&mut self, config: &str) {
        let conf = self.server_file("dnsmasq.conf");
        let base = format!(
            "port=0\ninterface={SERVER_IF}\nuser=root\ndhcp-authoritative\nlog-dhcp\n\
             dhcp-leasefile={}\npid-file={}\nlog-facility={}\n{config}\n",
            self.server_file("leases").display(),
            self.server_file("dnsmasq.pid").display(),
            self.server_file("dnsmasq.log").display(),
        );
        std::fs::write(&conf, base).unwrap();
        let child = Command::new("ip")
            .args([
                "netns",
                "exec",
                &self.server_ns,
                "dnsmasq",
                "--keep-in-foreground",
                "--no-resolv",
                "--no-hosts",
            ])
            .arg("--bind-interfaces")
            .arg(format!("--conf-file={}", conf.display()))
            .stdin(Stdio::null())
            .stderr(File::create(self.server_file("dnsmasq.stderr")).unwrap())
            .spawn()
            .expect("start dnsmasq (apt-get install dnsmasq-base)");
        self.dnsmasq = Some(child);
        let ready = wait_for(Duration::from_secs(5), || self.server_file("dnsmasq.pid").exists());
        assert!(ready, "dnsmasq did not start: {}", self.dnsmasq_log());
    }

    /// Stop the server (a client's next renewal goes unanswered).
    pub fn stop_dnsmasq(&mut self) {
        if let Some(mut child) = self.dnsmasq.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The expiry time dnsmasq recorded for `address` (first field of its lease file line).
    pub fn server_expiry(&self, address: &str) -> Option<u64> {
        let leases = self.server_leases();
        let line = leases.lines().find(|l| l.split_whitespace().nth(2) == Some(address))?;
        line.split_whitespace().next()?.parse().ok()
    }

    pub fn dnsmasq_log(&self) -> String {
        let read = |n| std::fs::read_to_string(self.server_file(n)).unwrap_or_default();
        format!("{}{}", read("dnsmasq.stderr"), read("dnsmasq.log"))
    }

    /// dnsmasq's lease file (one line per lease: expiry, MAC or DUID, address, host name, id).
    pub fn server_leases(&self) -> String {
        std::fs::read_to_string(self.server_file("leases")).unwrap_or_default()
    }

    /// Run `f` on a fresh thread inside the client namespace (and, with `own_uts`, a UTS
    /// namespace of its own, so host and NIS domain names it sets stay there).
    pub fn in_client<T: Send + 'static>(&self, own_uts: bool, f: impl FnOnce() -> T + Send + 'static) -> T {
        in_netns(&self.client_ns, own_uts, f)
    }

    pub fn in_server<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> T {
        in_netns(&self.server_ns, false, f)
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if let Some(mut child) = self.dnsmasq.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        for ns in [&self.client_ns, &self.server_ns] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

/// Run `f` on a new thread that has entered the named namespace, as netplug's `--netns` does.
pub fn in_netns<T: Send + 'static>(ns: &str, own_uts: bool, f: impl FnOnce() -> T + Send + 'static) -> T {
    let path = format!("/run/netns/{ns}");
    let thread = std::thread::spawn(move || {
        let file = File::open(&path).expect("namespace file");
        // SAFETY: setns/unshare on this thread only, with a valid namespace descriptor.
        assert_eq!(unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) }, 0, "setns {path}");
        if own_uts {
            assert_eq!(unsafe { libc::unshare(libc::CLONE_NEWUTS) }, 0, "unshare(CLONE_NEWUTS)");
        }
        f()
    });
    thread.join().unwrap_or_else(|p| std::panic::resume_unwind(p))
}

/// A reported `<dhcp>`/`<dhcp6>` without the `<lease>` child `read` adds, which is what a
/// desired item looks like.
pub fn without_lease(element: &Element) -> Element {
    let mut el = element.clone();
    el.children.retain(|c| c.name != "lease");
    el
}

/// The desired item for `element` on the client interface.
pub fn item(element: Element) -> Item {
    let envelope = Envelope { name: CLIENT_IF.into(), kind: "ethernet".into(), ..Default::default() };
    Item { interface: CLIENT_IF.into(), kind: "ethernet".into(), envelope: Some(envelope), element }
}

pub fn scope() -> Vec<String> {
    vec![CLIENT_IF.to_string()]
}

/// The client interface's addresses (call inside the client namespace).
pub fn client_addrs(family: Family) -> Vec<Addr> {
    let mut sock = Socket::route().unwrap();
    let index = sock.link_by_name(CLIENT_IF).unwrap().expect("client link").index;
    dump_addrs(&mut sock, family).unwrap().into_iter().filter(|a| a.index == index).collect()
}

/// Main-table routes through the client interface (call inside the client namespace).
pub fn client_routes(family: Family) -> Vec<Route> {
    let mut sock = Socket::route().unwrap();
    let index = sock.link_by_name(CLIENT_IF).unwrap().expect("client link").index;
    sock.dump_routes(family, Some(254)).unwrap().into_iter().filter(|r| r.oif == Some(index)).collect()
}

pub fn read_file(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}
