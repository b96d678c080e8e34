//! Every libvirt document netplug writes is one libvirt accepts: checked with `xmllint
//! --relaxng` against libvirt's own `interface.rng` (from Debian's libvirt0, not a copy):
//! `convert --to libvirt` of core's libvirt corpus and of every native example in docs/,
//! and `show`, `dumpxml` and `dumpxml --inactive` with `--libvirt` of live interfaces.
//! (docs_examples.rs checks the docs' own libvirt examples.)

use std::path::{Path, PathBuf};
use std::process::Command;

use netplug_tests::docs::{examples, libvirt_documents, libvirt_interface_rng, libvirt_valid, Dialect, Kind};
use netplug_tests::{document, netplug, workspace, Netns};

fn corpus() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(workspace().join("core/tests/fixtures/libvirt"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "core's libvirt corpus was not found");
    files
}

/// `netplug convert --to DIALECT FILE`: the document written.
fn convert(to: &str, file: &Path) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(netplug())
        .args(["convert", "--to", to])
        .arg(file)
        .env("NETPLUG_RUN_DIR", dir.path().join("run"))
        .env_remove("NETPLUG_PLUGIN_PATH")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "convert --to {to} {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Every libvirt document in `xml` is valid by libvirt's schema; how many there were.
fn check(schema: &Path, what: &str, xml: &str, bad: &mut Vec<String>) -> usize {
    if xml.trim().is_empty() {
        return 0;
    }
    let documents = libvirt_documents(xml);
    for d in &documents {
        if let Err(why) = libvirt_valid(schema, d) {
            bad.push(format!("{what}: {why}\n{d}"));
        }
    }
    documents.len()
}

#[test]
fn core_corpus_and_what_netplug_converts_it_to_are_valid_by_libvirts_schema() {
    let schema = libvirt_interface_rng();
    let mut bad = Vec::new();
    let dir = tempfile::tempdir().unwrap();
    for file in corpus() {
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        check(schema, &name, &std::fs::read_to_string(&file).unwrap(), &mut bad);
        check(schema, &format!("{name} converted to libvirt"), &convert("libvirt", &file), &mut bad);
        let native = document(dir.path(), &format!("{name}.native.xml"), &convert("native", &file));
        check(schema, &format!("{name} to native and back"), &convert("libvirt", &native), &mut bad);
    }
    assert!(bad.is_empty(), "{}", bad.join("\n\n"));
}

#[test]
fn every_native_example_converted_to_libvirt_is_valid_by_libvirts_schema() {
    let schema = libvirt_interface_rng();
    let dir = tempfile::tempdir().unwrap();
    let mut bad = Vec::new();
    let mut written = 0;
    for (i, e) in examples().into_iter().enumerate() {
        if e.kind != Kind::Document || e.dialect() != Dialect::Native {
            continue;
        }
        let file = document(dir.path(), &format!("example{i}.xml"), &e.xml);
        written += check(schema, &e.place, &convert("libvirt", &file), &mut bad);
    }
    assert!(bad.is_empty(), "{}", bad.join("\n\n"));
    assert!(written >= 15, "only {written} libvirt documents written");
}

#[test]
fn show_and_dumpxml_write_what_libvirts_schema_accepts() {
    let schema = libvirt_interface_rng();
    let ns = Netns::new("lvrng");
    // A stand-in NIC of a kind no plugin claims (a veth is the veth plugin's, which libvirt's
    // dialect cannot say): read as an ethernet interface, as netcf reads any plain device.
    ns.ip(&["link", "add", "eth0", "type", "ifb"]);
    let doc = document(
        ns.dir.path(),
        "br0.xml",
        r#"<interfaces>
  <interface device="eth0" mtu="1400"/>
  <bridge name="br0" stp="on" forwarddelay="4" mtu="1400">
    <member device="eth0"/>
    <static ipaddr="192.0.2.5/24" gateway="192.0.2.1"/>
    <static ipaddr="2001:db8::5/64"/>
  </bridge>
</interfaces>
"#,
    );
    let doc = doc.to_str().unwrap();
    ns.netplug(&["apply", doc]).ok();
    ns.netplug(&["define", doc]).ok();
    let mut bad = Vec::new();
    let mut written = 0;
    for args in [
        &["show", "--libvirt"][..],
        &["show", "--libvirt", "br0"],
        &["dumpxml", "--libvirt", "br0"],
        &["dumpxml", "--libvirt", "eth0"],
        &["dumpxml", "--inactive", "--libvirt", "br0"],
    ] {
        written += check(schema, &args.join(" "), &ns.netplug(args).ok(), &mut bad);
    }
    assert!(bad.is_empty(), "{}", bad.join("\n\n"));
    assert!(written >= 5, "only {written} documents written");
}

#[test]
fn libvirts_schema_refuses_what_libvirt_refuses() {
    let schema = libvirt_interface_rng();
    let bogus = "<interface type='ethernet' name='eth0'><bogus/></interface>";
    assert!(libvirt_valid(schema, bogus).is_err());
    let three = "<interface type='bond' name='bond0'><bond mode='active-backup'>\
                 <arpmon interval='100' target='10.0.0.1,10.0.0.2,x'/>\
                 <interface type='ethernet' name='eth0'/></bond></interface>";
    assert!(libvirt_valid(schema, three).is_ok(), "one target is what libvirt takes");
    let wrong = three.replace("mode='active-backup'", "mode='fastest'");
    assert!(libvirt_valid(schema, &wrong).is_err());
}

#[test]
fn show_and_dumpxml_in_libvirts_dialect_name_what_they_leave_out() {
    let ns = Netns::new("lvdrop");
    let doc = document(
        ns.dir.path(),
        "kinds.xml",
        r#"<interfaces>
  <veth name="ve0" peer="ve1"/>
  <vxlan name="vx0" id="42" remote="192.0.2.9"/>
  <bridge name="br0" stp="off">
    <member device="ve0"/>
    <member device="vx0"/>
  </bridge>
</interfaces>
"#,
    );
    ns.netplug(&["apply", doc.to_str().unwrap()]).ok();
    let run = ns.netplug(&["show", "--libvirt"]);
    let (out, err) = (run.ok(), run.stderr());
    assert!(out.contains(r#"name="br0""#), "{out}");
    // The bridge's ports libvirt's bridges cannot hold, and the interfaces of kinds it has no
    // form for, each named with why.
    for port in ["ve0", "vx0"] {
        let line = format!("netplug: warning: dropped (libvirt cannot express it): br0: port {port} (a ");
        assert!(err.contains(&line), "no warning about port {port}:\n{err}");
    }
    for (name, kind) in [("ve0", "veth"), ("ve1", "veth"), ("vx0", "vxlan")] {
        let line = format!("dropped (libvirt cannot express it): {name}: kind {kind} (libvirt has ");
        assert!(err.contains(&line), "no warning about {name}:\n{err}");
    }
    let run = ns.netplug(&["dumpxml", "--libvirt", "vx0"]);
    assert!(run.ok().trim().is_empty() || !run.stdout().contains("vx0"), "{}", run.stdout());
    assert!(run.stderr().contains("vx0: kind vxlan (libvirt has "), "{}", run.stderr());
}
