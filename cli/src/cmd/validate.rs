//! `netplug validate FILE...`: check documents without touching the kernel.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

use crate::exit::Exit;
use crate::Cli;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Documents to check (native or libvirt dialect).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

pub fn run(cli: &Cli, args: &Args) -> Result<ExitCode> {
    let (registry, _) = super::plugins(cli);
    let loaded = super::load_and_validate(cli, &args.files, &registry);
    let failed = super::print_diagnostics(cli, &loaded);
    Ok(Exit::failed_if(failed))
}
