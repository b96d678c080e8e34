//! Printing results: diagnostics as `FILE:LINE:COL: error: MESSAGE` or as JSON objects.

use netplug_core::sdk::Diagnostic;
use netplug_core::source::SourceMap;

/// Text goes to stderr (like a compiler's), JSON to stdout (for programs).
pub fn diagnostics(json: bool, sources: &SourceMap, diagnostics: &[Diagnostic]) {
    if json {
        let list: Vec<_> = diagnostics.iter().map(|d| sources.to_json(d)).collect();
        println!("{}", serde_json::to_string_pretty(&list).expect("diagnostics serialise"));
    } else {
        for d in diagnostics {
            eprintln!("{}", sources.render(d));
        }
    }
}
