//! Property tests of the XML layer: writing then parsing any tree gives the tree back, spans
//! agree with a naive line/column count, and no input — random or a mangled valid document —
//! makes the parser panic.

use netplug_core::load::load_bytes;
use netplug_core::source::SourceMap;
use netplug_core::xml;
use netplug_plugin_sdk::{Attribute, Element, Span};
use proptest::prelude::*;

/// Characters XML 1.0 can carry, weighted towards the ones that need escaping.
fn xml_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => prop::sample::select(vec!['&', '<', '>', '"', '\'', ' ', '\t', '\n', '\r', ';', '#', ']']),
        4 => prop::char::range('a', 'z'),
        2 => any::<char>().prop_filter("XML 1.0 Char", |&c| {
            matches!(c, '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
        }),
    ]
}

fn xml_string(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(xml_char(), 0..max).prop_map(|v| v.into_iter().collect())
}

fn name() -> impl Strategy<Value = String> {
    "[a-zA-Z_:é][a-zA-Z0-9_:.\\-é·]{0,6}"
}

fn attributes() -> impl Strategy<Value = Vec<Attribute>> {
    prop::collection::vec((name(), xml_string(10)), 0..4).prop_map(|attrs| {
        let mut out: Vec<Attribute> = Vec::new();
        for (name, value) in attrs {
            if out.iter().all(|a| a.name != name) {
                out.push(Attribute { name, value, span: Span::default(), value_span: Span::default() });
            }
        }
        out
    })
}

/// Empty text cannot survive a round trip (`<x></x>` reads as no text), so it is `None`.
fn text() -> impl Strategy<Value = Option<String>> {
    prop::option::of(xml_string(12)).prop_map(|t| t.filter(|t| !t.is_empty()))
}

fn element() -> impl Strategy<Value = Element> {
    let leaf = (name(), attributes(), text()).prop_map(|(name, attributes, text)| Element {
        name,
        attributes,
        text,
        ..Element::default()
    });
    leaf.prop_recursive(4, 40, 5, |inner| {
        (name(), attributes(), text(), prop::collection::vec(inner, 0..5)).prop_map(
            |(name, attributes, text, children)| Element {
                name,
                attributes,
                children,
                text,
                span: Span::default(),
            },
        )
    })
}

/// Line and column of a byte offset, counted the slow, obvious way.
fn naive_line_col(text: &str, offset: usize) -> (u32, u32) {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().unwrap().chars().count() + 1;
    (line as u32, col as u32)
}

fn check_span(text: &str, span: Span) {
    assert!(span.start <= span.end && span.end as usize <= text.len(), "{span:?} outside the text");
    assert_eq!((span.line, span.col), naive_line_col(text, span.start as usize), "{span:?}");
}

/// Every span of a parsed tree points where it should.
fn check_spans(text: &str, e: &Element) {
    check_span(text, e.span);
    assert!(text[e.span.start as usize..].starts_with(&format!("<{}", e.name)));
    for a in &e.attributes {
        check_span(text, a.span);
        check_span(text, a.value_span);
        assert_eq!(&text[a.span.start as usize..a.span.end as usize], a.name);
    }
    for c in &e.children {
        check_spans(text, c);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn write_then_parse_is_the_identity(e in element()) {
        let text = xml::write(&e);
        let parsed = xml::parse(&text, 0).unwrap_or_else(|d| panic!("{d:?}\n{text}"));
        prop_assert_eq!(parsed.without_spans(), e.without_spans());
        check_spans(&text, &parsed);
        prop_assert_eq!(xml::write(&parsed), text);
    }

    #[test]
    fn arbitrary_strings_never_panic(text in any::<String>()) {
        if let Err(d) = xml::parse(&text, 0) {
            check_span(&text, d.span);
        }
    }

    #[test]
    fn markup_soup_never_panics(text in "[<>/!?&;#x0-9a-c\"'=\\[\\] \n\r\t-]{0,40}") {
        match xml::parse(&text, 0) {
            Ok(e) => check_spans(&text, &e),
            Err(d) => check_span(&text, d.span),
        }
    }

    #[test]
    fn mangled_documents_never_panic(
        e in element(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0..3u8), 1..6),
    ) {
        let mut bytes = xml::write(&e).into_bytes();
        for (at, byte, op) in edits {
            let i = at.index(bytes.len() + 1);
            match op {
                0 => bytes.insert(i, byte),
                1 if i < bytes.len() => drop(bytes.remove(i)),
                _ if i < bytes.len() => bytes[i] = byte,
                _ => {}
            }
        }
        match std::str::from_utf8(&bytes) {
            Ok(text) => match xml::parse(text, 0) {
                Ok(e) => check_spans(text, &e),
                Err(d) => check_span(text, d.span),
            },
            Err(_) => {
                let mut sources = SourceMap::new();
                let (_, diagnostics, dialect) = load_bytes("x.xml", &bytes, &mut sources, &netplug_core::registry::Registry::new());
                prop_assert!(dialect.is_none());
                prop_assert_eq!(diagnostics.len(), 1);
            }
        }
    }
}
