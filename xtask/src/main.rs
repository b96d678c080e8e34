//! Build chores for netplug, in Rust rather than shell scripts (after rust-analyzer's xtask).
//!
//! Run as `cargo xtask <chore>`; each chore is one module and declares its options with clap,
//! so `cargo xtask help <chore>` (or `<chore> --help`) describes it.

mod ansible;
mod bench;
mod completions;
mod deb;
mod dist;
mod loc;
mod man;
mod mdroff;
mod test;
mod util;
mod vm;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Build chores for netplug: tests, benchmarks, install trees, tarballs and Debian packages.
#[derive(Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask")]
struct Xtask {
    #[command(subcommand)]
    chore: Chore,
}

#[derive(Subcommand)]
enum Chore {
    /// Time netplug against one `ip -batch` doing the same work in fresh namespaces, as ratios.
    Bench(bench::Args),
    /// Build netplug and its plugins and install them, with units, man pages and completions,
    /// under a prefix.
    Install(dist::InstallArgs),
    /// Build a release tarball holding exactly the chosen plugins.
    Dist(dist::DistArgs),
    /// Build the Debian packages: `netplug` and one `netplug-plugin-<kind>` per optional plugin.
    Deb(deb::Args),
    /// Write the man pages and shell completions into a directory.
    Man(man::Args),
    /// Build everything, then run every test tier (unit, end-to-end in network namespaces,
    /// the Ansible collection's ansible-test, then vm-test).
    Test(test::Args),
    /// The Ansible collection's `ansible-test sanity` and `ansible-test units` (needs
    /// ansible-core; see docs/fleet.md).
    AnsibleTest(ansible::Args),
    /// Run the tests that need kernel features this machine lacks in one qemu guest.
    VmTest(vm::Args),
    /// Count the plugin boundary's lines (docs/architecture.md says what is counted).
    Loc(loc::Args),
}

fn main() -> ExitCode {
    let chore = Xtask::parse().chore;
    let result = match chore {
        Chore::Bench(a) => bench::main(a),
        Chore::Install(a) => dist::install(&a),
        Chore::Dist(a) => dist::dist(&a),
        Chore::Deb(a) => deb::build(&a),
        Chore::Man(a) => man::run(&a),
        Chore::Test(a) => test::all(&a),
        Chore::AnsibleTest(a) => ansible::run_all(&a),
        Chore::VmTest(a) => vm::run(a),
        Chore::Loc(a) => loc::run(&a),
    };
    // A failed chore is a message, not a Rust backtrace (anyhow's `Debug` prints one when
    // RUST_BACKTRACE is set, which cargo's test runs often have).
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
