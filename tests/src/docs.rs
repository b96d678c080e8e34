//! The XML examples of `docs/*.md`, `README.md` and `docs/examples/*.xml`, the schemas they are
//! checked against, and what the walks applying them build around them.
//!
//! A block fenced as ```` ```xml ```` is a complete document. Other blocks say what they are
//! after `xml`: `fragment` (part of a document), `invalid` (shows netplug's diagnostics),
//! `plugin` (needs the example plugin of docs/plugin-guide.md).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use netplug_core::dialect::libvirt;
use netplug_core::xml;
use netplug_plugin_sdk::Element;

use crate::{netplug, workspace, Netns};

pub struct Example {
    /// `docs/format.md:42`: where the block starts.
    pub place: String,
    pub kind: Kind,
    pub xml: String,
}

#[derive(Debug, PartialEq)]
pub enum Kind {
    Document,
    Fragment,
    Invalid,
    Plugin,
}

/// Which dialect an example is written in.
#[derive(Debug, PartialEq)]
pub enum Dialect {
    Native,
    Libvirt,
    /// Not an interface document at all: a plugin's RelaxNG vocabulary in the plugin guide.
    Other,
}

/// The elements only libvirt's dialect has at the top of a fragment.
const LIBVIRT_ONLY: &[&str] = &["start", "mtu", "mac", "link", "protocol"];

impl Example {
    /// Its top-level elements (a fragment may have several).
    pub fn roots(&self) -> Vec<Element> {
        let body = self.xml.trim_start().strip_prefix("<?xml version=\"1.0\"?>").unwrap_or(&self.xml);
        xml::parse(&format!("<fragment>{body}</fragment>"), 0)
            .unwrap_or_else(|d| panic!("{}: {d:?}", self.place))
            .children
    }

    /// Its dialect, told by its root as netplug tells it (a fragment by its element).
    pub fn dialect(&self) -> Dialect {
        if self.roots().iter().any(|r| r.name == "grammar") {
            return Dialect::Other;
        }
        let libvirt = self.roots().iter().any(|root| match self.kind {
            Kind::Fragment => LIBVIRT_ONLY.contains(&root.name.as_str()),
            _ => libvirt::looks_like(root) || root.children.iter().any(libvirt::looks_like),
        });
        if libvirt {
            Dialect::Libvirt
        } else {
            Dialect::Native
        }
    }
}

pub fn examples() -> Vec<Example> {
    let root = workspace();
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    files.sort();
    files.push(root.join("README.md"));
    let mut out = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let rel = file.strip_prefix(&root).unwrap().display().to_string();
        let mut lines = text.lines().enumerate();
        while let Some((i, line)) = lines.next() {
            let Some(info) = line.trim_start().strip_prefix("```xml") else { continue };
            let kind = match info.trim() {
                "" => Kind::Document,
                "fragment" => Kind::Fragment,
                "invalid" => Kind::Invalid,
                "plugin" => Kind::Plugin,
                other => panic!("{rel}:{}: unknown xml block kind `{other}`", i + 1),
            };
            let mut xml = String::new();
            for (_, l) in lines.by_ref() {
                if l.trim_start().starts_with("```") {
                    break;
                }
                xml.push_str(l);
                xml.push('\n');
            }
            out.push(Example { place: format!("{rel}:{}", i + 1), kind, xml });
        }
    }
    // The example files: whole documents (the README's set-up command applies demo.xml), but
    // one naming this machine's key files is checked as the fragments that do are, well-formed
    // and valid by the schema (tests/tests/vm_container_host.rs applies the container host's in
    // the guest).
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("docs/examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    files.sort();
    for file in files {
        let rel = file.strip_prefix(&root).unwrap().display().to_string();
        let xml = std::fs::read_to_string(&file).unwrap();
        let kind =
            if xml.contains(" file=") || xml.contains("-file=") { Kind::Fragment } else { Kind::Document };
        out.push(Example { place: format!("{rel}:1"), kind, xml });
    }
    assert!(out.len() >= 20, "the docs' XML examples were not found: {}", out.len());
    out
}

