//! The SDK's public API, as a snapshot (`plugins/sdk/public-api.txt`): every `pub` item of
//! every source file, by module, one a line. A change to what plugin authors may depend on
//! shows up here as a diff to review against `docs/plugin-abi.md` and the SDK's semver. On
//! stable, with no tool to install (rustdoc JSON and `cargo public-api` need nightly); it
//! reads declarations, not types, so a changed signature shows as a changed line.
//!
//! Each file is headed by how a plugin reaches it (a public module, the crate root's
//! re-exports, or only netplug's `host` feature).
//!
//! After an intended change: `NETPLUG_UPDATE_API=1 cargo test -p netplug-plugin-sdk --test
//! public_api`, and commit the snapshot.

use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `pub` declarations of one file, one line each, without bodies; test modules left out.
fn declarations(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut lines = text.lines().peekable();
    let mut exported_macro = false;
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]") {
            break; // the SDK keeps its unit tests at the end of each file
        }
        if trimmed.starts_with("#[macro_export]") {
            exported_macro = true;
            continue;
        }
        if exported_macro && trimmed.starts_with("macro_rules!") {
            out.push(trimmed.trim_end_matches('{').trim().to_string());
            exported_macro = false;
            continue;
        }
        if !trimmed.starts_with("pub ") {
            continue;
        }
        // A declaration may span lines: up to its body, its `;` or a field's `,`; a `pub use`
        // up to its `;`, keeping the braces of what it names.
        let mut decl = trimmed.to_string();
        if decl.starts_with("pub use ") {
            while !decl.ends_with(';') {
                match lines.next() {
                    Some(next) => {
                        decl.push(' ');
                        decl.push_str(next.trim());
                    }
                    None => break,
                }
            }
            let decl = decl.trim_end_matches(';').replace("{ ", "{").replace(", }", "}");
            out.push(decl.split_whitespace().collect::<Vec<_>>().join(" "));
            continue;
        }
        while !decl.contains('{') && !decl.ends_with(';') && !decl.ends_with(',') {
            match lines.next() {
                Some(next) => {
                    decl.push(' ');
                    decl.push_str(next.trim());
                }
                None => break,
            }
        }
        let decl = decl.split(" {").next().unwrap().trim_end_matches([';', ',', ' ']).to_string();
        out.push(decl.split_whitespace().collect::<Vec<_>>().join(" "));
    }
    out
}

/// How a plugin reaches the module in `file`, as `lib.rs` declares it: a `pub mod`, only
/// with the `host` feature (netplug's own), or a private module whose items reach plugins
/// only through `lib.rs`'s `pub use` re-exports (or not at all).
fn reach(lib: &str, file: &Path) -> &'static str {
    let name = file.file_stem().unwrap().to_str().unwrap();
    if name == "lib" {
        return "the crate root";
    }
    let mut host = false;
    let mut public = false;
    let mut previous = "";
    for line in lib.lines().map(str::trim) {
        if line == format!("pub mod {name};") {
            if previous == "#[cfg(feature = \"host\")]" {
                host = true;
            } else {
                public = true;
            }
        }
        previous = line;
    }
    match (public, host) {
        (true, _) => "public module",
        (false, true) => "public only with the `host` feature, which only netplug enables",
        (false, false) => "private module: plugins see only what lib.rs re-exports",
    }
}

#[test]
fn the_public_api_is_the_snapshot() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    sources(&root.join("src"), &mut files);
    let lib = std::fs::read_to_string(root.join("src/lib.rs")).unwrap();
    let mut api = String::new();
    for file in files {
        let decls = declarations(&std::fs::read_to_string(&file).unwrap());
        if decls.is_empty() {
            continue;
        }
        let rel = file.strip_prefix(root).unwrap().display();
        api.push_str(&format!("# {rel} ({})\n", reach(&lib, &file)));
        for d in decls {
            api.push_str(&d);
            api.push('\n');
        }
    }
    let snapshot = root.join("public-api.txt");
    if std::env::var_os("NETPLUG_UPDATE_API").is_some() {
        std::fs::write(&snapshot, &api).unwrap();
    }
    let expected = std::fs::read_to_string(&snapshot).unwrap_or_default();
    assert!(
        api == expected,
        "the SDK's public API changed; review, then NETPLUG_UPDATE_API=1 to accept:\n{}",
        diff(&expected, &api)
    );
}

fn diff(old: &str, new: &str) -> String {
    let old: Vec<&str> = old.lines().collect();
    let new: Vec<&str> = new.lines().collect();
    let gone = old.iter().filter(|l| !new.contains(l)).map(|l| format!("- {l}"));
    let added = new.iter().filter(|l| !old.contains(l)).map(|l| format!("+ {l}"));
    gone.chain(added).collect::<Vec<_>>().join("\n")
}
