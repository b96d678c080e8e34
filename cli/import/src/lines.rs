//! Reading the line formats (ifupdown, ifcfg, networkd): each logical line with the file and
//! line number it starts on.

use std::io;
use std::path::Path;

use crate::model::Origin;

#[derive(Clone, Debug)]
pub struct Line {
    pub origin: Origin,
    pub text: String,
}

/// The file's lines with comments (lines whose first non-blank character is one of
/// `comment`) and blank lines left out; a line ending in `\` continues on the next when
/// `continuation` is set.
pub fn read(path: &Path, comment: &[char], continuation: bool) -> io::Result<Vec<Line>> {
    let text = std::fs::read_to_string(path)?;
    let mut out = Vec::new();
    let mut pending: Option<Line> = None;
    for (n, raw) in text.lines().enumerate() {
        let line_no = n as u32 + 1;
        let (body, continues) = match raw.strip_suffix('\\') {
            Some(body) if continuation => (body, true),
            _ => (raw, false),
        };
        let line = match pending.take() {
            Some(mut p) => {
                p.text.push(' ');
                p.text.push_str(body.trim());
                p
            }
            None => {
                let trimmed = body.trim();
                if trimmed.is_empty() || trimmed.starts_with(comment) {
                    continue;
                }
                Line { origin: Origin::new(path, line_no), text: trimmed.to_string() }
            }
        };
        if continues {
            pending = Some(line);
        } else {
            out.push(line);
        }
    }
    out.extend(pending);
    Ok(out)
}
