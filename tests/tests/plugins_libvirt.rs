//! A kind core has never heard of takes part in libvirt's dialect through its plugin (ABI
//! 1.1): the `hello` fixture translates `<interface type='hello'><hello tone=..></interface>`
//! both ways, and its diagnostics point into the libvirt file.

mod plugins_support;

use netplug_core::dialect::libvirt;
use netplug_core::source::SourceMap;
use netplug_core::xml;
use plugins_support::{load, plugin_dir};

const DOC: &str =
    "<interface type='hello' name='h0'>\n  <mtu size='1400'/>\n  <hello tone='loud'/>\n</interface>\n";

#[test]
fn a_plugins_own_kind_reads_and_writes_in_the_libvirt_dialect() {
    let dir = plugin_dir(&["hello"]);
    let (registry, _) = load(&[dir.path()]);
    let root = xml::parse(DOC, 0).unwrap();
    assert!(libvirt::looks_like(&root));

    let (interfaces, diagnostics) = libvirt::read(&root, &registry);
    assert_eq!(diagnostics, []);
    let h0 = &interfaces[0];
    assert_eq!((h0.name.as_str(), h0.kind.as_str(), h0.mtu), ("h0", "hello", Some(1400)));
    let tone = h0.element.attr("tone").expect("the plugin's attribute");
    assert_eq!(tone.value, "loud");
    // The span is the libvirt value's: line 3, column 16.
    assert_eq!((tone.value_span.line, tone.value_span.col), (3, 16));

    let (text, dropped) = libvirt::write_document(&interfaces, &registry);
    assert_eq!(dropped, Vec::<String>::new());
    let again = xml::parse(&text, 0).unwrap();
    assert_eq!(again.without_spans(), root.without_spans(), "{text}");
}

#[test]
fn the_plugins_problems_point_into_the_libvirt_file() {
    let dir = plugin_dir(&["hello"]);
    let (registry, _) = load(&[dir.path()]);
    let doc = DOC.replace("tone='loud'", "tone='loud' tune='x'");
    let mut sources = SourceMap::new();
    sources.add("h.xml", &doc);
    let (_, diagnostics) = libvirt::read(&xml::parse(&doc, 0).unwrap(), &registry);
    let rendered: Vec<String> = diagnostics.iter().map(|d| sources.render(d)).collect();
    assert_eq!(rendered.len(), 1, "{rendered:?}");
    assert!(rendered[0].starts_with("h.xml:3:22: error: h0: "), "{rendered:?}");
    assert!(rendered[0].contains("tune"), "{rendered:?}");
}

#[test]
fn a_type_no_plugin_translates_is_refused_at_its_value() {
    let dir = plugin_dir(&["hello"]);
    let (registry, _) = load(&[dir.path()]);
    let doc = "<interface type='veth' name='v0'/>";
    let (_, diagnostics) = libvirt::read(&xml::parse(doc, 0).unwrap(), &registry);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!((diagnostics[0].span.line, diagnostics[0].span.col), (1, 18));
    assert!(diagnostics[0].message.contains("expected hello"), "{diagnostics:?}");
}
