//! Tests of `xml::parse`: spans of elements, attribute names and values, text handling, and
//! the exact position and message of every kind of malformed document.

use netplug_core::source::SourceMap;
use netplug_core::xml;
use netplug_plugin_sdk::{Element, Span};

/// Parse as `net.xml`; the rendered diagnostic on failure.
fn parse(text: &str) -> Result<Element, String> {
    let mut sources = SourceMap::new();
    let file = sources.add("net.xml", text);
    xml::parse(text, file).map_err(|d| sources.render(&d))
}

fn error(text: &str) -> String {
    match parse(text) {
        Ok(e) => panic!("parsed, expected an error: {e:?}"),
        Err(rendered) => rendered,
    }
}

fn span(start: u32, end: u32, line: u32, col: u32) -> Span {
    Span { file: 0, start, end, line, col }
}

#[test]
fn spans_of_elements_attribute_names_and_values() {
    let text = "<bond name=\"bond0\" mode='active-backup'>\n  <slave device=\"eth0\"/>\n</bond>\n";
    let root = parse(text).unwrap();
    assert_eq!(root.span, span(0, 73, 1, 1));
    let name = root.attr("name").unwrap();
    assert_eq!((name.span, name.value_span), (span(6, 10, 1, 7), span(12, 17, 1, 13)));
    let mode = root.attr("mode").unwrap();
    assert_eq!(mode.value, "active-backup");
    assert_eq!(mode.value_span, span(25, 38, 1, 26));
    let slave = &root.children[0];
    assert_eq!(slave.span, span(43, 65, 2, 3));
    assert_eq!(slave.attr("device").unwrap().value_span, span(58, 62, 2, 18));
    assert_eq!(&text[58..62], "eth0");
}

#[test]
fn columns_count_characters_not_bytes() {
    // `é` and `ü` are two bytes each; `😀` is four bytes but one column.
    let text = "<é ü=\"😀\">\n\t<x a=\"b\"/></é>";
    let root = parse(text).unwrap();
    let u = root.attr("ü").unwrap();
    assert_eq!(u.span, span(4, 6, 1, 4));
    assert_eq!(u.value_span, span(8, 12, 1, 7));
    assert_eq!(root.children[0].attr("a").unwrap().value_span.col, 8);
    assert_eq!(
        error("<é ü=\"ö\" ü=\"x\"/>"),
        "net.xml:1:10: error: duplicate attribute `ü` on <é> (first given at 1:4)"
    );
}

#[test]
fn byte_order_mark_is_skipped_but_counted_in_offsets() {
    let root = parse("\u{feff}<a x=\"1\"/>").unwrap();
    assert_eq!(root.span, span(3, 13, 1, 2));
    assert_eq!(error("\u{feff}<a/>junk"), "net.xml:1:6: error: unexpected content after the root element");
}

#[test]
fn text_is_trimmed_unescaped_and_joined() {
    let root = parse("<a>\n  x &lt; y&#x20;&amp;<![CDATA[<z>]]>\n  <b/>\n  tail\n</a>").unwrap();
    assert_eq!(root.text.as_deref(), Some("x < y &<z>\n  \n  tail"));
    assert_eq!(root.children[0].text, None);
    // Whitespace written as a reference or inside CDATA is kept at the ends.
    assert_eq!(parse("<a>&#32;x&#9;</a>").unwrap().text.as_deref(), Some(" x\t"));
    assert_eq!(parse("<a> <![CDATA[ ]]> </a>").unwrap().text.as_deref(), Some(" "));
    assert_eq!(parse("<a>  \n\t </a>").unwrap().text, None);
    // Line ends are normalised to `\n`.
    assert_eq!(parse("<a>x\r\ny\rz</a>").unwrap().text.as_deref(), Some("x\ny\nz"));
}

#[test]
fn attribute_values_are_unescaped_and_whitespace_normalised() {
    let root =
        parse("<a v=\"&lt;&gt;&amp;&quot;&apos;&#65;&#x42;\" w='a\r\nb\tc' x=\"&#10;\" e=\"\"/>").unwrap();
    assert_eq!(root.value("v"), Some("<>&\"'AB"));
    assert_eq!(root.value("w"), Some("a b c"));
    assert_eq!(root.value("x"), Some("\n"));
    assert_eq!(root.value("e"), Some(""));
    // The empty value's span is empty, just after its opening quote.
    assert_eq!(root.attr("e").unwrap().value_span, span(68, 68, 2, 19));
}

