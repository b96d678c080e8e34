//! Tests of `load`: several files concatenated in order, every problem reported without
//! stopping the other files, encodings checked, and the dialect detected per file.

mod libvirt_support;

use std::path::PathBuf;

use netplug_core::load::{detect, load_bytes, load_files, load_str};
use netplug_core::model::Dialect;
use netplug_core::source::SourceMap;
use netplug_core::xml;

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn files_are_concatenated_and_every_problem_reported() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(&dir, "a.xml", b"<interface device=\"eth0\"/>\n");
    let bad = write(&dir, "bad.xml", b"<bond name=\"b\">\n");
    let missing = dir.path().join("missing.xml");
    let b = write(
        &dir,
        "b.xml",
        b"<interfaces>\n  <bond name=\"bond0\" mtu=\"9\"/>\n  <bridge name=\"br0\"/>\n</interfaces>\n",
    );
    let loaded =
        load_files(&[a.clone(), bad.clone(), missing.clone(), b.clone()], libvirt_support::registry());
    let names: Vec<_> = loaded.config.interfaces.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["eth0", "bond0", "br0"]);
    assert_eq!(loaded.dialects, [Dialect::Native, Dialect::Native]);
    let rendered: Vec<_> = loaded.diagnostics.iter().map(|d| loaded.sources.render(d)).collect();
    let (bad, missing, b) = (bad.display(), missing.display(), b.display());
    assert_eq!(
        rendered,
        [
            format!(
                "{bad}:1:1: error: <bond> is never closed (expected `</bond>` before the end of the \
                document)"
            ),
            format!("{missing}: error: cannot read {missing}: No such file or directory"),
            format!(
                "{b}:2:27: error: bond0: invalid mtu `9`: must be between 68 and 65535 (68 is the \
                IPv4 minimum)"
            ),
        ]
    );
    assert!(loaded.has_errors());
    // Spans index the file they came from.
    assert_eq!(loaded.sources.files().len(), 4);
    assert_eq!(loaded.config.interfaces[2].name_span.file, 3);
}

#[test]
fn encodings() {
    let mut sources = SourceMap::new();
    let (_, diagnostics, dialect) =
        load_bytes("x.xml", b"<a>\n  caf\xe9</a>", &mut sources, libvirt_support::registry());
    assert_eq!(dialect, None);
    assert_eq!(
        sources.render(&diagnostics[0]),
        "x.xml:2:6: error: invalid UTF-8: byte 0xe9 cannot appear here"
    );
    let utf16: Vec<u8> =
        [0xff, 0xfe].into_iter().chain("<a/>".encode_utf16().flat_map(u16::to_le_bytes)).collect();
    let (_, diagnostics, _) = load_bytes("y.xml", &utf16, &mut sources, libvirt_support::registry());
    assert_eq!(
        sources.render(&diagnostics[0]),
        "y.xml:1:1: error: the document is UTF-16; netplug reads UTF-8"
    );
    let (interfaces, diagnostics, _) = load_bytes(
        "z.xml",
        "\u{feff}<bond name=\"b\"/>".as_bytes(),
        &mut sources,
        libvirt_support::registry(),
    );
    assert_eq!((interfaces.len(), diagnostics.len()), (1, 0));
}

#[test]
fn dialect_detection() {
    let dialect = |text: &str| detect(&xml::parse(text, 0).unwrap());
    assert_eq!(dialect("<interface type=\"ethernet\" name=\"eth0\"/>"), Dialect::Libvirt);
    assert_eq!(
        dialect("<interfaces><interface type=\"bridge\" name=\"br0\"/></interfaces>"),
        Dialect::Libvirt
    );
    assert_eq!(dialect("<interface device=\"eth0\"/>"), Dialect::Native);
    assert_eq!(
        dialect("<interfaces><interface device=\"eth0\"/><bond name=\"b\"/></interfaces>"),
        Dialect::Native
    );
    // `type` means libvirt only on <interface>: a plugin's kind may well have a `type`.
    assert_eq!(dialect("<tunnel name=\"t0\" type=\"gre\"/>"), Dialect::Native);

    let mut sources = SourceMap::new();
    let text = "<interface type=\"ethernet\" name=\"eth0\">\n  <start mode=\"onboot\"/>\n  <mtu size=\"9000\"/>\n</interface>";
    let (interfaces, diagnostics, detected) =
        load_str("l.xml", text, &mut sources, libvirt_support::registry());
    assert_eq!(detected, Some(Dialect::Libvirt));
    assert_eq!(diagnostics, []);
    assert_eq!((interfaces[0].name.as_str(), interfaces[0].kind.as_str()), ("eth0", "ethernet"));
    assert_eq!(interfaces[0].mtu, Some(9000));
}

#[test]
fn libvirt_envelope_problems_point_into_the_libvirt_file() {
    let mut sources = SourceMap::new();
    let text = "<interface type=\"ethernet\" name=\"eth0\">\n  <mtu size=\"9\"/>\n</interface>";
    let (_, diagnostics, _) = load_str("l.xml", text, &mut sources, libvirt_support::registry());
    let rendered: Vec<_> = diagnostics.iter().map(|d| sources.render(d)).collect();
    assert_eq!(
        rendered,
        ["l.xml:2:14: error: eth0: invalid mtu `9`: must be between 68 and 65535 (68 is the IPv4 minimum)"]
    );
}
