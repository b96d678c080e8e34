//! `test`: every test tier, in the order a failure is cheapest to find.
//!
//! The end-to-end tests run the real `netplug` binary, which finds its plugins next to itself
//! in a development build, so everything is built first.

use anyhow::Result;

use crate::util::{cargo, run};

pub fn all(_args: &[String]) -> Result<()> {
    // Plugins are cdylibs nobody links against: build them explicitly so the binary finds them.
    run(cargo().args(["build", "--workspace", "--all-targets"]))?;
    run(cargo().args(["test", "--workspace", "--no-fail-fast"]))?;
    Ok(())
}