#[test]
fn comments_declarations_and_processing_instructions_are_skipped() {
    let text = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- top -->\n<a><?pi data?><!-- in \
        --><b/></a>\n<!-- end -->\n";
    let root = parse(text).unwrap();
    assert_eq!(root.children.len(), 1);
    assert_eq!(root.span.line, 3);
}

#[test]
fn unclosed_and_mismatched_tags() {
    assert_eq!(
        error("<interfaces>\n  <bond name=\"b\">\n</interfaces>"),
        "net.xml:3:1: error: expected `</bond>`, found `</interfaces>` (<bond> was opened at 2:3)"
    );
    assert_eq!(
        error("<interfaces>\n  <bond/>\n"),
        "net.xml:1:1: error: <interfaces> is never closed (expected `</interfaces>` before the end of the \
            document)"
    );
    assert_eq!(error("<a/>\n</a>"), "net.xml:2:1: error: `</a>` closes no open element");
    assert_eq!(error("<a>\n  <b\n"), "net.xml:2:3: error: tag is not closed: `>` not found before the end");
    assert_eq!(
        error("<a></a b>"),
        "net.xml:1:4: error: expected `</a>`, found `</a b>` (<a> was opened at 1:1)"
    );
}

#[test]
fn bad_attribute_syntax() {
    assert_eq!(error("<a\n  b=1/>"), "net.xml:2:5: error: attribute values must be quoted");
    assert_eq!(error("<a b/>"), "net.xml:1:5: error: expected `=` after the attribute name");
    assert_eq!(error("<a b=/>"), "net.xml:1:6: error: expected a quoted value after `=`");
    assert_eq!(error("<a b='1'c='2'/>"), "net.xml:1:9: error: attributes must be separated by whitespace");
    assert_eq!(
        error("<a b='1'\n   b=\"2\"/>"),
        "net.xml:2:4: error: duplicate attribute `b` on <a> (first given at 1:4)"
    );
    assert_eq!(error("<a 1b='x'/>"), "net.xml:1:4: error: `1` cannot start an attribute name (in `1b`)");
    assert_eq!(
        error("<a>\n  <b c='<'/></a>"),
        "net.xml:2:9: error: `<` is not allowed in an attribute value; write `&lt;` (is a closing quote \
            missing before it?)"
    );
}

#[test]
fn an_unclosed_quote_is_found_where_it_opened() {
    assert_eq!(
        error("<a>\n  <b c=\"x/>\n</a>\n"),
        "net.xml:3:1: error: `<` is not allowed in an attribute value; write `&lt;` \
         (is the closing quote of the value opened at 2:8 missing?)"
    );
    assert_eq!(error("<a b=\"x/>"), "net.xml:1:6: error: attribute value is not closed: missing `\"`");
}

#[test]
fn bad_names() {
    assert_eq!(error("<1a/>"), "net.xml:1:2: error: `1` cannot start an element name (in `1a`)");
    assert_eq!(error("< a/>"), "net.xml:1:2: error: expected an element name after `<`");
    assert_eq!(error("<>"), "net.xml:1:2: error: expected an element name after `<`");
    assert_eq!(error("<a/ >"), "net.xml:1:3: error: `/` cannot be part of an element name (in `a/`)");
}

#[test]
fn garbage_around_the_root() {
    assert_eq!(
        error("<a/>\n<b/>"),
        "net.xml:2:1: error: a document has one root element; <b> follows it \
        (wrap several interfaces in <interfaces>)"
    );
    assert_eq!(error("<a/>\n  x"), "net.xml:2:3: error: unexpected content after the root element");
    assert_eq!(error("x<a/>"), "net.xml:1:1: error: unexpected text before the root element");
    assert_eq!(error("<a/>&amp;"), "net.xml:1:5: error: unexpected content after the root element");
    assert_eq!(error("<a/><![CDATA[x]]>"), "net.xml:1:5: error: unexpected content after the root element");
}

#[test]
fn empty_documents() {
    assert_eq!(error(""), "net.xml:1:1: error: empty document: expected a root element such as <interface>");
    assert_eq!(
        error("<?xml version=\"1.0\"?>\n<!-- nothing -->\n"),
        "net.xml:3:1: error: empty document: expected a root element such as <interface>"
    );
}

