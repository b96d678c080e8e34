//! Markdown to a man page, for `netplug.xml(5)` from `docs/format.md`: the document stays the
//! one description of the dialect, and the page follows it. Covers what our docs use:
//! headings, paragraphs, lists, code blocks, inline code and emphasis, links (their text) and
//! tables (tbl(1)).

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// The page's title line and NAME section.
pub struct Page<'a> {
    pub title: &'a str,
    pub section: &'a str,
    pub source: &'a str,
    /// `YYYY-MM-DD`, or empty.
    pub date: &'a str,
    pub manual: &'a str,
    pub name: &'a str,
    pub summary: &'a str,
    pub see_also: &'a [&'a str],
}

/// Escape text for roff: backslashes, hyphens (as minus signs, so options and XML survive
/// copy and paste), and a leading `.` or `'` that would read as a request.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\e"),
            '-' => out.push_str("\\-"),
            '\u{2014}' => out.push_str("\\(em"),
            '\u{2013}' => out.push_str("\\(en"),
            '\u{2026}' => out.push_str("\\&..."),
            '\u{2192}' => out.push_str("\\(->"),
            '\u{2264}' => out.push_str("\\(<="),
            '\u{2265}' => out.push_str("\\(>="),
            '\u{00b7}' => out.push_str("\\(md"),
            c => out.push(c),
        }
    }
    out
}

/// Start a text line safely: roff reads a line starting with `.` or `'` as a request.
fn protect(line: &str) -> String {
    if line.starts_with('.') || line.starts_with('\'') {
        format!("\\&{line}")
    } else {
        line.to_string()
    }
}

struct Writer {
    out: String,
    /// Inline text of the block being read.
    line: String,
    /// Cells of the table row being read, and the table's rows.
    row: Vec<String>,
    rows: Vec<Vec<String>>,
    lists: Vec<Option<u64>>,
    in_code_block: bool,
    in_table: bool,
    skip_heading: bool,
}

impl Writer {
    fn flush(&mut self) {
        let text = std::mem::take(&mut self.line);
        for l in text.trim().lines() {
            let l = l.trim_start();
            if !l.is_empty() {
                self.out.push_str(&protect(l));
                self.out.push('\n');
            }
        }
    }

    fn request(&mut self, r: &str) {
        self.flush();
        self.out.push_str(r);
        self.out.push('\n');
    }

    fn table(&mut self) {
        let rows = std::mem::take(&mut self.rows);
        let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
        if columns == 0 {
            return;
        }
        // The column with the most text takes the width the others leave (`x`).
        let wordiest = (0..columns)
            .max_by_key(|&i| rows.iter().map(|r| r.get(i).map_or(0, String::len)).sum::<usize>())
            .unwrap_or(0);
        let body: Vec<&str> = (0..columns).map(|i| if i == wordiest { "lx" } else { "l" }).collect();
        self.request(".PP");
        // Ragged right and no hyphenation inside cells: they are narrow, and hold code.
        self.out.push_str(".ad l\n.nh\n.TS\nallbox tab(@);\n");
        // Header row bold, the rest plain; every cell a text block, so long ones wrap.
        self.out.push_str(&vec!["lb"; columns].join(" "));
        self.out.push('\n');
        self.out.push_str(&body.join(" "));
        self.out.push_str(".\n");
        for row in rows {
            let cells: Vec<String> = (0..columns)
                .map(|i| {
                    let cell = row.get(i).map(|c| c.trim()).unwrap_or_default();
                    format!("T{{\n{}\nT}}", protect(&cell.replace('@', "\\(at")))
                })
                .collect();
            self.out.push_str(&cells.join("@"));
            self.out.push('\n');
        }
        self.out.push_str(".TE\n.hy\n.ad\n");
    }

    fn text(&mut self, t: &str) {
        let t = escape(t);
        if self.in_table {
            if let Some(cell) = self.row.last_mut() {
                cell.push_str(&t.replace('\n', " "));
            }
        } else {
            self.line.push_str(&t);
        }
    }
}

