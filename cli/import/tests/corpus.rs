//! The corpus under `tests/data/import/SOURCE/CASE/`: each case's input (`interfaces`, a
//! directory of ifcfg files, of netplan YAML or of networkd units) is imported and compared
//! with `expected.xml`, and what could not be imported with `unsupported.txt` (one
//! `FILE:LINE: not imported: …` line each, FILE relative to the case). `NETPLUG_BLESS=1`
//! rewrites the expectations from the current output, for review in the diff.

use std::path::{Path, PathBuf};

use netplug_import::{import, native, LinkTable, Source};

/// The links the MAC-matching cases of the corpus resolve against.
const LINKS: &[(&str, &str)] = &[("enp3s0", "52:54:00:12:34:01"), ("enp4s0", "52:54:00:12:34:02")];

fn corpus(source: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/import").join(source);
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("the corpus exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(!cases.is_empty(), "no cases in {}", dir.display());
    cases
}

fn check(source: Source, input: &str, case: &Path) {
    let got = import(source, Some(&case.join(input)), &LinkTable(LINKS))
        .unwrap_or_else(|e| panic!("{}: {e}", case.display()));
    let document = native::write(&got.document);
    let prefix = format!("{}/", case.display());
    let unsupported: String =
        got.unsupported.iter().map(|u| format!("{}\n", u.to_string().replace(&prefix, ""))).collect();
    let expected_doc = case.join("expected.xml");
    let expected_unsupported = case.join("unsupported.txt");
    if std::env::var_os("NETPLUG_BLESS").is_some() {
        std::fs::write(&expected_doc, &document).unwrap();
        std::fs::write(&expected_unsupported, &unsupported).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&expected_doc).unwrap_or_default();
    assert_eq!(document, want, "{}: the document differs from expected.xml", case.display());
    let want = std::fs::read_to_string(&expected_unsupported).unwrap_or_default();
    assert_eq!(unsupported, want, "{}: what was not imported differs from unsupported.txt", case.display());
}

#[test]
fn ifupdown_corpus() {
    for case in corpus("ifupdown") {
        check(Source::Ifupdown, "interfaces", &case);
    }
}

#[test]
fn networkd_corpus() {
    for case in corpus("networkd") {
        check(Source::Networkd, "network", &case);
    }
}

#[test]
fn netplan_corpus() {
    for case in corpus("netplan") {
        check(Source::Netplan, "netplan", &case);
    }
}

#[test]
fn ifcfg_corpus() {
    for case in corpus("ifcfg") {
        check(Source::Ifcfg, "network-scripts", &case);
    }
}