#[test]
fn bad_escapes_and_characters() {
    assert_eq!(
        error("<a>\n &nbsp;</a>"),
        "net.xml:2:2: error: unknown entity `&nbsp;` (XML defines only &lt; &gt; &amp; &apos; &quot;; \
            write other characters as themselves)"
    );
    assert_eq!(error("<a>x & y</a>"), "net.xml:1:6: error: a bare `&` must be written `&amp;`");
    assert_eq!(error("<a>x &amp y</a>"), "net.xml:1:6: error: a bare `&` must be written `&amp;`");
    assert_eq!(error("<a b='x & y;'/>"), "net.xml:1:9: error: a bare `&` must be written `&amp;`");
    assert_eq!(error("<a b='x &amp'/>"), "net.xml:1:9: error: a bare `&` must be written `&amp;`");
    assert_eq!(
        error("<a>&#0;</a>"),
        "net.xml:1:4: error: `&#0;` is not a character reference to a character XML allows"
    );
    assert_eq!(
        error("<a b='&#xD800;'/>"),
        "net.xml:1:7: error: `&#xD800;` is not a character reference to a character XML allows"
    );
    assert_eq!(error("<a>ok\u{1}</a>"), "net.xml:1:6: error: character U+0001 is not allowed in text");
    assert_eq!(
        error("<a b='\u{FFFE}'/>"),
        "net.xml:1:7: error: character U+FFFE is not allowed in an attribute value"
    );
}

#[test]
fn unsupported_or_broken_markup() {
    assert_eq!(
        error("<!DOCTYPE a [<!ENTITY x \"y\">]>\n<a/>"),
        "net.xml:1:1: error: DOCTYPE declarations are not supported (remove the `<!DOCTYPE ...>` line)"
    );
    assert_eq!(
        error("\n<?xml version=\"1.0\"?><a/>"),
        "net.xml:2:1: error: the XML declaration `<?xml ...?>` must come first"
    );
    assert_eq!(error("<a><!-- a -- b --></a>"), "net.xml:1:11: error: `--` is not allowed inside a comment");
    assert_eq!(
        error("<a>\n<!-- x</a>"),
        "net.xml:2:1: error: comment is not closed: `-->` not found before the end"
    );
    assert_eq!(
        error("<a><![CDATA[x</a>"),
        "net.xml:1:4: error: CDATA section is not closed: `]]>` not found before the end"
    );
    assert_eq!(
        error("<a><!x></a>"),
        "net.xml:1:4: error: unknown markup after `<!`: expected `<!--` or `<![CDATA[`"
    );
}

#[test]
fn nesting_depth_is_limited() {
    let deep = |n: usize| "<a>".repeat(n) + &"</a>".repeat(n);
    assert!(parse(&deep(xml::MAX_DEPTH)).is_ok());
    let err = error(&deep(xml::MAX_DEPTH + 1));
    assert_eq!(err, format!("net.xml:1:{}: error: elements are nested more than 256 deep", 3 * 256 + 1));
}

#[test]
fn ten_thousand_interfaces() {
    // Linear time is what matters here (the line/column cursor, no rescans); a quadratic
    // parser would take minutes on this even in a debug build. Both one line and many lines.
    let one = |i: usize| format!("<bond name=\"bond{i}\" mode=\"802.3ad\"><slave device=\"eth{i}\"/></bond>");
    let flat = format!("<interfaces>{}</interfaces>", (0..10_000).map(one).collect::<String>());
    let root = parse(&flat).unwrap();
    assert_eq!(root.children.len(), 10_000);
    let last = root.children.last().unwrap();
    assert_eq!(last.attr("name").unwrap().value_span.line, 1);
    assert_eq!(last.attr("name").unwrap().value_span.col as usize, flat.rfind("bond9999").unwrap() + 1);

    let lines =
        format!("<interfaces>\n{}\n</interfaces>\n", (0..10_000).map(one).collect::<Vec<_>>().join("\n"));
    let root = parse(&lines).unwrap();
    assert_eq!(root.children[9_999].span.line, 10_001);
    assert_eq!(root.children[9_999].children[0].span.col, 38);
}
