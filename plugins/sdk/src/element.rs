//! The position-carrying element tree that travels between core and plugins.
//!
//! Core parses XML into these trees and keeps the byte range, line and column of every element,
//! attribute name and attribute value, so a plugin that finds a bad value can point at it without
//! ever seeing the file. Plugins build the same trees when they read live state; those carry
//! `Span::default()` (line 0), which means "not from a file".

use serde::{Deserialize, Serialize};

/// Where something came from: a file (by core's index), a byte range and the 1-based line and
/// column of its first character. `line == 0` means the thing was synthesised, not parsed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Span {
    pub file: u32,
    pub start: u32,
    pub end: u32,
    pub line: u32,
    pub col: u32,
}

impl Span {
    /// True when this span points into a parsed file.
    pub fn is_known(&self) -> bool {
        self.line != 0
    }
}

/// One `name="value"` attribute, with the span of its name and of its value (without quotes).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribute {
    pub name: String,
    pub value: String,
    #[serde(default, skip_serializing_if = "is_unknown", with = "compact_span")]
    pub span: Span,
    #[serde(default, skip_serializing_if = "is_unknown", with = "compact_span")]
    pub value_span: Span,
}

/// An XML element: name, attributes in document order, child elements and trimmed text.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Element {
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<Attribute>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Element>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "is_unknown", with = "compact_span")]
    pub span: Span,
}

fn is_unknown(span: &Span) -> bool {
    !span.is_known()
}

/// Element and attribute spans cross the plugin boundary as `[file, start, end, line, col]`:
/// a document's items carry three per attribute, and as objects they were most of the bytes
/// every validation encoded and decoded. Reading accepts the object form too.
mod compact_span {
    use std::fmt;

    use serde::de::{self, MapAccess, SeqAccess, Visitor};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::Span;

    pub fn serialize<S: Serializer>(span: &Span, s: S) -> Result<S::Ok, S::Error> {
        [span.file, span.start, span.end, span.line, span.col].serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Span, D::Error> {
        d.deserialize_any(SpanVisitor)
    }

    struct SpanVisitor;

    impl<'de> Visitor<'de> for SpanVisitor {
        type Value = Span;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a span: [file, start, end, line, col] or an object")
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Span, A::Error> {
            let mut next = |i| seq.next_element::<u32>()?.ok_or_else(|| de::Error::invalid_length(i, &self));
            let span = Span { file: next(0)?, start: next(1)?, end: next(2)?, line: next(3)?, col: next(4)? };
            Ok(span)
        }

        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Span, A::Error> {
            Span::deserialize(de::value::MapAccessDeserializer::new(map))
        }
    }
}

impl Element {
    /// A synthesised element with no position.
    pub fn new(name: impl Into<String>) -> Self {
        Element { name: name.into(), ..Default::default() }
    }

    /// Builder: append an attribute (synthesised, no position).
    pub fn with_attr(mut self, name: impl Into<String>, value: impl ToString) -> Self {
        self.set_attr(name, value);
        self
    }

    /// Builder: append a child element.
    pub fn with_child(mut self, child: Element) -> Self {
        self.children.push(child);
        self
    }

    /// Builder: set the text content.
    pub fn with_text(mut self, text: impl Into<String>) -> Self {
        self.text = Some(text.into());
        self
    }

    /// The attribute called `name`, if present.
    pub fn attr(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// The value of the attribute called `name`, if present.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.attr(name).map(|a| a.value.as_str())
    }

    /// Set (replace or append) an attribute's value, keeping the position of an existing one.
    pub fn set_attr(&mut self, name: impl Into<String>, value: impl ToString) {
        let name = name.into();
        let value = value.to_string();
        match self.attributes.iter_mut().find(|a| a.name == name) {
            Some(a) => a.value = value,
            None => self.attributes.push(Attribute {
                name,
                value,
                span: Span::default(),
                value_span: Span::default(),
            }),
        }
    }

    /// Remove an attribute, returning it.
    pub fn remove_attr(&mut self, name: &str) -> Option<Attribute> {
        let i = self.attributes.iter().position(|a| a.name == name)?;
        Some(self.attributes.remove(i))
    }

    /// The first child element called `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// All child elements called `name`, in document order.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The span of an attribute's value if the attribute exists, else of the element.
    pub fn span_of(&self, attr: &str) -> Span {
        self.attr(attr).map(|a| a.value_span).unwrap_or(self.span)
    }

    /// A copy with every span cleared, for comparing trees by content only.
    pub fn without_spans(&self) -> Element {
        Element {
            name: self.name.clone(),
            attributes: self
                .attributes
                .iter()
                .map(|a| Attribute {
                    name: a.name.clone(),
                    value: a.value.clone(),
                    span: Span::default(),
                    value_span: Span::default(),
                })
                .collect(),
            children: self.children.iter().map(Element::without_spans).collect(),
            text: self.text.clone(),
            span: Span::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_cross_as_arrays_and_read_back_from_either_form() {
        let span = Span { file: 1, start: 2, end: 3, line: 4, col: 5 };
        let mut e = Element::new("static").with_attr("ipaddr", "10.0.0.1/24");
        e.span = span;
        e.attributes[0].value_span = span;
        let json = serde_json::to_string(&e).unwrap();
        assert!(json.contains(r#""span":[1,2,3,4,5]"#), "{json}");
        assert_eq!(serde_json::from_str::<Element>(&json).unwrap(), e);
        let object = r#"{"name":"x","span":{"file":1,"start":2,"end":3,"line":4,"col":5}}"#;
        assert_eq!(serde_json::from_str::<Element>(object).unwrap().span, span);
    }
}
