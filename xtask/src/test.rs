//! `test`: every test tier, in the order a failure is cheapest to find.
//!
//! The end-to-end tests run the real `netplug` binary, which finds its plugins next to itself
//! in a development build, so everything is built first. The vm tier comes last: it boots a
//! guest kernel for what this machine's kernel cannot do (bonding, VLANs). The Ansible
//! collection's sanity and unit tests run between the two.

use anyhow::{bail, Result};

use crate::util::{cargo, flag, run};

pub fn all(args: &[String]) -> Result<()> {
    if let Some(other) = args.iter().find(|a| *a != "--no-vm") {
        bail!("test: unknown option `{other}`");
    }
    // Plugins are cdylibs nobody links against: build them explicitly so the binary finds them.
    run(cargo().args(["build", "--workspace", "--all-targets"]))?;
    // Doctests in a run of their own: built together with the test targets, whose
    // dev-dependencies change feature sets deep in the tree, a plugin's doctest can be handed
    // a second build of the SDK and no longer see that the plugin implements its trait.
    run(cargo().args(["test", "--workspace", "--no-fail-fast", "--all-targets"]))?;
    run(cargo().args(["test", "--workspace", "--no-fail-fast", "--doc"]))?;
    // The Ansible collection's own checks (its playbooks run against namespaces in
    // tests/tests/ansible_fleet.rs, above).
    crate::ansible::run_all(&[])?;
    if !flag(args, "--no-vm") {
        crate::vm::run(&["--keep-going".to_string()])?;
    }
    Ok(())
}
