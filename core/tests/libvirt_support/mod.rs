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

/// The plugins of libvirt's four kinds, built and loaded as netplug loads them: they translate
/// their subtrees. (Linked in process, two plugins' exported root modules would clash.)
pub fn registry() -> &'static netplug_core::registry::Registry {
    use std::os::unix::fs::PermissionsExt;
    use std::sync::OnceLock;
    static REGISTRY: OnceLock<netplug_core::registry::Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        const PLUGINS: [&str; 4] = ["bond", "bridge", "ethernet", "vlan"];
        let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        let profile = if cfg!(debug_assertions) { "debug" } else { "release" };
        // In the qemu guest the host built everything beforehand and the tree is read-only.
        if std::env::var_os("NETPLUG_IN_VM").is_none() {
            let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
            let mut build = std::process::Command::new(cargo);
            build.current_dir(&workspace).args(["build", "--quiet"]);
            build.args((profile == "release").then_some("--release"));
            for p in PLUGINS {
                build.args(["-p", &format!("netplug-plugin-{p}")]);
            }
            assert!(build.status().expect("run cargo build").success(), "building the plugins failed");
        }
        let dir = tempfile::tempdir().expect("a temporary directory");
        for p in PLUGINS {
            let file = format!("libnetplug_plugin_{p}.so");
            let to = dir.path().join(&file);
            std::fs::copy(workspace.join("target").join(profile).join(&file), &to).expect(&file);
            std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        let search = netplug_core::host::SearchPath::only(vec![dir.path().to_path_buf()]);
        let (registry, reports) = netplug_core::host::load_all(&search);
        assert_eq!(registry.plugins().len(), PLUGINS.len(), "{reports:#?}");
        // Plugins are never unloaded; neither is the directory they were loaded from.
        std::mem::forget(dir);
        registry
    })
}
