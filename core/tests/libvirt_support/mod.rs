//! Helpers shared by the libvirt dialect's tests: fixtures, parsing, and comparing trees by
//! content only.

#![allow(dead_code)]

use std::path::PathBuf;

use netplug_core::source::SourceMap;
use netplug_core::xml;
use netplug_plugin_sdk::{Diagnostic, Element};

pub fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/libvirt")
}

/// Every libvirt fixture as (file name, text), sorted by name.
pub fn fixtures() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(fixture_dir())
        .expect("fixture directory")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .map(|p| {
            (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    out.sort();
    out
}

pub fn fixture(name: &str) -> String {
    std::fs::read_to_string(fixture_dir().join(name)).expect(name)
}

pub fn parse(text: &str) -> Element {
    xml::parse(text, 0).unwrap_or_else(|d| panic!("does not parse: {d:?}\n{text}"))
}

/// Content only: spans cleared, attributes sorted by name (their order is formatting).
pub fn normal(e: &Element) -> Element {
    let mut e = e.without_spans();
    sort(&mut e);
    e
}

fn sort(e: &mut Element) {
    e.attributes.sort_by(|a, b| a.name.cmp(&b.name));
    e.children.iter_mut().for_each(sort);
}

pub fn normal_all(elements: &[Element]) -> Vec<Element> {
    elements.iter().map(normal).collect()
}

/// Diagnostics as `LINE:COL: severity: message (help)` lines, for assertion messages.
pub fn render(text: &str, diags: &[Diagnostic]) -> String {
    let mut sources = SourceMap::new();
    sources.add("doc.xml", text);
    diags.iter().map(|d| sources.render(d)).collect::<Vec<_>>().join("\n")
}

pub fn errors(diags: &[Diagnostic]) -> Vec<&Diagnostic> {
    diags.iter().filter(|d| d.is_error()).collect()
}

/// The text a span covers in `text`.
pub fn spanned(text: &str, span: netplug_plugin_sdk::Span) -> &str {
    &text[span.start as usize..span.end as usize]
}
