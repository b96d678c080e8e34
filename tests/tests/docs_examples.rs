//! Documentation that is tested: every XML example in `docs/*.md` and `README.md`.
//!
//! A block fenced as ```` ```xml ```` is a complete document: `netplug validate` accepts it,
//! and where this machine can (see [`why_not_applied`]) it is applied in a namespace of its
//! own, with a veth stand-in for each device it names but does not create, and re-applied
//! as a no-op (an empty plan, the same state). Other blocks say what they are after `xml`:
//! `fragment` (part of a document; must be well-formed), `invalid` (shows netplug's
//! diagnostics: must be refused), `plugin-veth` (needs the example plugin of
//! docs/plugin-guide.md; must be well-formed).

use std::path::{Path, PathBuf};
use std::process::Command;

use netplug_tests::{assert_same_state, netplug, workspace, Netns};

struct Example {
    /// `docs/format.md:42`: where the block starts.
    place: String,
    kind: Kind,
    xml: String,
}

#[derive(Debug, PartialEq)]
enum Kind {
    Document,
    Fragment,
    Invalid,
    PluginVeth,
}

fn examples() -> Vec<Example> {
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
                "plugin-veth" => Kind::PluginVeth,
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
    assert!(out.len() >= 20, "the docs' XML examples were not found: {}", out.len());
    out
}

/// `xmllint --noout` on the text; a fragment inside a root of its own.
fn well_formed(example: &Example) -> Result<(), String> {
    let body = example.xml.trim_start().strip_prefix("<?xml version=\"1.0\"?>").unwrap_or(&example.xml);
    let text = match example.kind {
        Kind::Document => example.xml.clone(),
        _ => format!("<fragment>\n{body}</fragment>\n"),
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("example.xml");
    std::fs::write(&file, text).unwrap();
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg(&file)
        .output()
        .expect("xmllint is needed (apt-get install libxml2-utils; .ci/run installs it)");
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn validate(xml: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("example.xml");
    std::fs::write(&file, xml).unwrap();
    let out = Command::new(netplug())
        .arg("validate")
        .arg(&file)
        .env("NETPLUG_RUN_DIR", dir.path().join("run"))
        .env_remove("NETPLUG_PLUGIN_PATH")
        .output()
        .unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn every_example_is_well_formed() {
    let bad: Vec<String> = examples()
        .iter()
        .filter_map(|e| well_formed(e).err().map(|why| format!("{}: {why}", e.place)))
        .collect();
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn every_document_validates_and_every_invalid_one_is_refused() {
    let mut bad = Vec::new();
    for e in examples() {
        match e.kind {
            Kind::Document => {
                let (code, stderr) = validate(&e.xml);
                if code != 0 {
                    bad.push(format!("{}: exit {code}:\n{stderr}", e.place));
                }
            }
            Kind::Invalid => {
                let (code, stderr) = validate(&e.xml);
                if code != 1 || !stderr.contains("error:") {
                    bad.push(format!("{}: shown as invalid, but exit {code}:\n{stderr}", e.place));
                }
            }
            Kind::Fragment | Kind::PluginVeth => {}
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// Why a document is not applied on this machine, if it is not: what the host's kernel or
/// a namespace of veth stand-ins cannot give it. The vm tier's kernel has bonding and 802.1Q
/// (see docs/testing.md); DHCP needs a server on the link.
fn why_not_applied(xml: &str) -> Option<&'static str> {
    if xml.contains("<bond") || xml.contains("type='bond'") {
        Some("bonding: the host's kernel lacks it")
    } else if xml.contains("<vlan") || xml.contains("type='vlan'") {
        Some("802.1Q: the host's kernel lacks it")
    } else if xml.contains("<wireguard") {
        Some("WireGuard: the host's kernel lacks it")
    } else if xml.contains("<dhcp") || xml.contains("<autoconf") {
        Some("DHCP and SLAAC need a server on the link")
    } else if xml.contains("<ethtool") || xml.contains("<link ") {
        Some("veth stand-ins cannot take a NIC's ethtool settings")
    } else {
        None
    }
}

/// The devices a document names but does not create: the ethernet interfaces it configures
/// and the ports it refers to.
fn stand_ins(xml: &str) -> Vec<String> {
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
            "bridge" | "bond" | "vlan" => created.extend(attr("name")),
            _ => {}
        }
    }
    named.retain(|n| !created.contains(n));
    named.sort();
    named.dedup();
    named
}

#[test]
fn documents_apply_in_a_namespace_and_reapply_as_no_ops() {
    let mut applied = 0;
    for e in examples().into_iter().filter(|e| e.kind == Kind::Document) {
        if let Some(why) = why_not_applied(&e.xml) {
            eprintln!("{}: validated, not applied here ({why})", e.place);
            continue;
        }
        let ns = Netns::new("doc");
        for (i, dev) in stand_ins(&e.xml).iter().enumerate() {
            ns.ip(&["link", "add", dev, "type", "veth", "peer", "name", &format!("standin{i}")]);
        }
        let doc = ns.dir.path().join("example.xml");
        std::fs::write(&doc, &e.xml).unwrap();
        let doc = doc.to_str().unwrap();
        let first = ns.netplug(&["apply", doc]);
        assert_eq!(first.code(), 0, "{}: apply failed:\n{}", e.place, first.stderr());
        let after = ns.state();
        assert_eq!(ns.plan_len(Path::new(doc)), 0, "{}: a plan after the apply is not empty", e.place);
        let again = ns.netplug(&["apply", doc]);
        assert_eq!(again.code(), 0, "{}: re-apply failed:\n{}", e.place, again.stderr());
        assert_same_state(&after, &ns.state(), &format!("{} re-applied", e.place));
        applied += 1;
    }
    assert!(applied >= 4, "only {applied} documents applied");
}

#[test]
fn stand_ins_are_what_a_document_names_but_does_not_create() {
    let xml = "<interfaces>\n<interface device=\"eth0\"/>\n<bridge name=\"br0\"><member device=\"eth0\"/>\
               <member device=\"eth9\"/></bridge>\n<interface type='bridge' name='br1'>\
               <bridge><interface type='ethernet' name='ens3'/></bridge></interface></interfaces>";
    assert_eq!(stand_ins(xml), ["ens3", "eth0", "eth9"]);
}
