//! `netplug define FILE...` and `netplug undefine NAME...`: add, replace and remove stored
//! definitions (`virsh iface-define` / `iface-undefine`). Defining never touches the kernel.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use netplug_core::load::Loaded;
use netplug_core::ownership::{Ownership, PortsOf};
use netplug_core::store::{Store, StoreError};
use netplug_core::validate::ValidateOptions;

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
    /// Keep the definitions of ports that were defined together with the interface (by default
    /// they go with it, as netcf's undefine removed a bridge's whole tree).
    #[arg(long)]
    pub keep_ports: bool,
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
    let netns = super::txn::here(cli)?.ino;
    let mut record = Ownership::load(&cli.state_dir, netns)?;
    record.note_defined(&loaded.config);
    record.save(&cli.state_dir, netns)?;
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
    let netns = super::txn::here(cli)?.ino;
    let mut record = Ownership::load(&cli.state_dir, netns)?;
    let mut undefined: Vec<String> = Vec::new();
    for name in &args.names {
        if !store.contains(name) {
            return Err(StoreError::NotDefined(name.clone()).into());
        }
        let ports =
            if args.keep_ports { Default::default() } else { ports_defined_with(cli, &record, name)? };
        store.undefine(name)?;
        undefined.push(name.clone());
        record.forget_definition(name);
        if !cli.quiet && !cli.json {
            println!("undefined {name}");
        }
        for port in &ports.removed {
            if store.contains(port) {
                store.undefine(port)?;
                record.forget_definition(port);
                undefined.push(port.clone());
                if !cli.quiet && !cli.json {
                    println!("undefined {port} (a port defined with {name}; --keep-ports keeps it)");
                }
            }
        }
        for (port, user) in &ports.kept {
            if !cli.quiet && !cli.json {
                println!("kept the definition of {port} (defined with {name}): {user} still needs it");
            }
        }
    }
    record.save(&cli.state_dir, netns)?;
    if cli.json {
        crate::report::print_json(json!({ "defined": [], "undefined": undefined }));
    }
    Ok(ExitCode::SUCCESS)
}

/// The port definitions that go with `name`'s: read (and validated, for parents) from the
/// store; definitions with errors leave the relation as recorded.
fn ports_defined_with(cli: &Cli, record: &Ownership, name: &str) -> Result<PortsOf> {
    if !record.defined_with.values().any(|m| m == name) {
        return Ok(PortsOf::default());
    }
    let (registry, _) = super::plugins(cli);
    let mut loaded = Store::new(&cli.config_dir).load(&registry)?;
    let opts = ValidateOptions { sources: Some(&loaded.sources), ..Default::default() };
    netplug_core::validate::validate(&mut loaded.config, &registry, &opts);
    Ok(record.ports_defined_with(&loaded.config, name))
}
