//! The files a run read, so a [`Span`] can be rendered as `FILE:LINE:COL`.

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
        s
    }

    /// The same diagnostic as a JSON-friendly object (`--json`).
    pub fn to_json(&self, d: &Diagnostic) -> JsonDiagnostic {
        JsonDiagnostic {
            file: self.get(d.span.file).map(|f| f.path.clone()).unwrap_or_default(),
            line: d.span.line,
            column: d.span.col,
            severity: d.severity.to_string(),
            message: d.message.clone(),
            interface: d.interface.clone(),
            attribute: d.attribute.clone(),
            help: d.help.clone(),
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
