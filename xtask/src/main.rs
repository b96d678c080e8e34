//! Build chores for netplug, in Rust rather than shell scripts (after rust-analyzer's xtask).
//!
//! Run as `cargo xtask <chore>`; each chore is one module. Avoid adding dependencies here: a
//! chore is a few `cargo` invocations and file copies.

mod dist;
mod test;
mod util;

use anyhow::{bail, Result};

const USAGE: &str = "\
usage: cargo xtask <chore> [options]

chores:
  install [--prefix DIR] [--plugins a,b,..] [--debug]
        build netplug and its plugins and install them under DIR (default /usr/local):
        DIR/bin/netplug, DIR/lib/netplug/plugins/*.so
  dist [--plugins a,b,..] [--out DIR]
        build a release tarball holding exactly the chosen plugins (default: all)
  test  build everything, then run every test tier (unit, end-to-end in network namespaces)
";

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let chore = args.next().unwrap_or_default();
    let rest: Vec<String> = args.collect();
    match chore.as_str() {
        "install" => dist::install(&rest),
        "dist" => dist::dist(&rest),
        "test" => test::all(&rest),
        "" | "help" | "-h" | "--help" => {
            print!("{USAGE}");
            Ok(())
        }
        other => bail!("unknown chore `{other}`\n\n{USAGE}"),
    }
}
