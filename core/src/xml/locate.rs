//! Byte offsets to 1-based line and column (in characters), in linear time over a document.
//!
//! A table of line starts is built once; lookups then move a cursor forward, so the many
//! increasing offsets of one parse cost time proportional to the document, even when it is all
//! on one line. A lookup behind the cursor (an error pointing back at an unclosed tag) falls
//! back to a binary search plus one count along that line.

use netplug_plugin_sdk::Span;

/// Turns byte offsets of one document into [`Span`]s.
#[derive(Clone, Debug)]
pub struct Locator<'a> {
    text: &'a str,
    file: u32,
    /// Byte offset of the first character of every line; `line_starts[0] == 0`.
    line_starts: Vec<usize>,
    cursor: Cursor,
}

/// The last position looked up: its offset, 0-based line index and 0-based column.
#[derive(Clone, Copy, Debug, Default)]
struct Cursor {
    offset: usize,
    line: usize,
    col: usize,
}

impl<'a> Locator<'a> {
    pub fn new(text: &'a str, file: u32) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.bytes().enumerate().filter(|&(_, b)| b == b'\n').map(|(i, _)| i + 1));
        Locator { text, file, line_starts, cursor: Cursor::default() }
    }

    /// The text this locator measures.
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// 1-based line and column (counted in characters) of a byte offset; offsets past the end
    /// are clamped to the end.
    pub fn line_col(&mut self, offset: usize) -> (u32, u32) {
        let offset = offset.min(self.text.len());
        let c = self.cursor;
        let (line, col) = if offset >= c.offset {
            let mut line = c.line;
            while line + 1 < self.line_starts.len() && self.line_starts[line + 1] <= offset {
                line += 1;
            }
            let col = if line == c.line {
                c.col + chars_in(&self.text.as_bytes()[c.offset..offset])
            } else {
                chars_in(&self.text.as_bytes()[self.line_starts[line]..offset])
            };
            (line, col)
        } else {
            let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
            (line, chars_in(&self.text.as_bytes()[self.line_starts[line]..offset]))
        };
        self.cursor = Cursor { offset, line, col };
        (to_u32(line + 1), to_u32(col + 1))
    }

    /// The span of bytes `start..end`, with the line and column of `start`.
    pub fn span(&mut self, start: usize, end: usize) -> Span {
        let (line, col) = self.line_col(start);
        Span { file: self.file, start: to_u32(start), end: to_u32(end.max(start)), line, col }
    }

    /// An empty span at the end of the document, for "ended too early" problems.
    pub fn end_span(&mut self) -> Span {
        let len = self.text.len();
        self.span(len, len)
    }
}

/// Characters in a byte range: every byte that is not a UTF-8 continuation byte starts one.
fn chars_in(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (b as i8) >= -0x40).count()
}

/// Spans are `u32`; documents beyond 4 GiB saturate rather than wrap.
fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_character_columns() {
        let text = "ab\nçé<x\n\nz";
        let mut l = Locator::new(text, 7);
        assert_eq!(l.line_col(0), (1, 1));
        assert_eq!(l.line_col(2), (1, 3));
        assert_eq!(l.line_col(3), (2, 1));
        // `<` follows two 2-byte characters: byte 7, column 3.
        assert_eq!(l.line_col(7), (2, 3));
        assert_eq!(l.line_col(10), (3, 1));
        assert_eq!(l.line_col(11), (4, 1));
        // Backwards after forwards still gives the same answers.
        assert_eq!(l.line_col(5), (2, 2));
        assert_eq!(l.line_col(1), (1, 2));
        assert_eq!(l.line_col(100), (4, 2));
        let s = l.span(8, 9);
        assert_eq!(s, Span { file: 7, start: 8, end: 9, line: 2, col: 4 });
    }

    #[test]
    fn empty_text() {
        let mut l = Locator::new("", 0);
        assert_eq!(l.line_col(0), (1, 1));
        assert_eq!(l.end_span().line, 1);
    }
}
