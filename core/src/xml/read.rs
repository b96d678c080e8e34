//! Reading a document into an [`Element`] tree that knows where every part of it came from.
//!
//! quick-xml's slice reader hands out events that borrow from the input, so the byte offset of
//! a name or value is its address minus the input's; nothing is re-scanned. Well-formedness
//! checks quick-xml leaves to its caller (names, characters, end tags, entities, a single
//! root) are done here so that each failure is one [`Diagnostic`] at the offending character.

use netplug_plugin_sdk::{Attribute, Diagnostic, Element};
use quick_xml::errors::{Error as XmlError, IllFormedError, SyntaxError};
use quick_xml::events::attributes::AttrError;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::chars::{check_name, is_space, is_xml_char, resolve_entity};
use super::locate::Locator;

/// Elements nested deeper than this are refused: a network description never needs it, and
/// code that walks trees (drop, compare, write) recurses.
pub const MAX_DEPTH: usize = 256;

/// Parse a whole document into its root element. Spans carry `file`; the first problem found
/// is returned as an error diagnostic pinned to where it is.
pub fn parse(text: &str, file: u32) -> Result<Element, Diagnostic> {
    let bom = if text.starts_with('\u{feff}') { '\u{feff}'.len_utf8() } else { 0 };
    Parser { text, loc: Locator::new(text, file), bom }.run()
}

struct Parser<'a> {
    text: &'a str,
    loc: Locator<'a>,
    /// Length of a UTF-8 byte order mark, which quick-xml would skip without counting it.
    bom: usize,
}

/// An element whose end tag has not been seen yet.
struct Open {
    element: Element,
    text: TextBuf,
}

/// Text content being collected. Literal whitespace at either end is trimmed, but whitespace
/// written as a character reference or inside CDATA is kept, so a writer can preserve it.
#[derive(Default)]
struct TextBuf {
    text: String,
    /// Where the first significant character starts, once there is one.
    start: Option<usize>,
    /// Where the last significant character ends.
    end: usize,
}

impl TextBuf {
    fn push_literal(&mut self, s: &str) {
        let Some(first) = s.find(|c: char| !is_space(c)) else {
            // Leading whitespace will be trimmed anyway; not keeping it saves memory between
            // the thousands of children of `<interfaces>`.
            if self.start.is_some() {
                self.text.push_str(s);
            }
            return;
        };
        let base = self.text.len();
        let last = s.trim_end_matches(is_space).len();
        self.start.get_or_insert(base + first);
        self.end = base + last;
        self.text.push_str(s);
    }

    fn push_significant(&mut self, s: &str) {
        if !s.is_empty() {
            self.start.get_or_insert(self.text.len());
            self.text.push_str(s);
            self.end = self.text.len();
        }
    }

    fn finish(self) -> Option<String> {
        let start = self.start?;
        let mut text = self.text;
        text.truncate(self.end);
        text.drain(..start);
        Some(text)
    }
}

