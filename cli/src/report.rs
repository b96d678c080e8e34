//! Printing results: diagnostics as `FILE:LINE:COL: error: MESSAGE`, errors as one line, and
//! `--json` documents.
//!
//! Every `--json` document is one object on stdout carrying `"version"`: the version of that
//! verb's schema (docs/json.md, docs/json/*.schema.json). Adding a field keeps the version;
//! removing or changing the meaning of one bumps it.

use std::io::Write;

use netplug_core::model::Interface;
use netplug_core::plan::Step;
use netplug_core::sdk::{Diagnostic, Element};
use netplug_core::source::SourceMap;
use serde_json::{json, Map, Value};

use crate::exit::Exit;

/// The version of every schema in docs/json/ (they move together).
pub const JSON_VERSION: u64 = 1;

/// Print a `--json` document: `fields` with `"version"` first.
pub fn print_json(fields: Value) {
    let mut doc = Map::new();
    doc.insert("version".into(), json!(JSON_VERSION));
    match fields {
        Value::Object(map) => doc.extend(map),
        other => panic!("a --json document is an object, not {other}"),
    }
    println!("{}", serde_json::to_string_pretty(&Value::Object(doc)).expect("JSON serialises"));
}

/// The diagnostics document: what every verb that reads documents prints with `--json` when
/// they are invalid (and `validate` always).
pub fn diagnostics_json(sources: &SourceMap, diagnostics: &[Diagnostic]) -> Value {
    let list: Vec<_> = diagnostics.iter().take(MAX_PRINTED).map(|d| sources.to_json(d)).collect();
    json!({ "valid": !diagnostics.iter().any(Diagnostic::is_error), "diagnostics": list })
}

/// How many diagnostics are printed; the rest are counted. A document with a million
/// problems says so in a screenful, not in hundreds of megabytes.
pub const MAX_PRINTED: usize = 200;

/// Text goes to stderr (like a compiler's), JSON to stdout (for programs); at most
/// [`MAX_PRINTED`] of them, then a count of the rest on stderr.
pub fn diagnostics(json: bool, sources: &SourceMap, diagnostics: &[Diagnostic]) {
    if json {
        print_json(diagnostics_json(sources, diagnostics));
    } else {
        let mut err = std::io::BufWriter::new(std::io::stderr().lock());
        for d in diagnostics.iter().take(MAX_PRINTED) {
            let _ = writeln!(err, "{}", sources.render(d));
        }
    }
    if let Some(rest) = diagnostics.get(MAX_PRINTED..).filter(|r| !r.is_empty()) {
        let errors = rest.iter().filter(|d| d.is_error()).count();
        eprintln!(
            "netplug: {} more diagnostic(s) not shown ({errors} of them errors); the first {MAX_PRINTED} are above",
            rest.len()
        );
    }
}

/// One step of a plan or an apply, without the plugin's private payload.
pub fn step_json(s: &Step) -> Value {
    json!({
        "interface": s.change.interface,
        "plugin": s.plugin,
        "phase": s.change.phase,
        "description": s.change.description,
    })
}

pub fn steps_json(steps: &[Step]) -> Vec<Value> {
    steps.iter().map(step_json).collect()
}

/// An element tree: attributes as an object (names are unique within an element), children
/// in document order. Source positions are left out.
pub fn element_json(e: &Element) -> Value {
    let mut o = Map::new();
    o.insert("name".into(), json!(e.name));
    let attributes: Map<String, Value> =
        e.attributes.iter().map(|a| (a.name.clone(), json!(a.value))).collect();
    o.insert("attributes".into(), Value::Object(attributes));
    o.insert("children".into(), Value::Array(e.children.iter().map(element_json).collect()));
    if let Some(text) = &e.text {
        o.insert("text".into(), json!(text));
    }
    Value::Object(o)
}

/// An interface, live or defined: the fields every kind has, and its whole element.
pub fn interface_json(i: &Interface, live: bool) -> Value {
    json!({
        "name": i.name,
        "kind": i.kind,
        "state": live.then(|| i.state.to_string()),
        "startmode": (!live).then(|| i.start_mode.as_str()),
        "mac": i.mac,
        "mtu": i.mtu,
        "master": i.master,
        "parent": i.parent,
        "element": element_json(&i.element),
    })
}

/// A remark on what is happening (a transaction opened, a wait begun): stdout for a person,
/// stderr under `--json` so stdout stays one document; nothing with `--quiet`.
pub fn note(cli: &crate::Cli, text: std::fmt::Arguments<'_>) {
    if cli.quiet {
    } else if cli.json {
        eprintln!("netplug: {text}");
    } else {
        println!("{text}");
    }
}

/// An error as one line: its chain of causes joined by `: `, leaving out a cause whose text
/// the line already holds (an error type that prints its source, wrapped by one that adds it
/// again, would otherwise say it twice). A permission error says what would help.
pub fn error_line(e: &anyhow::Error, exit: Exit) -> String {
    let mut line = format!("netplug: error: {}", error_text(e.as_ref()));
    if exit == Exit::Permission && !line.contains("needs root") {
        line.push_str(" (this needs root)");
    }
    line
}

/// An error's chain of causes as [`error_line`] words it, without the prefix.
pub fn error_text(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = String::new();
    let mut next = Some(e);
    while let Some(cause) = next {
        next = cause.source();
        let said = cause.to_string();
        if text.contains(&said) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&said);
    }
    netplug_core::source::printable(&text).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("{path}: {source}")]
    struct Wrapped {
        path: String,
        source: std::io::Error,
    }

    #[test]
    fn a_cause_already_said_is_not_said_again() {
        let io = std::io::Error::from_raw_os_error(libc::EACCES);
        let e = anyhow::Error::from(Wrapped { path: "/run/netplug/lock".into(), source: io });
        assert_eq!(
            error_line(&e, Exit::Permission),
            "netplug: error: /run/netplug/lock: Permission denied (os error 13) (this needs root)"
        );
        let e = anyhow::anyhow!("inner").context("outer");
        assert_eq!(error_line(&e, Exit::Failed), "netplug: error: outer: inner");
    }
}
