//! `netplug define FILE...` and `netplug undefine NAME...`: add, replace and remove stored
//! definitions (`virsh iface-define` / `iface-undefine`). Defining never touches the kernel.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use netplug_core::load::Loaded;
use netplug_core::store::Store;

use serde_json::json;

use crate::Cli;

#[derive(clap::Args, Debug)]
pub struct DefineArgs {
    /// Documents whose interfaces to store; each replaces an earlier definition of its name.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

#[derive(clap::Args, Debug)]
pub struct UndefineArgs {
    #[arg(required = true, value_name = "NAME")]
    pub names: Vec<String>,
}

pub fn define(cli: &Cli, args: &DefineArgs) -> Result<ExitCode> {
    let (registry, _) = super::plugins(cli);
    let loaded = super::load_and_validate(cli, &args.files, &registry);
    if super::print_diagnostics(cli, &loaded) {
        return Ok(crate::exit::Exit::Failed.into());
    }
    store(cli, &loaded)?;
    Ok(ExitCode::SUCCESS)
}

/// Store every interface of validated documents, each replacing an earlier definition.
pub fn store(cli: &Cli, loaded: &Loaded) -> Result<()> {
    let _lock = super::engine::lock(cli)?;
    let store = Store::new(&cli.config_dir);
    let mut defined = Vec::new();
    for iface in &loaded.config.interfaces {
        let replaced = store.contains(&iface.name);
        let path = store.define(iface)?;
        let verb = if replaced { "redefined" } else { "defined" };
        if !cli.quiet && !cli.json {
            println!("{verb} {} ({})", iface.name, path.display());
        }
        defined.push(json!({ "name": iface.name, "path": path, "replaced": replaced }));
    }
    if cli.json {
        crate::report::print_json(json!({ "defined": defined, "undefined": [] }));
    }
    Ok(())
}

pub fn undefine(cli: &Cli, args: &UndefineArgs) -> Result<ExitCode> {
    let _lock = super::engine::lock(cli)?;
    let store = Store::new(&cli.config_dir);
    for name in &args.names {
        store.undefine(name)?;
        if !cli.quiet && !cli.json {
            println!("undefined {name}");
        }
    }
    if cli.json {
        crate::report::print_json(json!({ "defined": [], "undefined": args.names }));
    }
    Ok(ExitCode::SUCCESS)
}