impl<'a> Parser<'a> {
    fn run(mut self) -> Result<Element, Diagnostic> {
        let mut reader = Reader::from_str(&self.text[self.bom..]);
        let config = reader.config_mut();
        // End tags are matched here, so the error can say where the element was opened.
        config.check_end_names = false;
        config.allow_unmatched_ends = true;
        config.check_comments = true;
        let mut stack: Vec<Open> = Vec::new();
        let mut root: Option<Element> = None;
        let mut first_event = true;
        loop {
            let start = reader.buffer_position() as usize + self.bom;
            let event = match reader.read_event() {
                Ok(event) => event,
                Err(e) => return Err(self.quick_error(&e, reader.error_position() as usize + self.bom)),
            };
            let end = reader.buffer_position() as usize + self.bom;
            match event {
                Event::Start(tag) => {
                    let element = self.start_tag(&tag, root.is_some(), stack.len())?;
                    stack.push(Open { element, text: TextBuf::default() });
                }
                Event::Empty(tag) => {
                    let mut element = self.start_tag(&tag, root.is_some(), stack.len())?;
                    element.span.end = end as u32;
                    attach(element, &mut stack, &mut root);
                }
                Event::End(tag) => {
                    let name = self.slice(&tag);
                    let Some(open) = stack.pop() else {
                        return Err(self.error(start, format!("`</{name}>` closes no open element")));
                    };
                    if name != open.element.name {
                        let s = open.element.span;
                        return Err(self
                            .error(start, format!("expected `</{}>`, found `</{name}>`", open.element.name))
                            .with_help(format!(
                                "<{}> was opened at {}:{}",
                                open.element.name, s.line, s.col
                            )));
                    }
                    let mut element = open.element;
                    element.text = open.text.finish();
                    element.span.end = end as u32;
                    attach(element, &mut stack, &mut root);
                }
                Event::Text(text) => {
                    let at = self.offset_of(&text);
                    let s = self.slice(&text);
                    match stack.last_mut() {
                        Some(open) => self.literal(s, at, &mut open.text)?,
                        None => self.outside_root(s, at, root.is_some())?,
                    }
                }
                Event::GeneralRef(r) => {
                    let amp = self.offset_of(&r) - 1;
                    let name = self.slice(&r);
                    let Some(open) = stack.last_mut() else {
                        return Err(self.misplaced(amp, root.is_some()));
                    };
                    match resolve_entity(name) {
                        Some(c) => open.text.push_significant(c.encode_utf8(&mut [0; 4])),
                        None => return Err(self.bad_entity(name, amp)),
                    }
                }
                Event::CData(cdata) => {
                    let at = self.offset_of(&cdata);
                    let s = self.slice(&cdata);
                    let Some(open) = stack.last_mut() else {
                        return Err(self.misplaced(start, root.is_some()));
                    };
                    self.check_chars(s, at, "CDATA")?;
                    open.text.push_significant(&normalize_newlines(s));
                }
                Event::Decl(_) if !first_event => {
                    return Err(self.error(start, "the XML declaration `<?xml ...?>` must come first"));
                }
                Event::DocType(_) => return Err(self.doctype(start)),
                Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
                Event::Eof => break,
            }
            first_event = false;
        }
        if let Some(open) = stack.pop() {
            let name = open.element.name;
            return Err(Diagnostic::error(open.element.span, format!("<{name}> is never closed"))
                .with_help(format!("expected `</{name}>` before the end of the document")));
        }
        root.ok_or_else(|| {
            Diagnostic::error(
                self.loc.end_span(),
                "empty document: expected a root element such as <interface>",
            )
        })
    }

    /// Build the element of a start (or empty-element) tag, with its attributes.
    fn start_tag(
        &mut self,
        tag: &BytesStart<'_>,
        have_root: bool,
        depth: usize,
    ) -> Result<Element, Diagnostic> {
        let content = self.offset_of(tag);
        let lt = content - 1;
        let name = self.slice(tag.name().into_inner());
        if let Err(i) = check_name(name) {
            return Err(if name.is_empty() {
                self.error(content, "expected an element name after `<`")
            } else {
                self.bad_name(name, i, content, "an element")
            });
        }
        if depth == 0 && have_root {
            return Err(self
                .error(lt, format!("a document has one root element; <{name}> follows it"))
                .with_help("wrap several interfaces in <interfaces>"));
        }
        if depth >= MAX_DEPTH {
            return Err(self.error(lt, format!("elements are nested more than {MAX_DEPTH} deep")));
        }
        let mut element =
            Element { name: name.to_string(), span: self.loc.span(lt, lt), ..Element::default() };
        let mut attributes = tag.attributes();
        attributes.with_checks(false);
        // Past a few attributes, earlier names are looked up in a map: a scan per attribute
        // made 200,000 of them take most of a minute.
        let mut seen: std::collections::HashMap<&'a str, usize> = std::collections::HashMap::new();
        for attribute in attributes {
            let attribute = attribute.map_err(|e| self.attr_error(&e, content))?;
            let key_at = self.offset_of(attribute.key.into_inner());
            let key = self.slice(attribute.key.into_inner());
            if !self.text.as_bytes()[key_at - 1].is_ascii_whitespace() {
                return Err(self.error(key_at, "attributes must be separated by whitespace"));
            }
            if let Err(i) = check_name(key) {
                return Err(self.bad_name(key, i, key_at, "an attribute"));
            }
            let earlier = if element.attributes.len() < 16 {
                element.attributes.iter().position(|a| a.name == key)
            } else {
                if seen.is_empty() {
                    seen.extend(element.attributes.iter().enumerate().map(|(i, a)| (self.key_of(a), i)));
                }
                seen.get(key).copied()
            };
            if let Some(first) = earlier {
                let s = element.attributes[first].span;
                return Err(self
                    .error(key_at, format!("duplicate attribute `{key}` on <{name}>"))
                    .with_help(format!("first given at {}:{}", s.line, s.col)));
            }
            let span = self.loc.span(key_at, key_at + key.len());
            let raw_at = self.offset_of(&attribute.value);
            let raw = self.slice(&attribute.value);
            let value = self.attribute_value(raw, raw_at)?;
            let value_span = self.loc.span(raw_at, raw_at + raw.len());
            if !seen.is_empty() {
                seen.insert(key, element.attributes.len());
            }
            element.attributes.push(Attribute { name: key.to_string(), value, span, value_span });
        }
        Ok(element)
    }

