//! `netplug start NAME` and `netplug stop NAME`: bring a defined interface up with what it
//! needs, or take it and the ports only it uses down (`virsh iface-start` / `iface-destroy`).
//! Both are an ordinary apply of part of the store, so they are verified and roll back on
//! failure; `start` also prunes what netplug created and no longer defines
//! (`docs/ownership.md`).

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use netplug_core::apply::ApplyOptions;
use netplug_core::lifecycle;
use netplug_core::ownership::{self, Users};
use netplug_core::store::Store;

use crate::exit::Exit;
use crate::Cli;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(required = true, value_name = "NAME")]
    pub names: Vec<String>,
    /// `start` only: leave interfaces netplug created and no longer defines in place (by
    /// default they are removed in the same verified run).
    #[arg(long)]
    pub no_prune: bool,
}

pub fn start(cli: &Cli, args: &Args) -> Result<ExitCode> {
    run(cli, args, true)
}

pub fn stop(cli: &Cli, args: &Args) -> Result<ExitCode> {
    run(cli, args, false)
}

fn run(cli: &Cli, args: &Args, up: bool) -> Result<ExitCode> {
    let started = Instant::now();
    let _lock = super::engine::lock(cli)?;
    let (registry, _) = super::plugins(cli);
    let mut loaded = Store::new(&cli.config_dir).load(&registry)?;
    // Validate the whole store first: masters and parents are filled in by validation, and the
    // closure needs them.
    let Some(all) = super::engine::prepare_loaded(cli, std::mem::take(&mut loaded), &registry) else {
        return Ok(Exit::Failed.into());
    };
    let users =
        if up { Users::default() } else { Users::of(&all.config, &ownership::live_links(&registry)?) };
    let mut selected = netplug_core::model::Config::default();
    for name in &args.names {
        let part = if up {
            lifecycle::start_set(&all.config, name)?
        } else {
            let stop = match lifecycle::stop_set(&all.config, name, &users) {
                Ok(stop) => stop,
                Err(lifecycle::StopError::NotDefined(e)) => return Err(e.into()),
                // A verb that does not fit the interface: a usage error, as for `begin` twice.
                Err(e @ lifecycle::StopError::Nfsroot(_)) => return Err(crate::exit::usage(e.to_string())),
            };
            for (kept, why) in &stop.kept {
                if !cli.quiet && !cli.json {
                    println!("keeping {kept}: {why}");
                }
            }
            stop.config
        };
        for i in part.interfaces {
            if selected.get(&i.name).is_none() {
                selected.interfaces.push(i);
            }
        }
    }
    if up && !args.no_prune {
        let defined = |n: &str| all.config.get(n).is_some();
        super::apply::add_prune(cli, &registry, &mut selected, &all.config, &defined)?;
    }
    super::apply::apply_config(cli, &selected, &registry, &ApplyOptions::default(), started, None, true)
}
