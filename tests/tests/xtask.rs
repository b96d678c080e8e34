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
