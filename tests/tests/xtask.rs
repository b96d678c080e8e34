//! `cargo xtask` parses every chore's options with clap: `--help` describes a chore, a wrong
//! option is a usage error naming it, and a failing chore prints a message, never a Rust
//! backtrace, even with RUST_BACKTRACE set.

use std::path::Path;
use std::process::{Command, Output};

fn xtask(args: &[&str]) -> Output {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    Command::new(cargo)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap())
        .arg("xtask")
        .args(args)
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("cargo xtask")
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[test]
fn every_chore_prints_its_help() {
    for chore in ["bench", "install", "dist", "deb", "man", "test", "vm-test"] {
        let out = xtask(&[chore, "--help"]);
        let help = text(&out);
        assert!(out.status.success(), "{chore} --help: {help}");
        assert!(help.contains(&format!("Usage: cargo xtask {chore}")), "{chore}: {help}");
        assert!(!help.contains("backtrace") && !help.contains("panicked"), "{chore}: {help}");
    }
    let out = xtask(&["--help"]);
    assert!(out.status.success() && text(&out).contains("vm-test"), "{}", text(&out));
}

#[test]
fn a_wrong_option_is_a_usage_error() {
    let out = xtask(&["bench", "--sizez", "100"]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(said.contains("--sizez") && !said.contains("stack backtrace"), "{said}");
    let out = xtask(&["bench", "--ipv6", "maybe"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

#[test]
fn a_failing_chore_prints_one_message() {
    // --runs 0 is parsed, then refused by the chore itself.
    let out = xtask(&["bench", "--runs", "0", "--no-build"]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("xtask: error: --runs must be at least 1"), "{said}");
    assert!(!said.contains("Stack backtrace") && !said.contains("stack backtrace"), "{said}");
}

/// Man pages carry a date, and the same one at every build of the same source:
/// `SOURCE_DATE_EPOCH` when set, else the commit's date.
#[test]
fn man_pages_are_dated_reproducibly() {
    let page = |dir: &Path, file: &str| std::fs::read_to_string(dir.join(file)).unwrap();
    let run = |dir: &Path, epoch: Option<&str>| {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap())
            .args(["xtask", "man", "--out"])
            .arg(dir);
        match epoch {
            Some(e) => cmd.env("SOURCE_DATE_EPOCH", e),
            None => cmd.env_remove("SOURCE_DATE_EPOCH"),
        };
        let out = cmd.output().expect("cargo xtask man");
        assert!(out.status.success(), "{}", text(&out));
    };
    let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    run(one.path(), Some("1798761600"));
    for file in ["man8/netplug.8", "man8/netplug-schema.8", "man5/netplug.xml.5"] {
        let text = page(one.path(), file);
        let header = text.lines().find(|l| l.starts_with(".TH")).unwrap_or_default();
        assert!(header.contains("2027-01-01"), "{file}: {header}");
    }
    run(one.path(), None);
    run(two.path(), None);
    let header =
        |dir: &Path| page(dir, "man8/netplug.8").lines().find(|l| l.starts_with(".TH")).unwrap().to_string();
    assert_eq!(header(one.path()), header(two.path()));
    assert!(header(one.path()).contains(" 20"), "the commit's date: {}", header(one.path()));
    assert_eq!(page(one.path(), "man5/netplug.xml.5"), page(two.path(), "man5/netplug.xml.5"));
}
