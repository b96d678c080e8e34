//! `loc`: the size of the plugin boundary, as `docs/architecture.md` defines it.
//!
//! The boundary proper is what a call crosses: the host's loader and call (`core/src/host/`),
//! the SDK's ABI, export macro and log forwarding, and the types that travel. The SDK's author
//! helpers (netlink, vocabulary checks) never cross it and are counted apart. Every source file
//! of the two directories must be in one group, so a new file is classified when it is added.
//!
//! Lines are counted without the files' unit tests (`#[cfg(test)] mod …` to its closing brace),
//! twice: all of them, and code alone (no blank or comment lines).

use std::path::Path;

use anyhow::{bail, Context, Result};

/// The groups, each a directory and the files of it in the group.
const GROUPS: &[(&str, &str, &[&str])] = &[
    (
        "boundary: host (find, check, open, call, log, share)",
        "core/src/host",
        &["elf.rs", "index.rs", "load.rs", "log.rs", "mod.rs", "plugin.rs", "search.rs", "share.rs"],
    ),
    (
        "boundary: SDK (ABI, export, log, share, crossing types, trait)",
        "plugins/sdk/src",
        &[
            "abi.rs",
            "diagnostic.rs",
            "element.rs",
            "export.rs",
            "lib.rs",
            "libvirt.rs",
            "log.rs",
            "plugin.rs",
            "share.rs",
        ],
    ),
    (
        "author helpers (never cross the ABI)",
        "plugins/sdk/src",
        &["ip.rs", "link.rs", "link_plan.rs", "netlink.rs", "schema.rs"],
    ),
];

#[derive(clap::Args)]
pub struct Args {
    /// Print each file's counts too.
    #[arg(long)]
    files: bool,
}

pub fn run(args: &Args) -> Result<()> {
    let root = crate::util::root();
    check_classified(&root)?;
    let mut boundary = (0, 0);
    println!("{:>6} {:>6}  what", "lines", "code");
    for (name, dir, files) in GROUPS {
        let mut sum = (0, 0);
        for file in *files {
            let path = root.join(dir).join(file);
            let text =
                std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
            let counted = count(&text);
            if args.files {
                println!("{:>6} {:>6}    {dir}/{file}", counted.0, counted.1);
            }
            sum = (sum.0 + counted.0, sum.1 + counted.1);
        }
        println!("{:>6} {:>6}  {name}", sum.0, sum.1);
        if name.starts_with("boundary") {
            boundary = (boundary.0 + sum.0, boundary.1 + sum.1);
        }
    }
    println!("{:>6} {:>6}  the boundary proper (host + SDK)", boundary.0, boundary.1);
    Ok(())
}

/// Every `.rs` file directly in a group's directory is in some group.
fn check_classified(root: &Path) -> Result<()> {
    for dir in ["core/src/host", "plugins/sdk/src"] {
        for entry in std::fs::read_dir(root.join(dir))? {
            let name = entry?.file_name().to_string_lossy().into_owned();
            let listed = GROUPS.iter().any(|(_, d, files)| *d == dir && files.contains(&name.as_str()));
            if name.ends_with(".rs") && !listed {
                bail!("{dir}/{name} is in no group of xtask/src/loc.rs: say whether it crosses the ABI");
            }
        }
    }
    Ok(())
}

/// (lines, code lines) of a source file without its unit tests.
fn count(text: &str) -> (usize, usize) {
    let mut kept: Vec<&str> = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let test_module =
            line.trim() == "#[cfg(test)]" && lines.peek().is_some_and(|l| l.starts_with("mod "));
        if !test_module {
            kept.push(line);
            continue;
        }
        let module = lines.next().unwrap_or_default();
        if !module.trim_end().ends_with(';') {
            // A module at the top level ends with the first `}` in column 0.
            lines.by_ref().find(|l| l.starts_with('}'));
        }
    }
    while kept.last().is_some_and(|l| l.trim().is_empty()) {
        kept.pop();
    }
    let code = kept.iter().filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with("//")).count();
    (kept.len(), code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_tests_blanks_and_comments_are_not_code() {
        let text = "//! doc\nfn a() {}\n\n#[cfg(test)]\nmod tests {\n    fn t() {}\n}\n\nfn b() {}\n";
        assert_eq!(count(text), (5, 2));
    }
}
