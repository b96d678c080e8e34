//! Writing element trees back as pretty-printed XML that [`super::parse`] reads back unchanged.
//!
//! Two spaces per level, attributes in their order, `<x/>` for an empty element, text on one
//! line. Characters the reader would change are written as references: line breaks (the
//! reader turns them into spaces in attributes), and whitespace at either end of text (the
//! reader trims literal whitespace there).

use netplug_plugin_sdk::Element;

/// A whole document: the element at the left margin and a final newline.
pub fn write(element: &Element) -> String {
    let mut out = String::new();
    write_element(&mut out, element, 0);
    out.push('\n');
    out
}

/// One element indented `depth` levels, without a final newline, for embedding in messages
/// or in a larger document.
pub fn write_fragment(element: &Element, depth: usize) -> String {
    let mut out = String::new();
    write_element(&mut out, element, depth);
    out
}

fn write_element(out: &mut String, element: &Element, depth: usize) {
    indent(out, depth);
    out.push('<');
    out.push_str(&element.name);
    for a in &element.attributes {
        out.push(' ');
        out.push_str(&a.name);
        out.push_str("=\"");
        escape_attribute(out, &a.value);
        out.push('"');
    }
    match (&element.text, element.children.is_empty()) {
        (None, true) => {
            out.push_str("/>");
            return;
        }
        (Some(text), true) => {
            out.push('>');
            escape_text(out, text);
        }
        (text, false) => {
            out.push('>');
            if let Some(text) = text {
                out.push('\n');
                indent(out, depth + 1);
                escape_text(out, text);
            }
            for child in &element.children {
                out.push('\n');
                write_element(out, child, depth + 1);
            }
            out.push('\n');
            indent(out, depth);
        }
    }
    out.push_str("</");
    out.push_str(&element.name);
    out.push('>');
}

fn indent(out: &mut String, depth: usize) {
    out.extend(std::iter::repeat_n("  ", depth));
}

fn escape_attribute(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c if hidden(c) => reference(out, c),
            c => out.push(c),
        }
    }
}

/// Characters written as references so that none reaches a terminal as it is: controls (an
/// interface name from the kernel may hold ESC or BEL; XML 1.0 has no place for most of them,
/// and a reader refuses the reference, which is right for a name netplug cannot configure) and
/// the bidirectional overrides.
fn hidden(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn reference(out: &mut String, c: char) {
    use std::fmt::Write as _;
    let _ = write!(out, "&#x{:X};", c as u32);
}

fn escape_text(out: &mut String, text: &str) {
    let is_space = super::chars::is_space;
    let first = text.find(|c: char| !is_space(c)).unwrap_or(text.len());
    let last = text.trim_end_matches(is_space).len().max(first);
    for (i, c) in text.char_indices() {
        let edge = i < first || i >= last;
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            // One line, and the reader's newline normalisation and trimming must not apply.
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' if edge => out.push_str("&#9;"),
            ' ' if edge => out.push_str("&#32;"),
            c if hidden(c) => reference(out, c),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_prints() {
        let e = Element::new("bond")
            .with_attr("name", "bond0")
            .with_attr("note", "a<b & \"c\" 'd'\n")
            .with_child(Element::new("slave").with_attr("device", "eth0"))
            .with_child(Element::new("hwaddr").with_text(" x > y "));
        assert_eq!(
            write(&e),
            "<bond name=\"bond0\" note=\"a&lt;b &amp; &quot;c&quot; &apos;d&apos;&#10;\">\n  \
             <slave device=\"eth0\"/>\n  <hwaddr>&#32;x &gt; y&#32;</hwaddr>\n</bond>\n"
        );
    }

    #[test]
    fn text_beside_children_gets_its_own_line() {
        let e = Element::new("a").with_text("t").with_child(Element::new("b"));
        assert_eq!(write(&e), "<a>\n  t\n  <b/>\n</a>\n");
        assert_eq!(write_fragment(&e, 1), "  <a>\n    t\n    <b/>\n  </a>");
    }
}
