//! `netplug __complete devices` (hidden): the live network devices' names, one a line, for the
//! shell completions. They read `/sys/class/net` for the shell's own namespace, but a line
//! naming `--netns NAME` completes that namespace's devices, which only a process inside it
//! can list: netplug itself, entered as it does for every verb.

use std::process::ExitCode;

use anyhow::Result;
use netplug_core::show;

use crate::Cli;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// What to list.
    #[arg(value_enum)]
    pub what: What,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum What {
    /// The live network devices but the loopback.
    Devices,
}

pub fn run(cli: &Cli, args: &Args) -> Result<ExitCode> {
    match args.what {
        What::Devices => {
            let (registry, _) = super::plugins(cli);
            let mut names: Vec<String> = show::live_config(&registry, None)?
                .interfaces
                .into_iter()
                .map(|i| i.name)
                .filter(|n| n != "lo")
                .collect();
            names.sort();
            names.dedup();
            for n in names {
                println!("{n}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
