//! `test`: every test tier, in the order a failure is cheapest to find.
//!
//! The end-to-end tests run the real `netplug` binary, which finds its plugins next to itself
//! in a development build, so everything is built first. The vm tier comes last: it boots a
//! guest kernel for what this machine's kernel cannot do (bonding, VLANs). The Ansible
//! collection's sanity and unit tests run between the two.

use anyhow::Result;

use crate::util::{cargo, run};

#[derive(clap::Args)]
pub struct Args {
    /// Leave the vm tier out.
    #[arg(long)]
    no_vm: bool,
}

pub fn all(args: &Args) -> Result<()> {
    // Plugins are cdylibs nobody links against: build them explicitly so the binary finds them.
    run(cargo().args(["build", "--workspace", "--all-targets"]))?;
    // Doctests in a run of their own: built together with the test targets, whose
    // dev-dependencies change feature sets deep in the tree, a plugin's doctest can be handed
    // a second build of the SDK and no longer see that the plugin implements its trait.
    run(cargo().args(["test", "--workspace", "--no-fail-fast", "--all-targets"]))?;
    run(cargo().args(["test", "--workspace", "--no-fail-fast", "--doc"]))?;
    // The Ansible collection's own checks (its playbooks run against namespaces in
    // tests/tests/ansible_fleet.rs, above).
    crate::ansible::run_all(&crate::ansible::Args {})?;
    if !args.no_vm {
        crate::vm::run(crate::vm::Args { keep_going: true, ..Default::default() })?;
    }
    Ok(())
}
