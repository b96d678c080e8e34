//! Build chores for netplug, in Rust rather than shell scripts (after rust-analyzer's xtask).
//!
//! Run as `cargo xtask <chore>`; each chore is one module. Avoid adding dependencies here: a
//! chore is a few `cargo` invocations and file copies.

mod ansible;
mod bench;
mod dist;
mod test;
mod util;
mod vm;

use anyhow::{bail, Result};

const USAGE: &str = "\
usage: cargo xtask <chore> [options]

chores:
  bench [--sizes 100,1000,10000 | --quick] [--only veth,routes,bridges,vlans] [--runs R]
        [--ipv6 on|off] [--write] [--no-build] [--no-floor] [--no-vm]
        time netplug against one `ip -batch` doing the same work in fresh namespaces, as ratios;
        vlans runs in the qemu guest (--no-vm leaves it out); --write puts the results into
        docs/performance.md
  install [--prefix DIR] [--plugins a,b,..] [--debug]
        build netplug and its plugins and install them under DIR (default /usr/local):
        DIR/bin/netplug, DIR/lib/netplug/plugins/*.so
  dist [--plugins a,b,..] [--out DIR]
        build a release tarball holding exactly the chosen plugins (default: all)
  test [--no-vm]
        build everything, then run every test tier (unit, end-to-end in network namespaces,
        the Ansible collection's ansible-test, then vm-test; --no-vm leaves the last out)
  ansible-test
        the Ansible collection's `ansible-test sanity` and `ansible-test units` (needs
        ansible-core; see docs/fleet.md)
";

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let chore = args.next().unwrap_or_default();
    let rest: Vec<String> = args.collect();
    match chore.as_str() {
        "bench" => bench::main(&rest),
        "install" => dist::install(&rest),
        "dist" => dist::dist(&rest),
        "test" => test::all(&rest),
        "ansible-test" => ansible::run_all(&rest),
        "vm-test" => vm::run(&rest),
        "" | "help" | "-h" | "--help" => {
            print!("{USAGE}{}", vm::USAGE);
            Ok(())
        }
        other => bail!("unknown chore `{other}`\n\n{USAGE}{}", vm::USAGE),
    }
}
