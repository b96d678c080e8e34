//! Loading documents: read each file, parse it, detect its dialect and read it into the model.
//!
//! Problems never stop the loading of other files: every file is read, and each problem
//! (unreadable file, bad encoding, malformed XML, bad envelope) becomes a diagnostic, so one run
//! reports everything at once. Interfaces from all files are concatenated in order; names
//! defined twice are for validation to report.

use std::io::Read;
use std::path::{Path, PathBuf};

use netplug_plugin_sdk::{Diagnostic, Element, Span};

use crate::dialect::{libvirt, native};
use crate::model::{Config, Dialect, Interface};
use crate::registry::Registry;
use crate::source::SourceMap;
use crate::xml::{self, Locator};

/// Everything read from a set of files.
#[derive(Clone, Debug, Default)]
pub struct Loaded {
    /// Every file read (also those that failed), for rendering spans.
    pub sources: SourceMap,
    pub config: Config,
    /// Problems found while reading and parsing; validation adds its own later.
    pub diagnostics: Vec<Diagnostic>,
    /// The dialect of each file whose XML parsed, in the order given.
    pub dialects: Vec<Dialect>,
    /// The items validation built, when it kept them for a run ([`crate::validate::validate_for_run`]).
    pub validated: Option<crate::items::ValidatedItems>,
}

impl Loaded {
    /// True when any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// The largest document netplug reads, 32 MiB: far above any real network description (65,536
/// interfaces with an address each take about 5 MiB). It bounds what a hostile document can
/// cost (docs/reliability.md has the measurement).
pub const MAX_DOCUMENT_BYTES: u64 = 32 << 20;

/// A document's bytes, or its size when it is larger than [`MAX_DOCUMENT_BYTES`]. The size is
/// asked first so a huge file is never read; reading stops past the bound too (a pipe, a
/// file that grows).
fn read_document(path: &Path) -> std::io::Result<Result<Vec<u8>, u64>> {
    let file = std::fs::File::open(path)?;
    let size = file.metadata()?.len();
    if size > MAX_DOCUMENT_BYTES {
        return Ok(Err(size));
    }
    read_bounded(file, size as usize)
}

/// Read at most [`MAX_DOCUMENT_BYTES`] (and one byte more, to know there was more).
fn read_bounded(input: impl Read, expected: usize) -> std::io::Result<Result<Vec<u8>, u64>> {
    let mut bytes = Vec::with_capacity(expected);
    input.take(MAX_DOCUMENT_BYTES + 1).read_to_end(&mut bytes)?;
    match bytes.len() as u64 {
        n if n > MAX_DOCUMENT_BYTES => Ok(Err(n)),
        _ => Ok(Ok(bytes)),
    }
}

/// What names standard input where a FILE is taken, and what diagnostics call it then.
pub const STDIN: &str = "-";
const STDIN_LABEL: &str = "<stdin>";

/// Load every file in `paths`, in order; `-` is standard input (read once: naming it twice is
/// an error, as the second read would find it empty). A libvirt document is read with
/// `registry`'s plugins, which translate their kinds' subtrees.
pub fn load_files(paths: &[PathBuf], registry: &Registry) -> Loaded {
    let mut loaded = Loaded::default();
    let mut stdin_read = false;
    for path in paths {
        let is_stdin = path.as_os_str() == STDIN;
        let label = if is_stdin { STDIN_LABEL.to_string() } else { path.display().to_string() };
        let bytes = if is_stdin {
            if std::mem::replace(&mut stdin_read, true) {
                Err(std::io::Error::other("standard input was already read (name `-` once)"))
            } else {
                read_bounded(std::io::stdin().lock(), 0)
            }
        } else {
            read_document(path)
        };
        let (interfaces, diagnostics, dialect) = match bytes {
            Ok(Ok(bytes)) => load_bytes(&label, &bytes, &mut loaded.sources, registry),
            Ok(Err(size)) => {
                let file = loaded.sources.add(&label, "");
                let span = Span { file, ..Span::default() };
                let message = format!(
                    "the document is {size} bytes or more; netplug reads documents of at most {} MiB",
                    MAX_DOCUMENT_BYTES >> 20
                );
                (Vec::new(), vec![Diagnostic::error(span, message)], None)
            }
            Err(e) => {
                let file = loaded.sources.add(&label, "");
                let span = Span { file, ..Span::default() };
                (
                    Vec::new(),
                    vec![Diagnostic::error(span, format!("cannot read {label}: {}", io_message(&e)))],
                    None,
                )
            }
        };
        loaded.config.interfaces.extend(interfaces);
        loaded.diagnostics.extend(diagnostics);
        loaded.dialects.extend(dialect);
    }
    loaded
}

/// Load one document given as text; `path_label` is what diagnostics call it. The text is
/// added to `sources`. The dialect is `None` when the XML did not parse.
pub fn load_str(
    path_label: &str,
    text: &str,
    sources: &mut SourceMap,
    registry: &Registry,
) -> (Vec<Interface>, Vec<Diagnostic>, Option<Dialect>) {
    let file = sources.add(path_label, text);
    let root = match xml::parse(text, file) {
        Ok(root) => root,
        Err(d) => return (Vec::new(), vec![d], None),
    };
    let dialect = detect(&root);
    let (interfaces, diagnostics) = match dialect {
        Dialect::Native => native::read(root, registry),
        Dialect::Libvirt => libvirt::read(&root, registry),
    };
    (interfaces, diagnostics, Some(dialect))
}

/// Load a document given as bytes: check it is UTF-8 first, pointing at the first bad byte.
pub fn load_bytes(
    path_label: &str,
    bytes: &[u8],
    sources: &mut SourceMap,
    registry: &Registry,
) -> (Vec<Interface>, Vec<Diagnostic>, Option<Dialect>) {
    match std::str::from_utf8(bytes) {
        Ok(text) => load_str(path_label, text, sources, registry),
        Err(e) => {
            // The lossy text equals the original up to the bad byte, so positions there hold.
            let text = String::from_utf8_lossy(bytes).into_owned();
            let at = e.valid_up_to();
            let message = if bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]) {
                "the document is UTF-16; netplug reads UTF-8".to_string()
            } else {
                format!("invalid UTF-8: byte 0x{:02x} cannot appear here", bytes[at])
            };
            let file = sources.add(path_label, text.as_str());
            let span = Locator::new(&text, file).span(at, at + 1);
            (Vec::new(), vec![Diagnostic::error(span, message)], None)
        }
    }
}

/// Which dialect a parsed document is in: libvirt's interfaces always carry `type=`, which no
/// native `<interface>` has.
pub fn detect(root: &Element) -> Dialect {
    let libvirt = |e: &Element| e.name == "interface" && e.attr("type").is_some();
    if libvirt(root) || (root.name == native::WRAPPER && root.children.iter().any(libvirt)) {
        Dialect::Libvirt
    } else {
        Dialect::Native
    }
}

/// An I/O error's text without the `(os error N)` suffix.
fn io_message(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}
