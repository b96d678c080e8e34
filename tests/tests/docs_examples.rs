//! Documentation that is tested: every XML example in `docs/*.md`, `README.md` and `docs/examples/*.xml`.
//!
//! A block fenced as ```` ```xml ```` is a complete document: `netplug validate` accepts it,
//! and where the host's kernel can (see `Walk` in tests/src/docs.rs) it is applied in a
//! namespace of its own, with a veth stand-in for each device it names but does not create
//! (and dnsmasq behind them when it asks for leases), and re-applied as a no-op (an empty
//! plan, the same state). Other blocks say what they are after `xml`:
//! `fragment` (part of a document; must be well-formed), `invalid` (shows netplug's
//! diagnostics: must be refused), `plugin` (needs the example plugin of
//! docs/plugin-guide.md; must be well-formed).

use std::process::Command;

use netplug_tests::docs::{
    apply_and_reapply, examples, libvirt_documents, libvirt_interface_rng, libvirt_valid, native_schema,
    relaxng_valid, report, stand_ins, Dialect, Example, Kind, Walk,
};
use netplug_tests::netplug;

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
            Kind::Fragment | Kind::Plugin => {}
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// Every example, in the order of the docs, with what this walk did with it: a document the
/// host can take is applied and re-applied as a no-op; every other example is reported with
/// where it is applied instead or why it is only validated. None is left out silently.
#[test]
fn documents_apply_in_a_namespace_and_reapply_as_no_ops() {
    let mut applied = 0;
    for e in examples() {
        let what = match (&e.kind, Walk::of(&e.xml)) {
            (Kind::Document, Walk::Host) => {
                applied += 1;
                apply_and_reapply(&e, |state| state)
            }
            (Kind::Document, Walk::Guest(lacks)) => {
                format!("validated; applied in the qemu guest (vm_docs), the host's kernel lacks {lacks}")
            }
            (Kind::Document, Walk::Nowhere(why)) => format!("validated only: {why}"),
            (Kind::Fragment, _) => "a fragment: well-formed, checked by its dialect's schema".to_string(),
            (Kind::Invalid, _) => "shows diagnostics: refused by validate".to_string(),
            (Kind::Plugin, _) => "needs the guide's example plugin: well-formed".to_string(),
        };
        report(&e.place, &what);
    }
    assert!(applied >= 10, "only {applied} documents applied");
}

#[test]
fn stand_ins_are_what_a_document_names_but_does_not_create() {
    let xml = "<interfaces>\n<interface device=\"eth0\"/>\n<bridge name=\"br0\"><member device=\"eth0\"/>\
               <member device=\"eth9\"/></bridge>\n<interface type='bridge' name='br1'>\
               <bridge><interface type='ethernet' name='ens3'/></bridge></interface></interfaces>";
    assert_eq!(stand_ins(xml), ["ens3", "eth0", "eth9"]);
}

/// What a fragment of the native dialect needs around it to be a document: a feature element
/// goes in an `<interface>`. A fragment that is interfaces already (one that names key files
/// this machine does not have, say) stays as it is.
fn native_document(e: &Example) -> String {
    // A whole file (docs/examples) opens with the XML declaration and a comment.
    let mut text = e.xml.trim_start();
    text = text.strip_prefix("<?xml version=\"1.0\"?>").unwrap_or(text).trim_start();
    while let Some(rest) = text.strip_prefix("<!--") {
        text = rest.split_once("-->").map_or("", |(_, after)| after).trim_start();
    }
    let first_tag = &text[..text.find('>').unwrap_or(text.len())];
    let whole = text.starts_with("<interfaces") || first_tag.contains(" name=");
    match e.kind {
        Kind::Fragment if !whole => format!("<interface device=\"eth0\">\n{}</interface>\n", e.xml),
        _ => e.xml.clone(),
    }
}

#[test]
fn every_native_example_is_valid_by_the_schema_netplug_writes() {
    let dir = tempfile::tempdir().unwrap();
    let schema = native_schema(dir.path(), &[]);
    let mut bad = Vec::new();
    let mut checked = 0;
    // `plugin` blocks need the guide's example plugin (tests/tests/plugin_compat.rs builds it);
    // `invalid` ones are invalid.
    for e in examples().into_iter().filter(|e| matches!(e.kind, Kind::Document | Kind::Fragment)) {
        if e.dialect() != Dialect::Native {
            continue;
        }
        if let Err(why) = relaxng_valid(&schema, &native_document(&e)) {
            bad.push(format!("{}: {why}", e.place));
        }
        checked += 1;
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    assert!(checked >= 12, "only {checked} native examples checked");
}

#[test]
fn the_schema_netplug_writes_refuses_unknown_elements_and_attributes() {
    let dir = tempfile::tempdir().unwrap();
    let schema = native_schema(dir.path(), &[]);
    for (xml, what) in [
        (r#"<bridge name="br0"><nonsense/></bridge>"#, "nonsense"),
        (r#"<bridge name="br0"><membr device="eth0"/></bridge>"#, "membr"),
        (r#"<bridge name="br0" fowarddelay="4"/>"#, "fowarddelay"),
        (r#"<interfaces><tunnel name="t0"/></interfaces>"#, "tunnel"),
        (r#"<bond name="bond0" mode="fastest"/>"#, "mode"),
        // `device_settings`: a bridge takes no <ethtool>, a VLAN only its <feature>s.
        (r#"<bridge name="br0"><ethtool speed="1000"/></bridge>"#, "ethtool"),
        (r#"<vlan name="v" device="eth0" tag="5"><ethtool speed="1000"/></vlan>"#, "ethtool"),
        (r#"<interface device="eth0"><dhcp/><dhcp/></interface>"#, "dhcp"),
    ] {
        let refused = relaxng_valid(&schema, xml).expect_err(xml);
        assert!(refused.contains(what), "{xml}: {refused}");
        let (code, _) = validate(xml);
        assert_eq!(code, 1, "netplug validate accepts what the schema refuses: {xml}");
    }
    let feature = r#"<vlan name="v" device="eth0" tag="5"><ethtool><feature name="rx-gro-hw" state="off"/></ethtool></vlan>"#;
    assert_eq!(relaxng_valid(&schema, feature), Ok(()));
}

#[test]
fn every_libvirt_example_is_valid_by_libvirts_own_schema() {
    let schema = libvirt_interface_rng();
    let mut bad = Vec::new();
    let mut checked = 0;
    for e in examples().into_iter().filter(|e| matches!(e.kind, Kind::Document | Kind::Fragment)) {
        if e.dialect() != Dialect::Libvirt {
            continue;
        }
        let documents = match e.kind {
            Kind::Fragment => {
                vec![format!("<interface type='ethernet' name='eth0'>\n{}</interface>\n", e.xml)]
            }
            _ => libvirt_documents(&e.xml),
        };
        for d in documents {
            if let Err(why) = libvirt_valid(schema, &d) {
                bad.push(format!("{}: {why}", e.place));
            }
            checked += 1;
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    assert!(checked >= 10, "only {checked} libvirt examples checked");
}