    /// Unescape an attribute value and normalise its whitespace as XML requires: each literal
    /// tab, line feed or line end becomes one space; character references are kept as written.
    fn attribute_value(&mut self, raw: &str, at: usize) -> Result<String, Diagnostic> {
        // Nearly every value is plain printable ASCII, which is kept as it is.
        if raw.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b'&' && b != b'<') {
            return Ok(raw.to_string());
        }
        let mut out = String::with_capacity(raw.len());
        let mut chars = raw.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                '&' => {
                    let Some(name) = raw[i + 1..].split_once(';').map(|(name, _)| name) else {
                        return Err(self.error(at + i, "a bare `&` must be written `&amp;`"));
                    };
                    match resolve_entity(name) {
                        Some(c) => out.push(c),
                        None => return Err(self.bad_entity(name, at + i)),
                    }
                    let after = i + 1 + name.len() + 1;
                    while chars.next_if(|&(j, _)| j < after).is_some() {}
                }
                '<' => {
                    return Err(self
                        .error(at + i, "`<` is not allowed in an attribute value; write `&lt;`")
                        .with_help("is a closing quote missing before it?"));
                }
                '\t' | '\n' => out.push(' '),
                '\r' => {
                    out.push(' ');
                    chars.next_if(|&(_, c)| c == '\n');
                }
                c if !is_xml_char(c) => return Err(self.bad_char(c, at + i, "an attribute value")),
                c => out.push(c),
            }
        }
        Ok(out)
    }

    /// Literal text inside an element.
    fn literal(&mut self, s: &str, at: usize, buf: &mut TextBuf) -> Result<(), Diagnostic> {
        self.check_chars(s, at, "text")?;
        buf.push_literal(&normalize_newlines(s));
        Ok(())
    }

    /// Text before or after the root element: only whitespace may be there.
    fn outside_root(&mut self, s: &str, at: usize, after: bool) -> Result<(), Diagnostic> {
        match s.find(|c: char| !is_space(c)) {
            Some(i) => Err(self.misplaced(at + i, after)),
            None => Ok(()),
        }
    }

    fn misplaced(&mut self, at: usize, after: bool) -> Diagnostic {
        if after {
            self.error(at, "unexpected content after the root element")
        } else {
            self.error(at, "unexpected text before the root element")
        }
    }

    fn check_chars(&mut self, s: &str, at: usize, what: &str) -> Result<(), Diagnostic> {
        match s.char_indices().find(|&(_, c)| !is_xml_char(c)) {
            Some((i, c)) => Err(self.bad_char(c, at + i, what)),
            None => Ok(()),
        }
    }

    fn bad_char(&mut self, c: char, at: usize, what: &str) -> Diagnostic {
        self.error(at, format!("character U+{:04X} is not allowed in {what}", c as u32))
    }

    fn bad_name(&mut self, name: &str, i: usize, at: usize, what: &str) -> Diagnostic {
        let c = name[i..].chars().next().unwrap_or(' ');
        let place = if i == 0 { "start" } else { "be part of" };
        self.error(at + i, format!("`{c}` cannot {place} {what} name (in `{name}`)"))
    }

    /// What went wrong with `&name;` (or a bare `&` followed by `name`) at `amp`.
    fn bad_entity(&mut self, name: &str, amp: usize) -> Diagnostic {
        if let Some(digits) = name.strip_prefix('#') {
            let what = format!("`&#{digits};` is not a character reference to a character XML allows");
            return self.error(amp, what);
        }
        if check_name(name).is_ok() {
            return self.error(amp, format!("unknown entity `&{name};`")).with_help(
                "XML defines only &lt; &gt; &amp; &apos; &quot;; write other characters as themselves",
            );
        }
        self.error(amp, "a bare `&` must be written `&amp;`")
    }

    fn doctype(&mut self, at: usize) -> Diagnostic {
        self.error(at, "DOCTYPE declarations are not supported").with_help("remove the `<!DOCTYPE ...>` line")
    }

    fn attr_error(&mut self, e: &AttrError, content: usize) -> Diagnostic {
        match *e {
            AttrError::ExpectedEq(p) => self.error(content + p, "expected `=` after the attribute name"),
            AttrError::ExpectedValue(p) => self.error(content + p, "expected a quoted value after `=`"),
            AttrError::UnquotedValue(p) => self.error(content + p, "attribute values must be quoted"),
            AttrError::ExpectedQuote(p, q) => {
                self.error(content + p, format!("attribute value is not closed: missing `{}`", q as char))
            }
            AttrError::Duplicated(p, _) => self.error(content + p, "duplicate attribute"),
        }
    }

    /// Turn quick-xml's error into ours; `at` is where quick-xml says the problem starts.
    fn quick_error(&mut self, e: &XmlError, at: usize) -> Diagnostic {
        match e {
            XmlError::Syntax(SyntaxError::UnclosedTag) => self.unclosed_tag(at),
            XmlError::Syntax(SyntaxError::UnclosedComment) => {
                self.error(at, "comment is not closed: `-->` not found before the end")
            }
            XmlError::Syntax(SyntaxError::UnclosedCData) => {
                self.error(at, "CDATA section is not closed: `]]>` not found before the end")
            }
            XmlError::Syntax(SyntaxError::UnclosedPIOrXmlDecl) => {
                self.error(at, "processing instruction is not closed: `?>` not found before the end")
            }
            XmlError::Syntax(SyntaxError::UnclosedDoctype)
            | XmlError::IllFormed(IllFormedError::MissingDoctypeName) => {
                let lt = self.text[..at.min(self.text.len())].rfind("<!").unwrap_or(at);
                self.doctype(lt)
            }
            XmlError::Syntax(SyntaxError::InvalidBangMarkup) => {
                self.error(at, "unknown markup after `<!`: expected `<!--` or `<![CDATA[`")
            }
            XmlError::IllFormed(IllFormedError::DoubleHyphenInComment) => {
                self.error(at, "`--` is not allowed inside a comment")
            }
            XmlError::IllFormed(IllFormedError::UnclosedReference) => {
                self.error(at, "a bare `&` must be written `&amp;`")
            }
            other => self.error(at, other.to_string()),
        }
    }

    /// quick-xml found no `>` for the tag at `lt`. Usually a quote was left open and swallowed
    /// the rest; point at it when that is what happened.
    fn unclosed_tag(&mut self, lt: usize) -> Diagnostic {
        let mut quote: Option<(u8, usize)> = None;
        for (i, &b) in self.text.as_bytes().iter().enumerate().skip(lt + 1) {
            match quote {
                Some((q, _)) if b == q => quote = None,
                Some((_, open)) if b == b'<' => {
                    return self
                        .error(i, "`<` is not allowed in an attribute value; write `&lt;`")
                        .with_help(self.opened_quote_help(open));
                }
                Some(_) => {}
                None if b == b'"' || b == b'\'' => quote = Some((b, i)),
                None => {}
            }
        }
        match quote {
            Some((q, open)) => {
                self.error(open, format!("attribute value is not closed: missing `{}`", q as char))
            }
            None => self.error(lt, "tag is not closed: `>` not found before the end"),
        }
    }

    fn opened_quote_help(&mut self, open: usize) -> String {
        let (line, col) = self.loc.line_col(open);
        format!("is the closing quote of the value opened at {line}:{col} missing?")
    }

    /// One error diagnostic covering the character at `at`.
    fn error(&mut self, at: usize, message: impl Into<String>) -> Diagnostic {
        let at = at.min(self.text.len());
        let len = self.text[at..].chars().next().map_or(0, char::len_utf8);
        Diagnostic::error(self.loc.span(at, at + len), message)
    }

    /// Byte offset in the document of a slice quick-xml handed out; the slice reader only
    /// borrows from the input, so this is pointer arithmetic.
    fn offset_of(&self, part: &[u8]) -> usize {
        let base = self.text.as_ptr() as usize;
        let p = part.as_ptr() as usize;
        debug_assert!(p >= base && p + part.len() <= base + self.text.len(), "slice not from the input");
        p.saturating_sub(base).min(self.text.len())
    }

    /// The document text of a slice quick-xml handed out (its boundaries are ASCII markup).
    /// An attribute's name as it is in the input (so a map of names borrows, not copies).
    fn key_of(&self, a: &Attribute) -> &'a str {
        self.text.get(a.span.start as usize..a.span.end as usize).unwrap_or_default()
    }

    fn slice(&self, part: &[u8]) -> &'a str {
        let at = self.offset_of(part);
        self.text.get(at..at + part.len()).unwrap_or_default()
    }
}

fn attach(element: Element, stack: &mut [Open], root: &mut Option<Element>) {
    match stack.last_mut() {
        Some(parent) => parent.element.children.push(element),
        None => *root = Some(element),
    }
}

/// XML's end-of-line handling: `\r\n` and a lone `\r` are read as `\n`.
fn normalize_newlines(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains('\r') {
        s.replace("\r\n", "\n").replace('\r', "\n").into()
    } else {
        s.into()
    }
}
