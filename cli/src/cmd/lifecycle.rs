//! `netplug start NAME` and `netplug stop NAME`: bring a defined interface up with what it
//! needs, or take it and its ports down (`virsh iface-start` / `iface-destroy`). Both are an
//! ordinary apply of part of the store, so they are verified and roll back on failure.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use netplug_core::apply::ApplyOptions;
use netplug_core::lifecycle;
use netplug_core::store::Store;

use crate::exit::Exit;
use crate::Cli;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(required = true, value_name = "NAME")]
    pub names: Vec<String>,
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
    let mut loaded = Store::new(&cli.config_dir).load()?;
    // Validate the whole store first: masters and parents are filled in by validation, and the
    // closure needs them.
    let Some(mut all) = super::engine::prepare_loaded(cli, std::mem::take(&mut loaded), &registry) else {
        return Ok(Exit::Failed.into());
    };
    let mut selected = netplug_core::model::Config::default();
    for name in &args.names {
        let part = if up {
            lifecycle::start_set(&all.config, name)?
        } else {
            lifecycle::stop_set(&all.config, name)?
        };
        for i in part.interfaces {
            if selected.get(&i.name).is_none() {
                selected.interfaces.push(i);
            }
        }
    }
    all.config = selected;
    super::apply::apply_config(cli, &all.config, &registry, &ApplyOptions::default(), started, None, true)
}
