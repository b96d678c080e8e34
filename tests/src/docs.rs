//! The XML examples of `docs/*.md` and `README.md`, and the schemas they are checked against.
//!
//! A block fenced as ```` ```xml ```` is a complete document. Other blocks say what they are
//! after `xml`: `fragment` (part of a document), `invalid` (shows netplug's diagnostics),
//! `plugin` (needs the example plugin of docs/plugin-guide.md).

use std::path::{Path, PathBuf};
use std::process::Command;

use netplug_core::dialect::libvirt;
use netplug_core::xml;
use netplug_plugin_sdk::Element;

use crate::{netplug, workspace};

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
    // The documents of docs/examples name this machine's files and namespaces (a key file, a
    // container's namespace): checked as the fragments that do are, well-formed and valid by
    // the schema (tests/tests/vm_container_host.rs applies the container host's in the guest).
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("docs/examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    files.sort();
    for file in files {
        let rel = file.strip_prefix(&root).unwrap().display().to_string();
        let xml = std::fs::read_to_string(&file).unwrap();
        out.push(Example { place: format!("{rel}:1"), kind: Kind::Fragment, xml });
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