/// Where Debian's `libvirt0` puts libvirt's own schema of interface documents (with the
/// `basictypes.rng` it includes).
pub const LIBVIRT_INTERFACE_RNG: &str = "/usr/share/libvirt/schemas/interface.rng";

/// libvirt's `interface.rng`; a test that needs it fails (never passes) without it.
pub fn libvirt_interface_rng() -> &'static Path {
    let path = Path::new(LIBVIRT_INTERFACE_RNG);
    assert!(
        path.exists(),
        "{LIBVIRT_INTERFACE_RNG} is missing: install libvirt0 (apt-get install libvirt0; .ci/run installs it)"
    );
    path
}

/// What `netplug schema` writes with the workspace's plugins (and those of `plugin_dirs`),
/// in a file under `dir`.
pub fn native_schema(dir: &Path, plugin_dirs: &[&Path]) -> PathBuf {
    let mut command = Command::new(netplug());
    for d in plugin_dirs {
        command.arg("--plugin-dir").arg(d);
    }
    let out = command
        .arg("schema")
        .env("NETPLUG_RUN_DIR", dir.join("run"))
        .env_remove("NETPLUG_PLUGIN_PATH")
        .output()
        .unwrap();
    assert!(out.status.success(), "netplug schema: {}", String::from_utf8_lossy(&out.stderr));
    let file = dir.join("netplug.rng");
    std::fs::write(&file, &out.stdout).unwrap();
    file
}

