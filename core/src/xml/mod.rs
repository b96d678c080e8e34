//! XML in and out: element trees that keep the position of every element, attribute name and
//! attribute value, so any later stage can point at the exact character it objects to.
//!
//! [`parse`] reads with quick-xml's pull parser and reports the first well-formedness problem
//! as one [`Diagnostic`]; [`write`] pretty-prints a tree such that `parse(write(e))` equals `e`
//! (spans aside) whenever every name in `e` is an XML name, text is absent or non-empty, and
//! all characters are ones XML 1.0 can carry.
//!
//! Spans: an element's starts at its `<` and ends after its end tag (or `/>`); an attribute's
//! `span` covers its name and `value_span` its raw value between the quotes. Line and column
//! are 1-based, the column counted in characters. Text content has no span of its own; it is
//! the concatenation of the element's text, references and CDATA, with literal whitespace at
//! either end trimmed (whitespace written as `&#32;` or inside CDATA is kept).
//!
//! [`Diagnostic`]: netplug_plugin_sdk::Diagnostic

mod chars;
mod locate;
mod read;
mod write;

pub use chars::is_name;
pub use locate::Locator;
pub use read::{parse, MAX_DEPTH};
pub use write::{write, write_fragment};
