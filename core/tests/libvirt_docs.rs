//! The examples of `docs/format.md` stay true: every XML block is well-formed, and every block
//! that is whole interfaces reads without errors in its dialect (libvirt blocks through the
//! libvirt reader, so they also convert).

mod libvirt_support;

use netplug_core::dialect::{libvirt, native};
use netplug_core::xml;
use netplug_plugin_sdk::Element;

fn xml_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match (&mut current, line.trim_start()) {
            // `xml fragment` marks a snippet that is not a whole document (docs_examples.rs).
            (None, "```xml" | "```xml fragment") => current = Some(String::new()),
            (Some(_), "```") => blocks.push(current.take().unwrap()),
            (Some(b), _) => {
                b.push_str(line);
                b.push('\n');
            }
            _ => {}
        }
    }
    blocks
}

/// A block as a tree; several sibling elements are read as inside `<interfaces>`.
fn parse_block(block: &str) -> Element {
    xml::parse(block, 0)
        .or_else(|_| {
            let body = block.trim_start().strip_prefix("<?xml version=\"1.0\"?>").unwrap_or(block);
            xml::parse(&format!("<interfaces>\n{body}</interfaces>"), 0)
        })
        .unwrap_or_else(|d| panic!("example does not parse: {d:?}\n{block}"))
}

/// Whole interfaces, not a fragment such as `<start mode='none'/>` or a libvirt `<bond>`.
fn is_document(root: &Element) -> bool {
    let named = |e: &Element| ["name", "device", "type"].iter().any(|a| e.attr(a).is_some());
    if root.name == "interfaces" {
        !root.children.is_empty() && root.children.iter().all(named)
    } else {
        named(root)
    }
}

#[test]
fn every_example_in_the_format_document_reads() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/format.md");
    let blocks = xml_blocks(&std::fs::read_to_string(path).expect("docs/format.md"));
    assert!(blocks.len() >= 20, "found only {} examples", blocks.len());
    let mut read = 0;
    for block in &blocks {
        let root = parse_block(block);
        if !is_document(&root) {
            continue;
        }
        let (_, diags) = if libvirt::looks_like(&root) {
            libvirt::read(&root, libvirt_support::registry())
        } else {
            native::read(root, libvirt_support::registry())
        };
        let errors: Vec<_> = diags.iter().filter(|d| d.is_error()).collect();
        assert!(errors.is_empty(), "{errors:?}\n{block}");
        read += 1;
    }
    assert!(read >= 10, "only {read} examples were whole documents");
}