pub fn render(page: &Page, markdown: &str) -> String {
    let mut w = Writer {
        out: String::new(),
        line: String::new(),
        row: Vec::new(),
        rows: Vec::new(),
        lists: Vec::new(),
        in_code_block: false,
        in_table: false,
        skip_heading: false,
    };
    w.out.push_str(&format!(
        ".TH \"{}\" \"{}\" \"{}\" \"{}\" \"{}\"\n.SH NAME\n{} \\- {}\n",
        page.title,
        page.section,
        page.date,
        page.source,
        page.manual,
        escape(page.name),
        escape(page.summary)
    ));
    for event in Parser::new_ext(markdown, Options::ENABLE_TABLES) {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                w.flush();
                // The document's own title is the page's NAME.
                w.skip_heading = level == HeadingLevel::H1;
            }
            Event::End(TagEnd::Heading(level)) => {
                let text = std::mem::take(&mut w.line);
                if !w.skip_heading {
                    let plain = strip_fonts(&text).replace('"', "");
                    let macro_ = if level == HeadingLevel::H2 { "SH" } else { "SS" };
                    let heading = if level == HeadingLevel::H2 { plain.to_uppercase() } else { plain };
                    w.out.push_str(&format!(".{macro_} \"{heading}\"\n"));
                }
                w.skip_heading = false;
            }
            Event::Start(Tag::Paragraph) if w.lists.is_empty() && !w.in_table => w.request(".PP"),
            Event::End(TagEnd::Paragraph) => {
                w.flush();
                if !w.lists.is_empty() {
                    // A loose list item's paragraphs: keep them apart within the item.
                    w.line.push('\n');
                }
            }
            Event::Start(Tag::List(first)) => {
                w.flush();
                if !w.lists.is_empty() {
                    w.request(".RS 4");
                }
                w.lists.push(first);
            }
            Event::End(TagEnd::List(_)) => {
                w.flush();
                w.lists.pop();
                if !w.lists.is_empty() {
                    w.request(".RE");
                }
            }
            Event::Start(Tag::Item) => match w.lists.last_mut() {
                Some(Some(n)) => {
                    let r = format!(".IP {n}. 4");
                    *n += 1;
                    w.request(&r);
                }
                _ => w.request(".IP \\(bu 2"),
            },
            Event::End(TagEnd::Item) => w.flush(),
            Event::Start(Tag::CodeBlock(_)) => {
                w.request(".PP");
                w.request(".RS 4\n.nf");
                w.in_code_block = true;
            }
            Event::End(TagEnd::CodeBlock) => {
                w.in_code_block = false;
                w.request(".fi\n.RE");
            }
            Event::Start(Tag::BlockQuote(_)) => w.request(".RS 4"),
            Event::End(TagEnd::BlockQuote(_)) => w.request(".RE"),
            Event::Start(Tag::Table(_)) => {
                w.flush();
                w.in_table = true;
            }
            Event::End(TagEnd::Table) => {
                w.in_table = false;
                w.table();
            }
            Event::Start(Tag::TableHead) | Event::Start(Tag::TableRow) => w.row.clear(),
            Event::End(TagEnd::TableHead) | Event::End(TagEnd::TableRow) => {
                let row = std::mem::take(&mut w.row);
                w.rows.push(row);
            }
            Event::Start(Tag::TableCell) => w.row.push(String::new()),
            Event::Start(Tag::Strong) => w.text_raw("\\fB"),
            Event::End(TagEnd::Strong) => w.text_raw("\\fR"),
            Event::Start(Tag::Emphasis) => w.text_raw("\\fI"),
            Event::End(TagEnd::Emphasis) => w.text_raw("\\fR"),
            Event::Text(t) if w.in_code_block => {
                for l in t.lines() {
                    w.out.push_str(&protect(&escape(l)));
                    w.out.push('\n');
                }
            }
            Event::Text(t) => w.text(&t),
            Event::Code(t) => {
                w.text_raw("\\fB");
                w.text(&t);
                w.text_raw("\\fR");
            }
            Event::SoftBreak => w.text_raw("\n"),
            Event::HardBreak => w.text_raw("\n.br\n"),
            Event::Rule => w.flush(),
            _ => {}
        }
    }
    w.flush();
    w.out.push_str(".SH \"SEE ALSO\"\n");
    let refs: Vec<String> = page
        .see_also
        .iter()
        .map(|r| match r.split_once('(') {
            Some((name, section)) => format!("\\fB{}\\fR({section}", escape(name)),
            None => escape(r),
        })
        .collect();
    w.out.push_str(&refs.join(", "));
    w.out.push('\n');
    w.out
}

impl Writer {
    /// Font changes and breaks: already roff.
    fn text_raw(&mut self, t: &str) {
        if self.in_table {
            if let Some(cell) = self.row.last_mut() {
                cell.push_str(if t.contains('\n') { " " } else { t });
            }
        } else {
            self.line.push_str(t);
        }
    }
}

/// One line of Markdown (code, emphasis, text) as roff text.
pub fn inline(markdown: &str) -> String {
    let mut out = String::new();
    for event in Parser::new(markdown) {
        match event {
            Event::Text(t) => out.push_str(&escape(&t)),
            Event::Code(t) => out.push_str(&format!("\\fB{}\\fR", escape(&t))),
            Event::Start(Tag::Strong) => out.push_str("\\fB"),
            Event::Start(Tag::Emphasis) => out.push_str("\\fI"),
            Event::End(TagEnd::Strong) | Event::End(TagEnd::Emphasis) => out.push_str("\\fR"),
            Event::SoftBreak => out.push(' '),
            _ => {}
        }
    }
    protect(&out)
}

fn strip_fonts(s: &str) -> String {
    s.replace("\\fB", "").replace("\\fI", "").replace("\\fR", "")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> Page<'static> {
        Page {
            title: "T",
            section: "5",
            source: "s",
            date: "2026-01-02",
            manual: "m",
            name: "n",
            summary: "what",
            see_also: &["netplug(8)"],
        }
    }

    #[test]
    fn headings_paragraphs_code_and_tables() {
        let md = "# Title\n\nSome `code` and **bold**.\n\n## A section\n\n```xml\n<bond name=\"b\"/>\n.dot\n```\n\n\
                  | a | b |\n|---|---|\n| `x` | y@z |\n\n* one\n* two\n";
        let roff = render(&page(), md);
        assert!(roff.starts_with(".TH \"T\" \"5\" \"2026-01-02\""), "{roff}");
        assert!(!roff.contains("Title"), "the document's title is the NAME: {roff}");
        assert!(roff.contains("Some \\fBcode\\fR and \\fBbold\\fR."), "{roff}");
        assert!(roff.contains(".SH \"A SECTION\""), "{roff}");
        assert!(roff.contains(".nf\n<bond name=\"b\"/>\n\\&.dot\n.fi"), "{roff}");
        assert!(roff.contains(".TS\nallbox tab(@);"), "{roff}");
        assert!(roff.contains("T{\n\\fBx\\fR\nT}@T{\ny\\(atz\nT}"), "{roff}");
        assert!(roff.contains(".IP \\(bu 2\none\n"), "{roff}");
        assert!(roff.ends_with(".SH \"SEE ALSO\"\n\\fBnetplug\\fR(8)\n"), "{roff}");
    }
}