/// `xmllint --relaxng SCHEMA` on `xml`: its complaints when it is not valid.
pub fn relaxng_valid(schema: &Path, xml: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("document.xml");
    std::fs::write(&file, xml).unwrap();
    let out = Command::new("xmllint")
        .args(["--noout", "--relaxng"])
        .arg(schema)
        .arg(&file)
        .output()
        .expect("xmllint is needed (apt-get install libxml2-utils; .ci/run installs it)");
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// The libvirt documents in `xml`: itself, or each interface of netplug's `<interfaces>`
/// (which libvirt never writes or reads).
pub fn libvirt_documents(xml: &str) -> Vec<String> {
    let root = xml::parse(xml, 0).unwrap_or_else(|d| panic!("{d:?}\n{xml}"));
    if root.name == "interfaces" {
        root.children.iter().map(|c| xml::write(&c.without_spans())).collect()
    } else {
        vec![xml.to_string()]
    }
}

/// `xmllint --relaxng` with libvirt's schema, which takes one `<arpmon target=..>` address
/// where netplug reads and writes several as `a,b`, as netcf did (docs/format.md, `<bond
/// mode=..>`): a document whose only difference from libvirt's schema is that list is checked
/// with its first address.
pub fn libvirt_valid(schema: &Path, xml: &str) -> Result<(), String> {
    relaxng_valid(schema, xml).or_else(|why| {
        let one = one_arp_target(xml);
        if one == xml {
            return Err(why);
        }
        relaxng_valid(schema, &one).map_err(|why| format!("{why} (with one arpmon target)"))
    })
}

fn one_arp_target(xml: &str) -> String {
    let mut out = String::new();
    let mut rest = xml;
    while let Some(at) = rest.find("target=") {
        let (head, tail) = rest.split_at(at + "target=".len() + 1);
        out.push_str(head);
        let quote = head.chars().last().unwrap();
        let end = tail.find(quote).unwrap_or(tail.len());
        out.push_str(tail[..end].split(',').next().unwrap());
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// The devices a document names but does not create: the ethernet interfaces it configures
/// and the ports it refers to.
pub fn stand_ins(xml: &str) -> Vec<String> {
    let mut created = Vec::new();
    let mut named = Vec::new();
    let value = |s: &str| -> Option<String> {
        let q = s.chars().next()?;
        Some(s[1..].split(q).next()?.to_string())
    };
    for (i, _) in xml.match_indices('<') {
        let tag: String = xml[i + 1..].chars().take_while(|c| c.is_alphanumeric() || *c == '-').collect();
        let element = &xml[i..i + xml[i..].find('>').unwrap_or(xml.len() - i)];
        let attr = |name: &str| {
            element.find(&format!(" {name}=")).and_then(|at| value(&element[at + name.len() + 2..]))
        };
        match tag.as_str() {
            // Native: `<interface device=..>` is an existing device; libvirt: type='ethernet'.
            "interface" if attr("type").is_none() => named.extend(attr("device").or(attr("name"))),
            "interface" if attr("type").as_deref() == Some("ethernet") => named.extend(attr("name")),
            "interface" => created.extend(attr("name")),
            "member" | "slave" => named.extend(attr("device")),
            "bridge" | "bond" | "vrf" | "veth" | "dummy" | "vxlan" => created.extend(attr("name")),
            // Stacked on a parent, named by `device`.
            "vlan" | "macvlan" | "macvtap" | "ipvlan" => {
                created.extend(attr("name"));
                named.extend(attr("device"));
            }
            _ => {}
        }
    }
    named.retain(|n| !created.contains(n));
    named.sort();
    named.dedup();
    named
}

/// Where the walks of the docs' documents (`docs_examples.rs` on the host, `vm_docs.rs` in the
/// qemu guest) apply a document, or why neither does.
#[derive(Debug, PartialEq)]
pub enum Walk {
    /// Applied on the host.
    Host,
    /// Applied in the guest: the host's kernel lacks what it names.
    Guest(&'static str),
    /// Validated only, on both tiers.
    Nowhere(&'static str),
}

impl Walk {
    pub fn of(xml: &str) -> Walk {
        let has = |keys: &[&str]| keys.iter().any(|k| xml.contains(k));
        if has(&["<ethtool", "<link "]) {
            Walk::Nowhere(
                "a NIC's ethtool link settings, rings and channels (speed, duplex, autonegotiation) \
                 need real hardware: a veth has no link to negotiate, no rings and fixed channels",
            )
        } else if has(&["<bond", "type='bond'"]) {
            Walk::Guest("bonding")
        } else if has(&["<vlan", "type='vlan'"]) {
            Walk::Guest("802.1Q")
        } else if has(&["<macvlan", "<macvtap"]) {
            Walk::Guest("macvlan (some hosts' kernels lack it)")
        } else if has(&["<ipvlan"]) {
            Walk::Guest("ipvlan")
        } else if has(&["<vrf"]) {
            Walk::Guest("VRF")
        } else if has(&["<wireguard"]) {
            Walk::Guest("WireGuard")
        } else if has(&["<dummy"]) {
            Walk::Guest("dummy")
        } else {
            Walk::Host
        }
    }
}

/// Whether a document asks a server for anything (DHCPv4, DHCPv6 or SLAAC).
pub fn needs_dhcp(xml: &str) -> bool {
    xml.contains("<dhcp") || xml.contains("<autoconf")
}

/// Each veth stand-in for a device a document names, created up (as a NIC in use is: the
/// kernel brings no VLAN up on a parent that is down, and netplug leaves a device the
/// documents only refer to as it finds it); its peer is `standinN` beside it.
pub fn add_stand_ins(ns: &Netns, xml: &str) -> Vec<String> {
    let mut peers = Vec::new();
    for (i, dev) in stand_ins(xml).iter().enumerate() {
        let peer = format!("standin{i}");
        // One queue each way: with two (one per CPU, veth's default) this kernel sometimes
        // dropped every frame a DHCP client's packet socket sent (see daemon_e2e.rs).
        let one = ["numtxqueues", "1", "numrxqueues", "1"];
        let mut add = vec!["link", "add", dev.as_str()];
        add.extend(one);
        add.extend(["type", "veth", "peer", "name", &peer]);
        add.extend(one);
        ns.ip(&add);
        ns.ip(&["link", "set", &peer, "up"]);
        ns.ip(&["link", "set", dev, "up"]);
        peers.push(peer);
    }
    // A link passes traffic only once the kernel's link watcher has given it a queueing
    // discipline (until then frames go to `noop`), which can take seconds on a busy machine.
    let started = Instant::now();
    for dev in stand_ins(xml) {
        while ns.ip(&["-j", "link", "show", "dev", &dev]).contains("\"qdisc\":\"noop\"") {
            assert!(started.elapsed() < Duration::from_secs(20), "{dev} never got a queueing discipline");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    peers
}

/// A document's `peer-netns="NAME"` namespaces, each replaced by one this test made (and
/// removes), so the peer lands there and never in a namespace of the machine's.
pub fn with_own_peer_namespaces(xml: &str) -> (String, Vec<Netns>) {
    let mut text = xml.to_string();
    let mut made = Vec::new();
    while let Some(at) = text.find("peer-netns=") {
        let quote = &text[at + 11..at + 12];
        let end = at + 12 + text[at + 12..].find(quote).expect("a quoted attribute");
        let ns = Netns::new("peer");
        text = format!("{}peer-netns@{quote}{}{}", &text[..at], ns.name, &text[end..]);
        made.push(ns);
    }
    (text.replace("peer-netns@", "peer-netns="), made)
}

/// The `tag`s of a document's VLANs (native `tag="N"`, libvirt `<vlan tag='N'>`).
fn vlan_tags(xml: &str) -> Vec<u16> {
    let mut tags: Vec<u16> = xml
        .match_indices("tag=")
        .filter_map(|(at, _)| {
            let rest = &xml[at + 5..];
            rest[..rest.find(['"', '\''])?].parse().ok()
        })
        .collect();
    tags.sort();
    tags.dedup();
    tags
}

/// dnsmasq behind every stand-in of a document: a server namespace whose bridge `srv` joins the
/// stand-ins' peers, serving DHCPv4 (192.0.2.0/24, router 192.0.2.1) and, to a document with
/// `<dhcp6>` or `<autoconf>`, DHCPv6 and router advertisements with the autonomous flag but no
/// default router (2001:db8::/64), and the same but the router on a
/// VLAN of `srv` for each VLAN tag the document uses (198.51.100.0/24 and 2001:db8:TAG::/64 for
/// the first, ...).
/// Leases last an hour, so none is renewed while a walk looks. No DNS, no host name, no NIS:
/// nothing outside the namespaces changes.
pub struct DhcpServer {
    pub ns: Netns,
    child: Child,
}

impl DhcpServer {
    pub fn start(client: &Netns, peers: &[String], xml: &str) -> DhcpServer {
        let ns = Netns::new("dhcpsrv");
        ns.ip(&["link", "add", "srv", "type", "bridge", "stp_state", "0", "forward_delay", "0"]);
        ns.ip(&["link", "set", "srv", "up"]);
        for peer in peers {
            client.ip(&["link", "set", peer, "netns", &ns.name]);
            ns.ip(&["link", "set", peer, "master", "srv", "up"]);
        }
        let file = |n: &str| ns.dir.path().join(n);
        let mut conf = format!(
            "port=0\nuser=root\ndhcp-authoritative\nno-ping\nlog-dhcp\n\
             dhcp-leasefile={}\npid-file={}\nlog-facility={}\n",
            file("leases").display(),
            file("pid").display(),
            file("log").display(),
        );
        // IPv6 only for a document asking for it: router advertisements to a document of DHCPv4
        // alone give its links SLAAC addresses whenever they come, which are no concern of its.
        let ipv6 = xml.contains("<dhcp6") || xml.contains("<autoconf");
        if ipv6 {
            conf.push_str("enable-ra\n");
        }
        let mut serve = |dev: &str, v4: &str, v6: &str| {
            ns.ip(&["addr", "add", &format!("{v4}.1/24"), "dev", dev]);
            ns.ip(&["addr", "add", &format!("{v6}::1/64"), "dev", dev]);
            // Router lifetime 0: no default route from advertisements, which dnsmasq otherwise
            // gives or takes back as its own routes come and go.
            conf.push_str(&format!("interface={dev}\ndhcp-range={v4}.50,{v4}.99,255.255.255.0,1h\n"));
            if ipv6 {
                conf.push_str(&format!("dhcp-range={v6}::100,{v6}::1ff,slaac,64,1h\nra-param={dev},60,0\n"));
            }
        };
        serve("srv", "192.0.2", "2001:db8");
        for (i, tag) in vlan_tags(xml).into_iter().enumerate() {
            let dev = format!("srv.{tag}");
            ns.ip(&["link", "add", "link", "srv", "name", &dev, "type", "vlan", "id", &tag.to_string()]);
            ns.ip(&["link", "set", &dev, "up"]);
            serve(&dev, &format!("198.51.{}", 100 + i), &format!("2001:db8:{tag:x}"));
        }
        // A router on the untagged link only: a VLAN's lease beside a static default route
        // (format.md's first example) would make a second default route.
        conf.push_str("dhcp-option=tag:srv,option:router,192.0.2.1\n");
        std::fs::write(file("dnsmasq.conf"), conf).unwrap();
        let child = Command::new("ip")
            .args(["netns", "exec", &ns.name, "dnsmasq", "--keep-in-foreground", "--no-resolv"])
            .args(["--no-hosts", "--bind-interfaces"])
            .arg(format!("--conf-file={}", file("dnsmasq.conf").display()))
            .stdin(Stdio::null())
            .stderr(File::create(file("stderr")).unwrap())
            .spawn()
            .expect("start dnsmasq (apt-get install dnsmasq-base; .ci/run installs it)");
        let started = Instant::now();
        while !file("pid").exists() {
            assert!(started.elapsed() < Duration::from_secs(10), "dnsmasq did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        DhcpServer { ns, child }
    }

    pub fn log(&self) -> String {
        let read = |n: &str| std::fs::read_to_string(self.ns.dir.path().join(n)).unwrap_or_default();
        format!("{}{}", read("stderr"), read("log"))
    }
}

impl Drop for DhcpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The namespace's state once it has stopped changing (three snapshots half a second apart
/// agree), within fifteen seconds.
pub fn settled_state(ns: &Netns) -> Vec<String> {
    let mut last = ns.state();
    let mut same = 0;
    for _ in 0..30 {
        std::thread::sleep(Duration::from_millis(500));
        let now = ns.state();
        same = if now == last { same + 1 } else { 0 };
        if same == 2 {
            break;
        }
        last = now;
    }
    last
}

/// What a walk did with one document; each walk prints one such line per example.
pub fn report(place: &str, what: &str) {
    eprintln!("{place}: {what}");
}

/// Apply a complete document in a namespace of its own (veth stand-ins for the devices it names
/// but does not create, a DHCP server behind them when it asks for leases, its peer namespaces
/// made by the test), then plan it (nothing left to do) and re-apply it (nothing changes).
/// `normalise` leaves out of the snapshots what the kernel changes by itself. Returns what it
/// did, for the walk's report.
pub fn apply_and_reapply(e: &Example, normalise: fn(Vec<String>) -> Vec<String>) -> String {
    let started = Instant::now();
    let ns = Netns::new("doc");
    let (xml, _peer_namespaces) = with_own_peer_namespaces(&e.xml);
    let peers = add_stand_ins(&ns, &xml);
    let server = needs_dhcp(&xml).then(|| DhcpServer::start(&ns, &peers, &xml));
    let server_log = || server.as_ref().map(DhcpServer::log).unwrap_or_default();
    let doc = ns.dir.path().join("example.xml");
    std::fs::write(&doc, &xml).unwrap();
    let doc = doc.to_str().unwrap();
    let first = ns.netplug(&["apply", doc]);
    assert_eq!(first.code(), 0, "{}: apply failed:\n{}\n{}", e.place, first.stderr(), server_log());
    // Leases and router advertisements arrive on their own time, after an apply has returned.
    let after = normalise(if server.is_some() { settled_state(&ns) } else { ns.state() });
    assert_eq!(ns.plan_len(Path::new(doc)), 0, "{}: a plan after the apply is not empty", e.place);
    let again = ns.netplug(&["apply", doc]);
    assert_eq!(again.code(), 0, "{}: re-apply failed:\n{}\n{}", e.place, again.stderr(), server_log());
    crate::assert_same_state(&after, &normalise(ns.state()), &format!("{} re-applied", e.place));
    let how = match (server.is_some(), xml != e.xml) {
        (true, _) => "applied with leases from dnsmasq behind its stand-ins, re-applied as a no-op",
        (false, true) => "applied with its peer namespace made by the test, re-applied as a no-op",
        (false, false) => "applied and re-applied as a no-op",
    };
    format!("{how} ({:.1} s)", started.elapsed().as_secs_f64())
}
