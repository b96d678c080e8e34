//! The files a run read, so a [`Span`] can be rendered as `FILE:LINE:COL`.

use std::borrow::Cow;
use std::fmt::Write as _;

use netplug_plugin_sdk::{Diagnostic, Span};
use serde::Serialize;

/// One input document: its path as the user wrote it, and its text.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub path: String,
    pub text: String,
}

/// Every file read in this run; a span's `file` field indexes into it.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a file and return the index spans into it will carry.
    pub fn add(&mut self, path: impl Into<String>, text: impl Into<String>) -> u32 {
        self.files.push(SourceFile { path: path.into(), text: text.into() });
        (self.files.len() - 1) as u32
    }

    pub fn get(&self, file: u32) -> Option<&SourceFile> {
        self.files.get(file as usize)
    }

    pub fn files(&self) -> &[SourceFile] {
        &self.files
    }

    /// `FILE:LINE:COL` for a span, or just `FILE` when the span has no position.
    pub fn location(&self, span: Span) -> String {
        let path = self.get(span.file).map(|f| f.path.as_str()).unwrap_or("<input>");
        if span.is_known() {
            format!("{path}:{}:{}", span.line, span.col)
        } else {
            path.to_string()
        }
    }

    /// `FILE:LINE:COL: error: MESSAGE` (rustc/gcc short style), with the interface and a hint.
    pub fn render(&self, d: &Diagnostic) -> String {
        let mut s = format!("{}: {}: ", self.location(d.span), d.severity);
        if let Some(i) = d.interface.as_ref().filter(|i| !i.is_empty()) {
            if !d.message.starts_with(&format!("{i}: ")) && !d.message.starts_with(&format!("{i} ")) {
                s.push_str(i);
                s.push_str(": ");
            }
        }
        s.push_str(&d.message);
        if let Some(h) = &d.help {
            s.push_str(" (");
            s.push_str(h);
            s.push(')');
        }
        // Names and values in the message come from the document or the kernel.
        printable(&s).into_owned()
    }

    /// The same diagnostic as a JSON-friendly object (`--json`).
    pub fn to_json(&self, d: &Diagnostic) -> JsonDiagnostic {
        JsonDiagnostic {
            file: self.get(d.span.file).map(|f| f.path.clone()).unwrap_or_default(),
            line: d.span.line,
            column: d.span.col,
            severity: d.severity.to_string(),
            message: printable(&d.message).into_owned(),
            interface: d.interface.clone(),
            attribute: d.attribute.clone(),
            help: d.help.as_deref().map(|h| printable(h).into_owned()),
        }
    }
}

/// How many characters of one word (a run without spaces) netplug prints; a longer one, a 10 MB
/// attribute value say, is cut in the middle.
pub const MAX_WORD_CHARS: usize = 200;

/// Characters never written to a terminal as they are: controls (C0 but tab and line feed,
/// DEL, C1: escape sequences, bells) and the bidirectional overrides that reorder what is shown.
fn hidden(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` safe to print: [`hidden`] characters written as `\u{1b}`-style escapes, words longer than
/// [`MAX_WORD_CHARS`] elided in the middle. What netplug prints that holds a name or value from
/// a document or the kernel goes through here.
pub fn printable(s: &str) -> Cow<'_, str> {
    let long = s.len() > MAX_WORD_CHARS && s.split(' ').any(|w| w.chars().count() > MAX_WORD_CHARS);
    if !long && !s.chars().any(hidden) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len().min(4 * MAX_WORD_CHARS));
    for (i, word) in s.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let n = word.chars().count();
        if n > MAX_WORD_CHARS {
            let (head, tail) = (MAX_WORD_CHARS / 2, MAX_WORD_CHARS / 4);
            escape_into(&mut out, word.chars().take(head));
            let _ = write!(out, "…[{} characters elided]…", n - head - tail);
            escape_into(&mut out, word.chars().skip(n - tail));
        } else {
            escape_into(&mut out, word.chars());
        }
    }
    Cow::Owned(out)
}

fn escape_into(out: &mut String, chars: impl Iterator<Item = char>) {
    for c in chars {
        if hidden(c) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
}

/// A diagnostic as printed by `--json`.
#[derive(Clone, Debug, Serialize)]
pub struct JsonDiagnostic {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub severity: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interface: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attribute: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}
